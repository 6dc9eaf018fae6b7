//! The run summary: what a run did, printed at the end and written as JSON for
//! schedulers (`--summary-json`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::Outcome;

/// Hit and miss counts of one cache store in this run.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct HitMiss {
    pub hits: u64,
    pub misses: u64,
}

/// Seconds spent per stage (busy time summed over the stage's threads).
#[derive(Debug, Clone, Default, Serialize)]
pub struct StageTimes {
    pub fetch_s: f64,
    pub analyze_s: f64,
    pub write_s: f64,
}

/// LLM token usage and cost estimate.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TokenUsage {
    pub requests: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: Option<f64>,
    /// Answers kept with a label outside the taxonomy set to `none` /
    /// `general_inquiry` and their confidence halved.
    pub coerced_labels: u64,
    /// Requests submitted through the provider's batch API (`batch = true`), billed
    /// at half the price.
    pub batch_requests: u64,
}

/// Tickets whose answers a provider batch still owes when the run stopped waiting.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct PendingBatch {
    /// The provider's batch id.
    pub batch: String,
    pub provider: String,
    pub tickets: u64,
}

/// What a hybrid analyzer sent to the model, and what an all-LLM run would have cost.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HybridUsage {
    /// Tickets analyzed in this run whose built-in analysis was kept.
    pub by_builtin: u64,
    /// Tickets analyzed in this run that were sent to the model.
    pub to_model: u64,
    /// `to_model` over the tickets analyzed in this run (0 when none were).
    pub model_share: f64,
    /// The model's tokens (from `llm`) plus the estimated tokens of the kept tickets.
    pub all_llm_input_tokens: u64,
    pub all_llm_output_tokens: u64,
    /// What those would have cost; `None` without a known price.
    pub all_llm_cost_usd: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RunSummary {
    pub pipeline: String,
    /// `completed`, `interrupted`, `stopped_max_failures`, `stopped_budget`,
    /// `pending` or `failed`.
    pub outcome: Outcome,
    pub fetched: u64,
    /// Tickets that came from the cache instead of Zendesk.
    pub from_cache: u64,
    pub analyzed: u64,
    /// Analyses reused from the cache (same ticket version and analyzer).
    pub reused: u64,
    pub failed: u64,
    pub written: u64,
    pub skipped_records: u64,
    pub http_requests: u64,
    /// Of those, requests for conversations (`include_comments`): comments pages in
    /// view runs, ticket events pages in nightly runs.
    pub comment_requests: u64,
    pub http_retries: u64,
    pub rate_limited: u64,
    /// The rate budget: the account's limit learned from its headers, the client's
    /// budget and the most requests it had in one window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<crate::fetch::RateReport>,
    pub cache: BTreeMap<String, HitMiss>,
    pub stage_seconds: StageTimes,
    pub wall_seconds: f64,
    pub tickets_per_second: f64,
    pub peak_rss_mb: Option<f64>,
    pub llm: Option<TokenUsage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hybrid: Option<HybridUsage>,
    pub outputs: Vec<String>,
    pub errors: Vec<String>,
    /// Batches still running when the run stopped waiting (`batch_wait`); the next
    /// run collects and writes their tickets.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<PendingBatch>,
    /// The values of `{date}`, `{time}` and `{run_id}` in this run's output paths.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<crate::write::dated::RunStamp>,
}

