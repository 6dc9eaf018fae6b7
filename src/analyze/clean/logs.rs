//! Which lines were pasted from a machine: log lines, stack frames, hex dumps and
//! tool output. A run of them is collapsed to `[log]` by the renderer.
//!
//! A line is machine output when it
//! * is a stack frame or a trace heading: `at com.example.Pool.get(Pool.java:42)`,
//!   `File "/app/sync.py", line 42, in main`, `#0  0x00007f3a in memcpy ()`,
//!   `  12: std::panicking::begin_panic`, `Traceback (most recent call last):`,
//!   `Caused by: ...`, `... 12 more`, `java.lang.IllegalStateException: ...`;
//! * starts with a time stamp with seconds (`2024-06-03 10:15:02`, `Jun  3 10:15:02`,
//!   `[2024-06-03T10:15:02Z]`, `10:15:02.123`), a kernel stamp (`[  12.345678]`) or
//!   a PCI address (`01:00.0`), unless it is a chat line (`(10:15:02 AM) Jane Doe:
//!   hi`): a name of one to four capitalized words and a colon after the stamp;
//! * starts with a level (`ERROR`, `WARN`, `[error]`...);
//! * is a hex dump row, a table rule or row (`+-----+`, `| 0  NVIDIA ... |`, three
//!   `|` and a digit), a JSON object, three or more `key=value` pairs, or a row of
//!   six or more columns of which at least 60% hold digits (smartctl, lsblk).
//!
//! A date without a time ("2024-06-03: ordered") and a time without seconds
//! ("10:15 called you again") are the customer's own timeline and stay.

use super::scan::{all_digits, first_word, is_capitalized, starts_with_any};

/// Whether `line` looks like machine output.
pub(super) fn is_log_line(line: &str) -> bool {
    let t = line.trim();
    if t.len() < 4 {
        return false;
    }
    let counts = ByteCounts::of(t);
    is_stack_frame(t)
        || is_trace_heading(t)
        || (counts.digits > 0 && starts_with_stamp(t) && !is_chat_line(t))
        || starts_with_level(t)
        || is_tabular(t, &counts)
        || is_structured(t, &counts)
}

/// Byte counts of the start of a line, taken in one pass so the checks that need a
/// word-by-word look run only on lines that could pass them (prose has few digits,
/// `|` or `=`). Tool output shows its shape within its first [`COUNTED_BYTES`].
struct ByteCounts {
    digits: usize,
    letters: usize,
    pipes: usize,
    equals: usize,
}

const COUNTED_BYTES: usize = 160;
const _: () = assert!(COUNTED_BYTES < 256, "ByteCounts sums bytes in a u8");

impl ByteCounts {
    fn of(t: &str) -> Self {
        // Byte-wide sums (at most COUNTED_BYTES < 256 each) let the compiler count
        // sixteen bytes per vector step instead of two.
        let (mut digits, mut letters, mut pipes, mut equals) = (0u8, 0u8, 0u8, 0u8);
        for &b in &t.as_bytes()[..t.len().min(COUNTED_BYTES)] {
            digits += u8::from(b.is_ascii_digit());
            letters += u8::from(b.is_ascii_alphabetic());
            pipes += u8::from(b == b'|');
            equals += u8::from(b == b'=');
        }
        ByteCounts {
            digits: digits.into(),
            letters: letters.into(),
            pipes: pipes.into(),
            equals: equals.into(),
        }
    }
}

fn is_stack_frame(t: &str) -> bool {
    if let Some(rest) = t.strip_prefix("at ") {
        let target = first_word(rest.strip_prefix("async ").unwrap_or(rest));
        return target.contains(['.', '/', '<', '\\'])
            && (t.ends_with(')')
                || t.contains(":line ")
                || t.ends_with(|c: char| c.is_ascii_digit()));
    }
    if t.starts_with("File \"") {
        return t.contains("\", line ");
    }
    if let Some(rest) = t.strip_prefix('#') {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let after = rest[digits..].trim_start();
        return digits > 0
            && (after.starts_with("0x") || after.contains(" in ") || after.contains(" at "));
    }
    if t.starts_with("...") && t.ends_with("more") {
        return true;
    }
    let word = first_word(t);
    match word.strip_suffix(':') {
        Some(number) if all_digits(number) => {
            let after = t[word.len()..].trim_start();
            after.starts_with("0x") || after.contains("::")
        }
        _ => has_source_location(word),
    }
}

/// A word such as `/app/main.go:12` or `index.js:10:5`: a file with an extension and
/// a line number.
fn has_source_location(word: &str) -> bool {
    let Some(colon) = word.find(':') else {
        return false;
    };
    let (file, position) = (&word[..colon], &word[colon + 1..]);
    file.contains('.')
        && !file.contains("//")
        && position
            .split(':')
            .all(|p| all_digits(p.trim_end_matches([')', ','])))
}

const TRACE_HEADINGS: &[&str] = &[
    "traceback (most recent call last)",
    "caused by:",
    "exception in thread",
    "goroutine ",
    "stack trace:",
    "stacktrace:",
    "backtrace:",
    "stack backtrace:",
    "call trace:",
    "--- end of",
    "kernel panic",
    "panic: ",
];

