//! The HTTP side of the Zendesk client: auth, timeouts, rate limit and retries.
//!
//! One `reqwest::Client` (rustls, gzip, connect and request timeouts) is shared by
//! every call. [`ZendeskClient::get_json`] is the single way out to the network:
//! it waits for the rate limiter, sends, and classifies the answer; the shared
//! [`RetryPolicy`] does the rest:
//! - 2xx with valid JSON: done;
//! - 429: wait `Retry-After` (seconds or an HTTP-date; `retry_after_default` without
//!   one), then retry;
//! - 5xx, timeouts, connection resets and truncated or invalid JSON bodies: retry with
//!   exponential backoff and jitter, up to `max_retries`;
//! - 401/403/404 and other 4xx: fail at once with an error naming what was asked.
//!
//! Request URLs are built under the account's [`BaseUrl`]
//! ([`ZendeskClient::api_url`]), and a server's next-page link is followed only under
//! it ([`follow`]). Credentials are attached here and nowhere else; no error or log
//! line carries them.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;

use super::limit::WindowLimiter;
use super::{AuthKind, FetchError, FetchSettings, MissingCredential};
use crate::config::{Env, Secret};
use crate::http::{
    self, describe, retry_after, BaseUrl, Failure, RetryPolicy, Stopped, Transient, TransportKind,
};

/// The first backoff delay; later ones double (with jitter) up to [`http::MAX_DELAY`].
const MIN_DELAY: Duration = Duration::from_millis(200);

/// Which budget a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    Api,
    /// The incremental export endpoints: 10/minute, 30 with High Volume.
    Incremental,
}

#[derive(Clone)]
pub enum Credentials {
    None,
    Basic { email: String, token: Secret },
    Bearer(Secret),
}

impl Credentials {
    /// Reads the credentials `auth` needs from the environment.
    pub fn from_env(auth: AuthKind, env: &Env) -> Result<Credentials, FetchError> {
        match auth {
            AuthKind::ApiToken => match (&env.zendesk_email, &env.zendesk_api_token) {
                (Some(email), Some(token)) => Ok(Credentials::Basic {
                    email: email.clone(),
                    token: token.clone(),
                }),
                (None, _) => Err(FetchError::MissingCredentials(MissingCredential::Email)),
                (_, None) => Err(FetchError::MissingCredentials(MissingCredential::ApiToken)),
            },
            AuthKind::OAuth => env
                .zendesk_oauth_token
                .clone()
                .map(Credentials::Bearer)
                .ok_or(FetchError::MissingCredentials(
                    MissingCredential::OAuthToken,
                )),
        }
    }
}

/// Request counters for the run summary.
#[derive(Debug, Default)]
pub struct FetchCounters {
    pub requests: AtomicU64,
    /// Requests for conversations: comments pages and ticket events pages.
    pub comment_requests: AtomicU64,
    pub retries: AtomicU64,
    pub rate_limited: AtomicU64,
}

pub struct ZendeskClient {
    http: reqwest::Client,
    base_url: BaseUrl,
    host: String,
    credentials: Credentials,
    api_limit: WindowLimiter,
    incremental_limit: WindowLimiter,
    retry: RetryPolicy,
    retry_after_default: Duration,
    pub counters: FetchCounters,
}

