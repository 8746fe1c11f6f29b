//! A stay leaving: an account charged at the exit, a walk-in priced and waiting for the
//! attendant, a car back after its exit grace paying the extra time; the receipt and the gate.

use super::outcome::ScanOutcome;
use super::scan::Decided;
use super::snapshot::PaymentDue;
use super::{Booth, Effect, PrintJob, PrintKind};
use crate::domain::model::{Account, Device, Session, WalkinTicket};
use crate::domain::pricing::Quote;
use crate::domain::receipt::{Holder, PaymentMethod, Receipt};
use crate::domain::session::{Direction, SessionState};
use crate::store::attendance::{self, NewAttendance};
use crate::store::sessions::{self, ExitRecord};
use crate::store::{self, accounts, receipts};
use chrono::{DateTime, Utc};

impl Booth {
    /// An account leaving: attendance (type 2), price, charge, receipt, all in one commit.
    pub(super) fn exit_charged(
        &mut self,
        lane: usize,
        account: &Account,
        device: &Device,
        session: Session,
        now: DateTime<Utc>,
    ) -> store::Result<Decided> {
        let session = self.take_held_validation(lane, session, now)?;
        let (full, quote) = self.due(&session, now);
        let paid = paid_before(&session);
        let has_gate = self.lanes[lane].has_gate();
        let lane_id = self.lanes[lane].config.id.clone();
        let structure = self.settings.db_structure;
        let tx = self.store.transaction()?;
        let att_guid = uuid::Uuid::new_v4().to_string();
        attendance::insert(
            &tx,
            structure,
            &NewAttendance {
                guid: &att_guid,
                account_id: account.id,
                device_id: device.id,
                type_id: Direction::Exit.att_type_id(),
                description: &match paid {
                    None => format!(
                        "Exit {lane_id}: {} min, {} = {} {}",
                        quote.billed_minutes,
                        quote
                            .tariff
                            .as_ref()
                            .map_or_else(|| "per minute".to_owned(), ToString::to_string),
                        quote.total,
                        session.currency
                    ),
                    Some(paid) => format!(
                        "Exit {lane_id} after the exit grace: {} min, {} {} more than the {paid} paid",
                        quote.billed_minutes, quote.total, session.currency
                    ),
                },
                at: now,
            },
        )?;
        accounts::add_charge(&tx, account.id, quote.total, now)?;
        let holder = Holder::Account {
            name: account.name.clone(),
            reg_no: account.reg_no.clone(),
        };
        let receipt = receipt(
            &tx,
            &self.settings.name,
            holder,
            &session,
            &quote,
            PaymentMethod::Account,
            false,
        )?;
        receipts::insert(&tx, session.id, &receipt, now)?;
        let state = if has_gate {
            SessionState::Exiting
        } else {
            SessionState::Closed
        };
        sessions::record_exit(
            &tx,
            session.id,
            &ExitRecord {
                state,
                exit_lane: &lane_id,
                end: quote.end,
                exit_att_guid: Some(&att_guid),
                minutes: quote.billed_minutes,
                total: full.total.max(paid.unwrap_or_default()),
                payment_method: PaymentMethod::Account,
                lost_ticket: false,
                receipt_no: receipt.receipt_no,
            },
            now,
        )?;
        let updated =
            sessions::get(&tx, session.id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
        tx.commit()?;
        Ok(Decided {
            effects: self.after_exit_commit(lane, &updated, &receipt),
            outcome: ScanOutcome::Exited {
                session: updated,
                quote,
                retry: false,
            },
        })
    }

    /// A ticket at an exit: priced now, paid when the attendant records the payment.
    pub(super) fn await_payment(
        &mut self,
        lane: usize,
        ticket: &WalkinTicket,
        session: Session,
        now: DateTime<Utc>,
    ) -> store::Result<Decided> {
        let session = self.take_held_validation(lane, session, now)?;
        let (_, quote) = self.due(&session, now);
        self.lanes[lane].view.awaiting_payment = Some(PaymentDue {
            session_id: session.id,
            ticket_no: ticket.ticket_no,
            quote: quote.clone(),
            currency: session.currency.clone(),
        });
        Ok(Decided {
            outcome: ScanOutcome::AwaitingPayment { session, quote },
            effects: Vec::new(),
        })
    }

    /// After an exit is committed: count the receipt, free the space if already closed,
    /// open the gate and print.
    pub(super) fn after_exit_commit(
        &mut self,
        lane: usize,
        session: &Session,
        receipt: &Receipt,
    ) -> Vec<Effect> {
        self.count_receipt(receipt.receipt_no, receipt.payment_method, receipt.total);
        if session.state == SessionState::Closed {
            self.occupied = self.occupied.saturating_sub(1);
        }
        let mut effects = self.open_gate(lane, session.id);
        let l = &self.lanes[lane];
        if l.has_printer() {
            effects.push(Effect::Print {
                lane: l.config.id.clone(),
                job: PrintJob {
                    kind: PrintKind::Receipt,
                    reference: format!("receipt {:06}", receipt.receipt_no),
                    document: receipt.document(self.settings.timezone),
                },
            });
        }
        effects
    }
}

/// The receipt for `quote`, charged on `session` at `site`: the next number (take it inside the
/// transaction that writes the exit), a new id, the tariff and its lines.
pub(super) fn receipt(
    tx: &rusqlite::Connection,
    site: &str,
    holder: Holder,
    session: &Session,
    quote: &Quote,
    payment_method: PaymentMethod,
    lost_ticket: bool,
) -> store::Result<Receipt> {
    Ok(Receipt {
        site_name: site.to_owned(),
        receipt_no: receipts::next_number(tx)?,
        receipt_id: uuid::Uuid::new_v4().to_string(),
        holder,
        entry: session.start,
        exit: quote.end,
        billed_minutes: quote.billed_minutes,
        price_per_minute: quote.price_per_minute,
        total: quote.total,
        currency: session.currency.clone(),
        payment_method,
        lost_ticket,
        tariff: quote.tariff.as_ref().map(ToString::to_string),
        lines: quote.lines.clone(),
    })
}

/// What a stay already paid: a session charged at an exit and still not through (back after
/// its exit grace) has paid its total; any other has paid nothing yet.
pub(super) fn paid_before(session: &Session) -> Option<rust_decimal::Decimal> {
    match session.state {
        SessionState::Exiting => session.total,
        _ => None,
    }
}
