//! Where the effects go once the booth runs on its own thread: to the lanes' devices, in the
//! order they were decided, each only once the commit that decided it is on disk.
//!
//! Almost every commit is synced before the booth goes on, and its effects go at once. Two
//! kinds of scan are committed without a sync of their own: a remote system's
//! (`/find-device/`), so that the booth's thread, and the car at a lane behind it, never waits
//! for that fsync; and any scan with another event already queued behind it, so that scans
//! arriving together share one fsync instead of each waiting for the one before. The log's
//! sync thread makes them durable together with whatever else waits ([`super::wal_sync`]), and
//! the next commit synced in line makes them durable too. Their answers and effects, and every
//! effect decided after them, wait for that thread's sync: a gate never opens, and a receipt
//! never prints, for a decision a power cut could still undo, and no later effect overtakes
//! an earlier one.

use super::outcome::{ScanDecided, ScanOutcome};
use super::wal_sync::WalSyncer;
use super::{Booth, Effect};
use crate::domain::session::Refusal;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::mpsc;

pub(super) struct EffectsOut {
    to_devices: mpsc::UnboundedSender<Effect>,
    /// Effect lists handed to the sync thread and not sent yet: while there are any, later
    /// lists queue behind them there (its answers run in order).
    waiting: Arc<AtomicUsize>,
}

impl EffectsOut {
    pub(super) fn new(to_devices: mpsc::UnboundedSender<Effect>) -> EffectsOut {
        EffectsOut {
            to_devices,
            waiting: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Sends the effects of a commit already on disk: at once, or behind those still waiting
    /// for a sync.
    pub(super) fn send(&self, effects: Vec<Effect>, syncer: &WalSyncer) {
        if effects.is_empty() {
            return;
        }
        // Decremented only after a waiting list was sent: at 0, nothing sent later can
        // overtake anything.
        if self.waiting.load(Ordering::Acquire) == 0 {
            deliver(&self.to_devices, effects);
        } else {
            self.after_sync(effects, syncer, false);
        }
    }

    /// Sends the effects of a commit made without its own sync once the log is synced; drops
    /// them when it cannot be (the decision may not survive a power cut: no gate opens).
    pub(super) fn send_when_durable(&self, effects: Vec<Effect>, syncer: &WalSyncer) {
        if !effects.is_empty() {
            self.after_sync(effects, syncer, true);
        }
    }

    fn after_sync(&self, effects: Vec<Effect>, syncer: &WalSyncer, needs_sync: bool) {
        self.waiting.fetch_add(1, Ordering::AcqRel);
        let (to_devices, waiting) = (self.to_devices.clone(), self.waiting.clone());
        syncer.when_durable(Box::new(move |synced| {
            match synced {
                Err(e) if needs_sync => {
                    // Not the effects themselves: a receipt names its holder.
                    tracing::error!(error = %e, effects = effects.len(),
                        "a scan's commit could not be synced: its effects are not carried out");
                }
                _ => deliver(&to_devices, effects),
            }
            waiting.fetch_sub(1, Ordering::AcqRel);
        }));
    }
}

impl Booth {
    /// On the booth's own thread: sends the effects [`Booth::handle_between`] returned, behind
    /// any still waiting for a sync.
    pub(super) fn send_effects(&self, effects: Vec<Effect>) {
        if let (Some(out), Some(syncer)) = (&self.effects_out, &self.wal_syncer) {
            out.send(effects, syncer);
        }
    }

    /// Whether a scan from `source` commits without its own fsync, answered and carried out
    /// once the sync thread has made it durable (on the booth's thread only): a remote
    /// system's, so that no car at a lane waits for its fsync; and one with another event
    /// queued behind it (`urgent_waits`), so that the two share one fsync rather than the
    /// second waiting for the first's before its own.
    pub(super) fn defers_sync(
        &self,
        source: super::ScanSource,
        urgent_waits: &dyn Fn() -> bool,
    ) -> bool {
        self.wal_syncer.is_some() && (source.is_remote() || urgent_waits())
    }

    /// Answers a scan committed without its own fsync once it is durable, or as unavailable
    /// when the log cannot be synced.
    pub(super) fn answer_when_durable(
        &self,
        reply: tokio::sync::oneshot::Sender<ScanDecided>,
        answer: ScanDecided,
    ) {
        self.when_durable(move |synced| {
            let answer = match synced {
                Ok(()) => answer,
                Err(_) => ScanDecided {
                    outcome: ScanOutcome::Refused(Refusal::Unavailable),
                    account: None,
                    device: None,
                    ticket: None,
                    ..answer
                },
            };
            // The asker may have given up (HTTP client gone); the decision stands.
            let _ = reply.send(answer);
        });
    }

    /// Carries out the effects of a scan committed without its own fsync once it is durable.
    pub(super) fn effects_when_durable(&self, effects: Vec<Effect>) {
        if let (Some(out), Some(syncer)) = (&self.effects_out, &self.wal_syncer) {
            out.send_when_durable(effects, syncer);
        }
    }
}

fn deliver(to_devices: &mpsc::UnboundedSender<Effect>, effects: Vec<Effect>) {
    for effect in effects {
        if to_devices.send(effect).is_err() {
            tracing::warn!("an effect was decided after its devices stopped");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::booth::GateCommand;

    fn open(lane: &str) -> Effect {
        Effect::Gate {
            lane: lane.into(),
            command: GateCommand::Open,
        }
    }

    fn lanes(received: &mut mpsc::UnboundedReceiver<Effect>) -> Vec<String> {
        let mut lanes = Vec::new();
        while let Ok(Effect::Gate { lane, .. }) = received.try_recv() {
            lanes.push(lane);
        }
        lanes
    }

    #[test]
    fn effects_keep_their_order_behind_a_commit_waiting_for_its_sync() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("booth.db");
        let store = crate::store::Store::open(&path).unwrap();
        let (tx, mut received) = mpsc::unbounded_channel();
        let out = EffectsOut::new(tx);

        // Nothing waits: at once, without the sync thread.
        let syncer = WalSyncer::start(path.clone()).unwrap();
        out.send(vec![open("a")], &syncer);
        assert_eq!(lanes(&mut received), ["a"]);

        // Behind a remote scan's effects, a lane's wait too, then all go in order.
        out.send_when_durable(vec![open("remote")], &syncer);
        out.send(vec![open("lane")], &syncer);
        drop(syncer); // answers what waits, then joins
        assert_eq!(lanes(&mut received), ["remote", "lane"]);
        assert_eq!(out.waiting.load(Ordering::Acquire), 0);
        drop(store);

        // A log that cannot be synced: the remote scan's gate stays shut; the effects of a
        // commit synced by itself still go.
        let syncer = WalSyncer::start(dir.path().join("gone/booth.db")).unwrap();
        out.send_when_durable(vec![open("remote")], &syncer);
        out.send(vec![open("lane")], &syncer);
        drop(syncer);
        assert_eq!(lanes(&mut received), ["lane"]);
    }
}
