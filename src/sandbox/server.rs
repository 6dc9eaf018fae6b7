//! The running server: [`SandboxState`] (what the handlers share), [`serve`] and
//! [`serve_forever`] for the foreground, [`SandboxHandle`] for a server on its own
//! thread.

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::faults::{ExportBudget, Knobs, Stats, StatsSnapshot};
use super::{encode, llm, router, Credentials, Dataset, RequestRecord, SandboxSettings};

/// Everything a running sandbox shares between its handlers and its handle.
#[derive(Debug)]
pub(super) struct Shared {
    pub(super) dataset: Arc<Dataset>,
    pub(super) knobs: Knobs,
    pub(super) stats: Stats,
    /// The incremental export's own budget, when one is simulated.
    pub(super) export: Option<ExportBudget>,
    pub(super) auth: Option<Credentials>,
    pub(super) retry_after_secs: Option<u64>,
    pub(super) page_size_max: u32,
    pub(super) export_page_max: u32,
    pub(super) llm: Arc<llm::LlmKnobs>,
}

/// The state behind [`router`]: the data set, the knobs and the counters. Cheap to
/// clone; all clones are the same sandbox.
#[derive(Debug, Clone)]
pub struct SandboxState(pub(super) Arc<Shared>);

impl SandboxState {
    pub fn new(cfg: &SandboxSettings) -> SandboxState {
        let epoch = cfg.epoch.unwrap_or_else(encode::today_midnight);
        SandboxState(Arc::new(Shared {
            dataset: Arc::new(
                Dataset::new(cfg.tickets, cfg.seed, epoch).with_archived(cfg.archived),
            ),
            knobs: Knobs::new(cfg.fault_rate, cfg.latency_ms, cfg.rate_limit_per_minute),
            stats: Stats::new(cfg.rate_window_ms),
            export: cfg.export_rate_limit.map(|limit| {
                ExportBudget::new(limit, cfg.rate_window_ms + cfg.export_window_lag_ms)
            }),
            auth: cfg.auth.clone(),
            retry_after_secs: cfg.retry_after_secs,
            page_size_max: cfg.page_size_max.max(1),
            export_page_max: cfg.export_page_max.max(1),
            llm: Arc::new({
                let knobs = llm::LlmKnobs::new(cfg.llm_latency_ms, cfg.llm_fault_percent)
                    .with_rate_limits(
                        cfg.llm_requests_per_second.unwrap_or(0),
                        cfg.llm_tokens_per_second.unwrap_or(0),
                    );
                knobs
                    .batch
                    .delay_ms
                    .store(cfg.llm_batch_delay_ms, std::sync::atomic::Ordering::Relaxed);
                knobs
            }),
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
pub fn serve_forever(cfg: SandboxSettings, ready: impl FnOnce(&str)) -> std::io::Result<()> {
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
    pub fn start(cfg: SandboxSettings) -> std::io::Result<SandboxHandle> {
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
