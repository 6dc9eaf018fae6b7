//! The three stages' bodies: fetch, analyze (a rayon worker's loop, or one batch's
//! future in the in-flight pool of `threads.rs`) and write.
//!
//! ```text
//! fetch thread (tokio runtime) --bounded(queue) Batch--> analyze pool (N rayon
//!     workers, or N analyses in flight) --bounded(queue) Done--> write thread
//!     (reorders by seq, writes, checkpoints)
//! ```
//! Channel sends happen on plain threads, never inside the tokio runtime. Bounded
//! channels give backpressure: a slow analyzer stalls fetching instead of growing
//! memory. The writer puts batches back in fetch order by their sequence number, so
//! the output does not depend on the number of workers.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use futures_util::FutureExt;

use super::progress::Progress;
use super::{Checkpoint, Fatal, MaxFailures};
use crate::analyze::{analysis_body, AnalysisInput, AnalyzeError, Analyzer, Decided, TextMode};
use crate::cache::{encode_analysis, Cache, StoredAnalysis, StoredAnalysisRef};
use crate::fetch::{FetchError, PageSlot, Prefetch, ResumePoint, TicketSource, WorkItem};
use crate::model::{Analysis, ResultRecord};
use crate::write::{Sink, WriteError};

/// A slice of a fetched page on its way to the pool.
pub struct Batch {
    pub seq: u64,
    pub items: Vec<WorkItem>,
    /// `(ticket, view)` pairs for tickets written earlier under another view.
    pub memberships: Vec<(u64, u64)>,
    /// Set on a page's last batch: where to resume once it is written.
    pub resume: Option<ResumePoint>,
    /// Set on an export page's last batch: its listing slot, given back (dropped)
    /// by the writer once the page is written.
    pub slot: Option<PageSlot>,
}

/// A batch's results on their way to the writer.
pub struct Done {
    pub seq: u64,
    pub records: Vec<ResultRecord>,
    pub memberships: Vec<(u64, u64)>,
    pub resume: Option<ResumePoint>,
    /// The batch's [`Batch::slot`], dropped after the batch is written.
    pub slot: Option<PageSlot>,
    /// `max_cost` refused one of its tickets: neither it nor anything after it is
    /// written, so the checkpoint stays before it and the next run takes them.
    pub over_budget: bool,
    /// The batch's new analyses (ticket id, encoded for the cache), which the
    /// writer stores, written or not.
    pub fresh: Vec<(u64, Vec<u8>)>,
}

/// Counters shared by the stages.
#[derive(Default)]
pub struct Counters {
    pub fetched: std::sync::atomic::AtomicU64,
    pub analyzed: std::sync::atomic::AtomicU64,
    pub reused: std::sync::atomic::AtomicU64,
    pub fetch_busy_ns: std::sync::atomic::AtomicU64,
    pub analyze_busy_ns: std::sync::atomic::AtomicU64,
}

/// Why the run stopped early; the first reason wins.
#[derive(Default)]
pub struct StopState {
    pub flag: AtomicBool,
    fatal: Mutex<Option<Fatal>>,
}

impl StopState {
    /// Stops the run for `cause`, unless an earlier cause already did.
    pub fn fail(&self, cause: Fatal) {
        let mut f = self.fatal.lock().expect("stop lock");
        if f.is_none() {
            *f = Some(cause);
        }
        self.flag.store(true, Ordering::SeqCst);
    }

    /// Whether a fatal error stopped the run.
    pub fn is_halted(&self) -> bool {
        self.fatal.lock().expect("stop lock").is_some()
    }

    /// The fatal error that stopped the run, if any.
    pub fn take_fatal(&self) -> Option<Fatal> {
        self.fatal.lock().expect("stop lock").take()
    }
}

/// What a run tracks while its stages work: counts, the stop reason, progress bars.
pub struct Tracking {
    pub counters: Counters,
    pub stop: StopState,
    pub progress: Progress,
}

impl Tracking {
    pub fn new(show_progress: bool) -> Self {
        Tracking {
            counters: Counters::default(),
            stop: StopState::default(),
            progress: Progress::new(show_progress),
        }
    }

    /// The view of it that the stage threads share.
    pub fn shared<'a>(&'a self, interrupted: &'a AtomicBool) -> RunShared<'a> {
        RunShared {
            counters: &self.counters,
            stop: &self.stop,
            interrupted,
            progress: &self.progress,
        }
    }
}

/// What every stage thread of a run shares.
pub struct RunShared<'a> {
    pub counters: &'a Counters,
    pub stop: &'a StopState,
    pub interrupted: &'a AtomicBool,
    pub progress: &'a Progress,
}

