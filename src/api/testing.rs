//! The API's routes called in process, for the tests beside them: the router production serves
//! ([`app`]), over an [`ApiState`] made as [`Running::serve_api`] makes it, with a running booth
//! (its thread, the lanes' simulated devices) on a real SQLite file in a temporary folder seeded
//! with the demo's data, and a clock that moves only when told. Requests go through
//! `tower::ServiceExt::oneshot`; the peer's address (`/set-ip/` reads it) is given by
//! `MockConnectInfo`. What needs a real listener and client stays in `tests/api.rs`.

use super::{ApiState, app};
use crate::booth::BoothClient;
use crate::booth::clock::ManualClock;
use crate::config::api::{AccessPoint, DeviceKey, Secret};
use crate::config::{
    ApiConfig, BoothSettings, Config, GateEndpoint, LaneConfig, NwaveSettings, PrinterEndpoint,
    ScannerEndpoint,
};
use crate::demo::{self, DemoCode};
use crate::devices::DeviceOptions;
use crate::devices::sim::gate::Timings;
use crate::devices::sim::lane::SimGateConfig;
use crate::domain::session::Direction;
use crate::runtime::Running;
use crate::store::{DbStructure, Store, devices};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Method, Request, Response, StatusCode, header};
use chrono::{DateTime, TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

pub const TOKEN: &str = "test-operator-token-0001";
pub const JWT_SECRET: &str = "test-jwt-secret-0123456789abcdef-0123";
pub const DEVICE: &str = "pump-house";
pub const DEVICE_KEY: &str = "pump-house-key-000001";
pub const MAC: &str = "76:86:BB:DE:63:AD";
pub const REFERENCE_CODE: &str = "788879fbe6635";
pub const IN: &str = "in-1";
pub const OUT: &str = "out-1";
/// The peer of every request unless a test says otherwise: a client on this machine.
pub const LOOPBACK_PEER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 50123);

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Gates {
    /// No barrier: a committed scan is the passage.
    None,
    /// Simulated barriers whose vehicles never come by themselves: the test says when.
    Held,
}

fn config(dir: &Path, gates: Gates) -> Config {
    let lane = |id: &str, direction| LaneConfig {
        id: id.into(),
        name: id.into(),
        direction,
        scanner: ScannerEndpoint::Sim,
        gate: match gates {
            Gates::None => GateEndpoint::None,
            Gates::Held => GateEndpoint::Sim,
        },
        printer: PrinterEndpoint::File(dir.join(format!("printer-{id}.escpos"))),
    };
    Config {
        booth: BoothSettings {
            name: "Test Park".into(),
            timezone: chrono_tz::Asia::Ashgabat,
            database: dir.join("booth.db"),
            db_structure: DbStructure::Saphasap,
            res_guid: "00000000-0000-4000-8000-00000000c0de".into(),
            capacity: None,
            entrance_tries: 3,
            exit_tries: 3,
            lost_ticket_fee: "20.00".parse().unwrap(),
        },
        resource: None,
        lanes: vec![lane(IN, Direction::Entrance), lane(OUT, Direction::Exit)],
        api: None,
        // Bay sensors without a broker: their messages are handed to the booth by the tests.
        nwave: Some(NwaveSettings {
            broker: None,
            limits: crate::domain::nwave::OverstayLimits {
                default_minutes: Some(30),
                ..Default::default()
            },
            keep_days: 90,
        }),
        tariffs: Default::default(),
    }
}

