//! Colours and symbols, in one place so the screen stays calm and consistent.

use ratatui::style::{Color, Modifier, Style};

pub fn title() -> Style {
    Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
}
pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}
pub fn good() -> Style {
    Style::new().fg(Color::Green)
}
pub fn warn() -> Style {
    Style::new().fg(Color::Yellow)
}
pub fn bad() -> Style {
    Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
}
pub fn money() -> Style {
    Style::new()
        .fg(Color::LightGreen)
        .add_modifier(Modifier::BOLD)
}
pub fn key() -> Style {
    Style::new().fg(Color::Black).bg(Color::Gray)
}
pub fn selected() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

/// `●` green when online, red when offline, `·` when the lane has no such device.
pub fn online(state: Option<bool>) -> (&'static str, Style) {
    match state {
        Some(true) => ("●", good()),
        Some(false) => ("●", bad()),
        None => ("·", dim()),
    }
}
