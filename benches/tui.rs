//! Render cost of the console: the dashboard and the bays view with 10,000 positions and 5,000
//! open sessions, drawn into ratatui's TestBackend at 160×48, time per frame; next to a frame
//! with a single paragraph (the floor of a draw) in the same run.
//!
//! `cargo bench --bench tui`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use clearpark::tui::app::{Msg, View};
use clearpark::tui::fixture;
use clearpark::tui::keys::Key;
use clearpark::tui::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::widgets::Paragraph;
use std::time::{Duration, Instant};

const FRAMES: u32 = 300;

fn per_frame(mut draw: impl FnMut()) -> Duration {
    for _ in 0..10 {
        draw();
    }
    let start = Instant::now();
    for _ in 0..FRAMES {
        draw();
    }
    start.elapsed() / FRAMES
}

fn main() {
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
    let floor = per_frame(|| {
        terminal
            .draw(|f| f.render_widget(Paragraph::new("clearpark"), f.area()))
            .unwrap();
    });
    println!("console render, 160x48, 5,000 open sessions, 10,000 bays, {FRAMES} frames each");
    println!(
        "{:<28} {:>9.3} ms/frame",
        "floor: one paragraph",
        floor.as_secs_f64() * 1e3
    );
    for (i, v) in View::ALL.iter().enumerate() {
        let mut app = fixture::app(5_000, 10_000);
        app.update(Msg::Key(Key::Char(char::from(b'1' + i as u8))));
        let t = per_frame(|| {
            terminal.draw(|f| view::draw(f, &app)).unwrap();
        });
        println!(
            "{:<28} {:>9.3} ms/frame  x{:.1} the floor",
            v.title(),
            t.as_secs_f64() * 1e3,
            t.as_secs_f64() / floor.as_secs_f64()
        );
    }
}
