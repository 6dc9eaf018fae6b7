//! Sending one provider request: retries, rate-limit pauses, error classification
//! and the usage counters.
//!
//! Retries (the shared [`RetryPolicy`]: exponential with jitter, at most
//! `max_retries`) cover what a later attempt can fix: 408/429/500/502/503/504/529,
//! timeouts and connection errors (a server still unreachable after the last retry
//! stops the run). A `retry-after-ms` / `retry-after` header (seconds or an
//! HTTP-date) replaces the computed delay. Every answer's rate-limit headers go to
//! the shared [`RateGate`], which holds requests back when the provider's window
//! has no requests (or not enough tokens) left, until it resets, instead of burning
//! attempts on certain 429s; it also applies `[analyze] tokens_per_minute`.
//!
//! Answers that every ticket would get alike are fatal and stop the run: a rejected
//! key (401/403), an exhausted quota or credit, a 404 (a model the server does not
//! have, or a base URL that is not this dialect's API; the message names the URL and
//! the model; 405 and 501 alike), and a 400 about an unsupported parameter or value.
//! The first such answer is remembered and every later call fails fast with the same
//! message, so 64 workers do not each hammer the provider on their way out. The API key never
//! appears in an error or log line: provider messages are scrubbed of it, URLs are
//! shown [`redacted`], and 401/403 bodies are not quoted at all (OpenAI echoes part of
//! the key there).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use reqwest::header::{HeaderMap, CONTENT_TYPE};
use reqwest::{StatusCode, Url};
use serde_json::Value;

use super::rate::{RateGate, Sent};
use super::{anthropic, openai, Provider};
use crate::analyze::AnalyzeError;
use crate::http::{
    redacted, retry_after, tls_advice, Failure, RetryPolicy, Stopped, Transient, TransportKind,
};

/// The first backoff delay; later ones double, with jitter, up to 30 s.
const MIN_DELAY: Duration = Duration::from_millis(500);
/// Caps server-requested retry-after waits: a daily quota reset hours away should
/// surface as errors, not as a silently frozen run.
const MAX_WAIT: Duration = Duration::from_secs(120);
/// How much of a provider's error message goes into a ticket's error cell.
const MAX_MESSAGE_CHARS: usize = 300;

/// Counters behind `LlmAnalyzer::usage`.
#[derive(Debug, Default)]
pub(super) struct Counters {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub input_tokens: AtomicU64,
    pub output_tokens: AtomicU64,
}

/// A failure no retry fixes: for this ticket only, or for every ticket.
#[derive(Debug)]
enum Final {
    Ticket(String),
    Fatal(String),
}

/// The `error` object both providers put in their error bodies.
#[derive(Debug)]
pub(super) struct ErrorInfo {
    pub kind: String,
    pub code: String,
    pub message: String,
}

impl ErrorInfo {
    fn parse(body: &str) -> Self {
        let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        let e = &v["error"];
        let text = |key: &str| e[key].as_str().unwrap_or_default().to_string();
        // vLLM and FastAPI-based servers put the message at the top level.
        let message = match e {
            Value::String(s) => s.clone(),
            Value::Null => ["message", "detail"]
                .iter()
                .find_map(|k| v[k].as_str())
                .unwrap_or_default()
                .to_string(),
            _ => text("message"),
        };
        ErrorInfo {
            kind: text("type"),
            code: text("code"),
            message,
        }
    }
}

/// One provider endpoint with its headers, retry policy and shared state.
pub(super) struct Transport {
    client: reqwest::Client,
    provider: Provider,
    url: Url,
    /// `url` without user info or query, for messages.
    shown_url: String,
    headers: HeaderMap,
    /// Only for scrubbing it out of provider messages.
    api_key: Option<String>,
    /// For messages about a model the server does not know.
    model: String,
    retry: RetryPolicy,
    gate: RateGate,
    fatal: OnceLock<String>,
    pub counters: Counters,
}

impl Transport {
    pub fn new(
        client: reqwest::Client,
        provider: Provider,
        url: Url,
        headers: HeaderMap,
        api_key: Option<String>,
        model: &str,
        max_retries: u32,
    ) -> Self {
        Transport {
            client,
            provider,
            shown_url: redacted(&url),
            url,
            headers,
            api_key,
            model: model.to_string(),
            retry: RetryPolicy::new(max_retries, MIN_DELAY),
            gate: RateGate::default(),
            fatal: OnceLock::new(),
            counters: Counters::default(),
        }
    }

