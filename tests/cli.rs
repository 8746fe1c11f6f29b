//! The command line as a new user runs it from the README: init, accounts, devices, price,
//! and the headless demo, on a real database in a temporary folder.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use clearpark_testkit as support;

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;
use support::proc_stat;
use support::process::{Process, command};

fn clearpark(dir: &Path, args: &[&str]) -> Output {
    command(dir).args(args).output().unwrap()
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

/// A folder whose config.toml is the example, as shipped.
fn with_example_config() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let example =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml.example"))
            .unwrap();
    std::fs::write(dir.path().join("config.toml"), example).unwrap();
    dir
}

/// `clearpark price --start START --end END` and `more`.
fn price(dir: &Path, start: &str, end: &str, more: &[&str]) -> Output {
    let mut args = vec!["price", "--start", start, "--end", end];
    args.extend_from_slice(more);
    clearpark(dir, &args)
}

#[test]
fn init_accounts_devices_price_from_the_example_config() {
    let dir = with_example_config();

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

    let out = ok(&price(
        dir.path(),
        "2026-11-23 10:00:00",
        "2026-11-23 10:07:15",
        &[],
    ));
    // The example's board: a visitor's 7 min 15 s are inside the 10-minute grace.
    assert!(out.contains("tariff:           visitor v1"), "{out}");
    assert!(out.contains("seconds:          435"), "{out}");
    assert!(out.contains("billed minutes:   8"), "{out}");
    assert!(
        out.contains("Within the 10-minute grace period: free"),
        "{out}"
    );
    assert!(out.contains("total:            0.00 TMT"), "{out}");
    let out = ok(&price(
        dir.path(),
        "2026-11-23 10:00:00",
        "2026-11-23 10:07:15",
        &["--tariff", "subscriber"],
    ));
    assert!(out.contains("Within the 30-minute grace period"), "{out}");
    let out = ok(&price(
        dir.path(),
        "2026-11-23 05:00:00",
        "2026-11-23 08:05:00",
        &["--lost"],
    ));
    assert!(out.contains("From 180 min: 1 × 1 h at 1.50"), "{out}");
    assert!(
        out.contains("Lost ticket: 25.00 or the stay, whichever is more"),
        "{out}"
    );
    assert!(out.contains("total:            25.00 TMT"), "{out}");
    let bad = price(
        dir.path(),
        "2026-11-23 10:00:00",
        "2026-11-23 11:00:00",
        &["--tariff", "nope"],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no tariff \"nope\""));
    let out = ok(&price(
        dir.path(),
        "2026-11-23T10:00:00Z",
        "2026-11-24T10:00:00Z",
        &["--price", "0.0125"],
    ));
    assert!(out.contains("total:            18.00"), "{out}");
}

/// The price board from the command line: the example config's board written by `init`, a
/// board file imported as new versions (audited), a broken one refused whole, shops' codes.
#[test]
fn tariffs_and_validations_from_the_command_line() {
    let dir = with_example_config();
    let out = ok(&clearpark(dir.path(), &["init"]));
    assert!(
        out.contains("tariff visitor v1, prices default, walk-in tickets"),
        "{out}"
    );
    let out = ok(&clearpark(dir.path(), &["tariff", "list"]));
    assert!(
        out.contains("10 min free; 2.00 per 60 min to 60 min"),
        "{out}"
    );

    let board = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/board.toml");
    let out = ok(&clearpark(
        dir.path(),
        &["tariff", "import", board, "--attendant", "ops"],
    ));
    assert!(out.contains("visitor: unchanged"), "{out}");
    assert!(out.contains("staff: version 1 in force from"), "{out}");
    assert!(out.contains("ResPriceGroupId 2: staff"), "{out}");
    let dearer =
        std::fs::read_to_string(board)
            .unwrap()
            .replacen("price = \"2.00\"", "price = \"2.50\"", 1);
    std::fs::write(dir.path().join("dearer.toml"), &dearer).unwrap();
    let out = ok(&clearpark(dir.path(), &["tariff", "import", "dearer.toml"]));
    assert!(out.contains("visitor: version 2 in force from"), "{out}");
    let out = ok(&clearpark(dir.path(), &["tariff", "show", "visitor"]));
    assert!(
        out.contains("# version 2") && out.contains("# version 1"),
        "{out}"
    );
    assert!(out.contains("price = \"2.50\""), "{out}");

    std::fs::write(
        dir.path().join("broken.toml"),
        dearer.replace("every = 15", "every = 0"),
    )
    .unwrap();
    let bad = clearpark(dir.path(), &["tariff", "import", "broken.toml"]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("tariff \"visitor\": period 2: every = 0"),
        "{err}"
    );
    let out = ok(&clearpark(dir.path(), &["tariff", "list"]));
    assert!(
        out.contains("visitor          TMT v2"),
        "nothing of the broken file: {out}"
    );

    let out = ok(&clearpark(
        dir.path(),
        &[
            "validations",
            "add",
            "--shop",
            "Bookshop",
            "--free-minutes",
            "60",
            "--code",
            "VAL-BOOKS",
        ],
    ));
    assert!(
        out.starts_with("VAL-BOOKS: Bookshop (60 min free)"),
        "{out}"
    );
    let bad = clearpark(
        dir.path(),
        &[
            "validations",
            "add",
            "--shop",
            "Cafe",
            "--percent-off",
            "150",
        ],
    );
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("--percent-off 150 is not between 0 and 100")
    );
    ok(&clearpark(
        dir.path(),
        &["validations", "disable", "VAL-BOOKS"],
    ));
    let out = ok(&clearpark(dir.path(), &["validations", "list"]));
    assert!(
        out.contains("VAL-BOOKS") && out.contains("disabled"),
        "{out}"
    );

    let db = rusqlite::Connection::open(dir.path().join("clearpark.db")).unwrap();
    let audited: Vec<(String, String)> = db
        .prepare("SELECT actor, action FROM audit_log ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(audited.len(), 2, "{audited:?}");
    assert_eq!(audited[0], ("ops".into(), "tariff_import".into()));
}

