//! QR codes and phones registered to accounts (`tbl_dk_device`).

use super::Result;
use super::time::DbTime;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::domain::model::Device;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDevice {
    pub account_id: i64,
    /// The code the QR holds; a fresh random one when `None`.
    pub unique_id: Option<String>,
    pub name: Option<String>,
    pub guid: Option<String>,
}

const COLUMNS: &str = r#""DevId", "DevGuid", "DevUniqueId", "DevName", "RpAccId""#;

fn from_row(row: &Row<'_>) -> rusqlite::Result<Device> {
    Ok(Device {
        id: row.get(0)?,
        guid: row.get(1)?,
        unique_id: row.get(2)?,
        name: row.get(3)?,
        account_id: row.get(4)?,
    })
}

/// A random code for a new QR: 16 hex digits, like the reference's `DevUniqueId`s.
pub fn random_unique_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..16].to_owned()
}

pub fn insert(conn: &Connection, new: &NewDevice, now: DateTime<Utc>) -> Result<Device> {
    let guid = new
        .guid
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let unique_id = new.unique_id.clone().unwrap_or_else(random_unique_id);
    conn.execute(
        r#"INSERT INTO tbl_dk_device ("DevGuid", "DevUniqueId", "DevName", "RpAccId", "IsAllowed",
               "AllowedDate", "DevVerifyDate", "CreatedDate", "ModifiedDate", "SyncDateTime")
           VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5, ?5, ?5, ?5)"#,
        params![guid, unique_id, new.name, new.account_id, DbTime(now)],
    )?;
    Ok(Device {
        id: conn.last_insert_rowid(),
        guid,
        unique_id,
        name: new.name.clone(),
        account_id: new.account_id,
    })
}

/// The live device whose `DevUniqueId` or `DevGuid` is `code`.
pub fn find_by_code(conn: &Connection, code: &str) -> Result<Option<Device>> {
    // Two indexed probes instead of an OR, so that each uses its unique index.
    let by_unique = conn
        .prepare_cached(&format!(
            r#"SELECT {COLUMNS} FROM tbl_dk_device WHERE "DevUniqueId" = ?1 AND "GCRecord" IS NULL"#
        ))?
        .query_row([code], from_row)
        .optional()?;
    if by_unique.is_some() {
        return Ok(by_unique);
    }
    Ok(conn
        .prepare_cached(&format!(
            r#"SELECT {COLUMNS} FROM tbl_dk_device WHERE "DevGuid" = ?1 AND "GCRecord" IS NULL"#
        ))?
        .query_row([code], from_row)
        .optional()?)
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Device>> {
    Ok(conn
        .prepare_cached(&format!(
            r#"SELECT {COLUMNS} FROM tbl_dk_device WHERE "DevId" = ?1"#
        ))?
        .query_row([id], from_row)
        .optional()?)
}

/// Live devices in id order, optionally of one account.
pub fn list(conn: &Connection, account_id: Option<i64>, limit: usize) -> Result<Vec<Device>> {
    let mut stmt = conn.prepare_cached(&format!(
        r#"SELECT {COLUMNS} FROM tbl_dk_device
           WHERE "GCRecord" IS NULL AND (?1 IS NULL OR "RpAccId" = ?1)
           ORDER BY "DevId" LIMIT ?2"#
    ))?;
    let rows = stmt.query_map(params![account_id, limit as i64], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
