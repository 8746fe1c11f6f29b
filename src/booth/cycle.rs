//! Gate signals: the end of gate cycles (a vehicle through, or nobody), and the lane's gate view.

use super::snapshot::GatePosition;
use super::{ActivityKind, Booth, Decision, GateSignal, Waiting};
use crate::domain::session::{self, CycleEnd, SessionState};
use crate::store::{self, sessions};

impl Booth {
    pub(super) fn gate_signal(&mut self, lane_id: &str, signal: GateSignal) -> Decision {
        let Some(lane) = self.lane_index(lane_id) else {
            tracing::warn!(lane = lane_id, ?signal, "gate signal from an unknown lane");
            return Decision::nothing();
        };
        let gate = &mut self.lanes[lane].view.gate;
        match signal {
            GateSignal::Opened => gate.position = GatePosition::Open,
            GateSignal::Closed => {
                gate.position = GatePosition::Closed;
                gate.held = false;
            }
            GateSignal::Presence(present) => gate.presence = present,
            GateSignal::Fault(code) => {
                gate.last_fault = Some(code.clone());
                self.record(Some(lane_id), ActivityKind::GateFault { code });
            }
            GateSignal::Online(online) => {
                if !online {
                    self.abandon_cycles(lane);
                }
                self.device_status(lane_id, super::DeviceKind::Gate, online, String::new());
            }
            GateSignal::Passed => {
                if let Err(e) = self.passed(lane) {
                    tracing::error!(lane = lane_id, error = %e, "passage not recorded: database error");
                }
                return cycle_end(lane_id);
            }
            GateSignal::TimedOut => {
                if let Err(e) = self.timed_out(lane) {
                    tracing::error!(lane = lane_id, error = %e, "timeout not recorded: database error");
                }
                return cycle_end(lane_id);
            }
        }
        Decision::nothing()
    }

    /// A vehicle went through: the oldest pending session on the lane moves on.
    fn passed(&mut self, lane: usize) -> store::Result<()> {
        let lane_id = self.lanes[lane].config.id.clone();
        let Some(&session_id) = self.lanes[lane].view.pending.first() else {
            self.record(
                Some(&lane_id),
                ActivityKind::Passed {
                    session_id: None,
                    state: None,
                },
            );
            return Ok(());
        };
        let now = self.clock.now();
        let state = {
            let tx = self.store.transaction()?;
            let state = match sessions::get(&tx, session_id)? {
                Some(s) => match session::after_cycle(s.facts(), CycleEnd::Passed) {
                    Some(after) => {
                        sessions::set_facts(&tx, session_id, after, now)?;
                        Some(after.state)
                    }
                    None => None,
                },
                None => None,
            };
            tx.commit()?;
            state
        };
        self.lanes[lane].view.pending.remove(0);
        if state == Some(SessionState::Closed) {
            self.occupied = self.occupied.saturating_sub(1);
        }
        self.record(
            Some(&lane_id),
            ActivityKind::Passed {
                session_id: Some(session_id),
                state,
            },
        );
        Ok(())
    }

    /// The barrier closed with nobody through: every pending session on the lane spends a try.
    fn timed_out(&mut self, lane: usize) -> store::Result<()> {
        let lane_id = self.lanes[lane].config.id.clone();
        let pending = self.lanes[lane].view.pending.clone();
        let now = self.clock.now();
        let spent = {
            let tx = self.store.transaction()?;
            let mut spent = Vec::new();
            for id in &pending {
                if let Some(s) = sessions::get(&tx, *id)?
                    && let Some(after) = session::after_cycle(s.facts(), CycleEnd::TimedOut)
                {
                    sessions::set_facts(&tx, *id, after, now)?;
                    let left = match after.state {
                        SessionState::Exiting => after.exit_remaining_tries,
                        _ => after.entrance_remaining_tries,
                    };
                    spent.push((*id, left));
                }
            }
            tx.commit()?;
            spent
        };
        self.lanes[lane].view.pending.clear();
        self.record(Some(&lane_id), ActivityKind::TimedOut { sessions: spent });
        Ok(())
    }

    /// The gate link is gone: whatever the barrier did meanwhile is unknown, so pending cycles
    /// end without spending a try; the sessions stay where they are and a new scan opens again.
    fn abandon_cycles(&mut self, lane: usize) {
        let pending = std::mem::take(&mut self.lanes[lane].view.pending);
        if !pending.is_empty() {
            tracing::warn!(
                lane = %self.lanes[lane].config.id,
                sessions = ?pending,
                "gate offline during a gate cycle; the sessions wait for a new scan"
            );
        }
        let gate = &mut self.lanes[lane].view.gate;
        gate.position = super::snapshot::GatePosition::Unknown;
        gate.presence = false;
    }
}

/// What a gate's report that a cycle ended decided: nobody is answered and nothing is carried
/// out for it, so no one acts on it before it is on disk, and the next car's scan at another
/// lane need not wait for it. A power cut before it is on disk leaves the cycle pending, as if
/// the cut came a moment earlier: the car scans again.
fn cycle_end(lane_id: &str) -> Decision {
    let lane = lane_id.to_owned();
    Decision::effects(Vec::new(), Waiting::Nobody).answered(move |durable| {
        if let Err(e) = durable {
            tracing::error!(lane, error = %e, "gate cycle's end not on disk");
        }
    })
}
