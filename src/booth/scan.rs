//! A scan at a lane: validate, find who presented the code, decide, commit, then effects;
//! entrances and retries here, exits in `exit`.

use super::outcome::{ScanDecided, ScanOutcome};
use super::{ActivityKind, Booth, Decision, Effect, GateCommand, ScanRequest, Waiting};
use crate::domain::model::{Account, Device, Session, SessionHolder, WalkinTicket};
use crate::domain::pricing::{self, Quote};
use crate::domain::qr;
use crate::domain::session::{
    self, Credential, Direction, Refusal, ScanDecision, SessionFacts, SessionState,
};
use crate::domain::tariff::Parker;
use crate::store::accounts;
use crate::store::attendance::{self, NewAttendance};
use crate::store::devices;
use crate::store::sessions::{self, NewSession};
use crate::store::tickets;
use crate::store::{self, resource, validations};
use chrono::{DateTime, Utc};

/// Who presented a code.
enum Presented {
    Account { account: Account, device: Device },
    Ticket { ticket: WalkinTicket },
}

/// A decision with its effects, before it is logged and answered.
pub(super) struct Decided {
    pub(super) outcome: ScanOutcome,
    pub(super) effects: Vec<Effect>,
}

impl Decided {
    pub(super) fn refused(refusal: Refusal) -> Decided {
        Decided {
            outcome: ScanOutcome::Refused(refusal),
            effects: Vec::new(),
        }
    }
}

impl Booth {
    pub(super) fn scan(&mut self, request: ScanRequest) -> Decision {
        let ScanRequest {
            lane,
            code,
            source,
            reply,
        } = request;
        let now = self.clock.now();
        let mut presented = None;
        tracing::trace!(target: "clearpark::scan_path", lane, ?source, "booth took scan");
        let decided = match qr::validate(&code) {
            Err(invalid) => Decided::refused(Refusal::InvalidCode(invalid.to_string())),
            Ok(code) => self
                .decide_scan(&lane, &code, source, now, &mut presented)
                .unwrap_or_else(|e| {
                    tracing::error!(lane, error = %e, "scan not recorded: database error");
                    Decided::refused(Refusal::Unavailable)
                }),
        };
        tracing::trace!(target: "clearpark::scan_path", lane, "booth decided scan");
        let (account, device, ticket) = match presented {
            Some(Presented::Account { account, device }) => (Some(account), Some(device), None),
            Some(Presented::Ticket { ticket }) => (None, None, Some(ticket)),
            None => (None, None, None),
        };
        let answer = ScanDecided {
            lane: lane.clone(),
            outcome: decided.outcome,
            account,
            device,
            ticket,
        };
        if answer.refused().is_some() {
            self.refused_scans += 1;
        }
        let masked = match std::str::from_utf8(&code) {
            Ok(text) if text.len() <= qr::MAX_CODE_BYTES => {
                qr::mask(&text.escape_debug().to_string())
            }
            _ => format!("<{} bytes>", code.len()),
        };
        let lane_known = self.lane_index(&lane).is_some();
        self.record(
            lane_known.then_some(lane.as_str()),
            ActivityKind::Scan {
                source,
                code: masked,
                decided: Box::new(answer.clone()),
            },
        );
        // A remote system's caller waits on its own line; no car at a lane waits for it.
        let waiting = if source.is_remote() {
            Waiting::Remote
        } else {
            Waiting::Booth
        };
        Decision::effects(decided.effects, waiting).replying(reply, answer, |answer, _| {
            ScanDecided {
                outcome: ScanOutcome::Refused(Refusal::Unavailable),
                account: None,
                device: None,
                ticket: None,
                ..answer
            }
        })
    }

