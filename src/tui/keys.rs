//! Keys: the console's own key type (so tests need no terminal), the map from terminal events,
//! and the help text listing every key.

use super::app::{App, Mode, View};
use super::task::{Step, TaskKey};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Enter,
    Esc,
    Backspace,
    Up,
    Down,
    PageUp,
    PageDown,
    Tab,
    BackTab,
    CtrlC,
}

impl Key {
    /// The console's key for a terminal key event; `None` for keys it does not use.
    pub fn from_event(event: KeyEvent) -> Option<Key> {
        if event.kind == KeyEventKind::Release {
            return None;
        }
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        Some(match event.code {
            KeyCode::Char('c') if ctrl => Key::CtrlC,
            KeyCode::Char(_) if ctrl => return None,
            KeyCode::Char(c) => Key::Char(c),
            KeyCode::Enter => Key::Enter,
            KeyCode::Esc => Key::Esc,
            KeyCode::Backspace => Key::Backspace,
            KeyCode::Up => Key::Up,
            KeyCode::Down => Key::Down,
            KeyCode::PageUp => Key::PageUp,
            KeyCode::PageDown => Key::PageDown,
            KeyCode::Tab => Key::Tab,
            KeyCode::BackTab => Key::BackTab,
            _ => return None,
        })
    }

    pub fn task_key(self) -> Option<TaskKey> {
        Some(match self {
            Key::Char(c) => TaskKey::Char(c),
            Key::Enter => TaskKey::Enter,
            Key::Esc => TaskKey::Escape,
            Key::Backspace => TaskKey::Backspace,
            Key::Up => TaskKey::Up,
            Key::Down => TaskKey::Down,
            _ => return None,
        })
    }
}

/// Every key, for the `?` screen: `(keys, what they do)`.
pub fn help_lines() -> &'static [(&'static str, &'static str)] {
    &[
        ("1 2 3 4, Tab", "dashboard, sessions, bays, accounts"),
        (
            "t",
            "issue a walk-in ticket at an entrance (prints it, opens the gate)",
        ),
        (
            "p",
            "take the payment waiting at an exit: c cash, k card (opens the gate)",
        ),
        ("x", "cancel the payment waiting at an exit"),
        ("l", "lost ticket: close a walk-in at the lost-ticket fee"),
        ("o", "open a gate by hand, with a reason (audited)"),
        (
            "h / u",
            "hold a gate open / release it, with a reason (audited)",
        ),
        (
            "c",
            "close a gate, with a reason (never on a vehicle; audited)",
        ),
        ("s", "enter a code by hand, as if scanned at a lane"),
        ("r", "reprint a receipt (the last one, or by number)"),
        ("R", "print the shift report and start a new shift"),
        ("/", "sessions: filter; accounts: search"),
        ("S", "sessions: change the sort"),
        ("↑ ↓ PgUp PgDn", "move in lists and the bay grid"),
        ("Enter", "accounts: show the selected account's QR code"),
        ("Esc", "cancel a prompt, clear a filter or a message"),
        ("y / n", "confirm / refuse"),
        ("?", "this help"),
        ("q", "quit (asks first); Ctrl-C quits at once"),
        (
            "scanner",
            "a keyboard-wedge scanner typing a code is recognised as a scan",
        ),
    ]
}

/// The keys that apply now, for the footer.
pub fn footer(app: &App) -> Vec<(&'static str, String)> {
    let s = |k: &'static str, v: &str| (k, v.to_owned());
    match &app.mode {
        Mode::Help => vec![s("any key", "close help"), s("↑↓", "scroll")],
        Mode::Typing => vec![s("type", "filter"), s("Enter", "done"), s("Esc", "clear")],
        Mode::Task(task) => match &task.step {
            Step::PickLane { .. } => {
                vec![s("1-9", "lane"), s("↑↓ Enter", "pick"), s("Esc", "cancel")]
            }
            Step::PickMethod => vec![s("c", "cash"), s("k", "card"), s("Esc", "cancel")],
            Step::Input { .. } => vec![s("type", "text"), s("Enter", "accept"), s("Esc", "cancel")],
            Step::Confirm(_) => vec![s("y", "yes"), s("n", "no")],
        },
        Mode::Normal => {
            let mut keys = Vec::new();
            let due = app
                .snapshot
                .lanes
                .iter()
                .find_map(|l| l.awaiting_payment.as_ref());
            if let Some(due) = due {
                keys.push(("p", format!("pay {} {}", due.quote.total, due.currency)));
            }
            keys.extend([
                s("t", "ticket"),
                s("l", "lost"),
                s("o", "open"),
                s("h", "hold"),
            ]);
            match app.view {
                View::Sessions => keys.extend([s("/", "filter"), s("S", "sort")]),
                View::Accounts => keys.extend([s("/", "search"), s("Enter", "QR")]),
                _ => keys.extend([s("s", "scan"), s("r", "reprint")]),
            }
            keys.extend([s("?", "help"), s("q", "quit")]);
            keys
        }
    }
}
