//! The HTTP API on a real listening server, hit by a real client (reqwest): the booth runs on its
//! thread over a real SQLite file, with a clock that moves only when told.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use clearpark_testkit as support;

use chrono::TimeDelta;
use clearpark::api;
use clearpark::booth::clock::ManualClock;
use clearpark::booth::{AttendantCommand, AttendantDone, GateSignal, ScanOutcome, ScanSource};
use clearpark::config::api::{AccessPoint, DeviceKey, Secret, TlsFiles};
use clearpark::config::{ApiConfig, Config, GateEndpoint, PrinterEndpoint};
use clearpark::demo::{self, DemoCode};
use clearpark::devices::DeviceOptions;
use clearpark::devices::sim::gate::Timings;
use clearpark::devices::sim::lane::SimGateConfig;
use clearpark::runtime::Running;
use clearpark::store::attendance::{self, NewAttendance};
use clearpark::store::{Store, devices, driver_tokens, remote_io};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use support::process::Process;
use support::{IN, OUT, dump_file, t0};

const TOKEN: &str = "test-operator-token-0001";
const JWT_SECRET: &str = "test-jwt-secret-0123456789abcdef-0123";
const DEVICE: &str = "pump-house";
const DEVICE_KEY: &str = "pump-house-key-000001";
const MAC: &str = "76:86:BB:DE:63:AD";
const REFERENCE_CODE: &str = "788879fbe6635";

/// The reference's "Example successful response (full payload)", as published.
const REFERENCE_EXAMPLE: &str = r#"{"data":{"AddInf1":null,"AddInf2":null,"AddInf3":null,"AddInf4":null,"AddInf5":null,"AddInf6":null,"CId":1,"CreatedDate":"2021-10-22 14:40:02","CreatedUId":null,"DbGuid":null,"Device":{"AddInf1":null,"AddInf2":null,"AddInf3":null,"AddInf4":null,"AddInf5":null,"AddInf6":"id=QP1A.190711.020,androidId=e4d788879fbe6635","AllowedDate":null,"CreatedDate":"2021-01-15 20:04:55","CreatedUId":null,"DevDesc":null,"DevGuid":"d1bddb81-2c27-4b93-b79f-5d1e5576eb78","DevId":2,"DevName":"2021-01-14 23:44:26.778464","DevUniqueId":"788879fbe6635","DevVerifyDate":"2021-01-15 20:04:57","DevVerifyKey":null,"DisallowedDate":null,"GCRecord":null,"IsAllowed":false,"ModifiedDate":"2021-01-21 20:52:16","ModifiedUId":null,"RpAccId":50,"SyncDateTime":"2021-01-15 20:04:55","UId":null},"DeviceQty":null,"DivId":1,"EmpId":null,"GCRecord":null,"GenderId":null,"IsMain":null,"ModifiedDate":"2021-10-22 14:40:02","ModifiedUId":null,"NatId":null,"ReprId":null,"ResPriceGroupId":null,"RpAccAddress":"helloworlddd","RpAccBirthDate":null,"RpAccEMail":null,"RpAccFirstName":null,"RpAccGuid":"9d40a40d-cf50-4bbd-a7e5-733a0314beb0","RpAccHomePhoneNumber":"","RpAccId":50,"RpAccLangSkills":null,"RpAccLastActivityDate":"2021-10-22 15:01:02","RpAccLastActivityDevice":"Browser: chrome","RpAccLastName":null,"RpAccLatitude":0.0,"RpAccLongitude":0.0,"RpAccMobilePhoneNumber":"+99361509038","RpAccName":"bionicccccc","RpAccPassportIssuePlace":null,"RpAccPassportNo":null,"RpAccPatronomic":null,"RpAccPurchBalanceLimit":0.0,"RpAccRegNo":"ARAK12","RpAccResidency":null,"RpAccSaleBalanceLimit":0.0,"RpAccStatusId":1,"RpAccTypeId":2,"RpAccUName":"mike","RpAccViewCnt":null,"RpAccVisibleIndex":null,"RpAccWebAddress":"","RpAccWorkFaxNumber":"","RpAccWorkPhoneNumber":"","RpAccZipCode":"","SyncDateTime":"2021-10-22 14:40:02","UnusedDeviceQty":null,"WpId":null},"message":"Find Device","total":1}"#;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Gates {
    /// No barrier: a committed scan is the passage.
    None,
    /// Simulated barriers whose vehicles never come by themselves: the test says when.
    Held,
}

