//! `GET /clearpark/attendances/`, `/clearpark/rp-accs/`, `/clearpark/devices/`: whole rows for
//! remote sync and monitoring, in id order, a page at a time (`?after_id=N&limit=M`).
//!
//! `total` is the number of rows in this page (counting a whole table would cost a scan of it
//! on every page); `next_after_id` is the `after_id` of the next page, `null` on the last one.

use super::ApiState;
use super::error::{ApiError, json_body};
use crate::store::read::Table;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;

/// The largest page, and the page when `limit` is not given.
pub const MAX_LIMIT: i64 = 500;

#[derive(Debug, serde::Deserialize)]
pub struct PageQuery {
    after_id: Option<String>,
    limit: Option<String>,
}

impl PageQuery {
    /// `(after_id, limit)`, with `limit` capped at [`MAX_LIMIT`].
    pub(super) fn parse(&self) -> Result<(i64, i64), ApiError> {
        let after_id = match self.after_id.as_deref() {
            None | Some("") => 0,
            Some(text) => match text.parse::<i64>() {
                Ok(n) if n >= 0 => n,
                _ => {
                    return Err(ApiError::BadRequest(format!(
                        "after_id={text:?} is not a whole number of 0 or more"
                    )));
                }
            },
        };
        let limit = match self.limit.as_deref() {
            None | Some("") => MAX_LIMIT,
            Some(text) => match text.parse::<i64>() {
                Ok(n) if n >= 1 => n.min(MAX_LIMIT),
                _ => {
                    return Err(ApiError::BadRequest(format!(
                        "limit={text:?} is not a whole number of 1 or more (at most {MAX_LIMIT} are sent)"
                    )));
                }
            },
        };
        Ok((after_id, limit))
    }
}

pub async fn attendances(
    State(state): State<ApiState>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let table = Table::Attendance(state.db_structure());
    list(state, table, query).await
}

pub async fn accounts(
    State(state): State<ApiState>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    list(state, Table::Accounts, query).await
}

pub async fn devices(
    State(state): State<ApiState>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    list(state, Table::Devices, query).await
}

async fn list(
    state: ApiState,
    table: Table,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let (after_id, limit) = query.parse()?;
    let page = state
        .readers()
        .read(move |reader| reader.page_json(table, after_id, limit))
        .await?;
    let next_after_id = match page.last_id {
        Some(id) if i64::try_from(page.rows).unwrap_or(i64::MAX) >= limit => id.to_string(),
        _ => "null".to_owned(),
    };
    // The envelope around the rows already written, keys in the order serde_json gives them.
    let mut body = Vec::with_capacity(page.json.len() + 96);
    body.extend_from_slice(b"{\"data\":");
    body.extend_from_slice(&page.json);
    body.extend_from_slice(
        format!(
            r#","message":"Info","next_after_id":{next_after_id},"status":1,"total":{}}}"#,
            page.rows
        )
        .as_bytes(),
    );
    Ok(json_body(StatusCode::OK, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(after_id: Option<&str>, limit: Option<&str>) -> Result<(i64, i64), ApiError> {
        PageQuery {
            after_id: after_id.map(String::from),
            limit: limit.map(String::from),
        }
        .parse()
    }

    #[test]
    fn paging_parameters() {
        assert_eq!(q(None, None).unwrap(), (0, 500));
        assert_eq!(q(Some("42"), Some("10")).unwrap(), (42, 10));
        assert_eq!(q(None, Some("100000")).unwrap(), (0, 500), "capped");
        assert!(q(Some("-1"), None).is_err());
        assert!(q(Some("x"), None).is_err());
        assert!(q(None, Some("0")).is_err());
    }
}
