//! [`TicketSource`]: views, a search, the incremental export or an export file, as
//! pages of [`WorkItem`]s for the pipeline.
//!
//! **Views.** For each view in order: when the cache holds a complete listing (the
//! ordered ticket ids of an earlier run, within the listing TTL) the tickets come from
//! the tickets cache, the rest from `tickets/show_many`; otherwise the view is paged
//! with `views/{id}/tickets` and the listing is stored once it is complete. While
//! paging, each page's ids and the link after it are stored too, so a run killed
//! mid-way continues where it stopped (an expired link means listing again). A
//! ticket is emitted once per run: a ticket in several views with the first view's
//! id (the later ones become memberships), and one listed twice only once.
//!
//! **Search.** A search export query is one more listing ([`Listing`]), paged,
//! stored and resumed exactly like a view; its rows have no view id. Unlike a view
//! it reaches archived tickets (closed more than 120 days ago).
//!
//! **Incremental.** Pages of the cursor export from the stored checkpoint (or from
//! `since` on the first run) until `end_of_stream`. Each page carries the cursor that
//! follows it as its [`ResumePoint`]; the writer stores it only after the page's rows
//! are written, so a crash re-reads only the pages requested after the last one
//! written: at most [`EXPORT_PAGES_UNWRITTEN`] (see **Overlap**).
//!
//! Each page's requesters (and assignees, for an `assignee` column) and organizations
//! are looked up (cache, then `show_many`)
//! so the results store can name them; with `include_comments` each ticket's
//! conversation is fetched as well (`conversation.rs`: the ticket events export in
//! incremental mode, one call per ticket for views).
//!
//! **Overlap.** [`TicketSource::prefetch`] lists on its own task: the next page is
//! requested as soon as the previous one's cursor or link is parsed, while earlier
//! pages are named (`show_many`), fetched comments for, analyzed and written. Each
//! listed page is completed on a task of its own (an export page's tickets are
//! parsed there too, and its ticket events read in listing order, `FeedRelay`; a
//! view page's tickets and people are cached there), and the pages come back in
//! listing order. A page is listed only with a free slot, so
//! memory stays bounded. A view's (or search's, or file's) page gives its slot back
//! once the fetch stage has handed it on: at most [`PAGES_AHEAD`] wait besides the
//! one being handed on. An export page keeps its slot ([`PageSlot`]) until its rows
//! are written and its checkpoint committed, so at most [`EXPORT_PAGES_UNWRITTEN`]
//! export pages are ever requested and not yet written, whatever the analyze pool
//! and the channels hold; that is also the most a killed nightly run re-reads.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::value::RawValue;
use serde_json::Value;
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

use super::api::{
    describe_ids, metric_sets, Api, ListingPage, MetricSets, RawPeople, RawRecords, Sideloads,
    ViewPage, PAGE_SIZE,
};
use super::api::{ExportBody, IncrementalPage, INCREMENTAL};
use super::columns::ColumnPlan;
use super::conversation::{add_conversations, EventsFeed, FeedRelay, FeedTurn};
use super::file::ExportReader;
use super::listing::Listing;
use super::FetchError;
use crate::analyze::Message;
use crate::model::{Comment, Ticket};

/// One ticket on its way to the analyzer.
#[derive(Debug, Clone, Default)]
pub struct WorkItem {
    pub ticket: Ticket,
    pub view_id: Option<u64>,
    pub requester_name: Option<String>,
    pub organization_name: Option<String>,
    /// The public messages, oldest first, when comments were fetched; the analyze
    /// stage chooses and cleans them (`analyze::analysis_body`).
    pub messages: Option<Vec<Message>>,
    /// Set when the ticket could not be read; the row is written with this error.
    pub error: Option<String>,
    /// The extra columns' cells, `(header, value)`, when the run asks for any.
    pub columns: Vec<(String, String)>,
}

/// Where to continue after a page: stored once that page is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResumePoint {
    /// The incremental export's `after_cursor`.
    Cursor(String),
}

