//! The Nwave tables on a real SQLite file: writes by the rules, reads for the lists.

use super::*;
use crate::domain::nwave::{
    Applied, Ledger, Overstay, OverstayLimits, SessionPhase, examples, parse,
};
use crate::store::Store;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 1, 26, h, m, 0).unwrap()
}

struct Db {
    _dir: tempfile::TempDir,
    store: Store,
}

fn db() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("booth.db")).unwrap();
    Db { _dir: dir, store }
}

fn apply(db: &mut Db, json: &str) -> MessageWritten {
    let tx = db.store.transaction().unwrap();
    let written = apply_message(&tx, &parse(json.as_bytes()).unwrap(), at(12, 0)).unwrap();
    tx.commit().unwrap();
    written
}

const PARTIAL_UUID: &str = "da2ecb68-efb1-458e-ba5d-e5ba80b87f6e";
const START_UUID: &str = "e9fcc95e-b9cd-4e7f-b275-092a62daf61d";

#[test]
fn stored_sessions_are_what_the_rules_say() {
    let mut db = db();
    let mut ledger = Ledger::default();
    for json in examples::ALL {
        let written = apply(&mut db, json);
        let expected = ledger.apply(&parse(json.as_bytes()).unwrap());
        assert_eq!(written.applied, expected);
    }
    for (uuid, record) in &ledger.sessions {
        let stored = load_session(db.store.conn(), uuid).unwrap().unwrap();
        assert_eq!(&stored.record, record);
    }
    let board = load_board(db.store.conn()).unwrap();
    let expected: Vec<_> = ledger.positions().into_values().collect();
    assert_eq!(board, expected);
    // The correction pair's counter 1 reopened the partial-end example's session.
    let detail = session(db.store.conn(), PARTIAL_UUID).unwrap().unwrap();
    assert_eq!(detail.session.correction_counter, 1);
    assert_eq!(detail.session.state, SessionPhase::Open);
    assert_eq!(detail.session.corrections, 1);
    assert_eq!(detail.history.len(), 1);
    assert!(detail.history[0].session_end.is_some());
}

#[test]
fn a_duplicate_writes_nothing() {
    let mut db = db();
    apply(&mut db, examples::START);
    let before: (i64, String) = db
        .store
        .conn()
        .query_row("SELECT revision, updated_at FROM nwave_session", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    let written = apply(&mut db, examples::START);
    assert_eq!(written.applied, Applied::Duplicate);
    assert!(written.positions.is_empty());
    let after: (i64, String) = db
        .store
        .conn()
        .query_row("SELECT revision, updated_at FROM nwave_session", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(before, after);
}

#[test]
fn lists_are_incremental_and_scoped() {
    let mut db = db();
    apply(&mut db, examples::START_END); // ended 07:51
    apply(&mut db, examples::PARTIAL_END); // open (partially ended)
    let conn = db.store.conn();
    let all = sessions(
        conn,
        &SessionQuery {
            after_id: 0,
            limit: 10,
            scope: SessionScope::All,
        },
    )
    .unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].parking_session_uuid, START_UUID);
    assert_eq!(all[0].state, SessionPhase::Ended);
    assert_eq!(all[1].state, SessionPhase::PartiallyEnded);
    let next = sessions(
        conn,
        &SessionQuery {
            after_id: all[0].id,
            limit: 10,
            scope: SessionScope::All,
        },
    )
    .unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].id, all[1].id);
    let one = SessionQuery {
        after_id: 0,
        limit: 1,
        scope: SessionScope::All,
    };
    assert_eq!(sessions(conn, &one).unwrap().len(), 1);
    let open = SessionQuery {
        after_id: 0,
        limit: 10,
        scope: SessionScope::Open,
    };
    let open = sessions(conn, &open).unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].parking_session_uuid, PARTIAL_UUID);
    let recent = |since| SessionQuery {
        after_id: 0,
        limit: 10,
        scope: SessionScope::OpenOrEndedSince(since),
    };
    assert_eq!(sessions(conn, &recent(at(7, 0))).unwrap().len(), 2);
    assert_eq!(sessions(conn, &recent(at(8, 0))).unwrap().len(), 1);
    // The JSON an API answers: the vendor's field names and times.
    let json = serde_json::to_value(&all[0]).unwrap();
    assert_eq!(
        json["session_end"]["event_time"],
        "2021-01-26T07:51:26.466000+00:00"
    );
    assert_eq!(json["state"], "ended");
    assert_eq!(json["involved_devices"][0]["device_id"], "a33b47");
}

