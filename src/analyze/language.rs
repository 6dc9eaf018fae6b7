//! The language a ticket is written in, as an ISO 639-1 code (`en`, `de`, `fr`...),
//! empty when unsure.
//!
//! Detection uses the `whatlang` crate (trigram profiles of 69 languages, no model
//! files, no network) on the text the analyzer reads: the subject and the message,
//! cut to the first [`DETECT_BYTES`] bytes. Those few hundred characters decide the
//! language as well as the whole message does (measured on the team's labeled
//! support set: the same accuracy at 400 bytes as at 1,000) and keep the cost of a
//! detection to a few microseconds, so the built-in analyzer keeps its throughput.
//! Frequent little words settle most texts before the trigram model runs: English
//! ones for English, and for German, French, Spanish, Dutch, Portuguese and Italian
//! a clear majority of that language's own.
//!
//! **Unsure is empty.** A text with fewer than [`MIN_LETTERS`] letters ("ok",
//! "Danke!", a bare order number) is too short to tell, and a detection whose
//! `whatlang` confidence is below [`MIN_CONFIDENCE`] is a guess between close
//! languages; both give `""`. The threshold is low on purpose: `whatlang` reports a
//! confidence near zero for many short but plainly English or Dutch messages whose
//! top language is still right (on the labeled support set the top language is
//! right for every message; a cut at 0.1 loses 3 of 335, at 0.5 it loses 12).
//!
//! What a language means for the analyzers: the built-in analyzer's word lists are
//! English, so a ticket in another language gets sentiment from language-neutral
//! signals only (see `builtin`); the LLM analyzers are told the language.

use whatlang::Lang;

/// How much of the text detection reads (cut back to a character boundary).
pub const DETECT_BYTES: usize = 400;
/// Fewer letters than this: too short to tell, the language is empty.
pub const MIN_LETTERS: usize = 12;
/// Below this `whatlang` confidence the language is empty.
pub const MIN_CONFIDENCE: f64 = 0.1;
/// The language the built-in analyzer's word lists are written in.
pub const ENGLISH: &str = "en";

/// The ISO 639-1 code of the language `text` is written in, or `""` when unsure.
pub fn detect(text: &str) -> &'static str {
    let mut end = text.len().min(DETECT_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let head = &text[..end];
    // Counting stops at MIN_LETTERS: only whether there are that many matters.
    if head
        .chars()
        .filter(|c| c.is_alphabetic())
        .take(MIN_LETTERS)
        .count()
        < MIN_LETTERS
    {
        return "";
    }
    let counts = FunctionWordCounts::of(head);
    if counts.has_function_words(ENGLISH, ENGLISH_PERCENT) {
        return ENGLISH;
    }
    if let Some(code) = counts.dominant_listed_language() {
        return code;
    }
    let Some(info) = whatlang::detect(head).filter(|i| i.confidence() >= MIN_CONFIDENCE) else {
        return "";
    };
    let code = iso_639_1(info.lang());
    // English is what an unsure text is read as anyway; any other verdict must be
    // confirmed by the language's own little words, or be near certain.
    let confirmed = if code == ENGLISH {
        true
    } else if FUNCTION_WORD_LANGUAGES.contains(&code) {
        counts.has_function_words(code, FOREIGN_PERCENT)
    } else {
        info.confidence() >= UNLISTED_CONFIDENCE
    };
    if confirmed {
        code
    } else {
        ""
    }
}

/// The languages with a list of function words ([`function_words`]).
const FUNCTION_WORD_LANGUAGES: [&str; 7] = ["en", "de", "fr", "es", "nl", "pt", "it"];
/// The share of words, in percent, that must be English function words for a text
/// to read as English whatever the trigrams say.
const ENGLISH_PERCENT: usize = 20;
/// The share that confirms a trigram verdict for a listed language other than English.
const FOREIGN_PERCENT: usize = 10;
/// The `whatlang` confidence a language without a word list needs.
const UNLISTED_CONFIDENCE: f64 = 0.9;

/// How many words a text's head has, and how many of them are function words of
/// each listed language: one pass over the words serves every question
/// [`detect`] asks about them.
struct FunctionWordCounts {
    words: usize,
    /// Indexed like [`FUNCTION_WORD_LANGUAGES`].
    hits: [usize; FUNCTION_WORD_LANGUAGES.len()],
}

