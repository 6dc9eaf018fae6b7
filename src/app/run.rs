//! `zdpipe run`: validate flags, run the pipeline, print and save the summary, write
//! the configured reports, pick the exit code.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use super::{load, Error, Exit, Result, UsageError};
use crate::cli::RunArgs;
use crate::config::{Env, Pipeline};
use crate::pipeline::{self, MaxFailures, Outcome, RunError, RunOptions, RunSummary};
use crate::write::dated::RunStamp;

/// Runs `pipeline` with the analyzer its settings name.
pub fn run_pipeline(
    pipeline: &Pipeline,
    env: &Env,
    opts: &RunOptions,
    interrupted: Arc<AtomicBool>,
) -> Result<(RunSummary, Outcome)> {
    Ok(pipeline::run(pipeline, env, opts, None, interrupted)?)
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

pub fn run(args: RunArgs, quiet: bool, interrupted: Arc<AtomicBool>) -> Result<Exit> {
    let opts = options(&args, quiet)?;
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
            if !quiet && summary.fetched > 0 {
                eprint!("{}", summary.render());
            }
            return Err(e);
        }
    };
    if let Some(path) = &args.summary_json {
        let json = serde_json::to_string_pretty(&summary).expect("summary serializes");
        write_atomic(path, &json)
            .map_err(|e| anyhow::anyhow!("cannot write the summary to {}: {e}", path.display()))?;
    }
    if !quiet {
        eprint!("{}", summary.render());
    }
    if outcome == Outcome::Completed && !pipeline.report.outputs.is_empty() {
        // The run's stamp, so reports share its `{date}`, `{time}` and `{run_id}`.
        let stamp = summary.run.clone().unwrap_or_else(RunStamp::now);
        super::report::write_configured(&pipeline, &stamp, quiet)?;
    }
    Ok(match outcome {
        Outcome::Interrupted => Exit::Interrupted,
        Outcome::MaxFailures => {
            eprintln!("zdpipe: error: more tickets failed than --max-failures allows ({} failed); stopped early, the output holds what was done", summary.failed);
            Exit::Failed
        }
        Outcome::Completed if summary.failed > 0 => Exit::SomeTicketsFailed,
        Outcome::Completed => Exit::Ok,
        // A failed run returns its error instead of an outcome.
        Outcome::Failed => Exit::Failed,
    })
}
