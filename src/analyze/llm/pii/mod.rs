//! Masks personal data in ticket text before it leaves the machine.
//!
//! [`redact`] replaces every personal number or address it recognises, whole, by a
//! marker naming its kind; all other text passes through byte for byte.
//!
//! What is masked:
//! - `[email]`: `local@domain.tld` with a TLD of two or more letters.
//! - `[iban]`: IBANs of any country: two letters, check digits 02-98 and 11-30 letters
//!   or digits (15-34 in all), unbroken or in groups of four separated by single
//!   spaces, whose ISO 13616 mod-97 check passes; letters all capitals or all small.
//!   A spaced one whose check fails (a typo) but that has three full groups and 8
//!   digits is masked as `[account]`, so no digit group of it is left to the card
//!   matcher.
//! - `[card]`: 13-19 digits, either grouped by single spaces or dashes with a first
//!   group of four and groups of 3-6 (`4111 1111 1111 1111`, `3782-822463-10005`),
//!   or one unbroken run that passes the Luhn check.
//! - `[ssn]`: US social security numbers `123-45-6789` and `123 45 6789`; an unbroken
//!   `123456789` only right after a label (`SSN`, `SS#`, `social security`) on the
//!   same line with no digit in between, since nine bare digits are as often a BSN,
//!   an EIN or an account. Area 000, 666 and 900-999, group 00 and serial 0000 are
//!   never issued and are not SSNs.
//! - `[tax-id]`: US ITINs (`9xx-70-xxxx` shape, group 50-65, 70-88, 90-92 or 94-99);
//!   US EINs `12-3456789`; German Steuer-IDs, 11 digits unbroken or `12 345 678 901`,
//!   first digit not 0, exactly one digit repeated (twice or three times) in the first
//!   ten, ISO 7064 MOD 11,10 check digit; Italian codici fiscali, 16 characters in
//!   their letter/digit layout (omocodia letters allowed, month letter, day 01-31 or
//!   41-71) with the right check letter.
//! - `[national-id]`: UK National Insurance numbers `QQ 12 34 56 C`, `QQ123456C`,
//!   `QQ 123456 C` (prefix letters HMRC uses: not D, F, I, U, V, no O second, not BG,
//!   GB, KN, NK, NT, TN, ZZ; Q is accepted because `QQ` is the customary stand-in;
//!   suffix A-D); French NIRs, 15 characters unbroken, `1841276451089 46` or
//!   `1 84 12 76 451 089 46` (sex 1-4, 7, 8; month 01-12, 20-42 or 50-99; Corsica
//!   `2A`/`2B` counted as 19/18) with the mod-97 key; Spanish DNIs `12345678Z`
//!   (`-` or a space before a capital letter allowed) and NIEs `X1234567L` /
//!   `X-1234567-L` with the mod-23 letter; Dutch BSNs, 9 digits unbroken, `1234.56.782`
//!   or `123 456 782` (dots or spaces) passing the 11-check.
//! - `[ip]`: IPv4 addresses (four parts 0-255) and IPv6 addresses (eight groups, or
//!   fewer with one `::`, optionally ending in an IPv4 part; a compressed one needs a
//!   digit, so `be::ef` or `a::b` stay).
//! - `[phone]`: `+` and 8-15 digits in any grouping; North American `555-123-4567`,
//!   `(555) 123 4567`, `1 555.123.4567`; national numbers with a trunk `0`
//!   (`0170 1234567`, `030-1234-5678`): 10-12 digits, at least two groups, a first
//!   group of three or more digits and no dots (which keeps `01.02.2024` out).
//! - `[account]`: any other unbroken run of 8 or more digits, except an 8-digit
//!   calendar date (`20240603`, `03062024`, years 1900-2099). Context words do not
//!   matter: an order number, invoice number or timestamp of 8+ digits is masked like
//!   an account number, because the text cannot tell them apart and the analysis
//!   does not need the value.
//!
//! Where a match may sit: it starts after a space, punctuation or a previous match,
//! not right after a letter, digit, `_`, `@` or `+`, nor after `.`, `,`, `-`, `/` or
//! `:` that follows a digit (inside `1.2`, `10:30`, `2024-06`); it ends before
//! anything that is not a letter, digit or `_`, and not before `.` and a digit (a
//! decimal part). A grouped shape also may not be followed by its separator (or `-`)
//! and another digit: it would be the front of a longer number.
//!
//! What is not masked: names, street and postal addresses, postcodes, birth dates and
//! other dates and times, prices and quantities (`$1,299.00`, `12345678.90`), numbers
//! under 8 digits (`#4411`, `order 58213`), three-part versions (`1.2.3`; a four-part
//! one reads as an IPv4 address), codes glued to letters (`E1234`, `0x80070005`,
//! `ID123456789`), MAC addresses, host names and URLs (an IP host is masked),
//! passport, driving-licence and other national numbers not listed above, and any
//! listed number written in another layout (other separators or grouping) or that
//! fails its check (unless it is an unbroken run of 8+ digits: then `[account]`).
//!
//! Precedence: the scan goes left to right; at each place where a match may start,
//! the matchers run from the most specific (letter-anchored and checksummed shapes)
//! to the least (phones, then bare digit runs). The first match is replaced whole and
//! the scan resumes after it, so no later matcher sees a part of it: that is what
//! keeps the digit groups of an IBAN from being taken for a card.
//!
//! The scan is hand-written rather than built on regular expressions: the crate has
//! no regex dependency, and most kinds need a checksum, a case rule or a look at the
//! neighbouring characters that a regex cannot express, so a regex would only find
//! candidates. One pass over the bytes, with no allocation besides the output string,
//! does both.

