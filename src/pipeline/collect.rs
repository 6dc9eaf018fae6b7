//! Gathers what the stages counted into the [`RunSummary`] of a run.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::stages::Counters;
use super::threads::StagesDone;
use super::{peak_rss_mb, HitMiss, Outcome, RunSummary, StageTimes, TokenUsage};
use crate::analyze::BuiltAnalyzer;
use crate::cache::Cache;
use crate::fetch::{FetchCounters, RateReport};
use crate::write::dated::RunStamp;

/// Everything a summary is made of.
pub struct Tally<'a> {
    pub pipeline: &'a str,
    pub outcome: Outcome,
    pub counters: &'a Counters,
    pub cache: &'a Cache,
    /// The Zendesk client's counters; `None` for a file source.
    pub http: Option<&'a FetchCounters>,
    /// What the client learned and used of its rate budgets; `None` for a file source.
    pub rate: Option<RateReport>,
    pub analyzer: &'a BuiltAnalyzer,
    pub stages: &'a StagesDone,
    /// Time the write stage spent, finishing the outputs included.
    pub write_busy: Duration,
    pub wall: Duration,
    pub outputs: Vec<String>,
    pub run: RunStamp,
}

impl Tally<'_> {
    pub fn summary(self) -> RunSummary {
        let c = self.counters;
        let load = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
        let http = |f: fn(&FetchCounters) -> u64| self.http.map_or(0, f);
        let wall = self.wall.as_secs_f64();
        let written = self.stages.write.written;
        RunSummary {
            pipeline: self.pipeline.to_string(),
            outcome: self.outcome,
            fetched: load(&c.fetched),
            from_cache: self.cache.tickets.hits(),
            analyzed: load(&c.analyzed),
            reused: load(&c.reused),
            failed: self.stages.write.failed,
            written,
            skipped_records: self.stages.skipped,
            http_requests: http(|h| h.requests.load(Ordering::Relaxed)),
            comment_requests: http(|h| h.comment_requests.load(Ordering::Relaxed)),
            http_retries: http(|h| h.retries.load(Ordering::Relaxed)),
            rate_limited: http(|h| h.rate_limited.load(Ordering::Relaxed)),
            rate: self.rate,
            cache: self
                .cache
                .run_counts()
                .into_iter()
                .map(|(k, hits, misses)| (k.to_string(), HitMiss { hits, misses }))
                .collect(),
            stage_seconds: StageTimes {
                fetch_s: load(&c.fetch_busy_ns) as f64 / 1e9,
                analyze_s: load(&c.analyze_busy_ns) as f64 / 1e9,
                write_s: self.write_busy.as_secs_f64(),
            },
            wall_seconds: wall,
            tickets_per_second: if wall > 0.0 {
                written as f64 / wall
            } else {
                0.0
            },
            peak_rss_mb: peak_rss_mb(),
            llm: self.analyzer.llm.as_ref().map(|l| {
                let u = l.usage();
                TokenUsage {
                    requests: u.requests,
                    input_tokens: u.input_tokens,
                    output_tokens: u.output_tokens,
                    cost_usd: u.cost_usd,
                    coerced_labels: u.coerced_labels,
                    batch_requests: u.batch_requests,
                }
            }),
            outputs: self.outputs,
            errors: Vec::new(),
            pending: self.stages.pending.clone(),
            run: Some(self.run),
        }
    }
}
