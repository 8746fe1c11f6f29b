//! The embedded HTTP API (docs/contracts.md §3): find-device, set-ip, the sync lists and the driver's
//! current session, for remote scanners, accounting systems and the driver's app.
//!
//! * [`app`] builds the one router; [`start`] binds it (TLS with rustls when configured) and
//!   returns the server as a future that ends gracefully when the shutdown token is cancelled.
//! * Writes go through the booth ([`crate::booth::BoothClient`]) like every other input; reads
//!   go through the store's read side ([`crate::store::read`]) on a small pool of read-only
//!   connections ([`readers::ReadPool`]) on the blocking pool.
//! * Every answer is the reference envelope; errors are [`ApiError`]. Every request gets an
//!   `x-request-id` and exactly one log line, with secrets taken out of the query.

pub mod auth;
mod driver;
pub mod error;
mod find_device;
mod lists;
mod nwave;
pub mod openapi;
pub mod readers;
mod set_ip;
mod tariffs;
#[cfg(test)]
mod testing;
mod tls;

pub use error::ApiError;

use crate::booth::clock::Clock;
use crate::booth::{BoothClient, Snapshot};
use crate::config::{ApiConfig, Config};
use crate::domain::session::Direction;
use crate::store::read::DbStructure;
use auth::Auth;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use readers::ReadPool;
use serde_json::json;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, watch};
use tokio_util::sync::CancellationToken;

/// The largest request body accepted (docs/contracts.md §3).
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// How long open connections may finish their requests after shutdown is asked.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
const REQUEST_ID: &str = "x-request-id";

/// What the handlers share.
#[derive(Clone)]
pub struct ApiState(Arc<Inner>);

struct Inner {
    booth: BoothClient,
    snapshots: watch::Receiver<Snapshot>,
    config: ApiConfig,
    site: Site,
    db_structure: DbStructure,
    auth: Auth,
    readers: Arc<ReadPool>,
    clock: Arc<dyn Clock + Sync>,
    /// Maximum stays of the bay sensors; `None` without `[nwave]` (their routes answer 404).
    nwave_limits: Option<crate::domain::nwave::OverstayLimits>,
    /// One permit per request being served (`api.max_in_flight`): past it, requests are shed
    /// with a 503 instead of piling up behind the booth until they time out.
    in_flight: Arc<Semaphore>,
}

/// The site as the driver's app sees it.
pub struct Site {
    pub name: String,
    /// Where the tariffs' bands and calendar days are.
    pub timezone: chrono_tz::Tz,
    pub lanes: Vec<SiteLane>,
}

pub struct SiteLane {
    pub id: String,
    pub name: String,
    pub direction: Direction,
}

impl ApiState {
    /// `clock` prices the driver's session so far; the booth's own clock keeps tests exact.
    pub fn new(
        config: &Config,
        api: ApiConfig,
        booth: BoothClient,
        snapshots: watch::Receiver<Snapshot>,
        clock: Arc<dyn Clock + Sync>,
    ) -> ApiState {
        ApiState(Arc::new(Inner {
            booth,
            snapshots,
            auth: Auth::new(&api),
            site: Site {
                name: config.booth.name.clone(),
                timezone: config.booth.timezone,
                lanes: config
                    .lanes
                    .iter()
                    .map(|l| SiteLane {
                        id: l.id.clone(),
                        name: l.name.clone(),
                        direction: l.direction,
                    })
                    .collect(),
            },
            db_structure: config.booth.db_structure,
            readers: ReadPool::new(config.booth.database.clone()),
            clock,
            nwave_limits: config.nwave.as_ref().map(|n| n.limits.clone()),
            in_flight: Arc::new(Semaphore::new(api.max_in_flight)),
            config: api,
        }))
    }

