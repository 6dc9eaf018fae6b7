//! `zdpipe run`: validate flags, run the pipeline, print and save the summary, write
//! the configured reports, pick the exit code.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use super::{load, Error, Exit, Result, UsageError};
use crate::cache::CacheError;
use crate::cli::RunArgs;
use crate::config::{Env, Pipeline};
use crate::fetch::FetchError;
use crate::pipeline::{self, Fatal, MaxFailures, Outcome, RunError, RunOptions, RunSummary};
use crate::write::dated::RunStamp;

/// Runs `pipeline` with the analyzer its settings name.
pub fn run_pipeline(
    pipeline: &Pipeline,
    env: &Env,
    opts: &RunOptions,
    interrupted: Arc<AtomicBool>,
) -> Result<(RunSummary, Outcome)> {
    pipeline::run(pipeline, env, opts, None, interrupted).map_err(|mut e| {
        if let Some(cache) = cache_error(&mut e) {
            cache.name_path(&pipeline.cache.path);
        }
        e.into()
    })
}

/// The cache error behind a failed run, whichever stage met it.
fn cache_error(e: &mut RunError) -> Option<&mut CacheError> {
    match e {
        RunError::Cache(c) | RunError::Fetch(FetchError::Cache(c)) => Some(c),
        RunError::Halted {
            cause: Fatal::Fetch(FetchError::Cache(c)) | Fatal::Cache(c),
            ..
        } => Some(c),
        _ => None,
    }
}

fn options(args: &RunArgs, quiet: bool) -> Result<RunOptions> {
    let since = args
        .since
        .as_deref()
        .map(crate::config::parse_since_flag)
        .transpose()
        .map_err(|m| UsageError(format!("--since: {m}")))?;
    let max_failures = args
        .max_failures
        .as_deref()
        .map(str::parse::<MaxFailures>)
        .transpose()
        .map_err(|m| UsageError(format!("--max-failures: {m}")))?;
    for (flag, v) in [
        ("--workers", args.workers),
        ("--batch-size", args.batch_size),
    ] {
        if v == Some(0) {
            return Err(UsageError(format!("{flag}: must be at least 1")).into());
        }
    }
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    Ok(RunOptions {
        workers: args.workers,
        batch_size: args.batch_size,
        offline: args.offline,
        refresh: args.refresh,
        reanalyze: args.reanalyze,
        new_cache: args.new_cache,
        since,
        max_failures,
        progress: terminal && !args.no_progress && !quiet,
    })
}

