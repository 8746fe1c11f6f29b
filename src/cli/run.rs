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
}

pub fn run(config_path: &Path, _args: RunArgs) -> anyhow::Result<()> {
    let config = super::load_config(config_path)?;
    super::logging::to_stdout();
    if !config.booth.database.exists() {
        anyhow::bail!(
            "no database at {} (booth.database): run `clearpark init` first",
            config.booth.database.display()
        );
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
            "booth running; Ctrl-C stops it"
        );
        tokio::signal::ctrl_c()
            .await
            .context("cannot listen for Ctrl-C")?;
        tracing::info!("stopping");
        running.stop().await;
        anyhow::Ok(())
    })
}
