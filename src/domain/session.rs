//! The parking session state machine (docs/contracts.md §1, `parking_session`):
//! `entering` → `active` → `exiting` → `closed`, with remaining entrance and exit tries and
//! anti-passback. Pure: the booth feeds it what the store holds and writes back what it decides.
//!
//! A *gate cycle* is one opening of the barrier for a session. A cycle ends with the vehicle through
//! (`passed`) or with the barrier closed again with nobody through (`timed out`); a timed-out cycle
//! spends one try and leaves the session where it was, so the same code opens the gate again
//! without a second attendance or a second charge, until the tries are spent.

use std::fmt;
use std::str::FromStr;

/// Which way a lane lets vehicles through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Entrance,
    Exit,
}

impl Direction {
    /// `AttTypeId` of the attendance row this direction writes (reference: 1 entrance, 2 exit).
    pub fn att_type_id(self) -> i64 {
        match self {
            Direction::Entrance => 1,
            Direction::Exit => 2,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Entrance => "entrance",
            Direction::Exit => "exit",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Direction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "entrance" => Ok(Direction::Entrance),
            "exit" => Ok(Direction::Exit),
            other => Err(format!("{other:?} is not one of entrance, exit")),
        }
    }
}

/// Where a session stands; stored as the lowercase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SessionState {
    /// Scanned in, gate open (or waiting for a retry), the car not yet through.
    Entering,
    /// Inside the car park.
    Active,
    /// Scanned out and charged (or paid), gate open (or waiting for a retry), not yet through.
    Exiting,
    Closed,
}

impl SessionState {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionState::Entering => "entering",
            SessionState::Active => "active",
            SessionState::Exiting => "exiting",
            SessionState::Closed => "closed",
        }
    }
}

impl FromStr for SessionState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "entering" => Ok(SessionState::Entering),
            "active" => Ok(SessionState::Active),
            "exiting" => Ok(SessionState::Exiting),
            "closed" => Ok(SessionState::Closed),
            other => Err(format!("{other:?} is not a session state")),
        }
    }
}

impl fmt::Display for SessionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What presented the code: a customer account's device, or a walk-in ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    Account,
    Ticket,
}

/// The parts of an open session the rules look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionFacts {
    pub state: SessionState,
    pub entrance_remaining_tries: u32,
    pub exit_remaining_tries: u32,
}

/// Why a scan changes nothing. Each has a stable code (API `reason`, logs) and a sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("Invalid code: {0}.")]
    InvalidCode(String),
    #[error("Unknown code: no device or ticket has it.")]
    UnknownCode,
    #[error("The account is blocked.")]
    BlockedAccount,
    #[error("Already inside: this account or ticket entered and has not left.")]
    AlreadyInside,
    #[error("Not inside: there is no entrance to match this exit.")]
    NotInside,
    #[error("No tries left: the gate closed with nobody through too often; call the attendant.")]
    NoTriesLeft,
    #[error("This ticket has already been used to leave.")]
    TicketUsed,
    #[error("The car park is full ({0} spaces).")]
    LotFull(u32),
    #[error("Unknown lane {0:?}.")]
    UnknownLane(String),
    #[error("The booth cannot record this scan right now; nothing was written.")]
    Unavailable,
    #[error("Validation refused: {0}.")]
    Validation(String),
}

impl Refusal {
    /// The stable machine-readable code: the API's `reason`, the log's `reason=`.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::InvalidCode(_) => "invalid_code",
            Refusal::UnknownCode => "unknown_code",
            Refusal::BlockedAccount => "blocked_account",
            Refusal::AlreadyInside => "already_inside",
            Refusal::NotInside => "not_inside",
            Refusal::NoTriesLeft => "no_tries_left",
            Refusal::TicketUsed => "ticket_used",
            Refusal::LotFull(_) => "lot_full",
            Refusal::UnknownLane(_) => "unknown_lane",
            Refusal::Unavailable => "unavailable",
            Refusal::Validation(_) => "validation_refused",
        }
    }
}

