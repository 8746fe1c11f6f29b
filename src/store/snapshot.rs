//! Every row of every table as text, in a stable order: what the tests compare before and after
//! a refused request to show that it wrote nothing.

use super::Result;
use rusqlite::Connection;
use rusqlite::types::Value;

/// `table: cell | cell | ...` for every row of every table, tables by name, rows in their
/// stored order.
pub fn every_row(conn: &Connection) -> Result<Vec<String>> {
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::new();
    for table in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\""))?;
        let n = stmt.column_count();
        let rows = stmt.query_map([], |r| {
            let cells = (0..n)
                .map(|i| r.get::<_, Value>(i).map(|v| format!("{v:?}")))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(format!("{table}: {}", cells.join(" | ")))
        })?;
        for row in rows {
            out.push(row?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_shows_and_nothing_else_does() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(&dir.path().join("t.db")).unwrap();
        let before = every_row(store.conn()).unwrap();
        assert_eq!(before, every_row(store.conn()).unwrap());
        crate::store::resource::upsert(
            store.conn(),
            "guid",
            "Parking",
            "0.05".parse().unwrap(),
            "TMT",
            crate::booth::clock::now(),
        )
        .unwrap();
        let after = every_row(store.conn()).unwrap();
        assert_eq!(after.len(), before.len() + 1);
        assert!(after.iter().any(|row| row.contains("Parking")));
    }
}
