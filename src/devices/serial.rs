//! Serial ports for async tasks: the port's file descriptor, non-blocking, on the runtime's own
//! reactor (`tokio-serial`), so that a scanner's bytes and a gate's line are read and written on
//! the task's thread: no reader thread per port and no blocking pool, each a thread wake-up on a
//! scan's way to the gate and a chance to wait for a CPU.
//! Used by the gate link, the scanner and the simulators (on a pty's master side).

use crate::config::{SerialFlow, SerialSpec};
use std::io;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_serial::{SerialPort, SerialStream};

/// A write the other end does not take within this long fails (and the port is closed).
const WRITE_TIMEOUT: Duration = Duration::from_secs(1);
/// The most bytes one read takes; a scanned code or a gate's line is far shorter.
const READ_BYTES: usize = 1024;

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

/// An open serial port. Its reads and writes need the tokio runtime it was opened on.
pub struct Port {
    name: String,
    stream: SerialStream,
    /// Reused by every read.
    buf: Box<[u8; READ_BYTES]>,
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
        let builder = serialport::new(&path, spec.baud.unwrap_or(default_baud)).flow_control(
            match spec.flow {
                SerialFlow::None => serialport::FlowControl::None,
                SerialFlow::RtsCts => serialport::FlowControl::Hardware,
                SerialFlow::XonXoff => serialport::FlowControl::Software,
            },
        );
        let name = path.clone();
        // Opening and configuring a tty are blocking calls (a USB adapter may take a while).
        let opened = tokio::task::spawn_blocking(move || {
            let port = builder.open_native().map_err(|source| SerialError::Open {
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

    /// Puts a port opened elsewhere (a pty's master side in the simulators) on the current
    /// runtime's reactor. Outside a runtime it is an error, not a panic.
    pub fn attach(port: serialport::TTYPort, name: String) -> Result<Port, SerialError> {
        let io_error = |source| SerialError::Io {
            path: name.clone(),
            source,
        };
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(io_error(io::Error::other(
                "a serial port needs a tokio runtime to be read and written",
            )));
        }
        let stream = SerialStream::try_from(port).map_err(|e| io_error(io::Error::other(e)))?;
        Ok(Port {
            name,
            stream,
            buf: Box::new([0; READ_BYTES]),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The next bytes read; an error once the port is gone. Cancel-safe.
    pub async fn read(&mut self) -> io::Result<Vec<u8>> {
        match self.stream.read(&mut self.buf[..]).await? {
            0 => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the port was closed",
            )),
            n => {
                tracing::trace!(target: "clearpark::scan_path", port = self.name, bytes = n, "port read");
                Ok(self.buf[..n].to_vec())
            }
        }
    }

    /// Writes all of `bytes`, or fails after [`WRITE_TIMEOUT`] (flow control holding it back,
    /// the other end gone).
    pub async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        match tokio::time::timeout(WRITE_TIMEOUT, self.stream.write_all(bytes)).await {
            Ok(written) => written,
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the port took no bytes for {WRITE_TIMEOUT:?}"),
            )),
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
        let mut master = Port::attach(master, "master".into()).unwrap();
        // Bytes sent before the console opened the port are stale and discarded.
        master.write(b"stale\n").await.unwrap();
        let mut console = Port::open(&spec, 115_200).await.unwrap();
        master.write(b"hello\n").await.unwrap();
        assert_eq!(console.read().await.unwrap(), b"hello\n");
        console.write(b"back\n").await.unwrap();
        assert_eq!(master.read().await.unwrap(), b"back\n");
        drop(master);
        drop(slave);
        assert!(console.read().await.is_err());
    }

    #[test]
    fn a_port_attached_outside_a_runtime_is_an_error_not_a_panic() {
        let (master, _slave) = TTYPort::pair().unwrap();
        let err = Port::attach(master, "master".into())
            .unwrap_err()
            .to_string();
        assert!(err.contains("needs a tokio runtime"), "{err}");
    }

    #[tokio::test]
    async fn a_write_the_other_end_never_takes_fails_after_the_timeout() {
        let (master, slave) = TTYPort::pair().unwrap();
        let mut master = Port::attach(master, "master".into()).unwrap();
        // Nobody reads the slave: the pty's buffer fills and the write waits, then gives up.
        let err = master.write(&vec![b'x'; 1 << 20]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
        drop(slave);
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
