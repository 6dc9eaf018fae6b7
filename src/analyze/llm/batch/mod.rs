//! The providers' batch APIs (`[analyze] batch = true`): the same requests as the
//! per-ticket path, sent many at a time, answered within 24 hours at half the price.
//!
//! - OpenAI ([`openai`]): the requests go as a JSONL file to `POST /v1/files`
//!   (multipart, `purpose=batch`), then `POST /v1/batches` with that
//!   `input_file_id`, `endpoint = "/v1/chat/completions"` and
//!   `completion_window = "24h"`; `GET /v1/batches/{id}` is polled (`status`,
//!   `request_counts`), and the answers are read from
//!   `GET /v1/files/{output_file_id}/content` and `.../{error_file_id}/content`, one
//!   line per request with its `custom_id`. Limits (the Batch API reference,
//!   `input_file_id`): at most 50,000 requests and 200 MB per input file.
//! - Anthropic ([`anthropic`]): `POST /v1/messages/batches` with
//!   `requests: [{custom_id, params}]`, `GET /v1/messages/batches/{id}` polled
//!   (`processing_status`, `request_counts`), then the JSONL at `results_url`, whose
//!   lines carry `result.type` `succeeded`, `errored`, `canceled` or `expired`.
//!   Limits (the Message Batches guide): 100,000 requests or 256 MB per batch, while
//!   the API reference of `POST /v1/messages/batches` caps `requests` at 10,000
//!   elements; the lower figure is used.
//!
//! [`chunks`] splits a run's requests into batches within those limits (with room
//! to spare for the JSON around each line). Each line is built like the synchronous
//! request ([`LlmAnalyzer::batch_request`]: same prompt, PII masking, schema), and
//! each answer is read and validated like a synchronous one
//! ([`LlmAnalyzer::batch_answer`]); there is no repair round trip, so an invalid
//! answer is an error row for its ticket. Tokens are counted at the batch price
//! ([`crate::analyze::Price::batch_cost_usd`]).
//!
//! Any HTTP failure of these calls (after the shared retries of 429, 5xx and timeouts)
//! is the same for every ticket and stops the run; what was submitted is in the
//! cache by then, so the next run collects it. The one exception is HTTP 404 when
//! polling a batch or reading its results ([`BatchError::Unknown`]): the provider
//! no longer knows the batch, and the caller submits its tickets again.

mod anthropic;
mod openai;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::{HeaderMap, CONTENT_TYPE};
use reqwest::{Method, StatusCode, Url};
use serde_json::{json, Value};

use super::{language, prompt, LlmAnalyzer, Provider, Template};
use crate::analyze::AnalysisInput;
use crate::http::{describe, retry_after, BaseUrl, Failure, RetryPolicy, Stopped, Transient};
use crate::model::Analysis;

/// The most requests one batch takes, per provider (see the module doc).
const OPENAI_MAX_REQUESTS: usize = 50_000;
const ANTHROPIC_MAX_REQUESTS: usize = 10_000;
/// The most bytes of request lines one batch takes: 200 MB (OpenAI) and 256 MB
/// (Anthropic), less a margin for the envelope around the lines.
const OPENAI_MAX_BYTES: usize = 190_000_000;
const ANTHROPIC_MAX_BYTES: usize = 240_000_000;
/// The first pause between two polls of a batch; later ones double up to the cap.
const FIRST_POLL: Duration = Duration::from_millis(250);
const MAX_POLL: Duration = Duration::from_secs(60);

/// Why a call about a submitted batch failed.
#[derive(Debug)]
pub enum BatchError {
    /// The provider answered HTTP 404: it no longer knows the batch or its results.
    Unknown(String),
    /// Anything else; the same for every ticket.
    Failed(String),
}

impl From<String> for BatchError {
    fn from(message: String) -> Self {
        BatchError::Failed(message)
    }
}

impl From<BatchError> for String {
    fn from(e: BatchError) -> Self {
        match e {
            BatchError::Unknown(m) | BatchError::Failed(m) => m,
        }
    }
}

/// One ticket's request as a batch line carries it.
pub struct BatchRequest {
    pub custom_id: String,
    /// The user turn; the fixed parts are added when the batch is sent.
    pub user: String,
    /// The language detected on the text sent, set on the analysis like the
    /// synchronous path does.
    pub language: &'static str,
}

/// The limits one batch must stay within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_requests: usize,
    pub max_bytes: usize,
}

