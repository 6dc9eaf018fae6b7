//! `[analyze] batch = true` through the real binary against the sandbox's simulated
//! batch APIs (OpenAI files + batches, Anthropic message batches), for both
//! providers: a run killed while waiting is collected by the next without
//! submitting anything again; failed lines are error rows for exactly their tickets;
//! an expired batch is resubmitted once; `batch_wait` running out exits 4 and the
//! next run writes the tickets; a stored batch the provider no longer knows is
//! submitted again. The sandbox counts what was submitted.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use crate::helpers::*;

/// The two providers: `analyzer` value and model.
const PROVIDERS: [(&str, &str); 2] = [("openai", "gpt-batch"), ("anthropic", "claude-batch")];

/// A view pipeline whose LLM tickets go through the sandbox's batch API.
fn batch_pipeline(ws: &Workspace, sb: &SandboxHandle, analyzer: &str, wait: &str) -> PathBuf {
    batch_pipeline_with_llm(ws, sb, &sb.base_url(), analyzer, wait)
}

/// A view pipeline reading tickets from `sb` and sending batches to `llm_url`.
fn batch_pipeline_with_llm(
    ws: &Workspace,
    sb: &SandboxHandle,
    llm_url: &str,
    analyzer: &str,
    wait: &str,
) -> PathBuf {
    let model = PROVIDERS
        .iter()
        .find(|(a, _)| *a == analyzer)
        .map(|(_, m)| *m)
        .unwrap_or("m");
    ws.view_pipeline(
        "batch",
        &sb.base_url(),
        &[1],
        &format!(
            "[analyze]\nanalyzer = \"{analyzer}\"\nmodel = \"{model}\"\nbase_url = \"{llm_url}\"\n\
             batch = true\nbatch_wait = \"{wait}\"\n\
             price = {{ input_per_mtok = 2.0, output_per_mtok = 8.0 }}\n"
        ),
    )
}

fn run(ws: &Workspace, p: &Path) -> (Option<i32>, serde_json::Value, String) {
    let out = ws.run_with_summary(p, "summary.json");
    let summary = read_json(&ws.path("summary.json"));
    (out.status.code(), summary, stderr(&out))
}

fn view_ids(sb: &SandboxHandle) -> Vec<u64> {
    let mut ids: Vec<u64> = sb.dataset().view_ticket_ids(1).collect();
    ids.sort_unstable();
    ids
}

fn sorted(mut ids: Vec<u64>) -> Vec<u64> {
    ids.sort_unstable();
    ids
}

fn killed_while_waiting_then_collected(analyzer: &str) {
    let sb = sandbox(30);
    let knobs = sb.state().llm().clone();
    knobs.batch.delay_ms.store(2500, Ordering::Relaxed);
    let ws = Workspace::new();
    let p = batch_pipeline(&ws, &sb, analyzer, "1h");
    let mut child = zdpipe_auth_child(&ws, &p);
    // A status poll comes only after the batch is stored in the cache.
    kill_when(&mut child, || knobs.batch.polls() > 0);
    let tickets = view_ids(&sb);
    assert_eq!(knobs.batch.batches(), 1);
    assert_eq!(knobs.batch.requests(), tickets.len() as u64);

    let (code, s, err) = run(&ws, &p);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        knobs.batch.batches(),
        1,
        "the rerun submitted a batch again"
    );
    assert_eq!(knobs.batch.requests(), tickets.len() as u64);
    assert_eq!(s["llm"]["batch_requests"], 0);
    assert_eq!(s["analyzed"], tickets.len() as u64);
    assert_eq!(knobs.requests(), 0, "no synchronous model call");
    let csv = ws.path("out/batch.csv");
    assert_eq!(sorted(csv_ids(&csv)), tickets, "every ticket exactly once");
    assert!(column(&csv, "error").iter().all(String::is_empty));
    let want = format!(
        "{analyzer}:{}",
        if analyzer == "openai" {
            "gpt-batch"
        } else {
            "claude-batch"
        }
    );
    assert!(column(&csv, "analyzer").iter().all(|a| *a == want));
}

