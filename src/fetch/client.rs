//! The HTTP side of the Zendesk client: auth, timeouts, rate limit and retries.
//!
//! One `reqwest::Client` (rustls, gzip, connect and request timeouts) is shared by
//! every call. [`ZendeskClient::get_json`] is the single way out to the network:
//! it waits for the rate limiter, sends, and classifies the answer:
//! - 2xx with valid JSON: done;
//! - 429: wait `Retry-After` seconds (or `retry_after_default`), then retry;
//! - 5xx, timeouts, connection resets and truncated or invalid JSON bodies: retry with
//!   exponential backoff and jitter (backon), up to `max_retries`;
//! - 401/403/404 and other 4xx: fail at once with an error naming what was asked.
//!
//! Credentials are attached here and nowhere else; no error or log line carries them.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use super::limit::WindowLimiter;
use super::{AuthKind, FetchError, FetchSettings};
use crate::config::{Env, Secret};

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
                (None, _) => Err(FetchError::MissingCredentials(
                    "auth = \"api_token\" needs ZENDESK_EMAIL and ZENDESK_API_TOKEN in the environment; ZENDESK_EMAIL is not set".into(),
                )),
                (_, None) => Err(FetchError::MissingCredentials(
                    "auth = \"api_token\" needs ZENDESK_EMAIL and ZENDESK_API_TOKEN in the environment; ZENDESK_API_TOKEN is not set".into(),
                )),
            },
            AuthKind::OAuth => env
                .zendesk_oauth_token
                .clone()
                .map(Credentials::Bearer)
                .ok_or_else(|| {
                    FetchError::MissingCredentials(
                        "auth = \"oauth\" needs ZENDESK_OAUTH_TOKEN in the environment".into(),
                    )
                }),
        }
    }
}

/// Request counters for the run summary.
#[derive(Debug, Default)]
pub struct FetchCounters {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub rate_limited: AtomicU64,
}

pub struct ZendeskClient {
    http: reqwest::Client,
    base_url: String,
    host: String,
    credentials: Credentials,
    api_limit: WindowLimiter,
    incremental_limit: WindowLimiter,
    max_retries: u32,
    retry_after_default: Duration,
    pub counters: FetchCounters,
    /// Set by Ctrl-C / SIGTERM: waits (retries, rate limit) end early.
    interrupt: Option<Arc<AtomicBool>>,
}

/// Why one attempt failed, and whether another may succeed.
enum Attempt {
    Retry {
        reason: String,
        wait: Option<Duration>,
    },
    Fail(FetchError),
}

fn header_u64(h: &HeaderMap, name: &str) -> Option<u64> {
    h.get(name)?.to_str().ok()?.trim().parse().ok()
}

impl ZendeskClient {
    pub fn new(
        base_url: &str,
        credentials: Credentials,
        settings: &FetchSettings,
        incremental_per_minute: u32,
    ) -> Result<Self, FetchError> {
        let http = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .gzip(true)
            .user_agent(concat!("zdpipe/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FetchError::Transport(format!("cannot build the HTTP client: {e}")))?;
        let base_url = base_url.trim_end_matches('/').to_string();
        let host = base_url
            .split_once("://")
            .map_or(base_url.as_str(), |(_, r)| r)
            .split('/')
            .next()
            .unwrap_or_default()
            .to_string();
        Ok(ZendeskClient {
            http,
            base_url,
            host,
            credentials,
            api_limit: WindowLimiter::new(settings.rate_limit_per_minute, settings.rate_window),
            incremental_limit: WindowLimiter::new(incremental_per_minute, settings.rate_window),
            max_retries: settings.max_retries,
            retry_after_default: settings.retry_after_default,
            counters: FetchCounters::default(),
            interrupt: None,
        })
    }

    /// Makes waits end early once `flag` is set, with [`FetchError::Interrupted`].
    pub fn set_interrupt(&mut self, flag: Arc<AtomicBool>) {
        self.interrupt = Some(flag);
    }

    fn interrupted(&self) -> bool {
        self.interrupt
            .as_ref()
            .is_some_and(|f| f.load(Ordering::SeqCst))
    }

    /// Sleeps `d`, in short steps so that Ctrl-C is noticed within 100 ms.
    async fn pause(&self, d: Duration) -> Result<(), FetchError> {
        let until = tokio::time::Instant::now() + d;
        loop {
            if self.interrupted() {
                return Err(FetchError::Interrupted);
            }
            let now = tokio::time::Instant::now();
            if now >= until {
                return Ok(());
            }
            tokio::time::sleep((until - now).min(Duration::from_millis(100))).await;
        }
    }

    /// The account's host, for messages.
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// GETs `path` (relative to the base URL, or an absolute `links.next` URL on the
    /// same host) and parses the JSON body, retrying what can be retried. `what`
    /// names the resource in errors ("view 123").
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        budget: Budget,
        what: &str,
    ) -> Result<T, FetchError> {
        let url = if path.starts_with("http://") || path.starts_with("https://") {
            // A next-page link: requests (and credentials) only ever go to base_url.
            // A link under it is used as is; one naming another host (Zendesk's own
            // host behind a proxy or custom domain) keeps only its /api/v2 path.
            if path.starts_with(&format!("{}/", self.base_url)) {
                path.to_string()
            } else if let Some(i) = path.find("/api/v2/") {
                format!("{}{}", self.base_url, &path[i..])
            } else {
                return Err(FetchError::Protocol(format!(
                    "{what}: the server sent a next-page link outside the API; refusing to follow it"
                )));
            }
        } else {
            format!("{}{}", self.base_url, path)
        };
        let mut backoff = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(200))
            .with_max_delay(Duration::from_secs(30))
            .with_jitter()
            .without_max_times()
            .build();
        let mut retries = 0u32;
        loop {
            match self.attempt::<T>(&url, budget, what).await {
                Ok(v) => return Ok(v),
                Err(Attempt::Fail(e)) => return Err(e),
                Err(Attempt::Retry { reason, wait }) => {
                    if retries >= self.max_retries {
                        return Err(FetchError::GaveUp {
                            what: what.to_string(),
                            host: self.host.clone(),
                            attempts: retries + 1,
                            last: reason,
                        });
                    }
                    retries += 1;
                    self.counters.retries.fetch_add(1, Ordering::Relaxed);
                    let wait =
                        wait.unwrap_or_else(|| backoff.next().unwrap_or(Duration::from_secs(30)));
                    tracing::debug!(what, retry = retries, wait_ms = wait.as_millis() as u64, reason = %reason, "retrying Zendesk request");
                    self.pause(wait).await?;
                }
            }
        }
    }

