//! Which words are analyzed (`[analyze] text`, cleaned messages) and where the
//! conversations come from: the ticket events export in nightly runs, one call per
//! ticket for views.

use std::path::PathBuf;

use crate::helpers::*;

fn start(tickets: u64) -> SandboxHandle {
    SandboxHandle::start(SandboxSettings {
        tickets,
        auth: Some(Credentials {
            email: EMAIL.into(),
            token: TOKEN.into(),
        }),
        ..SandboxSettings::default()
    })
    .unwrap()
}

fn nightly(ws: &Workspace, base_url: &str, extra: &str) -> PathBuf {
    ws.file(
        "nightly.toml",
        &format!(
            "name = \"nightly\"\n[fetch]\nsource = \"zendesk\"\nbase_url = \"{base_url}\"\nmode = \"incremental\"\nsince = \"60d\"\nrate_limit_per_minute = 100000\nhigh_volume = true\nrate_window = \"1s\"\n{extra}\n[cache]\npath = \"cache\"\n[[write]]\nkind = \"csv\"\npath = \"out/nightly.csv\"\n"
        ),
    )
}

/// The pages of the sandbox's ticket events export from before its oldest comment,
/// followed the way a client must (each page starts at the last one's `end_time`).
fn event_pages(sb: &SandboxHandle) -> u64 {
    let (mut start, mut pages) = (0, 0);
    loop {
        let page = sb.dataset().events_page(start, 1000);
        pages += 1;
        if page.end_of_stream {
            return pages;
        }
        start = page.end_time;
    }
}

