//! The LLM analyzers: one [`LlmAnalyzer`] that talks to an OpenAI-compatible server
//! ([`Provider::OpenAi`]: OpenAI, Ollama, vLLM, llama.cpp) or to Anthropic
//! ([`Provider::Anthropic`]).
//!
//! Per ticket: the text is masked ([`pii`]), truncated and wrapped as delimited data
//! ([`prompt`]); one request goes out ([`transport`] retries transient failures with
//! the shared [`crate::http`] layer); the reply is validated against the shared
//! schema; labels outside the taxonomy are coerced to the fallbacks and counted
//! ([`prompt::validate`]). An invalid reply gets exactly one repair round trip (the validation error
//! is sent back), after which the ticket becomes an error row. Refusals, truncated
//! answers and content filtering are error rows straight away. What every ticket
//! would hit alike stops the run: a rejected key, an exhausted quota, an unknown model
//! or wrong base URL (404), an unsupported setting, a server still unreachable after
//! the retries.
//!
//! The fixed part of each request (model, system prompt, schema) is built once per
//! analyzer and borrowed into each body, which is serialized once per exchange and
//! reused by its retries.
//!
//! `[analyze] max_cost` is checked before every request ([`budget`]): a refused
//! request is [`AnalyzeError::Budget`], which stops the run gracefully.
//!
//! Two ways in: [`LlmAnalyzer::analyze_async`] (what the run's in-flight pool and a
//! wrapping analyzer await, on any tokio runtime) and [`Analyzer::analyze`], which
//! drives the same future on the runtime whose [`Handle`] it was given and must not
//! itself be called from a thread of that runtime.

mod anthropic;
pub mod batch;
mod budget;
mod openai;
mod pii;
pub mod prompt;
mod rate;
mod transport;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::runtime::Handle;

use self::budget::Budget;
use self::transport::Transport;
use crate::analyze::LlmSettings;
use crate::analyze::{language, AnalysisFuture, AnalysisInput, AnalyzeError, Analyzer, Decided};
use crate::http::{describe, BaseUrl, Network, NetworkError};
use crate::model::taxonomy::Taxonomy;
use crate::model::Analysis;

pub use self::prompt::PROMPT_VERSION;

/// Which wire protocol the endpoint speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Provider {
    /// `POST /v1/chat/completions`.
    #[serde(rename = "openai")]
    OpenAi,
    /// `POST /v1/messages`.
    #[serde(rename = "anthropic")]
    Anthropic,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::OpenAi => "openai",
            Provider::Anthropic => "anthropic",
        }
    }

    /// The model asked for when the pipeline names none.
    pub fn default_model(self) -> &'static str {
        match self {
            Provider::OpenAi => "gpt-4o-mini",
            Provider::Anthropic => "claude-3-5-haiku-latest",
        }
    }
}

/// Everything an [`LlmAnalyzer`] needs: the pipeline's LLM settings plus what
/// [`crate::analyze::build`] resolved (protocol, endpoint, key). `Debug` never shows
/// the API key.
#[derive(Clone)]
pub struct LlmConfig {
    pub provider: Provider,
    /// Where requests go: scheme, host and port (and any path prefix), without the
    /// trailing `/v1`. `settings.base_url` is only what the file asked for.
    pub base_url: String,
    pub api_key: Option<String>,
    pub settings: LlmSettings,
    /// Characters of ticket text (subject and body) sent; the rest is cut off.
    pub max_input_chars: usize,
    pub taxonomy: Taxonomy,
    /// The CAs the client trusts beyond the built-in roots, and the proxy.
    pub network: Network,
}

impl LlmConfig {
    /// A config with the documented defaults ([`LlmSettings::default`]), 8000 input
    /// characters, the default taxonomy and no key.
    pub fn new(provider: Provider, base_url: impl Into<String>, model: impl Into<String>) -> Self {
        LlmConfig {
            provider,
            base_url: base_url.into(),
            api_key: None,
            settings: LlmSettings {
                model: model.into(),
                ..LlmSettings::default()
            },
            max_input_chars: 8000,
            taxonomy: Taxonomy::default(),
            network: Network::default(),
        }
    }
}

impl fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LlmConfig")
            .field("provider", &self.provider)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("settings", &self.settings)
            .field("max_input_chars", &self.max_input_chars)
            .field("taxonomy", &self.taxonomy.fingerprint())
            .field("network", &self.network)
            .finish()
    }
}

