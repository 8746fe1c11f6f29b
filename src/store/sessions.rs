//! Parking sessions: an entrance paired with its exit.

use super::time::DbTime;
use super::{Result, StoreError, decimal_column};
use crate::domain::model::{OpenSession, Session, SessionHolder};
use crate::domain::receipt::PaymentMethod;
use crate::domain::session::{SessionFacts, SessionState};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use rust_decimal::Decimal;

const SELECT: &str = r#"SELECT id, guid, "RpAccId", "DevId", ticket_id, state, entry_lane,
    exit_lane, "AttStartDate", "AttEndDate", minutes, "ResPrice", "TotalPrice", currency,
    entrance_remaining_tries, exit_remaining_tries, payment_method, lost_ticket, receipt_no,
    tariff_version_id, validation_id
    FROM parking_session"#;

/// Raw columns, converted outside rusqlite's closure so that errors name the bad value.
struct RawSession {
    id: i64,
    guid: String,
    account: Option<i64>,
    device: Option<i64>,
    ticket: Option<i64>,
    state: String,
    entry_lane: String,
    exit_lane: Option<String>,
    start: DbTime,
    end: Option<DbTime>,
    minutes: Option<i64>,
    price: String,
    total: Option<String>,
    currency: String,
    entrance_tries: u32,
    exit_tries: u32,
    payment: Option<String>,
    lost_ticket: bool,
    receipt_no: Option<i64>,
    tariff_version_id: Option<i64>,
    validation_id: Option<i64>,
}

fn raw(row: &Row<'_>) -> rusqlite::Result<RawSession> {
    Ok(RawSession {
        id: row.get(0)?,
        guid: row.get(1)?,
        account: row.get(2)?,
        device: row.get(3)?,
        ticket: row.get(4)?,
        state: row.get(5)?,
        entry_lane: row.get(6)?,
        exit_lane: row.get(7)?,
        start: row.get(8)?,
        end: row.get(9)?,
        minutes: row.get(10)?,
        price: row.get(11)?,
        total: row.get(12)?,
        currency: row.get(13)?,
        entrance_tries: row.get(14)?,
        exit_tries: row.get(15)?,
        payment: row.get(16)?,
        lost_ticket: row.get(17)?,
        receipt_no: row.get(18)?,
        tariff_version_id: row.get(19)?,
        validation_id: row.get(20)?,
    })
}

fn corrupt(id: i64, column: &str, value: &str, expected: &'static str) -> StoreError {
    StoreError::Corrupt {
        what: format!("parking_session {id} {column}"),
        value: value.to_owned(),
        expected,
    }
}

impl TryFrom<RawSession> for Session {
    type Error = StoreError;
    fn try_from(r: RawSession) -> Result<Session> {
        let holder = match (r.account, r.device, r.ticket) {
            (Some(account_id), Some(device_id), None) => SessionHolder::Account {
                account_id,
                device_id,
            },
            (None, _, Some(ticket_id)) => SessionHolder::Ticket { ticket_id },
            _ => {
                return Err(corrupt(
                    r.id,
                    "holder",
                    "",
                    "an account with a device or a ticket",
                ));
            }
        };
        Ok(Session {
            state: r
                .state
                .parse()
                .map_err(|_| corrupt(r.id, "state", &r.state, "a session state"))?,
            price_per_minute: decimal_column(
                &format!("parking_session {} ResPrice", r.id),
                &r.price,
            )?,
            total: r
                .total
                .as_deref()
                .map(|t| decimal_column(&format!("parking_session {} TotalPrice", r.id), t))
                .transpose()?,
            payment_method: r
                .payment
                .as_deref()
                .map(|p| {
                    p.parse()
                        .map_err(|_| corrupt(r.id, "payment_method", p, "a payment method"))
                })
                .transpose()?,
            id: r.id,
            guid: r.guid,
            holder,
            entry_lane: r.entry_lane,
            exit_lane: r.exit_lane,
            start: r.start.0,
            end: r.end.map(|t| t.0),
            minutes: r.minutes,
            currency: r.currency,
            entrance_remaining_tries: r.entrance_tries,
            exit_remaining_tries: r.exit_tries,
            lost_ticket: r.lost_ticket,
            receipt_no: r.receipt_no,
            tariff_version_id: r.tariff_version_id,
            validation_id: r.validation_id,
        })
    }
}

