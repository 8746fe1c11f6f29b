//! Applying one valid message to the stored session by the domain's rules, writing only what
//! changed.

use super::super::Result;
use super::super::time::DbTime;
use super::write::{
    load_current, load_history_entry, refresh_position, replace_claims, save_current, save_history,
};
use crate::domain::nwave::{Applied, Edges, PositionState, SessionMessage, SessionRecord, claims};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use std::collections::BTreeMap;

/// What applying one message wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageWritten {
    pub applied: Applied,
    /// The positions whose latest claim may have changed, with their state now (`None`: no
    /// session claims it any more).
    pub positions: Vec<(String, Option<PositionState>)>,
}

/// Applies a valid message to its stored session and writes what changed: the session, its
/// history, its claims and the positions they touch. Nothing for a duplicate.
pub fn apply_message(
    conn: &Connection,
    message: &SessionMessage,
    now: DateTime<Utc>,
) -> Result<MessageWritten> {
    let Some((id, current)) = load_current(conn, &message.uuid)? else {
        let record = SessionRecord::new(message);
        let id = save_current(conn, None, &record, now)?;
        let positions = rewrite_claims(conn, id, &record, now)?;
        return Ok(MessageWritten {
            applied: Applied::New,
            positions,
        });
    };
    // The history matters only to fold a stale message into its entry: a correction's
    // superseded counter has none yet (every entry is below the current counter).
    let mut history = BTreeMap::new();
    if message.counter < current.counter
        && let Some(entry) = load_history_entry(conn, id, message.counter)?
    {
        history.insert(message.counter, entry);
    }
    let before = current.edges.clone();
    let mut record = SessionRecord {
        uuid: message.uuid.clone(),
        current,
        history,
    };
    let applied = record.apply(message);
    let mut positions = Vec::new();
    match applied {
        Applied::New
        | Applied::Duplicate
        | Applied::Stale {
            recorded: false, ..
        } => {}
        Applied::Stale { counter, .. } => {
            if let Some(edges) = record.history.get(&counter) {
                save_history(conn, id, counter, edges, now)?;
            }
        }
        Applied::Merged | Applied::Corrected { .. } => {
            save_current(conn, Some(id), &record, now)?;
            if let Applied::Corrected { superseded } = applied
                && let Some(edges) = record.history.get(&superseded)
            {
                save_history(conn, id, superseded, edges, now)?;
            }
            let after = &record.current.edges;
            positions = if after.start == before.start && after.devices == before.devices {
                update_holds(conn, id, &before, &record, now)?
            } else {
                rewrite_claims(conn, id, &record, now)?
            };
        }
    }
    Ok(MessageWritten { applied, positions })
}

/// Replaces the session's claims and refreshes every position they touched, before or now.
fn rewrite_claims(
    conn: &Connection,
    id: i64,
    record: &SessionRecord,
    now: DateTime<Utc>,
) -> Result<Vec<(String, Option<PositionState>)>> {
    let new = claims(&record.uuid, &record.current.edges);
    let mut touched = replace_claims(conn, id, &new)?;
    touched.extend(new.iter().map(|c| c.network_id().to_owned()));
    touched.sort();
    touched.dedup();
    touched
        .into_iter()
        .map(|network_id| {
            let state = refresh_position(conn, &network_id, now)?;
            Ok((network_id, state))
        })
        .collect()
}

/// Same start, same positions (an end or a partial end arrived): which session is latest on
/// each position does not change, only whether this one still holds it. The common case, kept
/// to two small updates per position.
fn update_holds(
    conn: &Connection,
    id: i64,
    before: &Edges,
    record: &SessionRecord,
    now: DateTime<Utc>,
) -> Result<Vec<(String, Option<PositionState>)>> {
    let mut positions = Vec::new();
    for claim in claims(&record.uuid, &record.current.edges) {
        if before.holds(claim.network_id()) == claim.taken {
            continue;
        }
        conn.prepare_cached(
            "UPDATE nwave_claim SET holds = ?3 WHERE session_id = ?1 AND network_id = ?2",
        )?
        .execute(params![id, claim.network_id(), claim.taken])?;
        let latest = conn
            .prepare_cached(
                "UPDATE nwave_position SET taken = ?3, updated_at = ?4
                 WHERE network_id = ?1 AND session_id = ?2",
            )?
            .execute(params![claim.network_id(), id, claim.taken, DbTime(now)])?;
        if latest == 1 {
            positions.push((claim.network_id().to_owned(), Some(claim)));
        }
    }
    Ok(positions)
}
