//! What clearpark's integration tests (`tests/`) and benchmarks (`benches/`) share: a booth on a
//! real SQLite file in a temporary folder with a clock that moves only when told, seeded drivers,
//! helpers to read rows back, the binary as a process ([`process`]), ptys ([`pty`]), a gate
//! controller's end of a pty ([`gate_end`]), an ESC/POS reader ([`escpos`]), `/proc` figures
//! ([`proc_stat`]) and the runner of the cases that need a service of the machine ([`harness`]).

use chrono::{DateTime, TimeZone, Utc};
use clearpark::booth::clock::ManualClock;
use clearpark::booth::{
    AttendantCommand, AttendantDone, AttendantError, AttendantRequest, BatchApplied, BatchFailed,
    Booth, Effect, Event, GateSignal, NwaveBatch, NwaveDelivery, ScanDecided, ScanRequest,
    ScanSource,
};
use clearpark::config::{
    BoothSettings, Config, GateEndpoint, LaneConfig, PrinterEndpoint, ScannerEndpoint,
};
use clearpark::domain::receipt::PaymentMethod;
use clearpark::domain::session::Direction;
use clearpark::store::accounts::{self, NewAccount};
use clearpark::store::seed::{self, Holder, NewCode};
use clearpark::store::{DbStructure, Store, resource};
use rust_decimal::Decimal;
use std::path::PathBuf;
use tokio::sync::oneshot;

pub mod escpos;
pub mod gate_end;
pub mod harness;
pub mod proc_stat;
pub mod process;
pub mod pty;
pub mod wait;

/// The runner under [`harness`], for a file that builds its cases itself.
pub use libtest_mimic;

pub const RES_GUID: &str = "00000000-0000-4000-8000-00000000c0de";
pub const IN: &str = "in-1";
pub const OUT: &str = "out-1";

/// The library's log on the test's output, when `RUST_LOG` asks for it (`RUST_LOG=clearpark=debug
/// cargo test ... -- --nocapture`): what a flaky run did.
pub fn log_if_asked() {
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
    }
}

/// The HTTP client's TLS: rustls with ring, installed once per test process.
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
}

pub fn lane(id: &str, direction: Direction, gate: bool, printer: bool) -> LaneConfig {
    LaneConfig {
        id: id.into(),
        name: id.into(),
        direction,
        scanner: ScannerEndpoint::Sim,
        gate: if gate {
            GateEndpoint::Sim
        } else {
            GateEndpoint::None
        },
        printer: if printer {
            PrinterEndpoint::File(PathBuf::from("/dev/null"))
        } else {
            PrinterEndpoint::None
        },
    }
}

pub fn config(db: PathBuf) -> Config {
    Config {
        booth: BoothSettings {
            name: "Test Park".into(),
            timezone: chrono_tz::Asia::Ashgabat,
            database: db,
            db_structure: DbStructure::Saphasap,
            res_guid: RES_GUID.into(),
            capacity: None,
            entrance_tries: 3,
            exit_tries: 3,
            lost_ticket_fee: "20.00".parse().unwrap(),
        },
        resource: None,
        lanes: vec![
            lane(IN, Direction::Entrance, true, true),
            lane(OUT, Direction::Exit, true, true),
        ],
        api: None,
        nwave: None,
        tariffs: Default::default(),
    }
}

/// A walk-in inside: [`TestBooth::walk_in`].
pub struct WalkIn {
    pub ticket_no: i64,
    pub code: String,
    pub session_id: i64,
}

/// A booth on a fresh database file with a resource at `price` per minute.
pub struct TestBooth {
    pub dir: tempfile::TempDir,
    pub config: Config,
    pub clock: ManualClock,
    pub booth: Option<Booth>,
}

impl TestBooth {
    pub fn new(price: &str) -> TestBooth {
        Self::with(price, |_| {})
    }

    pub fn with(price: &str, adjust: impl FnOnce(&mut Config)) -> TestBooth {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config(dir.path().join("booth.db"));
        adjust(&mut config);
        let store = Store::open(&config.booth.database).unwrap();
        priced(store.conn(), RES_GUID, price, t0());
        let clock = ManualClock::new(t0());
        let booth = Booth::new(store, &config, Box::new(clock.clone())).unwrap();
        TestBooth {
            dir,
            config,
            clock,
            booth: Some(booth),
        }
    }

    pub fn booth(&mut self) -> &mut Booth {
        self.booth.as_mut().unwrap()
    }

    pub fn conn(&self) -> &rusqlite::Connection {
        self.booth.as_ref().unwrap().store().conn()
    }

    /// Closes the booth and its database, then opens both again, as after a restart.
    pub fn restart(&mut self) {
        drop(self.booth.take());
        let store = Store::open(&self.config.booth.database).unwrap();
        self.booth = Some(Booth::new(store, &self.config, Box::new(self.clock.clone())).unwrap());
    }

    /// Adds an active account with one device; returns (account id, device code).
    pub fn account(&mut self, name: &str) -> (i64, String) {
        let holder = driver(self.conn(), name);
        (holder.account.id, holder.device.unique_id)
    }

