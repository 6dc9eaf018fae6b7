//! The cache and batch tests: two ways of doing the same work, timed side by side.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use serde::Serialize;

use super::{analyze_pool, BenchOptions};
use crate::analyze::{
    analysis_body, AnalysisInput, TextMode, DEFAULT_MAX_INPUT_CHARS as MAX_INPUT_CHARS,
};
use crate::config::{Env, Pipeline, Secret};
use crate::fetch::WorkItem;
use crate::pipeline::{self, RunOptions};
use crate::sandbox::{SandboxHandle, SandboxSettings};

/// One comparison: what was timed first and second, and what the ratio says.
#[derive(Debug, Serialize)]
pub struct Comparison {
    test: &'static str,
    tickets: u64,
    first_label: &'static str,
    first_s: f64,
    second_label: &'static str,
    second_s: f64,
    first_requests: Option<u64>,
    second_requests: Option<u64>,
    improvement_percent: f64,
    speedup: f64,
    workers: Option<usize>,
    /// The best the pool can do: `tickets` in rounds of `workers` requests
    /// (200 tickets on 64 workers take 4 rounds, so at most 50x).
    ideal_speedup: Option<f64>,
    parallel_efficiency: Option<f64>,
    /// The process's peak resident memory after the test (the sandbox it serves
    /// from included), in MB.
    peak_rss_mb: Option<f64>,
}

