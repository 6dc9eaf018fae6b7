//! Fake LLM endpoints for the sandbox: `/v1/chat/completions` (OpenAI-compatible)
//! and `/v1/messages` (Anthropic), so the LLM analyzers can run end to end offline.
//!
//! Each request's ticket text is taken from between the prompt's `<ticket>`
//! delimiters and handed to an `answer` function (in zdpipe, the built-in analyzer);
//! its [`Analysis`] goes back as a schema-valid reply in the provider's shape:
//! structured JSON content for OpenAI, a `tool_use` block for Anthropic, with token
//! usage estimated from the text sizes. [`LlmKnobs`] add latency and injected
//! faults at run time; all waiting is async, so many requests can be in flight.
//!
//! With a rate limit set (requests and/or tokens per window, a second unless a test
//! shortens it) every answer carries the provider's rate-limit headers: OpenAI's
//! `x-ratelimit-remaining-*` with `x-ratelimit-reset-*` durations (`250ms`, rounded
//! up so a client that waits them out never comes back early),
//! Anthropic's `anthropic-ratelimit-*-remaining` with RFC 3339 `*-reset` times. A
//! request beyond the limit gets a 429 with the same headers, counted in
//! [`LlmKnobs::rate_limited`].
//!
//! Both providers' batch APIs are served by [`super::llm_batch`].

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::analyze::llm::prompt::{self, SCHEMA_NAME};
use crate::analyze::llm::Provider;
use crate::model::Analysis;

/// Turns a ticket's text into the analysis the fake model "answers".
pub type AnswerFn = Arc<dyn Fn(&str) -> Analysis + Send + Sync>;

/// Run-time behaviour of the fake endpoints; change the atomics while serving.
#[derive(Debug, Default)]
pub struct LlmKnobs {
    /// Time from a request's arrival to its answer, faults included.
    pub latency_ms: AtomicU64,
    /// Percentage (0-100) of requests answered with a retryable error instead.
    /// Faults are spread evenly and deterministically: at 25, every fourth request.
    /// They alternate between 429 (with `retry-after`) and overloaded (529 on
    /// `/v1/messages`, 503 on `/v1/chat/completions`).
    pub fault_rate: AtomicU32,
    /// The `retry-after` seconds sent with injected 429s.
    pub retry_after_s: AtomicU64,
    requests: AtomicU64,
    faults: AtomicU64,
    /// Requests received and not yet answered, and the most there ever were.
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
    /// Requests and estimated tokens allowed per window (0: no limit, no headers).
    pub rate_limit_requests: AtomicU64,
    pub rate_limit_tokens: AtomicU64,
    /// The rate-limit window, in milliseconds (0: a second).
    pub rate_window_ms: AtomicU64,
    rate_limited: AtomicU64,
    window: Mutex<Option<RateWindow>>,
    /// The batch APIs' knobs and counters.
    pub batch: super::llm_batch::BatchKnobs,
}

/// The current rate-limit window: when it started and what it has counted.
#[derive(Debug, Clone, Copy)]
struct RateWindow {
    start: Instant,
    requests: u64,
    tokens: u64,
}

/// What a rate-limited answer says: what is left and when the window resets.
struct RateState {
    requests_left: u64,
    tokens_left: u64,
    reset: Duration,
    refused: bool,
}

impl LlmKnobs {
    pub fn new(latency_ms: u64, fault_rate: u32) -> Self {
        let knobs = LlmKnobs::default();
        knobs.latency_ms.store(latency_ms, Ordering::Relaxed);
        knobs.fault_rate.store(fault_rate, Ordering::Relaxed);
        knobs
    }

    /// Requests received so far, faulted ones included.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Requests answered with an injected fault.
    pub fn faults(&self) -> u64 {
        self.faults.load(Ordering::Relaxed)
    }

