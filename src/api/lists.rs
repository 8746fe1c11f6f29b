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
    use crate::api::testing::{Gates, TOKEN, TestApi, t0};
    use crate::store::attendance::{self, NewAttendance};
    use crate::store::{DbStructure, Store};
    use chrono::TimeDelta;

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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn paging_through_1200_attendances_with_after_id() {
        let mut s = TestApi::start(Gates::None, |store, _| {
            let mut store = Store::open(store.path()).unwrap();
            let tx = store.transaction().unwrap();
            for i in 0..1200 {
                let guid = uuid::Uuid::new_v4().to_string();
                attendance::insert(
                    &tx,
                    DbStructure::Saphasap,
                    &NewAttendance {
                        guid: &guid,
                        account_id: 1,
                        device_id: 1,
                        type_id: 1 + i % 2,
                        description: "history",
                        at: t0() - TimeDelta::minutes(2000 - i),
                    },
                )
                .unwrap();
            }
            tx.commit().unwrap();
        });
        let store = Store::open_read_only(&s.db).unwrap();
        let in_db: i64 = store
            .conn()
            .query_row("SELECT COUNT(*) FROM tbl_dk_attendance", [], |r| r.get(0))
            .unwrap();
        assert_eq!(in_db, 1208, "1,200 here and the demo's 8 parked cars");

        let mut after_id = 0;
        let mut ids = Vec::new();
        let mut pages = Vec::new();
        loop {
            let (status, page) = s
                .get(
                    &format!("/clearpark/attendances/?after_id={after_id}"),
                    Some(TOKEN),
                )
                .await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(page["message"], "Info");
            let rows = page["data"].as_array().unwrap();
            assert_eq!(page["total"], rows.len());
            pages.push(rows.len());
            for row in rows {
                assert_eq!(
                    row.as_object().unwrap().len(),
                    11,
                    "the reference's eleven columns"
                );
                assert!(row["AttDate"].is_string() && row["AttTypeId"].is_i64());
                ids.push(row["AttId"].as_i64().unwrap());
            }
            match page["next_after_id"].as_i64() {
                Some(next) => after_id = next,
                None => break,
            }
        }
        assert_eq!(pages, [500, 500, 208]);
        assert_eq!(ids.len() as i64, in_db);
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "ordered by id, no repeats"
        );

        let (_, page) = s
            .get("/clearpark/attendances/?limit=100000", Some(TOKEN))
            .await;
        assert_eq!(page["total"], 500, "limit is capped");
        let (_, page) = s
            .get("/clearpark/attendances/?after_id=1200&limit=3", Some(TOKEN))
            .await;
        assert_eq!(page["total"], 3);
        assert_eq!(page["next_after_id"], 1203);
        for bad in ["?limit=0", "?after_id=-1", "?after_id=abc", "?limit=ten"] {
            let (status, body) = s
                .get(&format!("/clearpark/attendances/{bad}"), Some(TOKEN))
                .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
            assert!(body["message"].as_str().unwrap().contains("whole number"));
        }

        // The other two lists, whole rows with the reference's types.
        let (_, accounts) = s.get("/clearpark/rp-accs/", Some(TOKEN)).await;
        assert_eq!(accounts["total"], 21);
        assert_eq!(accounts["data"][0]["RpAccName"], "bionicccccc");
        assert_eq!(accounts["data"][0]["RpAccPurchBalanceLimit"], 0.0);
        let (_, devices) = s.get("/clearpark/devices/?limit=5", Some(TOKEN)).await;
        assert_eq!(devices["total"], 5);
        assert_eq!(devices["next_after_id"], 5);
        assert_eq!(devices["data"][0]["IsAllowed"], true);
        s.stop().await;
    }
}
