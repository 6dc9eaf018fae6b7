//! The analyze stage in batch mode (`[analyze] batch = true`): one thread takes the
//! place of the analyze pool, because a provider batch answers many tickets at once,
//! hours later, which the per-ticket [`Analyzer`](crate::analyze::Analyzer) call
//! cannot express.
//!
//! 1. **Gather**: every fetched batch is held in fetch order; tickets with an error,
//!    or with a stored analysis for this version and fingerprint, get their record at
//!    once; the others wait for an answer. (Batch mode holds the run's records until
//!    its batches are answered: a record per ticket, not its text.)
//! 2. **Plan**: waiting tickets already in a batch a killed or impatient earlier
//!    run submitted (the cache's `batches` tree) join that batch; the rest are sent in
//!    new batches within the provider's limits, each stored in the cache (flushed)
//!    before the run waits, so no ticket is ever submitted twice.
//! 3. **Wait**: the batches are polled until they end, `batch_wait` passes, or the
//!    run is interrupted. An ended batch's answers are validated like synchronous
//!    ones, stored as analyses, and then the batch is dropped from the cache; a
//!    failed line is an error row for exactly its ticket; requests that expired are
//!    resubmitted once (a second expiry is an error row). A batch the provider no
//!    longer knows (HTTP 404 on polling or collecting) is dropped from the cache
//!    with a warning, and its tickets are submitted again.
//! 4. **Emit**: the held batches go to the writer in order, up to the first one with
//!    a ticket still unanswered: nothing after it is written and the checkpoint
//!    stays before it, so the next run collects and writes those tickets.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::{Instant, SystemTime};

use crossbeam_channel::{Receiver, Sender};

use super::stages::{AnalyzeCtx, Batch, Done, RunShared};
use super::{Fatal, PendingBatch};
use crate::analyze::llm::batch::{
    chunks, next_poll, BatchClient, BatchError, BatchRequest, BatchState, BatchStatus, LineResult,
};
use crate::analyze::llm::LlmAnalyzer;
use crate::analyze::{analysis_body, AnalysisInput};
use crate::cache::{BatchTicket, Cache, StoredAnalysis, StoredBatch};
use crate::fetch::WorkItem;
use crate::model::{Analysis, ResultRecord};

/// A fetched batch held until its tickets are answered.
struct Held {
    seq: u64,
    records: Vec<ResultRecord>,
    memberships: Vec<(u64, u64)>,
    resume: Option<crate::fetch::ResumePoint>,
    /// Tickets of this batch still without an answer.
    unanswered: usize,
}

/// A ticket waiting for its answer.
struct Waiting {
    held: usize,
    index: usize,
    updated_at: Option<String>,
    request: BatchRequest,
}

/// The stage's state from gathering to emitting.
struct Collector<'a> {
    ctx: &'a AnalyzeCtx<'a>,
    llm: &'a LlmAnalyzer,
    cache: &'a Cache,
    client: BatchClient,
    run: &'a RunShared<'a>,
    held: Vec<Held>,
    waiting: HashMap<u64, Waiting>,
    /// Where earlier copies of a waiting ticket sit (a ticket listed twice in one
    /// run, e.g. updated twice during an incremental window): they get its answer.
    earlier: HashMap<u64, Vec<(usize, usize)>>,
    /// Batches this run waits for.
    active: Vec<StoredBatch>,
}

/// The batch thread: gathers, submits, waits and hands the records to the writer in
/// order. Returns the batches still owing answers.
pub fn analyze(
    rx: Receiver<Batch>,
    tx: Sender<Done>,
    ctx: &AnalyzeCtx,
    llm: &LlmAnalyzer,
    run: &RunShared,
) -> Vec<PendingBatch> {
    let started = Instant::now();
    let setup = ctx
        .cache
        .ok_or_else(|| "[analyze] batch = true needs the cache".to_string())
        .and_then(|cache| Ok((cache, llm.batch_client()?)));
    let (cache, client) = match setup {
        Ok(parts) => parts,
        Err(e) => {
            run.stop.fail(Fatal::Analyzer(e));
            return Vec::new();
        }
    };
    let mut c = Collector {
        ctx,
        llm,
        cache,
        client,
        run,
        held: Vec::new(),
        waiting: HashMap::new(),
        earlier: HashMap::new(),
        active: Vec::new(),
    };
    for batch in rx {
        c.gather(batch);
    }
    // An interrupted run submits nothing new: what it gathered is left unwritten.
    let planned = if c.stopped() { Ok(()) } else { c.plan() };
    if let Err(e) = planned.and_then(|()| c.wait(started + llm.batch_wait())) {
        run.stop.fail(Fatal::Analyzer(e));
    }
    let busy = started.elapsed().as_nanos() as u64;
    run.counters
        .analyze_busy_ns
        .fetch_add(busy, Ordering::Relaxed);
    c.emit(&tx);
    c.pending()
}

