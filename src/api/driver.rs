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
use crate::domain::tariff::Stay;
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
    let Some(found) = found else {
        return Err(ApiError::Unauthorized);
    };
    let Some(session) = &found.session else {
        return Err(ApiError::NotFound(
            "no open parking session for this account".into(),
        ));
    };
    Ok(envelope(
        StatusCode::OK,
        body(&state, &found, session, state.now()),
    ))
}

/// The price so far under the session's tariff: what an exit now would charge; once charged
/// (exiting), the charge.
fn amount(
    found: &DriverSession,
    session: &Session,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> String {
    let amount = match (session.state, session.total) {
        (SessionState::Exiting | SessionState::Closed, Some(total)) => total,
        _ => {
            let stay = Stay {
                start: session.start,
                end: now,
                resource_price: session.price_per_minute,
                tz,
                lost_ticket: false,
                validation: found.validation.as_ref(),
            };
            pricing::so_far(found.tariff.as_ref(), &stay).0.total
        }
    };
    pricing::round_money(amount).to_string()
}

fn body(state: &ApiState, found: &DriverSession, session: &Session, now: DateTime<Utc>) -> Value {
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
        "amount": amount(found, session, site.timezone, now),
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
            "access_command": found.code,
            "is_online": false,
            "start_time": iso(session.start),
            "end_time": session.end.map(iso),
            "access_points": access_points,
        },
    })
}

#[cfg(test)]
mod tests {
    use crate::api::testing::{Gates, IN, MAC, OUT, REFERENCE_CODE, TOKEN, TestApi, t0};
    use crate::booth::GateSignal;
    use crate::store::driver_tokens;
    use axum::http::StatusCode;
    use chrono::TimeDelta;
    use serde_json::{Value, json};
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_drivers_session_in_each_state_then_404() {
        let mut s = TestApi::start(Gates::Held, |_, _| {});
        let mine = REFERENCE_CODE;
        let other = s.free_code(0);
        let store = s.write();
        let my_token = driver_tokens::create(store.conn(), s.account_of(mine), t0()).unwrap();
        let other_token = driver_tokens::create(store.conn(), s.account_of(&other), t0()).unwrap();
        drop(store);
        let current = "/api/car_driver/parking_sessions/current";

        let (status, body) = s.get(current, Some(&my_token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["status"], 0);
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("no open parking session")
        );

        // Scanned in, the barrier up, the car not yet through: entering.
        assert_eq!(s.find("entrance", mine).await.1["status"], 1);
        let (status, body) = s.get(current, Some(&my_token)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["amount"], "0.00");
        assert_eq!(body["currency"], "TMT");
        let session = &body["parking_session"];
        assert_eq!(session["type"], "pay_per_use");
        assert_eq!(session["state"], "entering");
        assert_eq!(session["start_time"], "2026-11-23T10:00:00+00:00");
        assert_eq!(session["end_time"], Value::Null);
        assert_eq!(session["entrance_remaining_tries"], 3);
        assert_eq!(session["exit_remaining_tries"], 3);
        let key = &body["smart_key"];
        assert_eq!(key["type"], "session_access");
        assert_eq!(key["name"], "Test Park");
        assert_eq!(key["access_command"], mine);
        assert_eq!(key["is_online"], false);
        assert_eq!(key["access_points"][0]["access_point"]["mac_address"], MAC);
        assert_eq!(key["access_points"].as_array().unwrap().len(), 1);

        // Through: active, and the price grows with the minutes.
        let client = s.client();
        client.gate(IN, GateSignal::Passed).await.unwrap();
        let body = wait_for_state(&s, &my_token, "active").await;
        assert_eq!(body["amount"], "0.00");
        s.clock.advance(TimeDelta::seconds(9 * 60 + 1));
        let (_, body) = s.get(current, Some(&my_token)).await;
        assert_eq!(body["amount"], "0.50", "10 started minutes at 0.05");

        // Another driver sees only their own (no) session; operators' tokens are not drivers'.
        let (status, _) = s.get(current, Some(&other_token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        for token in [Some(TOKEN), Some("cpd_0000"), None] {
            let (status, body) = s.get(current, token).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
            assert_eq!(body, json!({"status": 0, "data": {}}));
        }

        // Scanned out and charged, the barrier up: exiting, with the charge and the end.
        let (_, exit) = s.find("exit", mine).await;
        assert_eq!(exit["data"]["Parking"]["TotalPrice"], "0.50");
        let (_, body) = s.get(current, Some(&my_token)).await;
        assert_eq!(body["parking_session"]["state"], "exiting");
        assert_eq!(body["amount"], "0.50");
        assert_eq!(
            body["parking_session"]["end_time"],
            "2026-11-23T10:09:01+00:00"
        );
        // The barrier closed with nobody through: one exit try spent, the same code opens again.
        client.gate(OUT, GateSignal::TimedOut).await.unwrap();
        let mut tries = Value::Null;
        for _ in 0..200 {
            tries =
                s.get(current, Some(&my_token)).await.1["parking_session"]["exit_remaining_tries"]
                    .clone();
            if tries == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(tries, 2);
        let (_, retry) = s.find("exit", mine).await;
        assert_eq!(
            retry["data"]["Parking"]["TotalPrice"], "0.50",
            "a retry charges nothing more"
        );
        assert_eq!(retry["data"]["RpAccTransTotal"], "0.50");
        // Through: closed, so no current session.
        client.gate(OUT, GateSignal::Passed).await.unwrap();
        let mut status = StatusCode::OK;
        for _ in 0..200 {
            status = s.get(current, Some(&my_token)).await.0;
            if status == StatusCode::NOT_FOUND {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(status, StatusCode::NOT_FOUND);
        s.stop().await;
    }

    /// Asks for the driver's session until it is in `state` (the booth applies gate signals on
    /// its own thread).
    async fn wait_for_state(s: &TestApi, token: &str, state: &str) -> Value {
        for _ in 0..200 {
            let (_, body) = s
                .get("/api/car_driver/parking_sessions/current", Some(token))
                .await;
            if body["parking_session"]["state"] == state {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the session never became {state}");
    }
}
