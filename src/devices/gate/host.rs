//! The console's side of the gate protocol as a pure state machine (docs/gate-protocol.md, "The
//! console's side"): greeting, sequence numbers, one command in flight with resends, pings,
//! silence, and the translation of reports into booth signals. [`super::link`] feeds it the
//! port's bytes, the booth's commands and the time, and carries out its [`Action`]s.
//!
//! Commands go one at a time (stop-and-wait): the controller only remembers the last command
//! it executed, so a resend is recognised as such only when no other command was sent since.

use super::protocol::{Barrier, Command, GateEvent, Report};
use crate::booth::{GateCommand, GateSignal};
use crate::devices::lines::{LineSplitter, Piece};
use std::collections::VecDeque;
use std::time::Duration;

/// A command unanswered this long is sent again with the same seq.
pub const RESEND_AFTER: Duration = Duration::from_millis(200);
/// Resends after the first send; a command still unanswered after the last marks the link offline.
pub const RESENDS: u8 = 3;
/// Liveness check while nothing else is in flight.
pub const PING_EVERY: Duration = Duration::from_secs(1);
/// No valid line for this long: the gate is shown offline.
pub const SILENCE_LIMIT: Duration = Duration::from_secs(3);
/// While the controller does not answer `HELLO`, it is asked again this often.
pub const HELLO_EVERY: Duration = Duration::from_secs(1);

/// What the link must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Write this line to the port.
    Send(Vec<u8>),
    /// Tell the booth.
    Signal(GateSignal),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// No port.
    Closed,
    /// `HELLO` sent, waiting for `READY`.
    Greeting,
    /// `READY` received, `STATUS` in flight.
    Syncing,
    /// `STATUS` answered: commands flow.
    Online,
}

#[derive(Debug, Clone, Copy)]
struct InFlight {
    command: Command,
    sent_at: Duration,
    resends: u8,
}

#[derive(Debug)]
pub struct HostLink {
    phase: Phase,
    next_seq: u16,
    in_flight: Option<InFlight>,
    queue: VecDeque<GateCommand>,
    splitter: LineSplitter,
    last_heard: Duration,
    last_sent: Duration,
    /// What the booth was last told.
    online: bool,
    firmware: Option<String>,
    dropped_lines: u64,
}

