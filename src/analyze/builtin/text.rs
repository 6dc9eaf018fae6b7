//! The word-level view of a ticket shared by the support layer, the classifier and
//! the scales, and the phrase matcher they all use.
//!
//! VADER needs whitespace tokens with their punctuation and case; phrase rules need
//! plain words. [`Doc`] lowercases the text once, splits it into words (letters,
//! digits, `_`, and apostrophes inside a word: "hasn't", "2fa", "0x7b"; hyphens
//! split, so "log-in" is "log in") and gives each word a light stem (a slice of the
//! word with one of `'s`, `ing`, `ed`, `es`, `s`, `e` removed when at least three
//! letters remain), so "charged", "charges" and "charge" all read "charg".
//!
//! [`PhraseSet`] matches many phrases in one pass over the words: phrases are
//! indexed by the stem of their first word, so each word costs one hash lookup. A
//! [`Doc`] hashes each stem and decides each negation once, when it is made, since
//! every phrase set asks the same of every word.
//! A phrase word matches a text word with the same stem, and two placeholders exist:
//! `*` matches any one word ("charged * twice" matches "charged me twice"), `..`
//! matches zero to three words ("rate .. wrong" matches "rate was wrong" and "rate
//! applied was clearly wrong"; the shortest gap that lets the rest match wins) and
//! `NEG` matches a negating word (not, never, no, cannot, any "n't" word and its
//! apostrophe-less spelling such as "couldnt"), so "NEG work" covers "doesn't work",
//! "not working" and "never worked".

use std::cell::Cell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::thread::LocalKey;

use super::lexicon::Fnv;

/// One word of a [`Doc`]: byte offsets into the lowercased text, the hash of its
/// stem and whether it is a negation (every phrase set asks both of every word, so
/// they are worked out once).
#[derive(Clone, Copy)]
struct Word {
    start: u32,
    end: u32,
    stem_end: u32,
    stem_key: u64,
    negates: bool,
}

/// A lowercased text split into words.
pub(crate) struct Doc {
    lower: String,
    words: Vec<Word>,
}

/// The most bytes of text, and words, whose buffers a thread keeps for its next
/// [`Doc`] or VADER pass (a 1 MB message's are let go).
const SPARE_BYTES: usize = 64 * 1024;
const SPARE_WORDS: usize = 8 * 1024;

/// A thread's kept text and list buffers ([`take_spare`], [`keep_spare`]).
pub(crate) type Spare<T> = Cell<(String, Vec<T>)>;

/// The buffers kept in `spare`, emptied, or new ones.
pub(crate) fn take_spare<T>(spare: &'static LocalKey<Spare<T>>) -> (String, Vec<T>) {
    let (mut text, mut list) = spare.try_with(Cell::take).unwrap_or_default();
    text.clear();
    list.clear();
    (text, list)
}

/// Keeps `text` and `list` in `spare` for this thread's next doc or pass, unless
/// they are past [`SPARE_BYTES`] or [`SPARE_WORDS`]. A thread that is ending has no
/// next one to keep them for.
pub(crate) fn keep_spare<T>(
    spare: &'static LocalKey<Spare<T>>,
    text: &mut String,
    list: &mut Vec<T>,
) {
    if text.capacity() <= SPARE_BYTES && list.capacity() <= SPARE_WORDS {
        let kept = (std::mem::take(text), std::mem::take(list));
        let _ = spare.try_with(|cell| cell.set(kept));
    }
}

thread_local! {
    /// The buffers of the last [`Doc`] dropped on this thread, for the next one: a
    /// doc's text and words take two allocations of a few kilobytes, made and freed
    /// for every ticket (with glibc's malloc, too large for its per-thread cache: in
    /// a profiled export a tenth of the analyzer threads' time went to the allocator).
    static SPARE_DOC: Spare<Word> = const { Cell::new((String::new(), Vec::new())) };
}

impl Drop for Doc {
    fn drop(&mut self) {
        keep_spare(&SPARE_DOC, &mut self.lower, &mut self.words);
    }
}

