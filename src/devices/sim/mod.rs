//! Simulated devices for demos and tests, speaking the real protocols over real pseudo-terminals
//! (and TCP for the printer).
//!
//! * [`gate`] — the gate controller of docs/gate-protocol.md as a pure state machine.
//! * [`driver`] — simulated vehicles moving through a lane's sensors.
//! * [`lane`] — controller, vehicles and hand-set sensors stepped together.
//! * [`script`] — the keys and script lines that drive a simulated gate.
//! * [`gate_port`] — a simulated gate served on a pty (`clearpark sim gate`, the demo).
//! * [`scanner`] — a simulated scanner writing codes on a pty.
//! * [`printer`] — a simulated network printer that decodes the ESC/POS it receives.
//! * [`escpos`] — reads ESC/POS back into text lines, QR codes and cuts.
//! * [`pty`] — pty pairs.
//! * [`harness`] — a gate controller running as a process (the firmware in simavr).

pub mod driver;
pub mod escpos;
pub mod gate;
pub mod gate_port;
pub mod harness;
pub mod lane;
pub mod printer;
pub mod pty;
pub mod scanner;
pub mod script;
