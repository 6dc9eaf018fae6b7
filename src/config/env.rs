//! All environment access in one place: secrets and endpoint overrides.
//!
//! Secrets live only in memory, wrapped in [`Secret`] whose `Debug` and `Display`
//! print `***`, so a stray `{:?}` in a log line cannot leak a token.

use std::fmt;

/// A credential. Read it with [`Secret::expose`] at the one place it is sent.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The environment variables zdpipe reads, captured once at start-up.
#[derive(Debug, Clone, Default)]
pub struct Env {
    pub zendesk_subdomain: Option<String>,
    pub zendesk_email: Option<String>,
    pub zendesk_api_token: Option<Secret>,
    pub zendesk_oauth_token: Option<Secret>,
    pub openai_api_key: Option<Secret>,
    pub openai_base_url: Option<String>,
    pub anthropic_api_key: Option<Secret>,
    pub anthropic_base_url: Option<String>,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Env {
    /// Reads the process environment. Empty values count as unset.
    pub fn from_process() -> Self {
        Env {
            zendesk_subdomain: var("ZENDESK_SUBDOMAIN"),
            zendesk_email: var("ZENDESK_EMAIL"),
            zendesk_api_token: var("ZENDESK_API_TOKEN").map(Secret),
            zendesk_oauth_token: var("ZENDESK_OAUTH_TOKEN").map(Secret),
            openai_api_key: var("OPENAI_API_KEY").map(Secret),
            openai_base_url: var("OPENAI_BASE_URL"),
            anthropic_api_key: var("ANTHROPIC_API_KEY").map(Secret),
            anthropic_base_url: var("ANTHROPIC_BASE_URL"),
        }
    }
}