fn one(conn: &Connection, sql: &str, param: i64) -> Result<Option<Session>> {
    conn.prepare_cached(sql)?
        .query_row([param], raw)
        .optional()?
        .map(Session::try_from)
        .transpose()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession<'a> {
    pub holder: SessionHolder,
    pub state: SessionState,
    pub entry_lane: &'a str,
    pub start: DateTime<Utc>,
    pub entry_att_guid: Option<&'a str>,
    pub price_per_minute: Decimal,
    pub currency: &'a str,
    pub entrance_tries: u32,
    pub exit_tries: u32,
    pub tariff_version_id: Option<i64>,
}

pub fn insert(conn: &Connection, new: &NewSession<'_>) -> Result<i64> {
    let (account, device, ticket) = match new.holder {
        SessionHolder::Account {
            account_id,
            device_id,
        } => (Some(account_id), Some(device_id), None),
        SessionHolder::Ticket { ticket_id } => (None, None, Some(ticket_id)),
    };
    conn.prepare_cached(
        r#"INSERT INTO parking_session (guid, "RpAccId", "DevId", ticket_id, state, entry_lane,
               "AttStartDate", entry_att_guid, "ResPrice", currency, entrance_remaining_tries,
               exit_remaining_tries, tariff_version_id, created_at, updated_at)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?7, ?7)"#,
    )?
    .execute(params![
        uuid::Uuid::new_v4().to_string(),
        account,
        device,
        ticket,
        new.state.as_str(),
        new.entry_lane,
        DbTime(new.start),
        new.entry_att_guid,
        new.price_per_minute.to_string(),
        new.currency,
        new.entrance_tries,
        new.exit_tries,
        new.tariff_version_id,
    ])?;
    Ok(conn.last_insert_rowid())
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Session>> {
    one(conn, &format!("{SELECT} WHERE id = ?1"), id)
}

/// The account's session that is not closed (there is at most one: a unique index says so).
pub fn open_for_account(conn: &Connection, account_id: i64) -> Result<Option<Session>> {
    one(
        conn,
        &format!(
            r#"{SELECT} WHERE "RpAccId" = ?1 AND state <> 'closed' AND "RpAccId" IS NOT NULL"#
        ),
        account_id,
    )
}

/// The ticket's session, open or closed (a ticket has exactly one).
pub fn for_ticket(conn: &Connection, ticket_id: i64) -> Result<Option<Session>> {
    one(
        conn,
        &format!("{SELECT} WHERE ticket_id = ?1 AND ticket_id IS NOT NULL"),
        ticket_id,
    )
}

/// Saves the state and tries after a gate cycle.
pub fn set_facts(
    conn: &Connection,
    id: i64,
    facts: SessionFacts,
    now: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE parking_session SET state = ?2, entrance_remaining_tries = ?3,
             exit_remaining_tries = ?4, updated_at = ?5 WHERE id = ?1",
    )?
    .execute(params![
        id,
        facts.state.as_str(),
        facts.entrance_remaining_tries,
        facts.exit_remaining_tries,
        DbTime(now)
    ])?;
    Ok(())
}

/// Starts a stay again from `now` with fresh entrance tries: a ticket whose car never went in
/// and came back after the exit grace.
pub fn restart(conn: &Connection, id: i64, now: DateTime<Utc>, entrance_tries: u32) -> Result<()> {
    conn.prepare_cached(
        r#"UPDATE parking_session SET "AttStartDate" = ?2, entrance_remaining_tries = ?3,
               updated_at = ?2 WHERE id = ?1"#,
    )?
    .execute(params![id, DbTime(now), entrance_tries])?;
    Ok(())
}

