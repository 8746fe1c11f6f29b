//! The clearpark binary as a child process of a test: started in a folder without the
//! developer's `CLEARPARK_*` settings, its standard output read line by line on a thread, sent
//! signals as an operator or a service manager would, and killed if the test fails first.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// The `clearpark` binary cargo built for the test or benchmark running now.
pub fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("CARGO_BIN_EXE_clearpark") {
        return path.into();
    }
    // An integration test runs from target/<profile>/deps/, next to which cargo puts the binary.
    let exe = std::env::current_exe().expect("the test's own path");
    exe.parent()
        .and_then(Path::parent)
        .expect("the test binary in target/<profile>/deps")
        .join("clearpark")
}

/// `clearpark` in `dir`, logging at `info`, with none of the settings a developer's shell may
/// carry.
pub fn command(dir: &Path) -> Command {
    let mut command = Command::new(binary());
    command
        .current_dir(dir)
        .env_remove("CLEARPARK_DATABASE")
        .env_remove("CLEARPARK_RES_GUID")
        .env_remove("CLEARPARK_CONFIG")
        .env_remove("CLEARPARK_NWAVE_URL")
        .env("RUST_LOG", "info");
    command
}

/// A running `clearpark`, its output so far, and the lines still to come.
pub struct Process {
    child: Option<Child>,
    lines: Receiver<String>,
    /// Every line read so far.
    pub seen: Vec<String>,
}

impl Process {
    /// Starts `clearpark <args>` in `dir`; standard error goes to the test's.
    pub fn start(dir: &Path, args: &[&str]) -> Process {
        Process::spawn(command(dir).args(args))
    }

    /// Starts `command`, reading its standard output.
    pub fn spawn(command: &mut Command) -> Process {
        use std::io::BufRead;
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Process {
            child: Some(child),
            lines,
            seen: Vec::new(),
        }
    }

    /// Starts `command` with the output it was given (a file, say): no lines to read here.
    pub fn spawn_writing_elsewhere(command: &mut Command) -> Process {
        let (_, lines) = std::sync::mpsc::channel();
        Process {
            child: Some(command.spawn().unwrap()),
            lines,
            seen: Vec::new(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// Waits up to `within` for a line holding `marker`, and returns it.
    pub fn wait_for(&mut self, marker: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(marker) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!("no {marker:?} within {within:?}: {:#?}", self.seen)
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("the process ended without {marker:?}: {:#?}", self.seen)
                }
            }
        }
    }

    /// Sends the signal named `name` (`INT`, `TERM`, `HUP`...), as `kill -s` does.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args(["-s", name, &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -s {name}");
    }

    /// Waits for the process to end; its exit status and every line it wrote.
    pub fn wait(mut self) -> (ExitStatus, Vec<String>) {
        let status = self.child.take().unwrap().wait().unwrap();
        // The reader ends at the end of the output, which the exit closed (unless a process it
        // started holds it still: then what came within a moment).
        let mut seen = std::mem::take(&mut self.seen);
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            seen.push(line);
        }
        (status, seen)
    }

    /// Ctrl-C, then the exit status.
    pub fn interrupt(mut self) -> ExitStatus {
        self.signal("INT");
        self.child.take().unwrap().wait().unwrap()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
