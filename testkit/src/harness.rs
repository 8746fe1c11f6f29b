//! The runner of the test files whose cases need a service of the machine: RabbitMQ, or the gate
//! firmware built for simavr. Such a case, when its service is missing, is counted as *ignored*
//! in the runner's own summary with the reason (`test x ... ignored (no RabbitMQ at ...)`), never
//! as passed; under `CLEARPARK_REQUIRE_BROKER=1` / `CLEARPARK_REQUIRE_FIRMWARE=1` (CI) it fails.
//!
//! A file using it is a `[[test]]` with `harness = false` whose `main` lists its cases:
//!
//! ```text
//! fn main() {
//!     harness::main(vec![
//!         harness::case("plain", None, plain),
//!         harness::case("with_the_broker", Some(Need::Broker), || harness::block_on(with_the_broker())),
//!     ]);
//! }
//! ```

use lapin::uri::AMQPUri;
use libtest_mimic::{Arguments, Completion, Failed, Trial};
use std::future::Future;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A service a case cannot run without.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// The RabbitMQ at `amqp://guest:guest@127.0.0.1:5672/%2f` (or `CLEARPARK_TEST_AMQP_URL`)
    /// and `rabbitmqctl`, which the tests use to read queue depths and stop the broker's app.
    Broker,
    /// `firmware/build/gate-sim.elf` and its simavr harness `firmware/build/sim/gate-sim`.
    Firmware,
}

impl Need {
    /// The variable that turns a missing service into a failure.
    fn required_by(self) -> &'static str {
        match self {
            Need::Broker => "CLEARPARK_REQUIRE_BROKER",
            Need::Firmware => "CLEARPARK_REQUIRE_FIRMWARE",
        }
    }

    fn is_required(self) -> bool {
        std::env::var(self.required_by()).as_deref() == Ok("1")
    }

    /// Why the service cannot be used, or `None` when it can.
    fn missing(self) -> Option<String> {
        match self {
            Need::Broker => broker_missing(),
            Need::Firmware => {
                let (harness, elf) = firmware_files();
                (!harness.exists() || !elf.exists()).then(|| {
                    "the firmware for simavr is not built (make -C firmware && make -C firmware/sim)"
                        .to_owned()
                })
            }
        }
    }
}

/// The broker the tests use.
pub fn broker_url() -> String {
    std::env::var("CLEARPARK_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// The simavr harness and the firmware image it runs.
pub fn firmware_files() -> (PathBuf, PathBuf) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit/ inside the project")
        .join("firmware/build");
    (root.join("sim/gate-sim"), root.join("gate-sim.elf"))
}

fn broker_missing() -> Option<String> {
    let url = broker_url();
    // The AMQP port answering is what the cases need first; they connect with the client (whose
    // refused connection takes seconds to report, too long to ask for every case).
    let uri: AMQPUri = match url.parse() {
        Ok(uri) => uri,
        Err(e) => return Some(format!("{url} is not an AMQP URL: {e}")),
    };
    let address = (uri.authority.host.as_str(), uri.authority.port);
    let reachable = address
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .map(|addr| TcpStream::connect_timeout(&addr, Duration::from_secs(2)));
    match reachable {
        Some(Ok(_)) => {}
        Some(Err(e)) => return Some(format!("no RabbitMQ at {url}: {e}")),
        None => {
            return Some(format!(
                "no RabbitMQ at {url}: the address does not resolve"
            ));
        }
    }
    match std::process::Command::new("rabbitmqctl")
        .arg("--version")
        .output()
    {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(format!("rabbitmqctl --version exited with {}", out.status)),
        Err(e) => Some(format!("rabbitmqctl cannot run: {e}")),
    }
}

/// A case named `name`; with a `need`, it is ignored (or fails, when required) without it.
pub fn case(name: &str, need: Option<Need>, run: impl FnOnce() + Send + 'static) -> Trial {
    let name = name.to_owned();
    Trial::ignorable_test(name.clone(), move || {
        if let Some(need) = need
            && let Some(why) = need.missing()
        {
            if need.is_required() {
                return Err(Failed::from(format!("{why} ({}=1)", need.required_by())));
            }
            eprintln!("\n!!!!!!!! SKIPPED {name}: {why} !!!!!!!!\n");
            return Ok(Completion::ignored_with(why));
        }
        run();
        Ok(Completion::Completed)
    })
}

/// Runs an async case on a runtime of its own, as `#[tokio::test(flavor = "multi_thread",
/// worker_threads = 2)]` does.
pub fn block_on<F: Future<Output = ()>>(future: F) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime for the case")
        .block_on(future);
}

/// Runs the cases as `cargo test` would (filters, `--list`, `--test-threads`, `--ignored`) and
/// exits with the runner's status.
pub fn main(cases: Vec<Trial>) -> ! {
    libtest_mimic::run(&Arguments::from_args(), cases).exit()
}
