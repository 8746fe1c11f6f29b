//! `GET /clearpark/tariffs/`: the price board (docs/tariffs.md): every tariff, whom it prices,
//! and every version's rules with the time it took effect.

use super::ApiState;
use super::error::{ApiError, envelope};
use crate::store::read::format_time;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

pub async fn list(State(state): State<ApiState>) -> Result<Response, ApiError> {
    let tariffs = state.readers().read(|reader| reader.tariffs()).await?;
    let data: Vec<Value> = tariffs
        .into_iter()
        .map(|t| {
            json!({
                "name": t.name,
                "currency": t.currency,
                "description": t.description,
                "assigned_to": t.assigned_to,
                "versions": t.versions.into_iter().map(|v| json!({
                    "id": v.id,
                    "version": v.version,
                    "effective_from": format_time(v.effective_from),
                    "created_at": format_time(v.created_at),
                    "created_by": v.created_by,
                    "rules": v.rules,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(envelope(
        StatusCode::OK,
        json!({"status": 1, "message": "Info", "total": data.len(), "data": data}),
    ))
}

#[cfg(test)]
mod tests {
    use crate::api::testing::{Gates, TOKEN, TestApi};
    use axum::http::StatusCode;

    #[tokio::test]
    async fn the_board_is_listed_with_its_versions() {
        let mut s = TestApi::start(Gates::None, |_, _| {});
        let (status, body) = s.get("/clearpark/tariffs/", Some(TOKEN)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["total"], 1);
        let standard = &body["data"][0];
        assert_eq!(standard["name"], "standard");
        assert_eq!(standard["assigned_to"][0], "default");
        assert_eq!(standard["versions"][0]["version"], 1);
        assert_eq!(
            standard["versions"][0]["effective_from"],
            "1970-01-01 00:00:00"
        );
        assert_eq!(
            standard["versions"][0]["rules"]["period"][0]["price"],
            "resource"
        );
        let (status, _) = s.get("/clearpark/tariffs/", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        s.stop().await;
    }
}
