//! Builds the analyzer a pipeline names: the built-in one, or an LLM client with its
//! own small tokio runtime for blocking `analyze` calls (a run's in-flight pool
//! awaits `analyze_async` on the pool's runtime instead).
//!
//! LLM endpoint resolution, first match wins: `[analyze] base_url`, then
//! `OPENAI_BASE_URL` / `ANTHROPIC_BASE_URL`, then the sandbox's own LLM endpoints
//! when the pipeline's source is the sandbox, then the provider's public API. A key
//! is required only for the public APIs; local servers (Ollama, vLLM, llama.cpp)
//! usually take none.
//!
//! A hybrid analyzer is the built-in one plus the LLM client of `[analyze.hybrid]
//! llm`, built the same way (its endpoint, key and runtime).

use std::sync::Arc;

use super::builtin::{BuiltinAnalyzer, BuiltinOptions};
use super::hybrid::HybridAnalyzer;
use super::llm::{LlmAnalyzer, LlmConfig, Provider};
use super::{AnalyzeSettings, Analyzer, AnalyzerKind};
use crate::config::Env;
use crate::http::Network;

const OPENAI_PUBLIC: &str = "https://api.openai.com";
const ANTHROPIC_PUBLIC: &str = "https://api.anthropic.com";

/// A configuration problem with the analyzer (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("[analyze] {0}")]
pub struct AnalyzerSetupError(pub String);

/// The analyzer of a run, and what must live as long as it.
pub struct BuiltAnalyzer {
    pub analyzer: Arc<dyn Analyzer>,
    /// The LLM client, for token usage in the run summary.
    pub llm: Option<Arc<LlmAnalyzer>>,
    /// The hybrid analyzer, for its routing in the run summary.
    pub hybrid: Option<Arc<HybridAnalyzer>>,
    _runtime: Option<tokio::runtime::Runtime>,
}

impl BuiltAnalyzer {
    /// Wraps an analyzer built elsewhere (tests, benchmarks).
    pub fn from_analyzer(analyzer: Arc<dyn Analyzer>) -> Self {
        BuiltAnalyzer {
            analyzer,
            llm: None,
            hybrid: None,
            _runtime: None,
        }
    }
}

/// The built-in analyzer for these settings.
pub fn builtin(settings: &AnalyzeSettings) -> Result<BuiltinAnalyzer, AnalyzerSetupError> {
    BuiltinAnalyzer::new(BuiltinOptions {
        support_layer: settings.builtin.support_layer,
        lexicon: settings.builtin.lexicon.clone(),
        taxonomy: settings.taxonomy.clone(),
    })
    .map_err(|e| AnalyzerSetupError(e.to_string()))
}

/// Builds the configured analyzer. `sandbox_url` is the in-process sandbox's base
/// URL when the pipeline's source is the sandbox.
pub fn build(
    settings: &AnalyzeSettings,
    env: &Env,
    sandbox_url: Option<&str>,
) -> Result<BuiltAnalyzer, AnalyzerSetupError> {
    let Some(provider) = settings.llm_provider() else {
        return Ok(BuiltAnalyzer::from_analyzer(Arc::new(builtin(settings)?)));
    };
    let endpoint = Endpoint::resolve(provider, settings, env, sandbox_url)?;
    if endpoint.base_url == endpoint.public && endpoint.api_key.is_none() {
        return Err(AnalyzerSetupError(format!(
            "analyzer = \"{}\" against {} needs {} in the environment",
            provider.as_str(),
            endpoint.public,
            endpoint.key_var
        )));
    }
    let built = llm(provider, settings, endpoint)?;
    match settings.analyzer {
        AnalyzerKind::Hybrid => {
            let model = built.analyzer.clone();
            hybrid(settings, built, model)
        }
        _ => Ok(built),
    }
}

/// The built-in analyzer in front of `built`'s LLM client, whose tickets `model`
/// answers (the client itself, or the `--offline` stand-in).
fn hybrid(
    settings: &AnalyzeSettings,
    built: BuiltAnalyzer,
    model: Arc<dyn Analyzer>,
) -> Result<BuiltAnalyzer, AnalyzerSetupError> {
    let llm = built
        .llm
        .clone()
        .expect("an LLM analyzer is built with its client");
    let hybrid = Arc::new(HybridAnalyzer::new(
        builtin(settings)?,
        llm,
        model,
        settings.hybrid.clone(),
    ));
    Ok(BuiltAnalyzer {
        analyzer: hybrid.clone(),
        hybrid: Some(hybrid),
        ..built
    })
}

/// Where an LLM analyzer sends its requests, with which key, through which proxy
/// and trusting which CAs.
struct Endpoint {
    base_url: String,
    api_key: Option<String>,
    network: Network,
    /// The provider's public API, which always needs a key.
    public: &'static str,
    key_var: &'static str,
}

