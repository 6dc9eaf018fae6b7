//! Validation of `[analyze]`: the analyzer, the pool, the taxonomy and the LLM keys.

use std::collections::HashSet;

use toml::Spanned;

use super::raw::{RawAnalyze, RawBuiltin, RawHybrid};
use super::validate::{check_base_url, value, At, Ctx, Table};
use super::ConfigError;
use crate::analyze::llm::Provider;
use crate::analyze::{AnalyzeSettings, AnalyzerKind, BuiltinSettings, HybridSettings, LlmSettings};
use crate::model::taxonomy::{Label, Taxonomy};

pub(super) fn analyze(
    ctx: &Ctx,
    raw: Option<Spanned<RawAnalyze>>,
) -> Result<AnalyzeSettings, ConfigError> {
    let t = ctx.table("analyze", raw.at());
    let mut raw = raw.map(Spanned::into_inner).unwrap_or_default();
    let analyzer = value(&raw.analyzer).unwrap_or_default();
    let default_workers = match analyzer {
        AnalyzerKind::Builtin => std::thread::available_parallelism().map_or(2, |n| n.get()),
        AnalyzerKind::OpenAi | AnalyzerKind::Anthropic | AnalyzerKind::Hybrid => 16,
    };
    let hybrid = hybrid(&t, raw.hybrid.take(), &raw.analyzer)?;
    let provider = match analyzer {
        AnalyzerKind::Hybrid => Some(hybrid.llm),
        kind => kind.provider(),
    };
    let llm = llm(&t, &raw, provider)?;
    if let (AnalyzerKind::Hybrid, Some(batch)) = (analyzer, &raw.batch) {
        let why = "applies to analyzer = \"openai\" or \"anthropic\", not \"hybrid\"";
        return Err(t.err("batch", batch, why));
    }
    let default_taxonomy = Taxonomy::default();
    Ok(AnalyzeSettings {
        analyzer,
        workers: within(&t, "workers", &raw.workers, default_workers, 1, 1024)?,
        batch_size: within(&t, "batch_size", &raw.batch_size, 50, 1, 10_000)?,
        queue: match value(&raw.queue).unwrap_or(4) {
            0 => {
                let why = "must be at least 1 (batches in flight between stages)";
                return Err(t.err("queue", &raw.queue, why));
            }
            n => n,
        },
        max_input_chars: match value(&raw.max_input_chars)
            .unwrap_or(crate::analyze::DEFAULT_MAX_INPUT_CHARS)
        {
            n if n < 100 => {
                return Err(t.err(
                    "max_input_chars",
                    &raw.max_input_chars,
                    "must be at least 100",
                ))
            }
            n => n,
        },
        text: value(&raw.text).unwrap_or_default(),
        taxonomy: Taxonomy {
            categories: labels(&t, "category", raw.category, default_taxonomy.categories)?,
            components: labels(&t, "component", raw.component, default_taxonomy.components)?,
        },
        builtin: builtin(ctx, raw.builtin),
        llm,
        hybrid,
    })
}

/// A count that must lie in `min..=max`.
fn within(
    t: &Table,
    key: &str,
    raw: &Option<Spanned<usize>>,
    default: usize,
    min: usize,
    max: usize,
) -> Result<usize, ConfigError> {
    let n = value(raw).unwrap_or(default);
    if (min..=max).contains(&n) {
        Ok(n)
    } else {
        Err(t.err(
            key,
            raw,
            format!("must be between {min} and {max} (got {n})"),
        ))
    }
}

