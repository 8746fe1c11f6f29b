//! Power loss: the booth binary (`clearpark run --headless`) on a real SQLite file, its lanes'
//! scanners and gate controllers on pseudo-terminals played by the test, its API answering
//! find-device; scan load from both; SIGKILL at random moments, a restart on the same database
//! each time. After every crash, and at the end, the database must be sound and consistent,
//! and hold every scan the booth confirmed (an answer, or a gate that opened) exactly once.
//!
//! The moments are random: the seed is printed, and `CRASH_SEED=<seed>` replays the same kill
//! schedule and choices (the booth's own timing still varies). `CRASH_KILLS=<n>` (default 24)
//! sets how many kills.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod checks;
mod gate;
mod load;
mod rig;
mod traffic;

use clearpark_testkit as support;

use clearpark::domain::session::Direction;
use load::{LaneDevices, Run};
use rig::{HANG, Incarnation, Site};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use traffic::{Answer, Attempt, Kind, Source, Traffic};

/// Main accounts: each enters once and leaves once; more than the load can use.
const ACCOUNTS: usize = 5000;
/// Kills that come while the booth starts, before the lanes are up.
const STARTUP_KILLS_IN_10: u8 = 2;
/// Kills when `CRASH_KILLS` does not say.
const KILLS: u64 = 30;

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap()
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number"))
    })
}

