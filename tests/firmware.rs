//! One suite, two gate controllers (docs/gate-protocol.md): the real firmware running in simavr
//! (`firmware/build/sim/gate-sim` with `firmware/build/gate-sim.elf`) and the console's simulator
//! (`clearpark sim gate`) with the same timings. Both print `PTY <path>` first, `RELAY 0|1` and
//! `RESET` on standard output, and read `presence 0|1`, `beam 0|1` and `hang` on standard input,
//! so every case runs unchanged against each. Waits are for lines, never for wall-clock limits.
//!
//! The firmware half needs `make -C firmware && make -C firmware/sim` (done by `scripts/test`);
//! without them it is counted as ignored with the reason, or fails when
//! `CLEARPARK_REQUIRE_FIRMWARE=1` (`clearpark_testkit::harness`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use clearpark_testkit as support;

use clearpark::devices::gate::protocol;
use clearpark::devices::lines::Piece;
use serialport::SerialPort;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use support::harness::{self, Need, block_on, case, firmware_files};
use support::libtest_mimic::Trial;

/// Generous: simavr may run slower than real time on a busy machine.
const PATIENCE: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Copy)]
enum Kind {
    Firmware,
    Simulator,
}

/// A controller process, its machine lines and its pty.
struct Gate {
    child: Child,
    stdin: ChildStdin,
    out: mpsc::Receiver<String>,
    pty: mpsc::Receiver<String>,
    port: Box<dyn SerialPort>,
    seq: u16,
}

