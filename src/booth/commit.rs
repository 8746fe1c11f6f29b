//! The committer: makes each [`Decision`] durable, then releases it (its effects to the devices,
//! its answer to whoever asked), in the order decided. The booth's handlers only decide; fsync
//! policy, group commit, checkpoints and holding effects back are all here.
//!
//! On the booth's own thread ([`Committer::start`]) every commit of the booth's connection
//! skips its own fsync (`synchronous = NORMAL`) and the committer syncs the log afterwards:
//!
//! * a decision that wrote nothing needs no sync: it is released at once, or behind releases
//!   still waiting for one;
//! * a decision someone at the booth waits for ([`Waiting::Booth`]: a car at a lane, the
//!   attendant) is synced at once, on the booth's thread, unless another event is already
//!   queued behind it: then the two share the log's sync thread's next fsync rather than the
//!   second waiting for the first's before its own;
//! * a decision a remote system or nobody waits for goes to the sync thread ([`super::wal_sync`]),
//!   which syncs once for everything committed meanwhile: no car waits for its fsync, and a
//!   burst of them costs one.
//!
//! A thread of its own copies the log into the database (`store::Checkpointer`); once background
//! work has grown the log to [`store::FINISH_AT_BYTES`] the committer asks it to finish, and
//! background work waits for that ([`Committer::background_paused`]) so that the log can start
//! over.
//!
//! A booth driven directly (tests, benchmarks) commits in line: every commit syncs itself
//! (`synchronous = FULL`), answers go at once, and the effects are handed back.

use super::Effect;
use super::decision::{Decision, NotDurable, Waiting};
use super::release::Releases;
use super::wal_sync::WalSyncer;
use crate::store::{self, Checkpointer, Store, WalSync};
use tokio::sync::{mpsc, oneshot};

pub(super) struct Committer(Mode);

enum Mode {
    InLine,
    Threaded(Box<Threaded>),
}

struct Threaded {
    /// Syncs the log in line.
    log: WalSync,
    /// Declared first, dropped first: it gives its last answers while the log is still open.
    syncer: WalSyncer,
    releases: Releases,
    checkpointer: Checkpointer,
    /// While the checkpointer finishes a checkpoint that lets the log start over, background
    /// work waits (a write would make the log longer than what it copied); `Some` until done.
    checkpoint_asked: Option<oneshot::Receiver<()>>,
    /// The store's commit count when last looked at: a decision wrote when it moved.
    commits_seen: u64,
}

impl Committer {
    /// Commits in line: for a booth driven directly.
    pub(super) fn in_line() -> Committer {
        Committer(Mode::InLine)
    }

    /// Takes over the durability of `store`'s commits, on the booth's thread: starts the log's
    /// sync thread and the checkpointer; released effects go to `effects_to`.
    pub(super) fn start(
        store: &mut Store,
        effects_to: mpsc::UnboundedSender<Effect>,
    ) -> std::io::Result<Committer> {
        let checkpointer = store.start_checkpointer().map_err(std::io::Error::other)?;
        store.skip_fsync().map_err(std::io::Error::other)?;
        Ok(Committer(Mode::Threaded(Box::new(Threaded {
            log: WalSync::new(store.path()),
            syncer: WalSyncer::start(store.path().to_owned())?,
            releases: Releases::new(effects_to),
            checkpointer,
            checkpoint_asked: None,
            commits_seen: store.commits(),
        }))))
    }

    /// Makes what `decision` committed on `store` durable and releases it. `queued_behind`:
    /// another event waits for the booth already; `background`: the decision was background
    /// work (what grows the log, and what can wait for a checkpoint). In line, the effects are
    /// handed back.
    pub(super) fn commit(
        &mut self,
        store: &Store,
        mut decision: Decision,
        queued_behind: bool,
        background: bool,
    ) -> Vec<Effect> {
        let t = match &mut self.0 {
            Mode::InLine => {
                decision.answer(Ok(()));
                return decision.effects;
            }
            Mode::Threaded(t) => t,
        };
        let commits = store.commits();
        let wrote = commits != t.commits_seen;
        t.commits_seen = commits;
        if !wrote {
            t.releases.durable(decision, &t.syncer);
            return Vec::new();
        }
        match decision.waiting {
            Waiting::Booth if !queued_behind => match t.log.sync() {
                Ok(()) => t.releases.durable(decision, &t.syncer),
                Err(e) => {
                    tracing::error!(error = %e, "cannot sync the database's log");
                    t.releases.not_durable(decision, NotDurable(e.to_string()));
                }
            },
            Waiting::Booth | Waiting::Remote | Waiting::Nobody => {
                t.releases.when_synced(decision, &t.syncer);
            }
        }
        if background && t.checkpoint_asked.is_none() && store.wal_bytes() >= store::FINISH_AT_BYTES
        {
            t.checkpoint_asked = Some(t.checkpointer.finish());
        }
        Vec::new()
    }

    /// Whether background events must wait for the checkpoint asked for; the runner then
    /// waits on [`Committer::checkpoint_asked`] beside the urgent events.
    pub(super) fn background_paused(&mut self) -> bool {
        let Mode::Threaded(t) = &mut self.0 else {
            return false;
        };
        let done = match &mut t.checkpoint_asked {
            None => return false,
            Some(asked) => !matches!(asked.try_recv(), Err(oneshot::error::TryRecvError::Empty)),
        };
        if done {
            t.checkpoint_asked = None;
        }
        !done
    }

    pub(super) fn checkpoint_asked(&mut self) -> Option<&mut oneshot::Receiver<()>> {
        match &mut self.0 {
            Mode::Threaded(t) => t.checkpoint_asked.as_mut(),
            Mode::InLine => None,
        }
    }
}
