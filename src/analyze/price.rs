//! The price table: what the known models cost per million tokens, for the cost in
//! the run summary and in `zdpipe plan` when the pipeline sets no `[analyze] price`.
//!
//! Prices are US dollars per million tokens at the providers' standard (synchronous)
//! rates, looked up on 2 December 2026:
//!
//! * OpenAI: the API pricing page (platform.openai.com/docs/pricing) as quoted, in
//!   agreement, by several price guides of March to June 2026 (deploybase.ai
//!   "OpenAI pricing" and "GPT-4.1 pricing", aumiqx.com, aimodelcalc, tokenmath.io).
//!   o1 and o4-mini are left out: only one source quoted them.
//! * Anthropic: the model pages of platform.claude.com (Haiku 4.5, Opus 4.5) and the
//!   batch-processing page of docs.anthropic.com, whose batch prices are half the
//!   standard ones (Opus 4 / 4.1, Sonnet 3.5 / 3.7 / 4, Haiku 3.5); Sonnet 4.5 as
//!   listed by docs.rs crates that cite the Claude pricing page.
//!
//! Both providers' batch APIs cost half ([`BATCH_DISCOUNT`]). A model is known only by
//! its exact family id, optionally followed by a date snapshot (`-20241022`,
//! `-2024-08-06`) or `-latest`: an unknown model gets no price rather than a guess at
//! a neighbour's, and `[analyze] price` always wins over the table.

use super::llm::Provider;
use super::Price;

/// The share of the standard price both providers' batch APIs take off.
pub const BATCH_DISCOUNT: f64 = 0.5;

/// `(provider, model family id, input, output)` in USD per million tokens.
const KNOWN: &[(Provider, &str, f64, f64)] = &[
    (Provider::OpenAi, "gpt-4o", 2.50, 10.00),
    (Provider::OpenAi, "gpt-4o-mini", 0.15, 0.60),
    (Provider::OpenAi, "gpt-4.1", 2.00, 8.00),
    (Provider::OpenAi, "gpt-4.1-mini", 0.40, 1.60),
    (Provider::OpenAi, "gpt-4.1-nano", 0.10, 0.40),
    (Provider::OpenAi, "o3", 2.00, 8.00),
    (Provider::OpenAi, "o3-mini", 1.10, 4.40),
    (Provider::Anthropic, "claude-3-5-haiku", 0.80, 4.00),
    (Provider::Anthropic, "claude-haiku-4-5", 1.00, 5.00),
    (Provider::Anthropic, "claude-3-5-sonnet", 3.00, 15.00),
    (Provider::Anthropic, "claude-3-7-sonnet", 3.00, 15.00),
    (Provider::Anthropic, "claude-sonnet-4", 3.00, 15.00),
    (Provider::Anthropic, "claude-sonnet-4-5", 3.00, 15.00),
    (Provider::Anthropic, "claude-opus-4", 15.00, 75.00),
    (Provider::Anthropic, "claude-opus-4-1", 15.00, 75.00),
    (Provider::Anthropic, "claude-opus-4-5", 5.00, 25.00),
];

/// The table's price of `model` behind `provider`, `None` for a model it does not know.
pub fn known(provider: Provider, model: &str) -> Option<Price> {
    let family = family(model.trim());
    KNOWN
        .iter()
        .find(|(p, id, _, _)| *p == provider && *id == family)
        .map(|&(_, _, input, output)| Price {
            input_per_mtok: input,
            output_per_mtok: output,
        })
}

/// The price a run uses: the pipeline's `price`, else the table's.
pub fn effective(provider: Provider, model: &str, configured: Option<Price>) -> Option<Price> {
    configured.or_else(|| known(provider, model))
}

impl Price {
    /// The same model through the provider's batch API.
    pub fn batch(self) -> Price {
        Price {
            input_per_mtok: self.input_per_mtok * (1.0 - BATCH_DISCOUNT),
            output_per_mtok: self.output_per_mtok * (1.0 - BATCH_DISCOUNT),
        }
    }
}

/// `model` without a snapshot suffix: `-latest`, `-YYYYMMDD` or `-YYYY-MM-DD`.
fn family(model: &str) -> &str {
    if let Some(base) = model.strip_suffix("-latest") {
        return base;
    }
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some((base, tail)) = model.rsplit_once('-') {
        if tail.len() == 8 && all_digits(tail) {
            return base;
        }
    }
    // `-2024-08-06`: three dash-separated numbers of 4, 2 and 2 digits.
    let parts: Vec<&str> = model.rsplitn(4, '-').collect();
    if let [day, month, year, base] = parts[..] {
        let sizes = (day.len(), month.len(), year.len()) == (2, 2, 4);
        if sizes && [day, month, year].iter().all(|s| all_digits(s)) {
            return base;
        }
    }
    model
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_and_latest_aliases_share_their_familys_price() {
        let mini = known(Provider::OpenAi, "gpt-4o-mini").unwrap();
        assert_eq!(
            known(Provider::OpenAi, "gpt-4o-mini-2024-07-18"),
            Some(mini)
        );
        assert_eq!(mini.input_per_mtok, 0.15);
        let haiku = known(Provider::Anthropic, "claude-3-5-haiku-latest").unwrap();
        assert_eq!(
            known(Provider::Anthropic, "claude-3-5-haiku-20241022"),
            Some(haiku)
        );
        assert_eq!(
            known(Provider::Anthropic, "claude-opus-4-20250514").map(|p| p.output_per_mtok),
            Some(75.0)
        );
        assert_eq!(
            known(Provider::Anthropic, "claude-opus-4-5").map(|p| p.output_per_mtok),
            Some(25.0)
        );
    }

    #[test]
    fn unknown_models_and_other_providers_get_no_price() {
        assert_eq!(known(Provider::OpenAi, "gpt-4o-mini-turbo"), None);
        assert_eq!(known(Provider::OpenAi, "llama3.1:8b"), None);
        assert_eq!(known(Provider::Anthropic, "gpt-4o"), None);
        assert_eq!(known(Provider::Anthropic, "claude-sonnet-4-6"), None);
    }

    #[test]
    fn the_pipelines_price_wins_and_batch_is_half() {
        let own = Price {
            input_per_mtok: 1.0,
            output_per_mtok: 2.0,
        };
        assert_eq!(effective(Provider::OpenAi, "gpt-4o", Some(own)), Some(own));
        let batch = known(Provider::OpenAi, "gpt-4o").unwrap().batch();
        assert_eq!((batch.input_per_mtok, batch.output_per_mtok), (1.25, 5.0));
    }
}
