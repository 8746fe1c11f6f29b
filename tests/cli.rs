//! The command line as a new user runs it from the README: init, accounts, devices, price,
//! and the headless demo, on a real database in a temporary folder.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/proc_stat.rs"]
mod proc_stat;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn clearpark(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clearpark"))
        .current_dir(dir)
        .env_remove("CLEARPARK_DATABASE")
        .env_remove("CLEARPARK_RES_GUID")
        .env_remove("CLEARPARK_CONFIG")
        .args(args)
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn init_accounts_devices_price_from_the_example_config() {
    let dir = tempfile::tempdir().unwrap();
    let example =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml.example"))
            .unwrap();
    std::fs::write(dir.path().join("config.toml"), example).unwrap();

    let out = ok(&clearpark(dir.path(), &["init"]));
    assert!(
        out.contains("prices parking at 0.05 TMT per minute"),
        "{out}"
    );
    assert!(dir.path().join("clearpark.db").exists());

    let out = ok(&clearpark(
        dir.path(),
        &[
            "accounts",
            "add",
            "--name",
            "Aýna",
            "--reg-no",
            "AG 1042 AG",
        ],
    ));
    assert!(out.contains("added account"), "{out}");
    let out = ok(&clearpark(
        dir.path(),
        &[
            "devices",
            "add",
            "--account",
            "AG 1042 AG",
            "--code",
            "AYNA-QR-1",
        ],
    ));
    assert!(out.contains("code AYNA-QR-1"), "{out}");
    assert!(
        out.contains('█') || out.contains('▀'),
        "a QR code is drawn: {out}"
    );
    let out = ok(&clearpark(dir.path(), &["devices", "list"]));
    assert!(
        out.contains("AYNA-QR-1") && out.contains("1 device(s)"),
        "{out}"
    );

    // The same code twice, and a code the scanners would refuse, are refused here too.
    let dup = clearpark(
        dir.path(),
        &["devices", "add", "--account", "1", "--code", "AYNA-QR-1"],
    );
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already belongs"));
    let bad = clearpark(
        dir.path(),
        &["devices", "add", "--account", "1", "--code", "a\tb"],
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("control character"));

    std::fs::write(
        dir.path().join("accounts.csv"),
        "name,reg_no,phone\nMerdan,AG 7731 AG,+99361000001\nGülşat,MR 2290 MR,\n",
    )
    .unwrap();
    let out = ok(&clearpark(
        dir.path(),
        &["accounts", "import", "accounts.csv"],
    ));
    assert!(out.contains("imported 2 account(s)"), "{out}");
    std::fs::write(dir.path().join("bad.csv"), "name,reg_no\nOk,1\n,2\n").unwrap();
    let bad = clearpark(dir.path(), &["accounts", "import", "bad.csv"]);
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("bad.csv line 3") && err.contains("nothing was imported"),
        "{err}"
    );
    let out = ok(&clearpark(dir.path(), &["accounts", "list"]));
    assert!(out.contains("3 account(s)"), "all or nothing: {out}");

    let out = ok(&clearpark(
        dir.path(),
        &[
            "price",
            "--start",
            "2026-11-23 10:00:00",
            "--end",
            "2026-11-23 10:07:15",
        ],
    ));
    assert!(out.contains("seconds:          435"), "{out}");
    assert!(out.contains("billed minutes:   8"), "{out}");
    assert!(out.contains("total:            0.40 TMT"), "{out}");
    let out = ok(&clearpark(
        dir.path(),
        &[
            "price",
            "--start",
            "2026-11-23T10:00:00Z",
            "--end",
            "2026-11-24T10:00:00Z",
            "--price",
            "0.0125",
        ],
    ));
    assert!(out.contains("total:            18.00"), "{out}");
}

