//! The HTTP API on a real listening server, hit by a real client (reqwest): the booth runs on its
//! thread over a real SQLite file, with a clock that moves only when told.
//!
//! Only what needs the socket and the client is here: the reference's curl flow, a numeric code
//! in the raw body, requests shed while a slow client holds its place, a token made by the
//! binary's command line, TLS and the graceful stop, the demo's printed curl and `run`'s address.
//! The routes' shapes and validation are tested in process, through the same router, beside
//! their code (`src/api/*.rs`, fixture in `src/api/testing.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use clearpark_testkit as support;

use chrono::TimeDelta;
use clearpark::api;
use clearpark::booth::clock::ManualClock;
use clearpark::config::api::{Secret, TlsFiles};
use clearpark::config::{ApiConfig, Config, GateEndpoint, PrinterEndpoint};
use clearpark::demo::{self, DemoCode};
use clearpark::devices::DeviceOptions;
use clearpark::runtime::Running;
use clearpark::store::{Store, devices};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use support::process::Process;
use support::{IN, OUT, dump_file, t0};

const TOKEN: &str = "test-operator-token-0001";
const REFERENCE_CODE: &str = "788879fbe6635";

/// The reference's "Example successful response (full payload)", as published.
const REFERENCE_EXAMPLE: &str = r#"{"data":{"AddInf1":null,"AddInf2":null,"AddInf3":null,"AddInf4":null,"AddInf5":null,"AddInf6":null,"CId":1,"CreatedDate":"2021-10-22 14:40:02","CreatedUId":null,"DbGuid":null,"Device":{"AddInf1":null,"AddInf2":null,"AddInf3":null,"AddInf4":null,"AddInf5":null,"AddInf6":"id=QP1A.190711.020,androidId=e4d788879fbe6635","AllowedDate":null,"CreatedDate":"2021-01-15 20:04:55","CreatedUId":null,"DevDesc":null,"DevGuid":"d1bddb81-2c27-4b93-b79f-5d1e5576eb78","DevId":2,"DevName":"2021-01-14 23:44:26.778464","DevUniqueId":"788879fbe6635","DevVerifyDate":"2021-01-15 20:04:57","DevVerifyKey":null,"DisallowedDate":null,"GCRecord":null,"IsAllowed":false,"ModifiedDate":"2021-01-21 20:52:16","ModifiedUId":null,"RpAccId":50,"SyncDateTime":"2021-01-15 20:04:55","UId":null},"DeviceQty":null,"DivId":1,"EmpId":null,"GCRecord":null,"GenderId":null,"IsMain":null,"ModifiedDate":"2021-10-22 14:40:02","ModifiedUId":null,"NatId":null,"ReprId":null,"ResPriceGroupId":null,"RpAccAddress":"helloworlddd","RpAccBirthDate":null,"RpAccEMail":null,"RpAccFirstName":null,"RpAccGuid":"9d40a40d-cf50-4bbd-a7e5-733a0314beb0","RpAccHomePhoneNumber":"","RpAccId":50,"RpAccLangSkills":null,"RpAccLastActivityDate":"2021-10-22 15:01:02","RpAccLastActivityDevice":"Browser: chrome","RpAccLastName":null,"RpAccLatitude":0.0,"RpAccLongitude":0.0,"RpAccMobilePhoneNumber":"+99361509038","RpAccName":"bionicccccc","RpAccPassportIssuePlace":null,"RpAccPassportNo":null,"RpAccPatronomic":null,"RpAccPurchBalanceLimit":0.0,"RpAccRegNo":"ARAK12","RpAccResidency":null,"RpAccSaleBalanceLimit":0.0,"RpAccStatusId":1,"RpAccTypeId":2,"RpAccUName":"mike","RpAccViewCnt":null,"RpAccVisibleIndex":null,"RpAccWebAddress":"","RpAccWorkFaxNumber":"","RpAccWorkPhoneNumber":"","RpAccZipCode":"","SyncDateTime":"2021-10-22 14:40:02","UnusedDeviceQty":null,"WpId":null},"message":"Find Device","total":1}"#;

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

/// A booth with the demo's data (the reference account and twenty more, eight parked) at
/// 0.05 TMT a minute, lanes without barriers (a committed scan is the passage), and its API on
/// an ephemeral port.
async fn server(adjust: impl FnOnce(&Store, &mut ApiConfig)) -> Server {
    install_crypto();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("booth.db");
    let mut config = support::config(db.clone());
    for lane in &mut config.lanes {
        lane.printer =
            PrinterEndpoint::File(dir.path().join(format!("printer-{}.escpos", lane.id)));
        lane.gate = GateEndpoint::None;
    }
    let mut store = Store::open(&db).unwrap();
    let codes = demo::seed(&mut store, &config, t0()).unwrap();
    let mut api = ApiConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        IN,
        OUT,
        vec![Secret::new(TOKEN)],
    );
    adjust(&store, &mut api);
    config.api = Some(api.clone());
    let clock = ManualClock::new(t0());
    let mut running = Running::start(
        &config,
        store,
        Box::new(clock.clone()),
        DeviceOptions::default(),
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

    /// A code of a seeded account that is neither parked nor blocked.
    fn free_code(&self, nth: usize) -> String {
        self.codes
            .iter()
            .filter(|c| c.is_free() && c.code != REFERENCE_CODE)
            .nth(nth)
            .unwrap()
            .code
            .clone()
    }

    async fn stop(&mut self) {
        self.running.take().unwrap().stop().await;
    }
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
    let mut s = server(|_, _| {}).await;
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
               "ResPrice": "0.05", "TotalPrice": null, "Currency": "TMT",
               "Tariff": "standard", "TariffVersion": 1, "Breakdown": null})
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
               "Minutes": 8, "ResPrice": "0.05", "TotalPrice": "0.40", "Currency": "TMT",
               "Tariff": "standard", "TariffVersion": 1,
               "Breakdown": [{"kind": "period", "label": "Every: 8 × 1 min at 0.05",
                              "count": 8, "amount": "0.40"}]})
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
    let mut s = server(|store, _| {
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

/// A request whose body is still arriving holds its place (`api.max_in_flight = 1` here): the
/// next request is shed at once with 503 and `Retry-After`, `/healthz` is still answered, and
/// once the slow one is done the API serves again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_past_max_in_flight_are_shed_with_503() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = server(|_, api| api.max_in_flight = 1).await;
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
async fn accounts_token_from_the_command_line_is_accepted_and_revocable() {
    let mut s = server(|_, _| {}).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_a_self_signed_certificate_then_a_graceful_stop() {
    install_crypto();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let keys = tempfile::tempdir().unwrap();
    let (cert, key) = (keys.path().join("cert.pem"), keys.path().join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    let mut s = server(|_, api| {
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
