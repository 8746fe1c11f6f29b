//! `POST /find-device/?type=entrance|exit` with `{"data": "<QR>"}` (or `{"data": 788879}`, a
//! numeric code unquoted as the reference writes it): a scan at the lane the config maps,
//! decided by the booth like any other, answered with the reference's payload.

use super::ApiState;
use super::error::{ApiError, envelope};
use crate::booth::{ScanOutcome, ScanSource};
use crate::domain::model::Session;
use crate::domain::pricing::Quote;
use crate::domain::session::Refusal;
use crate::domain::tariff::TariffRef;
use crate::store::read::{Table, format_time};
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

#[derive(Debug, serde::Deserialize)]
pub struct FindDeviceQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
}

pub async fn find_device(
    State(state): State<ApiState>,
    query: Result<Query<FindDeviceQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let lane = match query.kind.as_deref() {
        Some("entrance") => state.config().entrance_lane.clone(),
        Some("exit") => state.config().exit_lane.clone(),
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "type={other:?} is not entrance or exit"
            )));
        }
        None => {
            return Err(ApiError::BadRequest(
                "the query parameter type is missing: ?type=entrance or ?type=exit".into(),
            ));
        }
    };
    let code = qr_data(body)?;
    let decided = state.booth().scan(&lane, code, ScanSource::Api).await?;

    let (session, quote) = match decided.outcome {
        ScanOutcome::Refused(Refusal::UnknownCode) => {
            // The reference's "device not found", exactly.
            return Ok(envelope(StatusCode::OK, json!({"status": 0, "data": {}})));
        }
        ScanOutcome::Refused(refusal @ Refusal::Unavailable) => {
            return Ok(envelope(StatusCode::SERVICE_UNAVAILABLE, refused(&refusal)));
        }
        ScanOutcome::Refused(refusal) => return Ok(envelope(StatusCode::OK, refused(&refusal))),
        ScanOutcome::AwaitingPayment { session, quote } => {
            let ticket = decided.ticket.map(|t| t.ticket_no).unwrap_or_default();
            return Ok(envelope(
                StatusCode::OK,
                json!({
                    "status": 0,
                    "data": {},
                    "message": format!(
                        "Ticket {ticket:06}: {} min, pay {} {} at the booth; the gate opens once the attendant records the payment.",
                        quote.billed_minutes, quote.total, session.currency
                    ),
                    "reason": "payment_required",
                }),
            ));
        }
        ScanOutcome::ValidationHeld { shop, grant } => {
            return Ok(envelope(
                StatusCode::OK,
                json!({
                    "status": 0,
                    "data": {},
                    "message": format!("Validated by {shop}: {grant}. Scan the ticket or code next."),
                    "reason": "validation_held",
                }),
            ));
        }
        ScanOutcome::Entered { session, .. } => (session, None),
        ScanOutcome::Exited { session, quote, .. } => (session, Some(quote)),
    };
    // An entrance names the tariff it entered under; an exit, the one that priced it.
    let tariff = match (&quote, session.tariff_version_id) {
        (Some(q), _) => q.tariff.clone(),
        (None, Some(id)) => state
            .readers()
            .read(move |reader| reader.tariff_version(id))
            .await?
            .map(|v| v.reference()),
        (None, None) => None,
    };
    let parking = parking(&session, quote.as_ref(), tariff.as_ref());
    let data = match (decided.account, decided.device) {
        (Some(account), Some(device)) => {
            let (account_row, device_row) = state
                .readers()
                .read(move |reader| {
                    Ok((
                        reader.row(Table::Accounts, account.id)?,
                        reader.row(Table::Devices, device.id)?,
                    ))
                })
                .await?;
            let (Some(mut data), Some(device)) = (account_row, device_row) else {
                return Err(ApiError::Internal(
                    "a scanned account or device row is gone".into(),
                ));
            };
            data.insert("Device".into(), Value::Object(device));
            data.insert("Parking".into(), parking);
            data
        }
        // A walk-in ticket at the entrance again (a retry): no account to show.
        _ => {
            let mut data = Map::new();
            data.insert(
                "TicketNo".into(),
                decided
                    .ticket
                    .map_or(Value::Null, |t| Value::from(t.ticket_no)),
            );
            data.insert("Parking".into(), parking);
            data
        }
    };
    Ok(envelope(
        StatusCode::OK,
        json!({"status": 1, "data": data, "message": "Find Device", "total": 1}),
    ))
}

