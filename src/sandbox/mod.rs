//! A simulated Zendesk Support server for the demo, `zdpipe sandbox`, benchmarks and
//! integration tests.
//!
//! It speaks the parts of the REST API that zdpipe uses (views and their tickets and
//! counts, show_many, comments, the incremental cursor export, users/me) over plain
//! HTTP on 127.0.0.1, with a deterministic data set generated lazily from a seed (see
//! [`Dataset`]): a 200,000-ticket account costs a few MB at most, and any ticket can be
//! rebuilt from `(seed, id)` by a test that wants to know what the client should see.
//!
//! Misbehaviour is opt-in and adjustable while running: latency, a per-minute rate
//! limit (429 with or without `Retry-After`), random faults (500/502/503, dropped
//! connections, truncated bodies) and required credentials. Every API request is
//! counted and logged. Scripts reach the same knobs over HTTP under `/_sandbox`
//! (see `admin.rs`).
//!
//! Two ways to run it:
//! - [`SandboxHandle::start`] serves from a thread of its own (its own tokio runtime)
//!   and stops when the handle is dropped: for tests, the demo and benchmarks.
//! - [`serve_forever`] serves in the foreground on the calling thread: for the CLI.
//!   [`serve`] and [`router`] are the async building blocks under both; merge more
//!   routes (say, a simulated LLM) into the [`router`].

mod admin;
mod corpus;
mod data;
mod encode;
mod faults;
pub mod llm;
mod people;
mod prng;
mod records;
mod routes;
mod text;
mod views;

#[cfg(test)]
mod tests;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use data::{Dataset, ExportPage, AGENT_ID_BASE, ORGANIZATIONS};
pub use faults::{Fault, RequestRecord, StatsSnapshot};
pub use records::{CommentRecord, OrganizationRecord, TicketRecord, UserRecord, ViewRecord};
pub use routes::router;
pub use views::{KeyPage, Position};

use faults::{Knobs, Stats};

/// How to run the sandbox. `Default` gives 1000 tickets, seed 42, no latency, no
/// rate limit, no faults, no auth, an ephemeral port.
#[derive(Debug, Clone, PartialEq)]
pub struct SandboxConfig {
    /// 0 picks a free port.
    pub port: u16,
    /// Tickets have ids `1..=tickets`.
    pub tickets: u64,
    pub seed: u64,
    /// Unix seconds the data is anchored to (newest ticket = epoch - 120 s); `None` is
    /// today's UTC midnight, so reruns on the same day see the same data.
    pub epoch: Option<i64>,
    /// Delay before answering each API request.
    pub latency_ms: u64,
    /// Requests per rolling minute before answering 429; `None` never limits.
    pub rate_limit_per_minute: Option<u32>,
    /// The window the rate limit counts in, in milliseconds (60,000 like Zendesk; tests
    /// shrink it to stay fast).
    pub rate_window_ms: u64,
    /// `Retry-After` seconds on a 429; `None` omits the header.
    pub retry_after_secs: Option<u64>,
    /// Share of API requests (0..=1) that fail: 500/502/503, a dropped connection, or a
    /// 200 with half a JSON body, in equal parts.
    pub fault_rate: f64,
    /// Credentials to require; `None` accepts anything.
    pub auth: Option<Credentials>,
    /// The largest `page[size]` served (larger requests are clamped), also the default.
    pub page_size_max: u32,
    /// Delay before each answer of the simulated LLM endpoints (`/v1/...`).
    pub llm_latency_ms: u64,
    /// Percent (0-100) of LLM requests answered with a retryable error (429 / 529 / 503).
    pub llm_fault_percent: u32,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            port: 0,
            tickets: 1000,
            seed: 42,
            epoch: None,
            latency_ms: 0,
            rate_limit_per_minute: None,
            rate_window_ms: 60_000,
            retry_after_secs: Some(1),
            fault_rate: 0.0,
            auth: None,
            page_size_max: 100,
            llm_latency_ms: 0,
            llm_fault_percent: 0,
        }
    }
}

/// An API token login: HTTP Basic `{email}/token:{token}`, or `Bearer {token}`.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub email: String,
    pub token: String,
}

impl fmt::Debug for Credentials {
    // Secrets never appear in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("email", &self.email)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// Everything a running sandbox shares between its handlers and its handle.
#[derive(Debug)]
struct Shared {
    dataset: Arc<Dataset>,
    knobs: Knobs,
    stats: Stats,
    auth: Option<Credentials>,
    retry_after_secs: Option<u64>,
    page_size_max: u32,
    llm: Arc<llm::LlmKnobs>,
}

/// The state behind [`router`]: the data set, the knobs and the counters. Cheap to
/// clone; all clones are the same sandbox.
#[derive(Debug, Clone)]
pub struct SandboxState(Arc<Shared>);

impl SandboxState {
    pub fn new(cfg: &SandboxConfig) -> SandboxState {
        let epoch = cfg.epoch.unwrap_or_else(encode::today_midnight);
        SandboxState(Arc::new(Shared {
            dataset: Arc::new(Dataset::new(cfg.tickets, cfg.seed, epoch)),
            knobs: Knobs::new(cfg.fault_rate, cfg.latency_ms, cfg.rate_limit_per_minute),
            stats: Stats::new(cfg.rate_window_ms),
            auth: cfg.auth.clone(),
            retry_after_secs: cfg.retry_after_secs,
            page_size_max: cfg.page_size_max.max(1),
            llm: Arc::new(llm::LlmKnobs::new(
                cfg.llm_latency_ms,
                cfg.llm_fault_percent,
            )),
        }))
    }