/// Writes `text` to `path` via a temporary file, so readers never see half of it.
pub(super) fn write_atomic(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

/// How `run` speaks on stderr: human text, or (with `--log-format json`) log events.
#[derive(Debug, Clone, Copy)]
pub struct Voice {
    pub quiet: bool,
    pub json: bool,
}

impl Voice {
    /// The end-of-run summary: text on stderr, or one `run finished` info event.
    fn summary(self, summary: &RunSummary) {
        if self.json {
            let s = summary;
            tracing::info!(
                pipeline = %s.pipeline, outcome = %s.outcome, fetched = s.fetched,
                from_cache = s.from_cache, analyzed = s.analyzed, reused = s.reused,
                failed = s.failed, written = s.written, http_requests = s.http_requests,
                http_retries = s.http_retries, rate_limited = s.rate_limited,
                wall_seconds = s.wall_seconds, "run finished"
            );
        } else if !self.quiet {
            eprint!("{}", summary.render());
        }
    }
}

/// Runs the pipeline, then writes `--metrics-file` whatever the run's end.
pub fn run(args: RunArgs, voice: Voice, interrupted: Arc<AtomicBool>) -> Result<Exit> {
    let started = std::time::Instant::now();
    let mut summary = None;
    let result = run_and_report(&args, voice, interrupted, &mut summary);
    let Some(path) = &args.metrics_file else {
        return result;
    };
    let exit = match &result {
        Ok(exit) => *exit,
        Err(e) => e.exit(),
    };
    // A run that failed before it started (bad pipeline file) is named after its file.
    let summary = summary.unwrap_or_else(|| RunSummary {
        pipeline: args
            .pipeline
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into(),
        outcome: Outcome::Failed,
        ..RunSummary::default()
    });
    let end = super::metrics::RunEnd::now(exit, started.elapsed());
    match super::metrics::write_file(path, &summary, &end) {
        Ok(()) => result,
        Err(e) if result.is_err() => {
            tracing::warn!("cannot write {}: {e}", path.display());
            result
        }
        Err(e) => {
            Err(anyhow::anyhow!("cannot write the metrics to {}: {e}", path.display()).into())
        }
    }
}

/// The run itself; leaves the run's summary in `summary` once there is one.
fn run_and_report(
    args: &RunArgs,
    voice: Voice,
    interrupted: Arc<AtomicBool>,
    summary_out: &mut Option<RunSummary>,
) -> Result<Exit> {
    let opts = options(args, voice.quiet)?;
    let (pipeline, env) = load(&args.pipeline)?;
    let result = run_pipeline(&pipeline, &env, &opts, interrupted);
    let (summary, outcome) = match result {
        Ok(r) => r,
        Err(e) => {
            let summary = match &e {
                Error::Run(RunError::Halted { summary, .. }) => (**summary).clone(),
                _ => RunSummary {
                    pipeline: pipeline.name.clone(),
                    outcome: Outcome::Failed,
                    errors: vec![e.to_string()],
                    ..RunSummary::default()
                },
            };
            if let Some(path) = &args.summary_json {
                let json = serde_json::to_string_pretty(&summary).expect("summary serializes");
                if let Err(w) = write_atomic(path, &json) {
                    tracing::warn!("cannot write {}: {w}", path.display());
                }
            }
            if summary.fetched > 0 {
                voice.summary(&summary);
            }
            *summary_out = Some(summary);
            return Err(e);
        }
    };
    let summary = summary_out.insert(summary);
    if let Some(path) = &args.summary_json {
        let json = serde_json::to_string_pretty(&*summary).expect("summary serializes");
        write_atomic(path, &json)
            .map_err(|e| anyhow::anyhow!("cannot write the summary to {}: {e}", path.display()))?;
    }
    voice.summary(summary);
    if outcome == Outcome::Completed && !pipeline.report.outputs.is_empty() {
        // The run's stamp, so reports share its `{date}`, `{time}` and `{run_id}`.
        let stamp = summary.run.clone().unwrap_or_else(RunStamp::now);
        super::report::write_configured(&pipeline, &stamp, voice.quiet || voice.json)?;
    }
    if outcome == Outcome::OverBudget {
        report_budget_stop(pipeline.analyze.llm.max_cost, summary, voice);
    }
    Ok(exit_of(outcome, summary, voice))
}

/// The one line that says `max_cost` stopped the run, what was spent and how many
/// fetched tickets wait for the next run (tickets not fetched yet wait too).
fn report_budget_stop(max_cost: Option<f64>, summary: &RunSummary, voice: Voice) {
    let max_cost = max_cost.unwrap_or_default();
    let spent = summary
        .llm
        .as_ref()
        .and_then(|l| l.cost_usd)
        .unwrap_or_default();
    let left = summary.fetched.saturating_sub(summary.written);
    if voice.json {
        tracing::warn!(
            max_cost,
            spent,
            left,
            "budget: max_cost reached; the tickets left wait for the next run"
        );
    } else {
        eprintln!("zdpipe: budget: max_cost ${max_cost} reached (${spent:.4} spent); {left} tickets left for the next run");
    }
}

/// The exit code of a run that returned an outcome.
fn exit_of(outcome: Outcome, summary: &RunSummary, voice: Voice) -> Exit {
    match outcome {
        Outcome::Interrupted => Exit::Interrupted,
        Outcome::Pending => Exit::Pending,
        // Like failed tickets: a scheduler should look, and the next run goes on.
        Outcome::OverBudget => Exit::SomeTicketsFailed,
        Outcome::MaxFailures => {
            let failed = summary.failed;
            if voice.json {
                tracing::error!(failed, "more tickets failed than --max-failures allows; stopped early, the output holds what was done");
            } else {
                eprintln!("zdpipe: error: more tickets failed than --max-failures allows ({failed} failed); stopped early, the output holds what was done");
            }
            Exit::Failed
        }
        Outcome::Completed if summary.failed > 0 => Exit::SomeTicketsFailed,
        Outcome::Completed => Exit::Ok,
        // A failed run returns its error instead of an outcome.
        Outcome::Failed => Exit::Failed,
    }
}
