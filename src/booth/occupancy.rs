//! The bays' occupancy summary, made on a thread of its own.
//!
//! The summary walks every bay, tens of milliseconds for ten thousand bays; on the booth's
//! thread a scan that came meanwhile would wait for it. Here the thread keeps its own copy of the board, fed with the
//! positions each batch changed, and sends each summary back to the booth as an
//! [`Event::Occupancy`](super::Event::Occupancy), which costs the booth a move and a snapshot.
//! Measurements: docs/perf/.

use crate::domain::nwave::{Board, OccupancySummary, OverstayLimits, PositionState};
use crate::worker::Worker;
use chrono::{DateTime, Utc};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The screen's bay counts are at most about this old (more on a site so large that a summary
/// costs more than [`SUMMARY_SHARE`] allows).
pub(super) const SUMMARY_EVERY: Duration = Duration::from_millis(250);
/// A summary is redone at most once every this many times what the last one cost: at most 5 %
/// of one core, which the booth's thread and the HTTP API share.
const SUMMARY_SHARE: u32 = 20;

/// A position's latest claim, or `None` when no session claims it any more.
pub(super) type PositionChange = (String, Option<PositionState>);

/// What the booth tells the thread.
enum Change {
    /// A batch changed these positions; the booth's clock read `now`.
    Positions {
        now: DateTime<Utc>,
        positions: Vec<PositionChange>,
    },
    /// Time passed (the link's beat): overstay moves with the clock.
    Clock(DateTime<Utc>),
}

/// The booth's end: tells the summary's thread what changed.
pub(super) struct SummaryFeed(mpsc::Sender<Change>);

/// The summary's thread: dropping it, once the booth (and its feed) is gone, joins the thread.
pub(crate) struct SummaryThread(#[allow(dead_code)] Worker<Change>);

/// Starts the summary's thread on `board`. `deliver` hands a summary to the booth and says
/// whether it could; one it could not is made again later.
pub(super) fn summary_thread(
    board: Board,
    limits: OverstayLimits,
    deliver: impl Fn(OccupancySummary) -> bool + Send + 'static,
) -> std::io::Result<(SummaryFeed, SummaryThread)> {
    let worker = Worker::spawn("bays-summary", move |received| {
        crate::priority::lower_this_thread();
        summarise_changes(board, &limits, &received, &deliver);
    })?;
    let feed = worker
        .sender()
        .ok_or_else(|| std::io::Error::other("the summary thread has no channel"))?;
    Ok((SummaryFeed(feed), SummaryThread(worker)))
}

impl SummaryFeed {
    pub(super) fn positions_changed(&self, now: DateTime<Utc>, positions: Vec<PositionChange>) {
        self.tell(Change::Positions { now, positions });
    }

    pub(super) fn clock_moved(&self, now: DateTime<Utc>) {
        self.tell(Change::Clock(now));
    }

    fn tell(&self, change: Change) {
        if self.0.send(change).is_err() {
            tracing::error!("the bays' summary thread stopped: the screen's bay counts are frozen");
        }
    }
}

/// The thread's loop: applies changes as they come, and summarises when something changed and
/// the last summary is old enough; returns when the booth has gone.
fn summarise_changes(
    mut board: Board,
    limits: &OverstayLimits,
    received: &mpsc::Receiver<Change>,
    deliver: &dyn Fn(OccupancySummary) -> bool,
) {
    // Set by every change, before any summary is made.
    let mut now = DateTime::<Utc>::MIN_UTC;
    let mut changed = false;
    let mut next_at = Instant::now();
    loop {
        let change = if changed {
            match received.recv_timeout(next_at.saturating_duration_since(Instant::now())) {
                Ok(change) => Some(change),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        } else {
            match received.recv() {
                Ok(change) => Some(change),
                Err(mpsc::RecvError) => return,
            }
        };
        for change in change.into_iter().chain(received.try_iter()) {
            changed = true;
            match change {
                Change::Positions { now: at, positions } => {
                    now = at;
                    for (network_id, state) in positions {
                        board.set(&network_id, state);
                    }
                }
                Change::Clock(at) => now = at,
            }
        }
        if changed && Instant::now() >= next_at {
            let started = Instant::now();
            let summary = board.summary(now, limits);
            let cost = started.elapsed();
            changed = !deliver(summary);
            next_at = Instant::now() + SUMMARY_EVERY.max(cost * SUMMARY_SHARE);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::nwave::{Ledger, examples, parse};
    use chrono::TimeZone;
    use std::sync::{Arc, Mutex};

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 10, minute, 0).unwrap()
    }

    /// The example session's position, under another id.
    fn taken(network_id: &str) -> PositionChange {
        let mut ledger = Ledger::default();
        ledger.apply(&parse(examples::START.as_bytes()).unwrap());
        let mut state = ledger.positions().into_values().next().unwrap();
        state.device.position.network_id = network_id.to_owned();
        state.taken = true;
        (network_id.to_owned(), Some(state))
    }

    /// Summaries delivered so far, and a switch that makes the booth refuse them.
    fn booth() -> (Arc<Mutex<Vec<OccupancySummary>>>, Arc<Mutex<bool>>) {
        (Arc::default(), Arc::new(Mutex::new(true)))
    }

    /// The summaries so far, once the last one is at `minute` (or after 10 s).
    fn wait_for(summaries: &Mutex<Vec<OccupancySummary>>, minute: u32) -> Vec<OccupancySummary> {
        let until = Instant::now() + Duration::from_secs(10);
        let done = |s: &Vec<OccupancySummary>| s.last().and_then(|s| s.at) == Some(at(minute));
        while !done(&summaries.lock().unwrap()) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(5));
        }
        summaries.lock().unwrap().clone()
    }

    #[test]
    fn changes_reach_the_booth_as_summaries_of_the_thread_s_own_board() {
        let (summaries, accepts) = booth();
        let (got, open) = (summaries.clone(), accepts.clone());
        let (summariser, thread) = summary_thread(Board::default(), OverstayLimits::default(), {
            move |s| *open.lock().unwrap() && got.lock().map(|mut g| g.push(s)).is_ok()
        })
        .unwrap();
        std::thread::sleep(SUMMARY_EVERY * 2);
        assert!(
            summaries.lock().unwrap().is_empty(),
            "nothing changed, nothing sent"
        );

        summariser.positions_changed(at(1), vec![taken("a"), taken("b")]);
        let first = wait_for(&summaries, 1);
        assert_eq!(first.len(), 1);
        assert_eq!((first[0].total.positions, first[0].total.taken), (2, 2));

        // Changes that come faster than SUMMARY_EVERY wait for the next summary, of all of them.
        summariser.positions_changed(at(2), vec![("a".into(), None)]);
        summariser.positions_changed(at(3), vec![taken("c")]);
        summariser.clock_moved(at(4));
        let second = wait_for(&summaries, 4);
        let last = second.last().unwrap();
        assert_eq!(
            (last.total.positions, last.at),
            (2, Some(at(4))),
            "{second:?}"
        );

        // A booth that cannot take it (its queue full) gets it again later.
        *accepts.lock().unwrap() = false;
        summariser.clock_moved(at(5));
        std::thread::sleep(SUMMARY_EVERY * 3);
        *accepts.lock().unwrap() = true;
        let third = wait_for(&summaries, 5);
        assert_eq!(third.last().and_then(|s| s.at), Some(at(5)));
        drop(summariser);
        drop(thread);
    }
}
