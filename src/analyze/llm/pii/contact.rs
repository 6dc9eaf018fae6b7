//! Ways to reach a person: e-mail addresses, phone numbers and IP addresses.

use super::shape::{count_digits, ends_token, Runs};

fn is_local(c: char) -> bool {
    c.is_alphanumeric() || "._%+-".contains(c)
}

fn is_domain(c: char) -> bool {
    c.is_alphanumeric() || c == '.' || c == '-'
}

/// `local@domain.tld`; starts at the first character of the local part.
pub(super) fn email_at(text: &str, i: usize) -> Option<usize> {
    let first = text[i..].chars().next()?;
    if !is_local(first) || first == '.' || text[..i].chars().next_back().is_some_and(is_local) {
        return None;
    }
    let at = text[i..]
        .find(|c| !is_local(c))
        .map_or(text.len(), |n| i + n);
    if text.as_bytes().get(at) != Some(&b'@') {
        return None;
    }
    let domain_start = at + 1;
    let mut end = text[domain_start..]
        .find(|c| !is_domain(c))
        .map_or(text.len(), |n| domain_start + n);
    // "mail a@b.com." ends the sentence, not the domain.
    while end > domain_start && matches!(text.as_bytes()[end - 1], b'.' | b'-') {
        end -= 1;
    }
    let domain = &text[domain_start..end];
    let tld = domain.rsplit('.').next()?;
    let ok = domain.contains('.')
        && domain.split('.').all(|label| !label.is_empty())
        && tld.chars().count() >= 2
        && tld.chars().all(char::is_alphabetic);
    ok.then_some(end)
}

/// A phone number: `+` and 8-15 digits, a North American shape, or a national number
/// with a trunk `0`.
pub(super) fn phone_at(text: &str, i: usize) -> Option<usize> {
    let b = text.as_bytes();
    let plus = b[i] == b'+';
    let first = if plus || b[i] == b'(' { i + 1 } else { i };
    if !b.get(first).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let runs = Runs::scan(b, first, b" -.()", 2);
    let runs = runs.as_slice();
    // An opening parenthesis belongs to the number only around an area code.
    if b[i] == b'(' && b.get(runs[0].end) != Some(&b')') {
        return None;
    }
    (1..=runs.len()).rev().find_map(|k| {
        let groups = &runs[..k];
        let end = groups[k - 1].end;
        let digits = groups[k - 1].digits_through;
        let lens_are = |want: &[usize]| {
            groups.len() == want.len() && groups.iter().zip(want).all(|(g, w)| g.len() == *w)
        };
        let shaped = if plus {
            (8..=15).contains(&digits)
        } else if b[first] == b'0' {
            let dotted = groups
                .windows(2)
                .any(|w| b[w[0].end..w[1].start].contains(&b'.'));
            (10..=12).contains(&digits) && k >= 2 && groups[0].len() >= 3 && !dotted
        } else {
            lens_are(&[3, 3, 4]) || (lens_are(&[1, 3, 3, 4]) && b[first] == b'1')
        };
        (shaped && ends_token(text, end)).then_some(end)
    })
}

/// An IPv4 address: four parts of 1-3 digits, each 0-255.
pub(super) fn ipv4_at(text: &str, i: usize) -> Option<usize> {
    let end = ipv4_end(text.as_bytes(), i)?;
    ends_token(text, end).then_some(end)
}

fn ipv4_end(b: &[u8], i: usize) -> Option<usize> {
    let mut pos = i;
    for part in 0..4 {
        if part > 0 {
            if b.get(pos) != Some(&b'.') {
                return None;
            }
            pos += 1;
        }
        let n = count_digits(b, pos);
        if n == 0 || n > 3 || super::shape::number(&b[pos..pos + n]) > 255 {
            return None;
        }
        pos += n;
    }
    Some(pos)
}

/// An IPv6 address: eight hex groups, or fewer with one `::`, the last two groups
/// optionally written as IPv4. A compressed address needs a decimal digit somewhere
/// (`be::ef` and `a::b` are not addresses in prose).
pub(super) fn ipv6_at(text: &str, i: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut pos = i;
    let mut groups = 0;
    let mut compressed = b[i..].starts_with(b"::");
    if compressed {
        pos += 2;
    }
    while groups < 8 {
        let n = b[pos..]
            .iter()
            .take_while(|c| c.is_ascii_hexdigit())
            .take(5)
            .count();
        if n == 0 {
            break;
        }
        if b.get(pos + n) == Some(&b'.') && b.get(pos + n + 1).is_some_and(u8::is_ascii_digit) {
            // An IPv4 tail ends the address; anything else with a dot is not one.
            pos = ipv4_end(b, pos).filter(|_| groups <= 6)?;
            groups += 2;
            break;
        }
        if n > 4 {
            return None;
        }
        pos += n;
        groups += 1;
        if groups == 8 {
            break;
        }
        if !compressed && b[pos..].starts_with(b"::") {
            compressed = true;
            pos += 2;
        } else if b.get(pos) == Some(&b':') && b.get(pos + 1).is_some_and(u8::is_ascii_hexdigit) {
            pos += 1;
        } else {
            break;
        }
    }
    let complete = if compressed {
        groups <= 7 && b[i..pos].iter().any(u8::is_ascii_digit)
    } else {
        groups == 8
    };
    // A ninth group means this is something else (or nothing) in colon notation.
    let runs_on = b.get(pos) == Some(&b':') && b.get(pos + 1).is_some_and(u8::is_ascii_hexdigit);
    (complete && !runs_on && ends_token(text, pos)).then_some(pos)
}
