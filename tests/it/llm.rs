//! The LLM analyzers through the real binary: `zdpipe run` against the sandbox's
//! simulated OpenAI/Anthropic endpoints, or against a scripted model server on
//! 127.0.0.1 that records every request it gets.
//!
//! Every count is read after the `zdpipe` process has exited, so no test waits on a
//! timer: the process has sent all it will ever send.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};
use zdpipe::analyze::llm::prompt::{extract_ticket, reply_json};
use zdpipe::model::{Analysis, Sentiment};

use crate::helpers::*;

const OPENAI_KEY: &str = "sk-it-OPENAI-7f3a9c2e51d84b06";
const ANTHROPIC_KEY: &str = "sk-ant-it-ANTHROPIC-c41e0b9d72a3";

/// How the scripted server answers one request: status and JSON body, given the
/// request's path, its body and the ticket text inside `<ticket>` (if any).
type Answer = dyn Fn(&str, &Value, &str) -> (u16, Value) + Send + Sync;

/// One request the model server received.
struct Seen {
    path: String,
    body: Value,
    ticket: String,
}

struct ServerState {
    answer: Box<Answer>,
    seen: Mutex<Vec<Seen>>,
}

/// A model server on 127.0.0.1 with a scripted answer; stops when dropped.
struct ModelServer {
    _rt: tokio::runtime::Runtime,
    url: String,
    state: Arc<ServerState>,
}

impl ModelServer {
    fn start(answer: impl Fn(&str, &Value, &str) -> (u16, Value) + Send + Sync + 'static) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let state = Arc::new(ServerState {
            answer: Box::new(answer),
            seen: Mutex::default(),
        });
        let app = Router::new().fallback(serve).with_state(state.clone());
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        rt.spawn(async move { axum::serve(listener, app).await });
        ModelServer {
            _rt: rt,
            url,
            state,
        }
    }

    fn requests(&self) -> usize {
        self.state.seen.lock().unwrap().len()
    }

    /// The request bodies whose ticket text contains `needle`.
    fn bodies_for(&self, needle: &str) -> Vec<(String, Value)> {
        let seen = self.state.seen.lock().unwrap();
        seen.iter()
            .filter(|s| s.ticket.contains(needle))
            .map(|s| (s.path.clone(), s.body.clone()))
            .collect()
    }
}

async fn serve(State(state): State<Arc<ServerState>>, uri: Uri, body: Bytes) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let ticket = user_text(&body)
        .and_then(|t| extract_ticket(&t).map(str::to_string))
        .unwrap_or_default();
    let (status, reply) = (state.answer)(uri.path(), &body, &ticket);
    state.seen.lock().unwrap().push(Seen {
        path: uri.path().to_string(),
        body,
        ticket,
    });
    let status = StatusCode::from_u16(status).expect("status");
    (status, axum::Json(reply)).into_response()
}

/// The first user message's text (a string for OpenAI, a string or blocks for
/// Anthropic).
fn user_text(body: &Value) -> Option<String> {
    let m = body["messages"]
        .as_array()?
        .iter()
        .find(|m| m["role"] == "user")?;
    match &m["content"] {
        Value::String(s) => Some(s.clone()),
        Value::Array(blocks) => Some(blocks.iter().filter_map(|b| b["text"].as_str()).collect()),
        _ => None,
    }
}

fn analysis(urgency: u8) -> Analysis {
    Analysis {
        sentiment: Sentiment::Negative,
        sentiment_score: -0.5,
        urgency,
        frustration: 3,
        technical_expertise: 2,
        business_impact: true,
        category: "technical_issue".into(),
        component: "drive".into(),
        priority_score: 0,
        confidence: 0.8,
        key_phrases: vec!["disk failed".into()],
        emotions: vec!["anxiety".into()],
        language: String::new(),
    }
}

/// A chat completion whose content is `answer` as a JSON string.
fn openai_reply(answer: &Value) -> Value {
    json!({
        "id": "chatcmpl-it",
        "object": "chat.completion",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": answer.to_string()},
            "finish_reason": "stop",
        }],
        "usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150},
    })
}

