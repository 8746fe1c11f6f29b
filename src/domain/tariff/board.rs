//! A price board as written: `[[tariff]]` tables and a `[tariffs]` table that says who pays by
//! which, in a file for `clearpark tariff import` or in `config.toml`. Checked as a whole; every
//! problem names the tariff and the setting.

use super::Rules;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A tariff as a board gives it: its name and currency, and the rules of its next version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TariffSpec {
    pub name: String,
    /// `None`: the priced resource's currency.
    pub currency: Option<String>,
    pub description: Option<String>,
    /// When this version takes over; `None`: when it is imported.
    pub effective_from: Option<DateTime<Utc>>,
    pub rules: Rules,
}

/// The `[tariffs]` table as written: tariff names by who parks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assignments {
    /// Anyone nothing else matches.
    pub default: Option<String>,
    /// Walk-in tickets.
    pub walkin: Option<String>,
    /// By the account's `RpAccTypeId`.
    #[serde(default)]
    pub account_type: BTreeMap<String, String>,
    /// By the account's `ResPriceGroupId`.
    #[serde(default)]
    pub price_group: BTreeMap<String, String>,
}

/// Who a tariff is assigned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    Default,
    Walkin,
    AccountType(i64),
    PriceGroup(i64),
}

impl Target {
    /// `(kind, key)` as stored.
    pub fn parts(self) -> (&'static str, Option<i64>) {
        match self {
            Target::Default => ("default", None),
            Target::Walkin => ("walkin", None),
            Target::AccountType(id) => ("account_type", Some(id)),
            Target::PriceGroup(id) => ("price_group", Some(id)),
        }
    }

    pub fn from_parts(kind: &str, key: Option<i64>) -> Option<Target> {
        match (kind, key) {
            ("default", None) => Some(Target::Default),
            ("walkin", None) => Some(Target::Walkin),
            ("account_type", Some(id)) => Some(Target::AccountType(id)),
            ("price_group", Some(id)) => Some(Target::PriceGroup(id)),
            _ => None,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Default => f.write_str("default"),
            Target::Walkin => f.write_str("walk-in tickets"),
            Target::AccountType(id) => write!(f, "RpAccTypeId {id}"),
            Target::PriceGroup(id) => write!(f, "ResPriceGroupId {id}"),
        }
    }
}

/// Who is parking, as far as choosing a tariff goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parker {
    Account {
        type_id: Option<i64>,
        price_group_id: Option<i64>,
    },
    Walkin,
}

/// The assignments to look for, most specific first: an account's price group, then its type,
/// then the default; a walk-in's assignment, then the default. The first one assigned wins.
pub fn precedence(parker: Parker) -> Vec<Target> {
    let mut order = Vec::with_capacity(3);
    match parker {
        Parker::Account {
            type_id,
            price_group_id,
        } => {
            order.extend(price_group_id.map(Target::PriceGroup));
            order.extend(type_id.map(Target::AccountType));
        }
        Parker::Walkin => order.push(Target::Walkin),
    }
    order.push(Target::Default);
    order
}

/// A checked board.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Board {
    pub tariffs: Vec<TariffSpec>,
    pub assign: Vec<(Target, String)>,
}

/// The problems found in a board, one per line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .problems.join("\n"))]
pub struct BoardError {
    pub problems: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBoard {
    #[serde(default)]
    tariff: Vec<toml::Table>,
    tariffs: Option<Assignments>,
}

impl Board {
    /// A board file's text.
    pub fn from_toml(text: &str) -> Result<Board, BoardError> {
        let raw: RawBoard = toml::from_str(text).map_err(|e| BoardError {
            problems: vec![e.message().to_owned()],
        })?;
        Board::from_tables(&raw.tariff, raw.tariffs.as_ref())
    }

    /// `[[tariff]]` tables and a `[tariffs]` table, as `config.toml` holds them.
    pub fn from_tables(
        tables: &[toml::Table],
        assignments: Option<&Assignments>,
    ) -> Result<Board, BoardError> {
        let mut problems = Vec::new();
        let mut tariffs: Vec<TariffSpec> = Vec::new();
        for (i, table) in tables.iter().enumerate() {
            match spec(table) {
                Ok(t) if tariffs.iter().any(|other| other.name == t.name) => {
                    problems.push(format!("tariff {:?} is given twice", t.name));
                }
                Ok(t) => tariffs.push(t),
                Err(mut found) => {
                    let name = table
                        .get("name")
                        .and_then(|n| n.as_str())
                        .map_or_else(|| format!("tariff {}", i + 1), |n| format!("tariff {n:?}"));
                    problems.extend(found.drain(..).map(|p| format!("{name}: {p}")));
                }
            }
        }
        let mut assign = Vec::new();
        if let Some(a) = assignments {
            assign.extend(a.default.iter().map(|t| (Target::Default, t.clone())));
            assign.extend(a.walkin.iter().map(|t| (Target::Walkin, t.clone())));
            for (setting, map, make) in [
                (
                    "account_type",
                    &a.account_type,
                    Target::AccountType as fn(i64) -> Target,
                ),
                ("price_group", &a.price_group, Target::PriceGroup),
            ] {
                for (key, tariff) in map {
                    match key.parse::<i64>() {
                        Ok(id) => assign.push((make(id), tariff.clone())),
                        Err(_) => problems.push(format!(
                            "tariffs.{setting}: {key:?} is not a whole number (an id of the accounting tables)"
                        )),
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(Board { tariffs, assign })
        } else {
            Err(BoardError { problems })
        }
    }
}

/// One `[[tariff]]` table: its own keys, then the rest as [`Rules`].
fn spec(table: &toml::Table) -> Result<TariffSpec, Vec<String>> {
    let mut rest = table.clone();
    let mut problems = Vec::new();
    let mut text = |key: &str| -> Option<String> {
        match rest.remove(key) {
            None => None,
            Some(toml::Value::String(s)) => Some(s),
            Some(other) => {
                problems.push(format!("{key} = {other} is not text"));
                None
            }
        }
    };
    let name = text("name");
    let currency = text("currency");
    let description = text("description");
    let effective_from = text("effective_from");
    let name = match name {
        Some(n) if valid_name(&n) => Some(n),
        Some(n) => {
            problems.push(format!(
                "name {n:?}: use letters, digits, '-' and '_' (up to 40)"
            ));
            None
        }
        None => {
            problems.push("no name".to_owned());
            None
        }
    };
    if let Some(c) = &currency
        && (c.len() != 3 || !c.chars().all(|ch| ch.is_ascii_uppercase()))
    {
        problems.push(format!(
            "currency {c:?} is not an ISO 4217 code like \"TMT\""
        ));
    }
    let effective_from = effective_from.and_then(|t| match parse_utc(&t) {
        Some(at) => Some(at),
        None => {
            problems.push(format!(
                "effective_from {t:?} is not a UTC time like \"2026-12-01 00:00:00\""
            ));
            None
        }
    });
    let rules = match toml::Value::Table(rest).try_into::<Rules>() {
        Ok(rules) => {
            problems.extend(rules.problems());
            Some(rules)
        }
        Err(e) => {
            problems.push(e.message().to_owned());
            None
        }
    };
    match (name, rules) {
        (Some(name), Some(rules)) if problems.is_empty() => Ok(TariffSpec {
            name,
            currency,
            description,
            effective_from,
            rules,
        }),
        _ => Err(problems),
    }
}

/// A tariff name: what the CLI, the API and the assignments refer to it by.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 40
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `"2026-12-01 00:00:00"` or RFC 3339.
pub fn parse_utc(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .ok()
        .map(|t| t.and_utc())
}
