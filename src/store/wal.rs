//! The write-ahead log: syncing it for group commit, and checkpointing it off the scans' path.
//!
//! SQLite's automatic checkpoint runs inside whichever commit finds the log over 1,000 pages:
//! it copies those pages into the database file and syncs it, several milliseconds, in that
//! commit, under the Nwave load often a scan's (docs/perf/). A [`Checkpointer`] does the copying instead, from a thread and connection
//! of its own, with PASSIVE checkpoints that never block the writer: every
//! [`CHECKPOINT_EVERY`], and at once when asked ([`Checkpointer::finish`]).
//!
//! Copying is not enough: the log starts over from its beginning only when a checkpoint has
//! copied all of it and the writer's next transaction begins before anything else was written,
//! and under a steady stream of writes a checkpoint from another connection never catches the
//! end of the log. So once the log holds [`FINISH_AT_BYTES`] ([`Store::wal_bytes`]), the booth's
//! committer holds background writes back (the Nwave batches; scans go on) and asks the
//! checkpointer to finish; the next write then starts the log over. No commit checkpoints by itself until
//! the log reaches [`SAFETY_CHECKPOINT_BYTES`], in case nobody asks. Both are sizes in bytes,
//! whatever the database's page size ([`super::PAGE_SIZE`] for new ones).

use super::{Result, Store, StoreError};
use crate::worker::Worker;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;
use tokio::sync::oneshot;

/// How often the [`Checkpointer`] copies the log into the database unasked: a tenth of a
/// second of Nwave load is about a megabyte of log.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);
/// The log's size at which the booth asks the checkpointer to finish (SQLite's own automatic
/// checkpoint threshold with its default pages, 1,000 of 4 KiB).
pub const FINISH_AT_BYTES: u64 = 4 * 1024 * 1024;
/// The log's size at which any commit checkpoints by itself: a log that nobody asks to finish
/// is still bounded.
const SAFETY_CHECKPOINT_BYTES: u64 = 40 * 1024 * 1024;
/// `journal_size_limit`, bytes: a log that grew past this (readers held it back) is cut back
/// to it when it next starts over.
pub(super) const SIZE_LIMIT: i64 = 64 * 1024 * 1024;

/// Makes every commit already in the write-ahead log of the database at `path` durable (one
/// fsync of the log). SQLite itself syncs the log before a checkpoint copies it into the
/// database, so what a checkpoint took from the log is durable already.
/// Without a log (a database where WAL is not available writes in place), the database file
/// itself is synced.
pub fn sync_wal(path: &Path) -> std::io::Result<()> {
    let open = |p: &Path| std::fs::OpenOptions::new().write(true).open(p);
    match open(&Store::wal_path(path)) {
        Ok(wal) => wal.sync_data(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => open(path)?.sync_data(),
        Err(e) => Err(e),
    }
}

/// [`sync_wal`] for one who syncs the same log again and again (the booth's committer, the log's
/// sync thread): the log stays open between syncs, which saves an open and a close each time.
/// The log is the same file for as long as a connection to the database is open (SQLite empties
/// it, never replaces it), and the booth's is open for as long as it commits.
pub struct WalSync {
    database: PathBuf,
    log: Option<std::fs::File>,
}

impl WalSync {
    pub fn new(database: &Path) -> WalSync {
        WalSync {
            database: database.to_owned(),
            log: None,
        }
    }

    /// Makes every commit already in the log durable (one fsync of the log).
    pub fn sync(&mut self) -> std::io::Result<()> {
        if self.log.is_none() {
            match std::fs::OpenOptions::new()
                .write(true)
                .open(Store::wal_path(&self.database))
            {
                Ok(log) => self.log = Some(log),
                // No log yet: the database is synced, and the log looked for next time.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return sync_wal(&self.database);
                }
                Err(e) => return Err(e),
            }
        }
        match &self.log {
            Some(log) => log.sync_data(),
            None => Ok(()),
        }
    }
}

