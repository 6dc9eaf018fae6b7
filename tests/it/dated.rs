//! Dated outputs: `{date}`, `{time}` and `{run_id}` in output paths, and the `latest`
//! link that only a complete run moves.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::helpers::*;

fn start(tickets: u64, latency_ms: u64) -> SandboxHandle {
    SandboxHandle::start(SandboxSettings {
        auth: Some(Credentials {
            email: EMAIL.into(),
            token: TOKEN.into(),
        }),
        tickets,
        latency_ms,
        ..SandboxSettings::default()
    })
    .unwrap()
}

/// A nightly (incremental) pipeline with a dated CSV, results store and report.
fn dated_nightly(ws: &Workspace, base_url: &str) -> PathBuf {
    ws.file(
        "nightly.toml",
        &format!(
            "name = \"nightly\"\n[fetch]\nsource = \"zendesk\"\nbase_url = \"{base_url}\"\nmode = \"incremental\"\nsince = \"60d\"\nrate_limit_per_minute = 100000\nhigh_volume = true\nrate_window = \"1s\"\n[cache]\npath = \"cache\"\n[report]\nhtml = \"out/report-{{date}}.html\"\n[[write]]\nkind = \"csv\"\npath = \"out/nightly-{{date}}-{{run_id}}.csv\"\n[[write]]\nkind = \"sled\"\npath = \"out/results-{{date}}.sled\"\n"
        ),
    )
}

/// The names in `out/` starting with `prefix`, sorted.
fn files(ws: &Workspace, prefix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(ws.path("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix))
        .collect();
    names.sort();
    names
}

/// Where the `latest` link points (its relative target).
fn latest(link: &Path) -> String {
    std::fs::read_link(link)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn today() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()[..10].to_string()
}

#[test]
fn two_nightly_runs_leave_two_files_and_latest_points_at_the_second() {
    let sb = start(300, 0);
    let ws = Workspace::new();
    let p = dated_nightly(&ws, &sb.base_url());
    let run = || {
        let out = zdpipe_auth()
            .arg("run")
            .arg(&p)
            .arg("--summary-json")
            .arg(ws.path("s.json"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        read_json(&ws.path("s.json"))["run"]["run_id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (first, second) = (run(), run());
    assert_ne!(first, second, "each run has its own id");
    let date = today();
    let csvs = files(&ws, "nightly-");
    let want = [
        format!("nightly-{date}-{first}.csv"),
        format!("nightly-{date}-{second}.csv"),
        "nightly-latest.csv".to_string(),
    ];
    let mut want = want.to_vec();
    want.sort();
    assert_eq!(csvs, want);
    let link = ws.path("out/nightly-latest.csv");
    assert_eq!(
        latest(&link),
        format!("nightly-{date}-{second}.csv"),
        "relative, at the second"
    );
    assert_eq!(
        csv_ids(&ws.path(&format!("out/nightly-{date}-{first}.csv"))).len(),
        300
    );
    assert_eq!(csv_ids(&link).len(), 0, "the second night had nothing new");

    // The results store and the report take the same date, with their own links.
    assert_eq!(
        latest(&ws.path("out/results-latest.sled")),
        format!("results-{date}.sled")
    );
    let report = ws.path(&format!("out/report-{date}.html"));
    assert!(std::fs::read_to_string(&report).unwrap().contains("<html"));
    assert_eq!(
        latest(&ws.path("out/report-latest.html")),
        format!("report-{date}.html")
    );
    // Commands outside a run read the store through its link.
    zdpipe().arg("report").arg(&p).assert().success();

    // A failed run (no credentials) moves nothing.
    let out = zdpipe()
        .arg("run")
        .arg(&p)
        .env_remove("ZENDESK_EMAIL")
        .env_remove("ZENDESK_API_TOKEN")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(latest(&link), format!("nightly-{date}-{second}.csv"));
}

#[test]
fn a_killed_dated_run_keeps_latest_and_its_resume_finishes_the_same_file() {
    let sb = start(6000, 30);
    let ws = Workspace::new();
    let p = dated_nightly(&ws, &sb.base_url());
    zdpipe_auth().arg("run").arg(&p).assert().success();
    let link = ws.path("out/nightly-latest.csv");
    let first = latest(&link);

    // Start over from 60 days back, and kill the run half-way.
    let export_pages = || {
        sb.request_log()
            .iter()
            .filter(|r| r.path_and_query.contains("incremental") && r.status == 200)
            .count()
    };
    sb.reset_counters();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("zdpipe"))
        .args(["run", "--no-progress", "--since", "60d"])
        .arg(&p)
        .env("ZENDESK_EMAIL", EMAIL)
        .env("ZENDESK_API_TOKEN", TOKEN)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Past the pages listed ahead of the writer, so at least one page is written
    // (and checkpointed with the killed run's file) before the kill.
    let listed_ahead = zdpipe::fetch::EXPORT_PAGES_UNWRITTEN;
    kill_when(&mut child, || export_pages() > listed_ahead);
    assert_eq!(latest(&link), first, "a killed run does not move latest");
    let partials: Vec<String> = files(&ws, "nightly-")
        .into_iter()
        .filter(|n| n.ends_with(".partial"))
        .collect();
    assert_eq!(partials.len(), 1, "{partials:?}");
    let killed = partials[0].trim_end_matches(".partial").to_string();
    assert_ne!(killed, first);

    // The next run (a later run id) continues the killed run's file.
    zdpipe_auth().arg("run").arg(&p).assert().success();
    assert_eq!(latest(&link), killed, "latest moves to the finished file");
    assert!(!ws.path(&format!("out/{killed}.partial")).exists());
    let ids = csv_ids(&ws.path(&format!("out/{killed}")));
    let unique: HashSet<u64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "no ticket twice");
    assert_eq!(
        unique,
        (1..=6000).collect::<HashSet<u64>>(),
        "no ticket lost"
    );
    assert_eq!(
        files(&ws, "nightly-").len(),
        3,
        "the two runs' files and the link"
    );
}
