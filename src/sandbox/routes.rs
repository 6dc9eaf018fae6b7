//! The HTTP surface: Zendesk's endpoints (views, view tickets and counts, show_many,
//! comments, the incremental cursor export, the time-based ticket events export,
//! the search export, users/me, the lookup lists: ticket fields, groups, brands,
//! ticket forms), mounted with the admin routes. Ticket pages sideload `metric_sets`
//! when asked.
//!
//! Every `/api/v2` path also answers with a `.json` suffix, as Zendesk's do. Listing
//! responses follow Zendesk's cursor pagination (`page[size]`, `page[after]`,
//! `page[before]`; `meta` and `links`), with `links` made absolute from the request's
//! `Host` header so a client can follow them whatever address it used.

use std::collections::BTreeSet;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::json;

use super::data::{Dataset, ADMIN_ID};
use super::encode::{decode_cursor, encode_cursor, query_escape, unix_now, CursorKind};
use super::faults::api_middleware;
use super::records::{OrganizationRecord, TicketRecord, UserRecord};
use super::search::SearchQuery;
use super::views::{page_keys, KeyPage, Position, VIEWS};
use super::{admin, lookups, SandboxState};

type Params = Vec<(String, String)>;
pub(super) type ApiResult = Result<Response, ApiError>;

/// The most ids `show_many` accepts.
const SHOW_MANY_MAX: usize = 100;
/// Events per page of the ticket events export (Zendesk's fixed page size).
const EVENTS_PAGE_MAX: usize = 1000;

/// The sandbox's routes, with the API middleware (counting, faults...) on `/api/v2`
/// only, so that admin calls never skew the counts. Merge more routes into it freely.
pub fn router(state: SandboxState) -> Router {
    let api = [
        ("/api/v2/users/me", get(users_me)),
        ("/api/v2/views", get(list_views)),
        ("/api/v2/views/active", get(list_active_views)),
        ("/api/v2/views/{id}/tickets", get(view_tickets)),
        ("/api/v2/views/{id}/count", get(view_count)),
        ("/api/v2/tickets/show_many", get(tickets_show_many)),
        ("/api/v2/tickets/{id}/comments", get(ticket_comments)),
        ("/api/v2/users/show_many", get(users_show_many)),
        (
            "/api/v2/organizations/show_many",
            get(organizations_show_many),
        ),
        (
            "/api/v2/incremental/tickets/cursor",
            get(incremental_tickets),
        ),
        ("/api/v2/incremental/ticket_events", get(ticket_events)),
        ("/api/v2/ticket_fields", get(list_ticket_fields)),
        ("/api/v2/groups", get(list_groups)),
        ("/api/v2/brands", get(list_brands)),
        ("/api/v2/ticket_forms", get(list_ticket_forms)),
        ("/api/v2/search/export", get(search_export)),
    ]
    .into_iter()
    .fold(Router::new(), |r, (path, route)| {
        r.route(path, route.clone())
            .route(&format!("{path}.json"), route)
    })
    // These end in an id, which is parsed with or without `.json`.
    .route("/api/v2/views/{id}", get(show_view))
    .route("/api/v2/tickets/{id}", get(show_ticket))
    .fallback(unknown_endpoint)
    .layer(axum::middleware::from_fn_with_state(
        state.clone(),
        api_middleware,
    ));
    let llm = super::llm::llm_router(builtin_answer(), state.llm().clone());
    Router::new()
        .merge(admin::routes())
        .merge(api)
        .with_state(state)
        .merge(llm)
}

/// The simulated LLM answers what the built-in analyzer says about the text, so its
/// answers are plausible, schema-valid and deterministic.
fn builtin_answer() -> super::llm::AnswerFn {
    let analyzer = crate::analyze::builtin::BuiltinAnalyzer::new(Default::default())
        .expect("the built-in analyzer builds with default options");
    std::sync::Arc::new(move |text: &str| {
        use crate::analyze::{AnalysisInput, Analyzer};
        let input = AnalysisInput {
            ticket_id: 0,
            subject: "",
            body: text,
            tags: &[],
        };
        analyzer
            .analyze(&input)
            .expect("the built-in analyzer does not fail")
    })
}