/// `clearpark accounts list | head -1`: the reader closes the pipe after one line and the
/// command ends quietly, without a panic and with success, as Unix tools do.
#[test]
fn a_listing_cut_short_by_its_reader_ends_quietly() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let example =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml.example"))
            .unwrap();
    std::fs::write(dir.path().join("config.toml"), example).unwrap();
    ok(&clearpark(dir.path(), &["init"]));
    // Far more than a pipe's buffer (64 KiB), so the listing is still writing when the
    // reader goes away.
    let mut csv = String::from("name,reg_no,phone\n");
    for i in 0..3000 {
        csv.push_str(&format!("Driver {i},AG {i:04} AG,\n"));
    }
    std::fs::write(dir.path().join("many.csv"), csv).unwrap();
    ok(&clearpark(dir.path(), &["accounts", "import", "many.csv"]));

    let mut child = Command::new(env!("CARGO_BIN_EXE_clearpark"))
        .current_dir(dir.path())
        .env_remove("CLEARPARK_CONFIG")
        .args(["accounts", "list", "--limit", "5000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("guid"), "{first}");
    // The reader is dropped here: the pipe is closed.
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?} {stderr}", out.status);
    assert!(stderr.is_empty(), "nothing on stderr: {stderr}");
}

#[test]
fn config_mistakes_are_reported_one_per_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "[booth]\nname = \"X\"\ndatabase = \"x.db\"\nres_guid = \"nope\"\ntimezone = \"Mars/Olympus\"\n",
    )
    .unwrap();
    let out = clearpark(dir.path(), &["init"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("booth.timezone: \"Mars/Olympus\""), "{err}");
    assert!(
        err.contains("booth.res_guid: \"nope\" is not a GUID"),
        "{err}"
    );
    assert!(
        !dir.path().join("x.db").exists(),
        "nothing created on a bad config"
    );
    let missing = clearpark(dir.path(), &["--config", "nope.toml", "init"]);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no config file at nope.toml"));
}

#[test]
fn headless_demo_logs_decisions_until_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let demo_dir = dir.path().join("demo");
    let child = Command::new(env!("CARGO_BIN_EXE_clearpark"))
        .args(["demo", "--headless", "--pace", "0.2", "--dir"])
        .arg(&demo_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(6));
    // The lanes and the booth keep the priority the booth was started with; the runtime's
    // workers (API, screen, Nwave), the bays' summary and the checkpointer run below it.
    let nice = threads_nice(child.id());
    let ours = nice_of("booth", &nice);
    for scans_path in ["lanes", "wal-sync"] {
        assert_eq!(nice_of(scans_path, &nice), ours, "{nice:?}");
    }
    for background in ["tokio-rt-worker", "bays-summary", "checkpoint"] {
        assert_eq!(
            nice_of(background, &nice),
            ours.max(clearpark::priority::BACKGROUND_NICE),
            "{nice:?}"
        );
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("788879fbe6635"), "{stdout}");
    assert!(
        stdout.contains("-> entered") || stdout.contains("-> exited"),
        "{stdout}"
    );
    assert!(stdout.contains("booth stopped"), "{stdout}");
    // The simulated Nwave sensors went through the booth.
    assert!(
        stdout.contains("simulated Nwave sensors caught up"),
        "{stdout}"
    );
    // The first count, logged once the bays' summary (made on its own thread) has caught up.
    let bays: u32 = stdout
        .split("Nwave: ")
        .nth(1)
        .and_then(|rest| rest.split(" bays, ").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no bay count: {stdout}"));
    assert!(bays > 0 && stdout.contains(" taken, "), "{stdout}");
    assert!(demo_dir.join("clearpark.db").exists());
}

/// Each thread of process `pid`: its name and nice value (proc(5) field 19).
fn threads_nice(pid: u32) -> Vec<(String, i32)> {
    proc_stat::thread_stats(&pid.to_string())
        .into_iter()
        .map(|(name, fields)| (name, fields[19 - 3].parse().unwrap()))
        .collect()
}

/// The nice value of the threads named `name`, which must all have the same one.
fn nice_of(name: &str, threads: &[(String, i32)]) -> i32 {
    let values: Vec<i32> = threads
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, nice)| *nice)
        .collect();
    assert!(!values.is_empty(), "no thread {name}: {threads:?}");
    assert!(
        values.iter().all(|v| *v == values[0]),
        "{name}: {threads:?}"
    );
    values[0]
}
