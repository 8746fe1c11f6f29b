//! The booth's flows on a real SQLite file: every scan, gate and attendant flow, and the rows
//! each one writes (or does not write).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use clearpark_testkit as support;

use chrono::TimeDelta;
use clearpark::booth::{
    AttendantCommand, AttendantDone, AttendantError, GateOverride, GateSignal, PrintKind,
    ScanOutcome,
};
use clearpark::domain::receipt::{Line, PaymentMethod};
use clearpark::domain::session::{Direction, Refusal, SessionState};
use clearpark::store::{DbStructure, receipts, sessions};
use support::*;

fn state_of(b: &TestBooth, session_id: i64) -> SessionState {
    sessions::get(b.conn(), session_id).unwrap().unwrap().state
}

#[test]
fn entrance_writes_attendance_and_session_then_opens_the_gate() {
    let mut b = TestBooth::new("0.05");
    let (account, code) = b.account("ayna");
    let (decided, effects) = b.scan(IN, code.as_bytes());
    let ScanOutcome::Entered { session, retry } = &decided.outcome else {
        panic!("{decided:?}")
    };
    assert!(!retry);
    assert_eq!(session.state, SessionState::Entering);
    assert_eq!(session.start, t0());
    assert!(opens_gate(&effects, IN));
    // The attendance row, exactly as the reference lays it out.
    let (att_type, acc, date, guid): (i64, i64, String, String) = b
        .conn()
        .query_row(
            r#"SELECT "AttTypeId", "RpAccId", "AttDate", "AttGuid" FROM tbl_dk_attendance"#,
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!((att_type, acc), (1, account));
    assert_eq!(date, "2026-11-23 10:00:00");
    assert!(uuid::Uuid::parse_str(&guid).is_ok());
    assert_eq!(b.count("tbl_mg_arap_attandence"), 0);
    // The car through: active.
    b.gate(IN, GateSignal::Passed);
    assert_eq!(state_of(&b, session.id), SessionState::Active);
    assert_eq!(b.booth().snapshot().occupied, 1);
}

#[test]
fn exit_prices_charges_prints_and_closes_after_passing() {
    let mut b = TestBooth::new("0.05");
    let (account, code) = b.account("merdan");
    let (decided, _) = b.scan(IN, code.as_bytes());
    let id = decided.session().unwrap().id;
    b.gate(IN, GateSignal::Passed);
    b.clock.advance(TimeDelta::seconds(435));
    let (decided, effects) = b.scan(OUT, code.as_bytes());
    let ScanOutcome::Exited {
        session,
        quote,
        retry: false,
    } = &decided.outcome
    else {
        panic!("{decided:?}")
    };
    assert_eq!(quote.billed_minutes, 8);
    assert_eq!(quote.total.to_string(), "0.40");
    assert_eq!(session.state, SessionState::Exiting);
    assert_eq!(session.receipt_no, Some(1));
    assert_eq!(session.total.unwrap().to_string(), "0.40");
    assert_eq!(session.payment_method, Some(PaymentMethod::Account));
    assert_eq!(b.trans_total(account).to_string(), "0.40");
    assert!(opens_gate(&effects, OUT));
    let jobs = printed(&effects);
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].kind, PrintKind::Receipt);
    let text = jobs[0].document.plain_text().join("\n");
    assert!(text.contains("TOTAL: 0.40 TMT"), "{text}");
    assert!(text.contains("Entry: 2026-11-23 15:00:00 +05"), "{text}");
    let exit_type: i64 = b
        .conn()
        .query_row(
            r#"SELECT "AttTypeId" FROM tbl_dk_attendance ORDER BY "AttId" DESC LIMIT 1"#,
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(exit_type, 2);
    b.gate(OUT, GateSignal::Passed);
    assert_eq!(state_of(&b, id), SessionState::Closed);
    let snap = b.booth().snapshot();
    assert_eq!(snap.occupied, 0);
    assert_eq!(snap.revenue_today.total().to_string(), "0.40");
    // Out and in again: a new session, and the charges add up.
    b.scan(IN, code.as_bytes());
    b.gate(IN, GateSignal::Passed);
    b.clock.advance(TimeDelta::seconds(61));
    b.scan(OUT, code.as_bytes());
    assert_eq!(b.trans_total(account).to_string(), "0.50");
}