/// `[[analyze.category]]` / `[[analyze.component]]`: names trimmed and unique,
/// keywords lowercased.
fn labels(
    t: &Table,
    key: &str,
    given: Option<Spanned<Vec<Spanned<Label>>>>,
    default: Vec<Label>,
) -> Result<Vec<Label>, ConfigError> {
    let Some(given) = given else {
        return Ok(default);
    };
    if given.get_ref().is_empty() {
        return Err(t.err(key, &given, "needs at least one entry"));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(given.get_ref().len());
    for entry in given.into_inner() {
        let at = entry.span();
        let mut l = entry.into_inner();
        l.name = l.name.trim().to_string();
        if l.name.is_empty() || !seen.insert(l.name.clone()) {
            let why = format!(
                "label names must be unique and non-empty (got {:?})",
                l.name
            );
            return Err(t.err(key, &at, why));
        }
        l.keywords = l
            .keywords
            .iter()
            .map(|k| k.trim().to_lowercase())
            .filter(|k| !k.is_empty())
            .collect();
        out.push(l);
    }
    Ok(out)
}

fn builtin(ctx: &Ctx, raw: Option<Spanned<RawBuiltin>>) -> BuiltinSettings {
    let defaults = BuiltinSettings::default();
    let Some(b) = raw.map(Spanned::into_inner) else {
        return defaults;
    };
    BuiltinSettings {
        lexicon: b.lexicon.map(|p| ctx.path(p.get_ref())),
        support_layer: value(&b.support_layer).unwrap_or(defaults.support_layer),
    }
}

/// The LLM keys. The ones that only make sense with an LLM are errors for the
/// built-in analyzer; the others are checked either way.
fn llm(
    t: &Table,
    raw: &RawAnalyze,
    provider: Option<Provider>,
) -> Result<LlmSettings, ConfigError> {
    let defaults = LlmSettings::default();
    if provider.is_none() {
        let llm_only = [
            ("model", raw.model.at()),
            ("base_url", raw.base_url.at()),
            ("json_mode", raw.json_mode.at()),
            ("price", raw.price.at()),
            ("ca_file", raw.ca_file.at()),
            ("tokens_per_minute", raw.tokens_per_minute.at()),
            ("batch", raw.batch.at()),
            ("batch_wait", raw.batch_wait.at()),
            ("max_cost", raw.max_cost.at()),
        ];
        if let Some((key, Some(at))) = llm_only.into_iter().find(|(_, at)| at.is_some()) {
            return Err(t.err(
                key,
                &at,
                "only applies to analyzer = \"openai\", \"anthropic\" or \"hybrid\"",
            ));
        }
    }
    let base_url = match &raw.base_url {
        Some(url) => Some(check_base_url(url.get_ref()).map_err(|m| t.err("base_url", url, m))?),
        None => None,
    };
    let temperature = value(&raw.temperature).or(defaults.temperature);
    if temperature.is_some_and(|t| !(0.0..=2.0).contains(&t)) {
        let why = "must be between 0 and 2, or left out for the server's default";
        return Err(t.err("temperature", &raw.temperature, why));
    }
    let max_output_tokens = value(&raw.max_output_tokens).unwrap_or(defaults.max_output_tokens);
    if max_output_tokens == 0 {
        let why = "must be at least 1 (the answer needs ~300 tokens)";
        return Err(t.err("max_output_tokens", &raw.max_output_tokens, why));
    }
    if value(&raw.tokens_per_minute) == Some(0) {
        let why = "must be at least 1 (leave it out for no cap)";
        return Err(t.err("tokens_per_minute", &raw.tokens_per_minute, why));
    }
    let default_model = provider.map_or("", |p| p.default_model());
    let model = value(&raw.model)
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| default_model.to_string());
    let max_cost = max_cost(t, raw, provider, &model)?;
    Ok(LlmSettings {
        model,
        base_url,
        temperature,
        max_output_tokens,
        timeout: t.positive_duration("timeout", &raw.timeout, defaults.timeout)?,
        json_mode: value(&raw.json_mode).unwrap_or(defaults.json_mode),
        redact_pii: value(&raw.redact_pii).unwrap_or(defaults.redact_pii),
        max_retries: value(&raw.max_retries).unwrap_or(defaults.max_retries),
        price: value(&raw.price),
        tokens_per_minute: value(&raw.tokens_per_minute),
        ca_file: super::fetch::ca_file(t, &raw.ca_file)?,
        batch: value(&raw.batch).unwrap_or(defaults.batch),
        batch_wait: t.positive_duration("batch_wait", &raw.batch_wait, defaults.batch_wait)?,
        max_cost,
    })
}

