//! The console's side of the gate protocol, driven by hand through its cases.

use super::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn line(report: &str) -> Vec<u8> {
    super::super::protocol::frame(report).unwrap()
}

fn sent(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send(l) => Some(String::from_utf8_lossy(&l[..l.len() - 4]).into_owned()),
            Action::Signal(_) => None,
        })
        .collect()
}

fn signals(actions: &[Action]) -> Vec<GateSignal> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Signal(s) => Some(s.clone()),
            Action::Send(_) => None,
        })
        .collect()
}

/// A link that has greeted and synced with a controller; the next seq is 11.
fn online() -> HostLink {
    let mut h = HostLink::new(10);
    assert_eq!(sent(&h.port_opened(ms(0))), ["HELLO"]);
    let a = h.received(ms(5), &line("READY clearpark-gate/1.0.0"));
    assert_eq!(sent(&a), ["STATUS 10"]);
    assert_eq!(h.phase(), Phase::Syncing);
    let mut a = h.received(ms(6), &line("ACK 10"));
    a.extend(h.received(ms(6), &line("STATE gate=closed presence=0 beam=0")));
    assert_eq!(
        signals(&a),
        [
            GateSignal::Online(true),
            GateSignal::Closed,
            GateSignal::Presence(false)
        ]
    );
    assert_eq!(h.firmware(), Some("clearpark-gate/1.0.0"));
    h
}

#[test]
fn greets_then_syncs_then_goes_online() {
    let h = online();
    assert_eq!(h.phase(), Phase::Online);
}

#[test]
fn commands_go_one_at_a_time_with_their_own_seq() {
    let mut h = online();
    assert_eq!(sent(&h.command(ms(10), GateCommand::Open)), ["OPEN 11"]);
    assert!(sent(&h.command(ms(11), GateCommand::Open)).is_empty());
    assert!(
        sent(&h.received(ms(12), &line("ACK 10"))).is_empty(),
        "stale"
    );
    assert_eq!(sent(&h.received(ms(13), &line("ACK 11"))), ["OPEN 12"]);
    assert!(sent(&h.received(ms(14), &line("ACK 12"))).is_empty());
}

#[test]
fn resends_with_the_same_seq_then_goes_offline() {
    let mut h = online();
    h.command(ms(100), GateCommand::Open);
    assert!(h.tick(ms(299)).is_empty());
    assert_eq!(h.next_deadline(), Some(ms(300)));
    assert_eq!(sent(&h.tick(ms(300))), ["OPEN 11"]);
    assert_eq!(sent(&h.tick(ms(500))), ["OPEN 11"]);
    assert_eq!(sent(&h.tick(ms(700))), ["OPEN 11"]);
    let a = h.tick(ms(900));
    assert_eq!(signals(&a), [GateSignal::Online(false)]);
    assert_eq!(h.phase(), Phase::Greeting);
    // It greets again a second after the last line it sent.
    assert_eq!(sent(&h.tick(ms(1700))), ["HELLO"]);
}

#[test]
fn a_resend_that_is_answered_carries_on() {
    let mut h = online();
    h.command(ms(100), GateCommand::Open);
    assert_eq!(sent(&h.tick(ms(300))), ["OPEN 11"]);
    let a = h.received(ms(310), &line("ACK 11"));
    assert!(signals(&a).is_empty());
    assert_eq!(sent(&h.command(ms(320), GateCommand::Close)), ["CLOSE 12"]);
}

#[test]
fn bad_lines_are_dropped_counted_and_not_acted_on() {
    let mut h = online();
    h.command(ms(100), GateCommand::Open);
    let mut bad = b"ACK 11*00\n".to_vec();
    bad.extend_from_slice(b"garbage\n\xff\xfe\n");
    bad.extend_from_slice(&[b'X'; 300]);
    bad.push(b'\n');
    bad.extend_from_slice(&line("WHAT 1"));
    assert!(h.received(ms(110), &bad).is_empty());
    assert_eq!(h.dropped_lines(), 5);
    // Still in flight: resent.
    assert_eq!(sent(&h.tick(ms(300))), ["OPEN 11"]);
}