#[test]
fn a_gate_that_closes_empty_spends_a_try_and_reopens_without_new_rows() {
    let mut b = TestBooth::new("0.05");
    let (_, code) = b.account("serdar");
    let (decided, _) = b.scan(IN, code.as_bytes());
    let id = decided.session().unwrap().id;
    for left in [2, 1, 0] {
        b.gate(IN, GateSignal::TimedOut);
        let s = sessions::get(b.conn(), id).unwrap().unwrap();
        assert_eq!(
            (s.state, s.entrance_remaining_tries),
            (SessionState::Entering, left)
        );
        let before = b.dump();
        let (decided, effects) = b.scan(IN, code.as_bytes());
        if left > 0 {
            assert!(matches!(
                decided.outcome,
                ScanOutcome::Entered { retry: true, .. }
            ));
            assert!(opens_gate(&effects, IN));
        } else {
            assert_eq!(decided.refused(), Some(&Refusal::NoTriesLeft));
            assert!(effects.is_empty());
        }
        assert_eq!(b.dump(), before, "a retry writes nothing");
    }
    assert_eq!(b.count("tbl_dk_attendance"), 1);
}

#[test]
fn exit_timeout_keeps_the_charge_and_retries_without_charging_again() {
    let mut b = TestBooth::new("1.00");
    let (account, code) = b.account("jeren");
    b.scan(IN, code.as_bytes());
    b.gate(IN, GateSignal::Passed);
    b.clock.advance(TimeDelta::minutes(10));
    let (decided, _) = b.scan(OUT, code.as_bytes());
    let id = decided.session().unwrap().id;
    b.gate(OUT, GateSignal::TimedOut);
    let s = sessions::get(b.conn(), id).unwrap().unwrap();
    assert_eq!(
        (s.state, s.exit_remaining_tries),
        (SessionState::Exiting, 2)
    );
    b.clock.advance(TimeDelta::minutes(5));
    let (decided, effects) = b.scan(OUT, code.as_bytes());
    let ScanOutcome::Exited {
        quote, retry: true, ..
    } = &decided.outcome
    else {
        panic!("{decided:?}")
    };
    assert_eq!(
        quote.total.to_string(),
        "10.00",
        "the price charged, not a new one"
    );
    assert!(opens_gate(&effects, OUT));
    assert!(printed(&effects).is_empty(), "no second receipt");
    assert_eq!(b.trans_total(account).to_string(), "10.00");
    assert_eq!(b.count("receipt"), 1);
    b.gate(OUT, GateSignal::Passed);
    assert_eq!(state_of(&b, id), SessionState::Closed);
}

#[test]
fn refusals_change_nothing_and_say_why() {
    let mut b = TestBooth::new("0.05");
    let (_, inside) = b.account("inside");
    let (_, outside) = b.account("outside");
    let (blocked_id, blocked) = b.account("blocked");
    b.conn()
        .execute(
            r#"UPDATE tbl_dk_rp_acc SET "RpAccStatusId" = 2 WHERE "RpAccId" = ?1"#,
            [blocked_id],
        )
        .unwrap();
    let (_, deleted) = b.account("deleted");
    b.conn()
        .execute(
            r#"UPDATE tbl_dk_device SET "GCRecord" = 1 WHERE "DevUniqueId" = ?1"#,
            [&deleted],
        )
        .unwrap();
    b.scan(IN, inside.as_bytes());
    b.gate(IN, GateSignal::Passed);

    let long = vec![b'A'; 600];
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (IN, inside.clone().into_bytes(), "already_inside"),
        (OUT, outside.clone().into_bytes(), "not_inside"),
        (IN, blocked.into_bytes(), "blocked_account"),
        (IN, deleted.into_bytes(), "unknown_code"),
        (IN, b"no-such-code".to_vec(), "unknown_code"),
        (
            IN,
            b"'; DROP TABLE tbl_dk_device; --".to_vec(),
            "unknown_code",
        ),
        (IN, b"evil\x1b[2Jcode".to_vec(), "invalid_code"),
        (IN, long, "invalid_code"),
        (IN, vec![0xff, 0xfe], "invalid_code"),
        (IN, b"".to_vec(), "invalid_code"),
        ("nowhere", inside.clone().into_bytes(), "unknown_lane"),
    ];
    for (lane, code, reason) in cases {
        let before = b.dump();
        let (decided, effects) = b.scan(lane, &code);
        let refusal = decided.refused().unwrap_or_else(|| panic!("{decided:?}"));
        assert_eq!(
            refusal.code(),
            reason,
            "{:?}",
            String::from_utf8_lossy(&code)
        );
        assert!(!refusal.to_string().is_empty());
        assert!(effects.is_empty());
        assert_eq!(b.dump(), before, "refused {reason} wrote something");
    }
    assert_eq!(b.booth().snapshot().refused_scans, 11);
}