mod contact;
mod finance;
#[cfg(test)]
mod generated;
mod national;
mod shape;
#[cfg(test)]
mod tests;

/// What a masked span was; each kind has its own marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Email,
    Iban,
    Card,
    Ssn,
    TaxId,
    NationalId,
    Ip,
    Phone,
    Account,
}

impl Kind {
    fn marker(self) -> &'static str {
        match self {
            Kind::Email => "[email]",
            Kind::Iban => "[iban]",
            Kind::Card => "[card]",
            Kind::Ssn => "[ssn]",
            Kind::TaxId => "[tax-id]",
            Kind::NationalId => "[national-id]",
            Kind::Ip => "[ip]",
            Kind::Phone => "[phone]",
            Kind::Account => "[account]",
        }
    }
}

/// `matcher(text, i)` returns the end (byte index) of a match starting at `i`.
type Matcher = fn(&str, usize) -> Option<usize>;

/// The matchers, from the most specific to the least: letter-anchored and checksummed
/// shapes, then fixed digit layouts, then the loose ones. Split by the first byte a
/// match can start with (so a word does not pay for the digit matchers), each list
/// keeps that one order; the first match wins.
const LETTER_START: &[(Kind, Matcher)] = &[
    (Kind::Iban, finance::iban_at),
    (Kind::Account, finance::mistyped_iban_at),
    (Kind::TaxId, national::codice_fiscale_at),
    (Kind::NationalId, national::nino_at),
    (Kind::NationalId, national::nie_at),
    (Kind::Ip, contact::ipv6_at),
];
const DIGIT_START: &[(Kind, Matcher)] = &[
    (Kind::Ip, contact::ipv6_at),
    (Kind::Ip, contact::ipv4_at),
    (Kind::NationalId, national::nir_at),
    (Kind::TaxId, national::steuer_id_at),
    (Kind::NationalId, national::dni_at),
    (Kind::Ssn, national::ssn_at),
    (Kind::TaxId, national::itin_at),
    (Kind::TaxId, national::ein_at),
    (Kind::NationalId, national::bsn_at),
    (Kind::Card, finance::card_at),
    (Kind::Phone, contact::phone_at),
    (Kind::Account, finance::account_at),
];
/// `+44 ...`, `(555) ...`.
const PUNCT_START: &[(Kind, Matcher)] = &[(Kind::Phone, contact::phone_at)];
/// `::1`.
const COLON_START: &[(Kind, Matcher)] = &[(Kind::Ip, contact::ipv6_at)];

/// The text with emails, IBANs, cards, SSNs, tax and national ID numbers, IP
/// addresses, phone numbers and long account-like numbers masked.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut last_match_end = None;
    let mut i = 0;
    while i < text.len() {
        match match_at(text, i, last_match_end) {
            Some((kind, end)) => {
                out.push_str(&text[copied..i]);
                out.push_str(kind.marker());
                copied = end;
                last_match_end = Some(end);
                i = end;
            }
            None => i += 1,
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// The match starting at byte `i`, if any.
fn match_at(text: &str, i: usize, last_match_end: Option<usize>) -> Option<(Kind, usize)> {
    if !text.is_char_boundary(i) {
        return None;
    }
    // Emails first, with their own start rule: a local part may hold digits (or be
    // all digits) that the number matchers would otherwise take.
    if let Some(end) = contact::email_at(text, i) {
        return Some((Kind::Email, end));
    }
    let matchers = match text.as_bytes()[i] {
        b'0'..=b'9' => DIGIT_START,
        b'a'..=b'z' | b'A'..=b'Z' => LETTER_START,
        b'+' | b'(' => PUNCT_START,
        b':' => COLON_START,
        _ => return None,
    };
    if !shape::starts_token(text, i, last_match_end) {
        return None;
    }
    matchers
        .iter()
        .find_map(|(kind, matcher)| matcher(text, i).map(|end| (*kind, end)))
}
