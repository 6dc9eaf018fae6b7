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
//! - 401/403/404 and other 4xx: fail at once with an error naming what was asked;
//! - answers no retry mends fail at once naming the URL: a redirect (none is
//!   followed, so credentials never reach another host), a 200 with an HTML page
//!   (a maintenance page or a captive portal), and a body over [`MAX_BODY_BYTES`]
//!   (refused by its `Content-Length`, or cut off once that much was read).
//!
//! A server that stalls after the headers or mid-body is cut off by the request
//! `timeout` (connect to last byte) and retried like any timeout.
//!
//! Request URLs are built under the account's [`BaseUrl`]
//! ([`ZendeskClient::api_url`]), and a server's next-page link is followed only under
//! it ([`follow`]). Credentials are attached here and nowhere else; no error or log
//! line carries them. The client trusts and proxies what its [`Network`] says
//! (`[fetch] ca_file`, `SSL_CERT_FILE`, `HTTPS_PROXY`); a certificate it does not
//! trust stops the run at once with [`FetchError::Tls`].

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;

use super::budget::{Budget, Budgets, RateReport};
use super::{AuthKind, FetchError, FetchSettings, MissingCredential};
use crate::config::{Env, Secret};
use crate::http::{
    describe, redacted, retry_after, BaseUrl, Failure, Network, NetworkError, RetryPolicy, Stopped,
    Transient, TransportKind,
};

