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

#[cfg(test)]
mod tests {
    use crate::api::testing::{Gates, TOKEN, TestApi};
    use crate::booth::NwaveDelivery;
    use crate::domain::nwave::{DeliveryOrigin, examples};
    use axum::http::StatusCode;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn nwave_sessions_and_occupancy() {
        let s = TestApi::start(Gates::None, |_, _| {});
        let client = s.client();
        // The reference's examples: a start, a start+end, a partial end on two bays, a correction.
        let deliveries = examples::ALL
            .iter()
            .map(|m| NwaveDelivery {
                payload: m.as_bytes().to_vec(),
                origin: DeliveryOrigin::default(),
            })
            .collect();
        let applied = client.nwave_batch(deliveries).await.unwrap().unwrap();
        assert_eq!(applied.quarantined, 0);

        let get = async |path: &str| s.get(path, Some(TOKEN)).await;
        let (status, body) = get("/clearpark/nwave/sessions/?state=all").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["status"], 1);
        let sessions = body["data"].as_array().unwrap();
        assert!(!sessions.is_empty());
        assert_eq!(body["total"], sessions.len());
        for session in sessions {
            assert!(session["parking_session_uuid"].is_string());
            assert!(session["session_start"]["event_time"].is_string());
        }
        // Paging: one at a time reaches every session once.
        let mut after = 0;
        let mut seen = 0;
        loop {
            let (_, page) = get(&format!(
                "/clearpark/nwave/sessions/?state=all&limit=1&after_id={after}"
            ))
            .await;
            match page["data"].as_array().unwrap().first() {
                Some(one) => {
                    after = one["id"].as_i64().unwrap();
                    seen += 1;
                }
                None => break,
            }
        }
        assert_eq!(seen, sessions.len());
        let (status, _) = get("/clearpark/nwave/sessions/?state=sideways").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        let (status, body) = get("/clearpark/nwave/occupancy/").await;
        assert_eq!(status, StatusCode::OK);
        let summary = &body["data"]["summary"];
        let positions = body["data"]["positions"].as_array().unwrap();
        assert_eq!(summary["positions"], positions.len());
        let taken = positions.iter().filter(|p| p["taken"] == true).count();
        assert_eq!(summary["taken"], taken);
        assert_eq!(
            summary["free"].as_u64().unwrap() + summary["taken"].as_u64().unwrap(),
            positions.len() as u64
        );
    }
}
