//! Nwave sensor sessions in the booth: a batch of deliveries is applied (`nwave_batch`), the
//! refused ones quarantined in the same transaction, then answered, so that the consumer
//! acknowledges only what is committed. The positions' board stays in memory for the screen;
//! the link's state comes from the consumer.

use super::nwave_batch::UnfinishedBatch;
use super::occupancy::{PositionChange, SummaryFeed, SummaryThread, summary_thread};
use super::runner::{BoothClient, BoothGone};
use super::{Booth, Decision, Event};
use crate::config::NwaveSettings;
use crate::domain::nwave::{Applied, Board, DeliveryOrigin, OccupancySummary, OverstayLimits};
use crate::store::nwave as nwave_store;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// One delivery's bytes and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NwaveDelivery {
    pub payload: Vec<u8>,
    pub origin: DeliveryOrigin,
}

/// Deliveries to apply together; answered once committed (or not).
#[derive(Debug)]
pub struct NwaveBatch {
    pub deliveries: Vec<NwaveDelivery>,
    pub reply: Option<oneshot::Sender<Result<BatchApplied, BatchFailed>>>,
}

/// What a batch (or the booth since it started) did with its messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchApplied {
    /// First message of a session.
    pub new: u64,
    /// Added an edge to a session (same correction counter).
    pub merged: u64,
    /// Said nothing new (redeliveries, repeats).
    pub duplicates: u64,
    /// A higher correction counter replaced a session's edges.
    pub corrections: u64,
    /// A lower counter: the session unchanged.
    pub stale: u64,
    /// Refused and stored in quarantine.
    pub quarantined: u64,
}

impl BatchApplied {
    pub(super) fn count(&mut self, applied: Applied) {
        match applied {
            Applied::New => self.new += 1,
            Applied::Merged => self.merged += 1,
            Applied::Duplicate => self.duplicates += 1,
            Applied::Corrected { .. } => self.corrections += 1,
            Applied::Stale { .. } => self.stale += 1,
        }
    }

    pub(super) fn add(&mut self, other: &BatchApplied) {
        self.new += other.new;
        self.merged += other.merged;
        self.duplicates += other.duplicates;
        self.corrections += other.corrections;
        self.stale += other.stale;
        self.quarantined += other.quarantined;
    }

    /// Every message, applied or quarantined.
    pub fn messages(&self) -> u64 {
        self.new + self.merged + self.duplicates + self.corrections + self.stale + self.quarantined
    }
}

/// Nothing of the batch was written (a database error); the consumer requeues it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the Nwave batch was not applied: {0}")]
pub struct BatchFailed(pub String);

/// The consumer's link to the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NwaveLink {
    /// Connecting, after `attempt` failed attempts.
    Connecting {
        attempt: u32,
    },
    Connected {
        since: DateTime<Utc>,
    },
    /// Down; the next attempt at `retry_at`, or whenever lapin's own recovery retries
    /// (`None`: it backs off by itself).
    Reconnecting {
        attempt: u32,
        retry_at: Option<DateTime<Utc>>,
        error: String,
    },
    /// The demo's simulated feed, no broker.
    Simulated,
    Stopped,
}

/// What the screen shows about the Nwave sensors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NwaveView {
    pub link: NwaveLink,
    /// When the booth last committed a batch.
    pub last_message_at: Option<DateTime<Utc>>,
    /// Since the booth started.
    pub totals: BatchApplied,
    pub failed_batches: u64,
    pub occupancy: OccupancySummary,
}

/// How often old sessions and quarantined messages are deleted, and how many sessions at most
/// at a time (a backlog is worked off a slice per link beat, so no event waits long).
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
const PRUNE_SLICE: usize = 5000;

/// Where the bays' occupancy summary is made.
enum Summaries {
    /// In line after every change: a booth driven directly (tests), or without `[nwave]`.
    InLine(Board),
    /// On a thread of its own ([`Booth::detach_summaries`]), which keeps the board.
    Thread(SummaryFeed),
}

/// The booth's Nwave state.
pub(super) struct NwaveState {
    /// Whether `[nwave]` is configured (the snapshot shows the view only then).
    enabled: bool,
    summaries: Summaries,
    limits: OverstayLimits,
    view: Arc<NwaveView>,
    /// A batch left unfinished for an urgent event (`nwave_batch`).
    pub(super) unfinished: Option<UnfinishedBatch>,
    keep_days: u32,
    /// When to prune next (at a link beat).
    prune_at: Instant,
}

impl NwaveState {
    pub(super) fn load(
        store: &Store,
        settings: Option<&NwaveSettings>,
        now: DateTime<Utc>,
    ) -> Result<NwaveState, StoreError> {
        let board = Board::from_positions(nwave_store::load_board(store.conn())?);
        let limits = settings.map(|s| s.limits.clone()).unwrap_or_default();
        let view = NwaveView {
            link: NwaveLink::Connecting { attempt: 0 },
            last_message_at: None,
            totals: BatchApplied::default(),
            failed_batches: 0,
            occupancy: board.summary(now, &limits),
        };
        Ok(NwaveState {
            enabled: settings.is_some(),
            summaries: Summaries::InLine(board),
            limits,
            view: Arc::new(view),
            unfinished: None,
            keep_days: settings.map_or(crate::config::DEFAULT_KEEP_DAYS, |s| s.keep_days),
            prune_at: Instant::now(),
        })
    }

