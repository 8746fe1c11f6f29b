//! From the bytes of a delivery to a [`SessionMessage`], or the reason it goes to quarantine.
//!
//! Refused: bytes that are not UTF-8 JSON, a shape that is not the API's (a field of the wrong
//! type), a missing `parking_session_uuid`, `correction_counter` or `session_start`, a timestamp
//! that does not parse or is implausible, a negative counter or delta, no involved position, the
//! same position twice, an end before the start (or before the partial end), and a partial end
//! naming a position the session does not involve. `null`, and `{}` for an optional object,
//! mean "nothing" ([`super::wire`]); unknown fields are ignored: the vendor may add some.

use super::message::{Edge, Edges, PartialEnd, SessionMessage, vendor_time};
use super::wire::{WireEdge, WireMessage, parse_time};
use std::fmt;

/// The longest `parking_session_uuid` accepted; the vendor's are 36-character UUIDs.
const MAX_UUID_LEN: usize = 128;

/// Why a message cannot be applied; stored with it in quarantine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub reason: String,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for Rejection {}

pub(super) fn reject(reason: impl Into<String>) -> Rejection {
    Rejection {
        reason: reason.into(),
    }
}

/// Parses and checks one message.
pub fn parse(bytes: &[u8]) -> Result<SessionMessage, Rejection> {
    let text = std::str::from_utf8(bytes).map_err(|e| reject(format!("not UTF-8 text: {e}")))?;
    if text.trim().is_empty() {
        return Err(reject("empty message"));
    }
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| reject(format!("not JSON: {e}")))?;
    if !value.is_object() {
        return Err(reject("not a JSON object"));
    }
    let wire: WireMessage = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        reject(format!("{path}: {}", e.into_inner()))
    })?;
    validate(wire)
}

fn validate(w: WireMessage) -> Result<SessionMessage, Rejection> {
    let uuid = match w.parking_session_uuid {
        Some(u) if u.trim().is_empty() => return Err(reject("parking_session_uuid: empty")),
        Some(u) if u.len() > MAX_UUID_LEN => {
            return Err(reject(format!(
                "parking_session_uuid: longer than {MAX_UUID_LEN} characters"
            )));
        }
        Some(u) if u.chars().any(char::is_control) => {
            return Err(reject("parking_session_uuid: holds control characters"));
        }
        Some(u) => u.trim().to_owned(),
        None => return Err(reject("parking_session_uuid: missing")),
    };
    let counter = match w.correction_counter {
        None => return Err(reject("correction_counter: missing")),
        Some(c) if c < 0 => return Err(reject(format!("correction_counter: {c} is negative"))),
        Some(c) => {
            u32::try_from(c).map_err(|_| reject(format!("correction_counter: {c} is too large")))?
        }
    };
    let start = match w.session_start.filter(|e| !e.is_empty()) {
        Some(e) => edge("session_start", e)?,
        None => return Err(reject("session_start: missing")),
    };
    let end = w
        .session_end
        .filter(|e| !e.is_empty())
        .map(|e| edge("session_end", e))
        .transpose()?;
    let partial_end = w
        .partial_end
        .filter(|p| !p.is_empty())
        .map(|p| -> Result<PartialEnd, Rejection> {
            let network_id = match p.network_id {
                Some(n) if !n.trim().is_empty() => n,
                _ => return Err(reject("partial_end.network_id: missing")),
            };
            Ok(PartialEnd {
                edge: edge("partial_end", p.edge)?,
                network_id,
                custom_id: p.custom_id,
            })
        })
        .transpose()?;

    let mut devices = Vec::new();
    for (i, d) in w.involved_devices.into_iter().flatten().enumerate() {
        // A `null` item is no device.
        let Some(d) = d else { continue };
        devices.push(d.into_device().ok_or_else(|| {
            reject(format!(
                "involved_devices[{i}].position.network_id: missing, and the device has no device_id"
            ))
        })?);
    }
    if devices.is_empty() {
        return Err(reject(
            "involved_devices: missing or empty: no position to occupy",
        ));
    }
    devices.sort_by(|a, b| a.position.network_id.cmp(&b.position.network_id));
    if let Some(pair) = devices
        .windows(2)
        .find(|p| p[0].position.network_id == p[1].position.network_id)
    {
        return Err(reject(format!(
            "involved_devices: position {:?} is listed twice",
            pair[0].position.network_id
        )));
    }

    if let Some(end) = &end
        && end.event_time < start.event_time
    {
        return Err(reject(format!(
            "session_end.event_time {} is before session_start.event_time {}",
            vendor_time::format(&end.event_time),
            vendor_time::format(&start.event_time)
        )));
    }
    if let Some(p) = &partial_end {
        if p.edge.event_time < start.event_time {
            return Err(reject(format!(
                "partial_end.event_time {} is before session_start.event_time {}",
                vendor_time::format(&p.edge.event_time),
                vendor_time::format(&start.event_time)
            )));
        }
        if let Some(end) = &end
            && end.event_time < p.edge.event_time
        {
            return Err(reject(format!(
                "session_end.event_time {} is before partial_end.event_time {}",
                vendor_time::format(&end.event_time),
                vendor_time::format(&p.edge.event_time)
            )));
        }
        if !devices
            .iter()
            .any(|d| d.position.network_id == p.network_id)
        {
            return Err(reject(format!(
                "partial_end.network_id {:?} is not among the involved devices' positions",
                p.network_id
            )));
        }
    }

    Ok(SessionMessage {
        uuid,
        counter,
        edges: Edges {
            start,
            partial_end,
            end,
            devices,
            auth_ble_tag: w.auth_ble_tag.map(|a| a.into_auth()).transpose()?.flatten(),
            auth_mobile: w.auth_mobile.map(|a| a.into_auth()).transpose()?.flatten(),
        },
    })
}

