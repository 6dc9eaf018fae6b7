//! Records far larger than planned, read within the documented bounds: a 5 MB
//! description (analysis reads `max_input_chars` of it), a 50 MB NDJSON line (over
//! the 16 MiB record limit: an error row), bytes that are not UTF-8, and a ticket
//! with 10,000 comments.

use std::net::TcpStream;

use crate::helpers::*;
use crate::hostile::{json, respond, target, Scripted};

#[test]
fn huge_records_and_bad_bytes_in_an_export_become_rows_within_bounds() {
    let ws = Workspace::new();
    let mut export = Vec::new();
    export.extend_from_slice(
        b"{\"id\": 1, \"subject\": \"Printer on fire\", \"description\": \"It is burning!\"}\n",
    );
    let long = "the server is down again, please help ".repeat(5 * 1024 * 1024 / 38);
    export.extend_from_slice(
        format!("{{\"id\": 2, \"subject\": \"Long\", \"description\": \"{long}\"}}\n").as_bytes(),
    );
    let huge = "x".repeat(50 * 1024 * 1024);
    export.extend_from_slice(
        format!(
            "{{\"url\": \"u\", \"id\": 3, \"subject\": \"Huge\", \"description\": \"{huge}\"}}\n"
        )
        .as_bytes(),
    );
    drop(huge);
    export.extend_from_slice(
        b"{\"id\": 4, \"subject\": \"caf\xe9 \xff broken\", \"description\": \"bad bytes\"}\n",
    );
    export.extend_from_slice(
        b"{\"id\": 5, \"subject\": \"Thanks\", \"description\": \"all good now\"}\n",
    );
    std::fs::write(ws.path("export.ndjson"), export).unwrap();
    let p = ws.file(
        "big.toml",
        "[fetch]\nsource = \"file\"\npath = \"export.ndjson\"\n[cache]\npath = \"cache\"\n[[write]]\nkind = \"csv\"\npath = \"out.csv\"\n",
    );
    let out = zdpipe()
        .arg("run")
        .arg(&p)
        .args(["--no-progress", "--summary-json", "summary.json"])
        .current_dir(ws.dir.path())
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "one ticket failed: {err}");
    let csv = ws.path("out.csv");
    assert_eq!(csv_ids(&csv), vec![1, 2, 3, 4, 5], "every record a row");
    let errors = column(&csv, "error");
    assert!(
        errors[2].contains("over the 16 MiB limit"),
        "the reason: {errors:?}"
    );
    assert!(
        errors
            .iter()
            .enumerate()
            .all(|(i, e)| i == 2 || e.is_empty()),
        "{errors:?}"
    );
    assert!(column(&csv, "subject")[3].contains("caf\u{fffd} \u{fffd} broken"));
    let peak = read_json(&ws.path("summary.json"))["peak_rss_mb"]
        .as_f64()
        .unwrap();
    assert!(
        peak < 200.0,
        "a 50 MB line is not held whole: peak {peak:.0} MB"
    );
}

/// A view of tickets 1 to 3; ticket 2 has 10,000 comments over 100 pages.
fn long_conversation(head: &str, conn: &mut TcpStream) {
    let path = target(head);
    let comments = |from: u64, n: u64| -> String {
        let list: Vec<String> = (from..from + n)
            .map(|i| {
                format!(
                    r#"{{"id": {i}, "public": true, "body": "comment {i}: the disk failed again"}}"#
                )
            })
            .collect();
        list.join(",")
    };
    if path.starts_with("/api/v2/views/1.json") {
        json(conn, r#"{"view": {"id": 1, "title": "Long"}}"#);
    } else if path.starts_with("/api/v2/views/1/tickets.json") {
        json(
            conn,
            r#"{"tickets": [{"id": 1, "subject": "a"}, {"id": 2, "subject": "b"}, {"id": 3, "subject": "c"}], "meta": {"has_more": false}}"#,
        );
    } else if path.starts_with("/api/v2/tickets/2/comments.json") {
        let page: u64 = path
            .split("after%5D=")
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let more = page < 99;
        let next = format!(
            "/api/v2/tickets/2/comments.json?page%5Bsize%5D=100&page%5Bafter%5D={}",
            page + 1
        );
        json(
            conn,
            &format!(
                r#"{{"comments": [{}], "meta": {{"has_more": {more}}}, "links": {{"next": "{next}"}}}}"#,
                comments(page * 100, 100)
            ),
        );
    } else if path.contains("/comments.json") {
        json(
            conn,
            &format!(
                r#"{{"comments": [{}], "meta": {{"has_more": false}}}}"#,
                comments(0, 1)
            ),
        );
    } else {
        respond(conn, "404 Not Found", "", "");
    }
}

#[test]
fn a_ticket_with_10000_comments_is_read_and_analyzed_within_max_input_chars() {
    let server = Scripted::start(long_conversation);
    let ws = Workspace::new();
    let p = ws.view_pipeline(
        "long",
        &server.base_url(),
        &[1],
        // The comments have no author, so only `all` reads past the first one.
        "include_comments = true\n[analyze]\ntext = \"all\"\n",
    );
    let longest = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = longest.clone();
    let analyzer = Hooked::new("bounded", move |input| {
        seen.fetch_max(
            input.body.chars().count(),
            std::sync::atomic::Ordering::Relaxed,
        );
        None
    });
    let (summary, _) = run_with(&p, std::sync::Arc::new(analyzer)).expect("the run completes");
    assert_eq!(summary.failed, 0);
    let longest = longest.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        (7000..=8000).contains(&longest),
        "the analyzer read {longest} characters of the conversation, max_input_chars is 8000"
    );
    let csv = ws.path("out/long.csv");
    assert_eq!(csv_ids(&csv), vec![1, 2, 3]);
    assert!(column(&csv, "error").iter().all(String::is_empty));
    let pages = server
        .heads()
        .iter()
        .filter(|h| target(h).starts_with("/api/v2/tickets/2/comments.json"))
        .count();
    assert_eq!(pages, 100, "every page of the conversation followed once");
}
