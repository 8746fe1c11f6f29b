//! Serial ports for async tasks. `serialport` is blocking: each open port gets a reader thread
//! of its own whose chunks arrive on a channel, and writes run on tokio's blocking pool. Used by
//! the gate link, the scanner and the simulators (on a pty's master side).

use crate::config::{SerialFlow, SerialSpec};
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// How long the reader thread waits for bytes before it looks whether the port was dropped;
/// bounds how long a closed port's thread lives on.
const READ_WAIT: Duration = Duration::from_millis(50);
/// A write the other end does not take within this long fails (and the port is closed).
const WRITE_TIMEOUT: Duration = Duration::from_secs(1);
/// Chunks read but not yet taken by the task; the reader waits when it is full.
const CHUNKS: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum SerialError {
    #[error("cannot open {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: serialport::Error,
    },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
}

/// An open serial port.
pub struct Port {
    name: String,
    chunks: mpsc::Receiver<io::Result<Vec<u8>>>,
    writer: Arc<Mutex<Box<dyn serialport::SerialPort>>>,
    stop: Arc<AtomicBool>,
}

impl std::fmt::Debug for Port {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Port").field("name", &self.name).finish()
    }
}

impl Port {
    /// Opens a device (8N1, the spec's speed and flow control, exclusive) and discards what
    /// was received before: a scan or a gate event nobody read in time is stale.
    pub async fn open(spec: &SerialSpec, default_baud: u32) -> Result<Port, SerialError> {
        let path = spec.path.display().to_string();
        let builder = serialport::new(&path, spec.baud.unwrap_or(default_baud))
            .flow_control(match spec.flow {
                SerialFlow::None => serialport::FlowControl::None,
                SerialFlow::RtsCts => serialport::FlowControl::Hardware,
                SerialFlow::XonXoff => serialport::FlowControl::Software,
            })
            .timeout(READ_WAIT);
        let name = path.clone();
        let opened = tokio::task::spawn_blocking(move || {
            let port = builder.open().map_err(|source| SerialError::Open {
                path: path.clone(),
                source,
            })?;
            port.clear(serialport::ClearBuffer::Input)
                .map_err(|source| SerialError::Open { path, source })?;
            Ok(port)
        })
        .await
        .map_err(|e| SerialError::Io {
            path: name.clone(),
            source: io::Error::other(e),
        })??;
        Port::attach(opened, name)
    }

    /// Wraps a port opened elsewhere (a pty's master side in the simulators).
    pub fn attach(
        mut port: Box<dyn serialport::SerialPort>,
        name: String,
    ) -> Result<Port, SerialError> {
        let io_error = |source| SerialError::Io {
            path: name.clone(),
            source,
        };
        let mut writer = port
            .try_clone()
            .map_err(|e| io_error(io::Error::other(e)))?;
        writer
            .set_timeout(WRITE_TIMEOUT)
            .map_err(|e| io_error(io::Error::other(e)))?;
        port.set_timeout(READ_WAIT)
            .map_err(|e| io_error(io::Error::other(e)))?;
        let (tx, chunks) = mpsc::channel(CHUNKS);
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        std::thread::Builder::new()
            .name(format!("serial {name}"))
            .spawn(move || read_loop(port, &tx, &stopped))
            .map_err(io_error)?;
        Ok(Port {
            name,
            chunks,
            writer: Arc::new(Mutex::new(writer)),
            stop,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The next bytes read; an error once the port is gone. Cancel-safe.
    pub async fn read(&mut self) -> io::Result<Vec<u8>> {
        match self.chunks.recv().await {
            Some(chunk) => chunk,
            None => Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the port's reader stopped",
            )),
        }
    }

    /// Writes all of `bytes`.
    pub async fn write(&self, bytes: Vec<u8>) -> io::Result<()> {
        let writer = self.writer.clone();
        tokio::task::spawn_blocking(move || {
            let mut port = writer
                .lock()
                .map_err(|_| io::Error::other("port lock poisoned"))?;
            port.write_all(&bytes)
        })
        .await
        .map_err(io::Error::other)?
    }
}

impl Drop for Port {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn read_loop(
    mut port: Box<dyn serialport::SerialPort>,
    tx: &mpsc::Sender<io::Result<Vec<u8>>>,
    stop: &AtomicBool,
) {
    let mut buf = [0_u8; 1024];
    while !stop.load(Ordering::Relaxed) {
        match port.read(&mut buf) {
            Ok(0) => {
                let _ = tx.blocking_send(Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the port was closed",
                )));
                return;
            }
            Ok(n) => {
                tracing::trace!(target: "clearpark::scan_path", bytes = n, "port read");
                if tx.blocking_send(Ok(buf[..n].to_vec())).is_err() {
                    return;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                        | io::ErrorKind::WouldBlock
                ) => {}
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use serialport::{SerialPort, TTYPort};
    use std::path::PathBuf;

    #[tokio::test]
    async fn reads_writes_and_sees_the_other_end_go() {
        let (master, slave) = TTYPort::pair().unwrap();
        let path = PathBuf::from(slave.name().unwrap());
        let spec = SerialSpec {
            path,
            baud: None,
            flow: SerialFlow::None,
        };
        let mut master = Port::attach(Box::new(master), "master".into()).unwrap();
        // Bytes sent before the console opened the port are stale and discarded.
        master.write(b"stale\n".to_vec()).await.unwrap();
        let mut console = Port::open(&spec, 115_200).await.unwrap();
        master.write(b"hello\n".to_vec()).await.unwrap();
        assert_eq!(console.read().await.unwrap(), b"hello\n");
        console.write(b"back\n".to_vec()).await.unwrap();
        assert_eq!(master.read().await.unwrap(), b"back\n");
        drop(master);
        drop(slave);
        assert!(console.read().await.is_err());
    }

    #[tokio::test]
    async fn a_missing_device_is_an_error_naming_it() {
        let spec = SerialSpec {
            path: "/dev/clearpark-none".into(),
            baud: None,
            flow: SerialFlow::None,
        };
        let err = Port::open(&spec, 9600).await.unwrap_err().to_string();
        assert!(err.starts_with("cannot open /dev/clearpark-none"), "{err}");
    }
}
