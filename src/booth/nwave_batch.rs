//! Applying an Nwave batch in the booth, in parts when a scan comes meanwhile.
//!
//! A batch is a few dozen messages and took the booth's thread 3 ms at the median and 10 ms at
//! p99 under the soak's load, 13 % of the thread's time: a scan that came meanwhile waited for
//! all of it. So after each message the booth looks at its urgent queue, and when something
//! waits there it commits the messages applied so far and lets the urgent event go first; the
//! rest of the batch follows, before any other background event. The commit itself cannot be
//! interrupted, and writing a whole batch's pages into the log took 1.6 ms at the median and
//! 5 ms at p99: so on the booth's own thread a part also ends after [`PART_MESSAGES`]
//! messages (0.7 and 2.4 ms). Each part is one transaction, every message of it applied or
//! quarantined, or nothing at all; the batch is answered once its last part is committed and
//! synced. If a later part fails, the consumer requeues the whole batch and the messages
//! already committed come again as duplicates, which the rules make harmless.

use super::Booth;
use super::nwave::{BatchApplied, BatchFailed, NwaveBatch, NwaveDelivery};
use super::occupancy::PositionChange;
use crate::domain::nwave::parse;
use crate::store::nwave as nwave_store;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use tokio::sync::oneshot;

type Reply = oneshot::Sender<Result<BatchApplied, BatchFailed>>;

/// At most this many messages in one transaction on the booth's thread (a booth driven
/// directly applies a batch whole): the commit a scan may wait behind stays small.
pub const PART_MESSAGES: usize = 16;

/// A batch whose first messages are committed, and the rest waits for the urgent events.
pub(super) struct UnfinishedBatch {
    deliveries: Vec<NwaveDelivery>,
    /// The first delivery not applied yet.
    next: usize,
    /// What the committed parts did.
    applied: BatchApplied,
    reply: Option<Reply>,
}

/// What one part committed.
struct Part {
    applied: BatchApplied,
    positions: Vec<PositionChange>,
    /// How many deliveries it took.
    taken: usize,
}

impl Booth {
    /// Applies `batch`, committing early and keeping the rest when `urgent_waits`.
    pub(super) fn nwave_batch(&mut self, batch: NwaveBatch, urgent_waits: &dyn Fn() -> bool) {
        let unfinished = UnfinishedBatch {
            deliveries: batch.deliveries,
            next: 0,
            applied: BatchApplied::default(),
            reply: batch.reply,
        };
        self.apply_part(unfinished, urgent_waits);
    }

    /// Whether a batch was left unfinished for an urgent event: it goes on before any other
    /// background event ([`Booth::resume_nwave_batch`]).
    pub(super) fn has_unfinished_batch(&self) -> bool {
        self.nwave.unfinished.is_some()
    }

    pub(super) fn resume_nwave_batch(&mut self, urgent_waits: &dyn Fn() -> bool) {
        if let Some(unfinished) = self.nwave.unfinished.take() {
            self.apply_part(unfinished, urgent_waits);
            self.publish();
        }
    }

    fn apply_part(&mut self, mut batch: UnfinishedBatch, urgent_waits: &dyn Fn() -> bool) {
        let now = self.clock.now();
        let rest = &batch.deliveries[batch.next..];
        let part_limit = if self.wal_syncer.is_some() {
            PART_MESSAGES
        } else {
            usize::MAX
        };
        let result =
            self.background_write(|store| apply_nwave(store, rest, now, part_limit, urgent_waits));
        let part = match result {
            Ok(part) => part,
            Err(e) => {
                tracing::error!(error = %e, messages = batch.deliveries.len() - batch.next,
                    "Nwave batch not applied");
                self.nwave.update(|v| v.failed_batches += 1);
                if let Some(reply) = batch.reply {
                    // The consumer may have gone (shutdown): the broker redelivers, harmlessly.
                    let _ = reply.send(Err(BatchFailed(e.to_string())));
                }
                return;
            }
        };
        self.nwave.positions_changed(now, part.positions);
        if part.applied.quarantined > 0 {
            tracing::warn!(
                quarantined = part.applied.quarantined,
                "Nwave messages refused and kept in quarantine"
            );
        }
        self.nwave.update(|v| {
            v.totals.add(&part.applied);
            v.last_message_at = Some(now);
        });
        self.after_background_write();
        batch.applied.add(&part.applied);
        batch.next += part.taken;
        if batch.next < batch.deliveries.len() {
            self.nwave.unfinished = Some(batch);
            return;
        }
        let (applied, reply) = (batch.applied, batch.reply);
        self.when_durable(move |synced| {
            let answer = synced
                .map(|()| applied)
                .map_err(|e| BatchFailed(format!("cannot sync the database: {e}")));
            if let Some(reply) = reply {
                let _ = reply.send(answer);
            }
        });
    }
}

