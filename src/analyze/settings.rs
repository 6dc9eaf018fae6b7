//! What the analyze stage is told by the pipeline file (`[analyze]`): which analyzer,
//! how many workers, the taxonomy, and the built-in and LLM knobs.
//!
//! Each setting has one shape from the file to the analyzer: the enums and the
//! [`Price`] here are deserialized straight from the file, validated once by
//! `config/`, and read as they are by [`super::build`] and the LLM client.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::llm::Provider;
use crate::model::taxonomy::Taxonomy;

#[derive(Debug, Clone)]
pub struct AnalyzeSettings {
    pub analyzer: AnalyzerKind,
    pub workers: usize,
    pub batch_size: usize,
    /// Channel depth between stages, in batches.
    pub queue: usize,
    /// Characters of ticket text an analyzer reads.
    pub max_input_chars: usize,
    /// Whose messages are analyzed when the conversation is fetched.
    pub text: super::TextMode,
    pub taxonomy: Taxonomy,
    pub builtin: BuiltinSettings,
    pub llm: LlmSettings,
    /// `[analyze.hybrid]`: read only when `analyzer = "hybrid"`.
    pub hybrid: HybridSettings,
}

impl AnalyzeSettings {
    /// The protocol of the model this pipeline may call: the LLM analyzer's, or the
    /// one a hybrid analyzer hands its unsure tickets to; `None` for the built-in one.
    pub fn llm_provider(&self) -> Option<Provider> {
        match self.analyzer {
            AnalyzerKind::Hybrid => Some(self.hybrid.llm),
            kind => kind.provider(),
        }
    }
}

/// `analyzer`: the offline built-in analyzer or an LLM behind one of two protocols.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum AnalyzerKind {
    #[default]
    #[serde(rename = "builtin")]
    Builtin,
    /// Any OpenAI-compatible server (OpenAI, Ollama, vLLM, llama.cpp).
    #[serde(rename = "openai")]
    OpenAi,
    #[serde(rename = "anthropic")]
    Anthropic,
    /// The built-in analyzer first, the model of `[analyze.hybrid] llm` for the
    /// tickets it is unsure of.
    #[serde(rename = "hybrid")]
    Hybrid,
}

impl AnalyzerKind {
    /// The protocol an LLM analyzer speaks; `None` for the built-in and hybrid ones
    /// (see [`AnalyzeSettings::llm_provider`]).
    pub fn provider(self) -> Option<Provider> {
        match self {
            AnalyzerKind::Builtin | AnalyzerKind::Hybrid => None,
            AnalyzerKind::OpenAi => Some(Provider::OpenAi),
            AnalyzerKind::Anthropic => Some(Provider::Anthropic),
        }
    }
}

/// `[analyze.builtin]`.
#[derive(Debug, Clone)]
pub struct BuiltinSettings {
    /// A TSV of extra lexicon terms.
    pub lexicon: Option<PathBuf>,
    /// The support-domain rules on top of VADER.
    pub support_layer: bool,
}

impl Default for BuiltinSettings {
    fn default() -> Self {
        BuiltinSettings {
            lexicon: None,
            support_layer: true,
        }
    }
}

/// `[analyze.hybrid]`: which tickets the hybrid analyzer sends to the model.
#[derive(Debug, Clone, PartialEq)]
pub struct HybridSettings {
    /// The protocol of the model (its other keys are the LLM keys of `[analyze]`).
    pub llm: Provider,
    /// A built-in analysis less confident than this goes to the model.
    pub below_confidence: f64,
    /// ISO 639-1 codes the built-in analysis is kept for; a ticket detected in
    /// another language goes to the model (an unsure detection counts as English,
    /// as the built-in analyzer reads it).
    pub languages: Vec<String>,
}

impl Default for HybridSettings {
    fn default() -> Self {
        HybridSettings {
            llm: Provider::OpenAi,
            below_confidence: 0.6,
            languages: vec![super::language::ENGLISH.to_string()],
        }
    }
}

/// The LLM keys of `[analyze]`. [`Default`] holds the documented defaults (no model).
#[derive(Debug, Clone, PartialEq)]
pub struct LlmSettings {
    pub model: String,
    /// The endpoint the file names, without `/v1`; `None` = the provider's env var,
    /// the sandbox or the public API (resolved by [`super::build`]).
    pub base_url: Option<String>,
    /// `None` = no `temperature` in the request: the server's own default applies
    /// (reasoning models refuse any other value).
    pub temperature: Option<f64>,
    /// The output cap, sent as `max_tokens` (Anthropic, where it is required) or the
    /// OpenAI-compatible server's field for it.
    pub max_output_tokens: u32,
    /// Per request attempt, connect to last byte.
    pub timeout: Duration,
    pub json_mode: JsonMode,
    /// Mask emails, phone numbers and card numbers before sending.
    pub redact_pii: bool,
    pub max_retries: u32,
    pub price: Option<Price>,
    /// `tokens_per_minute`: a hand-set cap for servers that send no rate-limit
    /// headers; requests are spread so their estimated tokens stay under it.
    pub tokens_per_minute: Option<u64>,
    /// `ca_file`: a PEM bundle of CAs the LLM client trusts on top of the built-in
    /// and platform roots, resolved against the pipeline file's folder.
    pub ca_file: Option<PathBuf>,
    /// `batch = true`: the provider's batch API (half price, answers within 24 h)
    /// instead of one request per ticket (`analyze::llm::batch`).
    pub batch: bool,
    /// `batch_wait`: how long a batch run waits for its batches; tickets still
    /// pending then are left for the next run.
    pub batch_wait: Duration,
    /// `max_cost`: the most a run may spend on the model, in the price table's
    /// currency; once reached no new request is sent (`analyze::llm::budget`).
    pub max_cost: Option<f64>,
}

/// The default `batch_wait`: a nightly job should not block a day on a slow batch.
pub const DEFAULT_BATCH_WAIT: Duration = Duration::from_secs(2 * 3600);

impl Default for LlmSettings {
    fn default() -> Self {
        LlmSettings {
            model: String::new(),
            base_url: None,
            temperature: None,
            max_output_tokens: 1024,
            timeout: Duration::from_secs(60),
            json_mode: JsonMode::JsonSchema,
            redact_pii: true,
            max_retries: 5,
            price: None,
            tokens_per_minute: None,
            ca_file: None,
            batch: false,
            batch_wait: DEFAULT_BATCH_WAIT,
            max_cost: None,
        }
    }
}

/// `json_mode`: how an OpenAI-compatible server is asked for JSON. Anthropic always
/// uses a tool.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonMode {
    /// Structured outputs: the server enforces the schema.
    #[default]
    JsonSchema,
    /// Plain JSON mode, for servers without schema support; validation still applies.
    JsonObject,
}

/// `price`: US dollars per million tokens, for the cost estimate in the run summary.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub input_per_mtok: f64,
    pub output_per_mtok: f64,
}

impl Price {
    /// What batch-API tokens cost: both providers bill them at half the price.
    pub fn batch_cost_usd(self, input_tokens: u64, output_tokens: u64) -> f64 {
        self.cost_usd(input_tokens, output_tokens) / 2.0
    }

    /// What these tokens cost, in US dollars.
    pub fn cost_usd(self, input_tokens: u64, output_tokens: u64) -> f64 {
        (input_tokens as f64 * self.input_per_mtok + output_tokens as f64 * self.output_per_mtok)
            / 1_000_000.0
    }
}
