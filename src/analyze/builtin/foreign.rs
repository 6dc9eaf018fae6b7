//! Sentiment of a ticket that is not in English, from language-neutral signals only.
//!
//! The VADER lexicon and the support rules are English word lists. On other
//! languages they do not just miss, they misread: "Vielen Dank, das Problem ist
//! gelöst!" scores -0.46 (English "problem"), "Merci beaucoup, tout fonctionne
//! parfaitement maintenant !" -0.20, "Die Lieferung ist immer noch nicht da" -0.60
//! (English "die"), while "Je suis très déçu" ("I am very disappointed") scores 0.
//! So for a ticket detected in another language those scores are not used at all.
//! What is left is what reads the same in every language:
//!
//! * **emoji and emoticons** (`😀`, `😡`, `:(`, `:-)`, `<3`), scored with their VADER
//!   valences; `!` adds VADER's emphasis to them. "Die Festplatte ist defekt :("
//!   -> negative; "Super, danke 😊" -> positive;
//! * **shouting** with no emoji or emoticon: a run of `!!!` or a message in capitals
//!   ("WARUM ANTWORTET NIEMAND") reads as an upset customer: negative, score -0.3;
//! * **nothing else**: the label is `unknown` with score 0.
//!
//! The confidence is at most [`MAX_CONFIDENCE`] (0.3) when a signal decided the
//! label, and 0 for `unknown`: the analyzer does not pretend to know what it could
//! not read. An LLM analyzer reads these tickets properly.

use super::vader::{self, PolarityScores, Vader};
use crate::model::Sentiment;

/// The highest confidence of an analysis of a ticket not in English.
pub const MAX_CONFIDENCE: f64 = 0.3;
/// The score of a shouted message without emoji or emoticons.
const SHOUTING_SCORE: f64 = -0.3;
/// A message counts as written in capitals from this many cased letters on...
const CAPS_MIN_LETTERS: usize = 12;
/// ...when at least this share of them are capitals.
const CAPS_SHARE: f64 = 0.7;

/// What language-neutral signals say about a text.
pub(super) struct Reading {
    pub scores: PolarityScores,
    pub sentiment: Sentiment,
    /// The cap on the analysis' confidence.
    pub max_confidence: f64,
}

/// Reads `text` for emoji, emoticons and shouting only.
pub(super) fn read(vader: &Vader, text: &str) -> Reading {
    let signals = signal_text(text);
    let pass = vader.pass(&signals);
    let scores = vader::score(&pass.valences, pass.punct);
    if scores.compound != 0.0 {
        return Reading {
            sentiment: Sentiment::from_score(scores.compound),
            scores,
            max_confidence: MAX_CONFIDENCE,
        };
    }
    if is_shouting(text) {
        return Reading {
            scores: PolarityScores {
                compound: SHOUTING_SCORE,
                ..PolarityScores::default()
            },
            sentiment: Sentiment::Negative,
            max_confidence: MAX_CONFIDENCE,
        };
    }
    Reading {
        scores: PolarityScores::default(),
        sentiment: Sentiment::Unknown,
        max_confidence: 0.0,
    }
}

/// The emoji, the emoticon tokens and the `!`s of `text` (at most four, VADER's
/// cap), separated by spaces: the only parts VADER may score in a foreign text.
fn signal_text(text: &str) -> String {
    let mut out = String::new();
    for token in text.split_whitespace() {
        if is_emoticon(token) {
            out.push_str(token);
            out.push(' ');
        } else {
            for c in token.chars().filter(|c| is_emoji_like(*c)) {
                out.push(c);
                out.push(' ');
            }
        }
    }
    let marks = text.bytes().filter(|b| *b == b'!').count().min(4);
    out.extend(std::iter::repeat_n('!', marks));
    out
}

/// A short token of punctuation with at most one letter among those emoticons use
/// (`:(`, `:-)`, `:D`, `;P`, `<3`, `:'(`): VADER's lexicon holds their valences.
fn is_emoticon(token: &str) -> bool {
    let letters = token.chars().filter(|c| c.is_alphabetic()).count();
    (2..=5).contains(&token.len())
        && token.bytes().any(|b| b.is_ascii_punctuation())
        && letters <= 1
        && token
            .chars()
            .all(|c| !c.is_alphabetic() || "DPpOoXx".contains(c))
}

/// A pictograph or symbol outside ASCII (emoji, hearts, stars); letters of any
/// script are not.
fn is_emoji_like(c: char) -> bool {
    !c.is_ascii() && !c.is_alphanumeric() && !c.is_whitespace() && !c.is_ascii_punctuation()
}

/// A `!!!` run, or a message whose cased letters are mostly capitals.
fn is_shouting(text: &str) -> bool {
    if text.contains("!!!") {
        return true;
    }
    let (mut upper, mut cased) = (0usize, 0usize);
    for c in text.chars() {
        if c.is_uppercase() {
            upper += 1;
            cased += 1;
        } else if c.is_lowercase() {
            cased += 1;
        }
    }
    cased >= CAPS_MIN_LETTERS && upper as f64 >= CAPS_SHARE * cased as f64
}

#[cfg(test)]
mod tests {
    use super::super::lexicon::Lexicons;
    use super::*;

    fn reading(text: &str) -> Reading {
        read(&Vader::new(Lexicons::vader()), text)
    }

    #[test]
    fn documented_examples() {
        let r = reading("Die Festplatte ist defekt :(");
        assert_eq!(r.sentiment, Sentiment::Negative);
        let r = reading("Super, danke 😊");
        assert_eq!(r.sentiment, Sentiment::Positive);
        assert_eq!(r.max_confidence, MAX_CONFIDENCE);
        let r = reading("WARUM ANTWORTET NIEMAND AUF MEINE NACHRICHTEN");
        assert_eq!(
            (r.sentiment, r.scores.compound),
            (Sentiment::Negative, -0.3)
        );
        assert_eq!(
            reading("Wo bleibt meine Lieferung!!!").sentiment,
            Sentiment::Negative
        );
    }

    #[test]
    fn words_alone_are_unknown() {
        for text in [
            "Vielen Dank, das Problem ist gelöst!",
            "Die Lieferung ist immer noch nicht da. Ich warte seit zwei Wochen.",
            "Merci beaucoup, tout fonctionne parfaitement maintenant !",
            "Der RAID-Controller meldet einen Fehler auf der SSD.",
        ] {
            let r = reading(text);
            assert_eq!(
                (r.sentiment, r.max_confidence),
                (Sentiment::Unknown, 0.0),
                "{text}"
            );
            assert_eq!(r.scores.compound, 0.0);
        }
    }
}
