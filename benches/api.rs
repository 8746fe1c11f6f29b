//! The HTTP API under load: the server and a load client (reqwest, keep-alive, a few requests in
//! flight) in one process. Requests per second and p50/p99 latency for
//!
//! * `find-device`, alternating entrance and exit over 1,000 accounts on lanes without a
//!   barrier, so that every session completes (each request is a durable commit, fsync included);
//! * a list page (`/clearpark/attendances/?limit=100`, whole rows from a read-only connection);
//!   LIST_LIMIT=n for another page size;
//!
//! next to a bare axum route returning a constant on the same server stack (the ceiling of this
//! machine), with the ratios.
//!
//! `cargo bench --bench api` (ACCOUNTS=n, REQUESTS=n, CONCURRENCY=n, LIST_LIMIT=n to change the load).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use clearpark::api;
use clearpark::booth::clock::{Clock, SystemClock};
use clearpark::config::api::Secret;
use clearpark::config::{
    ApiConfig, BoothSettings, Config, GateEndpoint, LaneConfig, PrinterEndpoint, ScannerEndpoint,
};
use clearpark::devices::DeviceOptions;
use clearpark::domain::session::Direction;
use clearpark::runtime::Running;
use clearpark::store::{DbStructure, Store};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

const RES_GUID: &str = "00000000-0000-4000-8000-0000000000a1";
const TOKEN: &str = "bench-operator-token-0001";

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn lane(id: &str, direction: Direction) -> LaneConfig {
    LaneConfig {
        id: id.into(),
        name: id.into(),
        direction,
        scanner: ScannerEndpoint::None,
        gate: GateEndpoint::None,
        printer: PrinterEndpoint::None,
    }
}

struct Figures {
    n: usize,
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

fn figures(mut samples: Vec<Duration>, wall: Duration) -> Figures {
    samples.sort();
    let at = |p: f64| samples[((samples.len() as f64 - 1.0) * p).round() as usize];
    Figures {
        n: samples.len(),
        per_second: samples.len() as f64 / wall.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
    }
}

fn print(name: &str, f: &Figures, ceiling: Option<&Figures>) {
    let ratio = ceiling
        .map(|c| {
            format!(
                "  = {:.3} of the ceiling's req/s, p50 x{:.1}",
                f.per_second / c.per_second,
                f.p50.as_secs_f64() / c.p50.as_secs_f64()
            )
        })
        .unwrap_or_default();
    println!(
        "{name:<40} n={:<6} {:>8.0} req/s  p50={:>7.3} ms  p99={:>7.3} ms{ratio}",
        f.n,
        f.per_second,
        f.p50.as_secs_f64() * 1e3,
        f.p99.as_secs_f64() * 1e3,
    );
}

/// Runs `jobs` split over `concurrency` workers, each job one request; returns the latencies
/// and the wall time.
async fn load<F, Fut>(jobs: Vec<Vec<String>>, run: F) -> (Vec<Duration>, Duration)
where
    F: Fn(String) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for worker_jobs in jobs {
        let run = run.clone();
        workers.spawn(async move {
            let mut samples = Vec::with_capacity(worker_jobs.len());
            for job in worker_jobs {
                let t = Instant::now();
                assert!(run(job).await, "a request failed");
                samples.push(t.elapsed());
            }
            samples
        });
    }
    let mut samples = Vec::new();
    while let Some(done) = workers.join_next().await {
        samples.extend(done.unwrap());
    }
    (samples, started.elapsed())
}

/// Checks answers without parsing them: the client shares the machine with the server, and
/// its parsing would be counted against the server.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// `total` copies of `job` spread over `concurrency` workers.
fn spread(total: usize, concurrency: usize, job: &str) -> Vec<Vec<String>> {
    (0..concurrency)
        .map(|w| {
            (0..total)
                .filter(|i| i % concurrency == w)
                .map(|_| job.to_owned())
                .collect()
        })
        .collect()
}

async fn serve_constant() -> SocketAddr {
    let app = axum::Router::new().route(
        "/constant",
        axum::routing::get(|| async {
            (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                r#"{"status":1,"data":{},"message":"OK"}"#,
            )
        }),
    );
    let listener = api::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum_server::from_tcp(listener)
            .unwrap()
            .serve(app.into_make_service())
            .await
            .unwrap();
    });
    addr
}

