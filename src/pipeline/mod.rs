//! The wiring: builds the stages of a run from a validated pipeline and runs them on
//! their own threads (see `stages.rs` for the thread bodies).
//!
//! [`run`] opens the cache, starts the sandbox when the pipeline asks for it, builds
//! the ticket source and the sinks, runs fetch → analyze pool → write, then finishes
//! the outputs, stores the checkpoint, flushes the cache and returns a
//! [`RunSummary`] with the run's [`Outcome`].

mod checkpoint;
mod progress;
// `pub(crate)` for the benchmark's pool (`bench::analyze_pool`).
pub(crate) mod stages;
mod summary;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

pub use checkpoint::{Checkpoint, CheckpointState};
pub use progress::Progress;
pub use summary::{peak_rss_mb, HitMiss, RunSummary, StageTimes, TokenUsage};

use crate::analyze::{Analyzer, BuiltAnalyzer};
use crate::cache::{Cache, CacheError, ReadPolicy};
use crate::config::{Env, Mode, Pipeline, Since, Source, WriteSettings};
use crate::fetch::{read_export, Api, Credentials, FetchError, TicketSource, ZendeskClient};
use crate::sandbox::{SandboxHandle, StartError};
use crate::write::{CsvSink, ResultsStore, Sink, WriteError};
use stages::{AnalyzeCtx, Counters, RunShared, StopState};

/// A `--max-failures` limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MaxFailures {
    Count(u64),
    /// Percent of the tickets written so far (checked from 20 tickets on, and at the end).
    Percent(f64),
}

impl MaxFailures {
    pub fn exceeded(self, failed: u64, written: u64) -> bool {
        match self {
            MaxFailures::Count(n) => failed > n,
            MaxFailures::Percent(p) => written >= 20 && failed as f64 * 100.0 > p * written as f64,
        }
    }

    /// The same test once the run is over, whatever the number of tickets.
    pub fn exceeded_at_end(self, failed: u64, written: u64) -> bool {
        match self {
            MaxFailures::Count(n) => failed > n,
            MaxFailures::Percent(p) => failed as f64 * 100.0 > p * written as f64,
        }
    }
}

impl std::str::FromStr for MaxFailures {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad =
            || format!("{s:?} is not a failure limit (use a count like 5 or a percent like 2%)");
        match s.trim().strip_suffix('%') {
            Some(p) => p
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|p| (0.0..=100.0).contains(p))
                .map(MaxFailures::Percent)
                .ok_or_else(bad),
            None => s
                .trim()
                .parse::<u64>()
                .map(MaxFailures::Count)
                .map_err(|_| bad()),
        }
    }
}

/// Run flags that override or extend the pipeline file.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub workers: Option<usize>,
    pub batch_size: Option<usize>,
    pub offline: bool,
    pub refresh: bool,
    pub reanalyze: bool,
    pub since: Option<Since>,
    pub max_failures: Option<MaxFailures>,
    pub progress: bool,
}

/// How a run ended; decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Completed,
    Interrupted,
    MaxFailures,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Failed(String),
    #[error(transparent)]
    Write(#[from] WriteError),
    /// The run started and then stopped on a fatal error; what it did is summarized.
    #[error("{message}")]
    Halted {
        message: String,
        config: bool,
        summary: Box<RunSummary>,
    },
}

impl From<FetchError> for RunError {
    fn from(e: FetchError) -> Self {
        if e.is_config() {
            RunError::Config(e.to_string())
        } else {
            RunError::Failed(e.to_string())
        }
    }
}

