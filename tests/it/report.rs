//! Reports and results exports through the real binary: a run over two overlapping
//! sandbox views into a sled results store, then `zdpipe report` in every format and
//! `zdpipe results export`, checked against figures the test derives itself from the
//! exported records and the sandbox's own view definitions.

#[path = "browser_check.rs"]
mod browser_check;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::helpers::{read_csv, sandbox, stderr, stdout, zdpipe, zdpipe_auth, Workspace};
use zdpipe::sandbox::SandboxHandle;

/// A sandbox, and a pipeline over its views 1 ("All tickets") and 2 (a subset of 1)
/// with a CSV and a sled results store, already run.
struct TwoViews {
    ws: Workspace,
    sb: SandboxHandle,
    pipeline: PathBuf,
}

const VIEWS: [u64; 2] = [1, 2];

fn two_view_run(tickets: u64) -> TwoViews {
    let sb = sandbox(tickets);
    let ws = Workspace::new();
    let pipeline = ws.view_pipeline("two", &sb.base_url(), &VIEWS, "");
    let mut text = std::fs::read_to_string(&pipeline).unwrap();
    text.push_str("[[write]]\nkind = \"sled\"\npath = \"out/results\"\n");
    std::fs::write(&pipeline, text).unwrap();
    let out = zdpipe_auth().arg("run").arg(&pipeline).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "run: {}", stderr(&out));
    TwoViews { ws, sb, pipeline }
}

impl TwoViews {
    /// `zdpipe report --format <format>` on stdout.
    fn report(&self, format: &str) -> String {
        let out = zdpipe_auth()
            .args(["report", "--format", format])
            .arg(&self.pipeline)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "report: {}", stderr(&out));
        stdout(&out)
    }

    /// `zdpipe results export --format jsonl`, one JSON object per record.
    fn export_jsonl(&self) -> Vec<Value> {
        let out = zdpipe_auth()
            .args(["results", "export", "--format", "jsonl"])
            .arg(&self.pipeline)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "export: {}", stderr(&out));
        stdout(&out)
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    }

    /// The sandbox's own membership of `view`.
    fn view_ids(&self, view: u64) -> BTreeSet<u64> {
        self.sb.dataset().view_ticket_ids(view).collect()
    }

    fn view_title(&self, view: u64) -> String {
        let views = self.sb.dataset().views();
        let v = views.iter().find(|v| v.id == view).expect("sandbox view");
        v.title.clone()
    }
}

/// The figures a report must show for a set of records, computed from the records.
#[derive(Debug, Default)]
struct Figures {
    total: u64,
    analyzed: u64,
    /// positive, neutral, negative.
    sentiment: [u64; 3],
    /// Low 1-3, Medium 4-6, High 7-8, Critical 9-10.
    levels: [u64; 4],
    business_impact: u64,
    urgency_4_5: u64,
    frustration_4_5: u64,
    priority_sum: u64,
}

