//! Quoted replies and forwarded messages: which lines are someone else's words.
//!
//! [`strip_replies`] walks the lines once. Quoted lines (`> ...`) are dropped wherever
//! they are, so an inline reply keeps the customer's answers between the quotes. An
//! attribution line ("On ... wrote:") is dropped when quoted lines follow it and
//! otherwise ends the message, because clients that do not prefix the quoted text
//! put it all below the attribution. The other reply and forward boundaries (Outlook
//! separators, header blocks, "Begin forwarded message:", Zendesk's reply marker)
//! end the message too. Notices such as "CAUTION: This email originated from outside
//! the organization" are dropped paragraph-wise (see [`super::notices`]), and chat
//! system lines ("*** Alex joined the chat ***") line-wise.

use super::notices::banner_len;
use super::scan::{contains_ci, ends_with_ci, first_word, is_blank, is_one_of, starts_with_any};

/// Drops quoted lines, attribution lines, notices and chat system lines from `lines`
/// and cuts it at the first reply or forward boundary.
pub(super) fn strip_replies(lines: &mut Vec<&str>) {
    let mut kept = 0;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if is_quoted(line) || is_chat_system_line(line) {
            i += 1;
            continue;
        }
        if is_boundary(lines, i) {
            break;
        }
        if let Some(len) = attribution_len(lines, i) {
            if !next_content_is_quoted(lines, i + len) {
                break;
            }
            i += len;
            continue;
        }
        if let Some(len) = banner_len(lines, i) {
            i += len;
            continue;
        }
        lines[kept] = line;
        kept += 1;
        i += 1;
    }
    lines.truncate(kept);
}

/// A line of quoted text: `>` first (after indentation), then a space, another `>`,
/// a letter or nothing. `>50%` or `>= 3 drives` is the customer's own comparison.
pub(super) fn is_quoted(line: &str) -> bool {
    let t = line.trim_start();
    let mut bytes = t.bytes();
    bytes.next() == Some(b'>')
        && !matches!(bytes.next(), Some(b) if b.is_ascii_digit() || b == b'=' || b == b'.')
}

fn next_content_is_quoted(lines: &[&str], from: usize) -> bool {
    lines[from.min(lines.len())..]
        .iter()
        .find(|l| !is_blank(l))
        .is_some_and(|l| is_quoted(l))
}

/// Chat transcript lines that no one typed: "Chat started: ...", "*** Alex joined
/// the chat ***" (with or without a leading time stamp).
fn is_chat_system_line(line: &str) -> bool {
    let t = line.trim();
    if starts_with_any(t, &["chat started", "chat ended", "chat transcript"]) {
        return true;
    }
    let after_stamp = match t.as_bytes().first() {
        Some(b'(' | b'[') => t
            .find([')', ']'])
            .map_or(t, |end| t[end + 1..].trim_start()),
        _ => t,
    };
    after_stamp.len() > 6 && after_stamp.starts_with("***") && after_stamp.ends_with("***")
}

/// Outlook, Thunderbird and Gmail separators, without their dashes.
const SEPARATOR_TITLES: &[&str] = &[
    "original message",
    "forwarded message",
    "ursprüngliche nachricht",
    "original-nachricht",
    "originalnachricht",
    "weitergeleitete nachricht",
    "message d'origine",
    "message original",
    "message transféré",
    "mensaje original",
    "mensaje reenviado",
    "oorspronkelijk bericht",
    "origineel bericht",
    "doorgestuurd bericht",
    "mensagem original",
    "mensagem encaminhada",
    "mensagem reencaminhada",
    "messaggio originale",
    "messaggio inoltrato",
];

/// Apple Mail's and others' forward introductions, without the final colon.
const FORWARD_INTROS: &[&str] = &[
    "begin forwarded message",
    "anfang der weitergeleiteten nachricht",
    "début du message réexpédié",
    "début du message transféré",
    "inicio del mensaje reenviado",
    "comienzo del mensaje reenviado",
    "begin doorgestuurd bericht",
    "início da mensagem reencaminhada",
    "início da mensagem encaminhada",
    "inizio messaggio inoltrato",
];

