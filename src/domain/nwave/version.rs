//! Applying a message to its session by `correction_counter` (docs/contracts.md §7).
//!
//! * The first message of a session creates it.
//! * The same counter again adds what it knows: the Nwave cloud sends a session's start and end
//!   as separate messages with the same counter, so the edges of one counter are the union of
//!   what its messages say. A message that adds nothing is a duplicate.
//! * A higher counter is a correction: its edges replace the session's, and the version it
//!   replaces goes into the session's correction history.
//! * A lower counter is stale: the session does not change. What it says is folded into the
//!   history entry for its counter, so the history, too, is the same whatever the arrival order.
//!
//! Merging is a join (commutative, associative, idempotent): where two messages of one counter
//! disagree on the same edge, the greater wins by a fixed order (the later `event_time`, then the
//! larger delta, then the trace ids); two descriptions of one position are ordered by their JSON.
//! So neither arrival order nor redelivery changes the outcome.

use super::message::{Edges, InvolvedDevice, SessionMessage, SessionPhase};
use super::parse::{Rejection, parse};
use std::collections::BTreeMap;

/// One correction of a session.
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    pub counter: u32,
    pub edges: Edges,
}

/// What applying a message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The session's first message.
    New,
    /// Same counter; added an edge, a device or an authorisation.
    Merged,
    /// Same counter; nothing new.
    Duplicate,
    /// A higher counter replaced the edges; `superseded` went into the history.
    Corrected { superseded: u32 },
    /// A lower counter: the session is unchanged. `recorded` when the history learnt something.
    Stale { counter: u32, recorded: bool },
}

impl Applied {
    /// Whether the session's current edges changed (and so its positions may have).
    pub fn changes_current(self) -> bool {
        matches!(
            self,
            Applied::New | Applied::Merged | Applied::Corrected { .. }
        )
    }
}

impl Edges {
    /// Everything both say; on disagreement the greater by the fixed order above.
    pub fn merge(&self, other: &Edges) -> Edges {
        Edges {
            start: self.start.clone().max(other.start.clone()),
            partial_end: self.partial_end.clone().max(other.partial_end.clone()),
            end: self.end.clone().max(other.end.clone()),
            devices: merge_devices(&self.devices, &other.devices),
            auth_ble_tag: self.auth_ble_tag.clone().max(other.auth_ble_tag.clone()),
            auth_mobile: self.auth_mobile.clone().max(other.auth_mobile.clone()),
        }
    }
}

/// Union by position; two descriptions of the same position: the greater JSON.
fn merge_devices(a: &[InvolvedDevice], b: &[InvolvedDevice]) -> Vec<InvolvedDevice> {
    let mut by_position: BTreeMap<&str, &InvolvedDevice> = BTreeMap::new();
    for d in a.iter().chain(b) {
        by_position
            .entry(d.position.network_id.as_str())
            .and_modify(|kept| {
                if *kept != d && canonical(d) > canonical(kept) {
                    *kept = d;
                }
            })
            .or_insert(d);
    }
    by_position.into_values().cloned().collect()
}

fn canonical(d: &InvolvedDevice) -> String {
    serde_json::to_string(d).unwrap_or_default()
}

/// A session: its current version and the versions corrections replaced.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRecord {
    pub uuid: String,
    pub current: Version,
    /// Superseded versions by counter, all below the current counter.
    pub history: BTreeMap<u32, Edges>,
}

impl SessionRecord {
    pub fn new(message: &SessionMessage) -> SessionRecord {
        SessionRecord {
            uuid: message.uuid.clone(),
            current: Version {
                counter: message.counter,
                edges: message.edges.clone(),
            },
            history: BTreeMap::new(),
        }
    }

    pub fn phase(&self) -> SessionPhase {
        self.current.edges.phase()
    }

    /// Applies a message of this session (same uuid).
    pub fn apply(&mut self, message: &SessionMessage) -> Applied {
        use std::cmp::Ordering;
        match message.counter.cmp(&self.current.counter) {
            Ordering::Equal => {
                let merged = self.current.edges.merge(&message.edges);
                if merged == self.current.edges {
                    Applied::Duplicate
                } else {
                    self.current.edges = merged;
                    Applied::Merged
                }
            }
            Ordering::Greater => {
                let old = std::mem::replace(
                    &mut self.current,
                    Version {
                        counter: message.counter,
                        edges: message.edges.clone(),
                    },
                );
                let superseded = old.counter;
                fold_into_history(&mut self.history, old.counter, &old.edges);
                Applied::Corrected { superseded }
            }
            Ordering::Less => Applied::Stale {
                counter: message.counter,
                recorded: fold_into_history(&mut self.history, message.counter, &message.edges),
            },
        }
    }
}

/// Merges `edges` into the history entry for `counter`; whether the entry changed.
fn fold_into_history(history: &mut BTreeMap<u32, Edges>, counter: u32, edges: &Edges) -> bool {
    match history.get_mut(&counter) {
        None => {
            history.insert(counter, edges.clone());
            true
        }
        Some(kept) => {
            let merged = kept.merge(edges);
            let changed = merged != *kept;
            *kept = merged;
            changed
        }
    }
}

/// Every session by uuid, in memory: the rules applied without a database. The booth applies
/// the same [`SessionRecord::apply`] to records it loads from the store; tests compare the two.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ledger {
    pub sessions: BTreeMap<String, SessionRecord>,
    /// Messages refused, with the reason, in arrival order.
    pub quarantined: Vec<(Vec<u8>, String)>,
}

impl Ledger {
    pub fn apply(&mut self, message: &SessionMessage) -> Applied {
        match self.sessions.get_mut(&message.uuid) {
            Some(record) => record.apply(message),
            None => {
                self.sessions
                    .insert(message.uuid.clone(), SessionRecord::new(message));
                Applied::New
            }
        }
    }