/// A config the analyzer cannot work with.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("invalid LLM configuration: {0}")]
    Config(String),
    /// `[analyze] ca_file`, `SSL_CERT_FILE` or `HTTPS_PROXY` is unusable.
    #[error(transparent)]
    Network(#[from] NetworkError),
}

/// The output tokens one answer is expected to cost: the schema's fields as compact
/// JSON, about 250 bytes at ~4 bytes a token (the sandbox's answers to the demo's
/// tickets average 61).
pub const EXPECTED_OUTPUT_TOKENS: u64 = 64;

/// Input and output tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tokens {
    pub input: u64,
    pub output: u64,
}

/// What the analyzer has spent so far (all attempts, retries and repairs included).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    /// HTTP requests sent.
    pub requests: u64,
    /// Requests that were repeats of a failed attempt.
    pub retries: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// `None` when no price is configured and the price table does not know the model.
    pub cost_usd: Option<f64>,
    /// Answers kept with a label outside the taxonomy replaced by its fallback.
    pub coerced_labels: u64,
    /// Requests submitted in provider batches (`batch = true`); their tokens are
    /// in the totals, their cost at the batch price.
    pub batch_requests: u64,
}

/// One 2xx response, read: the tokens it cost and either an answer to validate or
/// the reason the ticket fails outright.
struct Reply {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub outcome: Result<Answer, String>,
}

/// The model's answer and what a repair request must echo back.
struct Answer {
    /// The reply's JSON, or why it is not JSON at all.
    pub json: Result<Value, String>,
    /// The assistant turn, as the provider wants it in a follow-up request.
    pub assistant: Value,
    /// Anthropic's `tool_use` block id, which the repair must answer.
    pub tool_use_id: Option<String>,
}

/// The fixed part of every request, in the provider's dialect.
enum Template {
    OpenAi(openai::Template),
    Anthropic(anthropic::Template),
}

/// Scores tickets with an LLM. Shared by all pool workers.
pub struct LlmAnalyzer {
    cfg: LlmConfig,
    rt: Handle,
    transport: Transport,
    template: Template,
    /// Answers whose labels were coerced, for [`Usage::coerced_labels`].
    coerced_labels: AtomicU64,
    /// What the batch API path spent (`batch = true`).
    batch_counters: batch::BatchCounters,
    /// `max_cost`, when set (config validation made sure the model has a price).
    budget: Option<Budget>,
}

impl LlmAnalyzer {
    pub fn new(mut cfg: LlmConfig, rt: Handle) -> Result<Self, LlmError> {
        let bad = |m: &str| Err(LlmError::Config(m.to_string()));
        // Accept "http://host/v1" too: users copy that form from provider docs.
        let Ok(base) = BaseUrl::parse(&cfg.base_url) else {
            return bad("base_url must be an http(s) URL");
        };
        let base = base.without_path_suffix("/v1");
        cfg.base_url = base.to_string();
        if cfg.settings.model.trim().is_empty() {
            return bad("model is empty");
        }
        if cfg.settings.max_output_tokens == 0 || cfg.max_input_chars == 0 {
            return bad("max_output_tokens and max_input_chars must be positive");
        }
        if cfg
            .settings
            .temperature
            .is_some_and(|t| !(0.0..=2.0).contains(&t))
        {
            return bad("temperature must be between 0 and 2");
        }
        if cfg.taxonomy.categories.is_empty() || cfg.taxonomy.components.is_empty() {
            return bad("the taxonomy needs at least one category and one component");
        }
        let key = cfg.api_key.as_deref().filter(|k| !k.trim().is_empty());
        let (path, headers) = match cfg.provider {
            Provider::OpenAi => ("v1/chat/completions", openai::headers(key)?),
            Provider::Anthropic => ("v1/messages", anthropic::headers(key)?),
        };
        let client = cfg
            .network
            .client_builder()?
            .timeout(cfg.settings.timeout)
            .build()
            .map_err(|e| {
                LlmError::Config(format!("cannot build the HTTP client: {}", describe(&e)))
            })?;
        let transport = Transport::new(
            client,
            cfg.provider,
            base.endpoint(path),
            headers,
            key.map(str::to_string),
            &cfg.settings.model,
            cfg.settings.max_retries,
        )
        .paced(cfg.settings.tokens_per_minute);
        let (system, schema) = (
            prompt::system_prompt(&cfg.taxonomy),
            prompt::schema(&cfg.taxonomy),
        );
        let template = match cfg.provider {
            Provider::OpenAi => Template::OpenAi(openai::Template::new(&cfg, &system, &schema)),
            Provider::Anthropic => {
                Template::Anthropic(anthropic::Template::new(&cfg, &system, &schema))
            }
        };
        let s = &cfg.settings;
        let price = crate::analyze::price::effective(cfg.provider, &s.model, s.price);
        let budget = match (s.max_cost, price) {
            (Some(max_cost), Some(price)) => Some(Budget::new(max_cost, price)),
            (Some(_), None) => return bad("max_cost needs a price for the model"),
            (None, _) => None,
        };
        Ok(LlmAnalyzer {
            cfg,
            rt,
            transport,
            template,
            coerced_labels: AtomicU64::new(0),
            batch_counters: batch::BatchCounters::default(),
            budget,
        })
    }

