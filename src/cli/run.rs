//! `clearpark run`: the booth on the config's lanes and database.

use anyhow::Context;
use clap::Args;
use clearpark::booth::clock::SystemClock;
use clearpark::devices::DeviceOptions;
use clearpark::runtime::Running;
use std::path::Path;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Log each decision as a line instead of opening the console screen.
    #[arg(long)]
    headless: bool,
    /// Who is at the console, for the audit log (default: the login name).
    #[arg(long)]
    attendant: Option<String>,
}

pub fn run(config_path: &Path, args: RunArgs) -> anyhow::Result<()> {
    let config = super::load_config(config_path)?;
    if !config.booth.database.exists() {
        anyhow::bail!(
            "no database at {} (booth.database): run `clearpark init` first",
            config.booth.database.display()
        );
    }
    if args.headless {
        super::logging::to_stdout();
    } else {
        super::logging::to_file(&super::logging::beside(&config.booth.database))?;
    }
    let store = super::open_store(&config)?;
    let rt = super::runtime()?;
    rt.block_on(async move {
        let running = Running::start(
            &config,
            store,
            Box::new(SystemClock),
            DeviceOptions::default(),
        )
        .context("cannot start the booth")?;
        tracing::info!(
            site = config.booth.name,
            lanes = config.lanes.len(),
            "booth running"
        );
        let actor = super::console::attendant_name(args.attendant);
        super::console::serve(running, &config, args.headless, actor, None).await
    })
}
