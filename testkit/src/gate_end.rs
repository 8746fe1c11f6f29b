//! A gate controller played by a benchmark on the master side of a pty (benches/lanes.rs and
//! the soak's lanes share it).

use clearpark::devices::gate::protocol::{self, Command};
use clearpark::devices::lines::Piece;
use serialport::{SerialPort, TTYPort};
use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A gate controller on the master side of a pty: answers like the firmware, lets each OPEN's
/// vehicle through at once, and reports when each OPEN arrived.
pub fn gate_end(mut master: TTYPort, opens: mpsc::Sender<Instant>) {
    master.set_timeout(Duration::from_millis(200)).unwrap();
    let mut writer = master.try_clone_native().unwrap();
    std::thread::spawn(move || {
        let mut lines = protocol::splitter();
        let mut buf = [0_u8; 256];
        loop {
            let n = match master.read(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => continue,
                Err(_) => return,
            };
            for piece in lines.push(&buf[..n]) {
                let Piece::Line(line) = piece else { continue };
                let Ok(body) = protocol::unframe(&line) else {
                    continue;
                };
                let reply: Vec<String> = match Command::parse(body) {
                    Ok(Command::Hello) => vec!["READY bench-gate/1".into()],
                    Ok(Command::Ping(s)) => vec![format!("PONG {s}")],
                    Ok(Command::Status(s)) => vec![
                        format!("ACK {s}"),
                        "STATE gate=closed presence=0 beam=0".into(),
                    ],
                    Ok(Command::Open(s)) => {
                        let _ = opens.send(Instant::now());
                        tracing::trace!(target: "clearpark::scan_path", "bench: OPEN read");
                        vec![format!("ACK {s}"), "EVT PASSED".into()]
                    }
                    Ok(c) => vec![format!("ACK {}", c.seq().unwrap_or(0))],
                    Err(e) => vec![e.nak().to_string()],
                };
                for r in reply {
                    if writer.write_all(&protocol::frame(&r).unwrap()).is_err() {
                        return;
                    }
                }
            }
        }
    });
}
