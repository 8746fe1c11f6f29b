//! Reads for lists and screens (the API's `GET /clearpark/nwave/sessions/` and
//! `GET /clearpark/nwave/occupancy/`, the CLI): serde-serialisable, on a read-only connection.

use super::super::Result;
use super::super::time::DbTime;
use super::write::{corrupt, device_from_json, edges_from_json, load_board};
use crate::domain::nwave::{
    AuthBleTag, AuthMobile, Board, Edge, InvolvedDevice, OccupancySummary, Overstay,
    OverstayLimits, PartialEnd, SessionPhase, Stay,
};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

/// The most rows one list answer holds.
pub const MAX_LIMIT: usize = 1000;

/// Which sessions a list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionScope {
    /// Not ended (open or partially ended).
    Open,
    /// Not ended, or ended at or after this time: the API's default ("open and recent").
    OpenOrEndedSince(DateTime<Utc>),
    All,
}

/// `?after_id=N&limit=M`: rows with a larger id, in id order, at most `limit` (capped at
/// [`MAX_LIMIT`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionQuery {
    pub after_id: i64,
    pub limit: usize,
    pub scope: SessionScope,
}

/// One session in a list, with the fields of its current version as the vendor names them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionItem {
    pub id: i64,
    pub parking_session_uuid: String,
    pub correction_counter: u32,
    pub state: SessionPhase,
    pub session_start: Edge,
    pub partial_end: Option<PartialEnd>,
    pub session_end: Option<Edge>,
    pub involved_devices: Vec<InvolvedDevice>,
    pub auth_ble_tag: Option<AuthBleTag>,
    pub auth_mobile: Option<AuthMobile>,
    /// Entries in the correction history (superseded versions).
    pub corrections: u32,
    /// UTC, `YYYY-MM-DD HH:MM:SS`: when the booth first and last changed it.
    pub first_seen_at: String,
    pub updated_at: String,
    /// Grows with every change of any session: sort or sync by it.
    pub revision: i64,
}

const SESSION_COLUMNS: &str = "s.id, s.uuid, s.correction_counter, s.edges, s.first_seen_at,
    s.updated_at, s.revision,
    (SELECT COUNT(*) FROM nwave_session_version v WHERE v.session_id = s.id)";

fn session_item(row: &Row<'_>) -> rusqlite::Result<(SessionItem, String)> {
    let placeholder = Edge {
        event_time: DateTime::<Utc>::UNIX_EPOCH,
        delta_time_sec: 0,
        message_trace_ids: Vec::new(),
    };
    Ok((
        SessionItem {
            id: row.get(0)?,
            parking_session_uuid: row.get(1)?,
            correction_counter: row.get(2)?,
            state: SessionPhase::Open,
            session_start: placeholder,
            partial_end: None,
            session_end: None,
            involved_devices: Vec::new(),
            auth_ble_tag: None,
            auth_mobile: None,
            first_seen_at: row.get(4)?,
            updated_at: row.get(5)?,
            revision: row.get(6)?,
            corrections: row.get(7)?,
        },
        row.get(3)?,
    ))
}

/// Fills an item from its edges' JSON (outside rusqlite's closure, so errors name the row).
fn complete(item: (SessionItem, String)) -> Result<SessionItem> {
    let (mut s, json) = item;
    let e = edges_from_json(|| format!("nwave_session {} edges", s.id), &json)?;
    s.state = e.phase();
    s.session_start = e.start;
    s.partial_end = e.partial_end;
    s.session_end = e.end;
    s.involved_devices = e.devices;
    s.auth_ble_tag = e.auth_ble_tag;
    s.auth_mobile = e.auth_mobile;
    Ok(s)
}

