//! The simulators as a person uses them: `clearpark sim gate|scanner|printer` run as processes,
//! each printing what the config should name; the console runs against them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use clearpark_testkit as support;

use chrono::TimeDelta;
use clearpark::booth::Snapshot;
use clearpark::booth::clock::ManualClock;
use clearpark::config::{GateEndpoint, LaneConfig, PrinterEndpoint, ScannerEndpoint};
use clearpark::devices::DeviceOptions;
use clearpark::devices::gate::protocol::{self, Report};
use clearpark::domain::session::Direction;
use clearpark::runtime::Running;
use clearpark::store::Store;
use clearpark::store::accounts::NewAccount;
use clearpark::store::seed::{self, NewCode};
use serialport::SerialPort;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use support::pty::PATIENCE;
use support::{IN, OUT, RES_GUID, t0};

/// A simulator process: its stdin, and its stdout line by line.
struct Sim {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
    /// The first line: what the console opens.
    address: String,
}

impl Sim {
    fn start(args: &[&str]) -> Sim {
        let mut child = Command::new(env!("CARGO_BIN_EXE_clearpark"))
            .arg("sim")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let first = lines.recv_timeout(PATIENCE).expect("no address printed");
        // `PTY <path>` for the gate and the scanner, `tcp://...` for the printer.
        let address = first.strip_prefix("PTY ").unwrap_or(&first).to_owned();
        Sim {
            child,
            stdin,
            lines,
            address,
        }
    }

    fn type_line(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").unwrap();
    }