/// `clearpark accounts list | head -1`: the reader closes the pipe after one line and the
/// command ends quietly, without a panic and with success, as Unix tools do.
#[test]
fn a_listing_cut_short_by_its_reader_ends_quietly() {
    use std::io::{BufRead, BufReader};
    let dir = with_example_config();
    ok(&clearpark(dir.path(), &["init"]));
    // Far more than a pipe's buffer (64 KiB), so the listing is still writing when the
    // reader goes away.
    let mut csv = String::from("name,reg_no,phone\n");
    for i in 0..3000 {
        csv.push_str(&format!("Driver {i},AG {i:04} AG,\n"));
    }
    std::fs::write(dir.path().join("many.csv"), csv).unwrap();
    ok(&clearpark(dir.path(), &["accounts", "import", "many.csv"]));

    let mut child = command(dir.path())
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
    let mut child = Process::start(
        dir.path(),
        &[
            "demo",
            "--headless",
            "--pace",
            "0.2",
            "--dir",
            demo_dir.to_str().unwrap(),
        ],
    );
    // Deciding, and the bays counted: every thread is up.
    child.wait_for("Nwave: ", Duration::from_secs(60));
    child.wait_for("-> e", Duration::from_secs(60));
    // The lanes and the booth keep the priority the booth was started with; the runtime's
    // workers (API, screen, Nwave), the bays' summary and the checkpointer run below it.
    let nice = threads_nice(child.pid());
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
    child.signal("INT");
    let (status, lines) = child.wait();
    let stdout = lines.join("\n");
    assert!(status.success(), "{stdout}");
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

/// A config with two lanes without devices (a scan is the passage) and the API, its database
/// made, and `codes.len()` accounts with one code each.
fn service_booth(dir: &Path, codes: &[String]) {
    std::fs::write(
        dir.join("config.toml"),
        format!(
            r#"[booth]
name = "Service Park"
database = "booth.db"
res_guid = "{}"
[resource]
name = "Parking"
price_per_minute = "0.05"
currency = "TMT"
[[lanes]]
id = "in-1"
direction = "entrance"
[[lanes]]
id = "out-1"
direction = "exit"
[api]
tokens = ["{SERVICE_TOKEN}"]
"#,
            support::RES_GUID
        ),
    )
    .unwrap();
    ok(&clearpark(dir, &["init"]));
    let mut csv = String::from("name,reg_no\n");
    for i in 0..codes.len() {
        csv.push_str(&format!("Driver {i},SV {i:03} SV\n"));
    }
    std::fs::write(dir.join("drivers.csv"), csv).unwrap();
    ok(&clearpark(dir, &["accounts", "import", "drivers.csv"]));
    for (i, code) in codes.iter().enumerate() {
        let reg_no = format!("SV {i:03} SV");
        ok(&clearpark(
            dir,
            &["devices", "add", "--account", &reg_no, "--code", code],
        ));
    }
}

const SERVICE_TOKEN: &str = "service-test-token-0001";

/// Each client scans its code in and out until the booth stops answering; the scans it was
/// answered `status: 1` for, as (code, AttTypeId).
async fn scan_until_stopped(base: String, code: String) -> Vec<(String, i64)> {
    let http = support::http_client();
    let mut answered = Vec::new();
    for (kind, type_id) in [("entrance", 1), ("exit", 2)].into_iter().cycle() {
        let sent = http
            .post(format!("{base}/find-device/?type={kind}"))
            .bearer_auth(SERVICE_TOKEN)
            .json(&serde_json::json!({"data": code}))
            .send()
            .await;
        let Ok(res) = sent else { break };
        let Ok(body) = res.json::<serde_json::Value>().await else {
            break;
        };
        if body["status"] == 1 {
            answered.push((code.clone(), type_id));
        }
    }
    answered
}

/// Attendance rows by (code, AttTypeId).
fn attendance(db: &Path) -> std::collections::HashMap<(String, i64), usize> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut rows = conn
        .prepare(
            r#"SELECT d."DevUniqueId", a."AttTypeId" FROM tbl_dk_attendance a
               JOIN tbl_dk_device d ON d."DevId" = a."DevId""#,
        )
        .unwrap();
    let mut counts = std::collections::HashMap::new();
    for row in rows
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .unwrap()
    {
        *counts.entry(row.unwrap()).or_default() += 1;
    }
    counts
}