    pub fn scan(&mut self, lane: &str, code: &[u8]) -> (ScanDecided, Vec<Effect>) {
        let (tx, mut rx) = oneshot::channel();
        let effects = self.booth().handle(Event::Scan(ScanRequest {
            lane: lane.into(),
            code: code.to_vec(),
            source: ScanSource::Scanner,
            reply: Some(tx),
        }));
        (rx.try_recv().unwrap(), effects)
    }

    pub fn gate(&mut self, lane: &str, signal: GateSignal) -> Vec<Effect> {
        self.booth().handle(Event::Gate {
            lane: lane.into(),
            signal,
        })
    }

    pub fn attendant(
        &mut self,
        command: AttendantCommand,
    ) -> (Result<AttendantDone, AttendantError>, Vec<Effect>) {
        let (tx, mut rx) = oneshot::channel();
        let effects = self.booth().handle(Event::Attendant(AttendantRequest {
            actor: "anna".into(),
            command,
            reply: Some(tx),
        }));
        (rx.try_recv().unwrap(), effects)
    }

    /// A walk-in ticket issued at [`IN`] and its car through the gate.
    pub fn walk_in(&mut self) -> WalkIn {
        let (done, _) = self.attendant(AttendantCommand::IssueTicket { lane: IN.into() });
        let Ok(AttendantDone::TicketIssued {
            ticket_no,
            code,
            session_id,
        }) = done
        else {
            panic!("no ticket: {done:?}")
        };
        self.gate(IN, GateSignal::Passed);
        WalkIn {
            ticket_no,
            code,
            session_id,
        }
    }

    /// The payment waiting at [`OUT`] taken by `method`: the receipt number, the total and the
    /// effects (the gate, the receipt).
    pub fn pay(&mut self, method: PaymentMethod) -> (i64, Decimal, Vec<Effect>) {
        let (done, effects) = self.attendant(AttendantCommand::RecordPayment {
            lane: OUT.into(),
            method,
        });
        let Ok(AttendantDone::Paid {
            receipt_no, total, ..
        }) = done
        else {
            panic!("not paid: {done:?}")
        };
        (receipt_no, total, effects)
    }

    /// Hands Nwave messages to the booth as one batch, as the consumer does; what it applied.
    pub fn nwave(
        &mut self,
        payloads: impl IntoIterator<Item = Vec<u8>>,
    ) -> Result<BatchApplied, BatchFailed> {
        let (tx, mut rx) = oneshot::channel();
        let deliveries = payloads
            .into_iter()
            .map(|payload| NwaveDelivery {
                payload,
                origin: Default::default(),
            })
            .collect();
        self.booth().handle(Event::Nwave(NwaveBatch {
            deliveries,
            reply: Some(tx),
        }));
        rx.try_recv().unwrap()
    }

    pub fn count(&self, table: &str) -> i64 {
        self.conn()
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    /// Every row of every table, as text: to prove that a refused request wrote nothing.
    pub fn dump(&self) -> Vec<String> {
        clearpark::store::snapshot::every_row(self.conn()).unwrap()
    }

    pub fn trans_total(&self, account_id: i64) -> Decimal {
        accounts::get(self.conn(), account_id)
            .unwrap()
            .unwrap()
            .trans_total
    }
}

/// The resource `guid` ("Parking") at `price` TMT a minute.
pub fn priced(conn: &rusqlite::Connection, guid: &str, price: &str, at: DateTime<Utc>) {
    resource::upsert(conn, guid, "Parking", price.parse().unwrap(), "TMT", at).unwrap();
}

/// An active account named `name` (plate `REG-{name}`) whose QR holds `code-{name}`.
pub fn driver(conn: &rusqlite::Connection, name: &str) -> Holder {
    seed::account_with_code(
        conn,
        &NewAccount {
            name: name.into(),
            reg_no: Some(format!("REG-{name}")),
            ..NewAccount::default()
        },
        &NewCode::given(format!("code-{name}")),
        t0(),
    )
    .unwrap()
}

/// `n` active accounts named `{prefix} {i}`, each with a random code, in one transaction; their
/// codes in order.
pub fn drivers(
    conn: &rusqlite::Connection,
    prefix: &str,
    n: usize,
    now: DateTime<Utc>,
) -> Vec<String> {
    let tx = conn.unchecked_transaction().unwrap();
    let codes = (0..n)
        .map(|i| {
            let account = NewAccount {
                name: format!("{prefix} {i}"),
                ..NewAccount::default()
            };
            seed::account_with_code(&tx, &account, &NewCode::random(), now)
                .unwrap()
                .device
                .unique_id
        })
        .collect();
    tx.commit().unwrap();
    codes
}

pub fn opens_gate(effects: &[Effect], lane: &str) -> bool {
    effects.iter().any(|e| {
        matches!(e, Effect::Gate { lane: l, command: clearpark::booth::GateCommand::Open } if l == lane)
    })
}

pub fn printed(effects: &[Effect]) -> Vec<&clearpark::booth::PrintJob> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Print { job, .. } => Some(job),
            _ => None,
        })
        .collect()
}

/// Every row of every table of a database file, as text, through a connection of its own (for
/// a booth running on its thread): to prove that a refused request wrote nothing.
pub fn dump_file(path: &std::path::Path) -> Vec<String> {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    clearpark::store::snapshot::every_row(&conn).unwrap()
}
