//! `zdpipe plan`: what a run of a pipeline would do, before it runs: the tickets to
//! fetch, to analyze and to reuse, the Zendesk requests and their time at the
//! configured rate limit, and for LLM and hybrid analyzers the tokens and the cost.
//!
//! No model is ever called (the analyzer is built as for `--offline`). Zendesk gets
//! at most the cheap calls a run makes first: a view's ticket count, and only for a
//! view whose listing is not in the cache. Everything else is read from the cache,
//! whatever its age: a listed ticket whose version is cached is checked against the
//! stored analyses (same version and fingerprint: reused), and its text gives the
//! token estimate ([`LlmAnalyzer::estimate`], the estimate the hybrid summary uses)
//! and, for a hybrid analyzer, the built-in pass that decides whether it would go to
//! the model. Tickets without cached text are estimated from the average and the
//! share of the ones read; the output says when that sample is partial. An
//! incremental run's tickets are known only once the export is read, so its plan
//! gives the per-ticket figures only.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use super::{load, Exit, Result};
use crate::analyze::llm::LlmAnalyzer;
use crate::analyze::{analysis_body, AnalysisInput, Analyzer, BuiltAnalyzer, Price};
use crate::cache::{Cache, CacheKey, ReadPolicy};
use crate::config::Pipeline;
use crate::fetch::{connect, Access, Api, Mode, Source};
use crate::model::Ticket;

/// Tickets per listing page and per `show_many` call.
const PAGE: u64 = 100;

/// What a run would do and cost.
#[derive(Debug, Default, Serialize)]
pub struct Plan {
    pub pipeline: String,
    pub analyzer: String,
    /// Tickets the run would write; `None` when only reading the export tells.
    pub tickets: Option<u64>,
    /// Of those, tickets whose text is in the cache (the sample of the estimates).
    pub cached: u64,
    pub to_analyze: Option<u64>,
    pub to_reuse: u64,
    pub zendesk_requests: Option<u64>,
    /// At the configured rate limit (its starting budget for `"auto"`).
    pub zendesk_minutes: Option<f64>,
    pub rate_limit_per_minute: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub llm: Option<LlmPlan>,
    pub notes: Vec<String>,
}

/// The model's share of the run.
#[derive(Debug, Default, Serialize)]
pub struct LlmPlan {
    pub model: String,
    pub price: Option<Price>,
    /// Tickets that would go to the model (all to analyze, or hybrid's share).
    pub to_model: f64,
    /// Hybrid: the share of the sampled tickets its built-in pass sends to the model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_share: Option<f64>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: Option<f64>,
    /// The same through the provider's batch API.
    pub batch_cost_usd: Option<f64>,
}

pub fn plan(path: &Path, json: bool) -> Result<Exit> {
    let (pipeline, env) = load(path)?;
    let cache = Arc::new(Cache::open(&pipeline.cache)?);
    let built = crate::analyze::build_for_plan(&pipeline.analyze, &env)?;
    let mut tally = Tally::new(&pipeline, &built, &cache);
    let mut notes = Vec::new();
    let listed = match &pipeline.fetch.source {
        Source::File {
            path,
            on_bad_record,
        } => {
            let mut reader = crate::fetch::read_export(path, *on_bad_record)?;
            loop {
                let items = reader.next_items(PAGE as usize)?;
                if items.is_empty() {
                    break;
                }
                items.iter().for_each(|i| tally.ticket(&i.ticket));
            }
            Some(0)
        }
        _ => match &pipeline.fetch.mode {
            Mode::Views(ids) => {
                let access = Access {
                    policy: ReadPolicy::AnyAge,
                    offline: false,
                };
                let conn = connect(&pipeline.fetch, &env, Some(cache.clone()), access)?;
                views(&conn.api, ids, &mut tally, &mut notes)?
            }
            _ => {
                notes.push("incremental: the changed tickets are known only once the export is read; the figures below are per cached ticket".into());
                None
            }
        },
    };
    let plan = tally.finish(&pipeline, listed, notes);
    if json {
        println!("{}", serde_json::to_string_pretty(&plan)?);
    } else {
        print!("{}", render(&plan));
    }
    Ok(Exit::Ok)
}

