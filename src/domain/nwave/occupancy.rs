//! Which positions are taken, and which cars stay too long.
//!
//! A session *claims* every position among its involved devices. A position belongs to its latest
//! claim: the session with the latest start (`event_time`, then the uuid, so that the answer
//! never depends on arrival order). It is taken when that session still holds it: no
//! `session_end`, and not the position its `partial_end` released. The position's description
//! (group, zone, level, labels, device) is the one that latest session gives. An older session
//! whose end never came (a lost message) stops counting once a newer one starts on its bays.
//!
//! Overstay is per session, against the strictest maximum stay of the groups it holds (or the
//! global one). The real start lies within `event_time ± delta_time_sec`: *certain* when even the
//! latest possible start is longer ago than the limit, *possible* when only the earliest is.

use super::message::{Edge, Edges, Group, InvolvedDevice};
use super::version::Ledger;
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// A session's claim on one position; the position's state when it is the latest claim.
#[derive(Debug, Clone, PartialEq)]
pub struct PositionState {
    /// The device and position as the session describes them.
    pub device: InvolvedDevice,
    pub session_uuid: String,
    /// The session's start.
    pub since: Edge,
    /// The session still holds the position.
    pub taken: bool,
}

impl PositionState {
    pub fn network_id(&self) -> &str {
        &self.device.position.network_id
    }

    pub fn group(&self) -> Option<&Group> {
        self.device.position.group.as_ref()
    }

    /// Whether this claim is later than `other` (the order that picks a position's session).
    pub fn outranks(&self, other: &PositionState) -> bool {
        (self.since.event_time, &self.session_uuid) > (other.since.event_time, &other.session_uuid)
    }
}

/// One claim per involved device of a session's current edges.
pub fn claims(session_uuid: &str, edges: &Edges) -> Vec<PositionState> {
    edges
        .devices
        .iter()
        .map(|d| PositionState {
            taken: edges.holds(&d.position.network_id),
            device: d.clone(),
            session_uuid: session_uuid.to_owned(),
            since: edges.start.clone(),
        })
        .collect()
}

impl Ledger {
    /// Every position with its latest claim.
    pub fn positions(&self) -> BTreeMap<String, PositionState> {
        let mut board: BTreeMap<String, PositionState> = BTreeMap::new();
        for record in self.sessions.values() {
            for claim in claims(&record.uuid, &record.current.edges) {
                match board.get(claim.network_id()) {
                    Some(kept) if !claim.outranks(kept) => {}
                    _ => {
                        board.insert(claim.network_id().to_owned(), claim);
                    }
                }
            }
        }
        board
    }
}

/// Maximum stays (`[nwave] max_stay_minutes` and `[nwave.group_max_stay_minutes]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OverstayLimits {
    pub default_minutes: Option<u32>,
    /// By group id (decimal) or group `custom_id`.
    pub by_group: BTreeMap<String, u32>,
}

impl OverstayLimits {
    /// The group's own limit (by id, then custom id), else the global one.
    pub fn for_group(&self, group: Option<&Group>) -> Option<u32> {
        group
            .and_then(|g| {
                g.id.and_then(|id| self.by_group.get(&id.to_string()))
                    .or_else(|| g.custom_id.as_ref().and_then(|c| self.by_group.get(c)))
            })
            .copied()
            .or(self.default_minutes)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Overstay {
    No,
    /// Past the limit if the car came as early as the error allows.
    Possible,
    /// Past the limit even if it came as late as the error allows.
    Certain,
}

/// How a stay that started at `start` compares with `limit_minutes` at `now`.
pub fn overstay(start: &Edge, now: DateTime<Utc>, limit_minutes: u32) -> Overstay {
    let limit = TimeDelta::minutes(i64::from(limit_minutes));
    if now - start.latest() > limit {
        Overstay::Certain
    } else if now - start.earliest() > limit {
        Overstay::Possible
    } else {
        Overstay::No
    }
}

/// A session that holds at least one position, with its overstay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stay {
    pub session_uuid: String,
    pub max_stay_minutes: Option<u32>,
    pub overstay: Overstay,
}

/// Every known position with its latest claim: the booth keeps one in memory, the API builds one
/// from the store.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Board {
    positions: BTreeMap<String, PositionState>,
}

