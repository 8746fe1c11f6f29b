//! Signals, as a service manager and an operator send them: SIGINT (Ctrl-C) and SIGTERM
//! (systemd, Docker, `kill`) both ask for the clean stop, which finishes what is under way
//! (the Nwave batch in hand is committed and acknowledged, a receipt being printed is
//! printed, the database is closed) and exits 0; a second one stops at once, with
//! 128 + the signal's number. SIGHUP reopens the log file.

use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

/// Watches the signals for as long as the runtime runs: the first SIGINT or SIGTERM cancels
/// `shutdown`; the next one exits the process. `screen`: the console's screen is up, and is
/// given back to the terminal before such an exit.
pub fn watch(shutdown: CancellationToken, screen: bool) -> anyhow::Result<()> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    tokio::spawn(async move {
        loop {
            let (name, number) = tokio::select! {
                Some(()) = interrupt.recv() => ("SIGINT", 2),
                Some(()) = terminate.recv() => ("SIGTERM", 15),
                Some(()) = hangup.recv() => {
                    super::logging::reopen();
                    continue;
                }
                else => return,
            };
            if shutdown.is_cancelled() {
                tracing::warn!(signal = name, "{name} while stopping: stopping at once");
                if screen {
                    ratatui::restore();
                }
                std::process::exit(128 + number);
            }
            tracing::info!(
                signal = name,
                "{name}: stopping once what is under way is done (send it again to stop at once)"
            );
            shutdown.cancel();
        }
    });
    Ok(())
}
