//! A gate controller simulated inside the process (`gate = "sim"`): it answers the booth's
//! commands with the signals a real controller's events become, with a driver who sometimes
//! does not drive through. For demos and tests that need no serial port.

use crate::booth::{BoothClient, GateCommand, GateSignal};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// How the simulated driver and barrier behave.
#[derive(Debug, Clone)]
pub struct SimGateBehaviour {
    /// Barrier travel time.
    pub motion: Duration,
    /// Time from the barrier up to the vehicle through, drawn between these.
    pub pass_after: (Duration, Duration),
    /// Share of openings after which nobody drives through.
    pub no_show_rate: f64,
    /// How long the barrier stays up for a vehicle that never comes.
    pub open_timeout: Duration,
}

impl Default for SimGateBehaviour {
    fn default() -> Self {
        SimGateBehaviour {
            motion: Duration::from_millis(300),
            pass_after: (Duration::from_millis(800), Duration::from_millis(2500)),
            no_show_rate: 0.08,
            open_timeout: Duration::from_secs(4),
        }
    }
}

impl SimGateBehaviour {
    /// Every vehicle drives straight through, quickly: for tests and benchmarks.
    pub fn prompt() -> SimGateBehaviour {
        SimGateBehaviour {
            motion: Duration::from_millis(1),
            pass_after: (Duration::from_millis(1), Duration::from_millis(2)),
            no_show_rate: 0.0,
            open_timeout: Duration::from_millis(50),
        }
    }
}

/// Runs one simulated controller until shutdown or until the booth's commands stop.
pub async fn run(
    lane: String,
    behaviour: SimGateBehaviour,
    mut commands: mpsc::UnboundedReceiver<GateCommand>,
    booth: BoothClient,
    shutdown: CancellationToken,
) {
    let signal = |s: GateSignal| {
        let booth = booth.clone();
        let lane = lane.clone();
        async move {
            let _ = booth.gate(&lane, s).await;
        }
    };
    signal(GateSignal::Online(true)).await;
    signal(GateSignal::Closed).await;
    let mut held = false;
    loop {
        let command = tokio::select! {
            () = shutdown.cancelled() => return,
            c = commands.recv() => match c { Some(c) => c, None => return },
        };
        match command {
            GateCommand::Hold => {
                held = true;
                signal(GateSignal::Opened).await;
            }
            GateCommand::Release | GateCommand::Close => {
                held = false;
                tokio::time::sleep(behaviour.motion).await;
                signal(GateSignal::Closed).await;
            }
            GateCommand::Open => {
                tokio::time::sleep(behaviour.motion).await;
                signal(GateSignal::Opened).await;
                if fastrand::f64() < behaviour.no_show_rate {
                    tokio::time::sleep(behaviour.open_timeout).await;
                    signal(GateSignal::TimedOut).await;
                } else {
                    let (lo, hi) = behaviour.pass_after;
                    let wait = lo + (hi.saturating_sub(lo)).mul_f64(fastrand::f64());
                    tokio::time::sleep(wait).await;
                    signal(GateSignal::Presence(true)).await;
                    signal(GateSignal::Passed).await;
                    signal(GateSignal::Presence(false)).await;
                }
                // Vehicles queued behind (several OPENs) each get their own cycle.
                if !held {
                    tokio::time::sleep(behaviour.motion).await;
                    signal(GateSignal::Closed).await;
                }
            }
        }
    }
}
