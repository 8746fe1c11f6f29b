//! Hostile input: codes full of SQL, shell, terminal escapes or megabytes are refused or simply
//! not found, change nothing, and cannot corrupt the attendant's screen.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use clearpark_testkit as support;

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

/// Secrets never reach the log, at the most verbose level there is: the real binary runs with
/// `RUST_LOG=trace` and its log in a file, with an API token, a JWT secret, a remote IO
/// device's key, a driver's token and an AMQP password (to a broker that refuses it, or to
/// none), and is called with each secret, right and wrong, in the places callers put them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_the_log() {
    const TOKEN: &str = "operator-token-5e5e5e5e5e5e";
    const JWT_SECRET: &str = "jwt-secret-7a7a7a7a7a7a7a7a7a7a7a7a7a7a";
    const DEVICE_KEY: &str = "device-key-3c3c3c3c3c3c";
    const AMQP_PASSWORD: &str = "amqp-password-9d9d9d9d";
    const WRONG: &str = "wrong-token-4b4b4b4b4b4b";
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[booth]
name = "Secret Park"
database = "booth.db"
res_guid = "00000000-0000-4000-8000-00000000c0de"

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
listen = "127.0.0.1:{port}"
tokens = ["{TOKEN}"]
jwt_secret = "{JWT_SECRET}"

[api.device_keys]
gate-io = "{DEVICE_KEY}"

[nwave]
url = "amqp://guest:{AMQP_PASSWORD}@127.0.0.1:5672/%2f"
queue = "clearpark.security-test"
"#
        ),
    )
    .unwrap();
    let log_path = dir.path().join("clearpark.log");
    let cli = |args: &[&str]| {
        let out = support::process::command(dir.path())
            .env("RUST_LOG", "trace")
            .arg("--config")
            .arg(&config)
            .args(args)
            .stderr(
                std::fs::OpenOptions::new()
                    .append(true)
                    .create(true)
                    .open(&log_path)
                    .unwrap(),
            )
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    cli(&["init"]);
    cli(&[
        "accounts",
        "add",
        "--name",
        "Aýna",
        "--reg-no",
        "AG 1042 AG",
    ]);
    cli(&[
        "devices",
        "add",
        "--account",
        "AG 1042 AG",
        "--code",
        "SECRET-PARK-1",
    ]);
    let driver = cli(&["accounts", "token", "AG 1042 AG"])
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_owned();
    assert!(driver.starts_with("cpd_"), "{driver}");

    let log = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&log_path)
        .unwrap();
    let child = support::process::Process::spawn_writing_elsewhere(
        support::process::command(dir.path())
            .env("RUST_LOG", "trace")
            .arg("--config")
            .arg(&config)
            .args(["run", "--headless"])
            .stdout(log.try_clone().unwrap())
            .stderr(log),
    );
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut up = false;
    for _ in 0..200 {
        if http.get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        up,
        "the API did not come up: {}",
        std::fs::read_to_string(&log_path).unwrap()
    );

    let jwt = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &serde_json::json!({"sub": "sync", "exp": clearpark::booth::clock::now().timestamp() + 600}),
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap();
    let mut statuses = Vec::new();
    // Operators: the token and a JWT, right and wrong, as a bearer, in other schemes, in the query.
    for bearer in [
        TOKEN,
        jwt.as_str(),
        WRONG,
        DEVICE_KEY,
        driver.as_str(),
        JWT_SECRET,
    ] {
        let r = http
            .post(format!("{base}/find-device/?type=entrance"))
            .bearer_auth(bearer)
            .json(&serde_json::json!({"data": "SECRET-PARK-1"}))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
        let r = http
            .get(format!(
                "{base}/clearpark/devices/?limit=1&token={bearer}&access_token={bearer}"
            ))
            .header("Authorization", format!("Token {bearer}"))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    // Remote IO devices: the key right and wrong, with its name in other spellings.
    for query in [
        format!("device_key={DEVICE_KEY}"),
        format!("device_key={WRONG}"),
        format!("DEVICE_KEY={DEVICE_KEY}"),
        format!("device%5Fkey={DEVICE_KEY}"),
        format!("device_key={DEVICE_KEY}&device_key={DEVICE_KEY}"),
        format!("x=1&device_key={DEVICE_KEY}#frag"),
    ] {
        let r = http
            .get(format!("{base}/set-ip/?{query}"))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
        let r = http
            .get(format!("{base}/api/set-ip/?{query}"))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    // The driver's app: its token right and wrong.
    for bearer in [driver.as_str(), WRONG, TOKEN] {
        let r = http
            .get(format!("{base}/api/car_driver/parking_sessions/current"))
            .bearer_auth(bearer)
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert!(
        statuses.contains(&200) && statuses.contains(&401),
        "{statuses:?}"
    );
    // The Nwave consumer has tried (and failed) to log in with its password.
    let log = || std::fs::read_to_string(&log_path).unwrap();
    support::wait::until_async(
        std::time::Duration::from_secs(30),
        || log().contains("Nwave consumer disconnected"),
        || format!("the consumer never tried the broker: {}", log()),
    )
    .await;
    let status = child.interrupt();
    assert!(status.success(), "{status:?}");

    let text = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        text.contains("request") && text.contains("TRACE"),
        "the log holds the requests at trace level:\n{text}"
    );
    for secret in [TOKEN, JWT_SECRET, DEVICE_KEY, AMQP_PASSWORD, &driver, &jwt] {
        let leaks: Vec<&str> = text
            .lines()
            .filter(|l| l.contains(secret))
            .take(5)
            .collect();
        assert!(
            leaks.is_empty(),
            "{secret:?} is in the log:\n{}",
            leaks.join("\n")
        );
    }
}