/// Splits `sizes` (each request line's bytes) into runs of consecutive indices that
/// fit `limits`; returns each run's length. A single line over the byte limit still
/// gets a batch of its own (the provider then rejects that one).
pub fn chunks(sizes: &[usize], limits: Limits) -> Vec<usize> {
    let mut out = Vec::new();
    let (mut count, mut bytes) = (0usize, 0usize);
    for &size in sizes {
        if count > 0 && (count == limits.max_requests || bytes + size > limits.max_bytes) {
            out.push(count);
            (count, bytes) = (0, 0);
        }
        count += 1;
        bytes += size;
    }
    if count > 0 {
        out.push(count);
    }
    out
}

/// Where a batch is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchState {
    /// Still being worked on.
    Running,
    /// Done (completed, expired, cancelled): its results can be read.
    Ended,
    /// The provider gave up on the whole batch (say, its input failed validation).
    Failed(String),
}

/// A poll's answer: the state and the counts the progress line shows.
#[derive(Debug, Clone)]
pub struct BatchStatus {
    pub state: BatchState,
    pub done: u64,
    pub failed: u64,
    pub total: u64,
    /// Where the results are: OpenAI's output and error file ids, Anthropic's
    /// `results_url`.
    results: Vec<String>,
    /// Whether the provider says the batch expired (requests without a line then
    /// expired too).
    pub expired: bool,
}

/// What became of one request.
#[derive(Debug, Clone, PartialEq)]
pub enum LineResult {
    /// A 2xx response body, in the synchronous endpoint's shape.
    Answer(Value),
    /// The request failed; why.
    Failed(String),
    /// The batch ended before this request was processed.
    Expired,
}

/// Counters behind the batch part of `LlmAnalyzer::usage`.
#[derive(Debug, Default)]
pub(super) struct BatchCounters {
    pub requests: AtomicU64,
    pub input_tokens: AtomicU64,
    pub output_tokens: AtomicU64,
}

/// The HTTP side of the batch APIs of one provider.
pub struct BatchClient {
    client: reqwest::Client,
    provider: Provider,
    base: BaseUrl,
    headers: HeaderMap,
    api_key: Option<String>,
    retry: RetryPolicy,
}

impl LlmAnalyzer {
    /// The batch client, on the same endpoint, key, CAs and proxy as the analyzer.
    pub fn batch_client(&self) -> Result<BatchClient, String> {
        let cfg = &self.cfg;
        let key = cfg.api_key.as_deref().filter(|k| !k.trim().is_empty());
        let headers = match cfg.provider {
            Provider::OpenAi => super::openai::headers(key),
            Provider::Anthropic => super::anthropic::headers(key),
        }
        .map_err(|e| e.to_string())?;
        let client = cfg
            .network
            .client_builder()
            .map_err(|e| e.to_string())?
            .timeout(cfg.settings.timeout.max(Duration::from_secs(300)))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {}", describe(&e)))?;
        let base = BaseUrl::parse(&cfg.base_url).map_err(|e| e.to_string())?;
        Ok(BatchClient {
            client,
            provider: cfg.provider,
            base,
            headers,
            api_key: key.map(str::to_string),
            retry: RetryPolicy::new(cfg.settings.max_retries, Duration::from_millis(500)),
        })
    }