/// What to do with a scan, given the direction of the lane and the holder's open session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanDecision {
    /// New session: write the entrance attendance, open the gate.
    Enter,
    /// The holder's last stay was charged at an exit but its passage never seen (the console was
    /// down, the gate link lost): the car is back at an entrance, so it did leave. Close that
    /// stay, then enter as new.
    CloseThenEnter,
    /// The entrance gate closed on the last try with nobody through: open it again, write nothing.
    RetryEntrance,
    /// Account at an exit: write the exit attendance, charge the account, open the gate.
    ExitCharged,
    /// Ticket at an exit: price it and wait for the attendant to take the payment.
    ExitAwaitingPayment,
    /// The exit gate closed with nobody through: open it again, charge nothing.
    RetryExit,
    /// The entrance gate closed with nobody through longer ago than the exit grace: that stay
    /// never began. Drop it and start a new one from now.
    EnterAnew,
    /// Charged at an exit longer ago than the exit grace and still here: charge the time since.
    ExitLate,
    Refuse(Refusal),
}

/// The scan rules, anti-passback included. `cycle_under_way`: a gate is open for this session
/// right now (its passage is awaited); otherwise a session still `entering` or `exiting` is one
/// whose passage was never seen, and where the car shows up next says where it went.
pub fn decide_scan(
    direction: Direction,
    credential: Credential,
    open: Option<SessionFacts>,
    cycle_under_way: bool,
) -> ScanDecision {
    use SessionState::*;
    let leave = match credential {
        Credential::Account => ScanDecision::ExitCharged,
        Credential::Ticket => ScanDecision::ExitAwaitingPayment,
    };
    match (direction, open) {
        (Direction::Entrance, None) => ScanDecision::Enter,
        (Direction::Entrance, Some(s)) => match s.state {
            Entering if s.entrance_remaining_tries > 0 => ScanDecision::RetryEntrance,
            Entering => ScanDecision::Refuse(Refusal::NoTriesLeft),
            Active => ScanDecision::Refuse(Refusal::AlreadyInside),
            Exiting if cycle_under_way => ScanDecision::Refuse(Refusal::AlreadyInside),
            Exiting => match credential {
                Credential::Account => ScanDecision::CloseThenEnter,
                // A paid ticket is spent, however its car left.
                Credential::Ticket => ScanDecision::Refuse(Refusal::TicketUsed),
            },
            // A closed session is never "open"; a ticket's closed session means it was used.
            Closed => match credential {
                Credential::Ticket => ScanDecision::Refuse(Refusal::TicketUsed),
                Credential::Account => ScanDecision::Enter,
            },
        },
        (Direction::Exit, None) => ScanDecision::Refuse(Refusal::NotInside),
        (Direction::Exit, Some(s)) => match s.state {
            // At the entrance gate right now: not inside.
            Entering if cycle_under_way => ScanDecision::Refuse(Refusal::NotInside),
            // Let in, its passage never seen: a car at an exit is inside.
            Entering | Active => leave,
            Exiting if s.exit_remaining_tries > 0 => ScanDecision::RetryExit,
            Exiting => ScanDecision::Refuse(Refusal::NoTriesLeft),
            Closed => match credential {
                Credential::Ticket => ScanDecision::Refuse(Refusal::TicketUsed),
                Credential::Account => ScanDecision::Refuse(Refusal::NotInside),
            },
        },
    }
}

/// A retry that comes later than the tariff's exit grace after the entrance or the exit
/// charge (`late`) is not a retry: at an entrance the abandoned stay gives way to a new one, at
/// an exit the extra time is charged (docs/tariffs.md, "Exit grace").
pub fn after_grace(decision: ScanDecision, late: bool) -> ScanDecision {
    match (decision, late) {
        (ScanDecision::RetryEntrance, true) => ScanDecision::EnterAnew,
        (ScanDecision::RetryExit, true) => ScanDecision::ExitLate,
        (decision, _) => decision,
    }
}

/// How a gate cycle ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CycleEnd {
    Passed,
    TimedOut,
}

