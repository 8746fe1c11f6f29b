//! Nwave messages consumed, applied and committed per second by the real consumer and booth,
//! from a queue preloaded with 200,000 generated messages (corrections, partial ends,
//! duplicates), next to the ceiling measured in the same run: a bare lapin consumer of the same
//! queue contents that only acknowledges (`multiple`, once per batch of the same size). Also the
//! booth alone (the same messages in the same batches, no broker), to show where time goes.
//!
//! `cargo bench --bench nwave` (MESSAGES=n for another count; CLEARPARK_TEST_AMQP_URL for
//! another broker). Needs RabbitMQ; says so and stops without one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use clearpark::booth::clock::SystemClock;
use clearpark::booth::{Booth, BoothHandle, NWAVE_PART_MESSAGES, NwaveDelivery};
use clearpark::config::{
    BoothSettings, BrokerSettings, Config, GateEndpoint, LaneConfig, NwaveSettings,
    PrinterEndpoint, ScannerEndpoint,
};
use clearpark::devices::DeviceOptions;
use clearpark::domain::nwave::OverstayLimits;
use clearpark::domain::session::Direction;
use clearpark::nwave::publisher::Publisher;
use clearpark::nwave::replay::{self, ReplayPlan};
use clearpark::runtime::Running;
use clearpark::store::{DbStructure, Store};
use futures_lite::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicQosOptions, ExchangeDeleteOptions,
    QueueDeleteOptions,
};
use lapin::types::FieldTable;
use std::path::Path;
use std::time::{Duration, Instant};

const RES_GUID: &str = "00000000-0000-4000-8000-0000000000b2";

fn config(db: &Path, broker: Option<BrokerSettings>) -> Config {
    Config {
        tariffs: Default::default(),
        booth: BoothSettings {
            name: "Bench".into(),
            timezone: chrono_tz::UTC,
            database: db.to_owned(),
            db_structure: DbStructure::Saphasap,
            res_guid: RES_GUID.into(),
            capacity: None,
            entrance_tries: 3,
            exit_tries: 3,
            lost_ticket_fee: "0".parse().unwrap(),
        },
        resource: None,
        lanes: vec![LaneConfig {
            id: "in-1".into(),
            name: "in-1".into(),
            direction: Direction::Entrance,
            scanner: ScannerEndpoint::None,
            gate: GateEndpoint::None,
            printer: PrinterEndpoint::None,
        }],
        api: None,
        nwave: Some(NwaveSettings {
            broker,
            keep_days: 90,
            limits: OverstayLimits {
                default_minutes: Some(120),
                by_group: Default::default(),
            },
        }),
    }
}

fn fresh_store(db: &Path) -> Store {
    let store = Store::open(db).unwrap();
    clearpark_testkit::priced(
        store.conn(),
        RES_GUID,
        "0.05",
        clearpark::booth::clock::now(),
    );
    store
}

fn settings(url: &str, queue: &str) -> BrokerSettings {
    // What `[nwave]` gets by default: prefetch 2000, batches of up to 1000, 20 ms linger.
    BrokerSettings::with_defaults(url, queue)
}

async fn preload(s: &BrokerSettings, payloads: &[Vec<u8>]) -> Duration {
    let started = Instant::now();
    let publisher = Publisher::connect(s).await.unwrap();
    publisher
        .publish_all(payloads.iter().map(Vec::as_slice))
        .await
        .unwrap();
    publisher.close().await;
    started.elapsed()
}

