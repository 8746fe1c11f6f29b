//! Nwave sessions end to end: a real booth on a real SQLite file, fed by the real consumer from
//! the real RabbitMQ (amqp://guest:guest@127.0.0.1:5672/%2f, or CLEARPARK_TEST_AMQP_URL), each
//! test on a queue of its own. Without a broker the cases that need it are counted as ignored,
//! with the reason, in the runner's summary, unless CLEARPARK_REQUIRE_BROKER=1 (CI), where they
//! fail (`clearpark_testkit::harness`).
//!
//! The expected state is the pure rules (`Ledger`) applied to the same messages in the order they
//! were generated; the booth receives them shuffled, duplicated, across broker restarts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod rabbit;

use clearpark_testkit as support;

use clearpark::booth::NwaveLink;
use clearpark::config::BrokerSettings;
use clearpark::domain::nwave::{Board, Ledger, OverstayLimits, examples};
use clearpark::nwave::replay::{self, ReplayPlan};
use clearpark::store::{Store, nwave};
use rabbit::*;
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use support::RES_GUID;
use support::harness::{self, Need, block_on, case};
use support::libtest_mimic::Trial;
use support::wait;

fn main() {
    harness::main(vec![
        with_broker(
            "shuffled_and_repeated_messages_end_in_the_state_the_rules_give",
            shuffled_and_repeated_messages_end_in_the_state_the_rules_give,
        ),
        with_broker(
            "stopping_the_broker_in_the_middle_loses_nothing",
            stopping_the_broker_in_the_middle_loses_nothing,
        ),
        with_broker(
            "a_database_error_requeues_the_batch_until_it_commits",
            a_database_error_requeues_the_batch_until_it_commits,
        ),
        with_broker(
            "a_message_too_large_to_store_goes_to_the_dead_letter_queue",
            a_message_too_large_to_store_goes_to_the_dead_letter_queue,
        ),
        case(
            "the_booth_keeps_its_board_across_a_restart",
            None,
            the_booth_keeps_its_board_across_a_restart,
        ),
        case(
            "a_message_for_a_session_the_store_cannot_read_is_quarantined_and_the_rest_applied",
            None,
            a_message_for_a_session_the_store_cannot_read_is_quarantined_and_the_rest_applied,
        ),
        case(
            "replay_writes_the_same_day_for_the_same_seed_and_publish_checks_every_message_first",
            None,
            replay_writes_the_same_day_for_the_same_seed_and_publish_checks_every_message_first,
        ),
        with_broker(
            "publish_sends_a_json_array_or_lines_to_the_configured_queue",
            publish_sends_a_json_array_or_lines_to_the_configured_queue,
        ),
    ]);
}

/// An async case that needs the broker, on a runtime of its own.
fn with_broker<F: Future<Output = ()> + 'static>(name: &str, test: fn() -> F) -> Trial {
    case(name, Some(Need::Broker), move || block_on(test()))
}

/// The reference's examples, 10,000 generated messages and two broken ones, in generation order.
fn traffic(seed: u64) -> Vec<Vec<u8>> {
    // Yesterday: recent enough that the booth's retention (keep_days) never touches it.
    let start = (clearpark::booth::clock::now() - chrono::TimeDelta::days(1))
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    let replay = replay::generate(&ReplayPlan::new(seed, 600, start));
    assert!(replay.messages.len() >= 10_000, "{:?}", replay.stats);
    let mut messages: Vec<Vec<u8>> = examples::ALL
        .iter()
        .map(|e| e.as_bytes().to_vec())
        .collect();
    messages.extend(
        replay.messages[..10_000]
            .iter()
            .map(|s| s.message.to_vendor_json()),
    );
    messages.insert(
        5000,
        br#"{"parking_session_uuid": "broken", "correction_counter": 0, "sess"#.to_vec(),
    );
    let end_before_start = examples::START_END.replace("07:51:26.466", "06:51:26.466");
    messages.insert(7000, end_before_start.into_bytes());
    messages
}

fn expected(messages: &[Vec<u8>]) -> Ledger {
    let mut ledger = Ledger::default();
    for m in messages {
        let _ = ledger.apply_bytes(m);
    }
    assert_eq!(ledger.quarantined.len(), 2);
    ledger
}

