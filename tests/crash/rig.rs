//! The booth as `clearpark run --headless` in a process of its own, on a site (config, database,
//! accounts) that outlives it, with its lanes' scanners and gate controllers on fresh
//! pseudo-terminals for every start. Stable symlinks stand for the device nodes and are
//! re-pointed at each start, as udev's `/dev/serial/by-id` names would be.

use crate::gate::{GateHandle, GatePlayer};
use crate::support::RES_GUID;
use crate::support::pty::{DevLink, ScannerEnd};
use clearpark::store::accounts::NewAccount;
use clearpark::store::seed::{self, NewCode};
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

pub const TOKEN: &str = "crash-test-operator-token-0001";
pub const IN: &str = "in-1";
pub const OUT: &str = "out-1";
/// Entrance and exit tries of the site's config.
pub const TRIES: i64 = 3;
/// Only to detect a hang: a healthy booth is far quicker, even on a loaded machine.
pub const HANG: Duration = Duration::from_secs(60);

/// An account and the code of its one device.
#[derive(Debug, Clone)]
pub struct Holder {
    pub id: i64,
    pub code: String,
}

/// Who the load may scan: `main` accounts enter once and leave once; `blocked` accounts
/// (status 2) are refused at the entrance; `ghosts` never enter and are refused at the exit.
#[derive(Debug, Clone, Default)]
pub struct Pool {
    pub main: Vec<Holder>,
    pub blocked: Vec<Holder>,
    pub ghosts: Vec<Holder>,
}

/// A config, a database with its accounts, and the device links, in a temporary folder.
pub struct Site {
    _dir: tempfile::TempDir,
    pub db: PathBuf,
    config: PathBuf,
    links: [DevLink; 4],
    pub pool: Pool,
}

impl Site {
    /// `CRASH_KEEP=1` keeps the folder (database, config, log of receipts) for a post-mortem.
    pub fn create(main: usize, blocked: usize, ghosts: usize) -> Site {
        let mut dir = tempfile::tempdir().unwrap();
        if std::env::var_os("CRASH_KEEP").is_some() {
            dir.disable_cleanup(true);
            eprintln!("crash test: keeping {}", dir.path().display());
        }
        let links = ["in-gate", "in-scanner", "out-gate", "out-scanner"]
            .map(|name| DevLink::new(dir.path(), name));
        let config = dir.path().join("config.toml");
        std::fs::write(
            &config,
            format!(
                r#"[booth]
name = "Crash Park"
timezone = "Asia/Ashgabat"
database = "booth.db"
res_guid = "{RES_GUID}"
entrance_tries = {TRIES}
exit_tries = {TRIES}

[resource]
name = "Parking"
price_per_minute = "0.05"
currency = "TMT"

[[lanes]]
id = "{IN}"
direction = "entrance"
gate = "{}"
scanner = "{}"

[[lanes]]
id = "{OUT}"
direction = "exit"
gate = "{}"
scanner = "{}"
printer = "file:receipts.escpos"

[api]
listen = "127.0.0.1:0"
tokens = ["{TOKEN}"]
"#,
                links[0].path.display(),
                links[1].path.display(),
                links[2].path.display(),
                links[3].path.display(),
            ),
        )
        .unwrap();
        let init = booth_command(&config).arg("init").output().unwrap();
        assert!(init.status.success(), "clearpark init failed: {init:?}");
        let db = dir.path().join("booth.db");
        let pool = seed(&db, main, blocked, ghosts);
        Site {
            _dir: dir,
            db,
            config,
            links,
            pool,
        }
    }
}

fn booth_command(config: &Path) -> Process {
    let mut command = Process::new(env!("CARGO_BIN_EXE_clearpark"));
    command
        .env_remove("CLEARPARK_DATABASE")
        .env_remove("CLEARPARK_RES_GUID")
        .env_remove("CLEARPARK_CONFIG")
        .env_remove("CLEARPARK_API_TOKENS")
        .env_remove("CLEARPARK_SECRET_KEY")
        .env("RUST_LOG", "info")
        .arg("--config")
        .arg(config);
    command
}

/// Accounts, each with one device whose code names it, in one transaction.
fn seed(db: &Path, main: usize, blocked: usize, ghosts: usize) -> Pool {
    let mut conn = rusqlite::Connection::open(db).unwrap();
    let tx = conn.transaction().unwrap();
    let now = clearpark::booth::clock::now();
    let add = |kind: &str, n: usize, status: i64| -> Vec<Holder> {
        (0..n)
            .map(|i| {
                let code = format!("CRASH-{kind}-{i:05}-{:08x}", fastrand::u32(..));
                let holder = seed::account_with_code(
                    &tx,
                    &NewAccount {
                        name: format!("{kind} {i}"),
                        reg_no: Some(format!("{kind}-{i:05}")),
                        status_id: Some(status),
                        ..NewAccount::default()
                    },
                    &NewCode::given(code.clone()),
                    now,
                )
                .unwrap();
                Holder {
                    id: holder.account.id,
                    code,
                }
            })
            .collect()
    };
    let pool = Pool {
        main: add("main", main, 1),
        blocked: add("blocked", blocked, 2),
        ghosts: add("ghost", ghosts, 1),
    };
    tx.commit().unwrap();
    pool
}

