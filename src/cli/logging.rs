//! Logging setup: `tracing` to standard output for headless runs, to a file when the console
//! screen owns the terminal. `RUST_LOG` filters either way.

use anyhow::Context;
use std::path::Path;
use tracing_subscriber::EnvFilter;

fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"))
}

/// Log lines to stdout, `info` and up unless `RUST_LOG` says otherwise.
pub fn to_stdout() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_writer(std::io::stdout)
        .try_init();
}

/// Log lines appended to `path` (the screen owns the terminal).
pub fn to_file(path: &Path) -> anyhow::Result<()> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open the log file {}", path.display()))?;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_target(false)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init();
    Ok(())
}

/// The log file beside the database: `clearpark.log`.
pub fn beside(database: &Path) -> std::path::PathBuf {
    database
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."))
        .join("clearpark.log")
}
