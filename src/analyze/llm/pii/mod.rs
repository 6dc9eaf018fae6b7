//! Masks personal data in ticket text before it leaves the machine.
//!
//! Three hand-written scanners (the project has no regex dependency) replace emails
//! with `[email]`, payment-card-like numbers with `[card]` and phone numbers with
//! `[phone]`. They are tuned to leave alone what the analysis needs: error codes
//! (`E1234`, `0x80070005`), dates (`2024-03-01`, `01.02.2024`), times, versions,
//! IP addresses and short numbers.
//!
//! Cards: 13-19 digits, either in groups separated by single spaces or dashes with a
//! 4-digit first group and 3-6 digits per group (`4111 1111 1111 1111`,
//! `3782-822463-10005`), or one unbroken run that also passes the Luhn check (so long
//! IDs and millisecond timestamps mostly survive).
//!
//! Phones: `+` followed by 8-15 digits in any grouping; North American shapes
//! `555-123-4567`, `(555) 123 4567`, `1 555.123.4567`; and national numbers with a
//! trunk `0` (`0170 1234567`, `030-1234-5678`): 10-12 digits, a first group of at
//! least three digits and no dots, which keeps `01.02.2024`-style dates out.

/// The text with emails, cards and phone numbers masked.
pub fn redact(text: &str) -> String {
    // Emails first: their local part may hold digits the number scanners would take.
    let text = mask(text, "[email]", email_at);
    let text = mask(&text, "[card]", card_at);
    mask(&text, "[phone]", phone_at)
}

/// Replaces every match of `matcher` with `placeholder`. `matcher(chars, i)` returns
/// the end of a match starting at `i`, if any.
fn mask(text: &str, placeholder: &str, matcher: fn(&[char], usize) -> Option<usize>) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        match matcher(&chars, i) {
            Some(end) => {
                out.push_str(placeholder);
                i = end;
            }
            None => {
                out.push(chars[i]);
                i += 1;
            }
        }
    }
    out
}

/// True when a match may start at `i`: not in the middle of a word or number.
fn starts_token(chars: &[char], i: usize) -> bool {
    i == 0 || !(chars[i - 1].is_alphanumeric() || matches!(chars[i - 1], '_' | '+' | '@' | '.'))
}

/// True when a match may end at `end`: not followed by more of the same word.
fn ends_token(chars: &[char], end: usize) -> bool {
    chars
        .get(end)
        .is_none_or(|c| !(c.is_alphanumeric() || *c == '_'))
}

fn email_at(chars: &[char], i: usize) -> Option<usize> {
    let is_local = |c: char| c.is_alphanumeric() || "._%+-".contains(c);
    let is_domain = |c: char| c.is_alphanumeric() || c == '.' || c == '-';
    if !is_local(chars[i]) || chars[i] == '.' || (i > 0 && is_local(chars[i - 1])) {
        return None;
    }
    let at = i + chars[i..].iter().take_while(|c| is_local(**c)).count();
    if chars.get(at) != Some(&'@') {
        return None;
    }
    let mut end = at
        + 1
        + chars[at + 1..]
            .iter()
            .take_while(|c| is_domain(**c))
            .count();
    // "mail a@b.com." ends the sentence, not the domain.
    while end > at + 1 && matches!(chars[end - 1], '.' | '-') {
        end -= 1;
    }
    let domain: String = chars[at + 1..end].iter().collect();
    let labels: Vec<&str> = domain.split('.').collect();
    let tld = labels.last()?;
    let ok = labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty())
        && tld.len() >= 2
        && tld.chars().all(char::is_alphabetic);
    ok.then_some(end)
}

/// Digit groups starting at `i`, split by separators that `sep` accepts (at most two
/// characters long): `(digits, end index)` per group, plus the separators used.
fn digit_groups(
    chars: &[char],
    mut i: usize,
    sep: fn(char) -> bool,
) -> Vec<(usize, usize, String)> {
    let mut groups = Vec::new();
    let mut separator = String::new();
    loop {
        let n = chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            break;
        }
        i += n;
        groups.push((n, i, std::mem::take(&mut separator)));
        let s = chars[i..].iter().take(2).take_while(|c| sep(**c)).count();
        if s == 0 || !chars.get(i + s).is_some_and(char::is_ascii_digit) {
            break;
        }
        separator = chars[i..i + s].iter().collect();
        i += s;
    }
    groups
}

