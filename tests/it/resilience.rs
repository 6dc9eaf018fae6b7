//! Rate limits, retries and faults over real HTTP; nightly incremental exports with
//! checkpoints; backfills that survive being killed.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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

/// A nightly (incremental) pipeline against `base_url`.
fn nightly(ws: &Workspace, base_url: &str, extra: &str) -> PathBuf {
    ws.file(
        "nightly.toml",
        &format!(
            "name = \"nightly\"\n[fetch]\nsource = \"zendesk\"\nbase_url = \"{base_url}\"\nmode = \"incremental\"\nsince = \"60d\"\nrate_limit_per_minute = 100000\nhigh_volume = true\nrate_window = \"1s\"\n{extra}\n[cache]\npath = \"cache\"\n[[write]]\nkind = \"csv\"\npath = \"out/nightly.csv\"\n"
        ),
    )
}

#[test]
fn faults_and_429s_are_retried_and_nothing_is_lost() {
    let sb = start(SandboxSettings {
        tickets: 480,
        fault_rate: 0.1,
        rate_limit_per_minute: Some(25),
        rate_window_ms: 1000,
        retry_after_secs: Some(1),
        seed: 5,
        ..SandboxSettings::default()
    });
    let ws = Workspace::new();
    let p = ws.view_pipeline("faulty", &sb.base_url(), &[1], "max_retries = 8\n");
    let out = zdpipe_auth()
        .arg("run")
        .arg(&p)
        .args(["--summary-json", "view.json"])
        .current_dir(ws.dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let ids = csv_ids(&ws.path("out/faulty.csv"));
    let expected: Vec<u64> = sb.dataset().view_ticket_ids(1).collect();
    assert!(expected.len().div_ceil(100) >= 5, "5 pages");
    assert_eq!(ids, expected, "every ticket exactly once, in order");
    let s = read_json(&ws.path("view.json"));
    let log = sb.request_log();
    let faulted = log
        .iter()
        .filter(|r| r.fault.is_some() || r.status == 429)
        .count() as u64;
    assert!(faulted > 0, "the server misbehaved");
    assert_eq!(
        s["http_retries"].as_u64().unwrap(),
        faulted,
        "every fault and 429 retried once: {s}"
    );
    assert!(s["rate_limited"].as_u64().unwrap() > 0 || log.iter().all(|r| r.status != 429));

    // The incremental export through the same faults: 3 pages of up to 1000.
    let sb2 = start(SandboxSettings {
        tickets: 2500,
        fault_rate: 0.1,
        seed: 9,
        ..SandboxSettings::default()
    });
    let ws2 = Workspace::new();
    let p2 = nightly(&ws2, &sb2.base_url(), "max_retries = 8");
    let out = zdpipe_auth()
        .arg("run")
        .arg(&p2)
        .args(["--summary-json", "inc.json"])
        .current_dir(ws2.dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let ids = csv_ids(&ws2.path("out/nightly.csv"));
    let unique: HashSet<u64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "no duplicates");
    assert_eq!(
        ids.len(),
        2500,
        "deleted tickets are written too (status deleted)"
    );
    let pages = sb2
        .request_log()
        .iter()
        .filter(|r| r.path_and_query.contains("incremental") && r.status == 200)
        .count();
    assert!(pages >= 3);
}

#[test]
fn the_client_keeps_under_the_rate_limit() {
    // 10 requests per (scaled) 1-second window on both sides: the server would answer
    // 429 if the client went faster.
    let sb = start(SandboxSettings {
        tickets: 2500,
        rate_limit_per_minute: Some(10),
        rate_window_ms: 1000,
        ..SandboxSettings::default()
    });
    let ws = Workspace::new();
    let p = ws
        .view_pipeline("paced", &sb.base_url(), &[1], "")
        .to_path_buf();
    let text = std::fs::read_to_string(&p).unwrap().replace(
        "rate_limit_per_minute = 100000",
        "rate_limit_per_minute = 10\nrate_window = \"1s\"",
    );
    std::fs::write(&p, text).unwrap();
    let t = Instant::now();
    let out = zdpipe_auth().arg("run").arg(&p).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let log = sb.request_log();
    assert!(log.len() > 20, "{} requests", log.len());
    assert!(
        log.iter().all(|r| r.status != 429),
        "no 429 caused by the client's own pace"
    );
    for (i, r) in log.iter().enumerate() {
        let in_window = log[i..]
            .iter()
            .filter(|q| q.elapsed_ms < r.elapsed_ms + 1000)
            .count();
        assert!(
            in_window <= 10,
            "{in_window} requests in the second after {} ms",
            r.elapsed_ms
        );
    }
    assert!(t.elapsed() >= Duration::from_millis(1000 * (log.len() as u64 / 10 - 1)));
}

#[test]
fn a_429_without_retry_after_gives_up_after_the_retries() {
    // A limit of 0: every request is answered 429, never with a Retry-After.
    let sb = start(SandboxSettings {
        tickets: 300,
        rate_limit_per_minute: Some(0),
        retry_after_secs: None,
        ..SandboxSettings::default()
    });
    let ws = Workspace::new();
    let p = ws.view_pipeline(
        "throttled",
        &sb.base_url(),
        &[1],
        "max_retries = 2\nretry_after_default = \"50ms\"\n",
    );
    let t = Instant::now();
    let out = zdpipe_auth().arg("run").arg(&p).output().unwrap();
    assert!(t.elapsed() < Duration::from_secs(20), "no hang");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("gave up") && err.contains("3 attempts") && err.contains("429"),
        "{err}"
    );
    assert!(!ws.path("out/throttled.csv").exists());
}

