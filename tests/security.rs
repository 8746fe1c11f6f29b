//! Hostile input: codes full of SQL, shell, terminal escapes or megabytes are refused or simply
//! not found, change nothing, and cannot corrupt the attendant's screen.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use clearpark::tui::app::{App, Msg};
use clearpark::tui::{fixture, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::*;

#[test]
fn hostile_codes_change_nothing_and_cannot_corrupt_the_screen() {
    let mut b = TestBooth::new("0.05");
    b.account("victim");
    let mut activity = b.booth().subscribe_activity();
    let hostile: Vec<Vec<u8>> = vec![
        b"\x1b[2J\x1b[31mEVIL\x1b]0;owned\x07".to_vec(),
        b"'; DELETE FROM tbl_dk_rp_acc; --".to_vec(),
        b"$(rm -rf /); `reboot`".to_vec(),
        "\u{202E}edoc\u{200B}".as_bytes().to_vec(),
        vec![b'A'; 10 * 1024 * 1024],
        vec![0x00, 0xff, 0x1b],
    ];
    let before = b.dump();
    let mut app = App::new(fixture::config(), fixture::now());
    for code in &hostile {
        let (decided, effects) = b.scan(IN, code);
        assert!(decided.refused().is_some(), "{:?}", decided.outcome);
        assert!(effects.is_empty());
        app.update(Msg::Activity(Box::new(activity.try_recv().unwrap())));
    }
    assert_eq!(b.dump(), before, "nothing written");

    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
    terminal.draw(|f| view::draw(f, &app)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    for cell in buffer.content() {
        let symbol = cell.symbol();
        assert!(
            !symbol.chars().any(|c| c.is_control()
                || ('\u{202A}'..='\u{202E}').contains(&c)
                || c == '\u{200B}'),
            "a control or bidi character reached the screen: {symbol:?}"
        );
    }
    let screen = terminal.backend().to_string();
    assert!(
        screen.contains("┌ Activity"),
        "the frame is intact:\n{screen}"
    );
    assert!(screen.contains("invalid_code"), "{screen}");
    assert!(
        screen.contains("<10485760 bytes>") || screen.contains("AAAA…AAAA"),
        "{screen}"
    );
}
