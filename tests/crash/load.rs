//! The scan load and its ledger. Two lane drivers (entrance, exit) each bring one car at a time
//! to their barrier and scan its code on the lane's scanner or through the API's find-device,
//! then play the vehicle: `EVT PASSED` after the `OPEN` (now and then `EVT TIMEOUT`: nobody
//! came). A third driver sends API scans the booth must refuse. Every scan goes into the
//! ledger with what came of it: the answer, and whether the gate opened for it.
//!
//! One car at a time per barrier keeps the mapping unambiguous: an `OPEN` on a lane's gate
//! belongs to the one scan in flight there. Each main account enters once and leaves once;
//! what it may do next is read from the database (the booth's own record), never assumed.

use crate::rig::{GateHandle, HANG, Holder, IN, OUT, Pool, TOKEN};
use crate::support::pty::ScannerEnd;
use clearpark::domain::session::Direction;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

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
    busy: HashSet<i64>,
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
    fn probe(&mut self, open: &[OpenSession], rng: &mut fastrand::Rng) -> Option<Holder> {
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

/// One start of the booth as the load sees it.
pub struct Run {
    pub traffic: Arc<Mutex<Traffic>>,
    pub db: PathBuf,
    pub incarnation: usize,
    pub base: String,
    http: reqwest::Client,
    alive: AtomicBool,
    /// Cancelled once the booth is dead and every line it wrote to the gates was read.
    pub over: CancellationToken,
    /// No crash is coming: every scan must be answered and open its gate.
    pub strict: bool,
    log: Arc<Mutex<Vec<String>>>,
}

impl Run {
    pub fn new(
        traffic: Arc<Mutex<Traffic>>,
        db: PathBuf,
        incarnation: usize,
        base: String,
        log: Arc<Mutex<Vec<String>>>,
        strict: bool,
    ) -> Run {
        traffic.lock().unwrap().new_incarnation();
        Run {
            traffic,
            db,
            incarnation,
            base,
            http: reqwest::Client::builder().timeout(HANG).build().unwrap(),
            alive: AtomicBool::new(true),
            over: CancellationToken::new(),
            strict,
            log,
        }
    }

    pub fn alive(&self) -> bool {
        self.alive.load(Ordering::Relaxed) && !self.over.is_cancelled()
    }

    /// The booth is about to be killed: start no new scan.
    pub fn stop_sending(&self) {
        self.alive.store(false, Ordering::Relaxed);
    }

    fn tail(&self) -> String {
        let log = self.log.lock().unwrap();
        log[log.len().saturating_sub(40)..].join("\n")
    }

    fn record(&self, attempt: Attempt) -> usize {
        let mut traffic = self.traffic.lock().unwrap();
        traffic.attempts.push(attempt);
        traffic.attempts.len() - 1
    }

    fn update(&self, index: usize, change: impl FnOnce(&mut Attempt)) {
        change(&mut self.traffic.lock().unwrap().attempts[index]);
    }

    fn fail(&self, what: String) {
        assert!(!self.strict, "{what}\n{}", self.tail());
        self.traffic.lock().unwrap().failures.push(what);
    }

    /// `POST /find-device/`; `None` when no answer came (the booth died).
    async fn find_device(&self, direction: Direction, code: &str) -> Option<Value> {
        let sent = self
            .http
            .post(format!("{}/find-device/?type={direction}", self.base))
            .bearer_auth(TOKEN)
            .json(&json!({ "data": code }))
            .send()
            .await;
        let body = match sent {
            Ok(response) => response.json::<Value>().await.ok(),
            Err(_) => None,
        };
        assert!(
            body.is_some() || !self.strict,
            "find-device {direction} {code} unanswered by a running booth\n{}",
            self.tail()
        );
        body
    }
}

fn lane_id(direction: Direction) -> &'static str {
    match direction {
        Direction::Entrance => IN,
        Direction::Exit => OUT,
    }
}

/// A lane's driver for one start: cars until the booth is about to die.
pub async fn lane_driver(
    run: Arc<Run>,
    direction: Direction,
    mut gate: GateHandle,
    mut scanner: ScannerEnd,
    mut rng: fastrand::Rng,
) {
    while run.alive() {
        let open = open_sessions(&run.db);
        let pick = run.traffic.lock().unwrap().pick(direction, &open, &mut rng);
        let Some((holder, kind)) = pick else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        let source = if rng.bool() {
            Source::Api
        } else {
            Source::Lane
        };
        let mut lane = LaneDevices {
            gate: &mut gate,
            scanner: &mut scanner,
        };
        drive(&run, direction, &holder, kind, source, &mut lane, &mut rng).await;
    }
    run.over.cancelled().await;
    expect_no_open(&run, direction, &mut gate);
}

/// Any `OPEN` now has no scan to belong to.
pub fn expect_no_open(run: &Run, direction: Direction, gate: &mut GateHandle) {
    while let Ok(seq) = gate.opens.try_recv() {
        run.traffic.lock().unwrap().unexpected_opens.push(format!(
            "start {}: OPEN {seq} on {} with no scan in flight",
            run.incarnation,
            lane_id(direction)
        ));
    }
}

pub struct LaneDevices<'a> {
    pub gate: &'a mut GateHandle,
    pub scanner: &'a mut ScannerEnd,
}

