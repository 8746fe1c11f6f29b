//! The HTTP API's request parsing, through the real router (`tower::ServiceExt::oneshot`) on a
//! current-thread runtime built once, over a real booth on a real SQLite file (on /dev/shm when
//! there is one) with the demo's accounts, devices and parked cars, a driver's token and a
//! remote IO device key.
//!
//! The input: a first byte that picks the route, the credentials and the content type, then the
//! query string and the body, split at the first 0xFF. Invariants: no 5xx but the documented
//! 503; every answer is JSON with an `x-request-id`; a 4xx is the envelope
//! `{"status":0,"data":{},...}` (a 401 exactly that) and wrote nothing; the operators' routes
//! without an operator's token are 401; a 2xx is the envelope with `status` 0 or 1.
#![no_main]

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, Uri, header};
use clearpark::api::{self, ApiState};
use clearpark::booth::clock::SystemClock;
use clearpark::config::api::{DeviceKey, Secret};
use clearpark::config::{ApiConfig, GateEndpoint, NwaveSettings, PrinterEndpoint, ScannerEndpoint};
use clearpark::devices::DeviceOptions;
use clearpark::domain::nwave::OverstayLimits;
use clearpark::runtime::Running;
use clearpark::store::{Store, driver_tokens};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use tower::ServiceExt;

const TOKEN: &str = "fuzz-operator-token-0001";
const DEVICE_KEY: &str = "fuzz-device-key-000001";

struct World {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    driver_token: String,
    codes: Vec<String>,
    reader: Mutex<Store>,
    _running: Running,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let base = std::env::var_os("CLEARPARK_FUZZ_TMP")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                let shm = PathBuf::from("/dev/shm");
                if shm.is_dir() {
                    shm
                } else {
                    std::env::temp_dir()
                }
            });
        let dir = base.join(format!("clearpark-fuzz-http-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut config = clearpark::demo::config(&dir);
        for lane in &mut config.lanes {
            lane.scanner = ScannerEndpoint::None;
            lane.gate = GateEndpoint::None;
            lane.printer = PrinterEndpoint::None;
        }
        config.nwave = Some(NwaveSettings {
            broker: None,
            limits: OverstayLimits {
                default_minutes: Some(30),
                ..Default::default()
            },
            keep_days: 90,
        });
        let mut api = ApiConfig::new(
            "127.0.0.1:0".parse().unwrap(),
            clearpark::demo::ENTRANCE_LANE,
            clearpark::demo::EXIT_LANE,
            vec![Secret::new(TOKEN)],
        );
        api.device_keys = vec![DeviceKey {
            name: "pump".into(),
            key: Secret::new(DEVICE_KEY),
        }];
        config.api = Some(api.clone());
        let db = config.booth.database.clone();
        let mut store = Store::open(&db).unwrap();
        let now = chrono::Utc::now();
        let codes = clearpark::demo::seed(&mut store, &config, now)
            .unwrap()
            .into_iter()
            .map(|c| c.code)
            .collect();
        let account: i64 = store
            .conn()
            .query_row("SELECT MIN(RpAccId) FROM tbl_dk_rp_acc", [], |r| r.get(0))
            .unwrap();
        let driver_token = driver_tokens::create(store.conn(), account, now).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let running = runtime.block_on(async {
            Running::start(
                &config,
                store,
                Box::new(SystemClock),
                DeviceOptions::default(),
            )
            .unwrap()
        });
        let state = ApiState::new(
            &config,
            api,
            running.client(),
            running.snapshots(),
            Arc::new(SystemClock),
        );
        World {
            runtime,
            router: api::app(state),
            driver_token,
            codes,
            reader: Mutex::new(Store::open_read_only(&db).unwrap()),
            _running: running,
        }
    })
}

/// Rows a refused request must not have written.
fn written(w: &World) -> (i64, i64, i64) {
    let store = w.reader.lock().unwrap();
    let count = |table: &str| -> i64 {
        store
            .conn()
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    };
    (
        count("tbl_dk_attendance"),
        count("parking_session"),
        count("remote_io_device"),
    )
}

