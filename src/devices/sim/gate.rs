//! The gate controller of docs/gate-protocol.md as a pure state machine, driven by received
//! lines, the raw sensor levels and the time. It follows the firmware (`firmware/gate/`) rule
//! for rule: expected vehicles, hold, the safety latch, passage detection, debouncing, stuck
//! sensors, resends answered but not executed, `HELLO` starting a new conversation.
//!
//! `clearpark sim gate`, the demo's pty gates, the in-process `gate = "sim"` and the tests all
//! run this one machine.

use crate::devices::gate::protocol::{self, Barrier, Command, GateEvent, GateState, Report};
use crate::devices::lines::{LineSplitter, Piece};
use std::time::Duration;

/// What the simulator says it is in `READY`.
pub const FIRMWARE: &str = concat!("clearpark-gate-sim/", env!("CARGO_PKG_VERSION"));
/// Expected vehicles are counted up to this many.
pub const MAX_EXPECTED: u8 = 8;

/// The firmware's build-time timings; the defaults are the documented ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timings {
    pub motor_travel: Duration,
    pub close_delay: Duration,
    pub open_timeout: Duration,
    pub debounce: Duration,
    pub stuck: Duration,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            motor_travel: Duration::from_millis(1500),
            close_delay: Duration::from_millis(2000),
            open_timeout: Duration::from_millis(30_000),
            debounce: Duration::from_millis(50),
            stuck: Duration::from_millis(600_000),
        }
    }
}

/// How the controller came up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Boot {
    /// Restarted by the watchdog: `READY` is followed by `EVT FAULT WDT`.
    pub after_watchdog: bool,
    /// The barrier was up when the watchdog struck: it stays up and closes once clear.
    pub barrier_was_up: bool,
}

/// A sensor input, debounced, with a stuck-on watch.
#[derive(Debug, Clone, Copy, Default)]
struct Input {
    stable: bool,
    stuck_reported: bool,
    last_raw: bool,
    raw_since: Duration,
    stable_since: Duration,
}

impl Input {
    fn reset(now: Duration) -> Input {
        Input {
            raw_since: now,
            stable_since: now,
            ..Input::default()
        }
    }

    /// Samples the raw level; true when the debounced level changed.
    fn sample(&mut self, raw: bool, now: Duration, debounce: Duration) -> bool {
        if raw != self.last_raw {
            self.last_raw = raw;
            self.raw_since = now;
        }
        if raw == self.stable || now.saturating_sub(self.raw_since) < debounce {
            return false;
        }
        self.stable = raw;
        self.stable_since = now;
        true
    }

    /// True once per episode of being on for `stuck` without a break.
    fn newly_stuck(&mut self, now: Duration, stuck: Duration) -> bool {
        if !self.stable {
            self.stuck_reported = false;
            return false;
        }
        if self.stuck_reported || now.saturating_sub(self.stable_since) < stuck {
            return false;
        }
        self.stuck_reported = true;
        true
    }

    fn deadline(&self, t: &Timings) -> Option<Duration> {
        if self.last_raw != self.stable {
            Some(self.raw_since + t.debounce)
        } else if self.stable && !self.stuck_reported {
            Some(self.stable_since + t.stuck)
        } else {
            None
        }
    }
}

/// Where a vehicle is in its passage through the lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Passage {
    Idle,
    OnLoop,
    InBeam,
}

#[derive(Debug, Clone)]
pub struct Controller {
    timings: Timings,
    splitter: LineSplitter,
    bad_lines: u64,
    gate: Barrier,
    motion_started: Duration,
    motion_travel: Duration,
    presence: Input,
    beam: Input,
    clear_since: Duration,
    expected: u8,
    held: bool,
    timeout_from: Duration,
    passage: Passage,
    /// The last command executed since start or `HELLO`: a repeat of it is a resend.
    last: Option<Command>,
    opens: u64,
    timeouts: u64,
    out: Vec<Report>,
}

impl Controller {
    pub fn new(timings: Timings) -> Controller {
        Controller {
            timings,
            splitter: protocol::splitter(),
            bad_lines: 0,
            gate: Barrier::Closed,
            motion_started: Duration::ZERO,
            motion_travel: Duration::ZERO,
            presence: Input::default(),
            beam: Input::default(),
            clear_since: Duration::ZERO,
            expected: 0,
            held: false,
            timeout_from: Duration::ZERO,
            passage: Passage::Idle,
            last: None,
            opens: 0,
            timeouts: 0,
            out: Vec::new(),
        }
    }