fn shuffled(messages: &[Vec<u8>], seed: u64) -> Vec<Vec<u8>> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut out = messages.to_vec();
    rng.shuffle(&mut out);
    // And some delivered twice.
    for _ in 0..200 {
        let i = rng.usize(..out.len());
        let again = out[i].clone();
        out.insert(rng.usize(i..=out.len()), again);
    }
    out
}

async fn shuffled_and_repeated_messages_end_in_the_state_the_rules_give() {
    let _one = BROKER.lock().await;
    support::log_if_asked();
    let settings = broker(&unique_queue("shuffled"));
    let messages = traffic(11);
    let expected = expected(&messages);
    let mut site = Site::start(settings.clone());
    publish(&settings, &shuffled(&messages, 12)).await;
    wait_until_drained(&settings.queue, Duration::from_secs(300)).await;
    let view = site.snapshot().nwave.unwrap();
    assert!(
        matches!(view.link, NwaveLink::Connected { .. }),
        "{:?}",
        view.link
    );
    // 10,008 messages and 200 delivered twice; more only if the broker redelivered.
    assert!(view.totals.messages() >= 10_208, "{:?}", view.totals);
    assert_eq!(view.totals.quarantined, 2);
    assert!(
        view.totals.corrections > 0 && view.totals.stale > 0,
        "{:?}",
        view.totals
    );
    assert_eq!(view.failed_batches, 0);
    // The screen's bay counts, made on their own thread, come to what the rules give.
    let board = Board::from_positions(expected.positions().into_values());
    let rules = board
        .summary(clearpark::booth::clock::now(), &OverstayLimits::default())
        .total;
    let counts = |site: &Site| {
        let total = site.snapshot().nwave.unwrap().occupancy.total;
        (total.positions, total.taken)
    };
    wait::until_async(
        Duration::from_secs(10),
        || counts(&site) == (rules.positions, rules.taken),
        || {
            format!(
                "{:?} bays and taken, not {:?}",
                counts(&site),
                (rules.positions, rules.taken)
            )
        },
    )
    .await;
    assert_eq!(counts(&site), (rules.positions, rules.taken));
    assert!(rules.taken > 0 && rules.free > 0, "{rules:?}");
    site.stop().await;
    assert_matches(site.db(), &expected);
    // The malformed message is there whole, with its reason; the stream went on past it.
    let store = Store::open_read_only(site.db()).unwrap();
    let q = nwave::quarantined(store.conn(), 0, 10).unwrap();
    assert!(
        q.iter()
            .any(|q| q.reason.starts_with("not JSON") && q.payload.ends_with("\"sess"))
    );
    assert!(
        q.iter()
            .any(|q| q.reason.starts_with("session_end.event_time"))
    );
    assert_eq!(ready_messages(&settings, &settings.queue).await, 0);
    drop(site.dir);
    clean_up(&settings).await;
}

async fn stopping_the_broker_in_the_middle_loses_nothing() {
    support::log_if_asked();
    let _one = BROKER.lock().await;
    support::log_if_asked();
    let settings = broker(&unique_queue("restart"));
    let messages = traffic(21);
    let expected = expected(&messages);
    let arrivals = shuffled(&messages, 22);
    // The queue exists (durable) before the booth starts; everything is published first.
    publish(&settings, &arrivals).await;
    let mut site = Site::start(settings.clone());
    let applied = |site: &Site| site.snapshot().nwave.map_or(0, |v| v.totals.messages());
    wait::until_async(
        Duration::from_secs(120),
        || applied(&site) >= 2000,
        || format!("only {} applied", applied(&site)),
    )
    .await;
    {
        let stopped = tokio::task::block_in_place(BrokerAppStopped::stop);
        // The screen shows the link down while the broker is away.
        wait::until_async(
            Duration::from_secs(30),
            || !matches!(site.link(), NwaveLink::Connected { .. }),
            || format!("{:?}", site.link()),
        )
        .await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        let applied_while_down = site.snapshot().nwave.unwrap().totals.messages();
        assert!(applied_while_down < arrivals.len() as u64);
        tokio::task::block_in_place(|| drop(stopped));
    }
    wait_until_drained(&settings.queue, Duration::from_secs(300)).await;
    wait::until_async(
        Duration::from_secs(60),
        || matches!(site.link(), NwaveLink::Connected { .. }),
        || format!("{:?}", site.link()),
    )
    .await;
    site.stop().await;
    assert_matches(site.db(), &expected);
    assert_eq!(ready_messages(&settings, &settings.queue).await, 0);
    clean_up(&settings).await;
}