    /// The simulated LLM's knobs and request counter.
    pub fn llm(&self) -> &Arc<llm::LlmKnobs> {
        &self.0.llm
    }

    pub fn dataset(&self) -> &Dataset {
        &self.0.dataset
    }

    pub fn requests(&self) -> u64 {
        self.0.stats.requests()
    }

    pub fn stats(&self) -> StatsSnapshot {
        self.0.stats.snapshot()
    }

    pub fn request_log(&self) -> Vec<RequestRecord> {
        self.0.stats.log()
    }

    /// Zeroes the counters and clears the request log and the rate-limit window.
    pub fn reset_counters(&self) {
        self.0.stats.reset();
    }

    pub fn set_fault_rate(&self, rate: f64) {
        self.0.knobs.set_fault_rate(rate);
    }

    pub fn set_latency_ms(&self, ms: u64) {
        self.0.knobs.set_latency_ms(ms);
    }

    pub fn set_rate_limit(&self, per_minute: Option<u32>) {
        self.0.knobs.set_rate_limit(per_minute);
    }
}

/// Serves the sandbox on `listener` until the future is dropped or the listener fails.
pub async fn serve(listener: TcpListener, state: SandboxState) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    state.dataset().set_origin(format!("http://{addr}"));
    axum::serve(listener, router(state)).await
}

/// Binds `127.0.0.1:cfg.port`, calls `ready` with the base URL once listening, then
/// serves on the calling thread until the process ends. Prints nothing itself.
pub fn serve_forever(cfg: SandboxConfig, ready: impl FnOnce(&str)) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = TcpListener::bind(("127.0.0.1", cfg.port)).await?;
        ready(&format!("http://{}", listener.local_addr()?));
        serve(listener, SandboxState::new(&cfg)).await
    })
}

/// A sandbox running on its own thread; stops on [`SandboxHandle::shutdown`] or drop.
#[derive(Debug)]
pub struct SandboxHandle {
    state: SandboxState,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl SandboxHandle {
    /// Binds `127.0.0.1:cfg.port` and returns once the server accepts connections.
    pub fn start(cfg: SandboxConfig) -> std::io::Result<SandboxHandle> {
        let std_listener = std::net::TcpListener::bind(("127.0.0.1", cfg.port))?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("zdpipe-sandbox")
            .enable_all()
            .build()?;
        let listener = {
            let _guard = runtime.enter();
            TcpListener::from_std(std_listener)?
        };
        let state = SandboxState::new(&cfg);
        state.dataset().set_origin(format!("http://{addr}"));
        let (stop, stopped) = oneshot::channel();
        let served = state.clone();
        let thread = std::thread::Builder::new()
            .name("zdpipe-sandbox".into())
            .spawn(move || {
                runtime.block_on(async {
                    tokio::select! {
                        result = serve(listener, served) => {
                            if let Err(e) = result {
                                tracing::error!(error = %e, "sandbox server stopped");
                            }
                        }
                        _ = stopped => {}
                    }
                });
                // Open connections are simply dropped: a sandbox need not drain them.
                runtime.shutdown_timeout(Duration::from_millis(500));
            })?;
        tracing::debug!(%addr, tickets = cfg.tickets, "sandbox listening");
        Ok(SandboxHandle {
            state,
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The shared state, e.g. to mount [`router`] elsewhere or read [`SandboxState::stats`].
    pub fn state(&self) -> &SandboxState {
        &self.state
    }

    /// API requests served so far (all `/api/v2` endpoints, 401s, 429s and faults
    /// included; `/_sandbox` admin calls excluded).
    pub fn requests(&self) -> u64 {
        self.state.requests()
    }

    /// The last 100,000 API requests, oldest first.
    pub fn request_log(&self) -> Vec<RequestRecord> {
        self.state.request_log()
    }

    pub fn reset_counters(&self) {
        self.state.reset_counters();
    }

    /// Simulates an agent update of ticket `id` (see [`Dataset::touch_ticket`]);
    /// unknown and deleted tickets are left alone.
    pub fn touch_ticket(&self, id: u64) {
        self.state.dataset().touch_ticket(id);
    }

    pub fn set_fault_rate(&self, rate: f64) {
        self.state.set_fault_rate(rate);
    }

    pub fn set_latency_ms(&self, ms: u64) {
        self.state.set_latency_ms(ms);
    }

    pub fn set_rate_limit(&self, per_minute: Option<u32>) {
        self.state.set_rate_limit(per_minute);
    }

    pub fn dataset(&self) -> &Dataset {
        self.state.dataset()
    }

    /// Stops the server and waits for its thread.
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        self.stop_now();
    }
}