    async fn attempt<T: DeserializeOwned>(
        &self,
        url: &str,
        budget: Budget,
        what: &str,
    ) -> Result<T, Attempt> {
        // An export request counts against its own budget and the account's.
        let limiters: &[&WindowLimiter] = match budget {
            Budget::Api => &[&self.api_limit],
            Budget::Incremental => &[&self.incremental_limit, &self.api_limit],
        };
        for limiter in limiters {
            while let Some(wait) = limiter.try_acquire() {
                self.pause(wait.min(Duration::from_millis(100)))
                    .await
                    .map_err(Attempt::Fail)?;
            }
        }
        let mut req = self.http.get(url).header("Accept", "application/json");
        req = match &self.credentials {
            Credentials::None => req,
            Credentials::Basic { email, token } => {
                req.basic_auth(format!("{email}/token"), Some(token.expose()))
            }
            Credentials::Bearer(token) => req.bearer_auth(token.expose()),
        };
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                let kind = if e.is_timeout() {
                    "timed out"
                } else {
                    "connection failed"
                };
                return Err(Attempt::Retry {
                    reason: format!("{kind}: {}", without_url(&e)),
                    wait: None,
                });
            }
        };
        let status = resp.status();
        if status.is_success() {
            self.observe_rate_headers(resp.headers(), budget);
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            self.counters.rate_limited.fetch_add(1, Ordering::Relaxed);
            let wait = header_u64(resp.headers(), RETRY_AFTER.as_str())
                .map(Duration::from_secs)
                .unwrap_or(self.retry_after_default);
            return Err(Attempt::Retry {
                reason: format!("429 Too Many Requests (waiting {}s)", wait.as_secs()),
                wait: Some(wait),
            });
        }
        if status.is_server_error() {
            return Err(Attempt::Retry {
                reason: format!("server error {status}"),
                wait: None,
            });
        }
        if !status.is_success() {
            let body = resp.text().await.unwrap_or_default();
            return Err(Attempt::Fail(self.status_error(status, what, &body)));
        }
        let bytes = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => {
                return Err(Attempt::Retry {
                    reason: format!("body cut off: {}", without_url(&e)),
                    wait: None,
                })
            }
        };
        serde_json::from_slice::<T>(&bytes).map_err(|e| {
            if e.is_eof() || e.is_syntax() {
                Attempt::Retry {
                    reason: format!("truncated or invalid JSON ({} bytes): {e}", bytes.len()),
                    wait: None,
                }
            } else {
                Attempt::Fail(FetchError::Protocol(format!(
                    "{what}: unexpected response shape from {}: {e}",
                    self.host
                )))
            }
        })
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

/// A reqwest error's text without the URL (which may carry query parameters).
fn without_url(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    if let Some(url) = e.url() {
        msg = msg.replace(url.as_str(), "");
    }
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}