/// The ceiling: receive everything and acknowledge it, one `multiple` ack per batch.
async fn bare_consume(s: &BrokerSettings, n: usize) -> Duration {
    let started = Instant::now();
    let conn = lapin::Connection::connect(&s.url, Default::default())
        .await
        .unwrap();
    let channel = conn.create_channel().await.unwrap();
    channel
        .basic_qos(s.prefetch, BasicQosOptions::default())
        .await
        .unwrap();
    let mut consumer = channel
        .basic_consume(
            s.queue.as_str().into(),
            "bench-bare".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let batch = usize::from(s.prefetch / 2);
    let mut received = 0;
    let mut bytes = 0usize;
    while received < n {
        let delivery = consumer.next().await.unwrap().unwrap();
        received += 1;
        bytes += delivery.data.len();
        if received % batch == 0 || received == n {
            delivery
                .acker
                .ack(BasicAckOptions { multiple: true })
                .await
                .unwrap();
        }
    }
    let elapsed = started.elapsed();
    assert!(bytes > 0);
    let _ = conn.close(200, "done".into()).await;
    elapsed
}

async fn clean_up(s: &BrokerSettings) {
    let conn = lapin::Connection::connect(&s.url, Default::default())
        .await
        .unwrap();
    let ch = conn.create_channel().await.unwrap();
    for q in [&s.queue, &s.dead_letter_exchange] {
        let _ = ch
            .queue_delete(q.as_str().into(), QueueDeleteOptions::default())
            .await;
    }
    let _ = ch
        .exchange_delete(
            s.dead_letter_exchange.as_str().into(),
            ExchangeDeleteOptions::default(),
        )
        .await;
    let _ = conn.close(200, "clean".into()).await;
}

/// Bytes of log written per message, at `page_size`, when `messages` are applied in parts of
/// [`NWAVE_PART_MESSAGES`] (a part under load) and nothing is checkpointed: every commit
/// writes each page it touched whole into the log. And the database's bytes per message.
fn log_per_message(messages: &[replay::Sent], page_size: u32) -> (f64, f64) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("log.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.pragma_update(None, "page_size", page_size).unwrap();
        conn.execute_batch("CREATE TABLE x (a); DROP TABLE x;")
            .unwrap();
    }
    let mut store = Store::open(&db).unwrap();
    assert_eq!(
        store
            .conn()
            .pragma_query_value(None, "page_size", |r| r.get::<_, u32>(0))
            .unwrap(),
        page_size
    );
    store
        .conn()
        .pragma_update(None, "wal_autocheckpoint", 0)
        .unwrap();
    let before = std::fs::metadata(Store::wal_path(&db)).unwrap().len();
    let now = clearpark::booth::clock::now();
    store
        .without_fsync(|s| {
            for part in messages.chunks(NWAVE_PART_MESSAGES) {
                let tx = s.transaction()?;
                for m in part {
                    clearpark::store::nwave::apply_message(&tx, &m.message, now)?;
                }
                tx.commit()?;
            }
            Ok(())
        })
        .unwrap();
    let log = std::fs::metadata(Store::wal_path(&db)).unwrap().len() - before;
    let pages: u32 = store
        .conn()
        .pragma_query_value(None, "page_count", |r| r.get(0))
        .unwrap();
    let per = |bytes: u64| bytes as f64 / messages.len() as f64 / 1024.0;
    (per(log), per(u64::from(pages) * u64::from(page_size)))
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::var("MESSAGES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200_000);
    let url = std::env::var("CLEARPARK_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into());
    if let Err(e) = lapin::Connection::connect(&url, Default::default()).await {
        println!("nwave bench SKIPPED: no RabbitMQ at {url}: {e}");
        return;
    }

    // Yesterday: recent enough that the booth's retention (keep_days) never touches it.
    let start = (clearpark::booth::clock::now() - chrono::TimeDelta::days(1))
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    let bays = n / 17 + 100;
    let mut plan = ReplayPlan::new(2026, bays, start);
    plan.hours = 24;
    let replay = replay::generate(&plan);
    assert!(replay.messages.len() >= n, "{:?}", replay.stats);
    let payloads: Vec<Vec<u8>> = replay.messages[..n]
        .iter()
        .map(|s| s.message.to_vendor_json())
        .collect();
    let mean_bytes = payloads.iter().map(Vec::len).sum::<usize>() / n;
    println!(
        "nwave: {n} messages ({mean_bytes} bytes on average) of a generated day: {} bays, {} corrections, {} partial ends, {} repeats",
        replay.stats.positions,
        replay.stats.corrections,
        replay.stats.partial_ends,
        replay.stats.duplicated
    );
    let sample = &replay.messages[..n.min(20_000)];
    for page_size in [1024, clearpark::store::PAGE_SIZE] {
        let (log, db) = log_per_message(sample, page_size);
        println!(
            "  pages of {page_size:>4} B: {log:>5.1} KiB of log and {db:>4.1} KiB of database per message ({} messages in parts of {NWAVE_PART_MESSAGES})",
            sample.len()
        );
    }
    let run = uuid::Uuid::new_v4().simple().to_string();

    // The ceiling: the same contents, a bare consumer that only acknowledges.
    let bare = settings(&url, &format!("clearpark.bench.bare.{run}"));
    let loaded = preload(&bare, &payloads).await;
    let ceiling = bare_consume(&bare, n).await;
    clean_up(&bare).await;

    // The real thing: consumer + booth, every batch applied and committed before its ack.
    let real = settings(&url, &format!("clearpark.bench.real.{run}"));
    preload(&real, &payloads).await;
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let db = dir.path().join("bench.db");
    let cfg = config(&db, Some(real.clone()));
    let started = Instant::now();
    let running = Running::start(
        &cfg,
        fresh_store(&db),
        Box::new(SystemClock),
        DeviceOptions::default(),
    )
    .unwrap();
    let mut snapshots = running.snapshots();
    snapshots
        .wait_for(|s| {
            s.nwave
                .as_ref()
                .is_some_and(|v| v.totals.messages() >= n as u64)
        })
        .await
        .unwrap();
    let consumed = started.elapsed();
    let view = snapshots.borrow().nwave.clone().unwrap();
    running.stop().await;
    clean_up(&real).await;

    // The booth alone: the same messages in batches of the consumer's largest, no broker.
    let db2 = dir.path().join("alone.db");
    let booth = Booth::new(
        fresh_store(&db2),
        &config(&db2, None),
        Box::new(SystemClock),
    )
    .unwrap();
    let (effects, _keep) = tokio::sync::mpsc::unbounded_channel();
    let handle = BoothHandle::spawn(booth, effects).unwrap();
    let started = Instant::now();
    for chunk in payloads.chunks(usize::from(real.prefetch / 2)) {
        let deliveries = chunk
            .iter()
            .map(|p| NwaveDelivery {
                payload: p.clone(),
                origin: Default::default(),
            })
            .collect();
        handle
            .client
            .nwave_batch(deliveries)
            .await
            .unwrap()
            .unwrap();
    }
    let alone = started.elapsed();
    handle.stop().await;

    println!(
        "  preload (publisher confirms)                   {:>9.0} msg/s",
        rate(n, loaded)
    );
    println!(
        "  bare lapin consume + multiple ack (ceiling)    {:>9.0} msg/s  {:>7.2} s",
        rate(n, ceiling),
        ceiling.as_secs_f64()
    );
    println!(
        "  consumer + booth, applied and committed        {:>9.0} msg/s  {:>7.2} s  = {:.1}% of the ceiling",
        rate(n, consumed),
        consumed.as_secs_f64(),
        100.0 * ceiling.as_secs_f64() / consumed.as_secs_f64()
    );
    println!(
        "  booth alone, same batches, no broker           {:>9.0} msg/s  {:>7.2} s",
        rate(n, alone),
        alone.as_secs_f64()
    );
    println!(
        "  applied: {} new, {} merged, {} duplicates, {} corrections, {} stale, {} quarantined; {} batches failed",
        view.totals.new,
        view.totals.merged,
        view.totals.duplicates,
        view.totals.corrections,
        view.totals.stale,
        view.totals.quarantined,
        view.failed_batches
    );
}