impl RunSummary {
    /// The human summary printed on stderr at the end of `run`.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "zdpipe {}: {} — {} tickets written in {:.2}s ({:.0}/s)",
            self.pipeline, self.outcome, self.written, self.wall_seconds, self.tickets_per_second
        );
        let _ = writeln!(
            s,
            "  fetched {} ({} from cache), analyzed {}, reused {}, failed {}",
            self.fetched, self.from_cache, self.analyzed, self.reused, self.failed
        );
        let _ = writeln!(
            s,
            "  http: {} requests ({} for comments), {} retries, {} rate-limited",
            self.http_requests, self.comment_requests, self.http_retries, self.rate_limited
        );
        if let Some(rate) = &self.rate {
            let _ = writeln!(s, "  {}", render_rate(rate));
        }
        let cache: Vec<String> = self
            .cache
            .iter()
            .map(|(k, v)| format!("{k} {}/{}", v.hits, v.misses))
            .collect();
        if !cache.is_empty() {
            let _ = writeln!(s, "  cache hits/misses: {}", cache.join(", "));
        }
        if let Some(llm) = &self.llm {
            let cost = llm
                .cost_usd
                .map(|c| format!(", ~${c:.4}"))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "  llm: {} requests, {} input + {} output tokens{cost}",
                llm.requests, llm.input_tokens, llm.output_tokens
            );
            if llm.batch_requests > 0 {
                let _ = writeln!(
                    s,
                    "  llm: {} requests sent in provider batches (at the batch price)",
                    llm.batch_requests
                );
            }
            if llm.coerced_labels > 0 {
                let _ = writeln!(
                    s,
                    "  llm: {} answers had labels outside the taxonomy (set to the fallback, confidence halved)",
                    llm.coerced_labels
                );
            }
        }
        if let Some(h) = &self.hybrid {
            let _ = writeln!(s, "  {}", render_hybrid(h));
        }
        let _ = writeln!(
            s,
            "  time: fetch {:.2}s, analyze {:.2}s, write {:.2}s{}",
            self.stage_seconds.fetch_s,
            self.stage_seconds.analyze_s,
            self.stage_seconds.write_s,
            self.peak_rss_mb
                .map(|m| format!("; peak memory {m:.0} MB"))
                .unwrap_or_default()
        );
        for o in &self.outputs {
            let _ = writeln!(s, "  wrote {o}");
        }
        for p in &self.pending {
            let _ = writeln!(
                s,
                "  pending: {} tickets in {} batch {} (run again later to write them)",
                p.tickets, p.provider, p.batch
            );
        }
        for e in &self.errors {
            let _ = writeln!(s, "  error: {e}");
        }
        s
    }
}

/// "rate: account limit 700/min (X-Rate-Limit), budget 350/min (api_share 0.5), busiest
/// minute 350 (100%); export budget 10/min, busiest minute 10".
fn render_rate(r: &crate::fetch::RateReport) -> String {
    let learned = r
        .account_limit
        .map_or("not sent".to_string(), |l| format!("{l}/min"));
    let share = if r.api_share < 1.0 {
        format!(" (api_share {})", r.api_share)
    } else {
        String::new()
    };
    let used = r.busiest_minute as f64 / r.budget.max(1) as f64 * 100.0;
    let mut line = format!(
        "rate: account limit {learned}, budget {}/min{share}, busiest minute {} ({used:.0}% of the budget)",
        r.budget, r.busiest_minute
    );
    if r.export_busiest_minute > 0 {
        let _ = write!(
            line,
            "; export budget {}/min, busiest minute {}",
            r.export_budget, r.export_busiest_minute
        );
    }
    line
}

/// "hybrid: 23% sent to the model (46 of 200), 154 kept from the built-in analyzer;
/// an all-LLM run: 96000 + 22000 tokens, ~$0.0277".
fn render_hybrid(h: &HybridUsage) -> String {
    let cost = h
        .all_llm_cost_usd
        .map(|c| format!(", ~${c:.4}"))
        .unwrap_or_default();
    format!(
        "hybrid: {:.0}% sent to the model ({} of {}), {} kept from the built-in analyzer; an all-LLM run: {} input + {} output tokens{cost}",
        h.model_share * 100.0,
        h.to_model,
        h.to_model + h.by_builtin,
        h.by_builtin,
        h.all_llm_input_tokens,
        h.all_llm_output_tokens
    )
}

/// Peak resident set size of this process, in MB (Linux; `None` elsewhere).
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}