#[test]
fn occupancy_reports_positions_areas_overstay_and_authorisations() {
    let mut db = db();
    let with_auth = examples::PARTIAL_END.replacen(
        "\"correction_counter\": 0,",
        "\"correction_counter\": 0, \"auth_ble_tag\": {\"tag_id\": \"tag-77\", \"event_time\": \"2021-01-26T09:55:00.000+00:00\"},",
        1,
    );
    apply(&mut db, &with_auth);
    apply(&mut db, examples::START_END);
    // Read the way the API does: a read-only connection beside the writer.
    let ro = Store::open_read_only(db.store.path()).unwrap();
    let limits = OverstayLimits {
        default_minutes: Some(240),
        by_group: [("1729".to_string(), 30)].into(),
    };
    let report = occupancy(ro.conn(), at(10, 30), &limits).unwrap();
    let s = &report.summary;
    assert_eq!((s.total.positions, s.total.taken, s.total.free), (3, 1, 2));
    assert_eq!(s.total.overstay_certain, 1);
    assert_eq!(s.groups.len(), 2);
    let g1729 = s.groups.iter().find(|g| g.id == Some(1729)).unwrap();
    assert_eq!(g1729.max_stay_minutes, Some(30));
    assert_eq!((g1729.counts.taken, g1729.counts.free), (1, 1));
    assert_eq!(s.zones.len(), 1);
    assert_eq!(s.zones[0].counts.positions, 3);
    let kept = report
        .positions
        .iter()
        .find(|p| p.network_id == "00000000-0000-0000-0000-000000033c83")
        .unwrap();
    assert!(kept.taken);
    assert_eq!(kept.overstay, Overstay::Certain);
    assert_eq!(kept.group_inner_id, Some(54));
    assert_eq!(kept.device_id.as_deref(), Some("33c83"));
    assert_eq!(kept.auth_ble_tag.as_ref().unwrap().tag_id, "tag-77");
    let released = report
        .positions
        .iter()
        .find(|p| p.network_id == "00000000-0000-0000-0000-000000033e5f")
        .unwrap();
    assert!(!released.taken);
    assert_eq!(released.overstay, Overstay::No);
    // Twenty minutes after the start: within the group's 30 minutes.
    let early = occupancy(ro.conn(), at(10, 14), &limits).unwrap();
    assert_eq!(early.summary.total.overstay_certain, 0);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["summary"]["taken"], 1);
    assert_eq!(json["positions"][0]["overstay"], "certain");
    let c = counts(ro.conn()).unwrap();
    assert_eq!((c.sessions, c.open_sessions, c.positions), (2, 1, 3));
}

#[test]
fn quarantine_keeps_the_bytes_once() {
    let db = db();
    let conn = db.store.conn();
    let origin = DeliveryOrigin {
        exchange: Some("nwave".into()),
        routing_key: Some("sessions".into()),
    };
    let bytes = b"{\"parking_session_uuid\": \xff";
    assert!(quarantine(conn, bytes, "not UTF-8 text", &origin, at(12, 0)).unwrap());
    let later = at(12, 0) + TimeDelta::minutes(1);
    assert!(!quarantine(conn, bytes, "not UTF-8 text", &origin, later).unwrap());
    assert!(quarantine(conn, b"[]", "not a JSON object", &origin, later).unwrap());
    let list = quarantined(conn, 0, 10).unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].payload_bytes, bytes.len());
    assert_eq!(list[0].reason, "not UTF-8 text");
    assert_eq!(list[0].routing_key.as_deref(), Some("sessions"));
    let stored: Vec<u8> = conn
        .query_row(
            "SELECT payload FROM nwave_quarantine WHERE id = ?1",
            [list[0].id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, bytes);
    assert_eq!(quarantined(conn, list[0].id, 10).unwrap().len(), 1);
}

#[test]
fn pruning_keeps_what_a_bay_still_shows() {
    let mut db = db();
    apply(&mut db, examples::START_END); // ended 07:51, the only session on its bay
    apply(&mut db, examples::PARTIAL_THEN_END); // ended 10:16
    // A later car on the partial-end session's first bay: that session is no longer latest there,
    // but still is on its second bay.
    let later = examples::START
        .replace(START_UUID, "f0000000-0000-4000-8000-000000000002")
        .replace(
            "23f3e949-2dd3-47ca-b00f-c3310d4ce418",
            "00000000-0000-0000-0000-000000033c83",
        )
        .replace("2021-01-26T07:48:40.121000", "2021-01-26T11:00:00.000000");
    apply(&mut db, &later);
    let conn = db.store.conn();
    quarantine(
        conn,
        b"old",
        "not JSON",
        &DeliveryOrigin::default(),
        at(6, 0),
    )
    .unwrap();
    quarantine(
        conn,
        b"new",
        "not JSON",
        &DeliveryOrigin::default(),
        at(13, 0),
    )
    .unwrap();
    let before = counts(conn).unwrap();
    let pruned = prune(conn, at(12, 30), 100).unwrap();
    assert_eq!(
        pruned,
        Pruned {
            sessions: 0,
            quarantined: 1
        }
    );
    assert_eq!(counts(conn).unwrap().sessions, before.sessions);
    // A newer session on the only bay of the first one: now it may go.
    let newer = examples::START
        .replace(START_UUID, "f0000000-0000-4000-8000-000000000003")
        .replace("2021-01-26T07:48:40.121000", "2021-01-26T11:30:00.000000");
    apply(&mut db, &newer);
    let conn = db.store.conn();
    let pruned = prune(conn, at(12, 30), 100).unwrap();
    assert_eq!(pruned.sessions, 1);
    assert!(load_session(conn, START_UUID).unwrap().is_none());
    assert!(load_session(conn, PARTIAL_UUID).unwrap().is_some());
    let c = counts(conn).unwrap();
    assert_eq!((c.sessions, c.positions, c.quarantined), (3, 3, 1));
}

#[test]
fn a_producer_that_sends_nulls_takes_its_bays() {
    let mut db = db();
    apply(&mut db, examples::START_WITH_NULLS);
    apply(&mut db, examples::PARTIAL_END_SPARSE);
    let taken: Vec<_> = load_board(db.store.conn())
        .unwrap()
        .into_iter()
        .filter(|p| p.taken)
        .map(|p| p.network_id().to_owned())
        .collect();
    // The partial end released 33e5f; the other sensor of that bay still sees the car.
    assert_eq!(
        taken,
        ["23f3e949-2dd3-47ca-b00f-c3310d4ce418", "33c83"],
        "every start took its bays"
    );
    let sparse = session(db.store.conn(), PARTIAL_UUID).unwrap().unwrap();
    let tag = sparse.session.auth_ble_tag.unwrap();
    assert_eq!((tag.tag_id.as_str(), tag.event_time), ("BLE-00A1", None));
    let counts = counts(db.store.conn()).unwrap();
    assert_eq!((counts.sessions, counts.quarantined), (2, 0));
}
