//! Pricing a stay under a tariff (docs/tariffs.md, "How a stay is priced").
//!
//! 1. A stay no longer than the grace period is free.
//! 2. The meter runs outside the time-of-day bands: its periods are laid end to end over the
//!    metered time, and each started block costs its period's price. Each band the stay is in
//!    costs the band's flat price once.
//! 3. With a daily maximum, each day's blocks and bands (a block belongs to the day it starts in)
//!    cost at most the maximum. A day is 24 hours from the entrance or a local calendar day.
//! 4. A validation takes its minutes off the end of the stay, or its percentage off the price.
//! 5. A lost ticket pays the fee or the price, whichever is more, or the two added.
//!
//! Amounts are exact until the total, which is rounded once to the currency's cents.

use super::bands::{self, Occurrence};
use super::{DayKind, Grant, LostRule, Rules, Validation};
use crate::domain::pricing::{self, PriceError, round_money};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

const NANOS_PER_MINUTE: i128 = 60_000_000_000;
const NANOS_PER_DAY: i128 = 24 * 60 * NANOS_PER_MINUTE;

/// The stay to price.
#[derive(Debug, Clone, Copy)]
pub struct Stay<'a> {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// `ResPrice` as the session recorded it at its entrance: what `price = "resource"` costs.
    pub resource_price: Decimal,
    /// The booth's time zone: where bands and calendar days are.
    pub tz: Tz,
    pub lost_ticket: bool,
    pub validation: Option<&'a Validation>,
}

/// One line of a price's explanation, as the receipt, the screen and the API show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargeLine {
    pub kind: LineKind,
    pub label: String,
    /// Blocks, bands or capped days the line counts (0 where nothing is counted).
    pub count: i64,
    /// Rounded to cents; negative for what is taken off.
    pub amount: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Grace,
    Period,
    Band,
    DailyMax,
    Validation,
    LostTicket,
    /// An earlier receipt of the same stay (a car that paid, did not pass, and came back late).
    AlreadyPaid,
}

/// A priced stay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priced {
    pub elapsed_seconds: i64,
    /// `ceil(elapsed / 60 s)`: the stay's length as the attendance and `Minutes` report it.
    pub billed_minutes: i64,
    pub lines: Vec<ChargeLine>,
    pub total: Decimal,
}

/// Prices `stay` under `rules`.
pub fn price(rules: &Rules, stay: &Stay<'_>) -> Result<Priced, PriceError> {
    let billed_minutes = pricing::billed_minutes(stay.start, stay.end)?;
    let elapsed = nanos(stay.start, stay.end);
    let grace = i128::from(rules.grace_minutes) * NANOS_PER_MINUTE;
    let mut lines = Vec::new();
    let mut total = if elapsed <= grace && rules.grace_minutes > 0 {
        lines.push(line(
            LineKind::Grace,
            format!(
                "Within the {}-minute grace period: free",
                rules.grace_minutes
            ),
            0,
            Decimal::ZERO,
        ));
        Decimal::ZERO
    } else {
        let (metered, meter_lines) = run_meter(rules, stay, stay.end)?;
        lines.extend(meter_lines);
        metered
    };
    if let Some(validation) = stay.validation
        && !total.is_zero()
    {
        let off = match validation.grant {
            Grant::FreeMinutes(minutes) => {
                let shortened = stay.end - chrono::TimeDelta::minutes(i64::from(minutes));
                let (left, _) = run_meter(rules, stay, shortened.max(stay.start))?;
                total - left
            }
            Grant::PercentOff(percent) => {
                let share =
                    percent.clamp(Decimal::ZERO, Decimal::ONE_HUNDRED) / Decimal::ONE_HUNDRED;
                total.checked_mul(share).ok_or(overflow(total))?
            }
        };
        total -= off;
        lines.push(line(
            LineKind::Validation,
            format!("Validated by {}: {}", validation.label, validation.grant),
            0,
            -off,
        ));
    }
    if stay.lost_ticket {
        let fee = rules.lost_ticket.fee;
        let (label, added) = match rules.lost_ticket.rule {
            LostRule::Max => (
                format!("Lost ticket: {fee} or the stay, whichever is more"),
                (fee - total).max(Decimal::ZERO),
            ),
            LostRule::Add => (format!("Lost ticket fee {fee}"), fee),
        };
        total = total.checked_add(added).ok_or(overflow(fee))?;
        lines.push(line(LineKind::LostTicket, label, 1, added));
    }
    Ok(Priced {
        elapsed_seconds: stay.end.signed_duration_since(stay.start).num_seconds(),
        billed_minutes,
        lines,
        total: round_money(total),
    })
}

