//! What goes into the booth: every input of the world becomes one [`Event`] on one channel.

use super::nwave::{NwaveBatch, NwaveLink};
use super::outcome::{AttendantDone, AttendantError, ScanDecided};
use crate::domain::nwave::OccupancySummary;
use crate::domain::receipt::PaymentMethod;
use std::fmt;
use tokio::sync::oneshot;

#[derive(Debug)]
pub enum Event {
    Scan(ScanRequest),
    /// Something the lane's gate controller reported.
    Gate {
        lane: String,
        signal: GateSignal,
    },
    /// A scanner, printer or gate link came or went.
    DeviceStatus {
        lane: String,
        device: DeviceKind,
        online: bool,
        detail: String,
    },
    Attendant(AttendantRequest),
    /// A remote IO device reported its address (`GET /set-ip/`).
    RemoteIo(super::remote_io::RemoteIoReport),
    /// Nwave sensor messages to apply in one transaction, answered once committed.
    Nwave(NwaveBatch),
    /// The Nwave broker link's state; also a periodic beat that refreshes overstay.
    NwaveLink(NwaveLink),
    /// The bays' occupancy summary, made off the booth's thread ([`Booth::detach_summaries`]).
    ///
    /// [`Booth::detach_summaries`]: super::Booth::detach_summaries
    Occupancy(OccupancySummary),
    /// Stop after the events already queued.
    Shutdown,
}

impl Event {
    /// The event's kind, for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Scan(_) => "scan",
            Event::Gate { .. } => "gate",
            Event::DeviceStatus { .. } => "device_status",
            Event::Attendant(_) => "attendant",
            Event::RemoteIo(_) => "remote_io",
            Event::Nwave(_) => "nwave",
            Event::NwaveLink(_) => "nwave_link",
            Event::Occupancy(_) => "occupancy",
            Event::Shutdown => "shutdown",
        }
    }

    /// Which of the booth's queues the event waits in ([`Priority`]).
    pub fn priority(&self) -> Priority {
        match self {
            Event::Nwave(_) | Event::NwaveLink(_) | Event::Occupancy(_) | Event::RemoteIo(_) => {
                Priority::Background
            }
            Event::Scan(request) if request.source.is_remote() => Priority::Remote,
            _ => Priority::Booth,
        }
    }
}

/// The order in which the booth takes waiting events: everything at the booth first, then
/// scans from remote systems, then background work. Within each the order is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    /// The lanes' scanners and gates, the attendant, shutdown: a driver at a barrier, or the
    /// attendant, waits for each.
    Booth,
    /// `POST /find-device/`: a remote system's scan, answered over the network.
    Remote,
    /// Bay sensors, remote IO reports, the bays' summary: nobody stands waiting.
    Background,
}

/// Where a code came from; shown on screen and in logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanSource {
    /// A serial QR scanner at the lane.
    Scanner,
    /// A keyboard-wedge scanner typing into the console.
    Wedge,
    /// The attendant typed the code.
    Manual,
    /// `POST /find-device/`.
    Api,
    /// Simulated traffic.
    Sim,
}

impl ScanSource {
    /// A remote system's scan (`/find-device/`): nobody stands at this booth's barrier for it,
    /// so it waits behind the lanes ([`Priority::Remote`]) and for a shared sync.
    pub fn is_remote(self) -> bool {
        self == ScanSource::Api
    }
}

impl fmt::Display for ScanSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ScanSource::Scanner => "scanner",
            ScanSource::Wedge => "wedge",
            ScanSource::Manual => "manual",
            ScanSource::Api => "api",
            ScanSource::Sim => "sim",
        })
    }
}

#[derive(Debug)]
pub struct ScanRequest {
    pub lane: String,
    /// The bytes as read; validated by the booth before anything else.
    pub code: Vec<u8>,
    pub source: ScanSource,
    /// Answered once the decision is committed (API requests, the attendant's manual scan).
    pub reply: Option<oneshot::Sender<ScanDecided>>,
}

/// What a gate controller reports (docs/contracts.md §4, `EVT ...` lines and link state).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateSignal {
    Opened,
    Closed,
    Presence(bool),
    /// A vehicle went fully through.
    Passed,
    /// Opened, nobody passed, closed again.
    TimedOut,
    Fault(String),
    /// The link answers again (`true`) or has been silent too long (`false`).
    Online(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    Scanner,
    Gate,
    Printer,
}

impl fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeviceKind::Scanner => "scanner",
            DeviceKind::Gate => "gate",
            DeviceKind::Printer => "printer",
        })
    }
}

#[derive(Debug)]
pub struct AttendantRequest {
    /// Who is at the console, for the audit log.
    pub actor: String,
    pub command: AttendantCommand,
    pub reply: Option<oneshot::Sender<Result<AttendantDone, AttendantError>>>,
}

/// What the attendant can do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttendantCommand {
    /// Print a walk-in ticket at an entrance and open its gate.
    IssueTicket { lane: String },
    /// Take the payment for the ticket waiting at an exit; opens the gate, prints the receipt.
    RecordPayment { lane: String, method: PaymentMethod },
    /// Forget the payment waiting at an exit (the driver backed out).
    CancelPayment { lane: String },
    /// Close a walk-in's stay at the lost-ticket fee at an exit. Without a ticket number the
    /// booth issues a ticket for the record and closes it at once.
    LostTicket {
        lane: String,
        ticket_no: Option<i64>,
        method: PaymentMethod,
    },
    /// Move a barrier by hand; always audited with the reason.
    Gate {
        lane: String,
        action: GateOverride,
        reason: String,
    },
    /// Print a receipt again; the latest when `receipt_no` is `None`.
    Reprint {
        receipt_no: Option<i64>,
        lane: Option<String>,
    },
    /// Print the shift report (since the previous one) and start a new shift.
    ShiftReport { lane: Option<String> },
}

/// An attendant's gate override.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateOverride {
    /// Open for one vehicle, then close as usual.
    Open,
    /// Stay open until released.
    Hold,
    /// End a hold: close once the lane is clear.
    Release,
    /// Close now (the controller still never closes on a vehicle).
    Close,
}

impl GateOverride {
    pub fn audit_action(self) -> &'static str {
        match self {
            GateOverride::Open => "gate_open",
            GateOverride::Hold => "gate_hold",
            GateOverride::Release => "gate_release",
            GateOverride::Close => "gate_close",
        }
    }
}
