//! What the booth answers: the decision on a scan, the result of an attendant command.

use crate::domain::model::{Account, Device, Session, WalkinTicket};
use crate::domain::pricing::Quote;
use crate::domain::receipt::ShiftReport;
use crate::domain::session::Refusal;
use rust_decimal::Decimal;

/// The decision on one scan, with who presented the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanDecided {
    pub lane: String,
    pub outcome: ScanOutcome,
    pub account: Option<Account>,
    pub device: Option<Device>,
    pub ticket: Option<WalkinTicket>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanOutcome {
    /// The entrance is recorded (or retried) and the gate opened.
    Entered {
        session: Session,
        retry: bool,
    },
    /// The exit is recorded and charged (or retried) and the gate opened.
    Exited {
        session: Session,
        quote: Quote,
        retry: bool,
    },
    /// A ticket at an exit: priced, waiting for the attendant to take the payment.
    AwaitingPayment {
        session: Session,
        quote: Quote,
    },
    /// A shop's validation code at an exit, held for the next ticket or code scanned there.
    ValidationHeld {
        shop: String,
        grant: crate::domain::tariff::Grant,
    },
    Refused(Refusal),
}

impl ScanDecided {
    pub fn refused(&self) -> Option<&Refusal> {
        match &self.outcome {
            ScanOutcome::Refused(r) => Some(r),
            _ => None,
        }
    }

    pub fn session(&self) -> Option<&Session> {
        match &self.outcome {
            ScanOutcome::Entered { session, .. }
            | ScanOutcome::Exited { session, .. }
            | ScanOutcome::AwaitingPayment { session, .. } => Some(session),
            ScanOutcome::Refused(_) | ScanOutcome::ValidationHeld { .. } => None,
        }
    }

    /// Who presented the code, as the screen shows it.
    pub fn holder_text(&self) -> Option<String> {
        if let Some(a) = &self.account {
            return Some(match &a.reg_no {
                Some(reg) => format!("{} ({reg})", a.name),
                None => a.name.clone(),
            });
        }
        self.ticket
            .as_ref()
            .map(|t| format!("ticket {:06}", t.ticket_no))
    }
}

/// What an attendant command did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttendantDone {
    TicketIssued {
        ticket_no: i64,
        code: String,
        session_id: i64,
    },
    Paid {
        receipt_no: i64,
        total: Decimal,
        currency: String,
    },
    PaymentCancelled,
    LostTicketClosed {
        ticket_no: i64,
        receipt_no: i64,
        total: Decimal,
        currency: String,
    },
    /// A gate moved by hand; written to the audit log with its reason.
    GateCommanded {
        action: super::GateOverride,
        reason: String,
    },
    Reprinted {
        receipt_no: i64,
    },
    ShiftReported(Box<ShiftReport>),
}

/// Why an attendant command did nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttendantError {
    #[error("there is no lane {0:?}")]
    UnknownLane(String),
    #[error("lane {lane} is an {actual} lane; this needs an {needed} lane")]
    WrongDirection {
        lane: String,
        actual: &'static str,
        needed: &'static str,
    },
    #[error("lane {0} has no printer")]
    NoPrinter(String),
    #[error("lane {0} has no gate under this console")]
    NoGate(String),
    #[error("no payment is waiting at lane {0}")]
    NothingToPay(String),
    #[error("a walk-in pays cash or card; \"account\" is for account holders")]
    CashOrCardOnly,
    #[error("a reason is required (what happened, in a few words)")]
    ReasonRequired,
    #[error("the reason must be at most 200 characters of plain text")]
    ReasonInvalid,
    #[error("there is no ticket {0:06}")]
    UnknownTicket(i64),
    #[error("ticket {0:06} is not inside (it left or never entered)")]
    TicketNotInside(i64),
    #[error("there is no receipt {0}")]
    NoReceipt(String),
    #[error("no printer is configured to print on")]
    NoPrinterAnywhere,
    #[error("the car park is full ({0} spaces)")]
    LotFull(u32),
    #[error("the booth could not record this ({0}); nothing was changed")]
    Unavailable(String),
}
