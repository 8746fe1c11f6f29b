//! The simulated controller against docs/gate-protocol.md, case by case (the firmware's host
//! tests check the same cases on the C++ side).

use super::*;

/// A controller with a clock and sensor levels, ticking at every deadline as a runner would.
struct Rig {
    c: Controller,
    now: Duration,
    presence: bool,
    beam: bool,
    seen: Vec<String>,
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

impl Rig {
    fn new() -> Rig {
        let mut c = Controller::new(Timings::default());
        let seen = c
            .begin(ms(0), Boot::default())
            .iter()
            .map(|r| r.to_string())
            .collect();
        Rig {
            c,
            now: ms(0),
            presence: false,
            beam: false,
            seen,
        }
    }

    fn take(&mut self) -> Vec<String> {
        std::mem::take(&mut self.seen)
    }

    fn note(&mut self, reports: Vec<Report>) {
        self.seen.extend(reports.iter().map(|r| r.to_string()));
    }

    /// Runs the clock to `t` (ms), ticking at each deadline on the way.
    fn run_to(&mut self, t: u64) {
        let until = ms(t);
        while let Some(d) = self.c.next_deadline().filter(|d| *d <= until) {
            self.now = d.max(self.now);
            let r = self.c.tick(self.now, self.presence, self.beam);
            self.note(r);
            if self.c.next_deadline() == Some(d) {
                break;
            }
        }
        self.now = until.max(self.now);
        let r = self.c.tick(self.now, self.presence, self.beam);
        self.note(r);
    }

    fn send(&mut self, body: &str) -> Vec<String> {
        let line = protocol::frame(body).unwrap();
        let r = self.c.receive(self.now, &line);
        self.note(r);
        let r = self.c.tick(self.now, self.presence, self.beam);
        self.note(r);
        self.take()
    }

    fn sensors(&mut self, presence: bool, beam: bool) {
        self.presence = presence;
        self.beam = beam;
        let r = self.c.tick(self.now, presence, beam);
        self.note(r);
    }

