//! The price of a stay, as every exit, every sessions-view refresh and every driver's app poll
//! computes it: the posted board's visitor tariff (docs/board.toml: grace, three periods, a
//! night band, a 24-hour cap) next to today's per-minute quote, in the same process.
//!
//! * a 30-day stay (30 windows of the cap, 30 nights), Asia/Ashgabat and Europe/Berlin (a DST
//!   change inside the stay);
//! * a 3-hour stay, the common exit;
//! * `pricing::quote`, every started minute × ResPrice, as the baseline.
//!
//! Each case runs ROUNDS rounds of CALLS calls, cases alternating; the median and p99 of the
//! per-round mean are printed with the ratio to the baseline.
//!
//! `cargo bench --bench tariff` (ROUNDS=n, CALLS=n to change the load).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use clearpark::domain::pricing;
use clearpark::domain::tariff::{self, Board, Rules, Stay};
use rust_decimal::Decimal;
use std::hint::black_box;
use std::time::{Duration, Instant};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Case {
    name: &'static str,
    run: Box<dyn Fn() -> Decimal>,
    means: Vec<Duration>,
}

fn visitor() -> Rules {
    Board::from_toml(include_str!("../docs/board.toml"))
        .unwrap()
        .tariffs
        .into_iter()
        .find(|t| t.name == "visitor")
        .unwrap()
        .rules
}

fn stay(start: DateTime<Utc>, length: TimeDelta, tz: Tz) -> Stay<'static> {
    Stay {
        start,
        end: start + length,
        resource_price: Decimal::new(5, 2),
        tz,
        lost_ticket: false,
        validation: None,
    }
}

fn main() {
    let rounds = env_or("ROUNDS", 30);
    let calls = env_or("CALLS", 2_000);
    let start = Utc.with_ymd_and_hms(2026, 10, 10, 6, 30, 0).unwrap();
    let month = TimeDelta::days(30);
    let rules = visitor();
    let ashgabat: Tz = "Asia/Ashgabat".parse().unwrap();
    let berlin: Tz = "Europe/Berlin".parse().unwrap();
    let mut cases = vec![
        Case {
            name: "per-minute quote, 30 days (baseline)",
            run: Box::new(move || {
                pricing::quote(start, start + month, Decimal::new(5, 2))
                    .unwrap()
                    .total
            }),
            means: Vec::new(),
        },
        Case {
            name: "visitor board, 30 days, Ashgabat",
            run: {
                let rules = rules.clone();
                Box::new(move || {
                    tariff::price(&rules, &stay(start, month, ashgabat))
                        .unwrap()
                        .total
                })
            },
            means: Vec::new(),
        },
        Case {
            name: "visitor board, 30 days, Berlin (DST change)",
            run: {
                let rules = rules.clone();
                Box::new(move || {
                    tariff::price(&rules, &stay(start, month, berlin))
                        .unwrap()
                        .total
                })
            },
            means: Vec::new(),
        },
        Case {
            name: "visitor board, 3 h 5 min",
            run: {
                let rules = rules.clone();
                Box::new(move || {
                    tariff::price(&rules, &stay(start, TimeDelta::minutes(185), ashgabat))
                        .unwrap()
                        .total
                })
            },
            means: Vec::new(),
        },
    ];
    for case in &cases {
        println!("{:<46} total {}", case.name, (case.run)());
    }
    for _ in 0..rounds {
        for case in &mut cases {
            let began = Instant::now();
            for _ in 0..calls {
                black_box((case.run)());
            }
            case.means.push(began.elapsed() / calls as u32);
        }
    }
    let stats = |means: &[Duration]| {
        let mut sorted = means.to_vec();
        sorted.sort();
        let at = |p: f64| sorted[((sorted.len() as f64 - 1.0) * p).round() as usize];
        (at(0.5), at(0.99), sorted[0], sorted[sorted.len() - 1])
    };
    let (base, ..) = stats(&cases[0].means);
    println!("\n{rounds} rounds of {calls} calls, per call:");
    println!(
        "{:<46} {:>10} {:>10} {:>21} {:>8}",
        "case", "median", "p99", "min..max", "ratio"
    );
    for case in &cases {
        let (p50, p99, min, max) = stats(&case.means);
        println!(
            "{:<46} {:>10.2?} {:>10.2?} {:>10.2?}..{:<10.2?} {:>7.1}x",
            case.name,
            p50,
            p99,
            min,
            max,
            p50.as_secs_f64() / base.as_secs_f64()
        );
    }
}
