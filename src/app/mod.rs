//! One thin operation per subcommand: turn parsed arguments into options, call the
//! stages, print the result. Errors keep their type up to [`Error::exit`], the one
//! place that picks the exit code.

#[cfg(feature = "sandbox")]
mod bench;
mod cache;
mod check;
mod completions;
mod error;
mod eval;
mod fields;
mod init;
mod init_template;
mod man;
mod metrics;
mod plan;
mod report;
mod run;
#[cfg(feature = "sandbox")]
mod sandbox;
mod views;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub use run::run_pipeline;

pub use error::{Error, UsageError};

use crate::cli::{Cli, Command};
use crate::config::{Env, Pipeline};

/// The result of a command: the typed [`Error`] decides the exit code.
pub type Result<T> = std::result::Result<T, Error>;

/// The documented exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    Ok = 0,
    Failed = 1,
    Usage = 2,
    SomeTicketsFailed = 3,
    /// Provider batches still owe answers (`[analyze] batch = true`): run again later.
    Pending = 4,
    Locked = 75,
    Interrupted = 130,
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
    let voice = run::Voice {
        quiet,
        json: cli.log_format == crate::cli::LogFormat::Json,
    };
    match cli.command {
        Command::Run(args) => run::run(args, voice, install_signal_handler()),
        Command::Views { pipeline, json } => views::views(&pipeline, json),
        Command::Fields { pipeline, json } => fields::fields(&pipeline, json),
        Command::Check { pipeline } => check::check(&pipeline),
        Command::Plan { pipeline, json } => plan::plan(&pipeline, json),
        #[cfg(feature = "sandbox")]
        Command::Sandbox(settings) => sandbox::serve(settings),
        Command::Cache(cmd) => cache::cache(cmd),
        Command::Report(args) => report::report(args),
        Command::Results(cmd) => report::results(cmd),
        Command::Eval {
            output,
            labels,
            json,
        } => eval::eval(&output, &labels, json),
        #[cfg(feature = "sandbox")]
        Command::Bench(args) => bench::bench(args),
        Command::Init(args) => init::init(args),
        Command::Completions { shell } => completions::completions(shell),
        Command::Man { dir } => man::man(dir.as_deref()),
    }
}
