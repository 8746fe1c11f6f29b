//! Soak: half an hour of a busy booth compressed into a few minutes, in one process, on the
//! wiring the binary uses (the booth thread on a SQLite file, its pty lanes, the HTTP API, the
//! Nwave consumer on a real broker, the console's screen).
//!
//! 1. **idle** (`SOAK_IDLE_SECONDS`, as long as the soak): only the two pty lanes, one car per
//!    lane every 200 ms (the exit's 100 ms after the entrance's), each timed from its code's
//!    bytes on the scanner's pty to the `OPEN` line on the gate's pty; as many scans as under load, so that both p99s are as sure (with
//!    40 s, 400 scans, the idle p99 was the fourth-slowest scan and moved 2-4.5 ms run to run);
//! 2. **soak** (`SOAK_SECONDS`, 180): the same lanes, plus API clients at 200 requests/s
//!    (find-device, sync list pages, drivers' current session, set-ip), the Nwave cloud at
//!    500 messages/s through the broker into the consumer, and the console drawing 10 frames/s
//!    into a 160×48 `TestBackend`.
//!
//! The load runs at its real rates while the booth's clock runs `SOAK_CLOCK` (10) times the
//! wall's: the default 180 s are 30 minutes of the booth's time, so that stays, prices and the
//! cars parked before the run age as in half an hour. Printed: the idle and soak p50/p99 of
//! scan-to-gate and their ratio, RSS every tenth of the soak, the rates delivered, errors and
//! the Nwave backlog. Exits non-zero when the load was not delivered (API errors, lost Nwave
//! messages, a lane without its `OPEN`), never on a time.
//!
//! `cargo bench --bench soak` (CLEARPARK_TEST_AMQP_URL for another broker; without one the
//! Nwave load is SKIPPED, loudly, unless CLEARPARK_REQUIRE_BROKER=1).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod api_load;
mod cpu;
mod floor;
mod lanes;
mod nwave_load;
mod report;
mod rss;
mod setup;
mod stats;
mod tui_load;

use clearpark_testkit::{gate_end, proc_stat};