impl FunctionWordCounts {
    fn of(head: &str) -> Self {
        let mut counts = FunctionWordCounts {
            words: 0,
            hits: [0; FUNCTION_WORD_LANGUAGES.len()],
        };
        let table = function_word_table();
        let mut count = |key: Option<u64>| {
            counts.words += 1;
            let languages = key.map_or(0, |key| table.languages(key));
            for (i, hits) in counts.hits.iter_mut().enumerate() {
                *hits += usize::from(languages & (1 << i) != 0);
            }
        };
        if head.is_ascii() {
            for_each_ascii_key(head.as_bytes(), count);
        } else {
            words(head).for_each(|word| count(word_key(word)));
        }
        counts
    }

    /// Whether at least two words, and `percent` of all words, are function words of
    /// `code`. Trigram profiles alone call one short English message in ten something
    /// else ("I'm still waiting for my card." -> Norwegian, "Damn, we just lost power."
    /// -> German); the little words of a language settle it.
    fn has_function_words(&self, code: &str, percent: usize) -> bool {
        let Some(i) = FUNCTION_WORD_LANGUAGES.iter().position(|c| *c == code) else {
            return false;
        };
        let hits = self.hits[i];
        hits >= 2 && hits * 100 >= self.words * percent
    }

    /// A listed language other than English whose little words make up at least
    /// [`ENGLISH_PERCENT`] of the text, at least three of them, and more than twice
    /// those of any other listed language: settled without the trigram model, which
    /// is the costly part of a detection (about 90 µs on 400 bytes of German against
    /// a few µs for this count).
    fn dominant_listed_language(&self) -> Option<&'static str> {
        let foreign = &FUNCTION_WORD_LANGUAGES[1..];
        let hits = &self.hits[1..];
        let (best, &most) = hits.iter().enumerate().max_by_key(|(_, h)| **h)?;
        let runner_up = hits
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != best)
            .map(|(_, h)| *h)
            .max()
            .unwrap_or(0);
        (most >= 3 && most * 100 >= self.words * ENGLISH_PERCENT && most > 2 * runner_up)
            .then_some(foreign[best])
    }
}

/// The words of `head` (letters and apostrophes), as written.
fn words(head: &str) -> impl Iterator<Item = &str> {
    head.split(|c: char| !(c.is_alphabetic() || c == '\''))
        .map(|word| word.trim_matches('\''))
        .filter(|word| !word.is_empty())
}

/// Each byte of ASCII as [`for_each_ascii_key`] reads it: a letter as its
/// lowercase form, an apostrophe as itself, anything else (which ends a word) as 0.
/// In ASCII, `char::is_alphabetic` is `a`-`z` and `A`-`Z`.
const ASCII_CLASS: [u8; 128] = {
    let mut table = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        table[b] = match b as u8 {
            c @ b'a'..=b'z' | c @ b'\'' => c,
            c @ b'A'..=b'Z' => c + (b'a' - b'A'),
            _ => 0,
        };
        b += 1;
    }
    table
};

/// Calls `f` with [`word_key`] of each of [`words`] of ASCII `head`, in one pass
/// over its bytes: the key is packed while the word is read, and an apostrophe
/// joins the word only once a letter follows it (leading and trailing ones are
/// trimmed). Most tickets are ASCII, and this saves splitting their heads into
/// words first.
fn for_each_ascii_key(head: &[u8], mut f: impl FnMut(Option<u64>)) {
    // The word so far: its packed first bytes and its length (letters and inner
    // apostrophes), and the apostrophes read since its last letter.
    let (mut key, mut len, mut apostrophes) = (0u64, 0usize, 0usize);
    fn push(key: &mut u64, len: &mut usize, byte: u8) {
        if *len < MAX_FUNCTION_WORD_BYTES {
            *key |= u64::from(byte) << (8 * *len);
        }
        *len += 1;
    }
    for &byte in head {
        match ASCII_CLASS[usize::from(byte & 0x7f)] {
            0 => {
                if len > 0 {
                    f((len <= MAX_FUNCTION_WORD_BYTES).then_some(key));
                }
                (key, len, apostrophes) = (0, 0, 0);
            }
            b'\'' => apostrophes += usize::from(len > 0),
            letter => {
                for _ in 0..apostrophes {
                    push(&mut key, &mut len, b'\'');
                }
                apostrophes = 0;
                push(&mut key, &mut len, letter);
            }
        }
    }
    if len > 0 {
        f((len <= MAX_FUNCTION_WORD_BYTES).then_some(key));
    }
}

