//! `clearpark validations add|list|disable|enable`: shops' validation codes (docs/tariffs.md).

use anyhow::{Context, bail};
use clap::{ArgGroup, Subcommand};
use clearpark::config::Config;
use clearpark::domain::qr;
use clearpark::domain::tariff::Grant;
use clearpark::store::validations;
use rust_decimal::Decimal;

#[derive(Debug, Subcommand)]
pub enum ValidationsCommand {
    /// Give a shop a code that takes free minutes or a percentage off a stay, and print it.
    #[command(group(ArgGroup::new("grant").required(true).args(["free_minutes", "percent_off"])))]
    Add {
        /// The shop, as the receipt names it.
        #[arg(long)]
        shop: String,
        /// The last N minutes of the stay are free.
        #[arg(long)]
        free_minutes: Option<u32>,
        /// This percentage off the stay's price (up to 100).
        #[arg(long)]
        percent_off: Option<Decimal>,
        /// The code its QR holds; a random one when left out.
        #[arg(long)]
        code: Option<String>,
    },
    /// Every code with its shop and what it grants.
    List,
    /// Stop accepting a code.
    Disable { code: String },
    /// Accept a disabled code again.
    Enable { code: String },
}

pub fn run(config: &Config, command: ValidationsCommand) -> anyhow::Result<()> {
    let store = super::open_store(config)?;
    match command {
        ValidationsCommand::Add {
            shop,
            free_minutes,
            percent_off,
            code,
        } => {
            if shop.trim().is_empty() {
                bail!("--shop: the shop's name is printed on receipts; it cannot be empty");
            }
            let grant = match (free_minutes, percent_off) {
                (Some(0), _) => bail!("--free-minutes 0 grants nothing"),
                (Some(m), None) => Grant::FreeMinutes(m),
                (None, Some(p)) if p > Decimal::ZERO && p <= Decimal::ONE_HUNDRED => {
                    Grant::PercentOff(p.normalize())
                }
                (None, Some(p)) => bail!("--percent-off {p} is not between 0 and 100"),
                _ => bail!("give --free-minutes or --percent-off"),
            };
            let code = match code {
                Some(c) => qr::validate_str(&c).context("--code")?.as_str().to_owned(),
                None => format!(
                    "VAL-{}",
                    &uuid::Uuid::new_v4().simple().to_string()[..10].to_uppercase()
                ),
            };
            if validations::find_by_code(store.conn(), &code)?.is_some() {
                bail!("the code {code:?} is already a validation code");
            }
            let added = validations::insert(
                store.conn(),
                &code,
                shop.trim(),
                grant,
                clearpark::booth::clock::now(),
            )?;
            outln!("{}: {} ({})", added.code, added.shop, added.grant)?;
            outln!("{}", super::devices::terminal_qr(&added.code)?)?;
        }
        ValidationsCommand::List => {
            for v in validations::list(store.conn())? {
                outln!(
                    "{:<16} {:<24} {:<14} {}",
                    v.code,
                    v.shop,
                    v.grant.to_string(),
                    if v.active { "active" } else { "disabled" }
                )?;
            }
        }
        ValidationsCommand::Disable { code } => switch(&store, &code, false)?,
        ValidationsCommand::Enable { code } => switch(&store, &code, true)?,
    }
    Ok(())
}

fn switch(store: &clearpark::store::Store, code: &str, active: bool) -> anyhow::Result<()> {
    if !validations::set_active(store.conn(), code, active)? {
        bail!("no validation code {code:?} (see `clearpark validations list`)");
    }
    outln!("{code}: {}", if active { "active" } else { "disabled" })?;
    Ok(())
}