fn edge(name: &str, w: WireEdge) -> Result<Edge, Rejection> {
    let event_time = match &w.event_time {
        None => return Err(reject(format!("{name}.event_time: missing"))),
        Some(t) => parse_time(&format!("{name}.event_time"), t)?,
    };
    let delta_time_sec = match &w.delta_time_sec {
        None | Some(serde_json::Value::Null) => {
            return Err(reject(format!("{name}.delta_time_sec: missing")));
        }
        Some(v) => delta(v).map_err(|why| reject(format!("{name}.delta_time_sec: {why}")))?,
    };
    Ok(Edge {
        event_time,
        delta_time_sec,
        message_trace_ids: w.trace_ids(),
    })
}

fn delta(v: &serde_json::Value) -> Result<u32, String> {
    let n: i64 = match v {
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i,
            // 60.0 is 60; 60.5 is not a number of seconds the API sends.
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e12 => f as i64,
            _ => return Err(format!("{n} is not a whole number of seconds")),
        },
        serde_json::Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not a whole number of seconds"))?,
        other => return Err(format!("{other} is not a whole number of seconds")),
    };
    if n < 0 {
        return Err(format!("{n} is negative"));
    }
    u32::try_from(n).map_err(|_| format!("{n} is too large"))
}

#[cfg(test)]
mod tests {
    use super::super::examples;
    use super::*;
    use serde_json::{Value, json};

    fn reason(json: &str) -> String {
        parse(json.as_bytes()).unwrap_err().reason
    }

    fn with(f: impl FnOnce(&mut serde_json::Value)) -> String {
        let mut v: serde_json::Value = serde_json::from_str(examples::PARTIAL_END).unwrap();
        f(&mut v);
        v.to_string()
    }

    #[test]
    fn the_reference_examples_parse() {
        let start = parse(examples::START.as_bytes()).unwrap();
        assert_eq!(start.uuid, "e9fcc95e-b9cd-4e7f-b275-092a62daf61d");
        assert_eq!(start.counter, 0);
        assert_eq!(start.edges.start.delta_time_sec, 60);
        assert_eq!(
            vendor_time::format(&start.edges.start.event_time),
            "2021-01-26T07:48:40.121000+00:00"
        );
        let p = &start.edges.devices[0].position;
        assert_eq!(p.labels, vec!["my label".to_string()]);
        let g = p.group.as_ref().unwrap();
        assert_eq!(
            (g.id, g.kind.as_deref(), g.zone_id, g.level_id),
            (Some(1545), Some("unmarked_parking_bay"), Some(5), None)
        );
        let partial = parse(examples::PARTIAL_END.as_bytes()).unwrap();
        assert_eq!(partial.edges.devices.len(), 2);
        assert_eq!(
            partial.edges.partial_end.unwrap().network_id,
            "00000000-0000-0000-0000-000000033e5f"
        );
        for json in [examples::START_END, examples::PARTIAL_THEN_END] {
            assert!(parse(json.as_bytes()).unwrap().edges.end.is_some());
        }
    }

    #[test]
    fn what_the_replay_writes_parses_back_the_same() {
        let m = parse(examples::PARTIAL_THEN_END.as_bytes()).unwrap();
        assert_eq!(parse(&m.to_vendor_json()).unwrap(), m);
    }