impl Doc {
    pub fn new(text: &str) -> Self {
        let (mut lower, mut words) = take_spare(&SPARE_DOC);
        lowercase_into(text, &mut lower);
        words.reserve(lower.len() / 5 + 1);
        let mut split = Splitter::default();
        if lower.is_ascii() {
            // The common case, a byte at a time (in ASCII, `char::is_alphanumeric` is
            // letters and digits), without decoding UTF-8.
            let bytes = lower.as_bytes();
            let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
            for (i, &b) in bytes.iter().enumerate() {
                let quote = b == b'\'' && bytes.get(i + 1).is_some_and(|&n| is_word(n));
                split.step(&lower, &mut words, i, is_word(b), quote);
            }
        } else {
            let is_word = |c: char| c.is_alphanumeric() || c == '_';
            for (i, c) in lower.char_indices() {
                let quote = c == '\'' && lower[i + 1..].chars().next().is_some_and(is_word);
                split.step(&lower, &mut words, i, is_word(c), quote);
            }
        }
        split.step(&lower, &mut words, lower.len(), false, false);
        Doc { lower, words }
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn word(&self, i: usize) -> &str {
        let w = self.words[i];
        &self.lower[w.start as usize..w.end as usize]
    }

    /// Words `start..start + len` joined by single spaces (a matched phrase as
    /// the text has it), built without a list of the words first.
    pub fn words_text(&self, start: usize, len: usize) -> String {
        let words = &self.words[start..start + len];
        let bytes: usize = words.iter().map(|w| (w.end - w.start) as usize).sum();
        let mut text = String::with_capacity(bytes + len.saturating_sub(1));
        for i in start..start + len {
            if i > start {
                text.push(' ');
            }
            text.push_str(self.word(i));
        }
        text
    }

    pub fn stem(&self, i: usize) -> &str {
        let w = self.words[i];
        &self.lower[w.start as usize..w.stem_end as usize]
    }

    fn stem_key(&self, i: usize) -> u64 {
        self.words[i].stem_key
    }

    /// Whether a sentence ends between words `from` and `to - 1` (a `.`, `!`, `?`,
    /// `;` or line break between them), so a phrase spanning them is no phrase.
    pub fn crosses_sentence(&self, from: usize, to: usize) -> bool {
        if to <= from + 1 {
            return false;
        }
        let (a, b) = (self.words[from].end, self.words[to - 1].start);
        self.lower.as_bytes()[a as usize..b as usize]
            .iter()
            .any(|c| matches!(c, b'.' | b'!' | b'?' | b';' | b'\n'))
    }

    /// Whether word `i` negates what follows it.
    pub fn negates(&self, i: usize) -> bool {
        self.words[i].negates
    }
}

/// Where [`Doc::new`] is in its text: the start of the word it is in, if any.
#[derive(Default)]
struct Splitter {
    start: Option<usize>,
}

impl Splitter {
    /// The character at byte `i`: whether it is a word character, and whether it is
    /// an apostrophe followed by one (part of a word only after another).
    #[inline(always)]
    fn step(&mut self, lower: &str, words: &mut Vec<Word>, i: usize, word_char: bool, quote: bool) {
        if word_char || (quote && self.start.is_some()) {
            self.start.get_or_insert(i);
        } else if let Some(s) = self.start.take() {
            words.push(word(lower, s, i));
        }
    }
}

/// The non-empty pieces of ASCII `text` between bytes for which `sep` holds.
pub(crate) fn ascii_split(text: &str, sep: impl Fn(u8) -> bool) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut pos = 0;
    std::iter::from_fn(move || {
        while pos < bytes.len() && sep(bytes[pos]) {
            pos += 1;
        }
        let start = pos;
        while pos < bytes.len() && !sep(bytes[pos]) {
            pos += 1;
        }
        (pos > start).then(|| &text[start..pos])
    })
}

