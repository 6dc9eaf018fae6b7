//! Money identifiers: IBANs (mod-97 checked), payment cards and long digit runs that
//! read as account numbers.

use super::shape::{count_digits, ends_token, luhn, Runs};

/// Where an IBAN may start: two letters and two check digits in 02..=98.
fn iban_head(b: &[u8], i: usize) -> Option<[u8; 4]> {
    let head: [u8; 4] = b.get(i..i + 4)?.try_into().ok()?;
    let shaped = head[0].is_ascii_alphabetic()
        && head[1].is_ascii_alphabetic()
        && head[2].is_ascii_digit()
        && head[3].is_ascii_digit();
    // Worked out only for digits: "zz" would overflow a byte.
    let check = || (head[2] - b'0') * 10 + (head[3] - b'0');
    (shaped && (2..=98).contains(&check())).then_some(head)
}

/// The characters of an IBAN after its head, folded into the ISO 13616 mod-97
/// remainder as they are read (the head is folded in last, as the standard moves it
/// to the end).
struct IbanBody {
    head: [u8; 4],
    upper: bool,
    remainder: u32,
    len: usize,
}

impl IbanBody {
    fn new(head: [u8; 4]) -> Option<IbanBody> {
        let upper = head[0].is_ascii_uppercase();
        (head[1].is_ascii_uppercase() == upper).then_some(IbanBody {
            head,
            upper,
            remainder: 0,
            len: 4,
        })
    }

    /// Adds one character; false when it is not a letter or digit, or a letter in the
    /// other case than the country code.
    fn push(&mut self, c: u8) -> bool {
        if c.is_ascii_alphabetic() && c.is_ascii_uppercase() != self.upper {
            return false;
        }
        match fold(self.remainder, c) {
            Some(r) => {
                self.remainder = r;
                self.len += 1;
                true
            }
            None => false,
        }
    }

    fn valid(&self) -> bool {
        let closing = self
            .head
            .iter()
            .try_fold(self.remainder, |r, c| fold(r, *c));
        (15..=34).contains(&self.len) && closing == Some(1)
    }
}

/// `remainder` extended by one IBAN character (letters count as 10..=35).
fn fold(remainder: u32, c: u8) -> Option<u32> {
    if c.is_ascii_digit() {
        Some((remainder * 10 + u32::from(c - b'0')) % 97)
    } else if c.is_ascii_alphabetic() {
        Some((remainder * 100 + u32::from(c.to_ascii_uppercase() - b'A') + 10) % 97)
    } else {
        None
    }
}

/// An IBAN whose check passes, unbroken or in groups of four.
pub(super) fn iban_at(text: &str, i: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut body = IbanBody::new(iban_head(b, i)?)?;
    if b.get(i + 4) == Some(&b' ') {
        return spaced_iban(text, i, &mut body).best_valid;
    }
    let mut end = i + 4;
    while b.get(end).is_some_and(u8::is_ascii_alphanumeric) {
        if body.len == 34 || !body.push(b[end]) {
            return None;
        }
        end += 1;
    }
    (body.valid() && ends_token(text, end)).then_some(end)
}

/// A spaced IBAN whose check fails (a typo), with at least three full groups and 8
/// digits: masked as an account so that none of its groups is left to the card or
/// account matchers.
pub(super) fn mistyped_iban_at(text: &str, i: usize) -> Option<usize> {
    let b = text.as_bytes();
    if b.get(i + 4) != Some(&b' ') {
        return None;
    }
    let mut body = IbanBody::new(iban_head(b, i)?)?;
    let read = spaced_iban(text, i, &mut body);
    let digits = b[i + 4..read.end]
        .iter()
        .filter(|c| c.is_ascii_digit())
        .count();
    (read.full_groups >= 3 && digits >= 8 && ends_token(text, read.end)).then_some(read.end)
}

/// What [`spaced_iban`] read.
struct SpacedIban {
    /// The end of the longest prefix whose check passes.
    best_valid: Option<usize>,
    /// The end of everything that has the shape.
    end: usize,
    full_groups: usize,
}

/// Reads ` XXXX` groups after the head; the last may be shorter. The longest prefix
/// that checks wins, so an IBAN followed by more text still matches.
fn spaced_iban(text: &str, i: usize, body: &mut IbanBody) -> SpacedIban {
    let b = text.as_bytes();
    let mut read = SpacedIban {
        best_valid: None,
        end: i + 4,
        full_groups: 0,
    };
    while b.get(read.end) == Some(&b' ') {
        let start = read.end + 1;
        let n = b[start..]
            .iter()
            .take(5)
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        let fits = n > 0 && n <= 4 && body.len + n <= 34;
        if !fits || !b[start..start + n].iter().all(|c| body.push(*c)) {
            break;
        }
        read.end = start + n;
        if body.valid() && ends_token(text, read.end) {
            read.best_valid = Some(read.end);
        }
        if n < 4 {
            break;
        }
        read.full_groups += 1;
    }
    read
}

/// A payment card: grouped with a first group of four, or an unbroken Luhn run.
pub(super) fn card_at(text: &str, i: usize) -> Option<usize> {
    let b = text.as_bytes();
    if !b[i].is_ascii_digit() {
        return None;
    }
    let runs = Runs::scan(b, i, b" -", 1);
    let runs = runs.as_slice();
    // Longest plausible prefix first, so a card followed by other numbers still matches.
    (1..=runs.len()).rev().find_map(|k| {
        let groups = &runs[..k];
        let end = groups[k - 1].end;
        let digits = groups[k - 1].digits_through;
        let shaped = if k == 1 {
            luhn(&b[i..end])
        } else {
            groups[0].len() == 4 && groups.iter().all(|g| (3..=6).contains(&g.len()))
        };
        ((13..=19).contains(&digits) && shaped && ends_token(text, end)).then_some(end)
    })
}

/// Any unbroken run of 8 or more digits that is not a calendar date.
pub(super) fn account_at(text: &str, i: usize) -> Option<usize> {
    let b = text.as_bytes();
    let n = count_digits(b, i);
    let end = i + n;
    (n >= 8 && ends_token(text, end) && !(n == 8 && is_date(&b[i..end]))).then_some(end)
}

/// True for 8 digits that read as `YYYYMMDD` or `DDMMYYYY` with a year in 1900-2099.
fn is_date(d: &[u8]) -> bool {
    let part = |from: usize, to: usize| super::shape::number(&d[from..to]);
    let year = |y: u64| (1900..=2099).contains(&y);
    let month = |m: u64| (1..=12).contains(&m);
    let day = |d: u64| (1..=31).contains(&d);
    (year(part(0, 4)) && month(part(4, 6)) && day(part(6, 8)))
        || (day(part(0, 2)) && month(part(2, 4)) && year(part(4, 8)))
}
