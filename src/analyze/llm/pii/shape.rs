//! Scanning pieces the matchers share: token boundaries, fixed layouts of character
//! groups, runs of digit groups, labels in front of a number and the Luhn check.
//!
//! Everything works on byte indices into the original `&str` and borrows from it;
//! nothing allocates.

/// Separators after which a digit continues the number before it (`1.2`, `10:30`).
const NUMBER_JOINERS: &[char] = &['.', ',', '-', '/', ':'];

/// True when a match may start at byte `i` (an ASCII character): not inside a word or
/// a number. `last_match_end` lets a match follow a previous one across a joiner
/// (`10.0.0.1-10.0.0.9`), since the digit before the joiner has been masked.
pub(super) fn starts_token(text: &str, i: usize, last_match_end: Option<usize>) -> bool {
    let mut before = text[..i].chars().rev();
    match before.next() {
        None => true,
        Some(c) if c.is_alphanumeric() || matches!(c, '_' | '@' | '+') => false,
        Some(c) if NUMBER_JOINERS.contains(&c) => {
            last_match_end == Some(i - 1) || !before.next().is_some_and(|c| c.is_ascii_digit())
        }
        Some(_) => true,
    }
}

/// True when a match may end at byte `end`: not followed by more of the same word, nor
/// by a decimal part (`12345678.90` is an amount, `1.2.3.4.5` a version).
pub(super) fn ends_token(text: &str, end: usize) -> bool {
    let mut after = text[end..].chars();
    match after.next() {
        None => true,
        Some(c) if c.is_alphanumeric() || c == '_' => false,
        Some('.') => !after.next().is_some_and(|c| c.is_ascii_digit()),
        Some(_) => true,
    }
}

/// A fixed layout: groups of exactly these many ASCII letters or digits, separated by
/// one byte out of `seps` (the same byte throughout).
pub(super) struct Layout {
    pub lens: &'static [usize],
    pub seps: &'static [u8],
}

/// Reads the first of `layouts` that fits at `i`, copying its letters and digits
/// (without separators) into `out`, which must be as long as each layout's total.
/// Returns the end of the match.
pub(super) fn read_layouts(
    text: &str,
    i: usize,
    layouts: &[Layout],
    out: &mut [u8],
) -> Option<usize> {
    layouts.iter().find_map(|l| read_layout(text, i, l, out))
}

fn read_layout(text: &str, i: usize, layout: &Layout, out: &mut [u8]) -> Option<usize> {
    let b = text.as_bytes();
    let mut pos = i;
    let mut filled = 0;
    let mut sep = None;
    for (k, &len) in layout.lens.iter().enumerate() {
        if k > 0 {
            let s = *b.get(pos)?;
            if !layout.seps.contains(&s) || sep.is_some_and(|used| used != s) {
                return None;
            }
            sep = Some(s);
            pos += 1;
        }
        let group = b.get(pos..pos + len)?;
        if !group.iter().all(u8::is_ascii_alphanumeric) {
            return None;
        }
        out.get_mut(filled..filled + len)?.copy_from_slice(group);
        filled += len;
        pos += len;
    }
    // `123 45 6789 12` or `1234.56.789-0` is the front of a longer number.
    let continues = sep.is_some_and(|s| {
        matches!(b.get(pos), Some(&c) if c == s || c == b'-')
            && b.get(pos + 1).is_some_and(u8::is_ascii_digit)
    });
    (filled == out.len() && ends_token(text, pos) && !continues).then_some(pos)
}

/// At most this many digit groups are looked at; a 15-digit phone written one digit
/// at a time still fits.
pub(super) const MAX_RUNS: usize = 16;

/// A run of ASCII digits: `start..end` in the text.
#[derive(Clone, Copy, Default)]
pub(super) struct Run {
    pub start: usize,
    pub end: usize,
    /// Digits in this run and all runs before it.
    pub digits_through: usize,
}

impl Run {
    pub fn len(&self) -> usize {
        self.end - self.start
    }
}

/// Digit runs starting at `i`, each separated from the next by 1..=`max_sep` bytes out
/// of `seps`.
pub(super) struct Runs {
    runs: [Run; MAX_RUNS],
    count: usize,
}

impl Runs {
    pub fn scan(b: &[u8], mut i: usize, seps: &[u8], max_sep: usize) -> Runs {
        let mut runs = Runs {
            runs: [Run::default(); MAX_RUNS],
            count: 0,
        };
        while runs.count < MAX_RUNS {
            let n = count_digits(b, i);
            if n == 0 {
                break;
            }
            let digits_before = runs.as_slice().last().map_or(0, |r| r.digits_through);
            runs.runs[runs.count] = Run {
                start: i,
                end: i + n,
                digits_through: digits_before + n,
            };
            runs.count += 1;
            i += n;
            let s = b[i..]
                .iter()
                .take(max_sep)
                .take_while(|c| seps.contains(c))
                .count();
            if s == 0 || !b.get(i + s).is_some_and(u8::is_ascii_digit) {
                break;
            }
            i += s;
        }
        runs
    }

    pub fn as_slice(&self) -> &[Run] {
        &self.runs[..self.count]
    }
}

/// The number of ASCII digits from `i` on.
pub(super) fn count_digits(b: &[u8], i: usize) -> usize {
    b.get(i..).map_or(0, |rest| {
        rest.iter().take_while(|c| c.is_ascii_digit()).count()
    })
}

/// The value of a short run of ASCII digits (callers check they are digits).
pub(super) fn number(digits: &[u8]) -> u64 {
    digits
        .iter()
        .fold(0, |acc, c| acc * 10 + u64::from(c.wrapping_sub(b'0')))
}

pub(super) fn all_digits(chars: &[u8]) -> bool {
    chars.iter().all(u8::is_ascii_digit)
}

/// True when the digits (any other bytes skipped) pass the Luhn check.
pub(super) fn luhn(chars: &[u8]) -> bool {
    let sum: u32 = chars
        .iter()
        .rev()
        .filter(|c| c.is_ascii_digit())
        .enumerate()
        .map(|(pos, c)| {
            let d = u32::from(c - b'0');
            match (pos % 2 == 1, d * 2) {
                (true, dd) if dd > 9 => dd - 9,
                (true, dd) => dd,
                (false, _) => d,
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// How far back a label may stand before the number it names.
const LABEL_WINDOW: usize = 24;

/// True when one of `labels` (lower case) stands as a word before byte `i` on the
/// same line, within [`LABEL_WINDOW`] bytes and with no digit in between.
pub(super) fn labelled(text: &str, i: usize, labels: &[&str]) -> bool {
    let b = text.as_bytes();
    let start = i.saturating_sub(LABEL_WINDOW);
    let from = b[start..i]
        .iter()
        .rposition(|c| *c == b'\n' || c.is_ascii_digit())
        .map_or(start, |p| start + p + 1);
    let window = &b[from..i];
    labels.iter().any(|label| {
        window.windows(label.len()).enumerate().any(|(k, w)| {
            let at = from + k;
            w.eq_ignore_ascii_case(label.as_bytes())
                && (at == 0 || !b[at - 1].is_ascii_alphanumeric())
        })
    })
}
