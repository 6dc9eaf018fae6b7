//! Starts the stage threads of a run and waits for them: one fetch thread (driving
//! its own tokio runtime), the analyze pool and one write thread, joined by bounded
//! crossbeam channels (see `stages.rs` for what each stage does).
//!
//! The analyze pool takes one of two shapes ([`Pool`]). A CPU-bound analyzer runs
//! on a rayon pool of `workers` threads, each taking whole batches from the channel.
//! An I/O-bound one (an LLM) gets one dispatcher thread that keeps up to `workers`
//! batch futures ([`stages::analyze_async`], one ticket each) in flight on a small
//! tokio runtime: 1,024 requests waiting cost 1,024 futures, not 1,024 threads. The
//! dispatcher takes batches through an intake thread (the crossbeam receive
//! blocks, so it stays off the runtime) and sends finished ones to the writer
//! between two polls, never from inside the runtime.
//!
//! With `[analyze] batch = true` one batch thread (`batched.rs`) takes the place of
//! the analyze workers.
//!
//! A panicking stage stops the run like a fatal error instead of taking the process
//! down, so what was written is still flushed and summarized.

use std::sync::Arc;
use std::thread::Scope;

use crossbeam_channel::{Receiver, Sender};
use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::FutureExt;
use tokio::runtime::Handle;
use tokio::sync::mpsc;

use super::stages::{self, AnalyzeCtx, Batch, Done, RunShared, UnstoredAnalyses, WriteOutcome};
use super::{batched, Checkpoint, Fatal, MaxFailures, PendingBatch};
use crate::analyze::llm::LlmAnalyzer;
use crate::fetch::TicketSource;
use crate::write::Sink;

/// How the analyze stage runs its analyzer.
pub enum Pool {
    /// `workers` rayon threads calling [`crate::analyze::Analyzer::analyze`].
    Threads(usize),
    /// Up to `requests` analyses in flight as futures on `runtime`.
    InFlight { runtime: Handle, requests: usize },
}

impl Pool {
    /// The number of batches the pool works on at once.
    pub fn width(&self) -> usize {
        match self {
            Pool::Threads(n) => *n,
            Pool::InFlight { requests, .. } => *requests,
        }
    }
}

/// The runtime of an in-flight pool: its two threads only drive sockets and timers
/// (the futures themselves are polled on the dispatcher thread).
pub fn in_flight_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("zdpipe-analyze-io")
        .build()
}

/// The shape of the stage threads.
pub struct Shape {
    pub pool: Pool,
    /// Tickets per batch handed to a worker.
    pub batch_size: usize,
    /// Bound of each channel, in batches.
    pub queue: usize,
    /// The LLM client when its tickets go through the provider's batch API.
    pub batch: Option<Arc<LlmAnalyzer>>,
}

/// What the stages need to write.
pub struct Writing<'a> {
    pub sinks: &'a mut [Box<dyn Sink>],
    pub checkpoint: Option<&'a Checkpoint>,
    pub max_failures: Option<MaxFailures>,
}

/// What the stage threads did.
pub struct StagesDone {
    /// Records of a file source that were skipped as unreadable.
    pub skipped: u64,
    pub write: WriteOutcome,
    /// Provider batches still owing answers when the run stopped waiting.
    pub pending: Vec<PendingBatch>,
}

/// Runs fetch → analyze pool → write to the end (or until the run is stopped).
pub fn run_stages(
    rt: tokio::runtime::Runtime,
    source: TicketSource,
    shape: &Shape,
    ctx: &AnalyzeCtx,
    writing: Writing,
    run: &RunShared,
) -> StagesDone {
    let (batch_tx, batch_rx) = crossbeam_channel::bounded::<Batch>(shape.queue);
    let (done_tx, done_rx) =
        crossbeam_channel::bounded::<Done>(shape.queue.max(shape.pool.width()));
    std::thread::scope(|s| {
        let batch_size = shape.batch_size;
        let fetcher = std::thread::Builder::new()
            .name("zdpipe-fetch".into())
            .spawn_scoped(s, move || {
                stages::fetch(rt, source, batch_size, batch_tx, run)
            })
            .expect("spawn fetch thread");
        let batcher = shape.batch.as_deref().map(|llm| {
            let (rx, tx) = (batch_rx.clone(), done_tx.clone());
            std::thread::Builder::new()
                .name("zdpipe-analyze-batch".into())
                .spawn_scoped(s, move || batched::analyze(rx, tx, ctx, llm, run))
                .expect("spawn batch thread")
        });
        match batcher {
            None => spawn_analyze(s, &shape.pool, batch_rx, done_tx, ctx, run),
            Some(_) => drop((batch_rx, done_tx)),
        }
        let writer = std::thread::Builder::new()
            .name("zdpipe-write".into())
            .spawn_scoped(s, move || {
                stages::write(
                    done_rx,
                    UnstoredAnalyses::new(ctx.cache, !ctx.analyzer.io_bound()),
                    writing.sinks,
                    writing.checkpoint,
                    writing.max_failures,
                    run.stop,
                    run.progress,
                )
            })
            .expect("spawn write thread");
        let skipped = fetcher.join().unwrap_or_else(|_| {
            run.stop.fail(Fatal::Panicked("fetch"));
            0
        });
        let write = writer.join().unwrap_or_else(|_| {
            run.stop.fail(Fatal::Panicked("write"));
            WriteOutcome::default()
        });
        let pending = batcher
            .map(|b| {
                b.join().unwrap_or_else(|_| {
                    run.stop.fail(Fatal::Panicked("analyze"));
                    Vec::new()
                })
            })
            .unwrap_or_default();
        StagesDone {
            skipped,
            write,
            pending,
        }
    })
}