/// The meter (periods, bands, daily maximum) over `[stay.start, end)`: the exact amount and its
/// lines.
fn run_meter(
    rules: &Rules,
    stay: &Stay<'_>,
    end: DateTime<Utc>,
) -> Result<(Decimal, Vec<ChargeLine>), PriceError> {
    let start = stay.start;
    let length = nanos(start, end);
    let occurrences: Vec<Occurrence> = bands::occurrences(&rules.bands, start, end, stay.tz);
    let spans: Vec<(i128, i128, usize)> = occurrences
        .iter()
        .map(|o| (nanos(start, o.from), nanos(start, o.to), o.band))
        .collect();
    let periods = Periods::new(rules, stay.resource_price)?;
    let mut edges: Vec<i128> = match rules.daily_max.as_ref().map(|m| m.per) {
        None => Vec::new(),
        Some(DayKind::Rolling24h) => (1..)
            .map(|day| day * NANOS_PER_DAY)
            .take_while(|edge| *edge < length)
            .collect(),
        Some(DayKind::CalendarDay) => bands::midnights(start, end, stay.tz)
            .into_iter()
            .map(|m| nanos(start, m))
            .collect(),
    };
    edges.push(length);
    let cap = rules.daily_max.as_ref().map(|m| m.amount);

    let mut blocks = vec![0_i64; periods.0.len()];
    let mut band_counts = vec![0_i64; rules.bands.len()];
    let (mut total, mut capped_off, mut capped_days) = (Decimal::ZERO, Decimal::ZERO, 0_i64);
    let mut day_from = 0_i128;
    for day_to in edges {
        let mut day = Decimal::ZERO;
        let (m_from, m_to) = (metered(&spans, day_from), metered(&spans, day_to));
        for (i, period) in periods.0.iter().enumerate() {
            let n = period.blocks_starting_in(m_from, m_to);
            blocks[i] += n;
            day = add(day, times(n, period.price)?)?;
        }
        for &(_, _, band) in spans.iter().filter(|s| s.0 >= day_from && s.0 < day_to) {
            band_counts[band] += 1;
            day = add(day, rules.bands[band].price)?;
        }
        if let Some(cap) = cap
            && day > cap
        {
            capped_off += day - cap;
            capped_days += 1;
            day = cap;
        }
        total = add(total, day)?;
        day_from = day_to;
    }

    let mut lines = Vec::new();
    for (period, &n) in periods.0.iter().zip(&blocks).filter(|(_, n)| **n > 0) {
        lines.push(line(
            LineKind::Period,
            format!(
                "{}: {n} × {} at {}",
                period.range_text(),
                minutes_text(period.every / NANOS_PER_MINUTE),
                period.price
            ),
            n,
            times(n, period.price)?,
        ));
    }
    for (band, &n) in rules
        .bands
        .iter()
        .zip(&band_counts)
        .filter(|(_, n)| **n > 0)
    {
        lines.push(line(
            LineKind::Band,
            format!(
                "{} {}–{}: {n} × {}",
                band.name,
                band.from.format("%H:%M"),
                band.to.format("%H:%M"),
                band.price
            ),
            n,
            times(n, band.price)?,
        ));
    }
    if let (Some(max), true) = (&rules.daily_max, capped_days > 0) {
        let per = match max.per {
            DayKind::Rolling24h => "24 h",
            DayKind::CalendarDay => "calendar day",
        };
        let days = if capped_days == 1 { "day" } else { "days" };
        lines.push(line(
            LineKind::DailyMax,
            format!(
                "Daily maximum {} per {per}: {capped_days} {days} capped",
                max.amount
            ),
            capped_days,
            -capped_off,
        ));
    }
    Ok((total, lines))
}

