//! Simulated traffic for the demo: drivers scanning in and out, walk-ins taking tickets and
//! paying, now and then an unknown, invalid or blocked code. It acts only as scanners and the
//! attendant do: codes go through the lanes' scanners (pty scanners, [`ScannerFeed`]) or,
//! without them, through the booth's client; the attendant's commands through the client.

use super::DemoCode;
use crate::booth::{
    Activity, ActivityKind, AttendantCommand, AttendantDone, BoothClient, ScanOutcome, ScanSource,
    Snapshot,
};
use crate::devices::sim::scanner::SimScanner;
use crate::domain::receipt::PaymentMethod;
use crate::domain::session::Refusal;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::broadcast;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// Who the simulated attendant is in the audit log.
pub const DEMO_ATTENDANT: &str = "demo-attendant";

#[derive(Debug, Clone)]
pub struct TrafficPlan {
    pub entrance_lane: String,
    pub exit_lane: String,
    /// Pause between two arrivals, drawn between these.
    pub pace: (Duration, Duration),
    /// The lanes' scanners; `None`: codes go straight to the booth.
    pub scanners: Option<ScannerFeed>,
}

/// Lanes' simulated serial scanners, and the booth's activity where their scans' decisions
/// show up (a serial scanner gets no answer: the gate is the answer).
pub struct ScannerFeed {
    lanes: HashMap<String, Arc<SimScanner>>,
    activity: broadcast::Receiver<Activity>,
}

impl ScannerFeed {
    pub fn new(
        lanes: HashMap<String, Arc<SimScanner>>,
        activity: broadcast::Receiver<Activity>,
    ) -> ScannerFeed {
        ScannerFeed { lanes, activity }
    }

    /// Scans `code` at `lane` and waits for the booth's decision. `None` when none came (the
    /// scanner dropped a repeat, or the lane has no scanner).
    async fn scan(&mut self, lane: &str, code: &str) -> Result<Option<ScanOutcome>, ()> {
        let Some(scanner) = self.lanes.get(lane) else {
            return Ok(None);
        };
        // Decisions before this scan are not its answer.
        self.activity = self.activity.resubscribe();
        if let Err(e) = scanner.scan(code.as_bytes()).await {
            tracing::warn!(lane, error = %e, "demo scanner failed");
            return Ok(None);
        }
        let wait = tokio::time::sleep(DECISION_PATIENCE);
        tokio::pin!(wait);
        loop {
            let activity = tokio::select! {
                () = &mut wait => return Ok(None),
                a = self.activity.recv() => a,
            };
            match activity {
                Ok(Activity {
                    lane: Some(at),
                    kind:
                        ActivityKind::Scan {
                            source: ScanSource::Scanner,
                            decided,
                            ..
                        },
                    ..
                }) if at == lane => return Ok(Some(decided.outcome)),
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return Err(()),
            }
        }
    }
}

impl Clone for ScannerFeed {
    fn clone(&self) -> Self {
        ScannerFeed {
            lanes: self.lanes.clone(),
            activity: self.activity.resubscribe(),
        }
    }
}

