//! Scans decided per second, and the latency from a scan event to its gate effect with the
//! durable commit (synchronous=FULL), next to the floor: a bare INSERT + COMMIT on the same file
//! in the same run.
//!
//! `cargo bench --bench scan_to_gate` (set SCANS=n for more or fewer scans).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use clearpark::booth::clock::SystemClock;
use clearpark::booth::{Booth, BoothHandle, Effect, GateSignal, ScanSource};
use clearpark::config::{
    BoothSettings, Config, GateEndpoint, LaneConfig, PrinterEndpoint, ScannerEndpoint,
};
use clearpark::domain::session::Direction;
use clearpark::store::{DbStructure, Store};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

const RES_GUID: &str = "00000000-0000-4000-8000-0000000000b1";

fn lane(id: &str, direction: Direction) -> LaneConfig {
    LaneConfig {
        id: id.into(),
        name: id.into(),
        direction,
        scanner: ScannerEndpoint::Sim,
        gate: GateEndpoint::Sim,
        printer: PrinterEndpoint::None,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn summary(name: &str, mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let (p50, p99) = (percentile(&samples, 0.50), percentile(&samples, 0.99));
    println!(
        "{name:<34} n={:<6} p50={:>8.3} ms  p99={:>8.3} ms",
        samples.len(),
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
    (p50, p99)
}

fn main() {
    let scans: usize = std::env::var("SCANS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
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
            lost_ticket_fee: "10".parse().unwrap(),
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
    let now = clearpark::booth::clock::now();
    clearpark_testkit::priced(store.conn(), RES_GUID, "0.05", now);
    let accounts_n = scans / 2;
    let codes = clearpark_testkit::drivers(store.conn(), "bench", accounts_n.max(1), now);

    // The floor: a bare INSERT + COMMIT on the same file, same pragmas.
    let floor_conn = rusqlite::Connection::open(&db).unwrap();
    floor_conn
        .pragma_update(None, "synchronous", "FULL")
        .unwrap();
    floor_conn
        .execute_batch(
            "CREATE TABLE IF NOT EXISTS bench_floor (id INTEGER PRIMARY KEY, at TEXT, v TEXT)",
        )
        .unwrap();
    let mut floor = Vec::with_capacity(scans);
    for i in 0..scans {
        let t = Instant::now();
        floor_conn.execute("BEGIN IMMEDIATE", []).unwrap();
        floor_conn
            .execute(
                "INSERT INTO bench_floor (at, v) VALUES (datetime('now'), ?1)",
                [i.to_string()],
            )
            .unwrap();
        floor_conn.execute("COMMIT", []).unwrap();
        floor.push(t.elapsed());
    }
    drop(floor_conn);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (latencies, elapsed) = rt.block_on(async {
        let booth = Booth::new(store, &config, Box::new(SystemClock)).unwrap();
        let (effects_tx, mut effects) = mpsc::unbounded_channel();
        let handle = BoothHandle::spawn(booth, effects_tx).unwrap();
        let client = handle.client.clone();
        let mut latencies = Vec::with_capacity(scans);
        let started = Instant::now();
        for (lane, round) in [("in", 0), ("out", 1)] {
            for code in &codes[..(scans / 2).max(1)] {
                let t = Instant::now();
                client
                    .submit_scan(lane, code.as_bytes().to_vec(), ScanSource::Scanner)
                    .await
                    .unwrap();
                match effects.recv().await {
                    Some(Effect::Gate { .. }) => latencies.push(t.elapsed()),
                    other => panic!("round {round}: expected a gate effect, got {other:?}"),
                }
                client.gate(lane, GateSignal::Passed).await.unwrap();
            }
        }
        let elapsed = started.elapsed();
        handle.stop().await;
        (latencies, elapsed)
    });
    println!(
        "scan -> gate, durable commit (WAL, synchronous=FULL), {} accounts",
        codes.len()
    );
    let (f50, f99) = summary("floor: bare INSERT + COMMIT", floor);
    let (s50, s99) = summary("scan event -> gate effect", latencies.clone());
    println!(
        "{:<34} {:.0} scans/s (each followed by its PASSED event, both committed)",
        "throughput",
        latencies.len() as f64 / elapsed.as_secs_f64()
    );
    println!(
        "{:<34} p50 x{:.2}  p99 x{:.2}",
        "ratio scan/floor",
        s50.as_secs_f64() / f50.as_secs_f64(),
        s99.as_secs_f64() / f99.as_secs_f64()
    );
}