/// A page of work.
#[derive(Debug, Default)]
pub struct FetchedPage {
    pub items: Vec<WorkItem>,
    pub resume: Option<ResumePoint>,
    /// `(ticket id, view id)` of tickets already emitted for an earlier view: the CSV
    /// keeps one row per ticket, the results store records every view it is in.
    pub memberships: Vec<(u64, u64)>,
    /// Set on a page with a resume point: its listing slot, to drop once the page's
    /// rows are written and its checkpoint committed.
    pub slot: Option<PageSlot>,
}

/// The listing slot of an export page ([`EXPORT_PAGES_UNWRITTEN`]): the next page
/// past the bound is requested only once this is dropped.
#[derive(Debug)]
pub struct PageSlot {
    /// Held only to be given back when dropped.
    _permit: OwnedSemaphorePermit,
}

/// Options shared by all sources.
#[derive(Debug, Clone)]
pub struct SourceOptions {
    pub include_comments: bool,
    /// The run's extra columns, filled in as each page is completed.
    pub columns: Option<Arc<ColumnPlan>>,
}

enum ViewState {
    Start,
    /// Tickets by id from a listing (complete, or the pages an earlier run managed);
    /// `then` is where paging continues afterwards for an unfinished one.
    Listing {
        ids: Vec<u64>,
        pos: usize,
        then: Option<Resume>,
    },
    Paging {
        next: Option<String>,
        ids: Vec<u64>,
        clean: bool,
        /// Pages listed so far (the stored pages of an unfinished listing).
        pages: u32,
        /// Whether `next` came from an earlier run (its cursor may have expired).
        resumed: bool,
    },
}

impl ViewState {
    /// Paging a view from its first page, with nothing listed yet.
    fn first_page() -> Self {
        ViewState::Paging {
            next: None,
            ids: Vec::new(),
            clean: true,
            pages: 0,
            resumed: false,
        }
    }
}

/// Where an unfinished listing continues.
struct Resume {
    next: String,
    pages: u32,
}

/// The source the fetch stage pulls pages from.
pub struct TicketSource {
    kind: Kind,
}

enum Kind {
    Views(ViewsSource),
    Incremental(IncrementalSource),
    File { reader: ExportReader },
}

/// The tickets of a list of views, one view after the other, or of a search.
struct ViewsSource {
    api: Arc<Api>,
    views: Vec<Listing>,
    /// The listing being paged (`views.len()` when all are done).
    index: usize,
    state: ViewState,
    /// Tickets emitted so far, so that each is emitted once per run.
    seen: crate::model::IdSet,
    opts: SourceOptions,
}

/// The incremental cursor export, from `start_time` or a stored cursor.
struct IncrementalSource {
    api: Arc<Api>,
    start_time: i64,
    cursor: Option<String>,
    done: bool,
    opts: SourceOptions,
    /// The conversations, with `include_comments`.
    events: Option<FeedRelay>,
}

/// One raw ticket object as a work item. A record with an id but a bad field becomes
/// an item with `error` set (its row says why); one without an id is an error.
pub(super) fn item_from_value(v: Value) -> Result<WorkItem, String> {
    let id = v.get("id").and_then(Value::as_u64);
    match serde_json::from_value::<Ticket>(v) {
        Ok(ticket) => Ok(WorkItem {
            ticket,
            ..WorkItem::default()
        }),
        Err(e) => match id {
            Some(id) => Ok(WorkItem {
                ticket: Ticket {
                    id,
                    ..Ticket::default()
                },
                error: Some(format!("ticket could not be parsed: {e}")),
                ..WorkItem::default()
            }),
            None => Err(format!("not a ticket (no numeric id): {e}")),
        },
    }
}

impl From<Ticket> for WorkItem {
    fn from(ticket: Ticket) -> Self {
        WorkItem {
            ticket,
            ..WorkItem::default()
        }
    }
}

/// One raw ticket record as a work item, parsed once, straight into a [`Ticket`]; a
/// record that does not parse is read again as a value so that its error is the
/// same as [`item_from_value`]'s.
fn item_from_raw(raw: &RawValue) -> Result<WorkItem, String> {
    match serde_json::from_str::<Ticket>(raw.get()) {
        Ok(ticket) => Ok(WorkItem::from(ticket)),
        Err(e) => match serde_json::from_str::<Value>(raw.get()) {
            Ok(v) => item_from_value(v),
            Err(_) => Err(format!("not a ticket (no numeric id): {e}")),
        },
    }
}

