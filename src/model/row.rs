//! The CSV contract: one [`OutputRow`] per ticket, columns in [`CSV_COLUMNS`] order.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::{Analysis, ResultRecord};

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

/// The text of an optional cell: nothing, or a number written out.
fn opt<T: ToString>(v: Option<T>) -> Cow<'static, str> {
    v.map_or(Cow::Borrowed(""), |v| Cow::Owned(v.to_string()))
}

/// The text of an optional text cell, borrowed.
fn text(v: Option<&str>) -> Cow<'_, str> {
    Cow::Borrowed(v.unwrap_or(""))
}

/// The cells of `r`'s row in [`CSV_COLUMNS`] order (first view in `view_id`), not
/// yet neutralized: text the record holds is borrowed, so a CSV row copies only
/// its numbers and lists. A record without an analysis failed: `sentiment` is
/// `unknown` and `error` says why.
pub(crate) fn record_cells(r: &ResultRecord) -> [Cow<'_, str>; 26] {
    let a = r.analysis.as_ref();
    let written = |f: &dyn Fn(&Analysis) -> String| a.map_or(Cow::Borrowed(""), |a| f(a).into());
    let held = |f: fn(&Analysis) -> &str| Cow::Borrowed(a.map_or("", f));
    [
        r.ticket_id.to_string().into(),
        opt(r.view_ids.first()),
        Cow::Borrowed(r.subject.as_str()),
        text(r.status.as_deref()),
        text(r.priority.as_deref()),
        opt(r.requester_id),
        opt(r.organization_id),
        text(r.created_at.as_deref()),
        text(r.updated_at.as_deref()),
        r.tags.join("; ").into(),
        Cow::Borrowed(a.map_or("unknown", |a| a.sentiment.as_str())),
        written(&|a| format!("{:.4}", a.sentiment_score)),
        written(&|a| a.urgency.to_string()),
        written(&|a| a.frustration.to_string()),
        written(&|a| a.technical_expertise.to_string()),
        written(&|a| a.business_impact.to_string()),
        held(|a| &a.category),
        held(|a| &a.component),
        written(&|a| a.priority_score.to_string()),
        written(&|a| format!("{:.2}", a.confidence)),
        written(&|a| a.key_phrases.join("; ")),
        written(&|a| a.emotions.join("; ")),
        held(|a| &a.language),
        Cow::Borrowed(r.analyzer.as_str()),
        Cow::Borrowed(r.analyzed_at.as_str()),
        text(r.error.as_deref()),
    ]
}

impl OutputRow {
    /// Builds the row for `r` (its first view in `view_id`); a record without an
    /// analysis failed, and its `error` says why.
    pub fn new(r: &ResultRecord) -> Self {
        // Struct fields are evaluated in the order written, which is the cells' order.
        let mut cells = record_cells(r).into_iter().map(Cow::into_owned);
        let mut next = || cells.next().unwrap_or_default();
        OutputRow {
            ticket_id: next(),
            view_id: next(),
            subject: next(),
            status: next(),
            priority: next(),
            requester_id: next(),
            organization_id: next(),
            created_at: next(),
            updated_at: next(),
            tags: next(),
            sentiment: next(),
            sentiment_score: next(),
            urgency: next(),
            frustration: next(),
            technical_expertise: next(),
            business_impact: next(),
            category: next(),
            component: next(),
            priority_score: next(),
            confidence: next(),
            key_phrases: next(),
            emotions: next(),
            language: next(),
            analyzer: next(),
            analyzed_at: next(),
            error: next(),
        }
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
