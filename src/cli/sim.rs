//! `clearpark sim gate|scanner|printer`: simulated lane devices for trying the console by hand.
//! Each prints, on its first line, what the console's config should name (a pty path or a
//! `tcp://` address), then what happens.

use anyhow::Context;
use clap::{Args, Subcommand};
use clearpark::devices::sim::driver::DriverSettings;
use clearpark::devices::sim::gate::Timings;
use clearpark::devices::sim::gate_port::{self, Note};
use clearpark::devices::sim::lane::SimGateConfig;
use clearpark::devices::sim::printer;
use clearpark::devices::sim::pty::Pty;
use clearpark::devices::sim::scanner::{Eol, SimScanner};
use clearpark::devices::sim::script::{self, Step};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// A gate controller on a pty, speaking docs/gate-protocol.md. Prints `PTY <path>` first,
    /// then `RELAY 0|1` and `RESET` as the firmware's simavr harness does, and the traffic.
    /// Keys (then Enter): p loop, b beam, v a vehicle through, w watchdog restart, hang,
    /// s state, q quit (so does the end of standard input).
    Gate(GateArgs),
    /// A QR scanner on a pty: prints `PTY <path>`; each line typed (or read from --codes) is
    /// sent as a scan.
    Scanner(ScannerArgs),
    /// A network receipt printer: prints tcp://127.0.0.1:<port>, saves and decodes each job.
    Printer(PrinterArgs),
}

#[derive(Debug, Args)]
pub struct GateArgs {
    /// A vehicle drives through after each OPEN (a share of drivers never come: --no-show).
    #[arg(long)]
    auto: bool,
    /// Share of OPENs nobody drives through in --auto mode, 0..1.
    #[arg(long, default_value_t = 0.05)]
    no_show: f64,
    /// Commands to run, one per line, as the keys plus `presence 0|1`, `beam 0|1`, `wait <ms>`.
    #[arg(long)]
    script: Option<PathBuf>,
    #[arg(long, default_value_t = 1500)]
    motor_travel_ms: u64,
    #[arg(long, default_value_t = 2000)]
    close_delay_ms: u64,
    #[arg(long, default_value_t = 30_000)]
    open_timeout_ms: u64,
    #[arg(long, default_value_t = 50)]
    debounce_ms: u64,
    #[arg(long, default_value_t = 600_000)]
    stuck_ms: u64,
    /// Seed of the simulated drivers (random when left out).
    #[arg(long)]
    seed: Option<u64>,
    /// Print only the machine lines (`PTY`, `RELAY`, `RESET`), not the traffic.
    #[arg(long)]
    quiet: bool,
}

#[derive(Debug, Args)]
pub struct ScannerArgs {
    /// Send each line of this file as a scan, one every --every ms, instead of reading standard
    /// input.
    #[arg(long)]
    codes: Option<PathBuf>,
    #[arg(long, default_value_t = 3000)]
    every: u64,
    /// Wait this long before the first code of --codes (time to start the console).
    #[arg(long, default_value_t = 5000)]
    delay: u64,
    /// Start --codes over when it ends.
    #[arg(long)]
    repeat: bool,
    /// What ends each code: cr, lf or crlf.
    #[arg(long, default_value = "cr")]
    eol: Eol,
}

#[derive(Debug, Args)]
pub struct PrinterArgs {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
    /// File the jobs' bytes are appended to.
    #[arg(long, default_value = "printer.escpos")]
    out: PathBuf,
}

pub fn run(command: SimCommand) -> anyhow::Result<()> {
    let rt = super::runtime()?;
    rt.block_on(async move {
        let shutdown = CancellationToken::new();
        super::signals::watch(shutdown.clone(), false).context("cannot listen for signals")?;
        match command {
            SimCommand::Gate(args) => gate(args, shutdown).await,
            SimCommand::Scanner(args) => scanner(args, shutdown).await,
            SimCommand::Printer(args) => printer(args, shutdown).await,
        }
    })
}

/// Lines typed on standard input, read on a thread of their own. `q`, `quit` and the end of
/// standard input cancel `shutdown` (so a test that dies leaves no simulator behind).
fn stdin_lines(shutdown: CancellationToken) -> mpsc::UnboundedReceiver<String> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if matches!(line.trim(), "q" | "quit") {
                break;
            }
            if tx.send(line).is_err() {
                break;
            }
        }
        shutdown.cancel();
    });
    rx
}

