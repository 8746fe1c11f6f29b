//! The attendant's multi-step actions: each asks for what it still needs (a lane, a payment
//! method, a typed reason or code, a confirmation) and then becomes one booth command.
//! Everything that moves a barrier or money ends with a confirmation.

use crate::booth::{AttendantCommand, GateOverride, Snapshot};
use crate::domain::receipt::PaymentMethod;
use crate::domain::session::Direction;

/// A lane as the console offers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaneInfo {
    pub id: String,
    pub name: String,
    pub direction: Direction,
    pub has_gate: bool,
    pub has_printer: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    IssueTicket,
    Pay,
    CancelPayment,
    LostTicket,
    Gate(GateOverride),
    ManualScan,
    Reprint,
    ShiftReport,
    Quit,
}

/// What a finished task asks of the booth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskCommand {
    Attendant(AttendantCommand),
    Scan { lane: String, code: String },
    Quit,
}

/// What the task is waiting for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    PickLane {
        choices: Vec<LaneInfo>,
        selected: usize,
    },
    PickMethod,
    Input {
        label: &'static str,
        required: bool,
    },
    Confirm(String),
}

/// Facts the tasks need from the rest of the console.
pub struct TaskContext<'a> {
    pub lanes: &'a [LaneInfo],
    pub snapshot: &'a Snapshot,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskState {
    pub task: Task,
    pub step: Step,
    /// What the attendant is typing at an `Input` step.
    pub input: String,
    lane: Option<String>,
    method: Option<PaymentMethod>,
    text: Option<String>,
}

/// The result of a key in a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskOutcome {
    Continue(TaskState),
    Cancelled,
    Done(TaskCommand),
    /// The task cannot go on; the sentence says why.
    Refused(String),
}

/// Keys a task understands; the console maps terminal keys to these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKey {
    Char(char),
    Enter,
    Escape,
    Backspace,
    Up,
    Down,
}

impl Task {
    pub fn title(self) -> &'static str {
        match self {
            Task::IssueTicket => "Issue a walk-in ticket",
            Task::Pay => "Take a payment",
            Task::CancelPayment => "Cancel the waiting payment",
            Task::LostTicket => "Lost ticket",
            Task::Gate(GateOverride::Open) => "Open a gate by hand",
            Task::Gate(GateOverride::Hold) => "Hold a gate open",
            Task::Gate(GateOverride::Release) => "Release a held gate",
            Task::Gate(GateOverride::Close) => "Close a gate",
            Task::ManualScan => "Enter a code by hand",
            Task::Reprint => "Reprint a receipt",
            Task::ShiftReport => "Print the shift report",
            Task::Quit => "Quit",
        }
    }

    /// The lanes this task may act on.
    fn lanes(self, ctx: &TaskContext<'_>) -> Vec<LaneInfo> {
        let waiting = |id: &str| {
            ctx.snapshot
                .lanes
                .iter()
                .any(|l| l.id == id && l.awaiting_payment.is_some())
        };
        ctx.lanes
            .iter()
            .filter(|l| match self {
                Task::IssueTicket => l.direction == Direction::Entrance && l.has_printer,
                Task::Pay | Task::CancelPayment => l.direction == Direction::Exit && waiting(&l.id),
                Task::LostTicket => l.direction == Direction::Exit,
                Task::Gate(_) => l.has_gate,
                Task::ManualScan => true,
                Task::Reprint | Task::ShiftReport | Task::Quit => false,
            })
            .cloned()
            .collect()
    }

    fn needs_lane(self) -> bool {
        !matches!(self, Task::Reprint | Task::ShiftReport | Task::Quit)
    }
}

impl TaskState {
    /// Starts a task, or says why it cannot start.
    pub fn start(task: Task, ctx: &TaskContext<'_>) -> TaskOutcome {
        let state = TaskState {
            task,
            step: Step::Confirm(String::new()),
            input: String::new(),
            lane: None,
            method: None,
            text: None,
        };
        state.advance(ctx)
    }

