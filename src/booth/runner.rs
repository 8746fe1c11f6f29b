//! Runs a [`Booth`] on its own thread and gives the rest of the program a [`BoothClient`].
//!
//! SQLite calls and the fsync of every commit block; on a thread of its own the booth never
//! stalls the async runtime that serves HTTP, serial ports and the screen, and the runtime never
//! delays a decision.

use super::outcome::{AttendantDone, AttendantError, ScanDecided};
use super::{
    Activity, AttendantCommand, AttendantRequest, Booth, DeviceKind, Effect, Event, GateSignal,
    ScanRequest, ScanSource, Snapshot,
};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

/// Events that may wait for the booth before senders feel back-pressure.
const EVENT_QUEUE: usize = 4096;

/// The booth has stopped (shut down, or its thread died); nothing was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the booth is not running")]
pub struct BoothGone;

/// Sends events to the booth. Cheap to clone: one per adapter.
#[derive(Clone, Debug)]
pub struct BoothClient {
    events: mpsc::Sender<Event>,
}

impl BoothClient {
    /// A scan, answered once decided and committed.
    pub async fn scan(
        &self,
        lane: &str,
        code: impl Into<Vec<u8>>,
        source: ScanSource,
    ) -> Result<ScanDecided, BoothGone> {
        let (reply, answer) = oneshot::channel();
        self.send(Event::Scan(ScanRequest {
            lane: lane.to_owned(),
            code: code.into(),
            source,
            reply: Some(reply),
        }))
        .await?;
        answer.await.map_err(|_| BoothGone)
    }

    /// A scan nobody waits for (a serial scanner: the gate is the answer).
    pub async fn submit_scan(
        &self,
        lane: &str,
        code: impl Into<Vec<u8>>,
        source: ScanSource,
    ) -> Result<(), BoothGone> {
        self.send(Event::Scan(ScanRequest {
            lane: lane.to_owned(),
            code: code.into(),
            source,
            reply: None,
        }))
        .await
    }

    pub async fn gate(&self, lane: &str, signal: GateSignal) -> Result<(), BoothGone> {
        self.send(Event::Gate {
            lane: lane.to_owned(),
            signal,
        })
        .await
    }

    pub async fn device_status(
        &self,
        lane: &str,
        device: DeviceKind,
        online: bool,
        detail: impl Into<String>,
    ) -> Result<(), BoothGone> {
        self.send(Event::DeviceStatus {
            lane: lane.to_owned(),
            device,
            online,
            detail: detail.into(),
        })
        .await
    }

    /// An attendant command, answered once done.
    pub async fn attendant(
        &self,
        actor: &str,
        command: AttendantCommand,
    ) -> Result<Result<AttendantDone, AttendantError>, BoothGone> {
        let (reply, answer) = oneshot::channel();
        self.send(Event::Attendant(AttendantRequest {
            actor: actor.to_owned(),
            command,
            reply: Some(reply),
        }))
        .await?;
        answer.await.map_err(|_| BoothGone)
    }

    /// Asks the booth to stop after the events already queued.
    pub async fn shutdown(&self) {
        let _ = self.events.send(Event::Shutdown).await;
    }

    pub async fn send(&self, event: Event) -> Result<(), BoothGone> {
        self.events.send(event).await.map_err(|_| BoothGone)
    }

    /// For callers outside the async runtime (the screen's input thread); never blocks.
    pub fn try_send(&self, event: Event) -> Result<(), BoothGone> {
        self.events.try_send(event).map_err(|_| BoothGone)
    }
}

/// A running booth.
pub struct BoothHandle {
    pub client: BoothClient,
    pub snapshots: watch::Receiver<Snapshot>,
    activity: broadcast::Sender<Activity>,
    thread: std::thread::JoinHandle<()>,
}

impl BoothHandle {
    /// Starts the booth's thread. Effects go to `effects` in the order they were decided.
    pub fn spawn(
        booth: Booth,
        effects: mpsc::UnboundedSender<Effect>,
    ) -> std::io::Result<BoothHandle> {
        let (tx, mut rx) = mpsc::channel(EVENT_QUEUE);
        let snapshots = booth.subscribe_snapshots();
        let activity = booth.activity_tx.clone();
        let mut booth = booth;
        let thread = std::thread::Builder::new()
            .name("booth".into())
            .spawn(move || {
                while let Some(event) = rx.blocking_recv() {
                    if matches!(event, Event::Shutdown) {
                        break;
                    }
                    for effect in booth.handle(event) {
                        if effects.send(effect).is_err() {
                            tracing::warn!("an effect was decided after its devices stopped");
                        }
                    }
                }
                tracing::info!("booth stopped");
            })?;
        Ok(BoothHandle {
            client: BoothClient { events: tx },
            snapshots,
            activity,
            thread,
        })
    }

    pub fn subscribe_activity(&self) -> broadcast::Receiver<Activity> {
        self.activity.subscribe()
    }

    /// Stops the booth after the events already queued and waits for its thread.
    pub async fn stop(self) {
        self.client.shutdown().await;
        let thread = self.thread;
        // Joining blocks; do it where blocking is allowed.
        let _ = tokio::task::spawn_blocking(move || thread.join()).await;
    }
}
