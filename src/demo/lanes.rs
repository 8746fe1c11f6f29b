//! The demo's lanes on real serial ports: each lane's gate is the simulated controller served
//! on a pty in auto mode (a vehicle through after each OPEN, now and then a no-show), each
//! scanner a pty the demo traffic writes codes into. The console opens the other ends as it
//! would USB devices, so the demo runs the real gate protocol and scanner reader.

use super::traffic::ScannerFeed;
use crate::booth::Activity;
use crate::config::{Config, GateEndpoint, ScannerEndpoint};
use crate::devices::serial::SerialError;
use crate::devices::sim::driver::DriverSettings;
use crate::devices::sim::gate::Timings;
use crate::devices::sim::gate_port;
use crate::devices::sim::lane::SimGateConfig;
use crate::devices::sim::pty::Pty;
use crate::devices::sim::scanner::{Eol, SimScanner};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

/// The demo gates' behaviour: a brisk barrier, drivers who come within a second or so, and a
/// few who never do (their gate cycle ends in a TIMEOUT and spends a try).
pub fn demo_gate() -> SimGateConfig {
    SimGateConfig {
        timings: Timings {
            motor_travel: Duration::from_millis(600),
            close_delay: Duration::from_millis(800),
            open_timeout: Duration::from_secs(6),
            debounce: Duration::from_millis(30),
            ..Timings::default()
        },
        drivers: DriverSettings {
            arrive_after: (Duration::from_millis(200), Duration::from_millis(1200)),
            drive_off_after: Duration::from_millis(300),
            crossing_step: Duration::from_millis(300),
            no_show_rate: 0.05,
        },
        auto: true,
        seed: fastrand::u64(..),
    }
}

/// One lane's simulated devices and the paths the console opens.
pub struct PtyLane {
    pub lane: String,
    pub gate_path: PathBuf,
    pub scanner_path: PathBuf,
    gate: Pty,
    scanner: Arc<SimScanner>,
}

/// The demo's pty devices, before and while they run.
pub struct PtyLanes {
    pub lanes: Vec<PtyLane>,
}

impl PtyLanes {
    /// Opens a gate pty and a scanner pty for every lane of `config` and points the lane's
    /// scanner and gate at them. Inside a tokio runtime: the simulators' ports live on its reactor.
    pub fn open(config: &mut Config) -> Result<PtyLanes, SerialError> {
        let mut lanes = Vec::new();
        for lane in &mut config.lanes {
            let gate = Pty::open()?;
            let scanner = SimScanner::open(Eol::Cr)?;
            lane.gate = GateEndpoint::Serial(gate.path().to_path_buf());
            lane.scanner = ScannerEndpoint::Serial(scanner.path().to_path_buf());
            lanes.push(PtyLane {
                lane: lane.id.clone(),
                gate_path: gate.path().to_path_buf(),
                scanner_path: scanner.path().to_path_buf(),
                gate,
                scanner: Arc::new(scanner),
            });
        }
        Ok(PtyLanes { lanes })
    }

    /// The scanners, for the traffic to present codes at; it hears the decisions on `activity`.
    pub fn scanner_feed(&self, activity: broadcast::Receiver<Activity>) -> ScannerFeed {
        ScannerFeed::new(
            self.lanes
                .iter()
                .map(|l| (l.lane.clone(), l.scanner.clone()))
                .collect::<HashMap<_, _>>(),
            activity,
        )
    }

    /// The gate simulators, one task per lane, until `shutdown`; the scanners stay with the
    /// traffic (through [`PtyLanes::scanner_feed`]).
    pub fn gates(
        self,
        config: SimGateConfig,
        shutdown: &CancellationToken,
    ) -> Vec<impl Future<Output = ()> + Send + 'static> {
        self.lanes
            .into_iter()
            .map(|lane| {
                let config = SimGateConfig {
                    seed: config.seed.wrapping_add(fastrand::u64(..)),
                    ..config.clone()
                };
                let shutdown = shutdown.clone();
                // No hand inputs: the sender is dropped at once.
                let (_, inputs) = mpsc::unbounded_channel();
                async move {
                    if let Err(e) =
                        gate_port::serve(lane.gate, config, inputs, None, shutdown).await
                    {
                        tracing::error!(lane = lane.lane, error = %e, "demo gate stopped");
                    }
                }
            })
            .collect()
    }
}
