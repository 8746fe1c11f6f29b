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
    /// Who is at the console, for the audit log (default: the login name).
    #[arg(long)]
    attendant: Option<String>,
    /// Average seconds between two simulated arrivals.
    #[arg(long, default_value_t = 2.5)]
    pace: f64,
}

pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let dir = match args.dir {
        Some(dir) => dir,
        None => std::env::temp_dir().join(format!(
            "clearpark-demo-{}",
            chrono::Utc::now().format("%Y%m%d-%H%M%S")
        )),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut config = demo::config(&dir);
    if config.booth.database.exists() {
        anyhow::bail!(
            "{} already exists: the demo starts on a fresh database (pass another --dir)",
            config.booth.database.display()
        );
    }
    if args.headless {
        super::logging::to_stdout();
    } else {
        super::logging::to_file(&dir.join("clearpark.log"))?;
    }
    let mut store = Store::open(&config.booth.database)?;
    let codes = demo::seed(&mut store, &config, chrono::Utc::now())?;
    // Gates and scanners on real ptys: the console speaks the real protocols to simulators.
    let pty_lanes = demo::lanes::PtyLanes::open(&mut config).context("cannot open ptys")?;

    println!("clearpark demo — {}", config.booth.name);
    println!("  database  {}", config.booth.database.display());
    for lane in &config.lanes {
        println!(
            "  lane      {} ({}, {})",
            lane.id, lane.name, lane.direction
        );
    }
    for lane in &pty_lanes.lanes {
        println!(
            "  {:<9} gate {} (simulated controller), scanner {}",
            lane.lane,
            lane.gate_path.display(),
            lane.scanner_path.display()
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
    let greeting = format!(
        "Demo: files in {}. Press ? for keys, s to type a code (e.g. {}).",
        dir.display(),
        codes[0].code
    );

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
                scanners: Some(pty_lanes.scanner_feed(running.booth.subscribe_activity())),
            },
            codes,
            running.client(),
            running.snapshots(),
            running.shutdown.clone(),
        ));
        for gate in pty_lanes.gates(demo::lanes::demo_gate(), &running.shutdown) {
            running.spawn(gate);
        }
        let actor = super::console::attendant_name(args.attendant);
        super::console::serve(running, &config, args.headless, actor, Some(greeting)).await
    })
}