/// ASCII `t` without the bytes for which `trim` holds at either end.
#[inline]
pub(crate) fn ascii_trim(t: &str, trim: impl Fn(u8) -> bool) -> &str {
    let b = t.as_bytes();
    let (mut start, mut end) = (0, b.len());
    while start < end && trim(b[start]) {
        start += 1;
    }
    while end > start && trim(b[end - 1]) {
        end -= 1;
    }
    &t[start..end]
}

/// `text` lowercased into the empty `lower`, with typographic and back quotes as
/// apostrophes.
fn lowercase_into(text: &str, lower: &mut String) {
    debug_assert!(lower.is_empty(), "lowercased into an empty buffer");
    if text.is_ascii() {
        // The common case, a byte at a time instead of a char at a time.
        lower.push_str(text);
        lower.make_ascii_lowercase();
        if lower.contains('`') {
            // One ASCII byte for another, in the same buffer.
            let mut bytes = std::mem::take(lower).into_bytes();
            for b in bytes.iter_mut().filter(|b| **b == b'`') {
                *b = b'\'';
            }
            *lower = String::from_utf8(bytes).expect("ASCII stays UTF-8");
        }
        return;
    }
    lower.reserve(text.len());
    for c in text.chars() {
        match c {
            '\u{2018}' | '\u{2019}' | '`' => lower.push('\''),
            c if c.is_ascii() => lower.push(c.to_ascii_lowercase()),
            c => lower.extend(c.to_lowercase()),
        }
    }
}

fn word(lower: &str, start: usize, end: usize) -> Word {
    let w = &lower[start..end];
    let stem = stem(w);
    Word {
        start: start as u32,
        end: end as u32,
        stem_end: (start + stem.len()) as u32,
        stem_key: stem_key(stem),
        negates: is_negation(w),
    }
}

/// The hash a [`PhraseSet`] files a stem under (FNV-1a).
fn stem_key(stem: &str) -> u64 {
    let mut h = Fnv::default();
    h.write(stem.as_bytes());
    h.finish()
}

/// Hands a [`stem_key`] on as the hash, so a lookup does not hash the stem again.
#[derive(Default)]
struct StemKeyHasher(u64);

impl Hasher for StemKeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, key: u64) {
        self.0 = key;
    }
}

/// The light stem of a lowercase word (a prefix of it).
pub(crate) fn stem(w: &str) -> &str {
    let w = w.strip_suffix("'s").unwrap_or(w);
    for suffix in ["ing", "ed", "es", "s", "e"] {
        if let Some(s) = w.strip_suffix(suffix) {
            if s.len() >= 3 && !s.ends_with('\'') {
                return s;
            }
        }
    }
    w
}

/// Negating words, as the `NEG` placeholder understands them.
pub(crate) fn is_negation(w: &str) -> bool {
    matches!(
        w,
        "not"
            | "no"
            | "never"
            | "cannot"
            | "cant"
            | "dont"
            | "doesnt"
            | "didnt"
            | "isnt"
            | "wont"
            | "nothing"
            | "nobody"
            | "none"
            | "neither"
            | "nor"
            | "without"
            | "couldnt"
            | "wouldnt"
            | "shouldnt"
            | "wasnt"
            | "werent"
            | "hasnt"
            | "havent"
            | "hadnt"
            | "arent"
            | "aint"
    ) || w.ends_with("n't")
}

/// One word of a phrase pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pat {
    /// A stem and its [`stem_key`], compared first.
    Stem(u64, Box<str>),
    Any,
    Neg,
    /// Zero to [`MAX_GAP`] words.
    Gap,
}

/// The most words a `..` gap skips.
const MAX_GAP: usize = 3;

impl Pat {
    fn matches(&self, doc: &Doc, i: usize) -> bool {
        match self {
            Pat::Stem(key, s) => doc.stem_key(i) == *key && doc.stem(i) == &**s,
            Pat::Any => true,
            Pat::Neg => doc.negates(i),
            Pat::Gap => true,
        }
    }
}

