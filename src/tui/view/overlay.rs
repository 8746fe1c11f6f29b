//! Overlays over the current view: the help screen and the attendant's prompts.

use super::style;
use crate::tui::app::{App, Mode};
use crate::tui::keys::help_lines;
use crate::tui::task::{Step, Task};
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

pub fn draw(frame: &mut Frame<'_>, app: &App) {
    match &app.mode {
        Mode::Help => {
            let lines: Vec<Line<'_>> = help_lines()
                .iter()
                .skip(app.help_scroll)
                .map(|(keys, what)| {
                    Line::from(vec![
                        Span::styled(format!("{keys:>14}  "), style::title()),
                        Span::raw(*what),
                    ])
                })
                .collect();
            let area = centered(frame.area(), 78, lines.len() as u16 + 2);
            frame.render_widget(Clear, area);
            frame.render_widget(
                Paragraph::new(lines).block(Block::bordered().title(" Keys ")),
                area,
            );
        }
        Mode::Task(task) => {
            let mut lines = Vec::new();
            // Taking a payment: what is due and why, line by line, before the question.
            if task.task == Task::Pay
                && let Some(due) = task.lane().and_then(|lane| {
                    app.snapshot
                        .lanes
                        .iter()
                        .find(|l| l.id == lane)
                        .and_then(|l| l.awaiting_payment.as_ref())
                })
            {
                lines.extend(super::breakdown(&due.quote, &due.currency, 64));
                lines.push(Line::raw(""));
            }
            lines.push(Line::raw(task.prompt().to_owned()));
            match &task.step {
                Step::PickLane { choices, selected } => {
                    for (i, lane) in choices.iter().enumerate() {
                        let text = format!(
                            " {}  {} — {} ({})",
                            i + 1,
                            lane.id,
                            lane.name,
                            lane.direction
                        );
                        lines.push(if i == *selected {
                            Line::styled(text, style::selected())
                        } else {
                            Line::raw(text)
                        });
                    }
                }
                Step::Input { .. } => {
                    lines.push(Line::from(vec![
                        Span::raw("> "),
                        Span::styled(format!("{}▏", task.input), style::title()),
                    ]));
                }
                Step::Confirm(_) => lines.push(Line::styled("y yes   n no", style::dim())),
                Step::PickMethod => {}
            }
            let area = centered(frame.area(), 70, lines.len() as u16 + 4);
            frame.render_widget(Clear, area);
            frame.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .block(Block::bordered().title(format!(" {} ", task.task.title()))),
                area,
            );
        }
        Mode::Normal | Mode::Typing => {}
    }
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}
