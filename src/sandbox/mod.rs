//! A simulated Zendesk Support server for the demo, `zdpipe sandbox`, benchmarks and
//! integration tests.
//!
//! It speaks the parts of the REST API that zdpipe uses (views and their tickets and
//! counts, show_many, comments, the incremental cursor export, the ticket events
//! export, the search export with a small query language, users/me, and the lookup
//! lists: ticket fields, groups, brands, ticket forms; `include=metric_sets` on ticket
//! pages) over plain
//! HTTP on 127.0.0.1, with a deterministic data set generated lazily from a seed (see
//! `Dataset`): a 200,000-ticket account costs a few MB at most, and any ticket can be
//! rebuilt from `(seed, id)` by a test that wants to know what the client should see.
//!
//! Misbehaviour is opt-in and adjustable while running: latency, a per-minute rate
//! limit (429 with or without `Retry-After`), random faults (500/502/503, dropped
//! connections, truncated bodies) and required credentials. Every API request is
//! counted and logged. Scripts reach the same knobs over HTTP under `/_sandbox`
//! (see `admin.rs`).
//!
//! Two ways to run it:
//! - [`start`] (or `SandboxHandle::start`) serves from a thread of its own (its own
//!   tokio runtime) and stops when the handle is dropped: for tests, the demo and
//!   benchmarks.
//! - `serve_forever` serves in the foreground on the calling thread: for the CLI.
//!   `serve` and `router` are the async building blocks under both; merge more routes
//!   (say, a simulated LLM) into the `router`.
//!
//! The server (and axum under it) is compiled only with the default-on Cargo feature
//! `sandbox`. Without it only [`SandboxSettings`] (so pipeline files naming the sandbox
//! still parse) and [`start`] remain, and `start` says what is missing: a production
//! binary built with `--no-default-features` carries no simulated Zendesk.

mod settings;

#[cfg(feature = "sandbox")]
mod admin;
#[cfg(feature = "sandbox")]
mod corpus;
#[cfg(feature = "sandbox")]
mod data;
#[cfg(feature = "sandbox")]
mod encode;
#[cfg(feature = "sandbox")]
mod events;
#[cfg(feature = "sandbox")]
mod faults;
#[cfg(feature = "sandbox")]
pub mod llm;
#[cfg(feature = "sandbox")]
pub mod llm_batch;
#[cfg(feature = "sandbox")]
mod lookups;
#[cfg(feature = "sandbox")]
mod people;
#[cfg(feature = "sandbox")]
mod prng;
#[cfg(feature = "sandbox")]
mod records;
#[cfg(feature = "sandbox")]
mod routes;
#[cfg(feature = "sandbox")]
mod search;
#[cfg(feature = "sandbox")]
mod server;
#[cfg(feature = "sandbox")]
mod text;
#[cfg(feature = "sandbox")]
mod views;

#[cfg(all(test, feature = "sandbox"))]
mod tests;

pub use settings::{Credentials, InvalidSetting, SandboxSettings};

#[cfg(feature = "sandbox")]
pub use self::{
    data::{Dataset, ExportPage, AGENT_ID_BASE, ORGANIZATIONS},
    faults::{Fault, RequestRecord, StatsSnapshot},
    records::{CommentRecord, OrganizationRecord, TicketRecord, UserRecord, ViewRecord},
    routes::router,
    server::{serve, serve_forever, SandboxHandle, SandboxState},
    views::{KeyPage, Position},
};

/// Why a binary without the feature cannot serve `source = "sandbox"`.
pub const NOT_BUILT_IN: &str = "\"sandbox\" needs zdpipe built with the `sandbox` feature (this binary was built with --no-default-features)";

/// Why [`start`] gave no sandbox.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A configuration problem: this binary has no simulated Zendesk.
    #[error("source = {NOT_BUILT_IN}")]
    NotBuiltIn,
    #[error("cannot start the sandbox: {0}")]
    Io(#[from] std::io::Error),
}

/// Starts the sandbox on its own thread (see `SandboxHandle::start`), or says that
/// this binary was built without it.
#[cfg(feature = "sandbox")]
pub fn start(settings: &SandboxSettings) -> Result<SandboxHandle, StartError> {
    Ok(SandboxHandle::start(settings.clone())?)
}

/// Starts the sandbox on its own thread, or says that this binary was built without it.
#[cfg(not(feature = "sandbox"))]
pub fn start(_settings: &SandboxSettings) -> Result<SandboxHandle, StartError> {
    Err(StartError::NotBuiltIn)
}

/// Stands in for a running sandbox in a binary without one: no value of it exists, so
/// code holding an `Option<SandboxHandle>` compiles the same with or without the
/// feature.
#[cfg(not(feature = "sandbox"))]
#[derive(Debug)]
pub enum SandboxHandle {}

#[cfg(not(feature = "sandbox"))]
impl SandboxHandle {
    pub fn base_url(&self) -> String {
        match *self {}
    }
}