    /// Start-up: `READY` (and `EVT FAULT WDT` after a watchdog restart).
    pub fn begin(&mut self, now: Duration, boot: Boot) -> Vec<Report> {
        self.presence = Input::reset(now);
        self.beam = Input::reset(now);
        self.clear_since = now;
        self.timeout_from = now;
        self.motion_started = now;
        // A barrier that was up over a vehicle stays up and closes by the usual rule; a closed
        // one stays closed, so a restart never lets a waiting vehicle in.
        self.gate = if boot.after_watchdog && boot.barrier_was_up {
            Barrier::Open
        } else {
            Barrier::Closed
        };
        self.out.push(Report::Ready(FIRMWARE.into()));
        if boot.after_watchdog {
            self.event(GateEvent::Fault("WDT".into()));
        }
        std::mem::take(&mut self.out)
    }

    /// A watchdog restart: everything but the barrier's position is forgotten.
    pub fn watchdog_restart(&mut self, now: Duration) -> Vec<Report> {
        let barrier_was_up = self.relay();
        let (opens, timeouts, bad_lines) = (self.opens, self.timeouts, self.bad_lines);
        *self = Controller::new(self.timings);
        (self.opens, self.timeouts, self.bad_lines) = (opens, timeouts, bad_lines);
        self.begin(
            now,
            Boot {
                after_watchdog: true,
                barrier_was_up,
            },
        )
    }

    /// Bytes from the console: each complete valid line is answered.
    pub fn receive(&mut self, now: Duration, bytes: &[u8]) -> Vec<Report> {
        for piece in self.splitter.push(bytes) {
            match piece {
                Piece::Line(line) => {
                    let answers = self.receive_line(now, &line);
                    self.out.extend(answers);
                }
                Piece::Overlong { .. } => self.bad_lines += 1,
            }
        }
        std::mem::take(&mut self.out)
    }

    /// One line from the console (without `\n`): dropped and counted when badly framed,
    /// refused with `NAK` when not a command, else executed (or, if a resend, answered again).
    pub fn receive_line(&mut self, now: Duration, line: &[u8]) -> Vec<Report> {
        match protocol::unframe(line) {
            Ok(body) => match Command::parse(body) {
                Ok(command) => self.command(now, command),
                Err(refused) => vec![refused.nak()],
            },
            Err(_) => {
                self.bad_lines += 1;
                Vec::new()
            }
        }
    }

    /// A command already parsed (the in-process simulator skips the text).
    pub fn command(&mut self, now: Duration, command: Command) -> Vec<Report> {
        let Some(seq) = command.seq() else {
            // HELLO: a new conversation; the console may start its numbers over.
            self.last = None;
            return vec![Report::Ready(FIRMWARE.into())];
        };
        if self.last != Some(command) {
            self.execute(now, command);
            self.last = Some(command);
        }
        let mut out = std::mem::take(&mut self.out);
        out.push(match command {
            Command::Ping(_) => Report::Pong(seq),
            _ => Report::Ack(seq),
        });
        if let Command::Status(_) = command {
            out.push(Report::State(self.state()));
        }
        out
    }

    fn execute(&mut self, now: Duration, command: Command) {
        match command {
            Command::Open(_) => {
                self.expected = (self.expected + 1).min(MAX_EXPECTED);
                self.timeout_from = now;
                self.opens += 1;
            }
            Command::Hold(_) => self.held = true,
            Command::Release(_) => self.held = false,
            Command::Close(_) => {
                self.expected = 0;
                self.held = false;
            }
            Command::Hello | Command::Ping(_) | Command::Status(_) => {}
        }
    }

    /// Time passed, with the sensors' raw levels (true: the loop sees a vehicle / the beam is
    /// broken). Call it after every command and input change, and at [`Self::next_deadline`].
    pub fn tick(&mut self, now: Duration, presence_raw: bool, beam_raw: bool) -> Vec<Report> {
        self.watch_sensors(now, presence_raw, beam_raw);
        self.track_passage(now);
        self.watch_timeout(now);
        self.drive_barrier(now);
        std::mem::take(&mut self.out)
    }

    /// The next moment [`Self::tick`] has something to do, if nothing else happens before.
    pub fn next_deadline(&self) -> Option<Duration> {
        let t = &self.timings;
        let next = [self.presence.deadline(t), self.beam.deadline(t)];
        let motion = match self.gate {
            Barrier::Opening | Barrier::Closing => Some(self.motion_started + self.motion_travel),
            Barrier::Open if !self.wanted_up() && !self.occupied() => {
                Some(self.clear_since + t.close_delay)
            }
            Barrier::Open | Barrier::Closed => None,
        };
        let timeout =
            (self.expected > 0 && !self.occupied()).then(|| self.timeout_from + t.open_timeout);
        next.into_iter().chain([motion, timeout]).flatten().min()
    }

