//! Pacing model requests before the provider says no: the rate-limit headers of
//! every answer and `[analyze] tokens_per_minute` for servers that send none.
//!
//! A provider's answer says what is left of its windows ([`Limits`]: OpenAI's
//! `x-ratelimit-remaining-requests` / `-tokens` with `x-ratelimit-reset-*`
//! durations, Anthropic's `anthropic-ratelimit-*-remaining` with RFC 3339
//! `*-reset` times). The [`RateGate`] keeps the smallest "left" heard for the
//! current window and counts every request it lets out against it, so 1,024
//! requests in flight do not all go out on a window that has ten left. An answer
//! is as old as its request: what was sent after that request is taken off what
//! the answer says is left (the server counted those after it answered). A request
//! waits for the reset when no request is left, or when the tokens left would not
//! cover its estimate. Once a token window has reset, its count is forgotten until
//! an answer tells the new one. After every request window reset (dry or not), one
//! request goes first and the others wait for its answer: the server's new window
//! may have begun before the client's reset, so requests sent late in the old
//! window may already count in the new one, and only an answer sent after the
//! reset can say how many. Answers to requests sent before the reset tell of the
//! old window and no longer move the request count.
//!
//! `tokens_per_minute` spreads requests evenly: each one takes its estimated
//! tokens' share of a minute, and the next one goes out when that share is over.

use std::sync::atomic::AtomicBool;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::http::{sleep, Interrupted};

/// Caps a wait on a reset: a daily window hours away should surface as 429s and
/// errors, not as a silently frozen run.
const MAX_WAIT: Duration = Duration::from_secs(120);

/// What one answer's headers say is left of a window, and when it resets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub remaining: u64,
    pub reset: Duration,
}

/// The request and token windows one answer told of (either may be absent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    pub requests: Option<Window>,
    pub tokens: Option<Window>,
}

/// How long the other requests wait for the answer to the one request sent after
/// a dry window reset, before going out without it.
const PROBE_WAIT: Duration = Duration::from_secs(5);

/// How often the others look again while the probe's answer is awaited.
const PROBE_POLL: Duration = Duration::from_millis(20);

/// What is left of a window as the client counts it.
#[derive(Debug, Clone, Copy)]
struct Left {
    remaining: u64,
    reset_at: Instant,
    /// Set for the one request after a reset: its answer replaces it.
    probe: bool,
}

/// Which request an answer belongs to: the requests and tokens sent up to and
/// including it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sent {
    requests: u64,
    tokens: u64,
}

#[derive(Debug, Default)]
struct GateState {
    requests: Option<Left>,
    tokens: Option<Left>,
    sent: Sent,
    /// Requests sent before the request window last reset: their answers tell of
    /// the old window.
    requests_before_reset: u64,
    /// When the next request may go out under `tokens_per_minute`.
    next_slot: Option<Instant>,
}

impl GateState {
    /// Ends the windows whose reset has come: a request window starts again with
    /// one request, a token window is forgotten.
    fn roll(&mut self, now: Instant) {
        if let Some(ended) = self.requests.filter(|l| l.reset_at <= now) {
            // A probe left unanswered for PROBE_WAIT lets the others go unpaced.
            self.requests = (!ended.probe).then_some(Left {
                remaining: 1,
                reset_at: now + PROBE_WAIT,
                probe: true,
            });
            self.requests_before_reset = self.sent.requests;
        }
        if self.tokens.is_some_and(|l| l.reset_at <= now) {
            self.tokens = None;
        }
    }
}

/// Holds requests back until the provider's windows (and the hand-set token rate)
/// allow them; shared by every request of one client.
#[derive(Debug, Default)]
pub struct RateGate {
    tokens_per_minute: Option<u64>,
    state: Mutex<GateState>,
}

impl RateGate {
    pub fn new(tokens_per_minute: Option<u64>) -> Self {
        RateGate {
            tokens_per_minute: tokens_per_minute.filter(|&t| t > 0),
            state: Mutex::default(),
        }
    }

    /// Waits until a request estimated at `tokens` may go out, and counts it.
    pub async fn admit(
        &self,
        tokens: u64,
        interrupt: Option<&AtomicBool>,
    ) -> Result<Sent, Interrupted> {
        loop {
            match self.try_admit(tokens, Instant::now()) {
                Ok(sent) => return Ok(sent),
                Err(wait) => {
                    tracing::debug!(
                        ?wait,
                        "holding a model request for the provider's rate limit"
                    );
                    sleep(wait, interrupt).await?;
                }
            }
        }
    }

    /// Counts the request when it may go now, or says how long to wait.
    fn try_admit(&self, tokens: u64, now: Instant) -> Result<Sent, Duration> {
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let s = &mut *guard;
        s.roll(now);
        if let Some(l) = s.requests.filter(|l| l.remaining == 0) {
            // While the probe's answer is awaited, look again soon: it may come any
            // moment and open the window (nothing wakes the waiters).
            let wait = l.reset_at - now;
            return Err(if l.probe { wait.min(PROBE_POLL) } else { wait });
        }
        if let Some(l) = s.tokens.filter(|l| l.remaining < tokens) {
            return Err(l.reset_at - now);
        }
        if let Some(per_minute) = self.tokens_per_minute {
            let slot = s.next_slot.map_or(now, |at| at.max(now));
            if slot > now {
                return Err(slot - now);
            }
            let share = Duration::from_secs_f64(tokens as f64 * 60.0 / per_minute as f64);
            s.next_slot = Some(slot + share);
        }
        if let Some(l) = &mut s.requests {
            l.remaining -= 1;
        }
        if let Some(l) = &mut s.tokens {
            l.remaining = l.remaining.saturating_sub(tokens);
        }
        s.sent.requests += 1;
        s.sent.tokens += tokens;
        Ok(s.sent)
    }