/// Starts the analyze pool on its own thread; it ends (and drops `tx`, which lets
/// the writer finish) once `rx` is drained and every analysis is handed on.
pub fn spawn_analyze<'scope>(
    s: &'scope Scope<'scope, '_>,
    pool: &'scope Pool,
    rx: Receiver<Batch>,
    tx: Sender<Done>,
    ctx: &'scope AnalyzeCtx<'scope>,
    run: &'scope RunShared<'scope>,
) {
    let body = move || match pool {
        Pool::Threads(workers) => {
            let threads = rayon::ThreadPoolBuilder::new()
                .num_threads(*workers)
                .thread_name(|i| format!("zdpipe-analyze-{i}"))
                .build()
                .expect("start the analyze threads");
            threads.in_place_scope(|r| {
                for _ in 0..*workers {
                    let (rx, tx) = (rx.clone(), tx.clone());
                    r.spawn(move |_| stages::analyze(rx, tx, ctx, run));
                }
                drop((rx, tx));
            });
        }
        Pool::InFlight { runtime, requests } => in_flight(rx, tx, runtime, *requests, ctx, run),
    };
    std::thread::Builder::new()
        .name("zdpipe-analyze".into())
        .spawn_scoped(s, body)
        .expect("spawn analyze thread");
}

/// The in-flight pool's dispatcher: keeps up to `requests` batches' futures going,
/// hands finished ones to the writer, until the intake is drained.
fn in_flight(
    rx: Receiver<Batch>,
    tx: Sender<Done>,
    runtime: &Handle,
    requests: usize,
    ctx: &AnalyzeCtx,
    run: &RunShared,
) {
    let (intake_tx, intake) = mpsc::channel::<Batch>(1);
    std::thread::scope(move |s| {
        // Owned here, so leaving early closes it and ends the intake thread.
        let mut intake = intake;
        std::thread::Builder::new()
            .name("zdpipe-analyze-intake".into())
            .spawn_scoped(s, move || {
                for batch in rx {
                    if intake_tx.blocking_send(batch).is_err() {
                        return;
                    }
                }
            })
            .expect("spawn analyze intake thread");
        let mut tasks = FuturesUnordered::new();
        let mut open = true;
        while open || !tasks.is_empty() {
            let start = |batch| stages::analyze_async(batch, ctx, run);
            let step = poll_step(&mut intake, &mut open, &mut tasks, start, requests);
            for done in runtime.block_on(step) {
                if tx.send(done).is_err() {
                    return;
                }
            }
        }
    });
}

/// What woke the dispatcher.
enum Event<T> {
    Intake(Option<Batch>),
    Finished(T),
    Idle,
}

/// Takes new batches while there is room and returns as soon as some are finished
/// (all those ready), or nothing once the intake is closed and no task is left.
async fn poll_step<F: std::future::Future>(
    intake: &mut mpsc::Receiver<Batch>,
    open: &mut bool,
    tasks: &mut FuturesUnordered<F>,
    start: impl Fn(Batch) -> F,
    requests: usize,
) -> Vec<F::Output> {
    loop {
        let room = *open && tasks.len() < requests;
        let busy = !tasks.is_empty();
        let event = tokio::select! {
            batch = intake.recv(), if room => Event::Intake(batch),
            Some(done) = tasks.next(), if busy => Event::Finished(done),
            else => Event::Idle,
        };
        match event {
            Event::Intake(Some(batch)) => tasks.push(start(batch)),
            Event::Intake(None) => *open = false,
            Event::Finished(done) => {
                let mut finished = vec![done];
                while let Some(Some(done)) = tasks.next().now_or_never() {
                    finished.push(done);
                }
                return finished;
            }
            Event::Idle => return Vec::new(),
        }
    }
}
