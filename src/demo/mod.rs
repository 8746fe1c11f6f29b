//! The embedded default behind `clearpark demo`: a config with simulated lanes, a fresh database
//! with a price, accounts, devices and cars already parked, simulated traffic ([`traffic`]),
//! lanes on real ptys with simulated gate controllers and scanners ([`lanes`]), and simulated
//! Nwave bay sensors ([`nwave`]).
//!
//! The first account and device are the reference's find-device example (`788879fbe6635`), so
//! the reference's curl examples work against the demo as written.

pub mod firmware;
pub mod lanes;
pub mod nwave;
pub mod traffic;

use crate::config::{
    BoothSettings, Config, GateEndpoint, LaneConfig, PrinterEndpoint, ResourceSeed, ScannerEndpoint,
};
use crate::domain::session::Direction;
use crate::store::accounts::NewAccount;
use crate::store::seed::{self, NewCode};
use crate::store::{DbStructure, Store, resource};
use chrono::{DateTime, TimeDelta, Utc};
use rust_decimal::Decimal;
use std::path::Path;

pub const RES_GUID: &str = "5f0c8a6e-2f2b-4d43-9a57-0c1f3b7d9e21";
pub const ENTRANCE_LANE: &str = "in-1";
pub const EXIT_LANE: &str = "out-1";

/// The demo's configuration: one entrance and one exit with simulated scanners and gates, and
/// printers writing ESC/POS into `dir`.
/// The posted board of docs/tariffs.md (docs/board.toml), which its tests check parses.
fn demo_board() -> crate::domain::tariff::Board {
    crate::domain::tariff::Board::from_toml(include_str!("../../docs/board.toml")).unwrap_or_else(|e| {
        tracing::error!(error = %e, "the demo board does not parse; the demo prices per minute");
        crate::domain::tariff::Board::default()
    })
}

pub fn config(dir: &Path) -> Config {
    let lane = |id: &str, name: &str, direction| LaneConfig {
        id: id.into(),
        name: name.into(),
        direction,
        scanner: ScannerEndpoint::Sim,
        gate: GateEndpoint::Sim,
        printer: PrinterEndpoint::File(dir.join(format!("printer-{id}.escpos"))),
    };
    Config {
        booth: BoothSettings {
            name: "Clearpark Demo".into(),
            timezone: chrono_tz::Asia::Ashgabat,
            database: dir.join("clearpark.db"),
            db_structure: DbStructure::Saphasap,
            res_guid: RES_GUID.into(),
            capacity: Some(60),
            entrance_tries: 3,
            exit_tries: 3,
            lost_ticket_fee: Decimal::new(2000, 2),
        },
        // The posted board of docs/tariffs.md, so that the demo prices like a real car park.
        tariffs: demo_board(),
        resource: Some(ResourceSeed {
            name: "Parking".into(),
            price_per_minute: Decimal::new(5, 2),
            currency: "TMT".into(),
        }),
        lanes: vec![
            lane(ENTRANCE_LANE, "North entrance", Direction::Entrance),
            lane(EXIT_LANE, "North exit", Direction::Exit),
        ],
        api: None,
        nwave: Some(nwave::settings()),
    }
}

/// A code the demo's traffic presents, and whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoCode {
    pub holder: String,
    pub code: String,
    /// Parked since before the demo started.
    pub inside: bool,
    pub blocked: bool,
}

impl DemoCode {
    /// Neither parked nor blocked: its next scan at an entrance lets the car in.
    pub fn is_free(&self) -> bool {
        !self.inside && !self.blocked
    }
}

const NAMES: &[(&str, &str)] = &[
    ("Aýna Berdiýewa", "AG 1042 AG"),
    ("Merdan Orazow", "AG 7731 AG"),
    ("Gülşat Annaýewa", "MR 2290 MR"),
    ("Serdar Hojaýew", "AG 5108 AG"),
    ("Jeren Nurmuhammedowa", "LB 6612 LB"),
    ("Döwlet Amanow", "AG 3377 AG"),
    ("Maýsa Gurbanowa", "DZ 0915 DZ"),
    ("Batyr Saparow", "AG 8254 AG"),
    ("Ogulnar Çaryýewa", "BN 4471 BN"),
    ("Kerim Atabaýew", "AG 1188 AG"),
    ("Leýli Rejepowa", "AG 9020 AG"),
    ("Ata Meredow", "MR 6305 MR"),
    ("Selbi Hallyýewa", "AG 2746 AG"),
    ("Rustam Babaýew", "LB 3859 LB"),
    ("Nargiz Öwezowa", "AG 6611 AG"),
    ("Yhlas Garaýew", "AG 4093 AG"),
    ("Bägül Myradowa", "DZ 7720 DZ"),
    ("Şatlyk Ussaýew", "AG 5566 AG"),
    ("Enebaý Tagandurdyýewa", "AG 3012 AG"),
    ("Meret Çaryýew", "BN 8840 BN"),
];

