//! Writing a board into the database: new tariffs and new versions, assignments, the audit
//! of a person's import, and what a database gets when a booth starts.

use super::{assigned, in_force};
use crate::domain::tariff::{Board, Rules, STANDARD_TARIFF, Target, TariffSpec};
use crate::store::audit::{self, AuditEntry};
use crate::store::time::DbTime;
use crate::store::{Result, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;

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
    let first_start = !conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM tariff)")?
        .query_row([], |r| r.get::<_, bool>(0))?;
    if first_start && !config_board.tariffs.is_empty() {
        // A new database's board has always been in force: stays that began before this start
        // (a copied database, a clock set late) are priced by it too.
        let mut board = config_board.clone();
        for spec in &mut board.tariffs {
            spec.effective_from.get_or_insert(DateTime::UNIX_EPOCH);
        }
        for line in import(conn, &board, Some(currency), "config", now)? {
            tracing::info!(%line, "tariff from the config's board");
        }
    } else if !first_start {
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
    // Only a database that has never had tariffs (new, or just migrated) can hold stays without
    // one: every entrance since records its version. Later starts skip the look through the
    // sessions.
    let legacy = first_start
        && conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM parking_session WHERE tariff_version_id IS NULL)",
            )?
            .query_row([], |r| r.get::<_, bool>(0))?;
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
    }
    if legacy {
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
