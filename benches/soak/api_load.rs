//! API clients at a steady rate, open loop: requests are started on a schedule (not after the
//! previous answer), at most [`IN_FLIGHT`] at once. The mix, per 20 requests: 4 find-device
//! (a car in at the API's entrance, one out at its exit), 10 sync list pages (attendances,
//! accounts, devices; 100 rows after a random id), 4 drivers asking for their current session,
//! 2 remote IO devices reporting their address (`/set-ip/`).

use super::setup::{Cars, OPERATOR_TOKEN};
use super::stats::Figures;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

const IN_FLIGHT: usize = 64;
const PAGE: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Entrance,
    Exit,
    Attendances,
    Accounts,
    Devices,
    Driver,
    SetIp,
}

impl Kind {
    const ALL: [Kind; 7] = [
        Kind::Entrance,
        Kind::Exit,
        Kind::Attendances,
        Kind::Accounts,
        Kind::Devices,
        Kind::Driver,
        Kind::SetIp,
    ];

    fn name(self) -> &'static str {
        match self {
            Kind::Entrance => "find-device entrance",
            Kind::Exit => "find-device exit",
            Kind::Attendances => "list attendances",
            Kind::Accounts => "list rp-accs",
            Kind::Devices => "list devices",
            Kind::Driver => "driver current session",
            Kind::SetIp => "set-ip",
        }
    }
}

use Kind::*;
const MIX: [Kind; 20] = [
    Entrance,
    Attendances,
    Driver,
    Accounts,
    Exit,
    Devices,
    Attendances,
    SetIp,
    Driver,
    Accounts,
    Entrance,
    Devices,
    Attendances,
    Driver,
    Exit,
    Accounts,
    Attendances,
    SetIp,
    Driver,
    Devices,
];

/// Who and what the clients use.
pub struct Plan {
    pub addr: SocketAddr,
    pub rate: f64,
    pub cars: Arc<Cars>,
    pub driver_tokens: Vec<String>,
    pub device_keys: Vec<String>,
    /// Rows in the lists at the start, for the pages' `after_id`.
    pub rows: usize,
}

#[derive(Debug, Default)]
struct Tally {
    latencies: Vec<Duration>,
    /// Answered 2xx with the expected `status`.
    ok: usize,
    /// Any other HTTP status.
    non_2xx: usize,
    /// 2xx but `"status":0` (a refused find-device).
    refused: usize,
    /// No answer (connection, timeout).
    transport: usize,
}

pub struct Report {
    pub wall: Duration,
    pub started: usize,
    /// Turns with no car to move (the pools ran dry): a list page was asked instead.
    pub starved: usize,
    by_kind: Vec<(Kind, Tally)>,
}

impl Report {
    pub fn errors(&self) -> usize {
        self.by_kind
            .iter()
            .map(|(_, t)| t.non_2xx + t.refused + t.transport)
            .sum()
    }

    pub fn answered(&self) -> usize {
        self.by_kind.iter().map(|(_, t)| t.latencies.len()).sum()
    }

