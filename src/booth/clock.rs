//! The source of time, so that tests can stand still or jump an hour: the booth reads a
//! [`Clock`], everything else [`now`]. Nothing else reads the system's clock (clippy.toml).

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use std::sync::{Arc, Mutex};

pub trait Clock: Send + 'static {
    /// Now, in UTC, to the whole second: the store keeps whole seconds, and the price computed
    /// from the stored times must be the price charged.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        // The one reading of the system's time (clippy.toml forbids the others).
        #[allow(clippy::disallowed_methods)]
        let now = Utc::now();
        now.duration_trunc(TimeDelta::seconds(1)).unwrap_or(now)
    }
}

/// The system clock's now, to the whole second: for what runs beside the booth (the screen's
/// clock, the broker link's times, the command line, tests) rather than inside it.
pub fn now() -> DateTime<Utc> {
    SystemClock.now()
}

/// A clock that moves only when told; clones share the same time.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock(Arc::new(Mutex::new(start)))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = at;
    }

    pub fn advance(&self, by: TimeDelta) {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *t += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}