impl Comparison {
    fn new(
        test: &'static str,
        tickets: u64,
        first: (&'static str, Duration),
        second: (&'static str, Duration),
    ) -> Self {
        let (a, b) = (first.1.as_secs_f64(), second.1.as_secs_f64());
        Comparison {
            test,
            tickets,
            first_label: first.0,
            first_s: a,
            second_label: second.0,
            second_s: b,
            first_requests: None,
            second_requests: None,
            improvement_percent: if a > 0.0 { (a - b) / a * 100.0 } else { 0.0 },
            speedup: if b > 0.0 { a / b } else { f64::INFINITY },
            workers: None,
            ideal_speedup: None,
            parallel_efficiency: None,
            peak_rss_mb: None,
        }
    }

    /// The human-readable lines `zdpipe bench` prints.
    pub fn render(&self) -> String {
        let req = |r: Option<u64>| r.map(|n| format!(" ({n} requests)")).unwrap_or_default();
        let mut s = format!(
            "{} test, {} tickets\n  {:<12} {:>9.3} s{}\n  {:<12} {:>9.3} s{}\n  improvement {:.1}%, speedup {:.1}x",
            self.test,
            self.tickets,
            self.first_label,
            self.first_s,
            req(self.first_requests),
            self.second_label,
            self.second_s,
            req(self.second_requests),
            self.improvement_percent,
            self.speedup
        );
        if let (Some(w), Some(e)) = (self.workers, self.parallel_efficiency) {
            s.push_str(&format!(
                ", {w} workers, parallel efficiency {:.0}%",
                e * 100.0
            ));
        }
        if let Some(ideal) = self.ideal_speedup {
            s.push_str(&format!(" (ideal {ideal:.1}x)"));
        }
        if let Some(mb) = self.peak_rss_mb {
            s.push_str(&format!("\n  peak RSS {mb:.1} MB"));
        }
        s.push('\n');
        s
    }
}

/// Cold vs warm: the whole pipeline twice on one fresh cache.
pub fn cache_test(opts: &BenchOptions) -> Result<Comparison> {
    let sandbox = SandboxHandle::start(SandboxSettings {
        tickets: opts.tickets,
        latency_ms: opts.api_latency_ms,
        ..SandboxSettings::default()
    })?;
    let dir = super::tempdir()?;
    let text = format!(
        "name = \"bench-cache\"\n[fetch]\nsource = \"zendesk\"\nbase_url = \"{}\"\nviews = [1]\nrate_limit_per_minute = 1000000\n[cache]\npath = \"cache\"\n[analyze]\nbatch_size = {}\n[[write]]\nkind = \"csv\"\npath = \"out.csv\"\n",
        sandbox.base_url(),
        opts.batch_size
    );
    let file = dir.join("bench.toml");
    let env = Env {
        zendesk_email: Some("bench@example.com".into()),
        zendesk_api_token: Some(Secret::new("bench")),
        ..Env::default()
    };
    let pipeline = Pipeline::from_str(&file, &text, &env)?;
    let mut times = Vec::new();
    let mut requests = Vec::new();
    for _ in 0..2 {
        sandbox.reset_counters();
        let t = Instant::now();
        pipeline::run(
            &pipeline,
            &env,
            &RunOptions::default(),
            None,
            Arc::new(AtomicBool::new(false)),
        )?;
        times.push(t.elapsed());
        requests.push(sandbox.requests());
    }
    let _ = std::fs::remove_dir_all(&dir);
    let mut c = Comparison::new(
        "cache",
        opts.tickets,
        ("first fetch", times[0]),
        ("second fetch", times[1]),
    );
    c.first_requests = Some(requests[0]);
    c.second_requests = Some(requests[1]);
    Ok(c)
}

/// One LLM request after the other vs the pool of `max_workers`.
pub fn batch_test(opts: &BenchOptions) -> Result<Comparison> {
    let sandbox = SandboxHandle::start(SandboxSettings {
        tickets: opts.tickets,
        llm_latency_ms: opts.latency_ms,
        ..SandboxSettings::default()
    })?;
    let items: Vec<WorkItem> = (1..=opts.tickets)
        .filter_map(|id| sandbox.dataset().ticket(id))
        .map(|ticket| WorkItem {
            ticket,
            ..WorkItem::default()
        })
        .collect();
    // The analyzer a pipeline would build (client, runtime and all), pointed at the
    // sandbox's OpenAI-compatible endpoint.
    let text = format!(
        "name = \"bench-batch\"\n[fetch]\nsource = \"file\"\npath = \"unused.ndjson\"\n[analyze]\nanalyzer = \"openai\"\nmodel = \"sandbox-model\"\nbase_url = \"{}\"\nmax_retries = 2\n[[write]]\nkind = \"csv\"\npath = \"unused.csv\"\n",
        sandbox.base_url()
    );
    let env = Env::default();
    let pipeline = Pipeline::from_str(&std::env::temp_dir().join("bench.toml"), &text, &env)?;
    let built = crate::analyze::build(&pipeline.analyze, &env, None)?;
    let llm = built.analyzer.as_ref();
    let t = Instant::now();
    for it in &items {
        let body = analysis_body(
            it.ticket.description_text(),
            it.messages.as_deref(),
            TextMode::default(),
            MAX_INPUT_CHARS,
        );
        llm.analyze(&AnalysisInput::from_ticket(&it.ticket, &body))
            .map_err(|e| anyhow::anyhow!("sequential analysis failed: {e}"))?;
    }
    let sequential = t.elapsed();
    let t = Instant::now();
    let records = analyze_pool(items, llm, opts.max_workers, opts.batch_size);
    let pooled = t.elapsed();
    if let Some(r) = records.iter().find(|r| r.error.is_some()) {
        anyhow::bail!(
            "pool analysis of ticket {} failed: {}",
            r.ticket_id,
            r.error.as_deref().unwrap_or("")
        );
    }
    let mut c = Comparison::new(
        "batch",
        records.len() as u64,
        ("sequential", sequential),
        ("pool", pooled),
    );
    let rounds = c.tickets.div_ceil(opts.max_workers as u64).max(1);
    c.workers = Some(opts.max_workers);
    c.ideal_speedup = Some(c.tickets as f64 / rounds as f64);
    c.parallel_efficiency = Some(c.speedup / opts.max_workers as f64);
    c.peak_rss_mb = pipeline::peak_rss_mb();
    Ok(c)
}
