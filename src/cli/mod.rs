//! The subcommands. Each module turns arguments into calls on the library and prints results.

/// `println!` that hands back the write error instead of panicking on it, so that
/// `clearpark accounts list | head` ends quietly once `head` has read enough (see
/// [`is_broken_pipe`]).
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)
    }};
}

mod accounts;
mod console;
mod demo;
mod devices;
mod init;
mod logging;
mod nwave;
mod price;
mod run;
mod signals;
mod sim;
mod tariff;
mod validations;

use anyhow::Context;
use clap::{Parser, Subcommand};
use clearpark::config::Config;
use std::path::{Path, PathBuf};

/// The console that runs a parking booth: lanes, gates, scans, sessions, receipts.
#[derive(Debug, Parser)]
#[command(name = "clearpark", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// The configuration file (see config.toml.example).
    #[arg(
        long,
        short,
        global = true,
        env = "CLEARPARK_CONFIG",
        default_value = "config.toml"
    )]
    config: PathBuf,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the database from schema.sql and the config's [resource].
    Init,
    /// Run the booth on the config's lanes.
    Run(run::RunArgs),
    /// Run a demo booth on a fresh database with simulated lanes and traffic; no config needed.
    Demo(demo::DemoArgs),
    /// Customer accounts (tbl_dk_rp_acc).
    #[command(subcommand)]
    Accounts(accounts::AccountsCommand),
    /// QR codes registered to accounts (tbl_dk_device).
    #[command(subcommand)]
    Devices(devices::DevicesCommand),
    /// Price a stay under a tariff, line by line.
    Price(price::PriceArgs),
    /// The price board: tariffs, their versions and whom they price (docs/tariffs.md).
    #[command(subcommand)]
    Tariff(tariff::TariffCommand),
    /// Shops' validation codes: free minutes or a percentage off a stay.
    #[command(subcommand)]
    Validations(validations::ValidationsCommand),
    /// Simulated lane devices on ptys (gate, scanner) and TCP (printer), for trying the console.
    #[command(subcommand)]
    Sim(sim::SimCommand),
    /// Nwave bay sensors: publish or generate traffic, show occupancy, sessions, quarantine.
    #[command(subcommand)]
    Nwave(nwave::NwaveCommand),
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Price(args) => price::run(&cli.config, args),
        Command::Init => init::run(&load_config(&cli.config)?),
        Command::Run(args) => run::run(&cli.config, args),
        Command::Accounts(cmd) => accounts::run(&load_config(&cli.config)?, cmd),
        Command::Devices(cmd) => devices::run(&load_config(&cli.config)?, cmd),
        Command::Tariff(cmd) => tariff::run(&load_config(&cli.config)?, cmd),
        Command::Validations(cmd) => validations::run(&load_config(&cli.config)?, cmd),
        Command::Sim(cmd) => sim::run(cmd),
        Command::Nwave(cmd) => nwave::run(&cli.config, cmd),
    }
}

/// Loads the config, saying which file when it is missing.
fn load_config(path: &Path) -> anyhow::Result<Config> {
    if !path.exists() {
        anyhow::bail!(
            "no config file at {} (copy config.toml.example to config.toml, or pass --config)",
            path.display()
        );
    }
    Ok(Config::load(path)?)
}

/// Opens the configured database for writing, creating and migrating it.
fn open_store(config: &Config) -> anyhow::Result<clearpark::store::Store> {
    clearpark::store::Store::open(&config.booth.database)
        .with_context(|| format!("booth.database = {}", config.booth.database.display()))
}

/// The priced resource's price per minute and currency: the database's row (`conn`) when it
/// has one, else the config's `[resource]`.
fn configured_resource(
    config: &Config,
    conn: Option<&rusqlite::Connection>,
) -> anyhow::Result<Option<(rust_decimal::Decimal, String)>> {
    let stored = match conn {
        Some(c) => clearpark::store::resource::get_by_guid(c, &config.booth.res_guid)?,
        None => None,
    };
    Ok(match (stored, &config.resource) {
        (Some(r), _) => Some((r.price_per_minute, r.currency)),
        (None, Some(seed)) => Some((seed.price_per_minute, seed.currency.clone())),
        (None, None) => None,
    })
}

/// A tokio runtime for the commands that run tasks. Its worker threads (the HTTP API, the
/// Nwave consumer, the screen's spawned tasks) run below the lanes' and the booth's priority
/// (`clearpark::priority`); the future given to `block_on` (the console) runs on the calling
/// thread, which keeps its own.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .on_thread_start(clearpark::priority::lower_this_thread)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Whether `error` is standard output closed under us (a reader such as `head` that has
/// read enough): not a failure of the command.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
