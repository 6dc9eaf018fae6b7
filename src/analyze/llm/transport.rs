//! Sending one provider request: retries, rate-limit pauses, error classification
//! and the usage counters.
//!
//! Retries (backon, exponential with jitter, at most `max_retries`) cover what a
//! later attempt can fix: 408/429/500/502/503/504/529, timeouts and connection
//! errors (a server still unreachable after the last retry stops the run). A
//! `retry-after-ms` / `retry-after` header replaces the computed delay. When
//! a response says no requests remain in the window, every worker pauses until the
//! window resets instead of burning attempts on certain 429s.
//!
//! Answers that every ticket would get alike are fatal and stop the run: a rejected
//! key (401/403), an exhausted quota or credit, a 404 (a model the server does not
//! have, or a base URL that is not this dialect's API; the message names the URL and
//! the model; 405 and 501 alike), and a 400 about an unsupported parameter or value. The first such
//! answer is remembered and every later call fails fast with the same message, so 64
//! workers do not each hammer the provider on their way out. The API key never
//! appears in an error or log line: provider messages are scrubbed of it, and 401/403
//! bodies are not quoted at all (OpenAI echoes part of the key there).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use reqwest::header::{HeaderMap, CONTENT_TYPE};
use reqwest::StatusCode;
use serde_json::Value;

use super::{anthropic, openai, Provider};
use crate::analyze::AnalyzeError;

/// The first exponential delay; later ones double, with jitter, up to [`MAX_DELAY`].
const MIN_DELAY: Duration = Duration::from_millis(500);
const MAX_DELAY: Duration = Duration::from_secs(30);
/// Caps server-requested waits (retry-after, rate-limit resets): a daily quota reset
/// hours away should surface as errors, not as a silently frozen run.
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

/// What went wrong with one attempt, and so what to do next.
#[derive(Debug)]
enum Failure {
    Retry {
        reason: String,
        after: Option<Duration>,
        /// No connection could be made: once retries run out, no other ticket
        /// will fare better.
        unreachable: bool,
    },
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
    url: String,
    /// `url` without any user info, for messages.
    shown_url: String,
    headers: HeaderMap,
    /// Only for scrubbing it out of provider messages.
    api_key: Option<String>,
    /// For messages about a model the server does not know.
    model: String,
    max_retries: u32,
    paused_until: Mutex<Option<Instant>>,
    fatal: OnceLock<String>,
    pub counters: Counters,
}

impl Transport {
    pub fn new(
        client: reqwest::Client,
        provider: Provider,
        url: String,
        headers: HeaderMap,
        api_key: Option<String>,
        model: &str,
        max_retries: u32,
    ) -> Self {
        let shown_url = match reqwest::Url::parse(&url) {
            Ok(mut u) => {
                let _ = u.set_username("");
                let _ = u.set_password(None);
                u.to_string()
            }
            Err(_) => url.clone(),
        };
        Transport {
            client,
            provider,
            url,
            shown_url,
            headers,
            api_key,
            model: model.to_string(),
            max_retries,
            paused_until: Mutex::new(None),
            fatal: OnceLock::new(),
            counters: Counters::default(),
        }
    }

    /// The fatal error already seen, if any.
    pub fn fatal(&self) -> Option<AnalyzeError> {
        self.fatal.get().map(|m| AnalyzeError::Fatal(m.clone()))
    }

    /// POSTs `body` (serialized JSON) and returns the parsed JSON of a 2xx answer,
    /// retrying as needed.
    pub async fn post(&self, body: &[u8]) -> Result<Value, AnalyzeError> {
        let policy = ExponentialBuilder::default()
            .with_min_delay(MIN_DELAY)
            .with_max_delay(MAX_DELAY)
            .with_max_times(self.max_retries as usize)
            .with_jitter();
        let result = (|| self.attempt(body))
            .retry(policy)
            .when(|f| matches!(f, Failure::Retry { .. }))
            .adjust(|f, delay| match f {
                Failure::Retry { after: Some(a), .. } => delay.map(|_| *a),
                _ => delay,
            })
            .notify(|f, delay| {
                self.counters.retries.fetch_add(1, Ordering::Relaxed);
                if let Failure::Retry { reason, .. } = f {
                    tracing::debug!(provider = self.provider.as_str(), %reason, ?delay, "retrying LLM request");
                }
            })
            .await;
        result.map_err(|f| match f {
            Failure::Retry {
                reason,
                unreachable: true,
                ..
            } => AnalyzeError::Fatal(self.fatal.get_or_init(|| self.unreachable(&reason)).clone()),
            Failure::Retry { reason, .. } => AnalyzeError::Ticket(format!(
                "{}: giving up after {} retries: {reason}",
                self.provider.as_str(),
                self.max_retries
            )),
            Failure::Ticket(m) => AnalyzeError::Ticket(m),
            Failure::Fatal(m) => AnalyzeError::Fatal(self.fatal.get_or_init(|| m).clone()),
        })
    }