/// What a pool worker needs to analyze (or reuse) a ticket.
pub struct AnalyzeCtx<'a> {
    pub analyzer: &'a dyn Analyzer,
    pub name: &'a str,
    pub fingerprint: &'a str,
    /// `None` runs without reuse or storage (the batch benchmark).
    pub cache: Option<&'a Cache>,
    pub reanalyze: bool,
    pub analyzed_at: &'a str,
    /// `https://acme.zendesk.com`, to link each record to its ticket.
    pub link_base: Option<&'a str>,
    /// Which words of a ticket the analyzer reads, and how many characters
    /// (`max_input_chars`: a 5 MB description costs no more than a page of text).
    pub text: TextMode,
    pub max_input_chars: usize,
}

fn add_ns(c: &std::sync::atomic::AtomicU64, since: Instant) {
    c.fetch_add(since.elapsed().as_nanos() as u64, Ordering::Relaxed);
}

/// `items` in batches of `batch_size` (the last one shorter), each item moved once:
/// batches are cut from the back, so no cut copies what is still to be cut.
fn into_batches<T>(mut items: Vec<T>, batch_size: usize) -> Vec<Vec<T>> {
    let batch_size = batch_size.max(1);
    let mut batches = Vec::with_capacity(items.len().div_ceil(batch_size).max(1));
    while items.len() > batch_size {
        let last_start = (items.len() - 1) / batch_size * batch_size;
        batches.push(items.split_off(last_start));
    }
    batches.push(items);
    batches.reverse();
    batches
}

/// The fetch thread: pulls pages (listed ahead on the runtime, see
/// [`TicketSource::prefetch`]) and sends them as batches. `fetch_busy_ns` counts
/// the time it waited for pages.
pub fn fetch(
    rt: tokio::runtime::Runtime,
    source: TicketSource,
    batch_size: usize,
    tx: Sender<Batch>,
    run: &RunShared,
) -> u64 {
    let RunShared {
        counters,
        stop,
        interrupted,
        progress,
    } = run;
    let t0 = Instant::now();
    if let Some(total) = rt.block_on(source.total_hint()) {
        progress.set_total(total);
    }
    let mut pages = source.prefetch(&rt);
    add_ns(&counters.fetch_busy_ns, t0);
    let mut seq = 0;
    while !stop.flag.load(Ordering::SeqCst) && !interrupted.load(Ordering::SeqCst) {
        let t = Instant::now();
        let page = rt.block_on(pages.next());
        add_ns(&counters.fetch_busy_ns, t);
        let page = match page {
            Ok(Some(p)) => p,
            Ok(None) | Err(FetchError::Interrupted) => break,
            Err(e) => {
                stop.fail(Fatal::Fetch(e));
                break;
            }
        };
        let n = page.items.len() as u64;
        let total = counters.fetched.fetch_add(n, Ordering::Relaxed) + n;
        progress.fetched.inc(n);
        progress.grow_to(total);
        let batches = into_batches(page.items, batch_size);
        let last = batches.len() - 1;
        let (mut memberships, mut slot) = (page.memberships, page.slot);
        for (i, items) in batches.into_iter().enumerate() {
            let (resume, memberships, slot) = if i == last {
                (
                    page.resume.clone(),
                    std::mem::take(&mut memberships),
                    slot.take(),
                )
            } else {
                (None, Vec::new(), None)
            };
            if items.is_empty() && resume.is_none() && memberships.is_empty() {
                continue;
            }
            let batch = Batch {
                seq,
                items,
                memberships,
                resume,
                slot,
            };
            if tx.send(batch).is_err() {
                return stop_fetching(rt, pages);
            }
            seq += 1;
        }
    }
    stop_fetching(rt, pages)
}

/// Stops the lister and shuts the runtime down; the records an export file skipped.
/// Shutting down drops every task at its next await (a request in flight is not
/// waited for), so this waits only for polls already running on a worker. Those
/// may hold the cache, whose file lock a rerun needs: on a loaded machine they can
/// take longer than a moment, so the bound is generous.
fn stop_fetching(rt: tokio::runtime::Runtime, pages: Prefetch) -> u64 {
    let skipped = rt.block_on(pages.finish());
    rt.shutdown_timeout(Duration::from_secs(10));
    skipped
}