    /// Handles one key at the current step.
    pub fn key(mut self, key: TaskKey, ctx: &TaskContext<'_>) -> TaskOutcome {
        if key == TaskKey::Escape {
            return TaskOutcome::Cancelled;
        }
        match &mut self.step {
            Step::PickLane { choices, selected } => match key {
                TaskKey::Up => *selected = selected.saturating_sub(1),
                TaskKey::Down => *selected = (*selected + 1).min(choices.len().saturating_sub(1)),
                TaskKey::Char(c @ '1'..='9') => {
                    let i = c as usize - '1' as usize;
                    if let Some(lane) = choices.get(i) {
                        self.lane = Some(lane.id.clone());
                        return self.advance(ctx);
                    }
                }
                TaskKey::Enter => {
                    if let Some(lane) = choices.get(*selected) {
                        self.lane = Some(lane.id.clone());
                        return self.advance(ctx);
                    }
                }
                _ => {}
            },
            Step::PickMethod => match key {
                TaskKey::Char('c' | 'C' | '1') => {
                    self.method = Some(PaymentMethod::Cash);
                    return self.advance(ctx);
                }
                TaskKey::Char('k' | 'K' | '2') => {
                    self.method = Some(PaymentMethod::Card);
                    return self.advance(ctx);
                }
                _ => {}
            },
            Step::Input { required, .. } => match key {
                TaskKey::Char(c) if !c.is_control() && self.input.chars().count() < 200 => {
                    self.input.push(c)
                }
                TaskKey::Backspace => {
                    self.input.pop();
                }
                TaskKey::Enter => {
                    let text = self.input.trim().to_owned();
                    if text.is_empty() && *required {
                        return TaskOutcome::Continue(self);
                    }
                    self.text = Some(text);
                    self.input.clear();
                    return self.advance(ctx);
                }
                _ => {}
            },
            Step::Confirm(_) => match key {
                TaskKey::Char('y' | 'Y') | TaskKey::Enter => return self.finish(),
                TaskKey::Char('n' | 'N') => return TaskOutcome::Cancelled,
                _ => {}
            },
        }
        TaskOutcome::Continue(self)
    }

    /// Moves to the next missing piece, or to the confirmation, or finishes.
    fn advance(mut self, ctx: &TaskContext<'_>) -> TaskOutcome {
        if self.task.needs_lane() && self.lane.is_none() {
            let choices = self.task.lanes(ctx);
            match choices.len() {
                0 => return TaskOutcome::Refused(no_lane_reason(self.task)),
                1 => self.lane = choices.first().map(|l| l.id.clone()),
                _ => {
                    self.step = Step::PickLane {
                        choices,
                        selected: 0,
                    };
                    return TaskOutcome::Continue(self);
                }
            }
        }
        let lane = self.lane.clone().unwrap_or_default();
        let input = |label, required| Step::Input { label, required };
        let next = match self.task {
            Task::LostTicket if self.text.is_none() => {
                Some(input("Ticket number (empty if nobody knows it)", false))
            }
            Task::LostTicket if ticket_number(self.text.as_deref()).is_err() => {
                self.text = None;
                Some(input(
                    "Ticket number: digits only (empty if unknown)",
                    false,
                ))
            }
            Task::Pay | Task::LostTicket if self.method.is_none() => Some(Step::PickMethod),
            Task::Gate(_) if self.text.is_none() => Some(input("Reason (audited)", true)),
            Task::ManualScan if self.text.is_none() => Some(input("Code", true)),
            Task::ManualScan => return self.finish(),
            Task::Reprint if self.text.is_none() => {
                Some(input("Receipt number (empty for the last one)", false))
            }
            Task::Reprint if ticket_number(self.text.as_deref()).is_err() => {
                self.text = None;
                Some(input(
                    "Receipt number: digits only (empty for the last)",
                    false,
                ))
            }
            Task::Reprint => return self.finish(),
            _ => None,
        };
        self.step = match next {
            Some(step) => step,
            None => Step::Confirm(self.question(&lane, ctx)),
        };
        TaskOutcome::Continue(self)
    }