    /// The same knobs with a rate limit of `requests` and `tokens` per second (0: none).
    pub fn with_rate_limits(self, requests: u64, tokens: u64) -> Self {
        self.rate_limit_requests.store(requests, Ordering::Relaxed);
        self.rate_limit_tokens.store(tokens, Ordering::Relaxed);
        self
    }

    /// Requests refused with a 429 because the rate limit was used up.
    pub fn rate_limited(&self) -> u64 {
        self.rate_limited.load(Ordering::Relaxed)
    }

    /// Counts a request of `tokens` against the rate limit, if one is set.
    fn take_rate(&self, tokens: u64) -> Option<RateState> {
        let (max_requests, max_tokens) = (
            self.rate_limit_requests.load(Ordering::Relaxed),
            self.rate_limit_tokens.load(Ordering::Relaxed),
        );
        if max_requests == 0 && max_tokens == 0 {
            return None;
        }
        let length = match self.rate_window_ms.load(Ordering::Relaxed) {
            0 => Duration::from_secs(1),
            ms => Duration::from_millis(ms),
        };
        let now = Instant::now();
        let mut slot = self.window.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none_or(|w| now >= w.start + length) {
            *slot = Some(RateWindow {
                start: now,
                requests: 0,
                tokens: 0,
            });
        }
        let w = slot.as_mut().expect("a window was just set");
        let refused = (max_requests > 0 && w.requests >= max_requests)
            || (max_tokens > 0 && w.tokens + tokens > max_tokens);
        if refused {
            self.rate_limited.fetch_add(1, Ordering::Relaxed);
        } else {
            w.requests += 1;
            w.tokens += tokens;
        }
        let left = |max: u64, used: u64| {
            if max == 0 {
                u64::MAX
            } else {
                max.saturating_sub(used)
            }
        };
        Some(RateState {
            requests_left: left(max_requests, w.requests),
            tokens_left: left(max_tokens, w.tokens),
            reset: w.start + length - now,
            refused,
        })
    }

    /// The most requests that were ever waiting for their answers at once.
    pub fn max_in_flight(&self) -> u64 {
        self.max_in_flight.load(Ordering::Relaxed)
    }

    /// Counts a request and decides whether it gets a fault: request `n` faults when
    /// `n * rate / 100` steps up, which spreads exactly `rate`% evenly.
    fn admit(&self) -> Option<u64> {
        let n = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        let rate = u64::from(self.fault_rate.load(Ordering::Relaxed).min(100));
        (n * rate / 100 > (n - 1) * rate / 100)
            .then(|| self.faults.fetch_add(1, Ordering::Relaxed) + 1)
    }
}

struct Sandbox {
    answer: AnswerFn,
    knobs: Arc<LlmKnobs>,
}

/// The router serving both fake endpoints.
pub fn llm_router(answer: AnswerFn, knobs: Arc<LlmKnobs>) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(chat_completions))
        .route("/v1/messages", post(messages))
        .with_state(Arc::new(Sandbox {
            answer: answer.clone(),
            knobs: knobs.clone(),
        }))
        .merge(super::llm_batch::batch_router(answer, knobs))
}

async fn chat_completions(State(sb): State<Arc<Sandbox>>, body: Bytes) -> Response {
    let tokens = estimate_tokens(body.len(), 0).0;
    let response = sb
        .clone()
        .limited(Provider::OpenAi, tokens, move |sb, fault| {
            sb.chat_completion(&body, fault)
        });
    response.await
}

async fn messages(State(sb): State<Arc<Sandbox>>, body: Bytes) -> Response {
    let tokens = estimate_tokens(body.len(), 0).0;
    let response = sb
        .clone()
        .limited(Provider::Anthropic, tokens, move |sb, fault| {
            sb.message(&body, fault)
        });
    response.await
}

