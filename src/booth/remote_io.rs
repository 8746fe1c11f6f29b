//! A remote IO device reporting its address (`GET /set-ip/`): a write, so it goes through the
//! booth like every other. The API has already checked the device's key.

use super::{Booth, Decision, Waiting};
use crate::store::remote_io;
use chrono::{DateTime, Utc};
use tokio::sync::oneshot;

#[derive(Debug)]
pub struct RemoteIoReport {
    /// The device's name in `[api.device_keys]`.
    pub device: String,
    /// Hex SHA-256 of the key it presented; the key itself never reaches the booth.
    pub key_sha256: String,
    /// The IP address the request came from, without its port.
    pub address: String,
    /// Answered with the time recorded, once committed.
    pub reply: Option<oneshot::Sender<Result<DateTime<Utc>, RemoteIoFailed>>>,
}

/// The report could not be written; nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the booth could not record the device's address; nothing was changed")]
pub struct RemoteIoFailed;

impl Booth {
    pub(super) fn remote_io(&mut self, report: RemoteIoReport) -> Decision {
        let now = self.clock.now();
        let result = remote_io::record(
            self.store.conn(),
            &report.device,
            &report.key_sha256,
            &report.address,
            now,
        );
        let RemoteIoReport {
            device,
            address,
            reply,
            ..
        } = report;
        if let Err(e) = result {
            tracing::error!(device, error = %e, "remote IO report not recorded");
            if let Some(reply) = reply {
                let _ = reply.send(Err(RemoteIoFailed));
            }
            return Decision::nothing();
        }
        Decision::effects(Vec::new(), Waiting::Remote).answered(move |durable| {
            let answer = match durable {
                Ok(()) => {
                    tracing::info!(device, address, "remote IO device reported its address");
                    Ok(now)
                }
                Err(e) => {
                    tracing::error!(device, error = %e, "remote IO report not on disk");
                    Err(RemoteIoFailed)
                }
            };
            if let Some(reply) = reply {
                let _ = reply.send(answer);
            }
        })
    }
}
