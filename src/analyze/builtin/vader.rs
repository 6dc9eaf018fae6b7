//! A Rust implementation of the VADER sentiment rules, with the exact semantics of
//! the reference Python package vaderSentiment 3.3.2 (Hutto & Gilbert 2014, MIT).
//!
//! VADER sums one valence per token and squashes the sum into a compound score in
//! [-1, 1]. The rules, in the order they apply to a token that is in the lexicon:
//!
//! * **Tokens.** The text is split on whitespace; ASCII punctuation is stripped off
//!   both ends of a token unless that leaves two characters or fewer (so `:)` and
//!   `:-(` survive as emoticons, and "ok!" stays "ok!"). Emoji characters are first
//!   replaced by their description ("😁" reads "beaming face with smiling eyes").
//!   Every token yields one valence (0 when it is not in the lexicon).
//! * **Modifiers carry no valence.** A booster/dampener ("very", "kinda") or the
//!   "kind" of "kind of" scores 0 itself.
//! * **"no".** "no" right before a lexicon word scores 0 and the word after it (up to
//!   three words on, or through "or"/"nor") is flipped: "no good" is negative.
//! * **ALL CAPS.** A capitalised lexicon word gains ±0.733, but only when the text
//!   mixes case ("this is GREAT" is emphasised, "THIS IS GREAT" is not).
//! * **Boosters/dampeners** up to three words before a word add ±0.293 towards its
//!   sign (95 % at distance 2, 90 % at distance 3; ±0.733 more when the booster is in
//!   caps in mixed-case text): "very good" > "good" > "kind of good". Only words not
//!   in the lexicon act as modifiers.
//! * **Negation** by a negating word ("not", "never", "without", any "n't" word...)
//!   one to three words before flips and shrinks the valence (× -0.74): "not good" is
//!   negative. "never so/this good" boosts instead (× 1.25), "without a doubt" is not
//!   a negation.
//! * **Idioms** replace the valence ("the bomb" = 3, "yeah right" = -2, "bus stop" = 0).
//!   The reference also lists sentiment-laden idioms ("under the weather") but never
//!   applies them; neither does this port (the support layer does).
//! * **"least"**: "least good" flips, "at least good" / "very least" do not.
//! * **"but"**: valences before the first "but" are halved, those after it × 1.5.
//! * **Punctuation**: each "!" adds 0.292 (at most 4), and two or three "?" add 0.18
//!   each (four or more add 0.96), towards the sign of the sum.
//! * **Compound** = `sum / sqrt(sum² + 15)`; neg/neu/pos are the shares of negative,
//!   zero and positive token valences.
//!
//! Quirks of the reference that change scores are kept on purpose, because the
//! point of this module is to agree with it: tokens of one character are kept, the
//! "but" rule finds each valence by value (so equal valences can be rescaled twice),
//! a caps word whose valence was zeroed gets -0.733, and "so"/"this" right before a
//! word boosts it whenever a third word back is a modifier candidate.

use std::borrow::Cow;
use std::cell::Cell;

use super::lexicon::{FastMap, Lexicons};
use super::text::{ascii_split, ascii_trim, keep_spare, take_spare, Spare};

const B_INCR: f64 = 0.293;
const B_DECR: f64 = -0.293;
const C_INCR: f64 = 0.733;
const N_SCALAR: f64 = -0.74;

/// Words that negate the lexicon word one to three positions after them.
#[rustfmt::skip]
const NEGATE: [&str; 59] = [
    "aint", "arent", "cannot", "cant", "couldnt", "darent", "didnt", "doesnt", "ain't", "aren't",
    "can't", "couldn't", "daren't", "didn't", "doesn't", "dont", "hadnt", "hasnt", "havent", "isnt",
    "mightnt", "mustnt", "neither", "don't", "hadn't", "hasn't", "haven't", "isn't", "mightn't",
    "mustn't", "neednt", "needn't", "never", "none", "nope", "nor", "not", "nothing", "nowhere",
    "oughtnt", "shant", "shouldnt", "uhuh", "wasnt", "werent", "oughtn't", "shan't", "shouldn't",
    "uh-uh", "wasn't", "weren't", "without", "wont", "wouldnt", "won't", "wouldn't", "rarely",
    "seldom", "despite",
];