impl Collector<'_> {
    /// Holds a fetched batch: records at once where no model is needed. Its
    /// listing slot is given back here, not once written: batch mode holds every
    /// page until its batch is answered, which may take hours.
    fn gather(&mut self, batch: Batch) {
        let at = self.held.len();
        let mut held = Held {
            seq: batch.seq,
            records: Vec::with_capacity(batch.items.len()),
            memberships: batch.memberships,
            resume: batch.resume,
            unanswered: 0,
        };
        for item in &batch.items {
            let (record, request) = self.first_look(item);
            if let Some(request) = request {
                held.unanswered += 1;
                let waiting = Waiting {
                    held: at,
                    index: held.records.len(),
                    updated_at: item.ticket.updated_at.clone(),
                    request,
                };
                if let Some(old) = self.waiting.insert(item.ticket.id, waiting) {
                    let copies = self.earlier.entry(item.ticket.id).or_default();
                    copies.push((old.held, old.index));
                }
            } else {
                self.run.progress.analyzed.inc(1);
            }
            held.records.push(record);
        }
        self.held.push(held);
    }

    /// A ticket's record, and its request when it needs the model.
    fn first_look(&self, item: &WorkItem) -> (ResultRecord, Option<BatchRequest>) {
        let (ctx, t) = (self.ctx, &item.ticket);
        let record = |analysis, analyzer: &str, at: &str, error| {
            let mut r = ResultRecord::from_parts(t, analysis, analyzer, at, error);
            r.view_ids = item.view_id.into_iter().collect();
            r.requester_name = item.requester_name.clone();
            r.organization_name = item.organization_name.clone();
            r.columns.clone_from(&item.columns);
            r.link = ctx.link_base.map(|b| format!("{b}/agent/tickets/{}", t.id));
            r
        };
        if let Some(e) = &item.error {
            return (
                record(None, ctx.name, ctx.analyzed_at, Some(e.clone())),
                None,
            );
        }
        if !ctx.reanalyze {
            match self
                .cache
                .analysis(t.id, t.updated_at.as_deref(), ctx.fingerprint)
            {
                Ok(Some(s)) => {
                    self.run.counters.reused.fetch_add(1, Ordering::Relaxed);
                    return (
                        record(Some(s.analysis), &s.analyzer, &s.analyzed_at, None),
                        None,
                    );
                }
                Ok(None) => {}
                Err(e) => tracing::warn!("ticket {}: cannot read the stored analysis: {e}", t.id),
            }
        }
        let body = analysis_body(
            t.description_text(),
            item.messages.as_deref(),
            ctx.text,
            ctx.max_input_chars,
        );
        let request = self
            .llm
            .batch_request(&AnalysisInput::from_ticket(t, &body));
        (record(None, ctx.name, ctx.analyzed_at, None), Some(request))
    }

    /// Joins the waiting tickets to batches stored by earlier runs and submits the
    /// rest.
    fn plan(&mut self) -> Result<(), String> {
        let provider = self.client.provider().as_str();
        let mut in_batch = std::collections::HashSet::new();
        for stored in self.cache.stored_batches().map_err(|e| e.to_string())? {
            if stored.provider != provider || stored.fingerprint != self.ctx.fingerprint {
                continue;
            }
            let mine = self.waiting_in(&stored);
            if !mine.is_empty() {
                tracing::info!(
                    "collecting {} tickets from {provider} batch {} submitted {}",
                    mine.len(),
                    stored.id,
                    stored.submitted_at
                );
                in_batch.extend(mine);
                self.active.push(stored);
            }
        }
        let mut new: Vec<u64> = self
            .waiting
            .keys()
            .filter(|id| !in_batch.contains(id))
            .copied()
            .collect();
        new.sort_unstable();
        self.submit(&new, false)
    }

    /// The tickets of `batch` whose version this run waits for.
    fn waiting_in(&self, batch: &StoredBatch) -> Vec<u64> {
        batch
            .tickets
            .iter()
            .filter(|bt| self.is_waiting_for(bt))
            .map(|bt| bt.ticket_id)
            .collect()
    }

    /// Whether the run waits for this request's ticket version.
    fn is_waiting_for(&self, bt: &BatchTicket) -> bool {
        self.waiting
            .get(&bt.ticket_id)
            .is_some_and(|w| w.updated_at == bt.updated_at)
    }

    /// Sends `tickets` in batches within the provider's limits, each stored in the
    /// cache before anything waits on it.
    fn submit(&mut self, tickets: &[u64], resubmission: bool) -> Result<(), String> {
        let requests: Vec<&BatchRequest> =
            tickets.iter().map(|id| &self.waiting[id].request).collect();
        let mut lines = self.llm.batch_lines(&requests);
        let sizes: Vec<usize> = lines.iter().map(Vec::len).collect();
        let mut from = 0;
        for n in chunks(&sizes, self.llm.batch_limits()) {
            let chunk: Vec<Vec<u8>> = lines.drain(..n).collect();
            let rt = self.llm.runtime().clone();
            let id = rt.block_on(self.client.submit(&chunk))?;
            let stored = StoredBatch {
                id: id.clone(),
                provider: self.client.provider().as_str().to_string(),
                fingerprint: self.ctx.fingerprint.to_string(),
                submitted_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
                resubmission,
                tickets: tickets[from..from + n]
                    .iter()
                    .map(|t| self.batch_ticket(*t))
                    .collect(),
            };
            self.cache.put_batch(&stored).map_err(|e| e.to_string())?;
            self.llm.count_batch_requests(n as u64);
            tracing::info!("submitted {n} tickets in batch {id}");
            self.active.push(stored);
            from += n;
        }
        Ok(())
    }

    fn batch_ticket(&self, ticket_id: u64) -> BatchTicket {
        let w = &self.waiting[&ticket_id];
        BatchTicket {
            custom_id: w.request.custom_id.clone(),
            ticket_id,
            updated_at: w.updated_at.clone(),
        }
    }

    /// Polls the active batches until all have ended, `deadline` passes or the run
    /// stops.
    fn wait(&mut self, deadline: Instant) -> Result<(), String> {
        let rt = self.llm.runtime().clone();
        let mut pause = None;
        let mut shown = HashMap::new();
        while !self.active.is_empty() && !self.stopped() {
            let mut i = 0;
            while i < self.active.len() {
                if self.poll(i, &rt, &mut shown)? {
                    i += 1;
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if self.active.is_empty() || left.is_zero() {
                break;
            }
            let step = next_poll(pause).min(left);
            pause = Some(step);
            // An interrupt ends the sleep early; the loop then sees it.
            let _ = rt.block_on(crate::http::sleep(step, Some(self.run.interrupted)));
        }
        Ok(())
    }

    /// Polls active batch `i`, and collects it once it has ended; whether it is
    /// still running (and so still active).
    fn poll(
        &mut self,
        i: usize,
        rt: &tokio::runtime::Handle,
        shown: &mut HashMap<String, (u64, u64)>,
    ) -> Result<bool, String> {
        let status = match rt.block_on(self.client.status(&self.active[i].id)) {
            Ok(status) => status,
            Err(e) => return self.lost(i, e).map(|()| false),
        };
        self.show(&self.active[i].id, &status, shown);
        match &status.state {
            BatchState::Running => return Ok(true),
            BatchState::Ended => match rt.block_on(self.client.results(&status)) {
                Ok(lines) => {
                    let batch = self.active.remove(i);
                    self.collect(&batch, &status, lines)?;
                }
                Err(e) => self.lost(i, e)?,
            },
            BatchState::Failed(why) => {
                let batch = self.active.remove(i);
                self.fail_all(&batch, why)?;
            }
        }
        Ok(false)
    }

    /// A call about active batch `i` failed. When the provider no longer knows the
    /// batch (an in-process sandbox forgets it when its process ends, a provider
    /// may purge it), its record is dropped and its tickets are submitted again in
    /// this run; any other failure stops the run.
    fn lost(&mut self, i: usize, e: BatchError) -> Result<(), String> {
        let BatchError::Unknown(why) = e else {
            return Err(e.into());
        };
        let batch = self.active.remove(i);
        let tickets = self.waiting_in(&batch);
        tracing::warn!(
            "batch {} is unknown to the provider ({why}): submitting its {} tickets again",
            batch.id,
            tickets.len()
        );
        self.cache
            .remove_batch(&batch.id)
            .map_err(|e| e.to_string())?;
        self.submit(&tickets, false)
    }

    fn stopped(&self) -> bool {
        self.run.interrupted.load(Ordering::SeqCst) || self.run.stop.is_halted()
    }

    /// Shows a batch's counts on the analyzed bar and, when they change, in the log
    /// (`-v`): the progress of a long wait.
    fn show(&self, id: &str, status: &BatchStatus, shown: &mut HashMap<String, (u64, u64)>) {
        let counts = (status.done, status.failed);
        let line = format!(
            "batch {id}: {} of {} answered, {} failed",
            status.done, status.total, status.failed
        );
        self.run.progress.analyzed.set_message(line.clone());
        if shown.insert(id.to_string(), counts) != Some(counts) {
            tracing::info!("{line}");
        }
    }

    /// Applies an ended batch's lines: answers stored, failures as error rows,
    /// expired requests resubmitted once; then the batch is forgotten.
    fn collect(
        &mut self,
        batch: &StoredBatch,
        status: &BatchStatus,
        lines: Vec<(String, LineResult)>,
    ) -> Result<(), String> {
        let mut by_id: HashMap<String, LineResult> = lines.into_iter().collect();
        let mut fresh = Vec::new();
        let mut expired = Vec::new();
        let mine: Vec<&BatchTicket> = batch
            .tickets
            .iter()
            .filter(|bt| self.is_waiting_for(bt))
            .collect();
        for bt in mine {
            let result = match by_id.remove(&bt.custom_id) {
                Some(r) => r,
                None if status.expired => LineResult::Expired,
                None => LineResult::Failed(format!("no result for it in batch {}", batch.id)),
            };
            let outcome = match result {
                LineResult::Answer(body) => {
                    let language = self.waiting[&bt.ticket_id].request.language;
                    self.llm.batch_answer(&body, language)
                }
                LineResult::Failed(why) => Err(why),
                LineResult::Expired if !batch.resubmission => {
                    expired.push(bt.ticket_id);
                    continue;
                }
                LineResult::Expired => Err(format!(
                    "batch {} expired before answering, and it was already a resubmission",
                    batch.id
                )),
            };
            if let Some(stored) = self.answer(bt.ticket_id, outcome) {
                fresh.push((bt.ticket_id, stored));
            }
        }
        self.cache.put_analyses(&fresh).map_err(|e| e.to_string())?;
        if !expired.is_empty() {
            tracing::info!(
                "batch {} expired: resubmitting {} tickets",
                batch.id,
                expired.len()
            );
            self.submit(&expired, true)?;
        }
        self.cache
            .remove_batch(&batch.id)
            .map_err(|e| e.to_string())
    }

    /// A batch the provider refused as a whole: an error row for each of its tickets.
    fn fail_all(&mut self, batch: &StoredBatch, why: &str) -> Result<(), String> {
        let tickets = self.waiting_in(batch);
        for id in tickets {
            self.answer(id, Err(why.to_string()));
        }
        self.cache
            .remove_batch(&batch.id)
            .map_err(|e| e.to_string())
    }

    /// Fills a waiting ticket's record; the analysis to store when there is one.
    fn answer(&mut self, ticket: u64, outcome: Result<Analysis, String>) -> Option<StoredAnalysis> {
        let w = self.waiting.remove(&ticket)?;
        for (held, index) in self.earlier.remove(&ticket).unwrap_or_default() {
            self.fill(held, index, &outcome);
        }
        let held = &mut self.held[w.held];
        held.unanswered -= 1;
        self.run.progress.analyzed.inc(1);
        let record = &mut held.records[w.index];
        match outcome {
            Ok(analysis) => {
                self.run.counters.analyzed.fetch_add(1, Ordering::Relaxed);
                record.analysis = Some(analysis.clone());
                Some(StoredAnalysis {
                    updated_at: w.updated_at,
                    fingerprint: self.ctx.fingerprint.to_string(),
                    analyzer: self.ctx.name.to_string(),
                    analyzed_at: self.ctx.analyzed_at.to_string(),
                    analysis,
                })
            }
            Err(why) => {
                record.error = Some(why);
                None
            }
        }
    }

    /// Gives an earlier copy of a ticket the answer of its latest version.
    fn fill(&mut self, held: usize, index: usize, outcome: &Result<Analysis, String>) {
        let held = &mut self.held[held];
        held.unanswered -= 1;
        self.run.progress.analyzed.inc(1);
        let record = &mut held.records[index];
        match outcome {
            Ok(analysis) => record.analysis = Some(analysis.clone()),
            Err(why) => record.error = Some(why.clone()),
        }
    }

    /// Hands the held batches to the writer in order, up to the first with a ticket
    /// still unanswered.
    fn emit(&mut self, tx: &Sender<Done>) {
        for held in self.held.drain(..) {
            if held.unanswered > 0 {
                break;
            }
            let done = Done {
                seq: held.seq,
                records: held.records,
                memberships: held.memberships,
                resume: held.resume,
                slot: None,
                // `max_cost` is refused with `batch = true`.
                over_budget: false,
                // Stored as each answer comes in.
                fresh: Vec::new(),
            };
            if tx.send(done).is_err() {
                break;
            }
        }
    }

    /// The batches still owing answers, with how many of this run's tickets each owes.
    fn pending(&self) -> Vec<PendingBatch> {
        self.active
            .iter()
            .map(|b| PendingBatch {
                batch: b.id.clone(),
                provider: b.provider.clone(),
                tickets: b
                    .tickets
                    .iter()
                    .filter(|bt| self.is_waiting_for(bt))
                    .count() as u64,
            })
            .filter(|p| p.tickets > 0)
            .collect()
    }
}
