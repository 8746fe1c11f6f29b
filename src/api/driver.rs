//! `GET /api/car_driver/parking_sessions/current`: the reference "Current Parking Session V1"
//! for the driver whose access token is presented. A driver's token (made by
//! `clearpark accounts token <account>`) sees its own account's session and nothing else;
//! operators' tokens are not drivers and get 401 here.

use super::ApiState;
use super::auth::bearer;
use super::error::{ApiError, envelope};
use crate::domain::model::Session;
use crate::domain::pricing;
use crate::domain::session::SessionState;
use crate::store::read::DriverSession;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// Times as the reference shows them: `2017-09-05T08:51:56+00:00`.
fn iso(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

pub async fn current_session(
    State(state): State<ApiState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let token = bearer(&headers).ok_or(ApiError::Unauthorized)?.to_owned();
    let found = state
        .readers()
        .read(move |reader| reader.driver_session(&token))
        .await?;
    let Some(DriverSession { session, code }) = found else {
        return Err(ApiError::Unauthorized);
    };
    let Some(session) = session else {
        return Err(ApiError::NotFound(
            "no open parking session for this account".into(),
        ));
    };
    Ok(envelope(
        StatusCode::OK,
        body(&state, &session, code, state.now()),
    ))
}

/// The price so far: what an exit now would charge; once charged (exiting), the charge.
fn amount(session: &Session, now: DateTime<Utc>) -> String {
    let amount = match (session.state, session.total) {
        (SessionState::Exiting | SessionState::Closed, Some(total)) => total,
        _ => {
            pricing::so_far(session.start, now, session.price_per_minute)
                .0
                .total
        }
    };
    pricing::round_money(amount).to_string()
}

fn body(state: &ApiState, session: &Session, code: Option<String>, now: DateTime<Utc>) -> Value {
    let site = state.site();
    let access_points: Vec<Value> = state
        .config()
        .access_points
        .iter()
        .map(|ap| {
            let lane = site.lanes.iter().find(|l| l.id == ap.lane);
            json!({"access_point": {
                "mac_address": ap.mac_address,
                "name": lane.map(|l| l.name.clone()).unwrap_or_else(|| ap.lane.clone()),
                "direction": lane.map(|l| l.direction.as_str()),
            }})
        })
        .collect();
    json!({
        "amount": amount(session, now),
        "currency": session.currency,
        "parking_session": {
            "id": session.id,
            "type": "pay_per_use",
            "state": session.state.as_str(),
            "start_time": iso(session.start),
            "end_time": session.end.map(iso),
            "entrance_remaining_tries": session.entrance_remaining_tries,
            "exit_remaining_tries": session.exit_remaining_tries,
        },
        "smart_key": {
            "id": session.id,
            "secured_parking_id": state.config().secured_parking_id,
            "name": site.name,
            "description": format!("Pay-per-use access to {} for this parking session", site.name),
            "is_active": true,
            "type": "session_access",
            // The booth opens its barriers for this code at the lanes' scanners: the app
            // shows it as a QR code.
            "access_command": code,
            "is_online": false,
            "start_time": iso(session.start),
            "end_time": session.end.map(iso),
            "access_points": access_points,
        },
    })
}