const OPERATOR_ROUTES: &[(&str, Method)] = &[
    ("/find-device/", Method::POST),
    ("/api/find-device/", Method::POST),
    ("/clearpark/attendances/", Method::GET),
    ("/clearpark/rp-accs/", Method::GET),
    ("/clearpark/devices/", Method::GET),
    ("/clearpark/nwave/sessions/", Method::GET),
    ("/clearpark/nwave/occupancy/", Method::GET),
    ("/openapi.json", Method::GET),
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let (query, body) = match rest.iter().position(|&b| b == 0xFF) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    let Ok(query) = std::str::from_utf8(query) else {
        return;
    };
    let w = world();
    let (path, method, operator_route) = match selector % 16 {
        n @ 0..=7 => {
            let (path, method) = &OPERATOR_ROUTES[usize::from(n)];
            (path.to_string(), method.clone(), true)
        }
        8 => ("/set-ip/".into(), Method::GET, false),
        9 => ("/api/set-ip/".into(), Method::GET, false),
        10 => (
            "/api/car_driver/parking_sessions/current".into(),
            Method::GET,
            false,
        ),
        11 => ("/healthz".into(), Method::GET, false),
        12 => ("/find-device/".into(), Method::GET, false),
        13 => ("/clearpark/devices/".into(), Method::POST, false),
        14 => ("/find-device/".into(), Method::PUT, false),
        // The query as the path: whatever a client may ask for.
        _ => (format!("/{query}"), Method::GET, false),
    };
    let auth = (selector >> 4) % 4;
    // With the right credentials, set-ip gets the real key after the fuzzed query.
    let mut query = query.to_owned();
    if auth == 1 && path.ends_with("set-ip/") {
        query.push_str(&format!("&device_key={DEVICE_KEY}"));
    }
    // A real code now and then, so that scans are found, entered, exited and refused.
    if selector & 0x40 != 0 && path.ends_with("find-device/") && body.is_empty() {
        let code = &w.codes[usize::from(selector) % w.codes.len()];
        return send(
            w,
            &path,
            &method,
            &query,
            auth,
            format!("{{\"data\":{code:?}}}").into_bytes(),
            operator_route,
        );
    }
    send(
        w,
        &path,
        &method,
        &query,
        auth,
        body.to_vec(),
        operator_route,
    );
});

fn send(
    w: &World,
    path: &str,
    method: &Method,
    query: &str,
    auth: u8,
    body: Vec<u8>,
    operator_route: bool,
) {
    let target = if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    };
    // A request target no HTTP server would pass on is not the API's to parse.
    let Ok(uri) = target.parse::<Uri>() else {
        return;
    };
    let mut request = Request::builder().method(method.clone()).uri(uri);
    match auth {
        1 => request = request.header(header::AUTHORIZATION, format!("Bearer {TOKEN}")),
        2 => request = request.header(header::AUTHORIZATION, format!("Bearer {}", w.driver_token)),
        3 => request = request.header(header::AUTHORIZATION, "Bearer wrong-token-000000000"),
        _ => {}
    }
    if !body.is_empty() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let mut request = request.body(Body::from(body)).unwrap();
    let peer: SocketAddr = "192.0.2.7:40000".parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));

    let before = written(w);
    let (status, headers, bytes) = w.runtime.block_on(async {
        let response = w.router.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        (parts.status, parts.headers, bytes)
    });

    assert!(
        !status.is_server_error() || status == StatusCode::SERVICE_UNAVAILABLE,
        "{status} for {method} {target}: {}",
        String::from_utf8_lossy(&bytes)
    );
    assert!(headers.contains_key("x-request-id"));
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(
        content_type.starts_with("application/json"),
        "{status} {content_type:?}"
    );
    let json: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "{status}: not JSON ({e}): {}",
            String::from_utf8_lossy(&bytes)
        )
    });
    if path == "/openapi.json" && status.is_success() {
        return;
    }
    let envelope_status = json.get("status").and_then(Value::as_i64);
    if status.is_client_error() {
        assert_eq!(envelope_status, Some(0), "{status}: {json}");
        assert_eq!(
            json.get("data"),
            Some(&Value::Object(Default::default())),
            "{json}"
        );
        if status == StatusCode::UNAUTHORIZED {
            assert_eq!(json, serde_json::json!({"status": 0, "data": {}}));
        } else {
            let message = json.get("message").and_then(Value::as_str).unwrap_or("");
            assert!(!message.is_empty(), "a {status} says what is wrong: {json}");
        }
        assert_eq!(
            written(w),
            before,
            "a refused request wrote: {status} {target}"
        );
    } else {
        assert!(matches!(envelope_status, Some(0 | 1)), "{status}: {json}");
    }
    if operator_route && auth != 1 {
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {target} without the token"
        );
    }
}
