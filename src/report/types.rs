//! The machine-readable report: what [`super::build`] produces, what `--format json`
//! prints and what every other renderer reads.
//!
//! Shares are percentages rounded to 1 decimal and averages are rounded to 2 decimals
//! when the report is built; renderers never recompute them.

use serde::{Deserialize, Serialize};

/// Everything a report shows, for one selection of tickets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub title: String,
    /// The report's reference time (`ReportOptions::now`), RFC 3339 UTC.
    pub generated_at: String,
    /// True when no ticket in the selection has an analysis yet.
    pub empty: bool,
    pub filters: Filters,
    /// Records left out by the view or `since` filters.
    pub excluded: u64,
    /// All selected tickets, each counted once.
    pub overall: Section,
    /// One section per view, only when the selection spans more than one view.
    pub views: Vec<ViewSection>,
    /// Analyzed tickets per day (by `updated_at`, UTC) for the last 30 days, oldest
    /// first; empty when none of them was updated in that window.
    pub trend: Vec<TrendDay>,
    /// Tickets with priority score >= 7, highest first, then by id.
    pub high_priority: TicketList,
    /// Tickets flagged with business impact, highest priority first, then by id.
    pub business_impact: TicketList,
    /// One table per dimension of `[report] by` / `--by`, in the order asked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breakdowns: Vec<Breakdown>,
    /// Customers' `good` / `bad` satisfaction ratings against the analysis; only
    /// when some analyzed ticket has a rating.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement: Option<Agreement>,
    /// Dimensions asked for that no record has (the command refuses them).
    #[serde(skip)]
    pub missing: super::breakdown::Missing,
    /// Who decided the analyses of a hybrid analyzer; absent when there are none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hybrid: Option<HybridShare>,
}

/// The analyzed tickets per value of one dimension, most tickets first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breakdown {
    pub dimension: String,
    pub rows: Vec<BreakdownRow>,
}

/// One value of a breakdown (or one rating of the agreement table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BreakdownRow {
    pub value: String,
    pub tickets: u64,
    pub positive: u64,
    pub neutral: u64,
    pub negative: u64,
    pub unknown: u64,
    /// Average priority score (1-10), 2 decimals.
    pub average_priority: f64,
    pub urgency_4_5: u64,
    pub frustration_4_5: u64,
}

/// How the customers' own ratings line up with the analysis: a row for `good` and
/// one for `bad`, each with the sentiment split and frustration 4-5 count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    pub rows: Vec<BreakdownRow>,
}

/// The analyses a hybrid analyzer kept from its built-in part and those its model made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HybridShare {
    pub by_builtin: u64,
    pub by_model: u64,
    /// Percent of the hybrid analyses the model made, 1 decimal.
    pub model_share: f64,
}

impl Report {
    /// What the header line adds after the time: the views and window filtered on,
    /// the tickets filtered out and the hybrid share, each after `sep`.
    pub fn filter_note(&self, sep: &str) -> String {
        let mut parts = Vec::new();
        if !self.filters.views.is_empty() {
            let ids: Vec<String> = self.filters.views.iter().map(u64::to_string).collect();
            parts.push(format!("views {}", ids.join(", ")));
        }
        if let Some(since) = &self.filters.since {
            parts.push(format!("updated within {since}"));
        }
        if self.excluded > 0 {
            parts.push(format!("{} tickets filtered out", self.excluded));
        }
        let mut note: String = parts.iter().map(|p| format!(" {sep} {p}")).collect();
        if let Some(h) = &self.hybrid {
            note.push_str(&h.note(sep));
        }
        note
    }
}

impl HybridShare {
    /// " | hybrid: 11.6% decided by the model (115 of 991)", with `sep` between parts.
    pub fn note(&self, sep: &str) -> String {
        format!(
            " {sep} hybrid: {}% decided by the model ({} of {})",
            self.model_share,
            self.by_model,
            self.by_model + self.by_builtin
        )
    }
}

/// The filters the report was built with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Filters {
    /// Empty means every view.
    pub views: Vec<u64>,
    /// Human-readable window, e.g. "7days".
    pub since: Option<String>,
}