/// What systemd, Docker and `kill` send: SIGTERM stops a booth busy with scans as Ctrl-C
/// does, with the stop in the log, exit status 0, and every scan it answered in the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_a_busy_booth_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let codes: Vec<String> = (0..4).map(|i| format!("SERVICE-CODE-{i}")).collect();
    service_booth(dir.path(), &codes);
    let mut booth = Process::start(dir.path(), &["run", "--headless", "--api", "127.0.0.1:0"]);
    let line = booth.wait_for("API on http://", Duration::from_secs(30));
    let base = line[line.find("http://").unwrap()..].trim().to_owned();
    let clients: Vec<_> = codes
        .iter()
        .map(|code| tokio::spawn(scan_until_stopped(base.clone(), code.clone())))
        .collect();
    // Scans flowing: the log shows decisions.
    let pid = booth.pid();
    tokio::task::block_in_place(|| {
        for _ in 0..40 {
            booth.wait_for("-> e", Duration::from_secs(30));
        }
    });
    booth.signal("TERM");
    let (status, lines) = tokio::task::block_in_place(|| booth.wait());
    let log = lines.join("\n");
    assert_eq!(status.code(), Some(0), "pid {pid}: {log}");
    assert!(
        log.contains("SIGTERM: stopping once what is under way is done"),
        "{log}"
    );
    assert!(log.contains("booth stopped"), "{log}");
    let mut answered = std::collections::HashMap::new();
    for client in clients {
        for scan in client.await.unwrap() {
            *answered.entry(scan).or_insert(0usize) += 1;
        }
    }
    assert!(answered.values().sum::<usize>() >= 40, "{answered:?}");
    let stored = attendance(&dir.path().join("booth.db"));
    for (scan, n) in &answered {
        assert!(
            stored.get(scan).copied().unwrap_or(0) >= *n,
            "{scan:?}: answered {n} times, stored {:?}",
            stored.get(scan)
        );
    }
}

/// SIGHUP reopens the log file (logrotate moves it away, then signals); a second SIGTERM while
/// the booth is stopping ends it at once, with 128 + 15.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reopens_the_log_and_a_second_signal_stops_at_once() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    service_booth(dir.path(), &[]);
    let log = dir.path().join("service.log");
    let booth = Process::start(
        dir.path(),
        &[
            "run",
            "--headless",
            "--api",
            "127.0.0.1:0",
            "--log",
            "service.log",
        ],
    );
    let read = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();
    let wait_for_text = |path: &Path, text: &str| {
        support::wait::until(
            Duration::from_secs(30),
            || read(path).contains(text),
            || format!("no {text:?} in {}: {}", path.display(), read(path)),
        )
    };
    tokio::task::block_in_place(|| wait_for_text(&log, "API on http://"));
    let text = read(&log);
    let line = text.lines().find(|l| l.contains("API on http://")).unwrap();
    let addr = line[line.find("http://").unwrap() + 7..].trim().to_owned();

    let rotated = dir.path().join("service.log.1");
    std::fs::rename(&log, &rotated).unwrap();
    booth.signal("HUP");
    tokio::task::block_in_place(|| wait_for_text(&log, "SIGHUP: log file reopened"));
    assert!(
        read(&rotated).contains("booth running"),
        "the old lines stay where they were"
    );
    assert!(
        !read(&log).contains("booth running"),
        "the new file starts afresh"
    );

    // A request under way holds the clean stop (the server gives it a grace period); the second
    // signal does not wait for it. Its body is announced and never sent: the server's
    // `100 Continue` says the handler is reading it, so the stop is asked with it in flight.
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /find-device/?type=entrance HTTP/1.1\r\nHost: x\r\n\
         Authorization: Bearer {SERVICE_TOKEN}\r\nContent-Type: application/json\r\n\
         Content-Length: 64\r\nExpect: 100-continue\r\n\r\n"
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    let mut answer = [0u8; 512];
    let n = slow.read(&mut answer).await.unwrap();
    assert!(
        answer[..n].starts_with(b"HTTP/1.1 100 Continue"),
        "{}",
        String::from_utf8_lossy(&answer[..n])
    );
    booth.signal("TERM");
    tokio::task::block_in_place(|| wait_for_text(&log, "SIGTERM: stopping once"));
    booth.signal("TERM");
    let (status, _) = tokio::task::block_in_place(|| booth.wait());
    assert_eq!(status.code(), Some(128 + 15), "{}", read(&log));
    assert!(read(&log).contains("SIGTERM while stopping: stopping at once"));
    drop(slow);
}
