//! Boilerplate that mail servers and legal departments add: confidentiality
//! disclaimers at the end of a message and "external sender" banners at the top.
//!
//! A disclaimer ends the customer's words: [`disclaimer_start`] finds the first line
//! that opens one. An opening such as "This e-mail and any attachments" only counts
//! when its paragraph also uses the vocabulary of a disclaimer ("confidential",
//! "intended recipient", "vertraulich", "destinataire"...), so a customer who writes
//! "This email and the last three were ignored" keeps the sentence. A banner is
//! dropped with its paragraph and the message goes on ([`banner_len`]).

use super::scan::{contains_ci, first_letters, is_blank, starts_with_any, starts_with_letter_of};

/// Openings that are a disclaimer whatever follows.
const DISCLAIMER_HEADINGS: &[&str] = &[
    "confidentiality notice",
    "confidentiality note",
    "confidential notice",
    "legal disclaimer",
    "disclaimer:",
    "disclaimer -",
    "privileged and confidential",
    "please consider the environment before printing",
    "think before you print",
    "bitte denken sie an die umwelt",
    "pensez à l'environnement",
    "this email is a service from",
    "avis de confidentialité",
    "aviso de confidencialidad",
    "aviso legal:",
    "vertraulichkeitshinweis",
];

/// Openings that are a disclaimer when their paragraph says what a disclaimer says.
const DISCLAIMER_OPENINGS: &[&str] = &[
    "this e-mail",
    "this email",
    "this message",
    "this communication",
    "the information contained in",
    "the information in this",
    "important notice",
    "diese e-mail",
    "diese nachricht",
    "dieser e-mail",
    "ce message",
    "ce courriel",
    "ce courrier électronique",
    "este mensaje",
    "este correo",
    "este e-mail",
    "esta mensagem",
    "dit e-mailbericht",
    "dit bericht",
    "deze e-mail",
    "questo messaggio",
    "questa e-mail",
    "le informazioni contenute",
];

/// The letters [`DISCLAIMER_HEADINGS`] and [`DISCLAIMER_OPENINGS`] start with.
const DISCLAIMER_FIRST_LETTERS: u32 = first_letters(&[DISCLAIMER_HEADINGS, DISCLAIMER_OPENINGS]);

/// What a disclaimer talks about, in the languages above.
const DISCLAIMER_VOCABULARY: &[&str] = &[
    "confidential",
    "privileged",
    "intended recipient",
    "intended solely",
    "intended only",
    "addressee",
    "vertraulich",
    "empfänger",
    "confidentiel",
    "destinataire",
    "confidencial",
    "destinatario",
    "destinatário",
    "vertrouwelijk",
    "geadresseerde",
    "riservat",
];

/// Banners that mail gateways put above a message from outside the organization.
const BANNERS: &[&str] = &[
    "caution: this email originated",
    "caution: this e-mail originated",
    "caution: external",
    "warning: this email originated",
    "external email:",
    "external sender:",
    "[external]",
    "this message came from outside",
    "this email originated from outside",
    "achtung: diese e-mail stammt von außerhalb",
    "externe e-mail:",
];

/// The first line of a disclaimer among `lines`, if any.
pub(super) fn disclaimer_start(lines: &[&str]) -> Option<usize> {
    (0..lines.len()).find(|&i| opens_disclaimer(lines, i))
}

fn opens_disclaimer(lines: &[&str], i: usize) -> bool {
    let t = lines[i]
        .trim_start()
        .trim_start_matches(['*', '_', '[', '(']);
    // Fast path: no heading or opening starts with this letter (most lines), which
    // one bit tells before the lists are compared.
    if !starts_with_letter_of(t, DISCLAIMER_FIRST_LETTERS) {
        return false;
    }
    if starts_with_any(t, DISCLAIMER_HEADINGS) {
        return true;
    }
    starts_with_any(t, DISCLAIMER_OPENINGS)
        && paragraph(lines, i)
            .iter()
            .any(|line| DISCLAIMER_VOCABULARY.iter().any(|w| contains_ci(line, w)))
}

/// Line `i` and the non-blank lines after it.
fn paragraph<'a, 'b>(lines: &'b [&'a str], i: usize) -> &'b [&'a str] {
    let len = lines[i..].iter().take_while(|l| !is_blank(l)).count();
    &lines[i..i + len.max(1)]
}

/// The number of lines of an external-sender banner starting at line `i` (its
/// paragraph), if one starts there.
pub(super) fn banner_len(lines: &[&str], i: usize) -> Option<usize> {
    let t = lines[i].trim_start().trim_start_matches(['*', '_']);
    starts_with_any(t, BANNERS).then(|| paragraph(lines, i).len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disclaimers_need_their_vocabulary() {
        let legal = ["This e-mail and any attachments are confidential and may be privileged."];
        assert_eq!(disclaimer_start(&legal), Some(0));
        let heading = ["", "CONFIDENTIALITY NOTICE: The contents of this email..."];
        assert_eq!(disclaimer_start(&heading), Some(1));
        let customer = ["This email is the fourth one I send about the same broken fan."];
        assert_eq!(disclaimer_start(&customer), None);
    }

    #[test]
    fn banners_are_their_paragraph() {
        let lines = [
            "CAUTION: This email originated from outside of the organization.",
            "Do not click links unless you recognize the sender.",
            "",
            "Hello,",
        ];
        assert_eq!(banner_len(&lines, 0), Some(2));
        assert_eq!(banner_len(&lines, 3), None);
    }
}
