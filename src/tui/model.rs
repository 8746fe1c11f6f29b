//! What the console's lists show, and how they are read: from the console's own read-only
//! database connection, on the blocking pool, never on the screen's path.

use crate::domain::model::{Account, Device, OpenSession};
use crate::store::read::{Reader, StoreError};
use chrono::{DateTime, Utc};

/// Most open sessions the sessions view loads.
pub const SESSIONS_LOADED: usize = 20_000;
/// Most accounts a search shows.
pub const ACCOUNTS_SHOWN: usize = 200;

/// An account with its devices, for the accounts view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub account: Account,
    pub devices: Vec<Device>,
}

/// A bay as the bays view draws it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BayState {
    Free,
    Taken,
    /// Taken, and maybe longer than the maximum stay (the start is uncertain).
    OverstayPossible,
    /// Taken longer than the maximum stay for certain.
    OverstayCertain,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BayGroup {
    /// "Group name · level".
    pub title: String,
    pub bays: Vec<BayState>,
}

impl BayGroup {
    pub fn count(&self, state: BayState) -> usize {
        self.bays.iter().filter(|b| **b == state).count()
    }
}

/// The bays view's data. `sensors` is false when this booth has no parking sensors.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BaysData {
    pub sensors: bool,
    pub groups: Vec<BayGroup>,
}

/// Every bay with its state now, grouped by group and level in the sensors' order.
pub fn load_bays(
    reader: &Reader,
    now: DateTime<Utc>,
    limits: &crate::domain::nwave::OverstayLimits,
) -> Result<BaysData, StoreError> {
    use crate::domain::nwave::Overstay;
    let report = reader.occupancy(now, limits)?;
    let mut groups: Vec<BayGroup> = Vec::new();
    let mut positions = report.positions;
    // Group by group and level, then bays in their order within the group.
    positions.sort_by(|a, b| {
        (
            &a.group_name,
            a.group_id,
            &a.level_name,
            a.level_id,
            a.group_inner_id,
            &a.network_id,
        )
            .cmp(&(
                &b.group_name,
                b.group_id,
                &b.level_name,
                b.level_id,
                b.group_inner_id,
                &b.network_id,
            ))
    });
    for p in positions {
        let title = format!(
            "{} · {}",
            p.group_name
                .clone()
                .or(p.group_id.map(|id| format!("group {id}")))
                .unwrap_or_else(|| "no group".into()),
            p.level_name
                .clone()
                .or(p.level_id.map(|id| format!("level {id}")))
                .unwrap_or_else(|| "street".into())
        );
        let state = match (p.taken, p.overstay) {
            (false, _) => BayState::Free,
            (true, Overstay::Certain) => BayState::OverstayCertain,
            (true, Overstay::Possible) => BayState::OverstayPossible,
            (true, _) => BayState::Taken,
        };
        match groups.last_mut() {
            Some(g) if g.title == title => g.bays.push(state),
            _ => groups.push(BayGroup {
                title,
                bays: vec![state],
            }),
        }
    }
    Ok(BaysData {
        sensors: true,
        groups,
    })
}

pub fn load_sessions(reader: &Reader) -> Result<Vec<OpenSession>, StoreError> {
    reader.open_sessions(SESSIONS_LOADED)
}

pub fn search_accounts(reader: &Reader, query: &str) -> Result<Vec<AccountRow>, StoreError> {
    let query = query.trim();
    let found = reader.accounts((!query.is_empty()).then_some(query), ACCOUNTS_SHOWN)?;
    found
        .into_iter()
        .map(|account| {
            let devices = reader.devices_of(account.id, 20)?;
            Ok(AccountRow { account, devices })
        })
        .collect()
}