/// Single-word degree adverbs. (The reference's multi-word entries "kind of",
/// "sort of", "just enough" only act through [`PAIR_DAMPENERS`].)
#[rustfmt::skip]
const BOOSTERS: [&str; 60] = [
    "absolutely", "amazingly", "awfully", "completely", "considerable", "considerably", "decidedly",
    "deeply", "effing", "enormous", "enormously", "entirely", "especially", "exceptional",
    "exceptionally", "extreme", "extremely", "fabulously", "flipping", "flippin", "frackin",
    "fracking", "fricking", "frickin", "frigging", "friggin", "fully", "fuckin", "fucking",
    "fuggin", "fugging", "greatly", "hella", "highly", "hugely", "incredible", "incredibly",
    "intensely", "major", "majorly", "more", "most", "particularly", "purely", "quite", "really",
    "remarkably", "so", "substantially", "thoroughly", "total", "totally", "tremendous",
    "tremendously", "uber", "unbelievably", "unusually", "utter", "utterly", "very",
];

#[rustfmt::skip]
const DAMPENERS: [&str; 21] = [
    "almost", "barely", "hardly", "kinda", "kindof", "kind-of", "less", "little", "marginal",
    "marginally", "occasional", "occasionally", "partly", "scarce", "scarcely", "slight",
    "slightly", "somewhat", "sorta", "sortof", "sort-of",
];

/// Two-word dampeners, checked three words before a lexicon word.
const PAIR_DAMPENERS: [[&str; 2]; 3] = [["just", "enough"], ["kind", "of"], ["sort", "of"]];

/// Idioms whose valence replaces the word's own.
const SPECIAL_CASES: [(&[&str], f64); 8] = [
    (&["the", "shit"], 3.0),
    (&["the", "bomb"], 3.0),
    (&["bad", "ass"], 1.5),
    (&["bus", "stop"], 0.0),
    (&["yeah", "right"], -2.0),
    (&["kiss", "of", "death"], -1.5),
    (&["to", "die", "for"], 3.0),
    (&["beating", "heart"], 3.5),
];

/// VADER's output: shares of negative, neutral and positive valence (rounded to 3
/// decimals) and the compound score in [-1, 1] (rounded to 4), as the reference.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PolarityScores {
    pub neg: f64,
    pub neu: f64,
    pub pos: f64,
    pub compound: f64,
}

/// What a word does besides (or instead of) carrying valence.
#[derive(Clone, Copy, Default)]
struct Modifier {
    booster: f64,
    negates: bool,
}

/// One whitespace token as VADER sees it.
#[derive(Clone, Copy)]
pub(crate) struct Token {
    /// Byte range of the lowercased token in [`Pass::lower`].
    start: u32,
    end: u32,
    upper: bool,
    lex: Option<f64>,
    booster: f64,
    negates: bool,
}

/// The tokens of one text and their valences after every VADER rule.
pub(crate) struct Pass {
    lower: String,
    tokens: Vec<Token>,
    /// One valence per token.
    pub valences: Vec<f64>,
    /// The "!"/"?" emphasis of the whole text (always >= 0).
    pub punct: f64,
}

thread_local! {
    /// The buffers of the last [`Pass`] dropped on this thread, for the next one (as
    /// a `Doc`'s: `text::keep_spare`).
    static SPARE_PASS: Spare<Token> = const { Cell::new((String::new(), Vec::new())) };
}

impl Drop for Pass {
    fn drop(&mut self) {
        keep_spare(&SPARE_PASS, &mut self.lower, &mut self.tokens);
    }
}