    fn decide_scan(
        &mut self,
        lane_id: &str,
        code: &qr::ScanCode,
        source: super::ScanSource,
        now: DateTime<Utc>,
        presented_out: &mut Option<Presented>,
    ) -> store::Result<Decided> {
        let Some(lane) = self.lane_index(lane_id) else {
            return Ok(Decided::refused(Refusal::UnknownLane(lane_id.to_owned())));
        };
        let conn = self.store.conn();
        let presented = if let Some(device) = devices::find_by_code(conn, code.as_str())? {
            match accounts::get(conn, device.account_id)? {
                Some(account) => Presented::Account { account, device },
                None => return Ok(Decided::refused(Refusal::UnknownCode)),
            }
        } else if let Some(ticket) = tickets::find_by_code(conn, code.as_str())? {
            Presented::Ticket { ticket }
        } else if let Some(validation) = validations::find_by_code(conn, code.as_str())? {
            return Ok(Decided {
                // The audit names how it came: a lane's scanner, or typed at the console.
                outcome: self.validation_scanned(lane, validation, &source.to_string(), now)?,
                effects: Vec::new(),
            });
        } else {
            return Ok(Decided::refused(Refusal::UnknownCode));
        };
        let (credential, open) = match &presented {
            Presented::Account { account, .. } => {
                if !account.may_park() {
                    *presented_out = Some(presented);
                    return Ok(Decided::refused(Refusal::BlockedAccount));
                }
                (
                    Credential::Account,
                    sessions::open_for_account(conn, account.id)?,
                )
            }
            Presented::Ticket { ticket } => {
                (Credential::Ticket, sessions::for_ticket(conn, ticket.id)?)
            }
        };
        let direction = self.lanes[lane].config.direction;
        let cycle_under_way = open
            .as_ref()
            .is_some_and(|o| self.lanes.iter().any(|l| l.view.pending.contains(&o.id)));
        let decision = session::decide_scan(
            direction,
            credential,
            open.as_ref().map(Session::facts),
            cycle_under_way,
        );
        let late = match (&decision, &open) {
            (ScanDecision::RetryEntrance | ScanDecision::RetryExit, Some(s)) => {
                self.past_grace(s, now)
            }
            _ => false,
        };
        let decision = session::after_grace(decision, late);
        let decided = match (decision, open) {
            (ScanDecision::Enter, _) => match &presented {
                Presented::Account { account, device } => {
                    self.enter(lane, account, device, None, now)?
                }
                // A ticket always has its session; no session means a broken row.
                Presented::Ticket { .. } => Decided::refused(Refusal::UnknownCode),
            },
            (ScanDecision::CloseThenEnter, Some(old)) => match &presented {
                Presented::Account { account, device } => {
                    self.enter(lane, account, device, Some(&old), now)?
                }
                Presented::Ticket { .. } => Decided::refused(Refusal::TicketUsed),
            },
            (ScanDecision::RetryEntrance, Some(session)) => self.retry(lane, session, None),
            (ScanDecision::EnterAnew, Some(old)) => match &presented {
                Presented::Account { account, device } => {
                    tracing::info!(
                        session = old.id,
                        "entrance retried after the exit grace: a new stay"
                    );
                    self.enter(lane, account, device, Some(&old), now)?
                }
                Presented::Ticket { .. } => {
                    sessions::restart(
                        self.store.conn(),
                        old.id,
                        now,
                        self.settings.entrance_tries,
                    )?;
                    tracing::info!(
                        session = old.id,
                        "ticket's entrance retried after the exit grace: its stay starts now"
                    );
                    let session = sessions::get(self.store.conn(), old.id)?.unwrap_or(old);
                    self.retry(lane, session, None)
                }
            },
            (ScanDecision::RetryExit, Some(session)) => {
                let quote = stored_quote(&session);
                self.retry(lane, session, Some(quote))
            }
            (ScanDecision::ExitCharged, Some(session)) => match &presented {
                Presented::Account { account, device } => {
                    self.exit_charged(lane, account, device, session, now)?
                }
                Presented::Ticket { .. } => Decided::refused(Refusal::Unavailable),
            },
            (ScanDecision::ExitAwaitingPayment, Some(session)) => match &presented {
                Presented::Ticket { ticket } => self.await_payment(lane, ticket, session, now)?,
                Presented::Account { .. } => Decided::refused(Refusal::Unavailable),
            },
            // Charged, never through, back after the grace: the extra time, the same way.
            (ScanDecision::ExitLate, Some(session)) => match &presented {
                Presented::Account { account, device } => {
                    self.exit_charged(lane, account, device, session, now)?
                }
                Presented::Ticket { ticket } => self.await_payment(lane, ticket, session, now)?,
            },
            (ScanDecision::Refuse(refusal), _) => Decided::refused(refusal),
            // The rules only retry or exit an open session; without one there is nothing to do.
            (_, None) => Decided::refused(Refusal::NotInside),
        };
        *presented_out = Some(presented);
        Ok(decided)
    }

