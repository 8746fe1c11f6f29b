//! The validated shape of a "Parking Session Logging API 2.0" message (docs/contracts.md §7), and its
//! JSON exactly as the vendor writes it (`to_vendor_json`), for the publisher and the replay.
//!
//! Times are UTC; on the wire they are `yyyy-MM-dd'T'HH:mm:ss.SSSSSS+00:00` as in the reference's
//! examples. Everything about a position is optional but the key it is known by (its
//! `network_id`, or its sensor's id when the producer sends none: [`super::wire`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A session's edge: when it happened, within `± delta_time_sec`, and the raw messages behind it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Edge {
    #[serde(with = "vendor_time")]
    pub event_time: DateTime<Utc>,
    pub delta_time_sec: u32,
    #[serde(default)]
    pub message_trace_ids: Vec<String>,
}

impl Edge {
    /// The earliest the real event can have happened.
    pub fn earliest(&self) -> DateTime<Utc> {
        self.event_time - chrono::TimeDelta::seconds(i64::from(self.delta_time_sec))
    }

    /// The latest the real event can have happened.
    pub fn latest(&self) -> DateTime<Utc> {
        self.event_time + chrono::TimeDelta::seconds(i64::from(self.delta_time_sec))
    }
}

/// One sensor of an open bay released while the other still sees the car.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PartialEnd {
    #[serde(flatten)]
    pub edge: Edge,
    /// The position released.
    pub network_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_id: Option<String>,
}

/// A sensor involved in a session, and the position it watches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvolvedDevice {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// Deprecated by the vendor in favour of `device_id`; kept when sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware_type: Option<String>,
    pub position: Position,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Position {
    /// The position's `network_id`, or its sensor's `device_id` when the producer sent none.
    pub network_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<Group>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_inner_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
}

/// A group of positions (a row of marked bays, an open bay, a garage area).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Group {
    #[serde(default)]
    pub id: Option<i64>,
    /// `general`, `unmarked_parking_bay` or `marked_parking_bay`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub custom_id: Option<String>,
    #[serde(default)]
    pub zone_id: Option<i64>,
    #[serde(default)]
    pub level_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level_name: Option<String>,
    #[serde(default)]
    pub floor_number: Option<i64>,
}

/// A driver authorised on the bay with an Nwave BLE tag.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AuthBleTag {
    pub tag_id: String,
    /// When the driver authorised; unknown when the producer left it out.
    #[serde(
        default,
        with = "vendor_time::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub event_time: Option<DateTime<Utc>>,
}

/// A driver authorised on the bay through the One-Click Check-in app.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AuthMobile {
    /// The reference calls it `session_id` in the schema and `one_click_session_id` in the text.
    #[serde(alias = "one_click_session_id")]
    pub session_id: String,
    /// When the driver authorised; unknown when the producer left it out.
    #[serde(
        default,
        with = "vendor_time::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub event_time: Option<DateTime<Utc>>,
}

/// What a message says about its session: the edges of one correction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Edges {
    pub start: Edge,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partial_end: Option<PartialEnd>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Edge>,
    /// Sorted by `position.network_id`, one entry per position.
    pub devices: Vec<InvolvedDevice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_ble_tag: Option<AuthBleTag>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_mobile: Option<AuthMobile>,
}

/// Where a session stands by its edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionPhase {
    /// Started; every position taken.
    Open,
    /// An open bay released one of its sensors; the car still holds the other.
    PartiallyEnded,
    Ended,
}

impl SessionPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionPhase::Open => "open",
            SessionPhase::PartiallyEnded => "partially_ended",
            SessionPhase::Ended => "ended",
        }
    }

    pub fn parse(s: &str) -> Option<SessionPhase> {
        match s {
            "open" => Some(SessionPhase::Open),
            "partially_ended" => Some(SessionPhase::PartiallyEnded),
            "ended" => Some(SessionPhase::Ended),
            _ => None,
        }
    }
}

impl Edges {
    pub fn phase(&self) -> SessionPhase {
        match (&self.end, &self.partial_end) {
            (Some(_), _) => SessionPhase::Ended,
            (None, Some(_)) => SessionPhase::PartiallyEnded,
            (None, None) => SessionPhase::Open,
        }
    }

    /// Whether the session still holds this position: not ended, and not the position its
    /// partial end released.
    pub fn holds(&self, network_id: &str) -> bool {
        self.end.is_none()
            && self
                .partial_end
                .as_ref()
                .is_none_or(|p| p.network_id != network_id)
    }
}

/// A valid message: one session, one correction, its edges.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionMessage {
    pub uuid: String,
    pub counter: u32,
    pub edges: Edges,
}

/// Where a delivery came from (its AMQP exchange and routing key), kept with a refused one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryOrigin {
    pub exchange: Option<String>,
    pub routing_key: Option<String>,
}

/// The vendor's field names and order, for publishing what the replay generates.
#[derive(Serialize)]
struct VendorMessage<'a> {
    parking_session_uuid: &'a str,
    involved_devices: &'a [InvolvedDevice],
    correction_counter: u32,
    session_start: &'a Edge,
    #[serde(skip_serializing_if = "Option::is_none")]
    partial_end: Option<&'a PartialEnd>,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_end: Option<&'a Edge>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_ble_tag: Option<&'a AuthBleTag>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_mobile: Option<&'a AuthMobile>,
}

impl SessionMessage {
    /// The message as the Nwave cloud would send it.
    pub fn to_vendor_json(&self) -> Vec<u8> {
        let e = &self.edges;
        let vendor = VendorMessage {
            parking_session_uuid: &self.uuid,
            involved_devices: &e.devices,
            correction_counter: self.counter,
            session_start: &e.start,
            partial_end: e.partial_end.as_ref(),
            session_end: e.end.as_ref(),
            auth_ble_tag: e.auth_ble_tag.as_ref(),
            auth_mobile: e.auth_mobile.as_ref(),
        };
        // Plain structs of strings and numbers always serialise.
        serde_json::to_vec(&vendor).unwrap_or_default()
    }
}

/// Times as the vendor writes them (`2021-01-26T07:48:40.121000+00:00`); any RFC 3339 time in.
pub mod vendor_time {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn format(at: &DateTime<Utc>) -> String {
        at.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
    }

    /// A timestamp with its offset, as UTC, to the microsecond (the vendor's precision, and
    /// what [`format`] writes: finer digits would be lost in the store and make a redelivered
    /// message look new); `None` when it is not one or is implausible for a parking sensor
    /// (before 2000 or after 2100: a device with a broken clock).
    pub fn parse(text: &str) -> Option<DateTime<Utc>> {
        let at = chrono::SubsecRound::trunc_subsecs(
            DateTime::parse_from_rfc3339(text.trim())
                .ok()?
                .with_timezone(&Utc),
            6,
        );
        let year = chrono::Datelike::year(&at);
        (2000..2100).contains(&year).then_some(at)
    }

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(at))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{text:?} is not a timestamp like 2019-06-13T16:16:51.000+00:00"
            ))
        })
    }

    /// The same for a time that may be absent (`null` or left out).
    pub mod optional {
        use chrono::{DateTime, Utc};
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(
            at: &Option<DateTime<Utc>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match at {
                Some(at) => super::serialize(at, s),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<DateTime<Utc>>, D::Error> {
            match Option::<String>::deserialize(d)? {
                None => Ok(None),
                Some(text) => super::parse(&text).map(Some).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "{text:?} is not a timestamp like 2019-06-13T16:16:51.000+00:00"
                    ))
                }),
            }
        }
    }
}
