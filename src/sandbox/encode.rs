//! Small wire encodings the sandbox needs without pulling in crates: opaque cursors,
//! RFC 3339 timestamps, Base64 (for HTTP Basic auth) and query-string escaping.

use std::time::{SystemTime, UNIX_EPOCH};

/// What a cursor points into; a cursor of one kind is rejected by the others, as
/// Zendesk rejects a cursor taken from another endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CursorKind {
    /// A position in an id-ordered list (views, view tickets, comments): `a` is the key.
    List,
    /// A position in the incremental export: after `(generated_timestamp a, id b)`.
    Export,
}

impl CursorKind {
    fn tag(self) -> char {
        match self {
            CursorKind::List => 'L',
            CursorKind::Export => 'X',
        }
    }
}

/// Encodes a position as an opaque string (hex, so it needs no URL escaping).
pub fn encode_cursor(kind: CursorKind, a: i64, b: u64) -> String {
    let plain = format!("{}{a}.{b}", kind.tag());
    let mut out = String::with_capacity(plain.len() * 2);
    for byte in plain.bytes() {
        // Flipping bits keeps clients from mistaking the cursor for readable data.
        out.push_str(&format!("{:02x}", byte ^ 0x5a));
    }
    out
}

/// The inverse of [`encode_cursor`]; `None` for anything malformed or of another kind.
pub fn decode_cursor(kind: CursorKind, cursor: &str) -> Option<(i64, u64)> {
    if !cursor.len().is_multiple_of(2) || !cursor.is_ascii() {
        return None;
    }
    let bytes = (0..cursor.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&cursor[i..i + 2], 16).map(|b| b ^ 0x5a))
        .collect::<Result<Vec<u8>, _>>()
        .ok()?;
    let plain = String::from_utf8(bytes).ok()?;
    let rest = plain.strip_prefix(kind.tag())?;
    let (a, b) = rest.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The most recent UTC midnight, so that a rerun on the same day sees the same data.
pub fn today_midnight() -> i64 {
    let now = unix_now();
    now - now.rem_euclid(86_400)
}

/// Formats Unix seconds as RFC 3339 UTC (`2026-11-28T10:00:00Z`).
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Decodes standard Base64 (with or without padding); `None` if malformed.
pub fn base64_decode(input: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in input.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// Escapes a query-string component (RFC 3986 unreserved characters pass through).
pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_check_their_kind() {
        let c = encode_cursor(CursorKind::Export, 1_764_000_000, 42);
        assert_eq!(
            decode_cursor(CursorKind::Export, &c),
            Some((1_764_000_000, 42))
        );
        assert_eq!(decode_cursor(CursorKind::List, &c), None);
        assert_eq!(decode_cursor(CursorKind::List, "zz"), None);
        assert_eq!(decode_cursor(CursorKind::List, "abc"), None);
        assert!(c.bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn rfc3339_matches_known_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_860_000), "2026-11-28T10:00:00Z");
    }

    #[test]
    fn base64_decodes_basic_credentials() {
        let got = base64_decode("YUBiLmNvbS90b2tlbjpzM2NyZXQ=").unwrap();
        assert_eq!(got, b"a@b.com/token:s3cret");
        assert_eq!(base64_decode("a*b"), None);
    }

    #[test]
    fn query_escape_escapes_brackets() {
        assert_eq!(query_escape("page[after]"), "page%5Bafter%5D");
    }
}