/// Sessions in id order after `after_id`.
pub fn sessions(conn: &Connection, q: &SessionQuery) -> Result<Vec<SessionItem>> {
    let limit = q.limit.min(MAX_LIMIT) as i64;
    let (mode, since) = match q.scope {
        SessionScope::Open => ("open", None),
        SessionScope::OpenOrEndedSince(t) => ("since", Some(DbTime(t))),
        SessionScope::All => ("all", None),
    };
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM nwave_session s
         WHERE s.id > ?1
           AND (?3 = 'all' OR s.state <> 'ended' OR (?3 = 'since' AND s.end_time >= ?4))
         ORDER BY s.id LIMIT ?2"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![q.after_id, limit, mode, since], session_item)?;
    rows.map(|r| complete(r?)).collect()
}

/// One session by its `parking_session_uuid`, with its correction history (oldest first).
pub fn session(conn: &Connection, uuid: &str) -> Result<Option<SessionDetail>> {
    let sql = format!("SELECT {SESSION_COLUMNS} FROM nwave_session s WHERE s.uuid = ?1");
    let Some(item) = conn.query_row(&sql, [uuid], session_item).optional()? else {
        return Ok(None);
    };
    let session = complete(item)?;
    let mut stmt = conn.prepare(
        "SELECT correction_counter, edges, recorded_at FROM nwave_session_version
         WHERE session_id = ?1 ORDER BY correction_counter",
    )?;
    let rows = stmt.query_map([session.id], |r| {
        Ok((
            r.get::<_, u32>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut history = Vec::new();
    for row in rows {
        let (counter, json, recorded_at) = row?;
        let what = || format!("nwave_session_version {}/{counter} edges", session.id);
        let e = edges_from_json(what, &json)?;
        history.push(HistoryEntry {
            correction_counter: counter,
            session_start: e.start,
            partial_end: e.partial_end,
            session_end: e.end,
            involved_devices: e.devices,
            recorded_at,
        });
    }
    Ok(Some(SessionDetail { session, history }))
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionDetail {
    #[serde(flatten)]
    pub session: SessionItem,
    pub history: Vec<HistoryEntry>,
}

/// A version a correction replaced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    pub correction_counter: u32,
    pub session_start: Edge,
    pub partial_end: Option<PartialEnd>,
    pub session_end: Option<Edge>,
    pub involved_devices: Vec<InvolvedDevice>,
    pub recorded_at: String,
}

/// A position as the occupancy list shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PositionItem {
    pub network_id: String,
    pub custom_id: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub group_id: Option<i64>,
    pub group_type: Option<String>,
    pub group_name: Option<String>,
    pub group_custom_id: Option<String>,
    pub zone_id: Option<i64>,
    pub level_id: Option<i64>,
    pub level_name: Option<String>,
    pub floor_number: Option<i64>,
    pub group_inner_id: Option<i64>,
    pub labels: Vec<String>,
    pub device_id: Option<String>,
    pub hardware_type: Option<String>,
    pub taken: bool,
    /// The latest session on this position (holding it when `taken`).
    pub parking_session_uuid: String,
    /// That session's start and its error.
    pub since: Edge,
    pub max_stay_minutes: Option<u32>,
    pub overstay: Overstay,
    pub auth_ble_tag: Option<AuthBleTag>,
    pub auth_mobile: Option<AuthMobile>,
}

/// `GET /clearpark/nwave/occupancy/`: the summary and every position, at `at`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OccupancyReport {
    /// Totals and per group, zone and level (not flattened: its `positions` count would clash
    /// with the list of positions).
    pub summary: OccupancySummary,
    pub positions: Vec<PositionItem>,
}

/// Free and taken per group, zone and level, and each position with its overstay at `now`
/// against `limits`.
pub fn occupancy(
    conn: &Connection,
    now: DateTime<Utc>,
    limits: &OverstayLimits,
) -> Result<OccupancyReport> {
    // Both reads from one snapshot of the database, even with the booth writing meanwhile.
    let snapshot = match conn.is_autocommit() {
        true => Some(conn.unchecked_transaction()?),
        false => None,
    };
    let report = occupancy_in(conn, now, limits)?;
    if let Some(tx) = snapshot {
        tx.finish()?;
    }
    Ok(report)
}

fn occupancy_in(
    conn: &Connection,
    now: DateTime<Utc>,
    limits: &OverstayLimits,
) -> Result<OccupancyReport> {
    let board = Board::from_positions(load_board(conn)?);
    let summary = board.summary(now, limits);
    let stays = board.stays(now, limits);
    let mut stmt = conn.prepare(
        "SELECT p.network_id, p.device, s.edges, s.id FROM nwave_position p
         JOIN nwave_session s ON s.id = p.session_id ORDER BY p.network_id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })?;
    let mut positions = Vec::with_capacity(board.len());
    for row in rows {
        let (network_id, device_json, edges_json, session_id) = row?;
        let Some(state) = board.get(&network_id) else {
            return Err(corrupt(
                "nwave_position".into(),
                &network_id,
                "a position read a moment ago",
            ));
        };
        let device = device_from_json(&network_id, &device_json)?;
        let edges = edges_from_json(|| format!("nwave_session {session_id} edges"), &edges_json)?;
        let stay: Option<&Stay> = state
            .taken
            .then(|| stays.get(&state.session_uuid))
            .flatten();
        let p = device.position;
        let g = p.group.unwrap_or_default();
        positions.push(PositionItem {
            network_id,
            custom_id: p.custom_id,
            latitude: p.latitude,
            longitude: p.longitude,
            group_id: g.id,
            group_type: g.kind,
            group_name: g.name,
            group_custom_id: g.custom_id,
            zone_id: g.zone_id,
            level_id: g.level_id,
            level_name: g.level_name,
            floor_number: g.floor_number,
            group_inner_id: p.group_inner_id,
            labels: p.labels,
            device_id: device.device_id.or(device.serial_id),
            hardware_type: device.hardware_type,
            taken: state.taken,
            parking_session_uuid: state.session_uuid.clone(),
            since: state.since.clone(),
            max_stay_minutes: stay.and_then(|s| s.max_stay_minutes),
            overstay: stay.map_or(Overstay::No, |s| s.overstay),
            auth_ble_tag: edges.auth_ble_tag,
            auth_mobile: edges.auth_mobile,
        });
    }
    Ok(OccupancyReport { summary, positions })
}

/// A refused delivery as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuarantinedMessage {
    pub id: i64,
    pub received_at: String,
    pub reason: String,
    /// The bytes as delivered, as text (invalid UTF-8 replaced); `payload_bytes` is the length.
    pub payload: String,
    pub payload_bytes: usize,
    pub exchange: Option<String>,
    pub routing_key: Option<String>,
}