fn card_at(chars: &[char], i: usize) -> Option<usize> {
    if !chars[i].is_ascii_digit() || !starts_token(chars, i) {
        return None;
    }
    let groups = digit_groups(chars, i, |c| c == ' ' || c == '-');
    // Longest plausible prefix first, so a card followed by other numbers still matches.
    (1..=groups.len()).rev().find_map(|k| {
        let g = &groups[..k];
        let end = g[k - 1].1;
        let digits: usize = g.iter().map(|x| x.0).sum();
        let single_seps = g.iter().skip(1).all(|x| x.2.chars().count() == 1);
        let shaped = if k == 1 {
            luhn(&chars[i..end])
        } else {
            g[0].0 == 4 && single_seps && g.iter().all(|x| (3..=6).contains(&x.0))
        };
        ((13..=19).contains(&digits) && shaped && ends_token(chars, end)).then_some(end)
    })
}

fn luhn(digits: &[char]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(pos, d)| match (pos % 2 == 1, d * 2) {
            (true, dd) if dd > 9 => dd - 9,
            (true, dd) => dd,
            (false, _) => d,
        })
        .sum();
    sum.is_multiple_of(10)
}

fn phone_at(chars: &[char], i: usize) -> Option<usize> {
    if !starts_token(chars, i) {
        return None;
    }
    let plus = chars[i] == '+';
    let first = if plus || chars[i] == '(' { i + 1 } else { i };
    if !chars.get(first).is_some_and(char::is_ascii_digit) {
        return None;
    }
    let groups = digit_groups(chars, first, |c| " -.()".contains(c));
    (1..=groups.len()).rev().find_map(|k| {
        let g = &groups[..k];
        let end = g[k - 1].1;
        let digits: usize = g.iter().map(|x| x.0).sum();
        let lens: Vec<usize> = g.iter().map(|x| x.0).collect();
        let shaped = if plus {
            (8..=15).contains(&digits)
        } else if chars[first] == '0' {
            (10..=12).contains(&digits)
                && k >= 2
                && lens[0] >= 3
                && g.iter().all(|x| !x.2.contains('.'))
        } else {
            lens == [3, 3, 4] || (lens == [1, 3, 3, 4] && chars[first] == '1')
        };
        (shaped && ends_token(chars, end)).then_some(end)
    })
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn masks_emails_cards_and_phones() {
        let cases = [
            ("mail jane.doe+x@example.co.uk.", "mail [email]."),
            ("card 4111 1111 1111 1111 ok", "card [card] ok"),
            ("card 4111-1111-1111-1111", "card [card]"),
            ("amex 3782 822463 10005", "amex [card]"),
            ("raw 4111111111111111", "raw [card]"),
            ("call +1 (555) 123-4567 now", "call [phone] now"),
            ("call (555) 123-4567", "call [phone]"),
            ("call 555.123.4567", "call [phone]"),
            ("call +44 20 7946 0958", "call [phone]"),
            ("mobil 0170 1234567", "mobil [phone]"),
        ];
        for (input, want) in cases {
            assert_eq!(redact(input), want, "input {input:?}");
        }
    }

    #[test]
    fn leaves_codes_dates_and_short_numbers() {
        let keep = [
            "error E1234 at 2024-03-01 10:30",
            "datum 01.02.2024, build 1.2.3",
            "host 192.168.100.200 port 8080",
            "order 12345, ticket #98765",
            "HRESULT 0x80070005",
            "timestamp 1700000000001",
            "user@localhost",
            "dates 2024-01-15 2024-01-16",
        ];
        for input in keep {
            assert_eq!(redact(input), input);
        }
    }
}