impl Figures {
    fn of<'a>(records: impl IntoIterator<Item = &'a Value>) -> Figures {
        let mut f = Figures::default();
        for r in records {
            f.total += 1;
            let a = &r["analysis"];
            if a.is_null() {
                continue;
            }
            f.analyzed += 1;
            let score = a["sentiment_score"].as_f64().unwrap();
            let label = match a["sentiment"].as_str().unwrap() {
                "unknown" if score >= 0.05 => "positive",
                "unknown" if score <= -0.05 => "negative",
                "unknown" => "neutral",
                l => l,
            };
            let idx = ["positive", "neutral", "negative"]
                .iter()
                .position(|l| *l == label)
                .unwrap_or_else(|| panic!("sentiment {label}"));
            f.sentiment[idx] += 1;
            let p = a["priority_score"].as_u64().unwrap();
            f.levels[match p {
                1..=3 => 0,
                4..=6 => 1,
                7..=8 => 2,
                _ => 3,
            }] += 1;
            f.priority_sum += p;
            f.business_impact += u64::from(a["business_impact"].as_bool().unwrap());
            f.urgency_4_5 += u64::from(a["urgency"].as_u64().unwrap() >= 4);
            f.frustration_4_5 += u64::from(a["frustration"].as_u64().unwrap() >= 4);
        }
        f
    }

    /// Percent of analyzed tickets, to 1 decimal.
    fn share(&self, count: u64) -> f64 {
        (count as f64 * 1000.0 / self.analyzed as f64).round() / 10.0
    }

    fn pct(&self, count: u64) -> String {
        format!("{:.1}%", self.share(count))
    }

    fn avg_priority(&self) -> f64 {
        (self.priority_sum as f64 / self.analyzed as f64 * 100.0).round() / 100.0
    }

    /// Checks a report section (`overall` or a view's `section`) against these figures.
    fn check_json(&self, s: &Value, what: &str) {
        assert_eq!(s["total"], self.total, "{what}: total");
        assert_eq!(s["analyzed"], self.analyzed, "{what}: analyzed");
        let counts = |key: &str| -> Vec<u64> {
            s[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b["count"].as_u64().unwrap())
                .collect()
        };
        assert_eq!(counts("sentiment"), self.sentiment, "{what}: sentiment");
        assert_eq!(counts("priority_levels"), self.levels, "{what}: levels");
        let keys: Vec<&str> = s["sentiment"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["key"].as_str().unwrap())
            .collect();
        assert_eq!(keys, ["positive", "neutral", "negative"], "{what}");
        let m = &s["summary"];
        for (key, count) in [
            ("business_impact", self.business_impact),
            ("high_priority", self.levels[2]),
            ("critical_priority", self.levels[3]),
            ("high_urgency", self.urgency_4_5),
            ("high_frustration", self.frustration_4_5),
        ] {
            assert_eq!(m[key]["count"], count, "{what}: summary.{key}");
            assert_eq!(
                m[key]["share"].as_f64().unwrap(),
                self.share(count),
                "{what}: summary.{key} share"
            );
        }
        assert_eq!(
            s["averages"]["priority_score"]["value"].as_f64().unwrap(),
            self.avg_priority(),
            "{what}: average priority"
        );
    }
}

/// The one line of `text` that starts (after indentation) with `label`.
fn line_of<'a>(text: &'a str, label: &str) -> &'a str {
    let mut found = text.lines().filter(|l| l.trim_start().starts_with(label));
    let line = found
        .next()
        .unwrap_or_else(|| panic!("no line starting with {label:?} in:\n{text}"));
    line
}

/// The whitespace-separated words of `line` after `label`.
fn cells(line: &str, label: &str) -> Vec<String> {
    line.trim_start()[label.len()..]
        .split_whitespace()
        .map(String::from)
        .collect()
}

