//! Releasing what decisions hold back, their effects (to the lanes' devices) and their answers,
//! in the order they were decided, each only once the commit that decided it is on disk: a gate
//! never opens, a receipt never prints and nobody is told "done" for a decision a power cut
//! could still undo, and nothing decided later overtakes anything decided earlier.
//!
//! A release whose commit is already on disk goes at once, unless effects handed to the log's
//! sync thread are still waiting: then it queues behind them there (the thread answers in
//! order). An answer alone (a remote system's, the broker's) holds nothing back: it goes to
//! its own asker, and whatever is released later is on disk after it anyway (the log is
//! written in order).

use super::Effect;
use super::decision::{Decision, NotDurable};
use super::wal_sync::WalSyncer;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::mpsc;

pub(super) struct Releases {
    to_devices: mpsc::UnboundedSender<Effect>,
    /// Releases handed to the sync thread and not out yet: while there are any, later ones
    /// queue behind them there.
    waiting: Arc<AtomicUsize>,
}

impl Releases {
    pub(super) fn new(to_devices: mpsc::UnboundedSender<Effect>) -> Releases {
        Releases {
            to_devices,
            waiting: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// A decision already on disk (or that wrote nothing): at once, or behind those still
    /// waiting for a sync.
    pub(super) fn durable(&self, mut decision: Decision, syncer: &WalSyncer) {
        if decision.effects.is_empty() {
            decision.answer(Ok(()));
            return;
        }
        // Decremented only after a waiting release went out: at 0, nothing released later
        // can overtake anything.
        if self.waiting.load(Ordering::Acquire) == 0 {
            release(&self.to_devices, decision, Ok(()));
        } else {
            self.after_sync(decision, syncer, false);
        }
    }

    /// A decision committed without its sync: once the sync thread made it durable. If the
    /// log cannot be synced, its effects are dropped and its answer says so.
    pub(super) fn when_synced(&self, decision: Decision, syncer: &WalSyncer) {
        self.after_sync(decision, syncer, true);
    }

    /// A decision whose sync failed: its effects are dropped, its answer says why.
    pub(super) fn not_durable(&self, mut decision: Decision, why: NotDurable) {
        drop_effects(&decision, &why);
        decision.answer(Err(why));
    }

    fn after_sync(&self, decision: Decision, syncer: &WalSyncer, needs_sync: bool) {
        if needs_sync && decision.effects.is_empty() {
            // Only an answer, to its own asker: nothing released later has to wait for it.
            syncer.when_durable(Box::new(move |synced| {
                let mut decision = decision;
                decision.answer(synced.map_err(|e| NotDurable(e.to_string())));
            }));
            return;
        }
        self.waiting.fetch_add(1, Ordering::AcqRel);
        let (to_devices, waiting) = (self.to_devices.clone(), self.waiting.clone());
        syncer.when_durable(Box::new(move |synced| {
            match synced {
                Err(e) if needs_sync => {
                    let mut decision = decision;
                    let why = NotDurable(e.to_string());
                    drop_effects(&decision, &why);
                    decision.answer(Err(why));
                }
                _ => release(&to_devices, decision, Ok(())),
            }
            waiting.fetch_sub(1, Ordering::AcqRel);
        }));
    }
}

fn drop_effects(decision: &Decision, why: &NotDurable) {
    if !decision.effects.is_empty() {
        // Not the effects themselves: a receipt names its holder.
        tracing::error!(error = %why, effects = decision.effects.len(),
            "a decision could not be made durable: its effects are not carried out");
    }
}

/// Carries out the effects, then answers.
fn release(
    to_devices: &mpsc::UnboundedSender<Effect>,
    mut decision: Decision,
    durable: Result<(), NotDurable>,
) {
    for effect in std::mem::take(&mut decision.effects) {
        if to_devices.send(effect).is_err() {
            tracing::warn!("an effect was decided after its devices stopped");
        }
    }
    decision.answer(durable);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::booth::GateCommand;
    use crate::booth::decision::Waiting;

    fn open(lane: &str) -> Decision {
        Decision::effects(
            vec![Effect::Gate {
                lane: lane.into(),
                command: GateCommand::Open,
            }],
            Waiting::Booth,
        )
    }

    fn lanes(received: &mut mpsc::UnboundedReceiver<Effect>) -> Vec<String> {
        let mut lanes = Vec::new();
        while let Ok(Effect::Gate { lane, .. }) = received.try_recv() {
            lanes.push(lane);
        }
        lanes
    }

    #[test]
    fn releases_keep_their_order_behind_a_commit_waiting_for_its_sync() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("booth.db");
        let store = crate::store::Store::open(&path).unwrap();
        let (tx, mut received) = mpsc::unbounded_channel();
        let out = Releases::new(tx);

        // Nothing waits: at once, without the sync thread.
        let syncer = WalSyncer::start(path.clone()).unwrap();
        out.durable(open("a"), &syncer);
        assert_eq!(lanes(&mut received), ["a"]);

        // Behind a remote scan's release, a lane's waits too, then both go in order.
        let (answered, answer) = std::sync::mpsc::channel();
        out.when_synced(
            open("remote").answered(move |durable| answered.send(durable).unwrap()),
            &syncer,
        );
        out.durable(open("lane"), &syncer);
        drop(syncer); // answers what waits, then joins
        assert_eq!(lanes(&mut received), ["remote", "lane"]);
        assert_eq!(answer.recv().unwrap(), Ok(()));
        assert_eq!(out.waiting.load(Ordering::Acquire), 0);
        drop(store);

        // A log that cannot be synced: the remote scan's gate stays shut and its answer says
        // why; the release of a commit already on disk still goes.
        let syncer = WalSyncer::start(dir.path().join("gone/booth.db")).unwrap();
        let (answered, answer) = std::sync::mpsc::channel();
        out.when_synced(
            open("remote").answered(move |durable| answered.send(durable).unwrap()),
            &syncer,
        );
        out.durable(open("lane"), &syncer);
        drop(syncer);
        assert_eq!(lanes(&mut received), ["lane"]);
        assert!(answer.recv().unwrap().is_err());
    }
}
