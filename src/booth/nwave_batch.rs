//! Applying an Nwave batch in the booth, in parts.
//!
//! A batch is a few dozen messages; on the booth's own thread a scan that came meanwhile would
//! wait for all of it. So the runner cuts a batch into parts (at most
//! [`PART_MESSAGES`](super::runner::PART_MESSAGES) messages, and fewer when an urgent event
//! comes: `part_may_grow`); each part is one transaction, every message of it applied or quarantined, or nothing at all, and the rest of
//! the batch follows before any other background event. The batch is answered once its last
//! part is on disk. If a later part fails, the consumer requeues the whole batch and the
//! messages already committed come again as duplicates, which the rules make harmless.
//! Measurements: docs/perf/.

use super::nwave::{BatchApplied, BatchFailed, NwaveBatch, NwaveDelivery};
use super::occupancy::PositionChange;
use super::{Booth, Decision, Waiting};
use crate::domain::nwave::parse;
use crate::store::nwave as nwave_store;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use tokio::sync::oneshot;

type Reply = oneshot::Sender<Result<BatchApplied, BatchFailed>>;

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
    /// Applies `batch` in parts: each part takes messages while `part_may_grow` says so, and
    /// what is left waits for [`Booth::resume_nwave_batch`].
    pub(super) fn nwave_batch(
        &mut self,
        batch: NwaveBatch,
        part_may_grow: &dyn Fn(usize) -> bool,
    ) -> Decision {
        let unfinished = UnfinishedBatch {
            deliveries: batch.deliveries,
            next: 0,
            applied: BatchApplied::default(),
            reply: batch.reply,
        };
        self.apply_part(unfinished, part_may_grow)
    }

    /// Whether a batch was left unfinished: it goes on before any other background event
    /// ([`Booth::resume_nwave_batch`]).
    pub(super) fn has_unfinished_batch(&self) -> bool {
        self.nwave.unfinished.is_some()
    }

    pub(super) fn resume_nwave_batch(&mut self, part_may_grow: &dyn Fn(usize) -> bool) -> Decision {
        match self.nwave.unfinished.take() {
            Some(unfinished) => {
                let decision = self.apply_part(unfinished, part_may_grow);
                self.publish();
                decision
            }
            None => Decision::nothing(),
        }
    }

    fn apply_part(
        &mut self,
        mut batch: UnfinishedBatch,
        part_may_grow: &dyn Fn(usize) -> bool,
    ) -> Decision {
        let now = self.clock.now();
        let rest = &batch.deliveries[batch.next..];
        let part = match apply_nwave(&mut self.store, rest, now, part_may_grow) {
            Ok(part) => part,
            Err(e) => {
                tracing::error!(error = %e, messages = batch.deliveries.len() - batch.next,
                    "Nwave batch not applied");
                self.nwave.update(|v| v.failed_batches += 1);
                if let Some(reply) = batch.reply {
                    // The consumer may have gone (shutdown): the broker redelivers, harmlessly.
                    let _ = reply.send(Err(BatchFailed(e.to_string())));
                }
                return Decision::nothing();
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
        batch.applied.add(&part.applied);
        batch.next += part.taken;
        // The broker waits for the whole batch, answered once its last part is on disk.
        let decision = Decision::effects(Vec::new(), Waiting::Remote);
        if batch.next < batch.deliveries.len() {
            self.nwave.unfinished = Some(batch);
            return decision;
        }
        let (applied, reply) = (batch.applied, batch.reply);
        decision.answered(move |durable| {
            let answer = durable
                .map(|()| applied)
                .map_err(|e| BatchFailed(format!("cannot sync the database: {}", e.0)));
            if let Some(reply) = reply {
                let _ = reply.send(answer);
            }
        })
    }
}

/// One transaction over the first deliveries, as many as `part_may_grow` allows (at least
/// one): every message applied or quarantined, or nothing at all. A message whose session the
/// store cannot read back (edited by hand) is quarantined rather than blocking the queue
/// forever: the part is rolled back and applied again without it.
fn apply_nwave(
    store: &mut Store,
    deliveries: &[NwaveDelivery],
    now: DateTime<Utc>,
    part_may_grow: &dyn Fn(usize) -> bool,
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
            if !part_may_grow(part.taken) {
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

    /// Made durable in line, as a booth driven directly does.
    fn commit(booth: &Booth, decision: Decision) {
        let effects =
            crate::booth::commit::Committer::in_line().commit(&booth.store, decision, false, false);
        assert!(effects.is_empty());
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
        let part_may_grow = |_| !urgent.replace(false);
        let decision = booth.nwave_batch(first, &part_may_grow);
        commit(&booth, decision);
        assert!(booth.has_unfinished_batch());
        assert_eq!(sessions(&booth), 1, "the first message is committed");
        assert!(
            answer.try_recv().is_err(),
            "not answered before the rest is applied"
        );

        // The rest, stopped once more after the malformed message.
        urgent.set(true);
        let decision = booth.resume_nwave_batch(&part_may_grow);
        commit(&booth, decision);
        assert!(booth.has_unfinished_batch());
        let decision = booth.resume_nwave_batch(&|_| true);
        commit(&booth, decision);
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
        let part = apply_nwave(&mut booth.store, &deliveries, now, &|taken| taken < 2).unwrap();
        assert_eq!(part.taken, 2, "two messages, then the commit");

        // Without urgent events a batch is one part, answered at once.
        let (second, mut answer) = batch(&[examples::CORRECTION_BEFORE]);
        let decision = booth.nwave_batch(second, &|_| true);
        commit(&booth, decision);
        assert!(!booth.has_unfinished_batch());
        assert_eq!(answer.try_recv().unwrap().unwrap().messages(), 1);
    }
}
