//! The OpenAPI 3 document of the API, kept in the repository as `openapi.json` and served at
//! `/openapi.json`. `tests/api.rs` checks it against the live router.

use axum::http::header;
use axum::response::IntoResponse;

/// `openapi.json` at the top of the repository.
pub const DOCUMENT: &str = include_str!("../../openapi.json");

pub async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}
