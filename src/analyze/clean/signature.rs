//! Signatures: what follows the customer's words at the end of a message.
//!
//! [`strip_signature`] removes, in this order:
//! 1. a hard cut at the first signature delimiter (`-- `, or `--` once a client has
//!    trimmed the space), mobile signature ("Sent from my iPhone", "Von meinem iPhone
//!    gesendet", "Envoyé de mon iPhone"...) or disclaimer ([`super::notices`]);
//! 2. then, among the last lines before that cut, the first closing ("Best regards,",
//!    "Thanks,", "Cheers, Tom", "Mit freundlichen Grüßen", "Cordialement",
//!    "Saludos", "Met vriendelijke groet", "Atenciosamente"...) that stands on its own
//!    line, has the customer's words above it and only a short signature block below
//!    it: at most ten short lines that read like a name, a title, a company, a phone
//!    number or an address, not like a sentence. A "P.S." line after the closing is
//!    the customer's again and is kept with what follows it.
//!
//! 3. a name alone on the last line, after a blank line, as people sign without a
//!    closing ("...another apology.\n\nJason"): one to three capitalized words of
//!    letters ("Mia S.", "Jean-Luc"), not shouted ("URGENT" stays).
//!
//! A closing inside a sentence ("Thanks, it works now") or at the very start of a
//! message ("Thanks,\nthe drive arrived") is the customer's and stays. Effusive thanks
//! ("Thank you so much!") are not in the closing table: they carry the sentiment of
//! a thank-you note.

use std::ops::Range;

use super::notices::disclaimer_start;
use super::scan::{
    first_letters, first_word, is_blank, is_capitalized, is_one_of, starts_with_any,
    starts_with_letter_of,
};

/// Mobile and webmail signatures, as the start of a short line.
const DEVICE_SIGNATURES: &[&str] = &[
    "sent from my ",
    "sent from outlook",
    "sent from mail for windows",
    "sent from yahoo mail",
    "sent from samsung",
    "sent via ",
    "sent with proton mail",
    "get outlook for ",
    "envoyé de mon ",
    "envoyé depuis mon ",
    "envoyé à partir de ",
    "obtenir outlook pour ",
    "von meinem iphone gesendet",
    "von meinem ipad gesendet",
    "von meinem android",
    "von meinem samsung",
    "gesendet von meinem ",
    "gesendet mit ",
    "enviado desde mi ",
    "obtener outlook para ",
    "verzonden vanaf mijn ",
    "verzonden met ",
    "verstuurd vanaf mijn ",
    "enviado do meu ",
    "enviado de meu ",
    "enviado do ",
    "obter o outlook para ",
    "inviato da ",
    "inviato dal mio ",
];

/// The letters [`DEVICE_SIGNATURES`] start with.
const DEVICE_FIRST_LETTERS: u32 = first_letters(&[DEVICE_SIGNATURES]);