    pub fn booth(&self) -> &BoothClient {
        &self.0.booth
    }
    pub fn config(&self) -> &ApiConfig {
        &self.0.config
    }
    pub fn site(&self) -> &Site {
        &self.0.site
    }
    pub fn auth(&self) -> &Auth {
        &self.0.auth
    }
    pub fn readers(&self) -> &Arc<ReadPool> {
        &self.0.readers
    }
    pub fn db_structure(&self) -> DbStructure {
        self.0.db_structure
    }
    pub fn nwave_limits(&self) -> Option<&crate::domain::nwave::OverstayLimits> {
        self.0.nwave_limits.as_ref()
    }
    pub fn now(&self) -> DateTime<Utc> {
        self.0.clock.now()
    }
}

/// The API's one router. `/set-ip/`, `/healthz` and the driver's route do their own checks;
/// every other route wants an operator's bearer token.
pub fn app(state: ApiState) -> Router {
    let operators = Router::new()
        .route("/find-device/", post(find_device::find_device))
        .route("/api/find-device/", post(find_device::find_device))
        .route("/clearpark/attendances/", get(lists::attendances))
        .route("/clearpark/rp-accs/", get(lists::accounts))
        .route("/clearpark/devices/", get(lists::devices))
        .route("/clearpark/tariffs/", get(tariffs::list))
        .route("/clearpark/nwave/sessions/", get(nwave::sessions))
        .route("/clearpark/nwave/occupancy/", get(nwave::occupancy))
        .route("/openapi.json", get(openapi::document))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_operator,
        ));
    Router::new()
        .merge(operators)
        .route("/set-ip/", get(set_ip::set_ip))
        .route("/api/set-ip/", get(set_ip::set_ip))
        .route(
            "/api/car_driver/parking_sessions/current",
            get(driver::current_session),
        )
        .route("/healthz", get(healthz))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(state.clone(), frame))
        .with_state(state)
}

/// Liveness: 200 while the booth runs, 503 once it has stopped.
async fn healthz(State(state): State<ApiState>) -> Response {
    let snapshots = &state.0.snapshots;
    if snapshots.has_changed().is_err() {
        return ApiError::BoothGone.into_response();
    }
    let snapshot = snapshots.borrow();
    error::envelope(
        StatusCode::OK,
        json!({
            "status": 1,
            "data": {
                "site": snapshot.site_name,
                "occupied": snapshot.occupied,
                "capacity": snapshot.capacity,
            },
            "message": "OK",
        }),
    )
}

/// Around every request: its id, its share of `api.max_in_flight` (liveness probes excepted),
/// its time limit, a JSON body for every error, one log line.
async fn frame(State(state): State<ApiState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let method = request.method().to_string();
    let target = loggable(request.uri());
    let limit = state.config().request_timeout;
    let permit = match request.uri().path() {
        "/healthz" => None,
        _ => Some(state.0.in_flight.clone().try_acquire_owned()),
    };
    let response = match permit {
        Some(Err(_)) => ApiError::Overloaded.into_response(),
        _ => match tokio::time::timeout(limit, next.run(request)).await {
            Ok(response) => response,
            Err(_) => ApiError::Timeout(limit).into_response(),
        },
    };
    drop(permit);
    let mut response = error::ensure_json(response, &method);
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    tracing::info!(
        target: "clearpark::api",
        method,
        target,
        status = response.status().as_u16(),
        latency_ms = %format_args!("{:.3}", started.elapsed().as_secs_f64() * 1e3),
        request_id = id,
        "request"
    );
    response
}

/// The path and query for the log, with secrets' values replaced.
fn loggable(uri: &Uri) -> String {
    let Some(query) = uri.query() else {
        return uri.path().to_owned();
    };
    let redacted: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            // The name as the query parser reads it: `device%5Fkey` is `device_key`.
            Some((key, _))
                if form_urlencoded::parse(key.as_bytes())
                    .next()
                    .is_some_and(|(name, _)| {
                        ["device_key", "token", "access_token", "key"]
                            .contains(&name.to_ascii_lowercase().as_str())
                    }) =>
            {
                format!("{key}=<redacted>")
            }
            _ => pair.to_owned(),
        })
        .collect();
    format!("{}?{}", uri.path(), redacted.join("&"))
}

