//! Tariffs end to end (docs/tariffs.md): the posted board (docs/board.toml) on a real SQLite
//! file, through the booth's lanes and through the HTTP API: which tariff a stay enters under,
//! the receipt's breakdown, the account's RpAccTransTotal, versions, validations, the lost-ticket
//! rule and the exit grace.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use clearpark_testkit as support;

use chrono::TimeDelta;
use clearpark::booth::clock::Clock;
use clearpark::booth::{AttendantCommand, AttendantDone, GateSignal, ScanOutcome};
use clearpark::domain::receipt::{PaymentMethod, Receipt};
use clearpark::domain::session::{Refusal, SessionState};
use clearpark::domain::tariff::{Board, Grant};
use clearpark::store::{Store, receipts, sessions, tariffs, validations};
use support::*;

const BOARD: &str = include_str!("../docs/board.toml");

/// A booth whose database took the posted board; the resource costs 0.05 a minute.
fn booth() -> TestBooth {
    TestBooth::with("0.05", |c| c.tariffs = Board::from_toml(BOARD).unwrap())
}

/// An account that entered at t0 (15:00 in Ashgabat) and whose car went through.
fn parked(b: &mut TestBooth, name: &str) -> (i64, String) {
    let (account, code) = b.account(name);
    b.scan(IN, code.as_bytes());
    b.gate(IN, GateSignal::Passed);
    (account, code)
}

fn receipt_text(r: &Receipt) -> String {
    r.document(chrono_tz::Asia::Ashgabat)
        .plain_text()
        .join("\n")
}

