//! `clearpark run`: the booth on the config's lanes and database.

use anyhow::Context;
use clap::Args;
use clearpark::booth::clock::SystemClock;
use clearpark::devices::DeviceOptions;
use clearpark::runtime::Running;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Log each decision as a line instead of opening the console screen.
    #[arg(long)]
    headless: bool,
    /// Who is at the console, for the audit log (default: the login name).
    #[arg(long)]
    attendant: Option<String>,
    /// Serve the HTTP API on this address instead of api.listen (needs an [api] section).
    #[arg(long, value_name = "ADDR")]
    api: Option<std::net::SocketAddr>,
    /// Append the log to FILE, reopened on SIGHUP (for logrotate), instead of standard output
    /// (--headless) or clearpark.log beside the database (the screen).
    #[arg(long, value_name = "FILE")]
    log: Option<std::path::PathBuf>,
}

pub fn run(config_path: &Path, args: RunArgs) -> anyhow::Result<()> {
    let mut config = super::load_config(config_path)?;
    match (&mut config.api, args.api) {
        (Some(api), Some(addr)) => api.listen = addr,
        (None, Some(_)) => anyhow::bail!(
            "--api: the config has no [api] section (tokens, lanes); add one (see config.toml.example)"
        ),
        _ => {}
    }
    if !config.booth.database.exists() {
        anyhow::bail!(
            "no database at {} (booth.database): run `clearpark init` first",
            config.booth.database.display()
        );
    }
    match (&args.log, args.headless) {
        (Some(file), _) => super::logging::to_file(file)?,
        (None, true) => super::logging::to_stdout(),
        (None, false) => super::logging::to_file(&super::logging::beside(&config.booth.database))?,
    }
    let store = super::open_store(&config)?;
    let rt = super::runtime()?;
    rt.block_on(async move {
        let mut running = Running::start(
            &config,
            store,
            Box::new(SystemClock),
            DeviceOptions::default(),
        )
        .context("cannot start the booth")?;
        if let Some(api) = config.api.clone() {
            let scheme = if api.tls.is_some() { "https" } else { "http" };
            match running
                .serve_api(&config, api, Arc::new(SystemClock), None)
                .await
            {
                Ok(addr) => tracing::info!("API on {scheme}://{addr}"),
                Err(e) => {
                    running.stop().await;
                    return Err(anyhow::Error::new(e).context("cannot start the API"));
                }
            }
        }
        tracing::info!(
            site = config.booth.name,
            lanes = config.lanes.len(),
            "booth running"
        );
        let actor = super::console::attendant_name(args.attendant);
        super::console::serve(running, &config, args.headless, actor, None).await
    })
}
