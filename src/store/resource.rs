//! The priced resource (`tbl_dk_resource`).

use super::time::DbTime;
use super::{Result, decimal_column};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;

use crate::domain::model::Resource;

pub fn get_by_guid(conn: &Connection, guid: &str) -> Result<Option<Resource>> {
    let row = conn
        .prepare_cached(
            r#"SELECT "ResId", "ResGuid", "ResName", "ResPrice", "ResCurrency"
               FROM tbl_dk_resource WHERE "ResGuid" = ?1 AND "GCRecord" IS NULL"#,
        )?
        .query_row([guid], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })
        .optional()?;
    row.map(|(id, guid, name, price, currency)| {
        Ok(Resource {
            price_per_minute: decimal_column(&format!("ResPrice of resource {guid}"), &price)?,
            id,
            guid,
            name,
            currency,
        })
    })
    .transpose()
}

/// Creates the resource, or updates its name, price and currency if the GUID exists.
pub fn upsert(
    conn: &Connection,
    guid: &str,
    name: &str,
    price_per_minute: Decimal,
    currency: &str,
    now: DateTime<Utc>,
) -> Result<Resource> {
    conn.execute(
        r#"INSERT INTO tbl_dk_resource ("ResGuid", "ResName", "ResPrice", "ResCurrency",
               "CreatedDate", "ModifiedDate", "SyncDateTime")
           VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5)
           ON CONFLICT ("ResGuid") DO UPDATE SET "ResName" = excluded."ResName",
               "ResPrice" = excluded."ResPrice", "ResCurrency" = excluded."ResCurrency",
               "ModifiedDate" = excluded."ModifiedDate""#,
        params![
            guid,
            name,
            price_per_minute.to_string(),
            currency,
            DbTime(now)
        ],
    )?;
    get_by_guid(conn, guid)?.ok_or(super::StoreError::Sqlite(
        rusqlite::Error::QueryReturnedNoRows,
    ))
}
