//! The sandbox's settings, in one shape for all three places that set them: the
//! `[fetch.sandbox]` table of a pipeline file (serde), the flags of `zdpipe sandbox`
//! (clap), and the server itself (tests and benchmarks build it in code).
//!
//! Always compiled, with or without the `sandbox` feature, so that a pipeline file
//! naming the sandbox still parses and can be refused with a clear message.
//!
//! Some knobs exist only for tests (`epoch`, `rate_window_ms`, `auth`, ...): neither
//! the file nor the command line can set them. The command line has no
//! `retry_after`, the file has no `port`.

use std::fmt;

use serde::Deserialize;

/// The port `zdpipe sandbox` listens on unless told otherwise.
const CLI_PORT: u16 = 8080;
const DEFAULT_TICKETS: u64 = 1000;
const DEFAULT_SEED: u64 = 42;
const DEFAULT_RETRY_AFTER_SECS: Option<u64> = Some(1);
/// A minute, as Zendesk counts.
const DEFAULT_RATE_WINDOW_MS: u64 = 60_000;
/// Zendesk's largest incremental-export page.
const EXPORT_PAGE_MAX: u32 = 1000;
/// Zendesk's own largest `page[size]`.
const DEFAULT_PAGE_SIZE_MAX: u32 = 100;

/// How to run the sandbox. `Default` gives 1000 tickets, seed 42, no latency, no
/// rate limit, no faults, no auth, an ephemeral port.
#[derive(Debug, Clone, PartialEq, Deserialize, clap::Args)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxSettings {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = CLI_PORT)]
    #[serde(skip)]
    pub port: u16,
    /// Number of tickets in the data set.
    #[arg(long, default_value_t = DEFAULT_TICKETS)]
    pub tickets: u64,
    /// Seed of the data set: the same seed gives the same tickets.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Tickets archived (the oldest ones): closed more than 120 days ago, listed by
    /// the incremental and search exports but by no view.
    #[arg(long, default_value_t = 0)]
    pub archived: u64,
    /// Latency per API request, in milliseconds: each answer is sent this long after
    /// its request arrived (later only when building it took longer).
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Share of requests answered with a fault (5xx, dropped connection, truncated body).
    #[arg(long, default_value_t = 0.0)]
    pub fault_rate: f64,
    /// Answer 429 beyond this many requests per minute.
    #[arg(long)]
    pub rate_limit_per_minute: Option<u32>,
    /// `Retry-After` seconds on those 429s; `None` omits the header.
    #[arg(skip = DEFAULT_RETRY_AFTER_SECS)]
    #[serde(rename = "retry_after")]
    pub retry_after_secs: Option<u64>,
    /// Added latency per LLM request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub llm_latency_ms: u64,
    /// LLM requests allowed per second; every answer then carries the provider's
    /// rate-limit headers (`x-ratelimit-*` or `anthropic-ratelimit-*`) and a request
    /// beyond the limit gets a 429.
    #[arg(long)]
    pub llm_requests_per_second: Option<u64>,
    /// LLM tokens (estimated from the request's length) allowed per second, with
    /// the token headers likewise.
    #[arg(long)]
    pub llm_tokens_per_second: Option<u64>,
    /// Time from a simulated LLM batch's creation to its end, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub llm_batch_delay_ms: u64,
    /// Unix seconds the data is anchored to (newest ticket = epoch - 120 s); `None` is
    /// today's UTC midnight, so reruns on the same day see the same data.
    #[arg(skip)]
    #[serde(skip)]
    pub epoch: Option<i64>,
    /// The window the rate limit counts in, in milliseconds (tests shrink it to stay
    /// fast).
    #[arg(skip = DEFAULT_RATE_WINDOW_MS)]
    #[serde(skip)]
    pub rate_window_ms: u64,
    /// Answer 429 beyond this many incremental-export requests per window, and say
    /// so in `Zendesk-RateLimit-incremental-exports-cursor`.
    #[arg(skip)]
    #[serde(skip)]
    pub export_rate_limit: Option<u32>,
    /// How much later than the client's the export window closes, in milliseconds: a
    /// server whose clock runs ahead (or rounds up to whole seconds).
    #[arg(skip)]
    #[serde(skip)]
    pub export_window_lag_ms: u64,
    /// The most tickets an incremental-export page holds (Zendesk: 1000).
    #[arg(skip = EXPORT_PAGE_MAX)]
    #[serde(skip)]
    pub export_page_max: u32,
    /// Credentials to require; `None` accepts anything.
    #[arg(skip)]
    #[serde(skip)]
    pub auth: Option<Credentials>,
    /// The largest `page[size]` served (larger requests are clamped), also the default.
    #[arg(skip = DEFAULT_PAGE_SIZE_MAX)]
    #[serde(skip)]
    pub page_size_max: u32,
    /// Percent (0-100) of LLM requests answered with a retryable error (429 / 529 / 503).
    #[arg(skip)]
    #[serde(skip)]
    pub llm_fault_percent: u32,
}