#[test]
fn a_server_that_never_recovers_is_a_clear_error() {
    let sb = start(SandboxSettings {
        tickets: 300,
        fault_rate: 1.0,
        ..SandboxSettings::default()
    });
    let ws = Workspace::new();
    let p = ws.view_pipeline("broken", &sb.base_url(), &[1], "max_retries = 2\n");
    let out = zdpipe_auth().arg("run").arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("gave up on 127.0.0.1"),
        "{}",
        stderr(&out)
    );
    // The view count (for progress only) gives up quietly; the view itself must not.
    let listing: Vec<_> = sb
        .request_log()
        .into_iter()
        .filter(|r| !r.path_and_query.contains("/count"))
        .collect();
    assert_eq!(listing.len(), 3, "1 try + 2 retries: {listing:?}");
}

#[test]
fn nightly_runs_pick_up_exactly_what_changed() {
    let sb = start(SandboxSettings {
        tickets: 2300,
        ..SandboxSettings::default()
    });
    let ws = Workspace::new();
    let p = nightly(&ws, &sb.base_url(), "exclude_deleted = true");
    let csv = ws.path("out/nightly.csv");

    zdpipe_auth().arg("run").arg(&p).assert().success();
    let first = csv_ids(&csv);
    let live: Vec<u64> = (1..=2300)
        .filter(|id| !sb.dataset().is_deleted(*id))
        .collect();
    assert_eq!(
        first.iter().copied().collect::<HashSet<_>>(),
        live.iter().copied().collect::<HashSet<_>>()
    );
    assert_eq!(
        first.len(),
        live.len(),
        "each ticket once; deleted ones excluded"
    );

    sb.reset_counters();
    zdpipe_auth().arg("run").arg(&p).assert().success();
    assert_eq!(csv_ids(&csv), Vec::<u64>::new(), "no changes, no rows");
    assert_eq!(sb.requests(), 1, "one request: {:?}", sb.request_log());

    sb.touch_ticket(17);
    sb.touch_ticket(1999);
    zdpipe_auth().arg("run").arg(&p).assert().success();
    let mut third = csv_ids(&csv);
    third.sort();
    assert_eq!(third, vec![17, 1999]);

    // --since overrides the checkpoint; invalidating the checkpoint starts over.
    zdpipe_auth()
        .arg("run")
        .arg(&p)
        .args(["--since", "60d"])
        .assert()
        .success();
    assert_eq!(csv_ids(&csv).len(), live.len());
    zdpipe()
        .args(["cache", "invalidate"])
        .arg(&p)
        .arg("--checkpoint")
        .assert()
        .success();
    zdpipe_auth().arg("run").arg(&p).assert().success();
    assert_eq!(csv_ids(&csv).len(), live.len());
}

