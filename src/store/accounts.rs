//! Customer accounts (`tbl_dk_rp_acc`).

use super::time::DbTime;
use super::{Result, decimal_column};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use rust_decimal::Decimal;

use crate::domain::model::Account;
pub use crate::domain::model::STATUS_ACTIVE;

/// A new account as `accounts add` and `accounts import` take it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct NewAccount {
    pub name: String,
    #[serde(default)]
    pub user_name: Option<String>,
    #[serde(default)]
    pub reg_no: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// `RpAccTypeId`; the reference's customer accounts use 2.
    #[serde(default)]
    pub type_id: Option<i64>,
    /// Defaults to active.
    #[serde(default)]
    pub status_id: Option<i64>,
    /// Keeps an accounting system's GUID on import; new accounts get a fresh one.
    #[serde(default)]
    pub guid: Option<String>,
}

const COLUMNS: &str = r#""RpAccId", "RpAccGuid", "RpAccName", "RpAccUName", "RpAccRegNo",
    "RpAccMobilePhoneNumber", "RpAccStatusId", "GCRecord", "RpAccTransTotal", "RpAccTypeId",
    "ResPriceGroupId""#;

fn from_row(row: &Row<'_>) -> rusqlite::Result<(Account, String)> {
    Ok((
        Account {
            id: row.get(0)?,
            guid: row.get(1)?,
            name: row.get(2)?,
            user_name: row.get(3)?,
            reg_no: row.get(4)?,
            phone: row.get(5)?,
            status_id: row.get(6)?,
            deleted: row.get::<_, Option<i64>>(7)?.is_some(),
            trans_total: Decimal::ZERO,
            type_id: row.get(9)?,
            price_group_id: row.get(10)?,
        },
        row.get(8)?,
    ))
}

fn finish((mut account, total): (Account, String)) -> Result<Account> {
    account.trans_total = decimal_column(
        &format!("RpAccTransTotal of account {}", account.id),
        &total,
    )?;
    Ok(account)
}

pub fn insert(conn: &Connection, new: &NewAccount, now: DateTime<Utc>) -> Result<Account> {
    let guid = new
        .guid
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    conn.execute(
        r#"INSERT INTO tbl_dk_rp_acc ("RpAccGuid", "RpAccName", "RpAccUName", "RpAccRegNo",
               "RpAccMobilePhoneNumber", "RpAccEMail", "RpAccTypeId", "RpAccStatusId",
               "RpAccTransTotal", "RpAccPurchBalanceLimit", "RpAccSaleBalanceLimit",
               "RpAccLatitude", "RpAccLongitude", "CId", "DivId",
               "CreatedDate", "ModifiedDate", "SyncDateTime")
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, '0.00', '0.00', '0.00', 0.0, 0.0, 1, 1, ?9, ?9, ?9)"#,
        params![
            guid,
            new.name,
            new.user_name,
            new.reg_no,
            new.phone,
            new.email,
            new.type_id.unwrap_or(2),
            new.status_id.unwrap_or(STATUS_ACTIVE),
            DbTime(now),
        ],
    )?;
    let id = conn.last_insert_rowid();
    get(conn, id)?.ok_or(super::StoreError::Sqlite(
        rusqlite::Error::QueryReturnedNoRows,
    ))
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Account>> {
    conn.prepare_cached(&format!(
        r#"SELECT {COLUMNS} FROM tbl_dk_rp_acc WHERE "RpAccId" = ?1"#
    ))?
    .query_row([id], from_row)
    .optional()?
    .map(finish)
    .transpose()
}

/// Finds an account by id, GUID, registration number or user name, in that order.
pub fn find(conn: &Connection, key: &str) -> Result<Option<Account>> {
    if let Ok(id) = key.parse::<i64>()
        && let Some(account) = get(conn, id)?
    {
        return Ok(Some(account));
    }
    conn.prepare_cached(&format!(
        r#"SELECT {COLUMNS} FROM tbl_dk_rp_acc
           WHERE "RpAccGuid" = ?1 OR "RpAccRegNo" = ?1 OR "RpAccUName" = ?1
           ORDER BY ("RpAccGuid" = ?1) DESC, ("RpAccRegNo" = ?1) DESC, "RpAccId" LIMIT 1"#
    ))?
    .query_row([key], from_row)
    .optional()?
    .map(finish)
    .transpose()
}

/// Accounts in id order, `limit` at most, optionally only those whose name, registration number
/// or user name contains `filter`.
pub fn list(conn: &Connection, filter: Option<&str>, limit: usize) -> Result<Vec<Account>> {
    let pattern = filter.map(|f| format!("%{}%", f.replace(['%', '_'], "")));
    let mut stmt = conn.prepare_cached(&format!(
        r#"SELECT {COLUMNS} FROM tbl_dk_rp_acc
           WHERE ?1 IS NULL OR "RpAccName" LIKE ?1 OR "RpAccRegNo" LIKE ?1 OR "RpAccUName" LIKE ?1
           ORDER BY "RpAccId" LIMIT ?2"#
    ))?;
    let rows = stmt.query_map(params![pattern, limit as i64], from_row)?;
    rows.map(|r| finish(r?)).collect()
}

/// Adds a parking charge to the account's `RpAccTransTotal`, in exact decimal.
pub fn add_charge(
    conn: &Connection,
    id: i64,
    amount: Decimal,
    now: DateTime<Utc>,
) -> Result<Decimal> {
    let current: String = conn
        .prepare_cached(r#"SELECT "RpAccTransTotal" FROM tbl_dk_rp_acc WHERE "RpAccId" = ?1"#)?
        .query_row([id], |r| r.get(0))?;
    let total = decimal_column(&format!("RpAccTransTotal of account {id}"), &current)? + amount;
    conn.prepare_cached(
        r#"UPDATE tbl_dk_rp_acc SET "RpAccTransTotal" = ?2, "ModifiedDate" = ?3,
               "RpAccLastActivityDate" = ?3 WHERE "RpAccId" = ?1"#,
    )?
    .execute(params![id, total.to_string(), DbTime(now)])?;
    Ok(total)
}
