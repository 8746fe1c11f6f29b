//! Runs a [`Booth`] on its own thread and gives the rest of the program a [`BoothClient`].
//!
//! SQLite calls and the fsync of every commit block; on a thread of its own the booth never
//! stalls the async runtime that serves HTTP, serial ports and the screen, and the runtime never
//! delays a decision.
//!
//! Events come in three queues, by [`Priority`]: the lanes, gates and attendant; scans from
//! remote systems (`/find-device/`); background work (Nwave batches, remote IO reports). The
//! booth always takes the first non-empty queue, so a car at a lane waits at most for the one
//! event already being handled, never for a backlog of the others; an Nwave batch is applied
//! in parts so that it yields to them too. Each decision goes to the committer
//! (`commit`), which makes it durable and carries it out; while the log's
//! checkpointer finishes a checkpoint (`Committer::background_paused`), background work waits.

use super::commit::Committer;
use super::outcome::{AttendantDone, AttendantError, ScanDecided};
use super::{
    Activity, AttendantCommand, AttendantRequest, Booth, Decision, DeviceKind, Effect, Event,
    GateSignal, Priority, ScanRequest, ScanSource, Snapshot,
};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

/// At most this many Nwave messages in one transaction on the booth's thread (a booth driven
/// directly applies a batch whole): the commit a scan may wait behind stays small.
pub const PART_MESSAGES: usize = 16;

/// Events that may wait for the booth before senders feel back-pressure.
const EVENT_QUEUE: usize = 4096;

/// The booth has stopped (shut down, or its thread died); nothing was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the booth is not running")]
pub struct BoothGone;

/// Sends events to the booth. Cheap to clone: one per adapter.
#[derive(Clone, Debug)]
pub struct BoothClient {
    /// [`Priority::Booth`]: lanes, gates, attendant, shutdown; taken first.
    urgent: mpsc::Sender<Event>,
    /// [`Priority::Remote`]: remote systems' scans; taken when nothing at the booth waits.
    remote: mpsc::Sender<Event>,
    /// [`Priority::Background`]: taken when nothing else waits.
    background: mpsc::Sender<Event>,
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
        let _ = self.urgent.send(Event::Shutdown).await;
    }

    pub async fn send(&self, event: Event) -> Result<(), BoothGone> {
        self.queue_of(&event)
            .send(event)
            .await
            .map_err(|_| BoothGone)
    }

    /// For callers outside the async runtime (the screen's input thread); never blocks.
    pub fn try_send(&self, event: Event) -> Result<(), BoothGone> {
        self.queue_of(&event).try_send(event).map_err(|_| BoothGone)
    }

    fn queue_of(&self, event: &Event) -> &mpsc::Sender<Event> {
        match event.priority() {
            Priority::Booth => &self.urgent,
            Priority::Remote => &self.remote,
            Priority::Background => &self.background,
        }
    }
}

/// The booth's three queues, in the order they are taken.
struct Queues {
    urgent: mpsc::Receiver<Event>,
    remote: mpsc::Receiver<Event>,
    background: mpsc::Receiver<Event>,
}

/// What waiting on the queues gave.
enum Waited {
    Event(Event),
    /// The checkpoint that paused background work is done.
    Resumed,
    /// Every client is gone.
    Closed,
}

impl Queues {
    /// Whether an event of the booth or a remote scan waits: long background work then stops
    /// early.
    fn urgent_waits(&self) -> bool {
        !self.urgent.is_empty() || !self.remote.is_empty()
    }

    /// The next event without waiting, in priority order; background ones only when not
    /// `paused`.
    fn ready(&mut self, paused: bool) -> Option<Event> {
        self.urgent
            .try_recv()
            .or_else(|_| self.remote.try_recv())
            .ok()
            .or_else(|| (!paused).then(|| self.background.try_recv().ok()).flatten())
    }

    /// Waits for the next event, urgent first. While `checkpoint` is pending, background
    /// events wait and its completion is what comes instead.
    fn wait(&mut self, checkpoint: Option<&mut oneshot::Receiver<()>>) -> Waited {
        let paused = checkpoint.is_some();
        let mut checkpoint = checkpoint;
        futures_lite::future::block_on(async {
            tokio::select! {
                biased;
                Some(event) = self.urgent.recv() => Waited::Event(event),
                Some(event) = self.remote.recv() => Waited::Event(event),
                _ = async { if let Some(done) = checkpoint.as_mut() { let _ = done.await; } }, if paused => Waited::Resumed,
                Some(event) = self.background.recv(), if !paused => Waited::Event(event),
                else => Waited::Closed,
            }
        })
    }
}