/// Builds the Zendesk client for a pipeline: the sandbox (started here, kept alive by
/// the returned handle), or a real account with credentials from the environment.
pub fn connect(
    pipeline: &Pipeline,
    env: &Env,
    cache: Option<Arc<Cache>>,
    policy: ReadPolicy,
    offline: bool,
) -> Result<(Api, Option<SandboxHandle>, Option<String>), RunError> {
    let fetch = &pipeline.fetch;
    let incremental_limit = if fetch.high_volume { 30 } else { 10 };
    let (base_url, credentials, sandbox, link_base) = match &fetch.source {
        Source::Zendesk(t) => {
            // Offline nothing is sent, so no credentials are needed.
            let creds = if offline {
                Credentials::None
            } else {
                Credentials::from_env(t.auth, env)?
            };
            (t.base_url.clone(), creds, None, Some(t.base_url.clone()))
        }
        Source::Sandbox(settings) => {
            let handle = if offline {
                None
            } else {
                Some(crate::sandbox::start(settings).map_err(|e| match e {
                    StartError::NotBuiltIn => {
                        RunError::Config(format!("{}: {e}", pipeline.file.display()))
                    }
                    StartError::Io(_) => RunError::Failed(e.to_string()),
                })?)
            };
            let url = handle
                .as_ref()
                .map_or_else(|| "http://127.0.0.1:9".to_string(), SandboxHandle::base_url);
            (url, Credentials::None, handle, None)
        }
        Source::File { .. } => (
            "http://127.0.0.1:9".to_string(),
            Credentials::None,
            None,
            None,
        ),
    };
    // The sandbox has no per-endpoint budgets unless its own knobs set them.
    let incremental_limit = if sandbox.is_some() {
        fetch.rate_limit_per_minute
    } else {
        incremental_limit
    };
    let client = ZendeskClient::new(&base_url, credentials, fetch, incremental_limit)?;
    Ok((
        Api {
            client,
            cache,
            policy,
            offline,
        },
        sandbox,
        link_base,
    ))
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Runs a pipeline to the end (or until `interrupted` is set) and summarizes it.
pub fn run(
    pipeline: &Pipeline,
    env: &Env,
    opts: &RunOptions,
    analyzer: Option<Arc<dyn Analyzer>>,
    interrupted: Arc<AtomicBool>,
) -> Result<(RunSummary, Outcome), RunError> {
    let started = Instant::now();
    let analyzed_at = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let cache = Arc::new(Cache::open(&pipeline.cache)?);
    let policy = if opts.offline {
        ReadPolicy::AnyAge
    } else if opts.refresh {
        ReadPolicy::Bypass
    } else {
        ReadPolicy::Fresh
    };
    let (mut api, sandbox, link_base) =
        connect(pipeline, env, Some(cache.clone()), policy, opts.offline)?;
    api.client.set_interrupt(interrupted.clone());
    let api = Arc::new(api);
    let built = match analyzer {
        Some(a) => BuiltAnalyzer::from_analyzer(a),
        None if opts.offline => crate::analyze::build_offline(&pipeline.analyze, env)
            .map_err(|e| RunError::Config(e.to_string()))?,
        None => {
            let sandbox_url = sandbox.as_ref().map(SandboxHandle::base_url);
            crate::analyze::build(&pipeline.analyze, env, sandbox_url.as_deref())
                .map_err(|e| RunError::Config(e.to_string()))?
        }
    };
    let analyzer = built.analyzer.clone();
    let analyze = &pipeline.analyze;
    let source_opts = crate::fetch::SourceOptions {
        include_comments: pipeline.fetch.include_comments,
        exclude_deleted: pipeline.fetch.exclude_deleted,
        max_input_chars: analyze.max_input_chars,
    };

    let mut checkpoint = None;
    let mut resume_csv = None;
    let source = match (&pipeline.fetch.mode, &pipeline.fetch.source) {
        (
            _,
            Source::File {
                path,
                on_bad_record,
            },
        ) => TicketSource::file(read_export(path, *on_bad_record)?, source_opts),
        (Mode::Views(views), _) => TicketSource::views(api.clone(), views.clone(), source_opts),
        (Mode::Incremental { since }, _) => {
            let cp = Checkpoint::new(cache.clone(), &pipeline.account(), &pipeline.name);
            let stored = cp.load();
            let since = opts.since.unwrap_or(*since);
            let start_time = match since {
                Since::Ago(d) => now_secs() - d.as_secs() as i64,
                Since::At(t) => t,
            }
            .min(now_secs() - 61);
            let cursor = match (&stored, opts.since) {
                (Some(s), None) => {
                    resume_csv = s.csv_len;
                    Some(s.cursor.clone())
                }
                _ => {
                    // Not resuming: a partial CSV of an earlier run must not be
                    // continued later with this run's file.
                    cp.forget_partial();
                    None
                }
            };
            checkpoint = Some(cp);
            TicketSource::incremental(api.clone(), start_time, cursor, source_opts)
        }
        (Mode::File, _) => {
            return Err(RunError::Config(
                "mode = \"file\" needs source = \"file\"".into(),
            ))
        }
    };

    let mut sinks: Vec<Box<dyn Sink>> = Vec::new();
    let mut outputs = Vec::new();
    for w in &pipeline.writes {
        match w {
            WriteSettings::Csv { path } => {
                sinks.push(Box::new(CsvSink::create(path, resume_csv)?));
                outputs.push(path.display().to_string());
            }
            WriteSettings::Sled { path } => {
                sinks.push(Box::new(ResultsStore::open(path)?));
                outputs.push(format!("{} (results store)", path.display()));
            }
        }
    }

    let workers = opts.workers.unwrap_or(analyze.workers).max(1);
    // An LLM call mostly waits: hand tickets out one by one so `workers` requests are
    // in flight; CPU-bound analyzers take whole batches to keep channel traffic low.
    let batch_size = if analyzer.io_bound() {
        1
    } else {
        opts.batch_size.unwrap_or(analyze.batch_size).max(1)
    };
    let progress = Progress::new(opts.progress);
    let counters = Counters::default();
    let stop = StopState::default();
    // What the analyzer read is part of what it said: with comments (and their
    // budget) the same ticket version can get another answer.
    let fingerprint = if pipeline.fetch.include_comments {
        format!(
            "{}:conversation{}",
            analyzer.fingerprint(),
            analyze.max_input_chars
        )
    } else {
        analyzer.fingerprint()
    };
    let name = analyzer.name();
    let (batch_tx, batch_rx) = crossbeam_channel::bounded(analyze.queue);
    let (done_tx, done_rx) = crossbeam_channel::bounded(analyze.queue.max(workers));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("zdpipe-fetch-io")
        .build()
        .map_err(|e| RunError::Failed(format!("cannot start the async runtime: {e}")))?;

    let run_shared = RunShared {
        counters: &counters,
        stop: &stop,
        interrupted: &interrupted,
        progress: &progress,
    };
    let ctx = AnalyzeCtx {
        analyzer: analyzer.as_ref(),
        name: &name,
        fingerprint: &fingerprint,
        cache: Some(&cache),
        reanalyze: opts.reanalyze,
        analyzed_at: &analyzed_at,
        link_base: link_base.as_deref(),
    };
    let (skipped, write_out) = std::thread::scope(|s| {
        let run = &run_shared;
        let fetcher = std::thread::Builder::new()
            .name("zdpipe-fetch".into())
            .spawn_scoped(s, move || {
                stages::fetch(rt, source, batch_size, batch_tx, run)
            })
            .expect("spawn fetch thread");
        for i in 0..workers {
            let (rx, tx, ctx) = (batch_rx.clone(), done_tx.clone(), &ctx);
            std::thread::Builder::new()
                .name(format!("zdpipe-analyze-{i}"))
                .spawn_scoped(s, move || stages::analyze(rx, tx, ctx, run))
                .expect("spawn analyze thread");
        }
        drop(batch_rx);
        drop(done_tx);
        let writer = std::thread::Builder::new()
            .name("zdpipe-write".into())
            .spawn_scoped(s, || {
                stages::write(
                    done_rx,
                    &mut sinks,
                    checkpoint.as_ref(),
                    opts.max_failures,
                    &stop,
                    &progress,
                )
            })
            .expect("spawn write thread");
        let skipped = fetcher.join().unwrap_or_else(|_| {
            stop.fail("the fetch stage panicked (a bug): stopping".into(), false);
            0
        });
        let written = writer.join().unwrap_or_else(|_| {
            stop.fail("the write stage panicked (a bug): stopping".into(), false);
            stages::WriteOutcome::default()
        });
        (skipped, written)
    });
    progress.finish();
    let mut write_out = write_out;
    // A percentage limit is checked along the way from 20 tickets on; small runs are
    // judged here, at the end.
    if let Some(limit @ MaxFailures::Percent(_)) = opts.max_failures {
        if limit.exceeded_at_end(write_out.failed, write_out.written) {
            write_out.max_failures_hit = true;
        }
    }

    let fatal = stop.fatal.lock().expect("stop lock").take();
    let was_interrupted = interrupted.load(Ordering::SeqCst);
    let outcome = if write_out.max_failures_hit {
        Outcome::MaxFailures
    } else if was_interrupted {
        Outcome::Interrupted
    } else {
        Outcome::Completed
    };
    // Outputs are put in place only when the run got to its end (or stopped at
    // --max-failures, which asks for what was done). An interrupted or failed run leaves
    // the last complete CSV as it was; a resumable (incremental) run keeps its partial
    // CSV, whose committed length the checkpoint knows, and the next run continues it.
    let finish_outputs =
        fatal.is_none() && write_out.error.is_none() && outcome != Outcome::Interrupted;
    let t_finish = Instant::now();
    if finish_outputs {
        for s in sinks {
            s.finish()?;
        }
        if let Some(cp) = &checkpoint {
            cp.complete();
        }
    } else {
        let keep_partial = checkpoint.as_ref().is_some_and(|c| c.has_partial());
        for s in sinks {
            if !keep_partial {
                s.abort();
            }
        }
    }
    cache.persist_run_counts()?;
    cache.flush()?;
    let write_busy = write_out.busy + t_finish.elapsed();

    let c = &counters;
    let wall = started.elapsed().as_secs_f64();
    let mut summary = RunSummary {
        pipeline: pipeline.name.clone(),
        outcome: match (&fatal, outcome) {
            (Some(_), _) => "failed",
            (None, Outcome::Completed) => "completed",
            (None, Outcome::Interrupted) => "interrupted",
            (None, Outcome::MaxFailures) => "stopped_max_failures",
        }
        .to_string(),
        fetched: c.fetched.load(Ordering::Relaxed),
        from_cache: cache.tickets.hits(),
        analyzed: c.analyzed.load(Ordering::Relaxed),
        reused: c.reused.load(Ordering::Relaxed),
        failed: write_out.failed,
        written: write_out.written,
        skipped_records: skipped,
        http_requests: api.client.counters.requests.load(Ordering::Relaxed),
        http_retries: api.client.counters.retries.load(Ordering::Relaxed),
        rate_limited: api.client.counters.rate_limited.load(Ordering::Relaxed),
        cache: cache
            .run_counts()
            .into_iter()
            .map(|(k, h, m)| (k.to_string(), HitMiss { hits: h, misses: m }))
            .collect(),
        stage_seconds: StageTimes {
            fetch_s: c.fetch_busy_ns.load(Ordering::Relaxed) as f64 / 1e9,
            analyze_s: c.analyze_busy_ns.load(Ordering::Relaxed) as f64 / 1e9,
            write_s: write_busy.as_secs_f64(),
        },
        wall_seconds: wall,
        tickets_per_second: if wall > 0.0 {
            write_out.written as f64 / wall
        } else {
            0.0
        },
        peak_rss_mb: peak_rss_mb(),
        llm: built.llm.as_ref().map(|l| {
            let u = l.usage();
            TokenUsage {
                requests: u.requests,
                input_tokens: u.input_tokens,
                output_tokens: u.output_tokens,
                cost_usd: u.cost_usd,
            }
        }),
        outputs: if finish_outputs { outputs } else { Vec::new() },
        errors: Vec::new(),
    };
    let failure = match (fatal, write_out.error) {
        (Some(msg), _) => Some((msg, stop.fatal_is_config.load(Ordering::SeqCst))),
        (None, Some(e)) => Some((e.to_string(), false)),
        (None, None) => None,
    };
    if let Some((message, config)) = failure {
        summary.outcome = "failed".into();
        summary.errors.push(message.clone());
        return Err(RunError::Halted {
            message,
            config,
            summary: Box::new(summary),
        });
    }
    Ok((summary, outcome))
}
