//! Failed writes and two runs at once: a full disk under the CSV, a file-size limit
//! under the cache, an output folder that cannot exist, and reading or writing what
//! a running job holds.

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::helpers::*;

/// A view pipeline with a CSV, a results store and an HTML report.
fn pipeline(ws: &Workspace, name: &str, base_url: &str, cache: &str, extra: &str) -> PathBuf {
    ws.file(
        &format!("{name}.toml"),
        &format!(
            "name = \"{name}\"\n[fetch]\nsource = \"zendesk\"\nbase_url = \"{base_url}\"\nmode = \"view\"\nviews = [1]\nrate_limit_per_minute = 100000\n{extra}\n[cache]\npath = \"{cache}\"\n[[write]]\nkind = \"csv\"\npath = \"out/tickets.csv\"\n[[write]]\nkind = \"sled\"\npath = \"results\"\n[report]\nhtml = \"out/report.html\"\n"
        ),
    )
}

/// `zdpipe run` in `ws` with the sandbox credentials, with a file-size limit when
/// `fsize` is set: every file the run writes stops growing there (EFBIG, as on a
/// full disk; SIGXFSZ is ignored so the write fails instead of killing the run).
fn run(ws: &Workspace, p: &Path, fsize: Option<u64>) -> Output {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("zdpipe"));
    cmd.arg("run")
        .arg(p)
        .arg("--no-progress")
        .current_dir(ws.dir.path())
        .env_remove("RUST_LOG")
        .env("ZENDESK_EMAIL", EMAIL)
        .env("ZENDESK_API_TOKEN", TOKEN);
    if let Some(bytes) = fsize {
        let limit = libc::rlimit {
            rlim_cur: bytes as libc::rlim_t,
            rlim_max: bytes as libc::rlim_t,
        };
        // SAFETY: between fork and exec only async-signal-safe calls are made:
        // signal(2) and setrlimit(2) on values prepared before the fork.
        unsafe {
            cmd.pre_exec(move || {
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    // A run still going after two minutes is killed (SIGKILL) and fails the test,
    // rather than hanging CI: a failing disk must never leave zdpipe waiting.
    let out = assert_cmd::Command::from_std(cmd)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .expect("zdpipe runs");
    assert_ne!(
        out.status.signal(),
        Some(libc::SIGKILL),
        "zdpipe did not exit within 120 s and was killed; its stderr: {}",
        stderr(&out)
    );
    out
}

/// The one stderr line that carries `os_error`, which must name one of `paths`.
fn assert_one_clear_line(out: &Output, os_error: &str, paths: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.contains(os_error)).collect();
    assert_eq!(lines.len(), 1, "one line with the OS error: {err}");
    assert!(
        paths.iter().any(|p| lines[0].contains(p)),
        "the line names one of {paths:?}: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

/// The previous CSV and report, byte for byte.
fn outputs(ws: &Workspace) -> (Vec<u8>, Vec<u8>) {
    (
        std::fs::read(ws.path("out/tickets.csv")).unwrap(),
        std::fs::read(ws.path("out/report.html")).unwrap(),
    )
}

#[test]
fn a_full_disk_under_the_csv_stops_the_run_and_keeps_the_previous_csv_and_report() {
    let sb = sandbox(300);
    let ws = Workspace::new();
    let p = pipeline(&ws, "full", &sb.base_url(), "cache", "");
    assert!(run(&ws, &p, None).status.success());
    let before = outputs(&ws);
    // Every byte written to the CSV's partial file lands on a full device.
    std::os::unix::fs::symlink("/dev/full", ws.path("out/tickets.csv.partial")).unwrap();
    let out = run(&ws, &p, None);
    assert_one_clear_line(
        &out,
        "No space left on device",
        &["out/tickets.csv.partial"],
    );
    assert_eq!(
        outputs(&ws),
        before,
        "the previous CSV and report untouched"
    );

    // Space again (the full device goes away), and the next run completes.
    std::fs::remove_file(ws.path("out/tickets.csv.partial")).unwrap();
    let again = run(&ws, &p, None);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_view_written_once(&sb, &ws.path("out/tickets.csv"), "every ticket once");
}

#[test]
fn a_file_size_limit_under_the_cache_stops_the_run_and_the_next_run_opens_it_cleanly() {
    let sb = sandbox(1000);
    let ws = Workspace::new();
    let p = pipeline(&ws, "limited", &sb.base_url(), "cache", "");
    assert!(run(&ws, &p, None).status.success());
    let before = outputs(&ws);
    // A cold cache has megabytes to write; the limit stops it part-way.
    std::fs::remove_dir_all(ws.path("cache")).unwrap();
    let out = run(&ws, &p, Some(256 * 1024));
    assert_one_clear_line(&out, "File too large", &["cache", "results"]);
    assert_eq!(
        outputs(&ws),
        before,
        "the previous CSV and report untouched"
    );

    let again = run(&ws, &p, None);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_view_written_once(
        &sb,
        &ws.path("out/tickets.csv"),
        "every ticket once: no checkpoint past what was written",
    );
}

#[test]
fn an_output_folder_that_cannot_be_made_is_named_with_the_os_error() {
    let sb = sandbox(20);
    let ws = Workspace::new();
    ws.file("out", "a file where the output folder should be");
    let p = pipeline(&ws, "blocked", &sb.base_url(), "cache", "");
    let out = run(&ws, &p, None);
    assert_one_clear_line(&out, "os error", &["out"]);
    assert_eq!(sb.requests(), 0, "stopped before fetching anything");

    let out = zdpipe()
        .args(["report"])
        .arg(&p)
        .args(["--output", "out/report.md"])
        .current_dir(ws.dir.path())
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("out/report.md") && err.contains("os error"),
        "{err}"
    );
}

#[test]
fn a_running_job_keeps_readers_at_75_and_a_second_writer_of_its_csv_out() {
    let sb = SandboxHandle::start(SandboxSettings {
        port: 0,
        tickets: 300,
        latency_ms: 100,
        auth: Some(Credentials {
            email: EMAIL.into(),
            token: TOKEN.into(),
        }),
        ..SandboxSettings::default()
    })
    .unwrap();
    let ws = Workspace::new();
    let p = pipeline(
        &ws,
        "first",
        &sb.base_url(),
        "cache",
        "include_comments = true",
    );
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("zdpipe"))
        .arg("run")
        .arg(&p)
        .arg("--no-progress")
        .current_dir(ws.dir.path())
        .env("ZENDESK_EMAIL", EMAIL)
        .env("ZENDESK_API_TOKEN", TOKEN)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    while sb.requests() < 3 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended too soon"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let p_str = p.to_str().unwrap();
    for args in [
        vec!["cache", "stats", p_str],
        vec!["report", p_str],
        vec!["results", "export", p_str],
    ] {
        let out = zdpipe()
            .args(&args)
            .current_dir(ws.dir.path())
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(75), "{args:?}: {err}");
        assert!(
            err.contains("in use by another zdpipe run"),
            "{args:?}: {err}"
        );
    }
    let second = pipeline(&ws, "second", &sb.base_url(), "other-cache", "");
    let out = zdpipe_auth()
        .arg("run")
        .arg(&second)
        .current_dir(ws.dir.path())
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(75), "{err}");
    assert!(
        err.contains("out/tickets.csv is being written by another zdpipe run"),
        "{err}"
    );
    assert!(child.try_wait().unwrap().is_none(), "the first run goes on");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn a_cache_that_cannot_grow_stops_the_run_with_one_line_naming_it() {
    let sb = sandbox(300);
    let ws = Workspace::new();
    let p = ws.view_pipeline("cacheonly", &sb.base_url(), &[1], "");
    let csv = ws.path("out/cacheonly.csv");
    assert!(run(&ws, &p, None).status.success());
    let before = std::fs::read(&csv).unwrap();
    std::fs::remove_dir_all(ws.path("cache")).unwrap();
    let out = run(&ws, &p, Some(256 * 1024));
    assert_one_clear_line(
        &out,
        "File too large (os error 27)",
        &["/cache: File too large"],
    );
    let err = stderr(&out);
    assert!(
        !err.contains("Os {"),
        "the OS error as the OS words it: {err}"
    );
    assert!(!err.contains("WARN"), "no warning per ticket: {err}");
    assert_eq!(
        std::fs::read(&csv).unwrap(),
        before,
        "the previous CSV untouched"
    );

    let again = run(&ws, &p, None);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_view_written_once(&sb, &csv, "every ticket once");
}