/// One car at one barrier: the scan, its answer, the `OPEN`, the vehicle through.
/// Returns the attempt's index in the ledger.
pub async fn drive(
    run: &Run,
    direction: Direction,
    holder: &Holder,
    kind: Kind,
    source: Source,
    lane: &mut LaneDevices<'_>,
    rng: &mut fastrand::Rng,
) -> usize {
    expect_no_open(run, direction, lane.gate);
    let index = run.record(Attempt {
        incarnation: run.incarnation,
        account: Some(holder.id),
        direction,
        source,
        kind,
        answer: Answer::None,
        opened: false,
        gate_end: None,
    });
    let open_expected = match source {
        Source::Lane => {
            lane.scanner.scan(&holder.code);
            true
        }
        Source::Api => match run.find_device(direction, &holder.code).await {
            Some(body) if body["status"] == 1 => {
                if body["data"]["RpAccId"] != holder.id {
                    run.fail(format!("find-device {} answered {body}", holder.code));
                }
                let parking = body["data"]["Parking"].clone();
                run.update(index, |a| a.answer = Answer::Found(parking));
                true
            }
            Some(body) => {
                let reason = body["reason"].as_str().unwrap_or_default().to_owned();
                run.update(index, |a| a.answer = Answer::Refused(reason));
                run.fail(format!(
                    "start {}: {kind:?} {direction} of account {} refused: {body}",
                    run.incarnation, holder.id
                ));
                false
            }
            None => false,
        },
    };
    if let Some(_seq) = wait_open(run, direction, lane.gate, open_expected).await {
        run.update(index, |a| a.opened = true);
        // The car drives through; now and then nobody comes and the barrier times out.
        tokio::time::sleep(Duration::from_millis(rng.u64(..15))).await;
        let end = if !run.strict && rng.u8(..20) == 0 {
            GateEnd::TimedOut
        } else {
            GateEnd::Passed
        };
        lane.gate.report(match end {
            GateEnd::Passed => "EVT PASSED",
            GateEnd::TimedOut => "EVT TIMEOUT",
        });
        lane.gate.report("EVT CLOSED");
        run.update(index, |a| a.gate_end = Some(end));
    }
    run.traffic.lock().unwrap().busy.remove(&holder.id);
    index
}

/// The `OPEN` of the scan in flight, or `None` once the booth is dead and none came.
async fn wait_open(
    run: &Run,
    direction: Direction,
    gate: &mut GateHandle,
    expected: bool,
) -> Option<u16> {
    tokio::select! {
        biased;
        seq = gate.opens.recv() => seq,
        () = run.over.cancelled() => gate.opens.try_recv().ok(),
        () = tokio::time::sleep(HANG) => panic!(
            "start {}: no OPEN on {} for {HANG:?} after a scan (answered: {expected})\n{}",
            run.incarnation,
            lane_id(direction),
            run.tail()
        ),
    }
}

/// API scans that must be refused and write nothing, until the booth is about to die.
pub async fn refusal_driver(run: Arc<Run>, mut rng: fastrand::Rng) {
    while run.alive() {
        let (pool_pick, direction, kind, expected) = {
            let traffic = run.traffic.lock().unwrap();
            let pool = &traffic.pool;
            match rng.u8(..5) {
                0 => (
                    rng.choice(&pool.blocked).cloned(),
                    Direction::Entrance,
                    Kind::Blocked,
                    "blocked_account",
                ),
                1 => (
                    rng.choice(&pool.ghosts).cloned(),
                    Direction::Exit,
                    Kind::Ghost,
                    "not_inside",
                ),
                2 => (None, Direction::Entrance, Kind::Unknown, ""),
                3 => (None, Direction::Exit, Kind::Invalid, "invalid_code"),
                _ => (
                    None,
                    Direction::Entrance,
                    Kind::AlreadyInside,
                    "already_inside",
                ),
            }
        };
        let holder = match kind {
            Kind::Unknown => Some(Holder {
                id: 0,
                code: format!("CRASH-unknown-{:08x}", rng.u32(..)),
            }),
            Kind::Invalid => Some(Holder {
                id: 0,
                code: "CRASH-\u{1b}[2J-invalid".into(),
            }),
            Kind::AlreadyInside => {
                let open = open_sessions(&run.db);
                run.traffic.lock().unwrap().probe(&open, &mut rng)
            }
            _ => pool_pick,
        };
        if let Some(holder) = holder {
            let index = run.record(Attempt {
                incarnation: run.incarnation,
                account: (holder.id != 0).then_some(holder.id),
                direction,
                source: Source::Api,
                kind,
                answer: Answer::None,
                opened: false,
                gate_end: None,
            });
            if let Some(body) = run.find_device(direction, &holder.code).await {
                let reason = body["reason"].as_str().unwrap_or_default().to_owned();
                if body["status"] != 0 || body["data"] != json!({}) || reason != expected {
                    run.fail(format!(
                        "start {}: {kind:?} {direction} {:?} answered {body}, not {expected:?}",
                        run.incarnation, holder.code
                    ));
                }
                run.update(index, |a| a.answer = Answer::Refused(reason));
            }
        }
        tokio::time::sleep(Duration::from_millis(rng.u64(5..25))).await;
    }
}