async fn a_database_error_requeues_the_batch_until_it_commits() {
    let _one = BROKER.lock().await;
    support::log_if_asked();
    let settings = broker(&unique_queue("dberror"));
    let messages: Vec<Vec<u8>> = examples::ALL
        .iter()
        .map(|e| e.as_bytes().to_vec())
        .collect();
    let mut expected = Ledger::default();
    for m in &messages {
        expected.apply_bytes(m).unwrap();
    }
    let mut site = Site::start(settings.clone());
    // Another process holds the write lock longer than the booth waits for it (5 s).
    let locker = rusqlite::Connection::open(site.db()).unwrap();
    locker.execute_batch("BEGIN IMMEDIATE").unwrap();
    publish(&settings, &messages).await;
    wait::until_async(
        Duration::from_secs(30),
        || site.snapshot().nwave.unwrap().failed_batches > 0,
        || "no batch failed".into(),
    )
    .await;
    // Nothing was acknowledged: the batch went back to the queue (or is about to come again).
    let depth = tokio::task::block_in_place(|| queue_depth(&settings.queue)).unwrap();
    assert_eq!(depth.0 + depth.1, messages.len() as u64, "{depth:?}");
    locker.execute_batch("ROLLBACK").unwrap();
    drop(locker);
    wait_until_drained(&settings.queue, Duration::from_secs(120)).await;
    site.stop().await;
    assert_matches(site.db(), &expected);
    clean_up(&settings).await;
}

async fn a_message_too_large_to_store_goes_to_the_dead_letter_queue() {
    let _one = BROKER.lock().await;
    support::log_if_asked();
    let mut settings = broker(&unique_queue("large"));
    settings.max_message_bytes = 2048;
    let mut site = Site::start(settings.clone());
    let padding = format!("{{\"padding\": \"{}\",", "x".repeat(3000));
    let large = examples::PARTIAL_THEN_END
        .replacen('{', &padding, 1)
        .into_bytes();
    assert!(large.len() > 2048);
    let small = examples::START.as_bytes().to_vec();
    publish(&settings, &[large.clone(), small]).await;
    wait_until_drained(&settings.queue, Duration::from_secs(60)).await;
    site.stop().await;
    assert_eq!(
        ready_messages(&settings, &settings.dead_letter_exchange).await,
        1
    );
    let store = Store::open_read_only(site.db()).unwrap();
    let counts = nwave::counts(store.conn()).unwrap();
    assert_eq!((counts.sessions, counts.quarantined), (1, 0));
    clean_up(&settings).await;
}

fn the_booth_keeps_its_board_across_a_restart() {
    // No broker: batches straight to the booth, as the demo's feed sends them.
    let mut b = support::TestBooth::with("0.05", |c| {
        c.nwave = Some(clearpark::demo::nwave::settings());
    });
    let applied = b
        .nwave(
            examples::ALL
                .iter()
                .map(|e| e.as_bytes().to_vec())
                .chain([b"not json".to_vec()]),
        )
        .unwrap();
    assert_eq!(applied.messages(), 7);
    assert_eq!(
        (applied.new, applied.quarantined, applied.corrections),
        (2, 1, 1)
    );
    let before = b.booth().snapshot().nwave.unwrap().occupancy.clone();
    assert_eq!(before.total.positions, 3);
    b.restart();
    let after = b.booth().snapshot().nwave.unwrap().occupancy.clone();
    assert_eq!(after, before);
}