/// Whether the message of the customer ends before line `i`: a separator, a forward
/// introduction, Zendesk's "##- Please type your reply above this line -##" or a
/// `From: / Sent: / To: / Subject:` header block.
fn is_boundary(lines: &[&str], i: usize) -> bool {
    let t = lines[i].trim();
    if t.len() < 4 {
        return false;
    }
    if t.starts_with("--") || t.starts_with("__") {
        let title = t.trim_matches(|c: char| c == '-' || c == '_' || c.is_whitespace());
        if is_one_of(title, SEPARATOR_TITLES) {
            return true;
        }
    }
    let intro = t.trim_end_matches(|c: char| c == ':' || c.is_whitespace());
    is_one_of(intro, FORWARD_INTROS)
        || (t.starts_with("##-") && t.ends_with("-##"))
        || (t.len() < 80 && contains_ci(t, "reply above this line"))
        || is_header_block(lines, i)
}

/// Which role a mail header key plays, in English, German, French, Spanish, Dutch,
/// Portuguese and Italian.
#[derive(Clone, Copy, PartialEq, Eq)]
enum HeaderKey {
    From,
    Date,
    ToOrSubject,
}

const FROM_KEYS: &[&str] = &["from", "von", "de", "van", "da", "från", "fra"];
const DATE_KEYS: &[&str] = &[
    "sent",
    "date",
    "gesendet",
    "datum",
    "envoyé",
    "enviado",
    "enviada",
    "enviado el",
    "enviado em",
    "enviada em",
    "fecha",
    "verzonden",
    "data",
    "inviato",
    "skickat",
];
const TO_SUBJECT_KEYS: &[&str] = &[
    "to",
    "cc",
    "an",
    "à",
    "À",
    "a",
    "para",
    "aan",
    "subject",
    "betreff",
    "objet",
    "sujet",
    "asunto",
    "onderwerp",
    "assunto",
    "oggetto",
    "ämne",
];

/// The key of a header line such as `From: ...`, `*Von:* ...` or `De : ...`.
fn header_key(line: &str) -> Option<HeaderKey> {
    let t = line.trim_start().trim_start_matches('*');
    let colon = t.bytes().take(13).position(|b| b == b':')?;
    let key = t[..colon].trim_end();
    if is_one_of(key, FROM_KEYS) {
        Some(HeaderKey::From)
    } else if is_one_of(key, DATE_KEYS) {
        Some(HeaderKey::Date)
    } else if is_one_of(key, TO_SUBJECT_KEYS) {
        Some(HeaderKey::ToOrSubject)
    } else {
        None
    }
}

/// A `From:` line followed, within the next few lines, by a date (`Sent:`, `Date:`)
/// and a recipient or subject line: the header of a quoted or forwarded message.
fn is_header_block(lines: &[&str], i: usize) -> bool {
    if header_key(lines[i]) != Some(HeaderKey::From) {
        return false;
    }
    let (mut date, mut to_or_subject) = (false, false);
    for line in lines[i + 1..].iter().filter(|l| !is_blank(l)).take(6) {
        match header_key(line) {
            Some(HeaderKey::Date) => date = true,
            Some(HeaderKey::ToOrSubject) => to_or_subject = true,
            _ => {}
        }
    }
    date && to_or_subject
}

/// Words an attribution line starts with ("On", "Am", "Le", "El", "Op", "Em", "Il").
const ATTRIBUTION_OPENERS: &[&str] = &["on", "am", "le", "el", "op", "em", "il", "den"];
/// Verbs an attribution line ends with, before the colon.
const WROTE_ENDINGS: &[&str] = &[
    "wrote",
    "schrieb",
    "a écrit",
    "escribió",
    "escribio",
    "schreef",
    "escreveu",
    "ha scritto",
    "scrisse",
    "skrev",
];
/// Verbs that German, Dutch and Scandinavian put before the sender's name.
const WROTE_INSIDE: &[&str] = &[" schrieb ", " schreef ", " skrev "];

/// Gmail wraps a long attribution over up to three lines.
const MAX_ATTRIBUTION_LINES: usize = 3;