/// `max_cost`: a positive amount, for a model whose price is known (the table's or
/// the pipeline's `price`), since spending is counted with that price. The batch
/// API's cost is only known once a batch ends, so it cannot be capped per request.
fn max_cost(
    t: &Table,
    raw: &RawAnalyze,
    provider: Option<Provider>,
    model: &str,
) -> Result<Option<f64>, ConfigError> {
    let (Some(limit), Some(provider)) = (value(&raw.max_cost), provider) else {
        return Ok(None);
    };
    if !(limit.is_finite() && limit > 0.0) {
        let why = format!("must be a positive amount (got {limit})");
        return Err(t.err("max_cost", &raw.max_cost, why));
    }
    if crate::analyze::price::effective(provider, model, value(&raw.price)).is_none() {
        let why = format!(
            "needs a price for model {model:?}: it is not in the price table, so set \
             price = {{ input_per_mtok = ..., output_per_mtok = ... }}"
        );
        return Err(t.err("max_cost", &raw.max_cost, why));
    }
    if value(&raw.batch) == Some(true) {
        let why = "does not apply with batch = true (a batch's cost is known only when it ends)";
        return Err(t.err("max_cost", &raw.max_cost, why));
    }
    Ok(Some(limit))
}

/// `[analyze.hybrid]`: required for `analyzer = "hybrid"` (with its `llm`), an
/// error with any other analyzer.
fn hybrid(
    t: &Table,
    raw: Option<Spanned<RawHybrid>>,
    analyzer: &Option<Spanned<AnalyzerKind>>,
) -> Result<HybridSettings, ConfigError> {
    let defaults = HybridSettings::default();
    let is_hybrid = value(analyzer) == Some(AnalyzerKind::Hybrid);
    let raw = match raw {
        None if is_hybrid => {
            let why = "= \"hybrid\" needs an [analyze.hybrid] table with llm = \"openai\" or \"anthropic\"";
            return Err(t.err("analyzer", analyzer, why));
        }
        None => return Ok(defaults),
        Some(raw) if !is_hybrid => {
            return Err(t.err("hybrid", &raw, "only applies to analyzer = \"hybrid\""));
        }
        Some(raw) => raw,
    };
    let h = t.ctx.table("analyze.hybrid", raw.at());
    let raw = raw.into_inner();
    let Some(llm) = value(&raw.llm) else {
        let why = "is required: \"openai\" or \"anthropic\", the protocol of the model unsure tickets go to";
        return Err(h.err("llm", &raw.llm, why));
    };
    let below_confidence = value(&raw.below_confidence).unwrap_or(defaults.below_confidence);
    if !(0.0..=1.0).contains(&below_confidence) {
        let why = format!("must be between 0 and 1 (got {below_confidence})");
        return Err(h.err("below_confidence", &raw.below_confidence, why));
    }
    let languages = match &raw.languages {
        None => defaults.languages,
        Some(list) => {
            let codes: Vec<String> = list
                .get_ref()
                .iter()
                .map(|c| c.trim().to_lowercase())
                .collect();
            let iso = |c: &String| c.len() == 2 && c.bytes().all(|b| b.is_ascii_lowercase());
            if let Some(bad) = codes.iter().find(|c| !iso(c)) {
                let why = format!("takes ISO 639-1 codes such as \"en\" (got {bad:?})");
                return Err(h.err("languages", list, why));
            }
            codes
        }
    };
    Ok(HybridSettings {
        llm,
        below_confidence,
        languages,
    })
}