#[test]
fn a_nightly_run_reads_conversations_from_the_events_export_one_request_per_page() {
    let sb = start(2500);
    let ws = Workspace::new();
    let p = nightly(&ws, &sb.base_url(), "include_comments = true");
    let out = ws.run_with_summary(&p, "s.json");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(csv_ids(&ws.path("out/nightly.csv")).len(), 2500);

    let endpoints = sb.state().stats().endpoints;
    let events = endpoints["/api/v2/incremental/ticket_events"];
    let pages = event_pages(&sb);
    assert_eq!(
        events, pages,
        "one request per page of events: {endpoints:?}"
    );
    assert!((3..25).contains(&pages), "{pages} pages for 2500 tickets");
    assert!(
        !endpoints.contains_key("/api/v2/tickets/{id}/comments"),
        "no call per ticket: {endpoints:?}"
    );
    let summary = read_json(&ws.path("s.json"));
    assert_eq!(summary["comment_requests"], events);
    assert!(
        stderr(&out).contains(&format!("({events} for comments)")),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_nightly_run_continued_from_its_checkpoint_reads_the_new_comments() {
    let sb = start(300);
    let ws = Workspace::new();
    let p = nightly(&ws, &sb.base_url(), "include_comments = true");
    zdpipe_auth().arg("run").arg(&p).assert().success();
    // An agent update just now: the next run continues from the checkpoint with a
    // ticket newer than the events export serves yet.
    let touched = (1..=300).find(|&id| !sb.dataset().is_deleted(id)).unwrap();
    sb.touch_ticket(touched);
    sb.reset_counters();
    let out = ws.run_with_summary(&p, "s2.json");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(csv_ids(&ws.path("out/nightly.csv")).contains(&touched));
    let endpoints = sb.state().stats().endpoints;
    assert!(!endpoints.contains_key("/api/v2/tickets/{id}/comments"));
    let events = endpoints.get("/api/v2/incremental/ticket_events");
    assert_eq!(
        read_json(&ws.path("s2.json"))["comment_requests"],
        events.copied().unwrap_or(0)
    );
}

#[test]
fn views_keep_one_comments_call_per_ticket_and_say_so() {
    let sb = start(40);
    let ws = Workspace::new();
    let p = ws.view_pipeline("conv", &sb.base_url(), &[1], "include_comments = true\n");
    let out = ws.run_with_summary(&p, "s.json");
    assert!(out.status.success(), "{}", stderr(&out));
    let n = sb.dataset().view_ticket_ids(1).count() as u64;
    let endpoints = sb.state().stats().endpoints;
    assert_eq!(endpoints["/api/v2/tickets/{id}/comments"], n);
    assert!(!endpoints.contains_key("/api/v2/incremental/ticket_events"));
    assert_eq!(read_json(&ws.path("s.json"))["comment_requests"], n);
}

/// A ticket of view 1 opened calmly (its description reads neutral) with three
/// messages: the description, a public agent reply and the requester's answer.
fn calm_ticket_with_a_reply(sb: &SandboxHandle) -> u64 {
    use zdpipe::analyze::{AnalysisInput, Analyzer};
    let builtin = zdpipe::analyze::builtin::BuiltinAnalyzer::new(Default::default()).unwrap();
    let d = sb.dataset();
    d.view_ticket_ids(1)
        .find(|&id| {
            let c = d.comments(id).unwrap_or_default();
            let opening = AnalysisInput {
                ticket_id: id,
                subject: "",
                body: &c.first().map(|c| c.body.clone()).unwrap_or_default(),
                tags: &[],
            };
            let calm = builtin
                .analyze(&opening)
                .is_ok_and(|a| a.sentiment_score.abs() < 0.3);
            c.len() == 3 && c[1].public && calm
        })
        .expect("a calm ticket with an agent reply and a follow-up")
}

/// An agent's enthusiastic reply, and the customer's angry answer over a quote of it.
const AGENT_REPLY: &str = "Thank you so much for reaching out! We are delighted and happy to help, this is wonderful, great news, awesome!";
const CUSTOMER_ANSWER: &str = "This is terrible and I am angry.\n\nOn Mon, 3 Jun 2024 at 10:15, Support <help@example.com> wrote:\n> Thank you so much! We are delighted, wonderful, great news!\n\nSent from my iPhone";

#[test]
fn an_agents_polite_reply_does_not_make_an_angry_customer_positive() {
    let sb = start(300);
    let id = calm_ticket_with_a_reply(&sb);
    sb.dataset().set_comment_body(id, 2, AGENT_REPLY);
    sb.dataset().set_comment_body(id, 3, CUSTOMER_ANSWER);
    // A view run (a comments call per ticket) or a nightly run (the events export).
    let score_in = |nightly_run: bool, text: &str| {
        let ws = Workspace::new();
        let extra = "include_comments = true\n[analyze]\ntext = \"".to_string() + text + "\"\n";
        let (p, csv) = if nightly_run {
            (nightly(&ws, &sb.base_url(), &extra), "out/nightly.csv")
        } else {
            let p = ws.view_pipeline("modes", &sb.base_url(), &[1], &extra);
            (p, "out/modes.csv")
        };
        zdpipe_auth().arg("run").arg(&p).assert().success();
        let csv = ws.path(csv);
        let row = csv_ids(&csv).iter().position(|&t| t == id).unwrap();
        let sentiment = column(&csv, "sentiment")[row].clone();
        let score: f64 = column(&csv, "sentiment_score")[row].parse().unwrap();
        (sentiment, score)
    };
    let score = |text: &str| score_in(false, text);
    let (requester, requester_score) = score("requester");
    assert_eq!(requester, "negative", "the customer's words alone");
    // The failure it prevents: read with the agent's reply, the ticket is positive.
    let (all, all_score) = score("all");
    assert_eq!(
        all, "positive",
        "text = \"all\" reads the agent too: {all_score} vs {requester_score}"
    );
    // The same conversation read from the ticket events export of a nightly run.
    assert_eq!(score_in(true, "requester").0, "negative");
    assert_eq!(score_in(true, "all").0, "positive");
}

#[test]
fn an_unknown_text_mode_is_a_usage_error_naming_the_key() {
    let ws = Workspace::new();
    let p = ws.view_pipeline(
        "bad",
        "http://127.0.0.1:9",
        &[1],
        "[analyze]\ntext = \"agents\"\n",
    );
    let out = zdpipe_auth().arg("run").arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("[analyze] text")
            && err.contains("\"requester\"")
            && err.contains("\"first\"")
            && err.contains("\"all\""),
        "{err}"
    );
}
