//! The persistent cache in front of every Zendesk call, analysis reuse, `zdpipe cache`.

use std::time::{Duration, Instant};

use crate::helpers::*;

fn summary(ws: &Workspace, name: &str) -> serde_json::Value {
    read_json(&ws.path(name))
}

#[test]
fn warm_rerun_sends_no_requests_and_writes_the_same_csv() {
    let sb = sandbox(250); // 3 pages
    let ws = Workspace::new();
    let p = ws.view_pipeline("warm", &sb.base_url(), &[1], "");
    zdpipe_auth()
        .arg("run")
        .arg(&p)
        .args(["--summary-json", "s1.json"])
        .current_dir(ws.dir.path())
        .assert()
        .success();
    let first = std::fs::read(ws.path("out/warm.csv")).unwrap();
    assert!(sb.requests() >= 3);
    let s1 = summary(&ws, "s1.json");
    assert_eq!(s1["analyzed"], s1["written"]);

    sb.reset_counters();
    zdpipe_auth()
        .arg("run")
        .arg(&p)
        .args(["--summary-json", "s2.json"])
        .current_dir(ws.dir.path())
        .assert()
        .success();
    assert_eq!(
        sb.requests(),
        0,
        "warm rerun sends no request: {:?}",
        sb.request_log()
    );
    assert_eq!(
        std::fs::read(ws.path("out/warm.csv")).unwrap(),
        first,
        "byte-identical CSV"
    );
    let s2 = summary(&ws, "s2.json");
    assert_eq!(s2["analyzed"], 0, "no analyzer call on the rerun");
    assert_eq!(s2["reused"], s1["written"]);
    assert_eq!(s2["http_requests"], 0);
    assert!(s2["cache"]["tickets"]["hits"].as_u64().unwrap() >= 240);

    // `cache stats` shows the persisted counts.
    let out = zdpipe()
        .args(["cache", "stats", "--json"])
        .arg(&p)
        .output()
        .unwrap();
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tickets = stats["stores"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["store"] == "tickets")
        .unwrap();
    assert!(tickets["entries"].as_u64().unwrap() >= 240);
    assert!(
        tickets["hits"].as_u64().unwrap() >= 240,
        "hits persisted across runs: {tickets}"
    );
}

#[test]
fn expired_entries_are_fetched_again() {
    let sb = sandbox(150);
    let ws = Workspace::new();
    let p = ws.view_pipeline("ttl", &sb.base_url(), &[1], "");
    let text = std::fs::read_to_string(&p).unwrap().replace(
        "path = \"cache\"",
        "path = \"cache\"\nttl = { views = \"1s\", tickets = \"1s\", users = \"1s\" }",
    );
    std::fs::write(&p, text).unwrap();
    zdpipe_auth().arg("run").arg(&p).assert().success();
    let cold = sb.requests();
    std::thread::sleep(Duration::from_millis(1100)); // the TTL has to pass
    sb.reset_counters();
    zdpipe_auth().arg("run").arg(&p).assert().success();
    let paths: Vec<String> = sb
        .request_log()
        .into_iter()
        .map(|r| r.path_and_query)
        .collect();
    assert!(
        paths.iter().any(|p| p.contains("/views/1/tickets")),
        "listing fetched again: {paths:?}"
    );
    assert_eq!(sb.requests(), cold, "the same requests as the cold run");
}

