//! What the consumer and the publisher declare (idempotently) before they start: the
//! dead-letter exchange with its queue, the durable session queue pointing at it, and the
//! optional binding to the exchange the Nwave endpoint publishes to.

use crate::config::BrokerSettings;
use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, Connection, ExchangeKind};

/// The dead-letter queue's name: the dead-letter exchange's.
pub fn dead_letter_queue(settings: &BrokerSettings) -> &str {
    &settings.dead_letter_exchange
}

fn durable_exchange() -> ExchangeDeclareOptions {
    ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    }
}

/// Declares everything on a channel of `conn`; returns the channel to use afterwards (a new one
/// when the queue already existed with other arguments and the first channel was closed).
pub async fn declare(conn: &Connection, settings: &BrokerSettings) -> lapin::Result<Channel> {
    let channel = conn.create_channel().await?;
    let dlx = settings.dead_letter_exchange.as_str();
    channel
        .exchange_declare(
            dlx.into(),
            ExchangeKind::Fanout,
            durable_exchange(),
            FieldTable::default(),
        )
        .await?;
    channel
        .queue_declare(
            dead_letter_queue(settings).into(),
            QueueDeclareOptions::durable(),
            FieldTable::default(),
        )
        .await?;
    channel
        .queue_bind(
            dead_letter_queue(settings).into(),
            dlx.into(),
            "".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    let mut arguments = FieldTable::default();
    arguments.insert(
        "x-dead-letter-exchange".into(),
        AMQPValue::LongString(dlx.into()),
    );
    let queue = settings.queue.as_str();
    let channel = match channel
        .queue_declare(queue.into(), QueueDeclareOptions::durable(), arguments)
        .await
    {
        Ok(_) => channel,
        Err(e) => {
            // Created beforehand (by the Nwave endpoint's set-up) with other arguments: the broker
            // closed the channel. Use the queue as it is, on a new channel.
            let channel = conn.create_channel().await?;
            let passive = QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            };
            channel
                .queue_declare(queue.into(), passive, FieldTable::default())
                .await?;
            tracing::warn!(queue, error = %e, "the Nwave queue exists with other arguments: rejected messages go where its own settings say, not to {dlx}");
            channel
        }
    };
    if let Some(exchange) = &settings.exchange {
        channel
            .exchange_declare(
                exchange.as_str().into(),
                ExchangeKind::Topic,
                durable_exchange(),
                FieldTable::default(),
            )
            .await?;
        channel
            .queue_bind(
                queue.into(),
                exchange.as_str().into(),
                settings.routing_key.as_str().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
    }
    Ok(channel)
}
