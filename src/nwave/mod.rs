//! The Nwave adapter: RabbitMQ in and out (lapin, tokio).
//!
//! * [`topology`] — the durable queue, its optional exchange binding and the dead-letter exchange.
//! * [`consumer`] — consumes in batches, has the booth apply each batch in one transaction, and
//!   acknowledges (multiple) only after the commit; reconnects with backoff.
//! * [`publisher`] — publishes messages with publisher confirms (`clearpark nwave publish`, tests).
//! * [`replay`] — a realistic day of traffic from a seed.

pub mod consumer;
pub mod publisher;
pub mod replay;
pub mod topology;

use lapin::{Connection, ConnectionProperties};
use std::sync::OnceLock;

/// lapin's connection thread retries on its own schedule, possibly while the program's runtime
/// is shutting down (Ctrl-C during a broker outage), and would then panic. Its timers and I/O
/// run on this small runtime instead, which lives until the process exits.
fn lapin_runtime() -> std::io::Result<async_rs::TokioRuntime> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    let built = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("lapin-runtime")
            .on_thread_start(crate::priority::lower_this_thread)
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    });
    match built {
        Ok(rt) => Ok(async_rs::Runtime::tokio_with_handle(rt.handle().clone())),
        Err(e) => Err(std::io::Error::other(format!(
            "cannot start the RabbitMQ client's runtime: {e}"
        ))),
    }
}

/// Connects on [`lapin_runtime`].
pub(crate) async fn connect(
    url: &str,
    properties: ConnectionProperties,
) -> lapin::Result<Connection> {
    let runtime = lapin_runtime()
        .map_err(|e| lapin::Error::from(lapin::ErrorKind::IOError(std::sync::Arc::new(e))))?;
    Connection::connect_with_runtime(url, properties, runtime).await
}

/// A broker operation that failed, with what was being done.
#[derive(Debug, thiserror::Error)]
pub enum NwaveError {
    #[error("RabbitMQ at {url}: {context}: {source}")]
    Broker {
        url: String,
        context: &'static str,
        #[source]
        source: lapin::Error,
    },
    #[error("the broker did not route message {index} to any queue (is the queue bound?)")]
    Unroutable { index: usize },
    #[error("the broker refused message {index} (negative publisher confirm)")]
    Refused { index: usize },
}