/// A small NDJSON export with tickets `1..=texts.len()`; returns its file name.
fn export(ws: &Workspace, texts: &[(&str, &str)]) -> &'static str {
    let mut text = String::new();
    for (i, (subject, body)) in texts.iter().enumerate() {
        let t = json!({
            "id": i + 1,
            "subject": subject,
            "description": body,
            "status": "open",
            "updated_at": "2024-05-01T10:00:00Z",
        });
        text.push_str(&format!("{t}\n"));
    }
    ws.file("export.ndjson", &text);
    "export.ndjson"
}

/// A pipeline reading `export.ndjson` and analyzing with `analyze` settings.
fn file_pipeline(ws: &Workspace, analyze: &str) -> PathBuf {
    ws.file(
        "llm.toml",
        &format!(
            "name = \"llm\"\n[fetch]\nsource = \"file\"\npath = \"export.ndjson\"\n[cache]\npath = \"cache\"\n[analyze]\n{analyze}\n[[write]]\nkind = \"csv\"\npath = \"out.csv\"\n"
        ),
    )
}

fn summary(path: &Path) -> Value {
    read_json(path)
}

/// Every byte under `dir` (cache, CSV, summary), for "the key is nowhere" checks.
fn contains_anywhere(dir: &Path, needle: &[u8]) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            if let Some(p) = contains_anywhere(&path, needle) {
                return Some(p);
            }
        } else if std::fs::read(&path)
            .expect("read")
            .windows(needle.len())
            .any(|w| w == needle)
        {
            return Some(path);
        }
    }
    None
}

