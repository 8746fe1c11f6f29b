//! Group commit for the Nwave batches: the booth commits a batch without waiting for the disk
//! and hands its answer to this thread, which syncs the write-ahead log once for every batch
//! committed meanwhile and only then answers them, so the broker's messages are acknowledged
//! only once they are durable. A scan on the booth's thread therefore never waits for a
//! batch's fsync, and a burst of batches costs one fsync instead of one each.

use super::nwave::{BatchApplied, BatchFailed};
use std::path::PathBuf;
use std::sync::mpsc;
use tokio::sync::oneshot;

type Reply = oneshot::Sender<Result<BatchApplied, BatchFailed>>;

/// A committed batch waiting for the log to be synced.
struct Committed {
    reply: Reply,
    applied: BatchApplied,
}

/// The syncing thread. Dropping it answers what is still waiting, then joins the thread.
pub(super) struct WalSyncer {
    /// `None` once dropping: closing the channel is what stops the thread.
    committed: Option<mpsc::Sender<Committed>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl WalSyncer {
    /// Starts the thread for the database at `database`.
    pub(super) fn start(database: PathBuf) -> std::io::Result<WalSyncer> {
        let (committed, waiting) = mpsc::channel::<Committed>();
        let thread = std::thread::Builder::new()
            .name("wal-sync".into())
            .spawn(move || {
                while let Ok(first) = waiting.recv() {
                    let mut batch = vec![first];
                    batch.extend(waiting.try_iter());
                    let synced = crate::store::sync_wal(&database);
                    if let Err(e) = &synced {
                        tracing::error!(error = %e, batches = batch.len(),
                            "cannot sync the database's log: the Nwave batches are not acknowledged and come again");
                    }
                    for Committed { reply, applied } in batch {
                        let answer = match &synced {
                            Ok(()) => Ok(applied),
                            Err(e) => Err(BatchFailed(format!("cannot sync the database: {e}"))),
                        };
                        // The consumer may have gone (shutdown): the broker then redelivers.
                        let _ = reply.send(answer);
                    }
                }
            })?;
        Ok(WalSyncer {
            committed: Some(committed),
            thread: Some(thread),
        })
    }

    /// Answers `reply` with `applied` once the log holding the batch is synced.
    pub(super) fn answer_when_durable(&self, reply: Reply, applied: BatchApplied) {
        let Some(committed) = &self.committed else {
            return;
        };
        if let Err(mpsc::SendError(Committed { reply, .. })) =
            committed.send(Committed { reply, applied })
        {
            // The thread is gone (it panicked): say so, and the broker delivers again.
            let _ = reply.send(Err(BatchFailed("the log's sync thread stopped".into())));
        }
    }
}

impl Drop for WalSyncer {
    fn drop(&mut self) {
        self.committed = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(new: u64) -> BatchApplied {
        BatchApplied {
            new,
            ..BatchApplied::default()
        }
    }

    #[test]
    fn batches_are_answered_once_the_log_is_synced_or_failed_when_it_cannot_be() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("booth.db");
        let store = crate::store::Store::open(&path).unwrap();
        let syncer = WalSyncer::start(path.clone()).unwrap();
        let answers: Vec<_> = (0..3)
            .map(|n| {
                let (reply, answer) = oneshot::channel();
                syncer.answer_when_durable(reply, applied(n));
                answer
            })
            .collect();
        for (n, answer) in answers.into_iter().enumerate() {
            assert_eq!(answer.blocking_recv().unwrap().unwrap(), applied(n as u64));
        }
        drop(syncer);
        drop(store);

        // A database that is not there: nothing can be made durable, so nothing is
        // acknowledged (the broker delivers those messages again).
        let syncer = WalSyncer::start(dir.path().join("gone/booth.db")).unwrap();
        let (reply, answer) = oneshot::channel();
        syncer.answer_when_durable(reply, applied(1));
        let failed = answer.blocking_recv().unwrap().unwrap_err();
        assert!(failed.0.contains("cannot sync the database"), "{failed:?}");
    }
}