    /// The same transport paced to `tokens_per_minute` (`None`: by the provider's
    /// headers alone).
    pub fn paced(mut self, tokens_per_minute: Option<u64>) -> Self {
        self.gate = RateGate::new(tokens_per_minute);
        self
    }

    /// The fatal error already seen, if any.
    pub fn fatal(&self) -> Option<AnalyzeError> {
        self.fatal.get().map(|m| AnalyzeError::Fatal(m.clone()))
    }

    /// POSTs `body` (serialized JSON) and returns the parsed JSON of a 2xx answer,
    /// retrying as needed.
    pub async fn post(&self, body: &[u8]) -> Result<Value, AnalyzeError> {
        let name = self.provider.as_str();
        let on_retry = |reason: &Transient, delay: Duration| {
            self.counters.retries.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(provider = name, %reason, ?delay, "retrying LLM request");
        };
        self.retry
            .run(|| self.attempt(body), on_retry)
            .await
            .map_err(|stopped| self.error(stopped))
    }

    /// The error a request that did not succeed becomes; fatal ones are remembered.
    fn error(&self, stopped: Stopped<Final>) -> AnalyzeError {
        let name = self.provider.as_str();
        match stopped {
            Stopped::Failed(Final::Ticket(m)) => AnalyzeError::Ticket(m),
            Stopped::Failed(Final::Fatal(m)) => {
                AnalyzeError::Fatal(self.fatal.get_or_init(|| m).clone())
            }
            // No connection at all, even after the retries: no other ticket will
            // fare better.
            Stopped::GaveUp {
                last:
                    last @ Transient::Transport {
                        kind: TransportKind::Connect,
                        ..
                    },
                retries,
            } => AnalyzeError::Fatal(
                self.fatal
                    .get_or_init(|| self.unreachable(&last, retries))
                    .clone(),
            ),
            Stopped::GaveUp { last, retries } => {
                AnalyzeError::Ticket(format!("{name}: giving up after {retries} retries: {last}"))
            }
            Stopped::Interrupted => AnalyzeError::Ticket(format!("{name}: interrupted")),
        }
    }

    async fn attempt(&self, body: &[u8]) -> Result<Value, Failure<Final>> {
        let name = self.provider.as_str();
        let admitted = self
            .gate
            .admit(estimated_tokens(body), self.retry.interrupt());
        let Ok(sent) = admitted.await else {
            return Err(Failure::Final(Final::Ticket(format!(
                "{name}: interrupted"
            ))));
        };
        if let Some(m) = self.fatal.get() {
            return Err(Failure::Final(Final::Fatal(m.clone())));
        }
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let response = self
            .client
            .post(self.url.clone())
            .headers(self.headers.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| self.transport_failure(&e))?;
        let status = response.status();
        let headers = response.headers().clone();
        self.note_rate_limit(&headers, sent);
        let text = response
            .text()
            .await
            .map_err(|e| self.transport_failure(&e))?;
        if status.is_success() {
            return serde_json::from_str(&text).map_err(|e| {
                Failure::Final(Final::Ticket(format!(
                    "{name}: the response is not valid JSON: {e}"
                )))
            });
        }
        Err(self.classify(status, &headers, &text))
    }

    /// Timeouts and connection trouble are worth another try; a failed TLS handshake
    /// and anything else reqwest reports (a redirect loop) are not.
    fn transport_failure(&self, e: &reqwest::Error) -> Failure<Final> {
        // The URL in reqwest's message is redacted; scrubbing covers a key someone
        // pasted into the base URL's path.
        match Transient::transport(e, |text| self.scrub(text)) {
            // Every ticket meets the same certificate.
            Transient::Transport {
                kind: TransportKind::Tls,
                detail,
            } => Failure::Final(Final::Fatal(format!(
                "{}: {}",
                self.provider.as_str(),
                tls_advice(&host_and_port(&self.url), &detail, "[analyze] ca_file")
            ))),
            Transient::Transport {
                kind: TransportKind::Other,
                detail,
            } => Failure::Final(Final::Ticket(format!(
                "{}: {detail}",
                self.provider.as_str()
            ))),
            transient => Failure::Transient(transient),
        }
    }