/// The longest function word, in bytes ("toujours", "todavía").
const MAX_FUNCTION_WORD_BYTES: usize = 8;

/// A lowercase word of at most [`MAX_FUNCTION_WORD_BYTES`] bytes packed into an
/// integer (zero-padded; a word holds no zero byte), so a lookup compares integers
/// instead of strings. `None` for a longer word, which is no function word.
fn pack(lower: &str) -> Option<u64> {
    let bytes = lower.as_bytes();
    if bytes.len() > MAX_FUNCTION_WORD_BYTES {
        return None;
    }
    let mut buf = [0u8; 8];
    buf[..bytes.len()].copy_from_slice(bytes);
    Some(u64::from_le_bytes(buf))
}

/// [`word_key`] of an ASCII word.
fn ascii_key(bytes: &[u8]) -> Option<u64> {
    if bytes.len() > MAX_FUNCTION_WORD_BYTES {
        return None;
    }
    let mut buf = [0u8; 8];
    for (to, from) in buf.iter_mut().zip(bytes) {
        *to = from.to_ascii_lowercase();
    }
    Some(u64::from_le_bytes(buf))
}

/// The packed lowercase form of `word`; an ASCII word is lowercased without a copy.
fn word_key(word: &str) -> Option<u64> {
    if word.is_ascii() {
        ascii_key(word.as_bytes())
    } else if word.chars().any(char::is_uppercase) {
        pack(&word.to_lowercase())
    } else {
        pack(word)
    }
}

/// Every function word, packed, with the languages it belongs to.
fn function_word_table() -> &'static FunctionWords {
    static TABLE: std::sync::OnceLock<Box<FunctionWords>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = Box::new(FunctionWords {
            keys: [0; SLOTS],
            languages: [0; SLOTS],
        });
        for (i, code) in FUNCTION_WORD_LANGUAGES.iter().enumerate() {
            for w in function_words(code) {
                let key = pack(w).expect("function words are at most 8 bytes");
                let at = table.slot_of(key);
                table.keys[at] = key;
                table.languages[at] |= 1 << i;
            }
        }
        debug_assert!(table.keys.iter().filter(|k| **k != 0).count() * 4 <= SLOTS);
        table
    })
}

/// The function words as a hash table with linear probing, so that a word is
/// looked up in about one probe (a binary search of the 229 words took eight
/// hard-to-predict steps for each word a bit filter did not rule out).
struct FunctionWords {
    /// Packed words by slot; 0, which no word packs to, is an empty slot.
    keys: [u64; SLOTS],
    /// The languages of the word in the same slot: bit `i` for
    /// `FUNCTION_WORD_LANGUAGES[i]`.
    languages: [u8; SLOTS],
}

/// The slots of [`FunctionWords`]: a power of two, at least four per word.
const SLOTS: usize = 1024;

impl FunctionWords {
    /// The slot that holds `key`, or the empty one where it would go.
    fn slot_of(&self, key: u64) -> usize {
        // A multiplicative hash's top bits.
        let mut at = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SLOTS.ilog2())) as usize;
        while self.keys[at] != key && self.keys[at] != 0 {
            at = (at + 1) % SLOTS;
        }
        at
    }

    /// The languages `key` is a function word of (0: none).
    fn languages(&self, key: u64) -> u8 {
        self.languages[self.slot_of(key)]
    }
}

/// Frequent short words of a language that are not English words (and, for English,
/// not words of the other listed languages: no "is", "was", "in", "a", "on", "me").
fn function_words(code: &str) -> &'static [&'static str] {
    match code {
        "en" => &ENGLISH_WORDS,
        "de" => &GERMAN_WORDS,
        "fr" => &FRENCH_WORDS,
        "es" => &SPANISH_WORDS,
        "nl" => &DUTCH_WORDS,
        "pt" => &PORTUGUESE_WORDS,
        "it" => &ITALIAN_WORDS,
        _ => &[],
    }
}