impl Pass {
    /// The lowercased token `i`.
    pub fn word(&self, i: usize) -> &str {
        let t = &self.tokens[i];
        &self.lower[t.start as usize..t.end as usize]
    }

    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether token `i` is a negating word ("not", "never", "can't"...).
    pub fn negates(&self, i: usize) -> bool {
        self.tokens[i].negates
    }
}

/// What the tables say of one lowercase word: its valence, if the lexicon has it,
/// and what it does to its neighbours.
#[derive(Clone, Copy, Default)]
struct WordInfo {
    lex: Option<f64>,
    modifier: Modifier,
}

/// The VADER scorer: lexicons and modifier tables, built once.
pub(crate) struct Vader {
    /// Emoji character -> its English description.
    emoji: FastMap<char, Box<str>>,
    /// Whether any emoji key is ASCII (then ASCII-only text still needs the emoji pass).
    ascii_emoji: bool,
    /// The word lexicon and the modifier tables in one map, so that a token is
    /// looked up once.
    words: FastMap<Box<str>, WordInfo>,
}

impl Vader {
    pub fn new(lex: Lexicons) -> Self {
        let mut words: FastMap<Box<str>, WordInfo> = lex
            .words
            .into_iter()
            .map(|(w, v)| {
                let info = WordInfo {
                    lex: Some(v),
                    ..WordInfo::default()
                };
                (w, info)
            })
            .collect();
        for w in BOOSTERS {
            words.entry((*w).into()).or_default().modifier.booster = B_INCR;
        }
        for w in DAMPENERS {
            words.entry((*w).into()).or_default().modifier.booster = B_DECR;
        }
        for w in NEGATE {
            words.entry((*w).into()).or_default().modifier.negates = true;
        }
        Vader {
            emoji: lex.emoji,
            ascii_emoji: lex.ascii_emoji,
            words,
        }
    }

    /// Tokenizes `text` and applies every per-token rule and the "but" rule.
    pub fn pass(&self, text: &str) -> Pass {
        let text = self.translate_emoji(text);
        let (mut lower, mut tokens) = take_spare(&SPARE_PASS);
        lower.reserve(text.len());
        tokens.reserve(text.len() / 5 + 1);
        // ASCII text (the common case) is split a byte at a time: the same tokens as
        // the char split, without decoding UTF-8.
        if text.is_ascii() {
            let raws = ascii_split(&text, |b| PY_SPACE_BYTES[usize::from(b)]);
            self.tokenize::<true>(raws, &mut lower, &mut tokens);
        } else {
            self.tokenize::<false>(text.split(is_py_space), &mut lower, &mut tokens);
        }
        let mut pass = Pass {
            lower,
            tokens,
            valences: Vec::new(),
            punct: punctuation_emphasis(&text),
        };
        let n = pass.tokens.len();
        let caps = pass.tokens.iter().filter(|t| t.upper).count();
        let cap_diff = caps > 0 && caps < n;
        // Room for the few valences the support layer adds, without a reallocation.
        let mut valences = Vec::with_capacity(n + 8);
        valences.extend((0..n).map(|i| valence(&pass, i, cap_diff)));
        pass.valences = valences;
        if let Some(bi) = (0..n).find(|&i| pass.word(i) == "but") {
            but_rule(&mut pass.valences, bi);
        }
        pass
    }

