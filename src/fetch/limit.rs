//! A sliding-window rate limiter: at most `n` requests in any 60-second window.
//!
//! Zendesk counts requests per minute, so this mirrors its accounting exactly and
//! lets short runs go at full speed (a 3-page nightly export on the 10/minute
//! incremental budget goes out at once instead of one request every 6 s, as a
//! token bucket refilled evenly would do). It keeps the send times of the last `n`
//! requests; a request waits until the oldest of them leaves the window.
//!
//! The limit can be lowered at run time when Zendesk's `X-Rate-Limit` header says the
//! account has less than configured, and [`WindowLimiter::pause_until`] holds all
//! requests when `X-Rate-Limit-Remaining` reaches zero (other integrations share the
//! account's budget), with the shared [`Pause`].

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::http::Pause;

struct State {
    window: Duration,
    limit: usize,
    sent: VecDeque<Instant>,
}

pub struct WindowLimiter {
    state: Mutex<State>,
    pause: Pause,
}

impl WindowLimiter {
    /// At most `per_window` requests in any `window` (a minute for Zendesk).
    pub fn new(per_window: u32, window: Duration) -> Self {
        WindowLimiter {
            state: Mutex::new(State {
                window,
                limit: per_window.max(1) as usize,
                sent: VecDeque::new(),
            }),
            pause: Pause::default(),
        }
    }

    pub fn limit(&self) -> usize {
        self.state.lock().expect("limiter lock").limit
    }

    /// Lowers the limit (never raises it above the configured one).
    pub fn lower_to(&self, per_minute: usize) {
        let mut s = self.state.lock().expect("limiter lock");
        if per_minute >= 1 && per_minute < s.limit {
            tracing::debug!(
                from = s.limit,
                to = per_minute,
                "lowering request rate to the account's limit"
            );
            s.limit = per_minute;
        }
    }

    /// Holds every request until `at`.
    pub fn pause_until(&self, at: Instant) {
        self.pause.until(at);
    }

    /// Takes a slot if one is free now (recording the request as sent); otherwise
    /// says how long until one may be.
    pub fn try_acquire(&self) -> Option<Duration> {
        if let Some(paused) = self.pause.remaining() {
            return Some(paused);
        }
        let mut s = self.state.lock().expect("limiter lock");
        let now = Instant::now();
        let window = s.window;
        while s
            .sent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            s.sent.pop_front();
        }
        if s.sent.len() >= s.limit {
            let free_at = s.sent[s.sent.len() - s.limit] + window;
            return Some(free_at.duration_since(now));
        }
        s.sent.push_back(now);
        None
    }

    /// Waits for a slot, then records the request as sent.
    pub async fn acquire(&self) {
        while let Some(wait) = self.try_acquire() {
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_secs(60);

    #[tokio::test(start_paused = true)]
    async fn never_more_than_limit_in_a_window() {
        let l = WindowLimiter::new(5, WINDOW);
        let start = Instant::now();
        let mut times = Vec::new();
        for _ in 0..12 {
            l.acquire().await;
            times.push(Instant::now().duration_since(start));
        }
        for (i, t) in times.iter().enumerate() {
            let in_window = times[i..].iter().filter(|u| **u < *t + WINDOW).count();
            assert!(in_window <= 5, "{in_window} requests within 60 s of {t:?}");
        }
        assert!(
            times[4] < Duration::from_millis(1),
            "the first 5 go at once"
        );
        assert!(times[5] >= WINDOW);
    }
}
