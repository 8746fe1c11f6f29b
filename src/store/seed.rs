//! An account with its code, and a car already inside, in one call each: how the demo, the
//! tests and the benchmarks put drivers in a database (an accounting system's rows are imported
//! instead).

use super::Result;
use super::accounts::{self, NewAccount};
use super::attendance::{self, NewAttendance};
use super::devices::{self, NewDevice};
use super::sessions::{self, NewSession};
use crate::domain::model::{Account, DbStructure, Device, Resource, SessionHolder};
use crate::domain::session::{Direction, SessionState};
use chrono::{DateTime, Utc};
use rusqlite::Connection;

/// The device (QR code) to register with a new account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewCode {
    /// The code the QR holds; a fresh random one when `None`.
    pub code: Option<String>,
    pub name: Option<String>,
    pub guid: Option<String>,
}

impl NewCode {
    /// A QR holding `code`.
    pub fn given(code: impl Into<String>) -> NewCode {
        NewCode {
            code: Some(code.into()),
            ..NewCode::default()
        }
    }

    /// A QR with a fresh random code, as `devices add` makes it.
    pub fn random() -> NewCode {
        NewCode::default()
    }
}

/// A driver as the booth knows them: the account and its one code.
#[derive(Debug, Clone, PartialEq)]
pub struct Holder {
    pub account: Account,
    pub device: Device,
}

/// Adds `account` and one device holding `code`. Give it a transaction to add many at once.
pub fn account_with_code(
    conn: &Connection,
    account: &NewAccount,
    code: &NewCode,
    now: DateTime<Utc>,
) -> Result<Holder> {
    let account = accounts::insert(conn, account, now)?;
    let device = devices::insert(
        conn,
        &NewDevice {
            account_id: account.id,
            unique_id: code.code.clone(),
            name: code.name.clone(),
            guid: code.guid.clone(),
        },
        now,
    )?;
    Ok(Holder { account, device })
}

/// Where and when a parked car came in, and the booth's settings its stay is kept with.
#[derive(Debug, Clone, Copy)]
pub struct Parked<'a> {
    pub lane: &'a str,
    pub start: DateTime<Utc>,
    pub db_structure: DbStructure,
    pub resource: &'a Resource,
    pub entrance_tries: u32,
    pub exit_tries: u32,
    /// The tariff version the stay entered under (`None`: per minute at the resource's price).
    pub tariff_version_id: Option<i64>,
}

/// Puts `holder`'s car inside as an entrance at `parked.lane` would: the entrance attendance
/// and an active stay at the resource's price.
pub fn parked(conn: &Connection, holder: &Holder, parked: &Parked<'_>) -> Result<()> {
    let att_guid = uuid::Uuid::new_v4().to_string();
    attendance::insert(
        conn,
        parked.db_structure,
        &NewAttendance {
            guid: &att_guid,
            account_id: holder.account.id,
            device_id: holder.device.id,
            type_id: Direction::Entrance.att_type_id(),
            description: &format!("Entrance {}", parked.lane),
            at: parked.start,
        },
    )?;
    sessions::insert(
        conn,
        &NewSession {
            holder: SessionHolder::Account {
                account_id: holder.account.id,
                device_id: holder.device.id,
            },
            state: SessionState::Active,
            entry_lane: parked.lane,
            start: parked.start,
            entry_att_guid: Some(&att_guid),
            price_per_minute: parked.resource.price_per_minute,
            currency: &parked.resource.currency,
            entrance_tries: parked.entrance_tries,
            exit_tries: parked.exit_tries,
            tariff_version_id: parked.tariff_version_id,
        },
    )?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn the_code_finds_its_account() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        let now = crate::booth::clock::now();
        let account = NewAccount {
            name: "Aýna".into(),
            ..NewAccount::default()
        };
        let given =
            account_with_code(store.conn(), &account, &NewCode::given("QR-1"), now).unwrap();
        let random = account_with_code(store.conn(), &account, &NewCode::random(), now).unwrap();
        assert_eq!(given.device.unique_id, "QR-1");
        assert_eq!(random.device.unique_id.len(), 16);
        for holder in [given, random] {
            let found = devices::find_by_code(store.conn(), &holder.device.unique_id)
                .unwrap()
                .unwrap();
            assert_eq!(found.account_id, holder.account.id);
            assert_eq!(found.id, holder.device.id);
        }
    }
}
