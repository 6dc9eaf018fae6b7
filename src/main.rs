//! The `zdpipe` binary: parse the command line, set up logging and Ctrl-C handling,
//! run the operation, and turn its result into the documented exit code. On Unix it
//! allocates with jemalloc.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use zdpipe::app::{self, Exit};
use zdpipe::cli::{Cli, LogFormat};

/// jemalloc rather than the system's malloc: see its entry in `Cargo.toml`.
#[cfg(unix)]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Log lines go to stderr, around the progress bars rather than through them.
struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        zdpipe::pipeline::Progress::suspend_for_log(|| std::io::stderr().write_all(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

fn init_logging(cli: &Cli) {
    let json = cli.log_format == LogFormat::Json;
    // JSON logs are for shippers: the end-of-run summary is an info event there.
    let default = match (cli.quiet, cli.verbose, json) {
        (true, _, _) => "error",
        (false, 0, false) => "warn",
        (false, 0, true) | (false, 1, _) => "info",
        (false, _, _) => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("zdpipe={default},warn")));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| LogWriter)
        .with_target(false);
    if json {
        // Stable keys: timestamp (RFC 3339, UTC), level, message and the event's fields.
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .with_ansi(false)
            .init();
    } else {
        builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli);
    let quiet = cli.quiet;
    let json = cli.log_format == LogFormat::Json;
    match app::dispatch(cli) {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(err) => {
            let code = err.exit();
            // A closed stdout (`zdpipe views | head`) is not an error.
            if code != Exit::Ok && (!quiet || code != Exit::Interrupted) {
                let message = one_line(&chain(&err));
                if json {
                    tracing::error!(exit_code = code as u8, "{message}");
                } else {
                    eprintln!("zdpipe: error: {message}");
                }
            }
            ExitCode::from(code as u8)
        }
    }
}

/// The error and its causes, each cause once (most messages already name theirs).
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        let part = c.to_string();
        if !text.contains(&part) {
            text = format!("{text}: {part}");
        }
        cause = c.source();
    }
    text
}

/// Error chains print on one line.
fn one_line(s: &str) -> String {
    s.lines().map(str::trim).collect::<Vec<_>>().join(" ")
}