/// One CPU pool worker (a rayon thread): analyzes (or reuses) each ticket of each batch.
pub fn analyze(rx: Receiver<Batch>, tx: Sender<Done>, ctx: &AnalyzeCtx, run: &RunShared) {
    for mut batch in rx {
        let t = Instant::now();
        let mut analyzed = Analyzed::new(batch.items.len());
        let stored = stored_analyses(&batch.items, ctx);
        for (item, stored) in batch.items.iter_mut().zip(stored) {
            let record = match prepare(item, stored, ctx, run) {
                Err(record) => *record,
                Ok(body) => {
                    let input = AnalysisInput::from_ticket(&item.ticket, &body);
                    let result =
                        catch_unwind(AssertUnwindSafe(|| ctx.analyzer.analyze_decided(&input)));
                    conclude(item, result, ctx, run, &mut analyzed)
                }
            };
            analyzed.push(record, ctx);
        }
        // Counted per batch: a CPU analyzer's batch takes a few milliseconds.
        run.progress.analyzed.inc(analyzed.records.len() as u64);
        if tx.send(analyzed.done(batch, t, run)).is_err() {
            return;
        }
    }
}

/// The in-flight pool's work on one batch: like [`analyze`], but each ticket's
/// analysis is awaited ([`Analyzer::analyze_async`]), so no thread waits on it.
pub async fn analyze_async(mut batch: Batch, ctx: &AnalyzeCtx<'_>, run: &RunShared<'_>) -> Done {
    let t = Instant::now();
    let mut analyzed = Analyzed::new(batch.items.len());
    let stored = stored_analyses(&batch.items, ctx);
    for (item, stored) in batch.items.iter_mut().zip(stored) {
        let record = match prepare(item, stored, ctx, run) {
            Err(record) => *record,
            Ok(body) => {
                let input = AnalysisInput::from_ticket(&item.ticket, &body);
                let result = AssertUnwindSafe(ctx.analyzer.analyze_async(input))
                    .catch_unwind()
                    .await;
                conclude(item, result, ctx, run, &mut analyzed)
            }
        };
        analyzed.push(record, ctx);
        run.progress.analyzed.inc(1);
    }
    analyzed.done(batch, t, run)
}

/// A batch's records as they are made, and the new analyses to store.
struct Analyzed {
    records: Vec<ResultRecord>,
    /// Ticket ids and their analyses encoded for the cache.
    fresh: Vec<(u64, Vec<u8>)>,
    over_budget: bool,
}

impl Analyzed {
    fn new(len: usize) -> Self {
        Analyzed {
            records: Vec::with_capacity(len),
            fresh: Vec::new(),
            over_budget: false,
        }
    }

    fn push(&mut self, mut record: ResultRecord, ctx: &AnalyzeCtx) {
        record.link = ctx
            .link_base
            .map(|b| format!("{b}/agent/tickets/{}", record.ticket_id));
        self.records.push(record);
    }

    /// Hands the batch, with its new analyses to store, on to the writer.
    fn done(self, batch: Batch, since: Instant, run: &RunShared) -> Done {
        add_ns(&run.counters.analyze_busy_ns, since);
        Done {
            seq: batch.seq,
            records: self.records,
            memberships: batch.memberships,
            resume: batch.resume,
            slot: batch.slot,
            over_budget: self.over_budget,
            fresh: self.fresh,
        }
    }
}

/// The new analyses the writer has yet to store. A CPU-bound analyzer's are stored
/// in runs of pages rather than batches: a bucket of the cache
/// ([`Cache::put_encoded_analyses`]) is then written about once instead of once per
/// batch that touches it, and no analyzer thread waits on the cache. Whatever is
/// pending is stored before a checkpoint moves past it, and at the end; a killed run
/// analyzes again what it had not stored, which is cheap. A model's answers are paid
/// for: they are stored as they come (`coalesce` off). A cache that cannot be written
/// (a full disk) would fail every ticket alike, so it stops the run.
pub struct UnstoredAnalyses<'a> {
    cache: Option<&'a Cache>,
    coalesce: bool,
    pending: Vec<(u64, Vec<u8>)>,
}

/// The most analyses kept unstored (about 3 MB), whatever the checkpoints.
const MAX_UNSTORED: usize = 4096;

impl<'a> UnstoredAnalyses<'a> {
    pub fn new(cache: Option<&'a Cache>, coalesce: bool) -> Self {
        UnstoredAnalyses {
            cache,
            coalesce,
            pending: Vec::new(),
        }
    }

    fn add(&mut self, fresh: Vec<(u64, Vec<u8>)>, stop: &StopState) {
        if self.cache.is_some() {
            self.pending.extend(fresh);
        }
        if !self.coalesce || self.pending.len() >= MAX_UNSTORED {
            self.store(stop);
        }
    }

