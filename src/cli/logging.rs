//! Logging setup: `tracing` to standard output for headless runs, to a file when the console
//! screen owns the terminal (or `--log` asks for one). `RUST_LOG` filters either way. A log
//! file is reopened on SIGHUP ([`reopen`]), so that logrotate (or an operator) can move it
//! away and the booth goes on writing to a new one at the same path.

use anyhow::Context;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"))
}

/// The log file of this process, when it logs to one.
static LOG_FILE: OnceLock<Arc<LogFile>> = OnceLock::new();

/// Log lines to stdout, `info` and up unless `RUST_LOG` says otherwise.
pub fn to_stdout() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_writer(std::io::stdout)
        .try_init();
}

/// Log lines appended to `path`.
pub fn to_file(path: &Path) -> anyhow::Result<()> {
    let file = Arc::new(LogFile {
        file: Mutex::new(open(path)?),
        path: path.to_owned(),
    });
    let _ = LOG_FILE.set(file.clone());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_target(false)
        .with_ansi(false)
        .with_writer(SharedLog(file))
        .try_init();
    Ok(())
}

/// Opens the log file again at its path (after it was moved away: SIGHUP). Logging to
/// standard output, there is nothing to reopen.
pub fn reopen() {
    let Some(log) = LOG_FILE.get() else {
        tracing::info!("SIGHUP: logging to standard output, no log file to reopen");
        return;
    };
    match open(&log.path) {
        Ok(new) => {
            *log.lock() = new;
            tracing::info!(path = %log.path.display(), "SIGHUP: log file reopened");
        }
        // Written to the file still open: the log goes on there.
        Err(e) => tracing::error!(error = %format!("{e:#}"), "SIGHUP: cannot reopen the log file"),
    }
}

fn open(path: &Path) -> anyhow::Result<File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open the log file {}", path.display()))
}

/// The log beside the database: `clearpark.log`.
pub fn beside(database: &Path) -> PathBuf {
    database
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."))
        .join("clearpark.log")
}

/// A log file that can be swapped for a new one at the same path while lines are written.
struct LogFile {
    path: PathBuf,
    file: Mutex<File>,
}

impl LogFile {
    fn lock(&self) -> MutexGuard<'_, File> {
        // A panic while writing a line leaves the file as usable as before.
        self.file.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One log line's hold on the file.
struct LogLine<'a>(MutexGuard<'a, File>);

impl Write for LogLine<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// The subscriber's hold on the log file, shared with [`reopen`].
struct SharedLog(Arc<LogFile>);

impl<'a> MakeWriter<'a> for SharedLog {
    type Writer = LogLine<'a>;

    fn make_writer(&'a self) -> LogLine<'a> {
        LogLine(self.0.lock())
    }
}
