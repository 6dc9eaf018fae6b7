//! The wiring: builds the stages of a run from a validated pipeline and runs them on
//! their own threads.
//!
//! [`run`] reads top to bottom: open the cache and claim it for the pipeline's
//! account (another account's cache is refused), connect the source (starting the
//! sandbox when the pipeline asks for it), build the analyzer and the sinks, run
//! fetch → analyze pool → write ([`threads`]), put the outputs in place, store the
//! checkpoint, flush the cache and return a [`RunSummary`] with the run's
//! [`Outcome`]. Each stage builds its own runtime part from its settings; nothing
//! here knows how.

mod batched;
mod checkpoint;
mod collect;
mod limits;
mod progress;
mod source;
// `pub(crate)` for the benchmark's pool (`bench::analyze_pool`).
pub(crate) mod stages;
mod summary;
// `pub(crate)` for the benchmark's pool (`bench::analyze_pool`).
pub(crate) mod threads;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use serde::Serialize;

pub use checkpoint::{Checkpoint, CheckpointState};
pub use limits::MaxFailures;
pub use progress::Progress;
pub use summary::{
    peak_rss_mb, HitMiss, HybridUsage, PendingBatch, RunSummary, StageTimes, TokenUsage,
};

use crate::analyze::{Analyzer, AnalyzerSetupError, BuiltAnalyzer, CLEANING_VERSION};
use crate::cache::{Cache, CacheError, Claim, ReadPolicy};
use crate::config::{ConfigError, Env, Pipeline};
use crate::fetch::{
    connect, Access, Api, ColumnPlan, ConnectError, Connection, FetchError, Source,
};
use crate::sandbox::SandboxHandle;
use crate::write::{Outputs, Sink, WriteError};
use stages::{AnalyzeCtx, Tracking};
use threads::{Pool, Shape, StagesDone, Writing};

/// Run flags that override or extend the pipeline file.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub workers: Option<usize>,
    pub batch_size: Option<usize>,
    pub offline: bool,
    pub refresh: bool,
    pub reanalyze: bool,
    /// Empty the cache and record this pipeline's account in it (`--new-cache`).
    pub new_cache: bool,
    pub since: Option<crate::fetch::Since>,
    pub max_failures: Option<MaxFailures>,
    pub progress: bool,
}

impl RunOptions {
    /// How the cache is read and whether the network may be used.
    pub fn access(&self) -> Access {
        let policy = if self.offline {
            ReadPolicy::AnyAge
        } else if self.refresh {
            ReadPolicy::Bypass
        } else {
            ReadPolicy::Fresh
        };
        Access {
            policy,
            offline: self.offline,
        }
    }
}

/// How a run ended; decides the exit code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    #[default]
    Completed,
    Interrupted,
    #[serde(rename = "stopped_max_failures")]
    MaxFailures,
    /// A fatal error stopped the run.
    Failed,
    /// Provider batches still owe answers after `batch_wait`: those tickets were not
    /// written, and the next run collects them.
    Pending,
    /// `[analyze] max_cost` was reached: the tickets from the first refused one on
    /// were not written, and the next run takes them.
    #[serde(rename = "stopped_budget")]
    OverBudget,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Outcome::Completed => "completed",
            Outcome::Interrupted => "interrupted",
            Outcome::MaxFailures => "stopped_max_failures",
            Outcome::Failed => "failed",
            Outcome::Pending => "pending",
            Outcome::OverBudget => "stopped_budget",
        })
    }
}

