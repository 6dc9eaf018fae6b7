//! Machine-readable runs: `run --metrics-file` (Prometheus text format, checked with the
//! `prometheus-parse` crate) and `--log-format json` (every stderr line a JSON object).

use prometheus_parse::{LineInfo, Scrape, Value};

use crate::helpers::*;

/// Parses a metrics file strictly: every line is a HELP, TYPE or sample line, every
/// sample's metric has HELP and a declared type. Returns the parsed scrape.
fn parse_metrics(path: &std::path::Path) -> Scrape {
    let text = std::fs::read_to_string(path).unwrap();
    let mut sample_lines = 0;
    for line in text.lines() {
        match LineInfo::parse(line) {
            LineInfo::Sample { .. } => sample_lines += 1,
            LineInfo::Doc { .. } | LineInfo::Type { .. } => {}
            _ => panic!("not a Prometheus text-format line: {line:?}\n{text}"),
        }
    }
    let scrape = Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap();
    assert_eq!(scrape.samples.len(), sample_lines, "{text}");
    for s in &scrape.samples {
        assert!(
            scrape.docs.contains_key(&s.metric),
            "no HELP for {}",
            s.metric
        );
        assert!(
            matches!(s.value, Value::Gauge(_) | Value::Counter(_)),
            "no TYPE for {}",
            s.metric
        );
    }
    scrape
}

/// The value of `metric` whose labels include `label` (`("", "")` for any).
fn value(scrape: &Scrape, metric: &str, label: (&str, &str)) -> f64 {
    let sample = scrape
        .samples
        .iter()
        .find(|s| {
            s.metric == metric && (label.0.is_empty() || s.labels.get(label.0) == Some(label.1))
        })
        .unwrap_or_else(|| panic!("no {metric} {label:?}"));
    match sample.value {
        Value::Gauge(v) | Value::Counter(v) => v,
        _ => unreachable!("checked by parse_metrics"),
    }
}

#[test]
fn metrics_file_parses_and_counts_what_the_summary_counts() {
    let sb = sandbox(230);
    let ws = Workspace::new();
    let p = ws.view_pipeline("met", &sb.base_url(), &[1], "");
    zdpipe_auth()
        .arg("run")
        .arg(&p)
        .args([
            "--summary-json",
            "s.json",
            "--metrics-file",
            "prom/zdpipe.prom",
        ])
        .current_dir(ws.dir.path())
        .assert()
        .success();
    let summary = read_json(&ws.path("s.json"));
    let scrape = parse_metrics(&ws.path("prom/zdpipe.prom"));
    assert!(scrape
        .samples
        .iter()
        .all(|s| s.labels.get("pipeline") == Some("met")));
    for state in [
        "fetched",
        "from_cache",
        "analyzed",
        "reused",
        "failed",
        "written",
    ] {
        let n = value(&scrape, "zdpipe_tickets", ("state", state));
        assert_eq!(n, summary[state].as_f64().unwrap(), "{state}");
    }
    assert!(value(&scrape, "zdpipe_tickets", ("state", "written")) > 0.0);
    let requests = value(&scrape, "zdpipe_http_requests_total", ("", ""));
    assert_eq!(requests, summary["http_requests"].as_f64().unwrap());
    assert_eq!(value(&scrape, "zdpipe_exit_code", ("", "")), 0.0);
    let last_run = value(&scrape, "zdpipe_last_run_timestamp_seconds", ("", ""));
    assert_eq!(
        value(&scrape, "zdpipe_last_success_timestamp_seconds", ("", "")),
        last_run
    );
    assert!(value(&scrape, "zdpipe_stage_busy_seconds", ("stage", "analyze")) >= 0.0);
    assert!(
        !ws.path("prom/zdpipe.prom.tmp").exists(),
        "written via a temp file"
    );
}

#[test]
fn a_failed_run_writes_exit_1_and_keeps_the_last_success() {
    let sb = sandbox(20);
    let ws = Workspace::new();
    let p = ws.view_pipeline("met", &sb.base_url(), &[1], "");
    let metrics = ws.path("zdpipe.prom");
    zdpipe_auth()
        .arg("run")
        .arg(&p)
        .arg("--metrics-file")
        .arg(&metrics)
        .assert()
        .success();
    let first = parse_metrics(&metrics);
    let success = value(&first, "zdpipe_last_success_timestamp_seconds", ("", ""));
    assert!(success > 1.0e9, "{success}");
    let out = zdpipe()
        .env("ZENDESK_EMAIL", EMAIL)
        .env("ZENDESK_API_TOKEN", "wrong-token-123")
        .args(["run", "--refresh", "--metrics-file"])
        .arg(&metrics)
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let second = parse_metrics(&metrics);
    assert_eq!(value(&second, "zdpipe_exit_code", ("", "")), 1.0);
    assert_eq!(
        value(&second, "zdpipe_last_success_timestamp_seconds", ("", "")),
        success
    );
    assert!(value(&second, "zdpipe_last_run_timestamp_seconds", ("", "")) >= success);
    assert!(!std::fs::read_to_string(&metrics)
        .unwrap()
        .contains("wrong-token-123"));
}

/// Every stderr line of `out` as a JSON object with the stable fields.
fn json_lines(out: &std::process::Output) -> Vec<serde_json::Value> {
    let err = stderr(out);
    let lines: Vec<serde_json::Value> = err
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect();
    for line in &lines {
        let ts = line["timestamp"].as_str().expect("timestamp");
        let b = ts.as_bytes();
        assert!(
            ts.len() >= 20 && b[4] == b'-' && b[10] == b'T' && b[13] == b':' && ts.ends_with('Z'),
            "not RFC 3339 UTC: {ts}"
        );
        assert!(
            ["ERROR", "WARN", "INFO", "DEBUG", "TRACE"].contains(&line["level"].as_str().unwrap())
        );
        assert!(line["message"].is_string(), "{line}");
    }
    lines
}

#[test]
fn json_logs_are_one_object_per_line() {
    let sb = sandbox(30);
    let ws = Workspace::new();
    let p = ws.view_pipeline("logs", &sb.base_url(), &[1], "");
    let out = zdpipe_auth()
        .args(["--log-format", "json", "run"])
        .arg(&p)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = json_lines(&out);
    let done = lines
        .iter()
        .find(|l| l["message"] == "run finished")
        .expect("a run finished event");
    assert_eq!(done["level"], "INFO");
    assert_eq!(done["outcome"], "completed");
    assert!(done["written"].as_u64().unwrap() > 0);

    let out = zdpipe()
        .env("ZENDESK_EMAIL", EMAIL)
        .env("ZENDESK_API_TOKEN", "wrong-token-123")
        .args(["run", "--refresh", "--log-format", "json"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    let last = lines.last().expect("an error event");
    assert_eq!(
        (&last["level"], &last["exit_code"]),
        (&"ERROR".into(), &1.into())
    );
    assert!(last["message"].as_str().unwrap().contains("401"), "{last}");
    assert!(!stderr(&out).contains("wrong-token-123"));
}
