//! A simulated gate controller on a serial port: `clearpark sim gate` and the demo's gates.
//! Lines from the console go to a [`SimLane`]; its reports go back as framed lines.

use super::lane::{SimGateConfig, SimLane};
use super::pty::Pty;
use super::script::GateInput;
use crate::devices::gate::protocol::{self, GateState, Report};
use crate::devices::lines::Piece;
use std::io;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// What the simulator did, for its screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// A valid line from the console (its body).
    Received(String),
    /// A line dropped: bad framing or checksum, or too long.
    Dropped(String),
    /// A line sent (its body).
    Sent(String),
    /// The sensors changed (presence, beam).
    Sensors(bool, bool),
    /// The relay output: once at start, then on every change.
    Relay(bool),
    /// The watchdog restarted the controller.
    Reset,
    /// Asked for with the `state` input.
    State {
        state: GateState,
        expected: u8,
        held: bool,
        relay: bool,
    },
}

/// Serves one simulated gate on `pty` until shutdown or until its port fails. `inputs` drive
/// the sensors by hand; `notes`, when given, hear about every line and change.
pub async fn serve(
    mut pty: Pty,
    config: SimGateConfig,
    mut inputs: mpsc::UnboundedReceiver<GateInput>,
    notes: Option<mpsc::UnboundedSender<Note>>,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let start = Instant::now();
    let note = |n: Note| {
        if let Some(notes) = &notes {
            let _ = notes.send(n);
        }
    };
    let (mut lane, mut out) = SimLane::start(&config, Duration::ZERO);
    let mut splitter = protocol::splitter();
    let mut levels = lane.levels();
    let mut relay = false;
    let mut resets = 0;
    note(Note::Relay(relay));
    let mut inputs_open = true;
    loop {
        if lane.resets() != resets {
            resets = lane.resets();
            note(Note::Reset);
            // The outputs float during a reset: the relay drops.
            if relay {
                relay = false;
                note(Note::Relay(false));
            }
        }
        if lane.controller().relay() != relay {
            relay = !relay;
            note(Note::Relay(relay));
        }
        for report in out.drain(..) {
            match report.line() {
                Ok(line) => pty.port.write(&line).await?,
                Err(e) => tracing::error!(error = %e, "simulated gate cannot send a line"),
            }
            note(Note::Sent(report.to_string()));
        }
        if lane.levels() != levels {
            levels = lane.levels();
            note(Note::Sensors(levels.0, levels.1));
        }
        let deadline = lane.next_deadline().map(|d| start + d);
        tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            read = pty.port.read() => {
                let bytes = read?;
                let now = start.elapsed();
                for piece in splitter.push(&bytes) {
                    match piece {
                        Piece::Line(line) => {
                            match protocol::unframe(&line) {
                                Ok(body) => note(Note::Received(body.to_owned())),
                                Err(e) => note(Note::Dropped(format!(
                                    "{:?}: {e}",
                                    String::from_utf8_lossy(&line)
                                ))),
                            }
                            out.extend(lane.line(now, &line));
                        }
                        Piece::Overlong { len, .. } => {
                            note(Note::Dropped(format!("a line of {len} bytes")));
                        }
                    }
                }
            }
            input = inputs.recv(), if inputs_open => match input {
                Some(input) => {
                    let now = start.elapsed();
                    out.extend(lane.input(now, input));
                    if input == GateInput::State {
                        let c = lane.controller();
                        note(Note::State {
                            state: c.state(),
                            expected: c.expected(),
                            held: c.held(),
                            relay: c.relay(),
                        });
                    }
                }
                None => inputs_open = false,
            },
            () = sleep_until(deadline) => out.extend(lane.advance(start.elapsed())),
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Reports a note as one line of text for a terminal. `RELAY 0|1` and `RESET` are the lines the
/// firmware's simavr harness prints; the others start with `<-`, `->` or spaces.
pub fn describe(note: &Note) -> String {
    match note {
        Note::Received(body) => format!("<- {body}"),
        Note::Dropped(why) => format!("<- dropped {why}"),
        Note::Sent(body) => format!("-> {body}"),
        Note::Relay(on) => format!("RELAY {}", u8::from(*on)),
        Note::Reset => "RESET".into(),
        Note::Sensors(presence, beam) => format!(
            "   loop {}  beam {}",
            if *presence { "VEHICLE" } else { "clear" },
            if *beam { "BROKEN" } else { "clear" }
        ),
        Note::State {
            state,
            expected,
            held,
            relay,
        } => format!(
            "   {}  expected {expected}  hold {}  relay {}",
            Report::State(*state),
            if *held { "on" } else { "off" },
            if *relay { "on" } else { "off" }
        ),
    }
}