impl Gate {
    fn start(kind: Kind) -> Gate {
        let mut command = match kind {
            Kind::Firmware => {
                let (harness, elf) = firmware_files();
                let mut c = Command::new(harness);
                c.arg(elf);
                c
            }
            Kind::Simulator => {
                let mut c = Command::new(env!("CARGO_BIN_EXE_clearpark"));
                // The timings firmware/Makefile builds gate-sim.elf with.
                c.args([
                    "sim",
                    "gate",
                    "--quiet",
                    "--motor-travel-ms",
                    "200",
                    "--close-delay-ms",
                    "300",
                    "--open-timeout-ms",
                    "2000",
                    "--debounce-ms",
                    "50",
                ]);
                c
            }
        };
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (out_tx, out) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                // Only the machine lines; SPEED and the simulator's traffic log are skipped.
                let machine = ["PTY ", "RELAY ", "RESET", "CRASHED"]
                    .iter()
                    .any(|p| line.starts_with(p));
                if machine && out_tx.send(line).is_err() {
                    return;
                }
            }
        });
        let first = out.recv_timeout(PATIENCE).expect("no PTY line");
        let path = first
            .strip_prefix("PTY ")
            .expect("the first line is PTY <path>");
        let port = serialport::new(path, 115_200)
            .timeout(Duration::from_millis(100))
            .open()
            .unwrap();
        let mut reader = port.try_clone().unwrap();
        let (pty_tx, pty) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = protocol::splitter();
            let mut buf = [0_u8; 256];
            loop {
                let n = match reader.read(&mut buf) {
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::TimedOut => continue,
                    Err(_) => return,
                };
                for piece in lines.push(&buf[..n]) {
                    let text = match piece {
                        Piece::Line(line) => match protocol::unframe(&line) {
                            Ok(body) => body.to_owned(),
                            Err(e) => format!("BAD LINE {e}: {:?}", String::from_utf8_lossy(&line)),
                        },
                        Piece::Overlong { len, .. } => format!("BAD LINE of {len} bytes"),
                    };
                    if pty_tx.send(text).is_err() {
                        return;
                    }
                }
            }
        });
        Gate {
            child,
            stdin,
            out,
            pty,
            port,
            seq: 0,
        }
    }

    fn send(&mut self, body: &str) {
        self.port
            .write_all(&protocol::frame(body).unwrap())
            .unwrap();
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        self.port.write_all(bytes).unwrap();
    }

    fn control(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// The next line from the controller is `body` (for `READY`, any version).
    fn expect(&mut self, body: &str) {
        let got = self
            .pty
            .recv_timeout(PATIENCE)
            .unwrap_or_else(|_| panic!("no line from the controller; expected {body:?}"));
        if body == "READY" {
            assert!(got.starts_with("READY clearpark-gate"), "{got:?}");
        } else {
            assert_eq!(got, body);
        }
    }

    /// The next machine line on standard output is `text`.
    fn expect_out(&mut self, text: &str) {
        let got = self
            .out
            .recv_timeout(PATIENCE)
            .unwrap_or_else(|_| panic!("no line on standard output; expected {text:?}"));
        assert_eq!(got, text);
    }

    /// A command with the next seq; returns the seq.
    fn command(&mut self, verb: &str) -> u16 {
        self.seq += 1;
        let seq = self.seq;
        self.send(&format!("{verb} {seq}"));
        seq
    }

    /// Asks for the state until `want` (a `STATE` body) comes: waits on the controller's own
    /// debouncing, not on the clock.
    fn until_state(&mut self, want: &str) {
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            let seq = self.command("STATUS");
            self.expect(&format!("ACK {seq}"));
            let state = self.pty.recv_timeout(PATIENCE).unwrap();
            if state == want {
                return;
            }
            assert!(state.starts_with("STATE "), "{state:?}");
            assert!(std::time::Instant::now() < deadline, "never {want:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The boot `READY`, the relay's first state, then `HELLO` answered.
    fn greet(&mut self) {
        self.expect("READY");
        self.expect_out("RELAY 0");
        self.send("HELLO");
        self.expect("READY");
    }

    /// A vehicle through an open barrier: loop, beam, loop clear, beam clear.
    fn vehicle_passes(&mut self) {
        self.control("presence 1");
        self.expect("EVT PRESENCE 1");
        self.control("beam 1");
        self.until_state("STATE gate=open presence=1 beam=1");
        self.control("presence 0");
        self.expect("EVT PRESENCE 0");
        self.control("beam 0");
        self.expect("EVT PASSED");
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn open_pass_close(g: &mut Gate) {
    g.greet();
    let seq = g.command("OPEN");
    g.expect(&format!("ACK {seq}"));
    g.expect_out("RELAY 1");
    g.expect("EVT OPENED");
    g.vehicle_passes();
    g.expect_out("RELAY 0");
    g.expect("EVT CLOSED");
    g.until_state("STATE gate=closed presence=0 beam=0");
}

fn timeout_when_nobody_comes(g: &mut Gate) {
    g.greet();
    let seq = g.command("OPEN");
    g.expect(&format!("ACK {seq}"));
    g.expect_out("RELAY 1");
    g.expect("EVT OPENED");
    g.expect("EVT TIMEOUT");
    g.expect_out("RELAY 0");
    g.expect("EVT CLOSED");
}

fn presence_holds_the_barrier(g: &mut Gate) {
    g.greet();
    let seq = g.command("OPEN");
    g.expect(&format!("ACK {seq}"));
    g.expect_out("RELAY 1");
    g.expect("EVT OPENED");
    g.control("presence 1");
    g.expect("EVT PRESENCE 1");
    // Past the open timeout (2 s): no TIMEOUT while the loop is occupied.
    std::thread::sleep(Duration::from_millis(2500));
    // Even told to close, it stays up over the vehicle.
    let seq = g.command("CLOSE");
    g.expect(&format!("ACK {seq}"));
    g.until_state("STATE gate=open presence=1 beam=0");
    g.control("presence 0");
    g.expect("EVT PRESENCE 0");
    g.expect_out("RELAY 0");
    g.expect("EVT CLOSED");
}

fn bad_lines_are_ignored_and_a_resend_is_not_executed(g: &mut Gate) {
    g.greet();
    g.send_raw(b"OPEN 5*00\nOPEN 5\n\xff\xfe*00\n");
    // Answered in order: the bad lines before it were dropped, not acted on.
    g.until_state("STATE gate=closed presence=0 beam=0");
    let seq = g.command("OPEN");
    g.expect(&format!("ACK {seq}"));
    g.send(&format!("OPEN {seq}"));
    g.expect(&format!("ACK {seq}"));
    g.expect_out("RELAY 1");
    g.expect("EVT OPENED");
    g.vehicle_passes();
    // Had the resend been executed, a second vehicle would be expected and the barrier would
    // stay up until a TIMEOUT: CLOSED is the next line.
    g.expect_out("RELAY 0");
    g.expect("EVT CLOSED");
}

fn hello_starts_a_new_conversation(g: &mut Gate) {
    g.greet();
    g.send("OPEN 9");
    g.expect("ACK 9");
    g.expect_out("RELAY 1");
    g.expect("EVT OPENED");
    g.send("HELLO");
    g.expect("READY");
    // After HELLO the same verb and seq are a new command: a second vehicle is expected.
    g.send("OPEN 9");
    g.expect("ACK 9");
    g.vehicle_passes();
    g.expect("EVT TIMEOUT");
    g.expect_out("RELAY 0");
    g.expect("EVT CLOSED");
}

fn refusals(g: &mut Gate) {
    g.greet();
    for (body, nak) in [
        ("JUMP 3", "NAK 3 UNKNOWN"),
        ("open 4", "NAK 4 UNKNOWN"),
        ("", "NAK 0 UNKNOWN"),
        ("OPEN", "NAK 0 ARG"),
        ("OPEN x", "NAK 0 ARG"),
        ("OPEN 5 6", "NAK 5 ARG"),
        ("OPEN  5", "NAK 0 ARG"),
        ("OPEN 65536", "NAK 0 ARG"),
        ("HELLO 2", "NAK 2 ARG"),
    ] {
        g.send(body);
        g.expect(nak);
    }
    g.until_state("STATE gate=closed presence=0 beam=0");
}

fn watchdog_restart_keeps_a_raised_barrier_until_clear(g: &mut Gate) {
    g.greet();
    let seq = g.command("HOLD");
    g.expect(&format!("ACK {seq}"));
    g.expect_out("RELAY 1");
    g.expect("EVT OPENED");
    g.control("hang");
    g.expect_out("RESET");
    g.expect_out("RELAY 0");
    g.expect("READY");
    g.expect("EVT FAULT WDT");
    // It was up: kept up, then closed once the lane has been clear for the close delay.
    g.expect_out("RELAY 1");
    g.expect_out("RELAY 0");
    g.expect("EVT CLOSED");
}

/// Each case against the firmware (ignored, or failing under CLEARPARK_REQUIRE_FIRMWARE=1,
/// when it is not built) and against the simulator.
macro_rules! on_both {
    ($($case:ident),* $(,)?) => {
        fn on_both() -> Vec<Trial> {
            let mut cases = Vec::new();
            $(
                cases.push(case(concat!(stringify!($case), "::firmware"), Some(Need::Firmware), || {
                    $case(&mut Gate::start(Kind::Firmware))
                }));
                cases.push(case(concat!(stringify!($case), "::simulator"), None, || {
                    $case(&mut Gate::start(Kind::Simulator))
                }));
            )*
            cases
        }
    };
}

fn main() {
    let mut cases = on_both();
    cases.push(case("booth_flow::firmware", Some(Need::Firmware), || {
        block_on(booth_flow::run(Kind::Firmware))
    }));
    cases.push(case("booth_flow::simulator", None, || {
        block_on(booth_flow::run(Kind::Simulator))
    }));
    harness::main(cases);
}

on_both!(
    open_pass_close,
    timeout_when_nobody_comes,
    presence_holds_the_barrier,
    bad_lines_are_ignored_and_a_resend_is_not_executed,
    hello_starts_a_new_conversation,
    refusals,
    watchdog_restart_keeps_a_raised_barrier_until_clear,
);

/// The booth itself (gate link, rules, database) through a controller process on each lane: an
/// entrance and an exit with the vehicles driven through the controllers' sensors, and the rows.
mod booth_flow {
    use chrono::{TimeDelta, TimeZone, Utc};
    use clearpark::booth::clock::ManualClock;
    use clearpark::booth::{ScanOutcome, ScanSource, Snapshot};
    use clearpark::config::{
        BoothSettings, Config, GateEndpoint, LaneConfig, PrinterEndpoint, ScannerEndpoint,
    };
    use clearpark::devices::DeviceOptions;
    use clearpark::devices::sim::harness::ControllerProcess;
    use clearpark::domain::session::{Direction, SessionState};
    use clearpark::runtime::Running;
    use clearpark::store::accounts::{self, NewAccount};
    use clearpark::store::seed::{self, NewCode};
    use clearpark::store::{DbStructure, Store, sessions};
    use std::path::PathBuf;
    use std::time::Duration;
    use tokio::sync::watch;

    const RES_GUID: &str = "00000000-0000-4000-8000-00000000f1a5";
    const PATIENCE: Duration = super::PATIENCE;

    async fn controller(kind: super::Kind) -> ControllerProcess {
        match kind {
            super::Kind::Firmware => {
                let (harness, elf) = super::firmware_files();
                ControllerProcess::spawn(&harness, &[elf.to_str().unwrap()])
                    .await
                    .unwrap()
            }
            super::Kind::Simulator => {
                let args = [
                    "sim",
                    "gate",
                    "--quiet",
                    "--motor-travel-ms",
                    "200",
                    "--close-delay-ms",
                    "300",
                    "--open-timeout-ms",
                    "2000",
                    "--debounce-ms",
                    "50",
                ];
                let bin = PathBuf::from(env!("CARGO_BIN_EXE_clearpark"));
                ControllerProcess::spawn(&bin, &args).await.unwrap()
            }
        }
    }

    fn lane(id: &str, direction: Direction, gate: &ControllerProcess) -> LaneConfig {
        LaneConfig {
            id: id.into(),
            name: id.into(),
            direction,
            scanner: ScannerEndpoint::None,
            gate: GateEndpoint::Serial(gate.pty.clone()),
            printer: PrinterEndpoint::None,
        }
    }

    /// Waits until the snapshot shows `ok`.
    async fn until(
        snapshots: &mut watch::Receiver<Snapshot>,
        what: &str,
        ok: impl Fn(&Snapshot) -> bool,
    ) {
        tokio::time::timeout(PATIENCE, snapshots.wait_for(|s| ok(s)))
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
            .unwrap();
    }

    /// A car through a raised barrier: loop, beam, loop clear, beam clear (the firmware's order).
    async fn vehicle(gate: &mut ControllerProcess) {
        let mut relay = gate.relay();
        tokio::time::timeout(PATIENCE, relay.wait_for(|on| *on))
            .await
            .expect("the barrier never rose")
            .unwrap();
        for line in ["presence 1", "beam 1", "presence 0", "beam 0"] {
            gate.control(line).await.unwrap();
            // Longer than the controllers' debounce, so each level is seen.
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    pub async fn run(kind: super::Kind) {
        let (mut entrance, mut exit) = (controller(kind).await, controller(kind).await);
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("booth.db");
        let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
        let store = Store::open(&db).unwrap();
        crate::support::priced(store.conn(), RES_GUID, "0.05", t0);
        let account = NewAccount {
            name: "Firmware".into(),
            ..NewAccount::default()
        };
        let account =
            seed::account_with_code(store.conn(), &account, &NewCode::given("FW-CODE-1"), t0)
                .unwrap()
                .account;
        let config = Config {
            booth: BoothSettings {
                name: "Firmware".into(),
                timezone: chrono_tz::UTC,
                database: db.clone(),
                db_structure: DbStructure::Saphasap,
                res_guid: RES_GUID.into(),
                capacity: None,
                entrance_tries: 3,
                exit_tries: 3,
                lost_ticket_fee: "10".parse().unwrap(),
            },
            resource: None,
            lanes: vec![
                lane("in-1", Direction::Entrance, &entrance),
                lane("out-1", Direction::Exit, &exit),
            ],
            api: None,
            nwave: None,
            tariffs: Default::default(),
        };
        let clock = ManualClock::new(t0);
        let running = Running::start(
            &config,
            store,
            Box::new(clock.clone()),
            DeviceOptions::default(),
        )
        .unwrap();
        let client = running.client();
        let mut snapshots = running.snapshots();
        until(&mut snapshots, "both gates online", |s| {
            s.lanes.iter().all(|l| l.gate.online == Some(true))
        })
        .await;

        let decided = client
            .scan("in-1", "FW-CODE-1", ScanSource::Scanner)
            .await
            .unwrap();
        let ScanOutcome::Entered { session, .. } = decided.outcome else {
            panic!("{decided:?}")
        };
        vehicle(&mut entrance).await;
        until(&mut snapshots, "the entrance cycle to end", |s| {
            s.lanes[0].pending.is_empty()
        })
        .await;
        let reader = Store::open_read_only(&db).unwrap();
        assert_eq!(
            sessions::get(reader.conn(), session.id)
                .unwrap()
                .unwrap()
                .state,
            SessionState::Active
        );

        clock.advance(TimeDelta::seconds(435));
        let decided = client
            .scan("out-1", "FW-CODE-1", ScanSource::Scanner)
            .await
            .unwrap();
        let ScanOutcome::Exited { quote, .. } = decided.outcome else {
            panic!("{decided:?}")
        };
        assert_eq!(quote.total.to_string(), "0.40");
        vehicle(&mut exit).await;
        until(&mut snapshots, "the exit cycle to end", |s| {
            s.lanes[1].pending.is_empty()
        })
        .await;
        let closed = sessions::get(reader.conn(), session.id).unwrap().unwrap();
        assert_eq!(closed.state, SessionState::Closed);
        assert_eq!(closed.receipt_no, Some(1));
        let count = |sql: &str| -> i64 { reader.conn().query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(
            count(r#"SELECT COUNT(*) FROM tbl_dk_attendance WHERE "AttTypeId" = 1"#),
            1
        );
        assert_eq!(
            count(r#"SELECT COUNT(*) FROM tbl_dk_attendance WHERE "AttTypeId" = 2"#),
            1
        );
        assert_eq!(count("SELECT COUNT(*) FROM receipt"), 1);
        let charged = accounts::get(reader.conn(), account.id)
            .unwrap()
            .unwrap()
            .trans_total;
        assert_eq!(charged.to_string(), "0.40");
        assert_eq!(snapshots.borrow().occupied, 0);
        running.stop().await;
    }
}
