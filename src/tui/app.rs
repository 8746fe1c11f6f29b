//! The console's state and its one update function: a message in (a key, a snapshot, an
//! activity, a clock tick, loaded rows, a command's result), commands out. No I/O here, so every
//! key's effect is testable.

use super::keys::{Key, help_lines};
use super::model::{AccountRow, BaysData};
use super::task::{LaneInfo, Task, TaskCommand, TaskContext, TaskOutcome, TaskState};
use crate::booth::{Activity, GateOverride, Snapshot};
use crate::domain::model::OpenSession;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::collections::VecDeque;

/// Activities kept for the live list.
const ACTIVITY_KEPT: usize = 300;
/// How often an open list refreshes from the database, in seconds.
const LIST_REFRESH_SECS: i64 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Dashboard,
    Sessions,
    Bays,
    Accounts,
}

impl View {
    pub const ALL: [View; 4] = [View::Dashboard, View::Sessions, View::Bays, View::Accounts];

    pub fn title(self) -> &'static str {
        match self {
            View::Dashboard => "Dashboard",
            View::Sessions => "Sessions",
            View::Bays => "Bays",
            View::Accounts => "Accounts",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Task(TaskState),
    Help,
    /// Typing the sessions filter or the accounts search.
    Typing,
}

/// How the sessions view is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Longest,
    Price,
    Holder,
    Lane,
}

impl SortKey {
    fn next(self) -> SortKey {
        match self {
            SortKey::Longest => SortKey::Price,
            SortKey::Price => SortKey::Holder,
            SortKey::Holder => SortKey::Lane,
            SortKey::Lane => SortKey::Longest,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortKey::Longest => "longest stay",
            SortKey::Price => "price so far",
            SortKey::Holder => "holder",
            SortKey::Lane => "entry lane",
        }
    }
}

/// The console's fixed settings.
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub site: String,
    pub timezone: Tz,
    pub lanes: Vec<LaneInfo>,
    /// The lane a keyboard-wedge scanner types for, if any.
    pub wedge_lane: Option<String>,
    /// Maximum stays of the Nwave bay sensors; `None` when the booth has none.
    pub bay_limits: Option<crate::domain::nwave::OverstayLimits>,
}

/// Inputs to the console.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(Key),
    /// A keyboard-wedge scanner typed a code.
    WedgeScan(String),
    Tick(DateTime<Utc>),
    Snapshot(Box<Snapshot>),
    Activity(Box<Activity>),
    Sessions(Vec<OpenSession>),
    Accounts(Vec<AccountRow>),
    Bays(BaysData),
    /// A command finished: `Ok(what happened)` or `Err(why not)`.
    Done(Result<String, String>),
}

/// Work the console asks for; the run loop carries it out without blocking the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Task(TaskCommand),
    WedgeScan { lane: String, code: String },
    LoadSessions,
    SearchAccounts(String),
    LoadBays,
    Quit,
}

pub struct App {
    pub config: AppConfig,
    pub now: DateTime<Utc>,
    pub snapshot: Snapshot,
    /// Newest first.
    pub activity: VecDeque<Activity>,
    pub view: View,
    pub mode: Mode,
    pub sessions: Vec<OpenSession>,
    pub sessions_filter: String,
    pub sort: SortKey,
    pub accounts_query: String,
    pub accounts: Vec<AccountRow>,
    pub show_qr: bool,
    pub bays: BaysData,
    pub bays_scroll: usize,
    pub selected: usize,
    /// The last command's result, shown in the status line.
    pub status: Option<(bool, String)>,
    pub help_scroll: usize,
    last_list_load: Option<DateTime<Utc>>,
    /// Something changed since the last draw.
    pub dirty: bool,
    pub quitting: bool,
}

