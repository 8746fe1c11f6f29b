//! The Nwave cloud at a steady rate: a generated day of sensor sessions, serialised before the
//! run into one buffer, published through the broker by the library's publisher (persistent,
//! mandatory, confirmed) on a schedule; the booth's real consumer takes them from the queue.

use clearpark::config::BrokerSettings;
use clearpark::nwave::publisher::Publisher;
use clearpark::nwave::replay::{self, ReplayPlan, ReplayStats};
use clearpark::nwave::topology;
use lapin::options::{ExchangeDeleteOptions, QueueDeclareOptions, QueueDeleteOptions};
use lapin::types::FieldTable;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

/// Publish what is due this often.
const STEP: Duration = Duration::from_millis(10);

/// Payloads back to back in one allocation, so that they weigh the same from start to end.
pub struct Payloads {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Payloads {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn bytes(&self) -> usize {
        self.bytes.len()
    }

    fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }
}

/// At least `n` messages of a generated day that began yesterday.
pub fn generate(n: usize) -> (Payloads, ReplayStats) {
    let start = (clearpark::booth::clock::now() - chrono::TimeDelta::days(1))
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    let mut plan = ReplayPlan::new(2026, n / 17 + 100, start);
    plan.hours = 24;
    let replay = replay::generate(&plan);
    assert!(replay.messages.len() >= n, "{:?}", replay.stats);
    let mut payloads = Payloads {
        bytes: Vec::new(),
        ends: Vec::with_capacity(n),
    };
    for sent in &replay.messages[..n] {
        payloads
            .bytes
            .extend_from_slice(&sent.message.to_vendor_json());
        payloads.ends.push(payloads.bytes.len());
    }
    payloads.bytes.shrink_to_fit();
    (payloads, replay.stats)
}

/// Whether a broker answers at `url`.
pub async fn broker_up(url: &str) -> Result<(), String> {
    let connect = lapin::Connection::connect(url, Default::default());
    match tokio::time::timeout(Duration::from_secs(5), connect).await {
        Ok(Ok(conn)) => {
            let _ = conn.close(200, "checked".into()).await;
            Ok(())
        }
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("no answer within 5 s".into()),
    }
}

pub struct Report {
    pub wall: Duration,
    /// Confirmed by the broker.
    pub published: usize,
    /// Refused, unroutable, or the payloads ran out before the end.
    pub errors: Vec<String>,
    /// The longest a step's messages waited for their confirms.
    pub slowest_confirm: Duration,
}

/// Publishes `rate` messages a second, in order, until `stop`: each step sends what is due by
/// then (so a slow confirm delays nothing after it), then waits for the steps under way.
pub async fn publish(
    settings: BrokerSettings,
    payloads: Arc<Payloads>,
    rate: f64,
    stop: CancellationToken,
) -> Report {
    let publisher = Arc::new(Publisher::connect(&settings).await.unwrap());
    let confirmed = Arc::new(AtomicUsize::new(0));
    let mut steps: JoinSet<Result<Duration, String>> = JoinSet::new();
    let mut tick = tokio::time::interval(STEP);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut errors = Vec::new();
    let mut slowest_confirm = Duration::ZERO;
    let mut note = |done: Result<Result<Duration, String>, tokio::task::JoinError>| match done {
        Ok(Ok(took)) => slowest_confirm = slowest_confirm.max(took),
        Ok(Err(e)) => errors.push(e),
        Err(e) => errors.push(e.to_string()),
    };
    let begun = Instant::now();
    let mut sent = 0usize;
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            _ = tick.tick() => {}
        }
        while let Some(done) = steps.try_join_next() {
            note(done);
        }
        let due = ((begun.elapsed().as_secs_f64() * rate) as usize).min(payloads.len());
        if due == payloads.len() && sent == due {
            note(Ok(Err(format!(
                "all {} generated messages published before the end",
                payloads.len()
            ))));
            break;
        }
        if due > sent {
            let (publisher, payloads, confirmed) =
                (publisher.clone(), payloads.clone(), confirmed.clone());
            let range = sent..due;
            steps.spawn(async move {
                let t = Instant::now();
                let n = range.len();
                publisher
                    .publish_all(range.map(|i| payloads.get(i)))
                    .await
                    .map_err(|e| e.to_string())?;
                confirmed.fetch_add(n, Ordering::SeqCst);
                Ok(t.elapsed())
            });
            sent = due;
        }
    }
    let wall = begun.elapsed();
    while let Some(done) = steps.join_next().await {
        note(done);
    }
    if let Ok(publisher) = Arc::try_unwrap(publisher) {
        publisher.close().await;
    }
    Report {
        wall,
        published: confirmed.load(Ordering::SeqCst),
        errors,
        slowest_confirm,
    }
}

/// Messages ready in the queue and its consumers (a passive declare).
pub async fn queue_depth(settings: &BrokerSettings) -> Result<(u32, u32), String> {
    let conn = lapin::Connection::connect(&settings.url, Default::default())
        .await
        .map_err(|e| e.to_string())?;
    let channel = conn.create_channel().await.map_err(|e| e.to_string())?;
    let queue = channel
        .queue_declare(
            settings.queue.as_str().into(),
            QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .map_err(|e| e.to_string())?;
    let _ = conn.close(200, "depth".into()).await;
    Ok((queue.message_count(), queue.consumer_count()))
}

/// Deletes the run's queue, its dead-letter queue and exchange.
pub async fn clean_up(settings: &BrokerSettings) {
    let Ok(conn) = lapin::Connection::connect(&settings.url, Default::default()).await else {
        return;
    };
    let Ok(channel) = conn.create_channel().await else {
        return;
    };
    for queue in [
        settings.queue.as_str(),
        topology::dead_letter_queue(settings),
    ] {
        let _ = channel
            .queue_delete(queue.into(), QueueDeleteOptions::default())
            .await;
    }
    let _ = channel
        .exchange_delete(
            settings.dead_letter_exchange.as_str().into(),
            ExchangeDeleteOptions::default(),
        )
        .await;
    let _ = conn.close(200, "clean".into()).await;
}