    fn question(&self, lane: &str, ctx: &TaskContext<'_>) -> String {
        let method = self.method.map(|m| m.as_str()).unwrap_or("");
        match self.task {
            Task::IssueTicket => format!("Print a walk-in ticket at {lane} and open its gate?"),
            Task::Pay => {
                let due = ctx
                    .snapshot
                    .lanes
                    .iter()
                    .find(|l| l.id == lane)
                    .and_then(|l| l.awaiting_payment.as_ref())
                    .map(|d| {
                        format!(
                            "{} {} for ticket {:06}",
                            d.quote.total, d.currency, d.ticket_no
                        )
                    })
                    .unwrap_or_else(|| "the amount due".into());
                format!("Take {due} by {method} at {lane} and open the gate?")
            }
            Task::CancelPayment => {
                format!("Cancel the payment waiting at {lane}? The gate stays down.")
            }
            Task::LostTicket => {
                let which = match ticket_number(self.text.as_deref()) {
                    Ok(Some(n)) => format!("ticket {n:06}"),
                    _ => "an unknown ticket".into(),
                };
                format!(
                    "Close {which} under its tariff's lost-ticket rule by {method} at {lane} and open the gate?"
                )
            }
            Task::Gate(action) => format!(
                "{} {lane} by hand, reason {:?}?",
                match action {
                    GateOverride::Open => "Open",
                    GateOverride::Hold => "Hold open",
                    GateOverride::Release => "Release",
                    GateOverride::Close => "Close",
                },
                self.text.as_deref().unwrap_or("")
            ),
            Task::ShiftReport => "Print the shift report and start a new shift?".into(),
            Task::Quit => {
                "Quit clearpark? The booth stops deciding until it is started again.".into()
            }
            Task::ManualScan | Task::Reprint => String::new(),
        }
    }

    fn finish(self) -> TaskOutcome {
        let lane = self.lane.clone().unwrap_or_default();
        let text = self.text.clone().unwrap_or_default();
        let method = self.method.unwrap_or(PaymentMethod::Cash);
        let command = match self.task {
            Task::IssueTicket => AttendantCommand::IssueTicket { lane },
            Task::Pay => AttendantCommand::RecordPayment { lane, method },
            Task::CancelPayment => AttendantCommand::CancelPayment { lane },
            Task::LostTicket => AttendantCommand::LostTicket {
                lane,
                ticket_no: ticket_number(Some(&text)).ok().flatten(),
                method,
            },
            Task::Gate(action) => AttendantCommand::Gate {
                lane,
                action,
                reason: text,
            },
            Task::Reprint => AttendantCommand::Reprint {
                receipt_no: ticket_number(Some(&text)).ok().flatten(),
                lane: None,
            },
            Task::ShiftReport => AttendantCommand::ShiftReport { lane: None },
            Task::ManualScan => return TaskOutcome::Done(TaskCommand::Scan { lane, code: text }),
            Task::Quit => return TaskOutcome::Done(TaskCommand::Quit),
        };
        TaskOutcome::Done(TaskCommand::Attendant(command))
    }

    /// The lane the task is for, once known.
    pub fn lane(&self) -> Option<&str> {
        self.lane.as_deref()
    }

    /// The confirmation question or the prompt's label, for the screen.
    pub fn prompt(&self) -> &str {
        match &self.step {
            Step::PickLane { .. } => "Which lane?",
            Step::PickMethod => "Paid how?  c cash   k card",
            Step::Input { label, .. } => label,
            Step::Confirm(q) => q,
        }
    }
}

/// An optional number typed by the attendant: empty is `None`.
fn ticket_number(text: Option<&str>) -> Result<Option<i64>, ()> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => t.parse::<i64>().map(Some).map_err(drop),
    }
}

fn no_lane_reason(task: Task) -> String {
    match task {
        Task::IssueTicket => "No entrance lane has a printer to print a ticket on.".into(),
        Task::Pay | Task::CancelPayment => "No payment is waiting at any exit.".into(),
        Task::LostTicket => "There is no exit lane.".into(),
        Task::Gate(_) => "No lane has a gate under this console.".into(),
        _ => "There is no lane for this.".into(),
    }
}

#[cfg(test)]
mod tests;