async fn gate(args: GateArgs, shutdown: CancellationToken) -> anyhow::Result<()> {
    if !(0.0..=1.0).contains(&args.no_show) {
        anyhow::bail!("--no-show {} is not between 0 and 1", args.no_show);
    }
    let steps = match &args.script {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let mut steps = Vec::new();
            for (n, line) in text.lines().enumerate() {
                let step = script::parse(line)
                    .map_err(|e| anyhow::anyhow!("{}:{}: {e}", path.display(), n + 1))?;
                steps.extend(step);
            }
            steps
        }
        None => Vec::new(),
    };
    let ms = Duration::from_millis;
    let config = SimGateConfig {
        timings: Timings {
            motor_travel: ms(args.motor_travel_ms),
            close_delay: ms(args.close_delay_ms),
            open_timeout: ms(args.open_timeout_ms),
            debounce: ms(args.debounce_ms),
            stuck: ms(args.stuck_ms),
        },
        drivers: DriverSettings {
            no_show_rate: args.no_show,
            ..DriverSettings::default()
        },
        auto: args.auto,
        seed: args.seed.unwrap_or_else(|| fastrand::u64(..)),
    };
    let pty = Pty::open().context("cannot open a pty")?;
    println!("PTY {}", pty.path().display());
    if !args.quiet {
        println!(
            "   clearpark sim gate: put gate = \"{}\" on a lane; keys: p loop, b beam, v vehicle, w watchdog, hang, s state, q quit",
            pty.path().display()
        );
    }
    let (inputs, inputs_rx) = mpsc::unbounded_channel();
    let (notes_tx, mut notes) = mpsc::unbounded_channel();
    let quiet = args.quiet;
    let mut typed = stdin_lines(shutdown.clone());
    let keys = inputs.clone();
    tokio::spawn(async move {
        while let Some(line) = typed.recv().await {
            match script::parse(&line) {
                Ok(Some(Step::Input(input))) => {
                    let _ = keys.send(input);
                }
                Ok(Some(Step::Wait(_) | Step::Quit) | None) => {}
                Err(e) => eprintln!("clearpark sim gate: {e}"),
            }
        }
    });
    let script_done = shutdown.clone();
    tokio::spawn(async move {
        for step in steps {
            match step {
                Step::Input(input) => {
                    if inputs.send(input).is_err() {
                        return;
                    }
                }
                Step::Wait(pause) => tokio::time::sleep(pause).await,
                Step::Quit => return script_done.cancel(),
            }
        }
    });
    tokio::spawn(async move {
        while let Some(note) = notes.recv().await {
            // Pings come every second; the rest is worth a line.
            let ping = matches!(&note, Note::Received(b) | Note::Sent(b)
                if b.starts_with("PING") || b.starts_with("PONG"));
            let machine = matches!(note, Note::Relay(_) | Note::Reset);
            if machine || (!quiet && !ping) {
                println!("{}", gate_port::describe(&note));
            }
        }
    });
    gate_port::serve(pty, config, inputs_rx, Some(notes_tx), shutdown)
        .await
        .context("the pty failed")?;
    Ok(())
}

async fn scanner(args: ScannerArgs, shutdown: CancellationToken) -> anyhow::Result<()> {
    let codes = match &args.codes {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .lines()
            .map(str::trim_end)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect(),
        None => Vec::new(),
    };
    let scanner = SimScanner::open(args.eol).context("cannot open a pty")?;
    println!("PTY {}", scanner.path().display());
    // With --codes the file is the input (standard input is left alone, so the simulator can
    // run in the background); without, each line typed is a scan.
    let mut typed = match args.codes {
        Some(_) => {
            println!(
                "   clearpark sim scanner: put scanner = \"{}\" on a lane; Ctrl-C quits",
                scanner.path().display()
            );
            mpsc::unbounded_channel().1
        }
        None => {
            println!(
                "   clearpark sim scanner: put scanner = \"{}\" on a lane; each line typed is scanned, q quits",
                scanner.path().display()
            );
            stdin_lines(shutdown.clone())
        }
    };
    let mut queue: VecDeque<String> = codes.iter().cloned().collect();
    let mut next = tokio::time::Instant::now() + Duration::from_millis(args.delay);
    let every = Duration::from_millis(args.every.max(1));
    let mut from_file = args.codes.is_some();
    let mut typing = args.codes.is_none();
    loop {
        let code = tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            line = typed.recv(), if typing => match line {
                Some(line) => line,
                None => {
                    typing = false;
                    continue;
                }
            },
            () = tokio::time::sleep_until(next), if from_file => {
                next += every;
                if queue.is_empty() && args.repeat {
                    queue.extend(codes.iter().cloned());
                }
                match queue.pop_front() {
                    Some(code) => code,
                    None => {
                        from_file = false;
                        continue;
                    }
                }
            }
        };
        scanner
            .scan(code.as_bytes())
            .await
            .context("the pty failed")?;
        println!("-> {code}");
    }
}

async fn printer(args: PrinterArgs, shutdown: CancellationToken) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    println!("tcp://{addr}");
    println!(
        "   clearpark sim printer: put printer = \"tcp://{addr}\" on a lane; jobs are appended to {}",
        args.out.display()
    );
    let (jobs_tx, mut jobs) = mpsc::unbounded_channel::<printer::Job>();
    tokio::spawn(async move {
        while let Some(job) = jobs.recv().await {
            let p = &job.printout;
            println!(
                "== job {} from {}: {} bytes, {} QR, {} cut(s){}",
                job.number,
                job.peer,
                job.bytes,
                p.qr_codes.len(),
                p.cuts,
                if p.unknown > 0 {
                    format!(", {} unknown commands", p.unknown)
                } else {
                    String::new()
                }
            );
            for line in p.lines.iter().filter(|l| !l.trim().is_empty()) {
                println!("   | {line}");
            }
            for qr in &p.qr_codes {
                println!("   | [QR {qr}]");
            }
        }
    });
    printer::serve(listener, args.out, jobs_tx, shutdown)
        .await
        .context("the printer's socket failed")
}
