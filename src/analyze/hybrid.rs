//! `analyzer = "hybrid"`: the built-in analyzer reads every ticket first; only the
//! tickets it is unsure of go to the model of `[analyze.hybrid] llm`.
//!
//! A ticket goes to the model when the built-in analysis' calibrated `confidence` is
//! below `below_confidence`, or when the ticket is detected in a language outside
//! `languages` (the built-in word lists are English; an unsure detection is read as
//! English, as the built-in analyzer does). Every other ticket keeps its built-in
//! analysis unchanged, so those rows are the rows a `builtin` run writes but for the
//! `analyzer` cell, which says who decided: `hybrid:builtin` or
//! `hybrid:<provider>:<model>`.
//!
//! The analyzer counts what it routed where, and for the tickets it kept it estimates
//! the tokens the model would have cost ([`LlmAnalyzer::estimate`], the same estimate
//! as `zdpipe plan`), so the summary can set the run's cost against an all-LLM run.
//!
//! The routing is one method (`route`); the in-flight pool calls
//! [`Analyzer::analyze_async`], which awaits the model's answer without holding a
//! thread, and the blocking [`Analyzer::analyze_decided`] (used by `zdpipe check`-like
//! callers and tests) asks it through `ask_model`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::builtin::BuiltinAnalyzer;
use super::llm::{LlmAnalyzer, Tokens};
use super::{AnalysisFuture, AnalysisInput, AnalyzeError, Analyzer, Decided, HybridSettings};
use crate::model::Analysis;

/// The `analyzer` cell of a row the built-in part decided.
pub const BUILTIN_DECIDED: &str = "hybrid:builtin";

/// Built-in first, the model for the unsure rest. Shared by all pool workers.
pub struct HybridAnalyzer {
    builtin: BuiltinAnalyzer,
    /// The LLM client: names, fingerprint and token estimates.
    llm: Arc<LlmAnalyzer>,
    /// What answers the tickets sent to the model: `llm` itself, or in an `--offline`
    /// run a stand-in that answers only from stored analyses.
    model: Arc<dyn Analyzer>,
    routing: HybridSettings,
    counts: RouteCounts,
}

/// What the analyzer routed where in this run.
#[derive(Debug, Default)]
struct RouteCounts {
    by_builtin: AtomicU64,
    to_model: AtomicU64,
    /// Estimated tokens the kept tickets would have cost at the model.
    kept_input_tokens: AtomicU64,
    kept_output_tokens: AtomicU64,
}

/// The routing of a run so far, for the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Routing {
    /// Tickets whose built-in analysis was kept.
    pub by_builtin: u64,
    /// Tickets sent to the model (answered or failed).
    pub to_model: u64,
    /// Estimated tokens the model would have cost for the kept tickets.
    pub kept_tokens: Tokens,
}

impl HybridAnalyzer {
    pub fn new(
        builtin: BuiltinAnalyzer,
        llm: Arc<LlmAnalyzer>,
        model: Arc<dyn Analyzer>,
        routing: HybridSettings,
    ) -> Self {
        HybridAnalyzer {
            builtin,
            llm,
            model,
            routing,
            counts: RouteCounts::default(),
        }
    }

    pub fn routing(&self) -> Routing {
        let c = &self.counts;
        Routing {
            by_builtin: c.by_builtin.load(Ordering::Relaxed),
            to_model: c.to_model.load(Ordering::Relaxed),
            kept_tokens: Tokens {
                input: c.kept_input_tokens.load(Ordering::Relaxed),
                output: c.kept_output_tokens.load(Ordering::Relaxed),
            },
        }
    }

    /// Whether the built-in analysis of a ticket is not good enough to keep.
    pub fn needs_model(&self, builtin: &Analysis) -> bool {
        let language = builtin.language.as_str();
        builtin.confidence < self.routing.below_confidence
            || (!language.is_empty() && !self.routing.languages.iter().any(|l| l == language))
    }

    /// Whether this ticket would go to the model: the built-in pass alone, as
    /// `zdpipe plan` runs it offline.
    pub fn would_ask_model(&self, input: &AnalysisInput<'_>) -> Result<bool, AnalyzeError> {
        Ok(self.needs_model(&self.builtin.analyze(input)?))
    }

    /// The one call into the model.
    fn ask_model(&self, input: &AnalysisInput<'_>) -> Result<Analysis, AnalyzeError> {
        self.model.analyze(input)
    }

    /// The built-in pass and the routing: `Some` when its analysis is kept, `None`
    /// when the ticket goes to the model (counted either way).
    fn route(&self, input: &AnalysisInput<'_>) -> Result<Option<Decided>, AnalyzeError> {
        let builtin = self.builtin.analyze(input)?;
        let c = &self.counts;
        if self.needs_model(&builtin) {
            c.to_model.fetch_add(1, Ordering::Relaxed);
            return Ok(None);
        }
        c.by_builtin.fetch_add(1, Ordering::Relaxed);
        let skipped = self.llm.estimate(input);
        c.kept_input_tokens
            .fetch_add(skipped.input, Ordering::Relaxed);
        c.kept_output_tokens
            .fetch_add(skipped.output, Ordering::Relaxed);
        Ok(Some(Decided {
            analysis: builtin,
            by: Some(BUILTIN_DECIDED.to_string()),
        }))
    }

    fn model_decided(&self) -> String {
        format!("hybrid:{}", self.llm.name())
    }
}

impl Analyzer for HybridAnalyzer {
    /// Names a row the routing did not decide (an error row): the model is the only
    /// part that fails.
    fn name(&self) -> String {
        self.model_decided()
    }

    fn fingerprint(&self) -> String {
        let r = &self.routing;
        format!(
            "hybrid:b<{}>:m<{}>:below{}:langs{}",
            self.builtin.fingerprint(),
            self.llm.fingerprint(),
            r.below_confidence,
            r.languages.join(",")
        )
    }

    fn analyze(&self, input: &AnalysisInput<'_>) -> Result<Analysis, AnalyzeError> {
        self.analyze_decided(input).map(|d| d.analysis)
    }

    fn analyze_decided(&self, input: &AnalysisInput<'_>) -> Result<Decided, AnalyzeError> {
        match self.route(input)? {
            Some(kept) => Ok(kept),
            None => Ok(Decided {
                analysis: self.ask_model(input)?,
                by: Some(self.model_decided()),
            }),
        }
    }

    /// The in-flight pool's entry: the built-in pass runs when polled, the model's
    /// answer is awaited without holding a thread.
    fn analyze_async<'a>(&'a self, input: AnalysisInput<'a>) -> AnalysisFuture<'a> {
        Box::pin(async move {
            if let Some(kept) = self.route(&input)? {
                return Ok(kept);
            }
            let asked = self.model.analyze_async(input).await?;
            Ok(Decided {
                analysis: asked.analysis,
                by: Some(self.model_decided()),
            })
        })
    }

    fn io_bound(&self) -> bool {
        true
    }
}