    fn classify(&self, status: StatusCode, headers: &HeaderMap, body: &str) -> Failure<Final> {
        let name = self.provider.as_str();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            let hint = if self.api_key.is_some() {
                "the API key was rejected"
            } else {
                "the request was rejected and no API key is configured"
            };
            return Failure::Final(Final::Fatal(format!(
                "{name}: {hint} (HTTP {})",
                status.as_u16()
            )));
        }
        let info = ErrorInfo::parse(body);
        if matches!(status.as_u16(), 404 | 405 | 501) {
            return Failure::Final(Final::Fatal(self.wrong_endpoint(status, &info)));
        }
        let message = self.scrub(if info.message.is_empty() {
            body
        } else {
            &info.message
        });
        let quota = match self.provider {
            Provider::OpenAi => openai::is_quota_error(status, &info),
            Provider::Anthropic => anthropic::is_billing_error(status, &info),
        };
        if quota {
            return Failure::Final(Final::Fatal(format!(
                "{name}: the account is out of quota or credit (HTTP {}): {message}",
                status.as_u16()
            )));
        }
        if status == StatusCode::BAD_REQUEST && is_setting_error(&info) {
            // Every ticket would get the same answer: a setting (temperature,
            // json_mode...) this model does not support.
            return Failure::Final(Final::Fatal(format!(
                "{name}: {} rejected the request for model \"{}\" (HTTP 400): {message}; \
                 check the [analyze] settings",
                self.shown_url, self.model
            )));
        }
        match status.as_u16() {
            408 | 429 | 500 | 502 | 503 | 504 | 529 => Failure::Transient(Transient::Status {
                status,
                wait: retry_after(headers).map(|wait| wait.min(MAX_WAIT)),
                message,
            }),
            code => Failure::Final(Final::Ticket(format!("{name}: HTTP {code}: {message}"))),
        }
    }

    /// Hands what the answer says about the provider's windows to the gate.
    fn note_rate_limit(&self, headers: &HeaderMap, sent: Sent) {
        let limits = match self.provider {
            Provider::OpenAi => openai::rate_limits(headers),
            Provider::Anthropic => anthropic::rate_limits(headers),
        };
        self.gate.note(limits, sent);
    }

    /// The message for a 404 (or a 405/501: the URL takes no POST): the same for
    /// every ticket, so it stops the run. Both a model the server does not have
    /// (OpenAI `model_not_found`, Ollama before `ollama pull`, Anthropic
    /// `not_found_error`) and a base URL that is not an API of this dialect end up here.
    fn wrong_endpoint(&self, status: StatusCode, info: &ErrorInfo) -> String {
        let said = if info.message.is_empty() {
            " and no API error message (is base_url the server's API root?)".to_string()
        } else {
            format!(": {}", self.scrub(&info.message))
        };
        format!(
            "{}: POST {} answered HTTP {} for model \"{}\"{said}; check [analyze] model and \
             base_url",
            self.provider.as_str(),
            self.shown_url,
            status.as_u16(),
            self.model
        )
    }

    /// The message when the server could not be reached even after the retries.
    fn unreachable(&self, last: &Transient, retries: u32) -> String {
        format!(
            "{}: cannot reach the model server at {} (gave up after {retries} retries): {last}",
            self.provider.as_str(),
            self.shown_url
        )
    }

    /// A provider message fit for an error cell and a one-line log: without the key,
    /// on one line, and short.
    fn scrub(&self, message: &str) -> String {
        let mut m = message.split_whitespace().collect::<Vec<_>>().join(" ");
        if let Some(key) = self.api_key.as_deref().filter(|k| !k.is_empty()) {
            m = m.replace(key, "[redacted]");
        }
        if m.chars().count() > MAX_MESSAGE_CHARS {
            m = m.chars().take(MAX_MESSAGE_CHARS).collect::<String>() + "...";
        }
        m
    }
}

/// A request's tokens as estimated from its length: about four bytes a token.
fn estimated_tokens(body: &[u8]) -> u64 {
    (body.len() as u64).div_ceil(4)
}

/// `host` or `host:port` of `url`, for messages.
fn host_and_port(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// A 400 about a parameter or value the model does not support (OpenAI's codes for,
/// say, `temperature = 0` on a reasoning model), as opposed to one about the ticket
/// (such as `context_length_exceeded`).
fn is_setting_error(info: &ErrorInfo) -> bool {
    matches!(
        info.code.as_str(),
        "unsupported_parameter" | "unsupported_value"
    )
}
