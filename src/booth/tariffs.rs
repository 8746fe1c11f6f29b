//! Pricing at the booth: which tariff version a new stay enters under, what a stay costs now,
//! and shops' validations held at an exit lane until the stay they are for is scanned.

use super::outcome::ScanOutcome;
use super::{Booth, PaymentDue};
use crate::domain::model::Session;
use crate::domain::pricing::{self, Quote};
use crate::domain::session::{Direction, Refusal};
use crate::domain::tariff::{DEFAULT_EXIT_GRACE_MINUTES, Parker, Stay, TariffVersion};
use crate::store::audit::{self, AuditEntry};
use crate::store::validations::{self, ValidationCode};
use crate::store::{self, sessions, tariffs};
use chrono::{DateTime, TimeDelta, Utc};
use std::sync::Arc;

/// How long a validation scanned at an exit waits for the ticket or code it is for.
pub const VALIDATION_HOLD: TimeDelta = TimeDelta::minutes(2);

/// A validation scanned at an exit lane, waiting for the next stay scanned there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldValidation {
    pub code: ValidationCode,
    pub at: DateTime<Utc>,
}

impl Booth {
    /// The id of the tariff version that prices a stay of `parker` entering now; `None`:
    /// nothing is assigned, and the stay is priced every started minute at `ResPrice`.
    pub(super) fn tariff_for(
        &self,
        parker: Parker,
        now: DateTime<Utc>,
    ) -> store::Result<Option<i64>> {
        tariffs::for_parker(self.store.conn(), parker, now)
    }

    /// A version by id; versions never change, so each is read once.
    pub(super) fn tariff_version(&mut self, id: Option<i64>) -> Option<Arc<TariffVersion>> {
        let id = id?;
        if let Some(v) = self.tariffs.get(&id) {
            return Some(v.clone());
        }
        match tariffs::version(self.store.conn(), id) {
            Ok(Some(v)) => {
                let v = Arc::new(v);
                self.tariffs.insert(id, v.clone());
                Some(v)
            }
            Ok(None) => {
                tracing::error!(
                    tariff_version = id,
                    "a session's tariff version is missing; pricing per minute"
                );
                None
            }
            Err(e) => {
                tracing::error!(tariff_version = id, error = %e, "cannot read a tariff version; pricing per minute");
                None
            }
        }
    }

    /// The price of a session ending now, under its tariff version, with its validation.
    pub(super) fn price(
        &mut self,
        session: &Session,
        now: DateTime<Utc>,
        lost_ticket: bool,
    ) -> Quote {
        let version = self.tariff_version(session.tariff_version_id);
        let validation = match session.validation_id {
            None => None,
            Some(id) => match validations::get(self.store.conn(), id) {
                Ok(v) => v.map(|v| v.validation()),
                Err(e) => {
                    tracing::error!(session = session.id, error = %e, "cannot read the stay's validation; pricing without it");
                    None
                }
            },
        };
        let stay = Stay {
            start: session.start,
            end: now,
            resource_price: session.price_per_minute,
            tz: self.settings.timezone,
            lost_ticket,
            validation: validation.as_ref(),
        };
        let (quote, error) = pricing::so_far(version.as_deref(), &stay);
        if let Some(e) = error {
            tracing::error!(session = session.id, error = %e, "cannot price the stay; billing zero");
        }
        quote
    }

    /// What a stay leaving now owes: its price so far (`.0`), and that less what it paid at an
    /// earlier exit (`.1`; the same quote when it paid nothing yet), with the payment's line.
    pub(super) fn due(&mut self, session: &Session, now: DateTime<Utc>) -> (Quote, Quote) {
        let full = self.price(session, now, false);
        let due = match super::exit::paid_before(session) {
            Some(paid) => pricing::still_due(full.clone(), paid, session.receipt_no),
            None => full.clone(),
        };
        (full, due)
    }