/// Panics with every problem, after a crash or at the end: the file, the invariants, and (with
/// the ledger) every scan against what the booth said of it.
fn assert_sound(db: &std::path::Path, when: &str, traffic: &Traffic) -> checks::Db {
    let integrity = checks::integrity(db);
    assert_eq!(integrity, ["ok"], "integrity_check {when}");
    let rows = checks::Db::load(db);
    let mut wrong = rows.invariants();
    wrong.extend(rows.against(traffic));
    assert!(
        wrong.is_empty(),
        "{when}: {} problems:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_booth_loses_nothing_when_killed_at_random_moments() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let seed = env_number("CRASH_SEED").unwrap_or_else(|| fastrand::u64(..));
    let kills = usize::try_from(env_number("CRASH_KILLS").unwrap_or(KILLS)).unwrap();
    eprintln!("crash test: seed {seed}, {kills} kills (replay: CRASH_SEED={seed})");
    let began = Instant::now();
    let mut rng = fastrand::Rng::with_seed(seed);
    let site = Site::create(ACCOUNTS, 40, 40);
    let traffic = Arc::new(Mutex::new(Traffic::new(site.pool.clone())));
    let mut in_load_kills = 0;
    // Scans a kill left without an answer or an OPEN, and how many of those were on disk.
    let (mut unconfirmed, mut committed) = (0, 0);
    // The longest start seen so far: kills while starting fall within it.
    let mut slowest_start = Duration::from_millis(50);
    for k in 0..kills {
        let (mut booth, devices) = Incarnation::start(&site);
        if rng.u8(..10) < STARTUP_KILLS_IN_10 {
            // Power cut while the booth opens its database and its ports.
            let after = Duration::from_micros(rng.u64(..=micros(slowest_start)));
            tokio::time::sleep(after).await;
            let stage = booth.stage();
            booth.kill();
            drop(devices);
            assert_sound(
                &site.db,
                &format!("after kill {k} (starting)"),
                &traffic.lock().unwrap(),
            );
            eprintln!("kill {k:2}: {} ms after spawn, {stage}", after.as_millis());
            continue;
        }
        let base = booth.ready().await;
        let up = booth.started.elapsed();
        slowest_start = slowest_start.max(up);
        assert_eq!(checks::integrity(&site.db), ["ok"], "after restart {k}");
        let run = Arc::new(Run::new(
            traffic.clone(),
            site.db.clone(),
            k,
            base,
            booth.log.clone(),
            false,
        ));
        let drivers = [
            tokio::spawn(load::lane_driver(
                run.clone(),
                Direction::Entrance,
                devices.in_gate,
                devices.in_scanner,
                rng.fork(),
            )),
            tokio::spawn(load::lane_driver(
                run.clone(),
                Direction::Exit,
                devices.out_gate,
                devices.out_scanner,
                rng.fork(),
            )),
            tokio::spawn(load::refusal_driver(run.clone(), rng.fork())),
        ];
        let load_for = Duration::from_millis(rng.u64(50..2500));
        tokio::time::sleep(load_for).await;
        run.stop_sending();
        booth.kill();
        run.over.cancel();
        for driver in drivers {
            tokio::time::timeout(HANG, driver)
                .await
                .expect("a load driver hung after the kill")
                .unwrap();
        }
        in_load_kills += 1;
        let rows = assert_sound(
            &site.db,
            &format!("after kill {k}"),
            &traffic.lock().unwrap(),
        );
        let (line, hanging, on_disk) = summary(&traffic.lock().unwrap(), &rows, k);
        unconfirmed += hanging;
        committed += on_disk;
        eprintln!(
            "kill {k:2}: up in {} ms, killed {} ms into the load: {line}; db {} sessions, {} receipts",
            up.as_millis(),
            load_for.as_millis(),
            rows.sessions(),
            rows.receipts()
        );
    }
    settle(&site, &traffic, kills, &mut rng).await;
    let traffic = traffic.lock().unwrap();
    let rows = assert_sound(&site.db, "at the end", &traffic);
    let all = &traffic.attempts;
    let count = |f: &dyn Fn(&Attempt) -> bool| all.iter().filter(|a| f(a)).count();
    let mut refusals = std::collections::BTreeMap::<&str, usize>::new();
    for a in all {
        if let Answer::Refused(reason) = &a.answer {
            *refusals
                .entry(if reason.is_empty() {
                    "not found"
                } else {
                    reason
                })
                .or_default() += 1;
        }
    }
    eprintln!(
        "crash test: {kills} kills ({in_load_kills} under load), {} scans sent ({} API, {} lane), {} answered, {} opened a gate, refused as they should: {refusals:?}; {unconfirmed} unconfirmed at a kill, {committed} of them committed; {} rescans of cars left at a gate (by a kill, or nobody came); {} sessions, {} receipts; {:.1} s",
        all.len(),
        count(&|a| a.source == Source::Api),
        count(&|a| a.source == Source::Lane),
        count(&|a| a.answered()),
        count(&|a| a.opened),
        count(&|a| a.kind == Kind::Retry && a.confirmed()),
        rows.sessions(),
        rows.receipts(),
        began.elapsed().as_secs_f64()
    );
}

/// One start's scans: sent, answered, opened, and those the kill left unconfirmed with whether
/// the booth had committed them (a line, the unconfirmed and the committed).
fn summary(traffic: &Traffic, rows: &checks::Db, k: usize) -> (String, usize, usize) {
    let mine: Vec<&Attempt> = traffic
        .attempts
        .iter()
        .filter(|a| a.incarnation == k)
        .collect();
    let lane = mine.iter().filter(|a| a.source == Source::Lane).count();
    let answered = mine.iter().filter(|a| a.answered()).count();
    let opened = mine.iter().filter(|a| a.opened).count();
    let hanging: Vec<&&Attempt> = mine
        .iter()
        .filter(|a| a.kind == Kind::Main && !a.confirmed() && !a.answered())
        .collect();
    let committed = hanging
        .iter()
        .filter(|a| rows.committed(a.account.unwrap(), a.direction))
        .count();
    let line = format!(
        "{} scans ({} API, {lane} lane), {answered} answered, {opened} opened; {} unconfirmed at the kill, {committed} of them committed",
        mine.len(),
        mine.len() - lane,
        hanging.len()
    );
    (line, hanging.len(), committed)
}

/// The last start, with no kill coming: sessions a crash left at a gate are scanned again and
/// go through, cars inside leave, fresh cars enter and leave, by the lanes and by the API in
/// turn, every scan answered and every gate opened; then Ctrl-C stops the booth cleanly.
async fn settle(site: &Site, traffic: &Arc<Mutex<Traffic>>, k: usize, rng: &mut fastrand::Rng) {
    let (mut booth, mut devices) = Incarnation::start(site);
    let base = booth.ready().await;
    assert_eq!(
        checks::integrity(&site.db),
        ["ok"],
        "after the last restart"
    );
    let run = Run::new(
        traffic.clone(),
        site.db.clone(),
        k,
        base,
        booth.log.clone(),
        true,
    );
    let mut turn = 0_usize;
    let mut go = |direction: Direction| {
        turn += 1;
        (
            direction,
            if turn.is_multiple_of(2) {
                Source::Api
            } else {
                Source::Lane
            },
        )
    };
    let mut plan = Vec::new();
    let open = crate::traffic::open_sessions(&site.db);
    let at_gate = |state: &str| open.iter().filter(|s| s.state == state).count();
    let (entering, exiting) = (at_gate("entering"), at_gate("exiting"));
    {
        let mut t = traffic.lock().unwrap();
        for direction in [Direction::Entrance, Direction::Exit] {
            for account in t.retry_candidates(direction, &open) {
                plan.push((go(direction), t.take(account, direction), Kind::Retry));
            }
        }
        for account in t.exit_candidates(&open).into_iter().take(10) {
            plan.push((
                go(Direction::Exit),
                t.take(account, Direction::Exit),
                Kind::Main,
            ));
        }
        for _ in 0..6 {
            let Some(holder) = t.take_fresh() else { break };
            plan.push((go(Direction::Entrance), holder.clone(), Kind::Main));
            plan.push((go(Direction::Exit), holder, Kind::Main));
        }
    }
    let settled = plan.len();
    let retries = plan.iter().filter(|p| p.2 == Kind::Retry).count();
    for ((direction, source), holder, kind) in plan {
        let (gate, scanner) = match direction {
            Direction::Entrance => (&mut devices.in_gate, &mut devices.in_scanner),
            Direction::Exit => (&mut devices.out_gate, &mut devices.out_scanner),
        };
        let mut lane = LaneDevices { gate, scanner };
        load::drive(&run, direction, &holder, kind, source, &mut lane, rng).await;
        wait_until_through(&site.db, holder.id, direction).await;
    }
    booth.interrupt();
    load::expect_no_open(&run, Direction::Entrance, &mut devices.in_gate);
    load::expect_no_open(&run, Direction::Exit, &mut devices.out_gate);
    eprintln!(
        "last start: {entering} sessions entering and {exiting} exiting (no tries left: {}); {settled} scans ({retries} of cars at a gate), each answered or opened, and through; clean stop",
        entering + exiting - retries
    );
}

/// Waits until the booth has recorded the vehicle through (a hang guard only).
async fn wait_until_through(db: &std::path::Path, account: i64, direction: Direction) {
    let want = match direction {
        Direction::Entrance => "active",
        Direction::Exit => "closed",
    };
    let deadline = Instant::now() + HANG;
    loop {
        let conn =
            rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .unwrap();
        let state: String = conn
            .query_row(
                r#"SELECT state FROM parking_session WHERE "RpAccId" = ?1"#,
                [account],
                |r| r.get(0),
            )
            .unwrap();
        if state == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "account {account} still {state}, not {want}, after {HANG:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
