//! Markdown rendering for wikis: the same content as the text report, as tables.
//!
//! Ticket text is escaped so that `|` cannot break a table and `<`, `[`, `*` and
//! friends cannot turn into markup (many wikis render inline HTML).

use std::fmt::Write;

use super::fmt_num::{avg, pct};
use super::types::{Bucket, Report, Section, TicketList};

pub(super) fn render(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", esc(&r.title));
    let _ = writeln!(out, "_Generated {}{}_", r.generated_at, r.filter_note("·"));
    let s = &r.overall;
    if r.empty {
        let _ = writeln!(out, "\nNo analyzed tickets yet.");
        if s.failed > 0 {
            let _ = writeln!(out, "\nFailed tickets: {}", s.failed);
        }
        return out;
    }
    let _ = writeln!(out, "\n## Executive summary\n");
    summary(&mut out, s);
    let _ = writeln!(out, "\n## High-priority tickets (score 7-10)\n");
    tickets(&mut out, &r.high_priority);
    let _ = writeln!(out, "\n## Business-impact tickets\n");
    tickets(&mut out, &r.business_impact);
    distributions(&mut out, s);
    super::breakdown_render::markdown(&mut out, r, esc);
    if !r.trend.is_empty() {
        let _ = writeln!(
            out,
            "\n## Daily trend (last 30 days, by last update, UTC)\n"
        );
        let _ = writeln!(out, "| Date | Tickets | Avg sentiment |\n|---|---:|---:|");
        for d in &r.trend {
            let sentiment = d.avg_sentiment.map(avg).unwrap_or_else(|| "–".into());
            let _ = writeln!(out, "| {} | {} | {} |", d.date, d.tickets, sentiment);
        }
    }
    for v in &r.views {
        let _ = writeln!(out, "\n## View: {} (#{})\n", esc(&v.title), v.id);
        summary(&mut out, &v.section);
        let _ = writeln!(out, "\n**Sentiment**\n");
        table(&mut out, "Sentiment", &v.section.sentiment);
        let _ = writeln!(out, "\n**Priority**\n");
        table(&mut out, "Priority", &v.section.priority_levels);
        let _ = writeln!(out);
        averages(&mut out, &v.section);
    }
    out
}

fn summary(out: &mut String, s: &Section) {
    let m = &s.summary;
    let _ = writeln!(out, "Analyzed tickets: **{}** of {}\n", s.analyzed, s.total);
    let _ = writeln!(out, "| Signal | Tickets | Share |\n|---|---:|---:|");
    let rows = [
        ("**Business impact**", m.business_impact),
        ("**Critical priority (9-10)**", m.critical_priority),
        ("High priority (7-8)", m.high_priority),
        ("Urgency 4-5", m.high_urgency),
        ("Frustration 4-5", m.high_frustration),
        ("Failed (of all tickets)", m.failed),
    ];
    for (label, cs) in rows {
        let _ = writeln!(out, "| {label} | {} | {} |", cs.count, pct(cs.share));
    }
}

fn tickets(out: &mut String, list: &TicketList) {
    if list.total == 0 {
        let _ = writeln!(out, "none");
        return;
    }
    let _ = writeln!(out, "Showing {} of {}\n", list.shown.len(), list.total);
    let _ = writeln!(
        out,
        "| Ticket | Score | Subject | Requester | Organization |\n|---|---:|---|---|---|"
    );
    for t in &list.shown {
        let id = match t.link.as_deref().filter(|l| super::html::is_web_link(l)) {
            Some(link) => format!("[#{}](<{}>)", t.id, link_esc(link)),
            None => format!("#{}", t.id),
        };
        let _ = writeln!(
            out,
            "| {id} | {} | {} | {} | {} |",
            t.priority_score,
            esc(&t.subject),
            esc(t.requester_name.as_deref().unwrap_or("–")),
            esc(t.organization_name.as_deref().unwrap_or("–")),
        );
    }
}

fn distributions(out: &mut String, s: &Section) {
    let _ = writeln!(out, "\n## Sentiment\n");
    table(out, "Sentiment", &s.sentiment);
    let _ = writeln!(out, "\n## Priority score\n");
    table(out, "Level", &s.priority_levels);
    let _ = writeln!(out);
    table(out, "Score", &s.priority_scores);
    let _ = writeln!(out, "\n## Urgency\n");
    table(out, "Urgency", &s.urgency);
    let _ = writeln!(out, "\n## Frustration\n");
    table(out, "Frustration", &s.frustration);
    let _ = writeln!(out, "\n## Top components\n");
    if s.components.top.is_empty() {
        let _ = writeln!(out, "none");
    } else {
        table(out, "Component", &s.components.top);
    }
    let _ = writeln!(
        out,
        "\nNo component: {} ({})",
        s.no_component.count,
        pct(s.no_component.share)
    );
    if s.components.other.count > 0 {
        let _ = writeln!(
            out,
            "\nOther components: {} ({})",
            s.components.other.count,
            pct(s.components.other.share)
        );
    }
    let _ = writeln!(out, "\n## Categories\n");
    table(out, "Category", &s.categories.top);
    if s.categories.other.count > 0 {
        let _ = writeln!(
            out,
            "\nOther categories: {} ({})",
            s.categories.other.count,
            pct(s.categories.other.share)
        );
    }
    languages(out, s);
    let _ = writeln!(out, "\n## Averages\n");
    averages(out, s);
    let _ = writeln!(out, "\n## Ticket age (since created)\n");
    table(out, "Age", &s.age);
}

/// The language table: tickets and their sentiment labels per language.
fn languages(out: &mut String, s: &Section) {
    let _ = writeln!(out, "\n## Languages\n");
    let _ = writeln!(
        out,
        "| Language | Tickets | Share | Positive | Neutral | Negative | Unknown |\n\
         |---|---:|---:|---:|---:|---:|---:|"
    );
    for l in &s.languages {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            esc(&l.label),
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
    let _ = writeln!(out, "| Measure | Average | Meaning |\n|---|---:|---|");
    let rows = [
        ("Sentiment score (-1..1)", &a.sentiment_score),
        ("Urgency (1-5)", &a.urgency),
        ("Frustration (1-5)", &a.frustration),
        ("Priority score (1-10)", &a.priority_score),
        ("Technical expertise (1-5)", &a.technical_expertise),
    ];
    for (label, v) in rows {
        let _ = writeln!(out, "| {label} | {} | {} |", avg(v.value), v.meaning);
    }
}

fn table(out: &mut String, what: &str, buckets: &[Bucket]) {
    let _ = writeln!(out, "| {what} | Tickets | Share |\n|---|---:|---:|");
    for b in buckets {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            esc(&b.label),
            b.count,
            pct(b.share)
        );
    }
}

/// Escapes text for a Markdown table cell.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '|' | '`' | '*' | '_' | '[' | ']' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A URL inside `<...>`: only `<`, `>` and whitespace would end or break it.
fn link_esc(url: &str) -> String {
    url.replace('<', "%3C")
        .replace('>', "%3E")
        .replace(' ', "%20")
        .replace(|c: char| c.is_control(), "")
}