/// A Zendesk-style error: `{"error": ..., "description": ...}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl ApiError {
    pub(super) fn not_found() -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            error: "RecordNotFound",
            description: "Not found".into(),
        }
    }

    fn invalid(error: &'static str, description: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            error,
            description: description.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.error, "description": self.description});
        (self.status, Json(body)).into_response()
    }
}

async fn unknown_endpoint() -> ApiError {
    ApiError {
        status: StatusCode::NOT_FOUND,
        error: "InvalidEndpoint",
        description: "Not found".into(),
    }
}

fn param<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Parses a path id, with or without the `.json` suffix; unparsable ids are not found.
pub(super) fn path_id(raw: &str) -> Result<u64, ApiError> {
    raw.strip_suffix(".json")
        .unwrap_or(raw)
        .parse()
        .map_err(|_| ApiError::not_found())
}

/// `http://host` as the client addressed us, for absolute links.
fn origin(headers: &HeaderMap, dataset: &Dataset) -> String {
    match headers.get("host").and_then(|h| h.to_str().ok()) {
        Some(host) => format!("http://{host}"),
        None => dataset.origin().to_string(),
    }
}

/// The request's URL with `replace` swapped in for the given parameters.
fn link(origin: &str, uri: &Uri, params: &Params, replace: &[(&str, String)]) -> String {
    let mut url = format!("{origin}{}", uri.path());
    let kept = params
        .iter()
        .filter(|(k, _)| !k.starts_with("page[") && k != "cursor" && k != "start_time");
    let pairs = kept
        .map(|(k, v)| (k.as_str(), v.clone()))
        .chain(replace.iter().cloned());
    for (i, (k, v)) in pairs.enumerate() {
        url.push(if i == 0 { '?' } else { '&' });
        url.push_str(&query_escape(k));
        url.push('=');
        url.push_str(&query_escape(&v));
    }
    url
}

/// `page[size]` (clamped to the configured maximum) and the start position.
fn page_request(params: &Params, max: u32) -> Result<(usize, Position), ApiError> {
    let bad =
        |what: &str| ApiError::invalid("InvalidPaginationParameter", format!("{what} is invalid"));
    let size = match param(params, "page[size]") {
        Some(s) => s
            .parse::<u32>()
            .map_err(|_| bad("page[size]"))?
            .clamp(1, max),
        None => max,
    };
    let cursor = |name: &str| -> Result<Option<u64>, ApiError> {
        param(params, name)
            .map(|c| {
                decode_cursor(CursorKind::List, c)
                    .map(|(a, _)| a as u64)
                    .ok_or_else(|| bad(name))
            })
            .transpose()
    };
    let position = match (cursor("page[after]")?, cursor("page[before]")?) {
        (Some(after), _) => Position::After(after),
        (None, Some(before)) => Position::Before(before),
        (None, None) => Position::Start,
    };
    Ok((size as usize, position))
}

/// A JSON object: one named list, optional sideloads, and cursor pagination fields.
struct Listing<T> {
    key: &'static str,
    items: Vec<T>,
    users: Option<Vec<UserRecord>>,
    organizations: Option<Vec<OrganizationRecord>>,
    metric_sets: Option<Vec<serde_json::Value>>,
    paging: Option<serde_json::Value>,
}

impl<T: Serialize> Serialize for Listing<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry(self.key, &self.items)?;
        if let Some(users) = &self.users {
            map.serialize_entry("users", users)?;
        }
        if let Some(orgs) = &self.organizations {
            map.serialize_entry("organizations", orgs)?;
        }
        if let Some(sets) = &self.metric_sets {
            map.serialize_entry("metric_sets", sets)?;
        }
        if let Some(serde_json::Value::Object(paging)) = &self.paging {
            for (k, v) in paging {
                map.serialize_entry(k, v)?;
            }
        }
        map.end()
    }
}

impl<T: Serialize> Listing<T> {
    fn new(key: &'static str, items: Vec<T>) -> Listing<T> {
        Listing {
            key,
            items,
            users: None,
            organizations: None,
            metric_sets: None,
            paging: None,
        }
    }

