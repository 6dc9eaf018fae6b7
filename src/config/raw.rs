//! The pipeline file as written: serde types that mirror the TOML one to one.
//!
//! Every table denies unknown keys, so a typo is an error naming the key instead of a
//! silently ignored setting. Nothing here is validated beyond its TOML type; that is
//! `validate.rs`'s job.

use serde::Deserialize;

use crate::analyze::taxonomy::Label;
use crate::sandbox::SandboxSettings;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPipeline {
    pub name: Option<String>,
    pub fetch: Option<RawFetch>,
    pub cache: Option<RawCache>,
    pub analyze: Option<RawAnalyze>,
    pub write: Option<Vec<RawWrite>>,
    pub report: Option<RawReport>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFetch {
    pub source: Option<String>,
    pub subdomain: Option<String>,
    pub base_url: Option<String>,
    pub auth: Option<String>,
    pub mode: Option<String>,
    pub views: Option<Vec<u64>>,
    pub since: Option<String>,
    pub rate_limit_per_minute: Option<u32>,
    pub rate_window: Option<String>,
    pub high_volume: Option<bool>,
    pub max_retries: Option<u32>,
    pub retry_after_default: Option<String>,
    pub timeout: Option<String>,
    pub connect_timeout: Option<String>,
    pub include_comments: Option<bool>,
    pub exclude_deleted: Option<bool>,
    pub path: Option<String>,
    pub on_bad_record: Option<String>,
    /// `[fetch.sandbox]`: the sandbox's own settings type, read as is.
    pub sandbox: Option<SandboxSettings>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCache {
    pub path: Option<String>,
    pub ttl: Option<RawTtl>,
    pub capacity_mb: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTtl {
    pub views: Option<String>,
    pub tickets: Option<String>,
    pub users: Option<String>,
    pub view_listings: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAnalyze {
    pub analyzer: Option<String>,
    pub workers: Option<usize>,
    pub batch_size: Option<usize>,
    pub queue: Option<usize>,
    pub max_input_chars: Option<usize>,
    pub builtin: Option<RawBuiltin>,
    pub category: Option<Vec<Label>>,
    pub component: Option<Vec<Label>>,
    pub model: Option<String>,
    pub base_url: Option<String>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<u32>,
    pub timeout: Option<String>,
    pub json_mode: Option<String>,
    pub redact_pii: Option<bool>,
    pub max_retries: Option<u32>,
    pub price: Option<RawPrice>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBuiltin {
    pub lexicon: Option<String>,
    pub support_layer: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPrice {
    pub input_per_mtok: f64,
    pub output_per_mtok: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWrite {
    pub kind: Option<String>,
    pub path: Option<String>,
}

/// `[report]`: format name -> output path, e.g. `html = "out/report.html"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReport {
    pub text: Option<String>,
    pub markdown: Option<String>,
    pub html: Option<String>,
    pub json: Option<String>,
    pub title: Option<String>,
}