/// What an exit writes to its session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitRecord<'a> {
    pub state: SessionState,
    pub exit_lane: &'a str,
    pub end: DateTime<Utc>,
    pub exit_att_guid: Option<&'a str>,
    pub minutes: i64,
    pub total: Decimal,
    pub payment_method: PaymentMethod,
    pub lost_ticket: bool,
    pub receipt_no: i64,
}

pub fn record_exit(
    conn: &Connection,
    id: i64,
    exit: &ExitRecord<'_>,
    now: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached(
        r#"UPDATE parking_session SET state = ?2, exit_lane = ?3, "AttEndDate" = ?4,
               exit_att_guid = ?5, minutes = ?6, "TotalPrice" = ?7, payment_method = ?8,
               lost_ticket = ?9, receipt_no = ?10, updated_at = ?11
           WHERE id = ?1"#,
    )?
    .execute(params![
        id,
        exit.state.as_str(),
        exit.exit_lane,
        DbTime(exit.end),
        exit.exit_att_guid,
        exit.minutes,
        exit.total.to_string(),
        exit.payment_method.as_str(),
        exit.lost_ticket,
        exit.receipt_no,
        DbTime(now)
    ])?;
    Ok(())
}

/// Sessions not closed: vehicles inside or at a gate.
pub fn count_open(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT COUNT(*) FROM parking_session WHERE state <> 'closed'")?
        .query_row([], |r| r.get(0))?)
}

/// Open sessions with their holders, oldest first, at most `limit`.
pub fn open_views(conn: &Connection, limit: usize) -> Result<Vec<OpenSession>> {
    let mut stmt = conn.prepare_cached(
        r#"SELECT s.id,
                  CASE WHEN s.ticket_id IS NOT NULL THEN printf('ticket %06d', t.ticket_no)
                       WHEN a."RpAccRegNo" IS NOT NULL THEN a."RpAccName" || ' (' || a."RpAccRegNo" || ')'
                       ELSE a."RpAccName" END,
                  s.entry_lane, s.state, s."AttStartDate", s."ResPrice", s.currency,
                  s.entrance_remaining_tries, s.exit_remaining_tries, s.tariff_version_id,
                  s.validation_id
           FROM parking_session s
           LEFT JOIN tbl_dk_rp_acc a ON a."RpAccId" = s."RpAccId"
           LEFT JOIN walkin_ticket t ON t.id = s.ticket_id
           WHERE s.state <> 'closed'
           ORDER BY s."AttStartDate", s.id LIMIT ?1"#,
    )?;
    let rows = stmt.query_map([limit as i64], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, DbTime>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, String>(6)?,
            r.get::<_, u32>(7)?,
            r.get::<_, u32>(8)?,
            r.get::<_, Option<i64>>(9)?,
            r.get::<_, Option<i64>>(10)?,
        ))
    })?;
    // Versions never change: each is read once per list.
    let mut versions: std::collections::HashMap<i64, Option<std::sync::Arc<_>>> =
        std::collections::HashMap::new();
    rows.map(|row| {
        let (id, holder, entry_lane, state, start, price, currency, ent, ex, tariff, validation) =
            row?;
        let tariff = match tariff {
            Some(v) => match versions.get(&v) {
                Some(found) => found.clone(),
                None => {
                    let found = super::tariffs::version(conn, v)?.map(std::sync::Arc::new);
                    versions.insert(v, found.clone());
                    found
                }
            },
            None => None,
        };
        let validation = match validation {
            Some(v) => super::validations::get(conn, v)?.map(|v| v.validation()),
            None => None,
        };
        Ok(OpenSession {
            holder: holder.unwrap_or_else(|| format!("session {id}")),
            state: state
                .parse()
                .map_err(|_| corrupt(id, "state", &state, "a session state"))?,
            price_per_minute: decimal_column(&format!("parking_session {id} ResPrice"), &price)?,
            id,
            entry_lane,
            start: start.0,
            currency,
            entrance_remaining_tries: ent,
            exit_remaining_tries: ex,
            tariff,
            validation,
        })
    })
    .collect()
}
