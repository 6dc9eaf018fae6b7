//! The simulated batch APIs of both providers, so batch runs work offline:
//!
//! - OpenAI: `POST /v1/files` (multipart, `purpose=batch`), `POST /v1/batches`,
//!   `GET /v1/batches/{id}`, `GET /v1/files/{id}/content` (the input, output and
//!   error files);
//! - Anthropic: `POST /v1/messages/batches`, `GET /v1/messages/batches/{id}` and
//!   `GET /v1/messages/batches/{id}/results` (its `results_url`).
//!
//! A batch ends [`BatchKnobs::delay_ms`] after it was created; its answers are those
//! of the synchronous endpoints (the same answer function). [`BatchKnobs`] also make
//! every `fail_every`-th line of a batch fail (the failed `custom_id`s are recorded)
//! and the next `expire_next` batches expire without answering, and count the batches
//! and requests submitted, so tests can tell that nothing was sent twice.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::llm::{error, estimate_tokens, ticket_text, AnswerFn, LlmKnobs};
use crate::analyze::llm::prompt::{self, SCHEMA_NAME};
use crate::analyze::llm::Provider;

/// Run-time behaviour and counts of the batch endpoints.
#[derive(Debug, Default)]
pub struct BatchKnobs {
    /// Time from a batch's creation to its end.
    pub delay_ms: AtomicU64,
    /// Every `fail_every`-th line of a batch (1-based) fails; 0 fails none.
    pub fail_every: AtomicU64,
    /// The next this many batches expire instead of answering.
    pub expire_next: AtomicU64,
    batches: AtomicU64,
    requests: AtomicU64,
    polls: AtomicU64,
    failed: Mutex<Vec<String>>,
}

impl BatchKnobs {
    /// Batches created so far.
    pub fn batches(&self) -> u64 {
        self.batches.load(Ordering::Relaxed)
    }

    /// Requests submitted in batches so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Status requests answered so far (a client polls only what it has recorded).
    pub fn polls(&self) -> u64 {
        self.polls.load(Ordering::Relaxed)
    }

    /// The `custom_id`s of the lines made to fail.
    pub fn failed_custom_ids(&self) -> Vec<String> {
        self.failed.lock().expect("batch lock").clone()
    }
}

/// One simulated batch.
struct SimBatch {
    provider: Provider,
    /// `(custom_id, request body)` per line.
    lines: Vec<(String, Value)>,
    ends: Instant,
    expires: bool,
    /// Filled when the batch is first seen ended: one result line per request.
    results: Option<Vec<Value>>,
}

struct BatchSim {
    answer: AnswerFn,
    knobs: Arc<LlmKnobs>,
    files: Mutex<HashMap<String, Vec<u8>>>,
    batches: Mutex<HashMap<String, SimBatch>>,
    next_id: AtomicU64,
}

type Sim = State<Arc<BatchSim>>;

/// The router of both batch APIs.
pub fn batch_router(answer: AnswerFn, knobs: Arc<LlmKnobs>) -> Router {
    let sim = Arc::new(BatchSim {
        answer,
        knobs,
        files: Mutex::default(),
        batches: Mutex::default(),
        next_id: AtomicU64::new(1),
    });
    Router::new()
        .route("/v1/files", post(upload))
        .route("/v1/files/{id}/content", get(file_content))
        .route("/v1/batches", post(create_openai))
        .route("/v1/batches/{id}", get(openai_status))
        .route("/v1/messages/batches", post(create_anthropic))
        .route("/v1/messages/batches/{id}", get(anthropic_status))
        .route("/v1/messages/batches/{id}/results", get(anthropic_results))
        .with_state(sim)
}

fn bad_request(provider: Provider, message: &str) -> Response {
    error(
        provider,
        StatusCode::BAD_REQUEST,
        "invalid_request_error",
        message,
    )
}

fn not_found(provider: Provider) -> Response {
    error(
        provider,
        StatusCode::NOT_FOUND,
        "not_found_error",
        "no such batch or file",
    )
}