/// One transaction over the first deliveries, at most `limit` of them: every message applied
/// or quarantined, or nothing at all; it ends early, after at least one message, when
/// `stop_early` says so. A
/// message whose session the store cannot read back (edited by hand) is quarantined rather
/// than blocking the queue forever: the part is rolled back and applied again without it.
fn apply_nwave(
    store: &mut Store,
    deliveries: &[NwaveDelivery],
    now: DateTime<Utc>,
    limit: usize,
    stop_early: &dyn Fn() -> bool,
) -> Result<Part, StoreError> {
    let mut unreadable: HashMap<usize, String> = HashMap::new();
    'attempt: loop {
        let tx = store.transaction()?;
        let mut part = Part {
            applied: BatchApplied::default(),
            positions: Vec::new(),
            taken: 0,
        };
        for (i, d) in deliveries.iter().enumerate() {
            let refused = match (unreadable.get(&i), parse(&d.payload)) {
                (Some(reason), _) => Some(reason.clone()),
                (None, Err(rejection)) => Some(rejection.reason),
                (None, Ok(message)) => match nwave_store::apply_message(&tx, &message, now) {
                    Ok(written) => {
                        part.applied.count(written.applied);
                        part.positions.extend(written.positions);
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
                part.applied.quarantined += 1;
            }
            part.taken = i + 1;
            if part.taken >= limit || stop_early() {
                break;
            }
        }
        tx.commit()?;
        return Ok(part);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::booth::clock::ManualClock;
    use crate::domain::nwave::examples;
    use chrono::TimeZone;
    use std::cell::Cell;

    fn demo_booth(dir: &std::path::Path) -> Booth {
        let config = crate::demo::config(dir);
        let mut store = Store::open(&config.booth.database).unwrap();
        let now = Utc.with_ymd_and_hms(2021, 1, 26, 9, 0, 0).unwrap();
        crate::demo::seed(&mut store, &config, now).unwrap();
        Booth::new(store, &config, Box::new(ManualClock::new(now))).unwrap()
    }

    fn batch(
        payloads: &[&str],
    ) -> (
        NwaveBatch,
        oneshot::Receiver<Result<BatchApplied, BatchFailed>>,
    ) {
        let (reply, answer) = oneshot::channel();
        let deliveries = payloads
            .iter()
            .map(|p| NwaveDelivery {
                payload: p.as_bytes().to_vec(),
                origin: Default::default(),
            })
            .collect();
        let batch = NwaveBatch {
            deliveries,
            reply: Some(reply),
        };
        (batch, answer)
    }

    fn sessions(booth: &Booth) -> i64 {
        booth
            .store
            .conn()
            .query_row("SELECT COUNT(*) FROM nwave_session", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn an_urgent_event_gets_the_messages_applied_so_far_committed_and_the_rest_follows() {
        let dir = tempfile::tempdir().unwrap();
        let mut booth = demo_booth(dir.path());
        let payloads = [
            examples::START,
            "not json",
            examples::PARTIAL_END,
            examples::START_END,
        ];
        let (first, mut answer) = batch(&payloads);
        // Something urgent comes while the first message is applied.
        let urgent = Cell::new(true);
        let urgent_waits = || urgent.replace(false);
        booth.nwave_batch(first, &urgent_waits);
        assert!(booth.has_unfinished_batch());
        assert_eq!(sessions(&booth), 1, "the first message is committed");
        assert!(
            answer.try_recv().is_err(),
            "not answered before the rest is applied"
        );

        // The rest, stopped once more after the malformed message.
        urgent.set(true);
        booth.resume_nwave_batch(&urgent_waits);
        assert!(booth.has_unfinished_batch());
        booth.resume_nwave_batch(&|| false);
        assert!(!booth.has_unfinished_batch());
        let applied = answer.try_recv().unwrap().unwrap();
        assert_eq!(applied.messages(), 4, "{applied:?}");
        assert_eq!((applied.new, applied.quarantined), (2, 1), "{applied:?}");
        assert_eq!(sessions(&booth), 2);
        let view = booth.nwave.view().unwrap();
        assert_eq!(view.totals, applied, "every part counted once");

        // A part ends at its limit even when nothing urgent waits.
        let deliveries: Vec<_> = [examples::START, examples::PARTIAL_END, examples::START_END]
            .iter()
            .map(|p| NwaveDelivery {
                payload: p.as_bytes().to_vec(),
                origin: Default::default(),
            })
            .collect();
        let now = Utc.with_ymd_and_hms(2021, 1, 26, 9, 5, 0).unwrap();
        let part = apply_nwave(&mut booth.store, &deliveries, now, 2, &|| false).unwrap();
        assert_eq!(part.taken, 2, "two messages, then the commit");

        // Without urgent events a batch is one part, answered at once.
        let (second, mut answer) = batch(&[examples::CORRECTION_BEFORE]);
        booth.nwave_batch(second, &|| false);
        assert!(!booth.has_unfinished_batch());
        assert_eq!(answer.try_recv().unwrap().unwrap().messages(), 1);
    }
}
