//! Publishes messages to the Nwave queue as the Nwave cloud would: persistent, mandatory (an
//! unroutable message is an error, not a silent loss), with publisher confirms. Used by
//! `clearpark nwave publish`, `clearpark nwave replay --publish`, the tests and the benchmark.

use super::{NwaveError, topology};
use crate::config::BrokerSettings;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::{
    BasicProperties, Channel, Confirmation, Connection, ConnectionProperties, PublisherConfirm,
};
use std::collections::VecDeque;

/// Confirms awaited at most at once: keeps the broker busy without unbounded memory.
const CONFIRM_WINDOW: usize = 2000;

pub struct Publisher {
    conn: Connection,
    channel: Channel,
    exchange: String,
    routing_key: String,
    url: String,
}

impl Publisher {
    /// Connects, declares the queue (and binding) as the consumer does, and turns confirms on.
    pub async fn connect(settings: &BrokerSettings) -> Result<Publisher, NwaveError> {
        let url = settings.redacted_url();
        let fail = |context: &'static str| {
            let url = url.clone();
            move |source| NwaveError::Broker {
                url,
                context,
                source,
            }
        };
        let properties = ConnectionProperties::default()
            .with_connection_name("clearpark nwave publisher".into());
        let conn = super::connect(&settings.url, properties)
            .await
            .map_err(fail("connect"))?;
        let channel = topology::declare(&conn, settings)
            .await
            .map_err(fail("declare the queue"))?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(fail("turn publisher confirms on"))?;
        let (exchange, routing_key) = match &settings.exchange {
            Some(e) => (e.clone(), settings.routing_key.clone()),
            None => (String::new(), settings.queue.clone()),
        };
        Ok(Publisher {
            conn,
            channel,
            exchange,
            routing_key,
            url,
        })
    }

    fn fail(&self, context: &'static str) -> impl FnOnce(lapin::Error) -> NwaveError + use<> {
        let url = self.url.clone();
        move |source| NwaveError::Broker {
            url,
            context,
            source,
        }
    }

    /// Publishes every payload in order and waits until the broker has confirmed each; returns
    /// how many. Stops at the first one refused or unroutable.
    pub async fn publish_all<'p>(
        &self,
        payloads: impl IntoIterator<Item = &'p [u8]>,
    ) -> Result<usize, NwaveError> {
        let mut pending: VecDeque<(usize, PublisherConfirm)> = VecDeque::new();
        let mut count = 0;
        for (index, payload) in payloads.into_iter().enumerate() {
            if pending.len() >= CONFIRM_WINDOW
                && let Some((i, confirm)) = pending.pop_front()
            {
                self.confirmed(i, confirm).await?;
            }
            let properties = BasicProperties::default()
                .with_content_type("application/json".into())
                .with_delivery_mode(2);
            let confirm = self
                .channel
                .basic_publish(
                    self.exchange.as_str().into(),
                    self.routing_key.as_str().into(),
                    BasicPublishOptions {
                        mandatory: true,
                        ..BasicPublishOptions::default()
                    },
                    payload,
                    properties,
                )
                .await
                .map_err(self.fail("publish"))?;
            pending.push_back((index, confirm));
            count += 1;
        }
        while let Some((i, confirm)) = pending.pop_front() {
            self.confirmed(i, confirm).await?;
        }
        Ok(count)
    }

    async fn confirmed(&self, index: usize, confirm: PublisherConfirm) -> Result<(), NwaveError> {
        match confirm.await.map_err(self.fail("wait for the confirm"))? {
            Confirmation::Ack(None) | Confirmation::NotRequested => Ok(()),
            Confirmation::Ack(Some(_)) => Err(NwaveError::Unroutable { index }),
            Confirmation::Nack(_) => Err(NwaveError::Refused { index }),
        }
    }

    pub async fn close(self) {
        let _ = self.conn.close(200, "published".into()).await;
    }
}
