//! Sending one provider request: retries, rate-limit pauses, error classification
//! and the usage counters.
//!
//! Retries (backon, exponential with jitter, at most `max_retries`) cover what a
//! later attempt can fix: 408/429/500/502/503/504/529, timeouts and connection
//! errors. A `retry-after-ms` / `retry-after` header replaces the computed delay. When
//! a response says no requests remain in the window, every worker pauses until the
//! window resets instead of burning attempts on certain 429s.
//!
//! A rejected key or exhausted quota is fatal: the first such answer is remembered and
//! every later call fails fast with the same message, so 64 workers do not each
//! hammer the provider on their way out. The API key never appears in an error or log
//! line: provider messages are scrubbed of it, and 401/403 bodies are not quoted at
//! all (OpenAI echoes part of the key there).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use reqwest::header::HeaderMap;
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
        let message = match e {
            Value::String(s) => s.clone(),
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
    headers: HeaderMap,
    /// Only for scrubbing it out of provider messages.
    api_key: Option<String>,
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
        max_retries: u32,
    ) -> Self {
        Transport {
            client,
            provider,
            url,
            headers,
            api_key,
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

    /// POSTs `body` and returns the parsed JSON of a 2xx answer, retrying as needed.
    pub async fn post(&self, body: &Value) -> Result<Value, AnalyzeError> {
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
            Failure::Retry { reason, .. } => AnalyzeError::Ticket(format!(
                "{}: giving up after {} retries: {reason}",
                self.provider.as_str(),
                self.max_retries
            )),
            Failure::Ticket(m) => AnalyzeError::Ticket(m),
            Failure::Fatal(m) => AnalyzeError::Fatal(self.fatal.get_or_init(|| m).clone()),
        })
    }

    async fn attempt(&self, body: &Value) -> Result<Value, Failure> {
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
            .json(body)
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
        let reason = format!("{name}: HTTP {}: {message}", status.as_u16());
        match status.as_u16() {
            408 | 429 | 500 | 502 | 503 | 504 | 529 => Failure::Retry {
                reason,
                after: retry_after(headers),
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

    /// A provider message fit for an error cell: without the key, and short.
    fn scrub(&self, message: &str) -> String {
        let mut m = message.trim().to_string();
        if let Some(key) = self.api_key.as_deref().filter(|k| !k.is_empty()) {
            m = m.replace(key, "[redacted]");
        }
        if m.chars().count() > MAX_MESSAGE_CHARS {
            m = m.chars().take(MAX_MESSAGE_CHARS).collect::<String>() + "...";
        }
        m
    }
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
