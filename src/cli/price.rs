//! `clearpark price`: what a stay costs, by the same rule the booth charges.

use anyhow::Context;
use chrono::{DateTime, NaiveDateTime, Utc};
use clap::Args;
use clearpark::config::Config;
use clearpark::domain::pricing;
use clearpark::store::{Store, resource};
use rust_decimal::Decimal;
use std::path::Path;

#[derive(Debug, Args)]
pub struct PriceArgs {
    /// Entry time, UTC: "2026-11-23 10:00:00" or RFC 3339 ("2026-11-23T10:00:00Z").
    #[arg(long, value_parser = parse_utc)]
    start: DateTime<Utc>,
    /// Exit time, UTC, in the same forms.
    #[arg(long, value_parser = parse_utc)]
    end: DateTime<Utc>,
    /// Price per minute; defaults to the configured resource's.
    #[arg(long)]
    price: Option<Decimal>,
}

fn parse_utc(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
        .map(|t| t.and_utc())
        .map_err(|_| format!("{text:?} is not a UTC time like \"2026-11-23 10:00:00\""))
}

pub fn run(config_path: &Path, args: PriceArgs) -> anyhow::Result<()> {
    let (per_minute, currency) = match args.price {
        Some(p) => (p, String::new()),
        None => configured_price(config_path)?,
    };
    let quote = pricing::quote(args.start, args.end, per_minute)?;
    outln!("seconds:          {}", quote.elapsed_seconds)?;
    outln!("billed minutes:   {}", quote.billed_minutes)?;
    outln!("price per minute: {per_minute} {currency}")?;
    outln!("total:            {} {currency}", quote.total)?;
    Ok(())
}

/// The price of the configured resource: from the database when it exists, else the config.
fn configured_price(config_path: &Path) -> anyhow::Result<(Decimal, String)> {
    let config: Config = super::load_config(config_path)
        .context("no --price given, so the configured resource's price is needed")?;
    if config.booth.database.exists() {
        let store = Store::open_read_only(&config.booth.database)?;
        if let Some(res) = resource::get_by_guid(store.conn(), &config.booth.res_guid)? {
            return Ok((res.price_per_minute, res.currency));
        }
    }
    match config.resource {
        Some(seed) => Ok((seed.price_per_minute, seed.currency)),
        None => anyhow::bail!(
            "booth.res_guid {} is not in the database and the config has no [resource]; pass --price",
            config.booth.res_guid
        ),
    }
}
