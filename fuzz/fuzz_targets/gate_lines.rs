//! The gate line splitter and parser on any bytes, read in any chunks: no panic, lines bounded,
//! every report that parses is sent back identically, and the console's link state machine
//! takes the same bytes without a panic.
#![no_main]

use clearpark::devices::gate::host::HostLink;
use clearpark::devices::gate::protocol::{self, Command, MAX_LINE, Report};
use clearpark::devices::lines::Piece;
use libfuzzer_sys::fuzz_target;
use std::time::Duration;

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, bytes)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk).max(1);
    let mut splitter = protocol::splitter();
    let mut link = HostLink::new(7);
    link.port_opened(Duration::ZERO);
    for (i, part) in bytes.chunks(chunk).enumerate() {
        let now = Duration::from_millis(i as u64 * 37);
        let _ = link.received(now, part);
        let _ = link.tick(now);
        for piece in splitter.push(part) {
            match piece {
                Piece::Line(line) => {
                    assert!(line.len() <= MAX_LINE);
                    if let Ok(report) = Report::parse_line(&line) {
                        let again = report.line().expect("a parsed report can be sent");
                        assert_eq!(Report::parse_line(&again[..again.len() - 1]), Ok(report));
                    }
                    if let Ok(body) = protocol::unframe(&line)
                        && let Ok(command) = Command::parse(body)
                    {
                        let again = command.line();
                        assert_eq!(protocol::unframe(&again[..again.len() - 1]), Ok(body));
                    }
                }
                Piece::Overlong { head, len } => {
                    assert_eq!(head.len(), MAX_LINE + 1);
                    assert!(len > MAX_LINE);
                }
            }
        }
    }
});