/// The aggregates of one set of tickets (the whole selection or one view).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// Analyzed plus failed.
    pub total: u64,
    pub analyzed: u64,
    pub failed: u64,
    pub summary: Summary,
    /// positive, neutral, negative.
    pub sentiment: Vec<Bucket>,
    /// Low 1-3, Medium 4-6, High 7-8, Critical 9-10.
    pub priority_levels: Vec<Bucket>,
    /// Scores 1..=10.
    pub priority_scores: Vec<Bucket>,
    /// Levels 1..=5 with their descriptions.
    pub urgency: Vec<Bucket>,
    pub frustration: Vec<Bucket>,
    /// The most frequent components other than `none`.
    pub components: LabelCounts,
    /// Tickets whose component is `none` (or blank): counted, but not in the top list.
    pub no_component: CountShare,
    pub categories: LabelCounts,
    /// `None` when no ticket is analyzed.
    pub averages: Option<Averages>,
    /// Age from `created_at` to the report time; an "unknown" bucket is added only
    /// when some ticket has no readable `created_at`.
    pub age: Vec<Bucket>,
    /// Analyzed tickets per detected language, most first, undetected last.
    #[serde(default)]
    pub languages: Vec<LanguageRow>,
}

/// One language of the language table: its tickets and their sentiment labels
/// (`unknown` kept apart, not folded into the score's label).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LanguageRow {
    /// ISO 639-1 code; empty for tickets whose language was not detected.
    pub key: String,
    /// "German (de)", or "Not detected".
    pub label: String,
    pub count: u64,
    /// Percent of analyzed tickets, 1 decimal.
    pub share: f64,
    pub positive: u64,
    pub neutral: u64,
    pub negative: u64,
    pub unknown: u64,
}

/// The executive summary: the things to act on first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub business_impact: CountShare,
    /// Priority score 7-8.
    pub high_priority: CountShare,
    /// Priority score 9-10.
    pub critical_priority: CountShare,
    /// Urgency 4-5.
    pub high_urgency: CountShare,
    /// Frustration 4-5.
    pub high_frustration: CountShare,
    /// Failed tickets; the share is of all tickets, not of analyzed ones.
    pub failed: CountShare,
}

/// A count and its share of analyzed tickets, in percent (1 decimal).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CountShare {
    pub count: u64,
    pub share: f64,
}

/// One bar of a distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// Stable machine key, e.g. `negative`, `7`, `1_7d`.
    pub key: String,
    /// What a reader sees, e.g. "High (7-8)" or "5 — Critical — act now".
    pub label: String,
    pub count: u64,
    /// Percent of analyzed tickets, 1 decimal.
    pub share: f64,
}

/// A label distribution with a bounded top list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelCounts {
    /// Most frequent first, ties by name.
    pub top: Vec<Bucket>,
    /// Tickets whose label did not make the top list.
    pub other: CountShare,
    /// How many distinct labels there were (top list included).
    pub distinct: u64,
}

/// Averages over analyzed tickets, each with a plain-language reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Averages {
    pub sentiment_score: Average,
    pub urgency: Average,
    pub frustration: Average,
    pub priority_score: Average,
    pub technical_expertise: Average,
}

/// An average rounded to 2 decimals, and what it means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Average {
    pub value: f64,
    pub meaning: String,
}

/// The aggregates of one view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViewSection {
    pub id: u64,
    pub title: String,
    pub section: Section,
}

/// One day of the trend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendDay {
    /// `YYYY-MM-DD`, UTC.
    pub date: String,
    /// Analyzed tickets last updated that day.
    pub tickets: u64,
    /// Their average sentiment score (2 decimals); `None` on days without tickets.
    pub avg_sentiment: Option<f64>,
}

/// A bounded list of tickets and how many qualified in total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketList {
    pub total: u64,
    pub shown: Vec<TicketRef>,
}

/// A ticket as listed in a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketRef {
    pub id: u64,
    pub subject: String,
    pub priority_score: u8,
    pub requester_name: Option<String>,
    pub organization_name: Option<String>,
    pub link: Option<String>,
}