#[test]
fn deleted_tickets_are_written_with_their_status() {
    let sb = start(SandboxSettings {
        tickets: 1200,
        ..SandboxSettings::default()
    });
    let ws = Workspace::new();
    let p = nightly(&ws, &sb.base_url(), "");
    zdpipe_auth().arg("run").arg(&p).assert().success();
    let csv = ws.path("out/nightly.csv");
    let ids = csv_ids(&csv);
    let status = column(&csv, "status");
    let deleted: Vec<u64> = ids
        .iter()
        .zip(&status)
        .filter(|(_, s)| *s == "deleted")
        .map(|(id, _)| *id)
        .collect();
    let expected: Vec<u64> = (1..=1200)
        .filter(|id| sb.dataset().is_deleted(*id))
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(deleted, expected);
}

/// Analyses the cache holds for good (what a killed run left behind).
fn stored_analyses(ws: &Workspace, p: &Path) -> u64 {
    let out = zdpipe()
        .args(["cache", "stats", "--json"])
        .arg(p)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let _ = ws;
    stats["stores"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["store"] == "analyses")
        .unwrap()["entries"]
        .as_u64()
        .unwrap()
}

#[test]
fn a_killed_backfill_resumes_without_losing_or_repeating_tickets() {
    let sb = start(SandboxSettings {
        tickets: 20_000,
        latency_ms: 3,
        ..SandboxSettings::default()
    });
    let ws = Workspace::new();
    let p = ws.view_pipeline("backfill", &sb.base_url(), &[1], "");
    let pages = |n: usize| {
        let sb = &sb;
        move || {
            sb.request_log()
                .iter()
                .filter(|r| r.path_and_query.contains("/views/1/tickets"))
                .count()
                >= n
        }
    };
    let mut stored = 0;
    for at in [20, 60, 60] {
        sb.reset_counters();
        let mut child = spawn_run(&p, false);
        kill_when(&mut child, pages(at));
        let now = stored_analyses(&ws, &p);
        assert!(now >= stored, "stored analyses never shrink");
        stored = now;
    }
    assert!(stored > 0);
    sb.reset_counters();
    let out = zdpipe_auth()
        .arg("run")
        .arg(&p)
        .args(["--summary-json", "s.json"])
        .current_dir(ws.dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let ids = csv_ids(&ws.path("out/backfill.csv"));
    let expected: Vec<u64> = sb.dataset().view_ticket_ids(1).collect();
    assert_eq!(ids, expected, "every ticket once, in order");
    // The listing resumed where the killed runs left it: the view was not paged again.
    let listed = sb
        .request_log()
        .iter()
        .filter(|r| r.path_and_query.contains("/views/1/tickets"))
        .count();
    assert!(
        listed < expected.len() / 100 / 2,
        "resumed listing: {listed} pages fetched again"
    );
    let s = read_json(&ws.path("s.json"));
    assert_eq!(
        s["reused"].as_u64().unwrap(),
        stored,
        "everything stored was reused"
    );
    assert_eq!(
        s["analyzed"].as_u64().unwrap(),
        expected.len() as u64 - stored,
        "nothing stored was analyzed again"
    );
}

/// The incremental export's pages `sb` served (their query strings name them).
fn export_pages(sb: &SandboxHandle) -> Vec<String> {
    sb.request_log()
        .into_iter()
        .filter(|r| r.path_and_query.contains("incremental/tickets") && r.status == 200)
        .map(|r| r.path_and_query)
        .collect()
}

#[test]
fn a_killed_nightly_run_resumes_from_its_checkpoint() {
    use zdpipe::fetch::EXPORT_PAGES_UNWRITTEN;
    // 30 pages of 200 tickets, listed faster than one worker analyzes them, and
    // channels that could hold many pages: only the listing's own bound keeps the
    // pages requested but not yet written (and so re-read after a kill) few.
    let sb = start(SandboxSettings {
        tickets: 6000,
        latency_ms: 5,
        export_page_max: 200,
        ..SandboxSettings::default()
    });
    let ws = Workspace::new();
    let slow = "\n[analyze]\nworkers = 1\nbatch_size = 200\nqueue = 8";
    let p = nightly(&ws, &sb.base_url(), slow);
    let mut child = spawn_run(&p, false);
    kill_when(&mut child, || {
        export_pages(&sb).len() >= EXPORT_PAGES_UNWRITTEN + 2
    });
    let killed_run = export_pages(&sb);
    assert!(
        ws.path("out/nightly.csv.partial").exists(),
        "the partial CSV is kept for the resume"
    );
    sb.reset_counters();
    zdpipe_auth().arg("run").arg(&p).assert().success();
    let ids = csv_ids(&ws.path("out/nightly.csv"));
    let unique: HashSet<u64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "no ticket twice");
    assert_eq!(
        unique,
        (1..=6000).collect::<HashSet<u64>>(),
        "no ticket lost"
    );
    let resumed_run = export_pages(&sb);
    assert!(
        resumed_run.iter().all(|q| !q.contains("start_time")),
        "resumed from a checkpoint, not from the start: {resumed_run:?}"
    );
    let reread = resumed_run
        .iter()
        .filter(|q| killed_run.contains(q))
        .count();
    assert!(
        reread <= EXPORT_PAGES_UNWRITTEN,
        "re-read {reread} pages; at most the {EXPORT_PAGES_UNWRITTEN} requested and not yet written"
    );
}

