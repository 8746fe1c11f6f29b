//! A simulated network receipt printer (`clearpark sim printer`): listens like a printer on
//! port 9100, one job per connection, appends every byte to a file and reads each job back
//! ([`super::escpos`]) so that a person can see what would have come out.

use super::escpos::{self, Printout};
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// A connection silent this long is taken as finished.
const IDLE: Duration = Duration::from_secs(10);
/// A job bigger than this is cut short (a real printer's buffer is far smaller).
const MAX_JOB: usize = 4 * 1024 * 1024;

/// One job received.
#[derive(Debug, Clone)]
pub struct Job {
    pub number: u64,
    pub peer: SocketAddr,
    pub bytes: usize,
    pub printout: Printout,
}

/// Accepts jobs until shutdown; each is appended to `out` and reported on `jobs`.
pub async fn serve(
    listener: TcpListener,
    out: PathBuf,
    jobs: mpsc::UnboundedSender<Job>,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let mut number = 0;
    loop {
        let (mut stream, peer) = tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            accepted = listener.accept() => accepted?,
        };
        let mut bytes = Vec::new();
        let mut buf = [0_u8; 4096];
        loop {
            let read = tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                read = tokio::time::timeout(IDLE, stream.read(&mut buf)) => read,
            };
            match read {
                Ok(Ok(0)) | Err(_) => break,
                Ok(Ok(n)) => {
                    let room = MAX_JOB.saturating_sub(bytes.len());
                    bytes.extend_from_slice(&buf[..n.min(room)]);
                }
                Ok(Err(e)) => {
                    tracing::warn!(%peer, error = %e, "printer connection failed");
                    break;
                }
            }
        }
        if bytes.is_empty() {
            continue;
        }
        let (path, job) = (out.clone(), bytes.clone());
        tokio::task::spawn_blocking(move || {
            use std::io::Write;
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)?;
            file.write_all(&job)?;
            file.flush()
        })
        .await
        .map_err(io::Error::other)??;
        number += 1;
        let _ = jobs.send(Job {
            number,
            peer,
            bytes: bytes.len(),
            printout: escpos::read(&bytes),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::printer::Output;
    use crate::domain::receipt::{Document, Line};

    #[tokio::test]
    async fn receives_jobs_from_the_tcp_output_and_reads_them_back() {
        let dir = tempfile::tempdir().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let shutdown = CancellationToken::new();
        let file = dir.path().join("paper.escpos");
        let server = tokio::spawn(serve(listener, file.clone(), tx, shutdown.clone()));
        let doc = Document {
            lines: vec![Line::Text("hello".into()), Line::Qr("Q-1".into())],
        };
        let bytes = crate::devices::printer::render(&doc).unwrap();
        let out = Output::Tcp(addr.to_string());
        let sent = bytes.clone();
        tokio::task::spawn_blocking(move || out.send(&sent))
            .await
            .unwrap()
            .unwrap();
        let job = rx.recv().await.unwrap();
        assert_eq!(job.number, 1);
        assert_eq!(job.bytes, bytes.len());
        assert_eq!(job.printout.qr_codes, ["Q-1"]);
        assert!(job.printout.lines.contains(&"hello".to_string()));
        assert_eq!(std::fs::read(&file).unwrap(), bytes);
        shutdown.cancel();
        server.await.unwrap().unwrap();
    }
}