/// Parses a page's raw ticket objects one by one, so one bad record fails only itself.
fn parse_tickets(raw: &RawRecords) -> Vec<WorkItem> {
    raw.iter()
        .filter_map(|v| {
            item_from_raw(v)
                .map_err(|e| tracing::warn!("skipping a ticket record: {e}"))
                .ok()
        })
        .collect()
}

impl TicketSource {
    pub fn views(api: Arc<Api>, views: Vec<u64>, opts: SourceOptions) -> Self {
        TicketSource {
            kind: Kind::Views(ViewsSource {
                api,
                views: views.into_iter().map(Listing::View).collect(),
                index: 0,
                state: ViewState::Start,
                seen: crate::model::IdSet::new(),
                opts,
            }),
        }
    }

    /// Every ticket `query` selects through the search export, listed and resumed
    /// like a view.
    pub fn search(api: Arc<Api>, query: String, opts: SourceOptions) -> Self {
        TicketSource {
            kind: Kind::Views(ViewsSource {
                api,
                views: vec![Listing::Search(query)],
                index: 0,
                state: ViewState::Start,
                seen: crate::model::IdSet::new(),
                opts,
            }),
        }
    }

    pub fn incremental(
        api: Arc<Api>,
        start_time: i64,
        cursor: Option<String>,
        opts: SourceOptions,
    ) -> Self {
        // Continuing from a cursor, the events start with the first page of tickets.
        let events_start = cursor.is_none().then_some(start_time);
        let events = opts
            .include_comments
            .then(|| FeedRelay::new(EventsFeed::new(events_start)));
        TicketSource {
            kind: Kind::Incremental(IncrementalSource {
                api,
                start_time,
                cursor,
                done: false,
                opts,
                events,
            }),
        }
    }

    pub fn file(reader: ExportReader) -> Self {
        TicketSource {
            kind: Kind::File { reader },
        }
    }

    /// The number of tickets to expect, when it can be known cheaply (for progress).
    pub async fn total_hint(&self) -> Option<u64> {
        match &self.kind {
            Kind::Views(ViewsSource { api, views, .. }) => {
                let mut total = 0;
                for listing in views {
                    if let Some(ids) = api.cached_listing(listing.cache_id()).ok().flatten() {
                        total += ids.len() as u64;
                    } else {
                        total += api.view_count(listing.view_id()?).await.ok().flatten()?;
                    }
                }
                Some(total)
            }
            _ => None,
        }
    }

    /// Records the file source skipped as unreadable.
    pub fn skipped(&self) -> u64 {
        match &self.kind {
            Kind::File { reader, .. } => reader.skipped,
            _ => 0,
        }
    }

    /// Starts listing on `rt` (see the module doc's **Overlap**): pages come back
    /// from [`Prefetch::next`] in listing order, complete.
    pub fn prefetch(self, rt: &tokio::runtime::Runtime) -> Prefetch {
        let slots = Arc::new(Semaphore::new(self.slots()));
        let (tx, pages) = mpsc::channel(self.slots());
        let lister = rt.spawn(self.list_ahead(tx, slots.clone()));
        Prefetch {
            pages,
            lister: Some(lister),
            skipped: 0,
            held: None,
        }
    }

    /// The lister task: lists page after page, starting each page's completion as
    /// soon as it is listed; stops at the end, at an error, or when nobody waits.
    /// A page is listed only with a free slot (`slots`), given back as the module
    /// doc's **Overlap** says.
    async fn list_ahead(mut self, tx: mpsc::Sender<PageTask>, slots: Arc<Semaphore>) -> u64 {
        while let Ok(slot) = slots.clone().acquire_owned().await {
            let task = match self.next_listed().await {
                Ok(Some(Listed::Complete(page))) => tokio::spawn(async move { Ok(page) }),
                Ok(Some(Listed::Named {
                    api,
                    opts,
                    page,
                    people,
                })) => tokio::spawn(complete(api, opts, page, people)),
                Ok(Some(Listed::Export { api, opts, page })) => {
                    tokio::spawn(complete_export(api, opts, page))
                }
                Ok(None) => break,
                Err(e) => {
                    let _ = tx.send((tokio::spawn(async move { Err(e) }), slot)).await;
                    break;
                }
            };
            if tx.send((task, slot)).await.is_err() {
                break;
            }
        }
        self.skipped()
    }

