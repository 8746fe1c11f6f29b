//! What must hold of the database after any crash: the file is sound, every session is
//! consistent with its attendance rows, its receipt and its account, receipts are numbered
//! without gaps; and against the ledger: every confirmed scan is there once, refused scans
//! wrote nothing, and no scan is there twice.

use crate::rig::TRIES;
use crate::traffic::{Answer, Attempt, Kind, Traffic};
use clearpark::domain::pricing;
use clearpark::domain::session::Direction;
use clearpark::store::time;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

fn connect(db: &Path) -> rusqlite::Connection {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    conn.busy_timeout(crate::rig::HANG).unwrap();
    conn
}

/// `PRAGMA integrity_check`: `["ok"]` for a sound file.
pub fn integrity(db: &Path) -> Vec<String> {
    let conn = connect(db);
    let mut stmt = conn.prepare("PRAGMA integrity_check").unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[derive(Debug)]
pub struct SessionRow {
    id: i64,
    account: Option<i64>,
    device: Option<i64>,
    state: String,
    entry_lane: String,
    exit_lane: Option<String>,
    start: String,
    end: Option<String>,
    entry_guid: Option<String>,
    exit_guid: Option<String>,
    minutes: Option<i64>,
    price: String,
    total: Option<String>,
    entrance_tries: i64,
    exit_tries: i64,
    payment: Option<String>,
    receipt_no: Option<i64>,
}

impl SessionRow {
    fn exited(&self) -> bool {
        matches!(self.state.as_str(), "exiting" | "closed")
    }
}

#[derive(Debug)]
struct AttendanceRow {
    guid: String,
    account: Option<i64>,
    device: Option<i64>,
    type_id: i64,
    date: String,
}

/// The rows the checks look at, read in one transaction.
pub struct Db {
    sessions: Vec<SessionRow>,
    attendance: Vec<AttendanceRow>,
    /// receipt_no → (session id, total)
    receipts: Vec<(i64, i64, String)>,
    trans_totals: HashMap<i64, String>,
}

fn decimal(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap_or_else(|_| panic!("{text:?} is not a decimal"))
}

impl Db {
    pub fn load(db: &Path) -> Db {
        let mut conn = connect(db);
        let tx = conn.transaction().unwrap();
        let sessions = tx
            .prepare(
                r#"SELECT id, "RpAccId", "DevId", state, entry_lane, exit_lane, "AttStartDate",
                      "AttEndDate", entry_att_guid, exit_att_guid, minutes, "ResPrice",
                      "TotalPrice", entrance_remaining_tries, exit_remaining_tries,
                      payment_method, receipt_no
                   FROM parking_session ORDER BY id"#,
            )
            .unwrap()
            .query_map([], |r| {
                Ok(SessionRow {
                    id: r.get(0)?,
                    account: r.get(1)?,
                    device: r.get(2)?,
                    state: r.get(3)?,
                    entry_lane: r.get(4)?,
                    exit_lane: r.get(5)?,
                    start: r.get(6)?,
                    end: r.get(7)?,
                    entry_guid: r.get(8)?,
                    exit_guid: r.get(9)?,
                    minutes: r.get(10)?,
                    price: r.get(11)?,
                    total: r.get(12)?,
                    entrance_tries: r.get(13)?,
                    exit_tries: r.get(14)?,
                    payment: r.get(15)?,
                    receipt_no: r.get(16)?,
                })
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let attendance = tx
            .prepare(
                r#"SELECT "AttGuid", "RpAccId", "DevId", "AttTypeId", "AttDate"
                   FROM tbl_dk_attendance ORDER BY "AttId""#,
            )
            .unwrap()
            .query_map([], |r| {
                Ok(AttendanceRow {
                    guid: r.get(0)?,
                    account: r.get(1)?,
                    device: r.get(2)?,
                    type_id: r.get(3)?,
                    date: r.get(4)?,
                })
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let receipts = tx
            .prepare("SELECT receipt_no, session_id, total FROM receipt ORDER BY receipt_no")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let trans_totals = tx
            .prepare(r#"SELECT "RpAccId", "RpAccTransTotal" FROM tbl_dk_rp_acc"#)
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        Db {
            sessions,
            attendance,
            receipts,
            trans_totals,
        }
    }

    pub fn sessions(&self) -> usize {
        self.sessions.len()
    }

    pub fn receipts(&self) -> usize {
        self.receipts.len()
    }

    /// Whether the account's scan in this direction is in the database.
    pub fn committed(&self, account: i64, direction: Direction) -> bool {
        self.attendance
            .iter()
            .any(|a| a.account == Some(account) && a.type_id == direction.att_type_id())
    }

    /// Every session consistent, every attendance row part of one session, totals and receipts
    /// as the sessions say. Returns what is wrong.
    pub fn invariants(&self) -> Vec<String> {
        let mut wrong = Vec::new();
        let attendance: HashMap<&str, &AttendanceRow> = self
            .attendance
            .iter()
            .map(|a| (a.guid.as_str(), a))
            .collect();
        let receipts: HashMap<i64, (i64, &str)> = self
            .receipts
            .iter()
            .map(|(no, session, total)| (*no, (*session, total.as_str())))
            .collect();
        let mut referenced: HashMap<String, usize> = HashMap::new();
        let mut open_per_account: HashMap<i64, usize> = HashMap::new();
        let mut charged: HashMap<i64, Decimal> = HashMap::new();
        for s in &self.sessions {
            let id = s.id;
            if !["entering", "active", "exiting", "closed"].contains(&s.state.as_str()) {
                wrong.push(format!("session {id} is in state {:?}", s.state));
            }
            let exit_fields = [
                s.exit_lane.is_some(),
                s.end.is_some(),
                s.exit_guid.is_some(),
                s.minutes.is_some(),
                s.total.is_some(),
                s.payment.is_some(),
                s.receipt_no.is_some(),
            ];
            if s.exited() && exit_fields.contains(&false) {
                wrong.push(format!(
                    "session {id} is {} without all exit fields: {s:?}",
                    s.state
                ));
            }
            if !s.exited() && exit_fields.contains(&true) {
                wrong.push(format!(
                    "session {id} is {} with exit fields: {s:?}",
                    s.state
                ));
            }
            for tries in [s.entrance_tries, s.exit_tries] {
                if !(0..=TRIES).contains(&tries) {
                    wrong.push(format!("session {id} has {tries} tries left"));
                }
            }
            let Some(account) = s.account else {
                wrong.push(format!(
                    "session {id} has no account (the load issues no tickets)"
                ));
                continue;
            };
            if s.state != "closed" {
                *open_per_account.entry(account).or_default() += 1;
            }
            let mut own = |guid: &Option<String>, type_id: i64, date: Option<&String>| {
                let Some(guid) = guid else {
                    wrong.push(format!("session {id} has no attendance of type {type_id}"));
                    return;
                };
                *referenced.entry(guid.clone()).or_default() += 1;
                match attendance.get(guid.as_str()) {
                    None => wrong.push(format!("session {id}: attendance {guid} is missing")),
                    Some(a) => {
                        if a.type_id != type_id
                            || a.account != Some(account)
                            || a.device != s.device
                            || Some(&a.date) != date
                        {
                            wrong.push(format!("session {id} {s:?} does not match {a:?}"));
                        }
                    }
                }
            };
            own(&s.entry_guid, 1, Some(&s.start));
            if !s.exited() {
                continue;
            }
            own(&s.exit_guid, 2, s.end.as_ref());
            if s.entry_lane != crate::rig::IN || s.exit_lane.as_deref() != Some(crate::rig::OUT) {
                wrong.push(format!("session {id} went through the wrong lanes: {s:?}"));
            }
            let (Some(end), Some(minutes), Some(total), Some(receipt_no)) =
                (&s.end, s.minutes, &s.total, s.receipt_no)
            else {
                continue;
            };
            let quote = pricing::quote(
                time::parse(&s.start).unwrap(),
                time::parse(end).unwrap(),
                decimal(&s.price),
            )
            .unwrap();
            if quote.billed_minutes != minutes || quote.total != decimal(total) {
                wrong.push(format!(
                    "session {id} is priced wrong: {s:?}, not {quote:?}"
                ));
            }
            *charged.entry(account).or_default() += decimal(total);
            match receipts.get(&receipt_no) {
                Some((session, receipt_total))
                    if *session == id && decimal(receipt_total) == decimal(total) => {}
                other => wrong.push(format!("session {id}'s receipt {receipt_no} is {other:?}")),
            }
        }
        for a in &self.attendance {
            match referenced.get(&a.guid) {
                Some(1) => {}
                n => wrong.push(format!("attendance {a:?} belongs to {n:?} sessions")),
            }
        }
        for (account, n) in open_per_account {
            if n > 1 {
                wrong.push(format!("account {account} has {n} open sessions"));
            }
        }
        for (account, total) in &self.trans_totals {
            let sum = charged.get(account).copied().unwrap_or_default();
            if decimal(total) != sum {
                wrong.push(format!(
                    "account {account}: RpAccTransTotal {total}, its sessions total {sum}"
                ));
            }
        }
        let numbers: Vec<i64> = self.receipts.iter().map(|r| r.0).collect();
        let expected: Vec<i64> = (1..=i64::try_from(numbers.len()).unwrap()).collect();
        if numbers != expected {
            wrong.push(format!("receipt numbers are not 1..N: {numbers:?}"));
        }
        let exited = self.sessions.iter().filter(|s| s.exited()).count();
        if exited != numbers.len() {
            wrong.push(format!(
                "{exited} exiting or closed sessions and {} receipts",
                numbers.len()
            ));
        }
        wrong
    }

    /// The database against the ledger. Returns what is wrong.
    pub fn against(&self, traffic: &Traffic) -> Vec<String> {
        let mut wrong = Vec::new();
        let mut attempts: HashMap<i64, Vec<&Attempt>> = HashMap::new();
        for a in &traffic.attempts {
            if let Some(account) = a.account {
                attempts.entry(account).or_default().push(a);
            }
        }
        // Per account: (entrance rows, exit rows), and its sessions.
        let mut rows: HashMap<i64, (usize, usize)> = HashMap::new();
        for a in &self.attendance {
            let counts = rows.entry(a.account.unwrap_or_default()).or_default();
            match a.type_id {
                1 => counts.0 += 1,
                _ => counts.1 += 1,
            }
        }
        let mut sessions_of: HashMap<i64, Vec<&SessionRow>> = HashMap::new();
        for s in &self.sessions {
            sessions_of
                .entry(s.account.unwrap_or_default())
                .or_default()
                .push(s);
        }
        for holder in &traffic.pool.main {
            let account = holder.id;
            let mine = attempts
                .get(&account)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let (entrances, exits) = rows.get(&account).copied().unwrap_or_default();
            let sessions = sessions_of.get(&account).cloned().unwrap_or_default();
            if entrances > 1 || exits > 1 || sessions.len() > 1 {
                wrong.push(format!(
                    "account {account} written twice: {entrances} entrances, {exits} exits, {} sessions; scans {mine:#?}",
                    sessions.len()
                ));
                continue;
            }
            let scans = |direction: Direction| -> Vec<&Attempt> {
                mine.iter()
                    .copied()
                    .filter(|a| a.direction == direction && a.kind != Kind::AlreadyInside)
                    .collect()
            };
            let (ins, outs) = (scans(Direction::Entrance), scans(Direction::Exit));
            let session = sessions.first();
            let exited = session.is_some_and(|s| s.exited());
            if ins.is_empty() && (entrances > 0 || session.is_some()) {
                wrong.push(format!(
                    "account {account} was never scanned in but has rows"
                ));
            }
            if ins.iter().any(|a| a.confirmed()) && (entrances != 1 || session.is_none()) {
                wrong.push(format!(
                    "account {account}: a confirmed entrance is lost ({entrances} rows, session {session:?}); scans {ins:#?}"
                ));
            }
            if outs.is_empty() && (exits > 0 || exited) {
                wrong.push(format!(
                    "account {account} was never scanned out but has left"
                ));
            }
            if outs.iter().any(|a| a.confirmed()) && (exits != 1 || !exited) {
                wrong.push(format!(
                    "account {account}: a confirmed exit is lost ({exits} rows, session {session:?}); scans {outs:#?}"
                ));
            }
            if exited != (exits == 1) {
                wrong.push(format!(
                    "account {account}: {exits} exits, session {session:?}"
                ));
            }
            let Some(s) = session else { continue };
            for a in ins.iter().chain(&outs) {
                let Answer::Found(parking) = &a.answer else {
                    continue;
                };
                let same = |key: &str, stored: Option<&str>| match (parking[key].as_str(), stored) {
                    (Some(said), Some(stored)) => decimal_or_text(said) == decimal_or_text(stored),
                    (None, None) => true,
                    _ => false,
                };
                let matches = same("AttStartDate", Some(&s.start))
                    && same("ResPrice", Some(&s.price))
                    && match a.direction {
                        Direction::Entrance => true,
                        Direction::Exit => {
                            same("AttEndDate", s.end.as_deref())
                                && same("TotalPrice", s.total.as_deref())
                                && parking["Minutes"].as_i64() == s.minutes
                        }
                    };
                if !matches {
                    wrong.push(format!(
                        "account {account}: answered {parking}, stored {s:?}"
                    ));
                }
            }
        }
        for holder in traffic.pool.blocked.iter().chain(&traffic.pool.ghosts) {
            let (entrances, exits) = rows.get(&holder.id).copied().unwrap_or_default();
            let sessions = sessions_of.get(&holder.id).map_or(0, Vec::len);
            if entrances + exits + sessions > 0 {
                wrong.push(format!(
                    "refused account {}: {entrances} entrances, {exits} exits, {sessions} sessions",
                    holder.id
                ));
            }
        }
        wrong.extend(traffic.unexpected_opens.iter().cloned());
        wrong.extend(traffic.failures.iter().cloned());
        wrong
    }
}

/// Money compares as decimals ("0.05" = "0.050"), anything else as text.
fn decimal_or_text(text: &str) -> String {
    Decimal::from_str(text).map_or_else(|_| text.to_owned(), |d| d.normalize().to_string())
}
