//! Device ends on real pseudo-terminals for tests: the test holds the master side, the console
//! opens the slave through a symlink the test can point elsewhere ("unplug, plug back in").

use clearpark::devices::gate::protocol::{self, Command};
use serialport::{SerialPort, TTYPort};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// Generous guard for anything the console should do promptly; a test that hits it fails.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// A symlink standing for a device node, re-pointed atomically.
pub struct DevLink {
    pub path: PathBuf,
}

impl DevLink {
    pub fn new(dir: &Path, name: &str) -> DevLink {
        DevLink {
            path: dir.join(name),
        }
    }

    pub fn point_to(&self, target: &Path) {
        let tmp = self.path.with_extension("new");
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(target, &tmp).unwrap();
        std::fs::rename(&tmp, &self.path).unwrap();
    }

    pub fn remove(&self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A pty pair whose master side the test owns.
fn pair() -> (TTYPort, TTYPort, PathBuf) {
    let (master, slave) = TTYPort::pair().unwrap();
    let path = PathBuf::from(slave.name().unwrap());
    (master, slave, path)
}

/// Reads the master side on a thread until `stop`; each chunk goes to `tx`.
fn reader(
    mut master: TTYPort,
    stop: Arc<AtomicBool>,
    mut on_bytes: impl FnMut(&[u8]) + Send + 'static,
) -> std::thread::JoinHandle<()> {
    master.set_timeout(Duration::from_millis(20)).unwrap();
    std::thread::spawn(move || {
        let mut buf = [0_u8; 1024];
        while !stop.load(Ordering::Relaxed) {
            match master.read(&mut buf) {
                Ok(n) if n > 0 => on_bytes(&buf[..n]),
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    })
}

/// A gate controller played by the test. `HELLO`, `PING` and `STATUS` are answered at once
/// (as a healthy controller would); every other command arrives on [`GateEnd::next_command`]
/// for the test to answer, or not.
pub struct GateEnd {
    pub path: PathBuf,
    writer: Arc<Mutex<TTYPort>>,
    commands: mpsc::UnboundedReceiver<Command>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    _slave: TTYPort,
}

impl GateEnd {
    pub fn open() -> GateEnd {
        let (master, slave, path) = pair();
        let writer = Arc::new(Mutex::new(master.try_clone_native().unwrap()));
        let (tx, commands) = mpsc::unbounded_channel();
        let stop = Arc::new(AtomicBool::new(false));
        let answer = writer.clone();
        let mut lines = protocol::splitter();
        let thread = reader(master, stop.clone(), move |bytes| {
            for piece in lines.push(bytes) {
                let clearpark::devices::lines::Piece::Line(line) = piece else {
                    panic!("the console sent an overlong line")
                };
                let body = protocol::unframe(&line).expect("the console sends valid lines");
                let command = Command::parse(body).expect("the console sends commands");
                let reply: &[&str] = match command {
                    Command::Hello => &["READY test-gate/1"],
                    Command::Ping(seq) => &[&format!("PONG {seq}")],
                    Command::Status(seq) => {
                        &[&format!("ACK {seq}"), "STATE gate=closed presence=0 beam=0"]
                    }
                    _ => {
                        let _ = tx.send(command);
                        &[]
                    }
                };
                let mut w = answer.lock().unwrap();
                for r in reply {
                    w.write_all(&protocol::frame(r).unwrap()).unwrap();
                }
            }
        });
        GateEnd {
            path,
            writer,
            commands,
            stop,
            thread: Some(thread),
            _slave: slave,
        }
    }

    /// Sends a report, framed.
    pub fn send(&self, body: &str) {
        self.send_raw(&protocol::frame(body).unwrap());
    }

    pub fn send_raw(&self, bytes: &[u8]) {
        self.writer.lock().unwrap().write_all(bytes).unwrap();
    }

    /// The next command that is not HELLO, PING or STATUS.
    pub async fn next_command(&mut self) -> Command {
        tokio::time::timeout(PATIENCE, self.commands.recv())
            .await
            .expect("no command from the console")
            .expect("gate end reader stopped")
    }

    /// Unplugs it: both sides of the pty are closed.
    pub fn close(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

impl Drop for GateEnd {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// A scanner played by the test.
pub struct ScannerEnd {
    pub path: PathBuf,
    master: TTYPort,
    _slave: TTYPort,
}

impl ScannerEnd {
    pub fn open() -> ScannerEnd {
        let (master, slave, path) = pair();
        ScannerEnd {
            path,
            master,
            _slave: slave,
        }
    }

    /// Writes raw bytes, as a scanner would.
    pub fn write(&mut self, bytes: &[u8]) {
        self.master.write_all(bytes).unwrap();
    }

    /// One code and CR LF.
    pub fn scan(&mut self, code: &str) {
        self.write(format!("{code}\r\n").as_bytes());
    }
}

/// A serial receipt printer played by the test: collects every byte the console sends.
pub struct PrinterEnd {
    pub path: PathBuf,
    received: Arc<Mutex<Vec<u8>>>,
    stop: Arc<AtomicBool>,
    _slave: TTYPort,
}

impl PrinterEnd {
    pub fn open() -> PrinterEnd {
        let (master, slave, path) = pair();
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let sink = received.clone();
        reader(master, stop.clone(), move |bytes| {
            sink.lock().unwrap().extend_from_slice(bytes)
        });
        PrinterEnd {
            path,
            received,
            stop,
            _slave: slave,
        }
    }

    /// Waits until the bytes received satisfy `done`; returns them all.
    pub async fn wait_for(&self, done: impl Fn(&[u8]) -> bool) -> Vec<u8> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let bytes = self.received.lock().unwrap().clone();
            if done(&bytes) {
                return bytes;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the printer got only {} bytes",
                bytes.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for PrinterEnd {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