    /// Waits for a line of output that satisfies `want`.
    fn expect(&self, want: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let line = self.lines.recv_timeout(left).expect("the line never came");
            if want(&line) {
                return line;
            }
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn wait(running: &Running, done: impl Fn(&Snapshot) -> bool) -> Snapshot {
    let mut snapshots = running.snapshots();
    tokio::time::timeout(PATIENCE, snapshots.wait_for(|s| done(s)))
        .await
        .expect("the booth never got there")
        .unwrap()
        .clone()
}

#[test]
fn sim_gate_speaks_the_protocol_and_takes_keys() {
    let mut gate = Sim::start(&[
        "gate",
        "--motor-travel-ms",
        "300",
        "--close-delay-ms",
        "20",
        "--debounce-ms",
        "2",
    ]);
    assert!(gate.address.starts_with("/dev/"), "{}", gate.address);
    let mut port = serialport::new(&gate.address, 115_200)
        .timeout(PATIENCE)
        .open()
        .unwrap();
    port.clear(serialport::ClearBuffer::Input).unwrap();
    let mut lines = protocol::splitter();
    let mut next = |port: &mut Box<dyn SerialPort>| -> Report {
        let mut byte = [0_u8; 1];
        loop {
            port.read_exact(&mut byte).unwrap();
            if let Some(clearpark::devices::lines::Piece::Line(l)) =
                lines.push(&byte).into_iter().next()
            {
                return Report::parse_line(&l).unwrap();
            }
        }
    };
    let send = |port: &mut Box<dyn SerialPort>, body: &str| {
        port.write_all(&protocol::frame(body).unwrap()).unwrap();
    };
    send(&mut port, "HELLO");
    assert!(matches!(next(&mut port), Report::Ready(v) if v.starts_with("clearpark-gate-sim/")));
    // The power-on READY may have come after the input was cleared: skip to the PONG.
    send(&mut port, "PING 40");
    loop {
        match next(&mut port) {
            Report::Ready(_) => {}
            other => break assert_eq!(other, Report::Pong(40)),
        }
    }
    send(&mut port, "OPEN 41");
    assert_eq!(next(&mut port), Report::Ack(41));
    send(&mut port, "OPEN 41");
    assert_eq!(next(&mut port), Report::Ack(41), "a resend is answered");
    assert_eq!(next(&mut port).to_string(), "EVT OPENED");
    // A vehicle through, by keys.
    for key in ["presence 1", "beam 1", "presence 0", "beam 0"] {
        gate.type_line(key);
        std::thread::sleep(Duration::from_millis(30));
    }
    assert_eq!(next(&mut port).to_string(), "EVT PRESENCE 1");
    assert_eq!(next(&mut port).to_string(), "EVT PRESENCE 0");
    assert_eq!(next(&mut port).to_string(), "EVT PASSED");
    // One vehicle was expected (the resend added none): the barrier closes.
    assert_eq!(next(&mut port).to_string(), "EVT CLOSED");
    send(&mut port, "STATUS 42");
    assert_eq!(next(&mut port), Report::Ack(42));
    assert_eq!(
        next(&mut port).to_string(),
        "STATE gate=closed presence=0 beam=0"
    );
    gate.type_line("s");
    gate.expect(|l| l.contains("STATE gate=closed") && l.contains("expected 0"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_runs_on_the_simulators_from_scan_to_receipt() {
    let auto = [
        "gate",
        "--auto",
        "--no-show",
        "0",
        "--motor-travel-ms",
        "50",
        "--close-delay-ms",
        "50",
        "--debounce-ms",
        "5",
    ];
    let (in_gate, out_gate) = (Sim::start(&auto), Sim::start(&auto));
    let mut in_scanner = Sim::start(&["scanner", "--eol", "crlf"]);
    let mut out_scanner = Sim::start(&["scanner"]);
    let dir = tempfile::tempdir().unwrap();
    let paper = dir.path().join("paper.escpos");
    let printer = Sim::start(&["printer", "--out", paper.to_str().unwrap()]);
    assert!(printer.address.starts_with("tcp://127.0.0.1:"));

    let lane = |id: &str, direction, gate: &Sim, scanner: &Sim, printer| LaneConfig {
        id: id.into(),
        name: id.into(),
        direction,
        scanner: ScannerEndpoint::Serial(scanner.address.clone().into()),
        gate: GateEndpoint::Serial(gate.address.clone().into()),
        printer,
    };
    let mut config = support::config(dir.path().join("booth.db"));
    let tcp = printer.address.trim_start_matches("tcp://").to_owned();
    config.lanes = vec![
        lane(
            IN,
            Direction::Entrance,
            &in_gate,
            &in_scanner,
            PrinterEndpoint::None,
        ),
        lane(
            OUT,
            Direction::Exit,
            &out_gate,
            &out_scanner,
            PrinterEndpoint::Tcp(tcp),
        ),
    ];
    let store = Store::open(&config.booth.database).unwrap();
    support::priced(store.conn(), RES_GUID, "0.05", t0());
    let kerim = NewAccount {
        name: "Kerim".into(),
        ..NewAccount::default()
    };
    seed::account_with_code(store.conn(), &kerim, &NewCode::given("KERIM-QR-1"), t0()).unwrap();
    let clock = ManualClock::new(t0());
    let running = Running::start(
        &config,
        store,
        Box::new(clock.clone()),
        DeviceOptions::default(),
    )
    .unwrap();
    wait(&running, |s| {
        s.lanes
            .iter()
            .all(|l| l.gate.online == Some(true) && l.scanner_online == Some(true))
    })
    .await;

    // In: typed into the scanner, the simulated driver goes through after the OPEN.
    in_scanner.type_line("KERIM-QR-1");
    let s = wait(&running, |s| {
        s.occupied == 1 && s.lanes.iter().all(|l| l.pending.is_empty())
    })
    .await;
    assert_eq!(s.occupied, 1);
    in_gate.expect(|l| l == "   loop clear  beam clear");
    // Out, 7 min 15 s later: charged 0.40, the receipt goes to the network printer.
    clock.advance(TimeDelta::seconds(435));
    out_scanner.type_line("KERIM-QR-1");
    printer.expect(|l| l.starts_with("== job 1"));
    printer.expect(|l| l.starts_with("   | TOTAL") && l.ends_with(" 0.40 TMT"));
    let qr = printer.expect(|l| l.starts_with("   | [QR "));
    let guid: String = rusqlite::Connection::open(dir.path().join("booth.db"))
        .unwrap()
        .query_row("SELECT guid FROM receipt", [], |r| r.get(0))
        .unwrap();
    assert_eq!(qr, format!("   | [QR {guid}]"));
    let s = wait(&running, |s| s.occupied == 0).await;
    assert_eq!(s.last_receipt_no, Some(1));
    // The bytes kept by the simulated printer are the job, whole.
    let bytes = std::fs::read(&paper).unwrap();
    assert_eq!(
        bytes.last_chunk::<4>().map(|t| &t[..3]),
        Some(&[0x1d, b'V', b'A'][..])
    );
    running.stop().await;
}
