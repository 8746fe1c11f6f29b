//! The lanes' devices: each lane's gate and printer run as tasks of their own, fed by the
//! booth's effects through [`start`]'s router, and report back to the booth as events.
//!
//! * [`printer`] — ESC/POS rendering and the print queue (file, TCP, serial).
//! * [`sim_gate`] — an in-process simulated gate controller (`gate = "sim"`).

pub mod printer;
pub mod sim_gate;

use crate::booth::{BoothClient, Effect, GateCommand, PrintJob};
use crate::config::{GateEndpoint, LaneConfig};
use std::collections::HashMap;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Options for the devices a config does not describe (the simulations' behaviour).
#[derive(Debug, Clone, Default)]
pub struct DeviceOptions {
    pub sim_gate: sim_gate::SimGateBehaviour,
}

/// Starts every lane's devices and routes the booth's effects to them. Returns when all have
/// stopped (shutdown, or the booth's effect channel closed).
pub async fn run(
    lanes: Vec<LaneConfig>,
    options: DeviceOptions,
    mut effects: mpsc::UnboundedReceiver<Effect>,
    booth: BoothClient,
    shutdown: CancellationToken,
) {
    let mut tasks = JoinSet::new();
    let mut gates: HashMap<String, mpsc::UnboundedSender<GateCommand>> = HashMap::new();
    let mut printers: HashMap<String, mpsc::UnboundedSender<PrintJob>> = HashMap::new();
    for lane in lanes {
        match &lane.gate {
            GateEndpoint::None => {}
            GateEndpoint::Sim => {
                let (tx, rx) = mpsc::unbounded_channel();
                gates.insert(lane.id.clone(), tx);
                tasks.spawn(sim_gate::run(
                    lane.id.clone(),
                    options.sim_gate.clone(),
                    rx,
                    booth.clone(),
                    shutdown.clone(),
                ));
            }
            GateEndpoint::Serial(path) => {
                tracing::error!(lane = lane.id, path = %path.display(), "serial gates are not supported by this build");
            }
        }
        if let Some(output) = printer::Output::from_endpoint(&lane.printer) {
            let (tx, rx) = mpsc::unbounded_channel();
            printers.insert(lane.id.clone(), tx);
            tasks.spawn(printer::run(
                lane.id.clone(),
                output,
                rx,
                booth.clone(),
                shutdown.clone(),
            ));
        }
    }
    loop {
        let effect = tokio::select! {
            () = shutdown.cancelled() => break,
            e = effects.recv() => match e { Some(e) => e, None => break },
        };
        match effect {
            Effect::Gate { lane, command } => match gates.get(&lane) {
                Some(gate) => {
                    let _ = gate.send(command);
                }
                None => tracing::warn!(lane, ?command, "no gate on this lane"),
            },
            Effect::Print { lane, job } => match printers.get(&lane) {
                Some(printer) => {
                    let _ = printer.send(job);
                }
                None => tracing::warn!(lane, reference = job.reference, "no printer on this lane"),
            },
        }
    }
    drop(gates);
    drop(printers);
    shutdown.cancel();
    while tasks.join_next().await.is_some() {}
}
