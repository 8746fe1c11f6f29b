//! Walk-ins: the attendant issues a ticket at an entrance; at the exit the ticket is priced and
//! the gate opens once the attendant records the payment; a lost ticket is closed at the fee.

use super::outcome::{AttendantDone, AttendantError};
use super::{Booth, Effect, PrintKind};
use crate::domain::model::{Session, SessionHolder, WalkinTicket};
use crate::domain::pricing;
use crate::domain::receipt::{Holder, PaymentMethod, Receipt, Ticket};
use crate::domain::session::{self, Direction, SessionState};
use crate::domain::tariff::Parker;
use crate::store::audit::{self, AuditEntry};
use crate::store::sessions::{self, ExitRecord, NewSession};
use crate::store::{receipts, resource, tickets};
use chrono::{DateTime, Utc};

type Outcome = Result<(AttendantDone, Vec<Effect>), AttendantError>;

impl Booth {
    pub(super) fn issue_ticket(
        &mut self,
        actor: &str,
        lane_id: &str,
        now: DateTime<Utc>,
    ) -> Outcome {
        let lane = self.lane_of(lane_id, Some(Direction::Entrance))?;
        if !self.lanes[lane].has_printer() {
            return Err(AttendantError::NoPrinter(lane_id.to_owned()));
        }
        session::has_space(self.occupied, self.settings.capacity).map_err(|r| match r {
            session::Refusal::LotFull(cap) => AttendantError::LotFull(cap),
            other => AttendantError::Unavailable(other.to_string()),
        })?;
        let has_gate = self.lanes[lane].has_gate();
        let tariff_version_id = self.tariff_for(Parker::Walkin, now)?;
        let tariff = self.tariff_version(tariff_version_id);
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
                    tariff_version_id,
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
            tariff: match &tariff {
                Some(v) => format!("{} ({})", v.tariff, v.rules.summary(res.price_per_minute)),
                None => format!("{} {} per minute", res.price_per_minute, res.currency),
            },
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

    pub(super) fn record_payment(
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
        // Active, or charged and back after its exit grace (paying the extra time).
        let session = sessions::get(&tx, session_id)?
            .filter(|s| {
                s.state == SessionState::Active
                    || (!lost_ticket && super::exit::paid_before(s).is_some())
            })
            .ok_or(AttendantError::TicketNotInside(ticket_no))?;
        let paid = super::exit::paid_before(&session).unwrap_or_default();
        let holder = Holder::Ticket { ticket_no };
        let receipt = super::exit::receipt(
            &tx,
            &self.settings.name,
            holder,
            &session,
            quote,
            method,
            lost_ticket,
        )?;
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
                total: pricing::round_money(paid + quote.total),
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

    pub(super) fn lost_ticket(
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
        // The tariff's lost-ticket rule: the fee or the stay, whichever is more, or both.
        let quote = self.price(&session, now, true);
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
        let tariff_version_id = self.tariff_for(Parker::Walkin, now)?;
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
                tariff_version_id,
            },
        )?;
        tx.commit()?;
        self.occupied += 1;
        Ok(ticket)
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
