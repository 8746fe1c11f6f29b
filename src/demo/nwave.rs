//! The demo's simulated Nwave sensors: a replayed day that began twelve hours ago, its past
//! applied at start and the rest sent as it happens, in batches through the booth, the same
//! apply code the RabbitMQ consumer uses, without a broker.

use crate::booth::{BoothClient, NwaveDelivery, NwaveLink, Snapshot};
use crate::config::NwaveSettings;
use crate::domain::nwave::{DeliveryOrigin, OverstayLimits};
use crate::nwave::replay::{self, ReplayPlan, Sent};
use chrono::{DurationRound, TimeDelta};
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// Bay sensors on the demo site.
pub const DEMO_BAYS: usize = 96;
/// Past messages applied per batch at start.
const CATCH_UP_BATCH: usize = 250;
/// The link's beat: refreshes overstay on screen.
const BEAT: Duration = Duration::from_secs(15);
/// How long the first log of the bays waits for the summary after the catch-up.
const SUMMARY_PATIENCE: Duration = Duration::from_secs(5);

/// The demo's `[nwave]`: no broker; two hours' stay, thirty minutes on the first open bay.
pub fn settings() -> NwaveSettings {
    NwaveSettings {
        broker: None,
        keep_days: crate::config::DEFAULT_KEEP_DAYS,
        limits: OverstayLimits {
            default_minutes: Some(120),
            by_group: [("2003".to_string(), 30)].into(),
        },
    }
}

fn deliveries(sent: &[Sent]) -> Vec<NwaveDelivery> {
    sent.iter()
        .map(|s| NwaveDelivery {
            payload: s.message.to_vendor_json(),
            origin: DeliveryOrigin {
                exchange: None,
                routing_key: Some("demo".into()),
            },
        })
        .collect()
}

/// Logs the site's occupancy (the headless demo's view of the sensors).
fn log_occupancy(snapshots: &watch::Receiver<Snapshot>) {
    if let Some(view) = &snapshots.borrow().nwave {
        let t = &view.occupancy.total;
        tracing::info!(
            "Nwave: {} bays, {} taken, {} free; overstaying {} certain, {} possible",
            t.positions,
            t.taken,
            t.free,
            t.overstay_certain,
            t.overstay_possible
        );
    }
}

/// Runs until shutdown or until the booth stops.
pub async fn feed(
    booth: BoothClient,
    snapshots: watch::Receiver<Snapshot>,
    shutdown: CancellationToken,
    seed: u64,
) {
    let now = crate::booth::clock::now();
    let mut plan = ReplayPlan::new(seed, DEMO_BAYS, now - TimeDelta::hours(12));
    plan.hours = 24;
    let messages = replay::generate(&plan).messages;
    let due = messages.partition_point(|s| s.at <= now);
    if booth.nwave_link(NwaveLink::Simulated).await.is_err() {
        return;
    }
    for chunk in messages[..due].chunks(CATCH_UP_BATCH) {
        if shutdown.is_cancelled() || booth.nwave_batch(deliveries(chunk)).await.is_err() {
            return;
        }
    }
    tracing::info!(
        applied = due,
        to_come = messages.len() - due,
        "simulated Nwave sensors caught up"
    );
    // The summary comes from a thread of its own, and its time is the booth's clock (whole
    // seconds): a beat in the next second, and the first summary of that second or later,
    // counts every bay the catch-up set.
    let ended = crate::booth::clock::now();
    let caught_up_at =
        ended.duration_trunc(TimeDelta::seconds(1)).unwrap_or(ended) + TimeDelta::seconds(1);
    tokio::time::sleep(
        (caught_up_at - crate::booth::clock::now())
            .to_std()
            .unwrap_or_default(),
    )
    .await;
    if booth.nwave_link(NwaveLink::Simulated).await.is_err() {
        return;
    }
    let mut summaries = snapshots.clone();
    let made = summaries.wait_for(|s| {
        let at = s.nwave.as_ref().and_then(|v| v.occupancy.at);
        at.is_some_and(|at| at >= caught_up_at)
    });
    if tokio::time::timeout(SUMMARY_PATIENCE, made).await.is_err() {
        tracing::warn!("the bays' summary is late: the counts below may be old");
    }
    log_occupancy(&snapshots);
    let mut beats = 0u32;
    let mut next = due;
    let mut beat = tokio::time::interval(BEAT);
    while next < messages.len() {
        let wait = (messages[next].at - crate::booth::clock::now())
            .to_std()
            .unwrap_or_default();
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = beat.tick() => {
                if booth.nwave_link(NwaveLink::Simulated).await.is_err() {
                    return;
                }
                beats += 1;
                if beats.is_multiple_of(4) {
                    log_occupancy(&snapshots);
                }
                continue;
            }
            () = tokio::time::sleep(wait) => {}
        }
        let now = crate::booth::clock::now();
        let end = next + messages[next..].partition_point(|s| s.at <= now);
        if end > next {
            if booth
                .nwave_batch(deliveries(&messages[next..end]))
                .await
                .is_err()
            {
                return;
            }
            next = end;
        }
    }
}
