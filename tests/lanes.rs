//! Lanes on real serial devices: the console (booth and devices, as `clearpark run` starts
//! them) on a real SQLite file, its scanners, gate controllers and receipt printer on real
//! pseudo-terminals whose other ends the test plays.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use clearpark_testkit as support;

use chrono::TimeDelta;
use clearpark::booth::clock::ManualClock;
use clearpark::booth::{LaneView, Snapshot};
use clearpark::config::{GateEndpoint, LaneConfig, PrinterEndpoint, ScannerEndpoint};
use clearpark::devices::DeviceOptions;
use clearpark::devices::gate::protocol::Command;
use clearpark::domain::session::{Direction, SessionState};
use clearpark::runtime::Running;
use clearpark::store::{Store, sessions};
use support::escpos;
use support::pty::{DevLink, GateEnd, PATIENCE, PrinterEnd, ScannerEnd};
use support::{IN, OUT, RES_GUID, t0};

/// A running console with both lanes' devices on ptys.
struct Rig {
    dir: tempfile::TempDir,
    clock: ManualClock,
    running: Running,
    in_gate: GateEnd,
    in_scanner: ScannerEnd,
    out_gate: GateEnd,
    out_scanner: ScannerEnd,
    printer: PrinterEnd,
    in_gate_link: DevLink,
    in_scanner_link: DevLink,
}

impl Rig {
    async fn start() -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let links: Vec<DevLink> = ["in-gate", "in-scanner", "out-gate", "out-scanner"]
            .iter()
            .map(|n| DevLink::new(dir.path(), n))
            .collect();
        let (in_gate, in_scanner) = (GateEnd::open(), ScannerEnd::open());
        let (out_gate, out_scanner) = (GateEnd::open(), ScannerEnd::open());
        let printer = PrinterEnd::open();
        links[0].point_to(&in_gate.path);
        links[1].point_to(&in_scanner.path);
        links[2].point_to(&out_gate.path);
        links[3].point_to(&out_scanner.path);
        let lane = |id: &str, direction, gate: &DevLink, scanner: &DevLink, printer| LaneConfig {
            id: id.into(),
            name: id.into(),
            direction,
            scanner: ScannerEndpoint::Serial(scanner.path.clone()),
            gate: GateEndpoint::Serial(gate.path.clone()),
            printer,
        };
        let mut config = support::config(dir.path().join("booth.db"));
        config.lanes = vec![
            lane(
                IN,
                Direction::Entrance,
                &links[0],
                &links[1],
                PrinterEndpoint::None,
            ),
            lane(
                OUT,
                Direction::Exit,
                &links[2],
                &links[3],
                PrinterEndpoint::Serial(printer.path.clone()),
            ),
        ];
        let store = Store::open(&config.booth.database).unwrap();
        support::priced(store.conn(), RES_GUID, "0.05", t0());
        let clock = ManualClock::new(t0());
        let running = Running::start(
            &config,
            store,
            Box::new(clock.clone()),
            DeviceOptions::default(),
        )
        .unwrap();
        let mut links = links.into_iter();
        let (in_gate_link, in_scanner_link) = (links.next().unwrap(), links.next().unwrap());
        let rig = Rig {
            dir,
            clock,
            running,
            in_gate,
            in_scanner,
            out_gate,
            out_scanner,
            printer,
            in_gate_link,
            in_scanner_link,
        };
        rig.wait(|s| {
            s.lanes
                .iter()
                .all(|l| l.gate.online == Some(true) && l.scanner_online == Some(true))
        })
        .await;
        rig
    }

    /// A read-only connection to the booth's database, as another process would have.
    fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open_with_flags(
            self.dir.path().join("booth.db"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap()
    }

    /// An active account with a device; returns (account id, code).
    fn account(&self, name: &str) -> (i64, String) {
        let conn = rusqlite::Connection::open(self.dir.path().join("booth.db")).unwrap();
        let holder = support::driver(&conn, name);
        (holder.account.id, holder.device.unique_id)
    }

    fn session(&self, account_id: i64) -> clearpark::domain::model::Session {
        let id: i64 = self
            .db()
            .query_row(
                r#"SELECT id FROM parking_session WHERE "RpAccId" = ?1 ORDER BY id DESC LIMIT 1"#,
                [account_id],
                |r| r.get(0),
            )
            .unwrap();
        sessions::get(&self.db(), id).unwrap().unwrap()
    }

    async fn wait(&self, done: impl Fn(&Snapshot) -> bool) -> Snapshot {
        let mut snapshots = self.running.snapshots();
        tokio::time::timeout(PATIENCE, snapshots.wait_for(|s| done(s)))
            .await
            .expect("the booth never got there")
            .unwrap()
            .clone()
    }

    async fn wait_lane(&self, lane: &str, done: impl Fn(&LaneView) -> bool) -> Snapshot {
        self.wait(|s| s.lanes.iter().any(|l| l.id == lane && done(l)))
            .await
    }
}