impl Board {
    pub fn from_positions(positions: impl IntoIterator<Item = PositionState>) -> Board {
        Board {
            positions: positions
                .into_iter()
                .map(|p| (p.network_id().to_owned(), p))
                .collect(),
        }
    }

    /// Sets a position's latest claim; `None` forgets a position no session claims any more.
    pub fn set(&mut self, network_id: &str, state: Option<PositionState>) {
        match state {
            Some(s) => {
                self.positions.insert(network_id.to_owned(), s);
            }
            None => {
                self.positions.remove(network_id);
            }
        }
    }

    pub fn positions(&self) -> impl Iterator<Item = &PositionState> {
        self.positions.values()
    }

    pub fn get(&self, network_id: &str) -> Option<&PositionState> {
        self.positions.get(network_id)
    }

    pub fn len(&self) -> usize {
        self.positions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    /// Sessions holding a position, each with its limit (the strictest of its groups') and
    /// overstay at `now`.
    pub fn stays(&self, now: DateTime<Utc>, limits: &OverstayLimits) -> BTreeMap<String, Stay> {
        self.stays_by_ref(now, limits)
            .into_iter()
            .map(|(uuid, (max_stay_minutes, overstay))| {
                let stay = Stay {
                    session_uuid: uuid.to_owned(),
                    max_stay_minutes,
                    overstay,
                };
                (uuid.to_owned(), stay)
            })
            .collect()
    }

    /// [`Board::stays`] without copying: the summary runs after every batch.
    pub(super) fn stays_by_ref<'b>(
        &'b self,
        now: DateTime<Utc>,
        limits: &OverstayLimits,
    ) -> HashMap<&'b str, (Option<u32>, Overstay)> {
        let mut limit_of = GroupLimits::new(limits);
        let mut sessions: HashMap<&str, (Option<u32>, &Edge)> = HashMap::new();
        for p in self.positions.values().filter(|p| p.taken) {
            let limit = limit_of.get(p.group());
            let slot = sessions
                .entry(p.session_uuid.as_str())
                .or_insert((limit, &p.since));
            slot.0 = match (slot.0, limit) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        sessions
            .into_iter()
            .map(|(uuid, (limit, since))| {
                let overstay = limit.map_or(Overstay::No, |m| overstay(since, now, m));
                (uuid, (limit, overstay))
            })
            .collect()
    }
}

/// A group by its id and custom id.
pub(super) type GroupKey<'g> = (Option<i64>, Option<&'g str>);

/// [`OverstayLimits::for_group`] remembered per group.
pub(super) struct GroupLimits<'l, 'g> {
    limits: &'l OverstayLimits,
    known: HashMap<GroupKey<'g>, Option<u32>>,
}

impl<'l, 'g> GroupLimits<'l, 'g> {
    pub(super) fn new(limits: &'l OverstayLimits) -> Self {
        GroupLimits {
            limits,
            known: HashMap::new(),
        }
    }

