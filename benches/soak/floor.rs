//! The floor: a bare durable commit (`INSERT` + `COMMIT`, WAL, `synchronous = FULL`) on a
//! file of its own beside the booth's database, every 50 ms from a thread of its own, in both
//! phases. Every scan's decision is such a commit; when the disk's own p99 for it grows under
//! the load, scan-to-gate's p99 cannot stay below it, so the verdict is printed next to it.

use rusqlite::Connection;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

const EVERY: Duration = Duration::from_millis(50);

/// Which phase the samples belong to: set by the bench as the lanes' phase is.
#[derive(Default)]
pub struct Probe {
    phase: AtomicU8,
}

impl Probe {
    pub fn set(&self, phase: u8) {
        self.phase.store(phase, Ordering::SeqCst);
    }
}

/// Commit times of the idle phase (0) and of the soak (1), until the phase is 2.
pub fn run(dir: &Path, probe: Arc<Probe>) -> std::thread::JoinHandle<[Vec<Duration>; 2]> {
    let path = dir.join("floor.db");
    std::thread::spawn(move || {
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "journal_mode", "wal").unwrap();
        conn.pragma_update(None, "synchronous", "FULL").unwrap();
        conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, at TEXT NOT NULL)")
            .unwrap();
        let mut samples = [Vec::new(), Vec::new()];
        let mut next = Instant::now();
        loop {
            let phase = probe.phase.load(Ordering::SeqCst) as usize;
            if phase >= 2 {
                break samples;
            }
            let started = Instant::now();
            conn.execute_batch(
                "BEGIN IMMEDIATE; INSERT INTO t (at) VALUES (datetime('now')); COMMIT;",
            )
            .unwrap();
            samples[phase].push(started.elapsed());
            next += EVERY;
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
        }
    })
}
