//! `clearpark tariff list|show|import`: the price board in the database (docs/tariffs.md).

use anyhow::Context;
use clap::Subcommand;
use clearpark::config::Config;
use clearpark::domain::tariff::Board;
use clearpark::store::tariffs;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum TariffCommand {
    /// Tariffs with their versions and whom they price.
    List,
    /// One tariff: every version's rules, newest first, as a board file writes them.
    Show {
        /// The tariff's name.
        name: String,
    },
    /// Write a board file (docs/tariffs.md) into the database: a new tariff gets version 1, a
    /// changed one its next version, from its effective_from or now; the rest is left alone.
    Import {
        /// The board: [[tariff]] tables and a [tariffs] table (docs/board.toml is one).
        file: PathBuf,
        /// Who imports it, for the audit log (default: the login name).
        #[arg(long)]
        attendant: Option<String>,
    },
}

pub fn run(config: &Config, command: TariffCommand) -> anyhow::Result<()> {
    let mut store = super::open_store(config)?;
    match command {
        TariffCommand::List => {
            let price = super::configured_resource(config, Some(store.conn()))?
                .map(|(price, _)| price)
                .unwrap_or_default();
            for t in tariffs::list(store.conn())? {
                let current = t.versions.first();
                outln!(
                    "{:<16} {} v{:<3} {} versions  {}",
                    t.name,
                    t.currency,
                    current.map_or(0, |v| v.version),
                    t.versions.len(),
                    if t.assigned_to.is_empty() {
                        "not assigned".to_owned()
                    } else {
                        format!("prices {}", t.assigned_to.join(", "))
                    }
                )?;
                if let Some(v) = current {
                    outln!("    {}", v.rules.summary(price))?;
                }
            }
        }
        TariffCommand::Show { name } => {
            let listed = tariffs::list(store.conn())?;
            let t = listed
                .iter()
                .find(|t| t.name == name)
                .with_context(|| format!("no tariff {name:?} (see `clearpark tariff list`)"))?;
            outln!("# {} ({})", t.name, t.currency)?;
            if let Some(d) = &t.description {
                outln!("# {d}")?;
            }
            outln!(
                "# prices: {}",
                if t.assigned_to.is_empty() {
                    "nobody (not assigned)".to_owned()
                } else {
                    t.assigned_to.join(", ")
                }
            )?;
            for v in &t.versions {
                outln!(
                    "\n# version {}, in force from {} UTC, written {} UTC by {}",
                    v.version,
                    v.effective_from.format("%Y-%m-%d %H:%M:%S"),
                    v.created_at.format("%Y-%m-%d %H:%M:%S"),
                    v.created_by
                )?;
                outln!(
                    "{}",
                    toml::to_string(&v.rules).context("cannot write the rules")?
                )?;
            }
        }
        TariffCommand::Import { file, attendant } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let board =
                Board::from_toml(&text).map_err(|e| anyhow::anyhow!("{}:\n{e}", file.display()))?;
            let currency = super::configured_resource(config, Some(store.conn()))?.map(|(_, c)| c);
            let actor = super::console::attendant_name(attendant);
            let now = clearpark::booth::clock::now();
            let tx = store.transaction()?;
            let report = tariffs::import(&tx, &board, currency.as_deref(), &actor, now)
                .with_context(|| format!("{}: nothing was imported", file.display()))?;
            tariffs::audit_import(&tx, &actor, &file.display().to_string(), &report, now)?;
            tx.commit()?;
            for line in report {
                outln!("{line}")?;
            }
        }
    }
    Ok(())
}
