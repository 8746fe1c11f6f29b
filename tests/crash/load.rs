//! The scan load and its ledger. Two lane drivers (entrance, exit) each bring one car at a time
//! to their barrier and scan its code on the lane's scanner or through the API's find-device,
//! then play the vehicle: `EVT PASSED` after the `OPEN` (now and then `EVT TIMEOUT`: nobody
//! came). A third driver sends API scans the booth must refuse. Every scan goes into the
//! ledger with what came of it: the answer, and whether the gate opened for it.
//!
//! One car at a time per barrier keeps the mapping unambiguous: an `OPEN` on a lane's gate
//! belongs to the one scan in flight there. Each main account enters once and leaves once;
//! what it may do next is read from the database (the booth's own record), never assumed.

use crate::gate::GateHandle;
use crate::rig::{HANG, Holder, IN, OUT, TOKEN};
use crate::support::pty::ScannerEnd;
use crate::traffic::{Answer, Attempt, GateEnd, Kind, Source, Traffic, open_sessions};
use clearpark::domain::session::Direction;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

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