impl Store {
    /// The write-ahead log of the database at `path`.
    pub fn wal_path(path: &Path) -> PathBuf {
        let mut name = path.as_os_str().to_owned();
        name.push("-wal");
        PathBuf::from(name)
    }

    /// Runs `write` with commits that skip their fsync (`synchronous = NORMAL`): they are on
    /// disk once the write-ahead log is synced ([`sync_wal`]), by its caller or by the next
    /// ordinary commit. For writes acknowledged to someone who keeps them until told, such as
    /// the broker's Nwave messages. `synchronous = FULL` is restored whatever `write` returns.
    pub fn without_fsync<T>(&mut self, write: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        self.skip_fsync()?;
        let written = write(self);
        let restored = self.restore_fsync();
        let value = written?;
        restored?;
        Ok(value)
    }

    /// [`Store::without_fsync`] for a caller that cannot hand its writes over as a closure:
    /// commits skip their fsync until [`Store::restore_fsync`].
    pub fn skip_fsync(&mut self) -> Result<()> {
        Ok(self.conn.pragma_update(None, "synchronous", "NORMAL")?)
    }

    /// Every commit syncs the log again (`synchronous = FULL`, the store's default).
    pub fn restore_fsync(&mut self) -> Result<()> {
        Ok(self.conn.pragma_update(None, "synchronous", "FULL")?)
    }

    /// Bytes of pages in the write-ahead log after the last commit, once a [`Checkpointer`] is
    /// started (0 before).
    pub fn wal_bytes(&self) -> u64 {
        self.log
            .as_ref()
            .map_or(0, |log| log.bytes.load(Ordering::Relaxed))
    }

    /// Commits made on this connection since a [`Checkpointer`] was started (0 before): a
    /// caller that sees it move knows something was committed.
    pub fn commits(&self) -> u64 {
        self.log
            .as_ref()
            .map_or(0, |log| log.commits.load(Ordering::Relaxed))
    }

    /// Starts a [`Checkpointer`] on this database and leaves checkpoints to it: this
    /// connection's commits no longer checkpoint until the log reaches
    /// [`SAFETY_CHECKPOINT_BYTES`], and report the log's size ([`Store::wal_bytes`]).
    /// Dropping the checkpointer stops it.
    pub fn start_checkpointer(&mut self) -> Result<Checkpointer> {
        self.checkpoint_every(CHECKPOINT_EVERY)
    }

    fn checkpoint_every(&mut self, every: Duration) -> Result<Checkpointer> {
        let page_size: u32 = self
            .conn
            .pragma_query_value(None, "page_size", |r| r.get(0))?;
        let page_size = u64::from(page_size);
        let checkpointer = Checkpointer::start(&self.path, every)?;
        let log = Arc::new(LogWatch::default());
        let seen = log.clone();
        // Replaces SQLite's automatic checkpoint, which is a hook of the same kind; SQLite calls
        // it after every commit.
        self.conn.wal_hook(Some(
            move |wal: &mut rusqlite::hooks::Wal, in_log: std::ffi::c_int| {
                let in_log = u64::try_from(in_log).unwrap_or(0) * page_size;
                seen.bytes.store(in_log, Ordering::Relaxed);
                seen.commits.fetch_add(1, Ordering::Relaxed);
                if in_log >= SAFETY_CHECKPOINT_BYTES {
                    // Like SQLite's own: the commit stands whatever the checkpoint does.
                    if let Err(e) = wal.checkpoint() {
                        tracing::warn!(error = %e, bytes = in_log, "cannot checkpoint the database's log");
                    }
                }
                Ok(())
            },
        ))?;
        self.log = Some(log);
        Ok(checkpointer)
    }
}

/// What the commit hook saw: the log's size after the last commit, and how many commits.
#[derive(Default)]
pub(super) struct LogWatch {
    bytes: AtomicU64,
    commits: AtomicU64,
}

/// A thread that copies the write-ahead log into the database on a connection of its own,
/// every [`CHECKPOINT_EVERY`] and when asked. Dropping it stops the thread and waits for it.
pub struct Checkpointer {
    /// Requests to checkpoint now, each with its answer.
    requests: Worker<oneshot::Sender<()>>,
}

