//! Nwave sensor sessions in the booth: a batch of deliveries is applied in one transaction (the
//! refused ones quarantined in the same transaction), then answered, so that the consumer
//! acknowledges only what is committed. The positions' board stays in memory for the screen;
//! the link's state comes from the consumer.

use super::runner::{BoothClient, BoothGone};
use super::{Booth, Event};
use crate::config::NwaveSettings;
use crate::domain::nwave::{
    Applied, Board, DeliveryOrigin, OccupancySummary, OverstayLimits, PositionState, parse,
};
use crate::store::nwave as nwave_store;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
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
    fn count(&mut self, applied: Applied) {
        match applied {
            Applied::New => self.new += 1,
            Applied::Merged => self.merged += 1,
            Applied::Duplicate => self.duplicates += 1,
            Applied::Corrected { .. } => self.corrections += 1,
            Applied::Stale { .. } => self.stale += 1,
        }
    }

    fn add(&mut self, other: &BatchApplied) {
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

/// A summary that takes less than this is redone after every batch (when not deferred).
const CHEAP_SUMMARY: Duration = Duration::from_millis(1);
/// Deferred summaries are redone when the booth is idle, at most this often, and at most
/// 1 % of the booth's time (a summary of 10,000 bays took up to 25 ms under the soak's load,
/// and a scan that comes meanwhile waits for it): the screen's bay counts are about a second
/// old, more only on a very large site.
const DEFERRED_SUMMARY_EVERY: Duration = Duration::from_secs(1);
const DEFERRED_SUMMARY_SHARE: u32 = 100;
/// How often old sessions and quarantined messages are deleted, and how many sessions at most
/// at a time (a backlog is worked off a slice per link beat, so no event waits long).
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
const PRUNE_SLICE: usize = 5000;

/// The booth's Nwave state.
pub(super) struct NwaveState {
    /// Whether `[nwave]` is configured (the snapshot shows the view only then).
    enabled: bool,
    board: Board,
    limits: OverstayLimits,
    view: Arc<NwaveView>,
    /// How long the last occupancy summary took, and when it was made: on a large site the
    /// summary is redone after a batch only when that costs at most 5% of the booth's time;
    /// the consumer's beat (every second) redoes it anyway.
    summary_cost: Duration,
    summarised_at: Instant,
    /// Set by the booth's thread: batches leave the summary to [`NwaveState::catch_up`], so
    /// that a scan never waits for a summary (a fifth of the booth's time at 500 msg/s).
    defer: bool,
    /// Batches were applied since the last summary.
    stale: bool,
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
            board,
            limits,
            view: Arc::new(view),
            summary_cost: Duration::ZERO,
            summarised_at: Instant::now(),
            defer: false,
            stale: false,
            keep_days: settings.map_or(crate::config::DEFAULT_KEEP_DAYS, |s| s.keep_days),
            prune_at: Instant::now(),
        })
    }

    pub(super) fn view(&self) -> Option<Arc<NwaveView>> {
        self.enabled.then(|| self.view.clone())
    }

    /// Changes the view; redoes the occupancy summary when `force`d or cheap enough.
    fn update(&mut self, now: DateTime<Utc>, force: bool, change: impl FnOnce(&mut NwaveView)) {
        let view = Arc::make_mut(&mut self.view);
        change(view);
        // Deferred (the booth's thread), summaries wait for `catch_up`, whatever the caller.
        let due = !self.defer
            && (force
                || self.summary_cost < CHEAP_SUMMARY
                || self.summarised_at.elapsed() >= self.summary_cost * 20);
        if due {
            self.summarise(now);
        } else {
            self.stale = true;
        }
    }

    fn summarise(&mut self, now: DateTime<Utc>) {
        let started = Instant::now();
        Arc::make_mut(&mut self.view).occupancy = self.board.summary(now, &self.limits);
        self.summary_cost = started.elapsed();
        self.summarised_at = Instant::now();
        self.stale = false;
    }

    pub(super) fn defer_summaries(&mut self, defer: bool) {
        self.defer = defer;
    }

    /// The deferred summary, when one is due; whether the view changed.
    pub(super) fn catch_up(&mut self, now: DateTime<Utc>) -> bool {
        let due = self.stale
            && self.summarised_at.elapsed()
                >= DEFERRED_SUMMARY_EVERY.max(self.summary_cost * DEFERRED_SUMMARY_SHARE);
        if due {
            self.summarise(now);
        }
        due
    }
}

