//! The soak's booth: its data (a price, the lanes' and the API's cars, some of them parked since
//! before the run, drivers with tokens, remote IO keys), its config, and a clock that runs
//! faster than the wall so that a few minutes of load are half an hour of the booth's time.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use clearpark::booth::clock::Clock;
use clearpark::config::api::{DeviceKey, Secret};
use clearpark::config::{
    ApiConfig, BoothSettings, BrokerSettings, Config, LaneConfig, NwaveSettings,
};
use clearpark::domain::nwave::OverstayLimits;
use clearpark::domain::session::Direction;
use clearpark::store::accounts::NewAccount;
use clearpark::store::seed::{self, NewCode};
use clearpark::store::{DbStructure, Store, driver_tokens, resource};
use rust_decimal::Decimal;
use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

pub const RES_GUID: &str = "00000000-0000-4000-8000-0000000005a0";
pub const OPERATOR_TOKEN: &str = "soak-operator-token-0001";
pub const API_ENTRANCE: &str = "api-in";
pub const API_EXIT: &str = "api-out";
/// Booth-time minutes the parked cars have been inside when the run starts, at most.
const PARKED_SPREAD_MINUTES: i64 = 30;

/// Now, scaled: `factor` booth seconds pass per wall second, from the moment it is made.
#[derive(Debug, Clone)]
pub struct ScaledClock {
    origin: DateTime<Utc>,
    started: Instant,
    factor: u32,
}

impl ScaledClock {
    pub fn new(factor: u32) -> ScaledClock {
        ScaledClock {
            origin: clearpark::booth::clock::now(),
            started: Instant::now(),
            factor: factor.max(1),
        }
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = self.started.elapsed() * self.factor;
        let now = self.origin + TimeDelta::from_std(elapsed).unwrap_or_default();
        now.duration_trunc(TimeDelta::seconds(1)).unwrap_or(now)
    }
}

/// How many cars of each kind to seed.
pub struct Fleet {
    /// The pty lanes' cars parked at the start, and those outside.
    pub lane_parked: usize,
    pub lane_outside: usize,
    /// The same for the find-device clients.
    pub api_parked: usize,
    pub api_outside: usize,
    /// Parked for the whole run, each with a driver's token.
    pub drivers: usize,
    pub remote_io: usize,
}

/// Codes of cars in and out, shared by the clients that move them: a car leaves from the front
/// of `parked` (the longest stay) and arrives from the front of `outside`.
#[derive(Debug, Default)]
pub struct Cars {
    pub parked: std::sync::Mutex<VecDeque<String>>,
    pub outside: std::sync::Mutex<VecDeque<String>>,
}

impl Cars {
    pub fn take_outside(&self) -> Option<String> {
        self.outside.lock().unwrap().pop_front()
    }

    pub fn take_parked(&self) -> Option<String> {
        self.parked.lock().unwrap().pop_front()
    }

    pub fn entered(&self, code: String) {
        self.parked.lock().unwrap().push_back(code);
    }

    pub fn left(&self, code: String) {
        self.outside.lock().unwrap().push_back(code);
    }
}

pub struct Seeded {
    pub lanes: Arc<Cars>,
    pub api: Arc<Cars>,
    pub driver_tokens: Vec<String>,
    pub device_keys: Vec<DeviceKey>,
    /// Rows in each synced list at the start (for the clients' `after_id`).
    pub accounts: usize,
}

