//! Writing the kept lines out: runs of blank lines become one blank line, runs of
//! machine output and fenced code blocks become `[log]`, long URLs `[url]` and
//! e-mail addresses `[email]`, each counted in [`Markers`].

use super::logs::is_log_line;
use super::scan::{is_blank, starts_with_ci};
use super::{Cleaned, Markers};

/// A run of at least this many machine lines is collapsed; two lines ("ERROR: disk
/// full" and the next) are short enough to be read as they are.
const MIN_LOG_LINES: usize = 3;
/// URLs longer than this (bytes) are collapsed; shorter ones such as
/// `https://status.example.com` name something the customer talks about.
const LONG_URL: usize = 40;

const URL_MARKER: &str = "[url]";
const EMAIL_MARKER: &str = "[email]";
const LOG_MARKER: &str = "[log]";

/// The cleaned text of `lines`.
pub(super) fn render(lines: &[&str], capacity: usize) -> Cleaned {
    let mut out = Output {
        text: String::with_capacity(capacity),
        markers: Markers::default(),
        blank_pending: false,
    };
    let mut i = 0;
    while i < lines.len() {
        if let Some(len) = fenced_block_len(lines, i) {
            out.log_block(len);
            i += len;
            continue;
        }
        let run = log_run(lines, i);
        if run.log_lines >= MIN_LOG_LINES {
            out.log_block(run.len);
            i += run.len;
            continue;
        }
        let end = i + run.len.max(1);
        for line in &lines[i..end] {
            out.line(line);
        }
        i = end;
    }
    Cleaned {
        text: out.text,
        markers: out.markers,
    }
}

/// A block between two ``` lines (or to the end when it is never closed).
fn fenced_block_len(lines: &[&str], i: usize) -> Option<usize> {
    let is_fence = |l: &&str| l.trim_start().starts_with("```");
    if !is_fence(&lines[i]) {
        return None;
    }
    let close = lines[i + 1..].iter().position(is_fence);
    Some(close.map_or(lines.len() - i, |c| c + 2))
}

struct LogRun {
    /// Lines in the run, including indented source lines between frames.
    len: usize,
    log_lines: usize,
}

/// The machine lines starting at `i`. One indented line between two machine lines
/// belongs to the run: Python prints the source line under each frame.
fn log_run(lines: &[&str], i: usize) -> LogRun {
    let (mut j, mut log_lines) = (i, 0);
    while j < lines.len() {
        if is_log_line(lines[j]) {
            log_lines += 1;
        } else {
            let indented = lines[j].starts_with([' ', '\t']) && !is_blank(lines[j]);
            if !(log_lines > 0 && indented && lines.get(j + 1).is_some_and(|l| is_log_line(l))) {
                break;
            }
        }
        j += 1;
    }
    LogRun {
        len: j - i,
        log_lines,
    }
}

struct Output {
    text: String,
    markers: Markers,
    /// A blank line was seen since the last written line.
    blank_pending: bool,
}

impl Output {
    fn line(&mut self, line: &str) {
        if is_blank(line) {
            self.blank_pending = !self.text.is_empty();
            return;
        }
        self.start_line();
        self.write_collapsed(line);
    }

    fn log_block(&mut self, lines: usize) {
        self.start_line();
        self.text.push_str(LOG_MARKER);
        self.markers.log_blocks += 1;
        self.markers.log_lines += lines as u32;
    }

    fn start_line(&mut self) {
        if !self.text.is_empty() {
            self.text.push('\n');
            if self.blank_pending {
                self.text.push('\n');
            }
        }
        self.blank_pending = false;
    }

    fn write_collapsed(&mut self, line: &str) {
        if !may_hold_address(line) {
            self.text.push_str(line);
            return;
        }
        let mut rest = line;
        while let Some(found) = next_address(rest) {
            self.text.push_str(&rest[..found.start]);
            match found.kind {
                AddressKind::Url => {
                    self.text.push_str(URL_MARKER);
                    self.markers.urls += 1;
                }
                AddressKind::Email => {
                    self.text.push_str(EMAIL_MARKER);
                    self.markers.emails += 1;
                }
            }
            rest = &rest[found.end..];
        }
        self.text.push_str(rest);
    }
}

/// Whether the line holds `@`, `://` or `www.` at all: most lines do not, and are
/// copied as they are.
fn may_hold_address(line: &str) -> bool {
    // Vector searches for the few bytes that can start one, instead of a look at
    // every byte.
    let b = line.as_bytes();
    memchr::memchr3_iter(b'@', b':', b'w', b).any(|i| match b[i] {
        b'@' => true,
        b':' => b[i + 1..].starts_with(b"//"),
        _ => b[i + 1..].starts_with(b"ww."),
    }) || memchr::memchr_iter(b'W', b).any(|i| b[i + 1..].starts_with(b"WW."))
}

#[derive(Clone, Copy)]
enum AddressKind {
    Url,
    Email,
}

