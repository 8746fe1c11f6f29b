//! A remote IO device reporting its address (`GET /set-ip/`): a write, so it goes through the
//! booth like every other. The API has already checked the device's key.

use super::Booth;
use crate::store::remote_io;
use chrono::{DateTime, Utc};
use tokio::sync::oneshot;

#[derive(Debug)]
pub struct RemoteIoReport {
    /// The device's name in `[api.device_keys]`.
    pub device: String,
    /// Hex SHA-256 of the key it presented; the key itself never reaches the booth.
    pub key_sha256: String,
    /// The peer address of the request, `ip:port`.
    pub address: String,
    /// Answered with the time recorded, once committed.
    pub reply: Option<oneshot::Sender<Result<DateTime<Utc>, RemoteIoFailed>>>,
}

/// The report could not be written; nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the booth could not record the device's address; nothing was changed")]
pub struct RemoteIoFailed;

impl Booth {
    pub(super) fn remote_io(&mut self, report: RemoteIoReport) {
        let now = self.clock.now();
        let result = self.background_write(|store| {
            remote_io::record(
                store.conn(),
                &report.device,
                &report.key_sha256,
                &report.address,
                now,
            )
        });
        if let Err(e) = result {
            tracing::error!(device = report.device, error = %e, "remote IO report not recorded");
            if let Some(reply) = report.reply {
                let _ = reply.send(Err(RemoteIoFailed));
            }
            return;
        }
        self.after_background_write();
        let RemoteIoReport {
            device,
            address,
            reply,
            ..
        } = report;
        self.when_durable(move |synced| {
            let answer = match synced {
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
        });
    }
}
