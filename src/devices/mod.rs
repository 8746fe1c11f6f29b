//! The lanes' devices: each lane's scanner, gate and printer run as tasks of their own, on a
//! thread and runtime kept for the lanes ([`run_on_own_thread`]), fed by the booth's effects
//! through [`run`]'s router, and report back to the booth as events.
//!
//! * [`gate`] — the gate controller's protocol and the serial link to it.
//! * [`scanner`] — serial QR scanners.
//! * [`printer`] — ESC/POS rendering and the print queue (file, TCP, serial).
//! * [`serial`] — serial ports, non-blocking on the runtime's reactor.
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
use std::time::Duration;
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

/// How long the lanes' thread waits, once they stopped, for a port's open still under way on
/// its blocking pool.
const LANES_STOP_PATIENCE: Duration = Duration::from_secs(2);

/// Runs [`run`] on a thread and a single-threaded tokio runtime of their own (`lanes`). A car's
/// scan and its gate's `OPEN` then never wait for a worker of the main runtime busy with HTTP
/// requests, the screen or Nwave deliveries (docs/perf/).
/// The future returned ends when the lanes have stopped (shutdown, or the booth's effect
/// channel closed, or the thread died).
pub fn run_on_own_thread(
    lanes: Vec<LaneConfig>,
    options: DeviceOptions,
    effects: mpsc::UnboundedReceiver<Effect>,
    booth: BoothClient,
    shutdown: CancellationToken,
) -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .thread_name("lanes-blocking")
        .build()?;
    let (stopped_tx, stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::Builder::new()
        .name("lanes".into())
        .spawn(move || {
            runtime.block_on(run(lanes, options, effects, booth, shutdown));
            runtime.shutdown_timeout(LANES_STOP_PATIENCE);
            let _ = stopped_tx.send(());
        })?;
    // A dropped sender (the thread panicked) ends the wait too.
    Ok(async move {
        let _ = stopped.await;
    })
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
                    tracing::trace!(target: "clearpark::scan_path", lane, "gate command routed");
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