    /// Adds `meta` and `links` for a page of `keys` (the cursor values of `items`).
    fn paged(
        mut self,
        page: &KeyPage,
        from: Position,
        next: impl Fn(&str, String) -> String,
    ) -> Self {
        let cursor = |k: Option<&u64>| k.map(|&k| encode_cursor(CursorKind::List, k as i64, 0));
        let (after, before) = (cursor(page.keys.last()), cursor(page.keys.first()));
        let backwards = matches!(from, Position::Before(_));
        let more_after = if backwards {
            after.is_some()
        } else {
            page.has_more
        };
        let more_before = if backwards {
            page.has_more
        } else {
            from != Position::Start && before.is_some()
        };
        self.paging = Some(json!({
            "meta": {"has_more": page.has_more, "after_cursor": after, "before_cursor": before},
            "links": {
                "next": after.clone().filter(|_| more_after).map(|c| next("page[after]", c)),
                "prev": before.clone().filter(|_| more_before).map(|c| next("page[before]", c)),
            },
        }));
        self
    }
}

impl Listing<TicketRecord> {
    /// Honours `include=users,organizations,metric_sets` like Zendesk's sideloading.
    fn sideload(mut self, params: &Params, dataset: &Dataset) -> Self {
        let include = param(params, "include").unwrap_or("");
        if include.split(',').any(|s| s.trim() == "metric_sets") {
            let sets = self.items.iter().filter_map(|t| dataset.metric_set(t.id));
            self.metric_sets = Some(sets.collect());
        }
        if include.split(',').any(|s| s.trim() == "users") {
            let ids: BTreeSet<u64> = self
                .items
                .iter()
                .flat_map(|t| [Some(t.requester_id), Some(t.submitter_id), t.assignee_id])
                .flatten()
                .collect();
            self.users = Some(
                ids.into_iter()
                    .filter_map(|id| dataset.user_record(id))
                    .collect(),
            );
        }
        if include.split(',').any(|s| s.trim() == "organizations") {
            let ids: BTreeSet<u64> = self
                .items
                .iter()
                .filter_map(|t| t.organization_id)
                .collect();
            self.organizations = Some(
                ids.into_iter()
                    .filter_map(|id| dataset.organization_record(id))
                    .collect(),
            );
        }
        self
    }
}

async fn list_ticket_fields(
    s: State<SandboxState>,
    h: HeaderMap,
    u: Uri,
    q: Query<Params>,
) -> ApiResult {
    let fields = lookups::ticket_fields()
        .into_iter()
        .map(|f| serde_json::to_value(f).expect("plain data serializes"))
        .collect();
    lookup_listing("ticket_fields", fields, s, h, u, q)
}

async fn list_groups(s: State<SandboxState>, h: HeaderMap, u: Uri, q: Query<Params>) -> ApiResult {
    lookup_listing("groups", lookups::groups(), s, h, u, q)
}

async fn list_brands(s: State<SandboxState>, h: HeaderMap, u: Uri, q: Query<Params>) -> ApiResult {
    lookup_listing("brands", lookups::brands(), s, h, u, q)
}

async fn list_ticket_forms(
    s: State<SandboxState>,
    h: HeaderMap,
    u: Uri,
    q: Query<Params>,
) -> ApiResult {
    lookup_listing("ticket_forms", lookups::ticket_forms(), s, h, u, q)
}

/// A fixed list with cursor pagination: the cursor keys are positions in the list.
fn lookup_listing(
    key: &'static str,
    items: Vec<serde_json::Value>,
    State(state): State<SandboxState>,
    headers: HeaderMap,
    uri: Uri,
    Query(params): Query<Params>,
) -> ApiResult {
    let (size, from) = page_request(&params, state.0.page_size_max)?;
    let page = page_keys(items.len() as u64, size, from, |_| true);
    let chosen = page
        .keys
        .iter()
        .filter_map(|&k| items.get(k as usize - 1).cloned())
        .collect();
    let origin = origin(&headers, state.dataset());
    let next = |name: &str, c: String| {
        link(
            &origin,
            &uri,
            &params,
            &[("page[size]", size.to_string()), (name, c)],
        )
    };
    Ok(Json(Listing::new(key, chosen).paged(&page, from, next)).into_response())
}

