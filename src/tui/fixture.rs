//! A console full of fixed, realistic data, for the screen's snapshot tests, its render
//! benchmark and the README's screenshots. Deterministic: the same data every time.

use super::app::{App, AppConfig, Msg};
use super::model::{AccountRow, BayGroup, BayState, BaysData};
use super::task::LaneInfo;
use crate::booth::{
    Activity, ActivityKind, BatchApplied, GatePosition, GateView, LaneView, NwaveLink, NwaveView,
    PaymentDue, RevenueView, ScanDecided, ScanOutcome, ScanSource, Snapshot,
};
use crate::domain::model::{Account, Device, OpenSession, Session, SessionHolder};
use crate::domain::nwave::{Counts, GroupCount, OccupancySummary};
use crate::domain::pricing;
use crate::domain::receipt::PaymentMethod;
use crate::domain::session::{Direction, Refusal, SessionState};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use rust_decimal::Decimal;

/// 2026-11-23 10:30:00 UTC (15:30 in Ashgabat).
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 30, 0)
        .single()
        .unwrap_or_default()
}

fn price() -> Decimal {
    Decimal::new(5, 2)
}

const NAMES: &[&str] = &[
    "Aýna Berdiýewa",
    "Merdan Orazow",
    "Gülşat Annaýewa",
    "Serdar Hojaýew",
    "Jeren Nurmuhammedowa",
    "Döwlet Amanow",
    "Maýsa Gurbanowa",
    "Batyr Saparow",
];

fn lane_info(id: &str, name: &str, direction: Direction) -> LaneInfo {
    LaneInfo {
        id: id.into(),
        name: name.into(),
        direction,
        has_gate: true,
        has_printer: true,
    }
}

pub fn config() -> AppConfig {
    AppConfig {
        site: "Clearpark Central".into(),
        timezone: chrono_tz::Asia::Ashgabat,
        lanes: vec![
            lane_info("in-1", "North entrance", Direction::Entrance),
            lane_info("in-2", "South entrance", Direction::Entrance),
            lane_info("out-1", "North exit", Direction::Exit),
        ],
        wedge_lane: Some("in-1".into()),
        bay_limits: Some(crate::domain::nwave::OverstayLimits::default()),
    }
}

fn session(id: i64, state: SessionState, minutes_ago: i64) -> Session {
    Session {
        id,
        guid: format!("00000000-0000-4000-8000-{id:012}"),
        holder: SessionHolder::Account {
            account_id: id,
            device_id: id,
        },
        state,
        entry_lane: "in-1".into(),
        exit_lane: None,
        start: now() - TimeDelta::minutes(minutes_ago),
        end: None,
        minutes: None,
        price_per_minute: price(),
        total: None,
        currency: "TMT".into(),
        entrance_remaining_tries: 3,
        exit_remaining_tries: 3,
        payment_method: None,
        lost_ticket: false,
        receipt_no: None,
        tariff_version_id: None,
        validation_id: None,
    }
}

fn account(id: i64) -> Account {
    Account {
        id,
        guid: format!("9d40a40d-cf50-4bbd-a7e5-{id:012}"),
        name: NAMES[id as usize % NAMES.len()].into(),
        user_name: None,
        reg_no: Some(format!("AG {:04} AG", 1000 + id * 37 % 9000)),
        phone: None,
        status_id: if id % 13 == 12 { 2 } else { 1 },
        deleted: false,
        type_id: Some(2),
        price_group_id: None,
        trans_total: Decimal::new(id * 135 % 10_000, 2),
    }
}

fn device(id: i64) -> Device {
    Device {
        id,
        guid: format!("d1bddb81-2c27-4b93-b79f-{id:012}"),
        unique_id: format!("{:013x}", 0x788879fbe6635_i64 + id),
        name: None,
        account_id: id,
    }
}

fn scan(at_min: i64, lane: &str, id: i64, outcome: ScanOutcome) -> Activity {
    Activity {
        at: now() - TimeDelta::minutes(at_min),
        lane: Some(lane.into()),
        kind: ActivityKind::Scan {
            source: ScanSource::Scanner,
            code: crate::domain::qr::mask(&device(id).unique_id),
            decided: Box::new(ScanDecided {
                lane: lane.into(),
                outcome,
                account: Some(account(id)),
                device: Some(device(id)),
                ticket: None,
            }),
        },
    }
}

