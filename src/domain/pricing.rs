//! Per-minute pricing (docs/contracts.md §2): `minutes = ceil(elapsed / 60 s)`, `total = minutes × price`,
//! exact decimal, rounded to the currency's 2 decimals half away from zero; and a session's
//! [`Quote`] under its tariff (docs/tariffs.md).

use crate::domain::tariff::{self, ChargeLine, Rules, Stay, TariffRef, TariffVersion};
use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};

/// Decimal places of every currency the booth prices in (TMT, EUR, RON, USD...).
pub const MONEY_DECIMALS: u32 = 2;

/// Why a stay cannot be priced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    /// The clock went backwards or the rows were edited: a negative stay is never billed.
    #[error("the stay ends ({end}) before it starts ({start})")]
    EndBeforeStart {
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    },
    #[error("the price per minute {0} is negative")]
    NegativePrice(Decimal),
    #[error("the total for {minutes} minutes at {per_minute} per minute does not fit a decimal")]
    Overflow { minutes: i64, per_minute: Decimal },
    /// A tariff's sum (blocks × their price, a day's charges) that does not fit a decimal.
    #[error("{count} × {amount} does not fit a decimal")]
    TooLarge { count: i64, amount: Decimal },
}

/// A priced stay: what the receipt, the API's `Parking` object and the session row show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Whole seconds of the stay (fractions are kept in `billed_minutes`' rounding, not here).
    pub elapsed_seconds: i64,
    pub billed_minutes: i64,
    /// `ResPrice` as the session recorded it (the API's `ResPrice`).
    pub price_per_minute: Decimal,
    pub total: Decimal,
    /// The tariff version that priced it (`"visitor v2"`); `None`: per minute at
    /// `price_per_minute`, outside any tariff.
    pub tariff: Option<TariffRef>,
    /// How the total was reached, line by line (empty outside a tariff).
    pub lines: Vec<ChargeLine>,
}

