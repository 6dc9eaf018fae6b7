//! The Zendesk endpoints zdpipe uses, with the cache in front of each.
//!
//! Every read goes to the cache first (per the run's [`ReadPolicy`]) and stores what
//! it fetched. With `offline` set nothing is sent: a miss is a [`FetchError::Offline`]
//! naming what is missing. Cursor pagination follows `meta.has_more` and
//! `links.next` with `page[size]=100`, never offset pages (capped at 10,000 records).
//! Every URL is built with `reqwest::Url` under the account's base URL; query values
//! (ids, cursors) are percent-encoded by `query_pairs_mut`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use reqwest::Url;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use serde_json::Value;

use super::budget::Budget;
use super::client::{follow, ZendeskClient};
use super::head::{export_head, ExportHead};
use super::FetchError;
use crate::cache::{Cache, CacheKey, LookupList, ReadPolicy};
use crate::http::{redacted, BaseUrl};
use crate::model::{Comment, MetricSet, Ticket, User, View};

/// Zendesk's maximum for `page[size]` and `show_many` ids.
pub const PAGE_SIZE: usize = 100;

/// The search export, under the API root.
pub const SEARCH_EXPORT_PATH: &str = "search/export.json";

/// Requesters and organizations come with each page, saving `show_many` calls.
const SIDELOADS: (&str, &str) = ("include", "users,organizations");
/// The same with each ticket's metric set, when the run's columns need them.
const SIDELOADS_WITH_METRICS: (&str, &str) = ("include", "users,organizations,metric_sets");

#[derive(Debug, Default, Deserialize)]
struct Meta {
    #[serde(default)]
    has_more: bool,
}

#[derive(Debug, Default, Deserialize)]
struct Links {
    #[serde(default)]
    next: Option<String>,
}

/// One page of a cursor-paginated list.
#[derive(Debug, Deserialize)]
struct CursorPage {
    #[serde(default)]
    meta: Meta,
    #[serde(default)]
    links: Links,
    #[serde(flatten)]
    rest: serde_json::Map<String, Value>,
}

/// The next page's URL, refusing a server that sends the same page again (which
/// would otherwise loop forever) or a link outside the API.
fn advance(
    base: &BaseUrl,
    current: &Url,
    next: Option<String>,
    what: &str,
) -> Result<Option<Url>, FetchError> {
    let Some(link) = next else {
        return Ok(None);
    };
    let url = follow(base, &link, what)?;
    if url == *current {
        return Err(FetchError::Protocol(format!(
            "{what}: the server sent the same page link again ({}); stopping instead of looping",
            redacted(&url)
        )));
    }
    Ok(Some(url))
}

impl CursorPage {
    fn items(&mut self, key: &str) -> Vec<Value> {
        match self.rest.remove(key) {
            Some(Value::Array(v)) => v,
            _ => Vec::new(),
        }
    }

    fn next(&self) -> Option<String> {
        if self.meta.has_more {
            self.links.next.clone()
        } else {
            None
        }
    }
}

/// Records of a page kept as their raw JSON text, so each is parsed once, straight
/// into its type (and one bad record fails only itself).
pub type RawRecords = Vec<Box<RawValue>>;

/// A missing or `null` list is an empty one.
fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// One page of tickets with cursor pagination and sideloads (a view's listing).
#[derive(Debug, Deserialize)]
struct TicketsPage {
    #[serde(default)]
    meta: Meta,
    #[serde(default)]
    links: Links,
    #[serde(default, deserialize_with = "null_as_empty")]
    tickets: RawRecords,
    #[serde(default, deserialize_with = "null_as_empty")]
    users: RawRecords,
    #[serde(default, deserialize_with = "null_as_empty")]
    organizations: RawRecords,
    #[serde(default, deserialize_with = "null_as_empty")]
    metric_sets: RawRecords,
}

/// One page of the search export (`filter[type]=ticket`): its results are tickets.
#[derive(Debug, Deserialize)]
struct SearchPage {
    #[serde(default)]
    meta: Meta,
    #[serde(default)]
    links: Links,
    #[serde(default, deserialize_with = "null_as_empty")]
    results: RawRecords,
}

