//! A price board file (docs/tariffs.md), any of it, and stays it prices: the loader never
//! panics and refuses with at least one line; every tariff of a board it accepts prices any
//! stay without a panic, never below zero, never less for a later exit, and free within grace.
//!
//! Input: 18 bytes of stay (start: 8, two lengths: 4 + 4 in seconds, a zone: 1, lost: 1), then
//! the board's text.
#![no_main]

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use clearpark::domain::tariff::{self, Board, Stay};
use libfuzzer_sys::fuzz_target;
use rust_decimal::Decimal;

const ZONES: [Tz; 4] = [
    Tz::UTC,
    Tz::Europe__Berlin,
    Tz::America__New_York,
    Tz::Australia__Lord_Howe,
];

fuzz_target!(|data: &[u8]| {
    if data.len() < 18 {
        return;
    }
    let (stay, text) = data.split_at(18);
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let board = match Board::from_toml(text) {
        Ok(board) => board,
        Err(e) => {
            assert!(!e.problems.is_empty() && e.problems.iter().all(|p| !p.is_empty()));
            return;
        }
    };
    let int = |b: &[u8]| b.iter().fold(0_u64, |n, x| n << 8 | u64::from(*x));
    // 2000..2100, in seconds.
    let start = DateTime::<Utc>::from_timestamp(946_684_800 + (int(&stay[..8]) % 3_155_760_000) as i64, 0)
        .unwrap_or(DateTime::UNIX_EPOCH);
    let (a, b) = (int(&stay[8..12]) % 8_000_000, int(&stay[12..16]) % 8_000_000);
    let (short, long) = (a.min(b) as i64, a.max(b) as i64);
    let tz = ZONES[usize::from(stay[16]) % ZONES.len()];
    let lost_ticket = stay[17] & 1 == 1;
    for spec in &board.tariffs {
        let price = |seconds: i64| {
            tariff::price(
                &spec.rules,
                &Stay {
                    start,
                    end: start + TimeDelta::seconds(seconds),
                    resource_price: Decimal::new(5, 2),
                    tz,
                    lost_ticket,
                    validation: None,
                },
            )
        };
        let (Ok(early), Ok(late)) = (price(short), price(long)) else {
            // Only an amount too large for a decimal may refuse.
            continue;
        };
        assert!(early.total >= Decimal::ZERO);
        assert!(early.total <= late.total, "{} then {}", early.total, late.total);
        if !lost_ticket && short <= i64::from(spec.rules.grace_minutes) * 60 {
            assert!(early.total.is_zero());
        }
    }
});