/// `ceil(elapsed / 60 s)`; a started minute is a billed minute, an empty stay is zero minutes.
pub fn billed_minutes(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<i64, PriceError> {
    let elapsed = end.signed_duration_since(start);
    // Nanoseconds in i128 so that neither fractions nor centuries lose anything.
    let nanos =
        i128::from(elapsed.num_seconds()) * 1_000_000_000 + i128::from(elapsed.subsec_nanos());
    if nanos < 0 {
        return Err(PriceError::EndBeforeStart { start, end });
    }
    let minute = 60 * 1_000_000_000_i128;
    let minutes = (nanos + minute - 1) / minute;
    // i64 minutes cover 17 trillion years; saturating keeps the type honest without a panic.
    Ok(i64::try_from(minutes).unwrap_or(i64::MAX))
}

/// Rounds a money amount to the currency's decimals, half away from zero.
pub fn round_money(amount: Decimal) -> Decimal {
    let mut rounded =
        amount.round_dp_with_strategy(MONEY_DECIMALS, RoundingStrategy::MidpointAwayFromZero);
    // Always carry exactly two decimals so that "8" prints as "8.00" everywhere.
    rounded.rescale(MONEY_DECIMALS);
    rounded
}

/// `minutes × price_per_minute`, rounded to the currency.
pub fn total_for(minutes: i64, price_per_minute: Decimal) -> Result<Decimal, PriceError> {
    if price_per_minute.is_sign_negative() && !price_per_minute.is_zero() {
        return Err(PriceError::NegativePrice(price_per_minute));
    }
    Decimal::from(minutes)
        .checked_mul(price_per_minute)
        .map(round_money)
        .ok_or(PriceError::Overflow {
            minutes,
            per_minute: price_per_minute,
        })
}

/// Prices the stay from `start` to `end` at `price_per_minute`.
pub fn quote(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    price_per_minute: Decimal,
) -> Result<Quote, PriceError> {
    let billed_minutes = billed_minutes(start, end)?;
    let total = total_for(billed_minutes, price_per_minute)?;
    Ok(Quote {
        start,
        end,
        elapsed_seconds: end.signed_duration_since(start).num_seconds(),
        billed_minutes,
        price_per_minute,
        total,
        tariff: None,
        lines: Vec::new(),
    })
}

/// Prices `stay` under its tariff version; `None` is the standard rule (every started minute
/// at `stay.resource_price`), for a stay from before tariffs.
pub fn tariff_quote(version: Option<&TariffVersion>, stay: &Stay<'_>) -> Result<Quote, PriceError> {
    let standard;
    let rules = match version {
        Some(v) => &v.rules,
        None => {
            standard = Rules::per_minute(Decimal::ZERO);
            &standard
        }
    };
    let priced = tariff::price(rules, stay)?;
    Ok(Quote {
        start: stay.start,
        end: stay.end,
        elapsed_seconds: priced.elapsed_seconds,
        billed_minutes: priced.billed_minutes,
        price_per_minute: stay.resource_price,
        total: priced.total,
        tariff: version.map(TariffVersion::reference),
        lines: priced.lines,
    })
}

/// What is still due on a stay that already paid `paid` on receipt `receipt_no` and is priced
/// `full` now: the difference (never negative), explained by `full`'s lines and the payment.
pub fn still_due(full: Quote, paid: Decimal, receipt_no: Option<i64>) -> Quote {
    let mut lines = full.lines;
    let on = receipt_no.map_or_else(String::new, |no| format!(" on receipt {no:06}"));
    lines.push(ChargeLine {
        kind: tariff::LineKind::AlreadyPaid,
        label: format!("Already paid{on}"),
        count: 0,
        amount: round_money(-paid),
    });
    Quote {
        total: round_money((full.total - paid).max(Decimal::ZERO)),
        lines,
        ..full
    }
}

/// The price of a stay if it ended at `stay.end` (now): what an exit now would charge (the
/// booth at the exit, the console's sessions list, the driver's app). A clock that stepped back
/// before the start bills an empty stay rather than refusing the car at the barrier; a stay
/// the rules cannot price (a negative price per minute in the rows, an overflow) is billed
/// zero, with the reason for the caller's log.
pub fn so_far(version: Option<&TariffVersion>, stay: &Stay<'_>) -> (Quote, Option<PriceError>) {
    let stay = Stay {
        end: stay.end.max(stay.start),
        ..*stay
    };
    match tariff_quote(version, &stay) {
        Ok(quote) => (quote, None),
        Err(e) => (
            Quote {
                start: stay.start,
                end: stay.end,
                elapsed_seconds: 0,
                billed_minutes: 0,
                price_per_minute: stay.resource_price,
                total: round_money(Decimal::ZERO),
                tariff: version.map(TariffVersion::reference),
                lines: Vec::new(),
            },
            Some(e),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;
    use std::str::FromStr;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, h, m, s)
            .single()
            .unwrap()
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn minutes_after(seconds: i64) -> i64 {
        let start = at(10, 0, 0);
        billed_minutes(start, start + Duration::seconds(seconds)).unwrap()
    }

    #[test]
    fn so_far_bills_an_empty_stay_for_a_clock_that_stepped_back_and_zero_for_a_bad_price() {
        let so_far = |start, now, price| {
            so_far(
                None,
                &Stay {
                    start,
                    end: now,
                    resource_price: price,
                    tz: chrono_tz::Tz::UTC,
                    lost_ticket: false,
                    validation: None,
                },
            )
        };
        let (q, error) = so_far(at(10, 0, 0), at(10, 7, 15), dec("0.05"));
        assert_eq!((q.billed_minutes, q.total, error), (8, dec("0.40"), None));
        let (q, error) = so_far(at(10, 0, 0), at(9, 59, 0), dec("0.05"));
        assert_eq!(
            (q.end, q.billed_minutes, q.total),
            (at(10, 0, 0), 0, dec("0.00"))
        );
        assert_eq!(error, None);
        let (q, error) = so_far(at(10, 0, 0), at(10, 1, 0), dec("-1"));
        assert_eq!((q.billed_minutes, q.total.to_string()), (0, "0.00".into()));
        assert_eq!(error, Some(PriceError::NegativePrice(dec("-1"))));
    }

    #[test]
    fn reference_example_435_seconds_is_8_minutes() {
        let q = quote(at(10, 0, 0), at(10, 7, 15), dec("0.05")).unwrap();
        assert_eq!(q.elapsed_seconds, 435);
        assert_eq!(q.billed_minutes, 8);
        assert_eq!(q.total, dec("0.40"));
        assert_eq!(q.total.to_string(), "0.40");
    }

    #[test]
    fn minute_boundaries() {
        assert_eq!(minutes_after(0), 0);
        assert_eq!(minutes_after(1), 1);
        assert_eq!(minutes_after(59), 1);
        assert_eq!(minutes_after(60), 1);
        assert_eq!(minutes_after(61), 2);
        assert_eq!(minutes_after(24 * 3600), 1440);
    }

    #[test]
    fn a_fraction_of_a_second_past_the_minute_starts_a_new_one() {
        let start = at(10, 0, 0);
        let end = start + Duration::milliseconds(60_001);
        assert_eq!(billed_minutes(start, end).unwrap(), 2);
    }

    #[test]
    fn zero_stay_costs_nothing() {
        let q = quote(at(10, 0, 0), at(10, 0, 0), dec("1.25")).unwrap();
        assert_eq!(q.total.to_string(), "0.00");
    }

    #[test]
    fn a_day_at_a_four_decimal_price() {
        // 1440 × 0.0125 = 18.0000 exactly; 1441 × 0.0125 = 18.0125 → 18.01.
        let start = at(0, 0, 0);
        let day = quote(start, start + Duration::hours(24), dec("0.0125")).unwrap();
        assert_eq!(day.total.to_string(), "18.00");
        let more = quote(start, start + Duration::seconds(86_401), dec("0.0125")).unwrap();
        assert_eq!(more.billed_minutes, 1441);
        assert_eq!(more.total.to_string(), "18.01");
    }

    #[test]
    fn midpoints_round_away_from_zero() {
        // 3 × 0.0125 = 0.0375 → 0.04; 1 × 0.0050 = 0.005 → 0.01 (banker's rounding would say 0.00).
        assert_eq!(total_for(3, dec("0.0125")).unwrap().to_string(), "0.04");
        assert_eq!(total_for(1, dec("0.0050")).unwrap().to_string(), "0.01");
        assert_eq!(total_for(1, dec("0.0149")).unwrap().to_string(), "0.01");
    }

    #[test]
    fn binary_floats_would_get_this_wrong_decimals_do_not() {
        // 0.1 + 0.2 style trap: 3 × 0.1 is exactly 0.30.
        assert_eq!(total_for(3, dec("0.1")).unwrap().to_string(), "0.30");
    }

    #[test]
    fn end_before_start_is_an_error() {
        let err = billed_minutes(at(10, 0, 1), at(10, 0, 0)).unwrap_err();
        assert!(matches!(err, PriceError::EndBeforeStart { .. }));
    }

    #[test]
    fn negative_price_is_an_error() {
        assert!(matches!(
            total_for(5, dec("-0.01")),
            Err(PriceError::NegativePrice(_))
        ));
    }

    #[test]
    fn absurd_totals_are_an_error_not_a_panic() {
        let err = total_for(i64::MAX, Decimal::MAX).unwrap_err();
        assert!(matches!(err, PriceError::Overflow { .. }));
    }

    proptest! {
        #[test]
        fn total_never_decreases_as_the_stay_grows(
            a in 0_i64..10_000_000,
            b in 0_i64..10_000_000,
            cents in 0_i64..100_000,
            scale in 0_u32..5,
        ) {
            let price = Decimal::new(cents, scale);
            let start = at(0, 0, 0);
            let (short, long) = if a <= b { (a, b) } else { (b, a) };
            let q1 = quote(start, start + Duration::milliseconds(short), price).unwrap();
            let q2 = quote(start, start + Duration::milliseconds(long), price).unwrap();
            prop_assert!(q1.billed_minutes <= q2.billed_minutes);
            prop_assert!(q1.total <= q2.total);
            // And the minutes are exactly the ceiling.
            prop_assert_eq!(q2.billed_minutes, (long + 59_999) / 60_000);
        }
    }
}
