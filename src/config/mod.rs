//! Pipeline files: load a TOML file, validate it once, hand out a [`Pipeline`].
//!
//! `raw.rs` mirrors the file (serde, unknown keys denied, every value with its
//! position); `validate.rs`, `fetch.rs` and `analyze.rs` turn it into the settings
//! each stage owns ([`FetchSettings`], [`CacheSettings`], [`AnalyzeSettings`],
//! [`WriteSettings`], [`ReportSettings`], defined in the stages), resolving relative
//! paths against the pipeline file's folder and reporting every problem as
//! `FILE:LINE: [section] key: what is wrong (what is valid)`. Secrets never come from
//! the file: see `env.rs`.

mod analyze;
mod env;
mod fetch;
mod raw;
mod validate;

use std::path::{Path, PathBuf};

pub use env::{Env, Secret};
pub use fetch::parse_since as parse_since_flag;
pub use validate::{check_base_url, parse_duration};

use crate::analyze::AnalyzeSettings;
use crate::cache::CacheSettings;
use crate::fetch::{ColumnRequest, FetchSettings, Source};
use crate::report::ReportSettings;
use crate::write::WriteSettings;

/// A configuration problem: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{location}: {message}")]
pub struct ConfigError {
    /// `file` or `file:line`.
    pub location: String,
    pub message: String,
}

/// A validated pipeline: its name and file, and each stage's settings.
#[derive(Debug, Clone)]
pub struct Pipeline {
    pub name: String,
    /// The file it was loaded from.
    pub file: PathBuf,
    pub fetch: FetchSettings,
    pub cache: CacheSettings,
    pub analyze: AnalyzeSettings,
    pub writes: Vec<WriteSettings>,
    /// The extra columns the `[[write]]` tables ask for (`fields`, `columns`): the
    /// CSV writes them and the results store keeps them.
    pub columns: ColumnRequest,
    pub report: ReportSettings,
}

impl Pipeline {
    /// Reads and validates a pipeline file.
    pub fn load(path: &Path, env: &Env) -> Result<Pipeline, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            location: path.display().to_string(),
            message: format!("cannot read pipeline file: {e}"),
        })?;
        validate::parse(path, &text, env)
    }

    /// Parses pipeline text as if it were read from `path`.
    pub fn from_str(path: &Path, text: &str, env: &Env) -> Result<Pipeline, ConfigError> {
        validate::parse(path, text, env)
    }

    /// The CSV sink's path, when there is one.
    pub fn csv_path(&self) -> Option<&Path> {
        self.writes.iter().find_map(|w| match w {
            WriteSettings::Csv { path } => Some(path.as_path()),
            WriteSettings::Sled { .. } => None,
        })
    }

    /// The results store's path, when there is one.
    pub fn results_path(&self) -> Option<&Path> {
        self.writes.iter().find_map(|w| match w {
            WriteSettings::Sled { path } => Some(path.as_path()),
            WriteSettings::Csv { .. } => None,
        })
    }

    /// Names the account in checkpoints and messages: the Zendesk host, `sandbox` or the file.
    /// Kept as earlier versions wrote it, so stored checkpoints stay found; whose data a
    /// cache holds is the finer [`FetchSettings::account_identity`] (scheme and port,
    /// the sandbox's data set, the file's canonical path).
    pub fn account(&self) -> String {
        match &self.fetch.source {
            Source::Zendesk(t) => t.host().to_string(),
            Source::Sandbox(_) => "sandbox".to_string(),
            Source::File { path, .. } => path.display().to_string(),
        }
    }
}
