use super::*;
use crate::booth::{LaneView, PaymentDue};

fn lanes() -> Vec<LaneInfo> {
    let lane = |id: &str, direction| LaneInfo {
        id: id.into(),
        name: id.into(),
        direction,
        has_gate: true,
        has_printer: true,
    };
    vec![
        lane("in-1", Direction::Entrance),
        lane("out-1", Direction::Exit),
        lane("out-2", Direction::Exit),
    ]
}

fn drive(task: Task, keys: &[TaskKey], snapshot: &Snapshot) -> TaskOutcome {
    let lanes = lanes();
    let ctx = TaskContext {
        lanes: &lanes,
        snapshot,
    };
    let mut outcome = TaskState::start(task, &ctx);
    for key in keys {
        outcome = match outcome {
            TaskOutcome::Continue(state) => state.key(*key, &ctx),
            other => return other,
        };
    }
    outcome
}

fn chars(s: &str) -> Vec<TaskKey> {
    s.chars().map(TaskKey::Char).collect()
}

#[test]
fn a_gate_override_needs_a_lane_a_reason_and_a_yes() {
    use TaskKey::*;
    let snap = Snapshot::default();
    // Lane 1 is picked by its number; an empty reason is not accepted.
    let mut keys = vec![Char('1'), Enter];
    keys.extend(chars("ambulance"));
    keys.push(Enter);
    let outcome = drive(Task::Gate(GateOverride::Open), &keys, &snap);
    let TaskOutcome::Continue(state) = &outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        state.prompt().contains("reason \"ambulance\""),
        "{}",
        state.prompt()
    );
    keys.push(Char('y'));
    assert_eq!(
        drive(Task::Gate(GateOverride::Open), &keys, &snap),
        TaskOutcome::Done(TaskCommand::Attendant(AttendantCommand::Gate {
            lane: "in-1".into(),
            action: GateOverride::Open,
            reason: "ambulance".into()
        }))
    );
    keys.pop();
    keys.push(Char('n'));
    assert_eq!(
        drive(Task::Gate(GateOverride::Open), &keys, &snap),
        TaskOutcome::Cancelled
    );
}

#[test]
fn payment_goes_to_the_exit_where_it_waits() {
    use TaskKey::*;
    let mut snap = Snapshot::default();
    assert!(matches!(
        drive(Task::Pay, &[], &snap),
        TaskOutcome::Refused(_)
    ));
    let quote = crate::domain::pricing::quote(
        chrono::DateTime::UNIX_EPOCH,
        chrono::DateTime::UNIX_EPOCH + chrono::TimeDelta::minutes(3),
        "0.05".parse().unwrap(),
    )
    .unwrap();
    snap.lanes.push(LaneView {
        id: "out-2".into(),
        name: "out-2".into(),
        direction: Direction::Exit,
        gate: Default::default(),
        scanner_online: None,
        printer_online: None,
        pending: vec![],
        held_validation: None,
        awaiting_payment: Some(PaymentDue {
            session_id: 4,
            ticket_no: 9,
            quote,
            currency: "TMT".into(),
        }),
    });
    let outcome = drive(Task::Pay, &[Char('k')], &snap);
    let TaskOutcome::Continue(state) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(
        state.prompt(),
        "Take 0.15 TMT for ticket 000009 by card at out-2 and open the gate?"
    );
    assert_eq!(
        drive(Task::Pay, &[Char('k'), Enter], &snap),
        TaskOutcome::Done(TaskCommand::Attendant(AttendantCommand::RecordPayment {
            lane: "out-2".into(),
            method: PaymentMethod::Card
        }))
    );
}

#[test]
fn lost_ticket_with_and_without_a_number() {
    use TaskKey::*;
    let snap = Snapshot::default();
    let mut keys = vec![Down, Enter];
    keys.extend(chars("12"));
    keys.extend([Enter, Char('c'), Char('y')]);
    assert_eq!(
        drive(Task::LostTicket, &keys, &snap),
        TaskOutcome::Done(TaskCommand::Attendant(AttendantCommand::LostTicket {
            lane: "out-2".into(),
            ticket_no: Some(12),
            method: PaymentMethod::Cash
        }))
    );
    let keys = [Char('1'), Enter, Char('k'), Enter];
    assert_eq!(
        drive(Task::LostTicket, &keys, &snap),
        TaskOutcome::Done(TaskCommand::Attendant(AttendantCommand::LostTicket {
            lane: "out-1".into(),
            ticket_no: None,
            method: PaymentMethod::Card
        }))
    );
    // Letters are not a ticket number: asked again.
    let mut keys = vec![Char('1')];
    keys.extend(chars("abc"));
    keys.push(Enter);
    let TaskOutcome::Continue(state) = drive(Task::LostTicket, &keys, &snap) else {
        panic!()
    };
    assert!(state.prompt().contains("digits only"));
}

#[test]
fn tickets_need_an_entrance_with_a_printer_and_a_yes() {
    use TaskKey::*;
    let snap = Snapshot::default();
    assert_eq!(
        drive(Task::IssueTicket, &[Char('y')], &snap),
        TaskOutcome::Done(TaskCommand::Attendant(AttendantCommand::IssueTicket {
            lane: "in-1".into()
        }))
    );
    assert_eq!(
        drive(Task::IssueTicket, &[Escape], &snap),
        TaskOutcome::Cancelled
    );
}

#[test]
fn manual_scan_and_reprint_need_no_confirmation() {
    use TaskKey::*;
    let snap = Snapshot::default();
    let mut keys = vec![Char('1')];
    keys.extend(chars("788879fbe6635"));
    keys.push(Enter);
    assert_eq!(
        drive(Task::ManualScan, &keys, &snap),
        TaskOutcome::Done(TaskCommand::Scan {
            lane: "in-1".into(),
            code: "788879fbe6635".into()
        })
    );
    assert_eq!(
        drive(Task::Reprint, &[Enter], &snap),
        TaskOutcome::Done(TaskCommand::Attendant(AttendantCommand::Reprint {
            receipt_no: None,
            lane: None
        }))
    );
}
