//! The analyzer pool on its own: the analyze stage of a run (rayon threads, or
//! requests in flight for an LLM) with nothing but a list of tickets in front of it
//! (the batch and pipeline tests' "pool" side).

use std::sync::atomic::AtomicBool;
use std::time::SystemTime;

use crate::analyze::{Analyzer, TextMode, DEFAULT_MAX_INPUT_CHARS as MAX_INPUT_CHARS};
use crate::fetch::WorkItem;
use crate::model::ResultRecord;
use crate::pipeline::stages::{AnalyzeCtx, Batch, Done, Tracking};
use crate::pipeline::threads::{in_flight_runtime, spawn_analyze, Pool};

/// Runs the analyzer pool alone over `items` (no fetch, no cache, no sinks) and
/// returns the records in input order.
pub fn analyze_pool(
    items: Vec<WorkItem>,
    analyzer: &dyn Analyzer,
    workers: usize,
    batch_size: usize,
) -> Vec<ResultRecord> {
    // As in a run: an LLM gets one ticket at a time so `workers` requests are in flight.
    let batch_size = if analyzer.io_bound() {
        1
    } else {
        batch_size.max(1)
    };
    let workers = workers.max(1);
    let runtime = analyzer
        .io_bound()
        .then(|| in_flight_runtime().expect("start the in-flight runtime"));
    let pool = match &runtime {
        Some(rt) => Pool::InFlight {
            runtime: rt.handle().clone(),
            requests: workers,
        },
        None => Pool::Threads(workers),
    };
    let (batch_tx, batch_rx) = crossbeam_channel::bounded::<Batch>(workers * 2);
    let (done_tx, done_rx) = crossbeam_channel::bounded::<Done>(workers * 2);
    let tracking = Tracking::new(false);
    let (name, fingerprint) = (analyzer.name(), analyzer.fingerprint());
    let at = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let interrupted = AtomicBool::new(false);
    let run = tracking.shared(&interrupted);
    let ctx = AnalyzeCtx {
        analyzer,
        name: &name,
        fingerprint: &fingerprint,
        cache: None,
        reanalyze: true,
        analyzed_at: &at,
        link_base: None,
        text: TextMode::default(),
        max_input_chars: MAX_INPUT_CHARS,
    };
    std::thread::scope(|s| {
        spawn_analyze(s, &pool, batch_rx, done_tx, &ctx, &run);
        s.spawn(move || {
            let mut items = items.into_iter().peekable();
            let mut seq = 0;
            while items.peek().is_some() {
                let batch = Batch {
                    seq,
                    items: items.by_ref().take(batch_size).collect(),
                    memberships: Vec::new(),
                    resume: None,
                    slot: None,
                };
                if batch_tx.send(batch).is_err() {
                    break;
                }
                seq += 1;
            }
        });
        let mut done: Vec<Done> = done_rx.iter().collect();
        done.sort_by_key(|d| d.seq);
        done.into_iter().flat_map(|d| d.records).collect()
    })
}