/// `zdpipe run` in the workspace as a child process (for SIGKILL).
fn zdpipe_auth_child(ws: &Workspace, p: &Path) -> std::process::Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("zdpipe"))
        .arg("run")
        .arg(p)
        .arg("--no-progress")
        .current_dir(ws.path(""))
        .env("ZENDESK_EMAIL", EMAIL)
        .env("ZENDESK_API_TOKEN", TOKEN)
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("zdpipe starts")
}

#[test]
fn openai_batch_killed_while_waiting_is_collected_without_resubmitting() {
    killed_while_waiting_then_collected("openai");
}

#[test]
fn anthropic_batch_killed_while_waiting_is_collected_without_resubmitting() {
    killed_while_waiting_then_collected("anthropic");
}

fn failed_lines_are_error_rows_of_their_tickets(analyzer: &str) {
    let sb = sandbox(30);
    let knobs = sb.state().llm().clone();
    knobs.batch.fail_every.store(4, Ordering::Relaxed);
    let ws = Workspace::new();
    let p = batch_pipeline(&ws, &sb, analyzer, "1h");
    let (code, s, err) = run(&ws, &p);
    assert_eq!(code, Some(3), "{err}");
    let failed: BTreeSet<u64> = knobs
        .batch
        .failed_custom_ids()
        .iter()
        .map(|c| c.trim_start_matches("ticket-").parse().expect("ticket-N"))
        .collect();
    assert!(!failed.is_empty());
    let csv = ws.path("out/batch.csv");
    let (ids, errors) = (csv_ids(&csv), column(&csv, "error"));
    let with_error: BTreeSet<u64> = ids
        .iter()
        .zip(&errors)
        .filter(|(_, e)| !e.is_empty())
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(
        with_error, failed,
        "error rows for exactly the failed lines"
    );
    assert_eq!(sorted(ids), view_ids(&sb));
    assert_eq!(s["failed"], failed.len() as u64);
    // Costs at the batch price: half of the configured one.
    let llm = &s["llm"];
    let (input, output) = (
        llm["input_tokens"].as_f64().unwrap(),
        llm["output_tokens"].as_f64().unwrap(),
    );
    assert!(input > 0.0 && output > 0.0, "{llm}");
    let want = (input * 2.0 + output * 8.0) / 1e6 / 2.0;
    assert!(
        (llm["cost_usd"].as_f64().unwrap() - want).abs() < 1e-9,
        "{llm}"
    );
}

#[test]
fn openai_failed_lines_are_error_rows_of_exactly_their_tickets() {
    failed_lines_are_error_rows_of_their_tickets("openai");
}

#[test]
fn anthropic_failed_lines_are_error_rows_of_exactly_their_tickets() {
    failed_lines_are_error_rows_of_their_tickets("anthropic");
}

fn expired_batch_is_resubmitted_once(analyzer: &str) {
    let sb = sandbox(30);
    let knobs = sb.state().llm().clone();
    knobs.batch.expire_next.store(1, Ordering::Relaxed);
    let ws = Workspace::new();
    let p = batch_pipeline(&ws, &sb, analyzer, "1h");
    let (code, _, err) = run(&ws, &p);
    assert_eq!(code, Some(0), "{err}");
    let tickets = view_ids(&sb);
    assert_eq!(
        knobs.batch.batches(),
        2,
        "the expired batch, then its resubmission"
    );
    assert_eq!(knobs.batch.requests(), 2 * tickets.len() as u64);
    let csv = ws.path("out/batch.csv");
    assert_eq!(sorted(csv_ids(&csv)), tickets);
    assert!(column(&csv, "error").iter().all(String::is_empty));

    // A resubmission that expires too is not sent a third time: error rows.
    let ws = Workspace::new();
    let p = batch_pipeline(&ws, &sb, analyzer, "1h");
    knobs.batch.expire_next.store(2, Ordering::Relaxed);
    let (code, _, err) = run(&ws, &p);
    assert_eq!(code, Some(3), "{err}");
    assert_eq!(knobs.batch.batches(), 4);
    let errors = column(&ws.path("out/batch.csv"), "error");
    assert!(errors.iter().all(|e| e.contains("expired")), "{errors:?}");
}