fn a_message_for_a_session_the_store_cannot_read_is_quarantined_and_the_rest_applied() {
    let mut b = support::TestBooth::with("0.05", |c| {
        c.nwave = Some(clearpark::demo::nwave::settings());
    });
    let batch = |b: &mut support::TestBooth, payloads: &[&str]| {
        b.nwave(payloads.iter().map(|p| p.as_bytes().to_vec()))
            .unwrap()
    };
    batch(&mut b, &[examples::START]);
    // Someone edits the database by hand and breaks the session's stored edges.
    b.conn()
        .execute("UPDATE nwave_session SET edges = 'oops'", [])
        .unwrap();
    let applied = batch(
        &mut b,
        &[
            examples::PARTIAL_END,
            examples::START_END,
            examples::PARTIAL_THEN_END,
        ],
    );
    assert_eq!(
        (applied.new, applied.merged, applied.quarantined),
        (1, 1, 1)
    );
    let store = b.booth().store();
    let q = nwave::quarantined(store.conn(), 0, 10).unwrap();
    assert_eq!(q.len(), 1);
    assert!(
        q[0].reason
            .starts_with("cannot apply to the stored session"),
        "{}",
        q[0].reason
    );
    assert_eq!(q[0].payload, examples::START_END);
    let detail = nwave::session(store.conn(), "da2ecb68-efb1-458e-ba5d-e5ba80b87f6e")
        .unwrap()
        .unwrap();
    assert!(detail.session.session_end.is_some());
}

fn cli(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_clearpark"))
        .current_dir(dir)
        .env_remove("CLEARPARK_NWAVE_URL")
        .env_remove("CLEARPARK_CONFIG")
        .args(args)
        .output()
        .unwrap()
}

/// A config file for the CLI on `queue` of the test broker.
fn cli_config(dir: &Path, queue: &str) {
    let text = format!(
        "[booth]\nname = \"T\"\ndatabase = \"booth.db\"\nres_guid = \"{RES_GUID}\"\n\
         [nwave]\nurl = \"{}\"\nqueue = \"{queue}\"\n",
        broker_url()
    );
    std::fs::write(dir.join("config.toml"), text).unwrap();
}

fn replay_writes_the_same_day_for_the_same_seed_and_publish_checks_every_message_first() {
    let dir = tempfile::tempdir().unwrap();
    cli_config(dir.path(), "clearpark.test.never-used");
    let args = |out: &str| {
        vec![
            "nwave",
            "replay",
            "--seed",
            "5",
            "--bays",
            "30",
            "--date",
            "2026-11-20",
            "--out",
            out,
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>()
    };
    for out in ["a.jsonl", "b.jsonl"] {
        let a = args(out);
        let o = cli(
            dir.path(),
            &a.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        assert!(o.status.success(), "{o:?}");
    }
    let a = std::fs::read(dir.path().join("a.jsonl")).unwrap();
    assert_eq!(a, std::fs::read(dir.path().join("b.jsonl")).unwrap());
    let mut ledger = Ledger::default();
    for line in a.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        ledger.apply_bytes(line).unwrap();
    }
    assert!(ledger.sessions.len() > 100);
    // One bad line among good ones: nothing is published, the line is named.
    let mut text = String::from_utf8(a).unwrap();
    text.insert_str(0, "{\"parking_session_uuid\": \"x\"}\n");
    std::fs::write(dir.path().join("bad.jsonl"), text).unwrap();
    let o = cli(dir.path(), &["nwave", "publish", "bad.jsonl"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("1 of ") && err.contains("nothing published"),
        "{err}"
    );
    assert!(err.contains("line 1: correction_counter: missing"), "{err}");
}

async fn publish_sends_a_json_array_or_lines_to_the_configured_queue() {
    let _one = BROKER.lock().await;
    support::log_if_asked();
    let queue = unique_queue("publish");
    let dir = tempfile::tempdir().unwrap();
    cli_config(dir.path(), &queue);
    let array = format!("[{}]", examples::ALL.join(","));
    std::fs::write(dir.path().join("examples.json"), array).unwrap();
    let o = tokio::task::block_in_place(|| cli(dir.path(), &["nwave", "publish", "examples.json"]));
    assert!(o.status.success(), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("published 6 messages"));
    let settings = BrokerSettings::with_defaults(&broker_url(), &queue);
    assert_eq!(ready_messages(&settings, &queue).await, 6);
    clean_up(&settings).await;
}
