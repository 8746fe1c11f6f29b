//! `clearpark accounts add|list|import`.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use clearpark::config::Config;
use clearpark::domain::model::Account;
use clearpark::store::accounts::{self, NewAccount};
use clearpark::store::driver_tokens;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Add an account.
    Add(AddArgs),
    /// List accounts.
    List {
        /// Only accounts whose name, registration number or user name contains this.
        #[arg(long)]
        filter: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Import accounts from a CSV file with a header row. Columns: name (required), reg_no,
    /// user_name, phone, email, type_id, status_id, guid. All rows or none are imported.
    Import { file: PathBuf },
    /// Make an access token for the account's driver app (GET
    /// /api/car_driver/parking_sessions/current). The token is printed once; only its SHA-256
    /// is stored. Earlier tokens stay valid until revoked.
    Token {
        /// The account: its id, GUID, registration number or user name.
        account: String,
        /// Instead of making a token, revoke every token of the account.
        #[arg(long)]
        revoke: bool,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The account's name (RpAccName).
    #[arg(long)]
    name: String,
    /// Registration number, e.g. the car's plate (RpAccRegNo).
    #[arg(long)]
    reg_no: Option<String>,
    /// Login name (RpAccUName).
    #[arg(long)]
    user_name: Option<String>,
    /// Mobile phone (RpAccMobilePhoneNumber).
    #[arg(long)]
    phone: Option<String>,
    #[arg(long)]
    email: Option<String>,
    /// Create the account blocked (RpAccStatusId 2): its scans are refused.
    #[arg(long)]
    blocked: bool,
}

pub fn run(config: &Config, command: AccountsCommand) -> anyhow::Result<()> {
    let mut store = super::open_store(config)?;
    let now = clearpark::booth::clock::now();
    match command {
        AccountsCommand::Add(a) => {
            if a.name.trim().is_empty() {
                bail!("--name must not be empty");
            }
            let account = accounts::insert(
                store.conn(),
                &NewAccount {
                    name: a.name,
                    reg_no: a.reg_no,
                    user_name: a.user_name,
                    phone: a.phone,
                    email: a.email,
                    status_id: Some(if a.blocked {
                        2
                    } else {
                        accounts::STATUS_ACTIVE
                    }),
                    ..NewAccount::default()
                },
                now,
            )?;
            outln!("added account {}", line(&account))?;
        }
        AccountsCommand::List { filter, limit } => {
            let list = accounts::list(store.conn(), filter.as_deref(), limit)?;
            outln!(
                "{:>6}  {:<36}  {:<24}  {:<12}  {:<8}  {:>10}",
                "id",
                "guid",
                "name",
                "reg no",
                "status",
                "charged"
            )?;
            for a in &list {
                outln!("{}", line(a))?;
            }
            outln!("{} account(s)", list.len())?;
        }
        AccountsCommand::Import { file } => {
            let mut reader = csv::Reader::from_path(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let tx = store.transaction()?;
            let mut count = 0;
            for (i, row) in reader.deserialize::<NewAccount>().enumerate() {
                // Line numbers as an editor shows them: the header is line 1.
                let at = format!("{} line {}", file.display(), i + 2);
                let new = row.with_context(|| at.clone())?;
                if new.name.trim().is_empty() {
                    bail!("{at}: name is empty; nothing was imported");
                }
                accounts::insert(&tx, &new, now).with_context(|| {
                    format!("{at}: cannot add {:?}; nothing was imported", new.name)
                })?;
                count += 1;
            }
            tx.commit()?;
            outln!("imported {count} account(s) from {}", file.display())?;
        }
        AccountsCommand::Token { account, revoke } => {
            let account = accounts::find(store.conn(), &account)?
                .with_context(|| format!("no account {account:?}"))?;
            if revoke {
                let n = driver_tokens::revoke_all(store.conn(), account.id)?;
                outln!(
                    "revoked {n} token(s) of account {} {:?}",
                    account.id,
                    account.name
                )?;
            } else {
                let token = driver_tokens::create(store.conn(), account.id, now)?;
                outln!(
                    "driver token for account {} {:?} (shown once, keep it):",
                    account.id,
                    account.name
                )?;
                outln!("{token}")?;
            }
        }
    }
    Ok(())
}

fn line(a: &Account) -> String {
    let status = if a.deleted {
        "deleted"
    } else if a.may_park() {
        "active"
    } else {
        "blocked"
    };
    format!(
        "{:>6}  {:<36}  {:<24}  {:<12}  {:<8}  {:>10}",
        a.id,
        a.guid,
        a.name,
        a.reg_no.as_deref().unwrap_or("-"),
        status,
        a.trans_total
    )
}