    /// The listing slots: pages listed (or being listed) and not yet given back.
    fn slots(&self) -> usize {
        match self.kind {
            Kind::Incremental(_) => EXPORT_PAGES_UNWRITTEN,
            Kind::Views(_) | Kind::File { .. } => PAGES_AHEAD + 1,
        }
    }

    /// The next listed page, or `None` at the end. Pages from Zendesk still need
    /// their names (and conversations); an export file's records are used as they are.
    async fn next_listed(&mut self) -> Result<Option<Listed>, FetchError> {
        Ok(match &mut self.kind {
            Kind::Views(source) => source.next().await?.map(|(page, people)| Listed::Named {
                api: source.api.clone(),
                opts: source.opts.clone(),
                page,
                people,
            }),
            Kind::Incremental(source) => source.next().await?.map(|page| Listed::Export {
                api: source.api.clone(),
                opts: source.opts.clone(),
                page,
            }),
            Kind::File { reader, .. } => next_file_page(reader)?.map(Listed::Complete),
        })
    }
}

/// Pages listed but not yet taken by the fetch stage, besides the one it holds.
/// Each is a few hundred KB at most, so this bounds the stage's memory.
pub const PAGES_AHEAD: usize = 3;

/// Pages of the incremental export requested and not yet written, at most: one
/// being analyzed and written, two parsed (or being parsed) behind it, and the
/// next one being requested, so a page the analyzer is slow on does not stop the
/// cursor at once. Each is up to 1000 tickets (a few MB parsed). A killed nightly
/// run re-reads at most this many pages after its checkpoint.
pub const EXPORT_PAGES_UNWRITTEN: usize = 4;

/// A listed page being completed on its own task, and its slot.
type PageTask = (
    JoinHandle<Result<FetchedPage, FetchError>>,
    OwnedSemaphorePermit,
);

/// A page as listed.
enum Listed {
    /// Ready as it is (an export file's records).
    Complete(FetchedPage),
    /// A view's (or search's) page that still needs its names (and conversations).
    Named {
        api: Arc<Api>,
        opts: SourceOptions,
        page: FetchedPage,
        people: Unstored,
    },
    /// A page of the incremental export, its records not parsed yet.
    Export {
        api: Arc<Api>,
        opts: SourceOptions,
        page: ListedExport,
    },
}

/// Adds names (and conversations). Deleted tickets stay (`exclude_deleted` is the
/// CSV's to apply), so the results store learns of every deletion.
async fn complete(
    api: Arc<Api>,
    opts: SourceOptions,
    page: FetchedPage,
    unstored: Unstored,
) -> Result<FetchedPage, FetchError> {
    let storing = api.clone();
    let (mut page, people) = off_runtime("store", move || unstored.store(&storing, page)).await?;
    enrich(&api, &mut page.items, &opts, people, None).await?;
    Ok(page)
}

/// Runs a page's parsing or caching (milliseconds of CPU) off the runtime's threads,
/// which must stay free to take in the next page; `what` names it if it panics.
async fn off_runtime<T: Send + 'static>(
    what: &str,
    work: impl FnOnce() -> Result<T, FetchError> + Send + 'static,
) -> Result<T, FetchError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| FetchError::Protocol(format!("page {what} task failed: {e}")))?
}

/// What a listed view page leaves to its own task: the sideloaded people to parse
/// and cache, and whether its tickets came from the listing (to be cached) rather
/// than from the cache or `show_many` (cached already).
#[derive(Default)]
struct Unstored {
    people: RawPeople,
    tickets: bool,
}

impl Unstored {
    /// Caches the page's people and (when fresh) its readable tickets.
    fn store(self, api: &Api, page: FetchedPage) -> Result<(FetchedPage, Sideloads), FetchError> {
        let people = api.sideloads(self.people.users, self.people.organizations)?;
        if self.tickets {
            api.store_tickets(
                page.items
                    .iter()
                    .filter(|it| it.error.is_none())
                    .map(|it| &it.ticket),
            )?;
        }
        Ok((page, people))
    }
}