    pub fn print(&self) {
        for (kind, t) in &self.by_kind {
            println!(
                "  {:<24} {}  ok {} non-2xx {} refused {} no answer {}",
                kind.name(),
                Figures::of(&t.latencies).line(),
                t.ok,
                t.non_2xx,
                t.refused,
                t.transport
            );
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Runs until `stop`, then waits for the requests under way.
pub async fn run(plan: Plan, expected: usize, stop: CancellationToken) -> Report {
    let plan = Arc::new(plan);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(IN_FLIGHT)
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let tallies: Arc<Vec<Mutex<Tally>>> = Arc::new(
        Kind::ALL
            .iter()
            .map(|_| {
                Mutex::new(Tally {
                    latencies: Vec::with_capacity(expected / 2),
                    ..Tally::default()
                })
            })
            .collect(),
    );
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut tick = tokio::time::interval(Duration::from_millis(5));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let begun = Instant::now();
    let (mut started, mut starved) = (0usize, 0usize);
    let mut rng = fastrand::Rng::with_seed(8);
    'run: loop {
        tokio::select! {
            () = stop.cancelled() => break 'run,
            _ = tick.tick() => {}
        }
        let due = (begun.elapsed().as_secs_f64() * plan.rate) as usize;
        while started < due {
            let Ok(slot) = slots.clone().acquire_owned().await else {
                break 'run;
            };
            let mut kind = MIX[started % MIX.len()];
            let car = match kind {
                Entrance => plan.cars.take_outside(),
                Exit => plan.cars.take_parked(),
                _ => None,
            };
            if matches!(kind, Entrance | Exit) && car.is_none() {
                starved += 1;
                kind = Attendances;
            }
            let pick = rng.usize(..usize::MAX);
            let (http, plan, tallies) = (http.clone(), plan.clone(), tallies.clone());
            tokio::spawn(async move {
                let t = Instant::now();
                let answer = request(&http, &plan, kind, car.as_deref(), pick).await;
                let latency = t.elapsed();
                let index = Kind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
                let mut tally = tallies[index].lock().unwrap();
                match answer {
                    Some((true, true)) => {
                        tally.ok += 1;
                        if let Some(code) = car {
                            match kind {
                                Entrance => plan.cars.entered(code),
                                _ => plan.cars.left(code),
                            }
                        }
                    }
                    Some((true, false)) => tally.refused += 1,
                    Some((false, _)) => tally.non_2xx += 1,
                    None => tally.transport += 1,
                }
                tally.latencies.push(latency);
                drop(slot);
            });
            started += 1;
        }
    }
    let wall = begun.elapsed();
    // Every request under way answers (or times out) before the figures are read.
    let _ = slots.acquire_many(IN_FLIGHT as u32).await;
    let tallies = Arc::try_unwrap(tallies).unwrap();
    Report {
        wall,
        started,
        starved,
        by_kind: Kind::ALL
            .iter()
            .copied()
            .zip(tallies.into_iter().map(|t| t.into_inner().unwrap()))
            .collect(),
    }
}

/// One request: `(2xx, the expected status)`, or `None` without an answer.
async fn request(
    http: &reqwest::Client,
    plan: &Plan,
    kind: Kind,
    car: Option<&str>,
    pick: usize,
) -> Option<(bool, bool)> {
    let base = format!("http://{}", plan.addr);
    let after = pick % plan.rows.saturating_sub(PAGE).max(1);
    let list = |path: &str| {
        http.get(format!(
            "{base}/clearpark/{path}/?after_id={after}&limit={PAGE}"
        ))
        .bearer_auth(OPERATOR_TOKEN)
    };
    let builder = match kind {
        Entrance | Exit => {
            let direction = if kind == Entrance { "entrance" } else { "exit" };
            http.post(format!("{base}/find-device/?type={direction}"))
                .bearer_auth(OPERATOR_TOKEN)
                .json(&serde_json::json!({ "data": car.unwrap_or_default() }))
        }
        Attendances => list("attendances"),
        Accounts => list("rp-accs"),
        Devices => list("devices"),
        Driver => http
            .get(format!("{base}/api/car_driver/parking_sessions/current"))
            .bearer_auth(&plan.driver_tokens[pick % plan.driver_tokens.len()]),
        SetIp => http.get(format!(
            "{base}/set-ip/?device_key={}",
            plan.device_keys[pick % plan.device_keys.len()]
        )),
    };
    let response = builder.send().await.ok()?;
    let success = response.status().is_success();
    let body = response.bytes().await.ok()?;
    // The driver's answer has no envelope status; every other one does, and a find-device
    // that was refused answers 200 with status 0.
    let expected = kind == Driver || contains(&body, br#""status":1"#);
    Some((success, expected))
}