#[test]
fn a_device_is_found_by_its_guid_too() {
    let mut b = TestBooth::new("0.05");
    let (account, _) = b.account("guid");
    let guid: String = b
        .conn()
        .query_row(
            r#"SELECT "DevGuid" FROM tbl_dk_device WHERE "RpAccId" = ?1"#,
            [account],
            |r| r.get(0),
        )
        .unwrap();
    let (decided, _) = b.scan(IN, guid.as_bytes());
    assert!(matches!(decided.outcome, ScanOutcome::Entered { .. }));
}

#[test]
fn walk_in_ticket_pays_at_the_exit_before_the_gate_opens() {
    let mut b = TestBooth::new("0.05");
    let (done, effects) = b.attendant(AttendantCommand::IssueTicket { lane: IN.into() });
    let AttendantDone::TicketIssued {
        ticket_no,
        code,
        session_id,
    } = done.unwrap()
    else {
        panic!()
    };
    assert_eq!(ticket_no, 1);
    let jobs = printed(&effects);
    assert_eq!(jobs[0].kind, PrintKind::Ticket);
    assert!(jobs[0].document.lines.contains(&Line::Qr(code.clone())));
    assert!(opens_gate(&effects, IN));
    b.gate(IN, GateSignal::Passed);
    assert_eq!(state_of(&b, session_id), SessionState::Active);

    b.clock.advance(TimeDelta::seconds(125));
    let (decided, effects) = b.scan(OUT, code.as_bytes());
    let ScanOutcome::AwaitingPayment { quote, .. } = &decided.outcome else {
        panic!("{decided:?}")
    };
    assert_eq!(quote.total.to_string(), "0.15");
    assert!(effects.is_empty(), "no gate before payment");
    assert_eq!(b.count("receipt"), 0);
    assert!(b.booth().snapshot().lanes[1].awaiting_payment.is_some());

    let (done, _) = b.attendant(AttendantCommand::RecordPayment {
        lane: OUT.into(),
        method: PaymentMethod::Account,
    });
    assert_eq!(done.unwrap_err(), AttendantError::CashOrCardOnly);
    b.clock.advance(TimeDelta::seconds(30));
    let (done, effects) = b.attendant(AttendantCommand::RecordPayment {
        lane: OUT.into(),
        method: PaymentMethod::Cash,
    });
    let AttendantDone::Paid {
        receipt_no, total, ..
    } = done.unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (receipt_no, total.to_string()),
        (1, "0.15".into()),
        "the quoted price"
    );
    assert!(opens_gate(&effects, OUT));
    assert_eq!(printed(&effects)[0].kind, PrintKind::Receipt);
    b.gate(OUT, GateSignal::Passed);
    assert_eq!(state_of(&b, session_id), SessionState::Closed);
    let snap = b.booth().snapshot();
    assert!(snap.lanes[1].awaiting_payment.is_none());
    let cash = snap
        .revenue_today
        .by_method
        .iter()
        .find(|(m, _, _)| *m == PaymentMethod::Cash)
        .unwrap();
    assert_eq!((cash.1, cash.2.to_string()), (1, "0.15".into()));
    // The used ticket opens nothing any more.
    let (decided, _) = b.scan(OUT, code.as_bytes());
    assert_eq!(decided.refused(), Some(&Refusal::TicketUsed));
    let (decided, _) = b.scan(IN, code.as_bytes());
    assert_eq!(decided.refused(), Some(&Refusal::TicketUsed));
    // No attendance rows for walk-ins: they have no account.
    assert_eq!(b.count("tbl_dk_attendance"), 0);
}

