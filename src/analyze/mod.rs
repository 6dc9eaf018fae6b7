//! The analyze stage: the [`Analyzer`] trait, its implementations, and the
//! [`AnalyzeSettings`] the pipeline file gives them (`settings.rs`).
//!
//! An analyzer turns the text of one ticket into an [`Analysis`]. The built-in
//! analyzer ([`builtin`]) is offline, deterministic and CPU-bound; the LLM analyzers
//! ([`openai`], [`anthropic`]) are I/O-bound; the [`hybrid`] one runs the built-in
//! analyzer on every ticket and the LLM on the ones it is unsure of. [`price`] holds
//! the known models' prices. The pool that runs them lives in
//! `pipeline/`; analyzers only see one ticket at a time.

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

use crate::model::{Analysis, Ticket};

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
    fn analyze(&self, input: &AnalysisInput<'_>) -> Result<Analysis, AnalyzeError>;
    /// [`Analyzer::analyze`] with the name of the part that decided: what the analyze
    /// pool calls. Only an analyzer made of parts needs its own.
    fn analyze_decided(&self, input: &AnalysisInput<'_>) -> Result<Decided, AnalyzeError> {
        self.analyze(input)
            .map(|analysis| Decided { analysis, by: None })
    }
    /// Whether a call mostly waits on the network (LLMs). The pool then hands out
    /// tickets one by one, so `workers` is the number of requests in flight.
    fn io_bound(&self) -> bool {
        false
    }
}
