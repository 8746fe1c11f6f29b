//! The booth's writes: sessions with their history, claims, positions, quarantine. Each takes a
//! `&Connection` so that the booth runs a whole batch in one transaction.

use super::super::time::DbTime;
use super::super::{Result, StoreError};
use crate::domain::nwave::{
    DeliveryOrigin, Edge, Edges, InvolvedDevice, PositionState, SessionRecord, Version,
};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::BTreeMap;

/// A session as stored: its row id and its record (current version and history).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSession {
    pub id: i64,
    pub record: SessionRecord,
}

pub(super) fn corrupt(what: String, value: &str, expected: &'static str) -> StoreError {
    StoreError::Corrupt {
        what,
        value: value.chars().take(200).collect(),
        expected,
    }
}

pub(super) fn edges_from_json(what: impl FnOnce() -> String, json: &str) -> Result<Edges> {
    serde_json::from_str(json).map_err(|_| corrupt(what(), json, "the JSON of a session's edges"))
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    // Strings, numbers and times always serialise.
    serde_json::to_string(value).unwrap_or_default()
}

/// The session's row id and current version, if known.
pub fn load_current(conn: &Connection, uuid: &str) -> Result<Option<(i64, Version)>> {
    let row: Option<(i64, u32, String)> = conn
        .prepare_cached("SELECT id, correction_counter, edges FROM nwave_session WHERE uuid = ?1")?
        .query_row([uuid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    row.map(|(id, counter, json)| {
        let edges = edges_from_json(|| format!("nwave_session {id} edges"), &json)?;
        Ok((id, Version { counter, edges }))
    })
    .transpose()
}

/// One entry of a session's correction history.
pub fn load_history_entry(
    conn: &Connection,
    session_id: i64,
    counter: u32,
) -> Result<Option<Edges>> {
    let json: Option<String> = conn
        .prepare_cached(
            "SELECT edges FROM nwave_session_version
             WHERE session_id = ?1 AND correction_counter = ?2",
        )?
        .query_row(params![session_id, counter], |r| r.get(0))
        .optional()?;
    json.map(|j| {
        edges_from_json(
            || format!("nwave_session_version {session_id}/{counter} edges"),
            &j,
        )
    })
    .transpose()
}

/// The session and its whole history, if known.
pub fn load_session(conn: &Connection, uuid: &str) -> Result<Option<StoredSession>> {
    let Some((id, current)) = load_current(conn, uuid)? else {
        return Ok(None);
    };
    let mut history = BTreeMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT correction_counter, edges FROM nwave_session_version WHERE session_id = ?1",
    )?;
    let rows = stmt.query_map([id], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (c, json) = row?;
        let what = || format!("nwave_session_version {id}/{c} edges");
        history.insert(c, edges_from_json(what, &json)?);
    }
    Ok(Some(StoredSession {
        id,
        record: SessionRecord {
            uuid: uuid.to_owned(),
            current,
            history,
        },
    }))
}

/// Writes a session's current version; inserts it when `id` is `None`. Returns the row id.
pub fn save_current(
    conn: &Connection,
    id: Option<i64>,
    record: &SessionRecord,
    now: DateTime<Utc>,
) -> Result<i64> {
    let e = &record.current.edges;
    let time = |edge: Option<&Edge>| edge.map(|x| DbTime(x.event_time));
    let revision: i64 = conn
        .prepare_cached("SELECT COALESCE(MAX(revision), 0) + 1 FROM nwave_session")?
        .query_row([], |r| r.get(0))?;
    let values = params![
        record.uuid,
        record.current.counter,
        e.phase().as_str(),
        DbTime(e.start.event_time),
        e.start.delta_time_sec,
        time(e.partial_end.as_ref().map(|p| &p.edge)),
        e.partial_end.as_ref().map(|p| p.edge.delta_time_sec),
        e.partial_end.as_ref().map(|p| p.network_id.as_str()),
        time(e.end.as_ref()),
        e.end.as_ref().map(|x| x.delta_time_sec),
        e.auth_ble_tag.as_ref().map(|a| a.tag_id.as_str()),
        e.auth_ble_tag
            .as_ref()
            .and_then(|a| a.event_time)
            .map(DbTime),
        e.auth_mobile.as_ref().map(|a| a.session_id.as_str()),
        e.auth_mobile
            .as_ref()
            .and_then(|a| a.event_time)
            .map(DbTime),
        to_json(e),
        DbTime(now),
        revision,
    ];
    match id {
        None => {
            conn.prepare_cached(
                "INSERT INTO nwave_session (uuid, correction_counter, state, start_time,
                    start_delta_sec, partial_end_time, partial_end_delta_sec,
                    partial_end_network_id, end_time, end_delta_sec, auth_ble_tag_id,
                    auth_ble_tag_time, auth_mobile_session_id, auth_mobile_time, edges,
                    first_seen_at, updated_at, revision)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                    ?16, ?17)",
            )?
            .execute(values)?;
            Ok(conn.last_insert_rowid())
        }
        Some(id) => {
            conn.prepare_cached(
                "UPDATE nwave_session SET correction_counter = ?2, state = ?3, start_time = ?4,
                    start_delta_sec = ?5, partial_end_time = ?6, partial_end_delta_sec = ?7,
                    partial_end_network_id = ?8, end_time = ?9, end_delta_sec = ?10,
                    auth_ble_tag_id = ?11, auth_ble_tag_time = ?12, auth_mobile_session_id = ?13,
                    auth_mobile_time = ?14, edges = ?15, updated_at = ?16, revision = ?17
                 WHERE uuid = ?1",
            )?
            .execute(values)?;
            Ok(id)
        }
    }
}

