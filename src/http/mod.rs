//! The HTTP layer both clients share: the Zendesk client (`fetch`) and the LLM
//! client (`analyze::llm`) differ in what they send and how they read answers, not
//! in how they treat the network.
//!
//! - `url.rs`: [`BaseUrl`], the configured root every request URL is built under,
//!   and [`redacted`], the only form in which a URL reaches a message;
//! - `retry.rs`: [`RetryPolicy`], exponential backoff with jitter (backon) up to
//!   `max_retries`, a server's requested wait in place of the backoff, and
//!   interruptible waits;
//! - `retry_after.rs`: [`retry_after`], `Retry-After` in seconds or as an HTTP-date
//!   (and OpenAI's `retry-after-ms`);
//! - `pause.rs`: [`Pause`], "hold every request until T" when a server says the
//!   budget is spent, and [`sleep`], which notices Ctrl-C within 0.1 s;
//! - `error.rs`: [`TransportKind`] (timeout, connect, TLS, dropped, cut-off body),
//!   [`Transient`] (what another attempt may cure), [`describe`], reqwest's error
//!   chain without user info or query strings, and [`tls_advice`], the one line a
//!   certificate the client does not trust becomes;
//! - `network.rs`: [`Network`], what both clients are built with: the CAs trusted
//!   (bundled roots, the platform store, `ca_file`, `SSL_CERT_FILE`) and the
//!   `HTTPS_PROXY` / `NO_PROXY` proxy.
//!
//! Secrets travel in headers (marked sensitive) and never in what this module
//! formats: URLs in messages are redacted, and callers scrub anything a server
//! echoes back.

mod error;
mod network;
mod pause;
mod retry;
mod retry_after;
mod url;

pub use error::{describe, tls_advice, Transient, TransportKind};
pub use network::{CaFile, Network, NetworkError};
pub use pause::{sleep, Interrupted, Pause};
pub use retry::{Failure, RetryPolicy, Stopped, MAX_DELAY};
pub use retry_after::retry_after;
pub use url::{redacted, BaseUrl, BaseUrlError};