/// Runs `work` and logs, at trace level, how long it held the booth's thread: what a scan
/// may wait behind (the soak's `SOAK_TRACE`).
fn timed<T>(kind: &'static str, work: impl FnOnce() -> T) -> T {
    let started = std::time::Instant::now();
    let done = work();
    let took_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    tracing::trace!(event = kind, took_us, "handled");
    done
}

/// A running booth.
pub struct BoothHandle {
    pub client: BoothClient,
    pub snapshots: watch::Receiver<Snapshot>,
    activity: broadcast::Sender<Activity>,
    thread: std::thread::JoinHandle<()>,
}

/// Whether the part of an Nwave batch being applied may take another message, having taken
/// `taken`: a part ends at [`PART_MESSAGES`], or as soon as an urgent event waits, so that no
/// scan waits behind a whole batch, nor behind a long commit.
fn part_may_grow(queues: &Queues, taken: usize) -> bool {
    taken < PART_MESSAGES && !queues.urgent_waits()
}

/// Takes events until shutdown or until every client has gone: decides each, and has the
/// committer make it durable and carry it out.
fn run(booth: &mut Booth, queues: &mut Queues, committer: &mut Committer) {
    loop {
        let paused = committer.background_paused();
        // The rest of a batch cut short, before any other background event, once nothing
        // urgent waits.
        if !paused && booth.has_unfinished_batch() && !queues.urgent_waits() {
            timed("nwave", || {
                let decision = booth.resume_nwave_batch(&|taken| part_may_grow(queues, taken));
                committer.commit(&booth.store, decision, queues.urgent_waits(), true);
            });
            continue;
        }
        let event = match queues.ready(paused || booth.has_unfinished_batch()) {
            Some(event) => event,
            None => match queues.wait(committer.checkpoint_asked()) {
                Waited::Event(event) => event,
                Waited::Resumed => continue,
                Waited::Closed => return,
            },
        };
        if matches!(event, Event::Shutdown) {
            // What was already queued behind is still done, each batch whole (a Nwave batch is
            // then acknowledged rather than delivered again).
            let whole = |_: usize| true;
            let mut finish = |booth: &mut Booth, decision: Decision| {
                committer.commit(&booth.store, decision, false, false);
            };
            while let Ok(event) = queues.remote.try_recv() {
                let decision = booth.decide(event, &whole);
                finish(booth, decision);
            }
            while booth.has_unfinished_batch() {
                let decision = booth.resume_nwave_batch(&whole);
                finish(booth, decision);
            }
            while let Ok(event) = queues.background.try_recv() {
                let decision = booth.decide(event, &whole);
                finish(booth, decision);
                while booth.has_unfinished_batch() {
                    let decision = booth.resume_nwave_batch(&whole);
                    finish(booth, decision);
                }
            }
            return;
        }
        let background = event.priority() == Priority::Background;
        timed(event.kind(), || {
            let decision = booth.decide(event, &|taken| part_may_grow(queues, taken));
            committer.commit(&booth.store, decision, queues.urgent_waits(), background);
        });
    }
}