    /// Appends the tokens of the whitespace pieces `raws` to `tokens`, their
    /// lowercased text to `lower`. `ASCII` says every piece is ASCII, which spares
    /// asking it of each token.
    fn tokenize<'t, const ASCII: bool>(
        &self,
        raws: impl Iterator<Item = &'t str>,
        lower: &mut String,
        tokens: &mut Vec<Token>,
    ) {
        for raw in raws.filter(|t| !t.is_empty()) {
            let stripped = if ASCII || raw.is_ascii() {
                ascii_trim(raw, |b| b.is_ascii_punctuation())
            } else {
                raw.trim_matches(|c: char| c.is_ascii_punctuation())
            };
            // Stripping that leaves <= 2 characters was probably an emoticon.
            let short = if ASCII {
                stripped.len() <= 2
            } else {
                stripped.chars().nth(2).is_none()
            };
            let tok = if short { raw } else { stripped };
            let tok_ascii = ASCII || tok.is_ascii();
            let start = lower.len();
            if tok_ascii {
                lower.push_str(tok);
                lower[start..].make_ascii_lowercase();
            } else {
                lower.push_str(&tok.to_lowercase());
            }
            let w = &lower[start..];
            let info = self.words.get(w).copied().unwrap_or_default();
            tokens.push(Token {
                start: start as u32,
                end: lower.len() as u32,
                upper: if tok_ascii {
                    ascii_isupper(tok)
                } else {
                    py_isupper(tok)
                },
                lex: info.lex,
                booster: info.modifier.booster,
                negates: info.modifier.negates || contains_nt(w),
            });
        }
    }

    /// The plain VADER scores of `text`.
    #[cfg(test)]
    pub fn polarity(&self, text: &str) -> PolarityScores {
        let pass = self.pass(text);
        score(&pass.valences, pass.punct)
    }

    /// Replaces each emoji character by its description, as the reference does
    /// (a space before it unless one is there; none after it).
    fn translate_emoji<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let emoji = &self.emoji;
        // Fast path: without ASCII emoji keys, ASCII text has nothing to translate.
        if !self.ascii_emoji && text.is_ascii() {
            return Cow::Borrowed(text);
        }
        let hit = |c: &char| (!c.is_ascii() || self.ascii_emoji) && emoji.contains_key(c);
        if !text.chars().any(|c| hit(&c)) {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len() + 32);
        let mut prev_space = true;
        for c in text.chars() {
            match emoji.get(&c).filter(|_| hit(&c)) {
                Some(desc) => {
                    if !prev_space {
                        out.push(' ');
                    }
                    out.push_str(desc);
                    prev_space = false;
                }
                None => {
                    out.push(c);
                    prev_space = c == ' ';
                }
            }
        }
        Cow::Owned(out)
    }
}

/// Whether a word holds "n't" (a byte scan: words are short, and a substring search
/// costs more to set up than this).
fn contains_nt(w: &str) -> bool {
    w.as_bytes().windows(3).any(|x| x == b"n't")
}

/// Python's `str.isspace` set, which `str.split()` splits on: Rust's whitespace
/// plus the ASCII information separators.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// [`is_py_space`] of each ASCII byte, looked up instead of compared when splitting
/// ASCII text (in ASCII, `char::is_whitespace` is `\t`..=`\r` and the space).
const PY_SPACE_BYTES: [bool; 128] = {
    let mut table = [false; 128];
    let mut b = 0;
    while b < 128 {
        table[b] = matches!(b as u8, b'\t'..=b'\r' | b' ' | 0x1c..=0x1f);
        b += 1;
    }
    table
};

/// Python's `str.isupper`: at least one cased character and no lowercase one.
fn py_isupper(s: &str) -> bool {
    let mut cased = false;
    for c in s.chars() {
        if c.is_lowercase() {
            return false;
        }
        cased |= c.is_uppercase();
    }
    cased
}

/// [`py_isupper`] of an ASCII string, a byte at a time (in ASCII only `A`-`Z` are
/// uppercase and only `a`-`z` lowercase).
fn ascii_isupper(s: &str) -> bool {
    let b = s.as_bytes();
    !b.iter().any(u8::is_ascii_lowercase) && b.iter().any(u8::is_ascii_uppercase)
}

