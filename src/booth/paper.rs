//! Paper the attendant asks for: a reprint of a receipt, and the shift report that also
//! closes the shift (an audit entry the next report starts from).

use super::outcome::{AttendantDone, AttendantError};
use super::{Booth, Effect, PrintKind};
use crate::domain::receipt::{Line, ShiftReport};
use crate::store::audit::{self, AuditEntry};
use crate::store::{attendance, receipts, tickets};
use chrono::{DateTime, Utc};

/// The audit action that closes a shift; the next report starts from it.
const SHIFT_REPORT_ACTION: &str = "shift_report";

type Outcome = Result<(AttendantDone, Vec<Effect>), AttendantError>;

impl Booth {
    pub(super) fn reprint(
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

    pub(super) fn shift_report(
        &mut self,
        actor: &str,
        lane: Option<&str>,
        now: DateTime<Utc>,
    ) -> Outcome {
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