    pub(super) fn view(&self) -> Option<Arc<NwaveView>> {
        self.enabled.then(|| self.view.clone())
    }

    /// Moves the summary to a thread of its own, which hands each one to `deliver`; the
    /// thread's guard is the caller's.
    pub(super) fn detach_summaries(
        &mut self,
        deliver: impl Fn(OccupancySummary) -> bool + Send + 'static,
    ) -> std::io::Result<Option<SummaryThread>> {
        if !self.enabled {
            return Ok(None);
        }
        let Summaries::InLine(board) = &mut self.summaries else {
            return Ok(None);
        };
        let board = std::mem::take(board);
        let (feed, thread) = summary_thread(board, self.limits.clone(), deliver)?;
        self.summaries = Summaries::Thread(feed);
        Ok(Some(thread))
    }

    pub(super) fn update(&mut self, change: impl FnOnce(&mut NwaveView)) {
        change(Arc::make_mut(&mut self.view));
    }

    pub(super) fn positions_changed(&mut self, now: DateTime<Utc>, positions: Vec<PositionChange>) {
        if positions.is_empty() {
            return;
        }
        match &mut self.summaries {
            Summaries::InLine(board) => {
                for (network_id, state) in positions {
                    board.set(&network_id, state);
                }
                self.summarise_in_line(now);
            }
            Summaries::Thread(feed) => feed.positions_changed(now, positions),
        }
    }

    /// Time passed: overstay moves with the clock.
    fn clock_moved(&mut self, now: DateTime<Utc>) {
        match &self.summaries {
            Summaries::InLine(_) => self.summarise_in_line(now),
            Summaries::Thread(feed) => feed.clock_moved(now),
        }
    }

    fn summarise_in_line(&mut self, now: DateTime<Utc>) {
        if let Summaries::InLine(board) = &self.summaries {
            let occupancy = board.summary(now, &self.limits);
            self.update(|v| v.occupancy = occupancy);
        }
    }
}

impl Booth {
    /// The bays' summary, made off the booth's thread.
    pub(super) fn occupancy_made(&mut self, occupancy: OccupancySummary) {
        self.nwave.update(|v| v.occupancy = occupancy);
    }

    /// The link's state, and the consumer's beat: overstay moves, old data is pruned (which
    /// nobody waits for).
    pub(super) fn nwave_link(&mut self, link: NwaveLink) -> Decision {
        let now = self.clock.now();
        if self.nwave.view.link != link {
            match &link {
                NwaveLink::Reconnecting {
                    attempt,
                    retry_at,
                    error,
                } => tracing::warn!(attempt, ?retry_at, error, "Nwave broker link down"),
                other => tracing::info!(link = ?other, "Nwave broker link"),
            }
        }
        self.nwave.update(|v| v.link = link);
        // Also the consumer's periodic beat: overstay moves with the clock.
        self.nwave.clock_moved(now);
        if self.nwave.prune_at <= Instant::now() {
            self.nwave_prune(now);
        }
        Decision::nothing()
    }

    /// Deletes sessions ended `keep_days` ago that no bay shows any more, and old quarantine.
    fn nwave_prune(&mut self, now: DateTime<Utc>) {
        let before = now - chrono::TimeDelta::days(i64::from(self.nwave.keep_days));
        let result = self.store.transaction().and_then(|tx| {
            let pruned = nwave_store::prune(&tx, before, PRUNE_SLICE)?;
            tx.commit()?;
            Ok(pruned)
        });
        let next = match result {
            Ok(p) => {
                if p.sessions + p.quarantined > 0 {
                    tracing::info!(sessions = p.sessions, quarantined = p.quarantined, %before, "old Nwave data deleted");
                }
                // A full slice: more to do, at the next beat.
                if p.sessions == PRUNE_SLICE {
                    Duration::ZERO
                } else {
                    PRUNE_EVERY
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot delete old Nwave data");
                PRUNE_EVERY
            }
        };
        self.nwave.prune_at = Instant::now() + next;
    }
}

impl BoothClient {
    /// Applies deliveries in one transaction; answered once committed and on disk.
    pub async fn nwave_batch(
        &self,
        deliveries: Vec<NwaveDelivery>,
    ) -> Result<Result<BatchApplied, BatchFailed>, BoothGone> {
        let (reply, answer) = oneshot::channel();
        self.send(Event::Nwave(NwaveBatch {
            deliveries,
            reply: Some(reply),
        }))
        .await?;
        answer.await.map_err(|_| BoothGone)
    }

    /// The broker link's state (and a periodic beat that refreshes overstay).
    pub async fn nwave_link(&self, link: NwaveLink) -> Result<(), BoothGone> {
        self.send(Event::NwaveLink(link)).await
    }
}