    pub fn state(&self) -> GateState {
        GateState {
            barrier: self.gate,
            presence: self.presence.stable,
            beam: self.beam.stable,
        }
    }

    pub fn barrier(&self) -> Barrier {
        self.gate
    }

    /// The relay output: on while the barrier is opening or open (held included).
    pub fn relay(&self) -> bool {
        matches!(self.gate, Barrier::Opening | Barrier::Open)
    }

    pub fn expected(&self) -> u8 {
        self.expected
    }

    pub fn held(&self) -> bool {
        self.held
    }

    pub fn bad_lines(&self) -> u64 {
        self.bad_lines
    }

    /// OPEN commands executed since the simulation started (resends not counted).
    pub fn opens(&self) -> u64 {
        self.opens
    }

    /// `EVT TIMEOUT`s sent since the simulation started.
    pub fn timeouts(&self) -> u64 {
        self.timeouts
    }

    fn occupied(&self) -> bool {
        self.presence.stable || self.beam.stable
    }

    fn wanted_up(&self) -> bool {
        self.expected > 0 || self.held
    }

    fn event(&mut self, event: GateEvent) {
        self.out.push(Report::Event(event));
    }

    fn watch_sensors(&mut self, now: Duration, presence_raw: bool, beam_raw: bool) {
        let was_occupied = self.occupied();
        let debounce = self.timings.debounce;
        if self.presence.sample(presence_raw, now, debounce) {
            self.event(GateEvent::Presence(self.presence.stable));
        }
        self.beam.sample(beam_raw, now, debounce);
        if was_occupied && !self.occupied() {
            self.clear_since = now;
        }
        if self.presence.newly_stuck(now, self.timings.stuck) {
            self.event(GateEvent::Fault("LOOP".into()));
        }
        if self.beam.newly_stuck(now, self.timings.stuck) {
            self.event(GateEvent::Fault("BEAM".into()));
        }
    }

    /// One vehicle through: the loop sees it, it breaks the beam, then both are clear again.
    fn track_passage(&mut self, now: Duration) {
        let (on_loop, in_beam) = (self.presence.stable, self.beam.stable);
        self.passage = match self.passage {
            Passage::Idle if on_loop && in_beam => Passage::InBeam,
            Passage::Idle if on_loop => Passage::OnLoop,
            Passage::OnLoop if in_beam => Passage::InBeam,
            // Drove off the loop without going through.
            Passage::OnLoop if !on_loop => Passage::Idle,
            Passage::InBeam if !on_loop && !in_beam => {
                self.expected = self.expected.saturating_sub(1);
                self.timeout_from = now;
                self.event(GateEvent::Passed);
                Passage::Idle
            }
            unchanged => unchanged,
        };
    }

    fn watch_timeout(&mut self, now: Duration) {
        if self.expected == 0 || self.occupied() {
            return;
        }
        if now.saturating_sub(self.timeout_from) < self.timings.open_timeout {
            return;
        }
        self.expected = 0;
        self.timeouts += 1;
        self.event(GateEvent::Timeout);
    }

    /// The safety latch: never down while the loop or the beam sees a vehicle; back up if one
    /// appears while going down.
    fn drive_barrier(&mut self, now: Duration) {
        let moving_for = now.saturating_sub(self.motion_started);
        match self.gate {
            Barrier::Closed => {
                if self.wanted_up() {
                    self.start_motion(Barrier::Opening, self.timings.motor_travel, now);
                }
            }
            Barrier::Opening => {
                if moving_for >= self.motion_travel {
                    self.gate = Barrier::Open;
                    self.event(GateEvent::Opened);
                }
            }
            Barrier::Open => {
                if !self.wanted_up()
                    && !self.occupied()
                    && now.saturating_sub(self.clear_since) >= self.timings.close_delay
                {
                    self.start_motion(Barrier::Closing, self.timings.motor_travel, now);
                }
            }
            Barrier::Closing => {
                if self.wanted_up() || self.occupied() {
                    // Back up from where it is: as far as it has come down.
                    let back = moving_for.min(self.motion_travel);
                    self.start_motion(Barrier::Opening, back, now);
                } else if moving_for >= self.motion_travel {
                    self.gate = Barrier::Closed;
                    self.event(GateEvent::Closed);
                }
            }
        }
    }

    fn start_motion(&mut self, gate: Barrier, travel: Duration, now: Duration) {
        self.gate = gate;
        self.motion_started = now;
        self.motion_travel = travel;
    }
}

#[cfg(test)]
mod tests;
