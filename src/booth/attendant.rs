//! The attendant's commands: walk-in tickets, payments, lost tickets, gate overrides, reprints
//! and the shift report. Everything that moves a barrier by hand or money without a meter is
//! written to the audit log in the same transaction as its effect's cause.

use super::outcome::{AttendantDone, AttendantError};
use super::{
    ActivityKind, AttendantCommand, AttendantRequest, Booth, Decision, Effect, GateCommand,
    GateOverride, PrintJob, PrintKind, Waiting,
};
use crate::domain::session::Direction;
use crate::store::StoreError;
use crate::store::audit::{self, AuditEntry};
use chrono::{DateTime, Utc};

const MAX_REASON_CHARS: usize = 200;

type Outcome = Result<(AttendantDone, Vec<Effect>), AttendantError>;

impl From<StoreError> for AttendantError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "attendant command not recorded: database error");
        AttendantError::Unavailable("database error".into())
    }
}

impl From<rusqlite::Error> for AttendantError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::from(e).into()
    }
}

impl Booth {
    pub(super) fn attendant(&mut self, request: AttendantRequest) -> Decision {
        let AttendantRequest {
            actor,
            command,
            reply,
        } = request;
        let now = self.clock.now();
        let lane = command_lane(&command).map(str::to_owned);
        let result = self.run_command(&actor, command, now);
        let (answer, effects) = match result {
            Ok((done, effects)) => {
                self.record(
                    lane.as_deref(),
                    ActivityKind::Attendant {
                        actor,
                        action: done_text(&done),
                        detail: String::new(),
                    },
                );
                (Ok(done), effects)
            }
            Err(e) => {
                tracing::info!(actor, lane = ?lane, error = %e, "attendant command refused");
                (Err(e), Vec::new())
            }
        };
        Decision::effects(effects, Waiting::Booth).replying(reply, answer, |_, not_durable| {
            tracing::error!(error = %not_durable, "attendant command not on disk");
            Err(AttendantError::Unavailable("database error".into()))
        })
    }

    fn run_command(
        &mut self,
        actor: &str,
        command: AttendantCommand,
        now: DateTime<Utc>,
    ) -> Outcome {
        match command {
            AttendantCommand::IssueTicket { lane } => self.issue_ticket(actor, &lane, now),
            AttendantCommand::RecordPayment { lane, method } => {
                self.record_payment(&lane, method, now)
            }
            AttendantCommand::CancelPayment { lane } => {
                let i = self.lane_of(&lane, Some(Direction::Exit))?;
                match self.lanes[i].view.awaiting_payment.take() {
                    Some(_) => Ok((AttendantDone::PaymentCancelled, Vec::new())),
                    None => Err(AttendantError::NothingToPay(lane)),
                }
            }
            AttendantCommand::LostTicket {
                lane,
                ticket_no,
                method,
            } => self.lost_ticket(actor, &lane, ticket_no, method, now),
            AttendantCommand::Gate {
                lane,
                action,
                reason,
            } => self.gate_override(actor, &lane, action, &reason, now),
            AttendantCommand::Reprint { receipt_no, lane } => {
                self.reprint(actor, receipt_no, lane.as_deref(), now)
            }
            AttendantCommand::ShiftReport { lane } => {
                self.shift_report(actor, lane.as_deref(), now)
            }
        }
    }

    /// The lane's index, checking its direction when one is needed.
    pub(super) fn lane_of(
        &self,
        id: &str,
        needed: Option<Direction>,
    ) -> Result<usize, AttendantError> {
        let i = self
            .lane_index(id)
            .ok_or_else(|| AttendantError::UnknownLane(id.to_owned()))?;
        let actual = self.lanes[i].config.direction;
        match needed {
            Some(needed) if needed != actual => Err(AttendantError::WrongDirection {
                lane: id.to_owned(),
                actual: actual.as_str(),
                needed: needed.as_str(),
            }),
            _ => Ok(i),
        }
    }