    async fn attempt(&self, body: &[u8]) -> Result<Value, Failure> {
        self.wait_for_window().await;
        if let Some(m) = self.fatal.get() {
            return Err(Failure::Fatal(m.clone()));
        }
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let name = self.provider.as_str();
        let response = self
            .client
            .post(&self.url)
            .headers(self.headers.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| self.transport_failure(&e))?;
        let status = response.status();
        let headers = response.headers().clone();
        self.note_rate_limit(&headers);
        let text = response
            .text()
            .await
            .map_err(|e| self.transport_failure(&e))?;
        if status.is_success() {
            return serde_json::from_str(&text).map_err(|e| {
                Failure::Ticket(format!("{name}: the response is not valid JSON: {e}"))
            });
        }
        Err(self.classify(status, &headers, &text))
    }

    /// Timeouts and connection trouble are worth another try; anything else reqwest
    /// reports (a malformed URL, a redirect loop) is not.
    fn transport_failure(&self, e: &reqwest::Error) -> Failure {
        // reqwest's message names the URL, never headers; scrubbing covers a key
        // someone pasted into the base URL.
        let reason = self.scrub(&format!("{}: {}", self.provider.as_str(), error_chain(e)));
        if e.is_timeout() || e.is_connect() || e.is_request() || e.is_body() || e.is_decode() {
            Failure::Retry {
                reason,
                after: None,
                unreachable: e.is_connect(),
            }
        } else {
            Failure::Ticket(reason)
        }
    }

    fn classify(&self, status: StatusCode, headers: &HeaderMap, body: &str) -> Failure {
        let name = self.provider.as_str();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            let hint = if self.api_key.is_some() {
                "the API key was rejected"
            } else {
                "the request was rejected and no API key is configured"
            };
            return Failure::Fatal(format!("{name}: {hint} (HTTP {})", status.as_u16()));
        }
        let info = ErrorInfo::parse(body);
        if matches!(status.as_u16(), 404 | 405 | 501) {
            return Failure::Fatal(self.wrong_endpoint(status, &info));
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
            return Failure::Fatal(format!(
                "{name}: the account is out of quota or credit (HTTP {}): {message}",
                status.as_u16()
            ));
        }
        if status == StatusCode::BAD_REQUEST && is_setting_error(&info) {
            // Every ticket would get the same answer: a setting (temperature,
            // json_mode...) this model does not support.
            return Failure::Fatal(format!(
                "{name}: {} rejected the request for model \"{}\" (HTTP 400): {message}; \
                 check the [analyze] settings",
                self.shown_url, self.model
            ));
        }
        let reason = format!("{name}: HTTP {}: {message}", status.as_u16());
        match status.as_u16() {
            408 | 429 | 500 | 502 | 503 | 504 | 529 => Failure::Retry {
                reason,
                after: retry_after(headers),
                unreachable: false,
            },
            _ => Failure::Ticket(reason),
        }
    }

    /// Starts a pause for every worker when the provider says the request window is
    /// used up.
    fn note_rate_limit(&self, headers: &HeaderMap) {
        let reset = match self.provider {
            Provider::OpenAi => openai::window_reset(headers),
            Provider::Anthropic => anthropic::window_reset(headers),
        };
        if let Some(wait) = reset {
            let until = Instant::now() + wait.min(MAX_WAIT);
            let mut paused = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
            if paused.is_none_or(|p| p < until) {
                tracing::debug!(
                    provider = self.provider.as_str(),
                    ?wait,
                    "request window exhausted, pausing"
                );
                *paused = Some(until);
            }
        }
    }

    async fn wait_for_window(&self) {
        let until = *self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(until) = until {
            tokio::time::sleep_until(until.into()).await;
        }
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
    fn unreachable(&self, reason: &str) -> String {
        let name = self.provider.as_str();
        let reason = reason.strip_prefix(&format!("{name}: ")).unwrap_or(reason);
        format!(
            "{name}: cannot reach the model server at {} (gave up after {} retries): {reason}",
            self.shown_url, self.max_retries
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

/// A 400 about a parameter or value the model does not support (OpenAI's codes for,
/// say, `temperature = 0` on a reasoning model), as opposed to one about the ticket
/// (such as `context_length_exceeded`).
fn is_setting_error(info: &ErrorInfo) -> bool {
    matches!(
        info.code.as_str(),
        "unsupported_parameter" | "unsupported_value"
    )
}

/// `retry-after-ms` (OpenAI) or `retry-after` in seconds, capped at [`MAX_WAIT`].
/// The HTTP-date form is not used by either provider and falls back to backoff.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let number = |name: &str| {
        headers
            .get(name)?
            .to_str()
            .ok()?
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && *x >= 0.0)
    };
    let wait = number("retry-after-ms")
        .map(|ms| ms / 1000.0)
        .or_else(|| number("retry-after"))?;
    Some(Duration::from_secs_f64(wait).min(MAX_WAIT))
}

/// reqwest's top-level message is often just "error sending request"; the cause
/// (connection refused, timed out) is what an operator needs.
fn error_chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