/// The lane devices of one start, for the load to drive.
pub struct Devices {
    pub in_gate: GateHandle,
    pub out_gate: GateHandle,
    pub in_scanner: ScannerEnd,
    pub out_scanner: ScannerEnd,
}

/// One start of the booth, from spawn to SIGKILL.
pub struct Incarnation {
    child: Option<Child>,
    pub started: Instant,
    /// Every line the booth logged, for diagnostics.
    pub log: Arc<Mutex<Vec<String>>>,
    lines: mpsc::UnboundedReceiver<String>,
    gates: Vec<GatePlayer>,
}

impl Incarnation {
    /// New ptys behind the links, then `clearpark run --headless`.
    pub fn start(site: &Site) -> (Incarnation, Devices) {
        let (in_gate, in_handle) = GatePlayer::open();
        let (out_gate, out_handle) = GatePlayer::open();
        let (in_scanner, out_scanner) = (ScannerEnd::open(), ScannerEnd::open());
        site.links[0].point_to(&in_gate.path);
        site.links[1].point_to(&in_scanner.path);
        site.links[2].point_to(&out_gate.path);
        site.links[3].point_to(&out_scanner.path);
        let mut child = booth_command(&site.config)
            .args(["run", "--headless"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, lines) = mpsc::unbounded_channel();
        for pipe in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let (log, tx) = (log.clone(), tx.clone());
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(pipe).lines() {
                    let Ok(line) = line else { return };
                    let _ = tx.send(line.clone());
                    log.lock().unwrap().push(line);
                }
            });
        }
        let incarnation = Incarnation {
            child: Some(child),
            started: Instant::now(),
            log,
            lines,
            gates: vec![in_gate, out_gate],
        };
        let devices = Devices {
            in_gate: in_handle,
            out_gate: out_handle,
            in_scanner,
            out_scanner,
        };
        (incarnation, devices)
    }

    /// Waits until the API listens, both gates are online (greeted and `STATUS` answered) and
    /// both scanner ports are open and flushed; returns the API's base URL.
    pub async fn ready(&mut self) -> String {
        let mut api = None;
        let mut gates = [false; 2];
        let mut scanners = [false; 2];
        let deadline = tokio::time::Instant::now() + HANG;
        while api.is_none() || gates.contains(&false) || scanners.contains(&false) {
            let line = match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                Ok(Some(line)) => line,
                Ok(None) => panic!("the booth exited while starting:\n{}", self.tail()),
                Err(_) => panic!("the booth was not ready after {HANG:?}:\n{}", self.tail()),
            };
            if let Some(at) = line.find("API on http://") {
                let addr = line[at + "API on ".len()..].split_whitespace().next();
                api = addr.map(str::to_owned);
            }
            for (i, (lane, link)) in [(IN, "in-scanner"), (OUT, "out-scanner")]
                .into_iter()
                .enumerate()
            {
                // The gate link logs inside a span that names the lane; the scanner names its port.
                if line.contains("gate online") && line.contains(&format!("lane={lane}")) {
                    gates[i] = true;
                }
                if line.contains("scanner port open") && line.contains(link) {
                    scanners[i] = true;
                }
            }
        }
        api.unwrap()
    }

    /// SIGKILL, as a power cut would stop it; then everything it wrote to the gates is read.
    pub fn kill(&mut self) {
        let mut child = self.child.take().unwrap();
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the booth stopped by itself ({status}):\n{}", self.tail());
        }
        child.kill().unwrap();
        child.wait().unwrap();
        self.drain();
    }

    /// Ctrl-C: a clean stop, which must succeed.
    pub fn interrupt(&mut self) {
        let mut child = self.child.take().unwrap();
        let status = Process::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + HANG;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("the booth did not stop on Ctrl-C:\n{}", self.tail());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(status.success(), "{status}:\n{}", self.tail());
        self.drain();
    }

    fn drain(&mut self) {
        for gate in self.gates.drain(..) {
            gate.drain();
        }
    }

    /// The last lines of the booth's log.
    pub fn tail(&self) -> String {
        let log = self.log.lock().unwrap();
        log[log.len().saturating_sub(40)..].join("\n")
    }

    /// How far the booth got, by its log: for the report of a kill while starting.
    pub fn stage(&self) -> &'static str {
        let log = self.log.lock().unwrap();
        let seen = |text: &str| log.iter().any(|l| l.contains(text));
        if seen("gate online") {
            "lanes coming up"
        } else if seen("booth running") {
            "booth and API running, gates greeting"
        } else if log.is_empty() {
            "before its first log line"
        } else {
            "opening the database and ports"
        }
    }
}

impl Drop for Incarnation {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
