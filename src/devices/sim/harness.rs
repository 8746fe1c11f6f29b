//! A gate controller running as a process of its own: the real firmware in the simavr harness
//! (`firmware/build/sim/gate-sim`) or `clearpark sim gate`. Both print `PTY <path>` first (the
//! console opens that path as the gate's serial port), then `RELAY 0|1` when the barrier relay
//! changes, and read `presence 0|1`, `beam 0|1` on standard input (firmware/sim/README.md).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::watch;

#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    #[error("cannot start {program}: {source}")]
    Spawn {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{program} did not announce its pty (no `PTY <path>` line)")]
    NoPty { program: PathBuf },
    #[error("cannot talk to the controller process: {0}")]
    Io(#[from] std::io::Error),
}

/// A running controller process; killed when dropped.
pub struct ControllerProcess {
    /// The serial port the console opens.
    pub pty: PathBuf,
    relay: watch::Receiver<bool>,
    stdin: ChildStdin,
    _child: Child,
}

impl ControllerProcess {
    /// Starts `program args...` and waits for its `PTY` line.
    pub async fn spawn(program: &Path, args: &[&str]) -> Result<ControllerProcess, HarnessError> {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| HarnessError::Spawn {
                program: program.to_owned(),
                source,
            })?;
        let no_pty = || HarnessError::NoPty {
            program: program.to_owned(),
        };
        let stdin = child.stdin.take().ok_or_else(no_pty)?;
        let stdout = child.stdout.take().ok_or_else(no_pty)?;
        let mut lines = BufReader::new(stdout).lines();
        let pty = loop {
            match lines.next_line().await? {
                Some(line) => {
                    if let Some(path) = line.strip_prefix("PTY ") {
                        break PathBuf::from(path.trim());
                    }
                }
                None => return Err(no_pty()),
            }
        };
        let (relay_tx, relay) = watch::channel(false);
        tokio::spawn(async move {
            // The relay lines until the process ends; other lines (SPEED, logs) are skipped.
            while let Ok(Some(line)) = lines.next_line().await {
                match line.trim() {
                    "RELAY 1" => relay_tx.send_replace(true),
                    "RELAY 0" => relay_tx.send_replace(false),
                    _ => continue,
                };
            }
        });
        Ok(ControllerProcess {
            pty,
            relay,
            stdin,
            _child: child,
        })
    }

    /// The barrier relay: `true` while the barrier is (being) raised.
    pub fn relay(&self) -> watch::Receiver<bool> {
        self.relay.clone()
    }

    /// Sets a sensor: `presence 1`, `beam 0`...
    pub async fn control(&mut self, line: &str) -> Result<(), HarnessError> {
        self.stdin.write_all(format!("{line}\n").as_bytes()).await?;
        self.stdin.flush().await?;
        Ok(())
    }
}