    /// Parses and applies a delivery's bytes; a refused message is kept with its reason.
    pub fn apply_bytes(&mut self, bytes: &[u8]) -> Result<Applied, Rejection> {
        match parse(bytes) {
            Ok(message) => Ok(self.apply(&message)),
            Err(rejection) => {
                self.quarantined
                    .push((bytes.to_vec(), rejection.reason.clone()));
                Err(rejection)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::examples;
    use super::*;

    fn msg(json: &str) -> SessionMessage {
        parse(json.as_bytes()).unwrap()
    }

    #[test]
    fn start_then_end_with_the_same_counter_closes_the_session() {
        let mut ledger = Ledger::default();
        assert_eq!(ledger.apply(&msg(examples::START)), Applied::New);
        let record = &ledger.sessions["e9fcc95e-b9cd-4e7f-b275-092a62daf61d"];
        assert_eq!(record.phase(), SessionPhase::Open);
        assert!(
            record
                .current
                .edges
                .holds("23f3e949-2dd3-47ca-b00f-c3310d4ce418")
        );
        assert_eq!(ledger.apply(&msg(examples::START_END)), Applied::Merged);
        let record = &ledger.sessions["e9fcc95e-b9cd-4e7f-b275-092a62daf61d"];
        assert_eq!(record.phase(), SessionPhase::Ended);
        assert!(
            !record
                .current
                .edges
                .holds("23f3e949-2dd3-47ca-b00f-c3310d4ce418")
        );
        assert!(record.history.is_empty());
        // Either message again adds nothing.
        assert_eq!(ledger.apply(&msg(examples::START)), Applied::Duplicate);
        assert_eq!(ledger.apply(&msg(examples::START_END)), Applied::Duplicate);
    }

    #[test]
    fn the_end_first_then_the_start_is_the_same_session() {
        let mut a = Ledger::default();
        a.apply(&msg(examples::START));
        a.apply(&msg(examples::START_END));
        let mut b = Ledger::default();
        b.apply(&msg(examples::START_END));
        assert_eq!(b.apply(&msg(examples::START)), Applied::Duplicate);
        assert_eq!(a.sessions, b.sessions);
    }

    #[test]
    fn partial_end_then_end_on_an_unmarked_bay() {
        let mut ledger = Ledger::default();
        let uuid = "da2ecb68-efb1-458e-ba5d-e5ba80b87f6e";
        let (kept, released) = (
            "00000000-0000-0000-0000-000000033c83",
            "00000000-0000-0000-0000-000000033e5f",
        );
        ledger.apply(&msg(examples::PARTIAL_END));
        let edges = &ledger.sessions[uuid].current.edges;
        assert_eq!(edges.phase(), SessionPhase::PartiallyEnded);
        assert!(edges.holds(kept));
        assert!(!edges.holds(released));
        assert_eq!(
            ledger.apply(&msg(examples::PARTIAL_THEN_END)),
            Applied::Merged
        );
        let edges = &ledger.sessions[uuid].current.edges;
        assert_eq!(edges.phase(), SessionPhase::Ended);
        assert!(!edges.holds(kept));
    }

    #[test]
    fn a_correction_moves_the_start_and_keeps_the_old_version() {
        let mut ledger = Ledger::default();
        let uuid = "da2ecb68-efb1-458e-ba5d-e5ba80b87f6e";
        ledger.apply(&msg(examples::CORRECTION_BEFORE));
        assert_eq!(
            ledger.sessions[uuid].current.edges.start.delta_time_sec,
            120
        );
        assert_eq!(
            ledger.apply(&msg(examples::CORRECTION_AFTER)),
            Applied::Corrected { superseded: 0 }
        );
        let record = &ledger.sessions[uuid];
        assert_eq!(record.current.counter, 1);
        let start = &record.current.edges.start;
        assert_eq!(start.delta_time_sec, 0);
        assert_eq!(
            super::super::message::vendor_time::format(&start.event_time),
            "2021-01-26T09:55:32.944000+00:00"
        );
        assert_eq!(record.history[&0].start.delta_time_sec, 120);
        // The old version arriving again is stale: nothing changes.
        let before = ledger.clone();
        assert_eq!(
            ledger.apply(&msg(examples::CORRECTION_BEFORE)),
            Applied::Stale {
                counter: 0,
                recorded: false
            }
        );
        assert_eq!(ledger, before);
    }

    #[test]
    fn a_late_stale_message_leaves_the_session_and_completes_the_history() {
        let mut ledger = Ledger::default();
        let uuid = "da2ecb68-efb1-458e-ba5d-e5ba80b87f6e";
        ledger.apply(&msg(examples::CORRECTION_AFTER));
        let current = ledger.sessions[uuid].current.clone();
        assert_eq!(
            ledger.apply(&msg(examples::CORRECTION_BEFORE)),
            Applied::Stale {
                counter: 0,
                recorded: true
            }
        );
        assert_eq!(ledger.sessions[uuid].current, current);
        // The same history as when the messages came in order.
        let mut in_order = Ledger::default();
        in_order.apply(&msg(examples::CORRECTION_BEFORE));
        in_order.apply(&msg(examples::CORRECTION_AFTER));
        assert_eq!(in_order.sessions, ledger.sessions);
    }

    #[test]
    fn quarantined_bytes_are_kept_with_the_reason() {
        let mut ledger = Ledger::default();
        assert!(ledger.apply_bytes(b"{oops").is_err());
        assert_eq!(ledger.quarantined.len(), 1);
        assert!(ledger.quarantined[0].1.starts_with("not JSON"));
        assert!(ledger.sessions.is_empty());
    }
}
