//! Nwave "Parking Session Logging API 2.0" deliveries on any bytes (docs/contracts.md §7). The input is
//! split at 0xFF bytes (never in UTF-8) into up to eight deliveries, each parsed as the consumer
//! does. Parsing never panics and a refusal has a reason; a parsed message keeps the rules'
//! checks (positions unique, sorted and named, ends after starts, a partial end on an involved
//! position, authorisations with an id) and comes back the same from its vendor JSON, and from
//! that JSON with `null` or `{}` written for everything it leaves out (null means nothing). Applied to the pure rules:
//! redelivering every message changes nothing, and the reverse arrival order ends in the same
//! sessions and positions; merging edges is commutative and idempotent; the occupancy summary
//! adds up.
#![no_main]

use chrono::{TimeZone, Utc};
use clearpark::domain::nwave::{self, Applied, Board, Ledger, OverstayLimits, SessionMessage};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

fn check_message(m: &SessionMessage) {
    let e = &m.edges;
    assert!(!m.uuid.trim().is_empty() && m.uuid == m.uuid.trim());
    assert!(!e.devices.is_empty());
    assert!(
        e.devices
            .iter()
            .all(|d| !d.position.network_id.trim().is_empty())
    );
    assert!(
        e.auth_ble_tag
            .as_ref()
            .is_none_or(|a| !a.tag_id.trim().is_empty())
    );
    assert!(
        e.auth_mobile
            .as_ref()
            .is_none_or(|a| !a.session_id.trim().is_empty())
    );
    for pair in e.devices.windows(2) {
        assert!(pair[0].position.network_id < pair[1].position.network_id);
    }
    if let Some(end) = &e.end {
        assert!(end.event_time >= e.start.event_time);
    }
    if let Some(p) = &e.partial_end {
        assert!(p.edge.event_time >= e.start.event_time);
        assert!(
            e.devices
                .iter()
                .any(|d| d.position.network_id == p.network_id)
        );
        if let Some(end) = &e.end {
            assert!(end.event_time >= p.edge.event_time);
        }
    }
    for edge in [
        Some(&e.start),
        e.end.as_ref(),
        e.partial_end.as_ref().map(|p| &p.edge),
    ]
    .into_iter()
    .flatten()
    {
        assert!(edge.earliest() <= edge.event_time && edge.event_time <= edge.latest());
    }
}

/// Writes `empty` for each of `keys` that `object` leaves out.
fn fill(object: &mut Map<String, Value>, keys: &[&str], empty: &Value) {
    for key in keys {
        object
            .entry(key.to_string())
            .or_insert_with(|| empty.clone());
    }
}

/// A message's vendor JSON as a producer that writes `null` and `{}` for "nothing" sends it:
/// every optional field it leaves out is there, empty, and its lists hold a `null` too.
fn with_nulls(vendor_json: &[u8]) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(vendor_json).unwrap();
    let Value::Object(m) = &mut v else {
        unreachable!()
    };
    fill(m, &["session_end"], &Value::Null);
    fill(m, &["partial_end", "auth_ble_tag"], &json!({}));
    fill(
        m,
        &["auth_mobile"],
        &json!({"session_id": null, "event_time": null}),
    );
    for edge in ["session_start", "session_end", "partial_end"] {
        if let Some(Value::Array(ids)) =
            m.get_mut(edge).and_then(|e| e.get_mut("message_trace_ids"))
        {
            ids.push(Value::Null);
        }
    }
    if let Some(Value::Array(devices)) = m.get_mut("involved_devices") {
        for d in devices.iter_mut() {
            let Value::Object(d) = d else { continue };
            fill(
                d,
                &["device_id", "serial_id", "hardware_type"],
                &Value::Null,
            );
            let Some(Value::Object(p)) = d.get_mut("position") else {
                continue;
            };
            let nulls = [
                "custom_id",
                "latitude",
                "longitude",
                "group",
                "group_inner_id",
                "labels",
            ];
            fill(p, &nulls, &Value::Null);
            if let Some(Value::Array(labels)) = p.get_mut("labels") {
                labels.push(Value::Null);
            }
            if let Some(Value::Object(g)) = p.get_mut("group") {
                let fields = [
                    "id",
                    "type",
                    "name",
                    "custom_id",
                    "zone_id",
                    "level_id",
                    "level_name",
                    "floor_number",
                ];
                fill(g, &fields, &Value::Null);
            }
        }
        devices.push(Value::Null);
    }
    v.to_string().into_bytes()
}

fn summary_adds_up(ledger: &Ledger) {
    let board = Board::from_positions(ledger.positions().into_values());
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
    let limits = OverstayLimits {
        default_minutes: Some(30),
        by_group: [("7".to_string(), 5u32)].into_iter().collect(),
    };
    let summary = board.summary(now, &limits);
    let t = summary.total;
    assert_eq!(t.positions as usize, board.len());
    assert_eq!(t.taken + t.free, t.positions);
    let _ = board.stays(now, &limits);
    let _ = serde_json::to_string(&summary).unwrap();
}

fuzz_target!(|data: &[u8]| {
    let mut messages = Vec::new();
    for bytes in data.split(|&b| b == 0xFF).take(8) {
        match nwave::parse(bytes) {
            Ok(m) => {
                check_message(&m);
                // The vendor's JSON of a parsed message parses back to the same message.
                let again = nwave::parse(&m.to_vendor_json())
                    .unwrap_or_else(|e| panic!("its own JSON is refused: {e}"));
                assert_eq!(again, m, "the vendor JSON round trip changed the message");
                // Nothing, said with null and {}, is still nothing.
                let nulls = with_nulls(&m.to_vendor_json());
                let same = nwave::parse(&nulls).unwrap_or_else(|e| {
                    panic!(
                        "refused with nulls: {e}: {}",
                        String::from_utf8_lossy(&nulls)
                    )
                });
                assert_eq!(same, m, "null changed the message");
                messages.push(m);
            }
            Err(rejection) => assert!(!rejection.reason.trim().is_empty()),
        }
    }
    if messages.is_empty() {
        return;
    }

    let mut ledger = Ledger::default();
    for m in &messages {
        let applied = ledger.apply(m);
        // Applying the same message twice in a row is applying it once.
        let before = ledger.clone();
        let again = ledger.apply(m);
        assert!(
            matches!(
                again,
                Applied::Duplicate
                    | Applied::Stale {
                        recorded: false,
                        ..
                    }
            ),
            "{applied:?} then {again:?}"
        );
        assert_eq!(ledger, before, "a repeat changed the ledger");
    }
    // Redelivery of everything, later: nothing changes.
    let settled = ledger.clone();
    for m in &messages {
        let again = ledger.apply(m);
        assert!(
            !again.changes_current(),
            "a redelivery changed a session: {again:?}"
        );
    }
    assert_eq!(ledger.sessions, settled.sessions);
    // Arrival order does not matter.
    let mut reversed = Ledger::default();
    for m in messages.iter().rev() {
        reversed.apply(m);
    }
    assert_eq!(
        reversed.sessions, ledger.sessions,
        "the order of arrival changed the state"
    );
    assert_eq!(reversed.positions(), ledger.positions());
    // Merging one counter's edges: a join.
    for a in &messages {
        assert_eq!(a.edges.merge(&a.edges), a.edges);
        for b in &messages {
            let ab = a.edges.merge(&b.edges);
            assert_eq!(ab, b.edges.merge(&a.edges), "merge is not commutative");
            assert_eq!(ab.merge(&b.edges), ab, "merge is not idempotent");
        }
    }
    summary_adds_up(&ledger);
});
