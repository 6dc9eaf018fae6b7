//! The rate budget through the binary: `rate_limit_per_minute = "auto"` following the
//! account's `X-Rate-Limit` up and down, `api_share`, and the incremental export at
//! its 10-a-window cap, against the sandbox enforcing the limits with 429s. Windows are
//! scaled down (`rate_window`) so a "minute" takes 1-4 s.

use std::path::PathBuf;

use zdpipe::sandbox::RequestRecord;

use crate::helpers::*;

fn start(cfg: SandboxSettings) -> SandboxHandle {
    SandboxHandle::start(SandboxSettings {
        auth: Some(Credentials {
            email: EMAIL.into(),
            token: TOKEN.into(),
        }),
        ..cfg
    })
    .unwrap()
}

/// A pipeline against `base_url` with `fetch` as the rest of its `[fetch]` table.
fn pipeline(ws: &Workspace, base_url: &str, fetch: &str) -> PathBuf {
    ws.file(
        "rate.toml",
        &format!(
            "name = \"rate\"\n[fetch]\nsource = \"zendesk\"\nbase_url = \"{base_url}\"\n{fetch}\n[cache]\npath = \"cache\"\n[[write]]\nkind = \"csv\"\npath = \"out/rate.csv\"\n"
        ),
    )
}

