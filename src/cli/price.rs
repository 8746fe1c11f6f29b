//! `clearpark price`: what a stay costs, by the same rules the booth charges, line by line.

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Args;
use clearpark::config::Config;
use clearpark::domain::pricing::{self, Quote};
use clearpark::domain::tariff::{Stay, Target, board};
use clearpark::store::{Store, tariffs};
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
    /// Price every started minute at this price, outside any tariff.
    #[arg(long, conflicts_with = "tariff")]
    price: Option<Decimal>,
    /// The tariff to price by, in its version in force at --start (default: the default one).
    #[arg(long)]
    tariff: Option<String>,
    /// The ticket is lost: the tariff's lost-ticket rule applies.
    #[arg(long)]
    lost: bool,
}

fn parse_utc(text: &str) -> Result<DateTime<Utc>, String> {
    board::parse_utc(text)
        .ok_or_else(|| format!("{text:?} is not a UTC time like \"2026-11-23 10:00:00\""))
}

pub fn run(config_path: &Path, args: PriceArgs) -> anyhow::Result<()> {
    if args.end < args.start {
        anyhow::bail!("--end {} is before --start {}", args.end, args.start);
    }
    let (quote, currency) = match args.price {
        Some(p) => (pricing::quote(args.start, args.end, p)?, String::new()),
        None => by_tariff(config_path, &args)?,
    };
    if let Some(t) = &quote.tariff {
        outln!("tariff:           {t}")?;
    }
    outln!("seconds:          {}", quote.elapsed_seconds)?;
    outln!("billed minutes:   {}", quote.billed_minutes)?;
    if quote.lines.is_empty() {
        outln!("price per minute: {} {currency}", quote.price_per_minute)?;
    }
    let width = quote
        .lines
        .iter()
        .map(|l| l.label.chars().count())
        .max()
        .unwrap_or(0);
    for line in &quote.lines {
        outln!(
            "  {:<width$}  {:>10} {currency}",
            line.label,
            line.amount.to_string()
        )?;
    }
    outln!("total:            {} {currency}", quote.total)?;
    Ok(())
}

/// The stay under a tariff from the database: `--tariff`, or the default one; the standard
/// per-minute rule at the configured resource's price when the database has no tariffs yet.
fn by_tariff(config_path: &Path, args: &PriceArgs) -> anyhow::Result<(Quote, String)> {
    let config: Config = super::load_config(config_path)
        .context("no --price given, so the configured tariff and resource are needed")?;
    let store = config
        .booth
        .database
        .exists()
        .then(|| Store::open_read_only(&config.booth.database))
        .transpose()?;
    let conn = store.as_ref().map(Store::conn);
    let Some((per_minute, currency)) = super::configured_resource(&config, conn)? else {
        anyhow::bail!(
            "booth.res_guid {} is not in the database and the config has no [resource]; pass --price",
            config.booth.res_guid
        );
    };
    let name = match (&args.tariff, conn) {
        (Some(name), _) => Some(name.clone()),
        (None, Some(c)) => tariffs::assigned(c, Target::Default)?,
        (None, None) => None,
    };
    let version = match (&name, conn) {
        (Some(name), Some(c)) => {
            Some(tariffs::in_force(c, name, args.start)?.with_context(|| {
                format!(
                    "no tariff {name:?} in force at {} (see `clearpark tariff list`)",
                    args.start
                )
            })?)
        }
        (Some(name), None) => anyhow::bail!(
            "--tariff {name}: there is no database at {} yet (run `clearpark init`)",
            config.booth.database.display()
        ),
        (None, _) => None,
    };
    let stay = Stay {
        start: args.start,
        end: args.end,
        resource_price: per_minute,
        tz: config.booth.timezone,
        lost_ticket: args.lost,
        validation: None,
    };
    Ok((pricing::tariff_quote(version.as_ref(), &stay)?, currency))
}