/// Matches `pats` against `doc` from word `i`; returns the index after the match.
/// A gap tries the shortest length first.
fn match_from(pats: &[Pat], doc: &Doc, i: usize) -> Option<usize> {
    match pats.split_first() {
        None => Some(i),
        Some((Pat::Gap, tail)) => (0..=MAX_GAP)
            .take_while(|k| i + k <= doc.len())
            .find_map(|k| match_from(tail, doc, i + k)),
        Some((p, tail)) => {
            if i < doc.len() && p.matches(doc, i) {
                match_from(tail, doc, i + 1)
            } else {
                None
            }
        }
    }
}

/// A phrase and its payload.
struct Entry<T> {
    rest: Box<[Pat]>,
    text: Box<str>,
    value: T,
}

/// A match of a phrase in a [`Doc`].
pub(crate) struct Match<'s, T> {
    /// Index of the first word.
    pub start: usize,
    /// Number of words.
    pub len: usize,
    /// The phrase as written in the rules.
    pub phrase: &'s str,
    pub value: &'s T,
}

/// The phrases whose first word has one stem.
struct SameStem<T> {
    stem: Box<str>,
    entries: Vec<Entry<T>>,
}

/// Many phrases, matched in one pass.
pub(crate) struct PhraseSet<T> {
    /// By [`stem_key`] of the first word; stems whose keys collide share a list.
    by_stem: HashMap<u64, Vec<SameStem<T>>, BuildHasherDefault<StemKeyHasher>>,
    by_neg: Vec<Entry<T>>,
    /// Bit [`first_bit`] of the key of each first stem: a word whose bit is clear
    /// starts no phrase, which this tells without a hash lookup (most words).
    first_bits: [u64; FIRST_BITS / 64],
}

/// The size of [`PhraseSet::first_bits`] (2 KB a set): many times the most first
/// stems a set has, so few words that start no phrase get past it (at 2,048 bits the
/// analyze stage took 14.5 M more instructions per 5,000 tickets).
const FIRST_BITS: usize = 16384;

/// Where the stem key `key` is in [`PhraseSet::first_bits`] (its word, its mask).
fn first_bit(key: u64) -> (usize, u64) {
    let bit = (key >> 32) as usize % FIRST_BITS;
    (bit / 64, 1 << (bit % 64))
}

impl<T> Default for PhraseSet<T> {
    fn default() -> Self {
        PhraseSet {
            by_stem: HashMap::default(),
            by_neg: Vec::new(),
            first_bits: [0; FIRST_BITS / 64],
        }
    }
}

impl<T> PhraseSet<T> {
    /// Adds a phrase (words split as in [`Doc`]; `*`, `..` and `NEG` are
    /// placeholders). A phrase with no words, or starting with `*` or `..`, is
    /// ignored: it could match anywhere.
    pub fn add(&mut self, phrase: &str, value: T) {
        let mut pats: Vec<Pat> = Vec::new();
        for part in phrase.split_whitespace() {
            match part {
                "*" => pats.push(Pat::Any),
                "NEG" => pats.push(Pat::Neg),
                ".." => pats.push(Pat::Gap),
                _ => {
                    let doc = Doc::new(part);
                    pats.extend(
                        (0..doc.len()).map(|i| Pat::Stem(doc.stem_key(i), doc.stem(i).into())),
                    );
                }
            }
        }
        let Some(first) = pats.first().cloned() else {
            return;
        };
        let entry = Entry {
            rest: pats[1..].into(),
            text: phrase.into(),
            value,
        };
        match first {
            Pat::Stem(key, s) => {
                let (word, mask) = first_bit(key);
                self.first_bits[word] |= mask;
                let same = self.by_stem.entry(key).or_default();
                match same.iter_mut().find(|same| same.stem == s) {
                    Some(same) => same.entries.push(entry),
                    None => same.push(SameStem {
                        stem: s,
                        entries: vec![entry],
                    }),
                }
            }
            Pat::Neg => self.by_neg.push(entry),
            Pat::Any | Pat::Gap => {}
        }
    }

