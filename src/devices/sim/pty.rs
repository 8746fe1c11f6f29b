//! Pseudo-terminals for the simulated devices: the simulator holds the master side, the
//! console opens the slave's path as it would a USB serial device.

use crate::devices::serial::{Port, SerialError};
use serialport::{SerialPort, TTYPort};
use std::path::{Path, PathBuf};

/// A pty pair: [`Pty::port`] is the device's side; [`Pty::path`] is what the console opens.
pub struct Pty {
    pub port: Port,
    path: PathBuf,
    /// Held open so that the master side keeps working while the console has the port closed
    /// (with no slave open, the master's reads fail).
    _slave: TTYPort,
}

impl std::fmt::Debug for Pty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pty").field("path", &self.path).finish()
    }
}

impl Pty {
    /// Opens a new pair, inside a tokio runtime (the port is read and written on its reactor).
    pub fn open() -> Result<Pty, SerialError> {
        let fail = |source| SerialError::Open {
            path: "a new pty".into(),
            source,
        };
        let (master, slave) = TTYPort::pair().map_err(fail)?;
        let path = slave.name().map(PathBuf::from).ok_or_else(|| {
            fail(serialport::Error::new(
                serialport::ErrorKind::Unknown,
                "the pty has no name",
            ))
        })?;
        let port = Port::attach(master, path.display().to_string())?;
        Ok(Pty {
            port,
            path,
            _slave: slave,
        })
    }

    /// The slave's path, e.g. `/dev/pts/3`.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