#[derive(Debug, thiserror::Error)]
pub enum ApiStartError {
    #[error("cannot listen on {addr} (api.listen): {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Tls(String),
}

/// A bound API: where it listens, and the server to run until `shutdown` is cancelled.
pub struct Listening {
    pub addr: SocketAddr,
    pub tls: bool,
    pub server: std::pin::Pin<Box<dyn Future<Output = ()> + Send>>,
}

/// Binds `listener` (already bound, e.g. with a fallback port) or `api.listen`, loads TLS when
/// configured, and returns the server ready to be spawned.
pub async fn start(
    state: ApiState,
    listener: Option<std::net::TcpListener>,
    shutdown: CancellationToken,
) -> Result<Listening, ApiStartError> {
    let api = state.config().clone();
    let listener = match listener {
        Some(l) => l,
        None => bind(api.listen)?,
    };
    let addr = listener
        .local_addr()
        .map_err(|source| ApiStartError::Bind {
            addr: api.listen,
            source,
        })?;
    let tls = match &api.tls {
        Some(files) => Some(tls::load(files)?),
        None => {
            if !addr.ip().is_loopback() {
                tracing::warn!(
                    %addr,
                    "the API serves plain HTTP on a non-loopback address: tokens cross the network \
                     in clear; set api.tls_cert and api.tls_key"
                );
            }
            None
        }
    };
    let is_tls = tls.is_some();
    let app = app(state);
    let handle = axum_server::Handle::<SocketAddr>::new();
    let server = async move {
        let service = app.into_make_service_with_connect_info::<SocketAddr>();
        let graceful = handle.clone();
        let stopper = tokio::spawn(async move {
            shutdown.cancelled().await;
            graceful.graceful_shutdown(Some(SHUTDOWN_GRACE));
        });
        let result = match tls {
            Some(config) => match axum_server::from_tcp_rustls(listener, config) {
                Ok(server) => {
                    server
                        .handle(handle)
                        .first_request_timeout(api.request_timeout)
                        .serve(service)
                        .await
                }
                Err(e) => Err(e),
            },
            None => match axum_server::from_tcp(listener) {
                Ok(server) => {
                    server
                        .handle(handle)
                        .first_request_timeout(api.request_timeout)
                        .serve(service)
                        .await
                }
                Err(e) => Err(e),
            },
        };
        stopper.abort();
        match result {
            Ok(()) => tracing::info!(%addr, "API stopped"),
            Err(e) => tracing::error!(%addr, error = %e, "the API server failed"),
        }
    };
    tracing::info!(%addr, tls = is_tls, "API listening");
    Ok(Listening {
        addr,
        tls: is_tls,
        server: Box::pin(server),
    })
}

/// A non-blocking listener on `addr`, for [`start`].
pub fn bind(addr: SocketAddr) -> Result<std::net::TcpListener, ApiStartError> {
    let listener =
        std::net::TcpListener::bind(addr).map_err(|source| ApiStartError::Bind { addr, source })?;
    listener
        .set_nonblocking(true)
        .map_err(|source| ApiStartError::Bind { addr, source })?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_taken_out_of_logged_queries() {
        let uri: Uri = "/set-ip/?device_key=s3cret&x=1".parse().unwrap();
        assert_eq!(loggable(&uri), "/set-ip/?device_key=<redacted>&x=1");
        let uri: Uri = "/find-device/?type=exit".parse().unwrap();
        assert_eq!(loggable(&uri), "/find-device/?type=exit");
        // The query parser decodes names, so the log must too.
        let uri: Uri = "/set-ip/?device%5Fkey=s3cret&DEVICE_KEY=s3cret&x=%zz"
            .parse()
            .unwrap();
        assert_eq!(
            loggable(&uri),
            "/set-ip/?device%5Fkey=<redacted>&DEVICE_KEY=<redacted>&x=%zz"
        );
    }
}