    pub fn usage(&self) -> Usage {
        let c = &self.transport.counters;
        let b = &self.batch_counters;
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let (sync_in, sync_out) = (load(&c.input_tokens), load(&c.output_tokens));
        let (batch_in, batch_out) = (load(&b.input_tokens), load(&b.output_tokens));
        Usage {
            requests: load(&c.requests),
            retries: load(&c.retries),
            input_tokens: sync_in + batch_in,
            output_tokens: sync_out + batch_out,
            cost_usd: self
                .price()
                .map(|p| p.cost_usd(sync_in, sync_out) + p.batch_cost_usd(batch_in, batch_out)),
            coerced_labels: load(&self.coerced_labels),
            batch_requests: load(&b.requests),
        }
    }

    /// Analyzes one ticket without holding a thread while the model answers: the
    /// entry point of the in-flight pool and of analyzers that wrap this one.
    pub async fn analyze_async(&self, input: &AnalysisInput<'_>) -> Result<Analysis, AnalyzeError> {
        if let Some(fatal) = self.transport.fatal() {
            return Err(fatal);
        }
        // Detected here, on the text the model gets, so the prompt can name it and
        // the CSV shows the same code whichever analyzer ran.
        let text = format!("{}\n{}", input.subject, input.body);
        let language = language::detect(&text);
        let mut analysis = self.run(input, language).await?;
        analysis.language = language.to_string();
        Ok(analysis)
    }

    /// Whether the pipeline asks for the provider's batch API (`batch = true`).
    pub fn batch_mode(&self) -> bool {
        self.cfg.settings.batch
    }

    /// The price of this model: the pipeline's, else the price table's.
    pub fn price(&self) -> Option<crate::analyze::Price> {
        let s = &self.cfg.settings;
        crate::analyze::price::effective(self.cfg.provider, &s.model, s.price)
    }

    /// What this ticket's first request would cost, without sending it: the bytes of
    /// its body over 4 (the usual bytes per token of English text) in, and
    /// [`EXPECTED_OUTPUT_TOKENS`] out. `zdpipe plan` and the hybrid analyzer's
    /// all-LLM comparison both count this way.
    pub fn estimate(&self, input: &AnalysisInput<'_>) -> Tokens {
        let text = format!("{}\n{}", input.subject, input.body);
        let user = prompt::user_message(
            input,
            self.cfg.max_input_chars,
            self.cfg.settings.redact_pii,
            language::detect(&text),
        );
        let turns = [json!({"role": "user", "content": user})];
        let body = match &self.template {
            Template::OpenAi(t) => t.body(&turns),
            Template::Anthropic(t) => t.body(&turns),
        };
        Tokens {
            input: (body.len() as u64).div_ceil(4),
            output: EXPECTED_OUTPUT_TOKENS,
        }
    }