impl App {
    pub fn new(config: AppConfig, now: DateTime<Utc>) -> App {
        App {
            config,
            now,
            snapshot: Snapshot::default(),
            activity: VecDeque::new(),
            view: View::Dashboard,
            mode: Mode::Normal,
            sessions: Vec::new(),
            sessions_filter: String::new(),
            sort: SortKey::Longest,
            accounts_query: String::new(),
            accounts: Vec::new(),
            show_qr: false,
            bays: BaysData::default(),
            bays_scroll: 0,
            selected: 0,
            status: None,
            help_scroll: 0,
            last_list_load: None,
            dirty: true,
            quitting: false,
        }
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Command> {
        self.dirty = true;
        match msg {
            Msg::Key(key) => self.key(key),
            Msg::WedgeScan(code) => match self.config.wedge_lane.clone() {
                Some(lane) => vec![Command::WedgeScan { lane, code }],
                None => {
                    self.status = Some((
                        false,
                        "A scanner typed a code, but no lane has scanner = \"wedge\"; use s to enter it.".into(),
                    ));
                    Vec::new()
                }
            },
            Msg::Tick(now) => {
                // Redraw only when the clock on screen changes.
                self.dirty = now.timestamp() != self.now.timestamp();
                self.now = now;
                self.refresh_lists(false)
            }
            Msg::Snapshot(s) => {
                self.snapshot = *s;
                Vec::new()
            }
            Msg::Activity(a) => {
                self.activity.push_front(*a);
                self.activity.truncate(ACTIVITY_KEPT);
                Vec::new()
            }
            Msg::Sessions(rows) => {
                self.sessions = rows;
                Vec::new()
            }
            Msg::Accounts(rows) => {
                self.accounts = rows;
                self.selected = self.selected.min(self.accounts.len().saturating_sub(1));
                Vec::new()
            }
            Msg::Bays(data) => {
                self.bays = data;
                Vec::new()
            }
            Msg::Done(result) => {
                self.status = Some(match result {
                    Ok(text) => (true, text),
                    Err(text) => (false, text),
                });
                Vec::new()
            }
        }
    }

    /// Reloads the visible list when it is due (or now when `force`).
    fn refresh_lists(&mut self, force: bool) -> Vec<Command> {
        let due = force
            || self
                .last_list_load
                .is_none_or(|t| (self.now - t).num_seconds() >= LIST_REFRESH_SECS);
        if !due {
            return Vec::new();
        }
        let command = match self.view {
            View::Dashboard => return Vec::new(),
            View::Sessions => Command::LoadSessions,
            View::Bays => Command::LoadBays,
            View::Accounts if force => Command::SearchAccounts(self.accounts_query.clone()),
            View::Accounts => return Vec::new(),
        };
        self.last_list_load = Some(self.now);
        vec![command]
    }

    fn task_context(&self) -> TaskContext<'_> {
        TaskContext {
            lanes: &self.config.lanes,
            snapshot: &self.snapshot,
        }
    }

    fn start(&mut self, task: Task) -> Vec<Command> {
        let outcome = TaskState::start(task, &self.task_context());
        self.after_task(outcome)
    }

    fn after_task(&mut self, outcome: TaskOutcome) -> Vec<Command> {
        match outcome {
            TaskOutcome::Continue(state) => {
                self.mode = Mode::Task(state);
                Vec::new()
            }
            TaskOutcome::Cancelled => {
                self.mode = Mode::Normal;
                self.status = Some((true, "Cancelled.".into()));
                Vec::new()
            }
            TaskOutcome::Refused(why) => {
                self.mode = Mode::Normal;
                self.status = Some((false, why));
                Vec::new()
            }
            TaskOutcome::Done(TaskCommand::Quit) => {
                self.mode = Mode::Normal;
                self.quitting = true;
                vec![Command::Quit]
            }
            TaskOutcome::Done(command) => {
                self.mode = Mode::Normal;
                self.status = Some((true, "Sent to the booth…".into()));
                vec![Command::Task(command)]
            }
        }
    }

    fn key(&mut self, key: Key) -> Vec<Command> {
        if key == Key::CtrlC {
            self.quitting = true;
            return vec![Command::Quit];
        }
        match std::mem::replace(&mut self.mode, Mode::Normal) {
            Mode::Task(state) => {
                let Some(task_key) = key.task_key() else {
                    self.mode = Mode::Task(state);
                    return Vec::new();
                };
                let outcome = state.key(task_key, &self.task_context());
                self.after_task(outcome)
            }
            Mode::Help => {
                match key {
                    Key::Down => self.help_scroll = (self.help_scroll + 1).min(help_lines().len()),
                    Key::Up => self.help_scroll = self.help_scroll.saturating_sub(1),
                    _ => self.help_scroll = 0,
                }
                if matches!(key, Key::Down | Key::Up) {
                    self.mode = Mode::Help;
                }
                Vec::new()
            }
            Mode::Typing => self.typing(key),
            Mode::Normal => self.normal(key),
        }
    }

    fn typing(&mut self, key: Key) -> Vec<Command> {
        let accounts = self.view == View::Accounts;
        let text = if accounts {
            &mut self.accounts_query
        } else {
            &mut self.sessions_filter
        };
        match key {
            Key::Char(c) if text.chars().count() < 64 => text.push(c),
            Key::Backspace => {
                text.pop();
            }
            Key::Esc => text.clear(),
            Key::Enter => {}
            _ => {}
        }
        if !matches!(key, Key::Enter | Key::Esc) {
            self.mode = Mode::Typing;
        }
        self.selected = 0;
        if accounts {
            self.show_qr = false;
            vec![Command::SearchAccounts(self.accounts_query.clone())]
        } else {
            Vec::new()
        }
    }

