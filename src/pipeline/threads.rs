//! Starts the stage threads of a run and waits for them: one fetch thread (driving
//! its own tokio runtime), `workers` analyze threads and one write thread, joined by
//! bounded crossbeam channels (see `stages.rs` for what each thread does).
//!
//! With `[analyze] batch = true` one batch thread (`batched.rs`) takes the place of
//! the analyze workers.
//!
//! A panicking stage stops the run like a fatal error instead of taking the process
//! down, so what was written is still flushed and summarized.

use std::sync::Arc;

use super::stages::{self, AnalyzeCtx, Batch, Done, RunShared, WriteOutcome};
use super::{batched, Checkpoint, Fatal, MaxFailures, PendingBatch};
use crate::analyze::llm::LlmAnalyzer;
use crate::fetch::TicketSource;
use crate::write::Sink;

/// The shape of the stage threads.
pub struct Shape {
    pub workers: usize,
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
    let (done_tx, done_rx) = crossbeam_channel::bounded::<Done>(shape.queue.max(shape.workers));
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
        let workers = if batcher.is_some() { 0 } else { shape.workers };
        for i in 0..workers {
            let (rx, tx) = (batch_rx.clone(), done_tx.clone());
            std::thread::Builder::new()
                .name(format!("zdpipe-analyze-{i}"))
                .spawn_scoped(s, move || stages::analyze(rx, tx, ctx, run))
                .expect("spawn analyze thread");
        }
        drop(batch_rx);
        drop(done_tx);
        let writer = std::thread::Builder::new()
            .name("zdpipe-write".into())
            .spawn_scoped(s, move || {
                stages::write(
                    done_rx,
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