#[test]
fn lost_ticket_is_closed_at_the_fee_and_audited() {
    let mut b = TestBooth::new("0.05");
    let (done, _) = b.attendant(AttendantCommand::IssueTicket { lane: IN.into() });
    let AttendantDone::TicketIssued {
        ticket_no,
        session_id,
        ..
    } = done.unwrap()
    else {
        panic!()
    };
    b.gate(IN, GateSignal::Passed);
    // 30 hours at 0.05 a minute is 90.00: more than the 20.00 fee, so a lost ticket pays the
    // stay (the standard tariff's rule is the fee or the stay, whichever is more).
    b.clock.advance(TimeDelta::hours(30));
    let (done, effects) = b.attendant(AttendantCommand::LostTicket {
        lane: OUT.into(),
        ticket_no: Some(ticket_no),
        method: PaymentMethod::Card,
    });
    let AttendantDone::LostTicketClosed { total, .. } = done.unwrap() else {
        panic!()
    };
    assert_eq!(total.to_string(), "90.00");
    assert!(opens_gate(&effects, OUT));
    let text = printed(&effects)[0].document.plain_text().join("\n");
    assert!(
        text.contains("Lost ticket: 20.00 or the stay, whichever is more: 0.00 TMT"),
        "{text}"
    );
    let s = sessions::get(b.conn(), session_id).unwrap().unwrap();
    assert!(s.lost_ticket);
    assert_eq!(s.payment_method, Some(PaymentMethod::Card));
    assert_eq!(b.count("audit_log"), 1);
    // Unknown ticket: the booth records one and closes it at the fee.
    let (done, _) = b.attendant(AttendantCommand::LostTicket {
        lane: OUT.into(),
        ticket_no: None,
        method: PaymentMethod::Cash,
    });
    let AttendantDone::LostTicketClosed {
        ticket_no: 2,
        total,
        ..
    } = done.unwrap()
    else {
        panic!()
    };
    assert_eq!(total.to_string(), "20.00", "a short stay pays the fee");
    // A ticket that already left cannot be closed again.
    let (done, _) = b.attendant(AttendantCommand::LostTicket {
        lane: OUT.into(),
        ticket_no: Some(ticket_no),
        method: PaymentMethod::Cash,
    });
    assert_eq!(
        done.unwrap_err(),
        AttendantError::TicketNotInside(ticket_no)
    );
}

#[test]
fn overrides_need_a_reason_and_are_audited() {
    let mut b = TestBooth::new("0.05");
    let before = b.dump();
    let (done, effects) = b.attendant(AttendantCommand::Gate {
        lane: IN.into(),
        action: GateOverride::Open,
        reason: "   ".into(),
    });
    assert_eq!(done.unwrap_err(), AttendantError::ReasonRequired);
    assert!(effects.is_empty());
    let (done, _) = b.attendant(AttendantCommand::Gate {
        lane: IN.into(),
        action: GateOverride::Open,
        reason: "bad\u{1b}[31m".into(),
    });
    assert_eq!(done.unwrap_err(), AttendantError::ReasonInvalid);
    assert_eq!(b.dump(), before);

    let (done, effects) = b.attendant(AttendantCommand::Gate {
        lane: IN.into(),
        action: GateOverride::Hold,
        reason: "ambulance".into(),
    });
    done.unwrap();
    assert!(matches!(
        &effects[..],
        [clearpark::booth::Effect::Gate {
            command: clearpark::booth::GateCommand::Hold,
            ..
        }]
    ));
    assert!(b.booth().snapshot().lanes[0].gate.held);
    let (actor, action, lane, reason): (String, String, String, String) = b
        .conn()
        .query_row(
            "SELECT actor, action, lane_id, reason FROM audit_log",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        (
            actor.as_str(),
            action.as_str(),
            lane.as_str(),
            reason.as_str()
        ),
        ("anna", "gate_hold", IN, "ambulance")
    );
    // A vehicle through without a session is noticed, changes nothing.
    let before = b.dump();
    b.gate(IN, GateSignal::Passed);
    assert_eq!(b.dump(), before);
}

