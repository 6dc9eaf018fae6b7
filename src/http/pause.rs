//! Waiting: the shared "pause all requests until T" state, and sleeps that end
//! early when the run is interrupted.
//!
//! A [`Pause`] is set when a server says the budget is spent (Zendesk's
//! `X-Rate-Limit-Remaining: 0`, a provider's request window) and held by every
//! request of that client, so workers wait out the reset together instead of each
//! earning a 429. Every wait sleeps in steps of at most [`INTERRUPT_POLL`], so Ctrl-C
//! is noticed within 0.1 s even in a minute-long wait.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// How often a wait looks at the interrupt flag.
pub const INTERRUPT_POLL: Duration = Duration::from_millis(100);

/// A wait ended because the run was interrupted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted;

/// Whether `flag` (Ctrl-C, SIGTERM) is set; no flag is never set.
pub fn is_set(flag: Option<&AtomicBool>) -> bool {
    flag.is_some_and(|f| f.load(Ordering::SeqCst))
}

/// Sleeps `d`, in steps, returning early once `interrupt` is set.
pub async fn sleep(d: Duration, interrupt: Option<&AtomicBool>) -> Result<(), Interrupted> {
    let until = Instant::now() + d;
    loop {
        if is_set(interrupt) {
            return Err(Interrupted);
        }
        let now = Instant::now();
        if now >= until {
            return Ok(());
        }
        tokio::time::sleep((until - now).min(INTERRUPT_POLL)).await;
    }
}

/// "No request before T", shared by every request of one client.
#[derive(Debug, Default)]
pub struct Pause {
    until: Mutex<Option<Instant>>,
}

impl Pause {
    /// Holds requests until `at` (a later pause already set stays).
    pub fn until(&self, at: Instant) {
        let mut until = self.until.lock().unwrap_or_else(|p| p.into_inner());
        if until.is_none_or(|u| u < at) {
            *until = Some(at);
        }
    }

    /// How long requests are still held, if at all.
    pub fn remaining(&self) -> Option<Duration> {
        let until = (*self.until.lock().unwrap_or_else(|p| p.into_inner()))?;
        let now = Instant::now();
        (until > now).then(|| until - now)
    }

    /// Waits until the pause is over (or the run is interrupted).
    pub async fn wait(&self, interrupt: Option<&AtomicBool>) -> Result<(), Interrupted> {
        while let Some(left) = self.remaining() {
            sleep(left, interrupt).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_until_its_end_and_only_grows() {
        let pause = Pause::default();
        assert_eq!(pause.remaining(), None);
        let start = Instant::now();
        pause.until(start + Duration::from_secs(5));
        pause.until(start + Duration::from_secs(2));
        assert_eq!(pause.remaining(), Some(Duration::from_secs(5)));
        pause.wait(None).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(5));
        assert_eq!(pause.remaining(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn an_interrupt_ends_a_long_wait_within_a_tenth_of_a_second() {
        let flag = Arc::new(AtomicBool::new(false));
        let setter = flag.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(250)).await;
            setter.store(true, Ordering::SeqCst);
        });
        let start = Instant::now();
        let waited = sleep(Duration::from_secs(60), Some(&flag)).await;
        assert_eq!(waited, Err(Interrupted));
        assert!(
            start.elapsed() <= Duration::from_millis(350),
            "{:?}",
            start.elapsed()
        );
    }
}
