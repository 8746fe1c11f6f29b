//! The gate controller's line protocol (docs/contracts.md §4, docs/gate-protocol.md) as a pure codec:
//! checksums, framing, commands and reports as typed values. No I/O. Every function takes any
//! bytes and answers with a value or an error; none panics.

use crate::devices::lines::{LineEnd, LineSplitter};
use std::fmt;

/// The longest `BODY` of a line, in bytes.
pub const MAX_BODY: usize = 60;
/// The longest line without its `\n`: `BODY`, `*HH` and an optional `\r`.
pub const MAX_LINE: usize = MAX_BODY + 4;
/// The serial speed of the gate controller.
pub const BAUD: u32 = 115_200;

/// A splitter for the protocol's lines; longer ones are dropped up to their `\n`.
pub fn splitter() -> LineSplitter {
    LineSplitter::new(LineEnd::Lf, MAX_LINE)
}

/// The XOR of every byte of `body`.
pub fn checksum(body: &[u8]) -> u8 {
    body.iter().fold(0, |sum, b| sum ^ b)
}

/// Why a line is dropped before its meaning is looked at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("no *HH checksum at the end")]
    NoChecksum,
    #[error("the checksum is not two hex digits")]
    BadHex,
    #[error("checksum {found:02X} where the body sums to {computed:02X}")]
    Mismatch { found: u8, computed: u8 },
    #[error("the body is {0} bytes; at most {MAX_BODY}")]
    TooLong(usize),
    #[error("byte {at} of the body is not printable ASCII")]
    NotPrintable { at: usize },
}

/// Checks one received line (without its `\n`; a trailing `\r` is allowed) and returns its body.
pub fn unframe(line: &[u8]) -> Result<&str, FrameError> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let Some((body, tail)) = line.len().checked_sub(3).map(|at| line.split_at(at)) else {
        return Err(FrameError::NoChecksum);
    };
    let [b'*', high, low] = *tail else {
        return Err(FrameError::NoChecksum);
    };
    let found = match (hex_value(high), hex_value(low)) {
        (Some(h), Some(l)) => h << 4 | l,
        _ => return Err(FrameError::BadHex),
    };
    if body.len() > MAX_BODY {
        return Err(FrameError::TooLong(body.len()));
    }
    if let Some(at) = body.iter().position(|b| !(0x20..=0x7E).contains(b)) {
        return Err(FrameError::NotPrintable { at });
    }
    let computed = checksum(body);
    if computed != found {
        return Err(FrameError::Mismatch { found, computed });
    }
    std::str::from_utf8(body).map_err(|_| FrameError::NotPrintable { at: 0 })
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

/// A text that cannot be sent as a body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} cannot be sent: a body is 0..{MAX_BODY} bytes of printable ASCII")]
pub struct BadBody(pub String);

/// `BODY*HH\n`, upper-case hex, for a body known to be valid.
fn frame_unchecked(body: &str) -> Vec<u8> {
    let mut line = Vec::with_capacity(body.len() + 4);
    line.extend_from_slice(body.as_bytes());
    line.extend_from_slice(format!("*{:02X}\n", checksum(body.as_bytes())).as_bytes());
    line
}

/// `BODY*HH\n`, refusing a body that is too long or not printable ASCII.
pub fn frame(body: &str) -> Result<Vec<u8>, BadBody> {
    if body.len() > MAX_BODY || !body.bytes().all(|b| (0x20..=0x7E).contains(&b)) {
        return Err(BadBody(body.to_owned()));
    }
    Ok(frame_unchecked(body))
}

/// A sequence number, `0..=65535`, exactly decimal digits.
fn parse_seq(field: &str) -> Option<u16> {
    if field.is_empty() || field.len() > 5 || !field.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    field.parse().ok()
}

// ---- console → controller ----------------------------------------------------------------

/// A command from the console to the controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    Hello,
    Ping(u16),
    Open(u16),
    Close(u16),
    Hold(u16),
    Release(u16),
    Status(u16),
}

/// Why the controller refuses a command; the `NAK` it answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("NAK {seq} UNKNOWN")]
    Unknown { seq: u16 },
    #[error("NAK {seq} ARG")]
    Arg { seq: u16 },
}

impl CommandError {
    /// The `NAK` report answering it.
    pub fn nak(&self) -> Report {
        match self {
            CommandError::Unknown { seq } => Report::Nak {
                seq: *seq,
                reason: "UNKNOWN".into(),
            },
            CommandError::Arg { seq } => Report::Nak {
                seq: *seq,
                reason: "ARG".into(),
            },
        }
    }
}

