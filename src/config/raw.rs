//! The pipeline file as written: serde types that mirror the TOML one to one.
//!
//! Every table denies unknown keys, so a typo is an error naming the key instead of a
//! silently ignored setting. Every key and table is [`Spanned`], so a later error can
//! point at the exact line of the value (or of the table's header when a key is
//! missing). Keys whose value is one of a fixed set of names are enums: serde rejects
//! anything else with the list of valid names. Nothing here is validated beyond its
//! TOML type; that is `validate.rs`'s job.

use serde::Deserialize;
use toml::Spanned;

use crate::analyze::{AnalyzerKind, JsonMode, Price};
use crate::fetch::{AuthKind, OnBadRecord};
use crate::model::taxonomy::Label;
use crate::sandbox::SandboxSettings;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPipeline {
    pub name: Option<Spanned<String>>,
    pub fetch: Option<Spanned<RawFetch>>,
    pub cache: Option<Spanned<RawCache>>,
    pub analyze: Option<Spanned<RawAnalyze>>,
    pub write: Option<Vec<Spanned<RawWrite>>>,
    pub report: Option<Spanned<RawReport>>,
}

/// `source`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    #[default]
    Zendesk,
    Sandbox,
    File,
}

/// `mode` (the file source has none: it reads the whole file).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModeKind {
    #[default]
    View,
    Incremental,
    Search,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFetch {
    pub source: Option<Spanned<SourceKind>>,
    pub subdomain: Option<Spanned<String>>,
    pub base_url: Option<Spanned<String>>,
    pub auth: Option<Spanned<AuthKind>>,
    pub mode: Option<Spanned<ModeKind>>,
    pub views: Option<Spanned<Vec<u64>>>,
    pub since: Option<Spanned<String>>,
    pub query: Option<Spanned<String>>,
    /// `"auto"` or a number; any TOML value, so validation can say what is valid.
    pub rate_limit_per_minute: Option<Spanned<toml::Value>>,
    pub api_share: Option<Spanned<f64>>,
    pub rate_window: Option<Spanned<String>>,
    pub high_volume: Option<Spanned<bool>>,
    pub max_retries: Option<Spanned<u32>>,
    pub retry_after_default: Option<Spanned<String>>,
    pub timeout: Option<Spanned<String>>,
    pub connect_timeout: Option<Spanned<String>>,
    pub ca_file: Option<Spanned<String>>,
    pub include_comments: Option<Spanned<bool>>,
    pub exclude_deleted: Option<Spanned<bool>>,
    pub path: Option<Spanned<String>>,
    pub on_bad_record: Option<Spanned<OnBadRecord>>,
    /// `[fetch.sandbox]`: the sandbox's own settings type, read as is.
    pub sandbox: Option<Spanned<SandboxSettings>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCache {
    pub path: Option<Spanned<String>>,
    pub ttl: Option<Spanned<RawTtl>>,
    pub capacity_mb: Option<Spanned<u64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTtl {
    pub views: Option<Spanned<String>>,
    pub tickets: Option<Spanned<String>>,
    pub users: Option<Spanned<String>>,
    pub view_listings: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAnalyze {
    pub analyzer: Option<Spanned<AnalyzerKind>>,
    pub workers: Option<Spanned<usize>>,
    pub batch_size: Option<Spanned<usize>>,
    pub queue: Option<Spanned<usize>>,
    pub max_input_chars: Option<Spanned<usize>>,
    pub text: Option<Spanned<crate::analyze::TextMode>>,
    pub builtin: Option<Spanned<RawBuiltin>>,
    pub category: Option<Spanned<Vec<Spanned<Label>>>>,
    pub component: Option<Spanned<Vec<Spanned<Label>>>>,
    pub model: Option<Spanned<String>>,
    pub base_url: Option<Spanned<String>>,
    pub temperature: Option<Spanned<f64>>,
    /// `max_tokens` is the key's former name, still read.
    #[serde(alias = "max_tokens")]
    pub max_output_tokens: Option<Spanned<u32>>,
    pub timeout: Option<Spanned<String>>,
    pub ca_file: Option<Spanned<String>>,
    pub json_mode: Option<Spanned<JsonMode>>,
    pub redact_pii: Option<Spanned<bool>>,
    pub max_retries: Option<Spanned<u32>>,
    pub price: Option<Spanned<Price>>,
    pub tokens_per_minute: Option<Spanned<u64>>,
    pub batch: Option<Spanned<bool>>,
    pub batch_wait: Option<Spanned<String>>,
    pub max_cost: Option<Spanned<f64>>,
    pub hybrid: Option<Spanned<RawHybrid>>,
}

/// `[analyze.hybrid]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHybrid {
    pub llm: Option<Spanned<crate::analyze::llm::Provider>>,
    pub below_confidence: Option<Spanned<f64>>,
    pub languages: Option<Spanned<Vec<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBuiltin {
    pub lexicon: Option<Spanned<String>>,
    pub support_layer: Option<Spanned<bool>>,
}

/// `[[write]] kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteKind {
    Csv,
    Sled,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWrite {
    pub kind: Option<Spanned<WriteKind>>,
    pub path: Option<Spanned<String>>,
    /// Custom fields by title (a string) or id (an integer).
    pub fields: Option<Spanned<Vec<Spanned<toml::Value>>>>,
    /// Standard column names; checked against the list in `validate.rs`.
    pub columns: Option<Spanned<Vec<Spanned<String>>>>,
}

/// `[report]`: format name -> output path, e.g. `html = "out/report.html"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReport {
    pub text: Option<Spanned<String>>,
    pub markdown: Option<Spanned<String>>,
    pub html: Option<Spanned<String>>,
    pub json: Option<Spanned<String>>,
    pub title: Option<Spanned<String>>,
    pub by: Option<Spanned<Vec<String>>>,
}