/// A URL or e-mail address to collapse: byte range in the searched text.
struct Address {
    start: usize,
    end: usize,
    kind: AddressKind,
}

/// The first long URL or e-mail address in `s`.
fn next_address(s: &str) -> Option<Address> {
    let bytes = s.as_bytes();
    let mut pos = 0;
    while pos < bytes.len() {
        while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        let start = pos;
        while pos < bytes.len() && !bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if let Some(found) = address_in_word(&s[start..pos]) {
            return Some(Address {
                start: start + found.start,
                end: start + found.end,
                kind: found.kind,
            });
        }
    }
    None
}

const URL_SCHEMES: &[&str] = &["http", "https", "ftp", "sftp"];

/// A long URL or an e-mail address inside one whitespace-separated word, with the
/// angle brackets around it.
fn address_in_word(word: &str) -> Option<Address> {
    let url_start = match word.find("://") {
        Some(sep) => {
            let scheme_start = word[..sep]
                .rfind(|c: char| !c.is_ascii_alphabetic())
                .map_or(0, |p| p + 1);
            URL_SCHEMES
                .iter()
                .any(|s| word[scheme_start..sep].eq_ignore_ascii_case(s))
                .then_some(scheme_start)
        }
        None => {
            let lead = word.len() - word.trim_start_matches(['(', '<', '"', '\'', '[']).len();
            starts_with_ci(&word[lead..], "www.").then_some(lead)
        }
    };
    if let Some(start) = url_start {
        let end = url_end(word, start);
        return (end - start > LONG_URL).then(|| bracketed(word, start, end, AddressKind::Url));
    }
    let at = word.find('@')?;
    email_around(word, at)
}

/// Where a URL starting at `start` ends: before trailing punctuation, and before a
/// closing parenthesis it did not open.
fn url_end(word: &str, start: usize) -> usize {
    let url = &word[start..];
    let opens_parens = url.contains('(');
    let trimmed = url.trim_end_matches(|c: char| {
        matches!(
            c,
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '"' | ']' | '>' | '}'
        ) || (c == ')' && !opens_parens)
    });
    start + trimmed.len()
}

/// The address `start..end` of `word`, widened over `<...>` around it.
fn bracketed(word: &str, start: usize, end: usize, kind: AddressKind) -> Address {
    let b = word.as_bytes();
    let wrapped = start > 0 && b[start - 1] == b'<' && b.get(end) == Some(&b'>');
    if wrapped {
        Address {
            start: start - 1,
            end: end + 1,
            kind,
        }
    } else {
        Address { start, end, kind }
    }
}

/// The e-mail address around the `@` at `at` (with a `mailto:` before it), if the
/// word holds one: a local part, a dotted domain and a top-level domain of letters.
fn email_around(word: &str, at: usize) -> Option<Address> {
    let b = word.as_bytes();
    let is_local =
        |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-');
    let is_domain = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-');
    let mut start = at;
    while start > 0 && is_local(b[start - 1]) {
        start -= 1;
    }
    let mut end = at + 1;
    while end < b.len() && is_domain(b[end]) {
        end += 1;
    }
    while end > at + 1 && matches!(b[end - 1], b'.' | b'-') {
        end -= 1;
    }
    let domain = &word[at + 1..end];
    let tld = domain.rsplit('.').next().unwrap_or("");
    let valid = start < at
        && domain.contains('.')
        && !domain.starts_with('.')
        && tld.len() >= 2
        && tld.bytes().all(|c| c.is_ascii_alphabetic());
    if !valid {
        return None;
    }
    if word[..start].ends_with("mailto:") {
        start -= "mailto:".len();
    }
    Some(bracketed(word, start, end, AddressKind::Email))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collapse(line: &str) -> (String, Markers) {
        let cleaned = render(&[line], line.len());
        (cleaned.text, cleaned.markers)
    }

    proptest::proptest! {
        /// The vector search finds what four plain searches find.
        #[test]
        fn may_hold_address_is_four_searches(line in "[a@:/.wW ]{0,24}") {
            let plain = ["@", "://", "www.", "WWW."].iter().any(|p| line.contains(p));
            proptest::prop_assert_eq!(may_hold_address(&line), plain);
        }
    }

    #[test]
    fn long_urls_and_addresses() {
        let (text, markers) = collapse(
            "See <https://portal.example.com/orders/4411/tracking?carrier=dhl&ref=abc>, or mail jane.doe+orders@example.co.uk.",
        );
        assert_eq!(text, "See [url], or mail [email].");
        assert_eq!((markers.urls, markers.emails), (1, 1));
        let (text, _) =
            collapse("Status page https://status.example.com says all green; ping @jane");
        assert_eq!(
            text,
            "Status page https://status.example.com says all green; ping @jane"
        );
        let (text, _) = collapse("(www.example.com/very/long/path/to/the/firmware/download/page)");
        assert_eq!(text, "([url])");
        let (text, _) = collapse("write to <mailto:billing@example.com>, not a@b");
        assert_eq!(text, "write to [email], not a@b");
    }
}