fn is_trace_heading(t: &str) -> bool {
    if starts_with_any(t, TRACE_HEADINGS)
        || (t.starts_with("thread '") && t.contains("panicked at"))
    {
        return true;
    }
    let word = first_word(t).trim_end_matches(':');
    let Some(stem) = word
        .strip_suffix("Exception")
        .or_else(|| word.strip_suffix("Error"))
    else {
        return false;
    };
    !stem.is_empty()
        && stem
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'$'))
        && (stem.contains('.') || is_capitalized(stem))
}

const MONTHS: &[&str] = &[
    "jan ", "feb ", "mar ", "apr ", "may ", "jun ", "jul ", "aug ", "sep ", "oct ", "nov ", "dec ",
];

/// A time stamp with seconds among the first three words, a kernel stamp or a PCI
/// address first.
fn starts_with_stamp(t: &str) -> bool {
    let body = t.trim_start_matches(['[', '(']).trim_start();
    let Some(&first) = body.as_bytes().first() else {
        return false;
    };
    if (t.starts_with('[') && is_kernel_stamp(body)) || is_pci_address(first_word(body)) {
        return true;
    }
    let glog = matches!(first, b'I' | b'W' | b'E' | b'F')
        && body.as_bytes().get(1).is_some_and(u8::is_ascii_digit);
    (first.is_ascii_digit() || glog || starts_with_any(body, MONTHS))
        && body.split_whitespace().take(3).any(has_time_with_seconds)
}

/// `12.345678]` after the `[` of a kernel log line.
fn is_kernel_stamp(body: &str) -> bool {
    let stamp = body.split(']').next().unwrap_or("");
    stamp.len() < body.len()
        && stamp
            .split_once('.')
            .is_some_and(|(secs, frac)| all_digits(secs) && all_digits(frac))
}

/// `01:00.0` or `0000:3b:00.1`.
fn is_pci_address(word: &str) -> bool {
    let Some((bus, function)) = word.split_once('.') else {
        return false;
    };
    function.len() == 1
        && all_digits(function)
        && bus.split(':').count() >= 2
        && bus
            .split(':')
            .all(|p| p.len() >= 2 && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether `word` holds `h:mm:ss` or `hh:mm:ss` (after a date and `T`, or alone).
fn has_time_with_seconds(word: &str) -> bool {
    let b = word.as_bytes();
    (0..b.len()).any(|i| {
        let digit = |k: usize| b.get(i + k).is_some_and(u8::is_ascii_digit);
        let colon = |k: usize| b.get(i + k) == Some(&b':');
        let starts_number = i == 0 || !b[i - 1].is_ascii_digit();
        starts_number && digit(0) && {
            let h = if digit(1) { 2 } else { 1 };
            colon(h) && digit(h + 1) && digit(h + 2) && colon(h + 3) && digit(h + 4) && digit(h + 5)
        }
    })
}

/// After a time stamp, one to four capitalized words and a colon: a chat message.
fn is_chat_line(t: &str) -> bool {
    let rest = match t.as_bytes()[0] {
        b'(' | b'[' => t.find([')', ']']).map_or("", |end| &t[end + 1..]),
        _ => {
            let mut rest = t;
            for _ in 0..3 {
                let word = first_word(rest);
                if !word.bytes().any(|b| b.is_ascii_digit()) && !is_one_of_meridiem(word) {
                    break;
                }
                rest = rest.trim_start()[word.len()..].trim_start();
            }
            rest
        }
    };
    let Some((name, _)) = rest.trim_start().split_once(": ") else {
        return false;
    };
    let words = name.split_whitespace().count();
    (1..=4).contains(&words)
        && name.len() <= 40
        && !name.contains(['=', '[', '/'])
        && name
            .split_whitespace()
            .all(|w| is_capitalized(w.trim_start_matches('(')) || all_digits(w))
        && !is_level(first_word(name))
}

fn is_one_of_meridiem(word: &str) -> bool {
    matches!(word, "AM" | "PM" | "am" | "pm" | "UTC" | "GMT")
}

const LEVELS: &[&str] = &[
    "INFO", "WARN", "WARNING", "ERROR", "ERR", "DEBUG", "TRACE", "FATAL", "CRITICAL", "CRIT",
    "NOTICE", "SEVERE", "ALERT", "EMERG", "PANIC",
];

fn is_level(word: &str) -> bool {
    LEVELS.contains(&word.trim_matches(['[', ']', ':', '<', '>']))
}

fn starts_with_level(t: &str) -> bool {
    let word = first_word(t);
    let bracketed = word.starts_with('[') && word.ends_with(']');
    let bare = word.trim_matches(['[', ']', ':', '<', '>']);
    LEVELS.contains(&bare) || (bracketed && LEVELS.iter().any(|l| l.eq_ignore_ascii_case(bare)))
}

/// Table rules and rows, hex dumps and column output.
fn is_tabular(t: &str, counts: &ByteCounts) -> bool {
    if t.len() >= 8
        && t.bytes()
            .all(|b| matches!(b, b'+' | b'-' | b'=' | b'|' | b'_' | b':' | b' '))
    {
        return t.bytes().filter(|&b| b == b'-' || b == b'=').count() >= 5;
    }
    if t.starts_with('|') && t.ends_with('|') && t.len() > 2 {
        return true;
    }
    if is_column_header(t) {
        return true;
    }
    if counts.pipes >= 3 && counts.digits > 0 {
        return true;
    }
    // Column output is at least as much digits as a quarter of its letters.
    if counts.digits < 4 || 4 * counts.digits < counts.letters {
        return false;
    }
    let (mut words, mut numeric, mut hex) = (0, 0, 0);
    for word in t.split_whitespace() {
        words += 1;
        if word.bytes().any(|b| b.is_ascii_digit()) || word == "-" {
            numeric += 1;
        }
        if (2..=8).contains(&word.len()) && word.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex += 1;
        }
    }
    (words >= 6 && 10 * numeric >= 6 * words) || (words >= 5 && hex + 1 >= words && numeric > 0)
}

/// The header of column output (`ID# ATTRIBUTE_NAME   FLAG   VALUE`, `NAME
/// MAJ:MIN RM SIZE`): four or more uppercase words aligned with runs of spaces. The
/// alignment tells it from a shouted sentence.
fn is_column_header(t: &str) -> bool {
    // The word test first: it fails on the first word of a prose line.
    t.split_whitespace().all(|w| {
        w.bytes().any(|b| b.is_ascii_uppercase())
            && w.bytes().all(|b| {
                b.is_ascii_uppercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'_' | b'#' | b'%' | b':' | b'-' | b'/' | b'.')
            })
    }) && t.split_whitespace().count() >= 4
        && t.contains("   ")
}