fn open_seq(command: Command) -> u16 {
    match command {
        Command::Open(seq) => seq,
        other => panic!("expected OPEN, got {other}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scan_opens_the_gate_only_after_the_attendance_is_committed_and_passed_activates() {
    let mut rig = Rig::start().await;
    let (account, code) = rig.account("ayna");
    rig.in_scanner.scan(&code);
    let seq = open_seq(rig.in_gate.next_command().await);
    // The OPEN is on the wire: the attendance and the session are already on disk.
    let (rows, att_type): (i64, i64) = rig
        .db()
        .query_row(
            r#"SELECT COUNT(*), MAX("AttTypeId") FROM tbl_dk_attendance WHERE "RpAccId" = ?1"#,
            [account],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((rows, att_type), (1, 1));
    assert_eq!(rig.session(account).state, SessionState::Entering);
    rig.in_gate.send(&format!("ACK {seq}"));
    rig.in_gate.send("EVT OPENED");
    rig.in_gate.send("EVT PASSED");
    rig.wait_lane(IN, |l| l.pending.is_empty()).await;
    assert_eq!(rig.session(account).state, SessionState::Active);
    rig.running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_timeout_spends_a_try_and_leaves_the_session_entering() {
    let mut rig = Rig::start().await;
    let (account, code) = rig.account("merdan");
    rig.in_scanner.scan(&code);
    let seq = open_seq(rig.in_gate.next_command().await);
    rig.in_gate.send(&format!("ACK {seq}"));
    rig.wait_lane(IN, |l| !l.pending.is_empty()).await;
    rig.in_gate.send("EVT TIMEOUT");
    rig.wait_lane(IN, |l| l.pending.is_empty()).await;
    let session = rig.session(account);
    assert_eq!(session.state, SessionState::Entering);
    assert_eq!(session.entrance_remaining_tries, 2);
    rig.running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_ack_is_resent_with_the_same_seq_and_a_bad_checksum_is_ignored() {
    let mut rig = Rig::start().await;
    let (account, code) = rig.account("gulshat");
    rig.in_scanner.scan(&code);
    let seq = open_seq(rig.in_gate.next_command().await);
    // No answer: the same command, the same seq.
    assert_eq!(rig.in_gate.next_command().await, Command::Open(seq));
    // An ACK with a bad checksum counts for nothing: sent again.
    rig.in_gate.send_raw(format!("ACK {seq}*00\n").as_bytes());
    assert_eq!(rig.in_gate.next_command().await, Command::Open(seq));
    rig.in_gate.send(&format!("ACK {seq}"));
    // A PASSED with a bad checksum is not acted on; the valid line after it is.
    rig.in_gate.send_raw(b"EVT PASSED*00\n");
    rig.in_gate.send_raw(b"EVT PASSED*5a\n");
    rig.in_gate.send("EVT PRESENCE 1");
    let s = rig.wait_lane(IN, |l| l.gate.presence).await;
    let lane = s.lanes.iter().find(|l| l.id == IN).unwrap();
    assert_eq!(
        lane.pending.len(),
        1,
        "the bad PASSED must not end the cycle"
    );
    assert_eq!(rig.session(account).state, SessionState::Entering);
    rig.in_gate.send("EVT PASSED");
    rig.wait_lane(IN, |l| l.pending.is_empty()).await;
    assert_eq!(rig.session(account).state, SessionState::Active);
    // The next command takes the next seq (after any PINGs, which were answered).
    let (_, code2) = rig.account("serdar");
    rig.in_scanner.scan(&code2);
    let mut next = rig.in_gate.next_command().await;
    while next == Command::Open(seq) {
        // A resend that crossed our ACK on a slow machine.
        next = rig.in_gate.next_command().await;
    }
    assert_ne!(open_seq(next), seq);
    rig.running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unplugged_gate_shows_offline_and_comes_back_when_plugged_in_again() {
    let mut rig = Rig::start().await;
    // Unplug: the pty goes away and the device path with it.
    let gate = std::mem::replace(&mut rig.in_gate, GateEnd::open());
    gate.close();
    rig.in_gate_link.remove();
    rig.wait_lane(IN, |l| l.gate.online == Some(false)).await;
    // A scan meanwhile opens nothing; its cycle ends without spending a try.
    let (account, code) = rig.account("jeren");
    rig.in_scanner.scan(&code);
    rig.wait(|s| s.lanes.iter().any(|l| l.id == IN && l.pending.is_empty()) && s.occupied == 1)
        .await;
    let session = rig.session(account);
    assert_eq!(
        (session.state, session.entrance_remaining_tries),
        (SessionState::Entering, 3)
    );
    // Plug a controller back in at the same path: the console reopens and greets it.
    rig.in_gate_link.point_to(&rig.in_gate.path);
    rig.wait_lane(IN, |l| l.gate.online == Some(true)).await;
    // The same driver scans again (after the 2 s repeat window) and the gate opens.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    rig.in_scanner.scan(&code);
    open_seq(rig.in_gate.next_command().await);
    rig.running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unplugged_scanner_shows_offline_and_comes_back() {
    let mut rig = Rig::start().await;
    let old = std::mem::replace(&mut rig.in_scanner, ScannerEnd::open());
    drop(old);
    rig.in_scanner_link.remove();
    rig.wait_lane(IN, |l| l.scanner_online == Some(false)).await;
    rig.in_scanner_link.point_to(&rig.in_scanner.path);
    rig.wait_lane(IN, |l| l.scanner_online == Some(true)).await;
    let (_, code) = rig.account("dowlet");
    rig.in_scanner.scan(&code);
    open_seq(rig.in_gate.next_command().await);
    rig.running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn repeats_and_garbage_from_the_scanner() {
    let mut rig = Rig::start().await;
    let (account, code) = rig.account("maysa");
    // The same code three times within 2 s, split across writes and line ends: one scan.
    rig.in_scanner.write(format!("{code}\r").as_bytes());
    rig.in_scanner
        .write(format!("\n{code}\n{code}\r").as_bytes());
    // A line far over 512 bytes: refused as invalid, memory bounded.
    rig.in_scanner.write(&vec![b'X'; 100_000]);
    rig.in_scanner.write(b"\r\n");
    let s = rig.wait(|s| s.refused_scans == 1).await;
    assert_eq!(s.refused_scans, 1);
    let seq = open_seq(rig.in_gate.next_command().await);
    rig.in_gate.send(&format!("ACK {seq}"));
    rig.in_gate.send("EVT PASSED");
    rig.wait_lane(IN, |l| l.pending.is_empty()).await;
    let rows: i64 = rig
        .db()
        .query_row(
            r#"SELECT COUNT(*) FROM tbl_dk_attendance WHERE "RpAccId" = ?1"#,
            [account],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(rows, 1);
    assert_eq!(rig.session(account).state, SessionState::Active);
    rig.running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_exit_prints_a_receipt_with_the_total_a_qr_of_its_id_and_a_cut() {
    let mut rig = Rig::start().await;
    let (account, code) = rig.account("batyr");
    rig.in_scanner.scan(&code);
    let seq = open_seq(rig.in_gate.next_command().await);
    rig.in_gate.send(&format!("ACK {seq}"));
    rig.in_gate.send("EVT PASSED");
    rig.wait_lane(IN, |l| l.pending.is_empty()).await;
    // 7 min 15 s later: 8 minutes at 0.05.
    rig.clock.advance(TimeDelta::seconds(435));
    rig.out_scanner.scan(&code);
    let seq = open_seq(rig.out_gate.next_command().await);
    rig.out_gate.send(&format!("ACK {seq}"));
    let cut = [0x1d, b'V', b'A'];
    let bytes = rig
        .printer
        .wait_for(|b| b.windows(3).any(|w| w == cut))
        .await;
    let jobs = escpos::jobs(escpos::tokenize(&bytes));
    assert_eq!(jobs.len(), 1);
    let receipt = &jobs[0];
    assert_eq!(receipt.first(), Some(&escpos::Token::Init));
    assert_eq!(receipt.last(), Some(&escpos::Token::Cut), "ends with a cut");
    let lines = escpos::lines(receipt);
    let total = lines
        .iter()
        .find(|l| l.starts_with("TOTAL"))
        .expect("a TOTAL line");
    assert!(total.ends_with(" 0.40 TMT"), "{total:?}");
    // The tariff and how it reached the total, line by line.
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Tariff") && l.ends_with(" standard v1")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Every: 8 × 1 min at 0.05") && l.ends_with(" 0.40 TMT")),
        "{lines:?}"
    );
    let guid: String = rig
        .db()
        .query_row("SELECT guid FROM receipt WHERE receipt_no = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(escpos::printed_qr_codes(receipt), [guid]);
    assert!(receipt.contains(&escpos::Token::QrModel(50)), "QR Model 2");
    rig.out_gate.send("EVT PASSED");
    rig.wait_lane(OUT, |l| l.pending.is_empty()).await;
    assert_eq!(rig.session(account).state, SessionState::Closed);
    rig.running.stop().await;
}
