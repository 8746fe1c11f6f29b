//! The store's read side: the one door through which the API and the console read the
//! database. A [`Reader`] is a read-only connection (WAL lets it read beside the booth's
//! writer, and it can never write); its reads answer in the domain's model
//! ([`crate::domain::model`]), in the Nwave read models, or, for the sync lists and
//! find-device, as the accounting tables' whole rows in JSON ([`rows`]). SQL stays in the store.

pub mod rows;

pub use super::driver_tokens::fingerprint;
pub use super::nwave::{OccupancyReport, SessionItem, SessionQuery, SessionScope};
pub use super::tariffs::{TariffListing, VersionListing};
pub use super::time::format as format_time;
pub use super::{DbStructure, Result, StoreError};
pub use rows::{PageJson, Table};

use super::{Store, accounts, devices, driver_tokens, nwave, sessions, tariffs, validations};
use crate::domain::model::{Account, Device, OpenSession, Session, SessionHolder};
use crate::domain::nwave::OverstayLimits;
use crate::domain::tariff::{TariffVersion, Validation};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::path::Path;

/// A read-only connection to the booth's database.
pub struct Reader(Store);

/// What a driver's token gives: the driver's open session, if any, the code it entered with,
/// and what prices it.
pub struct DriverSession {
    pub session: Option<Session>,
    pub code: Option<String>,
    pub tariff: Option<TariffVersion>,
    pub validation: Option<Validation>,
}

impl Reader {
    /// Opens the database at `path` for reading; it must have been made by `clearpark init`.
    pub fn open(path: &Path) -> Result<Reader> {
        Store::open_read_only(path).map(Reader)
    }

    /// Open sessions with who holds them, oldest first, at most `limit` (the console's list).
    pub fn open_sessions(&self, limit: usize) -> Result<Vec<OpenSession>> {
        sessions::open_views(self.0.conn(), limit)
    }

    /// Accounts whose name, registration number, phone or user name holds `filter`.
    pub fn accounts(&self, filter: Option<&str>, limit: usize) -> Result<Vec<Account>> {
        accounts::list(self.0.conn(), filter, limit)
    }

    /// The codes registered to an account.
    pub fn devices_of(&self, account_id: i64, limit: usize) -> Result<Vec<Device>> {
        devices::list(self.0.conn(), Some(account_id), limit)
    }

    /// Which bays are taken, and who stays too long, at `now`.
    pub fn occupancy(
        &self,
        now: DateTime<Utc>,
        limits: &OverstayLimits,
    ) -> Result<OccupancyReport> {
        nwave::occupancy(self.0.conn(), now, limits)
    }

    /// A page of the bay sensors' sessions.
    pub fn nwave_sessions(&self, query: &SessionQuery) -> Result<Vec<SessionItem>> {
        nwave::sessions(self.0.conn(), query)
    }

    /// The driver whose access token this is: `None` for a token nobody holds.
    pub fn driver_session(&self, token: &str) -> Result<Option<DriverSession>> {
        let conn = self.0.conn();
        let Some(account_id) = driver_tokens::account_of(conn, token)? else {
            return Ok(None);
        };
        let session = sessions::open_for_account(conn, account_id)?;
        let code = match session.as_ref().map(|s| s.holder) {
            Some(SessionHolder::Account { device_id, .. }) => {
                devices::get(conn, device_id)?.map(|d| d.unique_id)
            }
            _ => None,
        };
        let tariff = match session.as_ref().and_then(|s| s.tariff_version_id) {
            Some(id) => tariffs::version(conn, id)?,
            None => None,
        };
        let validation = match session.as_ref().and_then(|s| s.validation_id) {
            Some(id) => validations::get(conn, id)?.map(|v| v.validation()),
            None => None,
        };
        Ok(Some(DriverSession {
            session,
            code,
            tariff,
            validation,
        }))
    }

    /// A tariff version by id.
    pub fn tariff_version(&self, id: i64) -> Result<Option<TariffVersion>> {
        tariffs::version(self.0.conn(), id)
    }

    /// Every tariff with its versions and assignments (`GET /clearpark/tariffs/`).
    pub fn tariffs(&self) -> Result<Vec<tariffs::TariffListing>> {
        tariffs::list(self.0.conn())
    }

    /// One whole row by id.
    pub fn row(&self, table: Table, id: i64) -> Result<Option<Map<String, Value>>> {
        rows::get(self.0.conn(), table, id)
    }

    /// Whole rows with an id above `after_id`, in id order, at most `limit`, written as JSON.
    pub fn page_json(&self, table: Table, after_id: i64, limit: i64) -> Result<PageJson> {
        rows::page_json(self.0.conn(), table, after_id, limit)
    }
}