/// A session's state after its gate cycle ended, or `None` when the cycle does not apply to it
/// (a stale event: the session already moved on).
pub fn after_cycle(facts: SessionFacts, end: CycleEnd) -> Option<SessionFacts> {
    use SessionState::*;
    match (facts.state, end) {
        (Entering, CycleEnd::Passed) => Some(SessionFacts {
            state: Active,
            ..facts
        }),
        (Exiting, CycleEnd::Passed) => Some(SessionFacts {
            state: Closed,
            ..facts
        }),
        (Entering, CycleEnd::TimedOut) => Some(SessionFacts {
            entrance_remaining_tries: facts.entrance_remaining_tries.saturating_sub(1),
            ..facts
        }),
        (Exiting, CycleEnd::TimedOut) => Some(SessionFacts {
            exit_remaining_tries: facts.exit_remaining_tries.saturating_sub(1),
            ..facts
        }),
        (Active | Closed, _) => None,
    }
}

/// Entrance refused when the car park is full. `capacity` `None` means unlimited.
pub fn has_space(occupied: u32, capacity: Option<u32>) -> Result<(), Refusal> {
    match capacity {
        Some(cap) if occupied >= cap => Err(Refusal::LotFull(cap)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Credential::*;
    use Direction::*;
    use SessionState::*;

    fn s(state: SessionState, ent: u32, ex: u32) -> Option<SessionFacts> {
        Some(SessionFacts {
            state,
            entrance_remaining_tries: ent,
            exit_remaining_tries: ex,
        })
    }

    #[test]
    fn a_retry_after_the_grace_starts_anew_or_charges_the_extra_time() {
        let retry_in = decide_scan(Entrance, Account, s(Entering, 2, 3), false);
        let retry_out = decide_scan(Exit, Ticket, s(Exiting, 3, 2), false);
        assert_eq!(
            after_grace(retry_in.clone(), false),
            ScanDecision::RetryEntrance
        );
        assert_eq!(after_grace(retry_in, true), ScanDecision::EnterAnew);
        assert_eq!(
            after_grace(retry_out.clone(), false),
            ScanDecision::RetryExit
        );
        assert_eq!(after_grace(retry_out, true), ScanDecision::ExitLate);
        // Nothing else changes with time: a spent session stays refused.
        let spent = decide_scan(Exit, Account, s(Exiting, 3, 0), false);
        assert_eq!(after_grace(spent.clone(), true), spent);
    }

    #[test]
    fn entrance_without_session_enters() {
        assert_eq!(
            decide_scan(Entrance, Account, None, true),
            ScanDecision::Enter
        );
        assert_eq!(
            decide_scan(Entrance, Ticket, None, true),
            ScanDecision::Enter
        );
    }

    #[test]
    fn anti_passback_refuses_a_second_entrance() {
        for state in [Active, Exiting] {
            assert_eq!(
                decide_scan(Entrance, Account, s(state, 3, 3), true),
                ScanDecision::Refuse(Refusal::AlreadyInside)
            );
        }
    }

    #[test]
    fn exit_without_entrance_is_refused() {
        assert_eq!(
            decide_scan(Exit, Account, None, true),
            ScanDecision::Refuse(Refusal::NotInside)
        );
        assert_eq!(
            decide_scan(Exit, Account, s(Entering, 3, 3), true),
            ScanDecision::Refuse(Refusal::NotInside)
        );
    }

    #[test]
    fn exit_charges_accounts_and_asks_tickets_to_pay() {
        assert_eq!(
            decide_scan(Exit, Account, s(Active, 3, 3), true),
            ScanDecision::ExitCharged
        );
        assert_eq!(
            decide_scan(Exit, Ticket, s(Active, 3, 3), true),
            ScanDecision::ExitAwaitingPayment
        );
    }

    #[test]
    fn retries_while_tries_remain_then_refuse() {
        assert_eq!(
            decide_scan(Entrance, Account, s(Entering, 1, 3), true),
            ScanDecision::RetryEntrance
        );
        assert_eq!(
            decide_scan(Entrance, Account, s(Entering, 0, 3), true),
            ScanDecision::Refuse(Refusal::NoTriesLeft)
        );
        assert_eq!(
            decide_scan(Exit, Account, s(Exiting, 3, 2), true),
            ScanDecision::RetryExit
        );
        assert_eq!(
            decide_scan(Exit, Account, s(Exiting, 3, 0), true),
            ScanDecision::Refuse(Refusal::NoTriesLeft)
        );
    }

    #[test]
    fn a_used_ticket_is_refused_everywhere() {
        assert_eq!(
            decide_scan(Entrance, Ticket, s(Closed, 3, 3), true),
            ScanDecision::Refuse(Refusal::TicketUsed)
        );
        assert_eq!(
            decide_scan(Exit, Ticket, s(Closed, 3, 3), true),
            ScanDecision::Refuse(Refusal::TicketUsed)
        );
    }

    #[test]
    fn a_passage_never_seen_is_read_from_where_the_car_shows_up() {
        // Let in, but the PASSED was lost: at an exit the car is inside.
        assert_eq!(
            decide_scan(Exit, Account, s(Entering, 3, 3), false),
            ScanDecision::ExitCharged
        );
        assert_eq!(
            decide_scan(Exit, Ticket, s(Entering, 0, 3), false),
            ScanDecision::ExitAwaitingPayment
        );
        // Charged at an exit, the PASSED lost: back at an entrance, so it left.
        assert_eq!(
            decide_scan(Entrance, Account, s(Exiting, 3, 3), false),
            ScanDecision::CloseThenEnter
        );
        assert_eq!(
            decide_scan(Entrance, Ticket, s(Exiting, 3, 3), false),
            ScanDecision::Refuse(Refusal::TicketUsed)
        );
        // While the gate is open for it, the car is where that gate is.
        assert_eq!(
            decide_scan(Entrance, Account, s(Exiting, 3, 3), true),
            ScanDecision::Refuse(Refusal::AlreadyInside)
        );
        // A retry at the same kind of lane is a retry either way.
        assert_eq!(
            decide_scan(Entrance, Account, s(Entering, 2, 3), false),
            ScanDecision::RetryEntrance
        );
        assert_eq!(
            decide_scan(Exit, Account, s(Exiting, 3, 2), false),
            ScanDecision::RetryExit
        );
    }

    #[test]
    fn passing_moves_forward() {
        assert_eq!(
            after_cycle(s(Entering, 3, 3).unwrap(), CycleEnd::Passed).map(|f| f.state),
            Some(Active)
        );
        assert_eq!(
            after_cycle(s(Exiting, 3, 3).unwrap(), CycleEnd::Passed).map(|f| f.state),
            Some(Closed)
        );
    }

    #[test]
    fn a_timeout_stays_put_and_spends_one_try() {
        let after = after_cycle(s(Entering, 3, 3).unwrap(), CycleEnd::TimedOut).unwrap();
        assert_eq!((after.state, after.entrance_remaining_tries), (Entering, 2));
        let after = after_cycle(s(Exiting, 3, 1).unwrap(), CycleEnd::TimedOut).unwrap();
        assert_eq!((after.state, after.exit_remaining_tries), (Exiting, 0));
        let after = after_cycle(s(Exiting, 3, 0).unwrap(), CycleEnd::TimedOut).unwrap();
        assert_eq!(after.exit_remaining_tries, 0, "never below zero");
    }

    #[test]
    fn cycles_do_not_apply_to_settled_sessions() {
        assert_eq!(
            after_cycle(s(Active, 3, 3).unwrap(), CycleEnd::Passed),
            None
        );
        assert_eq!(
            after_cycle(s(Closed, 3, 3).unwrap(), CycleEnd::TimedOut),
            None
        );
    }

    #[test]
    fn capacity() {
        assert!(has_space(5, None).is_ok());
        assert!(has_space(4, Some(5)).is_ok());
        assert_eq!(has_space(5, Some(5)), Err(Refusal::LotFull(5)));
    }

    #[test]
    fn refusals_have_stable_codes_and_sentences() {
        assert_eq!(Refusal::AlreadyInside.code(), "already_inside");
        assert!(Refusal::NotInside.to_string().starts_with("Not inside"));
        assert_eq!("exit".parse::<Direction>(), Ok(Exit));
        assert!("sideways".parse::<Direction>().is_err());
        assert_eq!("exiting".parse::<SessionState>(), Ok(Exiting));
    }
}
