//! The gate controller (docs/contracts.md §4, docs/gate-protocol.md) from the console's side.
//!
//! * [`protocol`] — the line codec: checksums, framing, commands and reports. Pure.
//! * [`host`] — the console's side of the conversation as a pure state machine.
//! * [`link`] — runs [`host`] over a serial port and reports to the booth.

pub mod host;
pub mod link;
pub mod protocol;
