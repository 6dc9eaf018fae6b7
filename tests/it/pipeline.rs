//! The staged pipeline: determinism across worker counts, failure isolation,
//! max-failures, the run summary and graceful shutdown.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use zdpipe::analyze::{AnalysisInput, AnalyzeError, Analyzer};
use zdpipe::model::Analysis;
use zdpipe::pipeline::Outcome;

use crate::helpers::*;

fn without_analyzed_at(path: &std::path::Path) -> Vec<Vec<String>> {
    let (h, rows) = read_csv(path);
    let i = h.iter().position(|c| c == "analyzed_at").unwrap();
    rows.into_iter()
        .map(|mut r| {
            r.remove(i);
            r
        })
        .collect()
}

#[test]
fn one_and_eight_workers_write_identical_csvs() {
    let sb = sandbox(430);
    let ws = Workspace::new();
    let p = ws.view_pipeline("det", &sb.base_url(), &[1], "[analyze]\nbatch_size = 7\n");
    zdpipe_auth()
        .arg("run")
        .arg(&p)
        .args(["--workers", "1"])
        .assert()
        .success();
    let one = without_analyzed_at(&ws.path("out/det.csv"));
    std::fs::rename(ws.path("out/det.csv"), ws.path("out/one.csv")).unwrap();
    zdpipe_auth()
        .arg("run")
        .arg(&p)
        .args(["--workers", "8", "--reanalyze"])
        .assert()
        .success();
    let eight = without_analyzed_at(&ws.path("out/det.csv"));
    assert_eq!(one.len(), sb.dataset().view_ticket_ids(1).count());
    assert_eq!(one, eight);
}

/// Fails on ids divisible by 10, panics on id 33, otherwise a fixed neutral answer.
struct Flaky;

impl Analyzer for Flaky {
    fn name(&self) -> String {
        "flaky".into()
    }
    fn fingerprint(&self) -> String {
        "flaky:1".into()
    }
    fn analyze(&self, input: &AnalysisInput<'_>) -> Result<Analysis, AnalyzeError> {
        if input.ticket_id == 33 {
            panic!("boom on 33");
        }
        if input.ticket_id.is_multiple_of(10) {
            return Err(AnalyzeError::Ticket(format!(
                "cannot analyze {}",
                input.ticket_id
            )));
        }
        Ok(Analysis {
            sentiment: zdpipe::model::Sentiment::Neutral,
            sentiment_score: 0.0,
            urgency: 2,
            frustration: 2,
            technical_expertise: 3,
            business_impact: false,
            category: "general_inquiry".into(),
            component: "none".into(),
            priority_score: zdpipe::model::priority_score(2, 2, false, 3),
            confidence: 0.5,
            key_phrases: vec![],
            emotions: vec![],
            language: String::new(),
        })
    }
}

#[test]
fn failing_and_panicking_tickets_become_error_rows() {
    let sb = sandbox(120);
    let ws = Workspace::new();
    let p = ws.view_pipeline(
        "lib",
        &sb.base_url(),
        &[1],
        "[analyze]\nworkers = 4\nbatch_size = 9\n",
    );
    let (summary, outcome) = run_with(&p, Arc::new(Flaky)).unwrap();
    assert_eq!(outcome, Outcome::Completed);
    let (h, rows) = read_csv(&ws.path("out/lib.csv"));
    let err = h.iter().position(|c| c == "error").unwrap();
    let failed: Vec<u64> = rows
        .iter()
        .filter(|r| !r[err].is_empty())
        .map(|r| r[0].parse().unwrap())
        .collect();
    let expected: Vec<u64> = sb
        .dataset()
        .view_ticket_ids(1)
        .filter(|id| id % 10 == 0 || *id == 33)
        .collect();
    assert_eq!(failed, expected);
    assert_eq!(summary.failed, expected.len() as u64);
    let row33 = rows.iter().find(|r| r[0] == "33").unwrap();
    assert!(
        row33[err].contains("analyzer panicked: boom on 33"),
        "{}",
        row33[err]
    );
    assert_eq!(rows.len() as u64, summary.written);
}

fn bad_export(ws: &Workspace, n: u64, bad_every: u64) -> std::path::PathBuf {
    let mut text = String::new();
    for id in 1..=n {
        if id % bad_every == 0 {
            text.push_str(&format!("{{\"id\": {id}, \"tags\": 5}}\n"));
        } else {
            text.push_str(&format!("{{\"id\": {id}, \"subject\": \"Order {id}\", \"description\": \"Where is my order? It has not arrived.\"}}\n"));
        }
    }
    ws.file("export.ndjson", &text);
    ws.file(
        "file.toml",
        "[fetch]\nsource = \"file\"\npath = \"export.ndjson\"\n[cache]\npath = \"cache\"\n[analyze]\nbatch_size = 10\nworkers = 2\n[[write]]\nkind = \"csv\"\npath = \"out.csv\"\n",
    )
}

