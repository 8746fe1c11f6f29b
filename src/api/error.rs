//! The API's one error type and the reference envelope every answer is wrapped in:
//! `{"status": 1|0, "data": ..., "message": "...", "total": N?}`.
//!
//! Messages say what is wrong with the request; they never carry SQL, paths, stack traces or
//! secrets. The detail of a server-side failure goes to the log, under the request's id.

use super::MAX_BODY_BYTES;
use crate::booth::BoothGone;
use crate::store::read::StoreError;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No bearer token, or one that is not accepted: the reference's bare
    /// `401 {"status":0,"data":{}}`.
    #[error("unauthorized")]
    Unauthorized,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{method} is not allowed on this route")]
    MethodNotAllowed { method: String },
    #[error("the request body is over {MAX_BODY_BYTES} bytes")]
    PayloadTooLarge,
    #[error("the request took longer than {} s; a scan it carried may still be recorded", .0.as_secs())]
    Timeout(Duration),
    #[error("the booth is not running")]
    BoothGone,
    /// More requests at once than `api.max_in_flight`: answered at once, with `Retry-After`.
    #[error("too many requests at once; retry in a second")]
    Overloaded,
    /// A read failed; the detail is logged, the caller is told only that it failed.
    #[error("the booth's database cannot be read right now")]
    Store(#[source] StoreError),
    #[error("internal error")]
    Internal(String),
}

impl From<BoothGone> for ApiError {
    fn from(_: BoothGone) -> ApiError {
        ApiError::BoothGone
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        ApiError::Store(e)
    }
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Timeout(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::BoothGone | ApiError::Store(_) | ApiError::Overloaded => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match &self {
            ApiError::Unauthorized => json!({"status": 0, "data": {}}),
            ApiError::Store(e) => {
                tracing::error!(target: "clearpark::api", error = %e, "database read failed");
                failure(&self.to_string())
            }
            ApiError::Internal(detail) => {
                tracing::error!(target: "clearpark::api", detail, "internal error");
                failure(&self.to_string())
            }
            _ => failure(&self.to_string()),
        };
        let mut response = envelope(status, body);
        if matches!(self, ApiError::Overloaded) {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

/// `{"status":0,"data":{},"message":...}`.
pub fn failure(message: &str) -> Value {
    json!({"status": 0, "data": {}, "message": message})
}

/// A JSON answer with its status.
pub fn envelope(status: StatusCode, body: Value) -> Response {
    let mut response = (status, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A JSON answer whose body is already written.
pub fn json_body(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Turns an answer that some layer produced without a JSON body (the router's 404 and 405, a
/// body-limit 413) into the envelope, keeping its status and headers (`Allow`).
pub fn ensure_json(response: Response, method: &str) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let error = match status {
        StatusCode::NOT_FOUND => ApiError::NotFound("no such route (see /openapi.json)".into()),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed {
            method: method.to_owned(),
        },
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        StatusCode::UNAUTHORIZED => ApiError::Unauthorized,
        other => {
            let (parts, _) = response.into_parts();
            let mut fixed = envelope(
                other,
                failure(other.canonical_reason().unwrap_or("request failed")),
            );
            carry_headers(&parts.headers, &mut fixed);
            return fixed;
        }
    };
    let (parts, _) = response.into_parts();
    let mut fixed = error.into_response();
    carry_headers(&parts.headers, &mut fixed);
    fixed
}

fn carry_headers(from: &axum::http::HeaderMap, to: &mut Response) {
    if let Some(allow) = from.get(header::ALLOW) {
        to.headers_mut().insert(header::ALLOW, allow.clone());
    }
}
