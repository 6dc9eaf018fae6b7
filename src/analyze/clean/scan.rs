//! Small byte-level helpers shared by the cleaning rules: ASCII case-insensitive
//! prefix, suffix and substring tests, and word-shape checks.
//!
//! The phrase tables are written in lowercase; comparing bytes with
//! `eq_ignore_ascii_case` folds ASCII letters and compares everything else exactly,
//! so "Grüße" matches "grüße" and "GRÜSSE" does not. Mail clients write their fixed
//! phrases in one spelling, so that is enough and costs no allocation.

/// Whether `s` starts with `prefix`, ASCII case folded.
pub(super) fn starts_with_ci(s: &str, prefix: &str) -> bool {
    let (s, prefix) = (s.as_bytes(), prefix.as_bytes());
    // The first byte rejects almost every candidate of a phrase table.
    match (s.first(), prefix.first()) {
        (_, None) => true,
        (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => {
            s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix)
        }
        _ => false,
    }
}

/// Whether `s` ends with `suffix`, ASCII case folded.
pub(super) fn ends_with_ci(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len()
        && s.as_bytes()[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// Whether `s` contains `needle` (lowercase), ASCII case folded.
pub(super) fn contains_ci(s: &str, needle: &str) -> bool {
    let (hay, pat) = (s.as_bytes(), needle.as_bytes());
    if pat.is_empty() {
        return true;
    }
    let first = pat[0];
    hay.len() >= pat.len()
        && (0..=hay.len() - pat.len()).any(|i| {
            hay[i].to_ascii_lowercase() == first && hay[i..i + pat.len()].eq_ignore_ascii_case(pat)
        })
}

/// Whether `s` equals one of `phrases` (lowercase), ASCII case folded.
pub(super) fn is_one_of(s: &str, phrases: &[&str]) -> bool {
    phrases.iter().any(|p| s.eq_ignore_ascii_case(p))
}

/// Whether `s` starts with one of `prefixes` (lowercase), ASCII case folded.
pub(super) fn starts_with_any(s: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|p| starts_with_ci(s, p))
}

/// Bit `c - 'a'` for each letter `c` that starts a phrase of `lists` (every phrase
/// starts with a lowercase ASCII letter), for [`starts_with_letter_of`].
pub(super) const fn first_letters(lists: &[&[&str]]) -> u32 {
    let mut mask = 0u32;
    let mut l = 0;
    while l < lists.len() {
        let mut i = 0;
        while i < lists[l].len() {
            let first = lists[l][i].as_bytes()[0];
            assert!(first.is_ascii_lowercase(), "a phrase starts with a-z");
            mask |= 1 << (first - b'a');
            i += 1;
        }
        l += 1;
    }
    mask
}

/// Whether `s` starts with an ASCII letter of `mask` ([`first_letters`]), either
/// case: a line that does not starts none of those phrases, told by one bit.
pub(super) fn starts_with_letter_of(s: &str, mask: u32) -> bool {
    s.as_bytes().first().is_some_and(|b| {
        b.is_ascii_alphabetic() && mask & (1 << (b.to_ascii_lowercase() - b'a')) != 0
    })
}

/// Whether a line holds nothing but whitespace.
pub(super) fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// The first whitespace-separated word of `s` (empty for a blank `s`).
pub(super) fn first_word(s: &str) -> &str {
    // Every line meets this several times, so an ASCII word is found a byte at a
    // time; a non-ASCII byte next to it, which may be Unicode whitespace, takes the
    // general path.
    let b = s.as_bytes();
    let space = |c: u8| matches!(c, b'\t'..=b'\r' | b' ');
    let start = b.iter().position(|&c| !space(c)).unwrap_or(b.len());
    let end = b[start..]
        .iter()
        .position(|&c| space(c) || !c.is_ascii())
        .map_or(b.len(), |len| start + len);
    if b.get(start).is_some_and(|c| !c.is_ascii()) || b.get(end).is_some_and(|c| !c.is_ascii()) {
        return s.split_whitespace().next().unwrap_or("");
    }
    &s[start..end]
}

/// Whether every byte of `s` is an ASCII digit (and there is at least one).
pub(super) fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Whether the word starts with an uppercase letter (any script).
pub(super) fn is_capitalized(word: &str) -> bool {
    word.chars().next().is_some_and(char::is_uppercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The byte path finds the word Unicode's whitespace split finds.
        #[test]
        fn first_word_is_the_first_of_split_whitespace(
            s in "[a:\t\n\u{0b}\u{0c}\r \u{a0}\u{2003}é]{0,12}"
        ) {
            proptest::prop_assert_eq!(first_word(&s), s.split_whitespace().next().unwrap_or(""));
        }
    }

    #[test]
    fn case_folding_is_ascii_only() {
        assert!(starts_with_ci(
            "Mit freundlichen Grüßen",
            "mit freundlichen"
        ));
        assert!(ends_with_ci("Jane WROTE:", "wrote:"));
        assert!(contains_ci(
            "Please TYPE your reply above",
            "type your reply"
        ));
        assert!(!contains_ci("short", "much longer needle"));
        assert!(is_one_of("Grüße", &["grüße"]));
        assert!(!is_one_of("GRÜSSE", &["grüße"]));
    }
}
