//! `[nwave]`: the RabbitMQ queue the Nwave cloud publishes sessions to, and the maximum stays.

use crate::domain::nwave::OverstayLimits;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// Nwave sensors: where their sessions come from and how long a car may stay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NwaveSettings {
    /// The broker to consume from; `None` in the demo, whose Nwave feed is simulated.
    pub broker: Option<BrokerSettings>,
    pub limits: OverstayLimits,
    /// Ended sessions (no longer the latest on any bay) and quarantined messages are deleted
    /// after this many days.
    pub keep_days: u32,
}

pub const DEFAULT_KEEP_DAYS: u32 = 90;

#[derive(Clone, PartialEq, Eq)]
pub struct BrokerSettings {
    /// `amqp://user:password@host:5672/vhost` (secret: it holds the password).
    pub url: String,
    /// Durable queue to consume; declared if missing.
    pub queue: String,
    /// Bind the queue to this exchange (declared durable, `topic`); `None`: the Nwave cloud
    /// publishes to the queue directly.
    pub exchange: Option<String>,
    /// The binding's routing key (with `exchange`); `#` takes everything.
    pub routing_key: String,
    /// Where the broker moves messages clearpark rejects (larger than `max_message_bytes`) and
    /// any the queue drops; a durable `fanout` exchange with the queue `<queue>.dead-letter`.
    pub dead_letter_exchange: String,
    /// Unacknowledged deliveries the broker may send ahead (`basic.qos`); batches are up to half.
    pub prefetch: u16,
    /// How long a batch waits for more deliveries before it goes to the booth.
    pub batch_linger: Duration,
    /// Larger deliveries are not stored: they are rejected to the dead-letter exchange.
    pub max_message_bytes: usize,
}

impl BrokerSettings {
    /// The settings `[nwave]` gets by default, for `url` and `queue`.
    pub fn with_defaults(url: &str, queue: &str) -> BrokerSettings {
        BrokerSettings {
            url: url.to_owned(),
            queue: queue.to_owned(),
            exchange: None,
            routing_key: queue.to_owned(),
            dead_letter_exchange: format!("{queue}.dead-letter"),
            prefetch: DEFAULT_PREFETCH,
            batch_linger: DEFAULT_LINGER,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
        }
    }

    /// The URL without its password, for logs and screens.
    pub fn redacted_url(&self) -> String {
        match url_parts(&self.url) {
            Some((scheme, Some(user), rest)) => format!("{scheme}://{user}:***@{rest}"),
            Some((scheme, None, rest)) => format!("{scheme}://{rest}"),
            None => "(unparsable url)".into(),
        }
    }
}

/// `(scheme, user, host-and-rest)` of `scheme://user:pass@rest`.
fn url_parts(url: &str) -> Option<(&str, Option<&str>, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    Some(match rest.rsplit_once('@') {
        Some((credentials, host)) => (
            scheme,
            Some(credentials.split(':').next().unwrap_or("")),
            host,
        ),
        None => (scheme, None, rest),
    })
}

impl std::fmt::Debug for BrokerSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerSettings")
            .field("url", &self.redacted_url())
            .field("queue", &self.queue)
            .field("exchange", &self.exchange)
            .field("routing_key", &self.routing_key)
            .field("dead_letter_exchange", &self.dead_letter_exchange)
            .field("prefetch", &self.prefetch)
            .field("batch_linger", &self.batch_linger)
            .field("max_message_bytes", &self.max_message_bytes)
            .finish()
    }
}

pub const DEFAULT_QUEUE: &str = "nwave.parking_sessions";
/// Batches of up to 1000: a commit's fsync on a slow disk costs tens of milliseconds, so larger
/// batches, not faster statements, set the pace (see the benchmark).
pub const DEFAULT_PREFETCH: u16 = 2000;
/// How long a batch waits for more deliveries: longer makes fewer, larger commits, and so less
/// of the log written again (the same index pages are in every commit), which leaves the disk
/// to the scans' commits (docs/perf/).
pub const DEFAULT_LINGER: Duration = Duration::from_millis(100);
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 1 << 20;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNwave {
    url: Option<String>,
    queue: Option<String>,
    exchange: Option<String>,
    routing_key: Option<String>,
    dead_letter_exchange: Option<String>,
    prefetch: Option<i64>,
    batch_linger_ms: Option<i64>,
    max_message_bytes: Option<i64>,
    max_stay_minutes: Option<i64>,
    #[serde(default)]
    group_max_stay_minutes: BTreeMap<String, i64>,
    keep_days: Option<i64>,
}

