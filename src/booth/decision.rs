//! What the booth's handlers return: a [`Decision`]. A handler decides and writes its rows in a
//! transaction; it never says how or when that transaction reaches the disk. The committer
//! ([`super::commit`]) makes it durable, and only then carries out the decision's effects and
//! gives its answer, in the order decided.

use super::Effect;

/// What one event decided.
#[must_use = "a decision's effects and answer go out through the committer"]
pub(crate) struct Decision {
    /// Gate commands and print jobs, carried out once the decision is on disk.
    pub effects: Vec<Effect>,
    /// Told once the decision is on disk, or that it could not be made so.
    pub answer: Option<Answer>,
    /// Who waits for it: what the committer weighs when it makes it durable.
    pub waiting: Waiting,
}

/// The answer to whoever sent the event, given the decision's fate.
pub(crate) type Answer = Box<dyn FnOnce(Result<(), NotDurable>) + Send>;

/// Who waits for a decision to be on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Waiting {
    /// Someone at the booth: a car at a lane, the attendant. As soon as possible.
    Booth,
    /// A remote system: the API's caller, the broker, a remote IO device. No car at a lane
    /// should wait for its commit.
    Remote,
    /// Nobody: a gate's report that a cycle ended, housekeeping.
    Nobody,
}

/// What a decision committed could not be made durable (the database's log could not be
/// synced): its effects are not carried out, and its answer says so.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not on disk: {0}")]
pub(crate) struct NotDurable(pub String);

impl Decision {
    /// Nothing to carry out and nobody to answer.
    pub fn nothing() -> Decision {
        Decision::effects(Vec::new(), Waiting::Nobody)
    }

    pub fn effects(effects: Vec<Effect>, waiting: Waiting) -> Decision {
        Decision {
            effects,
            answer: None,
            waiting,
        }
    }

    /// Adds the answer.
    pub fn answered(
        mut self,
        answer: impl FnOnce(Result<(), NotDurable>) + Send + 'static,
    ) -> Self {
        self.answer = Some(Box::new(answer));
        self
    }

    /// Answers on a reply channel: `answer` once durable, what `unavailable` makes of it if
    /// not. The asker may have given up meanwhile (an HTTP client gone); the decision stands.
    pub fn replying<T: Send + 'static>(
        self,
        reply: Option<tokio::sync::oneshot::Sender<T>>,
        answer: T,
        unavailable: impl FnOnce(T, NotDurable) -> T + Send + 'static,
    ) -> Self {
        match reply {
            None => self,
            Some(reply) => self.answered(move |durable| {
                let _ = reply.send(match durable {
                    Ok(()) => answer,
                    Err(e) => unavailable(answer, e),
                });
            }),
        }
    }

    /// Gives the answer; the effects are the caller's to carry out.
    pub(super) fn answer(&mut self, durable: Result<(), NotDurable>) {
        if let Some(answer) = self.answer.take() {
            answer(durable);
        }
    }
}

impl std::fmt::Debug for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decision")
            .field("effects", &self.effects)
            .field("answer", &self.answer.is_some())
            .field("waiting", &self.waiting)
            .finish()
    }
}
