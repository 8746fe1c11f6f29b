//! The booth's rules as pure functions and types. Nothing here does I/O or reads the clock: the
//! booth passes in what the store holds and the time, and writes back what the rules decide.
//!
//! * [`pricing`] — per-minute price of a stay, exact decimal, and money rounding.
//! * [`tariff`] — the price board: tariffs, their versions and rules, and the priced breakdown.
//! * [`qr`] — validation of scanned codes before any lookup.
//! * [`repeat`] — the same code again on a lane within 2 s is one scan.
//! * [`nwave`] — Nwave sensor sessions: validation, corrections, occupancy and overstay.
//! * [`session`] — the session state machine, tries and anti-passback; refusal reasons.
//! * [`receipt`] — receipts, walk-in tickets and the shift report as printable documents.

pub mod model;
pub mod nwave;
pub mod pricing;
pub mod qr;
pub mod receipt;
pub mod repeat;
pub mod session;
pub mod tariff;
