//! A simulated serial QR scanner: each code written on a pty as one line, as a USB-CDC
//! scanner sends it.

use super::pty::Pty;
use crate::devices::serial::SerialError;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// What the scanner ends each code with (scanners are configured for one of these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Eol {
    #[default]
    Cr,
    Lf,
    CrLf,
}

impl Eol {
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Eol::Cr => b"\r",
            Eol::Lf => b"\n",
            Eol::CrLf => b"\r\n",
        }
    }
}

impl FromStr for Eol {
    type Err = String;
    fn from_str(s: &str) -> Result<Eol, String> {
        match s {
            "cr" => Ok(Eol::Cr),
            "lf" => Ok(Eol::Lf),
            "crlf" => Ok(Eol::CrLf),
            other => Err(format!("{other:?} is not cr, lf or crlf")),
        }
    }
}

#[derive(Debug)]
pub struct SimScanner {
    /// Locked for a code's write: lanes' traffic and the attendant's keys share a scanner.
    pty: tokio::sync::Mutex<Pty>,
    path: PathBuf,
    eol: Eol,
}

impl SimScanner {
    /// A new scanner on a new pty, inside a tokio runtime.
    pub fn open(eol: Eol) -> Result<SimScanner, SerialError> {
        let pty = Pty::open()?;
        Ok(SimScanner {
            path: pty.path().to_path_buf(),
            pty: tokio::sync::Mutex::new(pty),
            eol,
        })
    }

    /// The path the console opens.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sends one code and its line end in a single write.
    pub async fn scan(&self, code: &[u8]) -> io::Result<()> {
        let mut line = Vec::with_capacity(code.len() + 2);
        line.extend_from_slice(code);
        line.extend_from_slice(self.eol.bytes());
        self.pty.lock().await.port.write(&line).await
    }
}