    /// Where to print: the lane asked for, else the fallback lane, else any lane with a printer.
    pub(super) fn printer_lane(
        &self,
        asked: Option<&str>,
        fallback: Option<&str>,
    ) -> Result<usize, AttendantError> {
        if let Some(id) = asked {
            let i = self.lane_of(id, None)?;
            return if self.lanes[i].has_printer() {
                Ok(i)
            } else {
                Err(AttendantError::NoPrinter(id.to_owned()))
            };
        }
        fallback
            .and_then(|id| self.lane_index(id))
            .filter(|&i| self.lanes[i].has_printer())
            .or_else(|| self.lanes.iter().position(|l| l.has_printer()))
            .ok_or(AttendantError::NoPrinterAnywhere)
    }

    pub(super) fn print(
        &self,
        lane: usize,
        kind: PrintKind,
        reference: String,
        document: crate::domain::receipt::Document,
    ) -> Effect {
        Effect::Print {
            lane: self.lanes[lane].config.id.clone(),
            job: PrintJob {
                kind,
                reference,
                document,
            },
        }
    }

    fn gate_override(
        &mut self,
        actor: &str,
        lane_id: &str,
        action: GateOverride,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Outcome {
        let reason = checked_reason(reason)?;
        let lane = self.lane_of(lane_id, None)?;
        if !self.lanes[lane].has_gate() {
            return Err(AttendantError::NoGate(lane_id.to_owned()));
        }
        let tx = self.store.transaction()?;
        audit::insert(
            &tx,
            &AuditEntry {
                at: now,
                actor,
                action: action.audit_action(),
                lane_id: Some(lane_id),
                reason,
                detail: None,
            },
        )?;
        tx.commit()?;
        let command = match action {
            GateOverride::Open => GateCommand::Open,
            GateOverride::Hold => GateCommand::Hold,
            GateOverride::Release => GateCommand::Release,
            GateOverride::Close => GateCommand::Close,
        };
        self.lanes[lane].view.gate.held = match action {
            GateOverride::Hold => true,
            GateOverride::Release | GateOverride::Close => false,
            GateOverride::Open => self.lanes[lane].view.gate.held,
        };
        Ok((
            AttendantDone::GateCommanded {
                action,
                reason: reason.to_owned(),
            },
            vec![Effect::Gate {
                lane: lane_id.to_owned(),
                command,
            }],
        ))
    }
}

/// A reason is required, short, and plain text (it is printed on the shift report).
fn checked_reason(reason: &str) -> Result<&str, AttendantError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AttendantError::ReasonRequired);
    }
    if reason.chars().count() > MAX_REASON_CHARS || reason.chars().any(char::is_control) {
        return Err(AttendantError::ReasonInvalid);
    }
    Ok(reason)
}

fn command_lane(command: &AttendantCommand) -> Option<&str> {
    match command {
        AttendantCommand::IssueTicket { lane }
        | AttendantCommand::RecordPayment { lane, .. }
        | AttendantCommand::CancelPayment { lane }
        | AttendantCommand::LostTicket { lane, .. }
        | AttendantCommand::Gate { lane, .. } => Some(lane),
        AttendantCommand::Reprint { lane, .. } | AttendantCommand::ShiftReport { lane } => {
            lane.as_deref()
        }
    }
}

/// One line for the activity stream.
fn done_text(done: &AttendantDone) -> String {
    match done {
        AttendantDone::TicketIssued {
            ticket_no,
            session_id,
            ..
        } => {
            format!("issued ticket {ticket_no:06} (session {session_id})")
        }
        AttendantDone::Paid {
            receipt_no,
            total,
            currency,
        } => {
            format!("took payment {total} {currency}, receipt {receipt_no:06}")
        }
        AttendantDone::PaymentCancelled => "cancelled the waiting payment".into(),
        AttendantDone::LostTicketClosed {
            ticket_no,
            receipt_no,
            total,
            currency,
        } => format!(
            "closed lost ticket {ticket_no:06} at {total} {currency}, receipt {receipt_no:06}"
        ),
        AttendantDone::GateCommanded { action, reason } => {
            format!("{} by hand: {reason:?} (audited)", action.audit_action())
        }
        AttendantDone::Reprinted { receipt_no } => format!("reprinted receipt {receipt_no:06}"),
        AttendantDone::ShiftReported(r) => format!(
            "printed the shift report: {} {} revenue",
            r.total_revenue(),
            r.currency
        ),
    }
}
