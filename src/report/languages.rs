//! The language table: tickets per detected language, with their sentiment split.
//!
//! The built-in analyzer gives tickets not in English a sentiment only from emoji,
//! emoticons and shouting, else `unknown`; the split keeps `unknown` apart (the
//! sentiment chart folds it into the score's label) so a reader sees how many
//! tickets of each language had no sentiment read at all.

use std::collections::HashMap;

use super::aggregate::share;
use super::types::LanguageRow;
use crate::analyze::language;
use crate::model::{Analysis, Sentiment};

/// The row label of tickets whose language was not detected (empty code).
pub(super) const UNDETECTED: &str = "Not detected";

/// Counts per language code: positive, neutral, negative, unknown.
#[derive(Default)]
pub(super) struct LanguageAcc(HashMap<String, [u64; 4]>);

impl LanguageAcc {
    pub(super) fn add(&mut self, a: &Analysis) {
        let idx = match a.sentiment {
            Sentiment::Positive => 0,
            Sentiment::Neutral => 1,
            Sentiment::Negative => 2,
            Sentiment::Unknown => 3,
        };
        let code = a.language.trim();
        match self.0.get_mut(code) {
            Some(counts) => counts[idx] += 1,
            None => {
                let mut counts = [0; 4];
                counts[idx] = 1;
                self.0.insert(code.to_string(), counts);
            }
        }
    }

    /// The rows, most tickets first (ties by code), "Not detected" last; shares are
    /// of the `analyzed` tickets.
    pub(super) fn finish(self, analyzed: u64) -> Vec<LanguageRow> {
        let mut rows: Vec<LanguageRow> = self
            .0
            .into_iter()
            .map(|(code, [positive, neutral, negative, unknown])| {
                let count = positive + neutral + negative + unknown;
                LanguageRow {
                    label: label(&code),
                    key: code,
                    count,
                    share: share(count, analyzed),
                    positive,
                    neutral,
                    negative,
                    unknown,
                }
            })
            .collect();
        rows.sort_by(|a, b| {
            (a.key.is_empty(), std::cmp::Reverse(a.count), &a.key).cmp(&(
                b.key.is_empty(),
                std::cmp::Reverse(b.count),
                &b.key,
            ))
        });
        rows
    }
}

/// "German (de)"; the bare code when it is not one `whatlang` knows (an LLM
/// analysis from elsewhere); "Not detected" for the empty code.
fn label(code: &str) -> String {
    match language::name(code) {
        _ if code.is_empty() => UNDETECTED.to_string(),
        Some(name) => format!("{name} ({code})"),
        None => code.to_string(),
    }
}