/// Closings, lowercase, without their final punctuation.
const CLOSINGS: &[&str] = &[
    // English
    "regards",
    "best regards",
    "kind regards",
    "warm regards",
    "warmest regards",
    "with regards",
    "with best regards",
    "with kind regards",
    "many regards",
    "best",
    "all the best",
    "best wishes",
    "cheers",
    "thanks",
    "thank you",
    "thanks again",
    "thank you again",
    "many thanks",
    "thanks in advance",
    "thank you in advance",
    "thanks and regards",
    "thanks & regards",
    "thanks and best regards",
    "sincerely",
    "yours sincerely",
    "sincerely yours",
    "yours faithfully",
    "yours truly",
    "respectfully",
    "take care",
    "thx",
    "br",
    "kr",
    "rgds",
    // German
    "mit freundlichen grüßen",
    "mit freundlichen grüssen",
    "mit freundlichem gruß",
    "mit freundlichem gruss",
    "freundliche grüße",
    "freundliche grüsse",
    "viele grüße",
    "viele grüsse",
    "beste grüße",
    "beste grüsse",
    "liebe grüße",
    "liebe grüsse",
    "schöne grüße",
    "gruß",
    "gruss",
    "grüße",
    "grüsse",
    "danke",
    "vielen dank",
    "besten dank",
    "danke und gruß",
    "mfg",
    "lg",
    "vg",
    // French
    "cordialement",
    "bien cordialement",
    "très cordialement",
    "bien à vous",
    "salutations",
    "sincères salutations",
    "meilleures salutations",
    "bonne journée",
    "merci",
    "merci d'avance",
    "merci beaucoup",
    "amicalement",
    // Spanish
    "saludos",
    "un saludo",
    "saludos cordiales",
    "atentamente",
    "cordialmente",
    "gracias",
    "muchas gracias",
    "gracias de antemano",
    "un abrazo",
    // Dutch
    "met vriendelijke groet",
    "met vriendelijke groeten",
    "vriendelijke groet",
    "hartelijke groet",
    "groeten",
    "groet",
    "mvg",
    "bedankt",
    "alvast bedankt",
    // Portuguese
    "atenciosamente",
    "cumprimentos",
    "melhores cumprimentos",
    "obrigado",
    "obrigada",
    "abraços",
    "abraço",
    "att",
    "grato",
    "grata",
    // Italian
    "cordiali saluti",
    "distinti saluti",
    "saluti",
    "un saluto",
    "grazie",
    "grazie mille",
];

/// At most this many non-blank lines may follow a closing.
const MAX_SIGNATURE_LINES: usize = 10;
/// A signature line is shorter than this (bytes).
const MAX_SIGNATURE_LINE_LEN: usize = 120;

/// Removes the signature, disclaimer and closing lines from `lines`.
pub(super) fn strip_signature(lines: &mut Vec<&str>) {
    lines.truncate(hard_cut(lines));
    if let Some(block) = closing_block(lines) {
        lines.drain(block);
    }
    if let Some(name) = bare_name_line(lines) {
        lines.truncate(name);
    }
}

/// The index of a lone name on the last line, after a blank line and some text.
fn bare_name_line(lines: &[&str]) -> Option<usize> {
    let last = lines.iter().rposition(|l| !is_blank(l))?;
    let before = last.checked_sub(1)?;
    let has_text_above = lines[..before].iter().any(|l| !is_blank(l));
    (is_blank(lines[before]) && has_text_above && is_name(lines[last].trim())).then_some(last)
}

/// One to three capitalized words of letters, not all in capitals: "Jason", "Mia S.".
fn is_name(line: &str) -> bool {
    let words = line.split_whitespace().count();
    (1..=3).contains(&words)
        && line.len() <= 30
        && line.split_whitespace().all(|w| {
            is_capitalized(w)
                && w.chars()
                    .all(|c| c.is_alphabetic() || matches!(c, '.' | '-' | '\''))
                && (w.chars().count() <= 2 || w.chars().any(char::is_lowercase))
        })
}

/// The first delimiter, device signature or disclaimer (`lines.len()` when none).
fn hard_cut(lines: &[&str]) -> usize {
    let delimiter = lines.iter().position(|l| {
        let t = l.trim();
        t == "--"
            || (t.len() <= 60
                && starts_with_letter_of(t, DEVICE_FIRST_LETTERS)
                && !t.contains(',')
                && starts_with_any(t, DEVICE_SIGNATURES))
    });
    let end = delimiter.unwrap_or(lines.len());
    disclaimer_start(&lines[..end]).unwrap_or(end)
}

/// The closing and its signature block near the end of `lines`, up to a "P.S.".
fn closing_block(lines: &[&str]) -> Option<Range<usize>> {
    let first_content = lines.iter().position(|l| !is_blank(l))?;
    let window_start = lines.len().saturating_sub(2 * MAX_SIGNATURE_LINES);
    let from = window_start.max(first_content + 1);
    (from..lines.len()).find_map(|i| {
        if !is_closing(lines[i]) {
            return None;
        }
        let end = lines[i + 1..]
            .iter()
            .position(|l| is_postscript(l))
            .map_or(lines.len(), |p| i + 1 + p);
        is_signature_block(&lines[i + 1..end]).then_some(i..end)
    })
}