impl Default for SandboxSettings {
    fn default() -> Self {
        SandboxSettings {
            port: 0,
            tickets: DEFAULT_TICKETS,
            seed: DEFAULT_SEED,
            archived: 0,
            latency_ms: 0,
            fault_rate: 0.0,
            rate_limit_per_minute: None,
            retry_after_secs: DEFAULT_RETRY_AFTER_SECS,
            llm_latency_ms: 0,
            llm_requests_per_second: None,
            llm_tokens_per_second: None,
            llm_batch_delay_ms: 0,
            epoch: None,
            rate_window_ms: DEFAULT_RATE_WINDOW_MS,
            export_rate_limit: None,
            export_window_lag_ms: 0,
            export_page_max: EXPORT_PAGE_MAX,
            auth: None,
            page_size_max: DEFAULT_PAGE_SIZE_MAX,
            llm_fault_percent: 0,
        }
    }
}

/// A setting outside its range; `key` is the file's spelling (`fault_rate`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{key}: {problem}")]
pub struct InvalidSetting {
    pub key: &'static str,
    pub problem: String,
}

impl SandboxSettings {
    /// Checks the ranges serde and clap cannot express.
    pub fn check(&self) -> Result<(), InvalidSetting> {
        if !(0.0..=1.0).contains(&self.fault_rate) {
            return Err(InvalidSetting {
                key: "fault_rate",
                problem: format!("{} is not between 0 and 1", self.fault_rate),
            });
        }
        Ok(())
    }
}

/// An API token login: HTTP Basic `{email}/token:{token}`, or `Bearer {token}`.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub email: String,
    pub token: String,
}

impl fmt::Debug for Credentials {
    // Secrets never appear in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("email", &self.email)
            .field("token", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_table_is_the_default() {
        let parsed: SandboxSettings = toml::from_str("").unwrap();
        assert_eq!(parsed, SandboxSettings::default());
    }

    #[test]
    fn the_file_sets_its_keys_and_nothing_else() {
        let parsed: SandboxSettings =
            toml::from_str("tickets = 30\nretry_after = 5\nfault_rate = 0.5").unwrap();
        assert_eq!(
            (parsed.tickets, parsed.retry_after_secs, parsed.fault_rate),
            (30, Some(5), 0.5)
        );
        assert_eq!(parsed.rate_window_ms, DEFAULT_RATE_WINDOW_MS);
        for key in ["port = 1", "auth = 1", "epoch = 1", "retry_after_secs = 1"] {
            let err = toml::from_str::<SandboxSettings>(key).unwrap_err();
            assert!(err.message().contains("unknown field"), "{key}: {err}");
        }
    }

    #[test]
    fn the_command_line_defaults_to_port_8080() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            settings: SandboxSettings,
        }
        let cli = Cli::parse_from(["sandbox", "--tickets", "25"]);
        let want = SandboxSettings {
            port: CLI_PORT,
            tickets: 25,
            ..SandboxSettings::default()
        };
        assert_eq!(cli.settings, want);
    }

    #[test]
    fn fault_rate_is_a_share() {
        let bad = SandboxSettings {
            fault_rate: 1.5,
            ..SandboxSettings::default()
        };
        assert_eq!(bad.check().unwrap_err().key, "fault_rate");
        assert!(SandboxSettings::default().check().is_ok());
    }
}