/// Writes one entry of a session's correction history.
pub fn save_history(
    conn: &Connection,
    session_id: i64,
    counter: u32,
    edges: &Edges,
    now: DateTime<Utc>,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO nwave_session_version (session_id, correction_counter, edges, recorded_at)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (session_id, correction_counter)
         DO UPDATE SET edges = excluded.edges, recorded_at = excluded.recorded_at",
    )?
    .execute(params![session_id, counter, to_json(edges), DbTime(now)])?;
    Ok(())
}

/// Replaces a session's claims with those of its current edges. Returns the positions it
/// claimed before, so that the caller refreshes both the old and the new ones.
pub fn replace_claims(
    conn: &Connection,
    session_id: i64,
    claims: &[PositionState],
) -> Result<Vec<String>> {
    let old: Vec<String> = conn
        .prepare_cached("SELECT network_id FROM nwave_claim WHERE session_id = ?1")?
        .query_map([session_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    conn.prepare_cached("DELETE FROM nwave_claim WHERE session_id = ?1")?
        .execute([session_id])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO nwave_claim (session_id, network_id, session_uuid, start_time,
            start_delta_sec, start_trace_ids, holds, device)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for c in claims {
        insert.execute(params![
            session_id,
            c.network_id(),
            c.session_uuid,
            DbTime(c.since.event_time),
            c.since.delta_time_sec,
            to_json(&c.since.message_trace_ids),
            c.taken,
            to_json(&c.device),
        ])?;
    }
    Ok(old)
}

/// Sets a position from its latest claim; forgets it when no session claims it any more.
/// Returns the position's new state for the booth's board.
pub fn refresh_position(
    conn: &Connection,
    network_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<PositionState>> {
    let head: Option<(i64, String, DbTime, u32, String, bool, String)> = conn
        .prepare_cached(
            "SELECT session_id, session_uuid, start_time, start_delta_sec, start_trace_ids,
                holds, device
             FROM nwave_claim WHERE network_id = ?1
             ORDER BY start_time DESC, session_uuid DESC LIMIT 1",
        )?
        .query_row([network_id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })
        .optional()?;
    let Some((session_id, session_uuid, start, delta, traces, holds, device_json)) = head else {
        conn.prepare_cached("DELETE FROM nwave_position WHERE network_id = ?1")?
            .execute([network_id])?;
        return Ok(None);
    };
    let state = PositionState {
        device: device_from_json(network_id, &device_json)?,
        session_uuid,
        since: Edge {
            event_time: start.0,
            delta_time_sec: delta,
            message_trace_ids: traces_from_json(network_id, &traces)?,
        },
        taken: holds,
    };
    let p = &state.device.position;
    let g = p.group.clone().unwrap_or_default();
    conn.prepare_cached(
        "INSERT INTO nwave_position (network_id, custom_id, latitude, longitude, group_id,
            group_type, group_name, group_custom_id, zone_id, level_id, level_name, floor_number,
            group_inner_id, labels, device_id, hardware_type, session_id, taken, since,
            since_delta_sec, since_trace_ids, device, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
            ?19, ?20, ?21, ?22, ?23)
         ON CONFLICT (network_id) DO UPDATE SET custom_id = excluded.custom_id,
            latitude = excluded.latitude, longitude = excluded.longitude,
            group_id = excluded.group_id, group_type = excluded.group_type,
            group_name = excluded.group_name, group_custom_id = excluded.group_custom_id,
            zone_id = excluded.zone_id, level_id = excluded.level_id,
            level_name = excluded.level_name, floor_number = excluded.floor_number,
            group_inner_id = excluded.group_inner_id, labels = excluded.labels,
            device_id = excluded.device_id, hardware_type = excluded.hardware_type,
            session_id = excluded.session_id, taken = excluded.taken, since = excluded.since,
            since_delta_sec = excluded.since_delta_sec, since_trace_ids = excluded.since_trace_ids,
            device = excluded.device, updated_at = excluded.updated_at",
    )?
    .execute(params![
        network_id,
        p.custom_id,
        p.latitude,
        p.longitude,
        g.id,
        g.kind,
        g.name,
        g.custom_id,
        g.zone_id,
        g.level_id,
        g.level_name,
        g.floor_number,
        p.group_inner_id,
        to_json(&p.labels),
        state
            .device
            .device_id
            .as_ref()
            .or(state.device.serial_id.as_ref()),
        state.device.hardware_type,
        session_id,
        state.taken,
        DbTime(state.since.event_time),
        state.since.delta_time_sec,
        traces,
        device_json,
        DbTime(now),
    ])?;
    Ok(Some(state))
}

pub(super) fn device_from_json(network_id: &str, json: &str) -> Result<InvolvedDevice> {
    serde_json::from_str(json).map_err(|_| {
        corrupt(
            format!("nwave device of position {network_id}"),
            json,
            "an involved_devices entry (JSON)",
        )
    })
}

pub(super) fn traces_from_json(network_id: &str, json: &str) -> Result<Vec<String>> {
    serde_json::from_str(json).map_err(|_| {
        corrupt(
            format!("nwave trace ids of position {network_id}"),
            json,
            "a JSON array of strings",
        )
    })
}

/// Every position's latest claim: the booth's board at start.
pub fn load_board(conn: &Connection) -> Result<Vec<PositionState>> {
    let mut stmt = conn.prepare(
        "SELECT p.network_id, s.uuid, p.since, p.since_delta_sec, p.since_trace_ids, p.taken,
            p.device
         FROM nwave_position p JOIN nwave_session s ON s.id = p.session_id
         ORDER BY p.network_id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, DbTime>(2)?,
            r.get::<_, u32>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, bool>(5)?,
            r.get::<_, String>(6)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (network_id, session_uuid, since, delta, traces, taken, device) = row?;
        out.push(PositionState {
            device: device_from_json(&network_id, &device)?,
            session_uuid,
            since: Edge {
                event_time: since.0,
                delta_time_sec: delta,
                message_trace_ids: traces_from_json(&network_id, &traces)?,
            },
            taken,
        });
    }
    Ok(out)
}

/// Stores a refused delivery whole with the reason. The same bytes again (a redelivery) are not
/// stored twice; returns whether a row was added.
pub fn quarantine(
    conn: &Connection,
    payload: &[u8],
    reason: &str,
    origin: &DeliveryOrigin,
    now: DateTime<Utc>,
) -> Result<bool> {
    let added = conn
        .prepare_cached(
            "INSERT INTO nwave_quarantine (received_at, reason, payload, exchange, routing_key)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (payload) DO NOTHING",
        )?
        .execute(params![
            DbTime(now),
            reason,
            payload,
            origin.exchange,
            origin.routing_key
        ])?;
    Ok(added == 1)
}

/// What a prune deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub sessions: usize,
    pub quarantined: usize,
}

/// Deletes up to `limit` sessions that ended before `before` and are no longer the latest on
/// any position (with their history and claims), and quarantined messages received before it.
/// A session still latest on a bay stays: it is that bay's description.
pub fn prune(conn: &Connection, before: DateTime<Utc>, limit: usize) -> Result<Pruned> {
    let ids: Vec<i64> = conn
        .prepare_cached(
            "SELECT s.id FROM nwave_session s
             WHERE s.state = 'ended' AND s.end_time < ?1
               AND s.id NOT IN (SELECT session_id FROM nwave_position)
             LIMIT ?2",
        )?
        .query_map(params![DbTime(before), limit as i64], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in &ids {
        conn.prepare_cached("DELETE FROM nwave_session_version WHERE session_id = ?1")?
            .execute([id])?;
        conn.prepare_cached("DELETE FROM nwave_claim WHERE session_id = ?1")?
            .execute([id])?;
        conn.prepare_cached("DELETE FROM nwave_session WHERE id = ?1")?
            .execute([id])?;
    }
    let quarantined = conn
        .prepare_cached("DELETE FROM nwave_quarantine WHERE received_at < ?1")?
        .execute([DbTime(before)])?;
    Ok(Pruned {
        sessions: ids.len(),
        quarantined,
    })
}
