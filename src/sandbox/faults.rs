//! The sandbox's misbehaviour and bookkeeping, applied to every API request by one
//! middleware: request counting and logging, simulated latency, authentication, the
//! per-minute rate limit (429 + `Retry-After`), injected faults, and the rate-limit
//! headers that every Zendesk response carries.
//!
//! The knobs are atomics so tests can turn them while the server runs.

use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{
    HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER,
    WWW_AUTHENTICATE,
};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::encode::base64_decode;
use super::prng::{hash3, stream};
use super::{Credentials, SandboxState};

/// The limit advertised in `X-Rate-Limit` when none is enforced: high enough that a
/// client pacing itself by the headers never slows down a benchmark.
const UNLIMITED: u64 = 1_000_000;
const NO_LIMIT: u64 = u64::MAX;
/// How many request records are kept.
const LOG_CAPACITY: usize = 100_000;

/// A kind of injected failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// 500 with a JSON error body.
    InternalError,
    /// 502 with an HTML body, as a proxy in front of Zendesk sends it.
    BadGateway,
    /// 503 with a JSON error body.
    Unavailable,
    /// The connection is closed without a complete response.
    DroppedConnection,
    /// 200 whose JSON body is cut in half.
    TruncatedBody,
}

const FAULTS: [Fault; 5] = [
    Fault::InternalError,
    Fault::BadGateway,
    Fault::Unavailable,
    Fault::DroppedConnection,
    Fault::TruncatedBody,
];

/// One API request as the sandbox saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestRecord {
    /// Milliseconds since the sandbox started (when the request arrived).
    pub elapsed_ms: u64,
    pub method: String,
    pub path_and_query: String,
    /// The status sent; 0 when the connection was dropped instead.
    pub status: u16,
    pub fault: Option<Fault>,
}

/// Runtime-adjustable behaviour.
#[derive(Debug)]
pub struct Knobs {
    fault_rate: AtomicU64,
    latency_ms: AtomicU64,
    rate_limit: AtomicU64,
    draws: AtomicU64,
}

impl Knobs {
    pub fn new(fault_rate: f64, latency_ms: u64, rate_limit: Option<u32>) -> Knobs {
        let knobs = Knobs {
            fault_rate: AtomicU64::new(0),
            latency_ms: AtomicU64::new(latency_ms),
            rate_limit: AtomicU64::new(NO_LIMIT),
            draws: AtomicU64::new(0),
        };
        knobs.set_fault_rate(fault_rate);
        knobs.set_rate_limit(rate_limit);
        knobs
    }

    pub fn set_fault_rate(&self, rate: f64) {
        let rate = if rate.is_nan() {
            0.0
        } else {
            rate.clamp(0.0, 1.0)
        };
        self.fault_rate.store(rate.to_bits(), Ordering::Relaxed);
    }

    pub fn set_latency_ms(&self, ms: u64) {
        self.latency_ms.store(ms, Ordering::Relaxed);
    }

    pub fn set_rate_limit(&self, per_minute: Option<u32>) {
        let v = per_minute.map_or(NO_LIMIT, u64::from);
        self.rate_limit.store(v, Ordering::Relaxed);
    }

    fn rate_limit(&self) -> Option<u64> {
        Some(self.rate_limit.load(Ordering::Relaxed)).filter(|&v| v != NO_LIMIT)
    }

    /// Decides whether this request fails, and how; reproducible for a given seed.
    fn draw(&self, seed: u64) -> Option<Fault> {
        let rate = f64::from_bits(self.fault_rate.load(Ordering::Relaxed));
        if rate <= 0.0 {
            return None;
        }
        let n = self.draws.fetch_add(1, Ordering::Relaxed);
        let h = hash3(seed, n, stream::FAULTS);
        let roll = (h >> 11) as f64 / (1u64 << 53) as f64;
        (roll < rate).then(|| FAULTS[(h % FAULTS.len() as u64) as usize])
    }
}

/// Requests admitted within the last `span` (a minute unless a test scales it): a
/// sliding log of admission times, kept only while a limit is set, so it holds at
/// most `limit` entries.
#[derive(Debug)]
struct Window {
    span_ms: u64,
    admitted: VecDeque<u64>,
}

