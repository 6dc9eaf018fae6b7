//! The Zendesk client over real HTTP: pagination, errors, file sources, secrets.

use crate::helpers::*;

#[test]
fn multi_page_view_writes_every_ticket_once() {
    let sb = sandbox(350); // view 1 lists every ticket: 4 pages of 100
    let ws = Workspace::new();
    let p = ws.view_pipeline("pages", &sb.base_url(), &[1], "");
    let out = zdpipe_auth().arg("run").arg(&p).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let ids = csv_ids(&ws.path("out/pages.csv"));
    let mut expected: Vec<u64> = sb.dataset().view_ticket_ids(1).collect();
    assert!(
        expected.len() > 300,
        "view 1 has {} tickets",
        expected.len()
    );
    assert_eq!(ids, expected, "fetch order, each ticket once");
    expected.dedup();
    assert_eq!(ids.len(), expected.len());
    let pages = sb
        .request_log()
        .iter()
        .filter(|r| r.path_and_query.contains("/views/1/tickets"))
        .count();
    assert_eq!(pages, ids.len().div_ceil(100), "cursor pages followed");
}

#[test]
fn views_lists_the_account_views() {
    let sb = sandbox(50);
    let ws = Workspace::new();
    let p = ws.view_pipeline("v", &sb.base_url(), &[1], "");
    let out = zdpipe_auth().arg("views").arg(&p).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("All tickets"), "{text}");
    let out = zdpipe_auth()
        .args(["views", "--json"])
        .arg(&p)
        .output()
        .unwrap();
    let views: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(views
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["id"] == 1 && v["title"] == "All tickets"));
}

#[test]
fn wrong_token_is_a_clear_401() {
    let sb = sandbox(10);
    let ws = Workspace::new();
    let p = ws.view_pipeline("auth", &sb.base_url(), &[1], "");
    let out = zdpipe()
        .env("ZENDESK_EMAIL", EMAIL)
        .env("ZENDESK_API_TOKEN", "wrong-token-123")
        .arg("run")
        .arg(&p)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("401") && err.contains("rejected the credentials"),
        "{err}"
    );
    assert!(!err.contains("wrong-token-123"));
    assert!(!ws.path("out/auth.csv").exists(), "no output on failure");
}

#[test]
fn missing_credentials_are_a_usage_error() {
    let sb = sandbox(10);
    let ws = Workspace::new();
    let p = ws.view_pipeline("nocreds", &sb.base_url(), &[1], "");
    let out = zdpipe()
        .env("ZENDESK_EMAIL", EMAIL)
        .arg("run")
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("ZENDESK_API_TOKEN"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unknown_view_is_a_clear_404() {
    let sb = sandbox(10);
    let ws = Workspace::new();
    let p = ws.view_pipeline("nf", &sb.base_url(), &[424242], "");
    let out = zdpipe_auth().arg("run").arg(&p).output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("view 424242 not found in 127.0.0.1:"), "{err}");
}

#[test]
fn token_never_appears_even_at_trace_level() {
    let sb = sandbox(120);
    let ws = Workspace::new();
    let p = ws.view_pipeline("secret", &sb.base_url(), &[1], "");
    let out = zdpipe_auth()
        .env("RUST_LOG", "trace")
        .arg("run")
        .arg(&p)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let all = format!("{}{}", stderr(&out), stdout(&out));
    assert!(all.len() > 1000, "trace logging produced output");
    assert!(!all.contains(TOKEN), "token leaked into the output");
    let basic = base64_basic(&format!("{EMAIL}/token:{TOKEN}"));
    assert!(!all.contains(&basic), "basic auth header leaked");
    // Nor into the cache files.
    for entry in walk(&ws.path("cache")) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !contains(&bytes, TOKEN.as_bytes()),
            "token in {}",
            entry.display()
        );
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Standard base64 (for checking that no Basic auth header was logged).
fn base64_basic(s: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn file_source_reports_a_malformed_line() {
    let ws = Workspace::new();
    ws.file(
        "export.ndjson",
        "{\"id\": 1, \"subject\": \"Printer on fire\", \"description\": \"It is burning!\"}\n{\"id\": 2, \"subject\": oops}\n{\"id\": 3, \"description\": \"Thanks, all good now\"}\n",
    );
    let pipeline = |on_bad: &str| {
        format!("[fetch]\nsource = \"file\"\npath = \"export.ndjson\"\non_bad_record = \"{on_bad}\"\n[cache]\npath = \"cache\"\n[[write]]\nkind = \"csv\"\npath = \"out.csv\"\n")
    };
    let p = ws.file("fail.toml", &pipeline("fail"));
    let out = zdpipe().arg("run").arg(&p).output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("export.ndjson:2"),
        "names file and line: {err}"
    );
    assert!(!ws.path("out.csv").exists(), "no partial output");

    let p = ws.file("skip.toml", &pipeline("skip"));
    let out = zdpipe().arg("run").arg(&p).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("export.ndjson:2"));
    assert_eq!(csv_ids(&ws.path("out.csv")), vec![1, 3]);
}

#[test]
fn file_source_reads_json_array_and_tickets_object() {
    let ws = Workspace::new();
    ws.file(
        "a.json",
        "[{\"id\": 5, \"description\": \"hello\"}, {\"id\": 6}]",
    );
    ws.file(
        "b.json",
        "{\n  \"tickets\": [{\"id\": 7, \"tags\": null}],\n  \"count\": 1\n}\n",
    );
    for (name, ids) in [("a.json", vec![5, 6]), ("b.json", vec![7])] {
        let p = ws.file(
            &format!("{name}.toml"),
            &format!("[fetch]\nsource = \"file\"\npath = \"{name}\"\n[cache]\npath = \"cache-{name}\"\n[[write]]\nkind = \"csv\"\npath = \"{name}.csv\"\n"),
        );
        zdpipe().arg("run").arg(&p).assert().success();
        assert_eq!(csv_ids(&ws.path(&format!("{name}.csv"))), ids);
    }
}

#[test]
fn oauth_sends_a_bearer_token() {
    let sb = sandbox(30);
    let ws = Workspace::new();
    let p = ws.view_pipeline("oauth", &sb.base_url(), &[1], "");
    let text = std::fs::read_to_string(&p)
        .unwrap()
        .replace("auth = \"api_token\"", "auth = \"oauth\"");
    std::fs::write(&p, text).unwrap();
    let out = zdpipe()
        .env("ZENDESK_OAUTH_TOKEN", TOKEN)
        .arg("run")
        .arg(&p)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        csv_ids(&ws.path("out/oauth.csv")).len(),
        sb.dataset().view_ticket_ids(1).count()
    );
    let out = zdpipe().arg("run").arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("ZENDESK_OAUTH_TOKEN"));
}

#[test]
fn an_export_with_long_lines_is_read_as_ndjson() {
    let ws = Workspace::new();
    let long = "The array controller keeps dropping disks. ".repeat(300);
    ws.file(
        "big.ndjson",
        &format!("{{\"id\": 1, \"description\": \"{long}\"}}\n{{\"id\": 2, \"description\": \"{long}\"}}\n"),
    );
    let p = ws.file(
        "big.toml",
        "[fetch]\nsource = \"file\"\npath = \"big.ndjson\"\n[cache]\npath = \"cache\"\n[[write]]\nkind = \"csv\"\npath = \"out.csv\"\n",
    );
    let out = zdpipe().arg("run").arg(&p).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(csv_ids(&ws.path("out.csv")), vec![1, 2]);
}