#[test]
fn openai_expired_batch_is_resubmitted_once() {
    expired_batch_is_resubmitted_once("openai");
}

#[test]
fn anthropic_expired_batch_is_resubmitted_once() {
    expired_batch_is_resubmitted_once("anthropic");
}

fn batch_wait_elapsing_leaves_tickets_pending(analyzer: &str) {
    let sb = sandbox(30);
    let knobs = sb.state().llm().clone();
    knobs.batch.delay_ms.store(4000, Ordering::Relaxed);
    let ws = Workspace::new();
    let (code, s, err) = run(&ws, &batch_pipeline(&ws, &sb, analyzer, "1s"));
    let tickets = view_ids(&sb);
    assert_eq!(code, Some(4), "{err}");
    assert_eq!(s["outcome"], "pending");
    assert_eq!(s["pending"][0]["tickets"], tickets.len() as u64, "{s}");
    assert!(err.contains("pending:"), "{err}");
    assert_eq!(
        s["written"], 0,
        "pending tickets are not written as failures"
    );
    assert!(!ws.path("out/batch.csv").exists());

    let (code, s, err) = run(&ws, &batch_pipeline(&ws, &sb, analyzer, "1m"));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        knobs.batch.batches(),
        1,
        "the rerun collected the pending batch"
    );
    assert_eq!(s["written"], tickets.len() as u64);
    assert_eq!(sorted(csv_ids(&ws.path("out/batch.csv"))), tickets);
}

#[test]
fn openai_batch_wait_elapsing_exits_4_and_the_next_run_writes_them() {
    batch_wait_elapsing_leaves_tickets_pending("openai");
}

#[test]
fn anthropic_batch_wait_elapsing_exits_4_and_the_next_run_writes_them() {
    batch_wait_elapsing_leaves_tickets_pending("anthropic");
}

/// The first run leaves a batch pending at one model server; the rerun asks a fresh
/// one, which answers 404 for it: the batch is dropped with a warning and its
/// tickets are submitted again and written once.
fn forgotten_batch_is_submitted_again(analyzer: &str) {
    let sb = sandbox(30);
    let (first, fresh) = (sandbox(1), sandbox(1));
    first
        .state()
        .llm()
        .batch
        .delay_ms
        .store(4000, Ordering::Relaxed);
    let ws = Workspace::new();
    let p = batch_pipeline_with_llm(&ws, &sb, &first.base_url(), analyzer, "1s");
    let (code, s, err) = run(&ws, &p);
    assert_eq!(code, Some(4), "{err}");
    let batch = s["pending"][0]["batch"].as_str().unwrap().to_string();

    let p = batch_pipeline_with_llm(&ws, &sb, &fresh.base_url(), analyzer, "1m");
    let (code, s, err) = run(&ws, &p);
    assert_eq!(code, Some(0), "{err}");
    let warned: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("unknown to the provider"))
        .collect();
    assert_eq!(warned.len(), 1, "{err}");
    assert!(warned[0].contains(&batch), "{err}");
    let tickets = view_ids(&sb);
    let knobs = fresh.state().llm();
    assert_eq!(knobs.batch.batches(), 1);
    assert_eq!(knobs.batch.requests(), tickets.len() as u64);
    assert_eq!(s["written"], tickets.len() as u64);
    let csv = ws.path("out/batch.csv");
    assert_eq!(sorted(csv_ids(&csv)), tickets, "every ticket exactly once");
    assert!(column(&csv, "error").iter().all(String::is_empty));
}

