//! Group commit for background writes (Nwave batches, remote IO reports): the booth commits
//! one without waiting for the disk and hands its answer to this thread, which syncs the
//! write-ahead log once for every commit made meanwhile and only then answers them, so that
//! the broker's messages are acknowledged, and a device told its address is recorded, only
//! once durable. A scan on the booth's thread therefore never waits for their fsync, and a
//! burst of them costs one fsync instead of one each.

use crate::worker::Worker;
use std::path::PathBuf;
use std::sync::mpsc;

/// What to do once the log is synced, or could not be: answer whoever waits for the commit.
pub(super) type WhenDurable = Box<dyn FnOnce(Result<(), &std::io::Error>) + Send>;

/// The syncing thread. Dropping it answers what is still waiting, then joins the thread.
pub(super) struct WalSyncer(Worker<WhenDurable>);

impl WalSyncer {
    /// Starts the thread for the database at `database`.
    pub(super) fn start(database: PathBuf) -> std::io::Result<WalSyncer> {
        let worker = Worker::spawn("wal-sync", move |waiting: mpsc::Receiver<WhenDurable>| {
            let mut log = crate::store::WalSync::new(&database);
            while let Ok(first) = waiting.recv() {
                let mut batch = vec![first];
                batch.extend(waiting.try_iter());
                let synced = log.sync();
                if let Err(e) = &synced {
                    tracing::error!(error = %e, commits = batch.len(),
                        "cannot sync the database's log: the commits waiting for it are not answered as done");
                }
                for answer in batch {
                    answer(synced.as_ref().map(|_| ()));
                }
            }
        })?;
        Ok(WalSyncer(worker))
    }

    /// Calls `answer` once the log holding what was just committed is synced (or failed to).
    pub(super) fn when_durable(&self, answer: WhenDurable) {
        if let Err(answer) = self.0.send(answer) {
            // The thread is gone (it panicked): nothing can be called durable.
            answer(Err(&std::io::Error::other("the log's sync thread stopped")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::Receiver;

    fn answer_to(n: u32) -> (WhenDurable, Receiver<Result<u32, String>>) {
        let (tx, rx) = mpsc::channel();
        let answer: WhenDurable = Box::new(move |synced| {
            let _ = tx.send(synced.map(|()| n).map_err(|e| e.to_string()));
        });
        (answer, rx)
    }

    #[test]
    fn commits_are_answered_once_the_log_is_synced_or_failed_when_it_cannot_be() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("booth.db");
        let store = crate::store::Store::open(&path).unwrap();
        let syncer = WalSyncer::start(path.clone()).unwrap();
        let answers: Vec<_> = (0..3)
            .map(|n| {
                let (answer, rx) = answer_to(n);
                syncer.when_durable(answer);
                rx
            })
            .collect();
        for (n, answer) in answers.into_iter().enumerate() {
            assert_eq!(answer.recv().unwrap(), Ok(n as u32));
        }
        drop(syncer);
        drop(store);

        // A database that is not there: nothing can be made durable, so nothing is
        // answered as done (the broker delivers those messages again).
        let syncer = WalSyncer::start(dir.path().join("gone/booth.db")).unwrap();
        let (answer, rx) = answer_to(1);
        syncer.when_durable(answer);
        let failed = rx.recv().unwrap().unwrap_err();
        assert!(failed.contains("No such file"), "{failed}");
    }
}
