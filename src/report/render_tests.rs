//! Rendering tests: every format shows the JSON report's figures, the HTML page is
//! self-contained with one bar per bucket, ticket text is escaped, empty input is
//! reported as such, and 100,000 records stream through.

use std::time::Instant;

use super::tests::{cs, fixture, opts};
use super::*;

/// Every share and average of the JSON report, printed as the renderers print them.
fn figures(r: &Report) -> Vec<String> {
    let mut out = Vec::new();
    let mut section = |s: &Section| {
        let m = &s.summary;
        for c in [
            m.business_impact,
            m.high_priority,
            m.critical_priority,
            m.high_urgency,
            m.high_frustration,
            m.failed,
            s.no_component,
        ] {
            out.push(format!("{:.1}%", c.share));
        }
        for b in s.sentiment.iter().chain(&s.priority_levels) {
            out.push(format!("{:.1}%", b.share));
        }
        if let Some(a) = &s.averages {
            for v in [
                &a.sentiment_score,
                &a.urgency,
                &a.frustration,
                &a.priority_score,
            ] {
                out.push(format!("{:.2}", v.value));
                out.push(v.meaning.clone());
            }
        }
    };
    section(&r.overall);
    for v in &r.views {
        section(&v.section);
    }
    let s = &r.overall;
    for b in s
        .priority_scores
        .iter()
        .chain(&s.urgency)
        .chain(&s.frustration)
        .chain(&s.age)
    {
        out.push(format!("{:.1}%", b.share));
    }
    for b in s.components.top.iter().chain(&s.categories.top) {
        out.push(format!("{:.1}%", b.share));
    }
    for l in &s.languages {
        out.push(l.label.clone());
        out.push(format!("{:.1}%", l.share));
    }
    out.extend(
        r.trend
            .iter()
            .filter_map(|d| d.avg_sentiment.map(|v| format!("{v:.2}"))),
    );
    out
}

#[test]
fn every_format_shows_the_json_figures() {
    let report = build(fixture(), &opts());
    let json = render(&report, Format::Json);
    let back: Report = serde_json::from_str(&json).unwrap();
    assert_eq!(back, report);
    let figs = figures(&back);
    assert!(figs.len() > 80);
    for format in [Format::Text, Format::Markdown, Format::Html] {
        let out = render(&report, format);
        for f in &figs {
            assert!(out.contains(f.as_str()), "{format:?} lacks {f:?}");
        }
        for label in [
            "Urgent queue",
            "Subject 8",
            "Critical — act now",
            "Furious",
            "No component",
        ] {
            assert!(out.contains(label), "{format:?} lacks {label:?}");
        }
        assert!(!out.contains("-0.00"), "{format:?} prints -0.00");
    }
}

/// The number of `<rect class="bar"` inside the `<svg data-chart="{chart}"` element.
fn bars(html: &str, chart: &str) -> usize {
    let start = html
        .find(&format!("data-chart=\"{chart}\""))
        .unwrap_or_else(|| panic!("no chart {chart}"));
    let end = start + html[start..].find("</svg>").unwrap();
    html[start..end].matches("<rect class=\"bar\"").count()
}

