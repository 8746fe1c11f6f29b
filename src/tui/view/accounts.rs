//! The accounts view: search accounts and their devices; show a device's QR code.

use super::style;
use crate::tui::app::{App, Mode};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Row, Table, TableState};

pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let qr = app
        .show_qr
        .then(|| app.accounts.get(app.selected))
        .flatten()
        .and_then(|row| row.devices.first());
    let [list, side] = if qr.is_some() {
        Layout::horizontal([Constraint::Min(30), Constraint::Length(40)]).areas(area)
    } else {
        Layout::horizontal([Constraint::Min(30), Constraint::Length(0)]).areas(area)
    };
    let typing = app.mode == Mode::Typing;
    let title = format!(
        " Accounts · search: {}{} · {} shown ",
        app.accounts_query,
        if typing { "▏" } else { "" },
        app.accounts.len()
    );
    let height = list.height.saturating_sub(3) as usize;
    let first = app.selected.saturating_sub(height.saturating_sub(1));
    let rows: Vec<Row<'_>> = app
        .accounts
        .iter()
        .skip(first)
        .take(height)
        .map(|r| {
            let a = &r.account;
            let status = if a.may_park() { "active" } else { "blocked" };
            let codes: Vec<&str> = r.devices.iter().map(|d| d.unique_id.as_str()).collect();
            Row::new(vec![
                a.id.to_string(),
                a.name.clone(),
                a.reg_no.clone().unwrap_or_default(),
                status.to_owned(),
                a.trans_total.to_string(),
                codes.join(" "),
            ])
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(5),
            Constraint::Min(14),
            Constraint::Length(11),
            Constraint::Length(8),
            Constraint::Length(9),
            Constraint::Min(10),
        ],
    )
    .header(Row::new(["id", "name", "reg no", "status", "charged", "codes"]).style(style::title()))
    .row_highlight_style(style::selected())
    .block(Block::bordered().title(Line::from(title)));
    let mut state = TableState::default()
        .with_selected((!app.accounts.is_empty()).then_some(app.selected.saturating_sub(first)));
    frame.render_stateful_widget(table, list, &mut state);
    if let Some(device) = qr {
        let text = qr_text(&device.unique_id);
        frame.render_widget(
            Paragraph::new(text).block(Block::bordered().title(format!(" {} ", device.unique_id))),
            side,
        );
    }
}

/// The code as a QR code drawn with half blocks (dark modules as spaces on a light ground),
/// which phone scanners read off the screen.
fn qr_text(data: &str) -> String {
    use qrcode::render::unicode::Dense1x2;
    match qrcode::QrCode::new(data.as_bytes()) {
        Ok(code) => code
            .render::<Dense1x2>()
            .dark_color(Dense1x2::Light)
            .light_color(Dense1x2::Dark)
            .quiet_zone(true)
            .build(),
        Err(e) => format!("cannot draw this code: {e}"),
    }
}