/// Parses a page of the incremental export, reads its conversations at the page's
/// turn of the events feed, and adds names.
async fn complete_export(
    api: Arc<Api>,
    opts: SourceOptions,
    listed: ListedExport,
) -> Result<FetchedPage, FetchError> {
    let ListedExport {
        raw,
        resume,
        events,
    } = listed;
    let parsing = api.clone();
    let (mut items, people) = off_runtime("parse", move || parse_export(&parsing, &raw)).await?;
    let conversations = match events {
        Some(turn) => Some(turn.conversations(&api, &items).await?),
        None => None,
    };
    enrich(&api, &mut items, &opts, people, conversations).await?;
    Ok(FetchedPage {
        items,
        resume,
        ..FetchedPage::default()
    })
}

/// An export page's tickets (their latest versions, with their metric sets) and the
/// users and organizations sideloaded with them, stored in the cache.
fn parse_export(api: &Api, body: &[u8]) -> Result<(Vec<WorkItem>, Sideloads), FetchError> {
    // Checked as UTF-8 once, so that the parses below read it as text.
    let text = std::str::from_utf8(body).map_err(|e| {
        FetchError::Protocol(format!("{INCREMENTAL}: the page is not UTF-8 text: {e}"))
    })?;
    // Nearly always every record is a ticket: then the page is read in one pass.
    // Otherwise it is read again as raw records, so one bad record fails only itself.
    let (items, users, organizations, sets) =
        match serde_json::from_str::<IncrementalPage<Ticket>>(text) {
            Ok(page) => (
                page.tickets.into_iter().map(WorkItem::from).collect(),
                page.users,
                page.organizations,
                page.metric_sets,
            ),
            Err(_) => {
                let page = serde_json::from_str::<IncrementalPage>(text).map_err(|e| {
                    FetchError::Protocol(format!("{INCREMENTAL}: unexpected response shape: {e}"))
                })?;
                let items = parse_tickets(&page.tickets);
                (items, page.users, page.organizations, page.metric_sets)
            }
        };
    let people = api.export_sideloads(users, organizations)?;
    let mut items = latest_versions(items);
    attach_metric_sets(&mut items, metric_sets(&sets));
    Ok((items, people))
}

/// A source listing ahead on its own task ([`TicketSource::prefetch`]).
pub struct Prefetch {
    pages: mpsc::Receiver<PageTask>,
    /// The listing task, until its end is seen; it returns the records skipped.
    lister: Option<JoinHandle<u64>>,
    /// Records an export file skipped as unreadable, once the lister returned.
    skipped: u64,
    /// The slot of the page last returned (without a resume point), given back on
    /// the next call.
    held: Option<OwnedSemaphorePermit>,
}

impl Prefetch {
    /// The next complete page in listing order, or `None` at the end. Calling it
    /// says the page returned before has been handed on.
    pub async fn next(&mut self) -> Result<Option<FetchedPage>, FetchError> {
        self.held = None;
        let Some((task, slot)) = self.pages.recv().await else {
            // The lister closed the channel: at the end, or because it panicked,
            // which must stop the run rather than look like the end.
            if let Some(lister) = self.lister.take() {
                match lister.await {
                    Ok(skipped) => self.skipped = skipped,
                    Err(e) if e.is_panic() => {
                        return Err(FetchError::Protocol(format!("the page lister failed: {e}")))
                    }
                    Err(_) => {}
                }
            }
            return Ok(None);
        };
        let mut page = task
            .await
            .map_err(|e| FetchError::Protocol(format!("page fetch task failed: {e}")))??;
        match page.resume {
            Some(_) => page.slot = Some(PageSlot { _permit: slot }),
            None => self.held = Some(slot),
        }
        Ok(Some(page))
    }

    /// Stops listing (a request in flight is dropped); the records an export file
    /// skipped as unreadable.
    pub async fn finish(mut self) -> u64 {
        drop(self.pages);
        if let Some(lister) = self.lister.take() {
            if !lister.is_finished() {
                lister.abort();
            }
            self.skipped = lister.await.unwrap_or(0);
        }
        self.skipped
    }
}

