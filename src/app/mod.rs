//! One thin operation per subcommand: turn parsed arguments into options, call the
//! stages, print the result. Errors carry enough type to pick the exit code.

mod bench;
mod bench_pipeline;
mod cache;
mod check;
mod completions;
mod eval;
mod init;
mod init_template;
mod man;
mod report;
mod run;
mod sandbox;
mod views;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub use run::run_pipeline;

use crate::cache::CacheError;
use crate::cli::{Cli, Command};
use crate::config::{ConfigError, Env, Pipeline};
use crate::fetch::FetchError;
use crate::pipeline::RunError;
use crate::write::WriteError;

/// The top-level result type: anyhow, with typed errors inside for exit codes.
pub type Result<T> = anyhow::Result<T>;

/// The documented exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    Ok = 0,
    Failed = 1,
    Usage = 2,
    SomeTicketsFailed = 3,
    Locked = 75,
    Interrupted = 130,
}

/// A usage mistake found after parsing (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Picks the exit code for an error from the types in its chain.
pub fn exit_code_for(err: &anyhow::Error) -> Exit {
    for cause in err.chain() {
        if let Some(CacheError::Locked { .. }) = cause.downcast_ref::<CacheError>() {
            return Exit::Locked;
        }
        if let Some(WriteError::Locked { .. }) = cause.downcast_ref::<WriteError>() {
            return Exit::Locked;
        }
        if cause.is::<ConfigError>()
            || cause.is::<UsageError>()
            || cause.is::<crate::analyze::AnalyzerSetupError>()
        {
            return Exit::Usage;
        }
        if let Some(e) = cause.downcast_ref::<FetchError>() {
            return if e.is_config() {
                Exit::Usage
            } else {
                Exit::Failed
            };
        }
        match cause.downcast_ref::<RunError>() {
            Some(RunError::Config(_)) | Some(RunError::Halted { config: true, .. }) => {
                return Exit::Usage
            }
            Some(RunError::Cache(CacheError::Locked { .. })) => return Exit::Locked,
            Some(_) => return Exit::Failed,
            None => {}
        }
    }
    Exit::Failed
}

/// Ctrl-C and SIGTERM during `run`: the first sets the returned flag (stop fetching,
/// finish what is in flight, flush, exit 130); the second exits at once. Other
/// commands keep the default: they have nothing to flush.
pub fn install_signal_handler() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    let result = ctrlc::set_handler(move || {
        if f.swap(true, Ordering::SeqCst) {
            eprintln!("zdpipe: interrupted again, exiting now");
            std::process::exit(Exit::Interrupted as i32);
        }
        eprintln!(
            "zdpipe: interrupted: finishing what is in flight (Ctrl-C again to quit at once)"
        );
    });
    if let Err(e) = result {
        tracing::warn!("cannot install the Ctrl-C handler: {e}");
    }
    flag
}

/// Loads a pipeline with the process environment.
pub fn load(path: &Path) -> Result<(Pipeline, Env)> {
    let env = Env::from_process();
    let pipeline = Pipeline::load(path, &env)?;
    Ok((pipeline, env))
}

/// Runs the parsed command.
pub fn dispatch(cli: Cli) -> Result<Exit> {
    let quiet = cli.quiet;
    match cli.command {
        Command::Run(args) => run::run(args, quiet, install_signal_handler()),
        Command::Views { pipeline, json } => views::views(&pipeline, json),
        Command::Check { pipeline } => check::check(&pipeline),
        Command::Sandbox(args) => sandbox::serve(args),
        Command::Cache(cmd) => cache::cache(cmd),
        Command::Report(args) => report::report(args),
        Command::Results(cmd) => report::results(cmd),
        Command::Eval {
            output,
            labels,
            json,
        } => eval::eval(&output, &labels, json),
        Command::Bench(args) => bench::bench(args),
        Command::Init(args) => init::init(args),
        Command::Completions { shell } => completions::completions(shell),
        Command::Man { dir } => man::man(dir.as_deref()),
    }
}