impl Window {
    fn new(span_ms: u64) -> Self {
        Window {
            span_ms: span_ms.max(1),
            admitted: VecDeque::new(),
        }
    }

    /// Counts a request (at `now` ms) if the limit allows it; `(admitted, used, reset_in_s)`.
    fn admit(&mut self, now: u64, limit: Option<u64>) -> (bool, u64, u64) {
        while self
            .admitted
            .front()
            .is_some_and(|t| now.saturating_sub(*t) >= self.span_ms)
        {
            self.admitted.pop_front();
        }
        let Some(limit) = limit else {
            self.admitted.clear();
            return (true, 0, self.span_ms.div_ceil(1000));
        };
        let used = self.admitted.len() as u64;
        if used >= limit {
            return (false, used, self.reset_in(now));
        }
        self.admitted.push_back(now);
        (true, used + 1, self.reset_in(now))
    }

    /// Seconds (rounded up) until the oldest counted request leaves the window.
    fn reset_in(&self, now: u64) -> u64 {
        self.admitted
            .front()
            .map_or(self.span_ms, |t| (t + self.span_ms).saturating_sub(now))
            .div_ceil(1000)
    }
}

/// The header Zendesk describes the cursor export's own budget in.
const EXPORT_HEADER: &str = "zendesk-ratelimit-incremental-exports-cursor";

fn is_export(path_and_query: &str) -> bool {
    path_and_query.starts_with("/api/v2/incremental/")
}

/// The incremental export's own budget: `limit` requests per window, counted in a
/// window that may close later than the client's (a server clock running ahead).
#[derive(Debug)]
pub struct ExportBudget {
    limit: u64,
    window: Mutex<Window>,
}

impl ExportBudget {
    pub fn new(limit: u32, span_ms: u64) -> Self {
        ExportBudget {
            limit: u64::from(limit),
            window: Mutex::new(Window::new(span_ms)),
        }
    }

    /// Counts an export request at `now` ms if the budget allows; with the value of
    /// [`EXPORT_HEADER`] (`total=10; remaining=9; resets=60`).
    fn admit(&self, now: u64) -> (bool, HeaderValue) {
        let (admitted, used, reset) = self.window.lock().unwrap().admit(now, Some(self.limit));
        let value = format!(
            "total={}; remaining={}; resets={reset}",
            self.limit,
            self.limit.saturating_sub(used)
        );
        let value = HeaderValue::from_str(&value).expect("ASCII header value");
        (admitted, value)
    }
}

/// Counters and the request log.
#[derive(Debug)]
pub struct Stats {
    started: Instant,
    requests: AtomicU64,
    rate_limited: AtomicU64,
    faults: AtomicU64,
    /// Requests per endpoint ([`endpoint_of`]).
    endpoints: Mutex<BTreeMap<String, u64>>,
    log: Mutex<VecDeque<RequestRecord>>,
    window: Mutex<Window>,
}

/// What `GET /_sandbox/stats` reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatsSnapshot {
    pub requests: u64,
    pub rate_limited: u64,
    pub faults: u64,
    pub uptime_ms: u64,
    /// Requests per endpoint, ids written `{id}`: `/api/v2/tickets/{id}/comments`.
    pub endpoints: BTreeMap<String, u64>,
}