    /// Takes in what the answer to request `sent` said about the windows.
    pub fn note(&self, limits: Limits, sent: Sent) {
        let now = Instant::now();
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        // An answer that comes after the reset, before any request asked, must
        // not start the new window with the old one's count.
        s.roll(now);
        let later = |window: Option<Window>, sent_since: u64| {
            window.map(|w| Window {
                remaining: w.remaining.saturating_sub(sent_since),
                ..w
            })
        };
        let requests = later(limits.requests, s.sent.requests - sent.requests)
            .filter(|_| sent.requests > s.requests_before_reset);
        let tokens = later(limits.tokens, s.sent.tokens - sent.tokens);
        merge(&mut s.requests, requests, now);
        merge(&mut s.tokens, tokens, now);
    }
}

/// Within one window the smallest count wins (answers arrive out of order, and the
/// client has counted requests the server has not seen yet); a new window starts
/// from what the server says.
fn merge(left: &mut Option<Left>, said: Option<Window>, now: Instant) {
    let Some(said) = said else { return };
    let reset_at = now + said.reset.min(MAX_WAIT);
    if let Some(l) = left.as_mut().filter(|l| l.reset_at > now && !l.probe) {
        l.remaining = l.remaining.min(said.remaining);
        l.reset_at = l.reset_at.max(reset_at);
        return;
    }
    *left = Some(Left {
        remaining: said.remaining,
        reset_at,
        probe: false,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(remaining: u64, reset_ms: u64) -> Option<Window> {
        Some(Window {
            remaining,
            reset: Duration::from_millis(reset_ms),
        })
    }

    #[tokio::test(start_paused = true)]
    async fn no_request_goes_out_on_an_empty_window_until_it_resets() {
        let gate = RateGate::default();
        let sent = gate.admit(10, None).await.unwrap();
        gate.note(
            Limits {
                requests: window(2, 1000),
                tokens: None,
            },
            sent,
        );
        let start = Instant::now();
        for _ in 0..2 {
            gate.admit(10, None).await.unwrap();
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        gate.admit(10, None).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_millis(1000));
        // That was the one request after the reset: the next waits for its answer.
        assert!(gate.try_admit(10, Instant::now()).is_err());
        let probe = gate.state.lock().unwrap().sent;
        // A late answer from the old window does not open the new one.
        gate.note(
            Limits {
                requests: window(3, 1000),
                tokens: None,
            },
            sent,
        );
        assert!(gate.try_admit(10, Instant::now()).is_err());
        gate.note(
            Limits {
                requests: window(3, 1000),
                tokens: None,
            },
            probe,
        );
        assert!(gate.try_admit(10, Instant::now()).is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_waits_when_the_tokens_left_do_not_cover_it() {
        let gate = RateGate::default();
        gate.note(
            Limits {
                requests: window(100, 1000),
                tokens: window(500, 300),
            },
            Sent::default(),
        );
        let start = Instant::now();
        gate.admit(400, None).await.unwrap();
        assert_eq!(start.elapsed(), Duration::ZERO);
        gate.admit(400, None).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_millis(300));
    }

    #[tokio::test(start_paused = true)]
    async fn tokens_per_minute_spreads_requests_by_their_share_of_a_minute() {
        let gate = RateGate::new(Some(60_000));
        let start = Instant::now();
        for _ in 0..4 {
            gate.admit(500, None).await.unwrap();
        }
        // 500 tokens of 60,000 a minute: one request every half second.
        assert_eq!(start.elapsed(), Duration::from_millis(1500));
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_counts_without_the_requests_sent_after_it() {
        let gate = RateGate::default();
        let first = gate.admit(1, None).await.unwrap();
        for _ in 0..3 {
            gate.admit(1, None).await.unwrap();
        }
        // The first request's answer says 5 left; the server has since seen 3 more.
        let limits = |left| Limits {
            requests: window(left, 1000),
            tokens: None,
        };
        gate.note(limits(5), first);
        assert_eq!(gate.state.lock().unwrap().requests.unwrap().remaining, 2);
        // An older answer never raises the count within its window.
        gate.note(limits(9), first);
        assert_eq!(gate.state.lock().unwrap().requests.unwrap().remaining, 2);
    }
    #[tokio::test(start_paused = true)]
    async fn after_a_reset_with_requests_left_one_request_goes_first() {
        let gate = RateGate::default();
        let sent = gate.admit(10, None).await.unwrap();
        gate.note(
            Limits {
                requests: window(3, 300),
                tokens: None,
            },
            sent,
        );
        gate.admit(10, None).await.unwrap();
        tokio::time::advance(Duration::from_millis(300)).await;
        // The client thought 2 were left; the server's new window may already hold
        // requests sent late in the old one, so only one goes until it answers.
        let probe = gate.admit(10, None).await.unwrap();
        assert!(gate.try_admit(10, Instant::now()).is_err());
        gate.note(
            Limits {
                requests: window(1, 300),
                tokens: None,
            },
            probe,
        );
        assert!(gate.try_admit(10, Instant::now()).is_ok());
        assert!(gate.try_admit(10, Instant::now()).is_err());
    }
}
