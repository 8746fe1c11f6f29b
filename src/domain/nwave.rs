//! Nwave parking-sensor sessions (docs/contracts.md §7, "Parking Session Logging API 2.0"): the
//! messages, their validation, applying them by correction counter, and occupancy with overstay.
//! Pure: the booth loads what the store holds, applies these rules and writes back the result.
//!
//! * [`message`] — the validated message and its edges; the vendor's JSON for publishing.
//! * [`parse`] — bytes to a message, or the reason it goes to quarantine.
//! * [`version`] — applying a message: duplicates, same-counter merges, corrections, stale ones.
//! * [`occupancy`] — which positions are taken; overstay.
//! * [`summary`] — free, taken and overstaying per group, zone and level.
//! * [`examples`] — the reference's examples, verbatim.

pub mod examples;
pub mod message;
pub mod occupancy;
pub mod parse;
pub mod summary;
pub mod version;
mod wire;

pub use message::{
    AuthBleTag, AuthMobile, DeliveryOrigin, Edge, Edges, Group, InvolvedDevice, PartialEnd,
    Position, SessionMessage, SessionPhase,
};
pub use occupancy::{Board, Overstay, OverstayLimits, PositionState, Stay, claims, overstay};
pub use parse::{Rejection, parse};
pub use summary::{Counts, GroupCount, LevelCount, OccupancySummary, ZoneCount};
pub use version::{Applied, Ledger, SessionRecord, Version};

#[cfg(test)]
mod order_tests {
    //! Arrival order and redelivery never change the outcome.
    use super::*;
    use chrono::{TimeDelta, TimeZone, Utc};
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    struct VersionPlan {
        start_min: i64,
        delta: u32,
        stay_min: i64,
        partial: bool,
        ended: bool,
        auth: bool,
        /// Another message of the same counter that disagrees on the start's error.
        disagree: bool,
    }

    #[derive(Debug, Clone)]
    struct SessionPlan {
        first_position: usize,
        two_sensors: bool,
        /// The first counter sent; the vendor's history may begin before we listen.
        first_counter: u32,
        versions: Vec<VersionPlan>,
    }

    fn version_plan() -> impl Strategy<Value = VersionPlan> {
        (
            0i64..600,
            prop::sample::select(vec![0u32, 60, 120]),
            1i64..300,
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            prop::bool::weighted(0.2),
        )
            .prop_map(
                |(start_min, delta, stay_min, partial, ended, auth, disagree)| VersionPlan {
                    start_min,
                    delta,
                    stay_min,
                    partial,
                    ended,
                    auth,
                    disagree,
                },
            )
    }

    fn session_plan() -> impl Strategy<Value = SessionPlan> {
        (
            0usize..3,
            any::<bool>(),
            0u32..2,
            prop::collection::vec(version_plan(), 1..4),
        )
            .prop_map(|(first_position, two_sensors, first_counter, versions)| {
                SessionPlan {
                    first_position,
                    two_sensors,
                    first_counter,
                    versions,
                }
            })
    }

    fn device(position: usize) -> InvolvedDevice {
        InvolvedDevice {
            device_id: Some(format!("d{position}")),
            serial_id: None,
            hardware_type: Some("Sparkit Surface V3.9".into()),
            position: Position {
                network_id: format!("p{position}"),
                custom_id: None,
                latitude: Some(37.95),
                longitude: Some(58.38),
                group: Some(Group {
                    id: Some(7),
                    kind: Some("unmarked_parking_bay".into()),
                    ..Group::default()
                }),
                group_inner_id: Some(position as i64),
                labels: Vec::new(),
            },
        }
    }

    /// The messages the vendor sends for a plan: per counter, the start, then the start with
    /// the partial end, then with the end: cumulative, all with that counter.
    fn messages(index: usize, plan: &SessionPlan) -> Vec<SessionMessage> {
        let uuid = format!("s{index}");
        let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 6, 0, 0).unwrap();
        let mut devices = vec![device(plan.first_position)];
        if plan.two_sensors {
            devices.push(device(plan.first_position + 1));
        }
        let mut out = Vec::new();
        for (i, v) in plan.versions.iter().enumerate() {
            let counter = plan.first_counter + i as u32;
            let edge = |min: i64, delta: u32, tag: &str| Edge {
                event_time: t0 + TimeDelta::minutes(min),
                delta_time_sec: delta,
                message_trace_ids: vec![format!("{uuid}-{counter}-{tag}")],
            };
            let mut edges = Edges {
                start: edge(v.start_min, v.delta, "start"),
                partial_end: None,
                end: None,
                devices: devices.clone(),
                auth_ble_tag: None,
                auth_mobile: None,
            };
            let mut push = |edges: &Edges| {
                out.push(SessionMessage {
                    uuid: uuid.clone(),
                    counter,
                    edges: edges.clone(),
                })
            };
            push(&edges);
            if v.disagree {
                let mut other = edges.clone();
                other.start.delta_time_sec += 30;
                push(&other);
            }
            if v.auth {
                edges.auth_mobile = Some(AuthMobile {
                    session_id: format!("{uuid}-app"),
                    event_time: Some(edges.start.event_time + TimeDelta::minutes(1)),
                });
                push(&edges);
            }
            if plan.two_sensors && v.partial {
                edges.partial_end = Some(PartialEnd {
                    edge: edge(v.start_min + v.stay_min / 2, 0, "partial"),
                    network_id: devices[1].position.network_id.clone(),
                    custom_id: None,
                });
                push(&edges);
            }
            if v.ended {
                edges.end = Some(edge(v.start_min + v.stay_min, 0, "end"));
                push(&edges);
            }
        }
        out
    }

    fn arrivals() -> impl Strategy<Value = (Vec<SessionMessage>, Vec<SessionMessage>)> {
        prop::collection::vec(session_plan(), 1..4)
            .prop_map(|plans| {
                plans
                    .iter()
                    .enumerate()
                    .flat_map(|(i, p)| messages(i, p))
                    .collect::<Vec<_>>()
            })
            .prop_flat_map(|in_order| {
                let n = in_order.len();
                let shuffled = Just(in_order.clone()).prop_shuffle();
                let redelivered = prop::collection::vec(0..n, 0..n.max(1));
                (Just(in_order), shuffled, redelivered)
            })
            .prop_map(|(in_order, mut shuffled, redelivered)| {
                // Redeliveries come again later, anywhere after their first arrival.
                for (k, i) in redelivered.into_iter().enumerate() {
                    let again = shuffled[i].clone();
                    let at = (i + 1 + k).min(shuffled.len());
                    shuffled.insert(at, again);
                }
                (in_order, shuffled)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn any_order_and_any_redelivery_give_the_same_state((in_order, arrived) in arrivals()) {
            let mut expected = Ledger::default();
            for m in &in_order {
                expected.apply(m);
            }
            let mut got = Ledger::default();
            for m in &arrived {
                got.apply(m);
            }
            prop_assert_eq!(&got.sessions, &expected.sessions);
            prop_assert_eq!(got.positions(), expected.positions());
            // And the wire format carries all of it.
            let mut wired = Ledger::default();
            for m in &arrived {
                wired.apply_bytes(&m.to_vendor_json()).unwrap();
            }
            prop_assert_eq!(&wired.sessions, &expected.sessions);
        }
    }
}