/// The endpoint a request path is for: `.json` dropped and numeric segments written
/// `{id}`, so `/api/v2/tickets/42/comments.json` counts as
/// `/api/v2/tickets/{id}/comments`.
pub fn endpoint_of(path: &str) -> String {
    let path = path.strip_suffix(".json").unwrap_or(path);
    path.split('/')
        .map(|segment| {
            let id = segment.strip_suffix(".json").unwrap_or(segment);
            if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
                "{id}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

impl Stats {
    pub fn new(rate_window_ms: u64) -> Stats {
        Stats {
            started: Instant::now(),
            requests: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            faults: AtomicU64::new(0),
            endpoints: Mutex::new(BTreeMap::new()),
            log: Mutex::new(VecDeque::new()),
            window: Mutex::new(Window::new(rate_window_ms)),
        }
    }

    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            requests: self.requests(),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
            faults: self.faults.load(Ordering::Relaxed),
            uptime_ms: self.started.elapsed().as_millis() as u64,
            endpoints: self.endpoints.lock().unwrap().clone(),
        }
    }

    pub fn log(&self) -> Vec<RequestRecord> {
        self.log.lock().unwrap().iter().cloned().collect()
    }

    /// Zeroes the counters and forgets the log and the rate-limit window.
    pub fn reset(&self) {
        self.requests.store(0, Ordering::Relaxed);
        self.rate_limited.store(0, Ordering::Relaxed);
        self.faults.store(0, Ordering::Relaxed);
        self.endpoints.lock().unwrap().clear();
        self.log.lock().unwrap().clear();
        let mut w = self.window.lock().unwrap();
        *w = Window::new(w.span_ms);
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn record(&self, record: RequestRecord) {
        let mut log = self.log.lock().unwrap();
        if log.len() == LOG_CAPACITY {
            log.pop_front();
        }
        log.push_back(record);
    }
}

/// The middleware in front of every API route.
pub async fn api_middleware(
    State(state): State<SandboxState>,
    req: Request,
    next: Next,
) -> Response {
    let shared = &state.0;
    let stats = &shared.stats;
    let elapsed_ms = stats.started.elapsed().as_millis() as u64;
    stats.requests.fetch_add(1, Ordering::Relaxed);
    *stats
        .endpoints
        .lock()
        .unwrap()
        .entry(endpoint_of(req.uri().path()))
        .or_default() += 1;
    let method = req.method().to_string();
    let path_and_query = req
        .uri()
        .path_and_query()
        .map_or_else(String::new, |pq| pq.to_string());

    let arrived = Instant::now();
    let latency = Duration::from_millis(shared.knobs.latency_ms.load(Ordering::Relaxed));

    let limit = shared.knobs.rate_limit();
    let mut fault = None;
    let mut export_header = None;
    let (mut response, used, reset) = if !authorized(shared.auth.as_ref(), req.headers()) {
        (unauthorized(), 0, 60)
    } else {
        let now = stats.now_ms();
        let (admitted, used, reset) = stats.window.lock().unwrap().admit(now, limit);
        let export = shared
            .export
            .as_ref()
            .filter(|_| is_export(&path_and_query));
        let export_admitted = export.is_none_or(|e| {
            let (admitted, header) = e.admit(now);
            export_header = Some(header);
            admitted
        });
        if !admitted || !export_admitted {
            stats.rate_limited.fetch_add(1, Ordering::Relaxed);
            (too_many_requests(shared.retry_after_secs), used, reset)
        } else {
            fault = shared.knobs.draw(shared.dataset.seed());
            let response = match fault {
                Some(f) => {
                    stats.faults.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(fault = ?f, path = %path_and_query, "sandbox injects a fault");
                    inject(f, next, req).await
                }
                None => next.run(req).await,
            };
            (response, used, reset)
        }
    };

    let limit = limit.unwrap_or(UNLIMITED);
    let headers = response.headers_mut();
    headers.insert("x-rate-limit", HeaderValue::from(limit));
    headers.insert(
        "x-rate-limit-remaining",
        HeaderValue::from(limit.saturating_sub(used)),
    );
    headers.insert("ratelimit-reset", HeaderValue::from(reset));
    if let Some(export) = export_header {
        headers.insert(EXPORT_HEADER, export);
    }
    let status = if fault == Some(Fault::DroppedConnection) {
        0
    } else {
        response.status().as_u16()
    };
    stats.record(RequestRecord {
        elapsed_ms,
        method,
        path_and_query,
        status,
        fault,
    });
    // The answer is worked out while the client waits, as a server's own time is part
    // of the time a request takes: it is sent `latency` after the request arrived, or
    // as soon as it is ready when working it out took longer.
    if !latency.is_zero() {
        tokio::time::sleep_until((arrived + latency).into()).await;
    }
    response
}

/// HTTP Basic `{email}/token:{token}` or `Bearer {token}`; anything goes without auth.
fn authorized(auth: Option<&Credentials>, headers: &HeaderMap) -> bool {
    let Some(creds) = auth else {
        return true;
    };
    let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    if let Some(token) = value.strip_prefix("Bearer ") {
        return token.trim() == creds.token;
    }
    let Some(encoded) = value.strip_prefix("Basic ") else {
        return false;
    };
    let expected = format!("{}/token:{}", creds.email, creds.token);
    base64_decode(encoded.trim()).is_some_and(|plain| plain == expected.as_bytes())
}

fn unauthorized() -> Response {
    let mut r = (
        StatusCode::UNAUTHORIZED,
        axum::Json(serde_json::json!({"error": "Couldn't authenticate you"})),
    )
        .into_response();
    r.headers_mut().insert(
        WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"Web Password\""),
    );
    r
}

fn too_many_requests(retry_after: Option<u64>) -> Response {
    let body = serde_json::json!({
        "error": "APIRateLimitExceeded",
        "description": "Number of allowed API requests per minute exceeded"
    });
    let mut r = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    if let Some(secs) = retry_after {
        r.headers_mut().insert(RETRY_AFTER, HeaderValue::from(secs));
    }
    r
}

async fn inject(fault: Fault, next: Next, req: Request) -> Response {
    let json_error = |status: StatusCode, error: &str| {
        let body =
            serde_json::json!({"error": error, "description": "Injected by the zdpipe sandbox"});
        (status, axum::Json(body)).into_response()
    };
    match fault {
        Fault::InternalError => json_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError"),
        Fault::Unavailable => json_error(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable"),
        Fault::BadGateway => (
            StatusCode::BAD_GATEWAY,
            [(CONTENT_TYPE, "text/html")],
            "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>",
        )
            .into_response(),
        Fault::DroppedConnection => {
            // A body that fails before its first byte makes hyper abort the connection.
            let broken = futures_util::stream::once(async {
                Err::<Bytes, _>(io::Error::new(io::ErrorKind::ConnectionAborted, "sandbox dropped the connection"))
            });
            Response::new(Body::from_stream(broken))
        }
        Fault::TruncatedBody => {
            let (mut parts, body) = next.run(req).await.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
            parts.headers.remove(CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(bytes.slice(..bytes.len() / 2)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_counted_with_ids_as_placeholders() {
        assert_eq!(
            endpoint_of("/api/v2/tickets/42/comments.json"),
            "/api/v2/tickets/{id}/comments"
        );
        assert_eq!(endpoint_of("/api/v2/views/7.json"), "/api/v2/views/{id}");
        assert_eq!(
            endpoint_of("/api/v2/incremental/ticket_events.json"),
            "/api/v2/incremental/ticket_events"
        );
    }

    #[test]
    fn window_admits_up_to_the_limit_per_span() {
        let mut w = Window::new(60_000);
        assert_eq!(w.admit(100_000, Some(2)), (true, 1, 60));
        assert_eq!(w.admit(130_000, Some(2)), (true, 2, 30));
        assert_eq!(w.admit(140_000, Some(2)), (false, 2, 20));
        // The first request leaves the window at 160 s.
        assert_eq!(w.admit(160_000, Some(2)), (true, 2, 30));
        assert!(w.admit(161_000, None).0);
    }

    #[test]
    fn basic_and_bearer_credentials_are_checked() {
        let creds = Credentials {
            email: "a@b.com".into(),
            token: "s3cret".into(),
        };
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(AUTHORIZATION, HeaderValue::from_str(v).unwrap());
            authorized(Some(&creds), &h)
        };
        assert!(with("Basic YUBiLmNvbS90b2tlbjpzM2NyZXQ="));
        assert!(with("Bearer s3cret"));
        assert!(!with("Bearer nope"));
        assert!(!with("Basic YUBiLmNvbTpzM2NyZXQ="));
        assert!(!authorized(Some(&creds), &HeaderMap::new()));
        assert!(authorized(None, &HeaderMap::new()));
    }

    #[test]
    fn fault_draws_follow_the_rate() {
        let k = Knobs::new(0.0, 0, None);
        assert!((0..100).all(|_| k.draw(1).is_none()));
        k.set_fault_rate(1.0);
        let kinds: Vec<Fault> = (0..200).filter_map(|_| k.draw(1)).collect();
        assert_eq!(kinds.len(), 200);
        assert!(FAULTS.iter().all(|f| kinds.contains(f)));
    }
}