fn set_account(b: &TestBooth, account: i64, column: &str, value: i64) {
    b.conn()
        .execute(
            &format!(r#"UPDATE tbl_dk_rp_acc SET "{column}" = ?2 WHERE "RpAccId" = ?1"#),
            [account, value],
        )
        .unwrap();
}

#[test]
fn an_account_pays_the_visitor_board_and_the_receipt_explains_it() {
    let mut b = booth();
    let (account, code) = parked(&mut b, "aman");
    let session = sessions::open_for_account(b.conn(), account)
        .unwrap()
        .unwrap();
    let v1 = tariffs::in_force(b.conn(), "visitor", t0())
        .unwrap()
        .unwrap();
    assert_eq!(
        session.tariff_version_id,
        Some(v1.id),
        "fixed at the entrance"
    );

    // 3 h 5 min: 2.00 + 8 × 0.50 + 1 × 1.50 = 7.50.
    b.clock.advance(TimeDelta::minutes(185));
    let (decided, effects) = b.scan(OUT, code.as_bytes());
    let ScanOutcome::Exited { quote, .. } = &decided.outcome else {
        panic!("{decided:?}")
    };
    assert_eq!(quote.total.to_string(), "7.50");
    assert_eq!(quote.tariff.as_ref().unwrap().to_string(), "visitor v1");
    assert_eq!(b.trans_total(account).to_string(), "7.50");
    let text = printed(&effects)[0].document.plain_text().join("\n");
    for line in [
        "Tariff: visitor v1",
        "0–60 min: 1 × 1 h at 2.00: 2.00 TMT",
        "60–180 min: 8 × 15 min at 0.50: 4.00 TMT",
        "From 180 min: 1 × 1 h at 1.50: 1.50 TMT",
        "TOTAL: 7.50 TMT",
    ] {
        assert!(text.contains(line), "{line:?} missing from\n{text}");
    }
    // The stored receipt reprints the same lines.
    let stored = receipts::get(b.conn(), None).unwrap().unwrap();
    assert_eq!(stored.lines, quote.lines);
    assert_eq!(stored.tariff.as_deref(), Some("visitor v1"));
}

#[test]
fn price_group_then_account_type_then_default_choose_the_tariff() {
    let mut b = booth();
    let (staff, staff_code) = b.account("staff");
    set_account(&b, staff, "ResPriceGroupId", 2);
    set_account(&b, staff, "RpAccTypeId", 3);
    let (subscriber, sub_code) = b.account("subscriber");
    set_account(&b, subscriber, "RpAccTypeId", 3);
    for code in [&staff_code, &sub_code] {
        b.scan(IN, code.as_bytes());
        b.gate(IN, GateSignal::Passed);
    }
    let tariff_of = |b: &TestBooth, account| {
        let s = sessions::open_for_account(b.conn(), account)
            .unwrap()
            .unwrap();
        tariffs::version(b.conn(), s.tariff_version_id.unwrap())
            .unwrap()
            .unwrap()
            .tariff
    };
    assert_eq!(tariff_of(&b, staff), "staff");
    assert_eq!(tariff_of(&b, subscriber), "subscriber");
    // Two days: staff pay 1.00 per calendar day touched (3 here), subscribers 3.00 per 24 h.
    b.clock.advance(TimeDelta::hours(48));
    b.scan(OUT, staff_code.as_bytes());
    b.scan(OUT, sub_code.as_bytes());
    assert_eq!(b.trans_total(staff).to_string(), "3.00");
    assert_eq!(b.trans_total(subscriber).to_string(), "6.00");
}

#[test]
fn a_new_version_prices_new_stays_and_leaves_open_ones_on_theirs() {
    let mut b = booth();
    let (early, early_code) = parked(&mut b, "early");
    b.clock.advance(TimeDelta::minutes(5));
    // From now on the first hour costs 3.00.
    let dearer =
        Board::from_toml(&BOARD.replacen("price = \"2.00\"", "price = \"3.00\"", 1)).unwrap();
    let report = tariffs::import(b.conn(), &dearer, Some("TMT"), "test", b.clock.now()).unwrap();
    assert!(
        report.iter().any(|l| l.starts_with("visitor: version 2")),
        "{report:?}"
    );
    let (late, late_code) = parked(&mut b, "late");
    b.clock.advance(TimeDelta::minutes(50));
    b.scan(OUT, early_code.as_bytes());
    b.scan(OUT, late_code.as_bytes());
    assert_eq!(
        b.trans_total(early).to_string(),
        "2.00",
        "entered under version 1"
    );
    assert_eq!(
        b.trans_total(late).to_string(),
        "3.00",
        "entered under version 2"
    );
}

#[test]
fn charged_never_through_and_back_after_the_exit_grace_pays_the_extra_time() {
    let mut b = booth();
    let (account, code) = parked(&mut b, "slow");
    b.clock.advance(TimeDelta::minutes(61));
    b.scan(OUT, code.as_bytes());
    assert_eq!(b.trans_total(account).to_string(), "2.50");
    // Nobody drove through: the gate closed again.
    b.gate(OUT, GateSignal::TimedOut);
    // Within the 15-minute exit grace a scan is a retry: the gate opens, nothing is charged.
    b.clock.advance(TimeDelta::minutes(5));
    let (decided, effects) = b.scan(OUT, code.as_bytes());
    assert!(
        matches!(decided.outcome, ScanOutcome::Exited { retry: true, .. }),
        "{decided:?}"
    );
    assert!(opens_gate(&effects, OUT));
    assert!(printed(&effects).is_empty());
    b.gate(OUT, GateSignal::TimedOut);
    assert_eq!(b.count("receipt"), 1);

    // 20 minutes after the charge: 81 minutes in all, 3.00, of which 2.50 is paid.
    b.clock.advance(TimeDelta::minutes(15));
    let (decided, effects) = b.scan(OUT, code.as_bytes());
    let ScanOutcome::Exited {
        quote,
        retry: false,
        session,
    } = &decided.outcome
    else {
        panic!("{decided:?}")
    };
    assert_eq!(quote.total.to_string(), "0.50");
    assert_eq!(session.total.unwrap().to_string(), "3.00");
    assert_eq!(session.minutes, Some(81));
    assert_eq!(b.trans_total(account).to_string(), "3.00");
    assert!(opens_gate(&effects, OUT));
    let second = receipts::get(b.conn(), None).unwrap().unwrap();
    assert_eq!(second.receipt_no, 2, "the same receipt number chain");
    let text = receipt_text(&second);
    assert!(
        text.contains("Already paid on receipt 000001: -2.50 TMT"),
        "{text}"
    );
    assert!(text.contains("TOTAL: 0.50 TMT"), "{text}");
    b.gate(OUT, GateSignal::Passed);
    let s = sessions::get(b.conn(), session.id).unwrap().unwrap();
    assert_eq!(s.state, SessionState::Closed);
}

#[test]
fn a_ticket_back_after_the_exit_grace_owes_the_extra_time_at_the_booth() {
    let mut b = booth();
    let WalkIn {
        code, session_id, ..
    } = b.walk_in();
    b.clock.advance(TimeDelta::minutes(59));
    let (decided, _) = b.scan(OUT, code.as_bytes());
    assert!(matches!(
        decided.outcome,
        ScanOutcome::AwaitingPayment { .. }
    ));
    b.pay(PaymentMethod::Cash);
    b.gate(OUT, GateSignal::TimedOut);
    b.clock.advance(TimeDelta::minutes(30));
    let (decided, _) = b.scan(OUT, code.as_bytes());
    let ScanOutcome::AwaitingPayment { quote, .. } = &decided.outcome else {
        panic!("{decided:?}")
    };
    // 89 minutes: 2.00 + 2 × 0.50 = 3.00, 2.00 of it paid.
    assert_eq!(quote.total.to_string(), "1.00");
    // A validation typed now prices the stay 10 minutes shorter (79 min: still 3.00), and what
    // was paid stays paid: 1.00 is due, not the whole stay again.
    validations::insert(b.conn(), "VAL-TEN", "Cafe", Grant::FreeMinutes(10), t0()).unwrap();
    let (decided, _) = b.scan(OUT, b"VAL-TEN");
    let ScanOutcome::AwaitingPayment { quote, .. } = &decided.outcome else {
        panic!("{decided:?}")
    };
    assert_eq!(quote.total.to_string(), "1.00");
    assert!(
        quote
            .lines
            .iter()
            .any(|l| l.label == "Already paid on receipt 000001")
    );
    let (receipt_no, total, effects) = b.pay(PaymentMethod::Card);
    assert_eq!((receipt_no, total.to_string()), (2, "1.00".into()));
    assert!(opens_gate(&effects, OUT));
    let s = sessions::get(b.conn(), session_id).unwrap().unwrap();
    assert_eq!(s.total.unwrap().to_string(), "3.00", "what was paid in all");
}

#[test]
fn an_entrance_retried_after_the_exit_grace_starts_a_new_stay() {
    let mut b = booth();
    let (account, code) = b.account("hesitant");
    b.scan(IN, code.as_bytes());
    b.gate(IN, GateSignal::TimedOut);
    let first = sessions::open_for_account(b.conn(), account)
        .unwrap()
        .unwrap();
    // Two days later the same code at the entrance: the abandoned stay is not billed.
    b.clock.advance(TimeDelta::hours(48));
    let (decided, _) = b.scan(IN, code.as_bytes());
    let ScanOutcome::Entered {
        session,
        retry: false,
    } = &decided.outcome
    else {
        panic!("{decided:?}")
    };
    assert_ne!(session.id, first.id);
    assert_eq!(session.start, b.clock.now());
    let old = sessions::get(b.conn(), first.id).unwrap().unwrap();
    assert_eq!((old.state, old.total), (SessionState::Closed, None));
    b.gate(IN, GateSignal::Passed);
    b.clock.advance(TimeDelta::minutes(30));
    b.scan(OUT, code.as_bytes());
    assert_eq!(
        b.trans_total(account).to_string(),
        "2.00",
        "30 minutes, not two days"
    );
}

#[test]
fn a_shops_validation_scanned_before_the_ticket_takes_its_minutes_off_once() {
    let mut b = booth();
    let shop = validations::insert(
        b.conn(),
        "VAL-BOOKS",
        "Bookshop",
        Grant::FreeMinutes(60),
        t0(),
    )
    .unwrap();
    validations::insert(
        b.conn(),
        "VAL-OLD",
        "Closed shop",
        Grant::PercentOff(50.into()),
        t0(),
    )
    .unwrap();
    validations::set_active(b.conn(), "VAL-OLD", false).unwrap();
    let WalkIn {
        code, session_id, ..
    } = b.walk_in();
    b.clock.advance(TimeDelta::minutes(185));

    // At an entrance a validation means nothing; a disabled code is refused.
    let (decided, _) = b.scan(IN, b"VAL-BOOKS");
    assert_eq!(
        decided.refused().map(Refusal::code),
        Some("validation_refused")
    );
    let (decided, _) = b.scan(OUT, b"VAL-OLD");
    assert_eq!(
        decided.refused().map(Refusal::code),
        Some("validation_refused")
    );
    let (decided, effects) = b.scan(OUT, b"VAL-BOOKS");
    assert!(
        matches!(decided.outcome, ScanOutcome::ValidationHeld { .. }),
        "{decided:?}"
    );
    assert!(effects.is_empty(), "a validation opens nothing");

    // The ticket: 185 minutes less 60 is 125 minutes, 4.50 instead of 7.50.
    let (decided, _) = b.scan(OUT, code.as_bytes());
    let ScanOutcome::AwaitingPayment { quote, .. } = &decided.outcome else {
        panic!("{decided:?}")
    };
    assert_eq!(quote.total.to_string(), "4.50");
    // Once per stay: the same code again is refused and the price stays.
    let (decided, _) = b.scan(OUT, b"VAL-BOOKS");
    assert_eq!(
        decided.refused().map(Refusal::code),
        Some("validation_refused")
    );
    let (_, total, effects) = b.pay(PaymentMethod::Cash);
    assert_eq!(total.to_string(), "4.50");
    let text = printed(&effects)[0].document.plain_text().join("\n");
    assert!(
        text.contains("Validated by Bookshop: 60 min free: -3.00 TMT"),
        "{text}"
    );
    let s = sessions::get(b.conn(), session_id).unwrap().unwrap();
    assert_eq!(s.validation_id, Some(shop.id));
    let audited: i64 = b
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'validation'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audited, 1);
}

