//! The `zdpipe` binary: parse the command line, set up logging and Ctrl-C handling,
//! run the operation, and turn its result into the documented exit code.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use zdpipe::app::{self, Exit};
use zdpipe::cli::Cli;

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
    let default = match (cli.quiet, cli.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("zdpipe={default},warn")));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| LogWriter)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli);
    let quiet = cli.quiet;
    match app::dispatch(cli) {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(err) => {
            let code = err.exit();
            // A closed stdout (`zdpipe views | head`) is not an error.
            if code != Exit::Ok && (!quiet || code != Exit::Interrupted) {
                eprintln!("zdpipe: error: {}", one_line(&chain(&err)));
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
