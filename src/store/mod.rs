//! The SQLite store: opening, schema and migrations, and one module per table group.
//!
//! The booth owns the only read-write [`Store`]; lists and screens open their own read-only ones
//! ([`Store::open_read_only`]), which WAL lets run beside the writer without blocking it.
//! Table functions take a `&Connection`, so they work the same inside a transaction.

pub mod accounts;
pub mod attendance;
pub mod audit;
pub mod devices;
pub mod driver_tokens;
pub mod nwave;
pub mod read;
pub mod receipts;
pub mod remote_io;
pub mod resource;
pub mod seed;
pub mod sessions;
pub mod snapshot;
pub mod tariffs;
pub mod tickets;
pub mod time;
pub mod validations;
mod wal;

pub use wal::{Checkpointer, FINISH_AT_BYTES, WalSync, sync_wal};

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// The schema a new database gets; see `schema.sql` at the top of the repository.
pub const SCHEMA_SQL: &str = include_str!("../../schema.sql");

/// `PRAGMA user_version` of [`SCHEMA_SQL`].
pub const SCHEMA_VERSION: i64 = 3;

/// Steps from an older schema version to the next, `(from, sql)`, applied in order: step
/// `(n, sql)` brings version `n` to `n + 1` (`migrations/<n + 1>.sql`).
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/2.sql")),
    (2, include_str!("../../migrations/3.sql")),
];

/// How long a connection waits for another process's lock (a CLI command beside the booth).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Prepared statements kept per connection. rusqlite keeps 16 by default, fewer than the
/// booth's decisions and the Nwave apply use between them: with 16 the cache thrashes and
/// nearly every statement is compiled again on each use.
const STATEMENT_CACHE: usize = 128;
/// The writer's page cache, in SQLite's unit for a size (negative: KiB): 32 MiB, a bound on
/// what it adds to the booth's memory.
const WRITER_CACHE_KIB: i64 = -32 * 1024;
/// Bytes per database page, for databases this clearpark creates (an existing file keeps its
/// own): SQLite's default, said out loud. Smaller pages write less log per Nwave message (each
/// commit writes every page it touched whole) but grow the database, and did not make scans
/// faster (docs/perf/).
pub const PAGE_SIZE: u32 = 4096;

pub use crate::domain::model::DbStructure;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot create the database file {path}: {source}")]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the {name} thread: {source}")]
    Thread {
        name: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the database {path} has schema version {found}; this clearpark knows up to {SCHEMA_VERSION}: upgrade clearpark"
    )]
    TooNew { path: PathBuf, found: i64 },
    #[error("the database {path} is not initialised: run `clearpark init` first")]
    NotInitialised { path: PathBuf },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored value that the booth cannot read back: edited by hand or by a broken sync.
    #[error("{what} holds {value:?}, which is not {expected}")]
    Corrupt {
        what: String,
        value: String,
        expected: &'static str,
    },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A connection to the booth database with its pragmas set.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// The log's size and the commits made, kept by a hook once a [`Checkpointer`] has taken
    /// over the checkpoints (`None`: SQLite's own automatic checkpoint).
    log: Option<std::sync::Arc<wal::LogWatch>>,
}

impl Store {
    /// Opens (creating if needed) the database for writing and brings its schema up to date.
    /// The file is created with mode 0600: it holds customer data and token hashes.
    pub fn open(path: &Path) -> Result<Store> {
        create_private_file(path)?;
        let conn = connect(path, OpenFlags::default())?;
        let mut store = Store {
            conn,
            path: path.to_owned(),
            log: None,
        };
        store.configure_writer()?;
        store.migrate()?;
        Ok(store)
    }

