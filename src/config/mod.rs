//! `config.toml` (see `config.toml.example`): parsed, checked as a whole, and turned into typed
//! settings. Every mistake is reported on one line that names the setting and quotes the value;
//! all of them at once, so that one edit fixes a file. Secrets and paths may come from
//! `CLEARPARK_*` environment variables instead of the file.

pub mod api;

pub use api::ApiConfig;
mod nwave;

pub use nwave::{BrokerSettings, DEFAULT_KEEP_DAYS, NwaveSettings};
mod lanes;

pub use lanes::{
    GateEndpoint, LaneConfig, PrinterEndpoint, ScannerEndpoint, SerialFlow, SerialSpec,
};

use crate::domain::model::DbStructure;
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Everything the booth needs to start.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub booth: BoothSettings,
    /// The priced resource `clearpark init` creates; `None` when the accounting sync provides it.
    pub resource: Option<ResourceSeed>,
    pub lanes: Vec<LaneConfig>,
    /// The embedded HTTP API (`[api]`); `None`: no API.
    pub api: Option<ApiConfig>,
    /// `[nwave]`: Nwave bay sensors' sessions from RabbitMQ; `None` when the site has none.
    pub nwave: Option<NwaveSettings>,
    /// `[[tariff]]` and `[tariffs]`: the price board a new database starts with
    /// (docs/tariffs.md); empty: the standard per-minute tariff.
    pub tariffs: crate::domain::tariff::Board,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BoothSettings {
    /// The site's name on screen, receipts and tickets.
    pub name: String,
    /// Local time for screen and paper; the store is always UTC.
    pub timezone: Tz,
    pub database: PathBuf,
    pub db_structure: DbStructure,
    /// `ResGuid` of the resource that prices parking.
    pub res_guid: String,
    /// Spaces; entrances are refused as `lot_full` at this many vehicles inside. `None`: no limit.
    pub capacity: Option<u32>,
    /// Gate cycles a session may time out at the entrance before it needs the attendant.
    pub entrance_tries: u32,
    pub exit_tries: u32,
    /// What a walk-in pays when the ticket is lost, under the standard tariff (a board's
    /// tariffs say their own).
    pub lost_ticket_fee: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceSeed {
    pub name: String,
    pub price_per_minute: Decimal,
    pub currency: String,
}

/// The problems found in a config file, one per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub source: String,
    pub problems: Vec<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}: {p}", self.source)?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

// ---- the file as written --------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    booth: RawBooth,
    resource: Option<RawResource>,
    #[serde(default)]
    lanes: Vec<lanes::RawLane>,
    api: Option<api::RawApi>,
    nwave: Option<nwave::RawNwave>,
    #[serde(default)]
    tariff: Vec<toml::Table>,
    tariffs: Option<crate::domain::tariff::Assignments>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBooth {
    name: String,
    #[serde(default = "default_timezone")]
    timezone: String,
    database: Option<String>,
    #[serde(default = "default_db_structure")]
    db_structure: String,
    res_guid: Option<String>,
    capacity: Option<i64>,
    #[serde(default = "default_tries")]
    entrance_tries: i64,
    #[serde(default = "default_tries")]
    exit_tries: i64,
    #[serde(default = "default_lost_ticket_fee")]
    lost_ticket_fee: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResource {
    name: String,
    price_per_minute: String,
    currency: String,
}

fn default_timezone() -> String {
    "UTC".into()
}
fn default_db_structure() -> String {
    "saphasap".into()
}
fn default_tries() -> i64 {
    3
}
fn default_lost_ticket_fee() -> String {
    "0.00".into()
}
/// Environment variables that override the file, `(variable, setting)`.
pub const ENV_OVERRIDES: &[(&str, &str)] = &[
    ("CLEARPARK_DATABASE", "booth.database"),
    ("CLEARPARK_RES_GUID", "booth.res_guid"),
    ("CLEARPARK_NWAVE_URL", "nwave.url"),
];

impl Config {
    /// Reads and checks a config file, with `CLEARPARK_*` overrides from the process environment.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            source: path.display().to_string(),
            problems: vec![format!("cannot read the file: {e}")],
        })?;
        let env = |name: &str| std::env::var(name).ok();
        Config::parse(&text, &path.display().to_string(), path.parent(), &env)
    }

    /// Parses config text. `base` resolves relative paths (the config file's folder); `env` looks
    /// up overrides, so tests need not touch the process environment.
    pub fn parse(
        text: &str,
        source: &str,
        base: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let raw: RawConfig = read_toml(text).map_err(|problem| ConfigError {
            source: source.to_owned(),
            problems: vec![problem],
        })?;
        let mut problems = Vec::new();
        let config = validate(raw, base, env, &mut problems);
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError {
                source: source.to_owned(),
                problems,
            })
        }
    }
}

/// Settings whose values are secrets: a problem with one never quotes the value.
fn is_secret_setting(path: &str) -> bool {
    path.starts_with("api.tokens")
        || path.starts_with("api.jwt_secret")
        || path.starts_with("api.device_keys")
        || path.starts_with("nwave.url")
}