fn main() {
    let accounts_n = env_or("ACCOUNTS", 1000);
    let requests = env_or("REQUESTS", 4000);
    let concurrency = env_or("CONCURRENCY", 8).max(1);
    let page = env_or("LIST_LIMIT", 100).clamp(1, 500);
    let _ = rustls::crypto::ring::default_provider().install_default();

    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let db = dir.path().join("bench.db");
    let config = Config {
        tariffs: Default::default(),
        booth: BoothSettings {
            name: "Bench".into(),
            timezone: chrono_tz::UTC,
            database: db.clone(),
            db_structure: DbStructure::Saphasap,
            res_guid: RES_GUID.into(),
            capacity: None,
            entrance_tries: 3,
            exit_tries: 3,
            lost_ticket_fee: "0.00".parse().unwrap(),
        },
        resource: None,
        lanes: vec![
            lane("in", Direction::Entrance),
            lane("out", Direction::Exit),
        ],
        api: None,
        nwave: None,
    };
    let store = Store::open(&db).unwrap();
    let now = SystemClock.now();
    clearpark_testkit::priced(store.conn(), RES_GUID, "0.05", now);
    let codes = clearpark_testkit::drivers(store.conn(), "driver", accounts_n, now);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let mut running = Running::start(
            &config,
            store,
            Box::new(SystemClock),
            DeviceOptions::default(),
        )
        .unwrap();
        let api_config = ApiConfig::new(
            "127.0.0.1:0".parse().unwrap(),
            "in",
            "out",
            vec![Secret::new(TOKEN)],
        );
        let addr = running
            .serve_api(&config, api_config, Arc::new(SystemClock), None)
            .await
            .unwrap();
        let constant = serve_constant().await;
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(concurrency)
            .build()
            .unwrap();
        println!(
            "API benchmark: {accounts_n} accounts, {concurrency} requests in flight, keep-alive, \
             server and client on 2 worker threads"
        );

        // Warm-up: connections open, statements prepared, pages cached.
        for _ in 0..50 {
            let get = |url: String| http.get(url).bearer_auth(TOKEN).send();
            get(format!("http://{constant}/constant")).await.unwrap();
            get(format!("http://{addr}/clearpark/attendances/?limit=100"))
                .await
                .unwrap();
        }

        let client = http.clone();
        let (samples, wall) = load(
            spread(
                requests,
                concurrency,
                &format!("http://{constant}/constant"),
            ),
            move |url| {
                let client = client.clone();
                async move {
                    let res = client.get(url).send().await.unwrap();
                    res.status().is_success() && !res.bytes().await.unwrap().is_empty()
                }
            },
        )
        .await;
        let ceiling = figures(samples, wall);
        print("bare axum route, constant (ceiling)", &ceiling, None);

        // find-device: each worker takes every n-th account in and then out again.
        let jobs: Vec<Vec<String>> = (0..concurrency)
            .map(|w| {
                codes
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| i % concurrency == w)
                    .flat_map(|(_, code)| [format!("entrance {code}"), format!("exit {code}")])
                    .collect()
            })
            .collect();
        let client = http.clone();
        let (samples, wall) = load(jobs, move |job| {
            let client = client.clone();
            async move {
                let (kind, code) = job.split_once(' ').unwrap();
                let res = client
                    .post(format!("http://{addr}/find-device/?type={kind}"))
                    .bearer_auth(TOKEN)
                    .json(&serde_json::json!({ "data": code }))
                    .send()
                    .await
                    .unwrap();
                // The keys are sorted and only the top level has "status".
                let body = res.bytes().await.unwrap();
                contains(&body, br#""status":1"#)
            }
        })
        .await;
        let find = figures(samples, wall);
        print(
            "find-device, entrance/exit alternating",
            &find,
            Some(&ceiling),
        );

        let client = http.clone();
        let (samples, wall) = load(
            spread(
                requests,
                concurrency,
                &format!("http://{addr}/clearpark/attendances/?limit={page}"),
            ),
            move |url| {
                let client = client.clone();
                async move {
                    let res = client.get(url).bearer_auth(TOKEN).send().await.unwrap();
                    let body = res.bytes().await.unwrap();
                    contains(&body, format!(r#""total":{page}"#).as_bytes())
                }
            },
        )
        .await;
        let list = figures(samples, wall);
        print(
            &format!("list page, {page} attendances"),
            &list,
            Some(&ceiling),
        );
        running.stop().await;
    });
}
