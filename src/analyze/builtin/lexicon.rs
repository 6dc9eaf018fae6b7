//! Word lists the analyzer reads at construction: the VADER sentiment lexicon, the
//! VADER emoji lexicon, and the optional user lexicon file.
//!
//! The two VADER files are embedded at compile time from the crate's `data/` folder.
//! They are data from vaderSentiment 3.3.2 (Hutto & Gilbert 2014, MIT licence; the
//! notice is `data/VADER-LICENSE.txt`).
//!
//! The user lexicon is a UTF-8 TSV file, one `term<TAB>valence` per line:
//!
//! ```text
//! # zdpipe user lexicon (columns separated by one TAB)
//! rma<TAB>-0.5
//! escalate<TAB>-1.5
//! works like a charm<TAB>2.5
//! ```
//!
//! `valence` is a number from -4 to 4 (the VADER scale). `#` starts a comment line;
//! blank lines are ignored. A one-word term joins (or overrides) the word lexicon, so
//! every VADER rule (negation, boosters, caps, "but") applies to it. A term of several
//! words is matched as a phrase on word boundaries and adds its valence once per
//! occurrence.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::Path;

use super::BuiltinError;

/// The VADER word lexicon (`token<TAB>mean<TAB>sd<TAB>ratings`).
const VADER_LEXICON: &str = include_str!("../../../data/vader_lexicon.txt");
/// The VADER emoji lexicon (`emoji<TAB>description`).
const EMOJI_LEXICON: &str = include_str!("../../../data/emoji_utf8_lexicon.txt");

/// FNV-1a as a `Hasher`: the maps here are keyed by short words, where SipHash's
/// DoS resistance is not needed and its per-lookup cost is noticeable.
#[derive(Default, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// A `HashMap` with the FNV hasher.
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// The parsed lexicons.
pub(crate) struct Lexicons {
    /// Lowercase word -> valence.
    pub words: FastMap<Box<str>, f64>,
    /// Emoji character -> its English description.
    pub emoji: FastMap<char, Box<str>>,
    /// Whether any emoji key is ASCII (then ASCII-only text still needs the emoji pass).
    pub ascii_emoji: bool,
}

impl Lexicons {
    /// Parses the embedded VADER lexicons.
    pub fn vader() -> Self {
        let mut words = FastMap::default();
        for line in VADER_LEXICON.lines() {
            let mut cols = line.trim().split('\t');
            let (Some(word), Some(value)) = (cols.next(), cols.next()) else {
                continue;
            };
            // The reference looks words up after lowercasing them, so entries with
            // capitals (such as ":D") can never match; lowercasing them here would
            // create matches the reference does not have. Later duplicates win, as
            // they do in the reference's dict.
            if word.chars().any(char::is_uppercase) {
                continue;
            }
            if let Ok(v) = value.parse::<f64>() {
                words.insert(word.into(), v);
            }
        }
        let mut emoji = FastMap::default();
        for line in EMOJI_LEXICON.lines() {
            let mut cols = line.trim().split('\t');
            let (Some(key), Some(desc)) = (cols.next(), cols.next()) else {
                continue;
            };
            // The reference replaces text one character at a time, so only
            // single-character keys can ever match.
            let mut chars = key.chars();
            if let (Some(c), None) = (chars.next(), chars.next()) {
                emoji.insert(c, desc.into());
            }
        }
        let ascii_emoji = emoji.keys().any(char::is_ascii);
        Lexicons {
            words,
            emoji,
            ascii_emoji,
        }
    }
}

/// The entries of a user lexicon file, in file order, terms lowercased.
#[derive(Debug, Default)]
pub(crate) struct UserLexicon {
    /// Single-word terms.
    pub words: Vec<(String, f64)>,
    /// Multi-word terms, words separated by one space.
    pub phrases: Vec<(String, f64)>,
    /// FNV-1a of the file's bytes, for the analyzer fingerprint.
    pub hash: u64,
}

