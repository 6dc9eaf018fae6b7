//! The analyze stage: the [`Analyzer`] trait, its implementations, and the
//! [`AnalyzeSettings`] the pipeline file gives them (`settings.rs`).
//!
//! An analyzer turns the text of one ticket into an [`Analysis`]. The built-in
//! analyzer ([`builtin`]) is offline, deterministic and CPU-bound; the LLM analyzers
//! ([`openai`], [`anthropic`]) are I/O-bound; the [`hybrid`] one runs the built-in
//! analyzer on every ticket and the LLM on the ones it is unsure of. [`price`] holds
//! the known models' prices. The pool that runs them lives in
//! `pipeline/`; analyzers only see one ticket at a time.
//!
//! Two entry points: [`Analyzer::analyze`] (blocking; the CPU pool's rayon threads
//! call it) and [`Analyzer::analyze_async`] (a future; the pool keeps `workers` of
//! them in flight on one tokio runtime for an [`Analyzer::io_bound`] analyzer).
//! Its default runs `analyze`, so only analyzers that wait on the network write
//! their own; one that wraps others (say, the built-in first and an LLM for the
//! doubtful tickets) awaits the inner analyzers' `analyze_async`.

mod build;
pub mod builtin;
pub mod clean;
pub mod hybrid;
pub mod language;
pub mod llm;
pub mod messages;
pub mod price;
mod settings;

pub use build::{build, build_for_plan, build_offline, builtin, AnalyzerSetupError, BuiltAnalyzer};
pub use messages::{analysis_body, Message, TextMode, CLEANING_VERSION, DEFAULT_MAX_INPUT_CHARS};
pub use settings::{
    AnalyzeSettings, AnalyzerKind, BuiltinSettings, HybridSettings, JsonMode, LlmSettings, Price,
};

use std::future::Future;
use std::pin::Pin;

use crate::model::{Analysis, Ticket};

/// One ticket's analysis on its way: what [`Analyzer::analyze_async`] returns.
/// It borrows the analyzer and the input; the pool polls it on its own thread, so
/// it need not be `Send`.
pub type AnalysisFuture<'a> = Pin<Box<dyn Future<Output = Result<Decided, AnalyzeError>> + 'a>>;

/// What an analyzer reads for one ticket.
#[derive(Debug, Clone, Copy)]
pub struct AnalysisInput<'a> {
    pub ticket_id: u64,
    pub subject: &'a str,
    /// The ticket's words chosen by `[analyze] text` and cleaned
    /// ([`analysis_body`]), bounded by `max_input_chars`.
    pub body: &'a str,
    pub tags: &'a [String],
}

impl<'a> AnalysisInput<'a> {
    pub fn from_ticket(ticket: &'a Ticket, body: &'a str) -> Self {
        AnalysisInput {
            ticket_id: ticket.id,
            subject: ticket.subject_text(),
            body,
            tags: &ticket.tags,
        }
    }
}

/// Why one ticket could not be analyzed. `Fatal` errors stop the whole run (bad
/// credentials, exhausted quota); the others become that ticket's `error` cell.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    #[error("{0}")]
    Ticket(String),
    #[error("{0}")]
    Fatal(String),
    /// `[analyze] max_cost` refused the request: the run stops gracefully and this
    /// ticket and the ones after it are left for the next run.
    #[error("budget: max_cost ${max_cost} reached")]
    Budget { max_cost: f64 },
}

/// An analysis and the `analyzer` cell of the part that decided it.
#[derive(Debug, Clone)]
pub struct Decided {
    pub analysis: Analysis,
    /// `None`: the analyzer's own [`Analyzer::name`]; a hybrid analyzer names the
    /// part that decided (`hybrid:builtin`, `hybrid:openai:gpt-4o-mini`).
    pub by: Option<String>,
}

/// Scores tickets. Implementations are shared by all pool workers.
pub trait Analyzer: Send + Sync {
    /// The `analyzer` cell of the CSV, e.g. `builtin` or `openai:gpt-4o-mini`.
    fn name(&self) -> String;
    /// Changes whenever the same ticket could get a different answer (kind, model,
    /// prompt or rules version, taxonomy): stored analyses are reused only when it matches.
    fn fingerprint(&self) -> String;
    /// Analyzes one ticket, blocking the calling thread (never a tokio runtime's).
    fn analyze(&self, input: &AnalysisInput<'_>) -> Result<Analysis, AnalyzeError>;
    /// [`Analyzer::analyze`] with the name of the part that decided: what the CPU
    /// pool calls. Only an analyzer made of parts needs its own.
    fn analyze_decided(&self, input: &AnalysisInput<'_>) -> Result<Decided, AnalyzeError> {
        self.analyze(input)
            .map(|analysis| Decided { analysis, by: None })
    }
    /// The same as a future, for the in-flight pool of an [`Analyzer::io_bound`]
    /// analyzer: it is polled inside a tokio runtime's context, many at once, so it
    /// must never block on a runtime itself. The default runs
    /// [`Analyzer::analyze_decided`] when polled, which suits analyzers that never
    /// wait; an I/O-bound analyzer must override it.
    fn analyze_async<'a>(&'a self, input: AnalysisInput<'a>) -> AnalysisFuture<'a> {
        Box::pin(async move { self.analyze_decided(&input) })
    }
    /// Whether a call mostly waits on the network (LLMs). The pool then hands out
    /// tickets one by one and keeps `workers` of [`Analyzer::analyze_async`] in
    /// flight on a tokio runtime instead of one thread per request.
    fn io_bound(&self) -> bool {
        false
    }
}
