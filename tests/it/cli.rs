//! The demo, help texts, exit codes and CSV output details.

use crate::helpers::*;

#[test]
fn every_command_help_shows_an_example() {
    for cmd in [
        vec!["run"],
        vec!["views"],
        vec!["check"],
        vec!["sandbox"],
        vec!["cache", "stats"],
        vec!["cache", "invalidate"],
        vec!["report"],
        vec!["results", "export"],
        vec!["eval"],
        vec!["bench"],
    ] {
        let out = zdpipe().args(&cmd).arg("--help").output().unwrap();
        assert!(out.status.success());
        assert!(
            stdout(&out).contains("zdpipe "),
            "{cmd:?} help has an example"
        );
    }
    let out = zdpipe().arg("--help").output().unwrap();
    let text = stdout(&out);
    for code in ["0 ", "1 ", "2 ", "3 ", "75", "130"] {
        assert!(text.contains(code), "exit code {code} documented");
    }
}

#[test]
fn demo_pipeline_writes_one_row_per_ticket_with_the_contract_header() {
    let ws = Workspace::new();
    let demo = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/pipelines/demo.toml"))
        .unwrap();
    let p = ws.file("pipelines/demo.toml", &demo);
    let out = zdpipe().arg("run").arg(&p).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("tickets written"), "summary printed");
    let csv = ws.path("out/demo.csv");
    let (header, rows) = read_csv(&csv);
    assert_eq!(header, zdpipe::model::CSV_COLUMNS.to_vec());
    assert!(
        rows.len() > 900,
        "one row per sandbox ticket in view 1: {}",
        rows.len()
    );
    let sentiments = column(&csv, "sentiment");
    for s in ["positive", "negative", "neutral"] {
        assert!(sentiments.iter().any(|x| x == s), "some {s} tickets");
    }
    let scores: std::collections::HashSet<String> =
        column(&csv, "sentiment_score").into_iter().collect();
    assert!(scores.len() > 50, "scores vary with the text");
    assert!(ws.path("out/demo-report.html").exists());
}

#[test]
fn csv_neutralizes_formulas() {
    let ws = Workspace::new();
    ws.file(
        "export.ndjson",
        "{\"id\": 1, \"subject\": \"=HYPERLINK(\\\"http://x\\\")\", \"tags\": [\"@cmd\"], \"description\": \"hello\"}\n",
    );
    let p = ws.file(
        "p.toml",
        "[fetch]\nsource = \"file\"\npath = \"export.ndjson\"\n[cache]\npath = \"cache\"\n[[write]]\nkind = \"csv\"\npath = \"out.csv\"\n",
    );
    zdpipe().arg("run").arg(&p).assert().success();
    let (_, rows) = read_csv(&ws.path("out.csv"));
    assert_eq!(rows[0][2], "'=HYPERLINK(\"http://x\")");
    assert_eq!(rows[0][9], "'@cmd");
}

#[test]
fn bad_flag_values_are_usage_errors() {
    let out = zdpipe()
        .args(["run", "x.toml", "--max-failures", "lots"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--max-failures"));
    let out = zdpipe()
        .args(["run", "x.toml", "--bogus"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
