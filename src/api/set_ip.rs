//! `GET /set-ip/?device_key=<secret>`: a remote IO device reports its address. The address is
//! the IP of the request's peer, without its port: the device is reached at its IP (on the port
//! it listens on), never at the ephemeral port it sent from. A forwarded-for header is not
//! trusted. Recording it is a write, so it goes through the booth.

use super::ApiState;
use super::error::{ApiError, envelope};
use crate::booth::{Event, RemoteIoReport};
use crate::store::read::format_time;
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;
use std::net::SocketAddr;
use tokio::sync::oneshot;

#[derive(Debug, serde::Deserialize)]
pub struct SetIpQuery {
    device_key: Option<String>,
}

pub async fn set_ip(
    State(state): State<ApiState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    query: Result<Query<SetIpQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let key = query
        .ok()
        .and_then(|Query(q)| q.device_key)
        .unwrap_or_default();
    // An unknown or missing key is refused before anything else happens: nothing is written.
    let Some(device) = state.auth().device(&key) else {
        return Err(ApiError::Unauthorized);
    };
    let address = peer.ip().to_canonical().to_string();
    let (reply, answer) = oneshot::channel();
    state
        .booth()
        .send(Event::RemoteIo(RemoteIoReport {
            device: device.name.clone(),
            key_sha256: device.fingerprint.clone(),
            address: address.clone(),
            reply: Some(reply),
        }))
        .await?;
    match answer.await {
        Ok(Ok(at)) => Ok(envelope(
            StatusCode::OK,
            json!({
                "status": 1,
                "data": {"device": device.name, "address": address, "seen_at": format_time(at)},
                "message": "IP updated",
            }),
        )),
        Ok(Err(failed)) => Err(ApiError::Internal(failed.to_string())),
        Err(_) => Err(ApiError::BoothGone),
    }
}

#[cfg(test)]
mod tests {
    use crate::api::testing::{DEVICE, DEVICE_KEY, Gates, TestApi, json, request, t0};
    use crate::store::{Store, driver_tokens, remote_io};
    use axum::http::{Method, StatusCode};
    use chrono::TimeDelta;
    use std::net::SocketAddr;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn set_ip_records_the_peer_address_and_only_a_fingerprint_of_the_key() {
        let mut s = TestApi::start(Gates::None, |_, _| {});
        let (status, body) = s
            .get(&format!("/set-ip/?device_key={DEVICE_KEY}"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], 1);
        assert_eq!(body["data"]["device"], DEVICE);
        assert_eq!(body["data"]["address"], "127.0.0.1");
        assert_eq!(body["data"]["seen_at"], "2026-11-23 10:00:00");
        s.clock.advance(TimeDelta::minutes(5));
        let (status, _) = s
            .get(&format!("/api/set-ip/?device_key={DEVICE_KEY}"), None)
            .await;
        assert_eq!(status, StatusCode::OK);

        let store = Store::open_read_only(&s.db).unwrap();
        let row = remote_io::get(store.conn(), DEVICE).unwrap().unwrap();
        assert_eq!(row.last_address, "127.0.0.1");
        assert_eq!(row.reports, 2);
        assert_eq!(row.first_seen, t0());
        assert_eq!(row.last_seen, t0() + TimeDelta::minutes(5));
        assert_eq!(row.key_sha256, driver_tokens::fingerprint(DEVICE_KEY));
        assert!(
            s.dump().iter().all(|line| !line.contains(DEVICE_KEY)),
            "the key is never stored"
        );
        s.stop().await;
    }

    /// A device on an IPv6 network is reached at its address alone: no port, no brackets.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_ipv6_peer_is_recorded_without_its_port_or_brackets() {
        let mut s = TestApi::start(Gates::None, |_, _| {});
        let peer: SocketAddr = "[2001:db8::7]:51234".parse().unwrap();
        let path = format!("/set-ip/?device_key={DEVICE_KEY}");
        let res = s
            .send_from(peer, request(Method::GET, &path, None, None))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let body = json(res).await;
        assert_eq!(body["data"]["address"], "2001:db8::7", "{body}");

        let store = Store::open_read_only(&s.db).unwrap();
        let row = remote_io::get(store.conn(), DEVICE).unwrap().unwrap();
        assert_eq!(row.last_address, "2001:db8::7");
        s.stop().await;
    }
}
