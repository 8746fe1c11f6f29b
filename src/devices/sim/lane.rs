//! A simulated lane: the gate controller ([`super::gate`]), the vehicles ([`super::driver`])
//! and sensors set by hand, stepped together. Pure: the runners over a pty
//! ([`super::gate_port`]) and inside the process ([`crate::devices::sim_gate`]) feed it lines
//! or commands, inputs and the time, and send what it reports.

use super::driver::{DriverSettings, Drivers};
use super::gate::{Boot, Controller, Timings};
use super::script::GateInput;
use crate::devices::gate::protocol::{Command, Report};
use std::time::Duration;

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

    /// A line from the console (without `\n`).
    pub fn line(&mut self, now: Duration, line: &[u8]) -> Vec<Report> {
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
            GateInput::Watchdog => out.extend(self.controller.watchdog_restart(now)),
            GateInput::State => {}
        }
        out.extend(self.advance(now));
        out
    }

    /// Moves time on to `now`: vehicles move, sensors and barrier follow.
    pub fn advance(&mut self, now: Duration) -> Vec<Report> {
        let mut out = Vec::new();
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
        [
            self.controller.next_deadline(),
            self.drivers.next_deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }
}