/// A JSON object on one line or three `key=value` pairs (logfmt).
fn is_structured(t: &str, counts: &ByteCounts) -> bool {
    if t.starts_with('{') && t.contains("\":") {
        return true;
    }
    counts.equals >= 3
        && t.split_whitespace()
            .filter(|w| {
                w.split_once('=').is_some_and(|(k, v)| {
                    !k.is_empty()
                        && !v.is_empty()
                        && k.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
                })
            })
            .take(3)
            .count()
            == 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_lines() {
        for line in [
            "\tat com.example.pool.Pool.get(Pool.java:42)",
            "    at Object.<anonymous> (/app/index.js:10:5)",
            "  File \"/app/sync.py\", line 42, in main",
            "#0  0x00007f3a2b1c in memcpy () from /lib/libc.so.6",
            "  12: std::panicking::begin_panic",
            "Traceback (most recent call last):",
            "java.lang.IllegalStateException: Connection pool shut down",
            "requests.exceptions.HTTPError: 502 Server Error",
            "2024-06-03 10:15:02,123 ERROR [pool-1] Timeout",
            "Jun  3 10:15:02 gpu-node-07 kernel: NVRM: Xid 79",
            "[2024-06-03T10:15:02Z] sync failed",
            "[   12.345678] nvme nvme0: I/O 12 QID 3 timeout",
            "01:00.0 VGA compatible controller: NVIDIA Corporation GA102",
            "E0603 10:15:02.123456 1234 main.go:12] dial failed",
            "ERROR: disk quota exceeded",
            "[error] upstream timed out",
            "+-----------------------------------------+",
            "|   0  NVIDIA A100-SXM4-80GB  On   | 00000000:07:00.0 Off |",
            "   1 | 06/03/2024 | 10:15:02 | Temperature #0x30 | Upper Critical | Asserted",
            "  5 Reallocated_Sector_Ct   0x0033   100   100   010    Pre-fail  Always   -   0",
            "00000010: 4865 6c6c 6f20 776f 726c 6420",
            "ID# ATTRIBUTE_NAME          FLAG     VALUE WORST THRESH",
            "NAME        MAJ:MIN RM   SIZE RO TYPE MOUNTPOINTS",
            "level=error ts=2024-06-03 msg=\"dial failed\" host=db1",
            "{\"level\":\"error\",\"msg\":\"timeout\"}",
        ] {
            assert!(is_log_line(line), "{line}");
        }
    }

    #[test]
    fn human_lines() {
        for line in [
            "(10:15:02 AM) Jane Doe: hi, my GPU server won't boot",
            "[10:16:40] Alex (Support): Could you send the serial number?",
            "10:15:02 Visitor 48213: hello?",
            "2024-06-03: ordered the card",
            "10:15 called you again, nobody picked up",
            "at the moment (sadly) nothing works",
            "I have 2 servers with 4 GPUs each and 8 drives total",
            "Error: I cannot log in since Monday",
            "2x RTX 4090 24GB",
            "Jane Doe | Senior Buyer | Example GmbH",
            "WHY IS THIS STILL NOT FIXED",
        ] {
            assert!(!is_log_line(line), "{line}");
        }
    }
}