/// A closing alone on its line, optionally with a short name: "Best regards,",
/// "Thanks!", "Cheers, Tom", "Saludos - Ana Lima".
fn is_closing(line: &str) -> bool {
    let t = line.trim();
    if t.len() > 48 || !t.as_bytes().first().is_some_and(u8::is_ascii_alphabetic) {
        return false;
    }
    let bare = t.trim_end_matches([',', '.', '!', ' ', '-']);
    if is_one_of(bare, CLOSINGS) {
        return true;
    }
    let Some(split) = bare.find([',', '-', '–']) else {
        return false;
    };
    let (phrase, name) = (
        bare[..split].trim_end(),
        bare[split..].trim_start_matches([',', '-', '–']),
    );
    let name_words = name.split_whitespace().count();
    is_one_of(phrase, CLOSINGS)
        && (1..=3).contains(&name_words)
        && name.split_whitespace().all(is_capitalized)
}

fn is_postscript(line: &str) -> bool {
    let word = first_word(line);
    matches!(
        word,
        "P.S." | "P.S" | "PS:" | "PS" | "P.S.:" | "PPS:" | "P.P.S."
    )
}

/// Short lines that read like a name, title, company, phone or address.
fn is_signature_block(lines: &[&str]) -> bool {
    let mut count = 0;
    for line in lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()) {
        count += 1;
        if count > MAX_SIGNATURE_LINES
            || line.len() > MAX_SIGNATURE_LINE_LEN
            || line.ends_with('?')
            || reads_like_a_sentence(line)
        {
            return false;
        }
    }
    true
}

/// Five or more words, at least half of the words that start with a letter starting
/// with a lowercase one: "please note the fan is still loud" is prose, "Head of IT
/// Operations, Example GmbH" is a title.
fn reads_like_a_sentence(line: &str) -> bool {
    let (mut letter_words, mut lowercase_words) = (0, 0);
    for word in line.split_whitespace() {
        match word.chars().next() {
            Some(c) if c.is_lowercase() => {
                letter_words += 1;
                lowercase_words += 1;
            }
            Some(c) if c.is_alphabetic() => letter_words += 1,
            _ => {}
        }
    }
    letter_words >= 5 && 2 * lowercase_words >= letter_words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closings_alone_or_with_a_name() {
        for line in [
            "Best regards,",
            "Thanks!",
            "Cheers, Tom",
            "Saludos - Ana Lima",
            "Mit freundlichen Grüßen",
        ] {
            assert!(is_closing(line), "{line}");
        }
        for line in [
            "Thanks, it works now",
            "Thank you so much!",
            "Regards to the whole team from all of us",
            "Best",
        ] {
            assert_eq!(is_closing(line), line == "Best", "{line}");
        }
    }

    #[test]
    fn bare_names() {
        for line in ["Jason", "Mia S.", "Jean-Luc Picard", "Zoë"] {
            assert!(is_name(line), "{line}");
        }
        for line in [
            "URGENT",
            "Order 4411",
            "thanks",
            "Please help me now",
            "Help!",
        ] {
            assert!(!is_name(line), "{line}");
        }
        assert_eq!(bare_name_line(&["It broke again.", "", "Jason"]), Some(2));
        assert_eq!(bare_name_line(&["", "Jason"]), None);
        assert_eq!(bare_name_line(&["It broke again.", "Jason"]), None);
    }

    #[test]
    fn signature_blocks_are_short_and_not_prose() {
        assert!(is_signature_block(&[
            "Jane Doe",
            "Head of IT Operations, Example GmbH",
            "+49 30 1234567"
        ]));
        assert!(!is_signature_block(&[
            "Also the fan is still loud and the BIOS update did not help"
        ]));
        assert!(!is_signature_block(&["Jane", "Can you call me back?"]));
    }
}
