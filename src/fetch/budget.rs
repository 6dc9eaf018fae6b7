//! The client's request budgets, and how the server's rate-limit headers move them.
//!
//! Three kinds of budget, each a [`WindowLimiter`]:
//! - **the account's**: `X-Rate-Limit` (or `ratelimit-limit`) is the account's limit
//!   per minute. With `rate_limit_per_minute = "auto"` the client starts at
//!   [`AUTO_START`] (the lowest plan) and follows the header up and down; a number is
//!   a fixed cap the header can only lower. Either way the client keeps to
//!   `api_share` of the header, leaving the rest to other integrations on the account.
//! - **the incremental export's**: 10 a minute (30 with High Volume) until a
//!   `Zendesk-RateLimit-<endpoint>` header on an export answer says otherwise.
//! - **the search export's**: [`SEARCH_EXPORT_PER_MINUTE`] a minute, Zendesk's
//!   published limit for `search/export`, until a `Zendesk-RateLimit-<endpoint>`
//!   header on a search answer says otherwise.
//! - **endpoint budgets learned on the way**: an answer to an ordinary API request
//!   that carries `Zendesk-RateLimit-<endpoint>: total=N; remaining=N; resets=S`
//!   (Zendesk sends them for list endpoints such as `tickets-index`) gives that
//!   request's route (its path, ids left out) a budget of its own from then on.
//!
//! `remaining` reaching 0 pauses a budget until the reset only when this client's own
//! count says there is room left: then someone else spent it. When our own count is
//! full too, the limiter already knows to the millisecond when a slot frees, more
//! precisely than a reset in whole seconds.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::Url;
use serde::Serialize;

use super::limit::{Permit, WindowLimiter};
use crate::http::{self, Interrupted};

/// Where `auto` starts before the first answer: the lowest plan's limit a minute.
pub const AUTO_START: u32 = 200;

/// `rate_limit_per_minute`: follow the account's limit, or keep under a fixed cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimit {
    Auto,
    Fixed(u32),
}

impl RateLimit {
    /// The budget before any answer: the cap, or the lowest plan's limit.
    pub fn start(self) -> u32 {
        match self {
            RateLimit::Auto => AUTO_START,
            RateLimit::Fixed(n) => n,
        }
    }
}

/// Zendesk's limit on the search export, per account and minute.
pub const SEARCH_EXPORT_PER_MINUTE: u32 = 100;

/// Which budget a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    Api,
    /// The incremental export endpoints: 10/minute, 30 with High Volume.
    Incremental,
    /// The search export: [`SEARCH_EXPORT_PER_MINUTE`].
    Search,
}

/// A `Zendesk-RateLimit-<endpoint>` header's value: `total=10; remaining=9; resets=42`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointLimit {
    pub total: u64,
    pub remaining: u64,
    /// Seconds until the budget refreshes.
    pub resets: u64,
}

impl EndpointLimit {
    pub fn parse(value: &str) -> Option<EndpointLimit> {
        let mut fields = HashMap::new();
        for part in value.split(';') {
            let (k, v) = part.split_once('=')?;
            fields.insert(k.trim().to_ascii_lowercase(), v.trim().parse::<u64>().ok()?);
        }
        Some(EndpointLimit {
            total: *fields.get("total")?,
            remaining: *fields.get("remaining")?,
            resets: fields.get("resets").copied().unwrap_or(60),
        })
    }

    /// The first `Zendesk-RateLimit-*` header of an answer that parses.
    fn find(h: &HeaderMap) -> Option<EndpointLimit> {
        h.iter()
            .filter(|(name, _)| name.as_str().starts_with("zendesk-ratelimit-"))
            .find_map(|(_, v)| EndpointLimit::parse(v.to_str().ok()?))
    }
}

