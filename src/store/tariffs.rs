//! Tariffs, their versions and who pays by which (docs/tariffs.md). A version is never changed
//! once written: a change is a new version, and sessions keep the one they entered under.

use super::audit::{self, AuditEntry};
use super::time::DbTime;
use super::{Result, StoreError};
use crate::domain::tariff::board::{self, Parker, Target};
use crate::domain::tariff::{Board, Rules, STANDARD_TARIFF, TariffSpec, TariffVersion};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;

const SELECT_VERSION: &str = "SELECT v.id, t.name, v.version, t.currency, v.effective_from, v.rules
    FROM tariff_version v JOIN tariff t ON t.id = v.tariff_id";

fn version_row(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<(i64, String, u32, String, DbTime, String)> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn to_version(row: (i64, String, u32, String, DbTime, String)) -> Result<TariffVersion> {
    let (id, tariff, version, currency, from, rules) = row;
    let rules: Rules = serde_json::from_str(&rules).map_err(|e| StoreError::Corrupt {
        what: format!("tariff_version {id} rules"),
        value: e.to_string(),
        expected: "a tariff's rules (docs/tariffs.md)",
    })?;
    Ok(TariffVersion {
        id,
        tariff,
        version,
        currency,
        effective_from: from.0,
        rules,
    })
}

/// A version by its id, as a session recorded it.
pub fn version(conn: &Connection, id: i64) -> Result<Option<TariffVersion>> {
    conn.prepare_cached(&format!("{SELECT_VERSION} WHERE v.id = ?1"))?
        .query_row([id], version_row)
        .optional()?
        .map(to_version)
        .transpose()
}

/// The version of the tariff `name` in force at `at`: the latest that took effect by then.
pub fn in_force(conn: &Connection, name: &str, at: DateTime<Utc>) -> Result<Option<TariffVersion>> {
    conn.prepare_cached(&format!(
        "{SELECT_VERSION} WHERE t.name = ?1 AND v.effective_from <= ?2
         ORDER BY v.effective_from DESC, v.version DESC LIMIT 1"
    ))?
    .query_row(params![name, DbTime(at)], version_row)
    .optional()?
    .map(to_version)
    .transpose()
}

/// The tariff assigned to `target`, if any.
pub fn assigned(conn: &Connection, target: Target) -> Result<Option<String>> {
    let (kind, key) = target.parts();
    Ok(conn
        .prepare_cached(
            "SELECT t.name FROM tariff_assignment a JOIN tariff t ON t.id = a.tariff_id
             WHERE a.kind = ?1 AND a.key = ?2",
        )?
        .query_row(params![kind, key.unwrap_or(0)], |r| r.get(0))
        .optional()?)
}

/// The version that prices a stay of `parker` entering at `at`: the first assignment in
/// [`board::precedence`] whose tariff has a version in force. `None`: nothing is assigned, and
/// the stay is priced every started minute at `ResPrice`.
pub fn for_parker(
    conn: &Connection,
    parker: Parker,
    at: DateTime<Utc>,
) -> Result<Option<TariffVersion>> {
    for target in board::precedence(parker) {
        if let Some(name) = assigned(conn, target)? {
            match in_force(conn, &name, at)? {
                Some(version) => return Ok(Some(version)),
                None => tracing::warn!(
                    tariff = name,
                    %target,
                    "the assigned tariff has no version in force yet; trying the next assignment"
                ),
            }
        }
    }
    Ok(None)
}

/// A tariff with its versions, newest first, and whom it is assigned to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TariffListing {
    pub name: String,
    pub currency: String,
    pub description: Option<String>,
    pub assigned_to: Vec<String>,
    pub versions: Vec<VersionListing>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VersionListing {
    pub id: i64,
    pub version: u32,
    pub effective_from: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub rules: Rules,
}

/// Every tariff, by name.
pub fn list(conn: &Connection) -> Result<Vec<TariffListing>> {
    let mut tariffs =
        conn.prepare_cached("SELECT id, name, currency, description FROM tariff ORDER BY name")?;
    let rows: Vec<(i64, String, String, Option<String>)> = tariffs
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, name, currency, description) in rows {
        let mut versions = conn.prepare_cached(
            "SELECT id, version, effective_from, created_at, created_by, rules
             FROM tariff_version WHERE tariff_id = ?1 ORDER BY version DESC",
        )?;
        let raw: Vec<(i64, u32, DbTime, DbTime, String, String)> = versions
            .query_map([id], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let versions = raw
            .into_iter()
            .map(|(vid, version, from, created, by, rules)| {
                Ok(VersionListing {
                    rules: to_version((vid, name.clone(), version, currency.clone(), from, rules))?
                        .rules,
                    id: vid,
                    version,
                    effective_from: from.0,
                    created_at: created.0,
                    created_by: by,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut targets = conn.prepare_cached(
            "SELECT kind, key FROM tariff_assignment WHERE tariff_id = ?1 ORDER BY kind, key",
        )?;
        let assigned_to = targets
            .query_map([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
            .map(|row| {
                let (kind, key) = row?;
                let key = (kind == "account_type" || kind == "price_group").then_some(key);
                Ok(Target::from_parts(&kind, key).map_or(kind, |t| t.to_string()))
            })
            .collect::<Result<Vec<_>>>()?;
        out.push(TariffListing {
            name,
            currency,
            description,
            assigned_to,
            versions,
        });
    }
    Ok(out)
}

/// Why a board cannot be imported; nothing of it is written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("tariff {tariff:?}: {problem}")]
    Tariff { tariff: String, problem: String },
    #[error(
        "tariffs: {target} is assigned {tariff:?}, which is neither in the file nor in the database"
    )]
    UnknownTariff { target: Target, tariff: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for ImportError {
    fn from(e: rusqlite::Error) -> Self {
        ImportError::Store(e.into())
    }
}

/// What an import did, one line per tariff and assignment.
pub type ImportReport = Vec<String>;

/// Writes `board` into the database: a tariff that is new gets version 1, one whose rules
/// differ from its latest version gets the next version, one that is the same is left alone;
/// then the assignments. Call inside a transaction: an error leaves the caller to roll back.
/// A person's import is audited with [`audit_import`].
/// `currency`: the priced resource's, which every tariff must use.
pub fn import(
    conn: &Connection,
    board: &Board,
    currency: Option<&str>,
    actor: &str,
    now: DateTime<Utc>,
) -> std::result::Result<ImportReport, ImportError> {
    let mut report = Vec::new();
    for spec in &board.tariffs {
        report.push(import_tariff(conn, spec, currency, actor, now)?);
    }
    for (target, name) in &board.assign {
        let id: Option<i64> = conn
            .prepare_cached("SELECT id FROM tariff WHERE name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?;
        let id = id.ok_or_else(|| ImportError::UnknownTariff {
            target: *target,
            tariff: name.clone(),
        })?;
        let (kind, key) = target.parts();
        conn.prepare_cached(
            "INSERT INTO tariff_assignment (kind, key, tariff_id) VALUES (?1, ?2, ?3)
             ON CONFLICT (kind, key) DO UPDATE SET tariff_id = excluded.tariff_id",
        )?
        .execute(params![kind, key.unwrap_or(0), id])?;
        report.push(format!("{target}: {name}"));
    }
    Ok(report)
}

/// Writes a person's import into the audit log: a tariff change moves money.
pub fn audit_import(
    conn: &Connection,
    actor: &str,
    file: &str,
    report: &ImportReport,
    now: DateTime<Utc>,
) -> Result<()> {
    audit::insert(
        conn,
        &AuditEntry {
            at: now,
            actor,
            action: "tariff_import",
            lane_id: None,
            reason: &format!("tariffs imported from {file}"),
            detail: Some(&report.join("; ")),
        },
    )?;
    Ok(())
}

fn import_tariff(
    conn: &Connection,
    spec: &TariffSpec,
    currency: Option<&str>,
    actor: &str,
    now: DateTime<Utc>,
) -> std::result::Result<String, ImportError> {
    let problem = |problem: String| ImportError::Tariff {
        tariff: spec.name.clone(),
        problem,
    };
    let existing: Option<(i64, String)> = conn
        .prepare_cached("SELECT id, currency FROM tariff WHERE name = ?1")?
        .query_row([&spec.name], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let wanted = match (&spec.currency, currency, &existing) {
        (Some(c), Some(res), _) if c != res => {
            return Err(problem(format!(
                "currency {c} is not the priced resource's ({res})"
            )));
        }
        (Some(c), _, Some((_, had))) if c != had => {
            return Err(problem(format!("currency {c}: the tariff is in {had}")));
        }
        (Some(c), _, _) => c.clone(),
        (None, Some(res), _) => res.to_owned(),
        (None, None, Some((_, had))) => had.clone(),
        (None, None, None) => {
            return Err(problem(
                "no currency, and there is no priced resource to take it from".into(),
            ));
        }
    };
    let rules = serde_json::to_string(&spec.rules).map_err(|e| problem(e.to_string()))?;
    let (tariff_id, latest) = match existing {
        Some((id, _)) => {
            let latest: Option<(u32, DbTime, String)> = conn
                .prepare_cached(
                    "SELECT version, effective_from, rules FROM tariff_version
                     WHERE tariff_id = ?1 ORDER BY version DESC LIMIT 1",
                )?
                .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            (id, latest)
        }
        None => {
            conn.prepare_cached(
                "INSERT INTO tariff (name, currency, description, created_at) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![spec.name, wanted, spec.description, DbTime(now)])?;
            (conn.last_insert_rowid(), None)
        }
    };
    if spec.description.is_some() {
        conn.prepare_cached("UPDATE tariff SET description = ?2 WHERE id = ?1")?
            .execute(params![tariff_id, spec.description])?;
    }
    let from = spec.effective_from.unwrap_or(now);
    let version = match latest {
        Some((_, _, stored)) if same_rules(&stored, &spec.rules) => {
            return Ok(format!("{}: unchanged", spec.name));
        }
        Some((v, latest_from, _)) if from < latest_from.0 => {
            return Err(problem(format!(
                "effective_from {} is before version {v}'s ({}); a new version takes effect after the last",
                DbTime(from).0.format("%Y-%m-%d %H:%M:%S"),
                latest_from.0.format("%Y-%m-%d %H:%M:%S")
            )));
        }
        Some((v, _, _)) => v + 1,
        None => 1,
    };
    conn.prepare_cached(
        "INSERT INTO tariff_version (tariff_id, version, effective_from, rules, created_at, created_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![tariff_id, version, DbTime(from), rules, DbTime(now), actor])?;
    Ok(format!(
        "{}: version {version} in force from {} UTC",
        spec.name,
        from.format("%Y-%m-%d %H:%M:%S")
    ))
}

fn same_rules(stored: &str, rules: &Rules) -> bool {
    serde_json::from_str::<Rules>(stored).is_ok_and(|r| &r == rules)
}

/// At start: a database without tariffs takes the config's board (in force since the epoch,
/// unless a tariff says when); one whose default is not assigned gets the `standard` tariff
/// (every started minute at `ResPrice`) as its default; and sessions from before tariffs
/// (a migrated database) are recorded under `standard` version 1, the rule that priced them.
/// A config board that differs from the database's is reported, not applied: `clearpark tariff
/// import` applies changes.
pub fn seed(
    conn: &Connection,
    config_board: &Board,
    currency: &str,
    lost_ticket_fee: Decimal,
    now: DateTime<Utc>,
) -> std::result::Result<(), ImportError> {
    let any: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM tariff)")?
        .query_row([], |r| r.get(0))?;
    if !any && !config_board.tariffs.is_empty() {
        // A new database's board has always been in force: stays that began before this start
        // (a copied database, a clock set late) are priced by it too.
        let mut board = config_board.clone();
        for spec in &mut board.tariffs {
            spec.effective_from.get_or_insert(DateTime::UNIX_EPOCH);
        }
        for line in import(conn, &board, Some(currency), "config.toml", now)? {
            tracing::info!(%line, "tariff from config.toml");
        }
    } else if any {
        for spec in &config_board.tariffs {
            let stored = in_force(conn, &spec.name, now)?;
            if stored.is_none_or(|v| v.rules != spec.rules) {
                tracing::warn!(
                    tariff = spec.name,
                    "config.toml's tariff differs from the database's, which prices; `clearpark tariff import` applies it"
                );
            }
        }
    }
    let no_default = assigned(conn, Target::Default)?.is_none();
    let legacy: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM parking_session WHERE tariff_version_id IS NULL)",
        )?
        .query_row([], |r| r.get(0))?;
    if no_default || legacy {
        let exists: bool = conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM tariff WHERE name = ?1)")?
            .query_row([STANDARD_TARIFF], |r| r.get(0))?;
        let standard = Board {
            tariffs: if exists {
                Vec::new()
            } else {
                vec![TariffSpec {
                    name: STANDARD_TARIFF.to_owned(),
                    currency: Some(currency.to_owned()),
                    description: Some("Every started minute at the resource's price".to_owned()),
                    effective_from: Some(DateTime::UNIX_EPOCH),
                    rules: Rules::per_minute(lost_ticket_fee),
                }]
            },
            assign: if no_default {
                vec![(Target::Default, STANDARD_TARIFF.to_owned())]
            } else {
                Vec::new()
            },
        };
        import(conn, &standard, Some(currency), "clearpark", now)?;
        // Stays from before tariffs were priced every started minute at their ResPrice:
        // that is the standard tariff's version 1, which they now record.
        conn.prepare_cached(
            "UPDATE parking_session SET tariff_version_id = (
                 SELECT v.id FROM tariff_version v JOIN tariff t ON t.id = v.tariff_id
                 WHERE t.name = ?1 AND v.version = 1)
             WHERE tariff_version_id IS NULL",
        )?
        .execute([STANDARD_TARIFF])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn at(text: &str) -> DateTime<Utc> {
        board::parse_utc(text).unwrap()
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("booth.db")).unwrap();
        (dir, store)
    }

    const BOARD: &str = include_str!("../../docs/board.toml");

    #[test]
    fn a_new_database_takes_the_config_board_and_a_changed_tariff_is_a_new_version() {
        let (_dir, store) = store();
        let conn = store.conn();
        let board = Board::from_toml(BOARD).unwrap();
        seed(
            conn,
            &board,
            "TMT",
            Decimal::ZERO,
            at("2026-12-01 00:00:00"),
        )
        .unwrap();
        let v1 = in_force(conn, "visitor", at("2026-12-02 00:00:00"))
            .unwrap()
            .unwrap();
        assert_eq!((v1.version, v1.currency.as_str()), (1, "TMT"));
        // Priced by price group 2 before account type 3; walk-ins and others by the default.
        let staff = for_parker(
            conn,
            Parker::Account {
                type_id: Some(3),
                price_group_id: Some(2),
            },
            at("2026-12-02 00:00:00"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(staff.tariff, "staff");
        let walkin = for_parker(conn, Parker::Walkin, at("2026-12-02 00:00:00"))
            .unwrap()
            .unwrap();
        assert_eq!(walkin.tariff, "visitor");

        // The same board again changes nothing; a dearer first hour from the 10th is version 2.
        let again = import(conn, &board, Some("TMT"), "test", at("2026-12-03 00:00:00")).unwrap();
        assert!(again.iter().any(|l| l == "visitor: unchanged"), "{again:?}");
        let dearer = Board::from_toml(
            &BOARD
                .replacen("price = \"2.00\"", "price = \"2.50\"", 1)
                .replacen(
                    "grace_minutes = 10",
                    "grace_minutes = 10\neffective_from = \"2026-12-10 00:00:00\"",
                    1,
                ),
        )
        .unwrap();
        import(
            conn,
            &dearer,
            Some("TMT"),
            "test",
            at("2026-12-03 00:00:00"),
        )
        .unwrap();
        let before = in_force(conn, "visitor", at("2026-12-09 23:59:59"))
            .unwrap()
            .unwrap();
        let after = in_force(conn, "visitor", at("2026-12-10 00:00:00"))
            .unwrap()
            .unwrap();
        assert_eq!((before.version, after.version), (1, 2));
        assert_eq!(version(conn, before.id).unwrap().unwrap(), before);
        let listed = list(conn).unwrap();
        let visitor = listed.iter().find(|t| t.name == "visitor").unwrap();
        assert_eq!(visitor.versions.len(), 2);
        assert_eq!(visitor.assigned_to, vec!["default", "walk-in tickets"]);
    }

    #[test]
    fn a_database_without_tariffs_gets_the_standard_per_minute_tariff() {
        let (_dir, store) = store();
        let conn = store.conn();
        seed(
            conn,
            &Board::default(),
            "TMT",
            Decimal::new(2000, 2),
            at("2026-12-01 00:00:00"),
        )
        .unwrap();
        let v = for_parker(conn, Parker::Walkin, at("2026-12-01 00:00:00"))
            .unwrap()
            .unwrap();
        assert_eq!(v.label(), "standard v1");
        assert_eq!(v.rules, Rules::per_minute(Decimal::new(2000, 2)));
        assert_eq!(v.effective_from, DateTime::UNIX_EPOCH);
    }

    #[test]
    fn a_bad_import_names_the_problem_and_writes_nothing() {
        let (_dir, mut store) = store();
        let board = Board::from_toml(BOARD).unwrap();
        let tx = store.transaction().unwrap();
        let err = import(&tx, &board, Some("EUR"), "test", at("2026-12-01 00:00:00")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "tariff \"visitor\": currency TMT is not the priced resource's (EUR)"
        );
        drop(tx);
        let mut lonely = Board::from_toml(BOARD).unwrap();
        lonely.tariffs.clear();
        let tx = store.transaction().unwrap();
        let err = import(&tx, &lonely, Some("TMT"), "test", at("2026-12-01 00:00:00")).unwrap_err();
        assert!(matches!(err, ImportError::UnknownTariff { .. }), "{err}");
        drop(tx);
        assert!(list(store.conn()).unwrap().is_empty());
    }
}