/// The file as written, or its first mistake on one line: where it is (the setting, or the line
/// and column of a syntax error) and what is wrong. Never the source line the TOML parser would
/// quote, which may hold a secret, and never the value of a secret setting.
fn read_toml(text: &str) -> Result<RawConfig, String> {
    let at = |e: &toml::de::Error| match e.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {column}")
        }
        None => "the file".to_owned(),
    };
    let one_line = |message: &str| message.trim().replace(['\n', '\r'], " ");
    let deserializer = toml::de::Deserializer::parse(text)
        .map_err(|e| format!("{}: {}", at(&e), one_line(e.message())))?;
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = one_line(inner.message());
        if path.is_empty() || path == "." {
            format!("{}: {message}", at(&inner))
        } else if is_secret_setting(&path) {
            // "invalid type: string \"...\", expected a sequence": keep what was expected.
            let expected = message
                .rsplit_once(", expected ")
                .map(|(_, e)| format!(" (expected {e})"))
                .unwrap_or_default();
            format!("{path}: not a valid value{expected}; the value is a secret and not shown")
        } else {
            format!("{path}: {message}")
        }
    })
}

fn validate(
    raw: RawConfig,
    base: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
    problems: &mut Vec<String>,
) -> Config {
    let b = raw.booth;
    let resolve = |p: &str| -> PathBuf {
        let p = PathBuf::from(p);
        match base {
            Some(dir) if p.is_relative() => dir.join(p),
            _ => p,
        }
    };

    if b.name.trim().is_empty() {
        problems.push("booth.name: must not be empty".into());
    }
    let timezone = Tz::from_str(&b.timezone).unwrap_or_else(|_| {
        problems.push(format!(
            "booth.timezone: {:?} is not an IANA time zone (e.g. \"Asia/Ashgabat\", \"UTC\")",
            b.timezone
        ));
        Tz::UTC
    });
    let database = match env("CLEARPARK_DATABASE").or(b.database) {
        Some(p) if !p.trim().is_empty() => resolve(&p),
        _ => {
            problems.push(
                "booth.database: missing (a path such as \"clearpark.db\", or CLEARPARK_DATABASE)"
                    .into(),
            );
            PathBuf::new()
        }
    };
    let db_structure = b.db_structure.parse().unwrap_or_else(|e| {
        problems.push(format!("booth.db_structure: {e}"));
        DbStructure::default()
    });
    let res_guid = match env("CLEARPARK_RES_GUID").or(b.res_guid) {
        Some(g) if uuid::Uuid::parse_str(&g).is_ok() => g,
        Some(g) => {
            problems.push(format!("booth.res_guid: {g:?} is not a GUID"));
            g
        }
        None => {
            problems.push(
                "booth.res_guid: missing (the ResGuid of the parking resource, or CLEARPARK_RES_GUID)"
                    .into(),
            );
            String::new()
        }
    };
    let capacity = b.capacity.and_then(|c| match u32::try_from(c) {
        Ok(c) if c > 0 => Some(c),
        _ => {
            problems.push(format!(
                "booth.capacity: {c} is not a number of spaces (1 or more; leave it out for no limit)"
            ));
            None
        }
    });
    let tries = |name: &str, v: i64, problems: &mut Vec<String>| match u32::try_from(v) {
        Ok(t) if (1..=20).contains(&t) => t,
        _ => {
            problems.push(format!("booth.{name}: {v} is not between 1 and 20"));
            3
        }
    };
    let entrance_tries = tries("entrance_tries", b.entrance_tries, problems);
    let exit_tries = tries("exit_tries", b.exit_tries, problems);
    let lost_ticket_fee = money("booth.lost_ticket_fee", &b.lost_ticket_fee, problems);

    let resource = raw.resource.map(|r| {
        let currency = r.currency.trim().to_uppercase();
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_alphabetic()) {
            problems.push(format!(
                "resource.currency: {:?} is not a three-letter currency code",
                r.currency
            ));
        }
        if r.name.trim().is_empty() {
            problems.push("resource.name: must not be empty".into());
        }
        ResourceSeed {
            price_per_minute: money("resource.price_per_minute", &r.price_per_minute, problems),
            name: r.name,
            currency,
        }
    });

    let (lanes, macs) = lanes::validate(raw.lanes, &resolve, problems);
    let api = raw
        .api
        .map(|a| api::validate(a, &lanes, macs, &resolve, env, problems));

    let nwave = raw.nwave.map(|n| nwave::validate(n, env, problems));
    let tariffs = crate::domain::tariff::Board::from_tables(&raw.tariff, raw.tariffs.as_ref())
        .unwrap_or_else(|e| {
            problems.extend(e.problems);
            crate::domain::tariff::Board::default()
        });

    Config {
        booth: BoothSettings {
            name: b.name,
            timezone,
            database,
            db_structure,
            res_guid,
            capacity,
            entrance_tries,
            exit_tries,
            lost_ticket_fee,
        },
        resource,
        lanes,
        api,
        nwave,
        tariffs,
    }
}

fn money(setting: &str, text: &str, problems: &mut Vec<String>) -> Decimal {
    match Decimal::from_str(text.trim()) {
        Ok(d) if !d.is_sign_negative() => d,
        _ => {
            problems.push(format!(
                "{setting}: {text:?} is not an amount (a decimal string such as \"0.05\")"
            ));
            Decimal::ZERO
        }
    }
}

impl Config {
    pub fn lane(&self, id: &str) -> Option<&LaneConfig> {
        self.lanes.iter().find(|l| l.id == id)
    }
}

#[cfg(test)]
mod tests;
