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

#[test]
fn check_reports_the_account_and_each_view() {
    let sb = sandbox(60);
    let ws = Workspace::new();
    let p = ws.view_pipeline("chk", &sb.base_url(), &[1, 3], "");
    let out = zdpipe_auth().arg("check").arg(&p).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("is valid"), "{text}");
    assert!(text.contains("connected to 127.0.0.1"), "{text}");
    assert!(
        text.contains("view 1 \"All tickets\"") && text.contains("view 3"),
        "{text}"
    );
    assert!(text.contains("analyzer: builtin"), "{text}");
    // A wrong token is named as the problem.
    let out = zdpipe()
        .env("ZENDESK_EMAIL", EMAIL)
        .env("ZENDESK_API_TOKEN", "nope")
        .arg("check")
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("rejected the credentials"));
}

#[test]
fn the_standalone_sandbox_serves_the_api() {
    use std::io::{BufRead, BufReader, Read, Write};
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("zdpipe"))
        .args(["sandbox", "--port", "0", "--tickets", "25"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("prints its URL")
        .to_string();
    let addr = url.trim_start_matches("http://");
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    write!(
        conn,
        "GET /api/v2/views/1/count.json HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut body = String::new();
    conn.read_to_string(&mut body).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    assert!(body.contains("\"view_count\""), "{body}");
}
