//! Drawing: one function per view, plus the frame around them (header, status, footer) and the
//! overlays (prompts, help). Everything reads the [`App`]; nothing here changes it.

mod accounts;
mod bays;
mod dashboard;
mod overlay;
mod sessions;
pub mod style;

use super::app::{App, View};
use super::keys::footer;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Draws the whole screen.
pub fn draw(frame: &mut Frame<'_>, app: &App) {
    let [header, body, status, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(6),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    draw_header(frame, header, app);
    match app.view {
        View::Dashboard => dashboard::draw(frame, body, app),
        View::Sessions => sessions::draw(frame, body, app),
        View::Bays => bays::draw(frame, body, app),
        View::Accounts => accounts::draw(frame, body, app),
    }
    draw_status(frame, status, app);
    draw_footer(frame, keys, app);
    overlay::draw(frame, app);
}

fn draw_header(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let snap = &app.snapshot;
    let local = local(app.now, app.config.timezone);
    let occupancy = match snap.capacity {
        Some(cap) => format!("inside {}/{cap}", snap.occupied),
        None => format!("inside {}", snap.occupied),
    };
    let full = snap.capacity.is_some_and(|cap| snap.occupied >= cap);
    let mut spans = vec![
        Span::styled(format!(" {} ", app.config.site), style::title()),
        Span::raw(format!("{} ", local.format("%H:%M:%S"))),
        Span::styled(occupancy, if full { style::bad() } else { style::good() }),
        Span::raw("  today "),
        Span::styled(
            format!(
                "{} {}",
                snap.revenue_today.total(),
                snap.revenue_today.currency
            ),
            style::money(),
        ),
        Span::raw("  "),
    ];
    for (i, view) in View::ALL.iter().enumerate() {
        let label = format!("{} {} ", i + 1, view.title());
        let used: usize = spans.iter().map(|s| s.width()).sum();
        if used + label.len() > area.width as usize {
            break;
        }
        spans.push(Span::styled(
            label,
            if *view == app.view {
                style::selected()
            } else {
                style::dim()
            },
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_status(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let line = match &app.status {
        Some((true, text)) => Line::styled(format!(" {text}"), style::good()),
        Some((false, text)) => Line::styled(format!(" {text}"), style::bad()),
        None => Line::styled(" Ready.", style::dim()),
    };
    frame.render_widget(Paragraph::new(line), area);
}

fn draw_footer(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let mut spans = Vec::new();
    for (key, what) in footer(app) {
        let width: usize = spans.iter().map(Span::width).sum();
        if width + key.len() + what.len() + 3 > area.width as usize {
            break;
        }
        spans.push(Span::styled(format!(" {key} "), style::key()));
        spans.push(Span::raw(format!(" {what} ")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// A UTC time in the booth's zone.
pub fn local(at: DateTime<Utc>, tz: Tz) -> DateTime<Tz> {
    at.with_timezone(&tz)
}

/// `2 h 07 m` or `7 m 15 s`: short durations for tables.
pub fn short_duration(seconds: i64) -> String {
    let s = seconds.max(0);
    if s >= 86_400 {
        format!("{} d {:02} h", s / 86_400, s % 86_400 / 3600)
    } else if s >= 3600 {
        format!("{} h {:02} m", s / 3600, s % 3600 / 60)
    } else {
        format!("{} m {:02} s", s / 60, s % 60)
    }
}

/// How a price was reached, as lines at most `width` wide: the tariff and the stay, each line
/// of the breakdown with its amount, the total.
pub fn breakdown(
    quote: &crate::domain::pricing::Quote,
    currency: &str,
    width: usize,
) -> Vec<Line<'static>> {
    let row = |label: &str, amount: String| {
        let room = width.saturating_sub(amount.chars().count() + 1);
        let label: String = label.chars().take(room).collect();
        let gap = width.saturating_sub(label.chars().count() + amount.chars().count());
        format!("{label}{}{amount}", " ".repeat(gap))
    };
    let tariff = quote
        .tariff
        .as_ref()
        .map_or_else(|| "per minute".to_owned(), ToString::to_string);
    let mut lines = vec![Line::styled(
        row(
            &format!("Tariff {tariff}"),
            short_duration(quote.elapsed_seconds),
        ),
        style::dim(),
    )];
    lines.extend(
        quote
            .lines
            .iter()
            .map(|l| Line::raw(row(&l.label, format!("{} {currency}", l.amount)))),
    );
    lines.push(Line::styled(
        row("Total", format!("{} {currency}", quote.total)),
        style::title(),
    ));
    lines
}