struct Server {
    _dir: tempfile::TempDir,
    db: PathBuf,
    config: Config,
    clock: ManualClock,
    running: Option<Running>,
    base: String,
    http: reqwest::Client,
    codes: Vec<DemoCode>,
}

fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn api_config(dir: &std::path::Path) -> ApiConfig {
    let _ = dir;
    let mut api = ApiConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        IN,
        OUT,
        vec![Secret::new(TOKEN)],
    );
    api.jwt_secret = Some(Secret::new(JWT_SECRET));
    api.device_keys = vec![DeviceKey {
        name: DEVICE.into(),
        key: Secret::new(DEVICE_KEY),
    }];
    api.access_points = vec![AccessPoint {
        lane: IN.into(),
        mac_address: MAC.into(),
    }];
    api
}

/// A booth with the demo's data (the reference account and twenty more, eight parked) at
/// 0.05 TMT a minute, and its API on an ephemeral port.
async fn server(gates: Gates, adjust: impl FnOnce(&Store, &mut ApiConfig)) -> Server {
    install_crypto();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("booth.db");
    let mut config = support::config(db.clone());
    // Bay sensors without a broker: their messages are handed to the booth by the tests.
    config.nwave = Some(clearpark::config::NwaveSettings {
        broker: None,
        limits: clearpark::domain::nwave::OverstayLimits {
            default_minutes: Some(30),
            ..Default::default()
        },
        keep_days: 90,
    });
    for lane in &mut config.lanes {
        lane.printer =
            PrinterEndpoint::File(dir.path().join(format!("printer-{}.escpos", lane.id)));
        if gates == Gates::None {
            lane.gate = GateEndpoint::None;
        }
    }
    let mut store = Store::open(&db).unwrap();
    let codes = demo::seed(&mut store, &config, t0()).unwrap();
    let mut api = api_config(dir.path());
    adjust(&store, &mut api);
    config.api = Some(api.clone());
    let clock = ManualClock::new(t0());
    // Vehicles never come and the barrier waits for them for hours: sessions stay where the
    // scans put them.
    let held = SimGateConfig {
        timings: Timings {
            open_timeout: Duration::from_secs(7200),
            ..Timings::default()
        },
        auto: false,
        ..SimGateConfig::default()
    };
    let mut running = Running::start(
        &config,
        store,
        Box::new(clock.clone()),
        DeviceOptions { sim_gate: held },
    )
    .unwrap();
    let listener = api::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let scheme = if api.tls.is_some() { "https" } else { "http" };
    let addr = running
        .serve_api(&config, api, Arc::new(clock.clone()), Some(listener))
        .await
        .unwrap();
    let base = if scheme == "https" {
        format!("https://localhost:{}", addr.port())
    } else {
        format!("http://{addr}")
    };
    Server {
        _dir: dir,
        db,
        config,
        clock,
        running: Some(running),
        base,
        http: reqwest::Client::new(),
        codes,
    }
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn find(&self, kind: &str, code: &str) -> (StatusCode, Value) {
        let res = self
            .http
            .post(self.url(&format!("/find-device/?type={kind}")))
            .bearer_auth(TOKEN)
            .json(&json!({ "data": code }))
            .send()
            .await
            .unwrap();
        (res.status(), res.json().await.unwrap())
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut req = self.http.get(self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let res = req.send().await.unwrap();
        (res.status(), res.json().await.unwrap())
    }

    fn dump(&self) -> Vec<String> {
        dump_file(&self.db)
    }

    fn write(&self) -> Store {
        Store::open(&self.db).unwrap()
    }

    /// A code of a seeded account that is neither parked nor blocked.
    fn free_code(&self, nth: usize) -> String {
        self.codes
            .iter()
            .filter(|c| !c.inside && !c.blocked && c.code != REFERENCE_CODE)
            .nth(nth)
            .unwrap()
            .code
            .clone()
    }

    fn account_of(&self, code: &str) -> i64 {
        let store = Store::open_read_only(&self.db).unwrap();
        devices::find_by_code(store.conn(), code)
            .unwrap()
            .unwrap()
            .account_id
    }

    async fn stop(&mut self) {
        self.running.take().unwrap().stop().await;
    }
}

fn jwt(exp_from_now: i64) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"sub": "accounting", "exp": clearpark::booth::clock::now().timestamp() + exp_from_now}),
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap()
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Same field names as the reference object, and the same JSON type wherever both have a value.
fn assert_shape_like_reference(ours: &Value, reference: &Value, extra: &[&str]) {
    let (ours, reference) = (ours.as_object().unwrap(), reference.as_object().unwrap());
    let mut our_keys: Vec<&String> = ours
        .keys()
        .filter(|k| !extra.contains(&k.as_str()))
        .collect();
    let mut ref_keys: Vec<&String> = reference.keys().collect();
    our_keys.sort();
    ref_keys.sort();
    assert_eq!(our_keys, ref_keys);
    for (key, want) in reference {
        let got = &ours[key];
        if !want.is_null() && !got.is_null() && !want.is_object() {
            assert_eq!(json_kind(got), json_kind(want), "{key}: {got} vs {want}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_curl_flow_enters_then_exits_with_the_price() {
    let mut s = server(Gates::None, |_, _| {}).await;
    let reference: Value = serde_json::from_str(REFERENCE_EXAMPLE).unwrap();

    let res = s
        .http
        .post(s.url("/find-device/?type=entrance"))
        .header("Authorization", format!("Bearer {TOKEN}"))
        .header("Content-Type", "application/json")
        .header("x-request-id", "reference-flow-1")
        .body(format!(r#"{{"data":"{REFERENCE_CODE}"}}"#))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-request-id"], "reference-flow-1");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], 1);
    assert_eq!(body["message"], "Find Device");
    assert_eq!(body["total"], 1);
    let data = &body["data"];
    assert_shape_like_reference(data, &reference["data"], &["Parking", "RpAccTransTotal"]);
    assert_shape_like_reference(&data["Device"], &reference["data"]["Device"], &[]);
    for field in [
        "RpAccGuid",
        "RpAccName",
        "RpAccRegNo",
        "RpAccUName",
        "RpAccAddress",
    ] {
        assert_eq!(data[field], reference["data"][field], "{field}");
    }
    assert_eq!(
        data["Device"]["DevGuid"],
        reference["data"]["Device"]["DevGuid"]
    );
    assert_eq!(data["Device"]["IsAllowed"], true);
    assert_eq!(data["RpAccLatitude"], 0.0);
    assert_eq!(data["RpAccTransTotal"], "0.00");
    assert_eq!(
        data["Parking"],
        json!({"AttStartDate": "2026-11-23 10:00:00", "AttEndDate": null, "Minutes": null,
               "ResPrice": "0.05", "TotalPrice": null, "Currency": "TMT"})
    );

    // 435 s later, at the exit (through the reference's /api prefix): 8 minutes, 0.40.
    s.clock.advance(TimeDelta::seconds(435));
    let res = s
        .http
        .post(s.url("/api/find-device/?type=exit"))
        .bearer_auth(TOKEN)
        .json(&json!({"data": REFERENCE_CODE}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        !res.headers()["x-request-id"].is_empty(),
        "an id is made when none is sent"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], 1, "{body}");
    assert_eq!(
        body["data"]["Parking"],
        json!({"AttStartDate": "2026-11-23 10:00:00", "AttEndDate": "2026-11-23 10:07:15",
               "Minutes": 8, "ResPrice": "0.05", "TotalPrice": "0.40", "Currency": "TMT"})
    );
    assert_eq!(body["data"]["RpAccTransTotal"], "0.40");

    // Both attendance rows are there, in the sync list.
    let (status, list) = s
        .get("/clearpark/attendances/?after_id=8", Some(TOKEN))
        .await;
    assert_eq!(status, StatusCode::OK);
    let types: Vec<&Value> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["AttTypeId"])
        .collect();
    assert_eq!(types, [&json!(1), &json!(2)]);
    s.stop().await;
}

/// The reference writes the body as `{"data": ${qr_data}}`, unquoted: a scanner bridge sends a
/// numeric code as a JSON number, every digit of it kept (more than a float holds).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_numeric_code_sent_as_a_json_number_is_scanned() {
    const LONG: &str = "40400000000000000000000000000001";
    let mut s = server(Gates::None, |store, _| {
        for code in ["20261123042", LONG] {
            devices::insert(
                store.conn(),
                &devices::NewDevice {
                    account_id: 1,
                    unique_id: Some(code.into()),
                    name: None,
                    guid: None,
                },
                t0(),
            )
            .unwrap();
        }
    })
    .await;
    let scan = |kind: &str, body: String| {
        s.http
            .post(s.url(&format!("/find-device/?type={kind}")))
            .bearer_auth(TOKEN)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
    };
    let res = scan("entrance", "{\"data\": 20261123042}".into())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], 1, "{body}");
    assert_eq!(body["data"]["Device"]["DevUniqueId"], "20261123042");
    s.clock.advance(TimeDelta::minutes(3));
    let body: Value = scan("exit", format!("{{\"data\":{LONG}}}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // The long code is another device of the same account: it leaves with the stay.
    assert_eq!(body["status"], 1, "{body}");
    assert_eq!(body["data"]["Device"]["DevUniqueId"], LONG);
    assert_eq!(body["data"]["Parking"]["Minutes"], 3);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_and_malformed_requests_write_nothing() {
    let mut s = server(Gates::None, |_, _| {}).await;
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
    let post = |token: Option<String>| {
        let mut req = s
            .http
            .post(s.url("/find-device/?type=entrance"))
            .json(&json!({"data": REFERENCE_CODE}));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    for token in [
        None,
        Some("wrong-token-0000000000".to_string()),
        Some(jwt(-3600)),
        Some(format!("{TOKEN}x")),
    ] {
        let res = post(token).await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            res.json::<Value>().await.unwrap(),
            json!({"status": 0, "data": {}})
        );
    }
    // A JWT that has not expired is accepted (on a read, so that nothing is written).
    let (status, _) = s.get("/clearpark/devices/?limit=1", Some(&jwt(3600))).await;
    assert_eq!(status, StatusCode::OK);

    // Bodies and parameters that are wrong say what is wrong.
    let raw = |query: &str, body: String| {
        s.http
            .post(s.url(&format!("/find-device/{query}")))
            .bearer_auth(TOKEN)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
    };
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
        let res = raw(query, body).await.unwrap();
        assert_eq!(res.status().as_u16(), want, "{query} {says}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["status"], 0);
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(says), "{message:?} should say {says:?}");
    }

    // Wrong method, unknown route: the same envelope.
    let res = s
        .http
        .get(s.url("/find-device/"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.headers()["allow"], "POST");
    assert_eq!(res.json::<Value>().await.unwrap()["status"], 0);
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

/// A request whose body is still arriving holds its place (`api.max_in_flight = 1` here): the
/// next request is shed at once with 503 and `Retry-After`, `/healthz` is still answered, and
/// once the slow one is done the API serves again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_past_max_in_flight_are_shed_with_503() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = server(Gates::None, |_, api| api.max_in_flight = 1).await;
    let code = s.free_code(0);
    let body = json!({ "data": code }).to_string();
    let addr = s.base.trim_start_matches("http://").to_owned();
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /find-device/?type=entrance HTTP/1.1\r\nHost: {addr}\r\n\
         Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let (first, rest) = body.split_at(body.len() / 2);
    slow.write_all(head.as_bytes()).await.unwrap();
    slow.write_all(first.as_bytes()).await.unwrap();

    // Until the server has read the slow request's head, others may still get through.
    let shed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let res = s
                .http
                .get(s.url("/clearpark/devices/?limit=1"))
                .bearer_auth(TOKEN)
                .send()
                .await
                .unwrap();
            if res.status() == StatusCode::SERVICE_UNAVAILABLE {
                break res;
            }
            assert_eq!(res.status(), StatusCode::OK);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("no request was shed while one was in flight");
    assert_eq!(shed.headers()["retry-after"], "1");
    let answer: Value = shed.json().await.unwrap();
    assert_eq!(answer["status"], 0);
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("too many requests")
    );
    let (status, _) = s.get("/healthz", None).await;
    assert_eq!(status, StatusCode::OK, "the liveness probe is never shed");

    // The slow scan completes normally, and then the API serves again.
    slow.write_all(rest.as_bytes()).await.unwrap();
    let mut raw = String::new();
    slow.read_to_string(&mut raw).await.unwrap();
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    let json_start = raw.find("\r\n\r\n").unwrap() + 4;
    let scanned: Value = serde_json::from_str(&raw[json_start..]).unwrap();
    assert_eq!(scanned["status"], 1, "{scanned}");
    let (status, _) = s.get("/clearpark/devices/?limit=1", Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anti_passback_holds_between_a_lane_scan_and_the_api() {
    let mut s = server(Gates::None, |_, _| {}).await;
    let code = s.free_code(0);
    let decided = s
        .running
        .as_ref()
        .unwrap()
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
    let mut s = server(Gates::None, |_, _| {}).await;
    let client = s.running.as_ref().unwrap().client();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_ip_records_the_peer_address_and_only_a_fingerprint_of_the_key() {
    let mut s = server(Gates::None, |_, _| {}).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_through_1200_attendances_with_after_id() {
    let mut s = server(Gates::None, |store, _| {
        let mut store = Store::open(store.path()).unwrap();
        let tx = store.transaction().unwrap();
        for i in 0..1200 {
            let guid = uuid::Uuid::new_v4().to_string();
            attendance::insert(
                &tx,
                clearpark::store::DbStructure::Saphasap,
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
    })
    .await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_drivers_session_in_each_state_then_404() {
    let mut s = server(Gates::Held, |_, _| {}).await;
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
    let client = s.running.as_ref().unwrap().client();
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
        tries = s.get(current, Some(&my_token)).await.1["parking_session"]["exit_remaining_tries"]
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

async fn wait_for_state(s: &Server, token: &str, state: &str) -> Value {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_token_from_the_command_line_is_accepted_and_revocable() {
    let mut s = server(Gates::None, |_, _| {}).await;
    let config = s._dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[booth]\nname = \"Test Park\"\ndatabase = \"booth.db\"\nres_guid = \"{}\"\n",
            s.config.booth.res_guid
        ),
    )
    .unwrap();
    let cli = |args: &[&str]| {
        let out = support::process::command(s._dir.path())
            .arg("--config")
            .arg(&config)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let out = cli(&["accounts", "token", "ARAK12"]);
    let token = out.lines().last().unwrap().trim().to_owned();
    assert!(token.starts_with("cpd_") && token.len() == 68, "{out}");
    assert!(
        s.dump().iter().all(|l| !l.contains(&token)),
        "only the hash is stored"
    );
    let current = "/api/car_driver/parking_sessions/current";
    assert_eq!(s.get(current, Some(&token)).await.0, StatusCode::NOT_FOUND);
    s.find("entrance", REFERENCE_CODE).await;
    assert_eq!(s.get(current, Some(&token)).await.0, StatusCode::OK);
    cli(&["accounts", "token", "ARAK12", "--revoke"]);
    assert_eq!(
        s.get(current, Some(&token)).await.0,
        StatusCode::UNAUTHORIZED
    );
    s.stop().await;
}

/// Checks a value against an OpenAPI 3.0 schema: types, nullable, required, properties,
/// `additionalProperties: false`, items, enum, oneOf and allOf, with local `$ref`s.
fn check(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/components/schemas/");
        return check(doc, &doc["components"]["schemas"][name], value, at);
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for s in all {
            check(doc, s, value, at)?;
        }
    }
    if let Some(any) = schema.get("oneOf").and_then(Value::as_array) {
        let errors: Vec<String> = any
            .iter()
            .filter_map(|s| check(doc, s, value, at).err())
            .collect();
        if errors.len() == any.len() {
            return Err(format!("{at}: matches none of oneOf: {errors:?}"));
        }
    }
    if value.is_null() {
        return if schema["nullable"] == true || schema.get("type").is_none() {
            Ok(())
        } else {
            Err(format!("{at}: null but not nullable"))
        };
    }
    if let Some(kind) = schema.get("type").and_then(Value::as_str) {
        let ok = match kind {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            _ => false,
        };
        if !ok {
            return Err(format!("{at}: {value} is not {kind}"));
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        return Err(format!("{at}: {value} not in {allowed:?}"));
    }
    if let Some(required) = schema.get("required").and_then(Value::as_array) {
        for key in required {
            if value.get(key.as_str().unwrap()).is_none() {
                return Err(format!("{at}: {key} is missing"));
            }
        }
    }
    if let (Some(props), Some(object)) = (
        schema.get("properties").and_then(Value::as_object),
        value.as_object(),
    ) {
        for (key, s) in props {
            if let Some(v) = object.get(key) {
                check(doc, s, v, &format!("{at}.{key}"))?;
            }
        }
    }
    if schema["additionalProperties"] == false
        && let (Some(props), Some(object)) = (
            schema.get("properties").and_then(Value::as_object),
            value.as_object(),
        )
        && let Some(extra) = object.keys().find(|k| !props.contains_key(*k))
    {
        return Err(format!("{at}: {extra:?} is not a documented field"));
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, v) in array.iter().enumerate() {
            check(doc, items, v, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_matches_the_live_router() {
    let mut s = server(Gates::None, |_, _| {}).await;
    let file =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json")).unwrap();
    let doc: Value = serde_json::from_str(&file).unwrap();
    let served = s
        .http
        .get(s.url("/openapi.json"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(
        served.text().await.unwrap(),
        file,
        "the served document is the file"
    );

    // A parked driver, for the driver's route.
    let parked = s.codes.iter().find(|c| c.inside).unwrap().code.clone();
    let store = s.write();
    let driver = driver_tokens::create(store.conn(), s.account_of(&parked), t0()).unwrap();
    drop(store);
    let free = [s.free_code(0), s.free_code(1)];
    let mut posts = 0;

    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 9);
    for (path, operations) in paths {
        for (method, operation) in operations.as_object().unwrap() {
            let mut query = Vec::new();
            for p in operation["parameters"].as_array().into_iter().flatten() {
                if p["required"] == true {
                    let name = p["name"].as_str().unwrap();
                    let sample = match name {
                        "type" => "entrance",
                        "device_key" => DEVICE_KEY,
                        other => panic!("no sample for {other}"),
                    };
                    query.push(format!("{name}={sample}"));
                }
            }
            let url = if query.is_empty() {
                s.url(path)
            } else {
                s.url(&format!("{path}?{}", query.join("&")))
            };
            let mut req = match method.as_str() {
                "get" => s.http.get(&url),
                "post" => {
                    posts += 1;
                    s.http.post(&url).json(&json!({"data": free[posts - 1]}))
                }
                other => panic!("undocumented method {other}"),
            };
            let security = operation["security"][0].as_object();
            if security.is_some_and(|sec| sec.contains_key("driver")) {
                req = req.bearer_auth(&driver);
            } else if security.is_some() {
                req = req.bearer_auth(TOKEN);
            }
            let res = req.send().await.unwrap();
            let status = res.status();
            assert!(
                status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path} answers {status}"
            );
            let body: Value = res.json().await.unwrap();
            let documented = &operation["responses"][status.as_str()];
            assert!(
                documented.is_object(),
                "{method} {path}: {status} is not documented"
            );
            let schema = &documented["content"]["application/json"]["schema"];
            check(&doc, schema, &body, &format!("{method} {path}"))
                .unwrap_or_else(|e| panic!("{e}\n{body:#}"));

            // The documented errors have the documented shape too.
            if security.is_some() {
                let res = s
                    .http
                    .request(method.to_uppercase().parse().unwrap(), s.url(path))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(
                    res.status(),
                    StatusCode::UNAUTHORIZED,
                    "{method} {path} without a token"
                );
                let body: Value = res.json().await.unwrap();
                check(
                    &doc,
                    &operation["responses"]["401"]["content"]["application/json"]["schema"],
                    &body,
                    path,
                )
                .unwrap();
            }
            // A method it does not document is 405.
            let res = s
                .http
                .delete(s.url(path))
                .bearer_auth(TOKEN)
                .send()
                .await
                .unwrap();
            assert!(
                [StatusCode::METHOD_NOT_ALLOWED, StatusCode::UNAUTHORIZED].contains(&res.status()),
                "DELETE {path}: {}",
                res.status()
            );
        }
    }
    // Paths it does not document are 404.
    for path in [
        "/find-device",
        "/clearpark/",
        "/clearpark/sessions/",
        "/api/",
        "/admin",
    ] {
        let res = s
            .http
            .get(s.url(path))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        let body: Value = res.json().await.unwrap();
        check(
            &doc,
            &json!({"$ref": "#/components/schemas/Failure"}),
            &body,
            path,
        )
        .unwrap();
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_a_self_signed_certificate_then_a_graceful_stop() {
    install_crypto();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let keys = tempfile::tempdir().unwrap();
    let (cert, key) = (keys.path().join("cert.pem"), keys.path().join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    let mut s = server(Gates::None, |_, api| {
        api.tls = Some(TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        });
    })
    .await;
    assert!(s.base.starts_with("https://"));

    let mut roots = rustls::RootCertStore::empty();
    roots.add(certified.cert.der().clone()).unwrap();
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    s.http = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .build()
        .unwrap();
    let (status, body) = s.get("/healthz", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["site"], "Test Park");
    let (status, body) = s.find("entrance", REFERENCE_CODE).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], 1);

    // Plain HTTP to the TLS port gets no answer.
    let plain = s.base.replace("https://", "http://");
    let res = reqwest::Client::new()
        .get(format!("{plain}/healthz"))
        .send()
        .await;
    assert!(res.is_err() || !res.unwrap().status().is_success());

    // Stopping closes the listener.
    let url = s.url("/healthz");
    s.stop().await;
    assert!(
        s.http.get(url).send().await.is_err(),
        "still answering after stop"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_prints_a_token_and_a_curl_that_work() {
    install_crypto();
    let dir = tempfile::tempdir().unwrap();
    let demo_dir = dir.path().join("demo");
    let mut child = Process::start(
        dir.path(),
        &[
            "demo",
            "--headless",
            "--api",
            "127.0.0.1:0",
            "--dir",
            demo_dir.to_str().unwrap(),
            "--pace",
            "60",
        ],
    );
    child.wait_for("driver    curl", Duration::from_secs(30));
    let text = child.seen.join("\n");
    let find = |prefix: &str, until: char| {
        let start = text
            .find(prefix)
            .unwrap_or_else(|| panic!("{prefix} in {text}"))
            + prefix.len();
        text[start..].split(until).next().unwrap().to_owned()
    };
    let base = format!("http://{}", find("http://", ' '));
    let token = find("bearer token ", '\n');
    let code = find("{\"data\":\"", '"');
    assert_eq!(code, REFERENCE_CODE);
    let body: Value = reqwest::Client::new()
        .post(format!("{base}/find-device/?type=entrance"))
        .bearer_auth(&token)
        .json(&json!({"data": code}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["status"], 1, "{body}");
    assert_eq!(body["data"]["RpAccName"], "bionicccccc");
    let driver = find("Bearer cpd_", '"');
    let res = reqwest::Client::new()
        .get(format!("{base}/api/car_driver/parking_sessions/current"))
        .bearer_auth(format!("cpd_{driver}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(child.interrupt().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_serves_the_configured_api_and_api_overrides_its_address() {
    install_crypto();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            r#"[booth]
name = "Run Park"
database = "booth.db"
res_guid = "{}"
[resource]
name = "Parking"
price_per_minute = "0.05"
currency = "TMT"
[[lanes]]
id = "in-1"
direction = "entrance"
[[lanes]]
id = "out-1"
direction = "exit"
[api]
listen = "127.0.0.1:1"
tokens = ["{TOKEN}"]
"#,
            support::RES_GUID
        ),
    )
    .unwrap();
    let init = support::process::command(dir.path())
        .arg("init")
        .output()
        .unwrap();
    assert!(init.status.success());
    // Port 1 would need root: the --api override is what makes this start.
    let mut child = Process::start(dir.path(), &["run", "--headless", "--api", "127.0.0.1:0"]);
    let line = child.wait_for("API on http://", Duration::from_secs(30));
    let base = &line[line.find("http://").unwrap()..];
    let res = reqwest::Client::new()
        .get(format!("{base}/clearpark/rp-accs/"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["total"], 0);
    assert!(child.interrupt().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nwave_sessions_and_occupancy() {
    use clearpark::booth::NwaveDelivery;
    use clearpark::domain::nwave::{DeliveryOrigin, examples};
    let s = server(Gates::None, |_, _| {}).await;
    let client = s.running.as_ref().unwrap().client();
    // The reference's examples: a start, a start+end, a partial end on two bays, a correction.
    let deliveries = examples::ALL
        .iter()
        .map(|m| NwaveDelivery {
            payload: m.as_bytes().to_vec(),
            origin: DeliveryOrigin::default(),
        })
        .collect();
    let applied = client.nwave_batch(deliveries).await.unwrap().unwrap();
    assert_eq!(applied.quarantined, 0);

    let get = |path: &str| s.http.get(s.url(path)).bearer_auth(TOKEN).send();
    let res = get("/clearpark/nwave/sessions/?state=all").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], 1);
    let sessions = body["data"].as_array().unwrap();
    assert!(!sessions.is_empty());
    assert_eq!(body["total"], sessions.len());
    for session in sessions {
        assert!(session["parking_session_uuid"].is_string());
        assert!(session["session_start"]["event_time"].is_string());
    }
    // Paging: one at a time reaches every session once.
    let mut after = 0;
    let mut seen = 0;
    loop {
        let page: Value = get(&format!(
            "/clearpark/nwave/sessions/?state=all&limit=1&after_id={after}"
        ))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        match page["data"].as_array().unwrap().first() {
            Some(one) => {
                after = one["id"].as_i64().unwrap();
                seen += 1;
            }
            None => break,
        }
    }
    assert_eq!(seen, sessions.len());
    let res = get("/clearpark/nwave/sessions/?state=sideways")
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    let res = get("/clearpark/nwave/occupancy/").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let summary = &body["data"]["summary"];
    let positions = body["data"]["positions"].as_array().unwrap();
    assert_eq!(summary["positions"], positions.len());
    let taken = positions.iter().filter(|p| p["taken"] == true).count();
    assert_eq!(summary["taken"], taken);
    assert_eq!(
        summary["free"].as_u64().unwrap() + summary["taken"].as_u64().unwrap(),
        positions.len() as u64
    );
}
