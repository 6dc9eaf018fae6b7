//! Reports over the results store: what a support lead reads on Monday.
//!
//! [`build`] folds a stream of [`ResultRecord`]s into a [`Report`] in one pass, keeping
//! only counters and bounded top lists, so 100,000+ tickets need no more memory than a
//! dozen. [`render`] turns the same `Report` into text (terminals), Markdown (wikis),
//! a self-contained HTML page with inline SVG charts, or JSON.
//!
//! Decisions worth knowing:
//! * Distributions, averages and shares cover *analyzed* tickets only; failed tickets
//!   (`analysis: None`) are counted separately, and their share is of all tickets.
//! * Every share and average is rounded once, here, when the report is built
//!   (percentages to 1 decimal, averages to 2), and the renderers print those stored
//!   figures with fixed precision. So text, Markdown, HTML and JSON always agree.
//! * The results store keeps one record per ticket, so the combined picture counts each
//!   record once; a ticket in two views also appears in both per-view sections.
//! * With `since`, tickets without a readable `updated_at` are left out (counted in
//!   `excluded`), since nobody can say they were updated within the window.
//! * Rows of a hybrid analyzer (`analyzer` cell `hybrid:...`) are counted by the part
//!   that decided them; the header line gives the model's share.
//! * Timestamps are RFC 3339 (`Z` or a `+hh:mm` offset); a ticket whose `created_at`
//!   cannot be read lands in an "unknown" age bucket. Days are UTC days.

mod aggregate;
mod breakdown;
mod breakdown_render;
mod html;
mod languages;
mod markdown;
mod settings;
mod svg;
mod text;
mod types;

#[cfg(test)]
mod render_tests;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use serde::Deserialize;

pub use breakdown::{Missing, BUILT_IN};
pub use settings::ReportSettings;
pub use types::{
    Agreement, Average, Averages, Breakdown, BreakdownRow, Bucket, CountShare, Filters,
    HybridShare, LabelCounts, LanguageRow, Report, Section, Summary, TicketList, TicketRef,
    TrendDay, ViewSection,
};

use crate::model::ResultRecord;

/// What to report on and how to label it.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// Only tickets in one of these views; empty means all views.
    pub views: Vec<u64>,
    /// Only tickets updated within this long before `now`.
    pub since: Option<Duration>,
    /// The reference time for ages, `since` and the trend window.
    pub now: SystemTime,
    /// Human names for view ids; unnamed views show as "View <id>".
    pub view_titles: BTreeMap<u64, String>,
    /// How many tickets the high-priority and business-impact lists show.
    pub top_n: usize,
    pub title: String,
    /// Dimensions to break the analyzed tickets down by (`[report] by`, `--by`).
    pub by: Vec<String>,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            views: Vec::new(),
            since: None,
            now: SystemTime::now(),
            view_titles: BTreeMap::new(),
            top_n: 25,
            title: "Zendesk ticket analysis".to_string(),
            by: Vec::new(),
        }
    }
}

/// Folds `records` into a report in a single streaming pass.
pub fn build(records: impl IntoIterator<Item = ResultRecord>, opts: &ReportOptions) -> Report {
    let mut acc = aggregate::ReportBuilder::new(opts);
    for record in records {
        acc.add(&record);
    }
    acc.finish()
}

/// The output formats of [`render`]: one enum for the pipeline file (serde) and the
/// command line (`--format`, clap), spelled the same in both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[serde(alias = "txt")]
    #[value(alias = "txt")]
    Text,
    #[serde(alias = "md")]
    #[value(alias = "md")]
    Markdown,
    Html,
    Json,
}

/// Renders `report` in `format`. Every format shows the same rounded figures.
pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Text => text::render(report),
        Format::Markdown => markdown::render(report),
        Format::Html => html::render(report),
        Format::Json => {
            let mut json = serde_json::to_string_pretty(report)
                .expect("a report holds only strings, numbers and lists");
            json.push('\n');
            json
        }
    }
}

/// Figures shared by the renderers, so every format prints them the same way.
mod fmt_num {
    /// A percentage as stored in the report (already rounded to 1 decimal).
    pub fn pct(share: f64) -> String {
        format!("{share:.1}%")
    }

    /// An average as stored in the report (already rounded to 2 decimals).
    pub fn avg(value: f64) -> String {
        format!("{value:.2}")
    }
}