    /// The runtime the batch calls are driven on (the analyzer's own).
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        &self.rt
    }

    /// How long a run waits for its batches (`batch_wait`).
    pub fn batch_wait(&self) -> Duration {
        self.cfg.settings.batch_wait
    }

    /// Ticket `input`'s request: the synchronous path's prompt and masking.
    pub fn batch_request(&self, input: &AnalysisInput<'_>) -> BatchRequest {
        let text = format!("{}\n{}", input.subject, input.body);
        let language = language::detect(&text);
        let user = prompt::user_message(
            input,
            self.cfg.max_input_chars,
            self.cfg.settings.redact_pii,
            language,
        );
        BatchRequest {
            custom_id: format!("ticket-{}", input.ticket_id),
            user,
            language,
        }
    }

    /// The request body of one line: the synchronous endpoint's body.
    fn batch_body(&self, user: &str) -> Value {
        let turns = [json!({"role": "user", "content": user})];
        let bytes = match &self.template {
            Template::OpenAi(t) => t.body(&turns),
            Template::Anthropic(t) => t.body(&turns),
        };
        serde_json::from_slice(&bytes).expect("a request body is JSON")
    }

    /// Reads one answered line like a synchronous reply: tokens (at the batch price),
    /// refusals and truncation, then the shared validation (no repair round trip).
    pub fn batch_answer(&self, body: &Value, language: &str) -> Result<Analysis, String> {
        let max = self.cfg.settings.max_output_tokens;
        let reply = match self.cfg.provider {
            Provider::OpenAi => super::openai::read_reply(body, max),
            Provider::Anthropic => super::anthropic::read_reply(body, max),
        };
        let c = &self.batch_counters;
        c.input_tokens
            .fetch_add(reply.input_tokens, Ordering::Relaxed);
        c.output_tokens
            .fetch_add(reply.output_tokens, Ordering::Relaxed);
        let answer = reply.outcome?;
        let (mut analysis, coerced) = answer
            .json
            .and_then(|v| prompt::validate(&v, &self.cfg.taxonomy))
            .map_err(|e| {
                format!(
                    "{}: invalid answer in the batch (no repair round trip in batch mode): {e}",
                    self.cfg.provider.as_str()
                )
            })?;
        if coerced {
            self.coerced_labels.fetch_add(1, Ordering::Relaxed);
        }
        analysis.language = language.to_string();
        Ok(analysis)
    }

    /// The request lines of `requests`, each with its size, in the provider's
    /// format (for [`chunks`] and [`BatchClient::submit`]).
    pub fn batch_lines(&self, requests: &[&BatchRequest]) -> Vec<Vec<u8>> {
        requests
            .iter()
            .map(|r| {
                let body = self.batch_body(&r.user);
                let line = match self.cfg.provider {
                    Provider::OpenAi => openai::line(&r.custom_id, body),
                    Provider::Anthropic => anthropic::line(&r.custom_id, body),
                };
                serde_json::to_vec(&line).expect("a batch line serializes")
            })
            .collect()
    }

    /// The limits of one batch of this provider.
    pub fn batch_limits(&self) -> Limits {
        match self.cfg.provider {
            Provider::OpenAi => Limits {
                max_requests: OPENAI_MAX_REQUESTS,
                max_bytes: OPENAI_MAX_BYTES,
            },
            Provider::Anthropic => Limits {
                max_requests: ANTHROPIC_MAX_REQUESTS,
                max_bytes: ANTHROPIC_MAX_BYTES,
            },
        }
    }

    /// Counts submitted batch requests for the run summary.
    pub fn count_batch_requests(&self, n: u64) {
        self.batch_counters.requests.fetch_add(n, Ordering::Relaxed);
    }
}

impl BatchClient {
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// Submits one batch of request `lines`; returns the provider's batch id.
    pub async fn submit(&self, lines: &[Vec<u8>]) -> Result<String, String> {
        match self.provider {
            Provider::OpenAi => openai::submit(self, lines).await,
            Provider::Anthropic => anthropic::submit(self, lines).await,
        }
    }

    /// Where batch `id` is.
    pub async fn status(&self, id: &str) -> Result<BatchStatus, BatchError> {
        match self.provider {
            Provider::OpenAi => openai::status(self, id).await,
            Provider::Anthropic => anthropic::status(self, id).await,
        }
    }