#[test]
fn invalidating_one_ticket_fetches_only_that_ticket() {
    let sb = sandbox(150);
    let ws = Workspace::new();
    let p = ws.view_pipeline("inv", &sb.base_url(), &[1], "");
    zdpipe_auth().arg("run").arg(&p).assert().success();
    let out = zdpipe()
        .args(["cache", "invalidate"])
        .arg(&p)
        .args(["--ticket", "42"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("ticket 42"));
    sb.reset_counters();
    zdpipe_auth()
        .arg("run")
        .arg(&p)
        .args(["--summary-json", "s.json"])
        .current_dir(ws.dir.path())
        .assert()
        .success();
    let log = sb.request_log();
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(
        log[0].path_and_query.contains("tickets/show_many")
            && log[0].path_and_query.ends_with("ids=42"),
        "{log:?}"
    );
    assert_eq!(
        summary(&ws, "s.json")["analyzed"],
        1,
        "only ticket 42 analyzed again"
    );
}

/// The requests for view `view`'s ticket listing the sandbox has seen.
fn listing_requests(sb: &SandboxHandle, view: u64) -> Vec<String> {
    let path = format!("/views/{view}/tickets");
    sb.request_log()
        .into_iter()
        .map(|r| r.path_and_query)
        .filter(|p| p.contains(&path))
        .collect()
}

#[test]
fn invalidating_a_view_after_a_killed_backfill_lists_it_again_from_the_first_page() {
    let sb = SandboxHandle::start(SandboxSettings {
        tickets: 10_000,
        latency_ms: 20,
        auth: Some(Credentials {
            email: EMAIL.into(),
            token: TOKEN.into(),
        }),
        ..SandboxSettings::default()
    })
    .unwrap();
    let ws = Workspace::new();
    let p = ws.view_pipeline("backfill", &sb.base_url(), &[1], "");
    let mut child = spawn_run(&p, false);
    // 40 pages take at least 800 ms: the pages of the first half are on disk (sled
    // writes every 500 ms) when the run dies.
    kill_when(&mut child, || listing_requests(&sb, 1).len() >= 40);

    let out = zdpipe()
        .args(["cache", "invalidate"])
        .arg(&p)
        .args(["--view", "1"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let entries: u64 = text
        .split("view 1 (")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{text}"));
    assert!(entries >= 10, "the stored listing pages went too: {text}");

    sb.reset_counters();
    let out = zdpipe_auth()
        .arg("run")
        .arg(&p)
        .current_dir(ws.dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let listed = listing_requests(&sb, 1);
    assert!(
        listed.first().is_some_and(|first| !first.contains("after")),
        "the rerun listed view 1 from its first page (no cursor): {listed:?}"
    );
    let first_pages = listed.iter().filter(|p| !p.contains("after")).count();
    assert_eq!(first_pages, 1, "listed once: {listed:?}");
    assert_view_written_once(
        &sb,
        &ws.path("out/backfill.csv"),
        "every ticket once, in order",
    );
}

#[test]
fn offline_on_a_cold_cache_names_what_is_missing() {
    let sb = sandbox(20);
    let ws = Workspace::new();
    let p = ws.view_pipeline("off", &sb.base_url(), &[1], "");
    let out = zdpipe_auth()
        .arg("run")
        .arg(&p)
        .arg("--offline")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--offline") && stderr(&out).contains("listing of view 1"),
        "{}",
        stderr(&out)
    );
    assert_eq!(sb.requests(), 0);
    assert!(!ws.path("out/off.csv").exists());
    // Once warm, offline works even after the TTLs and with the server gone.
    zdpipe_auth().arg("run").arg(&p).assert().success();
    let csv = std::fs::read(ws.path("out/off.csv")).unwrap();
    drop(sb);
    zdpipe()
        .arg("run")
        .arg(&p)
        .arg("--offline")
        .assert()
        .success();
    assert_eq!(std::fs::read(ws.path("out/off.csv")).unwrap(), csv);
}

#[test]
fn an_updated_ticket_is_analyzed_again() {
    let sb = sandbox(120);
    let ws = Workspace::new();
    let p = ws.view_pipeline("upd", &sb.base_url(), &[1], "");
    zdpipe_auth().arg("run").arg(&p).assert().success();
    sb.touch_ticket(7);
    zdpipe_auth()
        .arg("run")
        .arg(&p)
        .arg("--refresh")
        .args(["--summary-json", "s.json"])
        .current_dir(ws.dir.path())
        .assert()
        .success();
    let s = summary(&ws, "s.json");
    assert_eq!(s["analyzed"], 1, "{s}");
    assert_eq!(
        s["reused"].as_u64().unwrap() + 1,
        s["written"].as_u64().unwrap()
    );
    let subjects = column(&ws.path("out/upd.csv"), "subject");
    assert!(
        subjects.iter().any(|s| s.contains("(update")),
        "the new version is written"
    );
}

#[test]
fn a_second_run_on_the_same_cache_exits_75() {
    let sb = SandboxHandle::start(SandboxSettings {
        tickets: 400,
        latency_ms: 150,
        ..SandboxSettings::default()
    })
    .unwrap();
    let ws = Workspace::new();
    let p = ws.view_pipeline("lock", &sb.base_url(), &[1], "");
    let mut first = spawn_run(&p, false);
    // The first run holds the cache once its pid file is written.
    let pid_file = ws.path("cache/zdpipe.pid");
    let t = Instant::now();
    while std::fs::read_to_string(&pid_file).map_or(true, |s| s.trim() != first.id().to_string()) {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "first run never took the cache"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let t = Instant::now();
    let out = zdpipe_auth().arg("run").arg(&p).output().unwrap();
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "refused within a second"
    );
    assert_eq!(out.status.code(), Some(75), "{}", stderr(&out));
    let msg = stderr(&out);
    assert!(
        msg.contains("is in use by another zdpipe run")
            && msg.contains(&format!("pid {}", first.id())),
        "{msg}"
    );
    assert!(
        first.wait().unwrap().success(),
        "the first run is unaffected"
    );
    assert!(csv_ids(&ws.path("out/lock.csv")).len() > 390);
}

#[test]
fn cache_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let sb = sandbox(20);
    let ws = Workspace::new();
    let p = ws.view_pipeline("perm", &sb.base_url(), &[1], "");
    zdpipe_auth().arg("run").arg(&p).assert().success();
    let mode = std::fs::metadata(ws.path("cache"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o700);
    for e in std::fs::read_dir(ws.path("cache")).unwrap().flatten() {
        let m = e.metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(m & 0o077, 0, "{} is {m:o}", e.path().display());
    }
}

#[test]
fn corrupt_cache_is_moved_aside() {
    let sb = sandbox(20);
    let ws = Workspace::new();
    let p = ws.view_pipeline("corrupt", &sb.base_url(), &[1], "");
    zdpipe_auth().arg("run").arg(&p).assert().success();
    // Overwrite sled's files with garbage.
    for e in std::fs::read_dir(ws.path("cache")).unwrap().flatten() {
        if e.path().is_file() && e.file_name() != "zdpipe.pid" {
            std::fs::write(e.path(), vec![0xAB; 4096]).unwrap();
        }
    }
    let out = zdpipe_auth().arg("run").arg(&p).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("corrupt"), "{}", stderr(&out));
    let aside = std::fs::read_dir(ws.dir.path())
        .unwrap()
        .flatten()
        .any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("cache.corrupt-")
        });
    assert!(aside, "moved aside");
}

