//! The broker side of `tests/nwave/`: a booth with the consumer on a queue of its own,
//! publishing, queue depths, clean-up, stopping the broker's app, and the comparison with the
//! pure rules.
#![allow(dead_code)]

use super::support::{IN, RES_GUID, lane, t0};
use clearpark::booth::clock::SystemClock;
use clearpark::booth::{NwaveLink, Snapshot};
use clearpark::config::{BrokerSettings, Config, NwaveSettings};
use clearpark::devices::DeviceOptions;
use clearpark::domain::nwave::{Ledger, OverstayLimits};
use clearpark::domain::session::Direction;
use clearpark::nwave::publisher::Publisher;
use clearpark::runtime::Running;
use clearpark::store::{Store, nwave};
use lapin::options::{ExchangeDeleteOptions, QueueDeclareOptions, QueueDeleteOptions};
use lapin::types::FieldTable;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// One broker test at a time: one of them stops the broker's app.
pub static BROKER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub use super::support::harness::broker_url;

/// `(ready, unacknowledged)` messages of a queue, as the broker reports them.
pub fn queue_depth(queue: &str) -> Option<(u64, u64)> {
    let out = Command::new("rabbitmqctl")
        .args(["list_queues", "--quiet", "--no-table-headers"])
        .args(["name", "messages_ready", "messages_unacknowledged"])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            (cols.len() == 3 && cols[0] == queue)
                .then(|| Some((cols[1].trim().parse().ok()?, cols[2].trim().parse().ok()?)))
                .flatten()
        })
}

pub fn broker(queue: &str) -> BrokerSettings {
    BrokerSettings {
        // Small batches: more of them, more chances to interleave with the faults.
        prefetch: 200,
        batch_linger: Duration::from_millis(10),
        ..BrokerSettings::with_defaults(&broker_url(), queue)
    }
}

pub fn unique_queue(test: &str) -> String {
    format!("clearpark.test.{test}.{}", uuid::Uuid::new_v4().simple())
}

/// A booth on a fresh file with one lane and the consumer on `settings`.
pub struct Site {
    pub dir: tempfile::TempDir,
    pub config: Config,
    pub running: Option<Running>,
}

impl Site {
    pub fn start(settings: BrokerSettings) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let mut config = super::support::config(dir.path().join("booth.db"));
        config.lanes = vec![lane(IN, Direction::Entrance, false, false)];
        config.nwave = Some(NwaveSettings {
            broker: Some(settings),
            keep_days: 90,
            limits: OverstayLimits {
                default_minutes: Some(120),
                by_group: Default::default(),
            },
        });
        let store = Store::open(&config.booth.database).unwrap();
        super::support::priced(store.conn(), RES_GUID, "0.05", t0());
        let running = Running::start(
            &config,
            store,
            Box::new(SystemClock),
            DeviceOptions::default(),
        )
        .unwrap();
        Site {
            dir,
            config,
            running: Some(running),
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        self.running.as_ref().unwrap().snapshots().borrow().clone()
    }

    pub fn link(&self) -> NwaveLink {
        self.snapshot().nwave.unwrap().link.clone()
    }

    pub async fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }

    pub fn db(&self) -> &Path {
        &self.config.booth.database
    }
}

pub async fn publish(settings: &BrokerSettings, payloads: &[Vec<u8>]) {
    let publisher = Publisher::connect(settings).await.unwrap();
    let n = publisher
        .publish_all(payloads.iter().map(Vec::as_slice))
        .await
        .unwrap();
    assert_eq!(n, payloads.len());
    publisher.close().await;
}

/// Waits until every message published to `queue` has been acknowledged: acknowledged means
/// committed, so the booth has applied them all.
pub async fn wait_until_drained(queue: &str, timeout: Duration) {
    let started = Instant::now();
    loop {
        let depth = tokio::task::block_in_place(|| queue_depth(queue));
        if depth == Some((0, 0)) {
            return;
        }
        assert!(
            started.elapsed() < timeout,
            "{queue} still holds {depth:?} (ready, unacknowledged) after {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Deletes a test's queues and exchange.
pub async fn clean_up(settings: &BrokerSettings) {
    let conn = lapin::Connection::connect(&settings.url, Default::default())
        .await
        .unwrap();
    let ch = conn.create_channel().await.unwrap();
    for q in [&settings.queue, &settings.dead_letter_exchange] {
        let _ = ch
            .queue_delete(q.as_str().into(), QueueDeleteOptions::default())
            .await;
    }
    let _ = ch
        .exchange_delete(
            settings.dead_letter_exchange.as_str().into(),
            ExchangeDeleteOptions::default(),
        )
        .await;
    let _ = conn.close(200, "clean".into()).await;
}

/// Ready messages in a queue by a passive declare.
pub async fn ready_messages(settings: &BrokerSettings, queue: &str) -> u32 {
    let conn = lapin::Connection::connect(&settings.url, Default::default())
        .await
        .unwrap();
    let ch = conn.create_channel().await.unwrap();
    let passive = QueueDeclareOptions {
        passive: true,
        ..QueueDeclareOptions::default()
    };
    let q = ch
        .queue_declare(queue.into(), passive, FieldTable::default())
        .await
        .unwrap();
    let _ = conn.close(200, "done".into()).await;
    q.message_count()
}

/// The booth's database holds exactly what the rules say: every session with its history,
/// every position, and the quarantined messages.
pub fn assert_matches(db: &Path, expected: &Ledger) {
    let store = Store::open_read_only(db).unwrap();
    let conn = store.conn();
    let sessions: i64 = conn
        .query_row("SELECT COUNT(*) FROM nwave_session", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sessions as usize, expected.sessions.len());
    for (uuid, record) in &expected.sessions {
        let stored = nwave::load_session(conn, uuid).unwrap().unwrap();
        assert_eq!(&stored.record, record, "session {uuid}");
    }
    let board = nwave::load_board(conn).unwrap();
    let positions: Vec<_> = expected.positions().into_values().collect();
    assert_eq!(board, positions);
    let quarantined = nwave::quarantined(conn, 0, 1000).unwrap();
    let mut got: Vec<(Vec<u8>, String)> = quarantined
        .iter()
        .map(|q| (q.payload.clone().into_bytes(), q.reason.clone()))
        .collect();
    let mut want = expected.quarantined.clone();
    got.sort();
    want.sort();
    want.dedup();
    assert_eq!(got, want);
}

/// Stops the broker's app; starts it again when dropped, whatever happened meanwhile.
pub struct BrokerAppStopped;

impl BrokerAppStopped {
    pub fn stop() -> BrokerAppStopped {
        let status = Command::new("rabbitmqctl")
            .arg("stop_app")
            .output()
            .unwrap();
        assert!(status.status.success(), "rabbitmqctl stop_app: {status:?}");
        BrokerAppStopped
    }
}

impl Drop for BrokerAppStopped {
    fn drop(&mut self) {
        let out = Command::new("rabbitmqctl").arg("start_app").output();
        if !out.as_ref().is_ok_and(|o| o.status.success()) {
            eprintln!("rabbitmqctl start_app failed: {out:?}");
        }
        let _ = Command::new("rabbitmqctl")
            .args(["await_startup", "--timeout", "60"])
            .output();
    }
}
