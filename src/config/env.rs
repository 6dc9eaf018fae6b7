//! All environment access in one place: secrets, endpoint overrides, the extra CA
//! bundle and the HTTPS proxy.
//!
//! Secrets live only in memory, wrapped in [`Secret`] whose `Debug` and `Display`
//! print `***`, so a stray `{:?}` in a log line cannot leak a token.
//!
//! One reader outside this file, on purpose: the platform's certificate store is
//! found by `rustls-native-certs` (through reqwest, when an HTTP client is built),
//! which, like OpenSSL, looks at `SSL_CERT_FILE` and `SSL_CERT_DIR` itself and
//! reads them in place of the distribution's bundle. zdpipe reads `SSL_CERT_FILE`
//! here as well and trusts it on top of everything else, so a missing or broken file
//! is an error naming it (the library would skip it silently). reqwest's own proxy
//! lookup is switched off (`http/network.rs`): proxies come only from here.

use std::fmt;
use std::path::PathBuf;

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
    /// `SSL_CERT_FILE`: a PEM bundle both clients trust on top of the built-in roots.
    pub ssl_cert_file: Option<PathBuf>,
    /// `HTTPS_PROXY` (or `https_proxy`): where https requests are tunnelled through.
    /// A secret: the URL may carry the proxy's user and password.
    pub https_proxy: Option<Secret>,
    /// `NO_PROXY` (or `no_proxy`): hosts and networks that bypass the proxy.
    pub no_proxy: Option<String>,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The upper-case name, or the lower-case one when that is unset: proxy variables
/// come in both spellings.
fn either_case(upper: &str) -> Option<String> {
    var(upper).or_else(|| var(&upper.to_ascii_lowercase()))
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
            ssl_cert_file: std::env::var_os("SSL_CERT_FILE")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            https_proxy: either_case("HTTPS_PROXY").map(Secret),
            no_proxy: either_case("NO_PROXY"),
        }
    }
}
