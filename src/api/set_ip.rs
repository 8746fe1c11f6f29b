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