/// The QR code of `{"data": "<QR>"}`, or a 400 that says what is wrong with the body.
fn qr_data(body: Result<Bytes, BytesRejection>) -> Result<String, ApiError> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::BadRequest(format!("cannot read the body: {}", e.body_text()))
        }
    })?;
    if body.is_empty() {
        return Err(ApiError::BadRequest(
            "the body is empty; send {\"data\": \"<QR code>\"}".into(),
        ));
    }
    let value: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))?;
    match value.get("data") {
        Some(Value::String(code)) => Ok(code.clone()),
        Some(Value::Number(_)) => numeric_code(&body),
        Some(other) => Err(ApiError::BadRequest(format!(
            "\"data\" must be a string (the QR code), not {}",
            kind_of(other)
        ))),
        None if value.is_object() => Err(ApiError::BadRequest(
            "\"data\" is missing; send {\"data\": \"<QR code>\"}".into(),
        )),
        None => Err(ApiError::BadRequest(format!(
            "the body must be a JSON object {{\"data\": \"<QR code>\"}}, not {}",
            kind_of(&value)
        ))),
    }
}

/// `{"data": 788879}`: the reference writes the body as `{"data": ${qr_data}}`, unquoted, so a
/// scanner bridge may send a numeric code as a JSON number. Its digits are taken exactly as
/// sent (a number longer than a float holds keeps every digit); a fraction or an exponent is
/// not a code.
fn numeric_code(body: &[u8]) -> Result<String, ApiError> {
    #[derive(serde::Deserialize)]
    struct Raw<'a> {
        #[serde(borrow)]
        data: &'a serde_json::value::RawValue,
    }
    let raw: Raw = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))?;
    let text = raw.data.get();
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::BadRequest(format!(
            "\"data\" {text} is not a whole number; send the QR code as a string or as digits"
        )));
    }
    Ok(text.to_owned())
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn refused(refusal: &Refusal) -> Value {
    json!({
        "status": 0,
        "data": {},
        "message": refusal.to_string(),
        "reason": refusal.code(),
    })
}

