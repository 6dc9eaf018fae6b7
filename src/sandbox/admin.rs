//! Admin routes for scripting a running sandbox (not part of Zendesk's API, and not
//! counted, rate-limited or faulted):
//!
//! - `POST /_sandbox/tickets/{id}/touch`: an agent update of ticket `id` (404 if unknown
//!   or deleted); answers `{"ticket_id", "generated_timestamp"}`.
//! - `GET /_sandbox/stats`: request counters (in all and per endpoint, ids written
//!   `{id}`) and the data set's parameters.
//! - `POST /_sandbox/knobs` with JSON `{"fault_rate", "latency_ms",
//!   "rate_limit_per_minute"}` (each optional; a rate limit of 0 lifts it): 204.
//! - `POST /_sandbox/reset`: zeroes the counters, log and rate window: 204.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::routes::{path_id, ApiError, ApiResult};
use super::SandboxState;

pub fn routes() -> Router<SandboxState> {
    Router::new()
        .route("/_sandbox/tickets/{id}/touch", post(admin_touch))
        .route("/_sandbox/stats", get(admin_stats))
        .route("/_sandbox/knobs", post(admin_knobs))
        .route("/_sandbox/reset", post(admin_reset))
}

async fn admin_touch(State(state): State<SandboxState>, Path(id): Path<String>) -> ApiResult {
    let id = path_id(&id)?;
    let ts = state
        .dataset()
        .touch_ticket(id)
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(json!({"ticket_id": id, "generated_timestamp": ts})).into_response())
}

async fn admin_stats(State(state): State<SandboxState>) -> Response {
    let d = state.dataset();
    let body = json!({
        "stats": state.0.stats.snapshot(),
        "dataset": {"tickets": d.ticket_count(), "seed": d.seed(), "epoch": d.epoch(), "users": d.user_count()},
    });
    Json(body).into_response()
}

/// The body of `POST /_sandbox/knobs`; absent fields are left as they are.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KnobsRequest {
    fault_rate: Option<f64>,
    latency_ms: Option<u64>,
    /// `0` lifts the limit (JSON has no way to say "set to none" in an optional field).
    rate_limit_per_minute: Option<u32>,
}

async fn admin_knobs(
    State(state): State<SandboxState>,
    Json(knobs): Json<KnobsRequest>,
) -> Response {
    if let Some(rate) = knobs.fault_rate {
        state.set_fault_rate(rate);
    }
    if let Some(ms) = knobs.latency_ms {
        state.set_latency_ms(ms);
    }
    if let Some(limit) = knobs.rate_limit_per_minute {
        state.set_rate_limit(Some(limit).filter(|&l| l > 0));
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn admin_reset(State(state): State<SandboxState>) -> Response {
    state.reset_counters();
    StatusCode::NO_CONTENT.into_response()
}