    /// Opens an existing, initialised database read-only, for lists and screens.
    pub fn open_read_only(path: &Path) -> Result<Store> {
        let conn = connect(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let store = Store {
            conn,
            path: path.to_owned(),
            log: None,
        };
        match store.schema_version()? {
            0 => Err(StoreError::NotInitialised {
                path: path.to_owned(),
            }),
            v if v > SCHEMA_VERSION => Err(StoreError::TooNew {
                path: path.to_owned(),
                found: v,
            }),
            _ => Ok(store),
        }
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Starts a write transaction that takes the write lock at once, so that a decision never
    /// fails half-way on a lock another process took.
    pub fn transaction(&mut self) -> Result<Transaction<'_>> {
        Ok(self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?)
    }

    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    fn configure_writer(&mut self) -> Result<()> {
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        self.conn
            .set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // Takes effect only while the file is still empty, before the switch to WAL below.
        self.conn.pragma_update(None, "page_size", PAGE_SIZE)?;
        // WAL: readers (API lists, screens) never block the writer and vice versa.
        let mode: String = self
            .conn
            .pragma_update_and_check(None, "journal_mode", "wal", |r| r.get(0))?;
        if mode != "wal" {
            tracing::warn!(%mode, path = %self.path.display(), "WAL is not available for this database");
        }
        // FULL: every commit (every attendance) is on disk before the gate moves.
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        // The pages the booth's writes touch stay in the connection's cache: with SQLite's
        // default (2 MB), an Nwave batch spent a fifth of its time reading pages back from the
        // file and spilling dirty ones mid-transaction (perf, `cargo bench --bench nwave`).
        self.conn
            .pragma_update(None, "cache_size", WRITER_CACHE_KIB)?;
        // A log that grew while readers held it back (a long list, a backup) shrinks back to
        // this size when it next starts over, instead of keeping its largest size for good.
        self.conn
            .pragma_update(None, "journal_size_limit", wal::SIZE_LIMIT)?;
        // Plans that do not depend on bound values: otherwise SQLite (built with STAT4) marks
        // statements such as `WHERE x = ?1 ORDER BY ... LIMIT 1` to be re-prepared whenever their
        // bindings are cleared, which rusqlite's statement cache does on every reuse.
        self.conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )?;
        Ok(())
    }

    fn migrate(&mut self) -> Result<()> {
        let version = self.schema_version()?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: version,
            });
        }
        if version == SCHEMA_VERSION {
            return Ok(());
        }
        let tx = self.transaction()?;
        if version == 0 {
            tx.execute_batch(SCHEMA_SQL)?;
        } else {
            for (from, sql) in MIGRATIONS.iter().filter(|(from, _)| *from >= version) {
                tracing::info!(from, "migrating the database schema");
                tx.execute_batch(sql)?;
            }
        }
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        tx.commit()?;
        Ok(())
    }
}

/// Creates the database file with owner-only permissions if it does not exist yet.
/// A connection to the database at `path`; an error names the file.
fn connect(path: &Path, flags: OpenFlags) -> Result<Connection> {
    Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open {
        path: path.to_owned(),
        source,
    })
}

fn create_private_file(path: &Path) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    if path.exists() {
        return Ok(());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Create {
            path: path.to_owned(),
            source,
        })?;
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(drop)
        .or_else(|e| match e.kind() {
            // Created by someone else between the check and the open: fine, it exists.
            std::io::ErrorKind::AlreadyExists => Ok(()),
            _ => Err(e),
        })
        .map_err(|source| StoreError::Create {
            path: path.to_owned(),
            source,
        })
}

