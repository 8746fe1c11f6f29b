//! Logging setup: `tracing` to standard output for headless runs (`RUST_LOG` filters).

use tracing_subscriber::EnvFilter;

/// Log lines to stdout, `info` and up unless `RUST_LOG` says otherwise.
pub fn to_stdout() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_writer(std::io::stdout)
        .try_init();
}