/// The rate-limit headers of `provider` for `state`.
fn rate_headers(provider: Provider, state: &RateState) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let windows = [
        ("requests", state.requests_left),
        ("tokens", state.tokens_left),
    ];
    // Written to the millisecond: one more keeps the truncated time from coming early.
    let reset_at = SystemTime::now() + state.reset + Duration::from_millis(1);
    let reset_at = humantime::format_rfc3339_millis(reset_at).to_string();
    for (kind, left) in windows.into_iter().filter(|(_, left)| *left != u64::MAX) {
        let (remaining, reset) = match provider {
            Provider::OpenAi => (
                format!("x-ratelimit-remaining-{kind}"),
                (
                    format!("x-ratelimit-reset-{kind}"),
                    format!("{}ms", state.reset.as_micros().div_ceil(1000)),
                ),
            ),
            Provider::Anthropic => (
                format!("anthropic-ratelimit-{kind}-remaining"),
                (
                    format!("anthropic-ratelimit-{kind}-reset"),
                    reset_at.clone(),
                ),
            ),
        };
        for (name, value) in [(remaining, left.to_string()), reset] {
            if let (Ok(name), Ok(value)) = (
                axum::http::HeaderName::try_from(name),
                HeaderValue::try_from(value),
            ) {
                headers.insert(name, value);
            }
        }
    }
    headers
}

impl Sandbox {
    /// Answers as [`Sandbox::respond`] does, within the rate limit: with its headers,
    /// or a 429 once it is used up.
    async fn limited(
        self: Arc<Self>,
        provider: Provider,
        tokens: u64,
        answer: impl FnOnce(&Self, Option<u64>) -> Response,
    ) -> Response {
        let Some(state) = self.knobs.take_rate(tokens) else {
            return self.respond(answer).await;
        };
        let mut response = if state.refused {
            let status = StatusCode::TOO_MANY_REQUESTS;
            error(
                provider,
                status,
                "rate_limit_error",
                "sandbox rate limit reached",
            )
        } else {
            self.respond(answer).await
        };
        response
            .headers_mut()
            .extend(rate_headers(provider, &state));
        response
    }

