//! The floor: a bare durable commit (`INSERT` + `COMMIT`, WAL, `synchronous = FULL`) on a
//! file of its own beside the booth's database, every 50 ms from a thread of its own, in both
//! phases. Every scan's decision is such a commit; when the disk's own p99 for it grows under
//! the load, scan-to-gate's p99 cannot stay below it, so the verdict is printed next to it.

use super::lanes::{IDLE, Phase, SOAK, STOP};
use rusqlite::Connection;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const EVERY: Duration = Duration::from_millis(50);

/// Commit times of the idle phase and of the soak, in the lanes' phases, until they stop.
pub fn run(dir: &Path, phase: Arc<Phase>) -> std::thread::JoinHandle<[Vec<Duration>; 2]> {
    let path = dir.join("floor.db");
    std::thread::spawn(move || {
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "journal_mode", "wal").unwrap();
        conn.pragma_update(None, "synchronous", "FULL").unwrap();
        conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, at TEXT NOT NULL)")
            .unwrap();
        let [mut idle, mut soak] = [Vec::new(), Vec::new()];
        let mut next = Instant::now();
        loop {
            let samples = match phase.get() {
                IDLE => &mut idle,
                SOAK => &mut soak,
                STOP.. => break [idle, soak],
            };
            let started = Instant::now();
            conn.execute_batch(
                "BEGIN IMMEDIATE; INSERT INTO t (at) VALUES (datetime('now')); COMMIT;",
            )
            .unwrap();
            samples.push(started.elapsed());
            next += EVERY;
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
        }
    })
}