#[test]
fn purge_and_clear_report_what_they_did() {
    let sb = sandbox(30);
    let ws = Workspace::new();
    let p = ws.view_pipeline("purge", &sb.base_url(), &[1], "");
    zdpipe_auth().arg("run").arg(&p).assert().success();
    let out = zdpipe().args(["cache", "purge"]).arg(&p).output().unwrap();
    assert!(
        stdout(&out).contains("purged 0 expired entries"),
        "{}",
        stdout(&out)
    );
    zdpipe().args(["cache", "clear"]).arg(&p).assert().success();
    let out = zdpipe()
        .args(["cache", "stats", "--json"])
        .arg(&p)
        .output()
        .unwrap();
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        stats["stores"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["entries"] == 0),
        "{stats}"
    );
    let out = zdpipe()
        .args(["cache", "invalidate"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// A sandbox pipeline on the shared `cache` path, writing `out/{name}.csv`.
fn sandbox_pipeline(ws: &Workspace, name: &str, tickets: u64, seed: u64) -> std::path::PathBuf {
    ws.file(
        &format!("{name}.toml"),
        &format!(
            "name = \"{name}\"\n[fetch]\nsource = \"sandbox\"\nmode = \"view\"\nviews = [1]\n[fetch.sandbox]\ntickets = {tickets}\nseed = {seed}\n[cache]\npath = \"cache\"\n[[write]]\nkind = \"csv\"\npath = \"out/{name}.csv\"\n"
        ),
    )
}

/// The refusal of a run on another account's cache: exit 2, one line naming both.
fn assert_refused(out: &std::process::Output, holds: &str, reads: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let line = err
        .lines()
        .find(|l| l.contains("holds data of"))
        .unwrap_or_else(|| panic!("no refusal in: {err}"));
    assert!(line.contains(&format!("holds data of {holds};")), "{line}");
    assert!(
        line.contains(&format!("this pipeline reads {reads} ")),
        "{line}"
    );
    assert!(line.contains("--new-cache"), "{line}");
}

#[test]
fn a_cache_of_another_sandbox_data_set_is_refused_until_started_over() {
    let ws = Workspace::new();
    let first = sandbox_pipeline(&ws, "first", 500, 1);
    let second = sandbox_pipeline(&ws, "second", 1500, 1);
    zdpipe().arg("run").arg(&first).assert().success();
    let first_ids = csv_ids(&ws.path("out/first.csv"));
    assert!(first_ids.len() > 400, "{}", first_ids.len());

    for flags in [&[][..], &["--offline"][..]] {
        let out = zdpipe()
            .arg("run")
            .arg(&second)
            .args(flags)
            .output()
            .unwrap();
        assert_refused(
            &out,
            "sandbox (tickets 500, seed 1)",
            "sandbox (tickets 1500, seed 1)",
        );
        assert!(!ws.path("out/second.csv").exists(), "{flags:?}: no output");
        assert!(!ws.path("out/second.csv.partial").exists(), "{flags:?}");
    }

    let out = zdpipe()
        .arg("run")
        .arg(&second)
        .arg("--new-cache")
        .arg("--summary-json")
        .arg(ws.path("s.json"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let s = read_json(&ws.path("s.json"));
    assert_eq!(
        s["cache"]["tickets"]["hits"], 0,
        "nothing served from the old cache"
    );
    let second_ids = csv_ids(&ws.path("out/second.csv"));
    assert!(second_ids.len() > first_ids.len(), "{}", second_ids.len());
    // The same pipeline reruns on its own cache; the first is now refused.
    zdpipe().arg("run").arg(&second).assert().success();
    let out = zdpipe().arg("run").arg(&first).output().unwrap();
    assert_refused(
        &out,
        "sandbox (tickets 1500, seed 1)",
        "sandbox (tickets 500, seed 1)",
    );
    let stats = zdpipe()
        .args(["cache", "stats", "--json"])
        .arg(&first)
        .output()
        .unwrap();
    let stats: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap();
    assert_eq!(stats["account"], "sandbox (tickets 1500, seed 1)");
}

#[test]
fn a_cache_of_another_zendesk_host_is_refused_naming_both() {
    let (acme, beta) = (sandbox(120), sandbox(60));
    let ws = Workspace::new();
    let first = ws.view_pipeline("acme", &acme.base_url(), &[1], "");
    let second = ws.view_pipeline("beta", &beta.base_url(), &[1], "");
    zdpipe_auth().arg("run").arg(&first).assert().success();

    beta.reset_counters();
    let out = zdpipe_auth().arg("run").arg(&second).output().unwrap();
    assert_refused(&out, &acme.base_url(), &beta.base_url());
    assert_eq!(beta.requests(), 0, "refused before any request");
    assert!(!ws.path("out/beta.csv").exists());
    let out = zdpipe().args(["views"]).arg(&second).output().unwrap();
    assert_refused(&out, &acme.base_url(), &beta.base_url());

    zdpipe_auth()
        .arg("run")
        .arg(&second)
        .arg("--new-cache")
        .assert()
        .success();
    assert_eq!(csv_ids(&ws.path("out/beta.csv")).len(), 60);
}

#[test]
fn a_cache_with_a_key_per_ticket_drops_its_tickets_once_with_a_notice() {
    let sb = sandbox(120);
    let ws = Workspace::new();
    let p = ws.view_pipeline("old", &sb.base_url(), &[1], "");
    // What zdpipe wrote before buckets: a ticket and an analysis under the ticket's
    // own id, no format record.
    {
        let db = sled::open(ws.path("cache")).unwrap();
        let mut envelope = vec![1u8];
        envelope.extend_from_slice(&u64::MAX.to_be_bytes());
        envelope.extend_from_slice(br#"{"id":1,"subject":"stale"}"#);
        let old_key = 1u64.to_be_bytes();
        db.open_tree("tickets")
            .unwrap()
            .insert(old_key, envelope)
            .unwrap();
        db.open_tree("analyses")
            .unwrap()
            .insert(old_key, &b"{}"[..])
            .unwrap();
        db.flush().unwrap();
    }
    let out = ws.run_with_summary(&p, "s1.json");
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let notices: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("written by an older zdpipe"))
        .collect();
    assert_eq!(notices.len(), 1, "{}", stderr(&out));
    assert!(
        notices[0].contains("dropped its 2 stored"),
        "{}",
        notices[0]
    );
    assert_view_written_once(&sb, &ws.path("out/old.csv"), "after the format change");
    assert!(!column(&ws.path("out/old.csv"), "subject").contains(&"stale".to_string()));
    let first = summary(&ws, "s1.json");
    assert_eq!(first["analyzed"], first["written"]);

    let out = ws.run_with_summary(&p, "s2.json");
    assert!(!stderr(&out).contains("older zdpipe"), "{}", stderr(&out));
    let second = summary(&ws, "s2.json");
    assert_eq!(second["analyzed"], 0, "{second}");
    assert_eq!(second["reused"], first["written"]);
}
