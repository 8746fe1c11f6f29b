//! `clearpark demo`: a booth on a fresh database with simulated lanes and traffic.

use anyhow::Context;
use clap::Args;
use clearpark::booth::clock::SystemClock;
use clearpark::demo::{self, traffic};
use clearpark::devices::DeviceOptions;
use clearpark::runtime::Running;
use clearpark::store::Store;
use std::path::PathBuf;
use std::sync::Arc;
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
    /// Who is at the console, for the audit log (default: the login name).
    #[arg(long)]
    attendant: Option<String>,
    /// Run the lanes' gates on the real gate firmware in the simavr simulator instead of the
    /// console's own simulator; DIR is the repository's firmware folder, built with
    /// `make -C firmware && make -C firmware/sim`.
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = "firmware")]
    firmware: Option<PathBuf>,
    /// Where the demo's HTTP API listens; 127.0.0.1:8080, or a free port when that is taken.
    #[arg(long, value_name = "ADDR")]
    api: Option<std::net::SocketAddr>,
}

pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let dir = match args.dir {
        Some(dir) => dir,
        None => std::env::temp_dir().join(format!(
            "clearpark-demo-{}",
            clearpark::booth::clock::now().format("%Y%m%d-%H%M%S")
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
    // Whole seconds, as the booth stores its own times.
    let now = clearpark::booth::clock::Clock::now(&SystemClock);
    let mut codes = demo::seed(&mut store, &config, now)?;
    // Gates and scanners on real ptys: the console speaks the real protocols to simulators,
    // whose ports live on the runtime's reactor.
    let rt = super::runtime()?;
    let pty_lanes = {
        let _entered = rt.enter();
        demo::lanes::PtyLanes::open(&mut config).context("cannot open ptys")?
    };

    println!("clearpark demo — {}", config.booth.name);
    println!("  database  {}", config.booth.database.display());
    for lane in &config.lanes {
        println!(
            "  lane      {} ({}, {})",
            lane.id, lane.name, lane.direction
        );
    }
    for lane in &pty_lanes.lanes {
        if args.firmware.is_some() {
            println!("  {:<9} scanner {}", lane.lane, lane.scanner_path.display());
        } else {
            println!(
                "  {:<9} gate {} (simulated controller), scanner {}",
                lane.lane,
                lane.gate_path.display(),
                lane.scanner_path.display()
            );
        }
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
    let demo_api = DemoApi::prepare(&store, &mut codes, args.api)?;
    demo_api.print();
    println!("  Ctrl-C stops the demo.");
    let greeting = format!(
        "Demo: files in {}; API {} token {}. ? for keys, s to type a code.",
        dir.display(),
        demo_api.addr,
        demo_api.token
    );

    let firmware = args
        .firmware
        .as_deref()
        .map(demo::firmware::FirmwareFiles::find)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let pace = Duration::from_secs_f64(args.pace.clamp(0.05, 60.0));
    rt.block_on(async move {
        let firmware_gates = match &firmware {
            Some(files) => {
                let gates = demo::firmware::start_gates(files, &mut config)
                    .await
                    .context("cannot start the firmware simulator")?;
                for (lane, gate) in &gates {
                    println!(
                        "  {lane:<9} gate {} (the firmware in simavr)",
                        gate.pty.display()
                    );
                }
                Some(gates)
            }
            None => None,
        };
        let mut running = Running::start(
            &config,
            store,
            Box::new(SystemClock),
            DeviceOptions::default(),
        )?;
        if let Err(e) = demo_api.serve(&mut running, &config).await {
            running.stop().await;
            return Err(e);
        }
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
        running.spawn(demo::nwave::feed(
            running.client(),
            running.snapshots(),
            running.shutdown.clone(),
            fastrand::u64(..),
        ));
        match firmware_gates {
            Some(gates) => {
                for (lane, gate) in gates {
                    running.spawn(demo::firmware::drive(
                        lane,
                        gate,
                        running.snapshots(),
                        running.shutdown.clone(),
                    ));
                }
            }
            None => {
                for gate in pty_lanes.gates(demo::lanes::demo_gate(), &running.shutdown) {
                    running.spawn(gate);
                }
            }
        }
        let actor = super::console::attendant_name(args.attendant);
        super::console::serve(running, &config, args.headless, actor, Some(greeting)).await
    })
}

/// The demo's HTTP API: a random bearer token, a driver token, and codes kept out of the
/// simulated traffic so that a person trying the curl examples is not beaten to the gate.
struct DemoApi {
    listener: std::net::TcpListener,
    addr: std::net::SocketAddr,
    token: String,
    driver_token: String,
    codes: Vec<demo::DemoCode>,
}

impl DemoApi {
    fn prepare(
        store: &Store,
        codes: &mut Vec<demo::DemoCode>,
        addr: Option<std::net::SocketAddr>,
    ) -> anyhow::Result<DemoApi> {
        use clearpark::api;
        let default: std::net::SocketAddr = clearpark::config::api::DEFAULT_LISTEN.parse()?;
        let listener = match (api::bind(addr.unwrap_or(default)), addr) {
            (Ok(l), _) => l,
            // The default port is taken (another demo?): any free port will do.
            (Err(_), None) => api::bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))?,
            (Err(e), Some(_)) => return Err(e.into()),
        };
        let addr = listener.local_addr()?;
        // The reference's device and two more parked nowhere, for the person at the keyboard.
        let mut kept = Vec::new();
        codes.retain(|c| {
            let keep = kept.len() < 3 && c.is_free();
            if keep {
                kept.push(c.clone());
            }
            !keep
        });
        let reference_account = clearpark::store::accounts::find(store.conn(), "ARAK12")?
            .context("the demo's reference account is missing")?;
        Ok(DemoApi {
            listener,
            addr,
            token: format!("demo-{}", uuid::Uuid::new_v4().simple()),
            driver_token: clearpark::store::driver_tokens::create(
                store.conn(),
                reference_account.id,
                clearpark::booth::clock::now(),
            )?,
            codes: kept,
        })
    }

    fn print(&self) {
        let base = format!("http://{}", self.addr);
        println!("  API       {base}   bearer token {}", self.token);
        for c in &self.codes {
            println!("  API code  {} ({})", c.code, c.holder);
        }
        println!("  try       curl -X POST \"{base}/find-device/?type=entrance\" \\");
        println!(
            "              -H \"Authorization: Bearer {}\" \\",
            self.token
        );
        println!("              -H \"Content-Type: application/json\" \\");
        println!(
            "              -d '{{\"data\":\"{}\"}}'",
            self.codes
                .first()
                .map_or("788879fbe6635", |c| c.code.as_str())
        );
        println!(
            "  driver    curl -H \"Authorization: Bearer {}\" {base}/api/car_driver/parking_sessions/current",
            self.driver_token
        );
    }

    async fn serve(
        self,
        running: &mut Running,
        config: &clearpark::config::Config,
    ) -> anyhow::Result<()> {
        let api = clearpark::config::ApiConfig::new(
            self.addr,
            demo::ENTRANCE_LANE,
            demo::EXIT_LANE,
            vec![clearpark::config::api::Secret::new(self.token)],
        );
        running
            .serve_api(config, api, Arc::new(SystemClock), Some(self.listener))
            .await
            .context("cannot start the demo's API")?;
        Ok(())
    }
}