/// Reads a decimal stored as text, naming the value if it is not one.
pub(crate) fn decimal_column(what: &str, text: &str) -> Result<rust_decimal::Decimal> {
    rust_decimal::Decimal::from_str(text.trim()).map_err(|_| StoreError::Corrupt {
        what: what.to_owned(),
        value: text.to_owned(),
        expected: "a decimal number",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn creates_a_private_wal_database_at_the_schema_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/booth.db");
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let mode: String = store
            .conn()
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = store
            .conn()
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 2, "synchronous=FULL");
        let fk: i64 = store
            .conn()
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
        let perms = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(perms, 0o600);
    }

    #[test]
    fn reopening_keeps_data_and_does_not_reapply_the_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("booth.db");
        {
            let store = Store::open(&path).unwrap();
            store
                .conn()
                .execute(
                    "INSERT INTO audit_log (at, actor, action, reason) VALUES ('2026-01-01 00:00:00', 'a', 'b', 'c')",
                    [],
                )
                .unwrap();
        }
        let store = Store::open(&path).unwrap();
        let n: i64 = store
            .conn()
            .query_row("SELECT COUNT(*) FROM audit_log", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn a_version_1_database_loses_the_position_indexes_and_keeps_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("booth.db");
        let indexes = |store: &Store| -> Vec<String> {
            let mut stmt = store
                .conn()
                .prepare(
                    "SELECT name FROM sqlite_schema WHERE type = 'index'
                     AND tbl_name = 'nwave_position' AND sql IS NOT NULL ORDER BY name",
                )
                .unwrap();
            stmt.query_map([], |r| r.get(0))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        };
        {
            // Version 1 as it was: version 2's tables with two indexes on positions.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(SCHEMA_V2).unwrap();
            conn.execute_batch(
                "CREATE INDEX nwave_position_group ON nwave_position (group_id, group_custom_id);
                 CREATE INDEX nwave_position_session ON nwave_position (session_id);
                 INSERT INTO audit_log (at, actor, action, reason)
                     VALUES ('2026-01-01 00:00:00', 'a', 'b', 'c');
                 PRAGMA user_version = 1;",
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        assert!(indexes(&store).is_empty(), "{:?}", indexes(&store));
        let kept: i64 = store
            .conn()
            .query_row("SELECT COUNT(*) FROM audit_log", [], |r| r.get(0))
            .unwrap();
        assert_eq!(kept, 1);
    }

    /// `schema.sql` as version 2 had it, for the migrations' tests.
    const SCHEMA_V2: &str = include_str!("testdata/schema-v2.sql");

    /// Every table's columns as `(table, column, type, notnull, default, pk)`, and every index.
    fn shape(conn: &Connection) -> (Vec<String>, Vec<String>) {
        let mut tables = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
            .unwrap();
        let names: Vec<String> = tables
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let mut columns = Vec::new();
        for table in &names {
            let mut info = conn
                .prepare(&format!("SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info('{table}')"))
                .unwrap();
            let rows = info
                .query_map([], |r| {
                    Ok(format!(
                        "{table}.{} {} {} {:?} {}",
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, i64>(4)?
                    ))
                })
                .unwrap();
            columns.extend(rows.map(Result::unwrap));
        }
        let mut idx = conn
            .prepare(
                "SELECT tbl_name || '.' || name FROM sqlite_schema WHERE type = 'index' ORDER BY 1",
            )
            .unwrap();
        let indexes = idx
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        (columns, indexes)
    }

    #[test]
    fn a_version_2_database_comes_forward_with_its_sessions_and_receipts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("booth.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(SCHEMA_V2).unwrap();
            conn.execute_batch(
                r#"INSERT INTO walkin_ticket VALUES (1, 1, 'CPT-1', 'in-1', '2026-12-01 10:00:00', 'ann');
                   INSERT INTO parking_session (id, guid, ticket_id, state, entry_lane, exit_lane,
                       "AttStartDate", "AttEndDate", minutes, "ResPrice", "TotalPrice", currency,
                       entrance_remaining_tries, exit_remaining_tries, payment_method, receipt_no,
                       created_at, updated_at)
                   VALUES (1, 'g', 1, 'closed', 'in-1', 'out-1', '2026-12-01 10:00:00',
                       '2026-12-01 10:08:00', 8, '0.05', '0.40', 'TMT', 3, 3, 'cash', 1,
                       '2026-12-01 10:00:00', '2026-12-01 10:08:00');
                   INSERT INTO receipt VALUES (1, 'r', 1, '2026-12-01 10:08:00', '0.40', 'TMT', 'cash', '{}');
                   PRAGMA user_version = 2;"#,
            )
            .unwrap();
        }
        let migrated = Store::open(&path).unwrap();
        let fresh = Store::open(&dir.path().join("fresh.db")).unwrap();
        assert_eq!(shape(migrated.conn()), shape(fresh.conn()));
        let kept: (i64, String) = migrated
            .conn()
            .query_row(
                "SELECT r.receipt_no, s.\"TotalPrice\" FROM receipt r JOIN parking_session s ON s.id = r.session_id",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(kept, (1, "0.40".into()));
    }

    #[test]
    fn refuses_a_database_from_the_future() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("booth.db");
        {
            let store = Store::open(&path).unwrap();
            store
                .conn()
                .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
                .unwrap();
        }
        assert!(matches!(Store::open(&path), Err(StoreError::TooNew { .. })));
    }

    #[test]
    fn read_only_refuses_writes_and_uninitialised_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("booth.db");
        drop(Store::open(&path).unwrap());
        let ro = Store::open_read_only(&path).unwrap();
        assert!(ro.conn().execute("DELETE FROM audit_log", []).is_err());
        let empty = dir.path().join("empty.db");
        std::fs::write(&empty, b"").unwrap();
        assert!(matches!(
            Store::open_read_only(&empty),
            Err(StoreError::NotInitialised { .. })
        ));
    }

    #[test]
    fn db_structure_picks_the_attendance_table() {
        assert_eq!(
            "akhsasap"
                .parse::<DbStructure>()
                .unwrap()
                .attendance_table(),
            "tbl_mg_arap_attandence"
        );
        assert!("sap".parse::<DbStructure>().is_err());
    }
}