    fn chat_completion(&self, body: &[u8], fault: Option<u64>) -> Response {
        let (request, text) = match self.prepare(Provider::OpenAi, body, fault) {
            Ok(parts) => parts,
            Err(response) => return *response,
        };
        let content = prompt::reply_json(&(self.answer)(&text)).to_string();
        let (input_tokens, output_tokens) = estimate_tokens(body.len(), content.len());
        let n = self.knobs.requests();
        Json(json!({
            "id": format!("chatcmpl-sandbox-{n}"),
            "object": "chat.completion",
            "created": 0,
            "model": request["model"],
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": null},
                "finish_reason": "stop",
            }],
            "usage": {
                "prompt_tokens": input_tokens,
                "completion_tokens": output_tokens,
                "total_tokens": input_tokens + output_tokens,
            },
        }))
        .into_response()
    }

    fn message(&self, body: &[u8], fault: Option<u64>) -> Response {
        let (request, text) = match self.prepare(Provider::Anthropic, body, fault) {
            Ok(parts) => parts,
            Err(response) => return *response,
        };
        let input = prompt::reply_json(&(self.answer)(&text));
        let (input_tokens, output_tokens) = estimate_tokens(body.len(), input.to_string().len());
        let tool = request["tool_choice"]["name"]
            .as_str()
            .unwrap_or(SCHEMA_NAME);
        let n = self.knobs.requests();
        Json(json!({
            "id": format!("msg_sandbox_{n}"),
            "type": "message",
            "role": "assistant",
            "model": request["model"],
            "content": [{"type": "tool_use", "id": format!("toolu_sandbox_{n}"), "name": tool, "input": input}],
            "stop_reason": "tool_use",
            "stop_sequence": null,
            "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
        }))
        .into_response()
    }

    /// Answers `latency_ms` after the request arrived. The answer itself is worked
    /// out halfway through that wait, while the client is idle: when 64 requests land
    /// at once on a small machine, the simulator's own CPU time then neither delays
    /// the client sending the next requests nor reading the last answers, which is
    /// what a benchmark against the sandbox measures.
    /// The request is counted (and its fault decided) on arrival.
    async fn respond(
        self: Arc<Self>,
        answer: impl FnOnce(&Self, Option<u64>) -> Response,
    ) -> Response {
        let arrived = Instant::now();
        let fault = self.knobs.admit();
        let now = self.knobs.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        self.knobs.max_in_flight.fetch_max(now, Ordering::Relaxed);
        let latency = Duration::from_millis(self.knobs.latency_ms.load(Ordering::Relaxed));
        let response = if latency.is_zero() {
            answer(&self, fault)
        } else {
            tokio::time::sleep_until((arrived + latency / 2).into()).await;
            let response = answer(&self, fault);
            tokio::time::sleep_until((arrived + latency).into()).await;
            response
        };
        self.knobs.in_flight.fetch_sub(1, Ordering::Relaxed);
        response
    }

    /// The parsed request with its ticket text, or the response to send instead: the
    /// `k`-th injected fault when `fault` is `Some(k)`, or a 400.
    fn prepare(
        &self,
        provider: Provider,
        body: &[u8],
        fault: Option<u64>,
    ) -> Result<(Value, String), Box<Response>> {
        if let Some(k) = fault {
            return Err(Box::new(self.fault(provider, k)));
        }
        let request: Value = serde_json::from_slice(body).map_err(|e| {
            Box::new(error(
                provider,
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                &e.to_string(),
            ))
        })?;
        let text = ticket_text(&request["messages"]).ok_or_else(|| {
            let m = "no <ticket> ... </ticket> block in the user messages";
            Box::new(error(
                provider,
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                m,
            ))
        })?;
        Ok((request, text))
    }

    /// The `k`-th injected fault: odd ones are rate limits, even ones overloads.
    fn fault(&self, provider: Provider, k: u64) -> Response {
        if k % 2 == 1 {
            let after = self.knobs.retry_after_s.load(Ordering::Relaxed).to_string();
            let mut r = error(
                provider,
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_error",
                "sandbox rate limit",
            );
            if let Ok(v) = after.parse() {
                r.headers_mut().insert("retry-after", v);
            }
            r
        } else {
            match provider {
                Provider::Anthropic => {
                    let status =
                        StatusCode::from_u16(529).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                    error(provider, status, "overloaded_error", "sandbox overloaded")
                }
                Provider::OpenAi => error(
                    provider,
                    StatusCode::SERVICE_UNAVAILABLE,
                    "server_error",
                    "sandbox overloaded",
                ),
            }
        }
    }
}

/// The ticket text of the first user message that has one. Content is a string or,
/// for Anthropic, a list of blocks whose text parts count.
pub(super) fn ticket_text(messages: &Value) -> Option<String> {
    messages.as_array()?.iter().find_map(|m| {
        if m["role"] != "user" {
            return None;
        }
        let content = match &m["content"] {
            Value::String(s) => s.clone(),
            Value::Array(blocks) => blocks.iter().filter_map(|b| b["text"].as_str()).collect(),
            _ => return None,
        };
        prompt::extract_ticket(&content).map(str::to_string)
    })
}

/// Roughly four bytes per token, which is close enough for cost estimates.
pub(super) fn estimate_tokens(request_bytes: usize, reply_bytes: usize) -> (u64, u64) {
    let tokens = |bytes: usize| (bytes as u64).div_ceil(4).max(1);
    (tokens(request_bytes), tokens(reply_bytes))
}

