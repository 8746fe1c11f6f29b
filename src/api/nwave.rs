//! `GET /clearpark/nwave/sessions/` and `GET /clearpark/nwave/occupancy/`: the Nwave bay
//! sensors' sessions (open and recent, a page at a time like the other lists) and the occupancy
//! with every position, for monitoring and enforcement apps. Read-only connections.

use super::ApiState;
use super::error::{ApiError, envelope};
use super::lists::PageQuery;
use crate::store::read::{SessionQuery, SessionScope};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

/// "Recent" sessions: ended within this many hours.
const RECENT_HOURS: i64 = 24;

#[derive(Debug, serde::Deserialize)]
pub struct SessionsQuery {
    #[serde(flatten)]
    page: PageQuery,
    /// `open`, `recent` (open and ended in the last 24 h, the default) or `all`.
    state: Option<String>,
}

pub async fn sessions(
    State(state): State<ApiState>,
    query: Result<Query<SessionsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let (after_id, limit) = query.page.parse()?;
    state.nwave_limits().ok_or_else(no_sensors)?;
    let scope = match query.state.as_deref() {
        None | Some("") | Some("recent") => {
            SessionScope::OpenOrEndedSince(state.now() - chrono::TimeDelta::hours(RECENT_HOURS))
        }
        Some("open") => SessionScope::Open,
        Some("all") => SessionScope::All,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "state={other:?} is not one of open, recent, all"
            )));
        }
    };
    let q = SessionQuery {
        after_id,
        limit: usize::try_from(limit).unwrap_or(1),
        scope,
    };
    let items = state
        .readers()
        .read(move |reader| reader.nwave_sessions(&q))
        .await?;
    let next_after_id = match items.last() {
        Some(last) if items.len() as i64 >= limit => json!(last.id),
        _ => json!(null),
    };
    Ok(envelope(
        StatusCode::OK,
        json!({
            "status": 1,
            "data": items,
            "message": "Info",
            "total": items.len(),
            "next_after_id": next_after_id,
        }),
    ))
}

pub async fn occupancy(State(state): State<ApiState>) -> Result<Response, ApiError> {
    let limits = state.nwave_limits().ok_or_else(no_sensors)?.clone();
    let now = state.now();
    let report = state
        .readers()
        .read(move |reader| reader.occupancy(now, &limits))
        .await?;
    Ok(envelope(
        StatusCode::OK,
        json!({"status": 1, "data": report, "message": "Info", "total": report.positions.len()}),
    ))
}

fn no_sensors() -> ApiError {
    ApiError::NotFound("this booth has no Nwave bay sensors (no [nwave] in its config)".into())
}