/// The meter's periods laid end to end, in nanoseconds of metered time.
struct Periods(Vec<Laid>);

struct Laid {
    from: i128,
    /// `None`: the last period, to the end of the stay.
    to: Option<i128>,
    every: i128,
    price: Decimal,
}

impl Periods {
    fn new(rules: &Rules, resource_price: Decimal) -> Result<Periods, PriceError> {
        let mut laid = Vec::with_capacity(rules.periods.len());
        let mut from = 0_i128;
        for p in &rules.periods {
            let price = p.price.amount(resource_price);
            if price.is_sign_negative() && !price.is_zero() {
                return Err(PriceError::NegativePrice(price));
            }
            let to = p.minutes.map(|m| from + i128::from(m) * NANOS_PER_MINUTE);
            laid.push(Laid {
                from,
                to,
                every: i128::from(p.every.max(1)) * NANOS_PER_MINUTE,
                price,
            });
            match to {
                Some(to) => from = to,
                None => break,
            }
        }
        Ok(Periods(laid))
    }
}

impl Laid {
    /// Blocks of this period that start in `[lo, hi)` of metered time.
    fn blocks_starting_in(&self, lo: i128, hi: i128) -> i64 {
        let lo = lo.max(self.from);
        let hi = self.to.map_or(hi, |to| hi.min(to));
        if lo >= hi {
            return 0;
        }
        let count = ceil_div(hi - self.from, self.every) - ceil_div(lo - self.from, self.every);
        i64::try_from(count).unwrap_or(i64::MAX)
    }

    fn range_text(&self) -> String {
        let from = self.from / NANOS_PER_MINUTE;
        match self.to {
            Some(to) => format!("{from}–{} min", to / NANOS_PER_MINUTE),
            None if from == 0 => "Every".to_owned(),
            None => format!("From {from} min"),
        }
    }
}

/// Metered time up to `at` (nanoseconds into the stay): the time outside every band.
fn metered(spans: &[(i128, i128, usize)], at: i128) -> i128 {
    let in_bands: i128 = spans
        .iter()
        .take_while(|s| s.0 < at)
        .map(|&(from, to, _)| to.min(at) - from)
        .sum();
    at - in_bands
}

fn nanos(from: DateTime<Utc>, to: DateTime<Utc>) -> i128 {
    let d = to.signed_duration_since(from);
    i128::from(d.num_seconds()) * 1_000_000_000 + i128::from(d.subsec_nanos())
}

fn ceil_div(n: i128, d: i128) -> i128 {
    (n + d - 1) / d
}

fn times(n: i64, price: Decimal) -> Result<Decimal, PriceError> {
    Decimal::from(n)
        .checked_mul(price)
        .ok_or(PriceError::TooLarge {
            count: n,
            amount: price,
        })
}

fn add(a: Decimal, b: Decimal) -> Result<Decimal, PriceError> {
    a.checked_add(b).ok_or(overflow(b))
}

fn overflow(amount: Decimal) -> PriceError {
    PriceError::TooLarge { count: 1, amount }
}

fn minutes_text(minutes: i128) -> String {
    if minutes % 60 == 0 {
        format!("{} h", minutes / 60)
    } else {
        format!("{minutes} min")
    }
}

fn line(kind: LineKind, label: String, count: i64, amount: Decimal) -> ChargeLine {
    ChargeLine {
        kind,
        label,
        count,
        amount: round_money(amount),
    }
}