#[test]
fn report_numbers_match_the_results_store_across_overlapping_views() {
    let run = two_view_run(600);
    let records = run.export_jsonl();
    let all = run.view_ids(1);
    let urgent = run.view_ids(2);
    assert!(
        !urgent.is_empty() && urgent.len() < all.len() && urgent.is_subset(&all),
        "view 2 is a proper, non-empty subset of view 1"
    );
    let stored: BTreeSet<u64> = records
        .iter()
        .map(|r| r["ticket_id"].as_u64().unwrap())
        .collect();
    assert_eq!(stored.len(), records.len(), "one record per ticket");
    assert_eq!(stored, all, "every ticket of view 1, once");
    for r in &records {
        let id = r["ticket_id"].as_u64().unwrap();
        let views: Vec<u64> = r["view_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        let expected: Vec<u64> = VIEWS
            .into_iter()
            .filter(|v| run.view_ids(*v).contains(&id))
            .collect();
        assert_eq!(views, expected, "views of ticket {id}");
    }

    let overall = Figures::of(&records);
    let in_view = |ids: &BTreeSet<u64>| {
        Figures::of(
            records
                .iter()
                .filter(|r| ids.contains(&r["ticket_id"].as_u64().unwrap())),
        )
    };
    let per_view = [in_view(&all), in_view(&urgent)];
    assert_eq!(
        overall.analyzed, overall.total,
        "the builtin analyzer never fails"
    );
    assert!(overall.business_impact > 0 && overall.levels[2] + overall.levels[3] > 0);

    let json: Value = serde_json::from_str(&run.report("json")).unwrap();
    assert_eq!(json["empty"], false);
    assert_eq!(json["excluded"], 0);
    overall.check_json(&json["overall"], "overall");
    // Each ticket counted once in the combined picture, though view 2 repeats some.
    assert_eq!(
        json["overall"]["total"].as_u64().unwrap(),
        per_view[0].total
    );
    assert!(per_view[0].total + per_view[1].total > overall.total);
    let views = json["views"].as_array().unwrap();
    assert_eq!(views.len(), 2, "a section per view");
    for ((section, figures), id) in views.iter().zip(&per_view).zip(VIEWS) {
        assert_eq!(section["id"], id);
        assert_eq!(section["title"], run.view_title(id).as_str(), "view {id}");
        figures.check_json(&section["section"], &format!("view {id}"));
    }
    assert_eq!(
        json["high_priority"]["total"].as_u64().unwrap(),
        overall.levels[2] + overall.levels[3]
    );
    assert_eq!(
        json["business_impact"]["total"].as_u64().unwrap(),
        overall.business_impact
    );

    // Titles were fetched once (the run does not list views); now they are cached.
    run.sb.reset_counters();
    let again: Value = serde_json::from_str(&run.report("json")).unwrap();
    assert_eq!(
        run.sb.requests(),
        0,
        "a report on a warm cache sends nothing"
    );
    assert_eq!(again["views"], json["views"]);

    let n = overall.analyzed;
    let bi = overall.business_impact;
    let crit = overall.levels[3];
    let v2 = &per_view[1];

    let text = run.report("text");
    assert!(
        text.contains(&format!("Analyzed tickets: {n} of {n}")),
        "{text}"
    );
    assert_eq!(
        cells(line_of(&text, "Business impact"), "Business impact"),
        [bi.to_string(), overall.pct(bi)]
    );
    assert_eq!(
        cells(
            line_of(&text, "Critical priority (9-10)"),
            "Critical priority (9-10)"
        ),
        [crit.to_string(), overall.pct(crit)]
    );
    let positive = cells(line_of(&text, "Positive"), "Positive");
    assert_eq!(
        positive[..2],
        [
            overall.sentiment[0].to_string(),
            overall.pct(overall.sentiment[0])
        ]
    );
    assert!(text.contains(&format!("View: {} (#2)", run.view_title(2))));
    assert!(text.contains(&format!(
        "Analyzed tickets: {} of {}",
        v2.analyzed, v2.total
    )));

    let md = run.report("markdown");
    assert!(md.contains(&format!("Analyzed tickets: **{n}** of {n}")));
    assert!(md.contains(&format!(
        "| **Business impact** | {bi} | {} |",
        overall.pct(bi)
    )));
    assert!(md.contains(&format!(
        "| Negative | {} | {} |",
        overall.sentiment[2],
        overall.pct(overall.sentiment[2])
    )));
    assert!(md.contains(&format!(
        "| High (7-8) | {} | {} |",
        overall.levels[2],
        overall.pct(overall.levels[2])
    )));
    assert!(md.contains(&format!("## View: {} (#2)", run.view_title(2))));
    assert!(md.contains(&format!(
        "Analyzed tickets: **{}** of {}",
        v2.analyzed, v2.total
    )));

    let html = run.report("html");
    assert!(html.contains(&format!("Analyzed tickets: <strong>{n}</strong> of {n}")));
    assert!(html.contains(&format!(
        "<div class=\"n\">{bi}</div><div>Business impact</div><div class=\"s\">{}</div>",
        overall.pct(bi)
    )));
    assert!(html.contains(&format!(
        "<title>Neutral: {} ({})</title>",
        overall.sentiment[1],
        overall.pct(overall.sentiment[1])
    )));
    assert!(html.contains(&format!(
        "<title>Critical (9-10): {crit} ({})</title>",
        overall.pct(crit)
    )));
    assert!(html.contains(&format!("<h2>View: {} (#2)</h2>", run.view_title(2))));
    assert!(html.contains(&format!(
        "Analyzed tickets: <strong>{}</strong> of {}",
        v2.analyzed, v2.total
    )));
}

/// Chromium, or `None` (with the reason printed) when it is absent outside CI.
fn chromium_or_skip(test: &str) -> Option<PathBuf> {
    let browser = browser_check::chromium();
    if browser.is_none() {
        if std::env::var_os("CI").is_some() {
            panic!("chromium is not installed, and CI must run the HTML report browser test: install Debian's chromium (.ci/run does) or set CHROMIUM to its path");
        }
        eprintln!("skipped {test}: no chromium (set CHROMIUM or install it)");
    }
    browser
}

#[test]
fn html_report_renders_in_headless_chromium() {
    let Some(browser) = chromium_or_skip("html_report_renders_in_headless_chromium") else {
        return;
    };
    let run = two_view_run(400);
    let json: Value = serde_json::from_str(&run.report("json")).unwrap();
    let html = run.ws.path("out/report.html");
    let out = zdpipe_auth()
        .args(["report", "--format", "html", "--output"])
        .arg(&html)
        .arg(&run.pipeline)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let page = browser_check::check_html(&browser, &html).expect("chromium runs");
    eprintln!(
        "chromium: dom {:?}, screenshot {:?}, blank {:?}; screenshot {:?} px, {} bytes (blank {})",
        page.elapsed[0],
        page.elapsed[1],
        page.elapsed[2],
        page.screenshot_size,
        page.screenshot_bytes,
        page.blank_screenshot_bytes
    );
    page.assert_self_contained();
    assert!(
        page.screenshot_is_not_blank(),
        "screenshot of {} bytes vs blank {}",
        page.screenshot_bytes,
        page.blank_screenshot_bytes
    );
    assert!(page.screenshot_size.0 > 0 && page.screenshot_size.1 > 0);

    let overall = &json["overall"];
    let listed = |key: &str| overall[key].as_array().unwrap().len();
    let top = |key: &str| overall[key]["top"].as_array().unwrap().len();
    let trend = json["trend"].as_array().unwrap().len();
    assert!(top("components") > 0 && top("categories") > 0 && trend > 0);
    for (chart, bars) in [
        ("sentiment", 3),
        ("priority-level", 4),
        ("priority-score", 10),
        ("urgency", 5),
        ("frustration", 5),
        ("age", listed("age")),
        ("components", top("components")),
        ("categories", top("categories")),
        ("trend", trend),
        ("view-1-sentiment", 3),
        ("view-2-priority", 4),
    ] {
        assert_eq!(page.bars(chart), bars, "bars of the {chart} chart");
    }
    let languages = overall["languages"].as_array().unwrap();
    assert!(!languages.is_empty());
    assert_eq!(
        page.table_rows("languages"),
        languages.len(),
        "language table"
    );
    let first = languages[0]["label"].as_str().unwrap();
    assert!(page.dom.contains(&format!("<td>{first}</td>")), "{first}");
    assert!(
        page.dom
            .contains(&format!("View: {} (#2)", run.view_title(2))),
        "per-view section in the rendered page"
    );
}

/// A pipeline in `ws` over an export file, with a sled results store.
fn file_pipeline(ws: &Workspace, export: &str, sled: bool) -> PathBuf {
    ws.file("export.ndjson", export);
    let sled = if sled {
        "[[write]]\nkind = \"sled\"\npath = \"out/results\"\n"
    } else {
        ""
    };
    ws.file(
        "empty.toml",
        &format!("name = \"empty\"\n[fetch]\nsource = \"file\"\npath = \"export.ndjson\"\n[cache]\npath = \"cache\"\n[[write]]\nkind = \"csv\"\npath = \"out/empty.csv\"\n{sled}"),
    )
}

/// Every report format says there is nothing yet, and exits 0.
fn assert_no_tickets_yet(pipeline: &Path) {
    for format in ["text", "markdown", "html"] {
        let out = zdpipe()
            .args(["report", "--format", format])
            .arg(pipeline)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{format}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(
            text.to_lowercase().contains("no analyzed tickets yet"),
            "{format}: {text}"
        );
        // Short: no sections (the HTML page's lines are mostly its stylesheet).
        assert!(!text.contains("Executive summary"), "{format}: {text}");
        if format == "html" {
            assert!(!text.contains("<h2") && !text.contains("<svg"), "{text}");
        } else {
            assert!(text.lines().count() < 10, "{format} is short: {text}");
        }
    }
    let out = zdpipe()
        .args(["report", "--format", "json"])
        .arg(pipeline)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "json: {}", stderr(&out));
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["empty"], true);
    assert_eq!(json["overall"]["total"], 0);
    assert_eq!(json["overall"]["averages"], Value::Null);
    assert_eq!(json["high_priority"]["total"], 0);
}

