//! Simulated drivers for a simulated gate: vehicles that drive onto the loop, wait for the
//! barrier, break the beam and leave, by setting the controller's raw sensor levels. Pure,
//! driven by the time and what the controller did; the randomness comes from a seeded source.
//!
//! In auto mode each OPEN the controller executes brings one vehicle, except a share of
//! no-shows (the barrier then times out, and everyone queued behind is turned away with it).

use super::gate::Controller;
use crate::devices::gate::protocol::Barrier;
use std::collections::VecDeque;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub struct DriverSettings {
    /// From the OPEN to the vehicle on the loop, drawn between these.
    pub arrive_after: (Duration, Duration),
    /// From the barrier fully up to the vehicle breaking the beam.
    pub drive_off_after: Duration,
    /// From the beam broken to the loop clear, and again to the beam clear.
    pub crossing_step: Duration,
    /// Share of OPENs nobody drives through (0.0..=1.0).
    pub no_show_rate: f64,
}

impl Default for DriverSettings {
    fn default() -> Self {
        DriverSettings {
            arrive_after: (Duration::from_millis(100), Duration::from_millis(600)),
            drive_off_after: Duration::from_millis(400),
            crossing_step: Duration::from_millis(400),
            no_show_rate: 0.05,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vehicle {
    /// Will be on the loop at this time.
    Comes(Duration),
    NoShow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// On the loop, waiting for the barrier to be up.
    Waiting,
    /// Barrier up: breaks the beam at this time.
    DrivingOff(Duration),
    /// In the beam: leaves the loop at this time.
    InBeam(Duration),
    /// Past the loop: clears the beam at this time.
    Leaving(Duration),
}

#[derive(Debug, Clone)]
pub struct Drivers {
    settings: DriverSettings,
    /// Bring a vehicle for each OPEN.
    auto: bool,
    queue: VecDeque<Vehicle>,
    /// The vehicle at the barrier, if it has arrived.
    current: Option<Step>,
    seen_opens: u64,
    seen_timeouts: u64,
    rng: fastrand::Rng,
}

impl Drivers {
    pub fn new(settings: DriverSettings, auto: bool, seed: u64) -> Drivers {
        Drivers {
            settings,
            auto,
            queue: VecDeque::new(),
            current: None,
            seen_opens: 0,
            seen_timeouts: 0,
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    /// A vehicle arriving now whatever the controller expects (a key press, a script).
    pub fn vehicle_now(&mut self, now: Duration) {
        self.queue.push_back(Vehicle::Comes(now));
    }

    /// Vehicles waiting or crossing.
    pub fn waiting(&self) -> usize {
        self.queue.len()
    }

    /// Looks at what the controller did and moves the vehicles; returns the raw levels
    /// (presence, beam) the vehicles put on the sensors.
    pub fn update(&mut self, now: Duration, controller: &Controller) -> (bool, bool) {
        if controller.timeouts() != self.seen_timeouts {
            self.seen_timeouts = controller.timeouts();
            // The barrier gave up: vehicles not yet on the loop go away.
            if self.current.is_none() {
                self.queue.clear();
            }
        }
        while self.seen_opens < controller.opens() {
            self.seen_opens += 1;
            if self.auto {
                let vehicle = if self.rng.f64() < self.settings.no_show_rate {
                    Vehicle::NoShow
                } else {
                    let (lo, hi) = self.settings.arrive_after;
                    Vehicle::Comes(now + lo + hi.saturating_sub(lo).mul_f64(self.rng.f64()))
                };
                self.queue.push_back(vehicle);
            }
        }
        let up = controller.barrier() == Barrier::Open;
        let s = &self.settings;
        let front = self.queue.front().copied();
        self.current = match (self.current, front) {
            (None, Some(Vehicle::Comes(at))) if now >= at => Some(Step::Waiting),
            (Some(Step::Waiting), _) if up => Some(Step::DrivingOff(now + s.drive_off_after)),
            (Some(Step::DrivingOff(at)), _) if now >= at => {
                Some(Step::InBeam(now + s.crossing_step))
            }
            (Some(Step::InBeam(at)), _) if now >= at => Some(Step::Leaving(now + s.crossing_step)),
            (Some(Step::Leaving(at)), _) if now >= at => {
                self.queue.pop_front();
                // The next one moves up behind it.
                if let Some(Vehicle::Comes(next)) = self.queue.front_mut() {
                    *next = (*next).max(now + s.crossing_step);
                }
                None
            }
            (step, _) => step,
        };
        match self.current {
            None => (false, false),
            Some(Step::Waiting | Step::DrivingOff(_)) => (true, false),
            Some(Step::InBeam(_)) => (true, true),
            Some(Step::Leaving(_)) => (false, true),
        }
    }

    /// When [`Drivers::update`] has something to do next.
    pub fn next_deadline(&self) -> Option<Duration> {
        match (self.current, self.queue.front()) {
            (None, Some(Vehicle::Comes(at))) => Some(*at),
            (Some(Step::DrivingOff(at) | Step::InBeam(at) | Step::Leaving(at)), _) => Some(at),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::gate::protocol::Command;
    use crate::devices::sim::gate::{Boot, Timings};

    /// Runs a controller with drivers from deadline to deadline until `until`; returns the
    /// events sent.
    fn run(c: &mut Controller, d: &mut Drivers, from: Duration, until: Duration) -> Vec<String> {
        let mut now = from;
        let mut seen = Vec::new();
        loop {
            let (p, b) = d.update(now, c);
            seen.extend(c.tick(now, p, b).iter().map(ToString::to_string));
            let (p2, b2) = d.update(now, c);
            if (p2, b2) != (p, b) {
                seen.extend(c.tick(now, p2, b2).iter().map(ToString::to_string));
                continue;
            }
            match [c.next_deadline(), d.next_deadline()]
                .into_iter()
                .flatten()
                .min()
            {
                Some(next) if next <= until => now = next.max(now),
                _ => return seen,
            }
        }
    }

    #[test]
    fn in_auto_mode_a_vehicle_drives_through_after_each_open() {
        let mut c = Controller::new(Timings::default());
        c.begin(Duration::ZERO, Boot::default());
        let mut d = Drivers::new(
            DriverSettings {
                no_show_rate: 0.0,
                ..DriverSettings::default()
            },
            true,
            7,
        );
        c.command(Duration::ZERO, Command::Open(1));
        let seen = run(&mut c, &mut d, Duration::ZERO, Duration::from_secs(10));
        assert_eq!(
            seen,
            [
                "EVT PRESENCE 1",
                "EVT OPENED",
                "EVT PRESENCE 0",
                "EVT PASSED",
                "EVT CLOSED"
            ]
        );
    }

    #[test]
    fn a_no_show_ends_in_a_timeout_and_turns_the_queue_away() {
        let mut c = Controller::new(Timings::default());
        c.begin(Duration::ZERO, Boot::default());
        let mut d = Drivers::new(
            DriverSettings {
                no_show_rate: 1.0,
                ..DriverSettings::default()
            },
            true,
            7,
        );
        c.command(Duration::ZERO, Command::Open(1));
        c.command(Duration::ZERO, Command::Open(2));
        let seen = run(&mut c, &mut d, Duration::ZERO, Duration::from_secs(60));
        assert_eq!(seen, ["EVT OPENED", "EVT TIMEOUT", "EVT CLOSED"]);
        assert_eq!(d.waiting(), 0);
    }

    #[test]
    fn without_auto_only_called_vehicles_come() {
        let mut c = Controller::new(Timings::default());
        c.begin(Duration::ZERO, Boot::default());
        let mut d = Drivers::new(DriverSettings::default(), false, 1);
        c.command(Duration::ZERO, Command::Hold(1));
        d.vehicle_now(Duration::from_secs(2));
        let seen = run(&mut c, &mut d, Duration::ZERO, Duration::from_secs(10));
        assert_eq!(
            seen,
            [
                "EVT OPENED",
                "EVT PRESENCE 1",
                "EVT PRESENCE 0",
                "EVT PASSED"
            ]
        );
    }
}
