//! Tariffs: the car park's price board as data (docs/tariffs.md). A tariff has a name, a currency
//! and versioned [`Rules`]; [`price`] turns a stay into a total with the lines that explain it.
//!
//! * [`board`] — a board as written in TOML (`clearpark tariff import`, `config.toml`), checked.
//! * [`meter`] — the pricing itself: grace, periods, bands, the daily maximum, validations and
//!   the lost-ticket rule.
//! * [`bands`] — where a stay meets the time-of-day bands, in the booth's time zone.

pub mod bands;
pub mod board;
pub mod meter;

pub use board::{Assignments, Board, BoardError, Parker, Target, TariffSpec};
pub use meter::{ChargeLine, LineKind, Priced, Stay, price};

use chrono::{DateTime, NaiveTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The tariff a booth prices with when nothing else is assigned: every started minute at the
/// resource's `ResPrice`, as the booth always has.
pub const STANDARD_TARIFF: &str = "standard";

/// Minutes a car has to pass the exit barrier after paying, unless its tariff says otherwise.
pub const DEFAULT_EXIT_GRACE_MINUTES: u32 = 15;

/// One version of a tariff's rules: what the board says from `effective_from` on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TariffVersion {
    /// The stored row's id (`tariff_version.id`), which a session records.
    pub id: i64,
    pub tariff: String,
    pub version: u32,
    pub currency: String,
    pub effective_from: DateTime<Utc>,
    pub rules: Rules,
}

impl TariffVersion {
    /// `"visitor v2"`: how screens, receipts and logs name it.
    pub fn label(&self) -> String {
        self.reference().to_string()
    }

    pub fn reference(&self) -> TariffRef {
        TariffRef {
            name: self.tariff.clone(),
            version: self.version,
        }
    }
}

/// Which tariff version priced something.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TariffRef {
    pub name: String,
    pub version: u32,
}

impl fmt::Display for TariffRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} v{}", self.name, self.version)
    }
}

/// The rules of one tariff version. Stored as JSON, written as TOML; the field names are the
/// board's (docs/tariffs.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// A stay up to this long is free; a longer one pays from its first minute.
    #[serde(default)]
    pub grace_minutes: u32,
    /// The meter, in order; the last period repeats for as long as the stay lasts.
    #[serde(rename = "period")]
    pub periods: Vec<Period>,
    /// A cap on what one day of the stay costs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_max: Option<DailyMax>,
    /// Time-of-day bands at a flat price, e.g. a night rate; the meter stops inside them.
    #[serde(default, rename = "band", skip_serializing_if = "Vec::is_empty")]
    pub bands: Vec<Band>,
    /// What a walk-in pays when the ticket is lost.
    #[serde(default)]
    pub lost_ticket: LostTicket,
    /// Minutes a car has to pass the barrier after its exit is charged: a scan later than this
    /// pays for the extra time, and an entrance retried later than this starts a new stay.
    #[serde(default = "default_exit_grace")]
    pub exit_grace_minutes: u32,
}

fn default_exit_grace() -> u32 {
    DEFAULT_EXIT_GRACE_MINUTES
}

impl Rules {
    /// Every started minute at the resource's price, no grace, no cap: the standard tariff.
    pub fn per_minute(lost_ticket_fee: Decimal) -> Rules {
        Rules {
            grace_minutes: 0,
            periods: vec![Period {
                minutes: None,
                every: 1,
                price: Price::Resource,
            }],
            daily_max: None,
            bands: Vec::new(),
            lost_ticket: LostTicket {
                fee: lost_ticket_fee,
                rule: LostRule::Max,
            },
            exit_grace_minutes: DEFAULT_EXIT_GRACE_MINUTES,
        }
    }

    /// The board in one line, for a ticket or a list: `"10 min free; 2.00 per 60 min to 60 min;
    /// 0.50 per 15 min to 180 min; then 1.50 per 60 min; Night 20:00–08:00 5.00; at most 20.00
    /// per 24 h"`. `resource_price` stands in for `price = "resource"`.
    pub fn summary(&self, resource_price: Decimal) -> String {
        let mut parts = Vec::new();
        if self.grace_minutes > 0 {
            parts.push(format!("{} min free", self.grace_minutes));
        }
        let mut until = 0;
        for (i, p) in self.periods.iter().enumerate() {
            let price = p.price.amount(resource_price);
            let block = if p.every == 1 {
                "min".to_owned()
            } else {
                format!("{} min", p.every)
            };
            match p.minutes {
                Some(m) => {
                    until += m;
                    parts.push(format!("{price} per {block} to {until} min"));
                }
                None if i == 0 => parts.push(format!("{price} per {block}")),
                None => parts.push(format!("then {price} per {block}")),
            }
        }
        for b in &self.bands {
            parts.push(format!(
                "{} {}–{} {}",
                b.name,
                b.from.format("%H:%M"),
                b.to.format("%H:%M"),
                b.price
            ));
        }
        if let Some(max) = &self.daily_max {
            let per = match max.per {
                DayKind::Rolling24h => "24 h",
                DayKind::CalendarDay => "day",
            };
            parts.push(format!("at most {} per {per}", max.amount));
        }
        parts.join("; ")
    }