const ENGLISH_WORDS: [&str; 48] = [
    "and", "any", "are", "be", "been", "but", "can", "can't", "could", "don't", "for", "from",
    "get", "had", "has", "have", "how", "i", "i'm", "it", "it's", "just", "my", "not", "of", "or",
    "our", "please", "still", "thank", "thanks", "that", "the", "there", "they", "this", "to",
    "we", "what", "when", "where", "why", "will", "with", "would", "yet", "you", "your",
];
const GERMAN_WORDS: [&str; 42] = [
    "aber", "auch", "auf", "bei", "bitte", "danke", "das", "dem", "den", "der", "die", "ein",
    "eine", "einen", "für", "habe", "haben", "ich", "ihr", "ihre", "im", "ist", "kann", "kein",
    "keine", "mein", "meine", "mit", "nach", "nicht", "noch", "schon", "seit", "sie", "sind",
    "und", "uns", "von", "wie", "wir", "wird", "zu",
];
const FRENCH_WORDS: [&str; 37] = [
    "au", "aux", "avec", "bonjour", "ce", "cette", "dans", "des", "du", "elle", "est", "et", "il",
    "j'ai", "je", "la", "le", "les", "ma", "mais", "merci", "mes", "mon", "n'est", "ne", "nous",
    "pas", "plus", "pour", "que", "qui", "sur", "toujours", "un", "une", "votre", "vous",
];
const SPANISH_WORDS: [&str; 32] = [
    "al", "con", "de", "del", "el", "en", "es", "estoy", "está", "gracias", "hola", "la", "las",
    "lo", "los", "mi", "muy", "nadie", "nos", "para", "pero", "por", "que", "se", "su", "sus",
    "tengo", "todavía", "un", "una", "y", "ya",
];
const DUTCH_WORDS: [&str; 32] = [
    "bedankt", "dat", "de", "deze", "een", "en", "er", "geen", "graag", "hallo", "heb", "hebben",
    "het", "ik", "jullie", "kan", "maar", "met", "mijn", "naar", "niet", "nog", "onze", "ook",
    "op", "u", "uw", "van", "voor", "wij", "wordt", "zijn",
];
const PORTUGUESE_WORDS: [&str; 31] = [
    "ainda", "com", "da", "das", "de", "dos", "e", "em", "está", "foi", "já", "mas", "meu",
    "minha", "na", "no", "não", "nós", "o", "obrigada", "obrigado", "olá", "os", "para", "por",
    "que", "um", "uma", "você", "vocês", "é",
];
const ITALIAN_WORDS: [&str; 29] = [
    "abbiamo", "ancora", "che", "ci", "ciao", "con", "da", "del", "della", "di", "e", "gli",
    "grazie", "ho", "il", "la", "le", "lo", "ma", "mia", "mio", "nel", "non", "per", "questo",
    "sono", "un", "una", "è",
];

/// Whether a detected language is one the English word lists cannot read: a known
/// language other than English (unsure, `""`, is read as English).
pub fn is_foreign(code: &str) -> bool {
    !code.is_empty() && code != ENGLISH
}

/// The English name of a language code, e.g. `de` -> "German".
pub fn name(code: &str) -> Option<&'static str> {
    Lang::all()
        .iter()
        .find(|l| iso_639_1(**l) == code)
        .map(|l| l.eng_name())
}

