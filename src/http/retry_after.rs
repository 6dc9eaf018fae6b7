//! How long a server asks to be left alone: `Retry-After` in either of its forms
//! (delay-seconds or an HTTP-date, RFC 9110 §10.2.3), or OpenAI's `retry-after-ms`.
//!
//! A date in the past means "now"; a value that is neither form is ignored, and the
//! caller falls back to its own default or backoff.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{HeaderMap, RETRY_AFTER};

/// The wait the response's headers ask for, if any.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = |name: &str| headers.get(name)?.to_str().ok();
    if let Some(ms) = text("retry-after-ms").and_then(seconds) {
        return Some(ms / 1000);
    }
    parse(text(RETRY_AFTER.as_str())?, SystemTime::now())
}

/// A `Retry-After` value read at `now`.
pub fn parse(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    seconds(value).or_else(|| {
        let at = http_date(value)?;
        Some(at.duration_since(now).unwrap_or_default())
    })
}

/// A non-negative number of seconds (fractions allowed, as some servers send them).
fn seconds(text: &str) -> Option<Duration> {
    let x: f64 = text.trim().parse().ok()?;
    (x.is_finite() && x >= 0.0)
        .then(|| Duration::try_from_secs_f64(x).ok())
        .flatten()
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// An HTTP-date in any of the three forms a recipient must accept:
/// `Sun, 06 Nov 1994 08:49:37 GMT` (IMF-fixdate), `Sunday, 06-Nov-94 08:49:37 GMT`
/// (RFC 850) and `Sun Nov  6 08:49:37 1994` (asctime). All are GMT.
pub fn http_date(text: &str) -> Option<SystemTime> {
    let cleaned = text.replace([',', '-'], " ");
    let mut tokens = cleaned.split_whitespace();
    // The weekday is redundant with the date; only its presence is checked.
    tokens
        .next()
        .filter(|w| w.len() >= 3 && w.chars().all(|c| c.is_ascii_alphabetic()))?;
    let (mut month, mut time, mut numbers) = (None, None, Vec::new());
    for token in tokens {
        if token.contains(':') {
            time = Some(clock(token)?);
        } else if let Ok(n) = token.parse::<u32>() {
            numbers.push((n, token.len()));
        } else if let Some(i) = MONTHS.iter().position(|m| token.eq_ignore_ascii_case(m)) {
            month = Some(i as u32 + 1);
        } else if token != "GMT" {
            return None;
        }
    }
    // Day before year in all three forms.
    let [(day, _), (year, digits)] = numbers[..] else {
        return None;
    };
    let year = match (year, digits) {
        // RFC 850's two-digit years: the nearest century, within 50 years of 2000.
        (y, 2) if y < 70 => 2000 + y,
        (y, 2) => 1900 + y,
        (y, 4) => y,
        _ => return None,
    };
    if !(1..=31).contains(&day) {
        return None;
    }
    let days = days_since_epoch(year as i64, month?, day)?;
    let secs = days.checked_mul(86_400)? + time? as i64;
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).ok()?))
}

/// `hh:mm:ss` as seconds into the day.
fn clock(token: &str) -> Option<u32> {
    let mut parts = token.split(':').map(|p| p.parse::<u32>().ok());
    let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
    (parts.next().is_none() && h < 24 && m < 60 && s <= 60).then_some(h * 3600 + m * 60 + s)
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_since_epoch(year: i64, month: u32, day: u32) -> Option<i64> {
    if !(1..=12).contains(&month) {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let m = month as i64;
    let day_of_year = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some(era * 146_097 + day_of_era - 719_468)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    /// 1994-11-06 08:49:37 UTC, the RFC's example.
    fn example() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(784_111_777)
    }

    #[test]
    fn seconds_form() {
        let now = SystemTime::now();
        assert_eq!(parse("120", now), Some(Duration::from_secs(120)));
        assert_eq!(parse(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(parse("1.5", now), Some(Duration::from_millis(1500)));
        assert_eq!(parse("-3", now), None);
        assert_eq!(parse("soon", now), None);
        assert_eq!(parse("", now), None);
    }

    #[test]
    fn all_three_date_forms() {
        for form in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(http_date(form), Some(example()), "{form}");
        }
        assert_eq!(http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(UNIX_EPOCH));
        assert_eq!(
            http_date("Tue, 29 Feb 2028 23:59:60 GMT"),
            Some(UNIX_EPOCH + Duration::from_secs(1_835_481_600))
        );
    }

    #[test]
    fn dates_become_waits_from_now() {
        let before = example() - Duration::from_secs(30);
        assert_eq!(
            parse("Sun, 06 Nov 1994 08:49:37 GMT", before),
            Some(Duration::from_secs(30))
        );
        let after = example() + Duration::from_secs(30);
        assert_eq!(
            parse("Sun, 06 Nov 1994 08:49:37 GMT", after),
            Some(Duration::ZERO),
            "a date in the past: retry now"
        );
    }

    #[test]
    fn malformed_dates_are_ignored() {
        for bad in [
            "06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:00:00 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sun, 06 Nov 1994 08:49:37 PST",
            "Sun, 06 Nov 199 08:49:37 GMT",
        ] {
            assert_eq!(http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn headers_prefer_milliseconds() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert("retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(250)));
    }
}
