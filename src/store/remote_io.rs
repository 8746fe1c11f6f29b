//! Remote IO devices' last reported addresses (`remote_io_device`, `GET /set-ip/`).

use super::Result;
use super::time::DbTime;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteIoDevice {
    pub name: String,
    /// Hex SHA-256 of the key the device last reported with.
    pub key_sha256: String,
    pub last_address: String,
    pub last_seen: DateTime<Utc>,
    pub first_seen: DateTime<Utc>,
    pub reports: i64,
}

/// Records a report: the device's address and time, creating its row on the first report.
pub fn record(
    conn: &Connection,
    name: &str,
    key_sha256: &str,
    address: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO remote_io_device (name, key_sha256, last_address, last_seen, first_seen)
         VALUES (?1, ?2, ?3, ?4, ?4)
         ON CONFLICT (name) DO UPDATE SET key_sha256 = excluded.key_sha256,
             last_address = excluded.last_address, last_seen = excluded.last_seen,
             reports = reports + 1",
    )?
    .execute(params![name, key_sha256, address, DbTime(at)])?;
    Ok(())
}

pub fn get(conn: &Connection, name: &str) -> Result<Option<RemoteIoDevice>> {
    Ok(conn
        .prepare_cached(
            "SELECT name, key_sha256, last_address, last_seen, first_seen, reports
             FROM remote_io_device WHERE name = ?1",
        )?
        .query_row([name], |r| {
            Ok(RemoteIoDevice {
                name: r.get(0)?,
                key_sha256: r.get(1)?,
                last_address: r.get(2)?,
                last_seen: r.get::<_, DbTime>(3)?.0,
                first_seen: r.get::<_, DbTime>(4)?.0,
                reports: r.get(5)?,
            })
        })
        .optional()?)
}