/// `Parking`: the stay so far. On an entrance only the start, the price per minute and the
/// currency are known; on an exit, everything the receipt shows.
/// The reference's `Parking` block, and the tariff that prices the stay with, at an exit, the
/// lines that explain `TotalPrice` (docs/tariffs.md).
fn parking(session: &Session, quote: Option<&Quote>, tariff: Option<&TariffRef>) -> Value {
    json!({
        "AttStartDate": format_time(session.start),
        "AttEndDate": quote.map(|q| format_time(q.end)),
        "Minutes": quote.map(|q| q.billed_minutes),
        "ResPrice": session.price_per_minute.to_string(),
        "TotalPrice": quote.map(|q| q.total.to_string()),
        "Currency": session.currency,
        "Tariff": tariff.map(|t| t.name.clone()),
        "TariffVersion": tariff.map(|t| t.version),
        "Breakdown": quote.map(|q| q.lines.iter().map(|l| json!({
            "kind": l.kind,
            "label": l.label,
            "count": l.count,
            "amount": l.amount.to_string(),
        })).collect::<Vec<_>>()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::testing::{
        Gates, IN, JWT_SECRET, REFERENCE_CODE, TOKEN, TestApi, json, request,
    };
    use crate::booth::{AttendantCommand, AttendantDone};
    use axum::http::Method;
    use chrono::TimeDelta;
    use std::time::Duration;

    fn code(body: &str) -> Result<String, String> {
        qr_data(Ok(Bytes::from(body.to_owned()))).map_err(|e| match e {
            ApiError::BadRequest(why) => why,
            other => format!("{other:?}"),
        })
    }

    #[test]
    fn a_code_as_a_string_or_as_digits() {
        assert_eq!(
            code(r#"{"data": "788879fbe6635"}"#),
            Ok("788879fbe6635".into())
        );
        assert_eq!(code(r#"{"data": 788879}"#), Ok("788879".into()));
        assert_eq!(code(r#"{"data":-12}"#), Ok("-12".into()));
        // Longer than any float or u64 holds: the digits as sent.
        let long = "123456789012345678901234567890";
        assert_eq!(code(&format!(r#"{{"data": {long} }}"#)), Ok(long.into()));
        for (body, says) in [
            (r#"{"data": 78.5}"#, "\"data\" 78.5 is not a whole number"),
            (r#"{"data": 1e5}"#, "\"data\" 1e5 is not a whole number"),
            (
                r#"{"data": null}"#,
                "must be a string (the QR code), not null",
            ),
            (r#"{"data": [1]}"#, "not an array"),
        ] {
            let why = code(body).unwrap_err();
            assert!(why.contains(says), "{body}: {why}");
        }
    }

    fn jwt(exp_from_now: i64) -> String {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &json!({"sub": "accounting", "exp": crate::booth::clock::now().timestamp() + exp_from_now}),
            &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
        )
        .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn refused_and_malformed_requests_write_nothing() {
        let mut s = TestApi::start(Gates::None, |_, _| {});
        let blocked = s.codes.iter().find(|c| c.blocked).unwrap().code.clone();
        let before = s.dump();

        // Unknown code: exactly the reference's "device not found".
        let (status, body) = s.find("entrance", "NOT-A-KNOWN-CODE").await;
        assert_eq!(
            (status, body),
            (StatusCode::OK, json!({"status": 0, "data": {}}))
        );
        // Refusals: status 0 with the sentence and the code.
        for (kind, code, reason) in [
            ("exit", REFERENCE_CODE, "not_inside"),
            ("entrance", blocked.as_str(), "blocked_account"),
            ("entrance", "bad\u{1b}[2Jcode", "invalid_code"),
        ] {
            let (status, body) = s.find(kind, code).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(body["status"], 0);
            assert_eq!(body["data"], json!({}));
            assert_eq!(body["reason"], reason, "{body}");
            assert!(!body["message"].as_str().unwrap().is_empty());
        }

        // Missing, wrong, expired credentials: 401 in the reference's shape.
        let scan = json!({"data": REFERENCE_CODE}).to_string();
        for token in [
            None,
            Some("wrong-token-0000000000".to_string()),
            Some(jwt(-3600)),
            Some(format!("{TOKEN}x")),
        ] {
            let (status, body) = s
                .call(
                    Method::POST,
                    "/find-device/?type=entrance",
                    token.as_deref(),
                    Some(&scan),
                )
                .await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
            assert_eq!(body, json!({"status": 0, "data": {}}));
        }
        // A JWT that has not expired is accepted (on a read, so that nothing is written).
        let (status, _) = s.get("/clearpark/devices/?limit=1", Some(&jwt(3600))).await;
        assert_eq!(status, StatusCode::OK);

        // Bodies and parameters that are wrong say what is wrong.
        let cases = [
            (
                "?type=entrance",
                "{\"data\": \"x\"".to_string(),
                400,
                "malformed JSON",
            ),
            (
                "?type=entrance",
                "{\"code\": \"x\"}".to_string(),
                400,
                "\"data\" is missing",
            ),
            (
                "?type=entrance",
                "{\"data\": 4.2}".to_string(),
                400,
                "not a whole number",
            ),
            (
                "?type=entrance",
                "{\"data\": true}".to_string(),
                400,
                "not a boolean",
            ),
            ("?type=entrance", "[1, 2]".to_string(), 400, "JSON object"),
            ("?type=entrance", String::new(), 400, "body is empty"),
            (
                "?type=sideways",
                "{\"data\": \"x\"}".to_string(),
                400,
                "not entrance or exit",
            ),
            ("", "{\"data\": \"x\"}".to_string(), 400, "type is missing"),
            (
                "?type=entrance",
                format!("{{\"data\": \"{}\"}}", "A".repeat(17 * 1024)),
                413,
                "over 16384 bytes",
            ),
        ];
        for (query, body, want, says) in cases {
            let (status, body) = s
                .call(
                    Method::POST,
                    &format!("/find-device/{query}"),
                    Some(TOKEN),
                    Some(&body),
                )
                .await;
            assert_eq!(status.as_u16(), want, "{query} {says}");
            assert_eq!(body["status"], 0);
            let message = body["message"].as_str().unwrap();
            assert!(message.contains(says), "{message:?} should say {says:?}");
        }

        // Wrong method, unknown route: the same envelope.
        let res = s
            .send(request(Method::GET, "/find-device/", Some(TOKEN), None))
            .await;
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(res.headers()["allow"], "POST");
        assert_eq!(json(res).await["status"], 0);
        let (status, body) = s.get("/admin/", Some(TOKEN)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["data"], json!({}));

        // set-ip with a wrong or no key.
        for path in ["/set-ip/?device_key=not-the-key-0000000", "/set-ip/"] {
            let (status, body) = s.get(path, None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED);
            assert_eq!(body, json!({"status": 0, "data": {}}));
        }

        assert_eq!(s.dump(), before, "a refused request wrote something");
        s.stop().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn anti_passback_holds_between_a_lane_scan_and_the_api() {
        let mut s = TestApi::start(Gates::None, |_, _| {});
        let code = s.free_code(0);
        let decided = s
            .client()
            .scan(IN, code.clone(), ScanSource::Scanner)
            .await
            .unwrap();
        assert!(
            matches!(decided.outcome, ScanOutcome::Entered { .. }),
            "{decided:?}"
        );
        let before = s.dump();
        let (status, body) = s.find("entrance", &code).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["reason"], "already_inside", "{body}");
        assert_eq!(s.dump(), before);

        s.clock.advance(TimeDelta::minutes(61));
        let (_, body) = s.find("exit", &code).await;
        assert_eq!(body["status"], 1);
        assert_eq!(body["data"]["Parking"]["Minutes"], 61);
        assert_eq!(body["data"]["Parking"]["TotalPrice"], "3.05");
        let (_, body) = s.find("exit", &code).await;
        assert_eq!(body["reason"], "not_inside");
        s.stop().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_walk_in_ticket_at_the_api_exit_is_told_to_pay_at_the_booth() {
        let mut s = TestApi::start(Gates::None, |_, _| {});
        let client = s.client();
        let done = client
            .attendant("anna", AttendantCommand::IssueTicket { lane: IN.into() })
            .await
            .unwrap()
            .unwrap();
        let AttendantDone::TicketIssued {
            code, ticket_no, ..
        } = done
        else {
            panic!("{done:?}")
        };
        s.clock.advance(TimeDelta::minutes(25));
        let before = s.dump();
        let (status, body) = s.find("exit", &code).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["status"], 0);
        assert_eq!(body["reason"], "payment_required");
        let message = body["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("{ticket_no:06}")) && message.contains("1.25 TMT"),
            "{message}"
        );
        assert_eq!(
            s.dump(),
            before,
            "nothing is written until the attendant takes the payment"
        );
        // The lane now waits for the payment, as after a scan at the lane (the snapshot is
        // published just after the answer is sent).
        let mut snapshots = s.running.as_ref().unwrap().snapshots();
        let waiting = tokio::time::timeout(
            Duration::from_secs(5),
            snapshots.wait_for(|snap| snap.lanes[1].awaiting_payment.is_some()),
        )
        .await
        .expect("the exit lane never showed the payment due")
        .unwrap()
        .lanes[1]
            .awaiting_payment
            .clone()
            .unwrap();
        assert_eq!(waiting.ticket_no, ticket_no);
        s.stop().await;
    }
}