impl Command {
    pub fn verb(self) -> &'static str {
        match self {
            Command::Hello => "HELLO",
            Command::Ping(_) => "PING",
            Command::Open(_) => "OPEN",
            Command::Close(_) => "CLOSE",
            Command::Hold(_) => "HOLD",
            Command::Release(_) => "RELEASE",
            Command::Status(_) => "STATUS",
        }
    }

    pub fn seq(self) -> Option<u16> {
        match self {
            Command::Hello => None,
            Command::Ping(s)
            | Command::Open(s)
            | Command::Close(s)
            | Command::Hold(s)
            | Command::Release(s)
            | Command::Status(s) => Some(s),
        }
    }

    /// Its framed line.
    pub fn line(self) -> Vec<u8> {
        // A verb and a number: always a valid body.
        frame_unchecked(&self.to_string())
    }

    /// Parses a body as the controller reads it. Fields are separated by one space; the `seq`
    /// of a refusal is the second field when it is a number, else 0.
    pub fn parse(body: &str) -> Result<Command, CommandError> {
        let (verb, arg) = match body.split_once(' ') {
            Some((verb, arg)) => (verb, Some(arg)),
            None => (body, None),
        };
        let seq_field = arg.map(|a| a.split_once(' ').map_or(a, |(s, _)| s));
        let seq_read = seq_field.and_then(parse_seq);
        let only_seq = seq_read.is_some() && seq_field == arg;
        let with_seq: fn(u16) -> Command = match verb {
            "HELLO" if arg.is_none() => return Ok(Command::Hello),
            "HELLO" => {
                return Err(CommandError::Arg {
                    seq: seq_read.unwrap_or(0),
                });
            }
            "PING" => Command::Ping,
            "OPEN" => Command::Open,
            "CLOSE" => Command::Close,
            "HOLD" => Command::Hold,
            "RELEASE" => Command::Release,
            "STATUS" => Command::Status,
            _ => {
                return Err(CommandError::Unknown {
                    seq: seq_read.unwrap_or(0),
                });
            }
        };
        match seq_read {
            Some(seq) if only_seq => Ok(with_seq(seq)),
            _ => Err(CommandError::Arg {
                seq: seq_read.unwrap_or(0),
            }),
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.seq() {
            Some(seq) => write!(f, "{} {seq}", self.verb()),
            None => f.write_str(self.verb()),
        }
    }
}

// ---- controller → console ----------------------------------------------------------------

/// Where the barrier is, as `STATE` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Barrier {
    Closed,
    Opening,
    Open,
    Closing,
}

impl Barrier {
    pub fn name(self) -> &'static str {
        match self {
            Barrier::Closed => "closed",
            Barrier::Opening => "opening",
            Barrier::Open => "open",
            Barrier::Closing => "closing",
        }
    }

    fn parse(text: &str) -> Option<Barrier> {
        Some(match text {
            "closed" => Barrier::Closed,
            "opening" => Barrier::Opening,
            "open" => Barrier::Open,
            "closing" => Barrier::Closing,
            _ => return None,
        })
    }
}

/// A `STATE` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GateState {
    pub barrier: Barrier,
    pub presence: bool,
    pub beam: bool,
}

/// `EVT ...`: what happened at the gate.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GateEvent {
    Opened,
    Closed,
    Presence(bool),
    Passed,
    Timeout,
    Fault(String),
}

/// A line from the controller.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Report {
    Ready(String),
    Ack(u16),
    Nak { seq: u16, reason: String },
    Pong(u16),
    Event(GateEvent),
    State(GateState),
}

/// Why a well-framed body is not a report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("unknown report {0:?}")]
    Unknown(String),
    #[error("malformed {verb}: {why}")]
    Malformed {
        verb: &'static str,
        why: &'static str,
    },
}