    /// Every way the rules cannot be priced, one sentence each; empty when they are sound.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.periods.is_empty() {
            problems.push("a tariff needs at least one [[period]]".to_owned());
        }
        let last = self.periods.len().saturating_sub(1);
        for (i, p) in self.periods.iter().enumerate() {
            let n = i + 1;
            if p.every == 0 {
                problems.push(format!(
                    "period {n}: every = 0; a block is at least 1 minute"
                ));
            }
            match (p.minutes, i == last) {
                (Some(m), true) => problems.push(format!(
                    "period {n}: minutes = {m} on the last period; the last period repeats for the rest of the stay, so it has no length"
                )),
                (None, false) => problems.push(format!(
                    "period {n}: no minutes; every period but the last says how long it lasts"
                )),
                (Some(0), false) => problems.push(format!("period {n}: minutes = 0")),
                (Some(m), false) if p.every > 0 && m % p.every != 0 => problems.push(format!(
                    "period {n}: minutes = {m} is not a whole number of {}-minute blocks",
                    p.every
                )),
                _ => {}
            }
            if let Price::Fixed(amount) = p.price
                && amount.is_sign_negative()
                && !amount.is_zero()
            {
                problems.push(format!("period {n}: price {amount} is negative"));
            }
        }
        if let Some(max) = &self.daily_max
            && (max.amount.is_sign_negative() && !max.amount.is_zero())
        {
            problems.push(format!("daily_max.amount {} is negative", max.amount));
        }
        for (i, b) in self.bands.iter().enumerate() {
            if b.from == b.to {
                problems.push(format!(
                    "band {:?}: from and to are both {}; a band is part of a day",
                    b.name,
                    b.from.format("%H:%M")
                ));
            }
            if b.price.is_sign_negative() && !b.price.is_zero() {
                problems.push(format!("band {:?}: price {} is negative", b.name, b.price));
            }
            for other in &self.bands[i + 1..] {
                if bands::overlap(b, other) {
                    problems.push(format!("bands {:?} and {:?} overlap", b.name, other.name));
                }
            }
        }
        if self.lost_ticket.fee.is_sign_negative() && !self.lost_ticket.fee.is_zero() {
            problems.push(format!(
                "lost_ticket.fee {} is negative",
                self.lost_ticket.fee
            ));
        }
        problems
    }
}

/// A stretch of the meter: blocks of `every` minutes, each started block at `price`, for
/// `minutes` (the last period: for the rest of the stay).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<u32>,
    pub every: u32,
    pub price: Price,
}

/// A block's price: an amount, or the resource's `ResPrice` as the session recorded it at its
/// entrance (so that the accounting system's price changes reach the standard tariff).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Price {
    Fixed(Decimal),
    Resource,
}

impl Price {
    pub fn amount(self, resource_price: Decimal) -> Decimal {
        match self {
            Price::Fixed(amount) => amount,
            Price::Resource => resource_price,
        }
    }
}

impl TryFrom<String> for Price {
    type Error = String;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl FromStr for Price {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text == "resource" {
            return Ok(Price::Resource);
        }
        Decimal::from_str_exact(text)
            .map(Price::Fixed)
            .map_err(|_| format!("{text:?} is not an amount (\"0.50\") or \"resource\""))
    }
}

impl From<Price> for String {
    fn from(price: Price) -> String {
        price.to_string()
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Price::Fixed(amount) => write!(f, "{amount}"),
            Price::Resource => f.write_str("resource"),
        }
    }
}

/// The most one day of a stay costs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DailyMax {
    pub amount: Decimal,
    pub per: DayKind,
}

/// What a day is for the daily maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DayKind {
    /// Each 24 hours from the entrance.
    #[serde(rename = "24h")]
    Rolling24h,
    /// Each calendar day in the booth's time zone (23 or 25 hours on a DST change).
    #[serde(rename = "calendar_day")]
    CalendarDay,
}

/// A time-of-day band at a flat price, in the booth's local time; `to` before `from` crosses
/// midnight (20:00–08:00).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub name: String,
    #[serde(with = "hh_mm")]
    pub from: NaiveTime,
    #[serde(with = "hh_mm")]
    pub to: NaiveTime,
    /// Charged once for each band a stay is in, however briefly.
    pub price: Decimal,
}

/// The lost-ticket rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LostTicket {
    pub fee: Decimal,
    pub rule: LostRule,
}

impl Default for LostTicket {
    fn default() -> Self {
        LostTicket {
            fee: Decimal::ZERO,
            rule: LostRule::Max,
        }
    }
}

/// How the lost-ticket fee meets the meter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LostRule {
    /// The fee or the meter, whichever is more: a lost ticket never pays less than the stay.
    Max,
    /// The fee on top of the meter.
    Add,
}

/// A shop's validation applied to a stay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validation {
    /// Who granted it, as the receipt says (the shop's name).
    pub label: String,
    pub grant: Grant,
}

/// What a validation takes off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    /// The last N minutes of the stay are not charged.
    FreeMinutes(u32),
    /// This percentage off the metered price (0–100).
    PercentOff(Decimal),
}

impl fmt::Display for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Grant::FreeMinutes(m) => write!(f, "{m} min free"),
            Grant::PercentOff(p) => write!(f, "{p}% off"),
        }
    }
}

/// `"20:00"` in TOML and JSON.
mod hh_mm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.format("%H:%M").to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let text = String::deserialize(d)?;
        NaiveTime::parse_from_str(&text, "%H:%M")
            .map_err(|_| serde::de::Error::custom(format!("{text:?} is not a time like \"20:00\"")))
    }
}

#[cfg(test)]
mod tests;
