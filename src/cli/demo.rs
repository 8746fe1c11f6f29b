//! `clearpark demo`: a booth on a fresh database with simulated lanes and traffic.

use anyhow::Context;
use clap::Args;
use clearpark::booth::clock::SystemClock;
use clearpark::demo::{self, traffic};
use clearpark::devices::DeviceOptions;
use clearpark::runtime::Running;
use clearpark::store::Store;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Log each decision as a line instead of opening the console screen.
    #[arg(long)]
    headless: bool,
    /// Where the demo's database and printer output go; a new folder under the system's
    /// temporary folder when left out. Must not hold a clearpark database already.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Average seconds between two simulated arrivals.
    #[arg(long, default_value_t = 2.5)]
    pace: f64,
}

pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    super::logging::to_stdout();
    let dir = match args.dir {
        Some(dir) => dir,
        None => std::env::temp_dir().join(format!(
            "clearpark-demo-{}",
            chrono::Utc::now().format("%Y%m%d-%H%M%S")
        )),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let config = demo::config(&dir);
    if config.booth.database.exists() {
        anyhow::bail!(
            "{} already exists: the demo starts on a fresh database (pass another --dir)",
            config.booth.database.display()
        );
    }
    let mut store = Store::open(&config.booth.database)?;
    let codes = demo::seed(&mut store, &config, chrono::Utc::now())?;

    println!("clearpark demo — {}", config.booth.name);
    println!("  database  {}", config.booth.database.display());
    for lane in &config.lanes {
        println!(
            "  lane      {} ({}, {})",
            lane.id, lane.name, lane.direction
        );
    }
    println!(
        "  printers  ESC/POS into {}/printer-<lane>.escpos",
        dir.display()
    );
    println!(
        "  codes     {} (the reference's device), {} ({})",
        codes[0].code, codes[1].code, codes[1].holder
    );
    println!(
        "  nwave     {} simulated bay sensors, occupancy logged every minute",
        demo::nwave::DEMO_BAYS
    );
    println!("  Ctrl-C stops the demo.");

    let pace = Duration::from_secs_f64(args.pace.clamp(0.05, 60.0));
    let rt = super::runtime()?;
    rt.block_on(async move {
        let mut running = Running::start(
            &config,
            store,
            Box::new(SystemClock),
            DeviceOptions::default(),
        )?;
        running.spawn(traffic::run(
            traffic::TrafficPlan {
                entrance_lane: demo::ENTRANCE_LANE.into(),
                exit_lane: demo::EXIT_LANE.into(),
                pace: (pace / 2, pace * 3 / 2),
            },
            codes,
            running.client(),
            running.snapshots(),
            running.shutdown.clone(),
        ));
        running.spawn(demo::nwave::feed(
            running.client(),
            running.snapshots(),
            running.shutdown.clone(),
            fastrand::u64(..),
        ));
        tokio::signal::ctrl_c()
            .await
            .context("cannot listen for Ctrl-C")?;
        tracing::info!("stopping");
        running.stop().await;
        anyhow::Ok(())
    })
}