/// One page of a view listing in progress: its ticket ids and the link after it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct ListingPage {
    pub ids: Vec<u64>,
    pub next: Option<String>,
}

/// What the incremental export's requests are called in messages.
pub const INCREMENTAL: &str = "the incremental ticket export";

/// An incremental export page as received: its head, read at once for the next
/// request, and its bytes, parsed on the page's own task.
#[derive(Debug)]
pub struct ExportBody {
    pub head: ExportHead,
    pub body: Vec<u8>,
}

/// One page of the incremental ticket export, its tickets as raw records (`T`) or
/// parsed straight into [`Ticket`]s (the fast path, when every record is one).
#[derive(Debug, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct IncrementalPage<T = Box<RawValue>> {
    #[serde(default = "Vec::new", deserialize_with = "null_as_empty")]
    pub tickets: Vec<T>,
    /// Sideloaded with `include=users,organizations`.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub users: RawRecords,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub organizations: RawRecords,
    /// Sideloaded with `include=metric_sets` when the run's columns need them.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub metric_sets: RawRecords,
    #[serde(default)]
    pub after_cursor: Option<String>,
    #[serde(default)]
    pub end_of_stream: bool,
}

/// One page of the time-based ticket events export: up to 1000 events, each a
/// ticket update whose `child_events` hold its comments. The next page starts at
/// `end_time` (what `next_page` links to) until `end_of_stream`.
#[derive(Debug, Deserialize)]
pub struct TicketEventsPage {
    #[serde(default)]
    pub ticket_events: Vec<Value>,
    #[serde(default)]
    pub end_time: Option<i64>,
    #[serde(default)]
    pub end_of_stream: bool,
}

/// A page of a view's tickets: raw objects (parsed one by one, so one bad record
/// fails only itself) and the link to the next page.
pub struct ViewPage {
    pub tickets: RawRecords,
    pub next: Option<String>,
    /// Requesters and organizations sideloaded with the page, as they came: parsed
    /// and cached off the listing's path ([`Api::sideloads`]).
    pub people: RawPeople,
    /// The tickets' metric sets, when asked for ([`Api::metric_sets`]).
    pub metric_sets: MetricSets,
}

/// Users and organizations sideloaded with a page, not parsed yet.
#[derive(Debug, Default)]
pub struct RawPeople {
    pub users: RawRecords,
    pub organizations: RawRecords,
}

/// Metric sets by ticket id.
pub type MetricSets = HashMap<u64, MetricSet>;

/// Reads sideloaded metric sets; one that does not parse is left out (its ticket's
/// metric columns stay empty).
pub fn metric_sets(raw: &RawRecords) -> MetricSets {
    raw.iter()
        .filter_map(|v| serde_json::from_str::<MetricSet>(v.get()).ok())
        .map(|m| (m.ticket_id, m))
        .collect()
}

/// Users and organizations that came with a page (`include=users,organizations`),
/// so each page needs no `show_many` calls of its own.
#[derive(Debug, Default)]
pub struct Sideloads {
    pub users: HashMap<u64, User>,
    pub organizations: HashMap<u64, User>,
}

impl Sideloads {
    /// The readable records of a page's sideloads (one that is not is left out).
    fn parse(users: RawRecords, organizations: RawRecords) -> Sideloads {
        Sideloads::parse_each(users, organizations, |_, _| {})
    }

    /// [`Sideloads::parse`], handing `each` every readable record's person
    /// (whether an organization, and id) and its text as the page has it.
    fn parse_each(
        users: RawRecords,
        organizations: RawRecords,
        mut each: impl FnMut((bool, u64), &str),
    ) -> Sideloads {
        let mut parse = |raw: RawRecords, organization: bool| -> HashMap<u64, User> {
            let mut out = HashMap::with_capacity(raw.len());
            for v in &raw {
                if let Ok(u) = serde_json::from_str::<User>(v.get()) {
                    each((organization, u.id), v.get());
                    out.insert(u.id, u);
                }
            }
            out
        };
        let users = parse(users, false);
        let organizations = parse(organizations, true);
        Sideloads {
            users,
            organizations,
        }
    }