#[test]
fn openai_batch_the_provider_forgot_is_submitted_again() {
    forgotten_batch_is_submitted_again("openai");
}

#[test]
fn anthropic_batch_the_provider_forgot_is_submitted_again() {
    forgotten_batch_is_submitted_again("anthropic");
}

/// A ticket listed twice in one run (an export file, or an incremental window in
/// which it changed twice) is submitted once, and no ticket after it is lost: the
/// run used to end "completed" with nothing written past the repeat.
#[test]
fn a_ticket_listed_twice_is_submitted_once_and_every_ticket_is_written() {
    let sb = sandbox(10);
    let knobs = sb.state().llm().clone();
    let ws = Workspace::new();
    let sample = include_str!("../../data/sample_tickets.ndjson");
    let lines: Vec<&str> = sample.lines().take(6).collect();
    let repeated = [&lines[..3], &lines[..1], &lines[3..]].concat().join("\n");
    let input = ws.file("dup.ndjson", &format!("{repeated}\n"));
    let pipeline = format!(
        "name = \"dup\"\n[fetch]\nsource = \"file\"\npath = {:?}\n[cache]\npath = {:?}\n\
         [analyze]\nanalyzer = \"openai\"\nmodel = \"gpt-batch\"\nbase_url = \"{}\"\n\
         batch = true\nbatch_wait = \"1m\"\n[[write]]\nkind = \"csv\"\npath = {:?}\n",
        input.display().to_string(),
        ws.path("cache").display().to_string(),
        sb.base_url(),
        ws.path("dup.csv").display().to_string(),
    );
    let p = ws.file("dup.toml", &pipeline);
    let out = ws.run_with_summary(&p, "summary.json");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let expected: BTreeSet<u64> = lines
        .iter()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_u64()
                .unwrap()
        })
        .collect();
    let written = csv_ids(&ws.path("dup.csv"));
    assert_eq!(written.len(), expected.len(), "{written:?}");
    assert_eq!(written.into_iter().collect::<BTreeSet<_>>(), expected);
    assert!(column(&ws.path("dup.csv"), "error")
        .iter()
        .all(String::is_empty));
    assert_eq!(
        knobs.batch.requests(),
        expected.len() as u64,
        "one request per ticket"
    );
}

/// The extra columns of `[[write]] columns` are filled in batch mode as in any other
/// run: the batch path used to build its rows without them.
#[test]
fn batch_rows_carry_the_extra_columns() {
    let sb = sandbox(12);
    let ws = Workspace::new();
    let with_columns = |p: PathBuf| {
        let text = std::fs::read_to_string(&p).unwrap();
        let text = text.replace(
            "kind = \"csv\"\n",
            "kind = \"csv\"\ncolumns = [\"channel\", \"group\"]\n",
        );
        std::fs::write(&p, text).unwrap();
        p
    };
    let batch = with_columns(batch_pipeline(&ws, &sb, "openai", "1m"));
    let (code, _, err) = run(&ws, &batch);
    assert_eq!(code, Some(0), "{err}");
    let batch_channels = column(&ws.path("out/batch.csv"), "channel");
    let batch_groups = column(&ws.path("out/batch.csv"), "group");

    let plain = with_columns(ws.view_pipeline("plain", &sb.base_url(), &[1], ""));
    let out = ws.run_with_summary(&plain, "plain.json");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let channels = column(&ws.path("out/plain.csv"), "channel");
    assert_eq!(batch_channels.len(), view_ids(&sb).len());
    assert!(
        batch_channels.iter().all(|c| !c.is_empty()),
        "{batch_channels:?}"
    );
    assert_eq!(batch_channels, channels);
    assert_eq!(batch_groups, column(&ws.path("out/plain.csv"), "group"));
}