/// `whatlang` names languages by ISO 639-3; the CSV speaks ISO 639-1.
fn iso_639_1(lang: Lang) -> &'static str {
    use Lang::*;
    match lang {
        Afr => "af",
        Aka => "ak",
        Amh => "am",
        Ara => "ar",
        Aze => "az",
        Bel => "be",
        Ben => "bn",
        Bul => "bg",
        Cat => "ca",
        Ces => "cs",
        Cmn => "zh",
        Cym => "cy",
        Dan => "da",
        Deu => "de",
        Ell => "el",
        Eng => "en",
        Epo => "eo",
        Est => "et",
        Fin => "fi",
        Fra => "fr",
        Guj => "gu",
        Heb => "he",
        Hin => "hi",
        Hrv => "hr",
        Hun => "hu",
        Hye => "hy",
        Ind => "id",
        Ita => "it",
        Jav => "jv",
        Jpn => "ja",
        Kan => "kn",
        Kat => "ka",
        Khm => "km",
        Kor => "ko",
        Lat => "la",
        Lav => "lv",
        Lit => "lt",
        Mal => "ml",
        Mar => "mr",
        Mkd => "mk",
        Mya => "my",
        Nep => "ne",
        Nld => "nl",
        Nob => "nb",
        Ori => "or",
        Pan => "pa",
        Pes => "fa",
        Pol => "pl",
        Por => "pt",
        Ron => "ro",
        Rus => "ru",
        Sin => "si",
        Slk => "sk",
        Slv => "sl",
        Sna => "sn",
        Spa => "es",
        Srp => "sr",
        Swe => "sv",
        Tam => "ta",
        Tel => "te",
        Tgl => "tl",
        Tha => "th",
        Tuk => "tk",
        Tur => "tr",
        Ukr => "uk",
        Urd => "ur",
        Uzb => "uz",
        Vie => "vi",
        Yid => "yi",
        Zul => "zu",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_texts_are_unsure() {
        for text in ["", "ok", "Danke!", "Merci :)", "#4411", "Re: RMA 55123"] {
            assert_eq!(detect(text), "", "{text:?}");
        }
    }

    #[test]
    fn clear_texts_get_their_code() {
        let cases = [
            (
                "Die Lieferung ist immer noch nicht angekommen, ich warte seit zwei Wochen \
                 auf meine Bestellung.",
                "de",
            ),
            (
                "Bonjour, ma commande n'est toujours pas arrivée et personne ne répond à \
                 mes messages.",
                "fr",
            ),
            (
                "Hola, el pedido no ha llegado todavía y nadie contesta a mis correos. \
                 ¿Pueden ayudarme?",
                "es",
            ),
            (
                "Hi, my order still hasn't arrived and nobody answers my emails. Can you \
                 help me please?",
                "en",
            ),
        ];
        for (text, code) in cases {
            assert_eq!(detect(text), code, "{text}");
        }
    }

    #[test]
    fn only_the_head_of_a_long_text_is_read() {
        let german = "Der Server startet nach dem Update nicht mehr. ".repeat(20);
        let text = format!("{german}{}", "This part is English. ".repeat(100));
        assert!(german.len() >= DETECT_BYTES);
        assert_eq!(detect(&text), "de");
        // A cut inside a multi-byte character is moved back to its start.
        let umlauts = "ä".repeat(DETECT_BYTES);
        let _ = detect(&umlauts);
    }

    #[test]
    fn every_function_word_is_found_in_any_case_and_no_other_word_is() {
        for (i, code) in FUNCTION_WORD_LANGUAGES.iter().enumerate() {
            for w in function_words(code) {
                assert!(w.len() <= MAX_FUNCTION_WORD_BYTES, "{w}");
                for form in [w.to_string(), w.to_uppercase()] {
                    let counts = FunctionWordCounts::of(&form);
                    assert_eq!(counts.words, 1, "{form}");
                    assert_eq!(counts.hits[i], 1, "{code} {form}");
                }
            }
        }
        let counts = FunctionWordCounts::of("zzz thee untersuchung toujoursx");
        assert_eq!((counts.words, counts.hits), (4, [0; 7]));
    }

    proptest::proptest! {
        /// The one-pass ASCII reading finds the words, and packs them, as the
        /// general one does: runs of letters and apostrophes, trimmed of apostrophes.
        #[test]
        fn the_ascii_pass_reads_the_words_the_general_one_does(
            text in "([a-zA-Z]{1,10}|'{1,3}|[ .,!?0-9\t\n_\x00\x7f-]){0,20}"
        ) {
            let mut fast = Vec::new();
            for_each_ascii_key(text.as_bytes(), |key| fast.push(key));
            let general: Vec<Option<u64>> = words(&text).map(word_key).collect();
            proptest::prop_assert_eq!(fast, general);
        }
    }

    #[test]
    fn the_ascii_classes_are_letters_and_the_apostrophe() {
        for b in 0..128u8 {
            let joins = char::from(b).is_alphabetic() || b == b'\'';
            assert_eq!(ASCII_CLASS[usize::from(b)] != 0, joins, "{b}");
        }
    }

    #[test]
    fn every_code_has_a_name_and_english_is_not_foreign() {
        assert_eq!(name("de"), Some("German"));
        assert_eq!(name("xx"), None);
        for lang in Lang::all() {
            assert_eq!(iso_639_1(*lang).len(), 2, "{lang:?}");
        }
        assert!(is_foreign("de") && !is_foreign("en") && !is_foreign(""));
    }
}
