//! The attendant's commands: walk-in tickets, payments, lost tickets, gate overrides, reprints
//! and the shift report. Everything that moves a barrier by hand or money without a meter is
//! written to the audit log in the same transaction as its effect's cause.

use super::outcome::{AttendantDone, AttendantError};
use super::{
    ActivityKind, AttendantCommand, AttendantRequest, Booth, Effect, GateCommand, GateOverride,
    PrintJob, PrintKind,
};
use crate::domain::pricing;
use crate::domain::receipt::{Holder, Line, PaymentMethod, Receipt, ShiftReport, Ticket};
use crate::domain::session::{self, Direction, SessionState};
use crate::store::audit::{self, AuditEntry};
use crate::store::sessions::{self, ExitRecord, NewSession, Session, SessionHolder};
use crate::store::{StoreError, tickets::WalkinTicket};
use crate::store::{attendance, receipts, resource, tickets};
use chrono::{DateTime, Utc};

/// The audit action that closes a shift; the next report starts from it.
const SHIFT_REPORT_ACTION: &str = "shift_report";
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
    pub(super) fn attendant(&mut self, request: AttendantRequest) -> Vec<Effect> {
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
        if let Some(reply) = reply {
            let _ = reply.send(answer);
        }
        effects
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
    fn lane_of(&self, id: &str, needed: Option<Direction>) -> Result<usize, AttendantError> {
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
    fn printer_lane(
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

    fn print(
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

    fn issue_ticket(&mut self, actor: &str, lane_id: &str, now: DateTime<Utc>) -> Outcome {
        let lane = self.lane_of(lane_id, Some(Direction::Entrance))?;
        if !self.lanes[lane].has_printer() {
            return Err(AttendantError::NoPrinter(lane_id.to_owned()));
        }
        session::has_space(self.occupied, self.settings.capacity).map_err(|r| match r {
            session::Refusal::LotFull(cap) => AttendantError::LotFull(cap),
            other => AttendantError::Unavailable(other.to_string()),
        })?;
        let has_gate = self.lanes[lane].has_gate();
        let (ticket, session_id, res) = {
            let tx = self.store.transaction()?;
            let res = resource::get_by_guid(&tx, &self.settings.res_guid)?.ok_or_else(|| {
                AttendantError::Unavailable("the priced resource is missing".into())
            })?;
            let ticket = tickets::insert(&tx, lane_id, actor, now)?;
            let session_id = sessions::insert(
                &tx,
                &NewSession {
                    holder: SessionHolder::Ticket {
                        ticket_id: ticket.id,
                    },
                    state: if has_gate {
                        SessionState::Entering
                    } else {
                        SessionState::Active
                    },
                    entry_lane: lane_id,
                    start: now,
                    entry_att_guid: None,
                    price_per_minute: res.price_per_minute,
                    currency: &res.currency,
                    entrance_tries: self.settings.entrance_tries,
                    exit_tries: self.settings.exit_tries,
                },
            )?;
            tx.commit()?;
            (ticket, session_id, res)
        };
        self.occupied += 1;
        let document = Ticket {
            site_name: self.settings.name.clone(),
            ticket_no: ticket.ticket_no,
            code: ticket.code.clone(),
            entry: now,
            price_per_minute: res.price_per_minute,
            currency: res.currency,
        }
        .document(self.settings.timezone);
        // Print first: the driver takes the ticket, then the barrier lifts.
        let mut effects = vec![self.print(
            lane,
            PrintKind::Ticket,
            format!("ticket {:06}", ticket.ticket_no),
            document,
        )];
        effects.extend(self.open_gate(lane, session_id));
        Ok((
            AttendantDone::TicketIssued {
                ticket_no: ticket.ticket_no,
                code: ticket.code,
                session_id,
            },
            effects,
        ))
    }

    fn record_payment(
        &mut self,
        lane_id: &str,
        method: PaymentMethod,
        now: DateTime<Utc>,
    ) -> Outcome {
        if method == PaymentMethod::Account {
            return Err(AttendantError::CashOrCardOnly);
        }
        let lane = self.lane_of(lane_id, Some(Direction::Exit))?;
        let due = self.lanes[lane]
            .view
            .awaiting_payment
            .clone()
            .ok_or_else(|| AttendantError::NothingToPay(lane_id.to_owned()))?;
        let (session, receipt) = self.close_walkin(
            WalkinExit {
                lane,
                session_id: due.session_id,
                ticket_no: due.ticket_no,
                quote: &due.quote,
                method,
                lost_by: None,
            },
            now,
        )?;
        self.lanes[lane].view.awaiting_payment = None;
        let effects = self.after_exit_commit(lane, &session, &receipt);
        Ok((
            AttendantDone::Paid {
                receipt_no: receipt.receipt_no,
                total: receipt.total,
                currency: receipt.currency,
            },
            effects,
        ))
    }

    /// Writes a walk-in's exit and receipt in one transaction; returns the updated session.
    fn close_walkin(
        &mut self,
        exit: WalkinExit<'_>,
        now: DateTime<Utc>,
    ) -> Result<(Session, Receipt), AttendantError> {
        let WalkinExit {
            lane,
            session_id,
            ticket_no,
            quote,
            method,
            lost_by,
        } = exit;
        let lost_ticket = lost_by.is_some();
        let has_gate = self.lanes[lane].has_gate();
        let lane_id = self.lanes[lane].config.id.clone();
        let tx = self.store.transaction()?;
        let session = sessions::get(&tx, session_id)?
            .filter(|s| s.state == SessionState::Active)
            .ok_or(AttendantError::TicketNotInside(ticket_no))?;
        let receipt = Receipt {
            site_name: self.settings.name.clone(),
            receipt_no: receipts::next_number(&tx)?,
            receipt_id: uuid::Uuid::new_v4().to_string(),
            holder: Holder::Ticket { ticket_no },
            entry: session.start,
            exit: quote.end,
            billed_minutes: quote.billed_minutes,
            price_per_minute: quote.price_per_minute,
            total: quote.total,
            currency: session.currency.clone(),
            payment_method: method,
            lost_ticket,
        };
        receipts::insert(&tx, session_id, &receipt, now)?;
        sessions::record_exit(
            &tx,
            session_id,
            &ExitRecord {
                state: if has_gate {
                    SessionState::Exiting
                } else {
                    SessionState::Closed
                },
                exit_lane: &lane_id,
                end: quote.end,
                exit_att_guid: None,
                minutes: quote.billed_minutes,
                total: quote.total,
                payment_method: method,
                lost_ticket,
                receipt_no: receipt.receipt_no,
            },
            now,
        )?;
        if let Some(actor) = lost_by {
            audit::insert(
                &tx,
                &AuditEntry {
                    at: now,
                    actor,
                    action: "lost_ticket",
                    lane_id: Some(&lane_id),
                    reason: &format!("ticket {ticket_no:06} lost"),
                    detail: Some(&format!(
                        "receipt {:06}: {} {}",
                        receipt.receipt_no, receipt.total, receipt.currency
                    )),
                },
            )?;
        }
        let session =
            sessions::get(&tx, session_id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
        tx.commit()?;
        Ok((session, receipt))
    }

    fn lost_ticket(
        &mut self,
        actor: &str,
        lane_id: &str,
        ticket_no: Option<i64>,
        method: PaymentMethod,
        now: DateTime<Utc>,
    ) -> Outcome {
        if method == PaymentMethod::Account {
            return Err(AttendantError::CashOrCardOnly);
        }
        let lane = self.lane_of(lane_id, Some(Direction::Exit))?;
        let ticket = match ticket_no {
            Some(no) => tickets::find_by_number(self.store.conn(), no)?
                .ok_or(AttendantError::UnknownTicket(no))?,
            // Nobody knows which ticket: record one for this stay, entering now.
            None => self.ticket_for_unknown_stay(actor, lane_id, now)?,
        };
        let session = sessions::for_ticket(self.store.conn(), ticket.id)?
            .filter(|s| s.state == SessionState::Active)
            .ok_or(AttendantError::TicketNotInside(ticket.ticket_no))?;
        let metered = self.price(&session, now);
        let quote = pricing::Quote {
            total: pricing::round_money(self.settings.lost_ticket_fee),
            ..metered
        };
        let (session, receipt) = self.close_walkin(
            WalkinExit {
                lane,
                session_id: session.id,
                ticket_no: ticket.ticket_no,
                quote: &quote,
                method,
                lost_by: Some(actor),
            },
            now,
        )?;
        // The same car may have scanned its ticket here before losing it again: nothing is due.
        let waiting = &mut self.lanes[lane].view.awaiting_payment;
        if waiting.as_ref().is_some_and(|d| d.session_id == session.id) {
            *waiting = None;
        }
        let effects = self.after_exit_commit(lane, &session, &receipt);
        Ok((
            AttendantDone::LostTicketClosed {
                ticket_no: ticket.ticket_no,
                receipt_no: receipt.receipt_no,
                total: receipt.total,
                currency: receipt.currency,
            },
            effects,
        ))
    }

    /// A ticket and an active session for a stay whose ticket nobody can identify.
    fn ticket_for_unknown_stay(
        &mut self,
        actor: &str,
        lane_id: &str,
        now: DateTime<Utc>,
    ) -> Result<WalkinTicket, AttendantError> {
        let tx = self.store.transaction()?;
        let res = resource::get_by_guid(&tx, &self.settings.res_guid)?
            .ok_or_else(|| AttendantError::Unavailable("the priced resource is missing".into()))?;
        let ticket = tickets::insert(&tx, lane_id, actor, now)?;
        sessions::insert(
            &tx,
            &NewSession {
                holder: SessionHolder::Ticket {
                    ticket_id: ticket.id,
                },
                state: SessionState::Active,
                entry_lane: lane_id,
                start: now,
                entry_att_guid: None,
                price_per_minute: res.price_per_minute,
                currency: &res.currency,
                entrance_tries: self.settings.entrance_tries,
                exit_tries: self.settings.exit_tries,
            },
        )?;
        tx.commit()?;
        self.occupied += 1;
        Ok(ticket)
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
            AttendantDone::GateCommanded,
            vec![Effect::Gate {
                lane: lane_id.to_owned(),
                command,
            }],
        ))
    }

    fn reprint(
        &mut self,
        actor: &str,
        receipt_no: Option<i64>,
        lane: Option<&str>,
        now: DateTime<Utc>,
    ) -> Outcome {
        let receipt = receipts::get(self.store.conn(), receipt_no)?.ok_or_else(|| {
            AttendantError::NoReceipt(receipt_no.map_or("yet".into(), |n| format!("{n:06}")))
        })?;
        let printed_at = self.printer_lane(lane, None)?;
        let tx = self.store.transaction()?;
        audit::insert(
            &tx,
            &AuditEntry {
                at: now,
                actor,
                action: "reprint",
                lane_id: Some(&self.lanes[printed_at].config.id),
                reason: &format!("receipt {:06}", receipt.receipt_no),
                detail: None,
            },
        )?;
        tx.commit()?;
        let mut document = receipt.document(self.settings.timezone);
        // A copy says so, so that it cannot be passed off as a second payment.
        document.lines.insert(1, Line::Heading("DUPLICATE".into()));
        let effect = self.print(
            printed_at,
            PrintKind::Receipt,
            format!("receipt {:06} (copy)", receipt.receipt_no),
            document,
        );
        Ok((
            AttendantDone::Reprinted {
                receipt_no: receipt.receipt_no,
            },
            vec![effect],
        ))
    }

    fn shift_report(&mut self, actor: &str, lane: Option<&str>, now: DateTime<Utc>) -> Outcome {
        // A report with nowhere to print is still shown on screen.
        let printed_at = match self.printer_lane(lane, None) {
            Ok(i) => Some(i),
            Err(AttendantError::NoPrinterAnywhere) => None,
            Err(e) => return Err(e),
        };
        let (_, start_of_day, _) = self.local_day(now);
        let conn = self.store.conn();
        let from = audit::last_at(conn, SHIFT_REPORT_ACTION)?
            .unwrap_or(start_of_day)
            .min(now);
        // `to` is exclusive; one second past now takes in everything of this second.
        let to = now + chrono::TimeDelta::seconds(1);
        let structure = self.settings.db_structure;
        let mut overrides = audit::list_between(conn, "gate_", from, to)?;
        overrides.extend(audit::list_between(conn, "lost_ticket", from, to)?);
        overrides.sort_by_key(|o| o.at);
        let report = ShiftReport {
            site_name: self.settings.name.clone(),
            from,
            to: now,
            entries: attendance::count_between(conn, structure, 1, from, to)?,
            exits: attendance::count_between(conn, structure, 2, from, to)?,
            tickets_issued: tickets::count_between(conn, from, to)?,
            lost_tickets: receipts::lost_tickets_between(conn, from, to)?,
            inside_now: i64::from(self.occupied),
            revenue: receipts::revenue_between(conn, from, to)?,
            currency: self.revenue.currency.clone(),
            overrides,
        };
        let tx = self.store.transaction()?;
        audit::insert(
            &tx,
            &AuditEntry {
                at: to,
                actor,
                action: SHIFT_REPORT_ACTION,
                lane_id: None,
                reason: "end of shift",
                detail: Some(&format!(
                    "revenue {} {}",
                    report.total_revenue(),
                    report.currency
                )),
            },
        )?;
        tx.commit()?;
        let effects = printed_at
            .map(|i| {
                vec![self.print(
                    i,
                    PrintKind::ShiftReport,
                    "shift report".into(),
                    report.document(self.settings.timezone),
                )]
            })
            .unwrap_or_default();
        Ok((AttendantDone::ShiftReported(Box::new(report)), effects))
    }
}

/// A walk-in leaving through an exit lane.
struct WalkinExit<'a> {
    lane: usize,
    session_id: i64,
    ticket_no: i64,
    quote: &'a pricing::Quote,
    method: PaymentMethod,
    /// The attendant who closed it at the lost-ticket fee, if it was lost.
    lost_by: Option<&'a str>,
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
        AttendantDone::GateCommanded => "moved the gate by hand (audited)".into(),
        AttendantDone::Reprinted { receipt_no } => format!("reprinted receipt {receipt_no:06}"),
        AttendantDone::ShiftReported(r) => format!(
            "printed the shift report: {} {} revenue",
            r.total_revenue(),
            r.currency
        ),
    }
}
