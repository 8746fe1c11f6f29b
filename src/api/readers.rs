//! Reads for the API: a small pool of read-only connections used on the blocking pool, so that
//! a long list never holds up the async workers, and never the booth (WAL: readers do not block
//! the writer).

use super::error::ApiError;
use crate::store::read::{self, Reader};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

/// Reads that may run at once; more wait their turn.
pub const READERS: usize = 4;

pub struct ReadPool {
    path: PathBuf,
    idle: Mutex<Vec<Reader>>,
    permits: Semaphore,
}

impl ReadPool {
    pub fn new(path: PathBuf) -> Arc<ReadPool> {
        Arc::new(ReadPool {
            path,
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(READERS),
        })
    }

    /// Runs `f` on a read-only connection on the blocking pool.
    pub async fn read<T, F>(self: &Arc<Self>, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Reader) -> read::Result<T> + Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| ApiError::Internal("the read pool is closed".into()))?;
        let pool = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let reader = match pool.idle.lock().unwrap_or_else(|p| p.into_inner()).pop() {
                Some(reader) => reader,
                None => Reader::open(&pool.path)?,
            };
            let result = f(&reader);
            pool.idle
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(reader);
            result.map_err(ApiError::from)
        })
        .await
        .map_err(|e| ApiError::Internal(format!("a read task failed: {e}")))?
    }
}