    fn normal(&mut self, key: Key) -> Vec<Command> {
        match key {
            Key::Char('?') => {
                self.mode = Mode::Help;
                Vec::new()
            }
            Key::Char(c @ '1'..='4') => self.show(View::ALL[c as usize - '1' as usize]),
            Key::Tab => {
                let i = View::ALL.iter().position(|v| *v == self.view).unwrap_or(0);
                self.show(View::ALL[(i + 1) % View::ALL.len()])
            }
            Key::BackTab => {
                let i = View::ALL.iter().position(|v| *v == self.view).unwrap_or(0);
                self.show(View::ALL[(i + View::ALL.len() - 1) % View::ALL.len()])
            }
            Key::Char('t') => self.start(Task::IssueTicket),
            Key::Char('p') => self.start(Task::Pay),
            Key::Char('x') => self.start(Task::CancelPayment),
            Key::Char('l') => self.start(Task::LostTicket),
            Key::Char('o') => self.start(Task::Gate(GateOverride::Open)),
            Key::Char('h') => self.start(Task::Gate(GateOverride::Hold)),
            Key::Char('u') => self.start(Task::Gate(GateOverride::Release)),
            Key::Char('c') => self.start(Task::Gate(GateOverride::Close)),
            Key::Char('r') => self.start(Task::Reprint),
            Key::Char('R') => self.start(Task::ShiftReport),
            Key::Char('s') => self.start(Task::ManualScan),
            Key::Char('q') => self.start(Task::Quit),
            Key::Char('/') if matches!(self.view, View::Sessions | View::Accounts) => {
                self.mode = Mode::Typing;
                Vec::new()
            }
            Key::Char('S') if self.view == View::Sessions => {
                self.sort = self.sort.next();
                Vec::new()
            }
            Key::Esc => {
                self.sessions_filter.clear();
                self.show_qr = false;
                self.status = None;
                Vec::new()
            }
            Key::Up => {
                self.move_selection(-1);
                Vec::new()
            }
            Key::Down => {
                self.move_selection(1);
                Vec::new()
            }
            Key::PageUp => {
                self.move_selection(-10);
                Vec::new()
            }
            Key::PageDown => {
                self.move_selection(10);
                Vec::new()
            }
            Key::Enter if self.view == View::Accounts => {
                self.show_qr = !self.show_qr;
                Vec::new()
            }
            _ => {
                self.dirty = false;
                Vec::new()
            }
        }
    }

    fn show(&mut self, view: View) -> Vec<Command> {
        if self.view != view {
            self.selected = 0;
            self.bays_scroll = 0;
            self.show_qr = false;
        }
        self.view = view;
        self.refresh_lists(true)
    }

    fn move_selection(&mut self, by: isize) {
        if self.view == View::Bays {
            self.bays_scroll = self.bays_scroll.saturating_add_signed(by);
            return;
        }
        let len = match self.view {
            View::Sessions => self.visible_sessions().len(),
            View::Accounts => self.accounts.len(),
            _ => 0,
        };
        self.selected = self
            .selected
            .saturating_add_signed(by)
            .min(len.saturating_sub(1));
        self.show_qr = false;
    }

    /// Open sessions as the sessions view shows them: filtered and sorted.
    pub fn visible_sessions(&self) -> Vec<&OpenSession> {
        let needle = self.sessions_filter.to_lowercase();
        let mut rows: Vec<&OpenSession> = self
            .sessions
            .iter()
            .filter(|s| {
                needle.is_empty()
                    || s.holder.to_lowercase().contains(&needle)
                    || s.entry_lane.to_lowercase().contains(&needle)
                    || s.state.as_str().contains(&needle)
            })
            .collect();
        let price = |s: &OpenSession| s.price_so_far(self.config.timezone, self.now).total;
        match self.sort {
            SortKey::Longest => rows.sort_by_key(|s| (s.start, s.id)),
            SortKey::Price => rows.sort_by(|a, b| price(b).cmp(&price(a)).then(a.id.cmp(&b.id))),
            SortKey::Holder => rows.sort_by(|a, b| a.holder.cmp(&b.holder).then(a.id.cmp(&b.id))),
            SortKey::Lane => {
                rows.sort_by(|a, b| a.entry_lane.cmp(&b.entry_lane).then(a.start.cmp(&b.start)))
            }
        }
        rows
    }
}

impl AppConfig {
    /// The console's settings from the booth's config.
    pub fn from_config(config: &crate::config::Config) -> AppConfig {
        use crate::config::{GateEndpoint, PrinterEndpoint, ScannerEndpoint};
        AppConfig {
            site: config.booth.name.clone(),
            timezone: config.booth.timezone,
            lanes: config
                .lanes
                .iter()
                .map(|l| LaneInfo {
                    id: l.id.clone(),
                    name: l.name.clone(),
                    direction: l.direction,
                    has_gate: l.gate != GateEndpoint::None,
                    has_printer: l.printer != PrinterEndpoint::None,
                })
                .collect(),
            wedge_lane: config
                .lanes
                .iter()
                .find(|l| l.scanner == ScannerEndpoint::Wedge)
                .map(|l| l.id.clone()),
            bay_limits: config.nwave.as_ref().map(|n| n.limits.clone()),
        }
    }
}