    pub fn is_empty(&self) -> bool {
        self.by_stem.is_empty() && self.by_neg.is_empty()
    }

    /// Calls `f` for every match, in text order.
    pub fn for_each_match<'s>(&'s self, doc: &Doc, mut f: impl FnMut(Match<'s, T>)) {
        for i in 0..doc.len() {
            let neg = if doc.negates(i) {
                &self.by_neg[..]
            } else {
                &[]
            };
            let key = doc.stem_key(i);
            let (word, mask) = first_bit(key);
            let by_stem = if self.first_bits[word] & mask == 0 {
                &[][..]
            } else {
                self.by_stem
                    .get(&key)
                    .and_then(|same| same.iter().find(|same| *same.stem == *doc.stem(i)))
                    .map_or(&[][..], |same| &same.entries[..])
            };
            for e in by_stem.iter().chain(neg) {
                // A one-word phrase has matched already, and most longer ones fail
                // on their second word's stem key, both told here without a call.
                let end = match e.rest.first() {
                    None => Some(i + 1),
                    Some(Pat::Stem(key, _))
                        if i + 1 >= doc.len() || doc.stem_key(i + 1) != *key =>
                    {
                        None
                    }
                    Some(_) => match_from(&e.rest, doc, i + 1),
                };
                if let Some(end) = end {
                    f(Match {
                        start: i,
                        len: end - i,
                        phrase: &e.text,
                        value: &e.value,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let d = Doc::new(text);
        (0..d.len()).map(|i| d.word(i).to_string()).collect()
    }

    #[test]
    fn words_keep_inner_apostrophes_and_split_hyphens() {
        assert_eq!(
            words("It hasn’t ARRIVED, log-in 'fails' 2FA!"),
            ["it", "hasn't", "arrived", "log", "in", "fails", "2fa"]
        );
    }

    #[test]
    fn a_doc_made_after_another_has_only_its_own_words() {
        let spare_sized = "x ".repeat(SPARE_BYTES);
        let texts = [
            "Charged TWICE for the same order, and nobody answers my emails",
            "Refund `please`",
            &spare_sized,
            "ok",
        ];
        for text in texts {
            // This thread reuses the buffers of the doc before; a new one has none.
            let fresh = std::thread::scope(|s| s.spawn(|| words(text)).join().unwrap());
            assert_eq!(words(text), fresh);
        }
    }

    #[test]
    fn stems_unify_inflections() {
        for w in ["charge", "charged", "charges", "charging"] {
            assert_eq!(stem(w), "charg", "{w}");
        }
        assert_eq!(stem("was"), "was");
        assert_eq!(stem("gpus"), "gpu");
    }

    #[test]
    fn phrases_match_with_placeholders() {
        let mut set = PhraseSet::default();
        set.add("charged * twice", 1);
        set.add("NEG work", 2);
        set.add("refund", 3);
        let doc = Doc::new("They charged me twice, it doesn't work and no refunds.");
        let mut found = Vec::new();
        set.for_each_match(&doc, |m| {
            found.push((m.phrase.to_string(), *m.value, m.start))
        });
        assert_eq!(
            found,
            [
                ("charged * twice".to_string(), 1, 1),
                ("NEG work".to_string(), 2, 5),
                ("refund".to_string(), 3, 9),
            ]
        );
    }

    #[test]
    fn gaps_skip_up_to_three_words_and_negations_without_apostrophes() {
        let mut set = PhraseSet::default();
        set.add("rate .. wrong", 1);
        set.add("NEG get", 2);
        let hits = |text: &str| {
            let mut found = Vec::new();
            set.for_each_match(&Doc::new(text), |m| found.push((*m.value, m.len)));
            found
        };
        assert_eq!(hits("the rate wrong"), [(1, 2)]);
        assert_eq!(hits("the rate applied was clearly wrong"), [(1, 5)]);
        assert_eq!(hits("the rate applied was very clearly wrong"), []);
        assert_eq!(hits("i couldnt get cash"), [(2, 2)]);
    }
}