/// What a valid line looks like; every line error repeats it.
const VALID_LINE: &str =
    "expected `term<TAB>valence` with valence a number from -4 to 4 (`#` comments and blank lines are allowed)";

/// Reads and validates a user lexicon file.
pub(crate) fn read_user_lexicon(path: &Path) -> Result<UserLexicon, BuiltinError> {
    let bytes = std::fs::read(path).map_err(|e| BuiltinError::LexiconRead {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let text = String::from_utf8(bytes).map_err(|e| BuiltinError::LexiconRead {
        path: path.to_path_buf(),
        reason: format!("not UTF-8 text ({e})"),
    })?;
    let mut lex = parse_user_lexicon(path, &text)?;
    lex.hash = crate::model::taxonomy::fnv1a(text.as_bytes());
    Ok(lex)
}

/// Parses the text of a user lexicon file; `path` only names the file in errors.
pub(crate) fn parse_user_lexicon(path: &Path, text: &str) -> Result<UserLexicon, BuiltinError> {
    let mut lex = UserLexicon::default();
    for (n, raw) in text.lines().enumerate() {
        // Only the line end is trimmed: a leading TAB means an empty term.
        let line = raw.trim_end();
        if line.trim_start().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let bad = |problem: String| BuiltinError::LexiconLine {
            path: path.to_path_buf(),
            line: n + 1,
            problem,
        };
        let Some((term, value)) = line.split_once('\t') else {
            return Err(bad(format!("no TAB in {line:?}; {VALID_LINE}")));
        };
        let term = term.trim().to_lowercase();
        let value = value.trim();
        if term.is_empty() {
            return Err(bad(format!("empty term; {VALID_LINE}")));
        }
        let valence: f64 = value
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && (-4.0..=4.0).contains(v))
            .ok_or_else(|| bad(format!("bad valence {value:?}; {VALID_LINE}")))?;
        let words: Vec<&str> = term.split_whitespace().collect();
        if words.len() == 1 {
            lex.words.push((term, valence));
        } else {
            lex.phrases.push((words.join(" "), valence));
        }
    }
    Ok(lex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vader_lexicon_parses() {
        let lex = Lexicons::vader();
        assert!(lex.words.len() > 7000);
        assert_eq!(lex.words.get("good"), Some(&1.9));
        assert!(!lex.words.contains_key(":D"));
        assert_eq!(
            lex.emoji.get(&'😁').map(|d| &**d),
            Some("beaming face with smiling eyes")
        );
    }

    #[test]
    fn user_lexicon_splits_words_and_phrases() {
        let text = "# comment\n\nRMA\t-0.5\nworks like a charm\t2.5\n";
        let lex = parse_user_lexicon(Path::new("x.tsv"), text).unwrap();
        assert_eq!(lex.words, vec![("rma".to_string(), -0.5)]);
        assert_eq!(lex.phrases, vec![("works like a charm".to_string(), 2.5)]);
    }

    #[test]
    fn user_lexicon_errors_name_file_line_and_format() {
        for (text, line, what) in [
            ("ok\t1\nbroken line\n", 2, "no TAB"),
            ("great\t9\n", 1, "bad valence \"9\""),
            ("great\tvery\n", 1, "bad valence \"very\""),
            ("\t1\n", 1, "empty term"),
        ] {
            let err = parse_user_lexicon(Path::new("my.tsv"), text)
                .unwrap_err()
                .to_string();
            assert!(err.contains("my.tsv"), "{err}");
            assert!(err.contains(&format!("line {line}")), "{err}");
            assert!(err.contains(what), "{err}");
            assert!(err.contains("from -4 to 4"), "{err}");
            assert!(!err.contains('\n'), "{err}");
        }
    }

    #[test]
    fn missing_file_is_an_error() {
        let err = read_user_lexicon(Path::new("/nonexistent/lex.tsv")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/lex.tsv"));
    }
}
