//! `clearpark devices add|list`: QR codes of accounts, shown as QR codes in the terminal.

use anyhow::{Context, bail};
use clap::Subcommand;
use clearpark::config::Config;
use clearpark::domain::qr;
use clearpark::store::{accounts, devices};

#[derive(Debug, Subcommand)]
pub enum DevicesCommand {
    /// Register a QR code to an account and print it.
    Add {
        /// The account: its id, GUID, registration number or user name.
        #[arg(long)]
        account: String,
        /// The code the QR holds (DevUniqueId); a random one when left out.
        #[arg(long)]
        code: Option<String>,
        /// A name for the device (DevName).
        #[arg(long)]
        name: Option<String>,
    },
    /// List devices.
    List {
        /// Only the devices of this account (id, GUID, registration number or user name).
        #[arg(long)]
        account: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Print each device's QR code too.
        #[arg(long)]
        qr: bool,
    },
}

pub fn run(config: &Config, command: DevicesCommand) -> anyhow::Result<()> {
    let store = super::open_store(config)?;
    let find = |key: &str| -> anyhow::Result<clearpark::domain::model::Account> {
        accounts::find(store.conn(), key)?.with_context(|| format!("no account {key:?}"))
    };
    match command {
        DevicesCommand::Add {
            account,
            code,
            name,
        } => {
            let account = find(&account)?;
            // A code the scanners would refuse is refused here too.
            let code = code
                .map(|c| qr::validate_str(&c).map(|c| c.as_str().to_owned()))
                .transpose()
                .context("--code")?;
            if let Some(c) = &code
                && devices::find_by_code(store.conn(), c)?.is_some()
            {
                bail!("the code {c:?} already belongs to a device");
            }
            let device = devices::insert(
                store.conn(),
                &devices::NewDevice {
                    account_id: account.id,
                    unique_id: code,
                    name,
                    guid: None,
                },
                clearpark::booth::clock::now(),
            )?;
            outln!(
                "added device {} for account {} {:?}: code {}",
                device.id,
                account.id,
                account.name,
                device.unique_id
            )?;
            outln!("{}", terminal_qr(device.qr_payload())?)?;
        }
        DevicesCommand::List { account, limit, qr } => {
            let account_id = account.map(|a| find(&a)).transpose()?.map(|a| a.id);
            let list = devices::list(store.conn(), account_id, limit)?;
            outln!(
                "{:>6}  {:>7}  {:<20}  {:<36}  name",
                "id",
                "account",
                "code",
                "guid"
            )?;
            for d in &list {
                outln!(
                    "{:>6}  {:>7}  {:<20}  {:<36}  {}",
                    d.id,
                    d.account_id,
                    d.unique_id,
                    d.guid,
                    d.name.as_deref().unwrap_or("")
                )?;
                if qr {
                    outln!("{}", terminal_qr(d.qr_payload())?)?;
                }
            }
            outln!("{} device(s)", list.len())?;
        }
    }
    Ok(())
}

/// The code as a QR code in half-block characters, readable by a phone off the screen.
pub fn terminal_qr(data: &str) -> anyhow::Result<String> {
    use qrcode::render::unicode::Dense1x2;
    let code =
        qrcode::QrCode::new(data.as_bytes()).context("cannot make a QR code of this code")?;
    Ok(code
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}
