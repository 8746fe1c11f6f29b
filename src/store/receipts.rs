//! Receipts, numbered without gaps.

use super::time::DbTime;
use super::{Result, StoreError, decimal_column};
use crate::domain::receipt::{PaymentMethod, Receipt};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;

/// The next receipt number. Call inside the transaction that inserts it: one writer, and a
/// rollback takes the number back, so numbers have no gaps.
pub fn next_number(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT COALESCE(MAX(receipt_no), 0) + 1 FROM receipt")?
        .query_row([], |r| r.get(0))?)
}

pub fn insert(
    conn: &Connection,
    session_id: i64,
    receipt: &Receipt,
    now: DateTime<Utc>,
) -> Result<()> {
    let document = serde_json::to_string(receipt).map_err(|e| StoreError::Corrupt {
        what: format!("receipt {}", receipt.receipt_no),
        value: e.to_string(),
        expected: "a serialisable receipt",
    })?;
    conn.prepare_cached(
        "INSERT INTO receipt (receipt_no, guid, session_id, issued_at, total, currency,
             payment_method, document) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        receipt.receipt_no,
        receipt.receipt_id,
        session_id,
        DbTime(now),
        receipt.total.to_string(),
        receipt.currency,
        receipt.payment_method.as_str(),
        document
    ])?;
    Ok(())
}

/// A stored receipt, exactly as it was printed; the latest when `receipt_no` is `None`.
pub fn get(conn: &Connection, receipt_no: Option<i64>) -> Result<Option<Receipt>> {
    let document: Option<String> = match receipt_no {
        Some(no) => conn
            .prepare_cached("SELECT document FROM receipt WHERE receipt_no = ?1")?
            .query_row([no], |r| r.get(0))
            .optional()?,
        None => conn
            .prepare_cached("SELECT document FROM receipt ORDER BY receipt_no DESC LIMIT 1")?
            .query_row([], |r| r.get(0))
            .optional()?,
    };
    document
        .map(|doc| {
            serde_json::from_str(&doc).map_err(|_| StoreError::Corrupt {
                what: "receipt document".into(),
                value: doc.chars().take(80).collect(),
                expected: "a receipt",
            })
        })
        .transpose()
}

/// Receipts issued in `[from, to)`: count and sum per payment method, every method listed.
pub fn revenue_between(
    conn: &Connection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(PaymentMethod, i64, Decimal)>> {
    let mut out: Vec<(PaymentMethod, i64, Decimal)> = PaymentMethod::ALL
        .iter()
        .map(|m| (*m, 0, Decimal::ZERO))
        .collect();
    let mut stmt = conn.prepare_cached(
        "SELECT payment_method, total FROM receipt WHERE issued_at >= ?1 AND issued_at < ?2",
    )?;
    let mut rows = stmt.query(params![DbTime(from), DbTime(to)])?;
    // Summed here in exact decimal: SQLite's SUM over text would go through binary floats.
    while let Some(row) = rows.next()? {
        let method: String = row.get(0)?;
        let total: String = row.get(1)?;
        let amount = decimal_column("receipt total", &total)?;
        if let Some(slot) = out.iter_mut().find(|(m, _, _)| m.as_str() == method) {
            slot.1 += 1;
            slot.2 += amount;
        }
    }
    Ok(out)
}

/// Receipts issued in `[from, to)` that closed a lost ticket.
pub fn lost_tickets_between(
    conn: &Connection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT COUNT(*) FROM receipt r JOIN parking_session s ON s.id = r.session_id
             WHERE s.lost_ticket = 1 AND r.issued_at >= ?1 AND r.issued_at < ?2",
        )?
        .query_row(params![DbTime(from), DbTime(to)], |r| r.get(0))?)
}
