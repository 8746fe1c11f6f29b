//! A gate controller simulated inside the process (`gate = "sim"`): the same simulated lane as
//! `clearpark sim gate` ([`crate::devices::sim::lane`]), fed the booth's commands directly
//! instead of over a serial port, its events passed to the booth as the gate link would.

use crate::booth::{BoothClient, GateCommand, GateSignal};
use crate::devices::gate::host::event_signal;
use crate::devices::gate::protocol::{Command, Report};
use crate::devices::sim::driver::DriverSettings;
use crate::devices::sim::gate::Timings;
use crate::devices::sim::lane::{SimGateConfig, SimLane};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// The in-process gate's behaviour: faster than a real barrier so that a demo moves, with
/// vehicles that come after each opening and now and then a driver who does not.
pub fn lively() -> SimGateConfig {
    SimGateConfig {
        timings: Timings {
            motor_travel: Duration::from_millis(300),
            close_delay: Duration::from_millis(500),
            open_timeout: Duration::from_secs(4),
            debounce: Duration::from_millis(20),
            ..Timings::default()
        },
        drivers: DriverSettings {
            arrive_after: (Duration::from_millis(300), Duration::from_millis(1500)),
            drive_off_after: Duration::from_millis(300),
            crossing_step: Duration::from_millis(300),
            no_show_rate: 0.08,
        },
        auto: true,
        seed: fastrand::u64(..),
    }
}

/// Every vehicle drives straight through, within milliseconds: for tests and benchmarks.
pub fn prompt() -> SimGateConfig {
    SimGateConfig {
        timings: Timings {
            motor_travel: Duration::from_millis(1),
            close_delay: Duration::from_millis(1),
            open_timeout: Duration::from_millis(200),
            debounce: Duration::from_millis(1),
            ..Timings::default()
        },
        drivers: DriverSettings {
            arrive_after: (Duration::from_millis(1), Duration::from_millis(2)),
            drive_off_after: Duration::from_millis(1),
            crossing_step: Duration::from_millis(3),
            no_show_rate: 0.0,
        },
        auto: true,
        seed: 1,
    }
}

/// Runs one simulated controller until shutdown or until the booth's commands stop.
pub async fn run(
    lane: String,
    config: SimGateConfig,
    mut commands: mpsc::UnboundedReceiver<GateCommand>,
    booth: BoothClient,
    shutdown: CancellationToken,
) {
    let start = Instant::now();
    let (mut sim, _ready) = SimLane::start(&config, Duration::ZERO);
    let mut seq: u16 = 0;
    for signal in [GateSignal::Online(true), GateSignal::Closed] {
        if booth.gate(&lane, signal).await.is_err() {
            return;
        }
    }
    loop {
        let deadline = sim.next_deadline().map(|d| start + d);
        let reports = tokio::select! {
            () = shutdown.cancelled() => return,
            () = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            } => sim.advance(start.elapsed()),
            command = commands.recv() => {
                let Some(command) = command else { return };
                seq = seq.wrapping_add(1);
                let command = match command {
                    GateCommand::Open => Command::Open(seq),
                    GateCommand::Close => Command::Close(seq),
                    GateCommand::Hold => Command::Hold(seq),
                    GateCommand::Release => Command::Release(seq),
                };
                sim.command(start.elapsed(), command)
            }
        };
        for report in reports {
            if let Report::Event(event) = report
                && booth.gate(&lane, event_signal(event)).await.is_err()
            {
                return;
            }
        }
    }
}
