//! The benchmark harness behind `zdpipe bench`: the performance tests of the original
//! tool, run against the sandbox (so this module exists only with the `sandbox`
//! feature).
//!
//! - **cache** ([`cache_test`]): a view of `tickets` tickets served with
//!   `api_latency_ms` per request; the whole pipeline runs twice on one fresh cache.
//!   The first run fetches everything, the second is served from the warm cache. Both
//!   wall times, the requests each sent, the improvement and the speedup are reported.
//! - **batch** ([`batch_test`]): `tickets` tickets analyzed by an LLM (the sandbox's
//!   simulated OpenAI-compatible endpoint, `latency_ms` per request), first one after
//!   the other, then by the pool ([`analyze_pool`]) with `max_workers` workers. Reports
//!   both times, the speedup, the parallel efficiency (speedup / workers) and the ideal
//!   speedup (tickets / rounds of `max_workers` requests), the ceiling for that ticket
//!   count. The sandbox's model works out its answers in the middle of the simulated
//!   latency, so on a small machine its own CPU time does not skew the result.
//! - **pipeline** ([`pipeline_test`]): whole runs in child processes, then the built-in
//!   analyzer alone on 1 and 2 workers.
//! - **export** ([`export_test`]): the incremental and view exports against a sandbox
//!   process at 0 ms and `api_latency_ms`: wall time, CPU per ticket, requests and
//!   the ratio to the latency floor, side by side with another build (`against`).
//!
//! Like `app/`, the harness sits above every stage and only reports what failed, so
//! its errors are `anyhow`'s.

mod compare;
mod export;
mod pipeline;
mod pool;

use std::path::PathBuf;

pub use compare::{batch_test, cache_test, Comparison};
pub use export::{export_test, ExportBench, ExportFigures};
pub use pipeline::{pipeline_test, PipelineBench, RunFigures};
pub use pool::analyze_pool;

/// The sizes and latencies the tests run with (`zdpipe bench`'s flags).
#[derive(Debug, Clone, clap::Args)]
pub struct BenchOptions {
    /// Tickets in the sandbox data set.
    #[arg(long, default_value_t = 200)]
    pub tickets: u64,
    /// Tickets per batch handed to a worker.
    #[arg(long, default_value_t = 50)]
    pub batch_size: usize,
    /// Workers of the pool in the batch test.
    #[arg(long, default_value_t = 16)]
    pub max_workers: usize,
    /// Latency of each LLM request in the batch test, in milliseconds.
    #[arg(long, default_value_t = 100)]
    pub latency_ms: u64,
    /// Latency of each Zendesk request in the cache test, in milliseconds.
    #[arg(long, default_value_t = 50)]
    pub api_latency_ms: u64,
    /// Export test: also run every export with this zdpipe binary (an earlier
    /// build), interleaved with this one, for side-by-side figures.
    #[arg(long)]
    pub against: Option<PathBuf>,
    /// Export test: runs of each export and binary; the figures are their medians.
    #[arg(long, default_value_t = 1)]
    pub repeat: usize,
}

/// A scratch folder of this process for caches, pipelines and outputs.
fn tempdir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("zdpipe-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