/// Reads each view's listing from the cache, or asks Zendesk for its count. Returns
/// the listing pages a run would request.
fn views(
    api: &Api,
    ids: &[u64],
    tally: &mut Tally,
    notes: &mut Vec<String>,
) -> Result<Option<u64>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut pages = 0;
    let mut seen = HashSet::new();
    for &view in ids {
        if let Some(listing) = api.cached_listing(view)? {
            pages += (listing.len() as u64).div_ceil(PAGE);
            for id in listing.into_iter().filter(|id| seen.insert(*id)) {
                tally.listed(id);
            }
            continue;
        }
        let Some(count) = rt.block_on(api.view_count(view))? else {
            notes.push(format!("view {view}: Zendesk did not count its tickets"));
            return Ok(None);
        };
        notes.push(format!(
            "view {view}: not listed in the cache; {count} tickets counted by Zendesk"
        ));
        pages += count.div_ceil(PAGE);
        tally.uncached += count;
    }
    Ok(Some(pages))
}

/// Counts tickets as they are read.
struct Tally<'a> {
    cache: &'a Cache,
    built: &'a BuiltAnalyzer,
    llm: Option<&'a LlmAnalyzer>,
    fingerprint: String,
    pipeline: &'a Pipeline,
    cached: u64,
    uncached: u64,
    reuse: u64,
    analyze: u64,
    /// Of `analyze`, the tickets the model would get, and their estimated tokens.
    to_model: u64,
    input_tokens: u64,
    output_tokens: u64,
}

impl<'a> Tally<'a> {
    fn new(pipeline: &'a Pipeline, built: &'a BuiltAnalyzer, cache: &'a Cache) -> Self {
        Tally {
            cache,
            built,
            llm: built.llm.as_deref(),
            fingerprint: crate::pipeline::fingerprint(pipeline, built.analyzer.as_ref()),
            pipeline,
            cached: 0,
            uncached: 0,
            reuse: 0,
            analyze: 0,
            to_model: 0,
            input_tokens: 0,
            output_tokens: 0,
        }
    }

    /// A listed ticket: its cached version, if any, is what the run would read.
    fn listed(&mut self, id: u64) {
        let cached = self
            .cache
            .get(&CacheKey::Ticket(id), ReadPolicy::AnyAge)
            .ok()
            .flatten()
            .and_then(|b| serde_json::from_slice::<Ticket>(&b).ok());
        match cached {
            Some(t) => self.ticket(&t),
            None => self.uncached += 1,
        }
    }

    /// A ticket whose text is at hand: reused, or analyzed at the estimated cost.
    fn ticket(&mut self, t: &Ticket) {
        self.cached += 1;
        let stored = self
            .cache
            .analysis(t.id, t.updated_at.as_deref(), &self.fingerprint)
            .ok()
            .flatten();
        if stored.is_some() {
            self.reuse += 1;
            return;
        }
        self.analyze += 1;
        let Some(llm) = self.llm else { return };
        let a = &self.pipeline.analyze;
        let body = analysis_body(t.description_text(), None, a.text, a.max_input_chars);
        let input = AnalysisInput::from_ticket(t, &body);
        let to_model = match &self.built.hybrid {
            Some(h) => h.would_ask_model(&input).unwrap_or(true),
            None => true,
        };
        if to_model {
            let tokens = llm.estimate(&input);
            self.to_model += 1;
            self.input_tokens += tokens.input;
            self.output_tokens += tokens.output;
        }
    }