#[test]
fn comments_are_fetched_and_read_when_asked() {
    let sb = start(SandboxSettings {
        tickets: 40,
        ..SandboxSettings::default()
    });
    let ws = Workspace::new();
    let p = ws.view_pipeline("conv", &sb.base_url(), &[1], "include_comments = true\n");
    zdpipe_auth().arg("run").arg(&p).assert().success();
    let n = sb.dataset().view_ticket_ids(1).count();
    let comment_calls = sb
        .request_log()
        .iter()
        .filter(|r| r.path_and_query.contains("/comments"))
        .count();
    assert_eq!(comment_calls, n, "one comments call per ticket");
    // Cached with the tickets: a warm rerun sends nothing.
    sb.reset_counters();
    zdpipe_auth().arg("run").arg(&p).assert().success();
    assert_eq!(sb.requests(), 0);
}

#[test]
fn the_analyzer_reads_the_whole_conversation() {
    use std::sync::Arc;
    let sb = start(SandboxSettings {
        tickets: 30,
        ..SandboxSettings::default()
    });
    let ws = Workspace::new();
    let p = ws.view_pipeline(
        "talk",
        &sb.base_url(),
        &[1],
        "include_comments = true\n[analyze]\ntext = \"all\"\n",
    );
    // Records the text each ticket was analyzed with.
    let seen = Arc::new(std::sync::Mutex::new(std::collections::HashMap::new()));
    let record = seen.clone();
    let recorder = Hooked::new("recorder", move |input| {
        record
            .lock()
            .unwrap()
            .insert(input.ticket_id, input.body.to_string());
        None
    });
    run_with(&p, Arc::new(recorder)).unwrap();
    let seen = seen.lock().unwrap();
    let mut checked = 0;
    for id in sb.dataset().view_ticket_ids(1) {
        let comments = sb.dataset().comments(id).unwrap_or_default();
        if comments.len() < 2 {
            continue;
        }
        let body = &seen[&id];
        for c in comments.iter().filter(|c| c.public) {
            let cleaned = zdpipe::analyze::clean::clean_message(&c.body).text;
            assert!(
                body.contains(&cleaned),
                "ticket {id}: the analyzer saw {body:?}"
            );
        }
        checked += 1;
    }
    assert!(checked > 3, "tickets with a conversation: {checked}");
}

