//! Gathers what the stages counted into the [`RunSummary`] of a run.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::stages::Counters;
use super::threads::StagesDone;
use super::{peak_rss_mb, HitMiss, HybridUsage, Outcome, RunSummary, StageTimes, TokenUsage};
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
        let hybrid = self.hybrid_usage();
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
            hybrid,
            outputs: self.outputs,
            errors: Vec::new(),
            pending: self.stages.pending.clone(),
            run: Some(self.run),
        }
    }
}

impl Tally<'_> {
    /// The hybrid analyzer's routing, its model's tokens and the all-LLM comparison.
    fn hybrid_usage(&self) -> Option<HybridUsage> {
        let routing = self.analyzer.hybrid.as_ref()?.routing();
        let llm = self.analyzer.llm.as_ref();
        let used = llm.map(|l| l.usage()).unwrap_or_default();
        let input = used.input_tokens + routing.kept_tokens.input;
        let output = used.output_tokens + routing.kept_tokens.output;
        let analyzed = routing.to_model + routing.by_builtin;
        Some(HybridUsage {
            by_builtin: routing.by_builtin,
            to_model: routing.to_model,
            model_share: if analyzed == 0 {
                0.0
            } else {
                routing.to_model as f64 / analyzed as f64
            },
            all_llm_input_tokens: input,
            all_llm_output_tokens: output,
            all_llm_cost_usd: llm
                .and_then(|l| l.price())
                .map(|p| p.cost_usd(input, output)),
        })
    }
}
