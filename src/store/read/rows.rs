//! Whole rows of the accounting tables as JSON objects, with the reference's field names and
//! JSON types: what the sync lists and find-device's answer show.

use crate::store::{self, DbStructure};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, Row};
use serde_json::{Map, Number, Value};

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

fn shape_of(column: &str) -> Option<Shape> {
    SHAPES.iter().find(|(c, _)| *c == column).map(|(_, s)| *s)
}

/// One cell as the reference shows it.
fn cell(value: ValueRef<'_>, shape: Option<Shape>) -> Value {
    match (value, shape) {
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
    }
}

/// One row as a JSON object keyed by column name (sorted, as the reference's example).
pub fn row_object(row: &Row<'_>, columns: &[String]) -> rusqlite::Result<Map<String, Value>> {
    let mut object = Map::new();
    for (i, name) in columns.iter().enumerate() {
        object.insert(name.clone(), cell(row.get_ref(i)?, shape_of(name)));
    }
    Ok(object)
}

/// The tables the API reads whole rows of. Names come from this closed list, never from input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Accounts,
    Devices,
    /// `tbl_dk_attendance` or `tbl_mg_arap_attandence`, as `db_structure` says.
    Attendance(DbStructure),
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
pub(crate) fn get(
    conn: &Connection,
    table: Table,
    id: i64,
) -> store::Result<Option<Map<String, Value>>> {
    let mut rows = page(conn, table, id - 1, 1)?;
    Ok(rows
        .pop()
        .filter(|r| r.get(table.id_column()) == Some(&Value::from(id))))
}

/// Whole rows with an id above `after_id`, in id order, `limit` at most.
pub(crate) fn page(
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

/// A page of whole rows, already written as a JSON array: lists are the API's bulk, and writing
/// them straight from the rows on the blocking pool keeps the async workers free.
pub struct PageJson {
    /// `[{...},{...}]`, keys sorted in each object, as [`row_object`] would give.
    pub json: Vec<u8>,
    pub rows: usize,
    pub last_id: Option<i64>,
}

/// [`page`] written as JSON.
pub(crate) fn page_json(
    conn: &Connection,
    table: Table,
    after_id: i64,
    limit: i64,
) -> store::Result<PageJson> {
    let mut stmt = conn.prepare_cached(&format!(
        r#"SELECT * FROM {} WHERE "{id}" > ?1 ORDER BY "{id}" LIMIT ?2"#,
        table.name(),
        id = table.id_column()
    ))?;
    // Each key once, quoted and escaped, in sorted order.
    let mut columns: Vec<(usize, Vec<u8>, Option<Shape>)> = stmt
        .column_names()
        .enumerate()
        .map(|(i, name)| {
            let mut key = serde_json::to_vec(name).unwrap_or_default();
            key.push(b':');
            (i, key, shape_of(name))
        })
        .collect();
    columns.sort_by(|a, b| a.1.cmp(&b.1));
    let id_index = stmt.column_index(table.id_column())?;
    let mut out = PageJson {
        json: Vec::with_capacity(256 * usize::try_from(limit).unwrap_or(0).min(500)),
        rows: 0,
        last_id: None,
    };
    out.json.push(b'[');
    let mut rows = stmt.query([after_id, limit])?;
    while let Some(row) = rows.next()? {
        if out.rows > 0 {
            out.json.push(b',');
        }
        out.json.push(b'{');
        for (n, (i, key, shape)) in columns.iter().enumerate() {
            if n > 0 {
                out.json.push(b',');
            }
            out.json.extend_from_slice(key);
            write_cell(&mut out.json, row.get_ref(*i)?, *shape);
        }
        out.json.push(b'}');
        out.rows += 1;
        out.last_id = row.get(id_index)?;
    }
    out.json.push(b']');
    Ok(out)
}

fn write_cell(out: &mut Vec<u8>, value: ValueRef<'_>, shape: Option<Shape>) {
    match (value, shape) {
        (ValueRef::Integer(n), None) => out.extend_from_slice(n.to_string().as_bytes()),
        (ValueRef::Text(t), None) => {
            let text = String::from_utf8_lossy(t);
            // Writing a str into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut *out, text.as_ref());
        }
        (value, shape) => {
            let _ = serde_json::to_writer(&mut *out, &cell(value, shape));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn written_pages_are_the_rows_as_objects() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        let conn = store.conn();
        conn.execute_batch(
            r#"INSERT INTO tbl_dk_rp_acc ("RpAccGuid", "RpAccName", "RpAccPurchBalanceLimit",
                   "RpAccLatitude", "AddInf1", "CreatedDate", "ModifiedDate")
               VALUES ('g1', 'Aýna "A" \ B', '12.50', 37.95, NULL, 'c', 'm'),
                      ('g2', 'Merdan', '0', 0.0, 'x', 'c', 'm');
               INSERT INTO tbl_dk_device ("DevGuid", "DevUniqueId", "IsAllowed", "RpAccId",
                   "CreatedDate", "ModifiedDate") VALUES ('d1', 'code', 0, 1, 'c', 'm');"#,
        )
        .unwrap();
        for table in [Table::Accounts, Table::Devices] {
            let written = page_json(conn, table, 0, 10).unwrap();
            let parsed: Vec<Map<String, Value>> = serde_json::from_slice(&written.json).unwrap();
            assert_eq!(parsed, page(conn, table, 0, 10).unwrap());
            assert_eq!(written.rows, parsed.len());
        }
        let accounts = page(conn, Table::Accounts, 0, 10).unwrap();
        assert_eq!(accounts[0]["RpAccName"], "Aýna \"A\" \\ B");
        assert_eq!(accounts[0]["RpAccPurchBalanceLimit"], 12.5);
        assert_eq!(accounts[1]["RpAccLatitude"], 0.0);
        assert_eq!(
            page(conn, Table::Devices, 0, 1).unwrap()[0]["IsAllowed"],
            false
        );
        assert_eq!(
            page_json(conn, Table::Accounts, 1, 10).unwrap().last_id,
            Some(2)
        );
        assert_eq!(page_json(conn, Table::Accounts, 2, 10).unwrap().json, b"[]");
    }
}
