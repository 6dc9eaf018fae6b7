//! A sliding-window rate limiter: at most `n` requests in any window (a minute for
//! Zendesk), counted the way the server counts them.
//!
//! Zendesk counts requests per minute, so this mirrors its accounting and lets short
//! runs go at full speed (a 3-page nightly export on the 10/minute incremental budget
//! goes out at once instead of one request every 6 s, as a token bucket refilled
//! evenly would do). A request waits until one of the last `n` leaves the window.
//!
//! Why a request is counted from when its answer arrived, plus a margin: the server
//! stamps a request when it arrives, somewhere between our send and its answer. A
//! limiter that counted its own send times would send the 11th export request exactly
//! a window after the 1st was *sent*; if the 1st took longer to reach the server than
//! the 11th (a new connection, a busy machine), the server sees them less than a
//! window apart and answers 429. Counting from the answer is never earlier than the
//! server's stamp. [`SAFETY_MARGIN_DIVISOR`] adds a fiftieth of the window (1.2 s of
//! a minute) for a server whose window boundaries lag ours by up to a second (its
//! clock, its rounding to whole seconds); both together cost about 2 % of a window at
//! Zendesk's scale.
//!
//! The limit can change at run time ([`WindowLimiter::set_limit`], from the headers),
//! and [`WindowLimiter::pause_until`] holds all requests when the server says the
//! budget is spent by someone else, with the shared [`Pause`].

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::http::Pause;

/// The margin added to the window is `window / SAFETY_MARGIN_DIVISOR`.
pub const SAFETY_MARGIN_DIVISOR: u32 = 50;

/// A waiter looks again at least this often, so a raised limit takes effect at once.
const RECHECK: Duration = Duration::from_millis(100);

struct State {
    /// The window plus the safety margin: how long a request counts.
    counts_for: Duration,
    limit: usize,
    /// Requests sent and not answered yet: they count until a window after their answer.
    in_flight: usize,
    /// When the counted answered requests were answered, oldest first.
    answered: VecDeque<Instant>,
    /// The most requests ever counted at once: how much of the budget the run used.
    busiest: usize,
}

impl State {
    fn counted(&mut self, now: Instant) -> usize {
        while self
            .answered
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.counts_for)
        {
            self.answered.pop_front();
        }
        self.in_flight + self.answered.len()
    }

    /// The earliest a slot can free up when the window is full: the `k`-th expiry,
    /// where an unanswered request expires no sooner than a full window from now.
    fn free_in(&self, now: Instant, counted: usize) -> Duration {
        let k = counted + 1 - self.limit;
        match self.answered.get(k - 1) {
            Some(at) => (*at + self.counts_for).duration_since(now),
            None => self.counts_for,
        }
    }
}

pub struct WindowLimiter {
    state: Mutex<State>,
    pause: Pause,
}

/// A request's place in the window; dropping it marks the request answered.
pub struct Permit<'a> {
    limiter: &'a WindowLimiter,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut s = self.limiter.lock();
        s.in_flight -= 1;
        s.answered.push_back(Instant::now());
    }
}

impl WindowLimiter {
    /// At most `per_window` requests in any `window` (a minute for Zendesk).
    pub fn new(per_window: u32, window: Duration) -> Self {
        WindowLimiter {
            state: Mutex::new(State {
                counts_for: window + window / SAFETY_MARGIN_DIVISOR,
                limit: per_window.max(1) as usize,
                in_flight: 0,
                answered: VecDeque::new(),
                busiest: 0,
            }),
            pause: Pause::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn limit(&self) -> usize {
        self.lock().limit
    }

    /// The most requests counted in one window so far.
    pub fn busiest(&self) -> usize {
        self.lock().busiest
    }

    /// Requests counted in the window now (unanswered ones included).
    pub fn in_window(&self) -> usize {
        self.lock().counted(Instant::now())
    }

    /// Sets the limit (at least 1); waiters see it within [`RECHECK`].
    pub fn set_limit(&self, per_window: usize) {
        let mut s = self.lock();
        let to = per_window.max(1);
        if to != s.limit {
            tracing::debug!(from = s.limit, to, "request budget changed");
            s.limit = to;
        }
    }

    /// Holds every request until `at`.
    pub fn pause_until(&self, at: Instant) {
        self.pause.until(at);
    }

    /// Takes a slot if one is free now; otherwise says how long to wait before
    /// asking again.
    pub fn try_acquire(&self) -> Result<Permit<'_>, Duration> {
        if let Some(paused) = self.pause.remaining() {
            return Err(paused.min(RECHECK));
        }
        let mut s = self.lock();
        let now = Instant::now();
        let counted = s.counted(now);
        if counted >= s.limit {
            return Err(s
                .free_in(now, counted)
                .clamp(Duration::from_millis(1), RECHECK));
        }
        s.in_flight += 1;
        s.busiest = s.busiest.max(counted + 1);
        Ok(Permit { limiter: self })
    }

    /// Waits for a slot; the request counts until a window after the permit drops.
    pub async fn acquire(&self) -> Permit<'_> {
        loop {
            match self.try_acquire() {
                Ok(permit) => return permit,
                Err(wait) => tokio::time::sleep(wait).await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_secs(60);
    const COUNTS_FOR: Duration = Duration::from_millis(61_200);

    #[tokio::test(start_paused = true)]
    async fn never_more_than_limit_in_a_window_counted_from_the_answer() {
        let l = WindowLimiter::new(5, WINDOW);
        let start = Instant::now();
        let mut answered = Vec::new();
        for _ in 0..12 {
            let permit = l.acquire().await;
            // Each request takes 100 ms to answer.
            tokio::time::sleep(Duration::from_millis(100)).await;
            drop(permit);
            answered.push(start.elapsed());
        }
        assert_eq!(
            answered[4],
            Duration::from_millis(500),
            "the first 5 at once"
        );
        // The 6th is sent a window and the margin after the 1st was answered.
        assert_eq!(
            answered[5],
            Duration::from_millis(100) + COUNTS_FOR + Duration::from_millis(100)
        );
        assert_eq!(l.busiest(), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn a_raised_limit_frees_waiters_at_once() {
        let l = WindowLimiter::new(1, WINDOW);
        drop(l.acquire().await);
        let start = Instant::now();
        let raise = async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            l.set_limit(2);
        };
        let (_, permit) = tokio::join!(raise, l.acquire());
        assert!(
            start.elapsed() <= Duration::from_millis(1100),
            "{:?}",
            start.elapsed()
        );
        drop(permit);
        assert_eq!(l.in_window(), 2);
        l.set_limit(1);
        assert!(
            l.try_acquire().is_err(),
            "a lowered limit holds new requests"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_unanswered_request_counts_until_a_window_after_its_answer() {
        let l = WindowLimiter::new(1, WINDOW);
        let first = l.acquire().await;
        tokio::time::sleep(Duration::from_secs(90)).await;
        assert!(l.try_acquire().is_err(), "still in flight: still counted");
        drop(first);
        tokio::time::sleep(COUNTS_FOR - Duration::from_millis(1)).await;
        assert!(l.try_acquire().is_err());
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert!(l.try_acquire().is_ok());
    }
}