/// Seeds a fresh database. Parked cars entered on `entry_lane`s within the last half hour of
/// the booth's time, oldest first.
pub fn seed(store: &mut Store, fleet: &Fleet, now: DateTime<Utc>) -> Seeded {
    let tx = store.transaction().unwrap();
    let res = resource::upsert(&tx, RES_GUID, "Parking", Decimal::new(5, 2), "TMT", now).unwrap();
    let mut n = 0usize;
    let mut car = |parked: bool, count: usize, entry_lane: &str| -> Vec<(String, i64)> {
        (0..count)
            .map(|i| {
                n += 1;
                let holder = seed::account_with_code(
                    &tx,
                    &NewAccount {
                        name: format!("Soak driver {n}"),
                        reg_no: Some(format!("AG {n:04} SK")),
                        ..NewAccount::default()
                    },
                    &NewCode {
                        name: Some(format!("soak {n}")),
                        ..NewCode::random()
                    },
                    now,
                )
                .unwrap();
                if parked {
                    // Oldest first, spread over the last half hour.
                    let ago = PARKED_SPREAD_MINUTES * 60 * (count - i) as i64 / count as i64;
                    let parked = seed::Parked {
                        lane: entry_lane,
                        start: now - TimeDelta::seconds(ago),
                        db_structure: DbStructure::Saphasap,
                        resource: &res,
                        entrance_tries: 3,
                        exit_tries: 3,
                        tariff_version_id: None,
                    };
                    seed::parked(&tx, &holder, &parked).unwrap();
                }
                (holder.device.unique_id, holder.account.id)
            })
            .collect()
    };
    let codes = |v: Vec<(String, i64)>| v.into_iter().map(|(c, _)| c).collect();
    let lanes = Cars {
        parked: std::sync::Mutex::new(codes(car(true, fleet.lane_parked, "in"))),
        outside: std::sync::Mutex::new(codes(car(false, fleet.lane_outside, "in"))),
    };
    let api = Cars {
        parked: std::sync::Mutex::new(codes(car(true, fleet.api_parked, API_ENTRANCE))),
        outside: std::sync::Mutex::new(codes(car(false, fleet.api_outside, API_ENTRANCE))),
    };
    let drivers = car(true, fleet.drivers, API_ENTRANCE);
    let driver_tokens = drivers
        .iter()
        .map(|(_, account)| driver_tokens::create(&tx, *account, now).unwrap())
        .collect();
    tx.commit().unwrap();
    let device_keys = (0..fleet.remote_io)
        .map(|i| DeviceKey {
            name: format!("soak-io-{i}"),
            key: Secret::new(format!(
                "soak-remote-io-key-{i:04}-{}",
                uuid::Uuid::new_v4()
            )),
        })
        .collect();
    Seeded {
        lanes: Arc::new(lanes),
        api: Arc::new(api),
        driver_tokens,
        device_keys,
        accounts: n,
    }
}

/// The booth's config: the pty lanes, the API's two lanes without barriers, Nwave on `broker`.
pub fn config(db: &Path, mut lanes: Vec<LaneConfig>, broker: Option<BrokerSettings>) -> Config {
    for (id, direction) in [
        (API_ENTRANCE, Direction::Entrance),
        (API_EXIT, Direction::Exit),
    ] {
        lanes.push(LaneConfig {
            id: id.into(),
            name: id.into(),
            direction,
            scanner: clearpark::config::ScannerEndpoint::None,
            gate: clearpark::config::GateEndpoint::None,
            printer: clearpark::config::PrinterEndpoint::None,
        });
    }
    Config {
        tariffs: Default::default(),
        booth: BoothSettings {
            name: "Soak".into(),
            timezone: chrono_tz::UTC,
            database: db.to_owned(),
            db_structure: DbStructure::Saphasap,
            res_guid: RES_GUID.into(),
            capacity: None,
            entrance_tries: 3,
            exit_tries: 3,
            lost_ticket_fee: Decimal::new(1000, 2),
        },
        resource: None,
        lanes,
        api: None,
        // With or without a broker: the console's bays view and the API's lists are there
        // either way.
        nwave: Some(NwaveSettings {
            broker,
            keep_days: 90,
            limits: OverstayLimits {
                default_minutes: Some(120),
                by_group: Default::default(),
            },
        }),
    }
}

pub fn api_config(device_keys: Vec<DeviceKey>) -> ApiConfig {
    let mut api = ApiConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        API_ENTRANCE,
        API_EXIT,
        vec![Secret::new(OPERATOR_TOKEN)],
    );
    api.device_keys = device_keys;
    api
}