/// Quarantined deliveries in id order after `after_id`, at most `limit` (capped).
pub fn quarantined(
    conn: &Connection,
    after_id: i64,
    limit: usize,
) -> Result<Vec<QuarantinedMessage>> {
    let mut stmt = conn.prepare(
        "SELECT id, received_at, reason, payload, exchange, routing_key FROM nwave_quarantine
         WHERE id > ?1 ORDER BY id LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![after_id, limit.min(MAX_LIMIT) as i64], |r| {
        let payload: Vec<u8> = r.get(3)?;
        Ok(QuarantinedMessage {
            id: r.get(0)?,
            received_at: r.get(1)?,
            reason: r.get(2)?,
            payload: String::from_utf8_lossy(&payload).into_owned(),
            payload_bytes: payload.len(),
            exchange: r.get(4)?,
            routing_key: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// How many sessions, open sessions, positions and quarantined messages the store holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct NwaveCounts {
    pub sessions: i64,
    pub open_sessions: i64,
    pub positions: i64,
    pub quarantined: i64,
}

pub fn counts(conn: &Connection) -> Result<NwaveCounts> {
    Ok(conn.query_row(
        "SELECT (SELECT COUNT(*) FROM nwave_session),
                (SELECT COUNT(*) FROM nwave_session WHERE state <> 'ended'),
                (SELECT COUNT(*) FROM nwave_position),
                (SELECT COUNT(*) FROM nwave_quarantine)",
        [],
        |r| {
            Ok(NwaveCounts {
                sessions: r.get(0)?,
                open_sessions: r.get(1)?,
                positions: r.get(2)?,
                quarantined: r.get(3)?,
            })
        },
    )?)
}
