//! A realistic day of Nwave traffic, the same for the same seed: for `clearpark nwave replay`,
//! the demo's simulated feed, the tests and the benchmark.
//!
//! The site: groups of twelve bays in three zones; two groups in four are marked street bays,
//! every third group an open (unmarked) bay where a car may cover two sensors, and some marked
//! groups on two garage levels. Each position sees arrivals all day (busier from 07:00 to 20:00),
//! mostly short stays, some long ones that overstay. The Nwave cloud's messages follow: the start,
//! a partial end when one of two sensors is released first, the end, an authorisation (BLE tag or
//! app) on some bays, each cumulative with the session's current `correction_counter`; corrections
//! that move a start earlier (a recovered message, smaller error) or an end; cars parked before
//! the window whose start was sent the day before. Then the radio's imperfections: some messages
//! lost, some delivered twice a little later.

use crate::domain::nwave::{
    AuthBleTag, AuthMobile, Edge, Edges, Group, InvolvedDevice, PartialEnd, Position,
    SessionMessage,
};
use chrono::{DateTime, TimeDelta, Timelike, Utc};

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayPlan {
    pub seed: u64,
    /// Sensor positions on the site.
    pub bays: usize,
    /// The window's start; messages are sent within `[start, start + hours)`.
    pub start: DateTime<Utc>,
    pub hours: u32,
    /// Percent of messages the radio loses.
    pub loss_percent: f64,
    /// Percent of messages delivered twice.
    pub duplicate_percent: f64,
    /// Percent of sessions the cloud corrects.
    pub correction_percent: f64,
}

impl ReplayPlan {
    pub fn new(seed: u64, bays: usize, start: DateTime<Utc>) -> ReplayPlan {
        ReplayPlan {
            seed,
            bays,
            start,
            hours: 24,
            loss_percent: 1.0,
            duplicate_percent: 2.0,
            correction_percent: 10.0,
        }
    }
}

/// A message and when the cloud sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    pub at: DateTime<Utc>,
    pub message: SessionMessage,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplayStats {
    pub positions: usize,
    pub groups: usize,
    pub sessions: usize,
    pub messages: usize,
    pub lost: usize,
    pub duplicated: usize,
    pub corrections: usize,
    pub partial_ends: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    /// In the order sent.
    pub messages: Vec<Sent>,
    pub stats: ReplayStats,
}

const GROUP_SIZE: usize = 12;
const STREETS: &[&str] = &[
    "Bitarap Turkmenistan",
    "Magtymguly",
    "Atatürk",
    "Garaşsyzlyk",
    "Görogly",
    "Oguzhan",
    "Andalyp",
    "Galkynyş",
];

/// The site's positions, grouped; `unmarked[i]` for group `i`.
fn site(rng: &mut fastrand::Rng, bays: usize) -> (Vec<Vec<InvolvedDevice>>, Vec<bool>) {
    let mut groups = Vec::new();
    let mut unmarked = Vec::new();
    let mut n = 0usize;
    let mut g = 0usize;
    while n < bays {
        let size = GROUP_SIZE.min(bays - n);
        let open_bay = g % 3 == 2;
        let (level_id, level_name, floor) = match (open_bay, g % 4) {
            (false, 1) => (Some(1), Some("P1"), Some(-1)),
            (false, 3) => (Some(2), Some("P2"), Some(-2)),
            _ => (None, None, None),
        };
        let group = Group {
            id: Some(2001 + g as i64),
            kind: Some(
                if open_bay {
                    "unmarked_parking_bay"
                } else {
                    "marked_parking_bay"
                }
                .into(),
            ),
            name: Some(match level_name {
                Some(level) => format!("Garage {level} row {}", g + 1),
                None => format!("{} {}", STREETS[g % STREETS.len()], g + 1),
            }),
            custom_id: Some(uuid_from(rng).to_string()),
            zone_id: Some(1 + (g as i64 / 4) % 3),
            level_id,
            level_name: level_name.map(str::to_owned),
            floor_number: floor,
        };
        let devices = (0..size)
            .map(|i| {
                let serial = 0x30000 + n + i;
                let mut labels = Vec::new();
                if i == 0 && !open_bay {
                    labels.push("disabled".to_string());
                }
                if i == size - 1 && level_id.is_some() {
                    labels.push("ev-charger".to_string());
                }
                InvolvedDevice {
                    device_id: Some(format!("{serial:x}")),
                    serial_id: None,
                    hardware_type: Some("Sparkit Surface V3.9".into()),
                    position: Position {
                        network_id: format!("00000000-0000-0000-0000-{serial:012x}"),
                        custom_id: Some(format!("BAY-{:04}", n + i + 1)),
                        latitude: Some(37.9500 + (g as f64) * 0.0004),
                        longitude: Some(58.3800 + (i as f64) * 0.00003),
                        group: Some(group.clone()),
                        group_inner_id: Some(i as i64 + 1),
                        labels,
                    },
                }
            })
            .collect();
        groups.push(devices);
        unmarked.push(open_bay);
        n += size;
        g += 1;
    }
    (groups, unmarked)
}

