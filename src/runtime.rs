//! Starts a whole booth from a config: the booth thread, each lane's devices (on a thread of
//! their own, [`devices::run_on_own_thread`]), the Nwave consumer when `[nwave]` names a
//! broker, and the API ([`Running::serve_api`]), all under one shutdown token. The binary's
//! `run` and `demo` and the integration tests start booths through here.

use crate::api::{self, ApiStartError, ApiState};
use crate::booth::clock::Clock;
use crate::booth::{Booth, BoothClient, BoothError, BoothHandle, Snapshot};
use crate::config::{ApiConfig, Config};
use crate::devices::{self, DeviceOptions};
use crate::store::Store;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// A running booth and its adapters.
pub struct Running {
    pub booth: BoothHandle,
    /// Cancelled on Ctrl-C, `q`, or [`Running::stop`]; every task watches it.
    pub shutdown: CancellationToken,
    tasks: JoinSet<()>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Booth(#[from] BoothError),
    #[error("cannot start the booth thread: {0}")]
    Thread(#[from] std::io::Error),
    #[error(transparent)]
    Api(#[from] ApiStartError),
}

impl Running {
    /// Starts the booth on `store` with the config's lanes. Must be called inside a tokio runtime.
    pub fn start(
        config: &Config,
        store: Store,
        clock: Box<dyn Clock>,
        devices: DeviceOptions,
    ) -> Result<Running, StartError> {
        let booth = Booth::new(store, config, clock)?;
        let (effects_tx, effects_rx) = mpsc::unbounded_channel();
        let handle = BoothHandle::spawn(booth, effects_tx)?;
        let shutdown = CancellationToken::new();
        let mut tasks = JoinSet::new();
        tasks.spawn(devices::run_on_own_thread(
            config.lanes.clone(),
            devices,
            effects_rx,
            handle.client.clone(),
            shutdown.clone(),
        )?);
        if let Some(broker) = config.nwave.as_ref().and_then(|n| n.broker.clone()) {
            tasks.spawn(crate::nwave::consumer::run(
                broker,
                handle.client.clone(),
                shutdown.clone(),
            ));
        }
        Ok(Running {
            booth: handle,
            shutdown,
            tasks,
        })
    }

    pub fn client(&self) -> BoothClient {
        self.booth.client.clone()
    }

    pub fn snapshots(&self) -> watch::Receiver<Snapshot> {
        self.booth.snapshots.clone()
    }

    /// Starts the HTTP API on this runtime under the same shutdown. `listener` is a socket
    /// already bound (the demo's fallback port), or `None` to bind `api.listen`; `clock` prices
    /// drivers' sessions so far (the booth's clock). Returns the address it listens on.
    pub async fn serve_api(
        &mut self,
        config: &Config,
        api: ApiConfig,
        clock: Arc<dyn Clock + Sync>,
        listener: Option<std::net::TcpListener>,
    ) -> Result<SocketAddr, StartError> {
        let state = ApiState::new(config, api, self.client(), self.snapshots(), clock);
        let listening = api::start(state, listener, self.shutdown.clone()).await?;
        self.tasks.spawn(listening.server);
        Ok(listening.addr)
    }

    /// Adds a task that lives as long as the booth (traffic, API server...).
    pub fn spawn<F>(&mut self, task: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        self.tasks.spawn(task);
    }

    /// Stops every task, then the booth after the events already queued.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        while self.tasks.join_next().await.is_some() {}
        self.booth.stop().await;
    }
}