    /// The cache key and stored record of a person (whether an organization, and id).
    fn payload(&self, (organization, id): (bool, u64)) -> Option<(CacheKey, Vec<u8>)> {
        let (key, record) = if organization {
            (CacheKey::Organization(id), self.organizations.get(&id)?)
        } else {
            (CacheKey::User(id), self.users.get(&id)?)
        };
        Some((key, encode(record)))
    }

    /// Each person's cache key and record as the cache stores it.
    fn payloads(&self) -> impl Iterator<Item = (CacheKey, Vec<u8>)> + '_ {
        let users = self.users.keys().map(|&id| (false, id));
        let organizations = self.organizations.keys().map(|&id| (true, id));
        users
            .chain(organizations)
            .filter_map(|person| self.payload(person))
    }
}

/// The client with the cache in front.
pub struct Api {
    pub client: ZendeskClient,
    pub cache: Option<Arc<Cache>>,
    pub policy: ReadPolicy,
    pub offline: bool,
    /// Whether ticket pages sideload `metric_sets` (set once, before listing, when
    /// the run's columns need them; otherwise the requests stay as they were).
    pub metric_sets: AtomicBool,
    /// The people the incremental export has stored (or found stored) this run, by
    /// (whether an organization, id), with a hash of each one's record: see
    /// [`Api::export_sideloads`].
    pub exported_people: std::sync::Mutex<HashMap<(bool, u64), u64>>,
}

/// The most people [`Api::exported_people`] remembers (25 bytes each in the map,
/// about 3.3 MB when full); past it, it starts again.
const MAX_EXPORTED_PEOPLE: usize = 100_000;

/// A hash of `bytes` for telling a record seen before from a changed one.
fn hash_of(bytes: &[u8]) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    std::hash::Hasher::write(&mut hasher, bytes);
    std::hash::Hasher::finish(&hasher)
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    serde_json::from_slice(bytes).ok()
}

/// A record as the cache stores it: its JSON.
fn encode<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("plain data serializes")
}

impl Api {
    fn cached<T: serde::de::DeserializeOwned>(
        &self,
        key: &CacheKey,
    ) -> Result<Option<T>, FetchError> {
        match &self.cache {
            Some(c) => Ok(c.get(key, self.policy)?.and_then(|b| decode(&b))),
            None => Ok(None),
        }
    }

    fn store<T: serde::Serialize>(&self, key: &CacheKey, value: &T) -> Result<(), FetchError> {
        if let Some(c) = &self.cache {
            c.put(key, &encode(value))?;
        }
        Ok(())
    }