    /// A new session: attendance (type 1) and session committed, then the gate opens. `closing`:
    /// the holder's last stay, charged but its passage out never seen, closed in the same commit.
    fn enter(
        &mut self,
        lane: usize,
        account: &Account,
        device: &Device,
        closing: Option<&Session>,
        now: DateTime<Utc>,
    ) -> store::Result<Decided> {
        // The stay being closed frees its space for the new one.
        let occupied = self.occupied - u32::from(closing.is_some()).min(self.occupied);
        if let Err(refusal) = session::has_space(occupied, self.settings.capacity) {
            return Ok(Decided::refused(refusal));
        }
        let has_gate = self.lanes[lane].has_gate();
        let lane_id = self.lanes[lane].config.id.clone();
        let structure = self.settings.db_structure;
        let (res_guid, entrance_tries, exit_tries) = (
            self.settings.res_guid.clone(),
            self.settings.entrance_tries,
            self.settings.exit_tries,
        );
        let tariff_version_id = self.tariff_for(
            Parker::Account {
                type_id: account.type_id,
                price_group_id: account.price_group_id,
            },
            now,
        )?;
        let tx = self.store.transaction()?;
        if let Some(old) = closing {
            let closed = SessionFacts {
                state: SessionState::Closed,
                ..old.facts()
            };
            sessions::set_facts(&tx, old.id, closed, now)?;
            tracing::warn!(
                session = old.id,
                "charged at an exit, never seen leaving, now at an entrance: closed"
            );
        }
        let Some(res) = resource::get_by_guid(&tx, &res_guid)? else {
            tracing::error!(
                res_guid,
                "the priced resource has disappeared from tbl_dk_resource"
            );
            return Ok(Decided::refused(Refusal::Unavailable));
        };
        let att_guid = uuid::Uuid::new_v4().to_string();
        attendance::insert(
            &tx,
            structure,
            &NewAttendance {
                guid: &att_guid,
                account_id: account.id,
                device_id: device.id,
                type_id: Direction::Entrance.att_type_id(),
                description: &format!("Entrance {lane_id}"),
                at: now,
            },
        )?;
        let id = sessions::insert(
            &tx,
            &NewSession {
                holder: SessionHolder::Account {
                    account_id: account.id,
                    device_id: device.id,
                },
                // Without a gate to report the passage, the scan is the passage.
                state: if has_gate {
                    SessionState::Entering
                } else {
                    SessionState::Active
                },
                entry_lane: &lane_id,
                start: now,
                entry_att_guid: Some(&att_guid),
                price_per_minute: res.price_per_minute,
                currency: &res.currency,
                entrance_tries,
                exit_tries,
                tariff_version_id,
            },
        )?;
        let session = sessions::get(&tx, id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
        tx.commit()?;
        if closing.is_none() {
            self.occupied += 1;
        }
        Ok(Decided {
            outcome: ScanOutcome::Entered {
                session,
                retry: false,
            },
            effects: self.open_gate(lane, id),
        })
    }

    /// A session whose last gate cycle timed out: open again, write nothing.
    fn retry(&mut self, lane: usize, session: Session, quote: Option<Quote>) -> Decided {
        let effects = self.open_gate(lane, session.id);
        Decided {
            outcome: match quote {
                None => ScanOutcome::Entered {
                    session,
                    retry: true,
                },
                Some(quote) => ScanOutcome::Exited {
                    session,
                    quote,
                    retry: true,
                },
            },
            effects,
        }
    }

    /// Queues the session's gate cycle on the lane and opens the gate, if the lane has one.
    pub(super) fn open_gate(&mut self, lane: usize, session_id: i64) -> Vec<Effect> {
        let l = &mut self.lanes[lane];
        if !l.has_gate() {
            return Vec::new();
        }
        if !l.view.pending.contains(&session_id) {
            l.view.pending.push(session_id);
        }
        vec![Effect::Gate {
            lane: l.config.id.clone(),
            command: GateCommand::Open,
        }]
    }
}

/// The quote an exiting session was charged, rebuilt from its row for an exit retry.
fn stored_quote(session: &Session) -> Quote {
    let end = session.end.unwrap_or(session.start);
    Quote {
        start: session.start,
        end,
        elapsed_seconds: end.signed_duration_since(session.start).num_seconds(),
        billed_minutes: session.minutes.unwrap_or(0),
        price_per_minute: session.price_per_minute,
        total: session
            .total
            .unwrap_or_else(|| pricing::round_money(rust_decimal::Decimal::ZERO)),
        tariff: None,
        lines: Vec::new(),
    }
}
