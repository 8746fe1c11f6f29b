//! Tariffs, their versions and who pays by which (docs/tariffs.md). A version is never changed
//! once written: a change is a new version, and sessions keep the one they entered under.
//!
//! * this module: reading the board: a version, the one in force, who is assigned what, lists;
//! * [`import`]: writing a board in (a new version for what changed) and seeding a database.

mod import;

pub use import::{ImportError, ImportReport, audit_import, import, seed};

use super::time::DbTime;
use super::{Result, StoreError};
use crate::domain::tariff::board::{self, Parker, Target};
use crate::domain::tariff::{Rules, TariffVersion};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

const SELECT_VERSION: &str = "SELECT v.id, t.name, v.version, t.currency, v.effective_from, v.rules
    FROM tariff_version v JOIN tariff t ON t.id = v.tariff_id";

fn version_row(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<(i64, String, u32, String, DbTime, String)> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn to_version(row: (i64, String, u32, String, DbTime, String)) -> Result<TariffVersion> {
    let (id, tariff, version, currency, from, rules) = row;
    let rules: Rules = serde_json::from_str(&rules).map_err(|e| StoreError::Corrupt {
        what: format!("tariff_version {id} rules"),
        value: e.to_string(),
        expected: "a tariff's rules (docs/tariffs.md)",
    })?;
    Ok(TariffVersion {
        id,
        tariff,
        version,
        currency,
        effective_from: from.0,
        rules,
    })
}

/// A version by its id, as a session recorded it.
pub fn version(conn: &Connection, id: i64) -> Result<Option<TariffVersion>> {
    conn.prepare_cached(&format!("{SELECT_VERSION} WHERE v.id = ?1"))?
        .query_row([id], version_row)
        .optional()?
        .map(to_version)
        .transpose()
}

/// Which version of a tariff (`?1`, its name) is in force at `?2`: the latest that took effect
/// by then.
const IN_FORCE: &str = "WHERE t.name = ?1 AND v.effective_from <= ?2
    ORDER BY v.effective_from DESC, v.version DESC LIMIT 1";

/// The version of the tariff `name` in force at `at`.
pub fn in_force(conn: &Connection, name: &str, at: DateTime<Utc>) -> Result<Option<TariffVersion>> {
    conn.prepare_cached(&format!("{SELECT_VERSION} {IN_FORCE}"))?
        .query_row(params![name, DbTime(at)], version_row)
        .optional()?
        .map(to_version)
        .transpose()
}

/// The id of that version, without reading its rules (a booth has them by id already).
fn in_force_id(conn: &Connection, name: &str, at: DateTime<Utc>) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT v.id FROM tariff_version v JOIN tariff t ON t.id = v.tariff_id {IN_FORCE}"
        ))?
        .query_row(params![name, DbTime(at)], |r| r.get(0))
        .optional()?)
}

/// The tariff assigned to `target`, if any.
pub fn assigned(conn: &Connection, target: Target) -> Result<Option<String>> {
    let (kind, key) = target.parts();
    Ok(conn
        .prepare_cached(
            "SELECT t.name FROM tariff_assignment a JOIN tariff t ON t.id = a.tariff_id
             WHERE a.kind = ?1 AND a.key = ?2",
        )?
        .query_row(params![kind, key.unwrap_or(0)], |r| r.get(0))
        .optional()?)
}

/// The id of the version that prices a stay of `parker` entering at `at`: the first assignment
/// in [`board::precedence`] whose tariff has a version in force. `None`: nothing is assigned,
/// and the stay is priced every started minute at `ResPrice`.
pub fn for_parker(conn: &Connection, parker: Parker, at: DateTime<Utc>) -> Result<Option<i64>> {
    for target in board::precedence(parker) {
        if let Some(name) = assigned(conn, target)? {
            match in_force_id(conn, &name, at)? {
                Some(id) => return Ok(Some(id)),
                None => tracing::warn!(
                    tariff = name,
                    %target,
                    "the assigned tariff has no version in force yet; trying the next assignment"
                ),
            }
        }
    }
    Ok(None)
}

/// A tariff with its versions, newest first, and whom it is assigned to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TariffListing {
    pub name: String,
    pub currency: String,
    pub description: Option<String>,
    pub assigned_to: Vec<String>,
    pub versions: Vec<VersionListing>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VersionListing {
    pub id: i64,
    pub version: u32,
    pub effective_from: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub rules: Rules,
}

/// Every tariff, by name.
pub fn list(conn: &Connection) -> Result<Vec<TariffListing>> {
    let mut tariffs =
        conn.prepare_cached("SELECT id, name, currency, description FROM tariff ORDER BY name")?;
    let rows: Vec<(i64, String, String, Option<String>)> = tariffs
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, name, currency, description) in rows {
        let mut versions = conn.prepare_cached(
            "SELECT id, version, effective_from, created_at, created_by, rules
             FROM tariff_version WHERE tariff_id = ?1 ORDER BY version DESC",
        )?;
        let raw: Vec<(i64, u32, DbTime, DbTime, String, String)> = versions
            .query_map([id], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let versions = raw
            .into_iter()
            .map(|(vid, version, from, created, by, rules)| {
                Ok(VersionListing {
                    rules: to_version((vid, name.clone(), version, currency.clone(), from, rules))?
                        .rules,
                    id: vid,
                    version,
                    effective_from: from.0,
                    created_at: created.0,
                    created_by: by,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut targets = conn.prepare_cached(
            "SELECT kind, key FROM tariff_assignment WHERE tariff_id = ?1 ORDER BY kind, key",
        )?;
        let assigned_to = targets
            .query_map([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
            .map(|row| {
                let (kind, key) = row?;
                let key = (kind == "account_type" || kind == "price_group").then_some(key);
                Ok(Target::from_parts(&kind, key).map_or(kind, |t| t.to_string()))
            })
            .collect::<Result<Vec<_>>>()?;
        out.push(TariffListing {
            name,
            currency,
            description,
            assigned_to,
            versions,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
