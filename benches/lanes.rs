//! A lane end to end on real ptys: from a scanned code's bytes written on the scanner's pty to
//! the `OPEN` line read on the gate controller's pty, through the console's scanner reader, the
//! booth's decision with its durable commit (WAL, synchronous=FULL) and the gate link. Next to
//! it, measured between the scans of the same run: one byte through a pty alone, and a bare
//! INSERT + COMMIT on the same file.
//!
//! `cargo bench --bench lanes` (SCANS=n for another number of scans; half in, half out).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use clearpark::booth::clock::SystemClock;
use clearpark::config::{
    BoothSettings, Config, GateEndpoint, LaneConfig, PrinterEndpoint, ScannerEndpoint,
};
use clearpark::devices::DeviceOptions;
use clearpark::domain::session::Direction;
use clearpark::runtime::Running;
use clearpark::store::{DbStructure, Store};
use clearpark_testkit::gate_end::gate_end;
use serialport::{SerialPort, TTYPort};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

const RES_GUID: &str = "00000000-0000-4000-8000-0000000000b2";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn summary(name: &str, mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let (p50, p99) = (percentile(&samples, 0.50), percentile(&samples, 0.99));
    println!(
        "{name:<40} n={:<6} p50={:>8.3} ms  p99={:>8.3} ms",
        samples.len(),
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
    (p50, p99)
}

fn pty() -> (TTYPort, TTYPort, PathBuf) {
    let (master, slave) = TTYPort::pair().unwrap();
    let path = PathBuf::from(slave.name().unwrap());
    (master, slave, path)
}

fn main() {
    let scans: usize = std::env::var("SCANS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000)
        .max(2);
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let db = dir.path().join("bench.db");

    // Baseline 1: one byte through a pty, master to a slave opened as the console opens ports.
    let (mut pty_master, _pty_slave, path) = pty();
    let mut pty_console = serialport::new(path.display().to_string(), 115_200)
        .timeout(Duration::from_secs(5))
        .open()
        .unwrap();
    let mut byte = [0_u8; 1];

    // The booth's data: a priced resource and one account per pair of scans.
    let store = Store::open(&db).unwrap();
    let now = clearpark::booth::clock::now();
    clearpark_testkit::priced(store.conn(), RES_GUID, "0.05", now);
    let codes = clearpark_testkit::drivers(store.conn(), "bench", scans / 2, now);

    // Baseline 2: a bare INSERT + COMMIT on the same file, same pragmas.
    let floor_conn = rusqlite::Connection::open(&db).unwrap();
    floor_conn
        .pragma_update(None, "synchronous", "FULL")
        .unwrap();
    floor_conn
        .execute_batch("CREATE TABLE IF NOT EXISTS bench_floor (id INTEGER PRIMARY KEY, v TEXT)")
        .unwrap();

    // The lanes: scanner and gate on ptys, the console on the other ends.
    let (opens_tx, opens) = mpsc::channel();
    let mut scanners = Vec::new();
    let mut keep = Vec::new();
    let mut lanes = Vec::new();
    for (id, direction) in [("in", Direction::Entrance), ("out", Direction::Exit)] {
        let (scanner_master, scanner_slave, scanner_path) = pty();
        let (gate_master, gate_slave, gate_path) = pty();
        gate_end(gate_master, opens_tx.clone());
        scanners.push(scanner_master);
        keep.push((scanner_slave, gate_slave));
        lanes.push(LaneConfig {
            id: id.into(),
            name: id.into(),
            direction,
            scanner: ScannerEndpoint::Serial(scanner_path),
            gate: GateEndpoint::Serial(gate_path),
            printer: PrinterEndpoint::None,
        });
    }
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
        lanes,
        api: None,
        nwave: None,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let running = rt.block_on(async {
        Running::start(
            &config,
            store,
            Box::new(SystemClock),
            DeviceOptions::default(),
        )
        .unwrap()
    });
    let snapshots = running.snapshots();
    let ready = Instant::now();
    while !snapshots
        .borrow()
        .lanes
        .iter()
        .all(|l| l.gate.online == Some(true) && l.scanner_online == Some(true))
    {
        assert!(
            ready.elapsed() < Duration::from_secs(10),
            "lanes never came online"
        );
        std::thread::sleep(Duration::from_millis(5));
    }

    // The baselines are measured between the scans, so that a busy machine weighs on all
    // three alike.
    let mut pty_alone = Vec::with_capacity(scans);
    let mut floor = Vec::with_capacity(scans);
    let mut end_to_end = Vec::with_capacity(scans);
    let mut busy = Duration::ZERO;
    for (lane, scanner) in scanners.iter_mut().enumerate() {
        for code in &codes {
            let t = Instant::now();
            pty_master.write_all(b"x").unwrap();
            pty_console.read_exact(&mut byte).unwrap();
            pty_alone.push(t.elapsed());

            let t = Instant::now();
            floor_conn.execute("BEGIN IMMEDIATE", []).unwrap();
            floor_conn
                .execute("INSERT INTO bench_floor (v) VALUES (?1)", [code])
                .unwrap();
            floor_conn.execute("COMMIT", []).unwrap();
            floor.push(t.elapsed());

            let started = Instant::now();
            let line = format!("{code}\r");
            let t = Instant::now();
            scanner.write_all(line.as_bytes()).unwrap();
            let opened = opens
                .recv_timeout(Duration::from_secs(10))
                .unwrap_or_else(|_| panic!("no OPEN on lane {lane} for {code}"));
            end_to_end.push(opened.duration_since(t));
            // Wait for the booth to have taken the PASSED, so the next scan meets an idle lane.
            while !snapshots.borrow().lanes[lane].pending.is_empty() {
                std::thread::sleep(Duration::from_micros(200));
            }
            busy += started.elapsed();
        }
    }
    rt.block_on(running.stop());

    println!("lane end to end on ptys: scan bytes on the scanner pty -> OPEN line on the gate pty");
    let (b50, b99) = summary("baseline: 1 byte through a pty", pty_alone);
    summary("baseline: bare INSERT + COMMIT (FULL)", floor);
    let (e50, e99) = summary(
        "scan bytes -> OPEN line (commit inside)",
        end_to_end.clone(),
    );
    println!(
        "{:<40} {:.0} scans/s (each one's vehicle through before the next)",
        "throughput",
        end_to_end.len() as f64 / busy.as_secs_f64()
    );
    println!(
        "{:<40} p50 x{:.1}  p99 x{:.1}",
        "ratio end-to-end / pty byte",
        e50.as_secs_f64() / b50.as_secs_f64(),
        e99.as_secs_f64() / b99.as_secs_f64()
    );
}
