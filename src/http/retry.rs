//! The retry policy both clients use: exponential backoff with jitter (backon), at
//! most `max_retries` retries, a server's requested wait in place of the backoff
//! delay, and waits that end as soon as the run is interrupted.
//!
//! An attempt says what its failure means with [`Failure`]: [`Failure::Transient`]
//! (a 429, a 5xx, a timeout, a body cut off) is tried again, [`Failure::Final`] is
//! returned at once. [`RetryPolicy::run`] ends with the value, or with why it
//! [`Stopped`].

use std::future::Future;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder, Retryable};

use super::error::Transient;
use super::pause::{self, is_set};

/// The longest backoff step before jitter; jitter adds up to as much again.
pub const MAX_DELAY: Duration = Duration::from_secs(30);

/// What one failed attempt means for the next.
#[derive(Debug)]
pub enum Failure<E> {
    /// Another attempt may succeed.
    Transient(Transient),
    /// Retrying cannot help: the caller's error, returned as is.
    Final(E),
}

/// Why [`RetryPolicy::run`] ended without a value.
#[derive(Debug)]
pub enum Stopped<E> {
    /// An attempt failed for good.
    Failed(E),
    /// Still failing after `retries` retries; `last` is the last attempt's failure.
    GaveUp { last: Transient, retries: u32 },
    /// The interrupt flag was set; no further attempt was made.
    Interrupted,
}

/// The failure as the retry loop sees it: the attempt's, or an interrupt noticed
/// before the next attempt.
enum Step<E> {
    Failed(Failure<E>),
    Interrupted,
}

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    min_delay: Duration,
    max_retries: u32,
    interrupt: Option<Arc<AtomicBool>>,
}

impl RetryPolicy {
    /// Up to `max_retries` retries, the first after about `min_delay`, each later
    /// one about twice as long, up to [`MAX_DELAY`].
    pub fn new(max_retries: u32, min_delay: Duration) -> Self {
        RetryPolicy {
            min_delay,
            max_retries,
            interrupt: None,
        }
    }

    /// Makes waits end early, and retries stop, once `flag` is set.
    pub fn set_interrupt(&mut self, flag: Arc<AtomicBool>) {
        self.interrupt = Some(flag);
    }