#[test]
fn a_validation_typed_while_a_ticket_waits_reprices_it() {
    let mut b = booth();
    validations::insert(
        b.conn(),
        "VAL-CAFE",
        "Cafe",
        Grant::PercentOff(50.into()),
        t0(),
    )
    .unwrap();
    let code = b.walk_in().code;
    b.clock.advance(TimeDelta::minutes(185));
    b.scan(OUT, code.as_bytes());
    let (decided, _) = b.scan(OUT, b"VAL-CAFE");
    let ScanOutcome::AwaitingPayment { quote, .. } = &decided.outcome else {
        panic!("{decided:?}")
    };
    assert_eq!(quote.total.to_string(), "3.75");
    let due = b.booth().snapshot().lanes[1]
        .awaiting_payment
        .clone()
        .unwrap();
    assert_eq!(
        due.quote.total.to_string(),
        "3.75",
        "the payment waiting is the new price"
    );
}

#[test]
fn a_lost_ticket_pays_the_fee_or_the_stay_whichever_is_more() {
    let mut b = booth();
    for (hours, expected) in [(2, "25.00"), (72, "60.00")] {
        let ticket_no = b.walk_in().ticket_no;
        b.clock.advance(TimeDelta::hours(hours));
        let (done, effects) = b.attendant(AttendantCommand::LostTicket {
            lane: OUT.into(),
            ticket_no: Some(ticket_no),
            method: PaymentMethod::Cash,
        });
        let AttendantDone::LostTicketClosed { total, .. } = done.unwrap() else {
            panic!()
        };
        assert_eq!(total.to_string(), expected, "{hours} h");
        b.gate(OUT, GateSignal::Passed);
        let text = printed(&effects)[0].document.plain_text().join("\n");
        assert!(text.contains("Lost ticket: 25.00 or the stay"), "{text}");
    }
}

