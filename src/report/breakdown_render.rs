//! The breakdown tables and the agreement table in text, Markdown and HTML (JSON
//! serializes the report's [`Breakdown`]s as they are). Every format prints the same
//! stored figures.

use std::fmt::Write;

use super::aggregate::share;
use super::fmt_num::avg;
use super::svg::bar_chart;
use super::types::{Agreement, Breakdown, BreakdownRow, Bucket, Report};

const HEADS: [&str; 8] = [
    "tickets",
    "positive",
    "neutral",
    "negative",
    "unknown",
    "avg priority",
    "urgency 4-5",
    "frustration 4-5",
];

/// The figures of a row after its label, as printed.
fn cells(r: &BreakdownRow) -> [String; 8] {
    [
        r.tickets.to_string(),
        r.positive.to_string(),
        r.neutral.to_string(),
        r.negative.to_string(),
        r.unknown.to_string(),
        avg(r.average_priority),
        r.urgency_4_5.to_string(),
        r.frustration_4_5.to_string(),
    ]
}

/// Every table of the report: a title, the first column's name and the rows.
fn tables(r: &Report) -> Vec<(String, &str, &[BreakdownRow])> {
    let mut out: Vec<(String, &str, &[BreakdownRow])> = r
        .breakdowns
        .iter()
        .map(|b: &Breakdown| {
            (
                format!("By {}", b.dimension),
                b.dimension.as_str(),
                &b.rows[..],
            )
        })
        .collect();
    if let Some(Agreement { rows }) = &r.agreement {
        out.push((
            "Customer ratings against the analysis".to_string(),
            "rating",
            &rows[..],
        ));
    }
    out
}

pub(super) fn text(out: &mut String, r: &Report, clean: fn(&str) -> String) {
    for (title, first, rows) in tables(r) {
        let _ = writeln!(out, "\n{title}\n{}", "-".repeat(title.chars().count()));
        let width = rows
            .iter()
            .map(|row| row.value.chars().count())
            .chain([first.chars().count()])
            .max()
            .unwrap_or(8);
        let _ = write!(out, "  {:<width$}", clean(first));
        for h in HEADS {
            let _ = write!(out, "  {h:>8}");
        }
        out.push('\n');
        for row in rows {
            let _ = write!(out, "  {:<width$}", clean(&row.value));
            for c in cells(row) {
                let _ = write!(out, "  {c:>8}");
            }
            out.push('\n');
        }
    }
}

pub(super) fn markdown(out: &mut String, r: &Report, esc: fn(&str) -> String) {
    for (title, first, rows) in tables(r) {
        let _ = writeln!(out, "\n## {}\n", esc(&title));
        let _ = writeln!(out, "| {} | {} |", esc(first), HEADS.join(" | "));
        let _ = writeln!(out, "|---|{}", "---:|".repeat(HEADS.len()));
        for row in rows {
            let _ = writeln!(out, "| {} | {} |", esc(&row.value), cells(row).join(" | "));
        }
    }
}

pub(super) fn html(h: &mut String, r: &Report, esc: fn(&str) -> String) {
    for (i, (title, first, rows)) in tables(r).into_iter().enumerate() {
        let is_agreement = r.agreement.is_some() && i == r.breakdowns.len();
        let name = if is_agreement {
            "agreement".to_string()
        } else {
            format!("by-{}", esc(first))
        };
        let _ = write!(h, "<h2>{}</h2>\n<div class=\"card\">", esc(&title));
        let total: u64 = rows.iter().map(|row| row.tickets).sum();
        let buckets: Vec<Bucket> = rows
            .iter()
            .map(|row| Bucket {
                key: row.value.clone(),
                label: row.value.clone(),
                count: row.tickets,
                share: share(row.tickets, total),
            })
            .collect();
        h.push_str(&bar_chart(&name, &title, &buckets));
        let _ = write!(
            h,
            "</div>\n<div class=\"scroll\"><table data-table=\"{name}\"><tr><th>{}</th>",
            esc(first)
        );
        for head in HEADS {
            let _ = write!(h, "<th class=\"num\">{head}</th>");
        }
        h.push_str("</tr>");
        for row in rows {
            let _ = write!(
                h,
                "<tr data-key=\"{}\"><td>{}</td>",
                esc(&row.value),
                esc(&row.value)
            );
            for c in cells(row) {
                let _ = write!(h, "<td class=\"num\">{c}</td>");
            }
            h.push_str("</tr>");
        }
        h.push_str("</table></div>\n");
    }
}
