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