use clearpark::booth::clock::Clock;
use clearpark::config::BrokerSettings;
use clearpark::devices::DeviceOptions;
use clearpark::domain::session::Direction;
use clearpark::runtime::Running;
use clearpark::store::Store;
use clearpark::tui::app::AppConfig;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const API_RATE: f64 = 200.0;
const NWAVE_RATE: f64 = 500.0;
const FPS: u32 = 10;
/// How long the booth may take to apply the last published messages.
const DRAIN_PATIENCE: Duration = Duration::from_secs(120);

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let soak = Duration::from_secs(env_or("SOAK_SECONDS", 180).max(10));
    let idle = Duration::from_secs(env_or("SOAK_IDLE_SECONDS", soak.as_secs()).max(5));
    let factor = env_or("SOAK_CLOCK", 10).clamp(1, 1000) as u32;
    let url = std::env::var("CLEARPARK_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into());
    // Which loads run beside the lanes in phase 2 (to see what costs what).
    let loads = std::env::var("SOAK_LOADS").unwrap_or_else(|_| "api,nwave,tui".into());
    let with = |load: &str| loads.split(',').any(|l| l.trim() == load);
    let require_broker = std::env::var("CLEARPARK_REQUIRE_BROKER").is_ok_and(|v| v == "1");
    let _ = rustls::crypto::ring::default_provider().install_default();
    // SOAK_TRACE=file: the booth thread's time per event, to see what a scan waits behind, and
    // each scan's hops (scripts/scan-hops.py reads them).
    if let Ok(file) = std::env::var("SOAK_TRACE") {
        let file = std::fs::File::create(file).unwrap();
        tracing_subscriber::fmt()
            .with_env_filter("clearpark::booth::runner=trace,clearpark::scan_path=trace")
            .with_thread_names(true)
            .with_writer(std::sync::Mutex::new(file))
            .with_ansi(false)
            .init();
    }

    // The booth's process: its runtime as the binary builds it (2 cores here). The clients
    // stand for other machines: a runtime of their own, one thread.
    let booth_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .on_thread_start(clearpark::priority::lower_this_thread)
        .enable_all()
        .build()
        .unwrap();
    let load_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();

    let run_id = uuid::Uuid::new_v4().simple().to_string();
    let broker: Option<BrokerSettings> = match load_rt.block_on(nwave_load::broker_up(&url)) {
        Ok(()) => Some(BrokerSettings::with_defaults(
            &url,
            &format!("clearpark.soak.{run_id}"),
        )),
        Err(e) => {
            println!("SKIPPED nwave load: no broker at {url}: {e}");
            if require_broker {
                println!("CLEARPARK_REQUIRE_BROKER=1: failing");
                std::process::exit(2);
            }
            None
        }
    };
    let nwave_messages = (NWAVE_RATE * (soak.as_secs_f64() + 30.0)) as usize;
    let payloads = broker
        .as_ref()
        .filter(|_| with("nwave"))
        .map(|_| Arc::new(nwave_load::generate(nwave_messages).0));

    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let db = dir.path().join("soak.db");
    let mut store = Store::open(&db).unwrap();
    let clock = setup::ScaledClock::new(factor);
    let fleet = setup::Fleet {
        lane_parked: 1000,
        lane_outside: 300,
        api_parked: 600,
        api_outside: 600,
        drivers: 50,
        remote_io: 8,
    };
    let seeded = setup::seed(&mut store, &fleet, clock.now());
    let (entrance, entrance_config) = lanes::open(0, "in", Direction::Entrance);
    let (exit, exit_config) = lanes::open(1, "out", Direction::Exit);
    let config = setup::config(&db, vec![entrance_config, exit_config], broker.clone());
    let (running, addr) = booth_rt.block_on(async {
        let mut running = Running::start(
            &config,
            store,
            Box::new(clock.clone()),
            DeviceOptions::default(),
        )
        .unwrap();
        let addr = running
            .serve_api(
                &config,
                setup::api_config(seeded.device_keys.clone()),
                Arc::new(clock.clone()),
                None,
            )
            .await
            .unwrap();
        (running, addr)
    });
    let snapshots = running.snapshots();
    lanes::wait_online(&snapshots, 2);
    let rss_ready = rss::kib();

    // Phase 1: the lanes alone.
    let phase = Arc::new(lanes::Phase::default());
    let turns = ((idle + soak).as_secs_f64() / lanes::PACE.as_secs_f64()) as usize + 100;
    let drivers: Vec<_> = [entrance, exit]
        .into_iter()
        .map(|lane| {
            lanes::drive(
                lane,
                seeded.lanes.clone(),
                snapshots.clone(),
                phase.clone(),
                turns,
            )
        })
        .collect();
    let floor_samples = floor::run(dir.path(), phase.clone());
    let cpu_idle = cpu::now();
    std::thread::sleep(idle);

    // Phase 2: everything at once.
    let stop = CancellationToken::new();
    phase.set(lanes::SOAK);
    let cpu_soak = cpu::now();
    let api = with("api").then(|| {
        load_rt.spawn(api_load::run(
            api_load::Plan {
                addr,
                rate: API_RATE,
                cars: seeded.api.clone(),
                driver_tokens: seeded.driver_tokens.clone(),
                device_keys: seeded
                    .device_keys
                    .iter()
                    .map(|k| k.key.expose().to_owned())
                    .collect(),
                rows: seeded.accounts,
            },
            (API_RATE * soak.as_secs_f64()) as usize,
            stop.clone(),
        ))
    });
    let publisher = broker
        .clone()
        .zip(payloads.clone())
        .map(|(s, p)| load_rt.spawn(nwave_load::publish(s, p, NWAVE_RATE, stop.clone())));
    let screen = with("tui").then(|| {
        booth_rt.spawn(tui_load::run(
            tui_load::Screen {
                config: AppConfig::from_config(&config),
                snapshots: snapshots.clone(),
                activity: running.booth.subscribe_activity(),
                database: db.clone(),
                clock: clock.clone(),
                fps: FPS,
            },
            stop.clone(),
        ))
    });
    let begun = Instant::now();
    let mut series = Vec::with_capacity(11);
    for i in 0..=10u32 {
        let at = begun + soak * i / 10;
        std::thread::sleep(at.saturating_duration_since(Instant::now()));
        series.push(rss::Sample {
            at: begun.elapsed(),
            kib: rss::kib(),
            parts: rss::parts(),
            wal_bytes: report::size(&Store::wal_path(&db)),
        });
    }
    let cpu_end = cpu::now();
    stop.cancel();
    phase.set(lanes::STOP);
    let [floor_idle, floor_soak] = floor_samples.join().unwrap();
    let lane_reports: Vec<_> = drivers.into_iter().map(|d| d.join().unwrap()).collect();
    let api = api.map(|a| load_rt.block_on(a).unwrap());
    let publisher = publisher.map(|p| load_rt.block_on(p).unwrap());
    let screen = screen.map(|s| booth_rt.block_on(s).unwrap());

    // The backlog: the booth applies what was published, and the queue ends empty.
    let nwave = publisher.map(|published| {
        let waited = Instant::now();
        let mut watch = snapshots.clone();
        let target = published.published as u64;
        let applied = booth_rt.block_on(async {
            let _ = tokio::time::timeout(
                DRAIN_PATIENCE,
                watch.wait_for(|s| {
                    s.nwave
                        .as_ref()
                        .is_some_and(|v| v.totals.messages() >= target)
                }),
            )
            .await;
            snapshots.borrow().nwave.clone()
        });
        let drained_in = waited.elapsed();
        // Acknowledgements follow the commit; give them a moment to reach the broker.
        std::thread::sleep(Duration::from_millis(500));
        let depth = load_rt.block_on(nwave_load::queue_depth(broker.as_ref().unwrap()));
        report::Nwave {
            published,
            view: applied,
            drained_in,
            depth,
        }
    });
    let rss_after = rss::kib();
    let files = report::Files::of(&db);
    booth_rt.block_on(running.stop());
    if let Some(settings) = &broker {
        load_rt.block_on(nwave_load::clean_up(settings));
    }

    let ok = report::print(&report::Run {
        soak,
        idle,
        factor,
        api_rate: API_RATE,
        nwave_rate: NWAVE_RATE,
        fps: FPS,
        payload_bytes: payloads.as_ref().map(|p| p.bytes()),
        rss_ready,
        rss_after,
        series,
        lanes: lane_reports,
        api,
        nwave,
        screen,
        files,
        cpu_idle: cpu::usage(cpu_idle, cpu_soak),
        cpu_soak: cpu::usage(cpu_soak, cpu_end),
        floor: [
            stats::Figures::of(&floor_idle),
            stats::Figures::of(&floor_soak),
        ],
    });
    drop(dir);
    if !ok {
        std::process::exit(1);
    }
}
