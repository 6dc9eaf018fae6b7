//! The fetch stage: the Zendesk client and the ticket sources the pipeline pulls from.
//!
//! - `client.rs`: HTTP, auth, rate limit, retries ([`ZendeskClient`]);
//! - `api.rs`: the endpoints zdpipe uses, typed, with the cache in front;
//! - `source.rs`: [`TicketSource`], which turns views, a search export query, the
//!   incremental export or an export file into pages of [`WorkItem`]s for the pipeline;
//! - `listing.rs`: what a view and a search have in common as listings;
//! - `conversation.rs`: tickets' comments (the ticket events export in nightly runs,
//!   one call per ticket for views) and whose words each one is;
//! - `connect.rs`: the stage's build step, settings → [`Connection`] (client, cache,
//!   sandbox);
//! - `columns.rs`: the extra columns (`[[write]] fields` and `columns`): the lookup
//!   lists they name things from, and each ticket's cells;
//! - `head.rs`: an incremental export page's cursor, read before its tickets;
//! - `file.rs`: the export-file reader;
//! - `limit.rs`: the per-minute sliding-window limiter;
//! - `budget.rs`: the account's, the export's and endpoint budgets, moved by the
//!   rate-limit headers (`"auto"`, `api_share`);
//! - `settings.rs`: [`FetchSettings`], what the pipeline file's `[fetch]` asks for.
//!
//! Retries, `Retry-After`, pauses and URL building come from the shared [`crate::http`]
//! layer.

mod api;
mod budget;
mod client;
mod columns;
mod connect;
mod conversation;
mod file;
mod head;
mod limit;
mod listing;
mod settings;
mod source;

pub use api::{Api, IncrementalPage};
pub use budget::{Budget, RateLimit, RateReport, AUTO_START};
pub use client::{Credentials, FetchCounters, ZendeskClient};
pub use columns::{ticket_fields, ColumnPlan, ColumnRequest, FieldRef, StandardColumn};
pub use connect::{connect, Access, ConnectError, Connection};
pub use file::read_export;
pub use limit::WindowLimiter;
pub use settings::{AuthKind, FetchSettings, Mode, OnBadRecord, Since, Source, ZendeskTarget};
pub use source::{
    FetchedPage, PageSlot, Prefetch, ResumePoint, SourceOptions, TicketSource, WorkItem,
    EXPORT_PAGES_UNWRITTEN,
};

use crate::cache::CacheError;
use crate::http::{tls_advice, BaseUrlError, NetworkError, Transient};

/// Why fetching failed. Each message names what was asked and of which host; the
/// variant says what the caller can do about it ([`FetchError::is_config`]).
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{0}")]
    MissingCredentials(MissingCredential),
    #[error("invalid base_url: {0}")]
    BaseUrl(BaseUrlError),
    /// `ca_file`, `SSL_CERT_FILE` or `HTTPS_PROXY` is unusable, or reqwest cannot
    /// build a client.
    #[error(transparent)]
    Network(#[from] NetworkError),
    /// The server's certificate is not trusted (or the handshake failed otherwise).
    #[error("{}", tls_advice(.host, .detail, "[fetch] ca_file"))]
    Tls { host: String, detail: String },
    #[error("{host} rejected the credentials (401 Unauthorized): check ZENDESK_EMAIL/ZENDESK_API_TOKEN (or ZENDESK_OAUTH_TOKEN)")]
    Unauthorized { host: String },
    #[error("{host} refused access to {what} (403 Forbidden): the user behind the credentials lacks permission")]
    Forbidden { host: String, what: String },
    #[error("{what} not found in {host}")]
    NotFound { host: String, what: String },
    /// Any other 4xx: the request itself is wrong, so no retry.
    #[error("{what}: {host} answered {status}: {detail}")]
    Status {
        host: String,
        what: String,
        status: u16,
        detail: String,
    },
    /// A failure that should have passed (429, 5xx, timeout, cut-off body) and did
    /// not within `max_retries`.
    #[error("{what}: gave up on {host} after {attempts} attempts; last error: {last}")]
    GaveUp {
        what: String,
        host: String,
        attempts: u32,
        last: Transient,
    },
    /// A request that failed below HTTP in a way no retry changes (a redirect loop).
    #[error("{what}: the request to {host} failed: {detail}")]
    Transport {
        what: String,
        host: String,
        detail: String,
    },
    /// An answer no retry mends (a redirect, an HTML page, a body over the size
    /// limit), with the URL it came from.
    #[error("{what}: {url} {problem}")]
    BadAnswer {
        what: String,
        url: String,
        problem: String,
    },
    /// The server's answer breaks the API's contract (a foreign or repeated page
    /// link, an unexpected shape).
    #[error("{0}")]
    Protocol(String),
    /// `[[write]] fields` names no custom field, or two; the message lists the closest.
    #[error("{0}")]
    Columns(String),
    /// `--offline` and the cache lacks what is named.
    #[error("--offline: the cache lacks {0}; run once without --offline to fill it")]
    Offline(String),
    /// The export file cannot be read; the message names the file (and line).
    #[error("{0}")]
    File(String),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error("interrupted")]
    Interrupted,
}

/// Which credential the chosen `auth` needs and the environment lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MissingCredential {
    #[error("auth = \"api_token\" needs ZENDESK_EMAIL and ZENDESK_API_TOKEN in the environment; ZENDESK_EMAIL is not set")]
    Email,
    #[error("auth = \"api_token\" needs ZENDESK_EMAIL and ZENDESK_API_TOKEN in the environment; ZENDESK_API_TOKEN is not set")]
    ApiToken,
    #[error("auth = \"oauth\" needs ZENDESK_OAUTH_TOKEN in the environment")]
    OAuthToken,
}

impl FetchError {
    /// Whether the user must fix configuration (exit 2) rather than retry (exit 1).
    pub fn is_config(&self) -> bool {
        match self {
            FetchError::Network(e) => e.is_config(),
            _ => matches!(
                self,
                FetchError::MissingCredentials(_)
                    | FetchError::BaseUrl(_)
                    | FetchError::NotFound { .. }
                    | FetchError::Offline(_)
                    | FetchError::File(_)
                    | FetchError::Columns(_)
            ),
        }
    }
}