    fn finish(
        self,
        pipeline: &Pipeline,
        listing_pages: Option<u64>,
        mut notes: Vec<String>,
    ) -> Plan {
        let fetch = &pipeline.fetch;
        let rate = (f64::from(fetch.rate_limit.start()) * fetch.api_share).max(1.0);
        let tickets = listing_pages.map(|_| self.cached + self.uncached);
        // A listing page carries its tickets and people; each view is read once
        // first; a ticket needs its conversation when comments are read and it is
        // not cached or analyzed again.
        let comments = if fetch.include_comments {
            self.uncached + self.analyze
        } else {
            0
        };
        let views = match &fetch.mode {
            Mode::Views(ids) => ids.len() as u64,
            _ => 0,
        };
        let requests = match fetch.source {
            Source::File { .. } => Some(0),
            _ => listing_pages.map(|pages| pages + views + comments),
        };
        if self.uncached > 0 && self.cached > 0 {
            notes.push(format!(
                "partial sample: {} of {} tickets are in the cache; the rest are estimated from them",
                self.cached,
                self.cached + self.uncached
            ));
        }
        let llm = self.llm.map(|l| self.llm_plan(l, &mut notes));
        Plan {
            pipeline: pipeline.name.clone(),
            analyzer: self.built.analyzer.name(),
            tickets,
            cached: self.cached,
            to_analyze: tickets.map(|_| self.analyze + self.uncached),
            to_reuse: self.reuse,
            zendesk_requests: requests,
            zendesk_minutes: requests.map(|r| r as f64 / rate),
            rate_limit_per_minute: rate as u32,
            llm,
            notes,
        }
    }

    /// The model's tickets, tokens and cost: the sampled ones as estimated, the
    /// uncached ones at the sample's share and average.
    fn llm_plan(&self, llm: &LlmAnalyzer, notes: &mut Vec<String>) -> LlmPlan {
        let share = if self.analyze == 0 {
            1.0
        } else {
            self.to_model as f64 / self.analyze as f64
        };
        let per_ticket = |total: u64| {
            if self.to_model == 0 {
                0.0
            } else {
                total as f64 / self.to_model as f64
            }
        };
        let extra = self.uncached as f64 * share;
        if self.uncached > 0 && self.to_model == 0 {
            notes.push("no ticket text in the cache to estimate tokens from: run once, or plan again after a run".into());
        }
        let input = self.input_tokens + (extra * per_ticket(self.input_tokens)).round() as u64;
        let output = self.output_tokens + (extra * per_ticket(self.output_tokens)).round() as u64;
        let price = llm.price();
        LlmPlan {
            model: llm.name(),
            price,
            to_model: self.to_model as f64 + extra,
            model_share: self.built.hybrid.as_ref().map(|_| share),
            input_tokens: input,
            output_tokens: output,
            cost_usd: price.map(|p| p.cost_usd(input, output)),
            batch_cost_usd: price.map(|p| p.batch().cost_usd(input, output)),
        }
    }
}

/// The plan as text.
fn render(p: &Plan) -> String {
    use std::fmt::Write as _;
    let n = |v: Option<u64>| v.map_or("unknown".to_string(), |v| v.to_string());
    let mut s = format!("zdpipe plan {} ({})\n", p.pipeline, p.analyzer);
    let _ = writeln!(
        s,
        "  tickets: {} ({} in the cache), to analyze {}, to reuse {}",
        n(p.tickets),
        p.cached,
        n(p.to_analyze),
        p.to_reuse
    );
    let minutes = p
        .zendesk_minutes
        .map_or("unknown".into(), |m| format!("{m:.1}"));
    let _ = writeln!(
        s,
        "  zendesk: ~{} requests, ~{minutes} min at {}/min",
        n(p.zendesk_requests),
        p.rate_limit_per_minute
    );
    if let Some(l) = &p.llm {
        let share = l
            .model_share
            .filter(|_| l.to_model > 0.0)
            .map(|sh| format!(" ({:.0}% of those analyzed)", sh * 100.0))
            .unwrap_or_default();
        let cost = match (l.cost_usd, l.batch_cost_usd) {
            (Some(c), Some(b)) => format!(", ~${c:.4} (batch API ~${b:.4})"),
            _ => ", cost unknown: set [analyze] price".to_string(),
        };
        let _ = writeln!(
            s,
            "  llm {}: ~{:.0} tickets to the model{share}, ~{} input + ~{} output tokens{cost}",
            l.model, l.to_model, l.input_tokens, l.output_tokens
        );
    }
    for note in &p.notes {
        let _ = writeln!(s, "  note: {note}");
    }
    s
}
