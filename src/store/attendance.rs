//! Entrance and exit events, in the attendance table of the configured accounting system.

use super::time::DbTime;
use super::{DbStructure, Result};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttendance<'a> {
    pub guid: &'a str,
    pub account_id: i64,
    pub device_id: i64,
    /// 1 entrance, 2 exit.
    pub type_id: i64,
    pub description: &'a str,
    pub at: DateTime<Utc>,
}

/// Writes one attendance row to `tbl_dk_attendance` or `tbl_mg_arap_attandence`.
pub fn insert(conn: &Connection, structure: DbStructure, row: &NewAttendance<'_>) -> Result<i64> {
    // The table name comes from a closed enum, never from input.
    let sql = format!(
        r#"INSERT INTO {} ("AttGuid", "RpAccId", "DevId", "AttTypeId", "AttDesc", "AttDate",
               "CreatedDate", "ModifiedDate")
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?6)"#,
        structure.attendance_table()
    );
    conn.prepare_cached(&sql)?.execute(params![
        row.guid,
        row.account_id,
        row.device_id,
        row.type_id,
        row.description,
        DbTime(row.at),
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Rows of the given type between two instants, in either table (for the shift report).
pub fn count_between(
    conn: &Connection,
    structure: DbStructure,
    type_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<i64> {
    let sql = format!(
        r#"SELECT COUNT(*) FROM {} WHERE "AttTypeId" = ?1 AND "AttDate" >= ?2 AND "AttDate" < ?3"#,
        structure.attendance_table()
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![type_id, DbTime(from), DbTime(to)], |r| r.get(0))?)
}