fn header_u64(h: &HeaderMap, name: &str) -> Option<u64> {
    h.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// A request's path with its ids left out (`/api/v2/tickets/{id}/comments.json`):
/// the requests an endpoint budget covers.
fn route(url: &Url) -> String {
    url.path()
        .split('/')
        .map(|seg| {
            let stem = seg.strip_suffix(".json").unwrap_or(seg);
            if !stem.is_empty() && stem.bytes().all(|b| b.is_ascii_digit()) {
                "{id}"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// What the run learned and used of its budgets, for the summary.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RateReport {
    /// The account's limit a minute as `X-Rate-Limit` said it; `None` if never sent.
    pub account_limit: Option<u64>,
    pub api_share: f64,
    /// The client's own budget a minute at the end of the run.
    pub budget: u64,
    /// The most requests the client had in one window.
    pub busiest_minute: u64,
    pub export_budget: u64,
    pub export_busiest_minute: u64,
}

/// Every budget one client keeps.
pub struct Budgets {
    policy: RateLimit,
    share: f64,
    window: Duration,
    account: WindowLimiter,
    export: WindowLimiter,
    search: WindowLimiter,
    /// The account limit last read from a header; 0 until one arrives.
    learned: AtomicU64,
    endpoints: Mutex<HashMap<String, Arc<WindowLimiter>>>,
}

impl Budgets {
    pub fn new(policy: RateLimit, share: f64, export_start: u32, window: Duration) -> Self {
        Budgets {
            policy,
            share,
            window,
            account: WindowLimiter::new(policy.start(), window),
            export: WindowLimiter::new(export_start, window),
            search: WindowLimiter::new(SEARCH_EXPORT_PER_MINUTE, window),
            learned: AtomicU64::new(0),
            endpoints: Mutex::new(HashMap::new()),
        }
    }

    fn endpoint(&self, url: &Url) -> Option<Arc<WindowLimiter>> {
        let map = self.endpoints.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&route(url)).cloned()
    }

    /// Waits for a slot in every budget the request counts against (an export
    /// request counts against its own budget and the account's), then calls `send`;
    /// the slots count from when `send` returns.
    pub async fn around<T, F: std::future::Future<Output = T>>(
        &self,
        url: &Url,
        budget: Budget,
        interrupt: Option<&AtomicBool>,
        send: F,
    ) -> Result<T, Interrupted> {
        let endpoint = self.endpoint(url);
        let own = match budget {
            Budget::Incremental => Some(&self.export),
            Budget::Search => Some(&self.search),
            Budget::Api => endpoint.as_deref(),
        };
        let mut permits: Vec<Permit<'_>> = Vec::with_capacity(2);
        for limiter in own.into_iter().chain([&self.account]) {
            permits.push(acquire(limiter, interrupt).await?);
        }
        let out = send.await;
        drop(permits);
        Ok(out)
    }

    /// Moves the budgets by what an answer's headers say.
    pub fn observe(&self, url: &Url, budget: Budget, h: &HeaderMap) {
        // On an export answer the `ratelimit-*` names may describe the export budget,
        // so only `X-Rate-Limit` speaks for the account there.
        let generic = budget == Budget::Api;
        // A limit of 0 says nothing a client could follow (a server refusing
        // everything); the 429s and their retries deal with that.
        let limit = header_u64(h, "x-rate-limit")
            .or_else(|| generic.then(|| header_u64(h, "ratelimit-limit")).flatten())
            .filter(|&l| l > 0);
        let remaining = header_u64(h, "x-rate-limit-remaining").or_else(|| {
            generic
                .then(|| header_u64(h, "ratelimit-remaining"))
                .flatten()
        });
        if let Some(limit) = limit {
            self.learned.store(limit, Ordering::Relaxed);
            self.account.set_limit(self.account_budget(limit));
        }
        if remaining == Some(0) {
            let reset = header_u64(h, "ratelimit-reset").unwrap_or(60);
            let total = limit.map_or(self.account.limit(), |l| l as usize);
            self.pause_if_others_spent(&self.account, total, reset);
        }
        if let Some(e) = EndpointLimit::find(h).filter(|e| e.total > 0) {
            let limiter = match budget {
                Budget::Incremental | Budget::Search => {
                    self.own(budget).set_limit(e.total as usize);
                    None
                }
                Budget::Api => Some(self.learn_endpoint(url, e.total)),
            };
            if e.remaining == 0 {
                let limiter = limiter.as_deref().unwrap_or(self.own(budget));
                self.pause_if_others_spent(limiter, e.total as usize, e.resets);
            }
        }
    }

    /// A 429 says the server's budget is spent for now: every request of that budget
    /// waits out its `Retry-After`, not only the one that got it (with pages listed
    /// ahead and comments fetched beside them, several are in flight at once, and
    /// each would otherwise spend a retry on the same 429).
    pub fn hold_after_429(&self, budget: Budget, wait: Duration) {
        self.own(budget)
            .pause_until(tokio::time::Instant::now() + wait);
    }

    /// The limiter a budget keeps besides the account's (the account's for `Api`).
    fn own(&self, budget: Budget) -> &WindowLimiter {
        match budget {
            Budget::Incremental => &self.export,
            Budget::Search => &self.search,
            Budget::Api => &self.account,
        }
    }

    /// `api_share` of the account's limit, under the fixed cap if there is one.
    fn account_budget(&self, account_limit: u64) -> usize {
        let share = ((account_limit as f64 * self.share).floor() as u64).max(1);
        let budget = match self.policy {
            RateLimit::Auto => share,
            RateLimit::Fixed(cap) => share.min(u64::from(cap)),
        };
        budget as usize
    }

    fn learn_endpoint(&self, url: &Url, total: u64) -> Arc<WindowLimiter> {
        let mut map = self.endpoints.lock().unwrap_or_else(|p| p.into_inner());
        let limiter = map.entry(route(url)).or_insert_with(|| {
            tracing::debug!(route = %route(url), total, "endpoint budget learned");
            Arc::new(WindowLimiter::new(total as u32, self.window))
        });
        limiter.set_limit(total as usize);
        limiter.clone()
    }

    /// The server says none is left: if our own count says otherwise, another
    /// integration spent it, so wait for the reset.
    fn pause_if_others_spent(&self, limiter: &WindowLimiter, total: usize, reset_s: u64) {
        if limiter.in_window() >= total {
            return;
        }
        let wait = Duration::from_secs(reset_s).min(self.window.max(Duration::from_secs(1)));
        tracing::debug!(reset_s, "budget spent by another client; pausing requests");
        limiter.pause_until(tokio::time::Instant::now() + wait);
    }

    pub fn report(&self) -> RateReport {
        RateReport {
            account_limit: Some(self.learned.load(Ordering::Relaxed)).filter(|&l| l > 0),
            api_share: self.share,
            budget: self.account.limit() as u64,
            busiest_minute: self.account.busiest() as u64,
            export_budget: self.export.limit() as u64,
            export_busiest_minute: self.export.busiest() as u64,
        }
    }
}

/// Waits for a slot in `limiter`, ending early when the run is interrupted.
async fn acquire<'a>(
    limiter: &'a WindowLimiter,
    interrupt: Option<&AtomicBool>,
) -> Result<Permit<'a>, Interrupted> {
    loop {
        match limiter.try_acquire() {
            Ok(permit) => return Ok(permit),
            Err(wait) => http::sleep(wait, interrupt).await?,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn url(path: &str) -> Url {
        Url::parse(&format!("https://acme.example{path}")).unwrap()
    }

    #[test]
    fn endpoint_headers_parse_as_zendesk_writes_them() {
        assert_eq!(
            EndpointLimit::parse("total=100; remaining=99; resets=41"),
            Some(EndpointLimit {
                total: 100,
                remaining: 99,
                resets: 41
            })
        );
        assert_eq!(
            EndpointLimit::parse("total=10;remaining=0"),
            Some(EndpointLimit {
                total: 10,
                remaining: 0,
                resets: 60
            })
        );
        assert_eq!(EndpointLimit::parse("total=ten; remaining=1"), None);
        assert_eq!(EndpointLimit::parse("remaining=1"), None);
    }

    #[test]
    fn routes_leave_ids_out() {
        assert_eq!(
            route(&url("/api/v2/tickets/123/comments.json")),
            "/api/v2/tickets/{id}/comments.json"
        );
        assert_eq!(route(&url("/api/v2/views/7.json")), "/api/v2/views/{id}");
        assert_eq!(route(&url("/api/v2/tickets.json")), "/api/v2/tickets.json");
    }

    #[tokio::test]
    async fn auto_follows_the_account_limit_up_and_down_at_its_share() {
        let b = Budgets::new(RateLimit::Auto, 0.5, 10, Duration::from_secs(60));
        assert_eq!(b.report().budget, 200);
        b.observe(
            &url("/api/v2/views.json"),
            Budget::Api,
            &headers(&[("x-rate-limit", "700")]),
        );
        assert_eq!(
            (b.report().budget, b.report().account_limit),
            (350, Some(700))
        );
        b.observe(
            &url("/api/v2/views.json"),
            Budget::Api,
            &headers(&[("ratelimit-limit", "100")]),
        );
        assert_eq!(b.report().budget, 50);
        let capped = Budgets::new(RateLimit::Fixed(300), 1.0, 10, Duration::from_secs(60));
        capped.observe(
            &url("/x"),
            Budget::Api,
            &headers(&[("x-rate-limit", "700")]),
        );
        assert_eq!(capped.report().budget, 300, "a number is a cap");
        capped.observe(
            &url("/x"),
            Budget::Api,
            &headers(&[("x-rate-limit", "100")]),
        );
        assert_eq!(capped.report().budget, 100);
    }

    #[tokio::test]
    async fn endpoint_headers_move_their_own_budget_only() {
        let b = Budgets::new(RateLimit::Auto, 1.0, 10, Duration::from_secs(60));
        let export = headers(&[
            (
                "zendesk-ratelimit-incremental-exports-cursor",
                "total=30; remaining=29; resets=50",
            ),
            ("ratelimit-limit", "30"),
        ]);
        b.observe(
            &url("/api/v2/incremental/tickets/cursor.json"),
            Budget::Incremental,
            &export,
        );
        let r = b.report();
        assert_eq!(
            (r.export_budget, r.budget, r.account_limit),
            (30, 200, None)
        );
        let index = headers(&[(
            "zendesk-ratelimit-tickets-index",
            "total=100; remaining=99; resets=41",
        )]);
        b.observe(&url("/api/v2/tickets.json"), Budget::Api, &index);
        assert_eq!(
            b.endpoint(&url("/api/v2/tickets.json")).map(|l| l.limit()),
            Some(100)
        );
        assert!(b.endpoint(&url("/api/v2/users.json")).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_holds_every_request_of_its_budget_for_its_retry_after() {
        let b = Budgets::new(RateLimit::Auto, 1.0, 10, Duration::from_secs(60));
        b.hold_after_429(Budget::Api, Duration::from_secs(3));
        let start = tokio::time::Instant::now();
        b.around(&url("/y"), Budget::Api, None, async {})
            .await
            .unwrap();
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_secs(3) && waited < Duration::from_secs(4),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_budget_spent_by_others_pauses_until_the_reset() {
        let b = Budgets::new(RateLimit::Auto, 1.0, 10, Duration::from_secs(60));
        let spent = headers(&[
            ("x-rate-limit", "700"),
            ("x-rate-limit-remaining", "0"),
            ("ratelimit-reset", "7"),
        ]);
        b.observe(&url("/x"), Budget::Api, &spent);
        let start = tokio::time::Instant::now();
        b.around(&url("/x"), Budget::Api, None, async {})
            .await
            .unwrap();
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_secs(7) && waited < Duration::from_secs(8),
            "{waited:?}"
        );
    }
}