    fn store(&mut self, stop: &StopState) {
        if let (Some(cache), false) = (self.cache, self.pending.is_empty()) {
            if let Err(e) = cache.put_encoded_analyses(std::mem::take(&mut self.pending)) {
                stop.fail(Fatal::Cache(e));
            }
        }
    }
}

/// A ticket's record with the item's view and names, which it moves out of the
/// item: an item is done with once its record is made.
fn record(
    item: &mut WorkItem,
    analysis: Option<Analysis>,
    analyzer: &str,
    at: &str,
    error: Option<String>,
) -> ResultRecord {
    let mut r = ResultRecord::taking(&mut item.ticket, analysis, analyzer, at, error);
    r.view_ids = item.view_id.into_iter().collect();
    r.requester_name = item.requester_name.take();
    r.organization_name = item.organization_name.take();
    r.columns = std::mem::take(&mut item.columns);
    r
}

/// The analyses stored for a batch's tickets (by this analyzer, of these ticket
/// versions), in its order, read a bucket at a time; `None` for each ticket when
/// none are to be reused (no cache, `--reanalyze`, a fetch error) or the cache
/// cannot be read.
fn stored_analyses(items: &[WorkItem], ctx: &AnalyzeCtx) -> Vec<Option<StoredAnalysis>> {
    let none = || items.iter().map(|_| None).collect();
    let Some(cache) = ctx.cache.filter(|_| !ctx.reanalyze) else {
        return none();
    };
    let wanted: Vec<(u64, Option<&str>)> = items
        .iter()
        .filter(|item| item.error.is_none())
        .map(|item| (item.ticket.id, item.ticket.updated_at.as_deref()))
        .collect();
    let mut found = match cache.analyses(&wanted, ctx.fingerprint) {
        Ok(found) => found.into_iter(),
        Err(e) => {
            tracing::warn!(
                "cannot read the stored analyses of {} tickets: {e}",
                wanted.len()
            );
            return none();
        }
    };
    items
        .iter()
        .map(|item| {
            item.error
                .is_none()
                .then(|| found.next().flatten())
                .flatten()
        })
        .collect()
}

/// What a ticket needs before its analyzer runs: the text to read, or its record
/// already (a fetch error, its `stored` analysis to reuse, a stopped run).
fn prepare(
    item: &mut WorkItem,
    stored: Option<StoredAnalysis>,
    ctx: &AnalyzeCtx,
    run: &RunShared,
) -> Result<String, Box<ResultRecord>> {
    let t = &item.ticket;
    let (name, at) = (ctx.name, ctx.analyzed_at);
    if let Some(e) = &item.error {
        return Err(Box::new(record(item, None, name, at, Some(e.clone()))));
    }
    if let Some(stored) = stored {
        run.counters.reused.fetch_add(1, Ordering::Relaxed);
        let StoredAnalysis {
            analyzer: by,
            analyzed_at: at,
            analysis,
            ..
        } = stored;
        let reused = record(item, Some(analysis), &by, &at, None);
        return Err(Box::new(reused));
    }
    if run.stop.is_halted() {
        let why = "not analyzed: the run was stopped";
        return Err(Box::new(record(item, None, name, at, Some(why.into()))));
    }
    Ok(analysis_body(
        t.description_text(),
        item.messages.as_deref(),
        ctx.text,
        ctx.max_input_chars,
    ))
}

/// A ticket's record from what its analyzer did (or how it panicked); a new
/// analysis to store goes to the batch's `fresh`.
fn conclude(
    item: &mut WorkItem,
    result: std::thread::Result<Result<Decided, AnalyzeError>>,
    ctx: &AnalyzeCtx,
    run: &RunShared,
    batch: &mut Analyzed,
) -> ResultRecord {
    let (name, at) = (ctx.name, ctx.analyzed_at);
    match result {
        Ok(Ok(Decided { analysis, by })) => {
            let name = by.as_deref().unwrap_or(name);
            run.counters.analyzed.fetch_add(1, Ordering::Relaxed);
            if ctx.cache.is_some() {
                let stored = StoredAnalysisRef {
                    updated_at: item.ticket.updated_at.as_deref(),
                    fingerprint: ctx.fingerprint,
                    analyzer: name,
                    analyzed_at: at,
                    analysis: &analysis,
                };
                batch.fresh.push((item.ticket.id, encode_analysis(&stored)));
            }
            record(item, Some(analysis), name, at, None)
        }
        Ok(Err(AnalyzeError::Ticket(msg))) => record(item, None, name, at, Some(msg)),
        Ok(Err(e @ AnalyzeError::Budget { .. })) => {
            // Like Ctrl-C: fetching stops, what is in flight ends, nothing after
            // this ticket is written.
            batch.over_budget = true;
            run.stop.flag.store(true, Ordering::SeqCst);
            record(item, None, name, at, Some(e.to_string()))
        }
        Ok(Err(AnalyzeError::Fatal(msg))) => {
            run.stop.fail(Fatal::Analyzer(msg.clone()));
            record(item, None, name, at, Some(msg))
        }
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            let why = format!("analyzer panicked: {msg}");
            record(item, None, name, at, Some(why))
        }
    }
}