fn snapshot(bays: &BaysData) -> Snapshot {
    let lane = |id: &str, name: &str, direction, position, presence| LaneView {
        id: id.into(),
        name: name.into(),
        direction,
        gate: GateView {
            online: Some(true),
            position,
            presence,
            held: false,
            last_fault: None,
        },
        scanner_online: Some(true),
        printer_online: Some(true),
        pending: Vec::new(),
        awaiting_payment: None,
        held_validation: None,
    };
    let mut in_1 = lane(
        "in-1",
        "North entrance",
        Direction::Entrance,
        GatePosition::Open,
        true,
    );
    in_1.pending = vec![41];
    let mut in_2 = lane(
        "in-2",
        "South entrance",
        Direction::Entrance,
        GatePosition::Closed,
        false,
    );
    in_2.gate.online = Some(false);
    let mut out_1 = lane(
        "out-1",
        "North exit",
        Direction::Exit,
        GatePosition::Closed,
        false,
    );
    out_1.printer_online = Some(false);
    let start = now() - TimeDelta::minutes(83);
    let stay = crate::domain::tariff::Stay {
        start,
        end: now(),
        resource_price: price(),
        tz: chrono_tz::Asia::Ashgabat,
        lost_ticket: false,
        validation: None,
    };
    out_1.awaiting_payment = pricing::tariff_quote(Some(&visitor()), &stay)
        .ok()
        .map(|quote| PaymentDue {
            session_id: 40,
            ticket_no: 17,
            quote,
            currency: "TMT".into(),
        });
    Snapshot {
        site_name: "Clearpark Central".into(),
        taken_at: Some(now()),
        lanes: vec![in_1, in_2, out_1],
        occupied: 57,
        capacity: Some(120),
        revenue_today: RevenueView {
            day: Some(now().date_naive()),
            currency: "TMT".into(),
            by_method: vec![
                (PaymentMethod::Account, 38, Decimal::new(24_115, 2)),
                (PaymentMethod::Cash, 6, Decimal::new(3_940, 2)),
                (PaymentMethod::Card, 4, Decimal::new(2_275, 2)),
            ],
        },
        last_receipt_no: Some(48),
        refused_scans: 3,
        nwave: bays.sensors.then(|| std::sync::Arc::new(nwave_view(bays))),
    }
}

/// The sensors' view as the booth would publish it for these bays.
fn nwave_view(bays: &BaysData) -> NwaveView {
    let counts = |states: &[BayState]| {
        let n = |s: BayState| states.iter().filter(|b| **b == s).count() as u32;
        Counts {
            positions: states.len() as u32,
            free: n(BayState::Free),
            taken: states.len() as u32 - n(BayState::Free),
            overstay_certain: n(BayState::OverstayCertain),
            overstay_possible: n(BayState::OverstayPossible),
        }
    };
    let all: Vec<BayState> = bays.groups.iter().flat_map(|g| g.bays.clone()).collect();
    NwaveView {
        link: NwaveLink::Connected {
            since: now() - TimeDelta::hours(3),
        },
        last_message_at: Some(now() - TimeDelta::seconds(12)),
        totals: BatchApplied::default(),
        failed_batches: 0,
        occupancy: OccupancySummary {
            at: Some(now()),
            total: counts(&all),
            groups: bays
                .groups
                .iter()
                .enumerate()
                .map(|(i, g)| GroupCount {
                    id: Some(1500 + i as i64),
                    custom_id: None,
                    name: g.title.split(" · ").next().map(str::to_owned),
                    kind: Some("marked_parking_bay".into()),
                    zone_id: Some(5),
                    level_id: Some(i as i64 % 2),
                    max_stay_minutes: Some(120),
                    counts: counts(&g.bays),
                })
                .collect(),
            zones: Vec::new(),
            levels: Vec::new(),
        },
    }
}

fn activities() -> Vec<Activity> {
    let quote = |minutes: i64| {
        pricing::quote(now() - TimeDelta::minutes(minutes), now(), price())
            .unwrap_or_else(|_| unreachable_quote())
    };
    vec![
        scan(
            14,
            "in-1",
            1,
            ScanOutcome::Entered {
                session: session(30, SessionState::Entering, 14),
                retry: false,
            },
        ),
        Activity {
            at: now() - TimeDelta::minutes(13),
            lane: Some("in-1".into()),
            kind: ActivityKind::Passed {
                session_id: Some(30),
                state: Some(SessionState::Active),
            },
        },
        scan(
            11,
            "out-1",
            2,
            ScanOutcome::Exited {
                session: session(12, SessionState::Exiting, 95),
                quote: quote(95),
                retry: false,
            },
        ),
        scan(9, "in-2", 3, ScanOutcome::Refused(Refusal::AlreadyInside)),
        Activity {
            at: now() - TimeDelta::minutes(8),
            lane: Some("in-2".into()),
            kind: ActivityKind::Device {
                device: crate::booth::DeviceKind::Gate,
                online: false,
                detail: "no answer for 3 s".into(),
            },
        },
        scan(
            6,
            "out-1",
            4,
            ScanOutcome::Exited {
                session: session(15, SessionState::Exiting, 212),
                quote: quote(212),
                retry: false,
            },
        ),
        Activity {
            at: now() - TimeDelta::minutes(5),
            lane: Some("out-1".into()),
            kind: ActivityKind::TimedOut {
                sessions: vec![(15, 2)],
            },
        },
        Activity {
            at: now() - TimeDelta::minutes(4),
            lane: Some("in-1".into()),
            kind: ActivityKind::Attendant {
                actor: "anna".into(),
                action: "gate_open by hand: \"ambulance\" (audited)".into(),
                detail: String::new(),
            },
        },
        scan(2, "in-1", 5, ScanOutcome::Refused(Refusal::BlockedAccount)),
        scan(
            1,
            "in-1",
            6,
            ScanOutcome::Entered {
                session: session(41, SessionState::Entering, 1),
                retry: false,
            },
        ),
    ]
}