/// What stopped a run that had started.
#[derive(Debug, thiserror::Error)]
pub enum Fatal {
    #[error(transparent)]
    Fetch(FetchError),
    /// The analyzer cannot go on (rejected key, exhausted quota, unknown model).
    #[error("{0}")]
    Analyzer(String),
    #[error(transparent)]
    Write(WriteError),
    /// The cache cannot be written (a full disk): every ticket would fail alike.
    #[error(transparent)]
    Cache(CacheError),
    #[error("the {0} stage panicked (a bug): stopping")]
    Panicked(&'static str),
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Analyzer(#[from] AnalyzerSetupError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// The run started and then stopped on a fatal error; what it did is summarized.
    #[error("{cause}")]
    Halted {
        cause: Fatal,
        summary: Box<RunSummary>,
    },
}

/// Runs a pipeline to the end (or until `interrupted` is set) and summarizes it.
/// `analyzer` replaces the pipeline's own (tests, benchmarks).
pub fn run(
    pipeline: &Pipeline,
    env: &Env,
    opts: &RunOptions,
    analyzer: Option<Arc<dyn Analyzer>>,
    interrupted: Arc<AtomicBool>,
) -> Result<(RunSummary, Outcome), RunError> {
    let started = Instant::now();
    let cache = Arc::new(Cache::open(&pipeline.cache)?);
    claim_cache(&cache, pipeline, opts)?;
    let link = Link::open(pipeline, env, opts, &cache, &interrupted)?;
    let sandbox_url = link.sandbox.as_ref().map(|s| s.base_url());
    let built = build_analyzer(pipeline, env, opts, analyzer, sandbox_url.as_deref())?;
    let rt = fetch_runtime().map_err(RunError::Runtime)?;
    let columns = resolve_columns(pipeline, link.api.as_ref(), &rt)?;
    let headers = columns.as_ref().map(|c| c.headers()).unwrap_or_default();
    let started_source = source::start(pipeline, opts, &cache, link.api.as_ref(), columns)?;
    let stamp = started_source.stamp.clone();
    let resume_csv = started_source.resume_csv;
    let Outputs {
        mut sinks,
        names,
        latest,
    } = Outputs::open(
        &pipeline.writes,
        resume_csv,
        &stamp,
        &headers,
        pipeline.fetch.exclude_deleted,
    )?;

    let analyzer = built.analyzer.clone();
    let in_flight_rt = (analyzer.io_bound())
        .then(threads::in_flight_runtime)
        .transpose()
        .map_err(RunError::Runtime)?;
    let mut shape = shape(pipeline, opts, analyzer.as_ref(), in_flight_rt.as_ref());
    shape.batch = built.llm.clone().filter(|llm| llm.batch_mode());
    let tracking = Tracking::new(opts.progress);
    let (name, fingerprint) = (analyzer.name(), fingerprint(pipeline, analyzer.as_ref()));
    let analyzed_at = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let ctx = AnalyzeCtx {
        analyzer: analyzer.as_ref(),
        name: &name,
        fingerprint: &fingerprint,
        cache: Some(&cache),
        reanalyze: opts.reanalyze,
        analyzed_at: &analyzed_at,
        link_base: link.ticket_links.as_deref(),
        text: pipeline.analyze.text,
        max_input_chars: pipeline.analyze.max_input_chars,
    };
    let checkpoint = started_source.checkpoint;
    let writing = Writing {
        sinks: &mut sinks,
        checkpoint: checkpoint.as_ref(),
        max_failures: opts.max_failures,
    };
    let shared = tracking.shared(&interrupted);
    let done = threads::run_stages(rt, started_source.source, &shape, &ctx, writing, &shared);
    tracking.progress.finish();

    let fatal = tracking.stop.take_fatal();
    let outcome = outcome(&done, opts, fatal.is_some(), &interrupted);
    let t_finish = Instant::now();
    let finished = finish_outputs(sinks, checkpoint.as_ref(), outcome)?;
    // `latest` marks complete runs only (not one stopped at --max-failures).
    if outcome == Outcome::Completed {
        point_latest(&latest);
    }
    let fatal = match fatal.map(cache_failure) {
        // sled 0.34 can wait forever in `flush` once one of its writes failed, and a
        // cache that cannot be written is the whole story: one line, no summary.
        Some(Err(e)) => return Err(RunError::Cache(e)),
        Some(Ok(cause)) => Some(cause),
        None => None,
    };
    cache.persist_run_counts()?;
    cache.flush()?;
    let summary = collect::Tally {
        pipeline: &pipeline.name,
        outcome,
        counters: &tracking.counters,
        cache: &cache,
        http: link.api.as_ref().map(|a| &a.client.counters),
        rate: link.api.as_ref().map(|a| a.client.rate_report()),
        analyzer: &built,
        write_busy: done.write.busy + t_finish.elapsed(),
        stages: &done,
        wall: started.elapsed(),
        outputs: if finished { names } else { Vec::new() },
        run: stamp,
    }
    .summary();
    match fatal {
        Some(cause) => Err(halted(cause, summary)),
        None => Ok((summary, outcome)),
    }
}

/// The run's extra columns, resolved against the account's lists (fetched once, before
/// any ticket); `None` when the pipeline asks for none. Ticket pages sideload their
/// metric sets only when a column needs them.
fn resolve_columns(
    pipeline: &Pipeline,
    api: Option<&Arc<Api>>,
    rt: &tokio::runtime::Runtime,
) -> Result<Option<Arc<ColumnPlan>>, RunError> {
    let Some(api) = api.filter(|_| !pipeline.columns.is_empty()) else {
        return Ok(None);
    };
    let plan = rt.block_on(ColumnPlan::resolve(api, &pipeline.columns))?;
    api.metric_sets
        .store(plan.needs_metric_sets(), Ordering::Relaxed);
    Ok(Some(Arc::new(plan)))
}

/// Makes sure the cache holds this pipeline's account's data (or nothing) before
/// anything is read from it: another account's listings and tickets must never be
/// served as this one's.
fn claim_cache(cache: &Cache, pipeline: &Pipeline, opts: &RunOptions) -> Result<(), CacheError> {
    let identity = pipeline.fetch.account_identity();
    let path = cache.path().display();
    match cache.claim_account(&identity, opts.new_cache)? {
        Claim::Adopted => tracing::info!(
            "cache {path} had no account recorded (filled by an older zdpipe): it now belongs to {identity}"
        ),
        Claim::StartedOver => tracing::info!("started cache {path} over for {identity}"),
        Claim::New | Claim::Same => {}
    }
    Ok(())
}

/// The run's connection to its account: `api` is `None` for a file source.
struct Link {
    api: Option<Arc<Api>>,
    ticket_links: Option<String>,
    /// The in-process sandbox, alive until the run returns.
    sandbox: Option<SandboxHandle>,
}

impl Link {
    fn open(
        pipeline: &Pipeline,
        env: &Env,
        opts: &RunOptions,
        cache: &Arc<Cache>,
        interrupted: &Arc<AtomicBool>,
    ) -> Result<Link, ConnectError> {
        if let Source::File { .. } = pipeline.fetch.source {
            return Ok(Link {
                api: None,
                ticket_links: None,
                sandbox: None,
            });
        }
        let Connection {
            mut api,
            sandbox,
            ticket_links,
        } = connect(&pipeline.fetch, env, Some(cache.clone()), opts.access())?;
        api.client.set_interrupt(interrupted.clone());
        Ok(Link {
            api: Some(Arc::new(api)),
            ticket_links,
            sandbox,
        })
    }
}

/// The fetch thread's async runtime: two threads are plenty for HTTP.
fn fetch_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("zdpipe-fetch-io")
        .build()
}

/// A cause that is the cache failing to write, as the cache error (`Err`).
fn cache_failure(cause: Fatal) -> Result<Fatal, CacheError> {
    match cause {
        Fatal::Cache(e) | Fatal::Fetch(FetchError::Cache(e)) => Err(e),
        other => Ok(other),
    }
}

fn halted(cause: Fatal, mut summary: RunSummary) -> RunError {
    summary.errors.push(cause.to_string());
    RunError::Halted {
        cause,
        summary: Box::new(summary),
    }
}

/// The pipeline's analyzer (or the one given), as an `--offline` run may use it.
fn build_analyzer(
    pipeline: &Pipeline,
    env: &Env,
    opts: &RunOptions,
    given: Option<Arc<dyn Analyzer>>,
    sandbox_url: Option<&str>,
) -> Result<BuiltAnalyzer, AnalyzerSetupError> {
    match given {
        Some(a) => Ok(BuiltAnalyzer::from_analyzer(a)),
        None if opts.offline => crate::analyze::build_offline(&pipeline.analyze, env),
        None => crate::analyze::build(&pipeline.analyze, env, sandbox_url),
    }
}

/// The pool of the run: an I/O-bound analyzer (given `in_flight_rt`) gets `workers`
/// requests in flight on that runtime, a CPU-bound one `workers` rayon threads.
fn shape(
    pipeline: &Pipeline,
    opts: &RunOptions,
    analyzer: &dyn Analyzer,
    in_flight_rt: Option<&tokio::runtime::Runtime>,
) -> Shape {
    let analyze = &pipeline.analyze;
    let workers = opts.workers.unwrap_or(analyze.workers).max(1);
    // An LLM call mostly waits: hand tickets out one by one so `workers` requests are
    // in flight; CPU-bound analyzers take whole batches to keep channel traffic low.
    let (pool, batch_size) = match in_flight_rt {
        Some(rt) if analyzer.io_bound() => (
            Pool::InFlight {
                runtime: rt.handle().clone(),
                requests: workers,
            },
            1,
        ),
        _ => (
            Pool::Threads(workers),
            opts.batch_size.unwrap_or(analyze.batch_size).max(1),
        ),
    };
    Shape {
        pool,
        batch_size,
        queue: analyze.queue,
        batch: None,
    }
}

/// What the analyzer read is part of what it said: the same ticket version can get
/// another answer with comments, another `text` mode, another budget or another
/// version of the message cleaning.
pub fn fingerprint(pipeline: &Pipeline, analyzer: &dyn Analyzer) -> String {
    let analyze = &pipeline.analyze;
    let words = if pipeline.fetch.include_comments {
        format!(
            "conversation{}:{}",
            analyze.max_input_chars,
            analyze.text.as_str()
        )
    } else {
        format!("description{}", analyze.max_input_chars)
    };
    format!("{}:{words}:{CLEANING_VERSION}", analyzer.fingerprint())
}

fn outcome(done: &StagesDone, opts: &RunOptions, fatal: bool, interrupted: &AtomicBool) -> Outcome {
    let w = &done.write;
    // A percentage limit is checked along the way from 20 tickets on; small runs are
    // judged here, at the end.
    let over_limit = w.max_failures_hit
        || matches!(opts.max_failures, Some(l @ MaxFailures::Percent(_)) if l.exceeded_at_end(w.failed, w.written));
    if fatal {
        Outcome::Failed
    } else if over_limit {
        Outcome::MaxFailures
    } else if w.over_budget {
        Outcome::OverBudget
    } else if interrupted.load(Ordering::SeqCst) {
        Outcome::Interrupted
    } else if !done.pending.is_empty() {
        Outcome::Pending
    } else {
        Outcome::Completed
    }
}

/// Outputs are put in place only when the run got to its end (or stopped at
/// --max-failures, which asks for what was done). An interrupted or failed run leaves
/// the last complete CSV as it was; a resumable (incremental) run keeps its partial
/// CSV, whose committed length the checkpoint knows, and the next run continues it.
/// Returns whether the outputs were put in place.
fn finish_outputs(
    sinks: Vec<Box<dyn Sink>>,
    checkpoint: Option<&Checkpoint>,
    outcome: Outcome,
) -> Result<bool, WriteError> {
    if matches!(outcome, Outcome::Completed | Outcome::MaxFailures) {
        for s in sinks {
            s.finish()?;
        }
        if let Some(cp) = checkpoint {
            cp.complete();
        }
        return Ok(true);
    }
    let keep_partial = checkpoint.is_some_and(Checkpoint::has_partial);
    for s in sinks {
        if !keep_partial {
            s.abort();
        }
    }
    Ok(false)
}

/// Moves the `latest` link of each templated output to this run's complete file. The
/// outputs are already in place, so a link that cannot be made is a warning, not a
/// failed run.
fn point_latest(latest: &[(std::path::PathBuf, std::path::PathBuf)]) {
    for (template, path) in latest {
        if let Err(e) = crate::write::dated::point_latest(template, path) {
            tracing::warn!(
                "cannot point the latest link of {} at it: {e}",
                path.display()
            );
        }
    }
}