async fn users_me(State(state): State<SandboxState>) -> ApiResult {
    let mut me = state
        .dataset()
        .user_record(ADMIN_ID)
        .ok_or_else(ApiError::not_found)?;
    if let Some(creds) = &state.0.auth {
        me.email = creds.email.clone();
    }
    Ok(Json(json!({ "user": me })).into_response())
}

async fn list_views(
    state: State<SandboxState>,
    h: HeaderMap,
    uri: Uri,
    q: Query<Params>,
) -> ApiResult {
    views_listing(state, h, uri, q, false)
}

async fn list_active_views(
    state: State<SandboxState>,
    h: HeaderMap,
    uri: Uri,
    q: Query<Params>,
) -> ApiResult {
    views_listing(state, h, uri, q, true)
}

fn views_listing(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    uri: Uri,
    Query(params): Query<Params>,
    active_only: bool,
) -> ApiResult {
    let dataset = state.dataset();
    let (size, from) = page_request(&params, state.0.page_size_max)?;
    let last = VIEWS.iter().map(|v| v.id).max().unwrap_or(0);
    let page = page_keys(last, size, from, |id| {
        dataset
            .view_def(id)
            .is_some_and(|v| v.active || !active_only)
    });
    let views = page
        .keys
        .iter()
        .filter_map(|&id| dataset.view_record(id))
        .collect();
    let origin = origin(&headers, dataset);
    let next = |name: &str, c: String| {
        link(
            &origin,
            &uri,
            &params,
            &[("page[size]", size.to_string()), (name, c)],
        )
    };
    Ok(Json(Listing::new("views", views).paged(&page, from, next)).into_response())
}

async fn show_view(State(state): State<SandboxState>, Path(id): Path<String>) -> ApiResult {
    let view = state
        .dataset()
        .view_record(path_id(&id)?)
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(json!({ "view": view })).into_response())
}

async fn view_tickets(
    State(state): State<SandboxState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    Query(params): Query<Params>,
) -> ApiResult {
    let dataset = state.dataset();
    let (size, from) = page_request(&params, state.0.page_size_max)?;
    let page = dataset
        .view_page(path_id(&id)?, from, size)
        .ok_or_else(ApiError::not_found)?;
    let tickets = page
        .keys
        .iter()
        .filter_map(|&id| dataset.ticket_record(id))
        .collect();
    let origin = origin(&headers, dataset);
    let next = |name: &str, c: String| {
        link(
            &origin,
            &uri,
            &params,
            &[("page[size]", size.to_string()), (name, c)],
        )
    };
    let listing = Listing::new("tickets", tickets)
        .paged(&page, from, next)
        .sideload(&params, dataset);
    Ok(Json(listing).into_response())
}

async fn view_count(
    State(state): State<SandboxState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let dataset = state.dataset();
    let id = path_id(&id)?;
    let value = dataset.view_count(id).ok_or_else(ApiError::not_found)?;
    let pretty = if value >= 100_000 {
        "~100k+".to_string()
    } else {
        value.to_string()
    };
    let url = format!("{}/api/v2/views/{id}/count.json", origin(&headers, dataset));
    let count = json!({"view_id": id, "url": url, "value": value, "pretty": pretty, "fresh": true});
    Ok(Json(json!({ "view_count": count })).into_response())
}

/// The `ids` parameter of the show_many endpoints.
fn show_many_ids(params: &Params) -> Result<Vec<u64>, ApiError> {
    let raw = param(params, "ids").unwrap_or("");
    let ids = raw
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse()
                .map_err(|_| ApiError::invalid("InvalidValue", format!("invalid id {s:?}")))
        })
        .collect::<Result<Vec<u64>, _>>()?;
    if ids.len() > SHOW_MANY_MAX {
        let msg = format!(
            "Too many ids: {} given, at most {SHOW_MANY_MAX} allowed",
            ids.len()
        );
        return Err(ApiError::invalid("InvalidValue", msg));
    }
    Ok(ids)
}

async fn tickets_show_many(
    State(state): State<SandboxState>,
    Query(params): Query<Params>,
) -> ApiResult {
    let dataset = state.dataset();
    let tickets = show_many_ids(&params)?
        .into_iter()
        .filter(|&id| !dataset.is_deleted(id))
        .filter_map(|id| dataset.ticket_record(id))
        .collect();
    Ok(Json(Listing::new("tickets", tickets).sideload(&params, dataset)).into_response())
}

