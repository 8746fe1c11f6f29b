//! The bays view: every parking-sensor position as a cell, grouped by group and level, coloured
//! by state, overstays marked. Only the rows on screen are drawn.

use super::style;
use crate::tui::app::App;
use crate::tui::model::BayState;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let block = Block::bordered().title(Line::from(vec![
        Span::raw(" Bays  "),
        Span::styled("□", cell_style(BayState::Free)),
        Span::raw(" free  "),
        Span::styled("■", cell_style(BayState::Taken)),
        Span::raw(" taken  "),
        Span::styled("◇", cell_style(BayState::OverstayPossible)),
        Span::raw(" overstay?  "),
        Span::styled("◆", cell_style(BayState::OverstayCertain)),
        Span::raw(" overstay "),
    ]));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if !app.bays.sensors {
        frame.render_widget(
            Paragraph::new("No parking sensors report to this booth (no [nwave] in the config)."),
            inner,
        );
        return;
    }
    let width = inner.width.max(8) as usize;
    let per_row = (width - 2) / 2;
    let mut lines: Vec<Line<'_>> = Vec::new();
    let wanted = app.bays_scroll + inner.height as usize;
    // Build lines only until the screen is full below the scroll position.
    for group in &app.bays.groups {
        if lines.len() >= wanted {
            break;
        }
        let taken = group.bays.len() - group.count(BayState::Free);
        lines.push(Line::from(vec![
            Span::styled(group.title.clone(), style::title()),
            Span::styled(
                format!("  {taken}/{} taken", group.bays.len()),
                style::dim(),
            ),
        ]));
        for chunk in group.bays.chunks(per_row.max(1)) {
            if lines.len() >= wanted {
                break;
            }
            let spans: Vec<Span<'_>> = chunk
                .iter()
                .map(|b| {
                    // Shapes as well as colours, for colour-blind eyes and monochrome screens.
                    let symbol = match b {
                        BayState::Free => "□ ",
                        BayState::Taken => "■ ",
                        BayState::OverstayPossible => "◇ ",
                        BayState::OverstayCertain => "◆ ",
                    };
                    Span::styled(symbol, cell_style(*b))
                })
                .collect();
            lines.push(Line::from(spans));
        }
    }
    let visible: Vec<Line<'_>> = lines.into_iter().skip(app.bays_scroll).collect();
    frame.render_widget(Paragraph::new(visible), inner);
}

fn cell_style(state: BayState) -> Style {
    match state {
        BayState::Free => Style::new().fg(Color::Green),
        BayState::Taken => Style::new().fg(Color::Blue),
        BayState::OverstayPossible => Style::new().fg(Color::Yellow),
        BayState::OverstayCertain => Style::new().fg(Color::Red),
    }
}