#[test]
fn a_database_from_before_tariffs_keeps_pricing_its_open_stays_per_minute() {
    let mut b = TestBooth::new("0.05");
    let (account, code) = parked(&mut b, "old");
    // As migrations/3.sql leaves a database: empty tariff tables, no tariff on the stay.
    b.conn()
        .execute_batch(
            "UPDATE parking_session SET tariff_version_id = NULL;
             DELETE FROM tariff_assignment; DELETE FROM tariff_version; DELETE FROM tariff;",
        )
        .unwrap();
    b.restart();
    let s = sessions::open_for_account(b.conn(), account)
        .unwrap()
        .unwrap();
    let standard = tariffs::in_force(b.conn(), "standard", t0())
        .unwrap()
        .unwrap();
    assert_eq!(
        s.tariff_version_id,
        Some(standard.id),
        "recorded as standard v1 at start"
    );
    b.clock.advance(TimeDelta::seconds(435));
    b.scan(OUT, code.as_bytes());
    assert_eq!(
        b.trans_total(account).to_string(),
        "0.40",
        "8 minutes at 0.05, as before"
    );
    drop(Store::open(&b.config.booth.database).unwrap());
}

/// The console as `clearpark run` starts it, with the posted board: a lane pair on real
/// pseudo-terminals (scanners, gate controllers, the exit's receipt printer) and the HTTP API
/// on its own lanes without barriers, all on one booth and one manual clock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_a_lane_and_through_the_api_under_the_posted_board() {
    use clearpark::config::api::Secret;
    use clearpark::config::{
        ApiConfig, GateEndpoint, LaneConfig, PrinterEndpoint, ScannerEndpoint,
    };
    use clearpark::devices::DeviceOptions;
    use clearpark::devices::gate::protocol::Command;
    use clearpark::domain::session::Direction;
    use clearpark::runtime::Running;
    use serde_json::{Value, json};
    use std::sync::Arc;
    use support::pty::{GateEnd, PATIENCE, PrinterEnd, ScannerEnd};

    const TOKEN: &str = "tariff-operator-token-0001";
    let dir = tempfile::tempdir().unwrap();
    let (mut in_gate, mut in_scanner) = (GateEnd::open(), ScannerEnd::open());
    let (mut out_gate, mut out_scanner) = (GateEnd::open(), ScannerEnd::open());
    let printer = PrinterEnd::open();
    let lane = |id: &str, direction, scanner, gate, printer| LaneConfig {
        id: id.into(),
        name: id.into(),
        direction,
        scanner,
        gate,
        printer,
    };
    let mut config = support::config(dir.path().join("booth.db"));
    config.tariffs = Board::from_toml(BOARD).unwrap();
    config.lanes = vec![
        lane(
            IN,
            Direction::Entrance,
            ScannerEndpoint::Serial(in_scanner.path.clone()),
            GateEndpoint::Serial(in_gate.path.clone()),
            PrinterEndpoint::None,
        ),
        lane(
            OUT,
            Direction::Exit,
            ScannerEndpoint::Serial(out_scanner.path.clone()),
            GateEndpoint::Serial(out_gate.path.clone()),
            PrinterEndpoint::Serial(printer.path.clone()),
        ),
        lane(
            "api-in",
            Direction::Entrance,
            ScannerEndpoint::None,
            GateEndpoint::None,
            PrinterEndpoint::None,
        ),
        lane(
            "api-out",
            Direction::Exit,
            ScannerEndpoint::None,
            GateEndpoint::None,
            PrinterEndpoint::None,
        ),
    ];
    let api = ApiConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        "api-in",
        "api-out",
        vec![Secret::new(TOKEN)],
    );
    config.api = Some(api.clone());
    let store = Store::open(&config.booth.database).unwrap();
    support::priced(store.conn(), RES_GUID, "0.05", t0());
    let lane_driver = support::driver(store.conn(), "at-the-lane");
    let app_driver = support::driver(store.conn(), "with-the-app");
    let token =
        clearpark::store::driver_tokens::create(store.conn(), app_driver.account.id, t0()).unwrap();
    let clock = clearpark::booth::clock::ManualClock::new(t0());
    let mut running = Running::start(
        &config,
        store,
        Box::new(clock.clone()),
        DeviceOptions::default(),
    )
    .unwrap();
    let listener = clearpark::api::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = running
        .serve_api(&config, api, Arc::new(clock.clone()), Some(listener))
        .await
        .unwrap();
    let http = support::http_client();
    let db = || {
        rusqlite::Connection::open_with_flags(
            &config.booth.database,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap()
    };
    let acked = |command: Command| match command {
        Command::Open(seq) => format!("ACK {seq}"),
        other => panic!("expected an open, got {other:?}"),
    };

    // Through the lane: in at 15:00 local, out 3 h 5 min later, the receipt on the printer.
    in_scanner.scan(&lane_driver.device.unique_id);
    let ack = acked(in_gate.next_command().await);
    in_gate.send(&ack);
    in_gate.send("EVT PASSED");
    let mut snapshots = running.snapshots();
    tokio::time::timeout(
        PATIENCE,
        snapshots.wait_for(|s| s.occupied == 1 && s.lanes[0].pending.is_empty()),
    )
    .await
    .expect("the car never went in")
    .unwrap();
    clock.advance(TimeDelta::minutes(185));
    out_scanner.scan(&lane_driver.device.unique_id);
    let ack = acked(out_gate.next_command().await);
    out_gate.send(&ack);
    let cut = [0x1d, b'V', b'A'];
    let bytes = printer.wait_for(|b| b.windows(3).any(|w| w == cut)).await;
    let jobs = support::escpos::jobs(support::escpos::tokenize(&bytes));
    let lines = support::escpos::lines(&jobs[0]);
    for (start, end) in [
        ("Tariff", " visitor v1"),
        ("0–60 min: 1 × 1 h at 2.00", " 2.00 TMT"),
        ("60–180 min: 8 × 15 min at 0.50", " 4.00 TMT"),
        ("From 180 min: 1 × 1 h at 1.50", " 1.50 TMT"),
        ("TOTAL", " 7.50 TMT"),
    ] {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(start) && l.ends_with(end)),
            "{start} … {end} missing from {lines:?}"
        );
    }
    let (version, total): (String, String) = db()
        .query_row(
            r#"SELECT t.name || ' v' || v.version, a."RpAccTransTotal" FROM parking_session s
               JOIN tariff_version v ON v.id = s.tariff_version_id JOIN tariff t ON t.id = v.tariff_id
               JOIN tbl_dk_rp_acc a ON a."RpAccId" = s."RpAccId" WHERE s."RpAccId" = ?1"#,
            [lane_driver.account.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((version.as_str(), total.as_str()), ("visitor v1", "7.50"));

    // Through the API: the driver's app enters, watches its price, and leaves 61 minutes on.
    let find = |kind: &'static str| {
        let http = http.clone();
        let code = app_driver.device.unique_id.clone();
        async move {
            let res = http
                .post(format!("http://{addr}/find-device/?type={kind}"))
                .bearer_auth(TOKEN)
                .json(&json!({"data": code}))
                .send()
                .await
                .unwrap();
            res.json::<Value>().await.unwrap()
        }
    };
    let body = find("entrance").await;
    assert_eq!(body["status"], 1, "{body}");
    assert_eq!(body["data"]["Parking"]["Tariff"], "visitor");
    assert_eq!(body["data"]["Parking"]["TariffVersion"], 1);
    clock.advance(TimeDelta::minutes(61));
    let current: Value = http
        .get(format!(
            "http://{addr}/api/car_driver/parking_sessions/current"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        current["amount"], "2.50",
        "the driver's app follows the tariff: {current}"
    );
    let body = find("exit").await;
    let parking = &body["data"]["Parking"];
    assert_eq!(parking["TotalPrice"], "2.50", "{body}");
    assert_eq!(parking["Minutes"], 61);
    assert_eq!(
        parking["Breakdown"],
        json!([
            {"kind": "period", "label": "0–60 min: 1 × 1 h at 2.00", "count": 1, "amount": "2.00"},
            {"kind": "period", "label": "60–180 min: 1 × 15 min at 0.50", "count": 1, "amount": "0.50"}
        ])
    );
    assert_eq!(body["data"]["RpAccTransTotal"], "2.50");
    let board: Value = http
        .get(format!("http://{addr}/clearpark/tariffs/"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = board["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["staff", "subscriber", "visitor"]);
    running.stop().await;
}