/// An error response in the provider's envelope.
pub(super) fn error(provider: Provider, status: StatusCode, kind: &str, message: &str) -> Response {
    let body = match provider {
        Provider::OpenAi => json!({"error": {"message": message, "type": kind, "code": null}}),
        Provider::Anthropic => {
            json!({"type": "error", "error": {"type": kind, "message": message}})
        }
    };
    (status, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::llm::{LlmAnalyzer, LlmConfig};
    use crate::analyze::{AnalysisInput, Analyzer};
    use crate::model::Sentiment;

    /// A stand-in for the built-in analyzer: urgent when the text says so.
    fn answer() -> AnswerFn {
        Arc::new(|text: &str| Analysis {
            sentiment: Sentiment::Negative,
            sentiment_score: -0.4,
            urgency: if text.contains("down") { 5 } else { 2 },
            frustration: 3,
            technical_expertise: 3,
            business_impact: text.contains("down"),
            category: "technical_issue".into(),
            component: "network".into(),
            priority_score: 0,
            confidence: 0.7,
            key_phrases: vec!["network down".into()],
            emotions: vec![],
            language: String::new(),
        })
    }

    /// Serves the sandbox router on a fresh runtime; returns the runtime and base URL.
    fn serve(knobs: Arc<LlmKnobs>) -> (tokio::runtime::Runtime, String) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let app = llm_router(answer(), knobs);
        rt.spawn(async move { axum::serve(listener, app).await });
        (rt, url)
    }

    fn input(body: &str) -> AnalysisInput<'_> {
        AnalysisInput {
            ticket_id: 1,
            subject: "Status",
            body,
            tags: &[],
        }
    }

    #[test]
    fn answers_both_dialects_with_the_answer_function() {
        let knobs = Arc::new(LlmKnobs::default());
        let (rt, url) = serve(knobs.clone());
        for provider in [Provider::OpenAi, Provider::Anthropic] {
            let cfg = LlmConfig::new(provider, &url, "sandbox");
            let a = LlmAnalyzer::new(cfg, rt.handle().clone()).expect("analyzer");
            let got = a.analyze(&input("the network is down")).expect("analysis");
            assert_eq!((got.urgency, got.business_impact), (5, true));
            assert_eq!(got.component, "network");
            assert!(a.usage().input_tokens > 0 && a.usage().output_tokens > 0);
        }
        assert_eq!(knobs.requests(), 2);
    }

    #[test]
    fn many_requests_in_flight_overlap() {
        let knobs = Arc::new(LlmKnobs::new(100, 0));
        let (rt, url) = serve(knobs.clone());
        let cfg = LlmConfig::new(Provider::OpenAi, &url, "sandbox");
        let a = LlmAnalyzer::new(cfg, rt.handle().clone()).expect("analyzer");
        let started = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..64 {
                s.spawn(|| a.analyze(&input("slow but fine")).expect("analysis"));
            }
        });
        let elapsed = started.elapsed();
        // Serially this would take 6.4 s; one overlapping wave takes ~100 ms.
        assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
        assert_eq!(knobs.requests(), 64);
        assert_eq!(a.usage().requests, 64);
    }

    #[test]
    fn injected_faults_are_retried() {
        // Every second request faults: the 2nd gets a 429 (retry-after 0), the 4th a 529.
        let knobs = Arc::new(LlmKnobs::new(0, 50));
        let (rt, url) = serve(knobs.clone());
        let cfg = LlmConfig::new(Provider::Anthropic, &url, "sandbox");
        let a = LlmAnalyzer::new(cfg, rt.handle().clone()).expect("analyzer");
        for _ in 0..3 {
            a.analyze(&input("flaky")).expect("analysis despite faults");
        }
        assert_eq!((knobs.faults(), knobs.requests()), (2, 5));
        assert_eq!(a.usage().retries, 2);
    }

    #[test]
    fn faults_are_spread_evenly() {
        let knobs = LlmKnobs::new(0, 25);
        let faulted: Vec<bool> = (0..8).map(|_| knobs.admit().is_some()).collect();
        assert_eq!(
            faulted,
            [false, false, false, true, false, false, false, true]
        );
    }
}