/// Runs a view pipeline against the sandbox (tickets and model) with `analyzer` and
/// checks the CSV, the analyzer column, and tokens and cost in the summary.
fn full_csv_with_usage(analyzer: &str, model: &str, key_var: &str) {
    let sb = sandbox(40);
    let ws = Workspace::new();
    let p = ws.view_pipeline(
        "llm",
        &sb.base_url(),
        &[1],
        &format!(
            "[analyze]\nanalyzer = \"{analyzer}\"\nmodel = \"{model}\"\nbase_url = \"{}\"\nprice = {{ input_per_mtok = 2.5, output_per_mtok = 10.0 }}\n",
            sb.base_url()
        ),
    );
    let out = zdpipe_auth()
        .env(key_var, "sk-anything")
        .arg("run")
        .arg(&p)
        .arg("--summary-json")
        .arg(ws.path("summary.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let csv = ws.path("out/llm.csv");
    let expected = sb.dataset().view_ticket_ids(1).count();
    let ids = csv_ids(&csv);
    assert_eq!(ids.len(), expected);
    let want = format!("{analyzer}:{model}");
    assert!(column(&csv, "analyzer").iter().all(|a| *a == want));
    assert!(column(&csv, "error").iter().all(String::is_empty));
    for u in column(&csv, "urgency") {
        assert!(matches!(u.as_str(), "1" | "2" | "3" | "4" | "5"), "{u}");
    }
    let llm_requests = sb.state().llm().requests();
    assert_eq!(llm_requests, expected as u64, "one request per ticket");

    let s = summary(&ws.path("summary.json"));
    let llm = &s["llm"];
    assert_eq!(llm["requests"], llm_requests);
    let (input, output) = (
        llm["input_tokens"].as_f64().unwrap(),
        llm["output_tokens"].as_f64().unwrap(),
    );
    assert!(input > 0.0 && output > 0.0, "{llm}");
    let cost = llm["cost_usd"].as_f64().expect("a cost when price is set");
    let want_cost = (input * 2.5 + output * 10.0) / 1e6;
    assert!((cost - want_cost).abs() < 1e-9, "{cost} vs {want_cost}");
}

#[test]
fn openai_pipeline_writes_a_full_csv_with_tokens_and_cost() {
    full_csv_with_usage("openai", "gpt-it", "OPENAI_API_KEY");
}

#[test]
fn anthropic_pipeline_writes_a_full_csv_with_tokens_and_cost() {
    full_csv_with_usage("anthropic", "claude-it", "ANTHROPIC_API_KEY");
}

#[test]
fn rerun_with_unchanged_tickets_makes_no_model_calls() {
    let sb = sandbox(60);
    let ws = Workspace::new();
    let pipeline = |model: &str| {
        ws.view_pipeline(
            "rerun",
            &sb.base_url(),
            &[1],
            &format!(
                "[analyze]\nanalyzer = \"openai\"\nmodel = \"{model}\"\nbase_url = \"{}\"\n",
                sb.base_url()
            ),
        )
    };
    let run = |p: &Path| {
        let out = zdpipe_auth()
            .arg("run")
            .arg(p)
            .arg("--summary-json")
            .arg(ws.path("summary.json"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        summary(&ws.path("summary.json"))
    };
    let p = pipeline("gpt-it");
    let tickets = sb.dataset().view_ticket_ids(1).count() as u64;
    let first = run(&p);
    let llm = sb.state().llm();
    assert_eq!(llm.requests(), tickets);
    assert_eq!(first["analyzed"], tickets);
    let rows = read_csv(&ws.path("out/rerun.csv")).1;

    let second = run(&p);
    assert_eq!(llm.requests(), tickets, "the rerun called the model");
    assert_eq!(second["reused"], tickets);
    assert_eq!(second["analyzed"], 0);
    assert_eq!(second["llm"]["requests"], 0);
    assert_eq!(read_csv(&ws.path("out/rerun.csv")).1, rows);

    // Another model is another analysis: the fingerprint keeps them apart.
    run(&pipeline("gpt-it-2"));
    assert_eq!(llm.requests(), 2 * tickets);
}

/// A run whose model server rejects the key: exit 1, one line naming the provider,
/// the key nowhere (not even at trace level), at most one request per worker.
fn rejected_key(analyzer: &str, key_var: &str, key: &'static str) {
    let server = ModelServer::start(move |path, _, _| {
        let body = if path == "/v1/messages" {
            json!({"type": "error", "error": {"type": "authentication_error", "message": format!("invalid x-api-key {key}")}})
        } else {
            json!({"error": {"message": format!("Incorrect API key provided: {key}."), "type": "invalid_request_error", "code": "invalid_api_key"}})
        };
        (401, body)
    });
    let ws = Workspace::new();
    let texts: Vec<(&str, &str)> = (0..20)
        .map(|_| ("Disk failed", "The disk in rack 4 failed overnight."))
        .collect();
    export(&ws, &texts);
    let p = file_pipeline(
        &ws,
        &format!(
            "analyzer = \"{analyzer}\"\nmodel = \"m-it\"\nbase_url = \"{}\"\nworkers = 4\n",
            server.url
        ),
    );
    let out = zdpipe()
        .env(key_var, key)
        .env("RUST_LOG", "trace")
        .arg("run")
        .arg(&p)
        .arg("--summary-json")
        .arg(ws.path("summary.json"))
        .output()
        .unwrap();
    let (err, text) = (stderr(&out), stdout(&out));
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.len() > 1000, "trace logging was on: {err}");
    let errors: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("zdpipe: error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert!(
        errors[0].contains(&format!("{analyzer}: the API key was rejected")),
        "{}",
        errors[0]
    );
    assert!(!err.contains(key) && !text.contains(key), "the key leaked");
    assert_eq!(contains_anywhere(ws.dir.path(), key.as_bytes()), None);
    let n = server.requests();
    assert!((1..=4).contains(&n), "{n} requests: no retries after a 401");
}

#[test]
fn rejected_openai_key_exits_1_without_leaking_the_key() {
    rejected_key("openai", "OPENAI_API_KEY", OPENAI_KEY);
}

#[test]
fn rejected_anthropic_key_exits_1_without_leaking_the_key() {
    rejected_key("anthropic", "ANTHROPIC_API_KEY", ANTHROPIC_KEY);
}

#[test]
fn insufficient_quota_is_not_retried_and_exits_1() {
    let server = ModelServer::start(|_, _, _| {
        (
            429,
            json!({"error": {"message": "You exceeded your current quota, please check your plan and billing details.", "type": "insufficient_quota", "code": "insufficient_quota"}}),
        )
    });
    let ws = Workspace::new();
    export(&ws, &[("a", "first"), ("b", "second"), ("c", "third")]);
    let p = file_pipeline(
        &ws,
        &format!(
            "analyzer = \"openai\"\nmodel = \"gpt-it\"\nbase_url = \"{}\"\nworkers = 1\nmax_retries = 5\n",
            server.url
        ),
    );
    let out = zdpipe()
        .env("OPENAI_API_KEY", OPENAI_KEY)
        .arg("run")
        .arg(&p)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.lines().any(|l| l.starts_with("zdpipe: error:")
            && l.contains("openai")
            && l.contains("quota")),
        "{err}"
    );
    assert_eq!(
        server.requests(),
        1,
        "neither retried nor sent for other tickets"
    );
}

#[test]
fn unknown_model_stops_the_run_naming_the_url_and_model() {
    let server = ModelServer::start(|_, body, _| {
        let model = body["model"].as_str().unwrap_or_default();
        (
            404,
            json!({"error": {"message": format!("model \"{model}\" not found, try pulling it first"), "type": "api_error"}}),
        )
    });
    let ws = Workspace::new();
    let texts: Vec<(&str, &str)> = (0..30).map(|_| ("Slow", "It is slow.")).collect();
    export(&ws, &texts);
    let p = file_pipeline(
        &ws,
        &format!(
            "analyzer = \"openai\"\nmodel = \"llama-missing:8b\"\nbase_url = \"{}\"\njson_mode = \"json_object\"\nworkers = 2\n",
            server.url
        ),
    );
    let out = zdpipe().arg("run").arg(&p).output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let line = err
        .lines()
        .find(|l| l.starts_with("zdpipe: error:"))
        .unwrap_or_else(|| panic!("no error line: {err}"));
    assert!(line.contains("/v1/chat/completions"), "{line}");
    assert!(line.contains("llama-missing:8b"), "{line}");
    assert!(line.contains("404"), "{line}");
    assert!(server.requests() <= 2, "{} requests", server.requests());
    assert!(
        !ws.path("out.csv").exists(),
        "a failed run leaves no CSV of error rows"
    );
}

#[test]
fn schema_violating_answer_fails_only_that_ticket_with_exit_3() {
    // Urgency 9 for the ticket about the fan, also after the repair request.
    let server = ModelServer::start(|_, _, ticket| {
        let mut answer = reply_json(&analysis(3));
        if ticket.contains("fan") {
            // Set after reply_json, which clamps into the schema.
            answer["urgency"] = json!(9);
        }
        (200, openai_reply(&answer))
    });
    let ws = Workspace::new();
    export(
        &ws,
        &[
            ("Disk", "The disk failed."),
            ("Memory", "ECC errors in the log."),
            ("Cooling", "The fan is making a grinding noise."),
            ("Power", "The PSU beeps."),
            ("Boot", "It does not boot."),
        ],
    );
    let p = file_pipeline(
        &ws,
        &format!(
            "analyzer = \"openai\"\nmodel = \"gpt-it\"\nbase_url = \"{}\"\n",
            server.url
        ),
    );
    let out = zdpipe()
        .arg("run")
        .arg(&p)
        .arg("--summary-json")
        .arg(ws.path("summary.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));

    let (h, rows) = read_csv(&ws.path("out.csv"));
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    assert_eq!(rows.len(), 5);
    for row in &rows {
        let error = &row[col("error")];
        if row[0] == "3" {
            assert!(error.contains("urgency is 9"), "{error}");
            assert!(row[col("urgency")].is_empty());
        } else {
            assert!(error.is_empty(), "ticket {}: {error}", row[0]);
            assert_eq!(row[col("urgency")], "3");
            assert_eq!(row[col("analyzer")], "openai:gpt-it");
        }
    }
    assert_eq!(summary(&ws.path("summary.json"))["failed"], 1);
    // The bad ticket got one repair attempt; the others one request each.
    assert_eq!(server.bodies_for("fan").len(), 2);
    assert_eq!(server.requests(), 6);
}

#[test]
fn pii_is_masked_in_what_the_model_server_sees() {
    let server = ModelServer::start(|_, _, _| (200, openai_reply(&reply_json(&analysis(2)))));
    let ws = Workspace::new();
    let pii = "Order 5521 is late. Mail jane.doe@example.com or call +1 (415) 555-0123; \
               charge card 4111 1111 1111 1111 again.";
    export(
        &ws,
        &[("Refund please", pii), ("Hello", "Just a question.")],
    );
    let run = |redact: bool| {
        let p = file_pipeline(
            &ws,
            &format!(
                "analyzer = \"openai\"\nmodel = \"gpt-it\"\nbase_url = \"{}\"\nredact_pii = {redact}\n",
                server.url
            ),
        );
        let out = zdpipe().arg("run").arg(&p).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    };
    let raw = ["jane.doe@example.com", "555-0123", "4111 1111 1111 1111"];

    run(true);
    let sent = server.bodies_for("Order 5521");
    assert_eq!(sent.len(), 1);
    let (path, body) = &sent[0];
    assert_eq!(path, "/v1/chat/completions");
    let text = body.to_string();
    for r in raw {
        assert!(!text.contains(r), "{r} was sent: {text}");
    }
    let ticket = extract_ticket(body["messages"][1]["content"].as_str().unwrap()).unwrap();
    for mask in ["[email]", "[phone]", "[card]"] {
        assert!(ticket.contains(mask), "{mask} missing: {ticket}");
    }

    // The same ticket with masking off reaches the server as written (but for the
    // e-mail address, which message cleaning collapses anyway), so the check above
    // is looking at the right text.
    run(false);
    let sent = server.bodies_for("Order 5521");
    assert_eq!(sent.len(), 2);
    let text = sent[1].1.to_string();
    assert!(raw[1..].iter().all(|r| text.contains(r)), "{text}");
}

#[test]
fn offline_reruns_reuse_stored_answers_and_call_no_model() {
    let sb = sandbox(40);
    let ws = Workspace::new();
    let p = ws.view_pipeline(
        "offline-llm",
        &sb.base_url(),
        &[1],
        &format!(
            "[analyze]\nanalyzer = \"openai\"\nmodel = \"gpt-it\"\nbase_url = \"{}\"\n",
            sb.base_url()
        ),
    );
    zdpipe_auth().arg("run").arg(&p).assert().success();
    let calls = sb.state().llm().requests();
    let zendesk_calls = sb.requests();
    let csv = std::fs::read(ws.path("out/offline-llm.csv")).unwrap();
    // Even with a key in the environment, --offline contacts no model.
    let out = zdpipe()
        .env("OPENAI_API_KEY", "sk-must-not-be-used")
        .arg("run")
        .arg(&p)
        .arg("--offline")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(sb.state().llm().requests(), calls);
    assert_eq!(sb.requests(), zendesk_calls, "nor Zendesk");
    assert_eq!(std::fs::read(ws.path("out/offline-llm.csv")).unwrap(), csv);
}

#[test]
fn the_model_reads_the_customers_cleaned_words_only() {
    let server = ModelServer::start(|_, _, _| (200, openai_reply(&reply_json(&analysis(2)))));
    let sb = sandbox(30);
    let d = sb.dataset();
    let id = d
        .view_ticket_ids(1)
        .find(|&id| {
            let c = d.comments(id).unwrap_or_default();
            c.len() >= 3 && c[1].public
        })
        .expect("a ticket with an agent reply and a follow-up");
    d.set_comment_body(
        id,
        2,
        "AGENT-REPLY: thanks for reaching out, happy to help!",
    );
    d.set_comment_body(
        id,
        3,
        "CUSTOMER-WORDS: still broken.\n\nOn Mon, 3 Jun 2024 at 10:15, Support <help@example.com> wrote:\n> QUOTED-EARLIER-REPLY\n\nSent from my iPhone",
    );
    let ws = Workspace::new();
    let extra = format!(
        "include_comments = true\n[analyze]\nanalyzer = \"openai\"\nmodel = \"gpt-it\"\nbase_url = \"{}\"\n",
        server.url
    );
    let p = ws.view_pipeline("talk", &sb.base_url(), &[1], &extra);
    let out = zdpipe_auth().arg("run").arg(&p).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let sent = server.bodies_for("CUSTOMER-WORDS");
    assert_eq!(sent.len(), 1);
    let ticket = extract_ticket(sent[0].1["messages"][1]["content"].as_str().unwrap()).unwrap();
    assert!(ticket.contains("CUSTOMER-WORDS: still broken."), "{ticket}");
    for gone in [
        "QUOTED-EARLIER-REPLY",
        "wrote:",
        "Sent from my iPhone",
        "AGENT-REPLY",
    ] {
        assert!(!ticket.contains(gone), "{gone} reached the model: {ticket}");
    }
}

/// Five tickets run through a model server that answers `answer`; returns the
/// finished process.
fn run_five(server: &ModelServer, ws: &Workspace, extra: &str) -> std::process::Output {
    export(
        ws,
        &[
            ("Disk", "The disk failed."),
            ("Memory", "ECC errors in the log."),
            ("Cooling", "The fan is making a grinding noise."),
            ("Power", "The PSU beeps."),
            ("Boot", "It does not boot."),
        ],
    );
    let p = file_pipeline(
        ws,
        &format!(
            "analyzer = \"openai\"\nmodel = \"gpt-it\"\nbase_url = \"{}\"\njson_mode = \"json_object\"\n{extra}",
            server.url
        ),
    );
    zdpipe()
        .arg("run")
        .arg(&p)
        .arg("--summary-json")
        .arg(ws.path("summary.json"))
        .output()
        .unwrap()
}

#[test]
fn free_form_labels_become_the_fallbacks_without_a_repair_call() {
    // A lax server: valid fields, but labels of its own invention.
    let server = ModelServer::start(|_, _, _| {
        let mut answer = reply_json(&analysis(3));
        answer["component"] = json!("Hard Disk Drive");
        answer["category"] = json!("hardware failure");
        (200, openai_reply(&answer))
    });
    let ws = Workspace::new();
    let out = run_five(&server, &ws, "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let (h, rows) = read_csv(&ws.path("out.csv"));
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    assert_eq!(rows.len(), 5);
    for row in &rows {
        assert!(row[col("error")].is_empty(), "ticket {}", row[0]);
        assert_eq!(row[col("component")], "none");
        assert_eq!(row[col("category")], "general_inquiry");
        assert_eq!(row[col("urgency")], "3", "the valid fields are kept");
        let confidence: f64 = row[col("confidence")].parse().unwrap();
        assert!((confidence - 0.4).abs() < 1e-9, "0.8 halved: {confidence}");
    }
    assert_eq!(server.requests(), 5, "no repair calls");
    let s = summary(&ws.path("summary.json"));
    assert_eq!(s["failed"], 0);
    assert_eq!(s["llm"]["coerced_labels"], 5);
    assert!(
        stderr(&out).contains("5 answers had labels outside the taxonomy"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn temperature_is_sent_only_when_set_and_the_output_cap_as_max_tokens() {
    let answer = |_: &str, _: &Value, _: &str| (200, openai_reply(&reply_json(&analysis(2))));
    let unset = ModelServer::start(answer);
    let ws = Workspace::new();
    let out = run_five(&unset, &ws, "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let bodies = unset.bodies_for("");
    assert_eq!(bodies.len(), 5);
    for (_, body) in &bodies {
        assert!(body.get("temperature").is_none(), "{body}");
        assert_eq!(body["max_tokens"], 1024);
    }

    let set = ModelServer::start(answer);
    let ws = Workspace::new();
    let out = run_five(&set, &ws, "temperature = 0.3\nmax_output_tokens = 333\n");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for (_, body) in set.bodies_for("") {
        assert_eq!(body["temperature"], 0.3);
        assert_eq!(body["max_tokens"], 333);
        assert!(body.get("max_completion_tokens").is_none());
    }
}

/// Runs view 1 of `sb` through its OpenAI endpoint with `workers` requests in flight.
fn run_with_workers(sb: &zdpipe::sandbox::SandboxHandle, workers: usize) -> Vec<u64> {
    let ws = Workspace::new();
    let analyze = format!(
        "[analyze]\nanalyzer = \"openai\"\nmodel = \"gpt-it\"\nbase_url = \"{}\"\nworkers = {workers}\n",
        sb.base_url()
    );
    let p = ws.view_pipeline("wide", &sb.base_url(), &[1], &analyze);
    let out = zdpipe_auth().arg("run").arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let csv = ws.path("out/wide.csv");
    assert!(column(&csv, "error").iter().all(String::is_empty));
    csv_ids(&csv)
}

#[test]
fn llm_requests_stay_within_workers_in_flight_and_rows_keep_their_order() {
    let sb = sandbox(200);
    let llm = sb.state().llm();
    llm.latency_ms
        .store(40, std::sync::atomic::Ordering::Relaxed);
    let tickets = sb.dataset().view_ticket_ids(1).count();
    let one_by_one = run_with_workers(&sb, 1);
    assert_eq!(llm.max_in_flight(), 1);
    let wide = run_with_workers(&sb, 24);
    assert_eq!(wide.len(), tickets);
    assert_eq!(wide, one_by_one, "the rows came out in another order");
    assert_eq!(
        llm.requests(),
        2 * tickets as u64,
        "one request per ticket and run"
    );
    let most = llm.max_in_flight();
    assert!(
        (2..=24).contains(&most),
        "{most} requests were in flight at once"
    );
}

/// A run of view 1 against the sandbox's model of `analyzer` with `extra` keys.
fn run_against_sandbox_llm(
    sb: &zdpipe::sandbox::SandboxHandle,
    ws: &Workspace,
    analyzer: &str,
    extra: &str,
) -> std::process::Output {
    let analyze = format!(
        "[analyze]\nanalyzer = \"{analyzer}\"\nmodel = \"m-it\"\nbase_url = \"{}\"\n{extra}",
        sb.base_url()
    );
    let p = ws.view_pipeline("paced", &sb.base_url(), &[1], &analyze);
    zdpipe_auth()
        .arg("run")
        .arg(&p)
        .arg("--summary-json")
        .arg(ws.path("summary.json"))
        .output()
        .unwrap()
}

/// The model server allows 4 requests per 300 ms and says so in `analyzer`'s
/// headers; 4 workers then wait for each reset instead of earning 429s.
fn rate_limit_headers_pause_instead_of_429s(analyzer: &str) {
    let sb = sandbox(60);
    let llm = sb.state().llm();
    llm.rate_window_ms
        .store(300, std::sync::atomic::Ordering::Relaxed);
    llm.rate_limit_requests
        .store(4, std::sync::atomic::Ordering::Relaxed);
    let ws = Workspace::new();
    let out = run_against_sandbox_llm(&sb, &ws, analyzer, "workers = 4\n");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let tickets = sb.dataset().view_ticket_ids(1).count();
    assert!(tickets > 8, "{tickets} tickets fit in two windows");
    let csv = ws.path("out/paced.csv");
    assert_eq!(csv_ids(&csv).len(), tickets);
    assert!(column(&csv, "error").iter().all(String::is_empty));
    // Unpaced, 4 workers would meet a 429 on most requests after the first 4. A
    // window that resets while answers are on their way can still cost one now and
    // then on a loaded machine (the client then waits and retries), so the bound is
    // "almost none", not zero.
    let refused = llm.rate_limited();
    assert!(refused <= 2, "the server had to answer {refused} 429s");
    let sent = llm.requests();
    assert!(
        (tickets as u64..=tickets as u64 + refused).contains(&sent),
        "{sent} requests for {tickets} tickets and {refused} 429s"
    );
}

#[test]
fn openai_rate_limit_headers_pause_instead_of_429s() {
    rate_limit_headers_pause_instead_of_429s("openai");
}

#[test]
fn anthropic_rate_limit_headers_pause_instead_of_429s() {
    rate_limit_headers_pause_instead_of_429s("anthropic");
}

#[test]
fn tokens_per_minute_spreads_requests_over_time() {
    let sb = sandbox(12);
    let ws = Workspace::new();
    let started = std::time::Instant::now();
    let tpm = 60_000.0;
    let out = run_against_sandbox_llm(
        &sb,
        &ws,
        "openai",
        "workers = 8\ntokens_per_minute = 60000\n",
    );
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let n = sb.dataset().view_ticket_ids(1).count() as f64;
    assert!(n >= 2.0, "{n} tickets");
    // The sandbox counts a request's tokens as the client estimates them (4 bytes
    // a token): every request but the last waits for its share of a minute.
    let tokens = summary(&ws.path("summary.json"))["llm"]["input_tokens"]
        .as_f64()
        .unwrap();
    let spread = tokens * (n - 1.0) / n * 60.0 / tpm;
    assert!(
        elapsed >= 0.8 * spread,
        "{n} requests of {tokens} tokens in all took {elapsed:.2} s, not the {spread:.2} s of their shares"
    );
    assert_eq!(sb.state().llm().max_in_flight(), 1);
}
