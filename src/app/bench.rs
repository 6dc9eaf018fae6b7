//! `zdpipe bench`: the performance test of the original tool, against the sandbox.
//!
//! - **cache**: a view of `--tickets` tickets served with `--api-latency-ms` per
//!   request; the whole pipeline runs twice on one fresh cache. The first run fetches
//!   everything, the second is served from the warm cache. Both wall times, the
//!   requests each sent, the improvement and the speedup are printed.
//! - **batch**: `--tickets` tickets analyzed by an LLM (the sandbox's simulated
//!   OpenAI-compatible endpoint, `--latency-ms` per request), first one after the
//!   other, then by the pool with `--max-workers` workers. Prints both times, the
//!   speedup, the parallel efficiency (speedup / workers) and the ideal speedup
//!   (tickets / rounds of `--max-workers` requests), the ceiling for that ticket count.
//!   The sandbox's model works out its answers in the middle of the simulated
//!   latency, so on a small machine its own CPU time does not skew the result.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{Exit, Result, UsageError};
use crate::analyze::AnalysisInput;
use crate::cli::{BenchArgs, BenchTest};
use crate::config::{Env, Pipeline, Secret};
use crate::fetch::WorkItem;
use crate::pipeline::{self, RunOptions};
use crate::sandbox::{SandboxConfig, SandboxHandle};

#[derive(Debug, Serialize)]
struct Comparison {
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
        }
    }

    fn render(&self) -> String {
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
        s.push('\n');
        s
    }
}

fn cache_test(args: &BenchArgs) -> Result<Comparison> {
    let sandbox = SandboxHandle::start(SandboxConfig {
        tickets: args.tickets,
        latency_ms: args.api_latency_ms,
        ..SandboxConfig::default()
    })?;
    let dir = tempdir()?;
    let text = format!(
        "name = \"bench-cache\"\n[fetch]\nsource = \"zendesk\"\nbase_url = \"{}\"\nviews = [1]\nrate_limit_per_minute = 1000000\n[cache]\npath = \"cache\"\n[analyze]\nbatch_size = {}\n[[write]]\nkind = \"csv\"\npath = \"out.csv\"\n",
        sandbox.base_url(),
        args.batch_size
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
        args.tickets,
        ("first fetch", times[0]),
        ("second fetch", times[1]),
    );
    c.first_requests = Some(requests[0]);
    c.second_requests = Some(requests[1]);
    Ok(c)
}

fn batch_test(args: &BenchArgs) -> Result<Comparison> {
    let sandbox = SandboxHandle::start(SandboxConfig {
        tickets: args.tickets,
        llm_latency_ms: args.latency_ms,
        ..SandboxConfig::default()
    })?;
    let items: Vec<WorkItem> = (1..=args.tickets)
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
        llm.analyze(&AnalysisInput::from_ticket(&it.ticket, it.body()))
            .map_err(|e| anyhow::anyhow!("sequential analysis failed: {e}"))?;
    }
    let sequential = t.elapsed();
    let t = Instant::now();
    let records = pipeline::analyze_pool(items, llm, args.max_workers, args.batch_size);
    let pooled = t.elapsed();
    if let Some(r) = records.iter().find(|r| r.error.is_some()) {
        return Err(anyhow::anyhow!(
            "pool analysis of ticket {} failed: {}",
            r.ticket_id,
            r.error.as_deref().unwrap_or("")
        )
        .into());
    }
    let mut c = Comparison::new(
        "batch",
        records.len() as u64,
        ("sequential", sequential),
        ("pool", pooled),
    );
    let rounds = c.tickets.div_ceil(args.max_workers as u64).max(1);
    c.workers = Some(args.max_workers);
    c.ideal_speedup = Some(c.tickets as f64 / rounds as f64);
    c.parallel_efficiency = Some(c.speedup / args.max_workers as f64);
    Ok(c)
}

fn tempdir() -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("zdpipe-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

pub fn bench(args: BenchArgs) -> Result<Exit> {
    if args.tickets == 0 || args.max_workers == 0 || args.batch_size == 0 {
        return Err(UsageError(
            "bench: --tickets, --max-workers and --batch-size must be at least 1".into(),
        )
        .into());
    }
    if args.test == BenchTest::Pipeline {
        let dir = tempdir()?;
        let result = super::bench_pipeline::run(args.tickets, args.batch_size, &dir);
        let _ = std::fs::remove_dir_all(&dir);
        let result = result?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&result)?);
        } else {
            print!("{}", result.render());
        }
        return Ok(Exit::Ok);
    }
    let mut results = Vec::new();
    if matches!(args.test, BenchTest::Cache | BenchTest::All) {
        results.push(cache_test(&args)?);
    }
    if matches!(args.test, BenchTest::Batch | BenchTest::All) {
        results.push(batch_test(&args)?);
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        for r in &results {
            print!("{}", r.render());
        }
    }
    Ok(Exit::Ok)
}