    #[test]
    fn coordinates_parse_back_the_same() {
        // Needs serde_json's exact float parsing: otherwise a long coordinate reads one bit off
        // and its JSON reads back as another number.
        let text = with(|v| {
            v["involved_devices"][0]["position"]["longitude"] =
                serde_json::from_str("-1.068277777777778").unwrap();
        });
        let m = parse(text.as_bytes()).unwrap();
        assert_eq!(
            m.edges.devices[0].position.longitude,
            Some(-1.068277777777778)
        );
        assert_eq!(parse(&m.to_vendor_json()).unwrap(), m);
    }

    #[test]
    fn times_finer_than_a_microsecond_are_cut_so_they_parse_back_the_same() {
        // Times are kept to the microsecond they are written with, or the stored session would
        // differ from the message that made it.
        let text = with(|v| {
            v["session_start"]["event_time"] = "2021-01-26T09:54:08.287022222+00:00".into();
        });
        let m = parse(text.as_bytes()).unwrap();
        assert_eq!(
            m.edges.start.event_time,
            vendor_time::parse("2021-01-26T09:54:08.287022+00:00").unwrap()
        );
        assert_eq!(parse(&m.to_vendor_json()).unwrap(), m);
    }

    #[test]
    fn broken_messages_say_what_is_wrong() {
        assert!(reason("{\"parking_session_uuid\": ").starts_with("not JSON"));
        assert_eq!(
            parse(b"\xff\xfe").unwrap_err().reason.get(..10),
            Some("not UTF-8 ")
        );
        assert_eq!(reason("[1,2]"), "not a JSON object");
        assert_eq!(reason("   "), "empty message");
        let cases: Vec<(String, &str)> = vec![
            (
                with(|v| drop(v.as_object_mut().unwrap().remove("parking_session_uuid"))),
                "parking_session_uuid: missing",
            ),
            (
                with(|v| drop(v.as_object_mut().unwrap().remove("correction_counter"))),
                "correction_counter: missing",
            ),
            (
                with(|v| v["correction_counter"] = (-1).into()),
                "correction_counter: -1 is negative",
            ),
            (
                with(|v| drop(v.as_object_mut().unwrap().remove("session_start"))),
                "session_start: missing",
            ),
            (
                with(|v| v["session_start"]["event_time"] = "26/01/2021 09:54".into()),
                "session_start.event_time: \"26/01/2021 09:54\" is not a timestamp",
            ),
            (
                with(|v| v["session_start"]["event_time"] = "1970-01-01T00:00:00+00:00".into()),
                "session_start.event_time: \"1970-01-01T00:00:00+00:00\" is not a timestamp",
            ),
            (
                with(|v| v["partial_end"]["delta_time_sec"] = (-5).into()),
                "partial_end.delta_time_sec: -5 is negative",
            ),
            (
                with(|v| v["partial_end"]["network_id"] = "somewhere-else".into()),
                "partial_end.network_id \"somewhere-else\" is not among the involved devices",
            ),
            (
                with(|v| {
                    v["session_end"] = serde_json::json!({
                        "event_time": "2021-01-26T09:00:00.000+00:00", "delta_time_sec": 0
                    })
                }),
                "session_end.event_time 2021-01-26T09:00:00.000000+00:00 is before session_start",
            ),
            (
                with(|v| v["involved_devices"] = serde_json::json!([])),
                "involved_devices: missing or empty",
            ),
            (
                with(|v| v["involved_devices"][1] = v["involved_devices"][0].clone()),
                "involved_devices: position \"00000000-0000-0000-0000-000000033c83\" is listed twice",
            ),
            (
                with(|v| v["involved_devices"][0]["position"]["group"]["id"] = "x".into()),
                "involved_devices[0].position.group.id: invalid type: string \"x\"",
            ),
            (
                with(|v| {
                    v["auth_mobile"] = serde_json::json!({"session_id": "s", "event_time": "soon"})
                }),
                "auth_mobile.event_time: \"soon\" is not a timestamp",
            ),
        ];
        for (json, want) in cases {
            let got = reason(&json);
            assert!(got.starts_with(want), "{got:?} should start with {want:?}");
        }
    }

