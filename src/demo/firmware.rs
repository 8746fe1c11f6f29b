//! `clearpark demo --firmware`: the demo's gates are the real gate firmware running in simavr
//! (firmware/sim), one process per lane, instead of the console's own simulator. Vehicles are
//! simulated here: for every gate cycle the booth starts on a lane, a car drives onto the loop,
//! waits for the barrier, breaks the beam and leaves, by setting the harness's sensor inputs;
//! now and then nobody comes and the firmware times out.

use crate::booth::Snapshot;
use crate::config::{Config, GateEndpoint};
use crate::devices::sim::harness::{ControllerProcess, HarnessError};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// Share of gate cycles nobody drives through.
const NO_SHOW_RATE: f64 = 0.05;
/// How long a car waits at a barrier that does not rise before it gives up.
const PATIENCE: Duration = Duration::from_secs(10);

/// The simavr harness and the firmware image built for simulation.
#[derive(Debug, Clone)]
pub struct FirmwareFiles {
    pub harness: PathBuf,
    pub elf: PathBuf,
}

impl FirmwareFiles {
    /// Looks in `firmware_dir` (the repository's `firmware/`) for the built harness and image.
    pub fn find(firmware_dir: &Path) -> Result<FirmwareFiles, String> {
        let files = FirmwareFiles {
            harness: firmware_dir.join("build/sim/gate-sim"),
            elf: firmware_dir.join("build/gate-sim.elf"),
        };
        for f in [&files.harness, &files.elf] {
            if !f.exists() {
                return Err(format!(
                    "{} is missing: build the firmware and its simulator first \
                     (scripts/install-test-deps; make -C firmware && make -C firmware/sim)",
                    f.display()
                ));
            }
        }
        Ok(files)
    }
}

/// Starts a firmware process for every lane with a gate and points the lane's gate at its pty.
pub async fn start_gates(
    files: &FirmwareFiles,
    config: &mut Config,
) -> Result<Vec<(String, ControllerProcess)>, HarnessError> {
    let mut gates = Vec::new();
    let elf = files.elf.display().to_string();
    for lane in &mut config.lanes {
        if lane.gate == GateEndpoint::None {
            continue;
        }
        let process = ControllerProcess::spawn(&files.harness, &[elf.as_str()]).await?;
        lane.gate = GateEndpoint::Serial(process.pty.clone());
        gates.push((lane.id.clone(), process));
    }
    Ok(gates)
}

/// Drives the vehicles of one lane until shutdown: one car per gate cycle the booth starts.
pub async fn drive(
    lane: String,
    mut gate: ControllerProcess,
    mut snapshots: watch::Receiver<Snapshot>,
    shutdown: CancellationToken,
) {
    let mut seen: HashSet<i64> = HashSet::new();
    let mut rng = fastrand::Rng::new();
    loop {
        let new: Vec<i64> = {
            let snap = snapshots.borrow_and_update();
            let pending = snap
                .lanes
                .iter()
                .find(|l| l.id == lane)
                .map(|l| l.pending.clone())
                .unwrap_or_default();
            seen.retain(|id| pending.contains(id));
            pending.into_iter().filter(|id| seen.insert(*id)).collect()
        };
        for _ in new {
            if rng.f64() < NO_SHOW_RATE {
                continue;
            }
            let arrive = Duration::from_millis(rng.u64(200..1200));
            let passed = tokio::select! {
                () = shutdown.cancelled() => return,
                r = vehicle(&mut gate, arrive) => r,
            };
            if let Err(e) = passed {
                tracing::warn!(lane, error = %e, "the simulated firmware stopped answering");
                return;
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            changed = snapshots.changed() => if changed.is_err() { return },
        }
    }
}

/// One car: onto the loop, wait for the barrier, through the beam, away.
async fn vehicle(gate: &mut ControllerProcess, arrive: Duration) -> Result<(), HarnessError> {
    let step = Duration::from_millis(300);
    tokio::time::sleep(arrive).await;
    gate.control("presence 1").await?;
    let mut relay = gate.relay();
    let up = matches!(
        tokio::time::timeout(PATIENCE, relay.wait_for(|on| *on)).await,
        Ok(Ok(_))
    );
    if !up {
        // The barrier never rose for it (the cycle timed out): the car backs away.
        gate.control("presence 0").await?;
        return Ok(());
    }
    tokio::time::sleep(step).await;
    gate.control("beam 1").await?;
    tokio::time::sleep(step).await;
    gate.control("presence 0").await?;
    tokio::time::sleep(step).await;
    gate.control("beam 0").await?;
    Ok(())
}
