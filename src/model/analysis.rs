//! The result of analyzing one ticket, and the priority score formula.

use serde::{Deserialize, Serialize};

/// Overall sentiment label, from a VADER-style compound score:
/// positive >= 0.05, negative <= -0.05, neutral in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sentiment {
    Positive,
    Neutral,
    Negative,
    Unknown,
}

impl Sentiment {
    pub const THRESHOLD: f64 = 0.05;

    /// The label for a compound score in [-1, 1].
    pub fn from_score(score: f64) -> Self {
        if score >= Self::THRESHOLD {
            Sentiment::Positive
        } else if score <= -Self::THRESHOLD {
            Sentiment::Negative
        } else {
            Sentiment::Neutral
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sentiment::Positive => "positive",
            Sentiment::Neutral => "neutral",
            Sentiment::Negative => "negative",
            Sentiment::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "positive" => Some(Sentiment::Positive),
            "neutral" => Some(Sentiment::Neutral),
            "negative" => Some(Sentiment::Negative),
            "unknown" => Some(Sentiment::Unknown),
            _ => None,
        }
    }
}

/// What an analyzer says about one ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    pub sentiment: Sentiment,
    /// VADER-style compound score in [-1, 1].
    pub sentiment_score: f64,
    /// 1 (can wait) ..= 5 (critical, act now).
    pub urgency: u8,
    /// 1 (calm) ..= 5 (furious).
    pub frustration: u8,
    /// 1 (novice) ..= 5 (expert).
    pub technical_expertise: u8,
    pub business_impact: bool,
    pub category: String,
    pub component: String,
    /// 1 ..= 10, always computed locally by [`priority_score`].
    pub priority_score: u8,
    /// 0 ..= 1: how sure the analyzer is of its category and scales.
    pub confidence: f64,
    pub key_phrases: Vec<String>,
    pub emotions: Vec<String>,
    /// ISO 639-1 code of the ticket's language (`en`, `de`...), empty when unsure.
    /// Analyses stored before languages were detected read as empty.
    #[serde(default)]
    pub language: String,
}

/// The priority score, compatible with the original Python tool:
/// `round(2 * (0.35*urgency + 0.30*frustration + 0.25*(5 if business_impact else 0)
/// + 0.10*max(1, 6 - technical_expertise)))`, clamped to 1..=10.
///
/// Evaluated in f64 in the same order as the Python expression, then rounded half to
/// even like Python's `round`, so both give the same score for every input — including
/// the two inputs where float error lands just under a half (e.g. urgency 1,
/// frustration 1, expertise 5: 1.4999999999999998, so 1, not 2).
pub fn priority_score(
    urgency: u8,
    frustration: u8,
    business_impact: bool,
    technical_expertise: u8,
) -> u8 {
    let impact = if business_impact { 5.0 } else { 0.0 };
    let novice = (6.0 - f64::from(technical_expertise)).max(1.0);
    let raw = 2.0
        * (0.35 * f64::from(urgency)
            + 0.30 * f64::from(frustration)
            + 0.25 * impact
            + 0.10 * novice);
    raw.round_ties_even().clamp(1.0, 10.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_score_matches_formula() {
        // 2 * (0.35*5 + 0.30*5 + 0.25*5 + 0.10*5) = 10
        assert_eq!(priority_score(5, 5, true, 1), 10);
        // 2 * (0.35*3 + 0.30*2 + 0 + 0.10*3) = 3.9 -> 4
        assert_eq!(priority_score(3, 2, false, 3), 4);
        // Python: round(2 * (0.35 + 0.30 + 0 + 0.10)) == round(1.4999999999999998) == 1
        assert_eq!(priority_score(1, 1, false, 5), 1);
        // Python: round(3.4999999999999996) == 3
        assert_eq!(priority_score(1, 4, false, 4), 3);
        // A true tie rounds to even: 2 * (0.35*2 + 0.30*1 + 0 + 0.10*5) = 3.0; (2,2,F,3): 3.2 -> 3
        assert_eq!(priority_score(2, 2, false, 3), 3);
    }

    #[test]
    fn analyses_stored_before_languages_read_as_undetected() {
        let stored = r#"{"sentiment":"neutral","sentiment_score":0.0,"urgency":1,
            "frustration":1,"technical_expertise":2,"business_impact":false,
            "category":"billing","component":"none","priority_score":2,"confidence":0.5,
            "key_phrases":[],"emotions":[]}"#;
        let a: Analysis = serde_json::from_str(stored).unwrap();
        assert_eq!(a.language, "");
    }

    #[test]
    fn sentiment_thresholds() {
        assert_eq!(Sentiment::from_score(0.05), Sentiment::Positive);
        assert_eq!(Sentiment::from_score(0.049), Sentiment::Neutral);
        assert_eq!(Sentiment::from_score(-0.05), Sentiment::Negative);
    }
}