impl Checkpointer {
    fn start(path: &Path, every: Duration) -> Result<Checkpointer> {
        let conn = super::connect(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let requests = Worker::spawn(
            "checkpoint",
            move |asked: mpsc::Receiver<oneshot::Sender<()>>| {
                crate::priority::lower_this_thread();
                // Said once when checkpoints start failing, not ten times a second.
                let mut failing = false;
                loop {
                    let answer = match asked.recv_timeout(every) {
                        Ok(answer) => Some(answer),
                        Err(mpsc::RecvTimeoutError::Timeout) => None,
                        Err(mpsc::RecvTimeoutError::Disconnected) => break,
                    };
                    match checkpoint(&conn) {
                        Ok((log, copied)) => {
                            tracing::trace!(log, copied, asked = answer.is_some(), "checkpoint");
                            failing = false;
                        }
                        Err(e) if !failing => {
                            tracing::warn!(error = %e, "cannot checkpoint the database's log");
                            failing = true;
                        }
                        Err(_) => {}
                    }
                    if let Some(answer) = answer {
                        let _ = answer.send(());
                    }
                }
            },
        )
        .map_err(|source| StoreError::Thread {
            name: "checkpoint",
            source,
        })?;
        Ok(Checkpointer { requests })
    }

    /// Asks for a checkpoint now. The answer comes once it is done, or is dropped if the thread
    /// has gone; either way the caller may go on.
    pub fn finish(&self) -> oneshot::Receiver<()> {
        let (answer, done) = oneshot::channel();
        // A send error drops the answer, which tells the caller at once.
        let _ = self.requests.send(answer);
        done
    }
}

/// One PASSIVE checkpoint: copies what no reader still needs, blocking nobody. Returns the
/// pages in the log and how many of them are now in the database.
fn checkpoint(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get(1)?, row.get(2)?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn pragma(store: &Store, name: &str) -> i64 {
        store
            .conn()
            .pragma_query_value(None, name, |r| r.get(0))
            .unwrap()
    }

    fn size(path: &Path) -> u64 {
        std::fs::metadata(path).map_or(0, |m| m.len())
    }

    /// A store with a table `t` and a checkpointer that never checkpoints unasked here.
    fn store_left_to_checkpointer() -> (tempfile::TempDir, Store, Checkpointer) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("booth.db")).unwrap();
        let checkpointer = store.checkpoint_every(Duration::from_secs(3600)).unwrap();
        assert_eq!(store.wal_bytes(), 0, "no commit since the hook");
        store
            .conn()
            .execute_batch("CREATE TABLE t (x BLOB)")
            .unwrap();
        (dir, store, checkpointer)
    }

    /// `n` commits of 4,000 random bytes each (without fsync, for speed); `after` sees the log's
    /// size after each.
    fn commit_blobs(store: &mut Store, n: usize, mut after: impl FnMut(u64)) {
        store
            .without_fsync(|s| {
                for _ in 0..n {
                    s.conn()
                        .execute("INSERT INTO t VALUES (randomblob(4000))", [])?;
                    after(s.wal_bytes());
                }
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn without_fsync_is_normal_inside_and_full_again_after_even_on_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("booth.db");
        let mut store = Store::open(&path).unwrap();
        let inside = store
            .without_fsync(|s| Ok(pragma(s, "synchronous")))
            .unwrap();
        assert_eq!(inside, 1, "synchronous=NORMAL inside");
        assert_eq!(pragma(&store, "synchronous"), 2, "FULL after");
        let failed: Result<()> = store.without_fsync(|s| {
            s.conn()
                .execute("INSERT INTO no_such_table VALUES (1)", [])?;
            Ok(())
        });
        assert!(failed.is_err());
        assert_eq!(pragma(&store, "synchronous"), 2, "FULL after an error too");

        // The log it leaves is synced on request; without a log, the database file is.
        store
            .conn()
            .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .unwrap();
        assert!(Store::wal_path(&path).exists());
        sync_wal(&path).unwrap();
        drop(store);
        assert!(
            !Store::wal_path(&path).exists(),
            "the last close removes the log"
        );
        sync_wal(&path).unwrap();
        assert!(sync_wal(&dir.path().join("missing.db")).is_err());
    }

    #[test]
    fn with_a_checkpointer_commits_report_the_log_and_leave_it_alone_up_to_the_safety_size() {
        let (_dir, mut store, checkpointer) = store_left_to_checkpointer();
        let mut last = store.wal_bytes();
        commit_blobs(&mut store, 1500, |bytes| {
            assert!(bytes > last, "the log grows, never checkpointed");
            last = bytes;
        });
        assert!(last > FINISH_AT_BYTES);
        // Asked, the checkpointer copies it all; the next write starts the log over.
        futures_lite::future::block_on(checkpointer.finish()).unwrap();
        store
            .conn()
            .execute("INSERT INTO t VALUES (1)", [])
            .unwrap();
        assert!(
            store.wal_bytes() < 10 * 1024,
            "{} bytes in the log",
            store.wal_bytes()
        );
    }

    #[test]
    fn the_checkpointer_copies_the_log_into_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("booth.db");
        let mut store = Store::open(&path).unwrap();
        let _checkpointer = store.start_checkpointer().unwrap();
        // 2 MiB in one ordinary commit: under the safety size, so no commit checkpoints it.
        store
            .conn()
            .execute_batch(
                "CREATE TABLE t (x BLOB);
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 512)
                 INSERT INTO t SELECT randomblob(4000) FROM n;",
            )
            .unwrap();
        let before = size(&path);
        let deadline = Instant::now() + Duration::from_secs(10);
        while size(&path) < before + 2_000_000 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            size(&path) >= before + 2_000_000,
            "the database file grew from {before} to only {} bytes",
            size(&path)
        );
    }

    /// The log's size in bytes as its file tells: a 32-byte header, then frames of a 24-byte
    /// header and a page.
    fn log_bytes_on_disk(store: &Store) -> u64 {
        let page = pragma(store, "page_size") as u64;
        (size(&Store::wal_path(store.path())) - 32) / (24 + page) * page
    }

    #[test]
    fn new_databases_get_the_chosen_pages_and_old_ones_keep_theirs_with_the_log_counted_in_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let mut new = Store::open(&dir.path().join("new.db")).unwrap();
        assert_eq!(
            pragma(&new, "page_size"),
            i64::from(crate::store::PAGE_SIZE)
        );
        // A database made elsewhere (the accounting system's copy), with pages of 1 KiB.
        let old_path = dir.path().join("old.db");
        {
            let conn = Connection::open(&old_path).unwrap();
            conn.pragma_update(None, "page_size", 1024).unwrap();
            conn.execute_batch("CREATE TABLE t (x BLOB); INSERT INTO t VALUES (1);")
                .unwrap();
        }
        let mut old = Store::open(&old_path).unwrap();
        assert_eq!(
            pragma(&old, "page_size"),
            1024,
            "an existing file keeps its pages"
        );
        new.conn().execute_batch("CREATE TABLE t (x BLOB)").unwrap();
        for store in [&mut new, &mut old] {
            let _checkpointer = store.checkpoint_every(Duration::from_secs(3600)).unwrap();
            commit_blobs(store, 3, |_| {});
            assert!(store.wal_bytes() > 12_000, "{}", store.wal_bytes());
            assert_eq!(store.wal_bytes(), log_bytes_on_disk(store));
        }
    }

    #[test]
    fn past_the_safety_size_a_commit_checkpoints_by_itself() {
        let (_dir, mut store, _checkpointer) = store_left_to_checkpointer();
        // Well over the safety size (a page a commit), nobody asking the checkpointer to finish.
        let mut largest = 0;
        commit_blobs(&mut store, 20_000, |bytes| largest = largest.max(bytes));
        assert!(largest >= SAFETY_CHECKPOINT_BYTES, "{largest}");
        assert!(largest < SAFETY_CHECKPOINT_BYTES + 100 * 1024, "{largest}");
    }
}