fn api_config() -> ApiConfig {
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
/// 0.05 TMT a minute, and the API's router over it.
pub struct TestApi {
    _dir: tempfile::TempDir,
    pub db: PathBuf,
    pub clock: ManualClock,
    pub running: Option<Running>,
    pub state: ApiState,
    router: Router,
    pub codes: Vec<DemoCode>,
}

impl TestApi {
    /// `adjust` sees the seeded store and the API's config before the booth starts. Must be
    /// called inside a tokio runtime (the booth's adapters are spawned on it).
    pub fn start(gates: Gates, adjust: impl FnOnce(&Store, &mut ApiConfig)) -> TestApi {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config(dir.path(), gates);
        let db = config.booth.database.clone();
        let mut store = Store::open(&db).unwrap();
        let codes = demo::seed(&mut store, &config, t0()).unwrap();
        let mut api = api_config();
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
        let running = Running::start(
            &config,
            store,
            Box::new(clock.clone()),
            DeviceOptions { sim_gate: held },
        )
        .unwrap();
        // As `Running::serve_api` makes it, without the listener.
        let state = ApiState::new(
            &config,
            api,
            running.client(),
            running.snapshots(),
            Arc::new(clock.clone()),
        );
        let router = app(state.clone()).layer(MockConnectInfo(LOOPBACK_PEER));
        TestApi {
            _dir: dir,
            db,
            clock,
            running: Some(running),
            state,
            router,
            codes,
        }
    }

    /// The production router, its requests coming from `peer`.
    pub fn router_from(&self, peer: SocketAddr) -> Router {
        app(self.state.clone()).layer(MockConnectInfo(peer))
    }

    /// One request through the router, from [`LOOPBACK_PEER`].
    pub async fn send(&self, request: Request<Body>) -> Response<Body> {
        self.router.clone().oneshot(request).await.unwrap()
    }

    /// One request through the router, from `peer`.
    pub async fn send_from(&self, peer: SocketAddr, request: Request<Body>) -> Response<Body> {
        self.router_from(peer).oneshot(request).await.unwrap()
    }

    /// `method path` with a bearer `token` and a JSON `body`: the status and the JSON answer.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (StatusCode, Value) {
        let response = self.send(request(method, path, token, body)).await;
        (response.status(), json(response).await)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(Method::GET, path, token, None).await
    }

    /// A scan through `POST /find-device/?type=<kind>` with the operator's token.
    pub async fn find(&self, kind: &str, code: &str) -> (StatusCode, Value) {
        let body = json!({ "data": code }).to_string();
        self.call(
            Method::POST,
            &format!("/find-device/?type={kind}"),
            Some(TOKEN),
            Some(&body),
        )
        .await
    }

    pub fn client(&self) -> BoothClient {
        self.running.as_ref().unwrap().client()
    }

    /// Every row of every table: a request that must write nothing leaves it as it was.
    pub fn dump(&self) -> Vec<String> {
        let reader = Store::open_read_only(&self.db).unwrap();
        crate::store::snapshot::every_row(reader.conn()).unwrap()
    }

    /// A writable connection beside the booth's (tokens made as the command line makes them).
    pub fn write(&self) -> Store {
        Store::open(&self.db).unwrap()
    }

    /// A code of a seeded account that is neither parked nor blocked.
    pub fn free_code(&self, nth: usize) -> String {
        self.codes
            .iter()
            .filter(|c| c.is_free() && c.code != REFERENCE_CODE)
            .nth(nth)
            .unwrap()
            .code
            .clone()
    }

    pub fn account_of(&self, code: &str) -> i64 {
        let store = Store::open_read_only(&self.db).unwrap();
        devices::find_by_code(store.conn(), code)
            .unwrap()
            .unwrap()
            .account_id
    }

    pub async fn stop(&mut self) {
        self.running.take().unwrap().stop().await;
    }
}

/// `method path`, with a bearer `token` and a JSON `body` (as a client's `.json()` sends it).
pub fn request(
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    match body {
        Some(body) => builder
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned())),
        None => builder.body(Body::empty()),
    }
    .unwrap()
}

pub async fn bytes(response: Response<Body>) -> Bytes {
    response.into_body().collect().await.unwrap().to_bytes()
}

/// The answer's JSON; every answer of the API is JSON.
pub async fn json(response: Response<Body>) -> Value {
    let body = bytes(response).await;
    serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&body)))
}