#[test]
fn pings_every_second_and_goes_offline_after_silence() {
    let mut h = online();
    assert_eq!(h.next_deadline(), Some(ms(1005)));
    assert_eq!(sent(&h.tick(ms(1005))), ["PING 11"]);
    h.received(ms(1010), &line("PONG 11"));
    assert_eq!(sent(&h.tick(ms(2005))), ["PING 12"]);
    h.received(ms(2006), &line("PONG 12"));
    // A controller that stops answering: the ping's resends run out.
    let mut h2 = online();
    h2.received(ms(500), &line("EVT PRESENCE 1"));
    let _ = h2.tick(ms(1005));
    let _ = h2.tick(ms(1205));
    let _ = h2.tick(ms(1405));
    let _ = h2.tick(ms(1605));
    let a = h2.tick(ms(1805));
    assert_eq!(signals(&a), [GateSignal::Online(false)]);
}

#[test]
fn silence_alone_marks_offline() {
    let mut h = online();
    // Keep a command "answered" by nothing but never exhausting: simulate by feeding events.
    h.in_flight = None;
    h.last_sent = ms(5000);
    let a = h.tick(ms(3006));
    assert_eq!(signals(&a), [GateSignal::Online(false)]);
}

#[test]
fn events_become_signals() {
    let mut h = online();
    let mut bytes = Vec::new();
    for r in [
        "EVT OPENED",
        "EVT PRESENCE 1",
        "EVT PASSED",
        "EVT PRESENCE 0",
        "EVT TIMEOUT",
        "EVT FAULT LOOP",
        "EVT CLOSED",
    ] {
        bytes.extend(line(r));
    }
    // Split in awkward places: lines join across reads.
    let (a, b) = bytes.split_at(13);
    let mut got = h.received(ms(10), a);
    got.extend(h.received(ms(11), b));
    assert_eq!(
        signals(&got),
        [
            GateSignal::Opened,
            GateSignal::Presence(true),
            GateSignal::Passed,
            GateSignal::Presence(false),
            GateSignal::TimedOut,
            GateSignal::Fault("LOOP".into()),
            GateSignal::Closed
        ]
    );
}

#[test]
fn commands_while_offline_are_dropped_and_end_the_cycle() {
    let mut h = HostLink::new(0);
    let a = h.command(ms(0), GateCommand::Open);
    assert_eq!(signals(&a), [GateSignal::Online(false)]);
    assert!(sent(&a).is_empty());
}

#[test]
fn an_unsolicited_ready_is_a_restart() {
    let mut h = online();
    let a = h.received(ms(50), &line("READY clearpark-gate/1.0.0"));
    assert_eq!(signals(&a), [GateSignal::Online(false)]);
    assert_eq!(sent(&a), ["STATUS 11"]);
    let a = h.received(ms(51), &line("EVT FAULT WDT"));
    assert_eq!(signals(&a), [GateSignal::Fault("WDT".into())]);
    let a = h.received(ms(52), &line("ACK 11"));
    assert_eq!(signals(&a), [GateSignal::Online(true)]);
}

#[test]
fn a_refused_open_ends_the_cycle_and_greets_again() {
    let mut h = online();
    h.command(ms(10), GateCommand::Open);
    let a = h.received(ms(11), &line("NAK 11 FAULT"));
    assert_eq!(
        signals(&a),
        [
            GateSignal::Fault("OPEN refused: FAULT".into()),
            GateSignal::Online(false)
        ]
    );
    assert_eq!(sent(&a), ["HELLO"]);
}

#[test]
fn closing_the_port_reports_offline_once() {
    let mut h = online();
    assert_eq!(signals(&h.port_closed()), [GateSignal::Online(false)]);
    assert!(h.port_closed().is_empty());
    assert_eq!(h.phase(), Phase::Closed);
    assert_eq!(h.next_deadline(), None);
}

#[test]
fn seq_wraps() {
    let mut h = HostLink::new(65535);
    h.port_opened(ms(0));
    assert_eq!(sent(&h.received(ms(1), &line("READY x"))), ["STATUS 65535"]);
    h.received(ms(2), &line("ACK 65535"));
    assert_eq!(sent(&h.command(ms(3), GateCommand::Open)), ["OPEN 0"]);
}