fn uuid_from(rng: &mut fastrand::Rng) -> uuid::Uuid {
    let mut bytes = [0u8; 16];
    rng.fill(&mut bytes);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

fn secs(s: i64) -> TimeDelta {
    TimeDelta::seconds(s)
}

/// Minutes until the next arrival at a free bay: busier by day.
fn gap_minutes(rng: &mut fastrand::Rng, at: DateTime<Utc>) -> f64 {
    let mean = if (7..20).contains(&at.hour()) {
        25.0
    } else {
        150.0
    };
    -mean * (1.0 - rng.f64()).ln()
}

/// Minutes a car stays: mostly short, some long enough to overstay.
fn stay_minutes(rng: &mut fastrand::Rng) -> i64 {
    match rng.u32(0..100) {
        0..70 => rng.i64(5..90),
        70..95 => rng.i64(90..240),
        _ => rng.i64(240..600),
    }
}

/// One car's session as it really happened, and the versions the cloud reports.
struct Truth {
    uuid: String,
    /// Version 0 as first reported; later versions correct it.
    versions: Vec<(DateTime<Utc>, Edges)>,
    start: DateTime<Utc>,
    partial_at: Option<DateTime<Utc>>,
    end_at: DateTime<Utc>,
    auth_at: Option<DateTime<Utc>>,
}

pub fn generate(plan: &ReplayPlan) -> Replay {
    let mut rng = fastrand::Rng::with_seed(plan.seed);
    let window_end = plan.start + TimeDelta::hours(i64::from(plan.hours));
    let (groups, unmarked) = site(&mut rng, plan.bays);
    let mut stats = ReplayStats {
        positions: groups.iter().map(Vec::len).sum(),
        groups: groups.len(),
        ..ReplayStats::default()
    };
    let mut truths = Vec::new();
    for (g, devices) in groups.iter().enumerate() {
        // An open bay's sensors go in pairs a car may cover both of; marked bays one by one.
        let lanes: Vec<Vec<&InvolvedDevice>> = if unmarked[g] {
            devices.chunks(2).map(|c| c.iter().collect()).collect()
        } else {
            devices.iter().map(|d| vec![d]).collect()
        };
        for lane in lanes {
            // Some cars were already there when the window opened.
            let mut t = if rng.u32(0..100) < 35 {
                plan.start - TimeDelta::minutes(rng.i64(10..600))
            } else {
                plan.start + TimeDelta::seconds((gap_minutes(&mut rng, plan.start) * 60.0) as i64)
            };
            while t < window_end {
                let both = lane.len() == 2 && rng.u32(0..100) < 45;
                let used: Vec<InvolvedDevice> = match (both, lane.len()) {
                    (true, _) | (false, 1) => lane.iter().map(|d| (*d).clone()).collect(),
                    _ => vec![lane[rng.usize(0..lane.len())].clone()],
                };
                let truth = session(&mut rng, t, used, &mut stats);
                t = truth.end_at + secs((gap_minutes(&mut rng, truth.end_at) * 60.0) as i64);
                truths.push(truth);
            }
        }
    }
    stats.sessions = truths.len();
    let mut sent = Vec::new();
    for truth in &truths {
        emit(&mut rng, plan, window_end, truth, &mut sent, &mut stats);
    }
    // In the order sent; the sequence keeps equal times in generation order.
    sent.sort_by_key(|(at, seq, _)| (*at, *seq));
    stats.messages = sent.len();
    Replay {
        messages: sent
            .into_iter()
            .map(|(at, _, message)| Sent { at, message })
            .collect(),
        stats,
    }
}

fn trace(rng: &mut fastrand::Rng) -> Vec<String> {
    vec![uuid_from(rng).to_string()]
}

fn session(
    rng: &mut fastrand::Rng,
    arrival: DateTime<Utc>,
    devices: Vec<InvolvedDevice>,
    stats: &mut ReplayStats,
) -> Truth {
    let start = arrival + TimeDelta::milliseconds(rng.i64(0..1000));
    let stay = stay_minutes(rng);
    let end_at = start + TimeDelta::minutes(stay) + TimeDelta::milliseconds(rng.i64(0..60_000));
    let start_delta = match rng.u32(0..100) {
        0..85 => 0,
        85..93 => 60,
        93..98 => 120,
        _ => 300,
    };
    let partial_at = (devices.len() == 2 && rng.bool())
        .then(|| end_at - TimeDelta::seconds(rng.i64(30..600).min(stay * 30)));
    let auth_at = (rng.u32(0..100) < 15).then(|| start + secs(rng.i64(30..300)));
    let mut v0 = Edges {
        start: Edge {
            event_time: start,
            delta_time_sec: start_delta,
            message_trace_ids: trace(rng),
        },
        partial_end: partial_at.map(|at| PartialEnd {
            edge: Edge {
                event_time: at,
                delta_time_sec: 0,
                message_trace_ids: trace(rng),
            },
            network_id: devices[1].position.network_id.clone(),
            custom_id: devices[1].position.custom_id.clone(),
        }),
        end: Some(Edge {
            event_time: end_at,
            delta_time_sec: if rng.u32(0..100) < 90 { 0 } else { 60 },
            message_trace_ids: trace(rng),
        }),
        devices,
        auth_ble_tag: None,
        auth_mobile: None,
    };
    if let Some(at) = auth_at {
        if rng.bool() {
            v0.auth_mobile = Some(AuthMobile {
                session_id: uuid_from(rng).to_string(),
                event_time: Some(at),
            });
        } else {
            v0.auth_ble_tag = Some(AuthBleTag {
                tag_id: format!("BLE-{:06X}", rng.u32(0..0xFF_FFFF)),
                event_time: Some(at),
            });
        }
    }
    if partial_at.is_some() {
        stats.partial_ends += 1;
    }
    let mut versions = vec![(start, v0.clone())];
    if rng.f64() * 100.0 < 10.0 || start_delta >= 120 {
        // A recovered raw message: the start was earlier, now known exactly.
        let mut v1 = v0.clone();
        v1.start = Edge {
            event_time: start - secs(rng.i64(30..600)),
            delta_time_sec: 0,
            message_trace_ids: trace(rng),
        };
        let at = start + secs(rng.i64(120..3600));
        versions.push((at, v1));
        stats.corrections += 1;
        if rng.u32(0..100) < 30 {
            // Later the end, too, is corrected.
            let mut v2 = versions[1].1.clone();
            if let Some(end) = &mut v2.end {
                end.event_time += secs(rng.i64(1..120));
                end.message_trace_ids = trace(rng);
            }
            let at = (end_at + secs(rng.i64(60..1800))).max(at + secs(60));
            versions.push((at, v2));
            stats.corrections += 1;
        }
    }
    Truth {
        uuid: uuid_from(rng).to_string(),
        versions,
        start,
        partial_at,
        end_at,
        auth_at,
    }
}

/// The messages the cloud sends for a session within the window, with losses and repeats.
fn emit(
    rng: &mut fastrand::Rng,
    plan: &ReplayPlan,
    window_end: DateTime<Utc>,
    truth: &Truth,
    out: &mut Vec<(DateTime<Utc>, u64, SessionMessage)>,
    stats: &mut ReplayStats,
) {
    let latency = |rng: &mut fastrand::Rng| secs(rng.i64(3..40));
    let mut moments = vec![truth.start + latency(rng), truth.end_at + latency(rng)];
    moments.extend(truth.partial_at.map(|t| t + latency(rng)));
    moments.extend(truth.auth_at.map(|t| t + latency(rng)));
    moments.extend(truth.versions.iter().skip(1).map(|(at, _)| *at));
    moments.sort();
    for at in moments {
        if at < plan.start || at >= window_end {
            continue;
        }
        // The version the cloud holds at `at`, with the edges it knows by then.
        let counter = truth
            .versions
            .iter()
            .filter(|(from, _)| *from <= at)
            .count()
            .saturating_sub(1);
        let mut edges = truth.versions[counter].1.clone();
        let known = |t: DateTime<Utc>| t + secs(3) <= at;
        if !known(truth.end_at) {
            edges.end = None;
        }
        if !truth.partial_at.is_some_and(known) {
            edges.partial_end = None;
        }
        if !truth.auth_at.is_some_and(known) {
            edges.auth_ble_tag = None;
            edges.auth_mobile = None;
        }
        let message = SessionMessage {
            uuid: truth.uuid.clone(),
            counter: counter as u32,
            edges,
        };
        if rng.f64() * 100.0 < plan.loss_percent {
            stats.lost += 1;
            continue;
        }
        if rng.f64() * 100.0 < plan.duplicate_percent {
            stats.duplicated += 1;
            let again = at + secs(rng.i64(1..600));
            out.push((again, rng.u64(..), message.clone()));
        }
        out.push((at, rng.u64(..), message));
    }
}

/// The messages as the vendor's JSON, one per line.
pub fn to_json_lines(replay: &Replay) -> Vec<u8> {
    let mut out = Vec::new();
    for sent in &replay.messages {
        out.extend(sent.message.to_vendor_json());
        out.push(b'\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::nwave::{Ledger, parse};
    use chrono::TimeZone;

    fn plan(seed: u64) -> ReplayPlan {
        ReplayPlan::new(
            seed,
            60,
            Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap(),
        )
    }

    #[test]
    fn the_same_seed_gives_the_same_day() {
        assert_eq!(generate(&plan(7)), generate(&plan(7)));
        assert_ne!(generate(&plan(7)).messages, generate(&plan(8)).messages);
    }

    #[test]
    fn a_day_has_everything_the_sensors_do() {
        let replay = generate(&plan(42));
        let s = replay.stats;
        assert_eq!(s.positions, 60);
        assert_eq!(s.groups, 5);
        assert!(s.sessions > 300, "{s:?}");
        assert!(s.corrections > 10 && s.partial_ends > 10, "{s:?}");
        assert!(s.lost > 0 && s.duplicated > 0, "{s:?}");
        let m = &replay.messages;
        assert!(m.windows(2).all(|w| w[0].at <= w[1].at));
        assert!(m.iter().all(|s| s.at >= plan(42).start));
        assert!(m.iter().any(|s| s.message.edges.partial_end.is_some()));
        assert!(m.iter().any(|s| s.message.edges.auth_mobile.is_some()));
        assert!(m.iter().any(|s| s.message.edges.auth_ble_tag.is_some()));
        assert!(m.iter().any(|s| s.message.counter >= 2));
        let levels: std::collections::BTreeSet<_> = m
            .iter()
            .filter_map(|s| s.message.edges.devices[0].position.group.as_ref()?.level_id)
            .collect();
        assert_eq!(levels.len(), 2);
        // Every message is valid, and applying them leaves cars parked at the end of the day.
        let mut ledger = Ledger::default();
        for line in to_json_lines(&replay)
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
        {
            ledger.apply(&parse(line).unwrap());
        }
        let taken = ledger.positions().values().filter(|p| p.taken).count();
        assert!(taken > 0 && taken < 60, "{taken}");
    }
}
