//! The lanes' devices: each lane's scanner, gate and printer run as tasks of their own, fed by
//! the booth's effects through [`run`]'s router, and report back to the booth as events.
//!
//! * [`gate`] — the gate controller's protocol and the serial link to it.
//! * [`scanner`] — serial QR scanners.
//! * [`printer`] — ESC/POS rendering and the print queue (file, TCP, serial).
//! * [`serial`] — blocking serial ports bridged to async tasks.
//! * [`lines`] — the bounded line splitter both serial protocols use.
//! * [`sim`] — simulated devices: the gate controller, scanner and printer behind
//!   `clearpark sim` and the demo.
//! * [`sim_gate`] — the simulated gate controller inside the process (`gate = "sim"`).

pub mod gate;
pub mod lines;
pub mod printer;
pub mod scanner;
pub mod serial;
pub mod sim;
pub mod sim_gate;

use crate::booth::{BoothClient, Effect, GateCommand, PrintJob};
use crate::config::{GateEndpoint, LaneConfig, ScannerEndpoint, SerialSpec};
use std::collections::HashMap;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// Options for the devices a config does not describe (the simulations' behaviour).
#[derive(Debug, Clone)]
pub struct DeviceOptions {
    /// How `gate = "sim"` lanes behave.
    pub sim_gate: sim::lane::SimGateConfig,
}

impl Default for DeviceOptions {
    fn default() -> Self {
        DeviceOptions {
            sim_gate: sim_gate::lively(),
        }
    }
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
            GateEndpoint::Serial(path) => match SerialSpec::of(path) {
                Ok(spec) => {
                    let (tx, rx) = mpsc::unbounded_channel();
                    gates.insert(lane.id.clone(), tx);
                    // The link's state machine logs without the lane; the span names it.
                    let span = tracing::info_span!("gate", lane = %lane.id);
                    tasks.spawn(
                        gate::link::run(lane.id.clone(), spec, rx, booth.clone(), shutdown.clone())
                            .instrument(span),
                    );
                }
                Err(e) => tracing::error!(lane = lane.id, error = e, "gate not started"),
            },
        }
        if let ScannerEndpoint::Serial(path) = &lane.scanner {
            match SerialSpec::of(path) {
                Ok(spec) => {
                    tasks.spawn(scanner::run(
                        lane.id.clone(),
                        spec,
                        booth.clone(),
                        shutdown.clone(),
                    ));
                }
                Err(e) => tracing::error!(lane = lane.id, error = e, "scanner not started"),
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