impl BoothHandle {
    /// Starts the booth's thread. Effects go to `effects` in the order they were decided, each
    /// once its commit is durable.
    pub fn spawn(
        booth: Booth,
        effects: mpsc::UnboundedSender<Effect>,
    ) -> std::io::Result<BoothHandle> {
        let (urgent, urgent_rx) = mpsc::channel(EVENT_QUEUE);
        let (remote, remote_rx) = mpsc::channel(EVENT_QUEUE);
        let (background, background_rx) = mpsc::channel(EVENT_QUEUE);
        let mut queues = Queues {
            urgent: urgent_rx,
            remote: remote_rx,
            background: background_rx,
        };
        let snapshots = booth.subscribe_snapshots();
        let activity = booth.activity_tx.clone();
        let mut booth = booth;
        let summaries = booth.detach_summaries(background.downgrade())?;
        let mut committer = Committer::start(&mut booth.store, effects)?;
        let thread = std::thread::Builder::new()
            .name("booth".into())
            .spawn(move || {
                run(&mut booth, &mut queues, &mut committer);
                tracing::info!("booth stopped");
                // The committer first: it gives its last answers while the log is still open;
                // the summary's thread once the booth no longer feeds it.
                drop(committer);
                drop(booth);
                drop(summaries);
            })?;
        Ok(BoothHandle {
            client: BoothClient {
                urgent,
                remote,
                background,
            },
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::booth::NwaveLink;

    fn background(attempt: u32) -> Event {
        Event::NwaveLink(NwaveLink::Connecting { attempt })
    }

    fn attempt(event: &Event) -> Option<u32> {
        match event {
            Event::NwaveLink(NwaveLink::Connecting { attempt }) => Some(*attempt),
            _ => None,
        }
    }

    fn client_and_queues() -> (BoothClient, Queues) {
        let (urgent, urgent_rx) = mpsc::channel(16);
        let (remote, remote_rx) = mpsc::channel(16);
        let (background, background_rx) = mpsc::channel(16);
        let queues = Queues {
            urgent: urgent_rx,
            remote: remote_rx,
            background: background_rx,
        };
        (
            BoothClient {
                urgent,
                remote,
                background,
            },
            queues,
        )
    }

    fn waited(w: Waited) -> Option<u32> {
        match w {
            Waited::Event(event) => attempt(&event),
            _ => None,
        }
    }

    #[test]
    fn while_a_checkpoint_is_pending_background_events_wait_and_urgent_ones_do_not() {
        let (client, mut queues) = client_and_queues();
        client.try_send(background(7)).unwrap();
        let (done, mut checkpoint) = oneshot::channel();
        assert!(queues.ready(true).is_none(), "the background event waits");
        client.try_send(Event::Shutdown).unwrap();
        assert!(matches!(
            queues.wait(Some(&mut checkpoint)),
            Waited::Event(Event::Shutdown)
        ));
        done.send(()).unwrap();
        assert!(matches!(
            queues.wait(Some(&mut checkpoint)),
            Waited::Resumed
        ));
        assert_eq!(queues.ready(false).as_ref().and_then(attempt), Some(7));
        // A checkpointer that has gone resumes too.
        let (gone, mut checkpoint) = oneshot::channel::<()>();
        drop(gone);
        assert!(matches!(
            queues.wait(Some(&mut checkpoint)),
            Waited::Resumed
        ));
    }

    fn scan_from(source: ScanSource) -> Event {
        Event::Scan(ScanRequest {
            lane: "in".into(),
            code: b"code".to_vec(),
            source,
            reply: None,
        })
    }

    fn source(event: &Event) -> Option<ScanSource> {
        match event {
            Event::Scan(request) => Some(request.source),
            _ => None,
        }
    }

    #[test]
    fn a_lane_goes_before_remote_scans_which_go_before_background_work() {
        let (client, mut queues) = client_and_queues();
        client.try_send(background(1)).unwrap();
        client.try_send(scan_from(ScanSource::Api)).unwrap();
        client.try_send(scan_from(ScanSource::Api)).unwrap();
        assert!(
            queues.urgent_waits(),
            "a remote scan cuts a batch short too"
        );
        client.try_send(scan_from(ScanSource::Scanner)).unwrap();

        let order: Vec<_> = std::iter::from_fn(|| queues.ready(false)).collect();
        assert_eq!(
            order.iter().map(source).collect::<Vec<_>>(),
            [
                Some(ScanSource::Scanner),
                Some(ScanSource::Api),
                Some(ScanSource::Api),
                None
            ]
        );
        assert_eq!(attempt(&order[3]), Some(1));
        assert!(!queues.urgent_waits());

        // Waiting takes the same order.
        client.try_send(background(2)).unwrap();
        client.try_send(scan_from(ScanSource::Api)).unwrap();
        assert!(
            matches!(queues.wait(None), Waited::Event(ref e) if source(e) == Some(ScanSource::Api))
        );
        assert_eq!(waited(queues.wait(None)), Some(2));
    }

    #[test]
    fn urgent_events_overtake_queued_background_work_which_keeps_its_order() {
        let (client, mut queues) = client_and_queues();
        for n in 0..3 {
            client.try_send(background(n)).unwrap();
        }
        client.try_send(Event::Shutdown).unwrap();

        assert!(matches!(queues.wait(None), Waited::Event(Event::Shutdown)));
        assert_eq!(queues.ready(false).as_ref().and_then(attempt), Some(0));
        assert_eq!(waited(queues.wait(None)), Some(1));
        assert_eq!(queues.ready(false).as_ref().and_then(attempt), Some(2));
        assert!(queues.ready(false).is_none());
        drop(client);
        assert!(
            matches!(queues.wait(None), Waited::Closed),
            "every client gone: the booth stops"
        );
    }
}
