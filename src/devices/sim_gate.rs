//! A gate controller simulated inside the process (`gate = "sim"`): it answers the booth's
//! commands with the signals a real controller's events become, with a driver who sometimes
//! does not drive through. For demos and tests that need no serial port.

use crate::booth::{BoothClient, GateCommand, GateSignal};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};
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

/// A vehicle the simulated barrier was opened for.
#[derive(Debug, Clone, Copy)]
enum Arrival {
    /// Drives through at this moment.
    At(Instant),
    /// Never comes; the barrier gives up at the open timeout.
    NoShow,
}

/// Runs one simulated controller until shutdown or until the booth's commands stop.
/// Each OPEN expects one vehicle; vehicles go through in order, and when the first expected
/// vehicle does not come, the barrier closes at the timeout with `TimedOut`, as the firmware does.
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
    let mut open = false;
    let mut held = false;
    let mut expected: VecDeque<Arrival> = VecDeque::new();
    // When the barrier gives up on the vehicle at the front of the queue.
    let mut give_up_at = Instant::now();
    loop {
        let next = expected.front().map(|a| match a {
            Arrival::At(t) => *t,
            Arrival::NoShow => give_up_at,
        });
        let command = tokio::select! {
            () = shutdown.cancelled() => return,
            () = sleep_until(next.unwrap_or_else(Instant::now)), if next.is_some() => None,
            c = commands.recv() => match c { Some(c) => Some(c), None => return },
        };
        match command {
            Some(GateCommand::Open) => {
                if !open {
                    tokio::time::sleep(behaviour.motion).await;
                    signal(GateSignal::Opened).await;
                    open = true;
                }
                let now = Instant::now();
                if expected.is_empty() {
                    give_up_at = now + behaviour.open_timeout;
                }
                expected.push_back(if fastrand::f64() < behaviour.no_show_rate {
                    Arrival::NoShow
                } else {
                    let (lo, hi) = behaviour.pass_after;
                    let after = lo + hi.saturating_sub(lo).mul_f64(fastrand::f64());
                    // Behind another vehicle, it comes after that one.
                    let behind = expected.back().and_then(|a| match a {
                        Arrival::At(t) => Some(*t),
                        Arrival::NoShow => None,
                    });
                    Arrival::At(behind.unwrap_or(now).max(now) + after)
                });
            }
            Some(GateCommand::Hold) => {
                held = true;
                if !open {
                    tokio::time::sleep(behaviour.motion).await;
                    signal(GateSignal::Opened).await;
                    open = true;
                }
            }
            Some(GateCommand::Release | GateCommand::Close) => {
                held = false;
                if open && expected.is_empty() {
                    tokio::time::sleep(behaviour.motion).await;
                    signal(GateSignal::Closed).await;
                    open = false;
                }
            }
            None => match expected.pop_front() {
                Some(Arrival::At(_)) => {
                    signal(GateSignal::Presence(true)).await;
                    signal(GateSignal::Passed).await;
                    signal(GateSignal::Presence(false)).await;
                    give_up_at = Instant::now() + behaviour.open_timeout;
                    if expected.is_empty() && !held {
                        tokio::time::sleep(behaviour.motion).await;
                        signal(GateSignal::Closed).await;
                        open = false;
                    }
                }
                Some(Arrival::NoShow) => {
                    // Nobody came: the barrier closes, and everyone queued behind is turned away.
                    expected.clear();
                    signal(GateSignal::TimedOut).await;
                    if !held {
                        signal(GateSignal::Closed).await;
                        open = false;
                    }
                }
                None => {}
            },
        }
    }
}
