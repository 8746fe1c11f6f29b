//! A lane's gate controller on a serial port: opens the port, runs [`HostLink`] over it, tells
//! the booth what the gate reports, and reopens the port every second while it is gone.

use super::host::{Action, HostLink};
use super::protocol::BAUD;
use crate::booth::{BoothClient, GateCommand};
use crate::config::SerialSpec;
use crate::devices::serial::Port;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Pause between two attempts to open a missing or failed port.
pub const REOPEN_EVERY: Duration = Duration::from_secs(1);

/// Why a connection ended.
enum End {
    Shutdown,
    /// The booth's command channel closed: the booth has stopped.
    BoothGone,
    Lost(String),
}

/// Runs a lane's gate link until shutdown or until the booth stops.
pub async fn run(
    lane: String,
    spec: SerialSpec,
    mut commands: mpsc::UnboundedReceiver<GateCommand>,
    booth: BoothClient,
    shutdown: CancellationToken,
) {
    let start = Instant::now();
    let mut host = HostLink::new(fastrand::u16(..));
    let mut last_error: Option<String> = None;
    let path = spec.path.display().to_string();
    loop {
        let opened = tokio::select! {
            () = shutdown.cancelled() => return,
            opened = Port::open(&spec, BAUD) => opened,
        };
        let end = match opened {
            Ok(port) => {
                tracing::info!(lane, port = path, "gate port open");
                last_error = None;
                let end = serve(
                    &lane,
                    port,
                    &mut host,
                    start,
                    &mut commands,
                    &booth,
                    &shutdown,
                )
                .await;
                if let End::Lost(_) = end {
                    let closed = host.port_closed();
                    if !deliver_signals(&lane, closed, &booth).await {
                        return;
                    }
                }
                end
            }
            Err(e) => End::Lost(e.to_string()),
        };
        match end {
            End::Shutdown | End::BoothGone => return,
            End::Lost(why) => {
                if last_error.as_deref() != Some(why.as_str()) {
                    tracing::warn!(
                        lane,
                        error = why,
                        "gate port unavailable; retrying every second"
                    );
                    last_error = Some(why);
                }
            }
        }
        // Wait before reopening; commands meanwhile cannot be delivered.
        let until = Instant::now() + REOPEN_EVERY;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep_until(until) => break,
                command = commands.recv() => {
                    let Some(command) = command else { return };
                    let actions = host.command(start.elapsed(), command);
                    if !deliver_signals(&lane, actions, &booth).await {
                        return;
                    }
                }
            }
        }
    }
}

/// Talks to the controller until the port fails, shutdown, or the booth stops.
async fn serve(
    lane: &str,
    mut port: Port,
    host: &mut HostLink,
    start: Instant,
    commands: &mut mpsc::UnboundedReceiver<GateCommand>,
    booth: &BoothClient,
    shutdown: &CancellationToken,
) -> End {
    let mut actions = host.port_opened(start.elapsed());
    loop {
        for action in actions.drain(..) {
            match action {
                Action::Send(line) => {
                    tracing::trace!(target: "clearpark::scan_path", lane, "gate line to port");
                    if let Err(e) = port.write(&line).await {
                        return End::Lost(format!("{}: {e}", port.name()));
                    }
                    tracing::trace!(target: "clearpark::scan_path", lane, "gate line written");
                }
                Action::Signal(signal) => {
                    if booth.gate(lane, signal).await.is_err() {
                        return End::BoothGone;
                    }
                }
            }
        }
        let deadline = host.next_deadline().map(|d| start + d);
        actions = tokio::select! {
            () = shutdown.cancelled() => return End::Shutdown,
            read = port.read() => match read {
                Ok(bytes) => host.received(start.elapsed(), &bytes),
                Err(e) => {
                    tracing::info!(lane, dropped_lines = host.dropped_lines(), "gate port closed");
                    return End::Lost(format!("{}: {e}", port.name()));
                }
            },
            command = commands.recv() => match command {
                Some(command) => host.command(start.elapsed(), command),
                None => return End::BoothGone,
            },
            () = sleep_until(deadline) => host.tick(start.elapsed()),
        };
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Passes the signals on to the booth (there is no port to send lines to); false when the
/// booth is gone.
async fn deliver_signals(lane: &str, actions: Vec<Action>, booth: &BoothClient) -> bool {
    for action in actions {
        if let Action::Signal(signal) = action
            && booth.gate(lane, signal).await.is_err()
        {
            return false;
        }
    }
    true
}
