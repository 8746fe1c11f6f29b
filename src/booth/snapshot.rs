//! The booth's state as the screen shows it, published after every event (tokio `watch`).

use super::nwave::NwaveView;
use crate::domain::pricing::Quote;
use crate::domain::receipt::PaymentMethod;
use crate::domain::session::Direction;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    pub site_name: String,
    pub taken_at: Option<DateTime<Utc>>,
    pub lanes: Vec<LaneView>,
    /// Sessions not closed: vehicles inside or at a gate.
    pub occupied: u32,
    pub capacity: Option<u32>,
    pub revenue_today: RevenueView,
    pub last_receipt_no: Option<i64>,
    /// Refused scans since the booth started.
    pub refused_scans: u64,
    /// Nwave bay sensors: the broker link, occupancy and overstay; `None` without `[nwave]`.
    pub nwave: Option<Arc<NwaveView>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaneView {
    pub id: String,
    pub name: String,
    pub direction: Direction,
    pub gate: GateView,
    /// `None` when the lane has no such device.
    pub scanner_online: Option<bool>,
    pub printer_online: Option<bool>,
    /// Sessions whose gate cycle is under way on this lane.
    pub pending: Vec<i64>,
    pub awaiting_payment: Option<PaymentDue>,
    /// A shop's validation scanned here, waiting for the stay it is for.
    pub held_validation: Option<super::HeldValidation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GateView {
    /// `None` when the lane has no gate under this console.
    pub online: Option<bool>,
    pub position: GatePosition,
    pub presence: bool,
    pub held: bool,
    pub last_fault: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GatePosition {
    #[default]
    Unknown,
    Closed,
    Open,
}

/// A walk-in at an exit, priced, waiting for the attendant to take the payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentDue {
    pub session_id: i64,
    pub ticket_no: i64,
    pub quote: Quote,
    pub currency: String,
}

/// Receipts of the local calendar day, per payment method.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RevenueView {
    pub day: Option<NaiveDate>,
    pub currency: String,
    /// `(method, receipts, sum)` for every method, in [`PaymentMethod::ALL`] order.
    pub by_method: Vec<(PaymentMethod, i64, Decimal)>,
}

impl RevenueView {
    /// The day's takings, always with the currency's two decimals.
    pub fn total(&self) -> Decimal {
        crate::domain::pricing::round_money(self.by_method.iter().map(|(_, _, sum)| *sum).sum())
    }

    pub(crate) fn add(&mut self, method: PaymentMethod, amount: Decimal) {
        if let Some(slot) = self.by_method.iter_mut().find(|(m, _, _)| *m == method) {
            slot.1 += 1;
            slot.2 += amount;
        }
    }
}
