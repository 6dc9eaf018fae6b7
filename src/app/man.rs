//! `zdpipe man [--dir DIR]`: roff man pages generated from the clap definitions,
//! one per command and subcommand (zdpipe.1, zdpipe-run.1, zdpipe-cache-stats.1, ...).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::CommandFactory;
use clap_mangen::Man;

use super::{Exit, Result};
use crate::cli::Cli;

pub fn man(dir: Option<&Path>) -> Result<Exit> {
    let mut top = Cli::command().disable_help_subcommand(true);
    // Building fills in the display names ("zdpipe-cache-stats") the page names use.
    top.build();
    let Some(dir) = dir else {
        let mut page = Vec::new();
        Man::new(top).render(&mut page)?;
        std::io::stdout().lock().write_all(&page)?;
        return Ok(Exit::Ok);
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut written = Vec::new();
    write_pages(&top, dir, &mut written)
        .with_context(|| format!("cannot write man pages to {}", dir.display()))?;
    for path in &written {
        println!("{}", path.display());
    }
    Ok(Exit::Ok)
}

/// Writes the page of `cmd` and of every subcommand below it.
fn write_pages(cmd: &clap::Command, dir: &Path, written: &mut Vec<PathBuf>) -> Result<()> {
    written.push(Man::new(cmd.clone()).generate_to(dir)?);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir, written)?;
    }
    Ok(())
}