#[test]
fn a_restart_mid_session_finishes_the_exit_correctly() {
    let mut b = TestBooth::new("0.0125");
    let (account, code) = b.account("restart");
    b.scan(IN, code.as_bytes());
    b.gate(IN, GateSignal::Passed);
    b.restart();
    assert_eq!(b.booth().snapshot().occupied, 1, "occupancy survives");
    b.clock
        .advance(TimeDelta::hours(24) + TimeDelta::seconds(1));
    let (decided, _) = b.scan(OUT, code.as_bytes());
    let ScanOutcome::Exited { quote, .. } = &decided.outcome else {
        panic!("{decided:?}")
    };
    assert_eq!(quote.billed_minutes, 1441);
    assert_eq!(quote.total.to_string(), "18.01");
    b.restart();
    // The gate cycle was lost with the restart: the same code opens the exit again, no charge.
    let (decided, effects) = b.scan(OUT, code.as_bytes());
    assert!(matches!(
        decided.outcome,
        ScanOutcome::Exited { retry: true, .. }
    ));
    assert!(opens_gate(&effects, OUT));
    b.gate(OUT, GateSignal::Passed);
    assert_eq!(b.trans_total(account).to_string(), "18.01");
    assert_eq!(b.booth().snapshot().occupied, 0);
}

#[test]
fn akhsasap_writes_the_arap_attendance_table() {
    let mut b = TestBooth::with("0.05", |c| c.booth.db_structure = DbStructure::Akhsasap);
    let (_, code) = b.account("akhsasap");
    b.scan(IN, code.as_bytes());
    b.gate(IN, GateSignal::Passed);
    b.clock.advance(TimeDelta::minutes(3));
    b.scan(OUT, code.as_bytes());
    assert_eq!(b.count("tbl_mg_arap_attandence"), 2);
    assert_eq!(b.count("tbl_dk_attendance"), 0);
}

#[test]
fn a_full_car_park_refuses_entrances_and_tickets() {
    let mut b = TestBooth::with("0.05", |c| c.booth.capacity = Some(1));
    let (_, first) = b.account("first");
    let (_, second) = b.account("second");
    b.scan(IN, first.as_bytes());
    let (decided, _) = b.scan(IN, second.as_bytes());
    assert_eq!(decided.refused(), Some(&Refusal::LotFull(1)));
    let (done, _) = b.attendant(AttendantCommand::IssueTicket { lane: IN.into() });
    assert_eq!(done.unwrap_err(), AttendantError::LotFull(1));
}

#[test]
fn lanes_without_a_gate_count_the_scan_as_the_passage() {
    let mut b = TestBooth::with("0.05", |c| {
        c.lanes = vec![
            lane(IN, Direction::Entrance, false, false),
            lane(OUT, Direction::Exit, false, false),
        ]
    });
    let (_, code) = b.account("api");
    let (decided, effects) = b.scan(IN, code.as_bytes());
    assert_eq!(decided.session().unwrap().state, SessionState::Active);
    assert!(effects.is_empty());
    b.clock.advance(TimeDelta::minutes(2));
    let (decided, effects) = b.scan(OUT, code.as_bytes());
    assert_eq!(decided.session().unwrap().state, SessionState::Closed);
    assert!(effects.is_empty());
    assert_eq!(b.booth().snapshot().occupied, 0);
}

#[test]
fn receipt_numbers_have_no_gaps_and_reprints_say_duplicate() {
    let mut b = TestBooth::new("0.05");
    for i in 0..12 {
        let (_, code) = b.account(&format!("n{i}"));
        b.scan(IN, code.as_bytes());
        b.gate(IN, GateSignal::Passed);
        b.clock.advance(TimeDelta::seconds(90));
        // Every other exit, a refused scan in between, which must not take a number.
        if i % 2 == 0 {
            b.scan(OUT, b"unknown");
        }
        b.scan(OUT, code.as_bytes());
        b.gate(OUT, GateSignal::Passed);
    }
    let numbers: Vec<i64> = b
        .conn()
        .prepare("SELECT receipt_no FROM receipt ORDER BY receipt_no")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(numbers, (1..=12).collect::<Vec<_>>());
    let (done, effects) = b.attendant(AttendantCommand::Reprint {
        receipt_no: Some(5),
        lane: None,
    });
    assert_eq!(done.unwrap(), AttendantDone::Reprinted { receipt_no: 5 });
    let doc = &printed(&effects)[0].document;
    assert!(doc.lines.contains(&Line::Heading("DUPLICATE".into())));
    let original = receipts::get(b.conn(), Some(5)).unwrap().unwrap();
    assert!(doc.lines.contains(&Line::Qr(original.receipt_id)));
    let (done, _) = b.attendant(AttendantCommand::Reprint {
        receipt_no: Some(99),
        lane: None,
    });
    assert!(matches!(done.unwrap_err(), AttendantError::NoReceipt(_)));
}