fn header_u64(h: &HeaderMap, name: &str) -> Option<u64> {
    h.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// Where a next-page link really goes: requests (and credentials) only ever go to
/// `base`. A link under it is used as is; one naming another host (Zendesk's own host
/// behind a proxy or custom domain) keeps only its `/api/v2` path and query.
fn resolve_link(base: &BaseUrl, link: &str) -> Option<Url> {
    let url = Url::parse(link)
        .or_else(|_| base.as_url().join(link))
        .ok()?;
    if base.contains(&url) {
        return Some(url);
    }
    let api = url.path().find("/api/v2/")?;
    let mut under = base.endpoint(&url.path()[api..]);
    under.set_query(url.query());
    Some(under)
}

/// The URL a server-sent next-page link is fetched from (see [`resolve_link`]).
pub(super) fn follow(base: &BaseUrl, link: &str, what: &str) -> Result<Url, FetchError> {
    resolve_link(base, link).ok_or_else(|| {
        FetchError::Protocol(format!(
            "{what}: the server sent a next-page link outside the API; refusing to follow it"
        ))
    })
}

impl ZendeskClient {
    pub fn new(
        base_url: &str,
        credentials: Credentials,
        settings: &FetchSettings,
        incremental_per_minute: u32,
    ) -> Result<Self, FetchError> {
        let base_url = BaseUrl::parse(base_url).map_err(FetchError::BaseUrl)?;
        let http = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .gzip(true)
            .user_agent(concat!("zdpipe/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FetchError::HttpClient(describe(&e)))?;
        Ok(ZendeskClient {
            http,
            host: base_url.host(),
            base_url,
            credentials,
            api_limit: WindowLimiter::new(settings.rate_limit_per_minute, settings.rate_window),
            incremental_limit: WindowLimiter::new(incremental_per_minute, settings.rate_window),
            retry: RetryPolicy::new(settings.max_retries, MIN_DELAY),
            retry_after_default: settings.retry_after_default,
            counters: FetchCounters::default(),
        })
    }

    /// Makes waits end early once `flag` is set, with [`FetchError::Interrupted`].
    pub fn set_interrupt(&mut self, flag: Arc<AtomicBool>) {
        self.retry.set_interrupt(flag);
    }

    /// The account's host, for messages.
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn base_url(&self) -> &BaseUrl {
        &self.base_url
    }

    /// `{base_url}/api/v2/{path}` with `query` percent-encoded.
    pub fn api_url(&self, path: &str, query: &[(&str, &str)]) -> Url {
        let mut url = self.base_url.endpoint(&format!("api/v2/{path}"));
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// GETs `url` and parses the JSON body, retrying what can be retried. `what`
    /// names the resource in errors ("view 123").
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        url: &Url,
        budget: Budget,
        what: &str,
    ) -> Result<T, FetchError> {
        let on_retry = |reason: &Transient, wait: Duration| {
            self.counters.retries.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(what, wait_ms = wait.as_millis() as u64, %reason, "retrying Zendesk request");
        };
        self.retry
            .run(|| self.attempt::<T>(url, budget, what), on_retry)
            .await
            .map_err(|stopped| match stopped {
                Stopped::Failed(e) => e,
                Stopped::GaveUp { last, retries } => FetchError::GaveUp {
                    what: what.to_string(),
                    host: self.host.clone(),
                    attempts: retries + 1,
                    last,
                },
                Stopped::Interrupted => FetchError::Interrupted,
            })
    }

    /// Waits for a slot in each budget the request counts against: an export
    /// request counts against its own budget and the account's.
    async fn wait_for_slot(&self, budget: Budget) -> Result<(), FetchError> {
        let limiters: &[&WindowLimiter] = match budget {
            Budget::Api => &[&self.api_limit],
            Budget::Incremental => &[&self.incremental_limit, &self.api_limit],
        };
        for limiter in limiters {
            while let Some(wait) = limiter.try_acquire() {
                http::sleep(wait, self.retry.interrupt())
                    .await
                    .map_err(|_| FetchError::Interrupted)?;
            }
        }
        Ok(())
    }

    fn authorized(&self, url: &Url) -> reqwest::RequestBuilder {
        let req = self
            .http
            .get(url.clone())
            .header("Accept", "application/json");
        match &self.credentials {
            Credentials::None => req,
            Credentials::Basic { email, token } => {
                req.basic_auth(format!("{email}/token"), Some(token.expose()))
            }
            Credentials::Bearer(token) => req.bearer_auth(token.expose()),
        }
    }

    async fn attempt<T: DeserializeOwned>(
        &self,
        url: &Url,
        budget: Budget,
        what: &str,
    ) -> Result<T, Failure<FetchError>> {
        self.wait_for_slot(budget).await.map_err(Failure::Final)?;
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let resp = self
            .authorized(url)
            .send()
            .await
            .map_err(|e| self.transport_failure(&e, what))?;
        let status = resp.status();
        if status.is_success() {
            self.observe_rate_headers(resp.headers(), budget);
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            self.counters.rate_limited.fetch_add(1, Ordering::Relaxed);
            let wait = retry_after(resp.headers()).unwrap_or(self.retry_after_default);
            return Err(Failure::Transient(Transient::Status {
                status,
                wait: Some(wait),
                message: String::new(),
            }));
        }
        if status.is_server_error() {
            return Err(Failure::Transient(Transient::Status {
                status,
                wait: None,
                message: String::new(),
            }));
        }
        if !status.is_success() {
            let body = resp.text().await.unwrap_or_default();
            return Err(Failure::Final(self.status_error(status, what, &body)));
        }
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| self.transport_failure(&e, what))?;
        serde_json::from_slice::<T>(&bytes).map_err(|e| {
            if e.is_eof() || e.is_syntax() {
                Failure::Transient(Transient::BadJson {
                    bytes: bytes.len(),
                    detail: e.to_string(),
                })
            } else {
                Failure::Final(FetchError::Protocol(format!(
                    "{what}: unexpected response shape from {}: {e}",
                    self.host
                )))
            }
        })
    }

    /// Timeouts, refused or dropped connections and cut-off bodies are retried;
    /// anything else reqwest reports (a redirect loop) is not.
    fn transport_failure(&self, e: &reqwest::Error, what: &str) -> Failure<FetchError> {
        match Transient::transport(e, str::to_string) {
            Transient::Transport {
                kind: TransportKind::Other,
                detail,
            } => Failure::Final(FetchError::Transport {
                what: what.to_string(),
                host: self.host.clone(),
                detail,
            }),
            transient => Failure::Transient(transient),
        }
    }

    /// Paces the next requests by what a successful answer says of the budget: the
    /// account's real limit, and a pause when none is left. (A 429 says when to
    /// retry itself, with `Retry-After` or the configured default.)
    fn observe_rate_headers(&self, h: &HeaderMap, budget: Budget) {
        let limiter = match budget {
            Budget::Api => &self.api_limit,
            Budget::Incremental => &self.incremental_limit,
        };
        // The account-wide limit only describes the general API budget.
        if let (Budget::Api, Some(limit)) = (budget, header_u64(h, "x-rate-limit")) {
            limiter.lower_to(limit as usize);
        }
        if header_u64(h, "x-rate-limit-remaining") == Some(0) {
            let reset = header_u64(h, "ratelimit-reset").unwrap_or(60).min(60);
            tracing::debug!(
                reset_s = reset,
                "account budget exhausted; pausing requests"
            );
            limiter.pause_until(tokio::time::Instant::now() + Duration::from_secs(reset));
        }
    }

    fn status_error(&self, status: StatusCode, what: &str, body: &str) -> FetchError {
        let host = self.host.clone();
        match status {
            StatusCode::UNAUTHORIZED => FetchError::Unauthorized { host },
            StatusCode::FORBIDDEN => FetchError::Forbidden {
                host,
                what: what.to_string(),
            },
            StatusCode::NOT_FOUND => FetchError::NotFound {
                host,
                what: what.to_string(),
            },
            _ => {
                let detail: String = body.chars().take(200).collect();
                FetchError::Status {
                    host,
                    what: what.to_string(),
                    status: status.as_u16(),
                    detail,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_links_only_ever_lead_to_the_base_url() {
        let base = BaseUrl::parse("https://proxy.example/zd").unwrap();
        let follow = |link: &str| resolve_link(&base, link).map(String::from);
        let under = "https://proxy.example/zd/api/v2/views.json?page%5Bafter%5D=xyz";
        assert_eq!(follow(under).as_deref(), Some(under));
        assert_eq!(
            follow("https://acme.zendesk.com/api/v2/views/1/tickets.json?page[after]=a%2Bb")
                .as_deref(),
            Some("https://proxy.example/zd/api/v2/views/1/tickets.json?page[after]=a%2Bb"),
            "Zendesk's own host behind a proxy: the path and query move under base_url"
        );
        assert_eq!(
            follow("/api/v2/views.json?x=1").as_deref(),
            Some("https://proxy.example/zd/api/v2/views.json?x=1")
        );
        assert_eq!(follow("https://evil.example/steal?token=1"), None);
    }
}