#[test]
fn a_fatal_analyzer_error_moves_no_checkpoint_past_unanalyzed_tickets() {
    use std::sync::Arc;
    let sb = start(SandboxSettings {
        tickets: 2500,
        ..SandboxSettings::default()
    });
    let ws = Workspace::new();
    let p = nightly(&ws, &sb.base_url(), "");
    // Stops the run (like a rejected API key) at one ticket; analyzes the rest.
    let stops_at = Hooked::new("stops-at", |input| {
        (input.ticket_id == 1500).then(|| {
            Err(zdpipe::analyze::AnalyzeError::Fatal(
                "quota exhausted".into(),
            ))
        })
    });
    let err = run_with(&p, Arc::new(stops_at)).unwrap_err();
    assert!(err.to_string().contains("quota exhausted"), "{err}");
    // The next run (a working analyzer) continues from the last good checkpoint.
    zdpipe_auth().arg("run").arg(&p).assert().success();
    let ids = csv_ids(&ws.path("out/nightly.csv"));
    let unique: HashSet<u64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "no ticket twice");
    assert_eq!(
        unique,
        (1..=2500).collect::<HashSet<u64>>(),
        "no ticket skipped"
    );
    let errors = column(&ws.path("out/nightly.csv"), "error");
    assert!(
        errors.iter().all(|e| e.is_empty()),
        "no 'run was stopped' rows"
    );
}

#[test]
fn comments_of_deleted_tickets_do_not_stop_a_nightly_run() {
    let sb = start(SandboxSettings {
        tickets: 400,
        ..SandboxSettings::default()
    });
    let ws = Workspace::new();
    let p = nightly(&ws, &sb.base_url(), "include_comments = true");
    let out = zdpipe_auth().arg("run").arg(&p).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        (1..=400).any(|id| sb.dataset().is_deleted(id)),
        "the export has deleted tickets"
    );
    assert_eq!(csv_ids(&ws.path("out/nightly.csv")).len(), 400);
}

#[test]
fn a_resumed_nightly_csv_keeps_subjects_with_commas_quotes_and_line_breaks() {
    const AWKWARD: &str = "Disk, \"RAID\" failed\r\n99,\"again\" on host-3\nlast, line";
    const QUOTED: &str = "\"Disk, \"\"RAID\"\" failed\r\n99,\"\"again\"\" on host-3\nlast, line\"";
    let sb = start(SandboxSettings {
        tickets: 6000,
        latency_ms: 30,
        ..SandboxSettings::default()
    });
    let awkward: Vec<u64> = [2, 7, 999, 1500, 2500, 5999]
        .into_iter()
        .filter(|&id| !sb.dataset().is_deleted(id))
        .collect();
    for &id in &awkward {
        sb.dataset().set_subject(id, AWKWARD);
    }
    let ws = Workspace::new();
    let p = nightly(&ws, &sb.base_url(), "");
    let partial = ws.path("out/nightly.csv.partial");
    let written = || {
        let bytes = std::fs::read_to_string(&partial).unwrap_or_default();
        bytes.matches(QUOTED).count()
    };
    let mut child = spawn_run(&p, false);
    // Killed once the partial file holds awkward rows, so the resume reads them back.
    kill_when(&mut child, || written() >= 2);
    zdpipe_auth().arg("run").arg(&p).assert().success();

    let csv = ws.path("out/nightly.csv");
    let ids = csv_ids(&csv);
    let unique: HashSet<u64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "no ticket twice");
    assert_eq!(
        unique,
        (1..=6000).collect::<HashSet<u64>>(),
        "no ticket lost"
    );
    let subjects = column(&csv, "subject");
    for (id, subject) in ids.iter().zip(&subjects) {
        assert_eq!(
            subject == AWKWARD,
            awkward.contains(id),
            "ticket {id}: {subject:?}"
        );
    }
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(
        text.matches(QUOTED).count(),
        awkward.len(),
        "written quoted, byte for byte"
    );
}
