//! The fetch stage: the Zendesk client and the ticket sources the pipeline pulls from.
//!
//! - `client.rs`: HTTP, auth, rate limit, retries ([`ZendeskClient`]);
//! - `api.rs`: the endpoints zdpipe uses, typed, with the cache in front;
//! - `source.rs`: [`TicketSource`], which turns views, the incremental export or an
//!   export file into pages of [`WorkItem`]s for the pipeline;
//! - `file.rs`: the export-file reader;
//! - `limit.rs`: the per-minute sliding-window limiter;
//! - `settings.rs`: [`FetchSettings`], what the pipeline file's `[fetch]` asks for.

mod api;
mod client;
mod file;
mod limit;
mod settings;
mod source;

pub use api::{Api, IncrementalPage};
pub use client::{Budget, Credentials, FetchCounters, ZendeskClient};
pub use file::read_export;
pub use limit::WindowLimiter;
pub use settings::{AuthKind, FetchSettings, Mode, OnBadRecord, Since, Source, ZendeskTarget};
pub use source::{conversation, FetchedPage, ResumePoint, SourceOptions, TicketSource, WorkItem};

use crate::cache::CacheError;

/// Why fetching failed. Each message names what was asked and of which host.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{0}")]
    MissingCredentials(String),
    #[error("{host} rejected the credentials (401 Unauthorized): check ZENDESK_EMAIL/ZENDESK_API_TOKEN (or ZENDESK_OAUTH_TOKEN)")]
    Unauthorized { host: String },
    #[error("{host} refused access to {what} (403 Forbidden): the user behind the credentials lacks permission")]
    Forbidden { host: String, what: String },
    #[error("{what} not found in {host}")]
    NotFound { host: String, what: String },
    #[error("{what}: {host} answered {status}: {detail}")]
    Status {
        host: String,
        what: String,
        status: u16,
        detail: String,
    },
    #[error("{what}: gave up on {host} after {attempts} attempts; last error: {last}")]
    GaveUp {
        what: String,
        host: String,
        attempts: u32,
        last: String,
    },
    #[error("{0}")]
    Transport(String),
    #[error("{0}")]
    Protocol(String),
    #[error("--offline: the cache lacks {0}; run once without --offline to fill it")]
    Offline(String),
    #[error("{0}")]
    File(String),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error("interrupted")]
    Interrupted,
}

impl FetchError {
    /// Whether the user must fix configuration (exit 2) rather than retry (exit 1).
    pub fn is_config(&self) -> bool {
        matches!(
            self,
            FetchError::MissingCredentials(_)
                | FetchError::NotFound { .. }
                | FetchError::Offline(_)
                | FetchError::File(_)
        )
    }
}
