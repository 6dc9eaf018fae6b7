//! `zdpipe eval`: score an output CSV against gold labels.

use std::path::Path;

use super::{Exit, Result};
use crate::report::eval;

pub fn eval(output: &Path, labels: &Path, json: bool) -> Result<Exit> {
    let report = eval::evaluate(output, labels).map_err(|e| super::UsageError(format!("{e:#}")))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", eval::render_text(&report));
    }
    Ok(Exit::Ok)
}