impl ViewsSource {
    /// The next page of the current view, moving on to the next view when one is
    /// exhausted; `None` after the last view.
    async fn next(&mut self) -> Result<Option<(FetchedPage, Unstored)>, FetchError> {
        loop {
            let Some(listing) = self.views.get(self.index).cloned() else {
                return Ok(None);
            };
            if let Some((items, people)) =
                next_view_page(&self.api, &listing, &mut self.state).await?
            {
                return Ok(Some((
                    self.first_sightings(listing.view_id(), items),
                    people,
                )));
            }
            self.index += 1;
            self.state = ViewState::Start;
        }
    }

    /// The page of `view`'s tickets (or a search's) not emitted before. Each ticket
    /// is emitted once per run: a ticket in several views (its later views become
    /// memberships), or listed twice while the list changes under a long listing.
    fn first_sightings(&mut self, view: Option<u64>, mut items: Vec<WorkItem>) -> FetchedPage {
        for it in &mut items {
            it.view_id = view;
        }
        let mut memberships = Vec::new();
        items.retain(|it| {
            let first = self.seen.insert(it.ticket.id);
            if let (false, Some(view)) = (first, view) {
                memberships.push((it.ticket.id, view));
            }
            first
        });
        FetchedPage {
            items,
            memberships,
            ..FetchedPage::default()
        }
    }
}

/// A page of the incremental export as listed: the records as they came, the cursor
/// after it, and its turn at the ticket events feed (with comments).
struct ListedExport {
    /// The page's bytes, parsed on its own task.
    raw: Vec<u8>,
    resume: Option<ResumePoint>,
    events: Option<FeedTurn>,
}

impl IncrementalSource {
    /// The next page of the export, resumable from the cursor after it; `None` once
    /// the export reached its end. Only the cursor is read here: the records are
    /// parsed on the page's own task ([`complete_export`]).
    async fn next(&mut self) -> Result<Option<ListedExport>, FetchError> {
        if self.done {
            return Ok(None);
        }
        let ExportBody { head: page, body } = self
            .api
            .incremental(Some(self.start_time), self.cursor.as_deref())
            .await?;
        let same_cursor = page.after_cursor.is_some() && page.after_cursor == self.cursor;
        if same_cursor && !page.end_of_stream && page.has_tickets {
            return Err(FetchError::Protocol(
                "the incremental export sent the same cursor again with tickets; stopping instead of looping".into(),
            ));
        }
        self.done =
            page.end_of_stream || page.after_cursor.is_none() || !page.has_tickets && same_cursor;
        if page.after_cursor.is_some() {
            self.cursor = page.after_cursor;
        }
        Ok(Some(ListedExport {
            raw: body,
            resume: self.cursor.clone().map(ResumePoint::Cursor),
            events: self.events.as_mut().map(FeedRelay::turn),
        }))
    }
}

/// Each ticket's comments, by ticket id.
type Conversations = HashMap<u64, Vec<Comment>>;

/// A ticket updated twice during the export shows up twice on a page: keeps only
/// its latest (last) version, in page order.
fn latest_versions(mut items: Vec<WorkItem>) -> Vec<WorkItem> {
    let mut last = std::collections::HashMap::new();
    for (i, it) in items.iter().enumerate() {
        last.insert(it.ticket.id, i);
    }
    let mut i = 0;
    items.retain(|it| {
        i += 1;
        last[&it.ticket.id] == i - 1
    });
    items
}

/// The next records of an export file, or `None` at its end.
fn next_file_page(reader: &mut ExportReader) -> Result<Option<FetchedPage>, FetchError> {
    let items = reader.next_items(PAGE_SIZE * 10)?;
    if items.is_empty() {
        return Ok(None);
    }
    Ok(Some(FetchedPage {
        items,
        ..FetchedPage::default()
    }))
}

/// Puts each ticket's sideloaded metric set on it (before it is cached, so a ticket
/// read back from the cache keeps its metrics).
fn attach_metric_sets(items: &mut [WorkItem], mut sets: MetricSets) {
    if sets.is_empty() {
        return;
    }
    for it in items {
        it.ticket.metric_set = sets.remove(&it.ticket.id);
    }
}