/// Runs it with `--summary-json`; the summary and the text summary (stderr).
fn run(ws: &Workspace, p: &PathBuf) -> (serde_json::Value, String) {
    let out = zdpipe_auth()
        .arg("run")
        .arg(p)
        .args(["--no-progress", "--summary-json", "summary.json"])
        .current_dir(ws.dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    (read_json(&ws.path("summary.json")), stderr(&out))
}

/// The most requests the server saw arrive within `window_ms` of each other.
fn busiest_window(log: &[RequestRecord], window_ms: u64) -> usize {
    (0..log.len())
        .map(|i| {
            log[i..]
                .iter()
                .take_while(|q| q.elapsed_ms < log[i].elapsed_ms + window_ms)
                .count()
        })
        .max()
        .unwrap_or(0)
}

fn count_429(log: &[RequestRecord]) -> usize {
    log.iter().filter(|r| r.status == 429).count()
}

/// A view run reading every ticket's comments (one request each, many at once), so
/// the client has far more requests to make than any budget allows.
fn view_run(
    account_limit: u32,
    tickets: u64,
    window_ms: u64,
    extra: &str,
) -> (serde_json::Value, String, Vec<RequestRecord>) {
    let sb = start(SandboxSettings {
        tickets,
        rate_limit_per_minute: Some(account_limit),
        rate_window_ms: window_ms,
        ..SandboxSettings::default()
    });
    let ws = Workspace::new();
    let fetch = format!(
        "mode = \"view\"\nviews = [1]\ninclude_comments = true\nrate_window = \"{window_ms}ms\"\n{extra}"
    );
    let p = pipeline(&ws, &sb.base_url(), &fetch);
    let (summary, text) = run(&ws, &p);
    (summary, text, sb.request_log())
}

#[test]
fn auto_rises_to_the_account_limit_without_a_429() {
    let (s, text, log) = view_run(700, 1500, 2000, "");
    assert_eq!(count_429(&log), 0, "no 429");
    let busiest = busiest_window(&log, 2000);
    assert!(
        busiest > 200 && busiest <= 700,
        "{busiest} requests in the busiest window: above the 200 it starts at, within 700"
    );
    assert_eq!(s["rate"]["account_limit"], 700);
    assert_eq!(s["rate"]["budget"], 700);
    assert!(s["rate"]["busiest_minute"].as_u64().unwrap() > 200);
    assert!(
        text.contains("rate: account limit 700/min, budget 700/min"),
        "{text}"
    );
}

#[test]
fn api_share_keeps_to_half_of_the_account_limit() {
    let (s, text, log) = view_run(700, 1200, 2000, "api_share = 0.5\n");
    assert_eq!(count_429(&log), 0, "no 429");
    let busiest = busiest_window(&log, 2000);
    assert!(
        busiest > 200 && busiest <= 350,
        "{busiest} requests in the busiest window: above 200, within half of 700"
    );
    assert_eq!(s["rate"]["budget"], 350);
    assert_eq!(s["rate"]["api_share"], 0.5);
    assert!(text.contains("budget 350/min (api_share 0.5)"), "{text}");
}

#[test]
fn a_lower_account_limit_brings_auto_down() {
    let (s, _, log) = view_run(100, 300, 1000, "");
    assert_eq!(count_429(&log), 0, "no 429");
    let busiest = busiest_window(&log, 1000);
    assert!(busiest <= 100, "{busiest} requests in one window, over 100");
    assert_eq!(s["rate"]["account_limit"], 100);
    assert_eq!(s["rate"]["budget"], 100);
}

#[test]
fn a_fixed_rate_is_a_cap_the_header_cannot_raise() {
    let (s, _, log) = view_run(700, 400, 1000, "rate_limit_per_minute = 150\n");
    assert_eq!(count_429(&log), 0);
    assert!(busiest_window(&log, 1000) <= 150);
    assert_eq!(
        (
            s["rate"]["account_limit"].as_u64(),
            s["rate"]["budget"].as_u64()
        ),
        (Some(700), Some(150))
    );
}

/// 30 export pages against a server allowing 10 export requests per `window_ms`
/// (counted in a window `lag_ms` longer than the client's): how far apart (ms) the
/// 1st and the 21st request arrived, and the log.
fn export_at_the_cap(window_ms: u64, lag_ms: u64) -> (u64, Vec<RequestRecord>, serde_json::Value) {
    let sb = start(SandboxSettings {
        tickets: 2950,
        export_page_max: 100,
        export_rate_limit: Some(10),
        export_window_lag_ms: lag_ms,
        rate_window_ms: window_ms,
        ..SandboxSettings::default()
    });
    let ws = Workspace::new();
    let fetch =
        format!("mode = \"incremental\"\nsince = \"60d\"\nrate_window = \"{window_ms}ms\"\n");
    let p = pipeline(&ws, &sb.base_url(), &fetch);
    let (summary, _) = run(&ws, &p);
    assert_eq!(
        csv_ids(&ws.path("out/rate.csv")).len(),
        2950,
        "every ticket"
    );
    let log: Vec<RequestRecord> = sb
        .request_log()
        .into_iter()
        .filter(|r| r.path_and_query.starts_with("/api/v2/incremental/"))
        .collect();
    assert_eq!(log.len(), 30, "30 pages, each asked once");
    (log[20].elapsed_ms - log[0].elapsed_ms, log, summary)
}

/// The best possible: 10 at once, then 10 a window, so the 21st request goes two
/// (server) windows after the 1st. Within 5 % of it, and no 429.
fn assert_near_the_best(span_ms: u64, server_window_ms: u64, log: &[RequestRecord]) {
    assert_eq!(count_429(log), 0, "no 429 at the export cap");
    let best = 2 * server_window_ms;
    assert!(
        span_ms >= best,
        "the server would have refused: {span_ms} ms"
    );
    assert!(
        span_ms as f64 <= best as f64 * 1.05,
        "21st request {span_ms} ms after the 1st; the best is {best} ms"
    );
    let first_burst = log[9].elapsed_ms - log[0].elapsed_ms;
    assert!(
        first_burst < server_window_ms / 2,
        "the first 10 at once: {first_burst} ms"
    );
}

#[test]
fn the_export_cap_is_used_to_the_full_without_a_429() {
    let (span, log, s) = export_at_the_cap(4000, 0);
    assert_near_the_best(span, 4000, &log);
    assert_eq!(s["rate"]["export_budget"], 10);
    assert_eq!(s["rate"]["export_busiest_minute"], 10);
}

#[test]
fn a_server_whose_window_closes_late_still_gets_no_429() {
    // A second late at Zendesk's 60 s scale is 67 ms of a 4 s window.
    let (span, log, _) = export_at_the_cap(4000, 67);
    assert_near_the_best(span, 4067, &log);
}

#[test]
fn bad_rate_settings_name_the_key_and_what_is_valid() {
    for (setting, mention) in [
        ("rate_limit_per_minute = \"fast\"", "\"auto\""),
        ("rate_limit_per_minute = 0", "at least 1"),
        ("rate_limit_per_minute = 1.5", "\"auto\""),
        ("api_share = 0", "at most 1"),
        ("api_share = 1.5", "more than 0"),
    ] {
        let ws = Workspace::new();
        let key = setting.split(' ').next().unwrap();
        let p = ws.file(
            "bad.toml",
            &format!("[fetch]\nsource = \"sandbox\"\nviews = [1]\n{setting}\n[[write]]\nkind = \"csv\"\npath = \"out.csv\"\n"),
        );
        let out = zdpipe().arg("check").arg(&p).output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{setting}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(
            err.contains(key) && err.contains(mention),
            "{setting}: {err}"
        );
    }
}