/// The valence of token `i` after the per-token rules.
fn valence(p: &Pass, i: usize, cap_diff: bool) -> f64 {
    let t = &p.tokens[i];
    let next = |k: usize| (i + k < p.len()).then(|| p.word(i + k));
    if t.booster != 0.0 || (p.word(i) == "kind" && next(1) == Some("of")) {
        return 0.0;
    }
    let Some(base) = t.lex else {
        return 0.0;
    };
    let back = |k: usize| (i >= k).then(|| p.word(i - k));
    let mut v = base;
    // "no" before another lexicon word is a determiner, not a sentiment.
    if p.word(i) == "no" && i + 1 < p.len() && p.tokens[i + 1].lex.is_some() {
        v = 0.0;
    }
    if back(1) == Some("no")
        || back(2) == Some("no")
        || (back(3) == Some("no") && matches!(back(1), Some("or" | "nor")))
    {
        v = base * N_SCALAR;
    }
    if t.upper && cap_diff {
        v += if v > 0.0 { C_INCR } else { -C_INCR };
    }
    for d in 1..=3 {
        if i < d || p.tokens[i - d].lex.is_some() {
            continue;
        }
        let m = &p.tokens[i - d];
        if m.booster != 0.0 {
            let mut s = if v < 0.0 { -m.booster } else { m.booster };
            if m.upper && cap_diff {
                s += if v > 0.0 { C_INCR } else { -C_INCR };
            }
            v += s * [1.0, 0.95, 0.9][d - 1];
        }
        v = negation(p, i, d, v);
        if d == 3 {
            v = idioms(p, i, v);
        }
    }
    // "least X" flips X, except in "at least" and "very least".
    if back(1) == Some("least")
        && p.tokens[i - 1].lex.is_none()
        && (i == 1 || !matches!(back(2), Some("at" | "very")))
    {
        v *= N_SCALAR;
    }
    v
}

/// The negation rule for the word `d` positions before token `i`.
fn negation(p: &Pass, i: usize, d: usize, v: f64) -> f64 {
    let w = |k: usize| p.word(i - k);
    let so_this = |k: usize| matches!(w(k), "so" | "this");
    match d {
        1 if p.negates(i - 1) => v * N_SCALAR,
        2 if w(2) == "never" && so_this(1) => v * 1.25,
        2 if w(2) == "without" && w(1) == "doubt" => v,
        2 if p.negates(i - 2) => v * N_SCALAR,
        3 if (w(3) == "never" && so_this(2)) || so_this(1) => v * 1.25,
        3 if w(3) == "without" && (w(2) == "doubt" || w(1) == "doubt") => v,
        3 if p.negates(i - 3) => v * N_SCALAR,
        _ => v,
    }
}

/// The idiom rule (only reached for tokens with three words before them).
fn idioms(p: &Pass, i: usize, mut v: f64) -> f64 {
    let n = p.len();
    // Fast path: every idiom and two-word dampener checked below starts at one of
    // the words `i - 3 ..= i`, so when none of them can start one, nothing applies
    // (most words; comparing against every idiom costs far more).
    if !(i - 3..=i).any(|k| starts_idiom(p.word(k))) {
        return v;
    }
    // Whether the words from `from` to `to` (inclusive) are `words`, word by word.
    let is_seq = |from: usize, to: usize, words: &[&str]| {
        words.len() == to - from + 1
            && words
                .iter()
                .enumerate()
                .all(|(k, w)| p.word(from + k) == *w)
    };
    let special = |from: usize, to: usize| {
        SPECIAL_CASES
            .iter()
            .find(|(words, _)| is_seq(from, to, words))
            .map(|&(_, val)| val)
    };
    // Word pairs and triples ending at or just before the word; the first hit wins.
    let before = [
        (i - 1, i),
        (i - 2, i),
        (i - 2, i - 1),
        (i - 3, i - 1),
        (i - 3, i - 2),
    ];
    if let Some(val) = before.iter().find_map(|&(a, b)| special(a, b)) {
        v = val;
    }
    // Pairs and triples starting at the word override.
    if i + 1 < n {
        if let Some(val) = special(i, i + 1) {
            v = val;
        }
    }
    if i + 2 < n {
        if let Some(val) = special(i, i + 2) {
            v = val;
        }
    }
    for (a, b) in [(i - 3, i - 2), (i - 2, i - 1)] {
        if PAIR_DAMPENERS.iter().any(|pair| is_seq(a, b, pair)) {
            v += B_DECR;
        }
    }
    v
}