#[test]
fn unparseable_tickets_are_error_rows_and_exit_3() {
    let ws = Workspace::new();
    let p = bad_export(&ws, 50, 7);
    let out = zdpipe()
        .arg("run")
        .arg(&p)
        .args(["--summary-json", "s.json"])
        .current_dir(ws.dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let errors = column(&ws.path("out.csv"), "error");
    let ids = csv_ids(&ws.path("out.csv"));
    assert_eq!(ids, (1..=50).collect::<Vec<_>>());
    for (id, e) in ids.iter().zip(&errors) {
        assert_eq!(id % 7 == 0, !e.is_empty(), "ticket {id}: {e:?}");
    }
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.path("s.json")).unwrap()).unwrap();
    assert_eq!(s["failed"], 7);
}

#[test]
fn max_failures_stops_early_with_a_valid_csv() {
    let ws = Workspace::new();
    let p = bad_export(&ws, 3000, 3);
    let out = zdpipe()
        .arg("run")
        .arg(&p)
        .args(["--max-failures", "5", "--workers", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("--max-failures"));
    let ids = csv_ids(&ws.path("out.csv"));
    assert!(
        ids.len() >= 18 && ids.len() < 3000,
        "stopped early: {} rows",
        ids.len()
    );
    assert_eq!(
        ids,
        (1..=ids.len() as u64).collect::<Vec<_>>(),
        "a prefix, in order"
    );
    let failed = column(&ws.path("out.csv"), "error")
        .iter()
        .filter(|e| !e.is_empty())
        .count();
    assert!(failed > 5);
}

#[test]
fn summary_json_counts_what_happened() {
    let sb = sandbox(230);
    let ws = Workspace::new();
    let p = ws.view_pipeline("sum", &sb.base_url(), &[1], "");
    zdpipe_auth()
        .arg("run")
        .arg(&p)
        .args(["--summary-json", "s.json"])
        .current_dir(ws.dir.path())
        .assert()
        .success();
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.path("s.json")).unwrap()).unwrap();
    let n = sb.dataset().view_ticket_ids(1).count() as u64;
    for (k, v) in [
        ("fetched", n),
        ("written", n),
        ("analyzed", n),
        ("reused", 0),
        ("failed", 0),
        ("from_cache", 0),
    ] {
        assert_eq!(s[k], v, "{k}: {s}");
    }
    assert_eq!(s["http_requests"], sb.requests());
    assert_eq!(s["http_retries"], 0);
    assert_eq!(s["outcome"], "completed");
    assert!(s["cache"]["tickets"]["misses"].is_u64());
    for k in ["fetch_s", "analyze_s", "write_s"] {
        assert!(s["stage_seconds"][k].as_f64().unwrap() >= 0.0);
    }
    assert!(s["tickets_per_second"].as_f64().unwrap() > 0.0);
    assert!(s["peak_rss_mb"].as_f64().unwrap() > 1.0);
}

#[test]
fn sigterm_mid_run_exits_130_with_a_valid_csv() {
    let sb = SandboxHandle::start(SandboxSettings {
        tickets: 3000,
        latency_ms: 40,
        ..SandboxSettings::default()
    })
    .unwrap();
    let ws = Workspace::new();
    let p = ws.view_pipeline("term", &sb.base_url(), &[1], "");
    let child = spawn_run(&p, true);
    // Signal once the run has fetched a few pages.
    let t = Instant::now();
    while sb
        .request_log()
        .iter()
        .filter(|r| r.path_and_query.contains("/views/1/tickets"))
        .count()
        < 3
    {
        assert!(t.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(5));
    }
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let csv = ws.path("out/term.csv");
    if csv.exists() {
        let ids = csv_ids(&csv);
        let unique: HashSet<u64> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len());
        assert!(ids.len() < 3000, "stopped early");
        assert_eq!(
            ids,
            sb.dataset()
                .view_ticket_ids(1)
                .take(ids.len())
                .collect::<Vec<_>>()
        );
    }
    assert!(
        !ws.path("out/term.csv.partial").exists(),
        "no torn file left"
    );
}

#[test]
fn a_view_listed_ahead_writes_every_ticket_once_with_its_own_fields() {
    let sb = sandbox(450);
    // Latency makes the lister run pages ahead of the analyzers and the writer.
    sb.set_latency_ms(20);
    let ws = Workspace::new();
    let p = ws.view_pipeline("ahead", &sb.base_url(), &[1], "[analyze]\nbatch_size = 7\n");
    zdpipe_auth()
        .arg("run")
        .arg(&p)
        .args(["--workers", "2"])
        .assert()
        .success();
    let (h, rows) = read_csv(&ws.path("out/ahead.csv"));
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (id, subject, requester) = (col("ticket_id"), col("subject"), col("requester_id"));
    let data = sb.dataset();
    let expected: HashSet<u64> = (1..=450).filter(|&i| !data.is_deleted(i)).collect();
    let ids: Vec<u64> = rows.iter().map(|r| r[id].parse().unwrap()).collect();
    assert_eq!(ids.len(), expected.len(), "one row per ticket of the view");
    assert_eq!(ids.iter().copied().collect::<HashSet<u64>>(), expected);
    for r in &rows {
        let t = data.ticket(r[id].parse().unwrap()).unwrap();
        assert_eq!(r[subject], t.subject.unwrap_or_default(), "ticket {}", t.id);
        let want = t.requester_id.map(|v| v.to_string()).unwrap_or_default();
        assert_eq!(r[requester], want, "ticket {}", t.id);
    }
}