fn unreachable_quote() -> pricing::Quote {
    pricing::Quote {
        start: now(),
        end: now(),
        elapsed_seconds: 0,
        billed_minutes: 0,
        price_per_minute: price(),
        total: Decimal::ZERO,
        tariff: None,
        lines: Vec::new(),
    }
}

/// The posted board's visitor tariff (docs/board.toml), version 1.
pub fn visitor() -> crate::domain::tariff::TariffVersion {
    let board = crate::domain::tariff::Board::from_toml(include_str!("../../docs/board.toml"))
        .unwrap_or_default();
    let spec = board.tariffs.into_iter().find(|t| t.name == "visitor");
    crate::domain::tariff::TariffVersion {
        id: 1,
        tariff: "visitor".into(),
        version: 1,
        currency: "TMT".into(),
        effective_from: chrono::DateTime::UNIX_EPOCH,
        rules: spec.map_or_else(
            || crate::domain::tariff::Rules::per_minute(Decimal::ZERO),
            |s| s.rules,
        ),
    }
}

/// `n` open sessions, spread over the last two days.
pub fn sessions(n: usize) -> Vec<OpenSession> {
    (0..n as i64)
        .map(|i| OpenSession {
            id: 1000 + i,
            holder: if i % 7 == 3 {
                format!("ticket {:06}", i + 1)
            } else {
                format!(
                    "{} (AG {:04} AG)",
                    NAMES[i as usize % NAMES.len()],
                    1000 + i * 37 % 9000
                )
            },
            entry_lane: if i % 3 == 0 { "in-2" } else { "in-1" }.into(),
            state: if i % 17 == 5 {
                SessionState::Entering
            } else {
                SessionState::Active
            },
            start: now() - TimeDelta::minutes((i * 97) % 2880 + 1),
            price_per_minute: price(),
            currency: "TMT".into(),
            entrance_remaining_tries: 3,
            exit_remaining_tries: 3,
            tariff: (i % 2 == 0).then(|| std::sync::Arc::new(visitor())),
            validation: None,
        })
        .collect()
}

/// `n` bays in groups of 40 over two levels, about two thirds taken, a few overstays.
pub fn bays(n: usize) -> BaysData {
    let mut groups: Vec<BayGroup> = Vec::new();
    for i in 0..n {
        let g = i / 40;
        if groups.len() <= g {
            groups.push(BayGroup {
                title: format!("Row {} · level {}", (b'A' + (g % 26) as u8) as char, g % 2),
                bays: Vec::new(),
            });
        }
        let state = match (i * 7919) % 97 {
            0..=30 => BayState::Free,
            31..=90 => BayState::Taken,
            91..=94 => BayState::OverstayPossible,
            _ => BayState::OverstayCertain,
        };
        if let Some(group) = groups.last_mut() {
            group.bays.push(state);
        }
    }
    BaysData {
        sensors: n > 0,
        groups,
    }
}

pub fn accounts(n: usize) -> Vec<AccountRow> {
    (1..=n as i64)
        .map(|id| AccountRow {
            account: account(id),
            devices: vec![device(id)],
        })
        .collect()
}

/// The console with every list filled.
pub fn app(sessions_n: usize, bays_n: usize) -> App {
    let mut app = App::new(config(), now());
    let bays = bays(bays_n);
    app.update(Msg::Snapshot(Box::new(snapshot(&bays))));
    for a in activities() {
        app.update(Msg::Activity(Box::new(a)));
    }
    app.update(Msg::Sessions(sessions(sessions_n)));
    app.update(Msg::Bays(bays));
    app.update(Msg::Accounts(accounts(12)));
    app
}
