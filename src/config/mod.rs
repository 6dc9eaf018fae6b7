//! Pipeline files: load a TOML file, validate it once, hand out a [`Pipeline`].
//!
//! `raw.rs` mirrors the file (serde, unknown keys denied); `validate.rs` turns it into
//! the typed settings below, resolving relative paths against the pipeline file's
//! folder and reporting every problem as `FILE:LINE: [section] key: what is wrong
//! (what is valid)`. Secrets never come from the file: see `env.rs`.

mod analyze;
mod env;
mod raw;
mod validate;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use env::{Env, Secret};
pub use validate::{check_base_url, parse_duration, parse_since as parse_since_flag};

use crate::analyze::taxonomy::Taxonomy;
use crate::sandbox::SandboxSettings;

/// A configuration problem: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{location}: {message}")]
pub struct ConfigError {
    /// `file` or `file:line`.
    pub location: String,
    pub message: String,
}

/// A validated pipeline.
#[derive(Debug, Clone)]
pub struct Pipeline {
    pub name: String,
    /// The file it was loaded from.
    pub file: PathBuf,
    pub fetch: FetchSettings,
    pub cache: CacheSettings,
    pub analyze: AnalyzeSettings,
    pub writes: Vec<WriteSettings>,
    pub report: ReportSettings,
}

#[derive(Debug, Clone)]
pub struct FetchSettings {
    pub source: Source,
    pub mode: Mode,
    pub rate_limit_per_minute: u32,
    /// The window the limits count in: a minute, as Zendesk counts (tests shrink it).
    pub rate_window: Duration,
    pub high_volume: bool,
    pub max_retries: u32,
    /// Wait used when a 429 carries no `Retry-After`.
    pub retry_after_default: Duration,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub include_comments: bool,
    pub exclude_deleted: bool,
}

#[derive(Debug, Clone)]
pub enum Source {
    /// A real Zendesk account (or anything speaking its API at `base_url`).
    Zendesk(ZendeskTarget),
    /// The built-in simulated Zendesk, started in-process on 127.0.0.1.
    Sandbox(SandboxSettings),
    /// A Zendesk JSON export on disk.
    File {
        path: PathBuf,
        on_bad_record: OnBadRecord,
    },
}

#[derive(Debug, Clone)]
pub struct ZendeskTarget {
    /// `https://acme.zendesk.com`, no trailing slash.
    pub base_url: String,
    pub auth: AuthKind,
}

impl ZendeskTarget {
    /// The host, for messages ("view 123 not found in acme.zendesk.com").
    pub fn host(&self) -> &str {
        let rest = self
            .base_url
            .split_once("://")
            .map_or(self.base_url.as_str(), |(_, r)| r);
        rest.split('/').next().unwrap_or(rest)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    ApiToken,
    OAuth,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnBadRecord {
    Skip,
    Fail,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// Every ticket of these views, in order; a ticket in several views is written once.
    Views(Vec<u64>),
    /// Everything changed since the checkpoint (or `since` on the first run).
    Incremental { since: Since },
    /// The file source reads the whole file.
    File,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// This long before the run.
    Ago(Duration),
    /// A fixed instant, unix seconds.
    At(i64),
}

#[derive(Debug, Clone)]
pub struct CacheSettings {
    pub path: PathBuf,
    pub ttl: Ttls,
    pub capacity_bytes: u64,
}

/// Time-to-live per store; zero disables the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ttls {
    pub views: Duration,
    pub tickets: Duration,
    pub users: Duration,
    pub view_listings: Duration,
}

impl Default for Ttls {
    fn default() -> Self {
        Ttls {
            views: Duration::from_secs(15 * 60),
            tickets: Duration::from_secs(5 * 60),
            users: Duration::from_secs(30 * 60),
            view_listings: Duration::from_secs(15 * 60),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnalyzerKind {
    Builtin,
    OpenAi,
    Anthropic,
}

impl AnalyzerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AnalyzerKind::Builtin => "builtin",
            AnalyzerKind::OpenAi => "openai",
            AnalyzerKind::Anthropic => "anthropic",
        }
    }
}

#[derive(Debug, Clone)]
pub struct AnalyzeSettings {
    pub analyzer: AnalyzerKind,
    pub workers: usize,
    pub batch_size: usize,
    /// Channel depth between stages, in batches.
    pub queue: usize,
    pub max_input_chars: usize,
    pub taxonomy: Taxonomy,
    pub builtin: BuiltinSettings,
    pub llm: LlmSettings,
}

#[derive(Debug, Clone, Default)]
pub struct BuiltinSettings {
    pub lexicon: Option<PathBuf>,
    pub support_layer: bool,
}

#[derive(Debug, Clone)]
pub struct LlmSettings {
    pub model: String,
    /// Without `/v1`; `None` = the provider's env var or public endpoint.
    pub base_url: Option<String>,
    pub temperature: f64,
    pub max_tokens: u32,
    pub timeout: Duration,
    pub json_object: bool,
    pub redact_pii: bool,
    pub max_retries: u32,
    /// USD per million input and output tokens, for the cost estimate.
    pub price: Option<(f64, f64)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteSettings {
    Csv { path: PathBuf },
    Sled { path: PathBuf },
}

#[derive(Debug, Clone, Default)]
pub struct ReportSettings {
    pub outputs: Vec<(ReportFormat, PathBuf)>,
    pub title: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Text,
    Markdown,
    Html,
    Json,
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
    pub fn account(&self) -> String {
        match &self.fetch.source {
            Source::Zendesk(t) => t.host().to_string(),
            Source::Sandbox(_) => "sandbox".to_string(),
            Source::File { path, .. } => path.display().to_string(),
        }
    }
}