    pub(super) fn get(&mut self, group: Option<&'g Group>) -> Option<u32> {
        let key = group.map_or((None, None), |g| (g.id, g.custom_id.as_deref()));
        let limits = self.limits;
        *self
            .known
            .entry(key)
            .or_insert_with(|| limits.for_group(group))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{examples, parse};
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2021, 1, 26, h, m, s).unwrap()
    }

    fn ledger(messages: &[&str]) -> Ledger {
        let mut l = Ledger::default();
        for m in messages {
            l.apply(&parse(m.as_bytes()).unwrap());
        }
        l
    }

    #[test]
    fn certain_and_possible_from_the_error_of_the_start() {
        // Start 07:48:40.121 ± 60 s: the real start lies between 07:47:40.121 and 07:49:40.121.
        let start = parse(examples::START.as_bytes()).unwrap().edges.start;
        assert_eq!(overstay(&start, at(8, 17, 40), 30), Overstay::No);
        assert_eq!(overstay(&start, at(8, 17, 41), 30), Overstay::Possible);
        assert_eq!(overstay(&start, at(8, 19, 40), 30), Overstay::Possible);
        assert_eq!(overstay(&start, at(8, 19, 41), 30), Overstay::Certain);
        // Exactly at the limit is not past it.
        let exact = Edge {
            event_time: at(8, 0, 0),
            delta_time_sec: 0,
            message_trace_ids: Vec::new(),
        };
        assert_eq!(overstay(&exact, at(8, 30, 0), 30), Overstay::No);
        assert_eq!(overstay(&exact, at(8, 30, 1), 30), Overstay::Certain);
    }

    #[test]
    fn an_open_session_takes_its_bay_and_the_end_frees_it() {
        let limits = OverstayLimits {
            default_minutes: Some(30),
            by_group: BTreeMap::new(),
        };
        let open = Board::from_positions(ledger(&[examples::START]).positions().into_values());
        let s = open.summary(at(9, 0, 0), &limits);
        assert_eq!((s.total.positions, s.total.taken, s.total.free), (1, 1, 0));
        assert_eq!(s.total.overstay_certain, 1);
        assert_eq!(s.groups[0].id, Some(1545));
        assert_eq!(s.groups[0].counts.taken, 1);
        assert_eq!(s.zones[0].zone_id, Some(5));
        assert_eq!(s.levels[0].level_id, None);
        let ended = ledger(&[examples::START, examples::START_END]);
        let s =
            Board::from_positions(ended.positions().into_values()).summary(at(9, 0, 0), &limits);
        assert_eq!(
            (s.total.taken, s.total.free, s.total.overstay_certain),
            (0, 1, 0)
        );
    }

    #[test]
    fn a_partial_end_frees_one_sensor_and_the_car_still_counts_once() {
        let l = ledger(&[examples::PARTIAL_END]);
        let board = Board::from_positions(l.positions().into_values());
        let taken: Vec<(&str, bool)> = board
            .positions()
            .map(|p| (p.network_id(), p.taken))
            .collect();
        assert_eq!(
            taken,
            vec![
                ("00000000-0000-0000-0000-000000033c83", true),
                ("00000000-0000-0000-0000-000000033e5f", false)
            ]
        );
        // The group's own limit (by custom id) is stricter than the global one.
        let limits = OverstayLimits {
            default_minutes: Some(600),
            by_group: [("cd4206ec-6876-4eca-b859-d5735dd97386".to_string(), 5)].into(),
        };
        let s = board.summary(at(10, 30, 0), &limits);
        assert_eq!(s.total.overstay_certain, 1);
        assert_eq!(s.groups[0].max_stay_minutes, Some(5));
        assert_eq!(s.groups[0].counts.free, 1);
    }

    #[test]
    fn a_newer_session_on_the_bay_replaces_one_whose_end_was_lost() {
        let first = examples::START;
        let second = first
            .replace(
                "e9fcc95e-b9cd-4e7f-b275-092a62daf61d",
                "f0000000-0000-4000-8000-000000000001",
            )
            .replace("2021-01-26T07:48:40.121000", "2021-01-26T12:00:00.000000");
        let ended_second = ledger(&[&second, first]);
        let p = &ended_second.positions()["23f3e949-2dd3-47ca-b00f-c3310d4ce418"];
        assert_eq!(p.session_uuid, "f0000000-0000-4000-8000-000000000001");
        assert!(p.taken);
        let s = Board::from_positions(ended_second.positions().into_values()).stays(
            at(12, 10, 0),
            &OverstayLimits {
                default_minutes: Some(60),
                by_group: BTreeMap::new(),
            },
        );
        assert_eq!(s.len(), 1, "the first session's lost end does not overstay");
    }

    #[test]
    fn no_limit_no_overstay() {
        let board = Board::from_positions(ledger(&[examples::START]).positions().into_values());
        let s = board.summary(at(23, 0, 0), &OverstayLimits::default());
        assert_eq!(s.total.overstay_certain + s.total.overstay_possible, 0);
    }
}
