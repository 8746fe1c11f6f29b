//! A simulated lane: the gate controller ([`super::gate`]), the vehicles ([`super::driver`])
//! and sensors set by hand, stepped together. Pure: the runners over a pty
//! ([`super::gate_port`]) and inside the process ([`crate::devices::sim_gate`]) feed it lines
//! or commands, inputs and the time, and send what it reports.

use super::driver::{DriverSettings, Drivers};
use super::gate::{Boot, Controller, Timings};
use super::script::GateInput;
use crate::devices::gate::protocol::{Command, Report};
use std::time::Duration;

/// A hung controller is restarted by its watchdog after this long.
pub const WATCHDOG: Duration = Duration::from_secs(2);

/// How a simulated gate behaves.
#[derive(Debug, Clone, PartialEq)]
pub struct SimGateConfig {
    pub timings: Timings,
    pub drivers: DriverSettings,
    /// A vehicle drives through after each OPEN (with the drivers' share of no-shows).
    pub auto: bool,
    /// Seeds the drivers' randomness.
    pub seed: u64,
}

impl Default for SimGateConfig {
    fn default() -> Self {
        SimGateConfig {
            timings: Timings::default(),
            drivers: DriverSettings::default(),
            auto: false,
            seed: 1,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SimLane {
    controller: Controller,
    drivers: Drivers,
    /// Sensor levels set by hand (keys, scripts); a vehicle's levels add to them.
    manual: (bool, bool),
    /// What the sensors see now.
    levels: (bool, bool),
    /// Hung (by the `hang` input) until the watchdog restarts it at this time.
    hung_until: Option<Duration>,
    /// Watchdog restarts so far.
    resets: u64,
}

impl SimLane {
    /// A lane whose controller has just powered on; returns its `READY`.
    pub fn start(config: &SimGateConfig, now: Duration) -> (SimLane, Vec<Report>) {
        let mut controller = Controller::new(config.timings);
        let ready = controller.begin(now, Boot::default());
        let lane = SimLane {
            controller,
            drivers: Drivers::new(config.drivers.clone(), config.auto, config.seed),
            manual: (false, false),
            levels: (false, false),
            hung_until: None,
            resets: 0,
        };
        (lane, ready)
    }

    pub fn controller(&self) -> &Controller {
        &self.controller
    }

    /// The sensors' levels (presence, beam).
    pub fn levels(&self) -> (bool, bool) {
        self.levels
    }

    /// Watchdog restarts so far.
    pub fn resets(&self) -> u64 {
        self.resets
    }

    /// Hung, waiting for the watchdog.
    pub fn hung(&self) -> bool {
        self.hung_until.is_some()
    }

    /// A line from the console (without `\n`); a hung controller does not read it.
    pub fn line(&mut self, now: Duration, line: &[u8]) -> Vec<Report> {
        if self.hung() {
            return Vec::new();
        }
        let mut out = self.controller.receive_line(now, line);
        out.extend(self.advance(now));
        out
    }

    /// A command already parsed (the in-process gate).
    pub fn command(&mut self, now: Duration, command: Command) -> Vec<Report> {
        let mut out = self.controller.command(now, command);
        out.extend(self.advance(now));
        out
    }

    /// A key or script input. `State` is the caller's to show; it changes nothing here.
    pub fn input(&mut self, now: Duration, input: GateInput) -> Vec<Report> {
        let mut out = Vec::new();
        match input {
            GateInput::Presence(level) => self.manual.0 = level.unwrap_or(!self.manual.0),
            GateInput::Beam(level) => self.manual.1 = level.unwrap_or(!self.manual.1),
            GateInput::Vehicle => self.drivers.vehicle_now(now),
            GateInput::Watchdog => {
                self.hung_until = None;
                self.resets += 1;
                out.extend(self.controller.watchdog_restart(now));
            }
            GateInput::Hang => {
                self.hung_until.get_or_insert(now + WATCHDOG);
            }
            GateInput::State => {}
        }
        out.extend(self.advance(now));
        out
    }

    /// Moves time on to `now`: vehicles move, sensors and barrier follow.
    pub fn advance(&mut self, now: Duration) -> Vec<Report> {
        let mut out = Vec::new();
        match self.hung_until {
            Some(at) if now >= at => {
                self.hung_until = None;
                self.resets += 1;
                out.extend(self.controller.watchdog_restart(now));
            }
            Some(_) => return out,
            None => {}
        }
        // A few rounds: a vehicle reacts to the barrier, the controller to the vehicle. Ticks
        // at the same instant with the same levels change nothing, so extra rounds are free.
        for _ in 0..3 {
            let driven = self.drivers.update(now, &self.controller);
            self.levels = (driven.0 || self.manual.0, driven.1 || self.manual.1);
            out.extend(self.controller.tick(now, self.levels.0, self.levels.1));
        }
        out
    }

    /// When [`SimLane::advance`] has something to do next.
    pub fn next_deadline(&self) -> Option<Duration> {
        if self.hung_until.is_some() {
            return self.hung_until;
        }
        [
            self.controller.next_deadline(),
            self.drivers.next_deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hung_controller_is_silent_until_its_watchdog_restarts_it() {
        let config = SimGateConfig::default();
        let (mut lane, _) = SimLane::start(&config, Duration::ZERO);
        let t = Duration::from_millis(100);
        assert!(lane.input(t, GateInput::Hang).is_empty());
        assert_eq!(lane.next_deadline(), Some(t + WATCHDOG));
        let status = crate::devices::gate::protocol::Command::Status(1).line();
        assert!(lane.line(t, &status[..status.len() - 1]).is_empty());
        assert!(lane.advance(t + WATCHDOG / 2).is_empty());
        let restarted: Vec<String> = lane
            .advance(t + WATCHDOG)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(restarted[1], "EVT FAULT WDT");
        assert_eq!(lane.resets(), 1);
        assert!(!lane.hung());
    }
}
