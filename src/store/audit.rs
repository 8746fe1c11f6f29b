//! The audit log of attendant overrides and money-moving actions.

use super::Result;
use super::time::DbTime;
use crate::domain::receipt::OverrideLine;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry<'a> {
    pub at: DateTime<Utc>,
    pub actor: &'a str,
    pub action: &'a str,
    pub lane_id: Option<&'a str>,
    pub reason: &'a str,
    pub detail: Option<&'a str>,
}

pub fn insert(conn: &Connection, entry: &AuditEntry<'_>) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO audit_log (at, actor, action, lane_id, reason, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        DbTime(entry.at),
        entry.actor,
        entry.action,
        entry.lane_id,
        entry.reason,
        entry.detail
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Entries between two instants, oldest first, whose action starts with `prefix`.
pub fn list_between(
    conn: &Connection,
    prefix: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<OverrideLine>> {
    let mut stmt = conn.prepare_cached(
        "SELECT at, actor, action, lane_id, reason FROM audit_log
         WHERE at >= ?1 AND at < ?2 AND substr(action, 1, length(?3)) = ?3 ORDER BY id",
    )?;
    let rows = stmt.query_map(params![DbTime(from), DbTime(to), prefix], |r| {
        Ok(OverrideLine {
            at: r.get::<_, DbTime>(0)?.0,
            actor: r.get(1)?,
            action: r.get(2)?,
            lane: r.get(3)?,
            reason: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// When the last entry with this action was written, if ever.
pub fn last_at(conn: &Connection, action: &str) -> Result<Option<DateTime<Utc>>> {
    Ok(conn
        .prepare_cached("SELECT at FROM audit_log WHERE action = ?1 ORDER BY id DESC LIMIT 1")?
        .query_row([action], |r| r.get::<_, DbTime>(0))
        .optional()?
        .map(|t| t.0))
}
