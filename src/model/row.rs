//! The CSV contract: one [`OutputRow`] per ticket, columns in [`CSV_COLUMNS`] order.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::ResultRecord;

/// The CSV header, in order. Changing it is a breaking change for every user.
pub const CSV_COLUMNS: [&str; 26] = [
    "ticket_id",
    "view_id",
    "subject",
    "status",
    "priority",
    "requester_id",
    "organization_id",
    "created_at",
    "updated_at",
    "tags",
    "sentiment",
    "sentiment_score",
    "urgency",
    "frustration",
    "technical_expertise",
    "business_impact",
    "category",
    "component",
    "priority_score",
    "confidence",
    "key_phrases",
    "emotions",
    "language",
    "analyzer",
    "analyzed_at",
    "error",
];

/// One output row. Every field is already the text of its cell (empty for none).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OutputRow {
    pub ticket_id: String,
    pub view_id: String,
    pub subject: String,
    pub status: String,
    pub priority: String,
    pub requester_id: String,
    pub organization_id: String,
    pub created_at: String,
    pub updated_at: String,
    pub tags: String,
    pub sentiment: String,
    pub sentiment_score: String,
    pub urgency: String,
    pub frustration: String,
    pub technical_expertise: String,
    pub business_impact: String,
    pub category: String,
    pub component: String,
    pub priority_score: String,
    pub confidence: String,
    pub key_phrases: String,
    pub emotions: String,
    pub language: String,
    pub analyzer: String,
    pub analyzed_at: String,
    pub error: String,
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

impl OutputRow {
    /// Builds the row for `r` (its first view in `view_id`); a record without an
    /// analysis failed, and its `error` says why.
    pub fn new(r: &ResultRecord) -> Self {
        let mut row = OutputRow {
            ticket_id: r.ticket_id.to_string(),
            view_id: opt(r.view_ids.first()),
            subject: r.subject.clone(),
            status: opt(r.status.as_deref()),
            priority: opt(r.priority.as_deref()),
            requester_id: opt(r.requester_id),
            organization_id: opt(r.organization_id),
            created_at: opt(r.created_at.as_deref()),
            updated_at: opt(r.updated_at.as_deref()),
            tags: r.tags.join("; "),
            analyzer: r.analyzer.clone(),
            analyzed_at: r.analyzed_at.clone(),
            error: opt(r.error.as_deref()),
            ..OutputRow::default()
        };
        match &r.analysis {
            Some(a) => {
                row.sentiment = a.sentiment.as_str().to_string();
                row.sentiment_score = format!("{:.4}", a.sentiment_score);
                row.urgency = a.urgency.to_string();
                row.frustration = a.frustration.to_string();
                row.technical_expertise = a.technical_expertise.to_string();
                row.business_impact = a.business_impact.to_string();
                row.category = a.category.clone();
                row.component = a.component.clone();
                row.priority_score = a.priority_score.to_string();
                row.confidence = format!("{:.2}", a.confidence);
                row.key_phrases = a.key_phrases.join("; ");
                row.emotions = a.emotions.join("; ");
                row.language = a.language.clone();
            }
            None => row.sentiment = "unknown".to_string(),
        }
        row
    }

    /// The cells in [`CSV_COLUMNS`] order, each neutralized against formula injection.
    pub fn cells(&self) -> [Cow<'_, str>; 26] {
        [
            &self.ticket_id,
            &self.view_id,
            &self.subject,
            &self.status,
            &self.priority,
            &self.requester_id,
            &self.organization_id,
            &self.created_at,
            &self.updated_at,
            &self.tags,
            &self.sentiment,
            &self.sentiment_score,
            &self.urgency,
            &self.frustration,
            &self.technical_expertise,
            &self.business_impact,
            &self.category,
            &self.component,
            &self.priority_score,
            &self.confidence,
            &self.key_phrases,
            &self.emotions,
            &self.language,
            &self.analyzer,
            &self.analyzed_at,
            &self.error,
        ]
        .map(|c| neutralize_cell(c))
    }
}

/// Makes a cell safe to open in a spreadsheet: text starting with `=`, `+`, `-`, `@`,
/// tab or carriage return is prefixed with `'` so it is shown, not evaluated.
/// Plain numbers (such as a negative sentiment score) are left as they are.
/// Borrows `cell` unless it needs the prefix (nearly always).
pub fn neutralize_cell(cell: &str) -> Cow<'_, str> {
    let risky = matches!(
        cell.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    );
    if risky && cell.parse::<f64>().is_err() {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralized_numbers_are_not() {
        assert_eq!(neutralize_cell("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(neutralize_cell("@cmd"), "'@cmd");
        assert_eq!(neutralize_cell("-2+3"), "'-2+3");
        assert_eq!(neutralize_cell("-0.4215"), "-0.4215");
        assert_eq!(neutralize_cell("hello"), "hello");
    }
}