impl Booth {
    pub(super) fn nwave_batch(&mut self, batch: NwaveBatch) {
        let now = self.clock.now();
        let result = match &self.wal_syncer {
            // Durable when the syncer has synced the log; it answers then (group commit).
            Some(_) => self
                .store
                .without_fsync(|store| apply_nwave(store, &batch.deliveries, now)),
            None => apply_nwave(&mut self.store, &batch.deliveries, now),
        };
        let answer = match result {
            Ok((applied, positions)) => {
                for (network_id, state) in positions {
                    self.nwave.board.set(&network_id, state);
                }
                if applied.quarantined > 0 {
                    tracing::warn!(
                        quarantined = applied.quarantined,
                        "Nwave messages refused and kept in quarantine"
                    );
                }
                self.nwave.update(now, false, |v| {
                    v.totals.add(&applied);
                    v.last_message_at = Some(now);
                });
                Ok(applied)
            }
            Err(e) => {
                tracing::error!(error = %e, messages = batch.deliveries.len(), "Nwave batch not applied");
                self.nwave.update(now, false, |v| v.failed_batches += 1);
                Err(BatchFailed(e.to_string()))
            }
        };
        self.after_background_write();
        match (batch.reply, answer, &self.wal_syncer) {
            (Some(reply), Ok(applied), Some(syncer)) => syncer.answer_when_durable(reply, applied),
            (Some(reply), answer, _) => {
                // The consumer may have gone (shutdown): the broker then redelivers, harmlessly.
                let _ = reply.send(answer);
            }
            (None, _, _) => {}
        }
    }

    pub(super) fn nwave_link(&mut self, link: NwaveLink) {
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
        // Also the consumer's periodic beat: overstay moves with the clock.
        self.nwave.update(now, true, |v| v.link = link);
        if self.nwave.prune_at <= Instant::now() {
            self.nwave_prune(now);
        }
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

/// One transaction: every message applied or quarantined, or nothing at all. A message
/// whose session the store cannot read back (edited by hand) is quarantined rather than
/// blocking the queue forever: the batch is rolled back and applied again without it.
#[allow(clippy::type_complexity)]
fn apply_nwave(
    store: &mut Store,
    deliveries: &[NwaveDelivery],
    now: DateTime<Utc>,
) -> Result<(BatchApplied, Vec<(String, Option<PositionState>)>), StoreError> {
    let mut unreadable: HashMap<usize, String> = HashMap::new();
    'attempt: loop {
        let tx = store.transaction()?;
        let mut applied = BatchApplied::default();
        let mut positions = Vec::new();
        for (i, d) in deliveries.iter().enumerate() {
            let refused = match (unreadable.get(&i), parse(&d.payload)) {
                (Some(reason), _) => Some(reason.clone()),
                (None, Err(rejection)) => Some(rejection.reason),
                (None, Ok(message)) => match nwave_store::apply_message(&tx, &message, now) {
                    Ok(written) => {
                        applied.count(written.applied);
                        positions.extend(written.positions);
                        None
                    }
                    Err(e @ StoreError::Corrupt { .. }) => {
                        tracing::error!(error = %e, "Nwave message cannot be applied to its stored session");
                        unreadable.insert(i, format!("cannot apply to the stored session: {e}"));
                        continue 'attempt;
                    }
                    Err(e) => return Err(e),
                },
            };
            if let Some(reason) = refused {
                tracing::debug!(reason, "Nwave message quarantined");
                nwave_store::quarantine(&tx, &d.payload, &reason, &d.origin, now)?;
                applied.quarantined += 1;
            }
        }
        tx.commit()?;
        return Ok((applied, positions));
    }
}