async fn show_ticket(State(state): State<SandboxState>, Path(id): Path<String>) -> ApiResult {
    let id = path_id(&id)?;
    let dataset = state.dataset();
    let ticket = dataset
        .ticket_record(id)
        .filter(|_| !dataset.is_deleted(id));
    Ok(Json(json!({ "ticket": ticket.ok_or_else(ApiError::not_found)? })).into_response())
}

async fn users_show_many(
    State(state): State<SandboxState>,
    Query(params): Query<Params>,
) -> ApiResult {
    let users: Vec<_> = show_many_ids(&params)?
        .into_iter()
        .filter_map(|id| state.dataset().user_record(id))
        .collect();
    Ok(Json(Listing::new("users", users)).into_response())
}

async fn organizations_show_many(
    State(state): State<SandboxState>,
    Query(params): Query<Params>,
) -> ApiResult {
    let dataset = state.dataset();
    let orgs: Vec<_> = show_many_ids(&params)?
        .into_iter()
        .filter_map(|id| dataset.organization_record(id))
        .collect();
    Ok(Json(Listing::new("organizations", orgs)).into_response())
}

async fn ticket_comments(
    State(state): State<SandboxState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    Query(params): Query<Params>,
) -> ApiResult {
    let dataset = state.dataset();
    let id = path_id(&id)?;
    let (size, from) = page_request(&params, state.0.page_size_max)?;
    let mut all = Some(id)
        .filter(|&id| !dataset.is_deleted(id))
        .and_then(|id| dataset.comment_records(id))
        .ok_or_else(ApiError::not_found)?;
    // Comments are keyed by position (1-based) within the conversation.
    let page = page_keys(all.len() as u64, size, from, |_| true);
    let first = page.keys.first().map_or(0, |&k| k as usize - 1);
    let comments: Vec<_> = all.drain(first..first + page.keys.len()).collect();
    let origin = origin(&headers, dataset);
    let next = |name: &str, c: String| {
        link(
            &origin,
            &uri,
            &params,
            &[("page[size]", size.to_string()), (name, c)],
        )
    };
    Ok(Json(Listing::new("comments", comments).paged(&page, from, next)).into_response())
}

async fn incremental_tickets(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    uri: Uri,
    Query(params): Query<Params>,
) -> ApiResult {
    let dataset = state.dataset();
    let per_page = match param(&params, "per_page") {
        Some(p) => p
            .parse::<usize>()
            .map_err(|_| ApiError::invalid("InvalidValue", "per_page must be a number"))?
            .clamp(1, state.0.export_page_max as usize),
        None => state.0.export_page_max as usize,
    };
    let after = match (param(&params, "cursor"), param(&params, "start_time")) {
        (Some(c), _) => decode_cursor(CursorKind::Export, c)
            .ok_or_else(|| ApiError::invalid("InvalidValue", "The cursor parameter is invalid"))?,
        (None, Some(t)) => {
            let start: i64 = t.parse().map_err(|_| {
                ApiError::invalid("InvalidValue", "start_time must be a Unix timestamp")
            })?;
            if start > unix_now() - 60 {
                return Err(ApiError::invalid(
                    "InvalidValue",
                    "Too recent start_time. Use a start_time older than one minute",
                ));
            }
            // Everything whose generated_timestamp is >= start.
            (start - 1, u64::MAX)
        }
        (None, None) => {
            return Err(ApiError::invalid(
                "InvalidValue",
                "start_time or cursor is required",
            ))
        }
    };
    let page = dataset.export_page(after, per_page);
    let tickets: Vec<TicketRecord> = page
        .tickets
        .iter()
        .filter_map(|&(id, ts)| {
            let mut t = dataset.ticket_record(id)?;
            t.generated_timestamp = Some(ts);
            Some(t)
        })
        .collect();
    let cursor = encode_cursor(CursorKind::Export, page.after.0, page.after.1);
    let after_url = link(
        &origin(&headers, dataset),
        &uri,
        &params,
        &[("cursor", cursor.clone())],
    );
    let listing = Listing {
        paging: Some(json!({
            "after_url": after_url,
            "after_cursor": cursor,
            "before_url": null,
            "before_cursor": null,
            "end_of_stream": page.end_of_stream,
        })),
        ..Listing::new("tickets", tickets).sideload(&params, dataset)
    };
    Ok(Json(listing).into_response())
}

