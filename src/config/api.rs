//! The `[api]` section: the embedded HTTP API's address, the lanes it scans on, its secrets and
//! TLS files, and the optional `mac_address` of each lane's access point (`[[lanes]]`).
//!
//! Secrets are held as [`Secret`], whose `Debug` never shows the value, and no problem line
//! ever quotes one.

use super::LaneConfig;
use crate::domain::session::Direction;
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Where `--api` and the demo listen when nothing else is said.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The shortest accepted API token or device key: tokens must be long and random.
pub const MIN_SECRET_CHARS: usize = 16;
/// Requests served at once when `api.max_in_flight` is not set.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 64;
/// HS256 wants a key at least as long as its hash.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// A secret from the config or the environment. Compared by the API in constant time.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiConfig {
    pub listen: SocketAddr,
    /// The lane a `find-device?type=entrance` scans on.
    pub entrance_lane: String,
    pub exit_lane: String,
    /// Bearer tokens of operators and accounting systems (`tokens`, `CLEARPARK_API_TOKENS`,
    /// `CLEARPARK_SECRET_KEY`).
    pub tokens: Vec<Secret>,
    /// Key of HS256 JWTs accepted as bearer tokens.
    pub jwt_secret: Option<Secret>,
    /// When not empty, a JWT's `aud` must name one of these; when empty, `aud` is not checked.
    pub jwt_audience: Vec<String>,
    /// When not empty, a JWT's `iss` must be one of these; when empty, `iss` is not checked.
    pub jwt_issuer: Vec<String>,
    /// Remote IO devices that may call `/set-ip/`, each with its key.
    pub device_keys: Vec<DeviceKey>,
    pub tls: Option<TlsFiles>,
    /// The longest a request may take, body included.
    pub request_timeout: Duration,
    /// Requests served at once; one more is answered 503 at once rather than queued behind a
    /// booth that is already busy (the booth commits one scan at a time).
    pub max_in_flight: usize,
    /// `smart_key.secured_parking_id` in the driver's session: this site's id.
    pub secured_parking_id: i64,
    /// Lanes whose gate has a Bluetooth access point, in lane order.
    pub access_points: Vec<AccessPoint>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceKey {
    pub name: String,
    pub key: Secret,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessPoint {
    pub lane: String,
    /// Upper-case `AA:BB:CC:DD:EE:FF`.
    pub mac_address: String,
}

impl ApiConfig {
    /// An API on `listen` scanning on the given lanes, with only `tokens` to authenticate
    /// (the demo, tests, benchmarks).
    pub fn new(
        listen: SocketAddr,
        entrance_lane: &str,
        exit_lane: &str,
        tokens: Vec<Secret>,
    ) -> ApiConfig {
        ApiConfig {
            listen,
            entrance_lane: entrance_lane.into(),
            exit_lane: exit_lane.into(),
            tokens,
            jwt_secret: None,
            jwt_audience: Vec::new(),
            jwt_issuer: Vec::new(),
            device_keys: Vec::new(),
            tls: None,
            request_timeout: Duration::from_secs(10),
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            secured_parking_id: 1,
            access_points: Vec::new(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawApi {
    listen: Option<String>,
    entrance_lane: Option<String>,
    exit_lane: Option<String>,
    #[serde(default)]
    tokens: Vec<String>,
    jwt_secret: Option<String>,
    jwt_audience: Option<OneOrMany>,
    jwt_issuer: Option<OneOrMany>,
    #[serde(default)]
    device_keys: BTreeMap<String, String>,
    tls_cert: Option<String>,
    tls_key: Option<String>,
    #[serde(default = "default_timeout")]
    request_timeout_secs: i64,
    #[serde(default = "default_max_in_flight")]
    max_in_flight: i64,
    #[serde(default = "default_site_id")]
    secured_parking_id: i64,
}

/// A setting that takes one string or a list of them.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}

/// The JWT claim values a setting lists: none may be blank.
fn claim_values(
    setting: &str,
    values: Option<OneOrMany>,
    problems: &mut Vec<String>,
) -> Vec<String> {
    let values = values.map(OneOrMany::into_vec).unwrap_or_default();
    if let Some(blank) = values.iter().find(|v| v.trim().is_empty()) {
        problems.push(format!(
            "{setting}: {blank:?} is blank; name the value the tokens carry"
        ));
        return Vec::new();
    }
    values
}

fn default_timeout() -> i64 {
    10
}
fn default_max_in_flight() -> i64 {
    DEFAULT_MAX_IN_FLIGHT as i64
}
fn default_site_id() -> i64 {
    1
}

/// Environment variables for the API, `(variable, setting)`.
pub const ENV_OVERRIDES: &[(&str, &str)] = &[
    ("CLEARPARK_API_TOKENS", "api.tokens (comma-separated)"),
    ("CLEARPARK_SECRET_KEY", "one more API token"),
    ("CLEARPARK_JWT_SECRET", "api.jwt_secret"),
    (
        "CLEARPARK_DEVICE_KEYS",
        "api.device_keys (name=key,name2=key2)",
    ),
];

/// Checks a lane's `mac_address`, returning it upper-cased.
pub(super) fn mac_address(at: &str, text: &str, problems: &mut Vec<String>) -> Option<String> {
    let valid = text.len() == 17
        && text.split(':').count() == 6
        && text
            .split(':')
            .all(|part| part.len() == 2 && part.chars().all(|c| c.is_ascii_hexdigit()));
    if valid {
        Some(text.to_ascii_uppercase())
    } else {
        problems.push(format!(
            "{at}.mac_address: {text:?} is not a MAC address like \"76:86:BB:DE:63:AD\""
        ));
        None
    }
}

pub(super) fn validate(
    raw: RawApi,
    lanes: &[LaneConfig],
    macs: Vec<(String, String)>,
    resolve: &dyn Fn(&str) -> PathBuf,
    env: &dyn Fn(&str) -> Option<String>,
    problems: &mut Vec<String>,
) -> ApiConfig {
    let listen_text = raw.listen.unwrap_or_else(|| DEFAULT_LISTEN.into());
    let listen = listen_text.parse().unwrap_or_else(|_| {
        problems.push(format!(
            "api.listen: {listen_text:?} is not an address:port such as \"127.0.0.1:8080\""
        ));
        SocketAddr::from(([127, 0, 0, 1], 8080))
    });
    let entrance_lane = api_lane(
        "entrance_lane",
        raw.entrance_lane,
        Direction::Entrance,
        lanes,
        problems,
    );
    let exit_lane = api_lane("exit_lane", raw.exit_lane, Direction::Exit, lanes, problems);

    let mut tokens = Vec::new();
    let file_tokens = match env("CLEARPARK_API_TOKENS") {
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| ("CLEARPARK_API_TOKENS".to_owned(), t.to_owned()))
            .collect::<Vec<_>>(),
        None => raw
            .tokens
            .into_iter()
            .enumerate()
            .map(|(i, t)| (format!("api.tokens[{i}]"), t))
            .collect(),
    };
    let secret_key = env("CLEARPARK_SECRET_KEY").map(|t| ("CLEARPARK_SECRET_KEY".to_owned(), t));
    for (setting, token) in file_tokens.into_iter().chain(secret_key) {
        if check_secret(&setting, &token, MIN_SECRET_CHARS, problems) {
            tokens.push(Secret(token));
        }
    }

    let jwt_secret = match env("CLEARPARK_JWT_SECRET") {
        Some(s) => Some(("CLEARPARK_JWT_SECRET", s)),
        None => raw.jwt_secret.map(|s| ("api.jwt_secret", s)),
    }
    .and_then(|(setting, s)| {
        check_secret(setting, &s, MIN_JWT_SECRET_BYTES, problems).then_some(Secret(s))
    });
    let jwt_audience = claim_values("api.jwt_audience", raw.jwt_audience, problems);
    let jwt_issuer = claim_values("api.jwt_issuer", raw.jwt_issuer, problems);
    if jwt_secret.is_none() {
        for (setting, values) in [
            ("api.jwt_audience", &jwt_audience),
            ("api.jwt_issuer", &jwt_issuer),
        ] {
            if !values.is_empty() {
                problems.push(format!(
                    "{setting}: set, but api.jwt_secret (or CLEARPARK_JWT_SECRET) is not: no JWT is accepted"
                ));
            }
        }
    }
    if tokens.is_empty() && jwt_secret.is_none() {
        problems.push(
            "api.tokens: no way to authenticate callers: set api.tokens or api.jwt_secret \
             (or CLEARPARK_API_TOKENS, CLEARPARK_SECRET_KEY, CLEARPARK_JWT_SECRET)"
                .into(),
        );
    }

    let device_keys = device_keys(raw.device_keys, env, problems);

    let tls = match (raw.tls_cert, raw.tls_key) {
        (None, None) => None,
        (Some(cert), Some(key)) => {
            let (cert, key) = (resolve(&cert), resolve(&key));
            for (setting, path) in [("api.tls_cert", &cert), ("api.tls_key", &key)] {
                if !path.is_file() {
                    problems.push(format!(
                        "{setting}: {} is not a readable file",
                        path.display()
                    ));
                }
            }
            Some(TlsFiles { cert, key })
        }
        (Some(_), None) => {
            problems.push("api.tls_key: missing; api.tls_cert needs its private key".into());
            None
        }
        (None, Some(_)) => {
            problems.push("api.tls_cert: missing; api.tls_key needs its certificate".into());
            None
        }
    };

    let request_timeout = match u64::try_from(raw.request_timeout_secs) {
        Ok(s) if (1..=300).contains(&s) => Duration::from_secs(s),
        _ => {
            problems.push(format!(
                "api.request_timeout_secs: {} is not between 1 and 300",
                raw.request_timeout_secs
            ));
            Duration::from_secs(10)
        }
    };
    let max_in_flight = match usize::try_from(raw.max_in_flight) {
        Ok(n) if (1..=10_000).contains(&n) => n,
        _ => {
            problems.push(format!(
                "api.max_in_flight: {} is not between 1 and 10000",
                raw.max_in_flight
            ));
            DEFAULT_MAX_IN_FLIGHT
        }
    };
    if raw.secured_parking_id < 1 {
        problems.push(format!(
            "api.secured_parking_id: {} is not a positive id",
            raw.secured_parking_id
        ));
    }

    ApiConfig {
        listen,
        entrance_lane,
        exit_lane,
        tokens,
        jwt_secret,
        jwt_audience,
        jwt_issuer,
        device_keys,
        tls,
        request_timeout,
        max_in_flight,
        secured_parking_id: raw.secured_parking_id,
        access_points: macs
            .into_iter()
            .map(|(lane, mac_address)| AccessPoint { lane, mac_address })
            .collect(),
    }
}

/// The lane a direction of the API scans on: the one named, or the first of that direction.
fn api_lane(
    setting: &str,
    named: Option<String>,
    direction: Direction,
    lanes: &[LaneConfig],
    problems: &mut Vec<String>,
) -> String {
    match named {
        Some(id) => match lanes.iter().find(|l| l.id == id) {
            Some(l) if l.direction == direction => id,
            Some(l) => {
                problems.push(format!(
                    "api.{setting}: lane {id:?} is an {} lane; this needs an {direction} lane",
                    l.direction
                ));
                id
            }
            None => {
                problems.push(format!("api.{setting}: {id:?} is not a configured lane"));
                id
            }
        },
        None => match lanes.iter().find(|l| l.direction == direction) {
            Some(l) => l.id.clone(),
            None => {
                problems.push(format!(
                    "api.{setting}: no {direction} lane is configured for the API to scan on"
                ));
                String::new()
            }
        },
    }
}

/// Whether a secret is long enough and free of spaces; names the setting, never the value.
fn check_secret(setting: &str, value: &str, min: usize, problems: &mut Vec<String>) -> bool {
    if value.chars().any(char::is_whitespace) || value.chars().any(char::is_control) {
        problems.push(format!("{setting}: holds spaces or control characters"));
        false
    } else if value.chars().count() < min {
        problems.push(format!(
            "{setting}: too short ({} characters); use at least {min} random characters",
            value.chars().count()
        ));
        false
    } else {
        true
    }
}

fn device_keys(
    file: BTreeMap<String, String>,
    env: &dyn Fn(&str) -> Option<String>,
    problems: &mut Vec<String>,
) -> Vec<DeviceKey> {
    let entries: Vec<(String, String, String)> = match env("CLEARPARK_DEVICE_KEYS") {
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .enumerate()
            .filter_map(|(i, entry)| match entry.split_once('=') {
                Some((name, key)) => Some((
                    format!("CLEARPARK_DEVICE_KEYS entry {}", i + 1),
                    name.trim().to_owned(),
                    key.trim().to_owned(),
                )),
                None => {
                    problems.push(format!(
                        "CLEARPARK_DEVICE_KEYS: entry {} is not name=key",
                        i + 1
                    ));
                    None
                }
            })
            .collect(),
        None => file
            .into_iter()
            .map(|(name, key)| (format!("api.device_keys.{name}"), name, key))
            .collect(),
    };
    let mut seen = HashSet::new();
    let mut keys: Vec<DeviceKey> = Vec::new();
    for (setting, name, key) in entries {
        if name.is_empty()
            || name.len() > 64
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        {
            problems.push(format!(
                "{setting}: device name {name:?} must be 1 to 64 letters, digits, '-', '_' or '.'"
            ));
            continue;
        }
        if !check_secret(&setting, &key, MIN_SECRET_CHARS, problems) {
            continue;
        }
        if !seen.insert(key.clone()) {
            problems.push(format!(
                "{setting}: the same key is given to another device; each device needs its own"
            ));
            continue;
        }
        if keys.iter().any(|k| k.name == name) {
            problems.push(format!("{setting}: device {name:?} is named twice"));
            continue;
        }
        keys.push(DeviceKey {
            name,
            key: Secret(key),
        });
    }
    keys
}

#[cfg(test)]
mod tests;
