//! Plain-text rendering for terminals: aligned columns and `#` bars.
//!
//! Ticket text comes from customers, so control characters (terminal escape sequences
//! included) are replaced before printing.

use std::fmt::Write;

use super::fmt_num::{avg, pct};
use super::types::{Bucket, Report, Section, TicketList};

/// Widest bar, in characters, for the largest bucket of a distribution.
const BAR_WIDTH: usize = 30;
/// Subjects longer than this are cut to keep the ticket tables on one line each.
const SUBJECT_WIDTH: usize = 50;

pub(super) fn render(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", clean(&r.title));
    let _ = writeln!(out, "{}", "=".repeat(r.title.chars().count().max(3)));
    let _ = writeln!(out, "Generated {}{}", r.generated_at, r.filter_note("|"));
    let s = &r.overall;
    if r.empty {
        let _ = writeln!(out, "\nNo analyzed tickets yet.");
        if s.failed > 0 {
            let _ = writeln!(out, "Failed tickets: {}", s.failed);
        }
        return out;
    }
    heading(&mut out, "Executive summary");
    summary(&mut out, s);
    heading(&mut out, "High-priority tickets (score 7-10)");
    tickets(&mut out, &r.high_priority);
    heading(&mut out, "Business-impact tickets");
    tickets(&mut out, &r.business_impact);
    distributions(&mut out, s);
    super::breakdown_render::text(&mut out, r, clean);
    if !r.trend.is_empty() {
        heading(&mut out, "Daily trend (last 30 days, by last update, UTC)");
        let max = r.trend.iter().map(|d| d.tickets).max().unwrap_or(0);
        let _ = writeln!(out, "{:<10}  {:>7}  {:>9}", "date", "tickets", "sentiment");
        for d in &r.trend {
            let sentiment = d.avg_sentiment.map(avg).unwrap_or_else(|| "-".into());
            let line = format!(
                "{:<10}  {:>7}  {:>9}  {}",
                d.date,
                d.tickets,
                sentiment,
                bar(d.tickets, max)
            );
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }
    for v in &r.views {
        heading(&mut out, &format!("View: {} (#{})", clean(&v.title), v.id));
        summary(&mut out, &v.section);
        sub(&mut out, "Sentiment");
        table(&mut out, &v.section.sentiment);
        sub(&mut out, "Priority");
        table(&mut out, &v.section.priority_levels);
        sub(&mut out, "Averages");
        averages(&mut out, &v.section);
    }
    out
}

fn heading(out: &mut String, title: &str) {
    let _ = writeln!(out, "\n{title}\n{}", "-".repeat(title.chars().count()));
}

fn sub(out: &mut String, title: &str) {
    let _ = writeln!(out, "\n{title}:");
}

fn summary(out: &mut String, s: &Section) {
    let m = &s.summary;
    let rows = [
        (
            "Business impact",
            m.business_impact.count,
            pct(m.business_impact.share),
        ),
        (
            "Critical priority (9-10)",
            m.critical_priority.count,
            pct(m.critical_priority.share),
        ),
        (
            "High priority (7-8)",
            m.high_priority.count,
            pct(m.high_priority.share),
        ),
        (
            "Urgency 4-5",
            m.high_urgency.count,
            pct(m.high_urgency.share),
        ),
        (
            "Frustration 4-5",
            m.high_frustration.count,
            pct(m.high_frustration.share),
        ),
        (
            "Failed (of all tickets)",
            m.failed.count,
            pct(m.failed.share),
        ),
    ];
    let _ = writeln!(out, "Analyzed tickets: {} of {}", s.analyzed, s.total);
    for (label, count, share) in rows {
        let _ = writeln!(out, "  {label:<26} {count:>7}  {share:>6}");
    }
}

fn tickets(out: &mut String, list: &TicketList) {
    if list.total == 0 {
        let _ = writeln!(out, "none");
        return;
    }
    let _ = writeln!(out, "Showing {} of {}", list.shown.len(), list.total);
    let rows: Vec<[String; 6]> = list
        .shown
        .iter()
        .map(|t| {
            [
                format!("#{}", t.id),
                t.priority_score.to_string(),
                truncate(&clean(&t.subject), SUBJECT_WIDTH),
                clean(t.requester_name.as_deref().unwrap_or("-")),
                clean(t.organization_name.as_deref().unwrap_or("-")),
                clean(t.link.as_deref().unwrap_or("")),
            ]
        })
        .collect();
    let header = [
        "ticket",
        "score",
        "subject",
        "requester",
        "organization",
        "link",
    ]
    .map(String::from);
    let mut widths = [0usize; 6];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            let pad = w - cell.chars().count();
            if i == 1 {
                let _ = write!(line, "{}{cell}  ", " ".repeat(pad));
            } else {
                let _ = write!(line, "{cell}{}  ", " ".repeat(pad));
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

fn distributions(out: &mut String, s: &Section) {
    heading(out, "Sentiment");
    table(out, &s.sentiment);
    heading(out, "Priority score");
    table(out, &s.priority_levels);
    sub(out, "By score");
    table(out, &s.priority_scores);
    heading(out, "Urgency");
    table(out, &s.urgency);
    heading(out, "Frustration");
    table(out, &s.frustration);
    heading(out, "Top components");
    if s.components.top.is_empty() {
        let _ = writeln!(out, "none");
    } else {
        table(out, &s.components.top);
    }
    let _ = writeln!(
        out,
        "No component: {} ({})",
        s.no_component.count,
        pct(s.no_component.share)
    );
    if s.components.other.count > 0 {
        let _ = writeln!(
            out,
            "Other components: {} ({})",
            s.components.other.count,
            pct(s.components.other.share)
        );
    }
    heading(out, "Categories");
    table(out, &s.categories.top);
    if s.categories.other.count > 0 {
        let _ = writeln!(
            out,
            "Other categories: {} ({})",
            s.categories.other.count,
            pct(s.categories.other.share)
        );
    }
    languages(out, s);
    heading(out, "Averages");
    averages(out, s);
    heading(out, "Ticket age (since created)");
    table(out, &s.age);
}

/// The language table: tickets and their sentiment labels per language.
fn languages(out: &mut String, s: &Section) {
    heading(out, "Languages");
    let width = s
        .languages
        .iter()
        .map(|l| l.label.chars().count())
        .chain([8])
        .max()
        .unwrap_or(8);
    let _ = writeln!(
        out,
        "  {:<width$}  {:>7}  {:>6}  {:>8}  {:>7}  {:>8}  {:>7}",
        "language", "tickets", "share", "positive", "neutral", "negative", "unknown"
    );
    for l in &s.languages {
        let _ = writeln!(
            out,
            "  {:<width$}  {:>7}  {:>6}  {:>8}  {:>7}  {:>8}  {:>7}",
            clean(&l.label),
            l.count,
            pct(l.share),
            l.positive,
            l.neutral,
            l.negative,
            l.unknown
        );
    }
}

fn averages(out: &mut String, s: &Section) {
    let Some(a) = &s.averages else {
        let _ = writeln!(out, "none");
        return;
    };
    let rows = [
        ("Sentiment score (-1..1)", &a.sentiment_score),
        ("Urgency (1-5)", &a.urgency),
        ("Frustration (1-5)", &a.frustration),
        ("Priority score (1-10)", &a.priority_score),
        ("Technical expertise (1-5)", &a.technical_expertise),
    ];
    for (label, v) in rows {
        let _ = writeln!(out, "  {label:<26} {:>6}  {}", avg(v.value), v.meaning);
    }
}

/// A distribution as aligned rows: label, count, share, bar scaled to the largest.
fn table(out: &mut String, buckets: &[Bucket]) {
    let width = buckets
        .iter()
        .map(|b| b.label.chars().count())
        .max()
        .unwrap_or(0);
    let max = buckets.iter().map(|b| b.count).max().unwrap_or(0);
    for b in buckets {
        let label = clean(&b.label);
        let pad = width.saturating_sub(label.chars().count());
        let line = format!(
            "  {label}{}  {:>7}  {:>6}  {}",
            " ".repeat(pad),
            b.count,
            pct(b.share),
            bar(b.count, max)
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

fn bar(count: u64, max: u64) -> String {
    if max == 0 {
        return String::new();
    }
    let len = ((count as f64 / max as f64) * BAR_WIDTH as f64).round() as usize;
    // A non-zero count always gets at least one mark, so it is not mistaken for none.
    "#".repeat(if count > 0 { len.max(1) } else { 0 })
}

/// Customer text made safe for a terminal: control characters become spaces.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}