#[test]
fn html_is_self_contained_with_one_bar_per_bucket() {
    let html = render(&build(fixture(), &opts()), Format::Html);
    for (chart, n) in [
        ("sentiment", 3),
        ("priority-level", 4),
        ("priority-score", 10),
        ("urgency", 5),
        ("frustration", 5),
        ("age", 6),
        ("components", 4),
        ("categories", 7),
        ("trend", 30),
        ("view-100-sentiment", 3),
        ("view-200-priority", 4),
    ] {
        assert_eq!(bars(&html, chart), n, "chart {chart}");
    }
    assert!(html.contains(r#"<link rel="icon" href="data:,">"#));
    assert!(html.contains("@media print"));
    assert!(html.contains(r#"<a href="https://acme.zendesk.com/agent/tickets/1""#));
    // Nothing is loaded from anywhere: the only URLs are the ticket links and the SVG
    // namespace, and there is no script at all.
    let external = html.matches("://").count();
    let expected = html.matches("https://acme.zendesk.com/").count()
        + html.matches("http://www.w3.org/2000/svg").count();
    assert_eq!(external, expected);
    assert!(!html.contains("<script") && !html.contains("src="));
}

#[test]
fn ticket_text_is_escaped_everywhere() {
    let mut records = fixture();
    records[0].subject = "<script>alert('x')</script> & \"co\" | *bold* \u{1b}[31m".into();
    records[0].requester_name = Some("<img src=x onerror=alert(1)>".into());
    records[1].link = Some("javascript:alert(1)".into());
    let report = build(records, &opts());
    let html = render(&report, Format::Html);
    assert!(!html.contains("<script") && !html.contains("<img"));
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;co&quot;"));
    assert!(!html.contains("javascript:"));
    let md = render(&report, Format::Markdown);
    assert!(md.contains(r"&lt;script&gt;alert('x')&lt;/script&gt; &amp; "));
    assert!(md.contains(r"\| \*bold\*") && !md.contains("<img"));
    assert!(!md.contains("](<javascript"));
    let text = render(&report, Format::Text);
    assert!(!text.contains('\u{1b}'));
    assert!(render(&report, Format::Json).contains(r#"\u001b[31m"#));
}

#[test]
fn empty_input_says_so_in_every_format() {
    let r = build(Vec::new(), &opts());
    assert!(r.empty);
    assert_eq!(
        (r.overall.total, r.overall.analyzed, r.overall.failed),
        (0, 0, 0)
    );
    assert!(r
        .overall
        .sentiment
        .iter()
        .all(|b| b.count == 0 && b.share == 0.0));
    assert!(r.overall.averages.is_none() && r.trend.is_empty() && r.views.is_empty());
    for format in [Format::Text, Format::Markdown, Format::Html] {
        assert!(
            render(&r, format).contains("No analyzed tickets yet"),
            "{format:?}"
        );
    }
    let json: serde_json::Value = serde_json::from_str(&render(&r, Format::Json)).unwrap();
    assert_eq!(json["empty"], true);
    assert_eq!(json["overall"]["total"], 0);
    assert_eq!(json["overall"]["summary"]["business_impact"]["share"], 0.0);
    // Only failed tickets: still "empty", but the failures are reported.
    let failed = build(vec![fixture().swap_remove(9)], &opts());
    assert!(failed.empty);
    assert_eq!(failed.overall.summary.failed, cs(1, 100.0));
    assert!(render(&failed, Format::Text).contains("Failed tickets: 1"));
}

#[test]
fn format_names_are_the_same_in_files_and_on_the_command_line() {
    use clap::ValueEnum;
    #[derive(serde::Deserialize)]
    struct InFile {
        format: Format,
    }
    let from_file = |name: &str| {
        toml::from_str::<InFile>(&format!("format = {name:?}"))
            .map(|f| f.format)
            .map_err(|e| e.message().to_string())
    };
    for &f in Format::value_variants() {
        let name = f
            .to_possible_value()
            .expect("not skipped")
            .get_name()
            .to_string();
        assert_eq!(from_file(&name), Ok(f));
        assert_eq!(Format::from_str(&name, false), Ok(f));
    }
    for (alias, f) in [("md", Format::Markdown), ("txt", Format::Text)] {
        assert_eq!(from_file(alias), Ok(f));
        assert_eq!(Format::from_str(alias, false), Ok(f));
    }
    let err = from_file("pdf").unwrap_err();
    assert!(err.contains("pdf") && err.contains("markdown"), "{err}");
}

#[test]
fn streams_a_large_input() {
    // Built lazily, so the records themselves are never all in memory.
    let n = 100_000u64;
    let template = fixture();
    let records = (0..n).map(|i| {
        let mut r = template[(i % 12) as usize].clone();
        r.ticket_id = i + 1;
        r
    });
    let started = Instant::now();
    let report = build(records, &opts());
    let built = started.elapsed();
    let sizes: Vec<usize> = <Format as clap::ValueEnum>::value_variants()
        .iter()
        .map(|&f| render(&report, f).len())
        .collect();
    println!(
        "100k records: build {built:?}, build+render {:?}, sizes {sizes:?}",
        started.elapsed()
    );
    assert_eq!(report.overall.total, n);
    // 100,000 = 12 * 8,333 + 4: ids 1..=4 of the fixture occur once more; one in 12 failed.
    assert_eq!(report.overall.failed, 8_333);
    assert_eq!(report.high_priority.shown.len(), 4);
    assert_eq!(report.high_priority.shown[0].id, 1);
}