#[test]
fn never_run_results_store_reports_no_analyzed_tickets_yet() {
    let ws = Workspace::new();
    let p = file_pipeline(&ws, "", true);
    assert_no_tickets_yet(&p);
    assert!(
        !ws.path("out/results").exists(),
        "reading does not create a store"
    );
    let out = zdpipe()
        .args(["results", "export", "--format", "csv"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 1, "just the header");
}

#[test]
fn run_over_an_empty_export_reports_no_analyzed_tickets_yet() {
    let ws = Workspace::new();
    let p = file_pipeline(&ws, "", true);
    let out = zdpipe().arg("run").arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(ws.path("out/results").exists());
    assert_no_tickets_yet(&p);
}

#[test]
fn report_without_a_sled_writer_is_a_one_line_usage_error() {
    let ws = Workspace::new();
    let p = file_pipeline(&ws, "", false);
    for args in [
        &["report", "--format", "text"][..],
        &["results", "export", "--format", "csv"][..],
    ] {
        let out = zdpipe().args(args).arg(&p).output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert!(
            err.contains(&p.display().to_string()),
            "names the file: {err}"
        );
        assert!(
            err.contains("[[write]] kind = \"sled\""),
            "says what to add: {err}"
        );
        assert!(stdout(&out).is_empty());
    }
}

#[test]
fn results_export_csv_matches_the_run_csv_and_filters_by_view() {
    let run = two_view_run(300);
    let (run_header, mut run_rows) = read_csv(&run.ws.path("out/two.csv"));
    let export = |views: &[u64]| {
        let name = format!("export-{views:?}.csv");
        let path = run.ws.path(&name);
        let mut cmd = zdpipe_auth();
        cmd.args(["results", "export", "--format", "csv", "--output"])
            .arg(&path)
            .arg(&run.pipeline);
        for v in views {
            cmd.args(["--view", &v.to_string()]);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(!run.ws.path(&format!("{name}.partial")).exists());
        read_csv(&path)
    };
    let id = |row: &Vec<String>| row[0].parse::<u64>().unwrap();
    let ids = |rows: &[Vec<String>]| rows.iter().map(id).collect::<BTreeSet<u64>>();

    let (header, rows) = export(&[]);
    assert_eq!(header, run_header, "the run CSV's header, exactly");
    run_rows.sort_by_key(id);
    assert_eq!(rows, run_rows, "the same rows as the run wrote");

    let (_, urgent) = export(&[2]);
    assert_eq!(ids(&urgent), run.view_ids(2));
    assert!(!urgent.is_empty() && urgent.len() < rows.len());
    let (_, both) = export(&[1, 2]);
    assert_eq!(ids(&both), ids(&rows));
    let (_, none) = export(&[999]);
    assert!(none.is_empty());
}

#[test]
fn html_breakdowns_and_the_agreement_table_render_in_headless_chromium() {
    let Some(browser) = chromium_or_skip("html_breakdowns_and_the_agreement_table_render") else {
        return;
    };
    let sb = sandbox(300);
    let ws = Workspace::new();
    let pipeline = ws.view_pipeline("sliced", &sb.base_url(), &[1], "");
    let mut text = std::fs::read_to_string(&pipeline).unwrap();
    text.push_str("fields = [\"Product\"]\ncolumns = [\"channel\", \"satisfaction\"]\n");
    text.push_str("[[write]]\nkind = \"sled\"\npath = \"out/results\"\n");
    std::fs::write(&pipeline, text).unwrap();
    let out = zdpipe_auth().arg("run").arg(&pipeline).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "run: {}", stderr(&out));
    let report = |format: &str| {
        let out = zdpipe()
            .args([
                "report", "--by", "channel", "--by", "Product", "--format", format,
            ])
            .arg(&pipeline)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "report: {}", stderr(&out));
        stdout(&out)
    };
    let json: Value = serde_json::from_str(&report("json")).unwrap();
    let html = ws.path("out/sliced.html");
    std::fs::write(&html, report("html")).unwrap();

    let page = browser_check::check_html(&browser, &html).expect("chromium runs");
    page.assert_self_contained();
    let rows = |table: &Value| table["rows"].as_array().unwrap().len();
    let tables = [
        ("by-channel", rows(&json["breakdowns"][0])),
        ("by-Product", rows(&json["breakdowns"][1])),
        ("agreement", rows(&json["agreement"])),
    ];
    for (name, count) in tables {
        assert!(count > 1, "{name}: several rows in the JSON report");
        assert_eq!(page.bars(name), count, "bars of the {name} chart");
        assert_eq!(page.table_rows(name), count, "rows of the {name} table");
    }
    // What a reader must see: a chart per dimension, and the agreement table.
    let selectors = [
        "svg[data-chart=\"by-channel\"]",
        "svg[data-chart=\"by-Product\"]",
        "table[data-table=\"agreement\"]",
    ];
    let painted = browser_check::painted(&browser, &html, &selectors).expect("chromium runs");
    for (selector, painted) in selectors.iter().zip(painted) {
        assert!(painted, "{selector} is visible on the rendered page");
    }
    // The check itself can fail: hiding what is not on the page changes nothing.
    let absent = ["svg[data-chart=\"by-no-such-dimension\"]"];
    let painted = browser_check::painted(&browser, &html, &absent).expect("chromium runs");
    assert_eq!(painted, [false], "an absent chart is not painted");
}
