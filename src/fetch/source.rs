//! [`TicketSource`]: views, the incremental export or an export file, as pages of
//! [`WorkItem`]s for the pipeline.
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
//! **Incremental.** Pages of the cursor export from the stored checkpoint (or from
//! `since` on the first run) until `end_of_stream`. Each page carries the cursor that
//! follows it as its [`ResumePoint`]; the writer stores it only after the page's rows
//! are written, so a crash re-reads at most one page.
//!
//! Each page's requesters and organizations are looked up (cache, then `show_many`)
//! so the results store can name them; with `include_comments` each ticket's
//! conversation is fetched as well.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::Value;
use tokio::task::JoinSet;

use super::api::{describe_ids, Api, ListingPage, Sideloads, ViewPage, PAGE_SIZE};
use super::file::ExportReader;
use super::FetchError;
use crate::model::{Comment, Ticket};

/// One ticket on its way to the analyzer.
#[derive(Debug, Clone, Default)]
pub struct WorkItem {
    pub ticket: Ticket,
    pub view_id: Option<u64>,
    pub requester_name: Option<String>,
    pub organization_name: Option<String>,
    /// The conversation, when comments were fetched (bounded by `max_input_chars`).
    pub conversation: Option<String>,
    /// Set when the ticket could not be read; the row is written with this error.
    pub error: Option<String>,
}

impl WorkItem {
    /// The text the analyzer reads besides the subject.
    pub fn body(&self) -> &str {
        self.conversation
            .as_deref()
            .unwrap_or_else(|| self.ticket.description_text())
    }
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
}

/// Options shared by all sources.
#[derive(Debug, Clone)]
pub struct SourceOptions {
    pub include_comments: bool,
    pub exclude_deleted: bool,
    pub max_input_chars: usize,
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
    File {
        reader: ExportReader,
        opts: SourceOptions,
    },
}