    /// Stores many values with one cache write (a page's tickets or people).
    fn store_all<'a, T: serde::Serialize + 'a>(
        &self,
        values: impl IntoIterator<Item = (CacheKey, &'a T)>,
    ) -> Result<(), FetchError> {
        if let Some(c) = &self.cache {
            c.put_many(values.into_iter().map(|(k, v)| (k, encode(v))))?;
        }
        Ok(())
    }

    fn online(&self, what: impl FnOnce() -> String) -> Result<(), FetchError> {
        if self.offline {
            Err(FetchError::Offline(what()))
        } else {
            Ok(())
        }
    }

    /// The `include` parameter of ticket pages.
    fn sideloads_param(&self) -> (&'static str, &'static str) {
        if self.metric_sets.load(Ordering::Relaxed) {
            SIDELOADS_WITH_METRICS
        } else {
            SIDELOADS
        }
    }

    /// One of the account's lookup lists, whole (every page), as raw records; cached
    /// with the users' TTL, so a run asks for each list once.
    pub async fn lookup_list(&self, list: LookupList) -> Result<Vec<Value>, FetchError> {
        let key = CacheKey::Lookup(list);
        if let Some(v) = self.cached(&key)? {
            return Ok(v);
        }
        let what = format!("the list of {}", list.name().replace('_', " "));
        self.online(|| what.clone())?;
        let mut out = Vec::new();
        let size = PAGE_SIZE.to_string();
        let mut next = Some(
            self.client
                .api_url(&format!("{}.json", list.name()), &[("page[size]", &size)]),
        );
        while let Some(url) = next {
            let mut page: CursorPage = self.client.get_json(&url, Budget::Api, &what).await?;
            out.extend(page.items(list.name()));
            next = advance(self.client.base_url(), &url, page.next(), &what)?;
        }
        self.store(&key, &out)?;
        Ok(out)
    }

    /// Who the credentials belong to: the cheap call behind `zdpipe check`.
    pub async fn me(&self) -> Result<Value, FetchError> {
        self.client
            .get_json(
                &self.client.api_url("users/me.json", &[]),
                Budget::Api,
                "the current user",
            )
            .await
    }

    /// Every view of the account (active and inactive), in Zendesk's order.
    pub async fn views(&self) -> Result<Vec<View>, FetchError> {
        if let Some(v) = self.cached(&CacheKey::ViewList)? {
            return Ok(v);
        }
        self.online(|| "the list of views".into())?;
        let mut out = Vec::new();
        let what = "the list of views";
        let size = PAGE_SIZE.to_string();
        let mut next = Some(self.client.api_url("views.json", &[("page[size]", &size)]));
        while let Some(url) = next {
            let mut page: CursorPage = self.client.get_json(&url, Budget::Api, what).await?;
            for v in page.items("views") {
                match serde_json::from_value::<View>(v) {
                    Ok(view) => out.push(view),
                    Err(e) => tracing::warn!("skipping a view that could not be read: {e}"),
                }
            }
            next = advance(self.client.base_url(), &url, page.next(), what)?;
        }
        self.store(&CacheKey::ViewList, &out)?;
        Ok(out)
    }

    /// One view's settings; a 404 says "view N not found in HOST".
    pub async fn view(&self, id: u64) -> Result<View, FetchError> {
        if let Some(v) = self.cached(&CacheKey::View(id))? {
            return Ok(v);
        }
        self.online(|| format!("view {id}"))?;
        #[derive(Deserialize)]
        struct One {
            view: View,
        }
        let one: One = self
            .client
            .get_json(
                &self.client.api_url(&format!("views/{id}.json"), &[]),
                Budget::Api,
                &format!("view {id}"),
            )
            .await?;
        self.store(&CacheKey::View(id), &one.view)?;
        Ok(one.view)
    }

    /// The number of tickets in a view, when Zendesk knows it (it may answer null).
    /// Cached with the views TTL: Zendesk allows 5 count requests per view per minute.
    pub async fn view_count(&self, id: u64) -> Result<Option<u64>, FetchError> {
        if let Some(n) = self.cached::<Option<u64>>(&CacheKey::ViewCount(id))? {
            return Ok(n);
        }
        if self.offline {
            return Ok(None);
        }
        let v: Value = self
            .client
            .get_json(
                &self.client.api_url(&format!("views/{id}/count.json"), &[]),
                Budget::Api,
                &format!("view {id}"),
            )
            .await?;
        let n = v.pointer("/view_count/value").and_then(Value::as_u64);
        self.store(&CacheKey::ViewCount(id), &n)?;
        Ok(n)
    }

    /// The ticket ids of a view stored by an earlier complete listing.
    pub fn cached_listing(&self, id: u64) -> Result<Option<Vec<u64>>, FetchError> {
        self.cached(&CacheKey::ViewListing(id))
    }

    pub fn store_listing(&self, id: u64, ids: &[u64]) -> Result<(), FetchError> {
        self.store(&CacheKey::ViewListing(id), &ids)
    }

    /// Records page `n` of a view listing still being paged, so a run killed mid-way
    /// can resume after it (kept with the listing TTL).
    pub fn store_listing_page(
        &self,
        id: u64,
        n: u32,
        page: &ListingPage,
    ) -> Result<(), FetchError> {
        self.store(&CacheKey::ListingPage { view: id, page: n }, page)
    }

    /// The pages of an unfinished listing of view `id` stored by an earlier run, in order.
    pub fn listing_pages(&self, id: u64) -> Result<Vec<ListingPage>, FetchError> {
        let mut pages = Vec::new();
        while let Some(p) = self.cached::<ListingPage>(&CacheKey::ListingPage {
            view: id,
            page: pages.len() as u32,
        })? {
            pages.push(p);
        }
        Ok(pages)
    }

    /// Forgets the pages of an unfinished listing (it is complete, or unusable).
    pub fn clear_listing_pages(&self, id: u64) -> Result<(), FetchError> {
        if let Some(c) = &self.cache {
            c.remove_listing_pages(id)?;
        }
        Ok(())
    }

    /// One page of `GET /api/v2/views/{id}/tickets`; `next` is the previous page's link.
    pub async fn view_page(&self, id: u64, next: Option<&str>) -> Result<ViewPage, FetchError> {
        self.online(|| format!("the ticket listing of view {id}"))?;
        let what = format!("view {id}");
        let base = self.client.base_url();
        let url = match next {
            Some(link) => follow(base, link, &what)?,
            None => self.client.api_url(
                &format!("views/{id}/tickets.json"),
                &[
                    ("page[size]", &PAGE_SIZE.to_string()),
                    self.sideloads_param(),
                ],
            ),
        };
        let page: TicketsPage = self.client.get_json(&url, Budget::Api, &what).await?;
        let next = page.meta.has_more.then_some(page.links.next).flatten();
        Ok(ViewPage {
            tickets: page.tickets,
            next: advance(base, &url, next, &what)?.map(String::from),
            people: RawPeople {
                users: page.users,
                organizations: page.organizations,
            },
            metric_sets: metric_sets(&page.metric_sets),
        })
    }

    /// One page of `GET /api/v2/search/export` for `query`, tickets only; `next` is
    /// the previous page's link. The export sideloads nobody, so the page's people
    /// are looked up like a listing's (cache, then `show_many`). It has a budget of
    /// its own besides the account's ([`super::budget`]); its cursors are
    /// short-lived, so a link kept by a killed run may have expired.
    pub async fn search_page(
        &self,
        query: &str,
        next: Option<&str>,
    ) -> Result<ViewPage, FetchError> {
        let what = "the search export";
        self.online(|| what.into())?;
        let base = self.client.base_url();
        let url = match next {
            Some(link) => follow(base, link, what)?,
            None => self.client.api_url(
                SEARCH_EXPORT_PATH,
                &[
                    ("query", query),
                    ("filter[type]", "ticket"),
                    ("page[size]", &PAGE_SIZE.to_string()),
                ],
            ),
        };
        let page: SearchPage = self.client.get_json(&url, Budget::Search, what).await?;
        let next = page.meta.has_more.then_some(page.links.next).flatten();
        Ok(ViewPage {
            tickets: page.results,
            next: advance(base, &url, next, what)?.map(String::from),
            people: RawPeople::default(),
            metric_sets: MetricSets::default(),
        })
    }

    /// Reads sideloaded users and organizations and stores them like fetched ones,
    /// but for those stored already as they are ([`Cache::put_changed`]): the same
    /// people come back page after page.
    pub fn sideloads(
        &self,
        users: RawRecords,
        organizations: RawRecords,
    ) -> Result<Sideloads, FetchError> {
        let out = Sideloads::parse(users, organizations);
        if let Some(cache) = &self.cache {
            cache.put_changed(out.payloads())?;
        }
        Ok(out)
    }

    /// [`Api::sideloads`] for the pages of the incremental export, which are read
    /// one after the other and sideload the same people again and again (the 20
    /// pages of 20,000 sandbox tickets: 18,702 users, 6,351 of them different). A
    /// person whose record reads as it did (the same text) when this run last
    /// stored or found it is neither serialized nor looked up again. Only the
    /// export: a view's pages also write their tickets to the cache, and there fewer
    /// cache reads kept more of those pages in memory (sled pages its cache out as
    /// it is used; see [`Cache::put_changed`]).
    pub fn export_sideloads(
        &self,
        users: RawRecords,
        organizations: RawRecords,
    ) -> Result<Sideloads, FetchError> {
        let Some(cache) = &self.cache else {
            return Ok(Sideloads::parse(users, organizations));
        };
        let mut hashes = Vec::new();
        let out = Sideloads::parse_each(users, organizations, |person, text| {
            hashes.push((person, hash_of(text.as_bytes())));
        });
        // A person is compared by the text the page has, so a person seen already
        // is not serialized again; a changed text whose record is the same is left
        // as it is by `put_changed`.
        let changed: Vec<(bool, u64)> = {
            let mut seen = self
                .exported_people
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if seen.len() > MAX_EXPORTED_PEOPLE {
                seen.clear();
            }
            hashes
                .into_iter()
                .filter(|&(person, hash)| seen.insert(person, hash) != Some(hash))
                .map(|(person, _)| person)
                .collect()
        };
        let fresh: Vec<(CacheKey, Vec<u8>)> =
            changed.into_iter().filter_map(|p| out.payload(p)).collect();
        cache.put_changed(fresh)?;
        Ok(out)
    }

    /// Stores a page's fetched tickets with one cache write.
    pub fn store_tickets<'a>(
        &self,
        tickets: impl IntoIterator<Item = &'a Ticket>,
    ) -> Result<(), FetchError> {
        self.store_all(tickets.into_iter().map(|t| (CacheKey::Ticket(t.id), t)))
    }

