//! `zdpipe completions SHELL`: the shell completion script for the whole command
//! line, generated from the clap definitions so it never drifts from them.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell;

use super::{Exit, Result};
use crate::cli::Cli;

pub fn completions(shell: Shell) -> Result<Exit> {
    // clap_complete panics on a failed write; rendering into memory first lets a
    // closed pipe (`zdpipe completions bash | head`) end quietly like other output.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "zdpipe", &mut script);
    std::io::stdout().lock().write_all(&script)?;
    Ok(Exit::Ok)
}
