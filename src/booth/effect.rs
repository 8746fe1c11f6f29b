//! What comes out of the booth, always after the decision that caused it is committed.

use crate::domain::receipt::Document;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Gate { lane: String, command: GateCommand },
    Print { lane: String, job: PrintJob },
}

/// Commands to a gate controller (docs/contracts.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateCommand {
    Open,
    Close,
    Hold,
    Release,
}

impl GateCommand {
    /// The protocol's verb.
    pub fn verb(self) -> &'static str {
        match self {
            GateCommand::Open => "OPEN",
            GateCommand::Close => "CLOSE",
            GateCommand::Hold => "HOLD",
            GateCommand::Release => "RELEASE",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintKind {
    Receipt,
    Ticket,
    ShiftReport,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintJob {
    pub kind: PrintKind,
    /// What the job is, for the screen: "receipt 000042".
    pub reference: String,
    pub document: Document,
}
