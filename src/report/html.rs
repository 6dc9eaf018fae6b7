//! The HTML report: one self-contained page with inline CSS and inline SVG charts.
//!
//! It must work offline and from an email attachment, so it makes no request at all:
//! no fonts, scripts or images from elsewhere, a `data:` favicon so browsers do not
//! fetch `/favicon.ico`, and a Content-Security-Policy that forbids everything but
//! inline styles and `data:` images (a second line of defence should escaping ever
//! miss a `<script>` in a subject). Tables scroll sideways on narrow screens and a
//! print stylesheet drops colours and shadows.

use std::fmt::Write;

use super::fmt_num::{avg, pct};
use super::svg::{bar_chart, trend_chart};
use super::types::{Bucket, CountShare, Report, Section, TicketList};

const CSS: &str = r#"
:root{--fg:#1f2933;--muted:#616e7c;--line:#e4e7eb;--card:#fff;--bg:#f5f7fa;--accent:#2f6fdf}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{max-width:1100px;margin:0 auto;padding:16px}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.2em;margin:1.4em 0 .5em;border-bottom:1px solid var(--line);padding-bottom:.2em}
h3{font-size:1em;margin:1em 0 .4em}
.meta,.note{color:var(--muted);font-size:.9em}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px;margin-bottom:14px}
.kpi{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.kpi .n{font-size:1.6em;font-weight:600}.kpi .s{color:var(--muted)}
.kpi.alert{border-left:5px solid #d64545}.kpi.warn{border-left:5px solid #e09f3e}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(420px,100%),1fr));gap:14px}
@media (max-width:500px){main{padding:8px}}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px;break-inside:avoid}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:.92em}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);white-space:nowrap}
td.subject{white-space:normal;min-width:220px}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
svg.chart{width:100%;height:auto;display:block}
svg .label,svg .value,svg .legend{font-size:13px;fill:var(--fg)}
svg .legend{fill:var(--muted)}
rect.bar{fill:var(--accent)}
rect.bar[data-key=positive]{fill:#3f9c5a}rect.bar[data-key=neutral]{fill:#9aa5b1}rect.bar[data-key=negative]{fill:#d64545}
rect.bar[data-key=high]{fill:#e09f3e}rect.bar[data-key=critical]{fill:#d64545}
svg .axis{stroke:var(--muted)}svg .line{fill:none;stroke:#d64545;stroke-width:2}svg .dot{fill:#d64545}
a{color:var(--accent)}
@media print{body{background:#fff;font-size:12px}main{max-width:none;padding:0}.card,.kpi{border:1px solid #999;box-shadow:none}
.scroll{overflow:visible}td,th{white-space:normal}h2{break-after:avoid}a{color:inherit;text-decoration:none}}
"#;

pub(super) fn render(r: &Report) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let _ = write!(
        h,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<link rel="icon" href="data:,">
<title>{}</title>
<style>{CSS}</style></head>
<body><main>
<h1>{}</h1>
<p class="meta">Generated {}{}</p>
"#,
        esc(&r.title),
        esc(&r.title),
        esc(&r.generated_at),
        esc(&r.filter_note("·"))
    );
    let s = &r.overall;
    if r.empty {
        h.push_str("<p><strong>No analyzed tickets yet.</strong></p>\n");
        if s.failed > 0 {
            let _ = writeln!(h, "<p>Failed tickets: {}</p>", s.failed);
        }
        h.push_str("</main></body></html>\n");
        return h;
    }
    h.push_str("<h2>Executive summary</h2>\n");
    summary(&mut h, s);
    // Charts before the long ticket lists: most readers look at the picture first.
    distributions(&mut h, s);
    super::breakdown_render::html(&mut h, r, esc);
    if !r.trend.is_empty() {
        h.push_str(
            "<h2>Daily trend (last 30 days, by last update, UTC)</h2>\n<div class=\"card\">",
        );
        h.push_str(&trend_chart(&r.trend));
        h.push_str("<details><summary>Figures</summary><div class=\"scroll\"><table><tr><th>Date</th><th class=\"num\">Tickets</th><th class=\"num\">Avg sentiment</th></tr>");
        for d in &r.trend {
            let sentiment = d.avg_sentiment.map(avg).unwrap_or_else(|| "–".into());
            let _ = write!(
                h,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{sentiment}</td></tr>",
                d.date, d.tickets
            );
        }
        h.push_str("</table></div></details></div>\n");
    }
    h.push_str("<h2>High-priority tickets (score 7-10)</h2>\n");
    tickets(&mut h, &r.high_priority);
    h.push_str("<h2>Business-impact tickets</h2>\n");
    tickets(&mut h, &r.business_impact);
    for v in &r.views {
        let _ = writeln!(h, "<h2>View: {} (#{})</h2>", esc(&v.title), v.id);
        summary(&mut h, &v.section);
        let key = format!("view-{}", v.id);
        h.push_str("<div class=\"grid\">");
        card(
            &mut h,
            "Sentiment",
            &format!("{key}-sentiment"),
            &v.section.sentiment,
        );
        card(
            &mut h,
            "Priority",
            &format!("{key}-priority"),
            &v.section.priority_levels,
        );
        h.push_str("</div>\n");
        averages(&mut h, &v.section);
    }
    h.push_str("</main></body></html>\n");
    h
}

fn summary(h: &mut String, s: &Section) {
    let m = &s.summary;
    let _ = writeln!(
        h,
        "<p>Analyzed tickets: <strong>{}</strong> of {}</p>",
        s.analyzed, s.total
    );
    h.push_str("<div class=\"kpis\">");
    let kpi = |h: &mut String, class: &str, label: &str, cs: CountShare| {
        let _ = write!(
            h,
            "<div class=\"kpi {class}\"><div class=\"n\">{}</div><div>{label}</div><div class=\"s\">{}</div></div>",
            cs.count,
            pct(cs.share)
        );
    };
    let alert = |cs: CountShare| if cs.count > 0 { "alert" } else { "" };
    kpi(
        h,
        alert(m.business_impact),
        "Business impact",
        m.business_impact,
    );
    kpi(
        h,
        alert(m.critical_priority),
        "Critical priority (9-10)",
        m.critical_priority,
    );
    kpi(h, "warn", "High priority (7-8)", m.high_priority);
    kpi(h, "warn", "Urgency 4-5", m.high_urgency);
    kpi(h, "warn", "Frustration 4-5", m.high_frustration);
    kpi(h, "", "Failed (of all tickets)", m.failed);
    h.push_str("</div>\n");
}

fn tickets(h: &mut String, list: &TicketList) {
    if list.total == 0 {
        h.push_str("<p>none</p>\n");
        return;
    }
    let _ = write!(
        h,
        "<p class=\"note\">Showing {} of {}</p><div class=\"scroll\"><table><tr><th>Ticket</th><th class=\"num\">Score</th><th>Subject</th><th>Requester</th><th>Organization</th></tr>",
        list.shown.len(),
        list.total
    );
    for t in &list.shown {
        let id = match t.link.as_deref().filter(|l| is_web_link(l)) {
            Some(link) => format!(
                "<a href=\"{}\" target=\"_blank\" rel=\"noopener noreferrer\">#{}</a>",
                esc(link),
                t.id
            ),
            None => format!("#{}", t.id),
        };
        let _ = write!(
            h,
            "<tr><td>{id}</td><td class=\"num\">{}</td><td class=\"subject\">{}</td><td>{}</td><td>{}</td></tr>",
            t.priority_score,
            esc(&t.subject),
            esc(t.requester_name.as_deref().unwrap_or("–")),
            esc(t.organization_name.as_deref().unwrap_or("–"))
        );
    }
    h.push_str("</table></div>\n");
}

fn card(h: &mut String, title: &str, chart: &str, buckets: &[Bucket]) {
    let _ = write!(h, "<div class=\"card\"><h3>{}</h3>", esc(title));
    if buckets.is_empty() {
        h.push_str("<p>none</p>");
    } else {
        h.push_str(&bar_chart(chart, title, buckets));
    }
    h.push_str("</div>");
}

fn distributions(h: &mut String, s: &Section) {
    h.push_str("<h2>Distributions</h2>\n<div class=\"grid\">");
    card(h, "Sentiment", "sentiment", &s.sentiment);
    card(h, "Priority level", "priority-level", &s.priority_levels);
    card(h, "Priority score", "priority-score", &s.priority_scores);
    card(h, "Urgency", "urgency", &s.urgency);
    card(h, "Frustration", "frustration", &s.frustration);
    card(h, "Ticket age (since created)", "age", &s.age);
    card(h, "Top components", "components", &s.components.top);
    card(h, "Categories", "categories", &s.categories.top);
    h.push_str("</div>\n");
    let _ = write!(
        h,
        "<p class=\"note\">No component: {} ({})",
        s.no_component.count,
        pct(s.no_component.share)
    );
    for (what, other) in [
        ("components", s.components.other),
        ("categories", s.categories.other),
    ] {
        if other.count > 0 {
            let _ = write!(h, " · Other {what}: {} ({})", other.count, pct(other.share));
        }
    }
    h.push_str("</p>\n");
    languages(h, s);
    h.push_str("<h2>Averages</h2>\n");
    averages(h, s);
}

/// The language table: tickets and their sentiment labels per language.
fn languages(h: &mut String, s: &Section) {
    h.push_str("<h2>Languages</h2>\n<div class=\"scroll\"><table data-table=\"languages\"><tr><th>Language</th>");
    for head in [
        "Tickets", "Share", "Positive", "Neutral", "Negative", "Unknown",
    ] {
        let _ = write!(h, "<th class=\"num\">{head}</th>");
    }
    h.push_str("</tr>");
    for l in &s.languages {
        let _ = write!(
            h,
            "<tr data-key=\"{}\"><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>",
            esc(&l.key),
            esc(&l.label),
            l.count,
            pct(l.share)
        );
        for n in [l.positive, l.neutral, l.negative, l.unknown] {
            let _ = write!(h, "<td class=\"num\">{n}</td>");
        }
        h.push_str("</tr>");
    }
    h.push_str("</table></div>\n");
}

fn averages(h: &mut String, s: &Section) {
    let Some(a) = &s.averages else {
        h.push_str("<p>none</p>\n");
        return;
    };
    h.push_str("<div class=\"scroll\"><table><tr><th>Measure</th><th class=\"num\">Average</th><th>Meaning</th></tr>");
    let rows = [
        ("Sentiment score (-1..1)", &a.sentiment_score),
        ("Urgency (1-5)", &a.urgency),
        ("Frustration (1-5)", &a.frustration),
        ("Priority score (1-10)", &a.priority_score),
        ("Technical expertise (1-5)", &a.technical_expertise),
    ];
    for (label, v) in rows {
        let _ = write!(
            h,
            "<tr><td>{label}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            avg(v.value),
            esc(&v.meaning)
        );
    }
    h.push_str("</table></div>\n");
}

/// Only http(s) links become anchors: a `javascript:` link in a record must not run.
pub(super) fn is_web_link(link: &str) -> bool {
    let l = link.trim_start().to_ascii_lowercase();
    l.starts_with("https://") || l.starts_with("http://")
}

/// Escapes text for HTML content and double- or single-quoted attributes.
pub(super) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
