//! The console screen on ratatui's TestBackend: every view at 80×24 and 160×48 with fixed data
//! (insta snapshots), and the keys: each action sends the right command, confirmations, prompts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use clearpark::booth::{AttendantCommand, GateOverride};
use clearpark::domain::receipt::PaymentMethod;
use clearpark::tui::app::{App, Command, Msg, View};
use clearpark::tui::fixture;
use clearpark::tui::keys::Key;
use clearpark::tui::task::TaskCommand;
use clearpark::tui::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn render(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view::draw(f, app)).unwrap();
    terminal.backend().to_string()
}

fn press(app: &mut App, keys: &[Key]) -> Vec<Command> {
    keys.iter().flat_map(|k| app.update(Msg::Key(*k))).collect()
}

fn typed(text: &str) -> Vec<Key> {
    text.chars().map(Key::Char).collect()
}

#[test]
fn every_view_at_80x24_and_160x48() {
    for (w, h) in [(80, 24), (160, 48)] {
        for (i, v) in View::ALL.iter().enumerate() {
            let mut app = fixture::app(40, 400);
            let key = Key::Char(char::from(b'1' + i as u8));
            app.update(Msg::Key(key));
            assert_eq!(app.view, *v);
            insta::assert_snapshot!(
                format!("{}_{w}x{h}", v.title().to_lowercase()),
                render(&app, w, h)
            );
        }
    }
}

#[test]
fn help_prompts_and_qr_overlays() {
    let mut app = fixture::app(40, 400);
    press(&mut app, &[Key::Char('?')]);
    insta::assert_snapshot!("help_80x24", render(&app, 80, 24));
    press(&mut app, &[Key::Esc]);
    press(&mut app, &[Key::Char('h'), Key::Char('2')]);
    press(&mut app, &typed("broken loop"));
    insta::assert_snapshot!("reason_prompt_80x24", render(&app, 80, 24));
    press(&mut app, &[Key::Esc]);
    // Taking the payment waiting at out-1: the tariff's breakdown above the question.
    press(&mut app, &[Key::Char('p')]);
    let screen = render(&app, 80, 24);
    for needle in [
        "Tariff visitor v1",
        "0–60 min: 1 × 1 h at 2.00",
        "Total",
        "3.00 TMT",
    ] {
        assert!(screen.contains(needle), "{needle:?} missing from\n{screen}");
    }
    insta::assert_snapshot!("pay_prompt_80x24", screen);
    press(&mut app, &[Key::Esc]);
    press(&mut app, &[Key::Char('4'), Key::Enter]);
    insta::assert_snapshot!("accounts_qr_160x48", render(&app, 160, 48));
}

#[test]
fn the_dashboard_shows_lanes_payments_revenue_and_alerts() {
    let app = fixture::app(40, 400);
    let screen = render(&app, 160, 48);
    for needle in [
        "Clearpark Central",
        "15:30:00",
        "inside 57/120",
        "today 303.30 TMT",
        "in-1",
        "PAY 3.00 TMT #000017",
        "in-2 gate offline",
        "out-1 printer offline",
        "account   38",
        "already_inside",
        " p  pay 3.00 TMT",
    ] {
        assert!(screen.contains(needle), "{needle:?} missing from\n{screen}");
    }
}

#[test]
fn an_override_asks_lane_reason_and_confirmation_then_sends_the_command() {
    let mut app = fixture::app(0, 0);
    assert!(
        press(&mut app, &[Key::Char('o')]).is_empty(),
        "asks for a lane"
    );
    assert!(
        press(&mut app, &[Key::Char('3')]).is_empty(),
        "asks for a reason"
    );
    assert!(
        press(&mut app, &[Key::Enter]).is_empty(),
        "an empty reason is not accepted"
    );
    assert!(press(&mut app, &typed("ambulance")).is_empty());
    assert!(
        press(&mut app, &[Key::Enter]).is_empty(),
        "asks for confirmation"
    );
    assert!(render(&app, 80, 24).contains("Open out-1 by hand, reason \"ambulance\"?"));
    assert_eq!(
        press(&mut app, &[Key::Char('y')]),
        vec![Command::Task(TaskCommand::Attendant(
            AttendantCommand::Gate {
                lane: "out-1".into(),
                action: GateOverride::Open,
                reason: "ambulance".into(),
            }
        ))]
    );
    // Refused at the confirmation: nothing is sent.
    press(&mut app, &[Key::Char('h'), Key::Char('1')]);
    press(&mut app, &typed("event"));
    press(&mut app, &[Key::Enter]);
    assert!(press(&mut app, &[Key::Char('n')]).is_empty());
}