impl std::fmt::Debug for ScannerFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScannerFeed")
            .field("lanes", &self.lanes.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// How long a driver waits behind a busy barrier before the demo moves on anyway.
const QUEUE_PATIENCE: Duration = Duration::from_secs(15);
/// A car stays at least this long before the traffic lets it leave.
const MIN_STAY: Duration = Duration::from_secs(5);
/// How long to wait for the decision on a code presented at a scanner.
const DECISION_PATIENCE: Duration = Duration::from_secs(3);

/// Runs until shutdown or until the booth stops.
pub async fn run(
    plan: TrafficPlan,
    codes: Vec<DemoCode>,
    booth: BoothClient,
    mut snapshots: watch::Receiver<Snapshot>,
    shutdown: CancellationToken,
) {
    let mut scanners = plan.scanners.clone();
    let long_ago = Instant::now()
        .checked_sub(MIN_STAY)
        .unwrap_or_else(Instant::now);
    let mut inside: HashMap<String, Instant> = codes
        .iter()
        .filter(|c| c.inside)
        .map(|c| (c.code.clone(), long_ago))
        .collect();
    let mut tickets_inside: Vec<String> = Vec::new();
    loop {
        let (lo, hi) = plan.pace;
        let pause = lo + hi.saturating_sub(lo).mul_f64(fastrand::f64());
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(pause) => {}
        }
        // One vehicle at a barrier at a time: the next reaches the scanner once it is clear.
        for lane in [&plan.entrance_lane, &plan.exit_lane] {
            let idle = |s: &Snapshot| {
                s.lanes
                    .iter()
                    .find(|l| &l.id == lane)
                    .is_none_or(|l| l.pending.is_empty() && l.awaiting_payment.is_none())
            };
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = tokio::time::timeout(QUEUE_PATIENCE, snapshots.wait_for(idle)) => {}
            }
        }
        let roll = fastrand::u32(0..100);
        let result = match roll {
            0..=3 => scan(
                &booth,
                &mut scanners,
                &plan.entrance_lane,
                "NOT-A-KNOWN-CODE",
            )
            .await
            .map(drop),
            4..=5 => scan(&booth, &mut scanners, &plan.exit_lane, "bad\u{1b}[2Jcode")
                .await
                .map(drop),
            6..=7 => match codes.iter().find(|c| c.blocked) {
                Some(c) => scan(&booth, &mut scanners, &plan.entrance_lane, &c.code)
                    .await
                    .map(drop),
                None => Ok(()),
            },
            8..=15 => walk_in(&booth, &plan.entrance_lane, &mut tickets_inside).await,
            16..=23 if !tickets_inside.is_empty() => {
                let code = tickets_inside.remove(fastrand::usize(..tickets_inside.len()));
                pay_and_leave(&booth, &mut scanners, &plan.exit_lane, &code).await
            }
            _ => {
                // A car leaves more often when the car park is filling up.
                let leave =
                    !inside.is_empty() && fastrand::usize(0..codes.len()) < inside.len() + 2;
                let candidates: Vec<&DemoCode> = codes
                    .iter()
                    .filter(|c| !c.blocked)
                    .filter(|c| match inside.get(&c.code) {
                        Some(since) => leave && since.elapsed() >= MIN_STAY,
                        None => !leave,
                    })
                    .collect();
                if candidates.is_empty() {
                    continue;
                }
                let pick = candidates[fastrand::usize(..candidates.len())];
                let lane = if leave {
                    &plan.exit_lane
                } else {
                    &plan.entrance_lane
                };
                match scan(&booth, &mut scanners, lane, &pick.code).await {
                    Ok(Some(
                        ScanOutcome::Entered { .. } | ScanOutcome::Refused(Refusal::AlreadyInside),
                    )) => {
                        inside.insert(pick.code.clone(), Instant::now());
                        Ok(())
                    }
                    Ok(Some(
                        ScanOutcome::Exited { .. } | ScanOutcome::Refused(Refusal::NotInside),
                    )) => {
                        inside.remove(&pick.code);
                        Ok(())
                    }
                    Ok(_) => Ok(()),
                    Err(()) => Err(()),
                }
            }
        };
        if result.is_err() {
            return;
        }
    }
}

/// Presents a code at a lane; its decision, or `None` when none was heard. `Err` when the
/// booth is gone.
async fn scan(
    booth: &BoothClient,
    scanners: &mut Option<ScannerFeed>,
    lane: &str,
    code: &str,
) -> Result<Option<ScanOutcome>, ()> {
    match scanners {
        Some(feed) => feed.scan(lane, code).await,
        None => booth
            .scan(lane, code.as_bytes().to_vec(), ScanSource::Sim)
            .await
            .map(|d| Some(d.outcome))
            .map_err(drop),
    }
}

async fn walk_in(booth: &BoothClient, lane: &str, tickets: &mut Vec<String>) -> Result<(), ()> {
    let command = AttendantCommand::IssueTicket {
        lane: lane.to_owned(),
    };
    if let Ok(AttendantDone::TicketIssued { code, .. }) = booth
        .attendant(DEMO_ATTENDANT, command)
        .await
        .map_err(drop)?
    {
        tickets.push(code);
    }
    Ok(())
}

async fn pay_and_leave(
    booth: &BoothClient,
    scanners: &mut Option<ScannerFeed>,
    lane: &str,
    code: &str,
) -> Result<(), ()> {
    if let Some(ScanOutcome::AwaitingPayment { .. }) = scan(booth, scanners, lane, code).await? {
        tokio::time::sleep(Duration::from_millis(800)).await;
        let method = if fastrand::bool() {
            PaymentMethod::Cash
        } else {
            PaymentMethod::Card
        };
        let command = AttendantCommand::RecordPayment {
            lane: lane.to_owned(),
            method,
        };
        let _ = booth
            .attendant(DEMO_ATTENDANT, command)
            .await
            .map_err(drop)?;
    }
    Ok(())
}