/// Checks `[nwave]`; `CLEARPARK_NWAVE_URL` overrides its `url`.
pub(super) fn validate(
    raw: RawNwave,
    env: &dyn Fn(&str) -> Option<String>,
    problems: &mut Vec<String>,
) -> NwaveSettings {
    let url = match env("CLEARPARK_NWAVE_URL").or(raw.url) {
        Some(u) => {
            match u.parse::<lapin::uri::AMQPUri>() {
                Ok(_) if u.starts_with("amqps:") => problems.push(
                    "nwave.url: amqps:// needs TLS, which this build leaves out: use amqp:// to a broker on this machine or network".into(),
                ),
                Ok(_) => {}
                Err(e) => problems.push(format!(
                    "nwave.url: not an AMQP URL ({e}); e.g. \"amqp://user:password@127.0.0.1:5672/%2f\""
                )),
            }
            u
        }
        None => {
            problems.push(
                "nwave.url: missing (amqp://user:password@host:5672/vhost, or CLEARPARK_NWAVE_URL)"
                    .into(),
            );
            String::new()
        }
    };
    let name = |setting: &str, v: Option<String>, problems: &mut Vec<String>| -> Option<String> {
        match v {
            Some(n) if n.trim().is_empty() || n.len() > 255 || n.chars().any(char::is_control) => {
                problems.push(format!(
                    "nwave.{setting}: {n:?} is not a name (1 to 255 printable characters)"
                ));
                None
            }
            other => other,
        }
    };
    let queue = name("queue", raw.queue, problems).unwrap_or_else(|| DEFAULT_QUEUE.into());
    let exchange = name("exchange", raw.exchange, problems);
    if exchange.as_deref() == Some("") {
        problems.push("nwave.exchange: empty".into());
    }
    if raw.routing_key.is_some() && exchange.is_none() {
        problems.push("nwave.routing_key: set without nwave.exchange to bind to".into());
    }
    let routing_key = raw.routing_key.unwrap_or_else(|| queue.clone());
    let dead_letter_exchange = name("dead_letter_exchange", raw.dead_letter_exchange, problems)
        .unwrap_or_else(|| format!("{queue}.dead-letter"));
    let prefetch = match raw.prefetch {
        None => DEFAULT_PREFETCH,
        Some(p) => match u16::try_from(p) {
            Ok(p) if p >= 2 => p,
            _ => {
                problems.push(format!("nwave.prefetch: {p} is not between 2 and 65535"));
                DEFAULT_PREFETCH
            }
        },
    };
    let batch_linger = match raw.batch_linger_ms {
        None => DEFAULT_LINGER,
        Some(ms) if (0..=5000).contains(&ms) => Duration::from_millis(ms as u64),
        Some(ms) => {
            problems.push(format!(
                "nwave.batch_linger_ms: {ms} is not between 0 and 5000"
            ));
            DEFAULT_LINGER
        }
    };
    let max_message_bytes = match raw.max_message_bytes {
        None => DEFAULT_MAX_MESSAGE_BYTES,
        Some(b) if (1024..=64 << 20).contains(&b) => b as usize,
        Some(b) => {
            problems.push(format!(
                "nwave.max_message_bytes: {b} is not between 1024 and 67108864"
            ));
            DEFAULT_MAX_MESSAGE_BYTES
        }
    };
    let minutes = |setting: String, m: i64, problems: &mut Vec<String>| match u32::try_from(m) {
        Ok(m) if (1..=60 * 24 * 31).contains(&m) => Some(m),
        _ => {
            problems.push(format!(
                "{setting}: {m} is not a number of minutes (1 to 44640)"
            ));
            None
        }
    };
    let default_minutes = raw
        .max_stay_minutes
        .and_then(|m| minutes("nwave.max_stay_minutes".into(), m, problems));
    let by_group = raw
        .group_max_stay_minutes
        .into_iter()
        .filter_map(|(group, m)| {
            let setting = format!("nwave.group_max_stay_minutes.{group:?}");
            if group.trim().is_empty() {
                problems.push(format!("{setting}: a group id or custom_id is needed"));
                return None;
            }
            minutes(setting, m, problems).map(|m| (group, m))
        })
        .collect();
    let keep_days = match raw.keep_days {
        None => DEFAULT_KEEP_DAYS,
        Some(d) => match u32::try_from(d) {
            Ok(d) if (1..=3650).contains(&d) => d,
            _ => {
                problems.push(format!("nwave.keep_days: {d} is not between 1 and 3650"));
                DEFAULT_KEEP_DAYS
            }
        },
    };
    NwaveSettings {
        keep_days,
        broker: Some(BrokerSettings {
            url,
            queue,
            exchange,
            routing_key,
            dead_letter_exchange,
            prefetch,
            batch_linger,
            max_message_bytes,
        }),
        limits: OverstayLimits {
            default_minutes,
            by_group,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, env: &dyn Fn(&str) -> Option<String>) -> (NwaveSettings, Vec<String>) {
        let raw: RawNwave = toml::from_str(text).unwrap();
        let mut problems = Vec::new();
        (validate(raw, env, &mut problems), problems)
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn defaults_and_limits() {
        let (s, problems) = parse(
            "url = \"amqp://guest:guest@127.0.0.1:5672/%2f\"\nmax_stay_minutes = 120\n[group_max_stay_minutes]\n\"1545\" = 30\n",
            &no_env,
        );
        assert!(problems.is_empty(), "{problems:?}");
        let b = s.broker.unwrap();
        assert_eq!(b.queue, DEFAULT_QUEUE);
        assert_eq!(b.routing_key, DEFAULT_QUEUE);
        assert_eq!(b.dead_letter_exchange, "nwave.parking_sessions.dead-letter");
        assert_eq!(b.prefetch, 2000);
        assert_eq!(b.redacted_url(), "amqp://guest:***@127.0.0.1:5672/%2f");
        assert!(!format!("{b:?}").contains("guest:guest"));
        assert_eq!(s.limits.default_minutes, Some(120));
        assert_eq!(s.limits.by_group["1545"], 30);
        assert_eq!(s.keep_days, 90);
    }

    #[test]
    fn the_environment_supplies_the_url() {
        let env = |n: &str| (n == "CLEARPARK_NWAVE_URL").then(|| "amqp://a:b@broker/%2f".into());
        let (s, problems) = parse("queue = \"q\"\n", &env);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(s.broker.unwrap().url, "amqp://a:b@broker/%2f");
    }

    #[test]
    fn every_mistake_is_named() {
        let (_, problems) = parse(
            "url = \"http://x\"\nqueue = \"\"\nrouting_key = \"k\"\nprefetch = 0\nbatch_linger_ms = -1\nmax_message_bytes = 10\nmax_stay_minutes = 0\n[group_max_stay_minutes]\n\"7\" = -5\n",
            &no_env,
        );
        let expect = [
            "nwave.url: not an AMQP URL",
            "nwave.queue: \"\" is not a name",
            "nwave.routing_key: set without nwave.exchange",
            "nwave.prefetch: 0",
            "nwave.batch_linger_ms: -1",
            "nwave.max_message_bytes: 10",
            "nwave.max_stay_minutes: 0",
            "nwave.group_max_stay_minutes.\"7\": -5",
        ];
        assert_eq!(problems.len(), expect.len(), "{problems:#?}");
        for (p, want) in problems.iter().zip(expect) {
            assert!(p.starts_with(want), "{p:?} should start with {want:?}");
        }
        let (_, problems) = parse("", &no_env);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("nwave.url: missing"));
        let (_, problems) = parse("url = \"amqps://h/%2f\"", &no_env);
        assert!(problems[0].contains("needs TLS"), "{problems:?}");
    }
}