/// Whether `w` is the first word of a [`SPECIAL_CASES`] idiom or a
/// [`PAIR_DAMPENERS`] pair.
/// (A `match`, which compiles to a few length and byte compares; the
/// `idiom_starts_cover_the_tables` test keeps it in step with the tables.)
fn starts_idiom(w: &str) -> bool {
    matches!(
        w,
        "the" | "bad" | "bus" | "yeah" | "kiss" | "to" | "beating" | "just" | "kind" | "sort"
    )
}

/// "but": halves what comes before the first "but" and boosts what follows by 1.5.
/// The reference locates each valence by value (`list.index`), so the first equal
/// valence is the one rescaled; zeros are unaffected either way and are skipped.
fn but_rule(vals: &mut [f64], bi: usize) {
    for k in 0..vals.len() {
        let s = vals[k];
        if s == 0.0 {
            continue;
        }
        let si = vals.iter().position(|&x| x == s).unwrap_or(k);
        if si < bi {
            vals[si] = s * 0.5;
        } else if si > bi {
            vals[si] = s * 1.5;
        }
    }
}

/// Emphasis from "!" (0.292 each, at most 4) and "?" (from two on).
fn punctuation_emphasis(text: &str) -> f64 {
    // Two counting passes, which the compiler turns into wide byte compares.
    let ep = text.bytes().filter(|&b| b == b'!').count();
    let qm = text.bytes().filter(|&b| b == b'?').count();
    let q = match qm {
        0 | 1 => 0.0,
        2 | 3 => qm as f64 * 0.18,
        _ => 0.96,
    };
    ep.min(4) as f64 * 0.292 + q
}

/// Turns token valences (plus the text's punctuation emphasis) into scores.
pub(crate) fn score(valences: &[f64], punct: f64) -> PolarityScores {
    if valences.is_empty() {
        return PolarityScores::default();
    }
    let mut sum: f64 = valences.iter().fold(0.0, |a, v| a + v);
    if sum > 0.0 {
        sum += punct;
    } else if sum < 0.0 {
        sum -= punct;
    }
    let compound = (sum / (sum * sum + 15.0).sqrt()).clamp(-1.0, 1.0);
    // Non-zero valences count one more than their size, to weigh against the
    // neutral words, which count 1 each.
    let (mut pos, mut neg, mut neu) = (0.0, 0.0, 0.0);
    for &v in valences {
        if v > 0.0 {
            pos += v + 1.0;
        } else if v < 0.0 {
            neg += v - 1.0;
        } else {
            neu += 1.0;
        }
    }
    if pos > neg.abs() {
        pos += punct;
    } else if pos < neg.abs() {
        neg -= punct;
    }
    let total = pos + neg.abs() + neu;
    PolarityScores {
        neg: round(neg.abs() / total, 3),
        neu: round(neu / total, 3),
        pos: round(pos.abs() / total, 3),
        compound: round(compound, 4),
    }
}