/// The number of lines of an attribution starting at line `i` ("On Mon, 3 Jun 2024
/// at 10:15, Support <help@example.com> wrote:" and its translations), if any.
fn attribution_len(lines: &[&str], i: usize) -> Option<usize> {
    let first = lines[i].trim();
    if first.len() > 200 {
        return None;
    }
    let opener = first_word(first).trim_end_matches(',');
    let starts_like_attribution = is_one_of(opener, ATTRIBUTION_OPENERS);
    if !starts_like_attribution && !first.ends_with(':') {
        return None;
    }
    let mut has_at_or_digit = false;
    let mut has_inside_verb = false;
    for (k, line) in lines[i..].iter().take(MAX_ATTRIBUTION_LINES).enumerate() {
        let t = line.trim();
        if k > 0 && (!starts_like_attribution || t.is_empty() || t.len() > 200) {
            return None;
        }
        has_at_or_digit |= t.bytes().any(|b| b == b'@' || b.is_ascii_digit());
        has_inside_verb |= WROTE_INSIDE.iter().any(|v| contains_ci(t, v));
        if let Some(before_colon) = t.strip_suffix(':') {
            let before_colon = before_colon.trim_end();
            let ends_with_verb = WROTE_ENDINGS.iter().any(|v| ends_with_ci(before_colon, v));
            let names_sender = (starts_like_attribution && has_at_or_digit) || t.contains('@');
            return ((ends_with_verb || has_inside_verb) && names_sender).then_some(k + 1);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attribution(text: &str) -> Option<usize> {
        let lines: Vec<&str> = text.lines().collect();
        attribution_len(&lines, 0)
    }

    #[test]
    fn attributions_in_several_languages() {
        for line in [
            "On Mon, Jun 3, 2024 at 10:15 AM Example Support <help@example.com> wrote:",
            "On 3 Jun 2024, at 10:15, Example Support <help@example.com> wrote:",
            "Am 03.06.2024 um 10:15 schrieb Example Support <help@example.com>:",
            "Le lun. 3 juin 2024 à 10:15, Example Support <help@example.com> a écrit :",
            "El lun, 3 jun 2024 a las 10:15, Example Support (<help@example.com>) escribió:",
            "Op ma 3 jun. 2024 om 10:15 schreef Example Support <help@example.com>:",
            "Em seg., 3 de jun. de 2024 às 10:15, Example Support <help@example.com> escreveu:",
            "Il giorno lun 3 giu 2024 alle ore 10:15 Example Support <help@example.com> ha scritto:",
            "Example Support <help@example.com> wrote:",
        ] {
            assert_eq!(attribution(line), Some(1), "{line}");
        }
        let wrapped = "On Mon, Jun 3, 2024 at 10:15 AM Example Support <\nhelp@example.com> wrote:";
        assert_eq!(attribution(wrapped), Some(2));
    }

    #[test]
    fn sentences_are_not_attributions() {
        for line in [
            "On Monday the drive failed again and nobody wrote back:",
            "Here is what I wrote:",
            "On 3 June your colleague said the part would ship.",
            "Am Montag habe ich angerufen.",
        ] {
            assert_eq!(attribution(line), None, "{line}");
        }
    }

    #[test]
    fn quoted_lines_and_comparisons() {
        assert!(is_quoted("> On Mon, Support wrote:"));
        assert!(is_quoted(">> older"));
        assert!(is_quoted(">"));
        assert!(!is_quoted(">50% packet loss since the update"));
        assert!(!is_quoted("-> then it reboots"));
    }

    #[test]
    fn header_blocks_need_a_date_and_a_recipient() {
        let outlook = [
            "From: Example Support <help@example.com>",
            "Sent: Monday, June 3, 2024 10:15 AM",
            "To: Jane",
            "Subject: RE: case 123",
        ];
        assert!(is_header_block(&outlook, 0));
        let french = [
            "De : Example Support",
            "Envoyé : lundi 3 juin 2024 10:15",
            "À : Jeanne",
            "Objet : RE: dossier",
        ];
        assert!(is_header_block(&french, 0));
        let shipping = [
            "From: Berlin office",
            "To: Munich office",
            "3 racks, 2 pallets",
        ];
        assert!(!is_header_block(&shipping, 0));
    }
}