/// What the writer reports back.
#[derive(Default)]
pub struct WriteOutcome {
    pub written: u64,
    pub failed: u64,
    pub max_failures_hit: bool,
    pub busy: Duration,
    /// A sink failed (the error itself is the run's [`Fatal`]).
    pub write_failed: bool,
    /// `max_cost` stopped the run: writing ended before its first refused ticket.
    pub over_budget: bool,
}

/// The write thread: reorders by `seq`, writes to every sink, stores checkpoints.
pub fn write(
    rx: Receiver<Done>,
    mut unstored: UnstoredAnalyses,
    sinks: &mut [Box<dyn Sink>],
    checkpoint: Option<&Checkpoint>,
    max_failures: Option<MaxFailures>,
    stop: &StopState,
    progress: &Progress,
) -> WriteOutcome {
    let mut out = WriteOutcome::default();
    let mut pending: BTreeMap<u64, Done> = BTreeMap::new();
    let mut next = 0u64;
    for done in rx {
        pending.insert(done.seq, done);
        while let Some(mut done) = pending.remove(&next) {
            next += 1;
            unstored.add(std::mem::take(&mut done.fresh), stop);
            // After a fatal error nothing more is written and no checkpoint moves, so
            // the next run re-reads from the last checkpoint instead of skipping tickets.
            out.over_budget |= done.over_budget;
            if stop.is_halted() || out.write_failed || out.max_failures_hit || out.over_budget {
                continue;
            }
            let t = Instant::now();
            if done.resume.is_some() {
                unstored.store(stop);
            }
            if let Err(e) = write_one(&done, sinks, checkpoint) {
                stop.fail(Fatal::Write(e));
                out.write_failed = true;
                continue;
            }
            // Written and checkpointed: the lister may request one more export page.
            drop(done.slot);
            out.busy += t.elapsed();
            let failed = done.records.iter().filter(|r| r.error.is_some()).count() as u64;
            out.failed += failed;
            out.written += done.records.len() as u64;
            progress.written.inc(done.records.len() as u64);
            if let Some(limit) = max_failures {
                if limit.exceeded(out.failed, out.written) {
                    out.max_failures_hit = true;
                    stop.flag.store(true, Ordering::SeqCst);
                }
            }
        }
    }
    for done in pending.into_values() {
        unstored.add(done.fresh, stop);
    }
    unstored.store(stop);
    out
}

fn write_one(
    done: &Done,
    sinks: &mut [Box<dyn Sink>],
    checkpoint: Option<&Checkpoint>,
) -> Result<(), WriteError> {
    for s in sinks.iter_mut() {
        s.write(&done.records)?;
        if !done.memberships.is_empty() {
            s.add_views(&done.memberships)?;
        }
    }
    if let (Some(resume), Some(cp)) = (&done.resume, checkpoint) {
        let mut csv_len = None;
        for s in sinks.iter_mut() {
            if let Some(len) = s.commit()? {
                csv_len = Some(len);
            }
        }
        cp.commit(resume, csv_len);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::into_batches;

    #[test]
    fn batches_keep_every_item_in_order_and_only_the_last_is_short() {
        for (len, size) in [(0, 50), (1, 50), (50, 50), (51, 50), (1000, 50), (1001, 64)] {
            let batches = into_batches((0..len).collect::<Vec<u32>>(), size);
            let sizes: Vec<usize> = batches.iter().map(Vec::len).collect();
            let flat: Vec<u32> = batches.into_iter().flatten().collect();
            assert_eq!(flat, (0..len).collect::<Vec<u32>>(), "{len} by {size}");
            let (last, full) = sizes.split_last().unwrap();
            assert!(
                full.iter().all(|&n| n == size),
                "{len} by {size}: {sizes:?}"
            );
            assert!(
                *last <= size && (*last > 0 || len == 0),
                "{len} by {size}: {sizes:?}"
            );
        }
    }
}