    /// A vehicle through at `t`: loop, beam, loop clear, beam clear, 200 ms apart.
    fn vehicle(&mut self, t: u64) {
        self.run_to(t);
        self.sensors(true, false);
        self.run_to(t + 200);
        self.sensors(true, true);
        self.run_to(t + 400);
        self.sensors(false, true);
        self.run_to(t + 600);
        self.sensors(false, false);
    }
}

#[test]
fn start_up_sends_ready() {
    let mut r = Rig::new();
    assert_eq!(r.take(), [format!("READY {FIRMWARE}")]);
    assert_eq!(r.c.barrier(), Barrier::Closed);
    assert!(!r.c.relay());
}

#[test]
fn hello_ping_status() {
    let mut r = Rig::new();
    r.take();
    assert_eq!(r.send("HELLO"), [format!("READY {FIRMWARE}")]);
    assert_eq!(r.send("PING 7"), ["PONG 7"]);
    assert_eq!(
        r.send("STATUS 8"),
        ["ACK 8", "STATE gate=closed presence=0 beam=0"]
    );
}

#[test]
fn open_acks_raises_and_reports_opened_after_the_travel() {
    let mut r = Rig::new();
    r.take();
    assert_eq!(r.send("OPEN 1"), ["ACK 1"]);
    assert_eq!(r.c.barrier(), Barrier::Opening);
    assert!(r.c.relay());
    r.run_to(1499);
    assert!(r.take().is_empty());
    r.run_to(1500);
    assert_eq!(r.take(), ["EVT OPENED"]);
    assert_eq!(r.c.barrier(), Barrier::Open);
}

#[test]
fn bad_lines_are_dropped_counted_and_never_answered() {
    let mut r = Rig::new();
    r.take();
    let got = r.c.receive(ms(0), b"OPEN 1*00\nOPEN 1\n\xff\n");
    assert!(got.is_empty());
    assert_eq!(r.c.bad_lines(), 3);
    assert_eq!(r.c.expected(), 0);
}

#[test]
fn naks() {
    let mut r = Rig::new();
    r.take();
    assert_eq!(r.send("JUMP 4"), ["NAK 4 UNKNOWN"]);
    assert_eq!(r.send("OPEN"), ["NAK 0 ARG"]);
    assert_eq!(r.send("OPEN 5 6"), ["NAK 5 ARG"]);
    assert_eq!(r.send("HELLO 2"), ["NAK 2 ARG"]);
    assert_eq!(r.c.expected(), 0);
}

#[test]
fn a_resend_is_answered_but_not_executed() {
    let mut r = Rig::new();
    r.take();
    assert_eq!(r.send("OPEN 9"), ["ACK 9"]);
    assert_eq!(r.send("OPEN 9"), ["ACK 9"]);
    assert_eq!(r.c.expected(), 1);
    assert_eq!(r.c.opens(), 1);
    // The same seq with another verb is a new command.
    assert_eq!(r.send("HOLD 9"), ["ACK 9"]);
    assert!(r.c.held());
    // HELLO starts a new conversation: the same command again is executed.
    r.send("HELLO");
    r.send("OPEN 9");
    assert_eq!(r.c.expected(), 2);
}

#[test]
fn at_most_eight_expected() {
    let mut r = Rig::new();
    for seq in 0..12 {
        r.send(&format!("OPEN {seq}"));
    }
    assert_eq!(r.c.expected(), MAX_EXPECTED);
}

#[test]
fn closes_the_close_delay_after_the_vehicle_passed() {
    let mut r = Rig::new();
    r.send("OPEN 1");
    r.run_to(1500);
    r.take();
    r.vehicle(3000);
    r.run_to(3650);
    assert_eq!(r.take(), ["EVT PRESENCE 1", "EVT PRESENCE 0", "EVT PASSED"]);
    assert_eq!(r.c.expected(), 0);
    r.run_to(3600 + 50 + 1999);
    assert_eq!(r.c.barrier(), Barrier::Open);
    r.run_to(3600 + 50 + 2000);
    assert_eq!(r.c.barrier(), Barrier::Closing);
    assert!(!r.c.relay());
    r.run_to(3650 + 2000 + 1500);
    assert_eq!(r.take(), ["EVT CLOSED"]);
}

#[test]
fn never_closes_while_a_vehicle_is_on_the_loop_or_in_the_beam() {
    let mut r = Rig::new();
    r.send("OPEN 1");
    r.run_to(1500);
    r.send("CLOSE 2");
    r.sensors(true, false);
    r.run_to(60_000);
    assert_eq!(r.c.barrier(), Barrier::Open);
    r.sensors(false, true);
    r.run_to(120_000);
    assert_eq!(r.c.barrier(), Barrier::Open);
    r.sensors(false, false);
    r.run_to(120_050 + 2000);
    assert_eq!(r.c.barrier(), Barrier::Closing);
}

#[test]
fn goes_back_up_when_a_vehicle_appears_while_closing() {
    let mut r = Rig::new();
    r.send("OPEN 1");
    r.run_to(1500);
    r.send("CLOSE 2");
    r.run_to(2000);
    assert_eq!(r.c.barrier(), Barrier::Closing);
    r.take();
    r.run_to(2600);
    r.sensors(true, false);
    r.run_to(2650);
    // 650 ms down: 650 ms back up.
    assert_eq!(r.c.barrier(), Barrier::Opening);
    r.run_to(3300);
    assert_eq!(r.take(), ["EVT PRESENCE 1", "EVT OPENED"]);
}

#[test]
fn a_waiting_vehicle_does_not_open_a_closed_barrier() {
    let mut r = Rig::new();
    r.sensors(true, false);
    r.run_to(10_000);
    assert_eq!(r.c.barrier(), Barrier::Closed);
}

#[test]
fn timeout_when_nobody_comes() {
    let mut r = Rig::new();
    r.send("OPEN 1");
    r.run_to(20_000);
    r.send("OPEN 2");
    r.run_to(20_000 + 29_999);
    assert_eq!(r.c.expected(), 2);
    r.take();
    r.run_to(50_000);
    assert_eq!(r.take(), ["EVT TIMEOUT"]);
    assert_eq!((r.c.expected(), r.c.timeouts()), (0, 1));
    // Clear for long already: down at once.
    assert_eq!(r.c.barrier(), Barrier::Closing);
    r.run_to(50_000 + 1500);
    assert_eq!(r.take(), ["EVT CLOSED"]);
}

#[test]
fn no_timeout_while_a_vehicle_is_on_the_loop() {
    let mut r = Rig::new();
    r.send("OPEN 1");
    r.sensors(true, false);
    r.run_to(100_000);
    assert_eq!(r.c.expected(), 1);
    assert!(!r.take().contains(&"EVT TIMEOUT".to_string()));
}

#[test]
fn two_expected_stay_open_between_them() {
    let mut r = Rig::new();
    r.send("OPEN 1");
    r.send("OPEN 2");
    r.vehicle(2000);
    r.run_to(10_000);
    assert_eq!(r.c.barrier(), Barrier::Open);
    assert_eq!(r.c.expected(), 1);
    r.vehicle(11_000);
    r.run_to(11_650 + 2000);
    assert_eq!(r.c.barrier(), Barrier::Closing);
}

#[test]
fn hold_release_and_close() {
    let mut r = Rig::new();
    r.send("HOLD 1");
    r.vehicle(2000);
    r.run_to(40_000);
    assert_eq!(r.c.barrier(), Barrier::Open, "held");
    r.send("OPEN 2");
    r.send("RELEASE 3");
    assert_eq!(r.c.expected(), 1, "release keeps expected vehicles");
    r.run_to(45_000);
    assert_eq!(r.c.barrier(), Barrier::Open);
    r.send("CLOSE 4");
    assert_eq!((r.c.expected(), r.c.held()), (0, false));
    r.run_to(45_001);
    assert_eq!(r.c.barrier(), Barrier::Closing);
}

#[test]
fn passage_needs_loop_then_beam_then_both_clear() {
    let mut r = Rig::new();
    r.take();
    // Loop alone, then off: drove away.
    r.sensors(true, false);
    r.run_to(200);
    r.sensors(false, false);
    r.run_to(400);
    // Beam alone: a pedestrian.
    r.sensors(false, true);
    r.run_to(600);
    r.sensors(false, false);
    r.run_to(800);
    assert_eq!(r.take(), ["EVT PRESENCE 1", "EVT PRESENCE 0"]);
    // Through while nothing was expected: still PASSED.
    r.vehicle(1000);
    r.run_to(2000);
    assert_eq!(r.take(), ["EVT PRESENCE 1", "EVT PRESENCE 0", "EVT PASSED"]);
}

#[test]
fn debounce_ignores_short_glitches() {
    let mut r = Rig::new();
    r.take();
    r.sensors(true, false);
    r.run_to(49);
    r.sensors(false, false);
    r.run_to(500);
    assert!(r.take().is_empty());
}

#[test]
fn stuck_loop_is_reported_once_per_episode() {
    let mut r = Rig::new();
    r.take();
    r.sensors(true, false);
    r.run_to(50 + 600_000);
    assert_eq!(r.take(), ["EVT PRESENCE 1", "EVT FAULT LOOP"]);
    r.run_to(2_000_000);
    assert!(r.take().is_empty());
}

#[test]
fn watchdog_restart_keeps_a_raised_barrier_up_until_clear() {
    let mut r = Rig::new();
    r.send("OPEN 1");
    r.run_to(1500);
    r.sensors(true, false);
    r.run_to(1600);
    r.take();
    let got = r.c.watchdog_restart(r.now);
    assert_eq!(
        got.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [format!("READY {FIRMWARE}"), "EVT FAULT WDT".into()]
    );
    assert_eq!((r.c.barrier(), r.c.expected()), (Barrier::Open, 0));
    r.run_to(30_000);
    assert_eq!(r.c.barrier(), Barrier::Open);
    r.sensors(false, false);
    r.run_to(30_000 + 50 + 2000);
    assert_eq!(r.c.barrier(), Barrier::Closing);
}

#[test]
fn every_line_sent_is_well_framed() {
    let mut r = Rig::new();
    r.send("OPEN 1");
    r.vehicle(2000);
    r.run_to(10_000);
    for line in r.c.receive(r.now, b"STATUS 3*05\n") {
        let framed = line.line().unwrap();
        assert!(protocol::unframe(&framed[..framed.len() - 1]).is_ok());
    }
}
