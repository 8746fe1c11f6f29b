//! Reads for the API: a small pool of read-only connections used on the blocking pool, so that
//! a long list never holds up the async workers, and never the booth (WAL: readers do not block
//! the writer). Rows become JSON objects with the reference's field names and types.

use super::error::ApiError;
use crate::store::{self, Store};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, Row};
use serde_json::{Map, Number, Value};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

/// Reads that may run at once; more wait their turn.
pub const READERS: usize = 4;

pub struct ReadPool {
    path: PathBuf,
    idle: Mutex<Vec<Store>>,
    permits: Semaphore,
}

impl ReadPool {
    pub fn new(path: PathBuf) -> Arc<ReadPool> {
        Arc::new(ReadPool {
            path,
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(READERS),
        })
    }

    /// Runs `f` on a read-only connection on the blocking pool.
    pub async fn read<T, F>(self: &Arc<Self>, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> store::Result<T> + Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| ApiError::Internal("the read pool is closed".into()))?;
        let pool = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let store = match pool.idle.lock().unwrap_or_else(|p| p.into_inner()).pop() {
                Some(store) => store,
                None => Store::open_read_only(&pool.path)?,
            };
            let result = f(store.conn());
            pool.idle
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(store);
            result.map_err(ApiError::from)
        })
        .await
        .map_err(|e| ApiError::Internal(format!("a read task failed: {e}")))?
    }
}

/// How a column is shown where SQLite's own type is not what the reference shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// 0/1 as `false`/`true` (`IsAllowed`).
    Bool,
    /// Decimal text shown as a JSON number (the balance limits, `0.0` in the reference).
    Number,
}

/// Columns of the accounting tables whose JSON type differs from how they are stored.
pub const SHAPES: &[(&str, Shape)] = &[
    ("IsAllowed", Shape::Bool),
    ("RpAccPurchBalanceLimit", Shape::Number),
    ("RpAccSaleBalanceLimit", Shape::Number),
];

/// One row as a JSON object keyed by column name (sorted, as the reference's example).
pub fn row_object(row: &Row<'_>, columns: &[String]) -> rusqlite::Result<Map<String, Value>> {
    let mut object = Map::new();
    for (i, name) in columns.iter().enumerate() {
        let shape = SHAPES.iter().find(|(c, _)| c == name).map(|(_, s)| *s);
        let value = match (row.get_ref(i)?, shape) {
            (ValueRef::Null, _) => Value::Null,
            (ValueRef::Integer(n), Some(Shape::Bool)) => Value::Bool(n != 0),
            (ValueRef::Integer(n), _) => Value::from(n),
            (ValueRef::Real(f), _) => Number::from_f64(f).map_or(Value::Null, Value::Number),
            (ValueRef::Text(t), Some(Shape::Number)) => {
                let text = String::from_utf8_lossy(t);
                match text.trim().parse::<f64>().ok().and_then(Number::from_f64) {
                    Some(n) => Value::Number(n),
                    None => Value::String(text.into_owned()),
                }
            }
            (ValueRef::Text(t), _) => Value::String(String::from_utf8_lossy(t).into_owned()),
            (ValueRef::Blob(_), _) => Value::Null,
        };
        object.insert(name.clone(), value);
    }
    Ok(object)
}

/// The tables the API reads whole rows of. Names come from this closed list, never from input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Accounts,
    Devices,
    /// `tbl_dk_attendance` or `tbl_mg_arap_attandence`, as `db_structure` says.
    Attendance(store::DbStructure),
}

impl Table {
    pub fn name(self) -> &'static str {
        match self {
            Table::Accounts => "tbl_dk_rp_acc",
            Table::Devices => "tbl_dk_device",
            Table::Attendance(s) => s.attendance_table(),
        }
    }

    pub fn id_column(self) -> &'static str {
        match self {
            Table::Accounts => "RpAccId",
            Table::Devices => "DevId",
            Table::Attendance(_) => "AttId",
        }
    }
}

/// One whole row by id.
pub fn get(conn: &Connection, table: Table, id: i64) -> store::Result<Option<Map<String, Value>>> {
    let mut rows = page(conn, table, id - 1, 1)?;
    Ok(rows
        .pop()
        .filter(|r| r.get(table.id_column()) == Some(&Value::from(id))))
}

/// Whole rows with an id above `after_id`, in id order, `limit` at most.
pub fn page(
    conn: &Connection,
    table: Table,
    after_id: i64,
    limit: i64,
) -> store::Result<Vec<Map<String, Value>>> {
    let mut stmt = conn.prepare_cached(&format!(
        r#"SELECT * FROM {} WHERE "{id}" > ?1 ORDER BY "{id}" LIMIT ?2"#,
        table.name(),
        id = table.id_column()
    ))?;
    let columns: Vec<String> = stmt.column_names().map(str::to_owned).collect();
    let rows = stmt.query_map([after_id, limit], |row| row_object(row, &columns))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