/// `POST /v1/files`: stores the `file` part of a multipart body with `purpose=batch`.
async fn upload(State(sim): Sim, headers: HeaderMap, body: Bytes) -> Response {
    let boundary = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| ct.split("boundary=").nth(1))
        .map(|b| b.trim_matches('"').to_string());
    let Some(boundary) = boundary else {
        return bad_request(Provider::OpenAi, "expected multipart/form-data");
    };
    let parts = multipart_parts(&body, &boundary);
    if parts.get("purpose").map(Vec::as_slice) != Some(b"batch".as_slice()) {
        return bad_request(Provider::OpenAi, "purpose must be batch");
    }
    let Some(file) = parts.get("file") else {
        return bad_request(Provider::OpenAi, "no file part");
    };
    let id = format!("file-sb-{}", sim.next_id.fetch_add(1, Ordering::Relaxed));
    let bytes = file.len();
    sim.files
        .lock()
        .expect("files lock")
        .insert(id.clone(), file.clone());
    Json(json!({"id": id, "object": "file", "bytes": bytes, "purpose": "batch", "filename": "batch.jsonl"}))
        .into_response()
}

/// The parts of a multipart body by name (enough for the upload's two parts).
fn multipart_parts(body: &[u8], boundary: &str) -> HashMap<String, Vec<u8>> {
    let text = String::from_utf8_lossy(body);
    let mut parts = HashMap::new();
    for part in text.split(&format!("--{boundary}")) {
        let Some((head, content)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let Some(name) = head
            .split("name=\"")
            .nth(1)
            .and_then(|n| n.split('"').next())
        else {
            continue;
        };
        let content = content.strip_suffix("\r\n").unwrap_or(content);
        parts.insert(name.to_string(), content.as_bytes().to_vec());
    }
    parts
}

async fn file_content(State(sim): Sim, Path(id): Path<String>) -> Response {
    sim.finish_all();
    match sim.files.lock().expect("files lock").get(&id) {
        Some(bytes) => bytes.clone().into_response(),
        None => not_found(Provider::OpenAi),
    }
}

/// `POST /v1/batches`: a batch over an uploaded file.
async fn create_openai(State(sim): Sim, Json(req): Json<Value>) -> Response {
    if req["endpoint"] != "/v1/chat/completions" || req["completion_window"] != "24h" {
        let m = "endpoint must be /v1/chat/completions and completion_window 24h";
        return bad_request(Provider::OpenAi, m);
    }
    let file_id = req["input_file_id"].as_str().unwrap_or_default();
    let Some(file) = sim.files.lock().expect("files lock").get(file_id).cloned() else {
        return bad_request(Provider::OpenAi, "unknown input_file_id");
    };
    let mut lines = Vec::new();
    for line in String::from_utf8_lossy(&file)
        .lines()
        .filter(|l| !l.is_empty())
    {
        let v: Value = serde_json::from_str(line).unwrap_or(Value::Null);
        match (v["custom_id"].as_str(), v["url"].as_str()) {
            (Some(id), Some("/v1/chat/completions")) => {
                lines.push((id.to_string(), v["body"].clone()))
            }
            _ => return bad_request(Provider::OpenAi, "a line lacks custom_id or url"),
        }
    }
    let id = sim.create(Provider::OpenAi, lines, "batch_sb");
    sim.openai_object(&id)
}

/// `POST /v1/messages/batches`: a batch of `requests: [{custom_id, params}]`.
async fn create_anthropic(State(sim): Sim, headers: HeaderMap, Json(req): Json<Value>) -> Response {
    let Some(requests) = req["requests"].as_array() else {
        return bad_request(Provider::Anthropic, "requests: field required");
    };
    let mut lines = Vec::new();
    for r in requests {
        match r["custom_id"].as_str() {
            Some(id) if r["params"].is_object() => {
                lines.push((id.to_string(), r["params"].clone()))
            }
            _ => {
                return bad_request(
                    Provider::Anthropic,
                    "each request needs custom_id and params",
                )
            }
        }
    }
    let id = sim.create(Provider::Anthropic, lines, "msgbatch_sb");
    sim.anthropic_object(&id, &headers)
}

async fn openai_status(State(sim): Sim, Path(id): Path<String>) -> Response {
    sim.knobs.batch.polls.fetch_add(1, Ordering::Relaxed);
    sim.openai_object(&id)
}

async fn anthropic_status(State(sim): Sim, Path(id): Path<String>, headers: HeaderMap) -> Response {
    sim.knobs.batch.polls.fetch_add(1, Ordering::Relaxed);
    sim.anthropic_object(&id, &headers)
}

async fn anthropic_results(State(sim): Sim, Path(id): Path<String>) -> Response {
    sim.finish_all();
    let batches = sim.batches.lock().expect("batches lock");
    match batches.get(&id).and_then(|b| b.results.as_ref()) {
        Some(lines) => jsonl(lines).into_response(),
        None => not_found(Provider::Anthropic),
    }
}

fn jsonl(lines: &[Value]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

impl BatchSim {
    /// Registers a new batch and counts it.
    fn create(&self, provider: Provider, lines: Vec<(String, Value)>, prefix: &str) -> String {
        let k = &self.knobs.batch;
        k.batches.fetch_add(1, Ordering::Relaxed);
        k.requests.fetch_add(lines.len() as u64, Ordering::Relaxed);
        let expires = k
            .expire_next
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok();
        let delay = Duration::from_millis(k.delay_ms.load(Ordering::Relaxed));
        let id = format!("{prefix}_{}", self.next_id.fetch_add(1, Ordering::Relaxed));
        let now = Instant::now();
        let batch = SimBatch {
            provider,
            lines,
            ends: now + delay,
            expires,
            results: None,
        };
        self.batches
            .lock()
            .expect("batches lock")
            .insert(id.clone(), batch);
        id
    }

    /// Works out the results of every batch whose time has come (once each).
    fn finish_all(&self) {
        let mut batches = self.batches.lock().expect("batches lock");
        for (id, b) in batches.iter_mut() {
            if b.results.is_some() || Instant::now() < b.ends {
                continue;
            }
            let results = self.results_of(b);
            if b.provider == Provider::OpenAi {
                let (ok, failed): (Vec<Value>, Vec<Value>) = results
                    .into_iter()
                    .partition(|l| l["error"].is_null() && l["response"]["status_code"] == 200);
                let mut files = self.files.lock().expect("files lock");
                files.insert(format!("file-out-{id}"), jsonl(&ok).into_bytes());
                files.insert(format!("file-err-{id}"), jsonl(&failed).into_bytes());
                b.results = Some(Vec::new());
            } else {
                b.results = Some(results);
            }
        }
    }

    /// One result line per request, in the provider's shape.
    fn results_of(&self, b: &SimBatch) -> Vec<Value> {
        let every = self.knobs.batch.fail_every.load(Ordering::Relaxed);
        b.lines
            .iter()
            .enumerate()
            .map(|(i, (custom_id, request))| {
                let fail = every > 0 && (i as u64 + 1).is_multiple_of(every);
                if fail && !b.expires {
                    let mut failed = self.knobs.batch.failed.lock().expect("batch lock");
                    failed.push(custom_id.clone());
                }
                let outcome = match (b.expires, fail) {
                    (true, _) => Outcome::Expired,
                    (false, true) => Outcome::Failed,
                    (false, false) => Outcome::Answer(self.reply(b.provider, request)),
                };
                result_line(b.provider, custom_id, outcome)
            })
            .collect()
    }

    /// The synchronous endpoint's answer to `request`, or `None` for a request
    /// without a ticket.
    fn reply(&self, provider: Provider, request: &Value) -> Option<Value> {
        let text = ticket_text(&request["messages"])?;
        let answer = prompt::reply_json(&(self.answer)(&text));
        let request_bytes = request.to_string().len();
        let (input_tokens, output_tokens) =
            estimate_tokens(request_bytes, answer.to_string().len());
        Some(match provider {
            Provider::OpenAi => json!({
                "id": "chatcmpl-sandbox-batch",
                "object": "chat.completion",
                "model": request["model"],
                "choices": [{
                    "index": 0,
                    "message": {"role": "assistant", "content": answer.to_string(), "refusal": null},
                    "finish_reason": "stop",
                }],
                "usage": {"prompt_tokens": input_tokens, "completion_tokens": output_tokens},
            }),
            Provider::Anthropic => json!({
                "id": "msg_sandbox_batch",
                "type": "message",
                "role": "assistant",
                "model": request["model"],
                "content": [{"type": "tool_use", "id": "toolu_sandbox_batch", "name": SCHEMA_NAME, "input": answer}],
                "stop_reason": "tool_use",
                "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
            }),
        })
    }

    /// Where batch `id` is; `None` if unknown.
    fn progress(&self, id: &str) -> Option<Counts> {
        self.finish_all();
        let batches = self.batches.lock().expect("batches lock");
        let b = batches.get(id)?;
        let total = b.lines.len() as u64;
        let ended = b.results.is_some();
        let every = self.knobs.batch.fail_every.load(Ordering::Relaxed);
        let failed = match (ended, b.expires) {
            (false, _) => 0,
            (true, true) => total,
            (true, false) if every > 0 => total / every,
            (true, false) => 0,
        };
        Some(Counts {
            ended,
            expired: b.expires,
            done: if ended { total - failed } else { 0 },
            failed,
            total,
        })
    }

    fn openai_object(&self, id: &str) -> Response {
        let Some(Counts {
            ended,
            expired,
            done,
            failed,
            total,
        }) = self.progress(id)
        else {
            return not_found(Provider::OpenAi);
        };
        let status = match (ended, expired) {
            (false, _) => "in_progress",
            (true, true) => "expired",
            (true, false) => "completed",
        };
        let file = |kind: &str| ended.then(|| format!("file-{kind}-{id}"));
        Json(json!({
            "id": id,
            "object": "batch",
            "endpoint": "/v1/chat/completions",
            "completion_window": "24h",
            "status": status,
            "output_file_id": file("out"),
            "error_file_id": file("err"),
            "request_counts": {"total": total, "completed": done, "failed": failed},
        }))
        .into_response()
    }

    fn anthropic_object(&self, id: &str, headers: &HeaderMap) -> Response {
        let Some(Counts {
            ended,
            expired,
            done,
            failed,
            total,
        }) = self.progress(id)
        else {
            return not_found(Provider::Anthropic);
        };
        let host = headers
            .get("host")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1");
        let (errored, expired_n) = if expired { (0, failed) } else { (failed, 0) };
        Json(json!({
            "id": id,
            "type": "message_batch",
            "processing_status": if ended { "ended" } else { "in_progress" },
            "request_counts": {
                "processing": if ended { 0 } else { total },
                "succeeded": done,
                "errored": errored,
                "canceled": 0,
                "expired": expired_n,
            },
            "results_url": ended.then(|| format!("http://{host}/v1/messages/batches/{id}/results")),
        }))
        .into_response()
    }
}

/// A batch's state as its status object shows it.
struct Counts {
    ended: bool,
    expired: bool,
    done: u64,
    failed: u64,
    total: u64,
}

/// What became of one simulated request.
enum Outcome {
    Answer(Option<Value>),
    Failed,
    Expired,
}

/// A result line in the provider's shape.
fn result_line(provider: Provider, custom_id: &str, outcome: Outcome) -> Value {
    let made_to_fail = "sandbox: this line was made to fail (or has no <ticket> block)";
    match (provider, outcome) {
        (Provider::OpenAi, Outcome::Answer(Some(body))) => json!({
            "id": format!("batch_req_{custom_id}"), "custom_id": custom_id,
            "response": {"status_code": 200, "request_id": "req_sb", "body": body}, "error": null,
        }),
        (Provider::OpenAi, Outcome::Answer(None) | Outcome::Failed) => json!({
            "custom_id": custom_id,
            "response": {"status_code": 400, "body": {"error": {"message": made_to_fail, "type": "invalid_request_error"}}},
            "error": null,
        }),
        (Provider::OpenAi, Outcome::Expired) => json!({
            "custom_id": custom_id, "response": null,
            "error": {"code": "batch_expired", "message": "This request could not be executed before the completion window expired."},
        }),
        (Provider::Anthropic, Outcome::Answer(Some(message))) => json!({
            "custom_id": custom_id, "result": {"type": "succeeded", "message": message},
        }),
        (Provider::Anthropic, Outcome::Answer(None) | Outcome::Failed) => json!({
            "custom_id": custom_id,
            "result": {"type": "errored", "error": {"type": "error", "error": {"type": "invalid_request_error", "message": made_to_fail}}},
        }),
        (Provider::Anthropic, Outcome::Expired) => json!({
            "custom_id": custom_id, "result": {"type": "expired"},
        }),
    }
}
