//! Consumes the Nwave queue: collects deliveries into batches (up to half the prefetch, or what
//! came within the linger), has the booth apply each batch (in parts, one transaction each),
//! and acknowledges the batch's last delivery with `multiple` only after the booth answers that
//! it is on disk.
//!
//! Two batches may be with the booth at once, so that the next one fills while one commits; they
//! are answered, and acknowledged, in order. A batch the booth could not commit (a database error)
//! is nacked with requeue and the consumer backs off. A channel or connection failure is left to
//! lapin's recovery (`enable_auto_recover`, a few quick attempts): deliveries not yet
//! acknowledged come again, and applying a message twice changes nothing. When recovery gives
//! up or takes over 20 s, an outer loop reconnects with exponential backoff (1 s doubling to
//! 60 s). Every change of the link, and a beat every second, goes to the booth; the link is
//! looked at before the deliveries waiting in the client's buffer, and an ack under way is given
//! up as soon as the connection goes, so the screen learns of a lost link within a moment.

use super::NwaveError;
use super::topology;
use crate::booth::{
    BatchApplied, BatchFailed, BoothClient, Event, NwaveBatch, NwaveDelivery, NwaveLink,
};
use crate::config::BrokerSettings;
use crate::domain::nwave::DeliveryOrigin;
use futures_lite::StreamExt;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions, BasicRejectOptions,
};
use lapin::types::FieldTable;
use lapin::{Acker, ConnectionProperties};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::{Instant, sleep, sleep_until};
use tokio_util::sync::CancellationToken;

/// Batches with the booth at once.
const IN_FLIGHT: usize = 2;
/// The link's beat to the booth: keeps overstay and the occupancy summary current.
const BEAT: Duration = Duration::from_secs(1);
/// How often the connection's state is looked at.
const STATUS_POLL: Duration = Duration::from_millis(250);
/// How often an acknowledgement under way looks at the connection.
const CONNECTION_POLL: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How long lapin's own recovery of a failed channel may take (its attempts take about 7 s)
/// before the consumer starts again from a new connection.
const RECOVERY_PATIENCE: Duration = Duration::from_secs(20);
/// How long connecting, and declaring and consuming the queue, may take.
const SETUP_PATIENCE: Duration = Duration::from_secs(30);
/// How long an acknowledgement may take before the pump stops waiting for it.
const SETTLE_PATIENCE: Duration = Duration::from_secs(5);

/// `1 s, 2 s, 4 s ... 60 s` after the `failures`-th failure in a row.
pub fn backoff(failures: u32) -> Duration {
    let secs = 1u64 << failures.saturating_sub(1).min(6);
    Duration::from_secs(secs).min(MAX_BACKOFF)
}

/// Why a connection's consuming ended without an error.
enum Ended {
    Shutdown,
    BoothGone,
}

/// Consumes until shutdown or until the booth stops, reconnecting whenever the broker goes.
pub async fn run(settings: BrokerSettings, booth: BoothClient, shutdown: CancellationToken) {
    let mut failures = 0u32;
    loop {
        if booth
            .nwave_link(NwaveLink::Connecting { attempt: failures })
            .await
            .is_err()
        {
            return;
        }
        match consume(&settings, &booth, &shutdown, &mut failures).await {
            Ok(Ended::BoothGone) => return,
            Ok(Ended::Shutdown) => break,
            Err(e) => {
                failures += 1;
                let delay = backoff(failures);
                let retry_at = crate::booth::clock::now()
                    + chrono::TimeDelta::from_std(delay).unwrap_or_default();
                tracing::warn!(error = %e, retry_in = ?delay, "Nwave consumer disconnected");
                let link = NwaveLink::Reconnecting {
                    attempt: failures,
                    retry_at: Some(retry_at),
                    error: e.to_string(),
                };
                if booth.nwave_link(link).await.is_err() {
                    return;
                }
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = sleep(delay) => {}
                }
            }
        }
    }
    let _ = booth.nwave_link(NwaveLink::Stopped).await;
}

