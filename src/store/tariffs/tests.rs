use super::*;
use crate::domain::tariff::Board;
use crate::store::Store;
use rust_decimal::Decimal;

fn at(text: &str) -> DateTime<Utc> {
    board::parse_utc(text).unwrap()
}

/// The version `for_parker` chooses, read whole.
fn chosen(conn: &rusqlite::Connection, parker: Parker, at_: &str) -> TariffVersion {
    let id = for_parker(conn, parker, at(at_)).unwrap().unwrap();
    version(conn, id).unwrap().unwrap()
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("booth.db")).unwrap();
    (dir, store)
}

const BOARD: &str = include_str!("../../../docs/board.toml");

#[test]
fn a_new_database_takes_the_config_board_and_a_changed_tariff_is_a_new_version() {
    let (_dir, store) = store();
    let conn = store.conn();
    let board = Board::from_toml(BOARD).unwrap();
    seed(
        conn,
        &board,
        "TMT",
        Decimal::ZERO,
        at("2026-12-01 00:00:00"),
    )
    .unwrap();
    let v1 = in_force(conn, "visitor", at("2026-12-02 00:00:00"))
        .unwrap()
        .unwrap();
    assert_eq!((v1.version, v1.currency.as_str()), (1, "TMT"));
    // Priced by price group 2 before account type 3; walk-ins and others by the default.
    let staff = chosen(
        conn,
        Parker::Account {
            type_id: Some(3),
            price_group_id: Some(2),
        },
        "2026-12-02 00:00:00",
    );
    assert_eq!(staff.tariff, "staff");
    let walkin = chosen(conn, Parker::Walkin, "2026-12-02 00:00:00");
    assert_eq!(walkin.tariff, "visitor");

    // The same board again changes nothing; a dearer first hour from the 10th is version 2.
    let again = import(conn, &board, Some("TMT"), "test", at("2026-12-03 00:00:00")).unwrap();
    assert!(again.iter().any(|l| l == "visitor: unchanged"), "{again:?}");
    let dearer = Board::from_toml(
        &BOARD
            .replacen("price = \"2.00\"", "price = \"2.50\"", 1)
            .replacen(
                "grace_minutes = 10",
                "grace_minutes = 10\neffective_from = \"2026-12-10 00:00:00\"",
                1,
            ),
    )
    .unwrap();
    import(
        conn,
        &dearer,
        Some("TMT"),
        "test",
        at("2026-12-03 00:00:00"),
    )
    .unwrap();
    let before = in_force(conn, "visitor", at("2026-12-09 23:59:59"))
        .unwrap()
        .unwrap();
    let after = in_force(conn, "visitor", at("2026-12-10 00:00:00"))
        .unwrap()
        .unwrap();
    assert_eq!((before.version, after.version), (1, 2));
    assert_eq!(version(conn, before.id).unwrap().unwrap(), before);
    let listed = list(conn).unwrap();
    let visitor = listed.iter().find(|t| t.name == "visitor").unwrap();
    assert_eq!(visitor.versions.len(), 2);
    assert_eq!(visitor.assigned_to, vec!["default", "walk-in tickets"]);
}

#[test]
fn a_database_without_tariffs_gets_the_standard_per_minute_tariff() {
    let (_dir, store) = store();
    let conn = store.conn();
    seed(
        conn,
        &Board::default(),
        "TMT",
        Decimal::new(2000, 2),
        at("2026-12-01 00:00:00"),
    )
    .unwrap();
    let v = chosen(conn, Parker::Walkin, "2026-12-01 00:00:00");
    assert_eq!(v.label(), "standard v1");
    assert_eq!(v.rules, Rules::per_minute(Decimal::new(2000, 2)));
    assert_eq!(v.effective_from, DateTime::UNIX_EPOCH);
}

#[test]
fn a_bad_import_names_the_problem_and_writes_nothing() {
    let (_dir, mut store) = store();
    let board = Board::from_toml(BOARD).unwrap();
    let tx = store.transaction().unwrap();
    let err = import(&tx, &board, Some("EUR"), "test", at("2026-12-01 00:00:00")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "tariff \"visitor\": currency TMT is not the priced resource's (EUR)"
    );
    drop(tx);
    let mut lonely = Board::from_toml(BOARD).unwrap();
    lonely.tariffs.clear();
    let tx = store.transaction().unwrap();
    let err = import(&tx, &lonely, Some("TMT"), "test", at("2026-12-01 00:00:00")).unwrap_err();
    assert!(matches!(err, ImportError::UnknownTariff { .. }), "{err}");
    drop(tx);
    assert!(list(store.conn()).unwrap().is_empty());
}