impl Endpoint {
    fn resolve(
        provider: Provider,
        settings: &AnalyzeSettings,
        env: &Env,
        sandbox_url: Option<&str>,
    ) -> Result<Endpoint, AnalyzerSetupError> {
        let (env_url, env_key, public, key_var) = match provider {
            Provider::OpenAi => (
                &env.openai_base_url,
                &env.openai_api_key,
                OPENAI_PUBLIC,
                "OPENAI_API_KEY",
            ),
            Provider::Anthropic => (
                &env.anthropic_base_url,
                &env.anthropic_api_key,
                ANTHROPIC_PUBLIC,
                "ANTHROPIC_API_KEY",
            ),
        };
        let env_url = env_url
            .as_deref()
            .map(|u| {
                crate::config::check_base_url(u).map_err(|m| {
                    AnalyzerSetupError(format!(
                        "{}_BASE_URL: {m}",
                        key_var.trim_end_matches("_API_KEY")
                    ))
                })
            })
            .transpose()?;
        let base_url = settings
            .llm
            .base_url
            .clone()
            .or(env_url)
            .or_else(|| sandbox_url.map(str::to_string))
            .unwrap_or_else(|| public.to_string());
        Ok(Endpoint {
            base_url,
            api_key: env_key.as_ref().map(|k| k.expose().to_string()),
            // Named under the "[analyze]" that every setup error starts with.
            network: Network::new("ca_file", settings.llm.ca_file.as_deref(), env),
            public,
            key_var,
        })
    }
}

/// The LLM client with its own small runtime.
fn llm(
    provider: Provider,
    settings: &AnalyzeSettings,
    endpoint: Endpoint,
) -> Result<BuiltAnalyzer, AnalyzerSetupError> {
    let cfg = LlmConfig {
        provider,
        base_url: endpoint.base_url,
        api_key: endpoint.api_key,
        settings: settings.llm.clone(),
        max_input_chars: settings.max_input_chars,
        taxonomy: settings.taxonomy.clone(),
        network: endpoint.network,
    };
    // Two threads are plenty: each request's future is polled on the pool worker
    // that blocks on it; the runtime only drives sockets and timers, and `zdpipe bench`
    // shows 64 requests in flight at ~98% of the ideal speedup with this setup.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("zdpipe-llm-io")
        .enable_all()
        .build()
        .map_err(|e| AnalyzerSetupError(format!("cannot start the LLM client runtime: {e}")))?;
    let analyzer = Arc::new(
        LlmAnalyzer::new(cfg, runtime.handle().clone())
            .map_err(|e| AnalyzerSetupError(e.to_string()))?,
    );
    Ok(BuiltAnalyzer {
        analyzer: analyzer.clone(),
        llm: Some(analyzer),
        hybrid: None,
        _runtime: Some(runtime),
    })
}

/// An LLM analyzer for `--offline` runs: it answers to the same name and fingerprint
/// (so stored analyses are reused) but never sends a request; a ticket without a
/// stored analysis becomes an error row.
struct CacheOnly(Arc<dyn Analyzer>);

impl Analyzer for CacheOnly {
    fn name(&self) -> String {
        self.0.name()
    }

    fn fingerprint(&self) -> String {
        self.0.fingerprint()
    }

    fn analyze(
        &self,
        _input: &super::AnalysisInput<'_>,
    ) -> Result<crate::model::Analysis, super::AnalyzeError> {
        Err(super::AnalyzeError::Ticket(
            "--offline: no stored analysis of this ticket version; run without --offline to analyze it".into(),
        ))
    }
}

/// The analyzer of an `--offline` run: the built-in one as usual; an LLM one only
/// reuses stored analyses and contacts nobody; a hybrid one keeps its built-in
/// analyses and fails the tickets it would send to the model.
pub fn build_offline(
    settings: &AnalyzeSettings,
    env: &Env,
) -> Result<BuiltAnalyzer, AnalyzerSetupError> {
    // No LLM client in the summary: an offline run spends nothing.
    Ok(BuiltAnalyzer {
        llm: None,
        ..build_for_plan(settings, env)?
    })
}

/// The analyzer `zdpipe plan` estimates with: the `--offline` analyzer (no key
/// needed, nothing ever sent), with its LLM client and hybrid parts kept in view for
/// their token estimates and prices.
pub fn build_for_plan(
    settings: &AnalyzeSettings,
    env: &Env,
) -> Result<BuiltAnalyzer, AnalyzerSetupError> {
    let Some(provider) = settings.llm_provider() else {
        return build(settings, env, None);
    };
    // The endpoint a run would use; offline it needs no key, since nothing is sent.
    let built = llm(
        provider,
        settings,
        Endpoint::resolve(provider, settings, env, None)?,
    )?;
    let offline = Arc::new(CacheOnly(built.analyzer.clone()));
    if settings.analyzer == AnalyzerKind::Hybrid {
        return hybrid(settings, built, offline);
    }
    Ok(BuiltAnalyzer {
        analyzer: offline,
        ..built
    })
}