/// One connection: set up, then pump deliveries to the booth until something ends it.
async fn consume(
    settings: &BrokerSettings,
    booth: &BoothClient,
    shutdown: &CancellationToken,
    failures: &mut u32,
) -> Result<Ended, NwaveError> {
    let url = settings.redacted_url();
    let fail = |context: &'static str| {
        let url = url.clone();
        move |source| NwaveError::Broker {
            url,
            context,
            source,
        }
    };
    // lapin recovers a blip by itself (a few quick attempts, about 7 s in all); a longer outage
    // comes back here, where the backoff is ours and shows on screen.
    let properties = ConnectionProperties::default()
        .with_connection_name("clearpark nwave consumer".into())
        .configure_backoff(|b| {
            b.with_min_delay(Duration::from_millis(500))
                .with_max_delay(Duration::from_secs(4))
                .with_max_times(4)
        })
        .enable_auto_recover();
    tracing::info!(
        url,
        queue = settings.queue,
        "connecting to the Nwave broker"
    );
    let conn = tokio::select! {
        () = shutdown.cancelled() => return Ok(Ended::Shutdown),
        c = within(SETUP_PATIENCE, super::connect(&settings.url, properties)) => {
            c.map_err(fail("connect"))?
        }
    };
    let result = async {
        let set_up = async {
            let channel = topology::declare(&conn, settings)
                .await
                .map_err(fail("declare the queue"))?;
            channel
                .basic_qos(settings.prefetch, BasicQosOptions::default())
                .await
                .map_err(fail("set the prefetch"))?;
            let consumer = channel
                .basic_consume(
                    settings.queue.as_str().into(),
                    format!("clearpark-{}", std::process::id()).into(),
                    BasicConsumeOptions::default(),
                    FieldTable::default(),
                )
                .await
                .map_err(fail("consume"))?;
            Ok((channel, consumer))
        };
        let (channel, consumer) = tokio::time::timeout(SETUP_PATIENCE, set_up)
            .await
            .unwrap_or_else(|_| Err(fail("set up the channel")(timed_out(SETUP_PATIENCE))))?;
        *failures = 0;
        tracing::info!(url, queue = settings.queue, "Nwave consumer connected");
        let mut pump = Pump {
            settings,
            booth,
            status: conn.status().clone(),
            channel,
            consumer,
            in_flight: VecDeque::new(),
            link: NwaveLink::Connected {
                since: crate::booth::clock::now(),
            },
            db_failures: 0,
            lost_since: None,
        };
        pump.run(shutdown).await.map_err(fail("consume"))
    }
    .await;
    // Unacknowledged deliveries go back to the queue when the connection closes (or, if the
    // broker has gone, when it notices).
    let _ = within(
        SETTLE_PATIENCE,
        conn.close(200, "clearpark stopping".into()),
    )
    .await;
    result
}

/// A lapin error for an operation given up after `patience`.
fn timed_out(patience: Duration) -> lapin::Error {
    let e = std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!("no answer within {patience:?}"),
    );
    lapin::ErrorKind::IOError(std::sync::Arc::new(e)).into()
}

/// `operation`, given up after `patience`: lapin leaves some futures pending for good when the
/// broker goes at the wrong moment (an RPC whose channel died, a recovery that gave up).
async fn within<T>(
    patience: Duration,
    operation: impl Future<Output = lapin::Result<T>>,
) -> lapin::Result<T> {
    tokio::time::timeout(patience, operation)
        .await
        .unwrap_or_else(|_| Err(timed_out(patience)))
}

/// Sends an ack, nack or reject, and gives up waiting for it after `patience`, at once when
/// the connection is down, and as soon as it goes down meanwhile: lapin never completes one
/// that it drops because its channel has just died (its resolver is dropped unanswered), and
/// the pump, stuck there, would neither see the link go down nor take the next delivery. What
/// is not acknowledged is delivered again, which changes nothing.
async fn to_broker(
    connected: impl Fn() -> bool,
    patience: Duration,
    settle: impl Future<Output = lapin::Result<bool>>,
) -> Result<bool, String> {
    if !connected() {
        return Err("the connection is down".into());
    }
    tokio::select! {
        settled = within(patience, settle) => settled.map_err(|e| e.to_string()),
        () = async { while connected() { sleep(CONNECTION_POLL).await } } => {
            Err("the connection went down".into())
        }
    }
}

/// A batch with the booth: its answer and the acknowledgement of its last delivery.
struct InFlight {
    answer: oneshot::Receiver<Result<BatchApplied, BatchFailed>>,
    last: Acker,
    messages: usize,
}

struct Pump<'a> {
    settings: &'a BrokerSettings,
    booth: &'a BoothClient,
    /// The connection's state: lapin recovers it silently, the screen should know.
    status: lapin::ConnectionStatus,
    channel: lapin::Channel,
    consumer: lapin::Consumer,
    in_flight: VecDeque<InFlight>,
    link: NwaveLink,
    db_failures: u32,
    /// When lapin started recovering the connection, while it is.
    lost_since: Option<Instant>,
}

