//! The booth's model: who parks (accounts, the codes registered to them, walk-in tickets), their
//! stays, and the priced resource, as the rules, the booth's answers, the API and the console
//! see them. The store reads them from its rows and writes them (`crate::store`); nothing here
//! knows SQL. The column each field mirrors is in docs/contracts.md §1.

use crate::domain::receipt::PaymentMethod;
use crate::domain::session::{SessionFacts, SessionState};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use std::fmt;
use std::str::FromStr;

/// `RpAccStatusId` of an account that may park; any other value is blocked.
pub const STATUS_ACTIVE: i64 = 1;

/// A customer account (`tbl_dk_rp_acc`): the parts the booth and the console use (the API
/// reads whole rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub guid: String,
    pub name: String,
    pub user_name: Option<String>,
    pub reg_no: Option<String>,
    pub phone: Option<String>,
    pub status_id: i64,
    pub deleted: bool,
    pub trans_total: Decimal,
    /// `RpAccTypeId` and `ResPriceGroupId`: which tariff prices the account (docs/tariffs.md).
    pub type_id: Option<i64>,
    pub price_group_id: Option<i64>,
}

impl Account {
    /// Active and not soft-deleted.
    pub fn may_park(&self) -> bool {
        self.status_id == STATUS_ACTIVE && !self.deleted
    }
}

/// A QR code or phone registered to an account (`tbl_dk_device`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: i64,
    pub guid: String,
    pub unique_id: String,
    pub name: Option<String>,
    pub account_id: i64,
}

impl Device {
    /// What the device's QR code holds: its `DevUniqueId`, which a scan matches.
    pub fn qr_payload(&self) -> &str {
        &self.unique_id
    }
}

/// Whose session it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionHolder {
    Account { account_id: i64, device_id: i64 },
    Ticket { ticket_id: i64 },
}

/// A stay (`parking_session`): an entrance paired with its exit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: i64,
    pub guid: String,
    pub holder: SessionHolder,
    pub state: SessionState,
    pub entry_lane: String,
    pub exit_lane: Option<String>,
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
    pub minutes: Option<i64>,
    pub price_per_minute: Decimal,
    pub total: Option<Decimal>,
    pub currency: String,
    pub entrance_remaining_tries: u32,
    pub exit_remaining_tries: u32,
    pub payment_method: Option<PaymentMethod>,
    pub lost_ticket: bool,
    pub receipt_no: Option<i64>,
    /// The tariff version that prices the stay, fixed at its entrance; `None` for a stay from
    /// before tariffs, priced every started minute at `price_per_minute`.
    pub tariff_version_id: Option<i64>,
    /// The shop validation applied to the stay, if any.
    pub validation_id: Option<i64>,
}

impl Session {
    pub fn facts(&self) -> SessionFacts {
        SessionFacts {
            state: self.state,
            entrance_remaining_tries: self.entrance_remaining_tries,
            exit_remaining_tries: self.exit_remaining_tries,
        }
    }
}

/// An open session as the console's sessions view lists it: who, where, since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSession {
    pub id: i64,
    /// The account's name and registration number, or the ticket number.
    pub holder: String,
    pub entry_lane: String,
    pub state: SessionState,
    pub start: DateTime<Utc>,
    pub price_per_minute: Decimal,
    pub currency: String,
    pub entrance_remaining_tries: u32,
    pub exit_remaining_tries: u32,
    /// The tariff version that prices it (`None`: per minute at `price_per_minute`).
    pub tariff: Option<std::sync::Arc<crate::domain::tariff::TariffVersion>>,
    pub validation: Option<crate::domain::tariff::Validation>,
}

impl OpenSession {
    /// The price if the stay ended at `now`, in the booth's zone `tz`.
    pub fn price_so_far(
        &self,
        tz: chrono_tz::Tz,
        now: DateTime<Utc>,
    ) -> crate::domain::pricing::Quote {
        let stay = crate::domain::tariff::Stay {
            start: self.start,
            end: now,
            resource_price: self.price_per_minute,
            tz,
            lost_ticket: false,
            validation: self.validation.as_ref(),
        };
        crate::domain::pricing::so_far(self.tariff.as_deref(), &stay).0
    }
}

/// Ticket codes start with this, so a person reading a log can tell a ticket from a device code.
pub const TICKET_CODE_PREFIX: &str = "CPT-";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkinTicket {
    pub id: i64,
    pub ticket_no: i64,
    pub code: String,
    pub lane_id: String,
    pub issued_at: DateTime<Utc>,
}

/// The priced resource (`tbl_dk_resource`): the parking service and its price per minute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub id: i64,
    pub guid: String,
    pub name: String,
    pub price_per_minute: Decimal,
    pub currency: String,
}

/// Which accounting system's attendance table the booth writes (`db_structure` in the config).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DbStructure {
    /// Saphasap: `tbl_dk_attendance`.
    #[default]
    Saphasap,
    /// AkHasap: `tbl_mg_arap_attandence`.
    Akhsasap,
}

impl DbStructure {
    pub fn attendance_table(self) -> &'static str {
        match self {
            DbStructure::Saphasap => "tbl_dk_attendance",
            DbStructure::Akhsasap => "tbl_mg_arap_attandence",
        }
    }
}

impl FromStr for DbStructure {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "saphasap" => Ok(DbStructure::Saphasap),
            "akhsasap" => Ok(DbStructure::Akhsasap),
            other => Err(format!("{other:?} is not one of saphasap, akhsasap")),
        }
    }
}

impl fmt::Display for DbStructure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DbStructure::Saphasap => "saphasap",
            DbStructure::Akhsasap => "akhsasap",
        })
    }
}