/// The next page of one view (or search), or `None` when it is exhausted.
async fn next_view_page(
    api: &Api,
    view: &Listing,
    state: &mut ViewState,
) -> Result<Option<(Vec<WorkItem>, Unstored)>, FetchError> {
    if let ViewState::Start = state {
        *state = start_view(api, view).await?;
        if let ViewState::Paging { .. } = state {
            let page = view.page(api, None).await?;
            return Ok(Some(store_view_page(api, view, state, page)?));
        }
    }
    match state {
        ViewState::Listing { ids, pos, then } if *pos >= ids.len() => {
            let Some(Resume { next, pages }) = then.take() else {
                return Ok(None);
            };
            *state = ViewState::Paging {
                next: Some(next),
                ids: std::mem::take(ids),
                clean: true,
                pages,
                resumed: true,
            };
            Box::pin(next_view_page(api, view, state)).await
        }
        ViewState::Listing { ids, pos, .. } => {
            let chunk = &ids[*pos..(*pos + PAGE_SIZE).min(ids.len())];
            *pos += chunk.len();
            Ok(Some((
                listed_tickets(api, view, chunk).await?,
                Unstored::default(),
            )))
        }
        ViewState::Paging { next: None, .. } => Ok(None),
        ViewState::Paging {
            next: Some(url),
            resumed,
            ..
        } => {
            let (url, resumed) = (url.clone(), *resumed);
            let page = follow_view_link(api, view, state, &url, resumed).await?;
            Ok(Some(store_view_page(api, view, state, page)?))
        }
        ViewState::Start => unreachable!("handled above"),
    }
}

/// Where a view (or search) starts: its cached listing, the pages an interrupted run
/// stored, or paging from the first page. For a view, one cheap (cached) call first
/// gives a clear "view N not found" before any paging, and the view's title for
/// reports.
async fn start_view(api: &Api, view: &Listing) -> Result<ViewState, FetchError> {
    if let (false, Some(id)) = (api.offline, view.view_id()) {
        api.view(id).await?;
    }
    match api.cached_listing(view.cache_id())? {
        Some(ids) => Ok(ViewState::Listing {
            ids,
            pos: 0,
            then: None,
        }),
        None if api.offline => Err(FetchError::Offline(format!(
            "the ticket listing of {}",
            view.describe()
        ))),
        None => resume_or_start(api, view),
    }
}

/// The tickets of `chunk` (ids from a listing) by id; those deleted since the listing
/// are skipped with a warning.
async fn listed_tickets(
    api: &Api,
    view: &Listing,
    chunk: &[u64],
) -> Result<Vec<WorkItem>, FetchError> {
    let tickets = api.tickets(chunk).await?;
    if tickets.len() < chunk.len() {
        let have: HashSet<u64> = tickets.iter().map(|t| t.id).collect();
        let gone: Vec<u64> = chunk
            .iter()
            .copied()
            .filter(|id| !have.contains(id))
            .collect();
        tracing::warn!(
            "{} of {} no longer exist; skipped",
            describe_ids("tickets", &gone),
            view.describe()
        );
    }
    Ok(tickets
        .into_iter()
        .map(|ticket| WorkItem {
            ticket,
            ..WorkItem::default()
        })
        .collect())
}

/// The view page behind `url`. A link kept from an earlier run (`resumed`) may have
/// expired: then the view is listed again from the start (tickets already emitted
/// are skipped upstream) and `state` starts paging afresh.
async fn follow_view_link(
    api: &Api,
    view: &Listing,
    state: &mut ViewState,
    url: &str,
    resumed: bool,
) -> Result<ViewPage, FetchError> {
    match view.page(api, Some(url)).await {
        Err(
            FetchError::Status {
                status: 400..=499, ..
            }
            | FetchError::NotFound { .. },
        ) if resumed => {
            tracing::warn!(
                "{}: the stored listing position is no longer valid; listing it again",
                view.describe()
            );
            api.clear_listing_pages(view.cache_id())?;
            *state = ViewState::first_page();
            view.page(api, None).await
        }
        other => other,
    }
}

