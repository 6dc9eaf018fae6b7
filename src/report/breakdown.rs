//! Breakdowns (`[report] by`, `--by`): the analyzed tickets per value of a
//! dimension, and the agreement table of customers' satisfaction ratings against the
//! analysis.
//!
//! A dimension is looked up first among the record's extra `columns` (by name,
//! case-insensitive: custom fields and standard columns such as `channel`), then among
//! what every record has ([`BUILT_IN`]). A record without a value counts under
//! [`NO_VALUE`]. The agreement table reads the column named `satisfaction` and counts
//! only tickets rated `good` or `bad`.

use std::collections::{BTreeSet, HashMap};

use super::aggregate::round2;
use super::types::{Agreement, Breakdown, BreakdownRow};
use crate::model::{Analysis, ResultRecord, Sentiment};

/// The dimensions every record has, whatever columns were written.
pub const BUILT_IN: [&str; 9] = [
    "status",
    "priority",
    "organization",
    "requester",
    "language",
    "category",
    "component",
    "sentiment",
    "view",
];

/// The row of records without a value for the dimension.
pub(super) const NO_VALUE: &str = "(none)";

/// Counts behind one row.
#[derive(Default, Clone)]
struct RowAcc {
    tickets: u64,
    /// positive, neutral, negative, unknown.
    sentiment: [u64; 4],
    priority_sum: u64,
    urgent: u64,
    frustrated: u64,
}

impl RowAcc {
    fn add(&mut self, a: &Analysis) {
        self.tickets += 1;
        let idx = match a.sentiment {
            Sentiment::Positive => 0,
            Sentiment::Neutral => 1,
            Sentiment::Negative => 2,
            Sentiment::Unknown => 3,
        };
        self.sentiment[idx] += 1;
        self.priority_sum += u64::from(a.priority_score);
        self.urgent += u64::from(a.urgency >= 4);
        self.frustrated += u64::from(a.frustration >= 4);
    }

    fn finish(self, value: String) -> BreakdownRow {
        let [positive, neutral, negative, unknown] = self.sentiment;
        BreakdownRow {
            value,
            tickets: self.tickets,
            positive,
            neutral,
            negative,
            unknown,
            average_priority: round2(self.priority_sum as f64 / self.tickets.max(1) as f64),
            urgency_4_5: self.urgent,
            frustration_4_5: self.frustrated,
        }
    }
}

/// The breakdowns asked for, folded one record at a time.
pub(super) struct BreakdownAcc {
    dimensions: Vec<String>,
    rows: Vec<HashMap<String, RowAcc>>,
    /// Whether any record had a value for each dimension.
    found: Vec<bool>,
    ratings: HashMap<String, RowAcc>,
    columns_seen: BTreeSet<String>,
}

impl BreakdownAcc {
    pub(super) fn new(dimensions: &[String]) -> Self {
        BreakdownAcc {
            dimensions: dimensions.to_vec(),
            rows: vec![HashMap::new(); dimensions.len()],
            found: vec![false; dimensions.len()],
            ratings: HashMap::new(),
            columns_seen: BTreeSet::new(),
        }
    }

    pub(super) fn add(&mut self, record: &ResultRecord, a: &Analysis) {
        for (name, _) in &record.columns {
            if !self.columns_seen.contains(name) {
                self.columns_seen.insert(name.clone());
            }
        }
        for (i, dim) in self.dimensions.iter().enumerate() {
            let value = value_of(record, a, dim);
            self.found[i] |= value.is_some();
            let value = value.unwrap_or_else(|| NO_VALUE.to_string());
            self.rows[i].entry(value).or_default().add(a);
        }
        let rating = column(record, "satisfaction").map(|r| r.trim().to_ascii_lowercase());
        if let Some(rating) = rating.filter(|r| r == "good" || r == "bad") {
            self.ratings.entry(rating).or_default().add(a);
        }
    }

    /// The tables, rows by volume (ties by value); the agreement table when some
    /// ticket was rated; and the dimensions no record had, with what is available.
    pub(super) fn finish(self) -> (Vec<Breakdown>, Option<Agreement>, Missing) {
        let dimensions: Vec<String> = self
            .dimensions
            .iter()
            .zip(&self.found)
            .filter(|(_, found)| !**found)
            .map(|(d, _)| d.clone())
            .collect();
        // What exists is listed only for the error about what does not.
        let available = match dimensions.is_empty() {
            true => Vec::new(),
            false => BUILT_IN
                .iter()
                .map(|s| s.to_string())
                .chain(self.columns_seen)
                .collect(),
        };
        let missing = Missing {
            dimensions,
            available,
        };
        let breakdowns = self
            .dimensions
            .into_iter()
            .zip(self.rows)
            .map(|(dimension, rows)| Breakdown {
                dimension,
                rows: by_volume(rows),
            })
            .collect();
        let agreement = (!self.ratings.is_empty()).then(|| Agreement {
            rows: ["good", "bad"]
                .into_iter()
                .filter_map(|r| self.ratings.get(r).cloned().map(|acc| acc.finish(r.into())))
                .collect(),
        });
        (breakdowns, agreement, missing)
    }
}

