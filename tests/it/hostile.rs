//! Servers that misbehave in ways other than status codes: stalls, HTML pages,
//! redirects to another host, endless bodies, looping cursors and dropped
//! connections. Each runs the binary against a small raw-TCP server on 127.0.0.1
//! that answers exactly as badly as the test needs.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::helpers::*;

/// How a scripted server answers one connection, given the request head.
type Answer = dyn Fn(&str, &mut TcpStream) + Send + Sync;

/// An HTTP/1.1 server on 127.0.0.1 that records every request head and lets a
/// closure write whatever it likes back (or stall, or hang up). One request per
/// connection.
pub struct Scripted {
    port: u16,
    heads: Arc<Mutex<Vec<String>>>,
}

impl Scripted {
    pub fn start(answer: impl Fn(&str, &mut TcpStream) + Send + Sync + 'static) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().unwrap().port();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let answer: Arc<Answer> = Arc::new(answer);
        let recorded = heads.clone();
        std::thread::spawn(move || {
            for mut conn in listener.incoming().map_while(Result::ok) {
                let (answer, recorded) = (answer.clone(), recorded.clone());
                std::thread::spawn(move || {
                    let head = read_head(&mut conn);
                    recorded.lock().unwrap().push(head.clone());
                    answer(&head, &mut conn);
                });
            }
        });
        Scripted { port, heads }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }

    /// How many requests asked for the view itself (the run asks for its count too).
    fn view_requests(&self) -> usize {
        self.heads()
            .iter()
            .filter(|h| target(h).starts_with(VIEW_PATH))
            .count()
    }
}

const VIEW_PATH: &str = "/api/v2/views/1.json";

/// The request line and headers, up to the blank line (GETs have no body).
fn read_head(conn: &mut TcpStream) -> String {
    let mut reader = BufReader::new(conn);
    let mut head = String::new();
    let mut line = String::new();
    while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
        head.push_str(&line);
        line.clear();
    }
    head
}

/// The path and query of a request head's first line.
pub fn target(head: &str) -> &str {
    head.split_whitespace().nth(1).unwrap_or("")
}

pub fn respond(conn: &mut TcpStream, status: &str, extra_headers: &str, body: &str) {
    let _ = write!(
        conn,
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{extra_headers}\r\n{body}",
        body.len()
    );
}

pub fn json(conn: &mut TcpStream, body: &str) {
    respond(conn, "200 OK", "Content-Type: application/json\r\n", body);
}

/// `zdpipe run` of a one-view pipeline against `base_url` with `extra` `[fetch]` keys.
fn run_view(ws: &Workspace, base_url: &str, extra: &str) -> std::process::Output {
    run_in(ws, &ws.view_pipeline("hostile", base_url, &[1], extra))
}

/// `zdpipe run` of `pipeline` in the workspace, to its end.
fn run_in(ws: &Workspace, pipeline: &std::path::Path) -> std::process::Output {
    zdpipe_auth()
        .arg("run")
        .arg(pipeline)
        .arg("--no-progress")
        .current_dir(ws.dir.path())
        .output()
        .unwrap()
}

fn assert_failed_without_output(out: &std::process::Output, ws: &Workspace) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!ws.path("out/hostile.csv").exists(), "no CSV: {err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn a_server_that_stalls_after_the_headers_or_mid_body_times_out_and_is_retried() {
    for (stall, sent) in [
        ("after the headers", ""),
        ("mid-body", "{\"view\": {\"id\""),
    ] {
        let server = Scripted::start(move |_, conn| {
            let head =
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
            let _ = write!(conn, "{head}{sent}");
            let _ = conn.flush();
            std::thread::sleep(Duration::from_secs(30));
        });
        let ws = Workspace::new();
        let out = run_view(
            &ws,
            &server.base_url(),
            "timeout = \"1s\"\nmax_retries = 1\n",
        );
        let err = assert_failed_without_output(&out, &ws);
        assert!(
            err.contains("after 2 attempts") && err.contains("timed out"),
            "stall {stall}: {err}"
        );
        assert_eq!(server.view_requests(), 2, "stall {stall}: tried twice");
    }
}

#[test]
fn a_200_with_an_html_page_is_a_clear_error_naming_the_url() {
    let server = Scripted::start(|_, conn| {
        let page = "<!DOCTYPE html>\n<html><body><h1>Down for maintenance</h1></body></html>";
        respond(conn, "200 OK", "Content-Type: text/html\r\n", page);
    });
    let ws = Workspace::new();
    let out = run_view(&ws, &server.base_url(), "");
    let err = assert_failed_without_output(&out, &ws);
    let url = format!("{}{VIEW_PATH}", server.base_url());
    assert!(
        err.contains(&url) && err.contains("HTML page"),
        "names the URL: {err}"
    );
    assert!(
        !err.contains("line 1 column") && !err.contains("expected value"),
        "no JSON parser noise: {err}"
    );
    assert_eq!(
        server.view_requests(),
        1,
        "not retried: a page is no glitch"
    );
}