/// The largest response body read (after decompression): a page of 100 tickets with
/// their requesters is a few MB, so 64 MiB leaves room and still bounds memory.
pub const MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// The first backoff delay; later ones double (with jitter) up to [`crate::http::MAX_DELAY`].
const MIN_DELAY: Duration = Duration::from_millis(200);

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
    budgets: Budgets,
    retry: RetryPolicy,
    retry_after_default: Duration,
    pub counters: FetchCounters,
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
        network: &Network,
        export_per_minute: u32,
    ) -> Result<Self, FetchError> {
        let base_url = BaseUrl::parse(base_url).map_err(FetchError::BaseUrl)?;
        // A plain http:// account (the sandbox, a server on loopback) is never spoken
        // to over TLS: redirects are not followed and next-page links must stay under
        // the base URL. So the platform's certificate store (hundreds of files, tens
        // of milliseconds at every start) is read only for https.
        let tls = base_url.as_url().scheme() == "https";
        let http = network
            .client_builder()?
            .tls_built_in_root_certs(tls)
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .gzip(true)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("zdpipe/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FetchError::Network(NetworkError::Client(describe(&e))))?;
        Ok(ZendeskClient {
            http,
            host: base_url.host(),
            base_url,
            credentials,
            budgets: Budgets::new(
                settings.rate_limit,
                settings.api_share,
                export_per_minute,
                settings.rate_window,
            ),
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
        self.get_decoded(url, budget, what, |body| serde_json::from_slice(&body))
            .await
    }

    /// [`ZendeskClient::get_json`] with the body read by `decode`, which owns it
    /// (an export page keeps its bytes to parse on its own task). A syntax error
    /// from `decode` is retried like bad JSON.
    pub async fn get_decoded<T>(
        &self,
        url: &Url,
        budget: Budget,
        what: &str,
        decode: impl Fn(Vec<u8>) -> Result<T, serde_json::Error>,
    ) -> Result<T, FetchError> {
        let on_retry = |reason: &Transient, wait: Duration| {
            self.counters.retries.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(what, wait_ms = wait.as_millis() as u64, %reason, "retrying Zendesk request");
        };
        self.retry
            .run(|| self.attempt(url, budget, what, &decode), on_retry)
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

    async fn attempt<T>(
        &self,
        url: &Url,
        budget: Budget,
        what: &str,
        decode: &impl Fn(Vec<u8>) -> Result<T, serde_json::Error>,
    ) -> Result<T, Failure<FetchError>> {
        let send = async {
            self.counters.requests.fetch_add(1, Ordering::Relaxed);
            self.authorized(url).send().await
        };
        let resp = self
            .budgets
            .around(url, budget, self.retry.interrupt(), send)
            .await
            .map_err(|_| Failure::Final(FetchError::Interrupted))?
            .map_err(|e| self.transport_failure(&e, what))?;
        let resp = self.successful(resp, url, budget, what).await?;
        let html = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.to_ascii_lowercase().contains("html"));
        let bytes = self.read_body(resp, what).await?;
        let starts_like_html = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<');
        if html || starts_like_html {
            return Err(Failure::Final(self.bad_answer(
                what,
                url,
                "answered 200 with an HTML page, not JSON (a maintenance page or a captive portal?)".into(),
            )));
        }
        let len = bytes.len();
        decode(bytes).map_err(|e| {
            if e.is_eof() || e.is_syntax() {
                Failure::Transient(Transient::BadJson {
                    bytes: len,
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

    /// The response if its status is a success; otherwise what to do about it.
    async fn successful(
        &self,
        resp: reqwest::Response,
        url: &Url,
        budget: Budget,
        what: &str,
    ) -> Result<reqwest::Response, Failure<FetchError>> {
        let status = resp.status();
        // A 429 says when to retry itself (`Retry-After`); a success says how the
        // budget stands.
        if status.is_success() {
            self.budgets.observe(url, budget, resp.headers());
            return Ok(resp);
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            self.counters.rate_limited.fetch_add(1, Ordering::Relaxed);
            let wait = retry_after(resp.headers()).unwrap_or(self.retry_after_default);
            self.budgets.hold_after_429(budget, wait);
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
        if status.is_redirection() {
            return Err(Failure::Final(self.redirected(&resp, what)));
        }
        let body = self.read_body(resp, what).await.unwrap_or_default();
        let body = String::from_utf8_lossy(&body);
        Err(Failure::Final(self.status_error(status, what, &body)))
    }

    /// A redirect is refused, not followed: credentials go to the account's host
    /// only, and `base_url` should name where the API answers.
    fn redirected(&self, resp: &reqwest::Response, what: &str) -> FetchError {
        let target = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|link| resp.url().join(link).ok())
            .map_or_else(|| "nowhere".to_string(), |u| redacted(&u));
        self.bad_answer(
            what,
            resp.url(),
            format!(
                "answered {} redirecting to {target}; zdpipe follows no redirects (credentials \
                 go to base_url's host only): set base_url to the address the API answers at",
                resp.status().as_u16()
            ),
        )
    }

    fn bad_answer(&self, what: &str, url: &Url, problem: String) -> FetchError {
        FetchError::BadAnswer {
            what: what.to_string(),
            url: redacted(url),
            problem,
        }
    }

    /// The body, refused once it passes [`MAX_BODY_BYTES`] (by its `Content-Length`
    /// before reading any of it, or while streaming) so memory stays bounded.
    async fn read_body(
        &self,
        mut resp: reqwest::Response,
        what: &str,
    ) -> Result<Vec<u8>, Failure<FetchError>> {
        let url = resp.url().clone();
        let too_large = |seen: u64| {
            Failure::Final(self.bad_answer(
                what,
                &url,
                format!(
                    "sent a body of {seen} bytes or more, over the {} MiB limit; refusing it",
                    MAX_BODY_BYTES / (1024 * 1024)
                ),
            ))
        };
        if let Some(length) = resp.content_length().filter(|&n| n > MAX_BODY_BYTES) {
            return Err(too_large(length));
        }
        // Reserved up front when the length is known: an export page is ~2 MB.
        let mut body = Vec::with_capacity(resp.content_length().unwrap_or(0) as usize);
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| self.transport_failure(&e, what))?
        {
            if (body.len() + chunk.len()) as u64 > MAX_BODY_BYTES {
                return Err(too_large((body.len() + chunk.len()) as u64));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Timeouts, refused or dropped connections and cut-off bodies are retried;
    /// a failed TLS handshake and anything else reqwest reports (a redirect loop)
    /// are not.
    fn transport_failure(&self, e: &reqwest::Error, what: &str) -> Failure<FetchError> {
        match Transient::transport(e, str::to_string) {
            Transient::Transport {
                kind: TransportKind::Tls,
                detail,
            } => Failure::Final(FetchError::Tls {
                host: self.host.clone(),
                detail,
            }),
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

    /// What the run learned and used of its rate budgets.
    pub fn rate_report(&self) -> RateReport {
        self.budgets.report()
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