/// Why a received line was dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error(transparent)]
    Frame(#[from] FrameError),
    #[error(transparent)]
    Report(#[from] ReportError),
}

fn bit(text: &str) -> Option<bool> {
    match text {
        "0" => Some(false),
        "1" => Some(true),
        _ => None,
    }
}

/// A non-empty field without spaces (fault codes, NAK reasons).
fn token(text: &str) -> Option<&str> {
    (!text.is_empty() && !text.contains(' ')).then_some(text)
}

impl Report {
    /// Parses a received line (without `\n`): framing, then meaning.
    pub fn parse_line(line: &[u8]) -> Result<Report, LineError> {
        Ok(Report::parse(unframe(line)?)?)
    }

    /// Parses a body.
    pub fn parse(body: &str) -> Result<Report, ReportError> {
        let malformed = |verb, why| ReportError::Malformed { verb, why };
        let (verb, rest) = body.split_once(' ').unwrap_or((body, ""));
        match verb {
            "READY" if !rest.is_empty() => Ok(Report::Ready(rest.to_owned())),
            "READY" => Err(malformed("READY", "no firmware version")),
            "ACK" => parse_seq(rest)
                .map(Report::Ack)
                .ok_or(malformed("ACK", "seq is not 0..65535")),
            "PONG" => parse_seq(rest)
                .map(Report::Pong)
                .ok_or(malformed("PONG", "seq is not 0..65535")),
            "NAK" => {
                let (seq, reason) = rest
                    .split_once(' ')
                    .ok_or(malformed("NAK", "wants a seq and a reason"))?;
                let seq = parse_seq(seq).ok_or(malformed("NAK", "seq is not 0..65535"))?;
                let reason = token(reason).ok_or(malformed("NAK", "bad reason"))?;
                Ok(Report::Nak {
                    seq,
                    reason: reason.to_owned(),
                })
            }
            "EVT" => Report::parse_event(rest).map(Report::Event),
            "STATE" => Report::parse_state(rest).map(Report::State),
            _ => Err(ReportError::Unknown(verb.chars().take(16).collect())),
        }
    }

    fn parse_event(rest: &str) -> Result<GateEvent, ReportError> {
        let malformed = |why| ReportError::Malformed { verb: "EVT", why };
        let (what, arg) = match rest.split_once(' ') {
            Some((what, arg)) => (what, Some(arg)),
            None => (rest, None),
        };
        match (what, arg) {
            ("OPENED", None) => Ok(GateEvent::Opened),
            ("CLOSED", None) => Ok(GateEvent::Closed),
            ("PASSED", None) => Ok(GateEvent::Passed),
            ("TIMEOUT", None) => Ok(GateEvent::Timeout),
            ("PRESENCE", Some(level)) => bit(level)
                .map(GateEvent::Presence)
                .ok_or(malformed("PRESENCE wants 0 or 1")),
            ("FAULT", Some(code)) => token(code)
                .map(|c| GateEvent::Fault(c.to_owned()))
                .ok_or(malformed("bad fault code")),
            _ => Err(malformed("unknown event")),
        }
    }

    fn parse_state(rest: &str) -> Result<GateState, ReportError> {
        let malformed = |why| ReportError::Malformed { verb: "STATE", why };
        let (mut barrier, mut presence, mut beam) = (None, None, None);
        for field in rest.split(' ') {
            let (key, value) = field
                .split_once('=')
                .ok_or(malformed("a field is not k=v"))?;
            let repeated = match key {
                "gate" => barrier
                    .replace(Barrier::parse(value).ok_or(malformed("bad gate"))?)
                    .is_some(),
                "presence" => presence
                    .replace(bit(value).ok_or(malformed("bad presence"))?)
                    .is_some(),
                "beam" => beam
                    .replace(bit(value).ok_or(malformed("bad beam"))?)
                    .is_some(),
                _ => return Err(malformed("unknown field")),
            };
            if repeated {
                return Err(malformed("a field is repeated"));
            }
        }
        match (barrier, presence, beam) {
            (Some(barrier), Some(presence), Some(beam)) => Ok(GateState {
                barrier,
                presence,
                beam,
            }),
            _ => Err(malformed("wants gate, presence and beam")),
        }
    }

    /// Its framed line; fails only for a version, reason or fault code that cannot be sent.
    pub fn line(&self) -> Result<Vec<u8>, BadBody> {
        frame(&self.to_string())
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Report::Ready(version) => write!(f, "READY {version}"),
            Report::Ack(seq) => write!(f, "ACK {seq}"),
            Report::Nak { seq, reason } => write!(f, "NAK {seq} {reason}"),
            Report::Pong(seq) => write!(f, "PONG {seq}"),
            Report::Event(event) => match event {
                GateEvent::Opened => f.write_str("EVT OPENED"),
                GateEvent::Closed => f.write_str("EVT CLOSED"),
                GateEvent::Presence(on) => write!(f, "EVT PRESENCE {}", u8::from(*on)),
                GateEvent::Passed => f.write_str("EVT PASSED"),
                GateEvent::Timeout => f.write_str("EVT TIMEOUT"),
                GateEvent::Fault(code) => write!(f, "EVT FAULT {code}"),
            },
            Report::State(s) => write!(
                f,
                "STATE gate={} presence={} beam={}",
                s.barrier.name(),
                u8::from(s.presence),
                u8::from(s.beam)
            ),
        }
    }
}

#[cfg(test)]
mod tests;