    /// The result of each request of an ended batch, by `custom_id`.
    pub async fn results(
        &self,
        status: &BatchStatus,
    ) -> Result<Vec<(String, LineResult)>, BatchError> {
        let mut out = Vec::new();
        for location in &status.results {
            let text = match self.provider {
                Provider::OpenAi => {
                    let path = format!("v1/files/{location}/content");
                    self.call(Method::GET, self.base.endpoint(&path), None)
                        .await?
                }
                Provider::Anthropic => {
                    let url = Url::parse(location)
                        .map_err(|e| format!("anthropic: bad results_url: {e}"))?;
                    self.call(Method::GET, url, None).await?
                }
            };
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let v: Value = serde_json::from_str(line)
                    .map_err(|e| format!("{}: a result line is not JSON: {e}", self.name()))?;
                let custom_id = v["custom_id"].as_str().unwrap_or_default().to_string();
                let result = match self.provider {
                    Provider::OpenAi => openai::line_result(&v),
                    Provider::Anthropic => anthropic::line_result(&v),
                };
                out.push((custom_id, result));
            }
        }
        Ok(out)
    }

    fn name(&self) -> &'static str {
        self.provider.as_str()
    }

    /// JSON `body` to `path` under the base URL, parsed.
    async fn json(
        &self,
        method: Method,
        path: &str,
        body: Option<Body>,
    ) -> Result<Value, BatchError> {
        let text = self.call(method, self.base.endpoint(path), body).await?;
        serde_json::from_str(&text)
            .map_err(|e| format!("{}: {path}: the response is not JSON: {e}", self.name()).into())
    }

    /// One call with the shared retries; the text of a 2xx answer.
    async fn call(
        &self,
        method: Method,
        url: Url,
        body: Option<Body>,
    ) -> Result<String, BatchError> {
        let on_retry = |reason: &Transient, delay: Duration| {
            tracing::debug!(provider = self.name(), %reason, ?delay, "retrying batch request");
        };
        let attempt = || self.attempt(method.clone(), url.clone(), body.as_ref());
        self.retry
            .run(attempt, on_retry)
            .await
            .map_err(|stopped| match stopped {
                Stopped::Failed(e) => e,
                Stopped::GaveUp { last, retries } => BatchError::Failed(format!(
                    "{}: giving up after {retries} retries: {last}",
                    self.name()
                )),
                Stopped::Interrupted => BatchError::Failed(format!("{}: interrupted", self.name())),
            })
    }

    async fn attempt(
        &self,
        method: Method,
        url: Url,
        body: Option<&Body>,
    ) -> Result<String, Failure<BatchError>> {
        let mut request = self
            .client
            .request(method.clone(), url.clone())
            .headers(self.headers.clone());
        if let Some(b) = body {
            request = request
                .header(CONTENT_TYPE, b.content_type.clone())
                .body(b.bytes.clone());
        }
        let response = request
            .send()
            .await
            .map_err(|e| Failure::Transient(Transient::transport(&e, |t| self.scrub(t))))?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response
            .text()
            .await
            .map_err(|e| Failure::Transient(Transient::transport(&e, |t| self.scrub(t))))?;
        if status.is_success() {
            return Ok(text);
        }
        let message = self.scrub(&text);
        if matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504 | 529) {
            return Err(Failure::Transient(Transient::Status {
                status,
                wait: retry_after(&headers),
                message,
            }));
        }
        let refused = self.refused(&method, &url, status, &message);
        Err(Failure::Final(if status == StatusCode::NOT_FOUND {
            BatchError::Unknown(refused)
        } else {
            BatchError::Failed(refused)
        }))
    }

    fn refused(&self, method: &Method, url: &Url, status: StatusCode, message: &str) -> String {
        let said = if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            "the API key was rejected".to_string()
        } else {
            message.to_string()
        };
        format!(
            "{}: {method} {} answered HTTP {}: {said}",
            self.name(),
            crate::http::redacted(url),
            status.as_u16()
        )
    }

    /// A provider message fit for one log line: without the key, short.
    fn scrub(&self, message: &str) -> String {
        let mut m = message.split_whitespace().collect::<Vec<_>>().join(" ");
        if let Some(key) = self.api_key.as_deref() {
            m = m.replace(key, "[redacted]");
        }
        if m.chars().count() > 300 {
            m = m.chars().take(300).collect::<String>() + "...";
        }
        m
    }
}

/// A request body and its content type.
struct Body {
    content_type: String,
    bytes: Vec<u8>,
}

impl Body {
    fn json(value: &Value) -> Body {
        Body {
            content_type: "application/json".into(),
            bytes: serde_json::to_vec(value).expect("JSON serializes"),
        }
    }
}

/// The pause before the next poll: doubling from [`FIRST_POLL`] up to [`MAX_POLL`].
pub fn next_poll(previous: Option<Duration>) -> Duration {
    previous.map_or(FIRST_POLL, |p| (p * 2).min(MAX_POLL))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_respect_both_limits() {
        let limits = Limits {
            max_requests: 3,
            max_bytes: 100,
        };
        assert_eq!(chunks(&[10; 7], limits), vec![3, 3, 1]);
        assert_eq!(chunks(&[60, 30, 20, 90], limits), vec![2, 1, 1]);
        assert_eq!(chunks(&[150, 10], limits), vec![1, 1]);
        assert!(chunks(&[], limits).is_empty());
    }

    #[test]
    fn polls_back_off_to_a_minute() {
        let mut p = None;
        for _ in 0..20 {
            p = Some(next_poll(p));
        }
        assert_eq!(p, Some(MAX_POLL));
        assert_eq!(next_poll(None), FIRST_POLL);
    }
}