/// Dimensions asked for that no record had, and the ones that exist.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Missing {
    pub dimensions: Vec<String>,
    pub available: Vec<String>,
}

fn by_volume(rows: HashMap<String, RowAcc>) -> Vec<BreakdownRow> {
    let mut rows: Vec<BreakdownRow> = rows.into_iter().map(|(v, acc)| acc.finish(v)).collect();
    rows.sort_by(|a, b| {
        (std::cmp::Reverse(a.tickets), &a.value).cmp(&(std::cmp::Reverse(b.tickets), &b.value))
    });
    rows
}

/// The value of an extra column, by name, case-insensitive; empty is none.
fn column<'r>(record: &'r ResultRecord, name: &str) -> Option<&'r str> {
    record
        .columns
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.trim().is_empty())
}

/// The record's value for `dim`: its column of that name, else a built-in.
fn value_of(record: &ResultRecord, a: &Analysis, dim: &str) -> Option<String> {
    if let Some(v) = column(record, dim) {
        return Some(v.to_string());
    }
    let text = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
    match dim.to_ascii_lowercase().as_str() {
        "status" => text(&record.status),
        "priority" => text(&record.priority),
        "organization" => text(&record.organization_name)
            .or_else(|| record.organization_id.map(|id| id.to_string())),
        "requester" => {
            text(&record.requester_name).or_else(|| record.requester_id.map(|id| id.to_string()))
        }
        "language" => Some(a.language.clone()).filter(|l| !l.is_empty()),
        "category" => Some(a.category.clone()).filter(|c| !c.is_empty()),
        "component" => Some(a.component.clone()).filter(|c| !c.is_empty()),
        "sentiment" => Some(a.sentiment.as_str().to_string()),
        "view" => record.view_ids.first().map(u64::to_string),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{fixture, opts};
    use super::super::{build, render, Format, ReportOptions};

    #[test]
    fn columns_and_built_in_dimensions_break_down_the_analyzed_tickets() {
        let mut records = fixture();
        for (i, r) in records.iter_mut().enumerate() {
            let channel = if i % 3 == 0 { "web" } else { "email" };
            r.columns.push(("Channel".into(), channel.into()));
            if i < 4 {
                let rating = if i % 2 == 0 { "good" } else { "bad" };
                r.columns.push(("satisfaction".into(), rating.into()));
            }
        }
        let by = ReportOptions {
            by: vec!["channel".into(), "category".into(), "nope".into()],
            ..opts()
        };
        let r = build(records, &by);
        let analyzed = r.overall.analyzed;
        assert_eq!(r.breakdowns.len(), 3);
        for b in &r.breakdowns[..2] {
            assert_eq!(b.rows.iter().map(|row| row.tickets).sum::<u64>(), analyzed);
            assert!(
                b.rows.windows(2).all(|w| w[0].tickets >= w[1].tickets),
                "by volume"
            );
            for row in &b.rows {
                assert_eq!(
                    row.positive + row.neutral + row.negative + row.unknown,
                    row.tickets
                );
            }
        }
        let channels: Vec<&str> = r.breakdowns[0]
            .rows
            .iter()
            .map(|row| row.value.as_str())
            .collect();
        assert_eq!(
            channels,
            ["email", "web"],
            "found by name, case-insensitive"
        );
        assert_eq!(r.missing.dimensions, ["nope"]);
        assert!(r.missing.available.contains(&"Channel".to_string()));
        let agreement = r.agreement.as_ref().expect("ratings exist");
        let ratings: Vec<&str> = agreement
            .rows
            .iter()
            .map(|row| row.value.as_str())
            .collect();
        assert!(!ratings.is_empty() && ratings.iter().all(|r| *r == "good" || *r == "bad"));
        for format in [Format::Text, Format::Markdown, Format::Html] {
            let out = render(&r, format);
            assert!(
                out.contains("By channel") && out.contains("Customer ratings"),
                "{format:?}"
            );
        }
        assert!(render(&r, Format::Html).contains("data-chart=\"by-channel\""));
        let json: serde_json::Value = serde_json::from_str(&render(&r, Format::Json)).unwrap();
        assert_eq!(json["breakdowns"][0]["dimension"], "channel");
        assert!(json["agreement"]["rows"].is_array());
    }

    #[test]
    fn without_by_or_ratings_a_report_has_no_breakdown() {
        let r = build(fixture(), &opts());
        assert!(r.breakdowns.is_empty() && r.agreement.is_none());
        let json: serde_json::Value = serde_json::from_str(&render(&r, Format::Json)).unwrap();
        assert!(json.get("breakdowns").is_none() && json.get("agreement").is_none());
    }
}
