//! The sessions view: open sessions with their running duration and price so far.

use super::style;
use crate::tui::app::{App, Mode};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Row, Table, TableState};

pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let rows = app.visible_sessions();
    let tz = app.config.timezone;
    // The selected stay's price so far, explained, under the list.
    let detail = rows.get(app.selected).map(|s| {
        let quote = s.price_so_far(tz, app.now);
        let width = usize::from(area.width.saturating_sub(2));
        (s.id, super::breakdown(&quote, &s.currency, width))
    });
    let detail_height = detail.as_ref().map_or(0, |(_, lines)| {
        (lines.len() as u16 + 2).min(area.height / 3)
    });
    let [area, detail_area] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(detail_height)]).areas(area);
    if let Some((id, lines)) = detail {
        frame.render_widget(
            Paragraph::new(lines).block(Block::bordered().title(format!(" Session {id} "))),
            detail_area,
        );
    }
    let filter = if app.sessions_filter.is_empty() && app.mode != Mode::Typing {
        String::new()
    } else {
        format!(" filter: {}▏", app.sessions_filter)
    };
    let title = format!(
        " Open sessions: {} of {} · sorted by {} ·{filter} ",
        rows.len(),
        app.sessions.len(),
        app.sort.label()
    );
    // Only the rows that fit are built: thousands of sessions cost nothing off screen.
    let height = area.height.saturating_sub(3) as usize;
    let first = app.selected.saturating_sub(height.saturating_sub(1));
    let table_rows: Vec<Row<'_>> = rows
        .iter()
        .skip(first)
        .take(height)
        .map(|s| {
            let quote = s.price_so_far(tz, app.now);
            Row::new(vec![
                s.id.to_string(),
                s.holder.clone(),
                s.entry_lane.clone(),
                super::local(s.start, tz).format("%d %b %H:%M").to_string(),
                super::short_duration(quote.elapsed_seconds),
                format!("{} {}", quote.total, s.currency),
                s.state.as_str().to_owned(),
            ])
        })
        .collect();
    let widths = [
        Constraint::Length(6),
        Constraint::Min(16),
        Constraint::Length(7),
        Constraint::Length(13),
        Constraint::Length(10),
        Constraint::Length(13),
        Constraint::Length(8),
    ];
    let table = Table::new(table_rows, widths)
        .header(
            Row::new(["id", "holder", "lane", "since", "stay", "so far", "state"])
                .style(style::title()),
        )
        .row_highlight_style(style::selected())
        .block(Block::bordered().title(Line::from(title)));
    let mut state = TableState::default()
        .with_selected((!rows.is_empty()).then_some(app.selected.saturating_sub(first)));
    frame.render_stateful_widget(table, area, &mut state);
}