#[test]
fn each_action_key_sends_its_command() {
    let cases: Vec<(Vec<Key>, Command)> = vec![
        (
            vec![Key::Char('t'), Key::Char('2'), Key::Char('y')],
            Command::Task(TaskCommand::Attendant(AttendantCommand::IssueTicket {
                lane: "in-2".into(),
            })),
        ),
        (
            vec![Key::Char('p'), Key::Char('c'), Key::Char('y')],
            Command::Task(TaskCommand::Attendant(AttendantCommand::RecordPayment {
                lane: "out-1".into(),
                method: PaymentMethod::Cash,
            })),
        ),
        (
            vec![Key::Char('x'), Key::Char('y')],
            Command::Task(TaskCommand::Attendant(AttendantCommand::CancelPayment {
                lane: "out-1".into(),
            })),
        ),
        (
            [
                vec![Key::Char('l')],
                typed("17"),
                vec![Key::Enter, Key::Char('k'), Key::Char('y')],
            ]
            .concat(),
            Command::Task(TaskCommand::Attendant(AttendantCommand::LostTicket {
                lane: "out-1".into(),
                ticket_no: Some(17),
                method: PaymentMethod::Card,
            })),
        ),
        (
            [
                vec![Key::Char('u'), Key::Char('1')],
                typed("event over"),
                vec![Key::Enter, Key::Enter],
            ]
            .concat(),
            Command::Task(TaskCommand::Attendant(AttendantCommand::Gate {
                lane: "in-1".into(),
                action: GateOverride::Release,
                reason: "event over".into(),
            })),
        ),
        (
            [vec![Key::Char('r')], typed("42"), vec![Key::Enter]].concat(),
            Command::Task(TaskCommand::Attendant(AttendantCommand::Reprint {
                receipt_no: Some(42),
                lane: None,
            })),
        ),
        (
            vec![Key::Char('R'), Key::Char('y')],
            Command::Task(TaskCommand::Attendant(AttendantCommand::ShiftReport {
                lane: None,
            })),
        ),
        (
            [
                vec![Key::Char('s'), Key::Char('3')],
                typed("788879fbe6635"),
                vec![Key::Enter],
            ]
            .concat(),
            Command::Task(TaskCommand::Scan {
                lane: "out-1".into(),
                code: "788879fbe6635".into(),
            }),
        ),
        (vec![Key::Char('q'), Key::Char('y')], Command::Quit),
        (vec![Key::CtrlC], Command::Quit),
    ];
    for (keys, expected) in cases {
        let mut app = fixture::app(0, 0);
        let sent = press(&mut app, &keys);
        assert_eq!(sent, vec![expected.clone()], "keys {keys:?}");
    }
}

#[test]
fn a_wedge_scanner_is_a_scan_on_the_wedge_lane() {
    let mut app = fixture::app(0, 0);
    assert_eq!(
        app.update(Msg::WedgeScan("788879fbe6635".into())),
        vec![Command::WedgeScan {
            lane: "in-1".into(),
            code: "788879fbe6635".into()
        }]
    );
}

#[test]
fn sessions_filter_sort_and_views_load_their_lists() {
    let mut app = fixture::app(40, 0);
    assert_eq!(
        press(&mut app, &[Key::Char('2')]),
        vec![Command::LoadSessions]
    );
    press(&mut app, &[Key::Char('/')]);
    press(&mut app, &typed("ticket"));
    press(&mut app, &[Key::Enter]);
    let visible = app.visible_sessions();
    assert!(!visible.is_empty() && visible.iter().all(|s| s.holder.starts_with("ticket")));
    press(&mut app, &[Key::Esc, Key::Char('S')]);
    let by_price = app.visible_sessions();
    let prices: Vec<_> = by_price
        .iter()
        .map(|s| s.price_so_far(app.config.timezone, app.now).total)
        .collect();
    assert!(
        prices.windows(2).all(|w| w[0] >= w[1]),
        "sorted by price so far"
    );
    assert_eq!(press(&mut app, &[Key::Char('3')]), vec![Command::LoadBays]);
    let search = press(&mut app, &[Key::Char('4'), Key::Char('/'), Key::Char('a')]);
    assert_eq!(search.last(), Some(&Command::SearchAccounts("a".into())));
}

/// A shop's validation held at an exit shows on its lane until the next stay takes it, and
/// not once it has expired.
#[test]
fn a_held_validation_shows_on_its_lane_while_it_waits() {
    use clearpark::booth::HeldValidation;
    use clearpark::domain::tariff::Grant;
    use clearpark::store::validations::ValidationCode;
    let mut app = fixture::app(40, 0);
    let out = app
        .snapshot
        .lanes
        .iter_mut()
        .find(|l| l.id == "out-1")
        .unwrap();
    out.awaiting_payment = None;
    out.held_validation = Some(HeldValidation {
        code: ValidationCode {
            id: 1,
            code: "VAL-BOOKS".into(),
            shop: "Bookshop".into(),
            grant: Grant::FreeMinutes(60),
            active: true,
        },
        at: app.now - chrono::TimeDelta::seconds(30),
    });
    let screen = render(&app, 160, 48);
    assert!(
        screen.contains("VALIDATED Bookshop (60 min free)"),
        "{screen}"
    );
    app.now += chrono::TimeDelta::minutes(3);
    let screen = render(&app, 160, 48);
    assert!(!screen.contains("VALIDATED"), "expired:\n{screen}");
}