    pub fn interrupt(&self) -> Option<&AtomicBool> {
        self.interrupt.as_deref()
    }

    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(MAX_DELAY)
            .with_max_times(self.max_retries as usize)
            .with_jitter()
    }

    /// The backoff delays of one request's retries, before any server-requested wait.
    pub fn delays(&self) -> impl Iterator<Item = Duration> {
        self.backoff().build()
    }

    /// Runs `attempt` until it succeeds, fails for good, the retries run out or the
    /// run is interrupted. `on_retry` hears of each retry before its wait.
    pub async fn run<T, E, Fut>(
        &self,
        mut attempt: impl FnMut() -> Fut,
        mut on_retry: impl FnMut(&Transient, Duration),
    ) -> Result<T, Stopped<E>>
    where
        Fut: Future<Output = Result<T, Failure<E>>>,
    {
        let flag = self.interrupt.clone();
        let sleeper = move |d: Duration| {
            let flag = flag.clone();
            // An interrupted sleep just ends: the next attempt sees the flag.
            async move { pause::sleep(d, flag.as_deref()).await.unwrap_or(()) }
        };
        let mut retries = 0;
        let result = (|| {
            let interrupted = is_set(self.interrupt());
            let next = attempt();
            async move {
                if interrupted {
                    return Err(Step::Interrupted);
                }
                next.await.map_err(Step::Failed)
            }
        })
        .retry(self.backoff())
        .sleep(sleeper)
        .when(|step| matches!(step, Step::Failed(Failure::Transient(_))))
        .adjust(|step, delay| match step {
            Step::Failed(Failure::Transient(t)) => delay.map(|d| t.wait().unwrap_or(d)),
            _ => delay,
        })
        .notify(|step, delay| {
            retries += 1;
            if let Step::Failed(Failure::Transient(t)) = step {
                on_retry(t, delay);
            }
        })
        .await;
        result.map_err(|step| match step {
            Step::Interrupted => Stopped::Interrupted,
            Step::Failed(Failure::Final(e)) => Stopped::Failed(e),
            Step::Failed(Failure::Transient(last)) => Stopped::GaveUp { last, retries },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    use reqwest::StatusCode;
    use tokio::time::Instant;

    use crate::http::TransportKind;

    fn timeout() -> Failure<&'static str> {
        Failure::Transient(Transient::Transport {
            kind: TransportKind::Timeout,
            detail: "no answer".into(),
        })
    }

    #[test]
    fn backoff_doubles_within_jitter_and_stays_bounded() {
        let policy = RetryPolicy::new(12, Duration::from_millis(200));
        for _ in 0..20 {
            let delays: Vec<Duration> = policy.delays().collect();
            assert_eq!(delays.len(), 12, "one delay per retry");
            for (n, d) in delays.iter().enumerate() {
                let base = (Duration::from_millis(200) * 2u32.pow(n as u32)).min(MAX_DELAY);
                // backon multiplies in f32: allow for its rounding.
                let slack = Duration::from_millis(1);
                assert!(
                    *d + slack >= base && *d <= base * 2 + slack,
                    "retry {n}: {d:?} outside {base:?}..2x"
                );
            }
        }
        assert_eq!(
            RetryPolicy::new(0, Duration::from_secs(1)).delays().count(),
            0
        );
    }

    #[tokio::test(start_paused = true)]
    async fn transient_failures_are_retried_until_success() {
        let calls = AtomicU32::new(0);
        let mut heard = Vec::new();
        let policy = RetryPolicy::new(5, Duration::from_millis(100));
        let got = policy
            .run(
                || async {
                    match calls.fetch_add(1, Ordering::SeqCst) {
                        0 | 1 => Err(timeout()),
                        _ => Ok("done"),
                    }
                },
                |t, _| heard.push(t.to_string()),
            )
            .await;
        assert_eq!(got.unwrap(), "done");
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(heard, ["timed out: no answer", "timed out: no answer"]);
    }

    #[tokio::test(start_paused = true)]
    async fn retries_run_out_and_final_failures_stop_at_once() {
        let policy = RetryPolicy::new(2, Duration::from_millis(100));
        let calls = AtomicU32::new(0);
        let gave_up = policy
            .run(
                || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Err::<(), _>(timeout())
                },
                |_, _| {},
            )
            .await;
        assert!(matches!(gave_up, Err(Stopped::GaveUp { retries: 2, .. })));
        assert_eq!(calls.load(Ordering::SeqCst), 3, "1 try + 2 retries");
        let failed = policy
            .run(
                || async { Err::<(), _>(Failure::Final("forbidden")) },
                |_, _| {},
            )
            .await;
        assert!(matches!(failed, Err(Stopped::Failed("forbidden"))));
    }

    #[tokio::test(start_paused = true)]
    async fn a_server_requested_wait_replaces_the_backoff() {
        let policy = RetryPolicy::new(3, Duration::from_millis(100));
        let calls = AtomicU32::new(0);
        let start = Instant::now();
        let mut waits = Vec::new();
        policy
            .run(
                || async {
                    if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                        return Err(Failure::<()>::Transient(Transient::Status {
                            status: StatusCode::TOO_MANY_REQUESTS,
                            wait: Some(Duration::from_secs(7)),
                            message: String::new(),
                        }));
                    }
                    Ok(())
                },
                |_, wait| waits.push(wait),
            )
            .await
            .unwrap();
        assert_eq!(waits, [Duration::from_secs(7)]);
        assert_eq!(start.elapsed(), Duration::from_secs(7));
    }

    #[tokio::test(start_paused = true)]
    async fn an_interrupt_during_a_wait_stops_within_a_tenth_of_a_second() {
        let flag = Arc::new(AtomicBool::new(false));
        let mut policy = RetryPolicy::new(5, Duration::from_millis(100));
        policy.set_interrupt(flag.clone());
        let setter = flag.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(1250)).await;
            setter.store(true, Ordering::SeqCst);
        });
        let calls = AtomicU32::new(0);
        let start = Instant::now();
        let stopped = policy
            .run(
                || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Err::<(), _>(Failure::<()>::Transient(Transient::Status {
                        status: StatusCode::TOO_MANY_REQUESTS,
                        wait: Some(Duration::from_secs(60)),
                        message: String::new(),
                    }))
                },
                |_, _| {},
            )
            .await;
        assert!(matches!(stopped, Err(Stopped::Interrupted)));
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "no attempt after the interrupt"
        );
        let took = start.elapsed();
        assert!(took <= Duration::from_millis(1350), "{took:?}");
    }
}
