//! Validation of `[analyze]`: the analyzer, the pool, the taxonomy and the LLM keys.

use std::time::Duration;

use super::raw::RawAnalyze;
use super::validate::{check_base_url, Ctx};
use super::*;
use crate::analyze::taxonomy::{Label, Taxonomy};

fn labels(
    ctx: &Ctx,
    key: &str,
    given: Option<Vec<Label>>,
    default: Vec<Label>,
) -> Result<Vec<Label>, ConfigError> {
    let Some(given) = given else {
        return Ok(default);
    };
    if given.is_empty() {
        return Err(ctx.err("analyze", key, "needs at least one entry"));
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(given.len());
    for mut l in given {
        l.name = l.name.trim().to_string();
        if l.name.is_empty() || !seen.insert(l.name.clone()) {
            return Err(ctx.err(
                "analyze",
                key,
                format!(
                    "label names must be unique and non-empty (got {:?})",
                    l.name
                ),
            ));
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

pub(super) fn analyze(ctx: &Ctx, raw: Option<RawAnalyze>) -> Result<AnalyzeSettings, ConfigError> {
    let s = "analyze";
    let raw = raw.unwrap_or_else(|| toml::from_str("").expect("empty [analyze] is valid"));
    let analyzer = match ctx.one_of(
        s,
        "analyzer",
        raw.analyzer.as_deref().unwrap_or("builtin"),
        &["builtin", "openai", "anthropic"],
    )? {
        "openai" => AnalyzerKind::OpenAi,
        "anthropic" => AnalyzerKind::Anthropic,
        _ => AnalyzerKind::Builtin,
    };
    let default_workers = match analyzer {
        AnalyzerKind::Builtin => std::thread::available_parallelism().map_or(2, |n| n.get()),
        _ => 16,
    };
    let workers = raw.workers.unwrap_or(default_workers);
    if workers == 0 || workers > 1024 {
        return Err(ctx.err(
            s,
            "workers",
            format!("must be between 1 and 1024 (got {workers})"),
        ));
    }
    let batch_size = raw.batch_size.unwrap_or(50);
    if batch_size == 0 || batch_size > 10_000 {
        return Err(ctx.err(
            s,
            "batch_size",
            format!("must be between 1 and 10000 (got {batch_size})"),
        ));
    }
    let queue = raw.queue.unwrap_or(4);
    if queue == 0 {
        return Err(ctx.err(
            s,
            "queue",
            "must be at least 1 (batches in flight between stages)",
        ));
    }
    let max_input_chars = raw.max_input_chars.unwrap_or(8000);
    if max_input_chars < 100 {
        return Err(ctx.err(s, "max_input_chars", "must be at least 100"));
    }
    let default_tax = Taxonomy::default();
    let taxonomy = Taxonomy {
        categories: labels(ctx, "category", raw.category, default_tax.categories)?,
        components: labels(ctx, "component", raw.component, default_tax.components)?,
    };
    let builtin = match raw.builtin {
        Some(b) => BuiltinSettings {
            lexicon: b.lexicon.as_deref().map(|p| ctx.path(p)),
            support_layer: b.support_layer.unwrap_or(true),
        },
        None => BuiltinSettings {
            lexicon: None,
            support_layer: true,
        },
    };
    let is_llm = analyzer != AnalyzerKind::Builtin;
    if !is_llm {
        for (key, set) in [
            ("model", raw.model.is_some()),
            ("base_url", raw.base_url.is_some()),
            ("json_mode", raw.json_mode.is_some()),
            ("price", raw.price.is_some()),
        ] {
            if set {
                return Err(ctx.err(
                    s,
                    key,
                    "only applies to analyzer = \"openai\" or \"anthropic\"",
                ));
            }
        }
    }
    let model = match (raw.model, analyzer) {
        (Some(m), _) if !m.trim().is_empty() => m,
        (_, AnalyzerKind::OpenAi) => "gpt-4o-mini".to_string(),
        (_, AnalyzerKind::Anthropic) => "claude-3-5-haiku-latest".to_string(),
        _ => String::new(),
    };
    let base_url = raw
        .base_url
        .as_deref()
        .map(check_base_url)
        .transpose()
        .map_err(|m| ctx.err(s, "base_url", m))?;
    let temperature = raw.temperature.unwrap_or(0.0);
    if !(0.0..=2.0).contains(&temperature) {
        return Err(ctx.err(s, "temperature", "must be between 0 and 2"));
    }
    let json_object = ctx.one_of(
        s,
        "json_mode",
        raw.json_mode.as_deref().unwrap_or("json_schema"),
        &["json_schema", "json_object"],
    )? == "json_object";
    let llm = LlmSettings {
        model,
        base_url,
        temperature,
        max_tokens: match raw.max_tokens.unwrap_or(1024) {
            0 => {
                return Err(ctx.err(
                    s,
                    "max_tokens",
                    "must be at least 1 (the answer needs ~300 tokens)",
                ))
            }
            n => n,
        },
        timeout: match ctx.duration(s, "timeout", raw.timeout.as_ref(), Duration::from_secs(60))? {
            t if t.is_zero() => return Err(ctx.err(s, "timeout", "must be more than 0s")),
            t => t,
        },
        json_object,
        redact_pii: raw.redact_pii.unwrap_or(true),
        max_retries: raw.max_retries.unwrap_or(5),
        price: raw.price.map(|p| (p.input_per_mtok, p.output_per_mtok)),
    };
    Ok(AnalyzeSettings {
        analyzer,
        workers,
        batch_size,
        queue,
        max_input_chars,
        taxonomy,
        builtin,
        llm,
    })
}