/// `start_time` of a time-based export: required, and at least a minute old.
fn export_start_time(params: &Params) -> Result<i64, ApiError> {
    let raw = param(params, "start_time")
        .ok_or_else(|| ApiError::invalid("InvalidValue", "start_time is required"))?;
    let start: i64 = raw
        .parse()
        .map_err(|_| ApiError::invalid("InvalidValue", "start_time must be a Unix timestamp"))?;
    if start > unix_now() - 60 {
        return Err(ApiError::invalid(
            "InvalidValue",
            "Too recent start_time. Use a start_time older than one minute",
        ));
    }
    Ok(start)
}

/// The time-based ticket events export: one `Audit` event per comment, at the
/// comment's time; with `include=comment_events` its `child_events` carry the
/// comment, otherwise only whether there was one. Pages of up to 1000 events;
/// `next_page` starts at `end_time`, so events of that second come again (as
/// Zendesk's time-based exports do).
async fn ticket_events(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    uri: Uri,
    Query(params): Query<Params>,
) -> ApiResult {
    let dataset = state.dataset();
    let start = export_start_time(&params)?;
    let with_comments = param(&params, "include")
        .unwrap_or("")
        .split(',')
        .any(|s| s.trim() == "comment_events");
    let page = dataset.events_page(start, EVENTS_PAGE_MAX);
    let events: Vec<serde_json::Value> = page
        .comments
        .iter()
        .map(|(ticket_id, at, c)| {
            let child = if with_comments {
                let mut child = json!(c);
                child["event_type"] = json!("Comment");
                child
            } else {
                json!({"id": c.id, "event_type": "Comment", "comment_present": true, "comment_public": c.public})
            };
            json!({
                "id": c.id,
                "ticket_id": ticket_id,
                "timestamp": at,
                "created_at": c.created_at,
                "updater_id": c.author_id,
                "via": {"channel": "web"},
                "event_type": "Audit",
                "child_events": [child],
            })
        })
        .collect();
    let next_page = link(
        &origin(&headers, dataset),
        &uri,
        &params,
        &[("start_time", page.end_time.to_string())],
    );
    let body = json!({
        "ticket_events": events,
        "count": events.len(),
        "end_time": page.end_time,
        "end_of_stream": page.end_of_stream,
        "next_page": next_page,
    });
    Ok(Json(body).into_response())
}

/// The search export, tickets only (`filter[type]=ticket` is required, as Zendesk
/// requires a type): the tickets the query finds, by id, with cursor pagination and
/// `result_type` on each. Deleted tickets are never found; archived ones are.
async fn search_export(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    uri: Uri,
    Query(params): Query<Params>,
) -> ApiResult {
    let dataset = state.dataset();
    if param(&params, "filter[type]") != Some("ticket") {
        return Err(ApiError::invalid(
            "InvalidParameter",
            "filter[type] is required (the sandbox serves filter[type]=ticket)",
        ));
    }
    let query = SearchQuery::parse(param(&params, "query").unwrap_or(""))
        .map_err(|e| ApiError::invalid("InvalidSearch", e))?;
    let (size, from) = page_request(&params, state.0.page_size_max)?;
    let page = page_keys(dataset.ticket_count(), size, from, |id| {
        query.finds(dataset, id)
    });
    let results: Vec<serde_json::Value> = page
        .keys
        .iter()
        .filter_map(|&id| dataset.ticket_record(id))
        .map(|t| {
            let mut v = json!(t);
            v["result_type"] = json!("ticket");
            v
        })
        .collect();
    let origin = origin(&headers, dataset);
    let next = |name: &str, c: String| {
        link(
            &origin,
            &uri,
            &params,
            &[("page[size]", size.to_string()), (name, c)],
        )
    };
    Ok(Json(Listing::new("results", results).paged(&page, from, next)).into_response())
}
