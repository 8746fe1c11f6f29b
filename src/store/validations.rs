//! Shops' validation codes (`validation_code`): each takes free minutes or a percentage off one
//! stay; a stay takes at most one (`parking_session.validation_id`).

use super::time::DbTime;
use super::{Result, StoreError, decimal_column};
use crate::domain::tariff::{Grant, Validation};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

/// A shop's validation code.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ValidationCode {
    pub id: i64,
    pub code: String,
    pub shop: String,
    pub grant: Grant,
    pub active: bool,
}

impl ValidationCode {
    /// What the pricing rules take from it.
    pub fn validation(&self) -> Validation {
        Validation {
            label: self.shop.clone(),
            grant: self.grant,
        }
    }
}

const SELECT: &str =
    "SELECT id, code, shop, free_minutes, percent_off, active FROM validation_code";

type Raw = (i64, String, String, Option<u32>, Option<String>, bool);

fn raw(r: &Row<'_>) -> rusqlite::Result<Raw> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn finish((id, code, shop, minutes, percent, active): Raw) -> Result<ValidationCode> {
    let grant = match (minutes, percent) {
        (Some(m), None) => Grant::FreeMinutes(m),
        (None, Some(p)) => Grant::PercentOff(decimal_column(
            &format!("validation_code {id} percent_off"),
            &p,
        )?),
        _ => {
            return Err(StoreError::Corrupt {
                what: format!("validation_code {id}"),
                value: String::new(),
                expected: "free minutes or a percentage",
            });
        }
    };
    Ok(ValidationCode {
        id,
        code,
        shop,
        grant,
        active,
    })
}

pub fn find_by_code(conn: &Connection, code: &str) -> Result<Option<ValidationCode>> {
    conn.prepare_cached(&format!("{SELECT} WHERE code = ?1"))?
        .query_row([code], raw)
        .optional()?
        .map(finish)
        .transpose()
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<ValidationCode>> {
    conn.prepare_cached(&format!("{SELECT} WHERE id = ?1"))?
        .query_row([id], raw)
        .optional()?
        .map(finish)
        .transpose()
}

pub fn list(conn: &Connection) -> Result<Vec<ValidationCode>> {
    let mut stmt = conn.prepare_cached(&format!("{SELECT} ORDER BY shop, code"))?;
    let rows = stmt.query_map([], raw)?;
    rows.map(|r| finish(r?)).collect()
}

/// Adds a shop's code; the caller has checked the grant (minutes > 0, 0 < percent ≤ 100).
pub fn insert(
    conn: &Connection,
    code: &str,
    shop: &str,
    grant: Grant,
    now: DateTime<Utc>,
) -> Result<ValidationCode> {
    let (minutes, percent) = match grant {
        Grant::FreeMinutes(m) => (Some(m), None),
        Grant::PercentOff(p) => (None, Some(p.to_string())),
    };
    conn.prepare_cached(
        "INSERT INTO validation_code (code, shop, free_minutes, percent_off, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![code, shop, minutes, percent, DbTime(now)])?;
    Ok(ValidationCode {
        id: conn.last_insert_rowid(),
        code: code.to_owned(),
        shop: shop.to_owned(),
        grant,
        active: true,
    })
}

/// Turns a code on or off; `false` when there is no such code.
pub fn set_active(conn: &Connection, code: &str, active: bool) -> Result<bool> {
    Ok(conn
        .prepare_cached("UPDATE validation_code SET active = ?2 WHERE code = ?1")?
        .execute(params![code, active])?
        == 1)
}

/// Records the validation on the stay, if it has none yet; `false` when it already had one.
pub fn apply(conn: &Connection, session_id: i64, validation_id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE parking_session SET validation_id = ?2
             WHERE id = ?1 AND validation_id IS NULL",
        )?
        .execute(params![session_id, validation_id])?
        == 1)
}