    /// Tickets by id, in the order asked: cached ones from the cache, the rest with
    /// `tickets/show_many` (100 ids per call, with their metric sets when the run's
    /// columns need them). Ids Zendesk no longer has are left out.
    pub async fn tickets(&self, ids: &[u64]) -> Result<Vec<Ticket>, FetchError> {
        let mut found: HashMap<u64, Ticket> = HashMap::with_capacity(ids.len());
        let mut missing = Vec::new();
        // A ticket cached by a run that did not sideload metric sets lacks its own:
        // fetched again when a metric column needs it (offline, taken as it is).
        let refetch = self.metric_sets.load(Ordering::Relaxed) && !self.offline;
        for &id in ids {
            match self.cached::<Ticket>(&CacheKey::Ticket(id))? {
                Some(t) if !(refetch && t.metric_set.is_none()) => {
                    found.insert(id, t);
                }
                _ => missing.push(id),
            }
        }
        if !missing.is_empty() {
            self.online(|| describe_ids("tickets", &missing))?;
            for chunk in missing.chunks(PAGE_SIZE) {
                let mut params = vec![("ids", join_ids(chunk))];
                if self.metric_sets.load(Ordering::Relaxed) {
                    params.push(("include", "metric_sets".to_string()));
                }
                let params: Vec<(&str, &str)> =
                    params.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let url = self.client.api_url("tickets/show_many.json", &params);
                let page: TicketsPage = self.client.get_json(&url, Budget::Api, "tickets").await?;
                let mut metrics = metric_sets(&page.metric_sets);
                let tickets: Vec<Ticket> = page
                    .tickets
                    .iter()
                    .filter_map(|v| serde_json::from_str::<Ticket>(v.get()).ok())
                    .map(|mut t| {
                        t.metric_set = metrics.remove(&t.id);
                        t
                    })
                    .collect();
                self.store_tickets(&tickets)?;
                found.extend(tickets.into_iter().map(|t| (t.id, t)));
            }
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    /// Users by id, from the cache or `users/show_many`. Offline, missing users are
    /// simply absent.
    pub async fn users(&self, ids: &[u64]) -> Result<HashMap<u64, User>, FetchError> {
        self.named(ids, CacheKey::User, "users").await
    }

    /// Organization names by id (`organizations/show_many`), cached with the users.
    pub async fn organizations(&self, ids: &[u64]) -> Result<HashMap<u64, User>, FetchError> {
        self.named(ids, CacheKey::Organization, "organizations")
            .await
    }

    async fn named(
        &self,
        ids: &[u64],
        key: fn(u64) -> CacheKey,
        kind: &str,
    ) -> Result<HashMap<u64, User>, FetchError> {
        let mut out = HashMap::new();
        let mut missing = Vec::new();
        for &id in ids {
            match self.cached::<User>(&key(id))? {
                Some(u) => {
                    out.insert(id, u);
                }
                None => missing.push(id),
            }
        }
        if self.offline || missing.is_empty() {
            return Ok(out);
        }
        for chunk in missing.chunks(PAGE_SIZE) {
            let url = self.client.api_url(
                &format!("{kind}/show_many.json"),
                &[("ids", &join_ids(chunk))],
            );
            let mut page: CursorPage = self.client.get_json(&url, Budget::Api, kind).await?;
            let named: Vec<User> = page
                .items(kind)
                .into_iter()
                .filter_map(|v| serde_json::from_value::<User>(v).ok())
                .collect();
            self.store_all(named.iter().map(|u| (key(u.id), u)))?;
            out.extend(named.into_iter().map(|u| (u.id, u)));
        }
        Ok(out)
    }

    /// A ticket's conversation, oldest first, cached with the tickets TTL and valid
    /// only for the ticket's `updated_at`.
    pub async fn comments(&self, ticket: &Ticket) -> Result<Vec<Comment>, FetchError> {
        #[derive(serde::Serialize, Deserialize)]
        struct Stored {
            updated_at: Option<String>,
            comments: Vec<Comment>,
        }
        let k = CacheKey::Comments(ticket.id);
        if let Some(s) = self.cached::<Stored>(&k)? {
            if s.updated_at == ticket.updated_at {
                return Ok(s.comments);
            }
        }
        self.online(|| format!("the comments of ticket {}", ticket.id))?;
        let mut comments = Vec::new();
        let what = format!("comments of ticket {}", ticket.id);
        let mut next = Some(self.client.api_url(
            &format!("tickets/{}/comments.json", ticket.id),
            &[("page[size]", &PAGE_SIZE.to_string())],
        ));
        while let Some(url) = next {
            self.count_comment_request();
            let mut page: CursorPage = self.client.get_json(&url, Budget::Api, &what).await?;
            comments.extend(
                page.items("comments")
                    .into_iter()
                    .filter_map(|v| serde_json::from_value::<Comment>(v).ok()),
            );
            next = advance(self.client.base_url(), &url, page.next(), &what)?;
        }
        self.store(
            &k,
            &Stored {
                updated_at: ticket.updated_at.clone(),
                comments: comments.clone(),
            },
        )?;
        Ok(comments)
    }

    fn count_comment_request(&self) {
        self.client
            .counters
            .comment_requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// One page of the time-based ticket events export from `start_time`, with the
    /// comments' text (`include=comment_events`). Never cached; it shares the
    /// incremental exports' budget (10 requests a minute, 30 with High Volume).
    pub async fn ticket_events(&self, start_time: i64) -> Result<TicketEventsPage, FetchError> {
        self.online(|| "the ticket events export (it is never cached)".into())?;
        let url = self.client.api_url(
            "incremental/ticket_events.json",
            &[
                ("start_time", &start_time.to_string()),
                ("include", "comment_events"),
            ],
        );
        self.count_comment_request();
        self.client
            .get_json(&url, Budget::Incremental, "the ticket events export")
            .await
    }

    /// One page of the incremental export, from `start_time` or from a cursor.
    pub async fn incremental(
        &self,
        start_time: Option<i64>,
        cursor: Option<&str>,
    ) -> Result<ExportBody, FetchError> {
        self.online(|| "the incremental export (it is never cached)".into())?;
        let start_time = start_time.map(|t| t.to_string());
        let from = match (cursor, &start_time) {
            (Some(c), _) => ("cursor", c),
            (None, Some(t)) => ("start_time", t.as_str()),
            (None, None) => {
                return Err(FetchError::Protocol(
                    "incremental export needs a start time or a cursor".into(),
                ))
            }
        };
        let url = self.client.api_url(
            "incremental/tickets/cursor.json",
            &[("per_page", "1000"), self.sideloads_param(), from],
        );
        let read = |body: Vec<u8>| {
            Ok(ExportBody {
                head: export_head(&body)?,
                body,
            })
        };
        self.client
            .get_decoded(&url, Budget::Incremental, INCREMENTAL, read)
            .await
    }
}

fn join_ids(ids: &[u64]) -> String {
    ids.iter().map(u64::to_string).collect::<Vec<_>>().join(",")
}

/// "tickets 5, 7, 9 (+12 more)".
pub(super) fn describe_ids(what: &str, ids: &[u64]) -> String {
    let shown: Vec<String> = ids.iter().take(5).map(u64::to_string).collect();
    let more = ids.len().saturating_sub(5);
    if more > 0 {
        format!("{what} {} (+{more} more)", shown.join(", "))
    } else {
        format!("{what} {}", shown.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An `Api` over a cache in `dir`, for a server nothing is sent to.
    fn api_over(dir: &tempfile::TempDir) -> (Api, Arc<Cache>) {
        use crate::config::{Env, Pipeline, Secret};
        let env = Env {
            zendesk_email: Some("agent@example.com".into()),
            zendesk_api_token: Some(Secret::new("token")),
            ..Env::default()
        };
        let text = "name = \"t\"\n[fetch]\nbase_url = \"http://127.0.0.1:9\"\nviews = [1]\n\
                    [[write]]\nkind = \"csv\"\npath = \"out.csv\"\n";
        let pipeline = Pipeline::from_str(std::path::Path::new("t.toml"), text, &env).unwrap();
        let cache = Arc::new(crate::cache::open_for_test(dir));
        let access = super::super::connect::Access {
            policy: ReadPolicy::Fresh,
            offline: false,
        };
        let conn =
            super::super::connect::connect(&pipeline.fetch, &env, Some(cache.clone()), access);
        (conn.unwrap().api, cache)
    }

    #[test]
    fn the_export_stores_a_sideloaded_person_again_only_when_the_record_changed() {
        let dir = tempfile::tempdir().unwrap();
        let (api, cache) = api_over(&dir);
        let alice = CacheKey::User(1);
        let users = |name: &str| {
            let json = format!(r#"{{"id": 1, "name": "{name}", "role": "end-user"}}"#);
            vec![RawValue::from_string(json).unwrap()]
        };
        let stored = || {
            let bytes = cache.get(&alice, ReadPolicy::AnyAge).unwrap()?;
            Some(serde_json::from_slice::<User>(&bytes).unwrap().name)
        };
        let page = api.export_sideloads(users("Alice"), Vec::new()).unwrap();
        assert_eq!(page.users[&1].name, "Alice");
        assert_eq!(stored().as_deref(), Some("Alice"));
        // The same record on a later page: not looked up, so not written back either
        // (the removal stands for anything that could have changed the cache).
        cache.remove(&alice).unwrap();
        let page = api.export_sideloads(users("Alice"), Vec::new()).unwrap();
        assert_eq!(page.users[&1].name, "Alice");
        assert_eq!(stored(), None);
        // A changed record is stored.
        api.export_sideloads(users("Alice B."), Vec::new()).unwrap();
        assert_eq!(stored().as_deref(), Some("Alice B."));
        // A view's pages look each person up, and store one the cache lacks.
        cache.remove(&alice).unwrap();
        api.sideloads(users("Alice B."), Vec::new()).unwrap();
        assert_eq!(stored().as_deref(), Some("Alice B."));
    }

    #[test]
    fn a_repeated_page_link_is_an_error_not_a_loop() {
        let base = BaseUrl::parse("https://acme.zendesk.com").unwrap();
        let page = |n: u32| format!("https://acme.zendesk.com/api/v2/views.json?p={n}");
        let first = Url::parse(&page(1)).unwrap();
        let second = advance(&base, &first, Some(page(2)), "x").unwrap();
        assert_eq!(second.map(String::from), Some(page(2)));
        assert_eq!(advance(&base, &first, None, "x").unwrap(), None);
        let err = advance(&base, &first, Some(page(1)), "view 5").unwrap_err();
        assert!(err.to_string().contains("view 5") && err.to_string().contains("same page"));
        let err = advance(
            &base,
            &first,
            Some("https://evil.example/x".into()),
            "view 5",
        )
        .unwrap_err();
        assert!(err.to_string().contains("outside the API"), "{err}");
    }
}