/// The tickets of a list of views, one view after the other.
struct ViewsSource {
    api: Arc<Api>,
    views: Vec<u64>,
    /// The view being listed (`views.len()` when all are done).
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

/// Parses a page's raw ticket objects one by one, so one bad record fails only itself.
fn parse_tickets(raw: Vec<Value>) -> Vec<WorkItem> {
    raw.into_iter()
        .filter_map(|v| {
            item_from_value(v)
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
                views,
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
        TicketSource {
            kind: Kind::Incremental(IncrementalSource {
                api,
                start_time,
                cursor,
                done: false,
                opts,
            }),
        }
    }

    pub fn file(reader: ExportReader, opts: SourceOptions) -> Self {
        TicketSource {
            kind: Kind::File { reader, opts },
        }
    }

    /// The number of tickets to expect, when it can be known cheaply (for progress).
    pub async fn total_hint(&self) -> Option<u64> {
        match &self.kind {
            Kind::Views(ViewsSource { api, views, .. }) => {
                let mut total = 0;
                for &v in views {
                    if let Some(ids) = api.cached_listing(v).ok().flatten() {
                        total += ids.len() as u64;
                    } else {
                        total += api.view_count(v).await.ok().flatten()?;
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

    /// The next page, or `None` at the end. Pages from Zendesk are enriched with
    /// names (and conversations); an export file's records are used as they are.
    pub async fn next_page(&mut self) -> Result<Option<FetchedPage>, FetchError> {
        let (fetched, api, opts) = match &mut self.kind {
            Kind::Views(source) => (
                source.next().await?,
                source.api.clone(),
                source.opts.clone(),
            ),
            Kind::Incremental(source) => (
                source.next().await?,
                source.api.clone(),
                source.opts.clone(),
            ),
            Kind::File { reader, opts } => return next_file_page(reader, opts),
        };
        let Some((mut page, people)) = fetched else {
            return Ok(None);
        };
        if opts.exclude_deleted {
            drop_deleted(&mut page.items);
        }
        enrich(&api, &mut page.items, &opts, people).await?;
        Ok(Some(page))
    }
}

impl ViewsSource {
    /// The next page of the current view, moving on to the next view when one is
    /// exhausted; `None` after the last view.
    async fn next(&mut self) -> Result<Option<(FetchedPage, Sideloads)>, FetchError> {
        loop {
            let Some(&view) = self.views.get(self.index) else {
                return Ok(None);
            };
            if let Some((items, people)) = next_view_page(&self.api, view, &mut self.state).await? {
                return Ok(Some((self.first_sightings(view, items), people)));
            }
            self.index += 1;
            self.state = ViewState::Start;
        }
    }

    /// The page of `view`'s tickets not emitted before. Each ticket is emitted once
    /// per run: a ticket in several views (its later views become memberships), or
    /// listed twice while the view changes under a long listing.
    fn first_sightings(&mut self, view: u64, mut items: Vec<WorkItem>) -> FetchedPage {
        for it in &mut items {
            it.view_id = Some(view);
        }
        let mut memberships = Vec::new();
        items.retain(|it| {
            let first = self.seen.insert(it.ticket.id);
            if !first {
                memberships.push((it.ticket.id, view));
            }
            first
        });
        FetchedPage {
            items,
            resume: None,
            memberships,
        }
    }
}

impl IncrementalSource {
    /// The next page of the export, resumable from the cursor after it; `None` once
    /// the export reached its end.
    async fn next(&mut self) -> Result<Option<(FetchedPage, Sideloads)>, FetchError> {
        if self.done {
            return Ok(None);
        }
        let mut page = self
            .api
            .incremental(Some(self.start_time), self.cursor.as_deref())
            .await?;
        let people = self.api.sideloads(
            std::mem::take(&mut page.users),
            std::mem::take(&mut page.organizations),
        )?;
        let same_cursor = page.after_cursor.is_some() && page.after_cursor == self.cursor;
        if same_cursor && !page.end_of_stream && !page.tickets.is_empty() {
            return Err(FetchError::Protocol(
                "the incremental export sent the same cursor again with tickets; stopping instead of looping".into(),
            ));
        }
        self.done = page.end_of_stream
            || page.after_cursor.is_none()
            || page.tickets.is_empty() && same_cursor;
        if page.after_cursor.is_some() {
            self.cursor = page.after_cursor.clone();
        }
        let page = FetchedPage {
            items: latest_versions(parse_tickets(page.tickets)),
            resume: self.cursor.clone().map(ResumePoint::Cursor),
            memberships: Vec::new(),
        };
        Ok(Some((page, people)))
    }
}

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
fn next_file_page(
    reader: &mut ExportReader,
    opts: &SourceOptions,
) -> Result<Option<FetchedPage>, FetchError> {
    let items = reader.next_items(PAGE_SIZE * 10)?;
    if items.is_empty() {
        return Ok(None);
    }
    let mut page = FetchedPage {
        items,
        resume: None,
        memberships: Vec::new(),
    };
    if opts.exclude_deleted {
        drop_deleted(&mut page.items);
    }
    Ok(Some(page))
}

/// Drops soft-deleted tickets (`exclude_deleted`).
fn drop_deleted(items: &mut Vec<WorkItem>) {
    items.retain(|it| it.ticket.status.as_deref() != Some("deleted"));
}

/// The next page of one view, or `None` when the view is exhausted.
async fn next_view_page(
    api: &Api,
    view: u64,
    state: &mut ViewState,
) -> Result<Option<(Vec<WorkItem>, Sideloads)>, FetchError> {
    if let ViewState::Start = state {
        *state = start_view(api, view).await?;
        if let ViewState::Paging { .. } = state {
            let page = api.view_page(view, None).await?;
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
                Sideloads::default(),
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

/// Where a view starts: its cached listing, the pages an interrupted run stored, or
/// paging from the first page. One cheap (cached) call first gives a clear "view N
/// not found" before any paging, and the view's title for reports.
async fn start_view(api: &Api, view: u64) -> Result<ViewState, FetchError> {
    if !api.offline {
        api.view(view).await?;
    }
    match api.cached_listing(view)? {
        Some(ids) => Ok(ViewState::Listing {
            ids,
            pos: 0,
            then: None,
        }),
        None if api.offline => Err(FetchError::Offline(format!(
            "the ticket listing of view {view}"
        ))),
        None => resume_or_start(api, view),
    }
}

/// The tickets of `chunk` (ids from a listing) by id; those deleted since the listing
/// are skipped with a warning.
async fn listed_tickets(api: &Api, view: u64, chunk: &[u64]) -> Result<Vec<WorkItem>, FetchError> {
    let tickets = api.tickets(chunk).await?;
    if tickets.len() < chunk.len() {
        let have: HashSet<u64> = tickets.iter().map(|t| t.id).collect();
        let gone: Vec<u64> = chunk
            .iter()
            .copied()
            .filter(|id| !have.contains(id))
            .collect();
        tracing::warn!(
            "{} of view {view} no longer exist; skipped",
            describe_ids("tickets", &gone)
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
    view: u64,
    state: &mut ViewState,
    url: &str,
    resumed: bool,
) -> Result<ViewPage, FetchError> {
    match api.view_page(view, Some(url)).await {
        Err(
            FetchError::Status {
                status: 400..=499, ..
            }
            | FetchError::NotFound { .. },
        ) if resumed => {
            tracing::warn!("view {view}: the stored listing position is no longer valid; listing the view again");
            api.clear_listing_pages(view)?;
            *state = ViewState::first_page();
            api.view_page(view, None).await
        }
        other => other,
    }
}

/// Takes in one listed page of a view: caches its tickets, stores its ids and the
/// link after it (so an interrupted run resumes there) and, after the last page, the
/// whole listing.
fn store_view_page(
    api: &Api,
    view: u64,
    state: &mut ViewState,
    page: ViewPage,
) -> Result<(Vec<WorkItem>, Sideloads), FetchError> {
    let items = parse_tickets(page.tickets);
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
    for it in &items {
        if it.error.is_none() {
            api.store_ticket(&it.ticket)?;
        } else {
            *clean = false;
        }
        ids.push(it.ticket.id);
    }
    *next = page.next;
    *resumed = false;
    if next.is_some() && *clean {
        let done = ListingPage {
            ids: items.iter().map(|it| it.ticket.id).collect(),
            next: next.clone(),
        };
        api.store_listing_page(view, *pages, &done)?;
        *pages += 1;
    }
    if next.is_none() {
        // A listing is reused only if every ticket in it is cached; one that could not
        // be read would otherwise vanish from a warm rerun instead of failing again.
        if *clean {
            api.store_listing(view, ids)?;
        }
        api.clear_listing_pages(view)?;
    }
    Ok((items, page.people))
}

/// A view without a complete listing: continue the pages an interrupted run stored
/// (their tickets by id, then paging from where it stopped), or start paging.
fn resume_or_start(api: &Api, view: u64) -> Result<ViewState, FetchError> {
    let stored = api.listing_pages(view)?;
    let Some(next) = stored.last().and_then(|p| p.next.clone()) else {
        return Ok(ViewState::first_page());
    };
    let pages = stored.len() as u32;
    let ids: Vec<u64> = stored.into_iter().flat_map(|p| p.ids).collect();
    tracing::info!(
        "view {view}: resuming an unfinished listing after {} tickets",
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
) -> Result<(), FetchError> {
    let Sideloads {
        mut users,
        mut organizations,
    } = known;
    let requesters: Vec<u64> = unique(items.iter().filter_map(|it| it.ticket.requester_id))
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
    }
    if opts.include_comments {
        add_conversations(api, items, opts.max_input_chars).await?;
    }
    Ok(())
}

/// Fetches every readable ticket's comments at once and sets its conversation.
async fn add_conversations(
    api: &Arc<Api>,
    items: &mut [WorkItem],
    max_input_chars: usize,
) -> Result<(), FetchError> {
    let mut tasks = JoinSet::new();
    for (i, it) in items.iter().enumerate() {
        // Soft-deleted tickets have no readable comments.
        if it.error.is_some() || it.ticket.status.as_deref() == Some("deleted") {
            continue;
        }
        let api = api.clone();
        let ticket = it.ticket.clone();
        tasks.spawn(async move { (i, api.comments(&ticket).await) });
    }
    while let Some(joined) = tasks.join_next().await {
        let (i, comments) =
            joined.map_err(|e| FetchError::Protocol(format!("comment fetch task failed: {e}")))?;
        match comments {
            Ok(c) => items[i].conversation = Some(conversation(&c, max_input_chars)),
            // One ticket's comments gone (404) or hidden (403): it is analyzed from
            // its first message; the run goes on.
            Err(e @ (FetchError::NotFound { .. } | FetchError::Forbidden { .. })) => {
                tracing::warn!(
                    "ticket {}: {e}; analyzing its first message only",
                    items[i].ticket.id
                )
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn unique(ids: impl Iterator<Item = u64>) -> Vec<u64> {
    let mut seen = HashSet::new();
    ids.filter(|id| seen.insert(*id)).collect()
}

/// The public comments joined oldest first. Over `max_chars`, the first message is
/// kept and then as many of the most recent comments as fit, since the opening and
/// the latest state of a conversation say most about it.
pub fn conversation(comments: &[Comment], max_chars: usize) -> String {
    const SEP: &str = "\n\n---\n\n";
    let bodies: Vec<&str> = comments
        .iter()
        .filter(|c| c.public)
        .map(|c| c.body.trim())
        .collect();
    let total: usize = bodies.iter().map(|b| b.chars().count() + SEP.len()).sum();
    if total <= max_chars {
        return bodies.join(SEP);
    }
    let Some((first, rest)) = bodies.split_first() else {
        return String::new();
    };
    let first: String = first.chars().take(max_chars).collect();
    let mut budget = max_chars.saturating_sub(first.chars().count());
    let mut tail = Vec::new();
    for b in rest.iter().rev() {
        let need = b.chars().count() + SEP.len();
        if need > budget {
            break;
        }
        budget -= need;
        tail.push(*b);
    }
    tail.reverse();
    std::iter::once(first.as_str())
        .chain(tail)
        .collect::<Vec<_>>()
        .join(SEP)
}
