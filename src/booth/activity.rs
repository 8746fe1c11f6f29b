//! The stream of what happened, for the screen's live list and the headless log.

use super::event::{DeviceKind, ScanSource};
use super::outcome::{ScanDecided, ScanOutcome};
use crate::domain::session::SessionState;
use chrono::{DateTime, Utc};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub at: DateTime<Utc>,
    pub lane: Option<String>,
    pub kind: ActivityKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActivityKind {
    Scan {
        source: ScanSource,
        /// The code, masked: enough to recognise, not to copy.
        code: String,
        decided: Box<ScanDecided>,
    },
    /// A gate cycle ended with a vehicle through.
    Passed {
        session_id: Option<i64>,
        state: Option<SessionState>,
    },
    /// A gate cycle ended with nobody through; each session spent a try.
    TimedOut {
        sessions: Vec<(i64, u32)>,
    },
    /// An attendant action, as audited.
    Attendant {
        actor: String,
        action: String,
        detail: String,
    },
    Device {
        device: DeviceKind,
        online: bool,
        detail: String,
    },
    GateFault {
        code: String,
    },
}

impl Activity {
    /// Whether this deserves the attendant's attention (refusals, faults, devices gone).
    pub fn is_alert(&self) -> bool {
        match &self.kind {
            ActivityKind::Scan { decided, .. } => decided.refused().is_some(),
            ActivityKind::Passed { session_id, .. } => session_id.is_none(),
            ActivityKind::TimedOut { .. } | ActivityKind::GateFault { .. } => true,
            ActivityKind::Device { online, .. } => !online,
            ActivityKind::Attendant { .. } => false,
        }
    }
}

impl fmt::Display for Activity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.lane.as_deref().unwrap_or("booth"))?;
        match &self.kind {
            ActivityKind::Scan {
                source,
                code,
                decided,
            } => {
                write!(f, "{source} {code}")?;
                if let Some(who) = decided.holder_text() {
                    write!(f, " {who}")?;
                }
                match &decided.outcome {
                    ScanOutcome::Entered { session, retry } => write!(
                        f,
                        " -> {} session {}",
                        if *retry {
                            "entrance retry,"
                        } else {
                            "entered,"
                        },
                        session.id
                    ),
                    ScanOutcome::Exited {
                        session,
                        quote,
                        retry: false,
                    } => write!(
                        f,
                        " -> exited, session {}, {} min, {} {}",
                        session.id, quote.billed_minutes, quote.total, session.currency
                    ),
                    ScanOutcome::Exited { session, .. } => {
                        write!(f, " -> exit retry, session {}", session.id)
                    }
                    ScanOutcome::AwaitingPayment { session, quote } => write!(
                        f,
                        " -> pay {} {} ({} min) at the booth",
                        quote.total, session.currency, quote.billed_minutes
                    ),
                    ScanOutcome::ValidationHeld { shop, grant } => {
                        write!(
                            f,
                            " -> validation by {shop} ({grant}) held for the next stay"
                        )
                    }
                    ScanOutcome::Refused(r) => write!(f, " -> refused ({}): {r}", r.code()),
                }
            }
            ActivityKind::Passed {
                session_id: Some(id),
                state,
            } => write!(
                f,
                "vehicle through, session {id} {}",
                state.map(|s| s.as_str()).unwrap_or("?")
            ),
            ActivityKind::Passed {
                session_id: None, ..
            } => f.write_str("vehicle through without a scan (override or tailgating)"),
            ActivityKind::TimedOut { sessions } if sessions.is_empty() => {
                f.write_str("gate closed with nobody through")
            }
            ActivityKind::TimedOut { sessions } => {
                f.write_str("gate closed with nobody through:")?;
                for (id, left) in sessions {
                    write!(f, " session {id} has {left} tries left;")?;
                }
                Ok(())
            }
            ActivityKind::Attendant {
                actor,
                action,
                detail,
            } => write!(f, "attendant {actor}: {action} {detail}"),
            ActivityKind::Device {
                device,
                online,
                detail,
            } => write!(
                f,
                "{device} {}{}{detail}",
                if *online { "online" } else { "OFFLINE" },
                if detail.is_empty() { "" } else { ": " }
            ),
            ActivityKind::GateFault { code } => write!(f, "gate fault {code}"),
        }
    }
}