    /// Whether a retry of `session` at `now` comes later than its tariff's exit grace after
    /// the entrance (`Entering`) or the exit charge (`Exiting`).
    pub(super) fn past_grace(&mut self, session: &Session, now: DateTime<Utc>) -> bool {
        let minutes = self
            .tariff_version(session.tariff_version_id)
            .map_or(DEFAULT_EXIT_GRACE_MINUTES, |v| v.rules.exit_grace_minutes);
        let since = session.end.unwrap_or(session.start);
        now.signed_duration_since(since) > TimeDelta::minutes(i64::from(minutes))
    }

    /// A shop's validation code scanned at (or typed for) `lane`: applied at once to the
    /// payment waiting there, or held for the next stay scanned there.
    pub(super) fn validation_scanned(
        &mut self,
        lane: usize,
        code: ValidationCode,
        actor: &str,
        now: DateTime<Utc>,
    ) -> store::Result<ScanOutcome> {
        if self.lanes[lane].config.direction != Direction::Exit {
            return Ok(ScanOutcome::Refused(Refusal::Validation(
                "a validation is taken at an exit".into(),
            )));
        }
        if !code.active {
            return Ok(ScanOutcome::Refused(Refusal::Validation(format!(
                "{}'s code is disabled",
                code.shop
            ))));
        }
        if let Some(due) = self.lanes[lane].view.awaiting_payment.clone() {
            let Some(mut session) = sessions::get(self.store.conn(), due.session_id)? else {
                return Ok(ScanOutcome::Refused(Refusal::NotInside));
            };
            if let Some(refusal) = self.apply_validation(lane, &mut session, &code, actor, now)? {
                return Ok(ScanOutcome::Refused(refusal));
            }
            let (_, quote) = self.due(&session, now);
            self.lanes[lane].view.awaiting_payment = Some(PaymentDue {
                quote: quote.clone(),
                ..due
            });
            return Ok(ScanOutcome::AwaitingPayment { session, quote });
        }
        self.lanes[lane].view.held_validation = Some(HeldValidation {
            code: code.clone(),
            at: now,
        });
        Ok(ScanOutcome::ValidationHeld {
            shop: code.shop,
            grant: code.grant,
        })
    }

    /// The validation held at `lane` for the stay scanned there now, applied and taken off
    /// the lane; the session as it now stands. A held validation older than
    /// [`VALIDATION_HOLD`] is dropped.
    pub(super) fn take_held_validation(
        &mut self,
        lane: usize,
        mut session: Session,
        now: DateTime<Utc>,
    ) -> store::Result<Session> {
        let Some(held) = self.lanes[lane].view.held_validation.take() else {
            return Ok(session);
        };
        if now.signed_duration_since(held.at) > VALIDATION_HOLD {
            tracing::info!(shop = held.code.shop, "a held validation expired unused");
            return Ok(session);
        }
        if let Some(refusal) =
            self.apply_validation(lane, &mut session, &held.code, "scanner", now)?
        {
            tracing::warn!(session = session.id, %refusal, "held validation not applied");
        }
        Ok(session)
    }

    /// Records `code` on the stay (and on `session`), audited; the refusal when the stay
    /// already has one.
    fn apply_validation(
        &mut self,
        lane: usize,
        session: &mut Session,
        code: &ValidationCode,
        actor: &str,
        now: DateTime<Utc>,
    ) -> store::Result<Option<Refusal>> {
        let lane_id = self.lanes[lane].config.id.clone();
        let tx = self.store.transaction()?;
        if !validations::apply(&tx, session.id, code.id)? {
            return Ok(Some(Refusal::Validation(
                "this stay is already validated".into(),
            )));
        }
        audit::insert(
            &tx,
            &AuditEntry {
                at: now,
                actor,
                action: "validation",
                lane_id: Some(&lane_id),
                reason: &format!("{}: {}", code.shop, code.grant),
                detail: Some(&format!("session {}", session.id)),
            },
        )?;
        tx.commit()?;
        session.validation_id = Some(code.id);
        Ok(None)
    }
}
