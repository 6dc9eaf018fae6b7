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

/// Hands each cell to `cell` in turn; the computed ones (numbers, lists) are
/// written into one buffer first, so a whole row allocates once.
struct Cells<F> {
    buf: String,
    cell: F,
}

impl<E, F: FnMut(&str) -> Result<(), E>> Cells<F> {
    fn text(&mut self, text: &str) -> Result<(), E> {
        (self.cell)(text)
    }

    fn shown(&mut self, value: std::fmt::Arguments<'_>) -> Result<(), E> {
        use std::fmt::Write;
        self.buf.clear();
        let _ = self.buf.write_fmt(value);
        (self.cell)(&self.buf)
    }

    fn number(&mut self, n: Option<u64>) -> Result<(), E> {
        match n {
            Some(n) => self.shown(format_args!("{n}")),
            None => self.text(""),
        }
    }

    /// Items joined by `; `.
    fn list(&mut self, items: &[String]) -> Result<(), E> {
        self.buf.clear();
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.buf.push_str("; ");
            }
            self.buf.push_str(item);
        }
        (self.cell)(&self.buf)
    }
}

/// The cells of `r`'s row in [`CSV_COLUMNS`] order (first view in `view_id`), not
/// yet neutralized, each handed to `cell`: text the record holds is handed on as
/// it is, so a CSV row copies only its numbers and lists. A record without an
/// analysis failed: `sentiment` is `unknown` and `error` says why.
pub(crate) fn record_cells<E>(
    r: &ResultRecord,
    cell: impl FnMut(&str) -> Result<(), E>,
) -> Result<(), E> {
    let mut c = Cells {
        buf: String::with_capacity(64),
        cell,
    };
    c.number(Some(r.ticket_id))?;
    c.number(r.view_ids.first().copied())?;
    c.text(&r.subject)?;
    c.text(r.status.as_deref().unwrap_or(""))?;
    c.text(r.priority.as_deref().unwrap_or(""))?;
    c.number(r.requester_id)?;
    c.number(r.organization_id)?;
    c.text(r.created_at.as_deref().unwrap_or(""))?;
    c.text(r.updated_at.as_deref().unwrap_or(""))?;
    c.list(&r.tags)?;
    analysis_cells(&mut c, r.analysis.as_ref())?;
    c.text(&r.analyzer)?;
    c.text(&r.analyzed_at)?;
    c.text(r.error.as_deref().unwrap_or(""))
}

/// Where the analysis's cells are in [`CSV_COLUMNS`]: `sentiment` to `language`.
const ANALYSIS_COLUMNS: std::ops::Range<usize> = 10..23;

/// The cells from `sentiment` to `language`: empty but `sentiment` (`unknown`)
/// without an analysis.
fn analysis_cells<E, F: FnMut(&str) -> Result<(), E>>(
    c: &mut Cells<F>,
    analysis: Option<&Analysis>,
) -> Result<(), E> {
    let Some(a) = analysis else {
        c.text("unknown")?;
        for _ in ANALYSIS_COLUMNS.skip(1) {
            c.text("")?;
        }
        return Ok(());
    };
    c.text(a.sentiment.as_str())?;
    c.shown(format_args!("{:.4}", a.sentiment_score))?;
    c.shown(format_args!("{}", a.urgency))?;
    c.shown(format_args!("{}", a.frustration))?;
    c.shown(format_args!("{}", a.technical_expertise))?;
    c.shown(format_args!("{}", a.business_impact))?;
    c.text(&a.category)?;
    c.text(&a.component)?;
    c.shown(format_args!("{}", a.priority_score))?;
    c.shown(format_args!("{:.2}", a.confidence))?;
    c.list(&a.key_phrases)?;
    c.list(&a.emotions)?;
    c.text(&a.language)
}

/// [`record_cells`] of `r`, each copied out.
fn owned_cells(r: &ResultRecord) -> Vec<String> {
    let mut all = Vec::with_capacity(CSV_COLUMNS.len());
    let _ = record_cells(r, |cell| {
        all.push(cell.to_string());
        Ok::<(), std::convert::Infallible>(())
    });
    all
}

impl OutputRow {
    /// Builds the row for `r` (its first view in `view_id`); a record without an
    /// analysis failed, and its `error` says why.
    pub fn new(r: &ResultRecord) -> Self {
        // Struct fields are evaluated in the order written, which is the cells' order.
        let mut cells = owned_cells(r).into_iter();
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
    fn a_failed_record_has_every_cell_and_only_its_sentiment_among_the_analysis_cells() {
        assert_eq!(CSV_COLUMNS[ANALYSIS_COLUMNS.start], "sentiment");
        assert_eq!(CSV_COLUMNS[ANALYSIS_COLUMNS.end - 1], "language");
        let failed = ResultRecord::from_parts(
            &crate::model::Ticket {
                id: 7,
                ..Default::default()
            },
            None,
            "builtin",
            "2026-01-02T03:04:05Z",
            Some("timed out".into()),
        );
        let cells = owned_cells(&failed);
        assert_eq!(cells.len(), CSV_COLUMNS.len());
        assert_eq!(cells[ANALYSIS_COLUMNS.start], "unknown");
        assert!(cells[ANALYSIS_COLUMNS.start + 1..ANALYSIS_COLUMNS.end]
            .iter()
            .all(String::is_empty));
        assert_eq!(cells[CSV_COLUMNS.len() - 1], "timed out");
    }

    #[test]
    fn formulas_are_neutralized_numbers_are_not() {
        assert_eq!(neutralize_cell("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(neutralize_cell("@cmd"), "'@cmd");
        assert_eq!(neutralize_cell("-2+3"), "'-2+3");
        assert_eq!(neutralize_cell("-0.4215"), "-0.4215");
        assert_eq!(neutralize_cell("hello"), "hello");
    }
}
