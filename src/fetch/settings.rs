//! What the fetch stage is told by the pipeline file (`[fetch]`): where tickets come
//! from, which of them, and how hard the client may push.
//!
//! `config/` validates the file into a [`FetchSettings`]; the enums that appear in the
//! file as strings ([`AuthKind`], [`OnBadRecord`]) are deserialized straight into the
//! types the client and the export reader use.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::sandbox::SandboxSettings;

#[derive(Debug, Clone)]
pub struct FetchSettings {
    pub source: Source,
    pub mode: Mode,
    /// `rate_limit_per_minute`: `"auto"` follows the account's limit, a number caps it.
    pub rate_limit: super::RateLimit,
    /// `api_share`: the part of the account's limit this client keeps to (0 < share <= 1).
    pub api_share: f64,
    /// The window the limits count in: a minute, as Zendesk counts (tests shrink it).
    pub rate_window: Duration,
    pub high_volume: bool,
    pub max_retries: u32,
    /// Wait used when a 429 carries no `Retry-After`.
    pub retry_after_default: Duration,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub include_comments: bool,
    pub exclude_deleted: bool,
    /// `ca_file`: a PEM bundle of CAs trusted on top of the built-in and platform
    /// roots (a TLS-inspecting proxy's, a private CA's), resolved against the
    /// pipeline file's folder.
    pub ca_file: Option<PathBuf>,
}

impl FetchSettings {
    /// Whose data this pipeline reads, as the cache records it: for Zendesk the API's
    /// scheme, host and port (never a path or credentials), for the sandbox the
    /// settings that change its data set, for a file its canonical path. Two pipelines
    /// with the same identity may share a cache; two with different ones may not.
    pub fn account_identity(&self) -> String {
        match &self.source {
            Source::Zendesk(t) => t.origin(),
            // `tickets` and `seed` decide the data set; the other knobs change how it is
            // served (latency, faults, limits), not what it holds.
            Source::Sandbox(s) => format!("sandbox (tickets {}, seed {})", s.tickets, s.seed),
            Source::File { path, .. } => {
                let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
                format!("file {}", path.display())
            }
        }
    }
}

#[derive(Debug, Clone)]
pub enum Source {
    /// A real Zendesk account (or anything speaking its API at `base_url`).
    Zendesk(ZendeskTarget),
    /// The built-in simulated Zendesk, started in-process on 127.0.0.1.
    Sandbox(SandboxSettings),
    /// A Zendesk JSON export on disk.
    File {
        path: PathBuf,
        on_bad_record: OnBadRecord,
    },
}

#[derive(Debug, Clone)]
pub struct ZendeskTarget {
    /// `https://acme.zendesk.com`, no trailing slash.
    pub base_url: String,
    pub auth: AuthKind,
}

impl ZendeskTarget {
    /// The host, for messages ("view 123 not found in acme.zendesk.com").
    pub fn host(&self) -> &str {
        let rest = self
            .base_url
            .split_once("://")
            .map_or(self.base_url.as_str(), |(_, r)| r);
        rest.split('/').next().unwrap_or(rest)
    }

    /// `scheme://host[:port]` of `base_url`, lowercased: the API the data comes from.
    /// A user or password in the URL (refused by validation anyway) is left out.
    pub fn origin(&self) -> String {
        let (scheme, _) = self.base_url.split_once("://").unwrap_or(("https", ""));
        let host = self.host();
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        format!("{scheme}://{host}").to_ascii_lowercase()
    }
}

/// `auth`: which credentials from the environment the client sends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum AuthKind {
    /// HTTP Basic `{ZENDESK_EMAIL}/token:{ZENDESK_API_TOKEN}`.
    #[default]
    #[serde(rename = "api_token")]
    ApiToken,
    /// `Bearer ZENDESK_OAUTH_TOKEN`.
    #[serde(rename = "oauth")]
    OAuth,
}

/// `on_bad_record`: what a line of an export file that is not a ticket does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnBadRecord {
    /// Reported with its line number and skipped.
    Skip,
    /// Stops the run.
    #[default]
    Fail,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// Every ticket of these views, in order; a ticket in several views is written once.
    Views(Vec<u64>),
    /// Everything changed since the checkpoint (or `since` on the first run).
    Incremental { since: Since },
    /// Every ticket a search export query selects, archived ones included.
    Search { query: String },
    /// The file source reads the whole file.
    File,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// This long before the run.
    Ago(Duration),
    /// A fixed instant, unix seconds.
    At(i64),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(base_url: &str) -> ZendeskTarget {
        ZendeskTarget {
            base_url: base_url.into(),
            auth: AuthKind::ApiToken,
        }
    }

    #[test]
    fn the_origin_is_scheme_host_and_port_only() {
        assert_eq!(
            target("https://Acme.Zendesk.com").origin(),
            "https://acme.zendesk.com"
        );
        assert_eq!(
            target("http://127.0.0.1:8080/api").origin(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            target("https://me:pw@support.example.com").origin(),
            "https://support.example.com"
        );
    }
}
