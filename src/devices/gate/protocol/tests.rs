//! The gate protocol codec, case by case.

use super::*;
use crate::devices::lines::Piece;

#[test]
fn checksum_is_the_xor_of_the_body() {
    assert_eq!(checksum(b""), 0);
    assert_eq!(checksum(b"PING 1"), b"PING 1".iter().fold(0, |a, b| a ^ b));
    assert_eq!(Command::Hello.line(), b"HELLO*42\n".to_vec());
    // The NMEA example: same algorithm.
    assert_eq!(checksum(b"GPGLL,5300.97914,N,00259.98174,E,125926,A"), 0x28);
}

#[test]
fn frames_round_trip_and_accept_crlf_and_lower_case() {
    let line = Command::Open(42).line();
    assert_eq!(
        line,
        format!("OPEN 42*{:02X}\n", checksum(b"OPEN 42")).into_bytes()
    );
    let body = &line[..line.len() - 1];
    assert_eq!(unframe(body), Ok("OPEN 42"));
    let mut crlf = body.to_vec();
    crlf.push(b'\r');
    assert_eq!(unframe(&crlf), Ok("OPEN 42"));
    let lower = format!("ACK 7*{:02x}", checksum(b"ACK 7"));
    assert_eq!(Report::parse_line(lower.as_bytes()), Ok(Report::Ack(7)));
}

#[test]
fn bad_frames_are_errors() {
    assert_eq!(unframe(b""), Err(FrameError::NoChecksum));
    assert_eq!(unframe(b"*0"), Err(FrameError::NoChecksum));
    assert_eq!(unframe(b"PING 1 42"), Err(FrameError::NoChecksum));
    assert_eq!(unframe(b"PING 1*G1"), Err(FrameError::BadHex));
    assert!(matches!(
        unframe(b"EVT PASSED*00"),
        Err(FrameError::Mismatch { found: 0, .. })
    ));
    let long = "A".repeat(61);
    let line = format!("{long}*{:02X}", checksum(long.as_bytes()));
    assert_eq!(unframe(line.as_bytes()), Err(FrameError::TooLong(61)));
    let ok = "A".repeat(60);
    let line = format!("{ok}*{:02X}", checksum(ok.as_bytes()));
    assert!(unframe(line.as_bytes()).is_ok());
    assert_eq!(unframe(b"A\tB*00"), Err(FrameError::NotPrintable { at: 1 }));
    assert_eq!(
        unframe(&[0xC3, 0xA9, b'*', b'6', b'A']),
        Err(FrameError::NotPrintable { at: 0 })
    );
}

#[test]
fn frame_refuses_what_cannot_be_sent() {
    assert!(frame(&"x".repeat(61)).is_err());
    assert!(frame("a\nb").is_err());
    assert_eq!(frame("").unwrap(), b"*00\n".to_vec());
}

#[test]
fn commands_round_trip() {
    for c in [
        Command::Hello,
        Command::Ping(0),
        Command::Open(65535),
        Command::Close(1),
        Command::Hold(2),
        Command::Release(3),
        Command::Status(4),
    ] {
        let line = c.line();
        let body = unframe(&line[..line.len() - 1]).unwrap();
        assert_eq!(Command::parse(body), Ok(c));
    }
}

#[test]
fn command_refusals_name_the_seq_they_could_read() {
    assert_eq!(
        Command::parse("JUMP 5"),
        Err(CommandError::Unknown { seq: 5 })
    );
    assert_eq!(
        Command::parse("JUMP"),
        Err(CommandError::Unknown { seq: 0 })
    );
    assert_eq!(Command::parse("OPEN"), Err(CommandError::Arg { seq: 0 }));
    assert_eq!(Command::parse("OPEN x"), Err(CommandError::Arg { seq: 0 }));
    assert_eq!(
        Command::parse("OPEN 5 6"),
        Err(CommandError::Arg { seq: 5 })
    );
    assert_eq!(Command::parse("OPEN  5"), Err(CommandError::Arg { seq: 0 }));
    assert_eq!(
        Command::parse("OPEN 65536"),
        Err(CommandError::Arg { seq: 0 })
    );
    assert_eq!(Command::parse("OPEN +5"), Err(CommandError::Arg { seq: 0 }));
    assert_eq!(Command::parse("HELLO 3"), Err(CommandError::Arg { seq: 3 }));
    assert_eq!(
        Command::parse("open 5"),
        Err(CommandError::Unknown { seq: 5 })
    );
    assert_eq!(CommandError::Arg { seq: 5 }.nak().to_string(), "NAK 5 ARG");
}

#[test]
fn reports_round_trip() {
    let all = [
        Report::Ready("clearpark-gate/1.0.0".into()),
        Report::Ack(0),
        Report::Nak {
            seq: 9,
            reason: "FAULT".into(),
        },
        Report::Pong(65535),
        Report::Event(GateEvent::Opened),
        Report::Event(GateEvent::Closed),
        Report::Event(GateEvent::Presence(true)),
        Report::Event(GateEvent::Presence(false)),
        Report::Event(GateEvent::Passed),
        Report::Event(GateEvent::Timeout),
        Report::Event(GateEvent::Fault("WDT".into())),
        Report::State(GateState {
            barrier: Barrier::Closing,
            presence: true,
            beam: false,
        }),
    ];
    for r in all {
        let line = r.line().unwrap();
        assert_eq!(line.last(), Some(&b'\n'));
        assert_eq!(Report::parse_line(&line[..line.len() - 1]), Ok(r));
    }
    assert_eq!(
        Report::parse("STATE beam=1 gate=open presence=0"),
        Ok(Report::State(GateState {
            barrier: Barrier::Open,
            presence: false,
            beam: true
        }))
    );
}

#[test]
fn malformed_reports_are_errors() {
    for body in [
        "",
        "READY",
        "ACK",
        "ACK -1",
        "ACK 1 2",
        "PONG x",
        "NAK 1",
        "NAK 1 A B",
        "NAK x FAULT",
        "EVT",
        "EVT OPENED 1",
        "EVT PRESENCE",
        "EVT PRESENCE 2",
        "EVT FAULT",
        "EVT JUMPED",
        "STATE",
        "STATE gate=open presence=0",
        "STATE gate=ajar presence=0 beam=0",
        "STATE gate=open gate=open presence=0 beam=0",
        "STATE gate=open presence=0 beam=0 x=1",
        "HELLO",
    ] {
        assert!(Report::parse(body).is_err(), "{body:?}");
    }
}

#[test]
fn the_splitter_drops_overlong_lines_up_to_their_newline() {
    let mut s = splitter();
    let long = vec![b'A'; 200];
    let mut input = long.clone();
    input.extend_from_slice(b"\n");
    input.extend_from_slice(&Report::Ack(3).line().unwrap());
    let pieces = s.push(&input);
    assert!(matches!(pieces[0], Piece::Overlong { len: 200, .. }));
    let Piece::Line(line) = &pieces[1] else {
        panic!("{pieces:?}")
    };
    assert_eq!(Report::parse_line(line), Ok(Report::Ack(3)));
}