async fn first_answer(
    in_flight: &mut VecDeque<InFlight>,
) -> Option<Result<BatchApplied, BatchFailed>> {
    match in_flight.front_mut() {
        Some(f) => (&mut f.answer).await.ok(),
        None => std::future::pending().await,
    }
}

impl Pump<'_> {
    async fn run(&mut self, shutdown: &CancellationToken) -> lapin::Result<Ended> {
        if self.booth.nwave_link(self.link.clone()).await.is_err() {
            return Ok(Ended::BoothGone);
        }
        let max_batch = usize::from(self.settings.prefetch / 2).max(1);
        let mut batch: Vec<Delivery> = Vec::new();
        let mut deadline: Option<Instant> = None;
        let mut beat = tokio::time::interval(BEAT);
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut watch = tokio::time::interval(STATUS_POLL);
        watch.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let due = deadline.is_some_and(|d| d <= Instant::now()) || batch.len() >= max_batch;
            if !batch.is_empty() && due && self.in_flight.len() < IN_FLIGHT {
                deadline = None;
                if !self.dispatch(std::mem::take(&mut batch)).await {
                    return Ok(Ended::BoothGone);
                }
                continue;
            }
            let waiting_room = self.in_flight.len() < IN_FLIGHT;
            tokio::select! {
                biased;
                () = shutdown.cancelled() => {
                    // Finish what the booth already has; the rest returns to the queue.
                    self.settle_all().await;
                    return Ok(Ended::Shutdown);
                }
                // The link before deliveries: a buffer of deliveries always ready must not
                // keep the screen from learning that the connection went down.
                _ = beat.tick() => {
                    if self.booth.nwave_link(self.link.clone()).await.is_err() {
                        return Ok(Ended::BoothGone);
                    }
                }
                _ = watch.tick() => {
                    if !self.watch_connection().await? {
                        return Ok(Ended::BoothGone);
                    }
                }
                answer = first_answer(&mut self.in_flight) => {
                    if let Some(done) = self.in_flight.pop_front() {
                        self.settle(done, answer).await;
                    }
                    if self.db_failures > 0 {
                        self.settle_all().await;
                        let delay = backoff(self.db_failures);
                        tracing::warn!(retry_in = ?delay, "Nwave batch requeued after a database error; backing off");
                        tokio::select! {
                            () = shutdown.cancelled() => return Ok(Ended::Shutdown),
                            () = sleep(delay) => {}
                        }
                    }
                }
                () = sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() && waiting_room => {}
                next = self.consumer.next(), if batch.len() < max_batch => match next {
                    Some(Ok(delivery)) => {
                        if batch.is_empty() {
                            deadline = Some(Instant::now() + self.settings.batch_linger);
                        }
                        batch.push(delivery);
                    }
                    Some(Err(e)) => {
                        // The channel failed: what it delivered and we did not acknowledge comes
                        // again after recovery. Batches with the booth still commit (harmless:
                        // applying twice changes nothing); their acknowledgements are void.
                        batch.clear();
                        deadline = None;
                        self.settle_all().await;
                        tracing::warn!(error = %e, "Nwave channel failed; waiting for lapin's recovery");
                        self.link = NwaveLink::Reconnecting {
                            attempt: 1,
                            retry_at: None,
                            error: e.to_string(),
                        };
                        if self.booth.nwave_link(self.link.clone()).await.is_err() {
                            return Ok(Ended::BoothGone);
                        }
                        // lapin's recovery never says when it gives up: its notifier just does
                        // not fire. Past its few attempts, start again from a new connection.
                        within(RECOVERY_PATIENCE, self.channel.wait_for_recovery(e)).await?;
                        tracing::info!("Nwave channel recovered");
                        self.link = NwaveLink::Connected { since: crate::booth::clock::now() };
                        if self.booth.nwave_link(self.link.clone()).await.is_err() {
                            return Ok(Ended::BoothGone);
                        }
                    }
                    None => {
                        return Err(lapin::ErrorKind::InvalidChannelState(
                            lapin::ChannelState::Closed,
                            "the broker cancelled the consumer",
                        )
                        .into());
                    }
                },
            }
        }
    }

    /// Tells the booth when lapin starts or finishes recovering the connection. `false` when
    /// the booth has gone; an error when lapin's recovery has taken longer than
    /// [`RECOVERY_PATIENCE`]: past its few attempts it may never come back, even once the
    /// broker has, so the consumer starts again on a new connection.
    async fn watch_connection(&mut self) -> lapin::Result<bool> {
        let connected = self.status.connected();
        self.lost_since = match (connected, self.lost_since) {
            (true, _) => None,
            (false, None) => Some(Instant::now()),
            (false, Some(since)) if since.elapsed() > RECOVERY_PATIENCE => {
                return Err(timed_out(RECOVERY_PATIENCE));
            }
            (false, since) => since,
        };
        let shown = matches!(self.link, NwaveLink::Connected { .. });
        if connected == shown {
            return Ok(true);
        }
        self.link = if connected {
            tracing::info!("Nwave connection recovered");
            NwaveLink::Connected {
                since: crate::booth::clock::now(),
            }
        } else {
            tracing::warn!("Nwave connection lost; lapin is recovering it");
            NwaveLink::Reconnecting {
                attempt: 1,
                retry_at: None,
                error: "connection lost; recovering".into(),
            }
        };
        Ok(self.booth.nwave_link(self.link.clone()).await.is_ok())
    }

    /// Sends a batch to the booth; rejects (to the dead-letter exchange) what is too large to
    /// store. `false` when the booth has gone.
    async fn dispatch(&mut self, batch: Vec<Delivery>) -> bool {
        let mut deliveries = Vec::with_capacity(batch.len());
        let mut last = None;
        for d in batch {
            if d.data.len() > self.settings.max_message_bytes {
                tracing::warn!(
                    bytes = d.data.len(),
                    "Nwave message too large: rejected to the dead-letter exchange"
                );
                let reject = d.acker.reject(BasicRejectOptions { requeue: false });
                if let Err(e) = to_broker(|| self.status.connected(), SETTLE_PATIENCE, reject).await
                {
                    tracing::warn!(error = %e, "cannot reject the oversized Nwave message");
                }
                continue;
            }
            last = Some(d.acker.clone());
            let origin = DeliveryOrigin {
                exchange: Some(d.exchange.as_str().to_owned()).filter(|e| !e.is_empty()),
                routing_key: Some(d.routing_key.as_str().to_owned()),
            };
            deliveries.push(NwaveDelivery {
                payload: d.data,
                origin,
            });
        }
        let Some(last) = last else {
            return true;
        };
        let messages = deliveries.len();
        let (reply, answer) = oneshot::channel();
        let event = Event::Nwave(NwaveBatch {
            deliveries,
            reply: Some(reply),
        });
        if self.booth.send(event).await.is_err() {
            return false;
        }
        self.in_flight.push_back(InFlight {
            answer,
            last,
            messages,
        });
        true
    }

    /// Acknowledges a committed batch, or requeues one that was not.
    async fn settle(&mut self, done: InFlight, answer: Option<Result<BatchApplied, BatchFailed>>) {
        match answer {
            Some(Ok(_)) => {
                self.db_failures = 0;
                let ack = done.last.ack(BasicAckOptions { multiple: true });
                match to_broker(|| self.status.connected(), SETTLE_PATIENCE, ack).await {
                    Ok(true) => {}
                    Ok(false) => tracing::info!(
                        messages = done.messages,
                        "committed Nwave batch not acknowledged (the channel was recovered): the broker delivers it again, which changes nothing"
                    ),
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot acknowledge a committed Nwave batch; it will be delivered again")
                    }
                }
            }
            Some(Err(failed)) => {
                self.db_failures += 1;
                tracing::error!(error = %failed, messages = done.messages, "Nwave batch requeued");
                let nack = BasicNackOptions {
                    multiple: true,
                    requeue: true,
                };
                if let Err(e) = to_broker(
                    || self.status.connected(),
                    SETTLE_PATIENCE,
                    done.last.nack(nack),
                )
                .await
                {
                    tracing::warn!(error = %e, "cannot requeue an Nwave batch; the broker redelivers it on reconnect");
                }
            }
            // The booth dropped the answer (stopping): not committed for sure, so not acknowledged.
            None => {}
        }
    }

    async fn settle_all(&mut self) {
        while let Some(mut done) = self.in_flight.pop_front() {
            let answer = (&mut done.answer).await.ok();
            self.settle(done, answer).await;
        }
    }
}

#[cfg(test)]
mod tests;