    #[test]
    fn null_and_empty_objects_mean_nothing() {
        let start = parse(examples::START.as_bytes()).unwrap();
        assert_eq!(parse(examples::START_WITH_NULLS.as_bytes()).unwrap(), start);
        let m = parse(examples::PARTIAL_END_SPARSE.as_bytes()).unwrap();
        // Known by its sensor; sorted among the others by that key.
        let ids: Vec<_> = m
            .edges
            .devices
            .iter()
            .map(|d| &d.position.network_id)
            .collect();
        assert_eq!(ids, ["00000000-0000-0000-0000-000000033e5f", "33c83"]);
        for d in &m.edges.devices {
            let p = &d.position;
            assert_eq!((&p.custom_id, &p.group, p.labels.len()), (&None, &None, 0));
        }
        assert!(m.edges.start.message_trace_ids.is_empty());
        let tag = m.edges.auth_ble_tag.as_ref().unwrap();
        assert_eq!((tag.tag_id.as_str(), tag.event_time), ("BLE-00A1", None));
        assert_eq!(m.edges.phase(), super::super::SessionPhase::PartiallyEnded);
        assert_eq!(parse(&m.to_vendor_json()).unwrap(), m);

        // What the live audit saw refused.
        let labels = with(|v| v["involved_devices"][0]["position"]["labels"] = Value::Null);
        assert!(parse(labels.as_bytes()).is_ok());
        let tag = with(|v| v["auth_ble_tag"] = json!({}));
        assert_eq!(parse(tag.as_bytes()).unwrap().edges.auth_ble_tag, None);
    }

    #[test]
    fn what_is_really_missing_is_still_refused() {
        let cases: Vec<(String, &str)> = vec![
            (
                with(|v| v["parking_session_uuid"] = Value::Null),
                "parking_session_uuid: missing",
            ),
            (
                with(|v| v["correction_counter"] = Value::Null),
                "correction_counter: missing",
            ),
            (
                with(|v| v["session_start"] = Value::Null),
                "session_start: missing",
            ),
            (
                with(|v| v["session_start"] = json!({})),
                "session_start: missing",
            ),
            (
                with(|v| v["session_start"]["event_time"] = Value::Null),
                "session_start.event_time: missing",
            ),
            (
                with(|v| v["session_end"] = json!({"event_time": "yesterday"})),
                "session_end.event_time: \"yesterday\" is not a timestamp",
            ),
            (
                with(|v| v["partial_end"]["network_id"] = Value::Null),
                "partial_end.network_id: missing",
            ),
            (
                with(|v| v["involved_devices"] = Value::Null),
                "involved_devices: missing or empty",
            ),
            (
                with(|v| v["involved_devices"] = json!([null])),
                "involved_devices: missing or empty",
            ),
            (
                with(|v| {
                    v["involved_devices"][1]["device_id"] = Value::Null;
                    v["involved_devices"][1]["position"] = Value::Null;
                }),
                "involved_devices[1].position.network_id: missing, and the device has no device_id",
            ),
            (
                with(|v| v["auth_ble_tag"] = json!({"tag_id": "t", "event_time": "noon"})),
                "auth_ble_tag.event_time: \"noon\" is not a timestamp",
            ),
            (
                with(|v| v["involved_devices"][0]["position"]["labels"] = json!("a label")),
                "involved_devices[0].position.labels: invalid type: string",
            ),
        ];
        for (json, want) in cases {
            let got = reason(&json);
            assert!(got.starts_with(want), "{got:?} should start with {want:?}");
        }
    }

    #[test]
    fn lenient_where_the_reference_is_loose() {
        // A delta as a string of digits, a whole float, unknown fields, a deprecated serial_id.
        let json = with(|v| {
            v["session_start"]["delta_time_sec"] = "120".into();
            v["partial_end"]["delta_time_sec"] = serde_json::json!(30.0);
            v["something_new"] = "ignored".into();
            v["involved_devices"][0]["serial_id"] = "old".into();
        });
        let m = parse(json.as_bytes()).unwrap();
        assert_eq!(m.edges.start.delta_time_sec, 120);
        assert_eq!(m.edges.partial_end.unwrap().edge.delta_time_sec, 30);
        assert_eq!(m.edges.devices[0].serial_id.as_deref(), Some("old"));
        let zulu = with(|v| v["session_start"]["event_time"] = "2021-01-26T11:54:08+02:00".into());
        let m = parse(zulu.as_bytes()).unwrap();
        assert_eq!(
            vendor_time::format(&m.edges.start.event_time),
            "2021-01-26T09:54:08.000000+00:00"
        );
        let fraction = with(|v| v["session_start"]["delta_time_sec"] = serde_json::json!(1.5));
        assert!(reason(&fraction).contains("not a whole number"));
    }
}