/// Takes in one listed page of a view: parses its tickets, stores its ids and the
/// link after it (so an interrupted run resumes there) and, after the last page, the
/// whole listing. Caching the tickets and people is left to the page's task
/// ([`Unstored`]): a run killed before that finds the stored ids and fetches the
/// missing tickets with `show_many`.
fn store_view_page(
    api: &Api,
    view: &Listing,
    state: &mut ViewState,
    page: ViewPage,
) -> Result<(Vec<WorkItem>, Unstored), FetchError> {
    let mut items = parse_tickets(&page.tickets);
    attach_metric_sets(&mut items, page.metric_sets);
    let ViewState::Paging {
        next,
        ids,
        clean,
        pages,
        resumed,
    } = state
    else {
        unreachable!("paging state")
    };
    *clean &= items.iter().all(|it| it.error.is_none());
    ids.extend(items.iter().map(|it| it.ticket.id));
    *next = page.next;
    *resumed = false;
    if next.is_some() && *clean {
        let done = ListingPage {
            ids: items.iter().map(|it| it.ticket.id).collect(),
            next: next.clone(),
        };
        api.store_listing_page(view.cache_id(), *pages, &done)?;
        *pages += 1;
    }
    if next.is_none() {
        // A listing is reused only if every ticket in it is cached; one that could not
        // be read would otherwise vanish from a warm rerun instead of failing again.
        if *clean {
            api.store_listing(view.cache_id(), ids)?;
        }
        api.clear_listing_pages(view.cache_id())?;
    }
    Ok((
        items,
        Unstored {
            people: page.people,
            tickets: true,
        },
    ))
}

/// A view without a complete listing: continue the pages an interrupted run stored
/// (their tickets by id, then paging from where it stopped), or start paging.
fn resume_or_start(api: &Api, view: &Listing) -> Result<ViewState, FetchError> {
    let stored = api.listing_pages(view.cache_id())?;
    let Some(next) = stored.last().and_then(|p| p.next.clone()) else {
        return Ok(ViewState::first_page());
    };
    let pages = stored.len() as u32;
    let ids: Vec<u64> = stored.into_iter().flat_map(|p| p.ids).collect();
    tracing::info!(
        "{}: resuming an unfinished listing after {} tickets",
        view.describe(),
        ids.len()
    );
    Ok(ViewState::Listing {
        ids,
        pos: 0,
        then: Some(Resume { next, pages }),
    })
}

/// Adds requester and organization names and, when asked, the conversation.
/// Users and organizations sideloaded with the page are used as they are; only the
/// rest are looked up (cache, then `show_many`).
async fn enrich(
    api: &Arc<Api>,
    items: &mut [WorkItem],
    opts: &SourceOptions,
    known: Sideloads,
    conversations: Option<Conversations>,
) -> Result<(), FetchError> {
    let Sideloads {
        mut users,
        mut organizations,
    } = known;
    let assignees = opts.columns.as_ref().is_some_and(|c| c.needs_assignees());
    let people = items.iter().flat_map(|it| {
        let assignee = it.ticket.assignee_id.filter(|_| assignees);
        [it.ticket.requester_id, assignee].into_iter().flatten()
    });
    let requesters: Vec<u64> = unique(people)
        .into_iter()
        .filter(|id| !users.contains_key(id))
        .collect();
    let orgs: Vec<u64> = unique(items.iter().filter_map(|it| it.ticket.organization_id))
        .into_iter()
        .filter(|id| !organizations.contains_key(id))
        .collect();
    let (more_users, more_orgs) = tokio::join!(api.users(&requesters), api.organizations(&orgs));
    users.extend(more_users?);
    organizations.extend(more_orgs?);
    for it in items.iter_mut() {
        it.requester_name = it
            .ticket
            .requester_id
            .and_then(|id| users.get(&id))
            .map(|u| u.name.clone());
        it.organization_name = it
            .ticket
            .organization_id
            .and_then(|id| organizations.get(&id))
            .map(|o| o.name.clone());
        if let Some(plan) = &opts.columns {
            it.columns = plan.values(&it.ticket, &users);
        }
    }
    if opts.include_comments {
        add_conversations(api, items, conversations, &mut users).await?;
    }
    Ok(())
}

fn unique(ids: impl Iterator<Item = u64>) -> Vec<u64> {
    let mut seen = HashSet::new();
    ids.filter(|id| seen.insert(*id)).collect()
}
