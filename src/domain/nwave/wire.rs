//! The message as producers really send it, before [`super::parse`] checks it: every field may
//! be missing, and an optional one may also be `null`, and an optional object `{}`, all of which
//! mean "nothing" (docs/contracts.md, "Nwave sessions"). So every field here is an `Option`,
//! arrays skip `null` items, and an optional object with nothing in it is absent. What is
//! required (the uuid, the counter, the start, a time that parses) is refused by the checks,
//! with the field's path; a field of the wrong type is refused by serde, with its path too.

use super::message::{AuthBleTag, AuthMobile, Group, InvolvedDevice, Position, vendor_time};
use super::parse::{Rejection, reject};
use serde::Deserialize;

#[derive(Deserialize)]
pub(super) struct WireMessage {
    pub parking_session_uuid: Option<String>,
    pub correction_counter: Option<i64>,
    pub session_start: Option<WireEdge>,
    pub partial_end: Option<WirePartialEnd>,
    pub session_end: Option<WireEdge>,
    pub involved_devices: Option<Vec<Option<WireDevice>>>,
    pub auth_ble_tag: Option<WireBleTag>,
    pub auth_mobile: Option<WireMobile>,
}

#[derive(Deserialize)]
pub(super) struct WireEdge {
    pub event_time: Option<String>,
    /// An integer; the reference's schema also shows it as a string, so digits in a string pass.
    pub delta_time_sec: Option<serde_json::Value>,
    pub message_trace_ids: Option<Vec<Option<String>>>,
}

impl WireEdge {
    /// `{}`, or every field `null`: no edge.
    pub fn is_empty(&self) -> bool {
        self.event_time.is_none()
            && self.delta_time_sec.as_ref().is_none_or(|v| v.is_null())
            && self.message_trace_ids.is_none()
    }

    pub fn trace_ids(self) -> Vec<String> {
        present(self.message_trace_ids)
    }
}

#[derive(Deserialize)]
pub(super) struct WirePartialEnd {
    #[serde(flatten)]
    pub edge: WireEdge,
    pub network_id: Option<String>,
    pub custom_id: Option<String>,
}

impl WirePartialEnd {
    pub fn is_empty(&self) -> bool {
        self.edge.is_empty() && self.network_id.is_none() && self.custom_id.is_none()
    }
}

#[derive(Deserialize)]
pub(super) struct WireDevice {
    device_id: Option<String>,
    serial_id: Option<String>,
    hardware_type: Option<String>,
    position: Option<WirePosition>,
}

#[derive(Deserialize)]
struct WirePosition {
    network_id: Option<String>,
    custom_id: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    group: Option<Group>,
    group_inner_id: Option<i64>,
    labels: Option<Vec<Option<String>>>,
}

impl WireDevice {
    /// The device and its position. A position without a `network_id` is known by its sensor's
    /// `device_id` (or the deprecated `serial_id`): a sensor watches one position. `None` when
    /// neither is there: nothing names the position.
    pub fn into_device(self) -> Option<InvolvedDevice> {
        let p = self.position.unwrap_or(WirePosition {
            network_id: None,
            custom_id: None,
            latitude: None,
            longitude: None,
            group: None,
            group_inner_id: None,
            labels: None,
        });
        let network_id = [&p.network_id, &self.device_id, &self.serial_id]
            .into_iter()
            .flatten()
            .find(|id| !id.trim().is_empty())?
            .clone();
        Some(InvolvedDevice {
            device_id: self.device_id,
            serial_id: self.serial_id,
            hardware_type: self.hardware_type,
            position: Position {
                network_id,
                custom_id: p.custom_id,
                latitude: p.latitude,
                longitude: p.longitude,
                group: p.group.filter(|g| *g != Group::default()),
                group_inner_id: p.group_inner_id,
                labels: present(p.labels),
            },
        })
    }
}

#[derive(Deserialize)]
pub(super) struct WireBleTag {
    tag_id: Option<String>,
    event_time: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct WireMobile {
    /// The reference calls it `session_id` in the schema and `one_click_session_id` in the text.
    #[serde(alias = "one_click_session_id")]
    session_id: Option<String>,
    event_time: Option<String>,
}

impl WireBleTag {
    /// The authorisation, or `None` when it names no tag (`{}` is "nobody authorised").
    pub fn into_auth(self) -> Result<Option<AuthBleTag>, Rejection> {
        let Some(tag_id) = self.tag_id.filter(|id| !id.trim().is_empty()) else {
            return Ok(None);
        };
        Ok(Some(AuthBleTag {
            tag_id,
            event_time: time("auth_ble_tag.event_time", self.event_time)?,
        }))
    }
}

impl WireMobile {
    /// The authorisation, or `None` when it names no session.
    pub fn into_auth(self) -> Result<Option<AuthMobile>, Rejection> {
        let Some(session_id) = self.session_id.filter(|id| !id.trim().is_empty()) else {
            return Ok(None);
        };
        Ok(Some(AuthMobile {
            session_id,
            event_time: time("auth_mobile.event_time", self.event_time)?,
        }))
    }
}

/// An optional time: absent stays absent, present must parse.
fn time(
    name: &str,
    text: Option<String>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, Rejection> {
    text.map(|t| parse_time(name, &t)).transpose()
}

/// A time that must parse, or why it does not.
pub(super) fn parse_time(
    name: &str,
    text: &str,
) -> Result<chrono::DateTime<chrono::Utc>, Rejection> {
    vendor_time::parse(text).ok_or_else(|| {
        reject(format!(
            "{name}: {text:?} is not a timestamp like 2019-06-13T16:16:51.000+00:00"
        ))
    })
}

/// The items of an optional list that are there.
fn present(items: Option<Vec<Option<String>>>) -> Vec<String> {
    items.into_iter().flatten().flatten().collect()
}
