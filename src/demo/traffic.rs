//! Simulated traffic for the demo: drivers scanning in and out, walk-ins taking tickets and
//! paying, now and then an unknown, invalid or blocked code. It acts only through the booth's
//! client, exactly as scanners and the attendant do.

use super::DemoCode;
use crate::booth::{
    AttendantCommand, AttendantDone, BoothClient, ScanOutcome, ScanSource, Snapshot,
};
use crate::domain::receipt::PaymentMethod;
use crate::domain::session::Refusal;
use std::collections::HashMap;
use std::time::{Duration, Instant};
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
}

/// How long a driver waits behind a busy barrier before the demo moves on anyway.
const QUEUE_PATIENCE: Duration = Duration::from_secs(15);
/// A car stays at least this long before the traffic lets it leave.
const MIN_STAY: Duration = Duration::from_secs(5);

/// Runs until shutdown or until the booth stops.
pub async fn run(
    plan: TrafficPlan,
    codes: Vec<DemoCode>,
    booth: BoothClient,
    mut snapshots: watch::Receiver<Snapshot>,
    shutdown: CancellationToken,
) {
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
            0..=3 => scan(&booth, &plan.entrance_lane, "NOT-A-KNOWN-CODE")
                .await
                .map(drop),
            4..=5 => scan(&booth, &plan.exit_lane, "bad\u{1b}[2Jcode")
                .await
                .map(drop),
            6..=7 => match codes.iter().find(|c| c.blocked) {
                Some(c) => scan(&booth, &plan.entrance_lane, &c.code).await.map(drop),
                None => Ok(()),
            },
            8..=15 => walk_in(&booth, &plan.entrance_lane, &mut tickets_inside).await,
            16..=23 if !tickets_inside.is_empty() => {
                let code = tickets_inside.remove(fastrand::usize(..tickets_inside.len()));
                pay_and_leave(&booth, &plan.exit_lane, &code).await
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
                match scan(&booth, lane, &pick.code).await {
                    Ok(
                        ScanOutcome::Entered { .. } | ScanOutcome::Refused(Refusal::AlreadyInside),
                    ) => {
                        inside.insert(pick.code.clone(), Instant::now());
                        Ok(())
                    }
                    Ok(ScanOutcome::Exited { .. } | ScanOutcome::Refused(Refusal::NotInside)) => {
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

async fn scan(booth: &BoothClient, lane: &str, code: &str) -> Result<ScanOutcome, ()> {
    booth
        .scan(lane, code.as_bytes().to_vec(), ScanSource::Sim)
        .await
        .map(|d| d.outcome)
        .map_err(drop)
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

async fn pay_and_leave(booth: &BoothClient, lane: &str, code: &str) -> Result<(), ()> {
    if let ScanOutcome::AwaitingPayment { .. } = scan(booth, lane, code).await? {
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
