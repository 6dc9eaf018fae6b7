//! `zdpipe eval`: score an output CSV against gold labels (see [`crate::eval`]).

use std::path::Path;

use super::{Exit, Result, UsageError};
use crate::eval;

/// Unreadable or malformed files are usage errors (exit 2).
pub fn eval(output: &Path, labels: &Path, json: bool) -> Result<Exit> {
    let report = eval::evaluate(output, labels).map_err(|e| UsageError(e.to_string()))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", eval::render_text(&report));
    }
    Ok(Exit::Ok)
}