#[test]
fn a_redirect_to_another_host_is_refused_and_the_credentials_never_reach_it() {
    let elsewhere = Scripted::start(|_, conn| json(conn, r#"{"view": {"id": 1}}"#));
    let location = elsewhere.base_url();
    let server = Scripted::start(move |head, conn| {
        let moved = format!("Location: {location}{}\r\n", target(head));
        respond(conn, "302 Found", &moved, "");
    });
    let ws = Workspace::new();
    let out = run_view(&ws, &server.base_url(), "");
    let err = assert_failed_without_output(&out, &ws);
    assert!(
        err.contains(&format!("redirecting to {}", elsewhere.base_url()))
            && err.contains("follows no redirects"),
        "{err}"
    );
    assert!(
        server.heads()[0]
            .to_ascii_lowercase()
            .contains("authorization: basic"),
        "the account's host did get the credentials"
    );
    let leaked: Vec<String> = elsewhere
        .heads()
        .into_iter()
        .filter(|h| h.to_ascii_lowercase().contains("authorization"))
        .collect();
    assert!(
        leaked.is_empty(),
        "credentials reached the other host: {leaked:?}"
    );
    assert!(elsewhere.heads().is_empty(), "no request at all went there");
    assert!(!err.contains(TOKEN));
}

/// Streams `total` bytes of JSON whitespace as a 200, with a `Content-Length` or
/// chunked; `most_sent` is the most one connection got to send before the client
/// hung up.
fn endless_body(total: u64, chunked: bool, most_sent: Arc<AtomicU64>) -> Scripted {
    Scripted::start(move |_, conn| {
        let mut sent = 0;
        let framing = if chunked {
            "Transfer-Encoding: chunked".to_string()
        } else {
            format!("Content-Length: {total}")
        };
        let head =
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{framing}\r\n\r\n");
        if conn.write_all(head.as_bytes()).is_err() {
            return;
        }
        let chunk = vec![b' '; 1 << 20];
        while sent < total {
            let written = if chunked {
                write!(conn, "{:x}\r\n", chunk.len())
                    .and_then(|_| conn.write_all(&chunk))
                    .and_then(|_| conn.write_all(b"\r\n"))
            } else {
                conn.write_all(&chunk)
            };
            if written.is_err() {
                return;
            }
            sent += chunk.len() as u64;
            most_sent.fetch_max(sent, Ordering::Relaxed);
        }
        let _ = conn.write_all(if chunked { b"0\r\n\r\n" } else { b"" });
    })
}

#[test]
fn a_100_mb_body_is_refused_above_the_limit_without_reading_it_all() {
    const HUNDRED_MB: u64 = 100 * 1024 * 1024;
    for chunked in [false, true] {
        let sent = Arc::new(AtomicU64::new(0));
        let server = endless_body(HUNDRED_MB, chunked, sent.clone());
        let ws = Workspace::new();
        let out = run_view(&ws, &server.base_url(), "");
        let err = assert_failed_without_output(&out, &ws);
        assert!(
            err.contains("over the 64 MiB limit") && err.contains(VIEW_PATH),
            "chunked {chunked}: {err}"
        );
        assert_eq!(server.view_requests(), 1, "chunked {chunked}: not retried");
        std::thread::sleep(Duration::from_millis(200));
        assert!(
            sent.load(Ordering::Relaxed) < HUNDRED_MB,
            "chunked {chunked}: the client stopped reading at the limit"
        );
    }
}

/// A view whose second page is empty, says `has_more` and links to itself.
fn looping_view(conn: &mut TcpStream, head: &str, base: &str) {
    let path = target(head);
    if path.starts_with(VIEW_PATH) {
        json(conn, r#"{"view": {"id": 1, "title": "Loop"}}"#);
    } else if path.contains("/tickets.json") && !path.contains("after") {
        let next = format!("{base}/api/v2/views/1/tickets.json?page%5Bafter%5D=again");
        json(
            conn,
            &format!(
                r#"{{"tickets": [{{"id": 7, "subject": "one"}}], "meta": {{"has_more": true}}, "links": {{"next": "{next}"}}}}"#
            ),
        );
    } else if path.contains("/tickets.json") {
        let same = format!("{base}{path}");
        json(
            conn,
            &format!(
                r#"{{"tickets": [], "meta": {{"has_more": true}}, "links": {{"next": "{same}"}}}}"#
            ),
        );
    } else {
        respond(conn, "404 Not Found", "", "");
    }
}

#[test]
fn a_repeated_cursor_or_an_empty_page_with_has_more_stops_instead_of_looping() {
    let base = Arc::new(Mutex::new(String::new()));
    let known = base.clone();
    let server = Scripted::start(move |head, conn| {
        let base = known.lock().unwrap().clone();
        looping_view(conn, head, &base);
    });
    *base.lock().unwrap() = server.base_url();
    let ws = Workspace::new();
    let out = run_view(&ws, &server.base_url(), "");
    let err = assert_failed_without_output(&out, &ws);
    assert!(
        err.contains("view 1") && err.contains("same page link again"),
        "{err}"
    );

    let cursor = Scripted::start(|_, conn| {
        json(
            conn,
            r#"{"tickets": [{"id": 3, "updated_at": "2026-01-01T00:00:00Z"}], "after_cursor": "same", "end_of_stream": false}"#,
        )
    });
    let ws = Workspace::new();
    let out = run_nightly(&ws, &cursor.base_url());
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("same cursor again"), "{err}");
    assert!(
        cursor.heads().len() <= 3,
        "stopped at once: {:?}",
        cursor.heads()
    );
}

/// Forwards one request per connection to `upstream` (asking it to close after
/// answering) and hangs up without an answer on every tenth connection.
fn dropping_proxy(upstream: u16, dropped: Arc<AtomicU64>) -> Scripted {
    let seen = AtomicU64::new(0);
    Scripted::start(move |head, conn| {
        if seen.fetch_add(1, Ordering::Relaxed) % 10 == 9 {
            dropped.fetch_add(1, Ordering::Relaxed);
            let _ = conn.shutdown(Shutdown::Both);
            return;
        }
        let Ok(mut up) = TcpStream::connect(("127.0.0.1", upstream)) else {
            return;
        };
        let kept: String = head
            .lines()
            .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
            .map(|l| format!("{l}\r\n"))
            .collect();
        if write!(up, "{kept}Connection: close\r\n\r\n").is_err() {
            return;
        }
        let mut answer = Vec::new();
        let _ = up.read_to_end(&mut answer);
        let _ = conn.write_all(&answer);
    })
}

#[test]
fn dropping_every_tenth_connection_for_a_whole_run_loses_and_repeats_nothing() {
    let sb = sandbox(300);
    let upstream: u16 = sb.base_url().rsplit(':').next().unwrap().parse().unwrap();
    let dropped = Arc::new(AtomicU64::new(0));
    let proxy = dropping_proxy(upstream, dropped.clone());
    let ws = Workspace::new();
    let p = ws.view_pipeline(
        "dropped",
        &proxy.base_url(),
        &[1],
        "include_comments = true\n",
    );
    let out = zdpipe_auth()
        .arg("run")
        .arg(&p)
        .current_dir(ws.dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let expected: Vec<u64> = sb.dataset().view_ticket_ids(1).collect();
    assert_eq!(
        csv_ids(&ws.path("out/dropped.csv")),
        expected,
        "every ticket exactly once, in order"
    );
    let dropped = dropped.load(Ordering::Relaxed);
    assert!(
        dropped >= expected.len() as u64 / 10,
        "{dropped} of {} connections dropped",
        proxy.heads().len()
    );
}

/// A nightly (incremental export) pipeline against `base_url`, run to its end.
fn run_nightly(ws: &Workspace, base_url: &str) -> std::process::Output {
    let p = ws.file(
        "nightly.toml",
        &format!(
            "name = \"nightly\"\n[fetch]\nsource = \"zendesk\"\nbase_url = \"{base_url}\"\nmode = \"incremental\"\nsince = \"1d\"\n[cache]\npath = \"cache\"\n[[write]]\nkind = \"csv\"\npath = \"out/nightly.csv\"\n",
        ),
    );
    run_in(ws, &p)
}

#[test]
fn an_export_page_cut_short_is_retried_and_its_bad_records_fail_only_themselves() {
    const PAGE: &str = r#"{"tickets": [{"id": 1, "subject": "Refund {please}", "updated_at": "2026-01-01T00:00:00Z"}, {"subject": "no id at all"}, {"id": 3, "subject": 7}, {"id": 4, "subject": "Still \"waiting\""}], "users": [], "after_cursor": "c1", "end_of_stream": true}"#;
    let served = Arc::new(AtomicU64::new(0));
    let count = served.clone();
    let server = Scripted::start(move |_, conn| {
        // The first answer stops mid-ticket, as a dropped proxy leaves it.
        match count.fetch_add(1, Ordering::SeqCst) {
            0 => json(conn, &PAGE[..PAGE.len() / 2]),
            _ => json(conn, PAGE),
        }
    });
    let ws = Workspace::new();
    let out = run_nightly(&ws, &server.base_url());
    let err = stderr(&out);
    // Exit 3: the run completed and one ticket (the bad field) failed.
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert_eq!(served.load(Ordering::SeqCst), 2, "one retry: {err}");
    assert!(err.contains("no numeric id"), "the record skipped: {err}");
    let csv = ws.path("out/nightly.csv");
    assert_eq!(csv_ids(&csv), [1, 3, 4], "{err}");
    assert_eq!(
        column(&csv, "subject"),
        ["Refund {please}", "", "Still \"waiting\""]
    );
    let errors = column(&csv, "error");
    assert!(errors[1].contains("could not be parsed"), "{errors:?}");
    assert!(errors[0].is_empty() && errors[2].is_empty(), "{errors:?}");
}
