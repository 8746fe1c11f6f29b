//! The ledger of every scan the load sent and what came of it, and the load's knowledge of
//! who may scan next: which accounts are new, and (from the database) which are inside or were
//! left at a gate.

use crate::rig::{HANG, Holder, Pool};
use clearpark::domain::session::Direction;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Api,
    Lane,
}

#[derive(Debug, Clone)]
pub enum Answer {
    /// Nothing came back: a lane scan, or the booth died first.
    None,
    /// `status: 1`; the answer's `Parking` object.
    Found(Value),
    /// `status: 0` with this reason (empty for the reference's bare "not found").
    Refused(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateEnd {
    Passed,
    TimedOut,
}

/// Why the load sent a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A main account's entrance, or its exit.
    Main,
    /// The same again after a crash or a timed-out gate: the booth must open without writing.
    Retry,
    Blocked,
    Ghost,
    Unknown,
    Invalid,
    /// An entrance of an account that is inside.
    AlreadyInside,
}

#[derive(Debug, Clone)]
pub struct Attempt {
    pub incarnation: usize,
    pub account: Option<i64>,
    pub direction: Direction,
    pub source: Source,
    pub kind: Kind,
    pub answer: Answer,
    pub opened: bool,
    pub gate_end: Option<GateEnd>,
}

impl Attempt {
    /// The booth said it is recorded: answered `status: 1`, or opened the gate.
    pub fn confirmed(&self) -> bool {
        self.opened || matches!(self.answer, Answer::Found(_))
    }

    pub fn answered(&self) -> bool {
        !matches!(self.answer, Answer::None)
    }
}

/// What the load knows and has done, across every start of the booth.
pub struct Traffic {
    pub pool: Pool,
    by_id: HashMap<i64, Holder>,
    next_fresh: usize,
    /// Accounts with a scan in flight.
    pub(crate) busy: HashSet<i64>,
    /// Accounts scanned at the entrance, at the exit, or probed, during this start.
    entered: HashSet<i64>,
    exited: HashSet<i64>,
    reserved: HashSet<i64>,
    pub attempts: Vec<Attempt>,
    pub unexpected_opens: Vec<String>,
    pub failures: Vec<String>,
}

/// A session that is not closed, as the database has it.
#[derive(Debug, Clone)]
pub struct OpenSession {
    pub account: i64,
    pub state: String,
    pub entrance_tries: i64,
    pub exit_tries: i64,
}

pub fn open_sessions(db: &Path) -> Vec<OpenSession> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    conn.busy_timeout(HANG).unwrap();
    let mut stmt = conn
        .prepare(
            r#"SELECT "RpAccId", state, entrance_remaining_tries, exit_remaining_tries
               FROM parking_session WHERE state <> 'closed' AND "RpAccId" IS NOT NULL"#,
        )
        .unwrap();
    stmt.query_map([], |r| {
        Ok(OpenSession {
            account: r.get(0)?,
            state: r.get(1)?,
            entrance_tries: r.get(2)?,
            exit_tries: r.get(3)?,
        })
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

impl Traffic {
    pub fn new(pool: Pool) -> Traffic {
        Traffic {
            by_id: pool.main.iter().map(|h| (h.id, h.clone())).collect(),
            pool,
            next_fresh: 0,
            busy: HashSet::new(),
            entered: HashSet::new(),
            exited: HashSet::new(),
            reserved: HashSet::new(),
            attempts: Vec::new(),
            unexpected_opens: Vec::new(),
            failures: Vec::new(),
        }
    }

    /// A new start of the booth: nothing is in flight, nothing touched yet.
    pub fn new_incarnation(&mut self) {
        assert!(
            self.busy.is_empty(),
            "scans still in flight: {:?}",
            self.busy
        );
        self.entered.clear();
        self.exited.clear();
        self.reserved.clear();
    }

    pub fn fresh_left(&self) -> usize {
        self.pool.main.len() - self.next_fresh
    }

    /// Sessions a crash (or a driver who never came) left at this direction's gate, with tries
    /// left. Only those no gate cycle of this start touched: their cycle is certainly over.
    pub fn retry_candidates(&self, direction: Direction, open: &[OpenSession]) -> Vec<i64> {
        let (state, done) = match direction {
            Direction::Entrance => ("entering", &self.entered),
            Direction::Exit => ("exiting", &self.exited),
        };
        open.iter()
            .filter(|s| s.state == state && !self.busy.contains(&s.account))
            .filter(|s| !done.contains(&s.account))
            .filter(|s| match direction {
                Direction::Entrance => s.entrance_tries > 0,
                Direction::Exit => s.exit_tries > 0,
            })
            .map(|s| s.account)
            .collect()
    }

    /// Accounts inside that may leave now.
    pub fn exit_candidates(&self, open: &[OpenSession]) -> Vec<i64> {
        open.iter()
            .filter(|s| s.state == "active" && !self.busy.contains(&s.account))
            .filter(|s| !self.exited.contains(&s.account) && !self.reserved.contains(&s.account))
            .map(|s| s.account)
            .collect()
    }

    /// Marks the account's scan in this direction as in flight.
    pub fn take(&mut self, account: i64, direction: Direction) -> Holder {
        self.busy.insert(account);
        match direction {
            Direction::Entrance => self.entered.insert(account),
            Direction::Exit => self.exited.insert(account),
        };
        self.by_id[&account].clone()
    }

    /// An account never scanned, for the entrance.
    pub fn take_fresh(&mut self) -> Option<Holder> {
        let id = self.pool.main.get(self.next_fresh)?.id;
        self.next_fresh += 1;
        Some(self.take(id, Direction::Entrance))
    }

    /// The next car for a lane: a new account at the entrance, an account inside at the exit,
    /// or (three times in ten, or when nothing else is there) a retry.
    pub fn pick(
        &mut self,
        direction: Direction,
        open: &[OpenSession],
        rng: &mut fastrand::Rng,
    ) -> Option<(Holder, Kind)> {
        let retries = self.retry_candidates(direction, open);
        let mains = match direction {
            Direction::Entrance => Vec::new(),
            Direction::Exit => self.exit_candidates(open),
        };
        let has_main = match direction {
            Direction::Entrance => self.fresh_left() > 0,
            Direction::Exit => !mains.is_empty(),
        };
        if !retries.is_empty() && (!has_main || rng.u8(..10) < 3) {
            let account = retries[rng.usize(..retries.len())];
            return Some((self.take(account, direction), Kind::Retry));
        }
        match direction {
            Direction::Entrance => self.take_fresh().map(|h| (h, Kind::Main)),
            Direction::Exit => {
                let account = *rng.choice(&mains)?;
                Some((self.take(account, direction), Kind::Main))
            }
        }
    }

    /// An account inside that no lane touches during the rest of this start: an entrance scan
    /// of it must be refused as `already_inside`.
    pub fn probe(&mut self, open: &[OpenSession], rng: &mut fastrand::Rng) -> Option<Holder> {
        let inside: Vec<i64> = open
            .iter()
            .filter(|s| s.state == "active")
            .map(|s| s.account)
            .filter(|a| !self.busy.contains(a) && !self.exited.contains(a))
            .collect();
        let account = *rng.choice(&inside)?;
        self.reserved.insert(account);
        Some(self.by_id[&account].clone())
    }
}