#[test]
fn shift_report_counts_the_shift_and_starts_the_next() {
    let mut b = TestBooth::new("0.10");
    let (_, code) = b.account("shift");
    b.scan(IN, code.as_bytes());
    b.gate(IN, GateSignal::Passed);
    b.clock.advance(TimeDelta::minutes(10));
    b.scan(OUT, code.as_bytes());
    b.gate(OUT, GateSignal::Passed);
    b.attendant(AttendantCommand::IssueTicket { lane: IN.into() })
        .0
        .unwrap();
    b.attendant(AttendantCommand::Gate {
        lane: OUT.into(),
        action: GateOverride::Open,
        reason: "driver without phone".into(),
    })
    .0
    .unwrap();
    let (done, effects) = b.attendant(AttendantCommand::ShiftReport { lane: None });
    let AttendantDone::ShiftReported(report) = done.unwrap() else {
        panic!()
    };
    assert_eq!(
        (report.entries, report.exits, report.tickets_issued),
        (1, 1, 1)
    );
    assert_eq!(report.inside_now, 1);
    assert_eq!(report.total_revenue().to_string(), "1.00");
    assert_eq!(report.overrides.len(), 1);
    assert_eq!(report.overrides[0].reason, "driver without phone");
    assert_eq!(printed(&effects)[0].kind, PrintKind::ShiftReport);
    b.clock.advance(TimeDelta::minutes(1));
    let (done, _) = b.attendant(AttendantCommand::ShiftReport { lane: None });
    let AttendantDone::ShiftReported(next) = done.unwrap() else {
        panic!()
    };
    assert_eq!((next.entries, next.exits, next.overrides.len()), (0, 0, 0));
    assert_eq!(next.total_revenue().to_string(), "0");
}

#[test]
fn the_write_connection_is_durable_and_the_file_private() {
    let b = TestBooth::new("0.05");
    let sync: i64 = b
        .conn()
        .pragma_query_value(None, "synchronous", |r| r.get(0))
        .unwrap();
    assert_eq!(sync, 2);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&b.config.booth.database)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn a_passage_lost_with_the_console_is_read_from_where_the_car_shows_up() {
    let mut b = TestBooth::new("0.10");
    let (account, code) = b.account("lost");
    // Let in; the console dies before the PASSED: the session stays `entering`.
    let (decided, _) = b.scan(IN, code.as_bytes());
    let first = decided.session().unwrap().id;
    b.restart();
    b.clock.advance(TimeDelta::minutes(30));
    // At the exit it is inside: charged from its entrance.
    let (decided, effects) = b.scan(OUT, code.as_bytes());
    let ScanOutcome::Exited {
        quote,
        retry: false,
        ..
    } = &decided.outcome
    else {
        panic!("{decided:?}")
    };
    assert_eq!(quote.billed_minutes, 30);
    assert!(opens_gate(&effects, OUT));
    // Charged; the console dies before this PASSED too: the session stays `exiting`.
    b.restart();
    b.clock.advance(TimeDelta::hours(2));
    // Back at an entrance: it left. The old stay is closed, a new one begins, nothing charged twice.
    let (decided, effects) = b.scan(IN, code.as_bytes());
    let ScanOutcome::Entered {
        session,
        retry: false,
    } = &decided.outcome
    else {
        panic!("{decided:?}")
    };
    assert_ne!(session.id, first);
    assert!(opens_gate(&effects, IN));
    assert_eq!(state_of(&b, first), SessionState::Closed);
    assert_eq!(b.trans_total(account).to_string(), "3.00");
    assert_eq!(b.count("receipt"), 1);
    assert_eq!(b.booth().snapshot().occupied, 1, "one car inside, not two");
}

#[test]
fn while_its_gate_is_open_a_car_is_where_that_gate_is() {
    let mut b = TestBooth::new("0.10");
    let (_, code) = b.account("cycle");
    b.scan(IN, code.as_bytes());
    // The entrance gate is still open for it: at the exit it is not inside.
    let (decided, _) = b.scan(OUT, code.as_bytes());
    assert_eq!(decided.refused(), Some(&Refusal::NotInside));
    b.gate(IN, GateSignal::Passed);
    b.scan(OUT, code.as_bytes());
    // The exit gate is open for it: at an entrance it is still inside.
    let (decided, _) = b.scan(IN, code.as_bytes());
    assert_eq!(decided.refused(), Some(&Refusal::AlreadyInside));
}
