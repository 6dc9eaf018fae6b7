//! The pipeline test (`zdpipe bench --test pipeline`): whole runs, measured the way a
//! user runs them.
//!
//! Each run is a child `zdpipe run` process (so its peak memory is its own) on a
//! sandbox pipeline over view 1 with `tickets` tickets, the built-in analyzer and
//! a CSV: a cold run (empty cache), then a warm rerun (everything from the cache,
//! every analysis reused). Then the built-in analyzer alone, in this process, on up
//! to 20,000 of the same tickets with 1 and with 2 pool workers.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::Result;
use serde::Serialize;

use super::{analyze_pool, BenchOptions};
use crate::fetch::WorkItem;
use crate::sandbox::Dataset;

/// One child run, from its `--summary-json`.
#[derive(Debug, Serialize)]
pub struct RunFigures {
    pub label: &'static str,
    pub tickets: u64,
    pub wall_s: f64,
    pub tickets_per_second: f64,
    pub peak_rss_mb: Option<f64>,
}

/// The pipeline test's figures.
#[derive(Debug, Serialize)]
pub struct PipelineBench {
    pub tickets: u64,
    pub runs: Vec<RunFigures>,
    pub analyzer_tickets: usize,
    pub one_worker_s: f64,
    pub two_workers_s: f64,
    pub two_worker_speedup: f64,
}

impl PipelineBench {
    /// The human-readable lines `zdpipe bench` prints.
    pub fn render(&self) -> String {
        let mut s = format!(
            "pipeline test, sandbox view 1 with {} tickets -> builtin -> CSV (child processes)\n",
            self.tickets
        );
        for r in &self.runs {
            s.push_str(&format!(
                "  {:<10} {:>8} tickets {:>8.2} s {:>9.0} tickets/s  peak {}\n",
                r.label,
                r.tickets,
                r.wall_s,
                r.tickets_per_second,
                r.peak_rss_mb.map_or("?".into(), |m| format!("{m:.0} MB"))
            ));
        }
        s.push_str(&format!(
            "  builtin analyzer on {} tickets: 1 worker {:.3} s, 2 workers {:.3} s, speedup {:.2}x\n",
            self.analyzer_tickets, self.one_worker_s, self.two_workers_s, self.two_worker_speedup
        ));
        s
    }
}

fn child_run(pipeline: &Path, summary: &Path, label: &'static str) -> Result<RunFigures> {
    let exe = std::env::current_exe()?;
    let status = Command::new(exe)
        .arg("run")
        .arg(pipeline)
        .args(["--no-progress", "-q", "--summary-json"])
        .arg(summary)
        .status()?;
    if !status.success() {
        anyhow::bail!("the {label} run failed ({status})");
    }
    let s: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(summary)?)?;
    Ok(RunFigures {
        label,
        tickets: s["written"].as_u64().unwrap_or(0),
        wall_s: s["wall_seconds"].as_f64().unwrap_or(0.0),
        tickets_per_second: s["tickets_per_second"].as_f64().unwrap_or(0.0),
        peak_rss_mb: s["peak_rss_mb"].as_f64(),
    })
}

/// Runs the pipeline test in a scratch folder, removed afterwards.
pub fn pipeline_test(opts: &BenchOptions) -> Result<PipelineBench> {
    let dir = super::tempdir()?;
    let result = measure(opts.tickets, opts.batch_size, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn measure(tickets: u64, batch_size: usize, dir: &Path) -> Result<PipelineBench> {
    let pipeline = dir.join("bench-pipeline.toml");
    std::fs::write(
        &pipeline,
        format!(
            "name = \"bench-pipeline\"\n[fetch]\nsource = \"sandbox\"\nviews = [1]\n[fetch.sandbox]\ntickets = {tickets}\n[cache]\npath = \"cache\"\n[analyze]\nbatch_size = {batch_size}\n[[write]]\nkind = \"csv\"\npath = \"out.csv\"\n"
        ),
    )?;
    let cold = child_run(&pipeline, &dir.join("cold.json"), "cold")?;
    let warm = child_run(&pipeline, &dir.join("warm.json"), "warm")?;

    let dataset = Dataset::new(tickets.min(20_000), 42, 1_700_000_000);
    let items: Vec<WorkItem> = (1..=dataset.ticket_count())
        .filter_map(|id| dataset.ticket(id))
        .map(|ticket| WorkItem {
            ticket,
            ..WorkItem::default()
        })
        .collect();
    let analyzer = crate::analyze::builtin::BuiltinAnalyzer::new(Default::default())?;
    let mut times = Vec::new();
    for workers in [1, 2] {
        let t = Instant::now();
        let records = analyze_pool(items.clone(), &analyzer, workers, batch_size);
        times.push(t.elapsed().as_secs_f64());
        anyhow::ensure!(records.len() == items.len(), "the pool lost tickets");
    }
    Ok(PipelineBench {
        tickets,
        runs: vec![cold, warm],
        analyzer_tickets: items.len(),
        one_worker_s: times[0],
        two_workers_s: times[1],
        two_worker_speedup: times[0] / times[1],
    })
}
