//! Walk-in tickets.

use super::Result;
use super::time::DbTime;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::domain::model::{TICKET_CODE_PREFIX as CODE_PREFIX, WalkinTicket};

fn from_row(row: &Row<'_>) -> rusqlite::Result<WalkinTicket> {
    Ok(WalkinTicket {
        id: row.get(0)?,
        ticket_no: row.get(1)?,
        code: row.get(2)?,
        lane_id: row.get(3)?,
        issued_at: row.get::<_, DbTime>(4)?.0,
    })
}

/// Issues the next ticket. Numbers have no gaps: taken inside the caller's transaction.
pub fn insert(
    conn: &Connection,
    lane_id: &str,
    issued_by: &str,
    now: DateTime<Utc>,
) -> Result<WalkinTicket> {
    let ticket_no: i64 = conn
        .prepare_cached("SELECT COALESCE(MAX(ticket_no), 0) + 1 FROM walkin_ticket")?
        .query_row([], |r| r.get(0))?;
    // Unguessable, so that nobody prints their own ticket with an earlier entry time.
    let code = format!(
        "{CODE_PREFIX}{}",
        uuid::Uuid::new_v4().simple().to_string().to_uppercase()
    );
    conn.prepare_cached(
        "INSERT INTO walkin_ticket (ticket_no, code, lane_id, issued_at, issued_by)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![ticket_no, code, lane_id, DbTime(now), issued_by])?;
    Ok(WalkinTicket {
        id: conn.last_insert_rowid(),
        ticket_no,
        code,
        lane_id: lane_id.to_owned(),
        issued_at: now,
    })
}

const SELECT: &str = "SELECT id, ticket_no, code, lane_id, issued_at FROM walkin_ticket";

pub fn find_by_code(conn: &Connection, code: &str) -> Result<Option<WalkinTicket>> {
    Ok(conn
        .prepare_cached(&format!("{SELECT} WHERE code = ?1"))?
        .query_row([code], from_row)
        .optional()?)
}

pub fn find_by_number(conn: &Connection, ticket_no: i64) -> Result<Option<WalkinTicket>> {
    Ok(conn
        .prepare_cached(&format!("{SELECT} WHERE ticket_no = ?1"))?
        .query_row([ticket_no], from_row)
        .optional()?)
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<WalkinTicket>> {
    Ok(conn
        .prepare_cached(&format!("{SELECT} WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?)
}

pub fn count_between(conn: &Connection, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT COUNT(*) FROM walkin_ticket WHERE issued_at >= ?1 AND issued_at < ?2",
        )?
        .query_row(params![DbTime(from), DbTime(to)], |r| r.get(0))?)
}
