//! The pty lanes: an entrance and an exit whose scanner and gate controller are pseudo-terminals
//! the bench plays (as `benches/lanes.rs` does). A driver thread per lane presents one car
//! every [`PACE`]: it writes the code on the scanner's pty and times it to the `OPEN` line read
//! on the gate's pty; the gate answers `ACK` and `EVT PASSED`, and the next car waits until the
//! booth has taken the passage. The exit's cars come half a [`PACE`] after the entrance's.

use super::gate_end::gate_end;
use super::setup::Cars;
use clearpark::booth::Snapshot;
use clearpark::config::{GateEndpoint, LaneConfig, PrinterEndpoint, ScannerEndpoint};
use clearpark::domain::session::Direction;
use serialport::{SerialPort, TTYPort};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// One car per lane this often (both lanes together: 10 scans/s).
pub const PACE: Duration = Duration::from_millis(200);
/// Longer than this without an `OPEN` (or without the booth taking the passage) is a failure.
const PATIENCE: Duration = Duration::from_secs(10);

pub const IDLE: u8 = 0;
pub const SOAK: u8 = 1;
pub const STOP: u8 = 2;

/// Which phase the run is in; each scan is counted in the phase it started in.
#[derive(Debug, Default)]
pub struct Phase(AtomicU8);

impl Phase {
    pub fn set(&self, phase: u8) {
        self.0.store(phase, Ordering::SeqCst);
    }

    pub fn get(&self) -> u8 {
        self.0.load(Ordering::SeqCst)
    }
}

fn pty() -> (TTYPort, TTYPort, PathBuf) {
    let (master, slave) = TTYPort::pair().unwrap();
    let path = PathBuf::from(slave.name().unwrap());
    (master, slave, path)
}

/// A lane whose far ends the bench holds.
pub struct PtyLane {
    index: usize,
    direction: Direction,
    scanner: TTYPort,
    opens: mpsc::Receiver<Instant>,
    /// The console's ends, kept open until the lane is dropped.
    _slaves: (TTYPort, TTYPort),
}

/// Opens the ptys of lane `index` (`id`) and starts its gate controller.
pub fn open(index: usize, id: &str, direction: Direction) -> (PtyLane, LaneConfig) {
    let (scanner, scanner_slave, scanner_path) = pty();
    let (gate, gate_slave, gate_path) = pty();
    let (opens_tx, opens) = mpsc::channel();
    gate_end(gate, opens_tx);
    let config = LaneConfig {
        id: id.into(),
        name: id.into(),
        direction,
        scanner: ScannerEndpoint::Serial(scanner_path),
        gate: GateEndpoint::Serial(gate_path),
        printer: PrinterEndpoint::None,
    };
    let lane = PtyLane {
        index,
        direction,
        scanner,
        opens,
        _slaves: (scanner_slave, gate_slave),
    };
    (lane, config)
}

/// What a lane's driver measured.
#[derive(Debug, Default)]
pub struct LaneReport {
    /// Scan bytes written → `OPEN` read, by the phase the scan started in.
    pub idle: Vec<Duration>,
    pub soak: Vec<Duration>,
    /// No `OPEN` within [`PATIENCE`], or the booth never took the passage.
    pub failures: usize,
    /// A turn with no car to present (none outside, or none parked).
    pub starved: usize,
}

/// Drives `lane` until the phase is [`STOP`]: one car per [`PACE`], late turns delayed rather
/// than bunched.
pub fn drive(
    mut lane: PtyLane,
    cars: Arc<Cars>,
    snapshots: watch::Receiver<Snapshot>,
    phase: Arc<Phase>,
    expected: usize,
) -> JoinHandle<LaneReport> {
    std::thread::spawn(move || {
        let mut report = LaneReport {
            idle: Vec::with_capacity(expected),
            soak: Vec::with_capacity(expected),
            ..LaneReport::default()
        };
        // The second lane half a pace behind the first: started together, the two lanes'
        // scans reached the booth within a millisecond of each other every turn, and one always
        // waited for the other's commit (scripts/scan-hops.py, 2026-12-05) - in both phases,
        // which hid part of what the load adds. Cars at two lanes do not keep step.
        let mut next = Instant::now() + PACE / 2 * u32::try_from(lane.index).unwrap();
        loop {
            let now = Instant::now();
            if next > now {
                std::thread::sleep(next - now);
            }
            next = next.max(Instant::now() - PACE) + PACE;
            let started_in = phase.get();
            if started_in == STOP {
                break;
            }
            let taken = match lane.direction {
                Direction::Entrance => cars.take_outside(),
                Direction::Exit => cars.take_parked(),
            };
            let Some(code) = taken else {
                report.starved += 1;
                continue;
            };
            while lane.opens.try_recv().is_ok() {}
            let line = format!("{code}\r");
            tracing::trace!(target: "clearpark::scan_path", lane = lane.index, "bench: code written");
            let t = Instant::now();
            lane.scanner.write_all(line.as_bytes()).unwrap();
            let Ok(opened) = lane.opens.recv_timeout(PATIENCE) else {
                report.failures += 1;
                continue;
            };
            let latency = opened.duration_since(t);
            // The next car meets an idle lane: the booth has taken the passage.
            let deadline = Instant::now() + PATIENCE;
            while !snapshots.borrow().lanes[lane.index].pending.is_empty() {
                if Instant::now() > deadline {
                    report.failures += 1;
                    break;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            match lane.direction {
                Direction::Entrance => cars.entered(code),
                Direction::Exit => cars.left(code),
            }
            match started_in {
                IDLE => report.idle.push(latency),
                _ => report.soak.push(latency),
            }
        }
        report
    })
}

/// Waits until every pty lane's scanner and gate are online.
pub fn wait_online(snapshots: &watch::Receiver<Snapshot>, lanes: usize) {
    let ready = Instant::now();
    while !snapshots.borrow().lanes[..lanes]
        .iter()
        .all(|l| l.gate.online == Some(true) && l.scanner_online == Some(true))
    {
        assert!(
            ready.elapsed() < PATIENCE,
            "the pty lanes never came online"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}
