//! A gate controller played by the test on a pty, for one start of the booth.

use clearpark::devices::gate::protocol::{self, Command};
use clearpark::devices::lines::Piece;
use serialport::{SerialPort, TTYPort};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

use crate::rig::HANG;

/// A gate controller played by the test on a pty: it answers `HELLO`, `PING`, `STATUS` and
/// every command at once as the firmware does (a resend, same verb and seq, is answered again
/// but not executed), reports each executed `OPEN` on [`GateHandle::opens`], and leaves the
/// vehicle's `EVT PASSED` (or `EVT TIMEOUT`) to the load.
pub struct GatePlayer {
    pub path: PathBuf,
    /// The test's own descriptor of the slave side: keeps the pty alive across the booth's
    /// death, and writes the marker that tells the reader it has read everything.
    slave: TTYPort,
    drained: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

/// What the load holds of a gate: its `OPEN`s (by seq) and a way to report events.
pub struct GateHandle {
    pub opens: mpsc::UnboundedReceiver<u16>,
    writer: Arc<Mutex<TTYPort>>,
}

impl GateHandle {
    /// Sends a report line to the console (ignored when the console is gone).
    pub fn report(&self, body: &str) {
        send(&self.writer, body);
    }
}

/// The end of what the booth wrote, written by the test on the slave side after the booth died:
/// the pty keeps order, so once the reader sees it, every line of the dead booth was read.
const DRAIN_MARK: &[u8] = b"#crash-test-drained#";

fn send(writer: &Mutex<TTYPort>, body: &str) {
    let _ = writer
        .lock()
        .unwrap()
        .write_all(&protocol::frame(body).unwrap());
}

impl GatePlayer {
    pub fn open() -> (GatePlayer, GateHandle) {
        let (mut master, slave) = TTYPort::pair().unwrap();
        let path = PathBuf::from(slave.name().unwrap());
        let mut writer = master.try_clone_native().unwrap();
        writer.set_timeout(Duration::from_secs(1)).unwrap();
        let writer = Arc::new(Mutex::new(writer));
        master.set_timeout(Duration::from_millis(20)).unwrap();
        let (tx, opens) = mpsc::unbounded_channel();
        let (drained, stop) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicBool::new(false)),
        );
        let answer = writer.clone();
        let (done, stopped) = (drained.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut lines = protocol::splitter();
            let mut last: Option<Command> = None;
            let mut buf = [0_u8; 1024];
            while !stopped.load(Ordering::Relaxed) {
                let n = match master.read(&mut buf) {
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::TimedOut => continue,
                    Err(_) => {
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    }
                };
                for piece in lines.push(&buf[..n]) {
                    // Overlong pieces can only be a dead booth's half line joined to the next.
                    let Piece::Line(line) = piece else { continue };
                    if line.ends_with(DRAIN_MARK) {
                        done.store(true, Ordering::Relaxed);
                        return;
                    }
                    // A half line cut by the kill fails its checksum, as on a real wire.
                    let Ok(body) = protocol::unframe(&line) else {
                        continue;
                    };
                    let Ok(command) = Command::parse(body) else {
                        continue;
                    };
                    let resend = last == Some(command);
                    last = Some(command);
                    match command {
                        Command::Hello => {
                            last = None;
                            send(&answer, "READY crash-test-gate/1");
                        }
                        Command::Ping(seq) => send(&answer, &format!("PONG {seq}")),
                        Command::Status(seq) => {
                            send(&answer, &format!("ACK {seq}"));
                            send(&answer, "STATE gate=closed presence=0 beam=0");
                        }
                        Command::Open(seq) => {
                            send(&answer, &format!("ACK {seq}"));
                            if !resend {
                                send(&answer, "EVT OPENED");
                                let _ = tx.send(seq);
                            }
                        }
                        Command::Close(seq) | Command::Hold(seq) | Command::Release(seq) => {
                            send(&answer, &format!("ACK {seq}"))
                        }
                    }
                }
            }
        });
        let player = GatePlayer {
            path,
            slave,
            drained,
            stop,
            thread,
        };
        (player, GateHandle { opens, writer })
    }

    /// After the booth died: reads everything it wrote (up to the marker), then stops.
    pub fn drain(mut self) {
        let mut mark = b"\n".to_vec();
        mark.extend_from_slice(DRAIN_MARK);
        mark.push(b'\n');
        let _ = self.slave.write_all(&mark);
        let deadline = Instant::now() + HANG;
        while !self.thread.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap();
        assert!(
            self.drained.load(Ordering::Relaxed),
            "the gate pty never delivered the drain mark"
        );
    }
}