    async fn run(
        &self,
        input: &AnalysisInput<'_>,
        language: &str,
    ) -> Result<Analysis, AnalyzeError> {
        let user = prompt::user_message(
            input,
            self.cfg.max_input_chars,
            self.cfg.settings.redact_pii,
            language,
        );
        let mut turns = vec![json!({"role": "user", "content": user})];
        let first = self.exchange(&turns).await?;
        let error = match &first.json {
            Ok(reply) => match prompt::validate(reply, &self.cfg.taxonomy) {
                Ok(checked) => return Ok(self.count_coercion(checked)),
                Err(e) => e,
            },
            Err(e) => e.clone(),
        };
        tracing::debug!(ticket = input.ticket_id, %error, "invalid LLM answer, asking for a repair");
        let repair = match self.cfg.provider {
            Provider::OpenAi => openai::repair_turns(&first, &error),
            Provider::Anthropic => anthropic::repair_turns(&first, &error),
        };
        turns.extend(repair);
        let second = self.exchange(&turns).await?;
        second
            .json
            .and_then(|v| prompt::validate(&v, &self.cfg.taxonomy))
            .map(|checked| self.count_coercion(checked))
            .map_err(|e| {
                AnalyzeError::Ticket(format!(
                    "{}: invalid answer after one repair attempt: {e}",
                    self.cfg.provider.as_str()
                ))
            })
    }

    fn count_coercion(&self, (analysis, coerced): (Analysis, bool)) -> Analysis {
        if coerced {
            self.coerced_labels.fetch_add(1, Ordering::Relaxed);
        }
        analysis
    }

    /// One request/response: sends the turns, counts tokens, reads the answer.
    async fn exchange(&self, turns: &[Value]) -> Result<Answer, AnalyzeError> {
        let body = match &self.template {
            Template::OpenAi(t) => t.body(turns),
            Template::Anthropic(t) => t.body(turns),
        };
        let reservation = match &self.budget {
            Some(budget) => {
                let spent = self.usage().cost_usd.unwrap_or(0.0);
                let estimate = Tokens {
                    input: (body.len() as u64).div_ceil(4),
                    output: EXPECTED_OUTPUT_TOKENS,
                };
                let refused = |r: budget::Refused| AnalyzeError::Budget {
                    max_cost: r.max_cost,
                };
                Some(budget.reserve(spent, estimate).map_err(refused)?)
            }
            None => None,
        };
        let response = self.transport.post(&body).await;
        let reply = response.map(|response| self.count_reply(&response));
        // Released after the real tokens are counted, so spending never looks lower.
        if let (Some(budget), Some(r)) = (&self.budget, reservation) {
            budget.release(r);
        }
        reply?.outcome.map_err(AnalyzeError::Ticket)
    }

    /// Reads a 2xx response and counts its tokens.
    fn count_reply(&self, response: &Value) -> Reply {
        let reply = match self.cfg.provider {
            Provider::OpenAi => openai::read_reply(response, self.cfg.settings.max_output_tokens),
            Provider::Anthropic => {
                anthropic::read_reply(response, self.cfg.settings.max_output_tokens)
            }
        };
        let c = &self.transport.counters;
        c.input_tokens
            .fetch_add(reply.input_tokens, Ordering::Relaxed);
        c.output_tokens
            .fetch_add(reply.output_tokens, Ordering::Relaxed);
        reply
    }
}

impl Analyzer for LlmAnalyzer {
    fn io_bound(&self) -> bool {
        true
    }

    fn name(&self) -> String {
        format!("{}:{}", self.cfg.provider.as_str(), self.cfg.settings.model)
    }

    fn fingerprint(&self) -> String {
        let (c, s) = (&self.cfg, &self.cfg.settings);
        format!(
            "llm:{}:{}:p{}:t{}:{:?}:c{}:r{}:x{}",
            c.provider.as_str(),
            s.model,
            PROMPT_VERSION,
            s.temperature
                .map_or("default".to_string(), |t| t.to_string()),
            s.json_mode,
            c.max_input_chars,
            s.redact_pii,
            c.taxonomy.fingerprint()
        )
    }

    fn analyze(&self, input: &AnalysisInput<'_>) -> Result<Analysis, AnalyzeError> {
        self.rt.block_on(LlmAnalyzer::analyze_async(self, input))
    }

    fn analyze_async<'a>(&'a self, input: AnalysisInput<'a>) -> AnalysisFuture<'a> {
        Box::pin(async move {
            let analysis = LlmAnalyzer::analyze_async(self, &input).await?;
            Ok(Decided { analysis, by: None })
        })
    }
}

#[cfg(test)]
mod fake;
#[cfg(test)]
mod tests;