/// Rounds like Python's `round(x, digits)`: correctly rounded from the exact binary
/// value, which is what Rust's fixed-precision formatting does.
fn round(x: f64, digits: usize) -> f64 {
    // Fast path: scaled up, `x` is clearly nearer one whole number than the next
    // (|x| <= 1 here, so the product is off by far less than the 1e-6 margin), so
    // the digits are that number's; dividing it by the (exact) power of ten gives
    // the f64 nearest those digits, which is what parsing them gives. Near a half,
    // where the product's own rounding could decide, the digits are formatted.
    if x.abs() <= 1.0 && digits <= 6 {
        let scale = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6][digits];
        let scaled = x * scale;
        if ((scaled - scaled.trunc()).abs() - 0.5).abs() > 1e-6 {
            return scaled.round() / scale;
        }
    }
    format!("{x:.digits$}").parse().unwrap_or(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compound(text: &str) -> f64 {
        Vader::new(Lexicons::vader()).polarity(text).compound
    }

    #[test]
    fn a_pass_made_after_another_scores_as_a_first_one() {
        let vader = Vader::new(Lexicons::vader());
        let texts = [
            "The support was GREAT, but the refund never came :(",
            "not bad",
            "Terrible!!! 😡",
            "",
        ];
        for text in texts {
            // This thread reuses the buffers of the pass before; a new one has none.
            let fresh = std::thread::scope(|s| s.spawn(|| vader.polarity(text)).join().unwrap());
            assert_eq!(vader.polarity(text), fresh, "{text}");
        }
    }

    /// Expected values come from running vaderSentiment 3.3.2 on the same text.
    #[test]
    fn rules_match_the_reference() {
        for (text, want) in [
            ("The book was good.", 0.4404),
            ("The book was not good.", -0.3412),
            ("The book was very good.", 0.4927),
            ("The book was VERY GOOD.", 0.6867),
            ("The book was good, but the ending was bad.", -0.5859),
            ("The book was good!!!", 0.5826),
            ("Is the book good??", 0.504),
            ("The book was kind of good.", 0.3832),
            ("At least it isn't a horrible book.", 0.431),
            ("It was the least good book.", -0.3412),
            ("Sentiment analysis has never been this good!", 0.5672),
            ("Without a doubt, an excellent idea.", 0.7013),
            ("That movie was the bomb", 0.6124),
            ("No good", -0.3412),
            ("Catch utf-8 emoji such as 💘 and 😁", 0.802),
            ("Today SUX!", -0.5461),
            ("yeah right, great idea", 0.743),
        ] {
            assert_eq!(compound(text), want, "{text}");
        }
    }

    #[test]
    fn fast_rounding_agrees_with_formatting() {
        let slow = |x: f64, digits: usize| format!("{x:.digits$}").parse().unwrap_or(x);
        let mut x = -1.0f64;
        while x <= 1.0 {
            for digits in [3, 4] {
                let (fast, want) = (round(x, digits), slow(x, digits));
                assert_eq!(fast.to_bits(), want.to_bits(), "{x} to {digits}");
            }
            x += 0.000_013_7;
        }
        for x in [
            0.0, -0.0, 0.0625, -0.0625, 0.00005, 0.12345, 1.0, -1.0, 0.9999_5,
        ] {
            for digits in [3, 4] {
                assert_eq!(round(x, digits).to_bits(), slow(x, digits).to_bits(), "{x}");
            }
        }
    }

    #[test]
    fn space_table_is_python_whitespace() {
        for b in 0..128u8 {
            assert_eq!(
                PY_SPACE_BYTES[usize::from(b)],
                is_py_space(char::from(b)),
                "{b}"
            );
        }
    }

    #[test]
    fn idiom_starts_cover_the_tables() {
        for (words, _) in SPECIAL_CASES {
            assert!(starts_idiom(words[0]), "{words:?}");
        }
        for pair in PAIR_DAMPENERS {
            assert!(starts_idiom(pair[0]), "{pair:?}");
        }
    }

    #[test]
    fn empty_and_neutral_text() {
        assert_eq!(
            Vader::new(Lexicons::vader()).polarity(""),
            PolarityScores::default()
        );
        let p = Vader::new(Lexicons::vader()).polarity("The order was shipped on Monday");
        assert_eq!((p.compound, p.neu), (0.0, 1.0));
    }
}