impl HostLink {
    /// A link whose first command carries `first_seq` (random in practice, so that a console
    /// restarted mid-conversation does not repeat the last seq the controller saw).
    pub fn new(first_seq: u16) -> HostLink {
        HostLink {
            phase: Phase::Closed,
            next_seq: first_seq,
            in_flight: None,
            queue: VecDeque::new(),
            splitter: super::protocol::splitter(),
            last_heard: Duration::ZERO,
            last_sent: Duration::ZERO,
            online: false,
            firmware: None,
            dropped_lines: 0,
        }
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Lines dropped since start: bad framing, bad checksum, unknown reports.
    pub fn dropped_lines(&self) -> u64 {
        self.dropped_lines
    }

    /// The controller's firmware version, once it has said `READY`.
    pub fn firmware(&self) -> Option<&str> {
        self.firmware.as_deref()
    }

    /// The port is open: greet the controller.
    pub fn port_opened(&mut self, now: Duration) -> Vec<Action> {
        self.splitter.reset();
        self.phase = Phase::Greeting;
        self.in_flight = None;
        self.last_heard = now;
        let mut out = Vec::new();
        self.send(now, Command::Hello, &mut out);
        out
    }

    /// The port is gone (I/O error, unplugged).
    pub fn port_closed(&mut self) -> Vec<Action> {
        let mut out = Vec::new();
        self.go_offline("port closed", &mut out);
        self.phase = Phase::Closed;
        out
    }

    /// A command decided by the booth. One that cannot be delivered (the link is not online)
    /// is dropped, and the booth is told the gate is offline so that the cycle it started ends
    /// without spending a try.
    pub fn command(&mut self, now: Duration, command: GateCommand) -> Vec<Action> {
        let mut out = Vec::new();
        if self.phase != Phase::Online {
            tracing::warn!(?command, phase = ?self.phase, "gate offline: command not sent");
            self.online = false;
            out.push(Action::Signal(GateSignal::Online(false)));
            return out;
        }
        self.queue.push_back(command);
        self.pump(now, &mut out);
        out
    }

    /// Bytes read from the port.
    pub fn received(&mut self, now: Duration, bytes: &[u8]) -> Vec<Action> {
        let mut out = Vec::new();
        for piece in self.splitter.push(bytes) {
            match piece {
                Piece::Line(line) => self.line(now, &line, &mut out),
                Piece::Overlong { len, .. } => {
                    self.dropped_lines += 1;
                    tracing::debug!(
                        len,
                        dropped = self.dropped_lines,
                        "gate line too long; dropped"
                    );
                }
            }
        }
        out
    }

    /// Time passed: resends, silence, pings.
    pub fn tick(&mut self, now: Duration) -> Vec<Action> {
        let mut out = Vec::new();
        if let Some(f) = self.in_flight
            && now >= f.sent_at + RESEND_AFTER
        {
            if f.resends < RESENDS {
                tracing::debug!(command = %f.command, "no answer; sending again");
                self.in_flight = Some(InFlight {
                    sent_at: now,
                    resends: f.resends + 1,
                    ..f
                });
                self.last_sent = now;
                out.push(Action::Send(f.command.line()));
            } else {
                self.in_flight = None;
                if self.phase == Phase::Greeting {
                    tracing::debug!("no READY; asking again");
                } else {
                    let why = format!("no answer to {}", f.command);
                    self.go_offline(&why, &mut out);
                }
            }
        }
        if matches!(self.phase, Phase::Syncing | Phase::Online)
            && now.saturating_sub(self.last_heard) >= SILENCE_LIMIT
        {
            self.go_offline("silent for 3 s", &mut out);
        }
        if self.in_flight.is_none() && now.saturating_sub(self.last_sent) >= PING_EVERY {
            match self.phase {
                Phase::Online => {
                    let seq = self.take_seq();
                    self.send(now, Command::Ping(seq), &mut out);
                }
                Phase::Greeting => self.send(now, Command::Hello, &mut out),
                Phase::Syncing | Phase::Closed => {}
            }
        }
        out
    }

    /// When [`HostLink::tick`] has something to do next.
    pub fn next_deadline(&self) -> Option<Duration> {
        let mut next: Option<Duration> = None;
        let mut at = |t: Duration| next = Some(next.map_or(t, |n| n.min(t)));
        if let Some(f) = self.in_flight {
            at(f.sent_at + RESEND_AFTER);
        }
        if matches!(self.phase, Phase::Syncing | Phase::Online) {
            at(self.last_heard + SILENCE_LIMIT);
        }
        if self.in_flight.is_none() && matches!(self.phase, Phase::Online | Phase::Greeting) {
            at(self.last_sent + PING_EVERY);
        }
        next
    }

    fn take_seq(&mut self) -> u16 {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        seq
    }

    fn send(&mut self, now: Duration, command: Command, out: &mut Vec<Action>) {
        self.in_flight = Some(InFlight {
            command,
            sent_at: now,
            resends: 0,
        });
        self.last_sent = now;
        out.push(Action::Send(command.line()));
    }

    /// Sends the next queued command when nothing is in flight.
    fn pump(&mut self, now: Duration, out: &mut Vec<Action>) {
        if self.in_flight.is_some() || self.phase != Phase::Online {
            return;
        }
        if let Some(command) = self.queue.pop_front() {
            let seq = self.take_seq();
            let command = match command {
                GateCommand::Open => Command::Open(seq),
                GateCommand::Close => Command::Close(seq),
                GateCommand::Hold => Command::Hold(seq),
                GateCommand::Release => Command::Release(seq),
            };
            self.send(now, command, out);
        }
    }

    fn go_offline(&mut self, why: &str, out: &mut Vec<Action>) {
        if !self.queue.is_empty() || self.in_flight.is_some_and(|f| is_motion(f.command)) {
            tracing::warn!(
                why,
                dropped = self.queue.len(),
                "gate link lost with commands pending; they are dropped"
            );
        }
        self.queue.clear();
        self.in_flight = None;
        if self.phase != Phase::Closed {
            self.phase = Phase::Greeting;
        }
        if self.online {
            tracing::warn!(why, "gate offline");
            self.online = false;
            out.push(Action::Signal(GateSignal::Online(false)));
        }
    }

    fn line(&mut self, now: Duration, line: &[u8], out: &mut Vec<Action>) {
        let report = match Report::parse_line(line) {
            Ok(report) => report,
            Err(e) => {
                self.dropped_lines += 1;
                tracing::debug!(
                    line = %String::from_utf8_lossy(line).escape_debug(),
                    error = %e,
                    dropped = self.dropped_lines,
                    "gate line dropped"
                );
                return;
            }
        };
        self.last_heard = now;
        let answers = |f: &InFlight, seq: u16| f.command.seq() == Some(seq);
        match report {
            Report::Ready(version) => {
                match self.phase {
                    Phase::Syncing => {
                        // The answer to a resent HELLO; STATUS is already on its way.
                        tracing::debug!(%version, "READY again while syncing");
                        return;
                    }
                    Phase::Online => {
                        // Unsolicited: the controller restarted and forgot its expected vehicles.
                        tracing::warn!(%version, "gate controller restarted");
                        self.go_offline("controller restarted", out);
                    }
                    Phase::Greeting | Phase::Closed => {
                        tracing::info!(%version, "gate controller ready");
                    }
                }
                self.firmware = Some(version);
                self.phase = Phase::Syncing;
                let seq = self.take_seq();
                self.send(now, Command::Status(seq), out);
            }
            Report::Ack(seq) | Report::Pong(seq) => match self.in_flight {
                Some(f) if answers(&f, seq) => self.answered(now, f, out),
                _ => tracing::debug!(seq, "stale answer ignored"),
            },
            Report::Nak { seq, reason } => match self.in_flight {
                Some(f) if answers(&f, seq) => {
                    tracing::warn!(command = %f.command, reason, "gate controller refused");
                    out.push(Action::Signal(GateSignal::Fault(format!(
                        "{} refused: {reason}",
                        f.command.verb()
                    ))));
                    if is_motion(f.command) {
                        // The barrier will not move for this cycle: end it without spending a
                        // try, and greet the controller again before the next one.
                        self.go_offline("motion refused", out);
                        self.send(now, Command::Hello, out);
                    } else {
                        self.answered(now, f, out);
                    }
                }
                _ => tracing::debug!(seq, reason, "stale NAK ignored"),
            },
            Report::Event(event) => {
                if self.phase == Phase::Greeting {
                    tracing::debug!(?event, "event before READY ignored");
                    return;
                }
                out.push(Action::Signal(event_signal(event)));
            }
            Report::State(state) => {
                if self.phase == Phase::Greeting {
                    return;
                }
                match state.barrier {
                    Barrier::Open => out.push(Action::Signal(GateSignal::Opened)),
                    Barrier::Closed => out.push(Action::Signal(GateSignal::Closed)),
                    Barrier::Opening | Barrier::Closing => {}
                }
                out.push(Action::Signal(GateSignal::Presence(state.presence)));
            }
        }
    }

    fn answered(&mut self, now: Duration, f: InFlight, out: &mut Vec<Action>) {
        self.in_flight = None;
        if self.phase == Phase::Syncing && matches!(f.command, Command::Status(_)) {
            self.phase = Phase::Online;
            if !self.online {
                self.online = true;
                tracing::info!(firmware = ?self.firmware, "gate online");
                out.push(Action::Signal(GateSignal::Online(true)));
            }
        }
        self.pump(now, out);
    }
}

/// The booth's signal for a controller's event.
pub fn event_signal(event: GateEvent) -> GateSignal {
    match event {
        GateEvent::Opened => GateSignal::Opened,
        GateEvent::Closed => GateSignal::Closed,
        GateEvent::Presence(on) => GateSignal::Presence(on),
        GateEvent::Passed => GateSignal::Passed,
        GateEvent::Timeout => GateSignal::TimedOut,
        GateEvent::Fault(code) => GateSignal::Fault(code),
    }
}

fn is_motion(command: Command) -> bool {
    matches!(
        command,
        Command::Open(_) | Command::Hold(_) | Command::Release(_) | Command::Close(_)
    )
}

#[cfg(test)]
mod tests;