/// Fills a fresh database: the resource, the reference's account, twenty more (one blocked),
/// a device each, and eight cars parked between 20 minutes and 6 hours ago.
pub fn seed(
    store: &mut Store,
    config: &Config,
    now: DateTime<Utc>,
) -> crate::store::Result<Vec<DemoCode>> {
    let tx = store.transaction()?;
    let seed = config.resource.clone().unwrap_or(ResourceSeed {
        name: "Parking".into(),
        price_per_minute: Decimal::new(5, 2),
        currency: "TMT".into(),
    });
    let res = resource::upsert(
        &tx,
        &config.booth.res_guid,
        &seed.name,
        seed.price_per_minute,
        &seed.currency,
        now,
    )?;
    // The board first, so that the cars parked below entered under the tariff they would have.
    crate::store::tariffs::seed(
        &tx,
        &config.tariffs,
        &res.currency,
        config.booth.lost_ticket_fee,
        now,
    )
    .map_err(|e| match e {
        crate::store::tariffs::ImportError::Store(e) => e,
        other => crate::store::StoreError::Corrupt {
            what: "the demo's price board".into(),
            value: other.to_string(),
            expected: "a board that imports",
        },
    })?;
    let visitor = crate::store::tariffs::for_parker(
        &tx,
        crate::domain::tariff::Parker::Account {
            type_id: None,
            price_group_id: None,
        },
        now,
    )?;
    let mut codes = Vec::new();

    // The reference's find-device example, field for field where the booth sets them.
    let reference = seed::account_with_code(
        &tx,
        &NewAccount {
            name: "bionicccccc".into(),
            user_name: Some("mike".into()),
            reg_no: Some("ARAK12".into()),
            phone: Some("+99361509038".into()),
            guid: Some("9d40a40d-cf50-4bbd-a7e5-733a0314beb0".into()),
            type_id: Some(2),
            ..NewAccount::default()
        },
        &NewCode {
            code: Some("788879fbe6635".into()),
            name: Some("2021-01-14 23:44:26.778464".into()),
            guid: Some("d1bddb81-2c27-4b93-b79f-5d1e5576eb78".into()),
        },
        now,
    )?;
    tx.execute(
        r#"UPDATE tbl_dk_rp_acc SET "RpAccAddress" = 'helloworlddd', "RpAccHomePhoneNumber" = '',
               "RpAccWebAddress" = '', "RpAccWorkFaxNumber" = '', "RpAccWorkPhoneNumber" = '',
               "RpAccZipCode" = '' WHERE "RpAccId" = ?1"#,
        [reference.account.id],
    )?;
    let device = reference.device;
    codes.push(DemoCode {
        holder: "bionicccccc (ARAK12)".into(),
        code: device.unique_id,
        inside: false,
        blocked: false,
    });

    for (i, (name, plate)) in NAMES.iter().enumerate() {
        let blocked = i == NAMES.len() - 1;
        let holder = seed::account_with_code(
            &tx,
            &NewAccount {
                name: (*name).into(),
                reg_no: Some((*plate).into()),
                phone: Some(format!("+9936{}", 1_000_000 + i * 7919)),
                status_id: Some(if blocked { 2 } else { 1 }),
                ..NewAccount::default()
            },
            &NewCode {
                name: Some(format!("{plate} QR")),
                ..NewCode::random()
            },
            now,
        )?;
        let inside = i < 8 && !blocked;
        if inside {
            let minutes = 20 + (i as i64 * 47) % 360;
            let start = now - TimeDelta::minutes(minutes);
            let parked = seed::Parked {
                lane: ENTRANCE_LANE,
                start,
                db_structure: config.booth.db_structure,
                resource: &res,
                entrance_tries: config.booth.entrance_tries,
                exit_tries: config.booth.exit_tries,
                tariff_version_id: visitor,
            };
            seed::parked(&tx, &holder, &parked)?;
        }
        codes.push(DemoCode {
            holder: format!("{name} ({plate})"),
            code: holder.device.unique_id,
            inside,
            blocked,
        });
    }
    tx.commit()?;
    Ok(codes)
}
