//! Nwave sensor sessions (schema.sql, "Nwave parking sensors"): the booth's writes in
//! [`write`], the lists' reads in [`read`].
//!
//! For the API (wired at merge): `GET /clearpark/nwave/sessions/` calls [`sessions`] with
//! `SessionQuery { after_id, limit, scope: OpenOrEndedSince(now - 24 h) }` (or `Open`/`All` on
//! `?state=open|all`) and answers the items as `data`; `GET /clearpark/nwave/occupancy/` calls
//! [`occupancy`] with the booth's clock and `config.nwave`'s limits and answers the report as
//! `data`. Both on a read-only connection.

pub mod apply;
pub mod read;
pub mod write;

pub use apply::{MessageWritten, apply_message};
pub use read::{
    HistoryEntry, MAX_LIMIT, NwaveCounts, OccupancyReport, PositionItem, QuarantinedMessage,
    SessionDetail, SessionItem, SessionQuery, SessionScope, counts, occupancy, quarantined,
    session, sessions,
};
pub use write::{
    Pruned, StoredSession, load_board, load_current, load_history_entry, load_session, prune,
    quarantine, refresh_position, replace_claims, save_current, save_history,
};

pub use crate::domain::nwave::DeliveryOrigin;

#[cfg(test)]
mod tests;
