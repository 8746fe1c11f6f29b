//! A lane's serial QR scanner (docs/contracts.md §5): one code per line (CR, LF or CRLF), repeats
//! within 2 s dropped ([`crate::domain::repeat`]), each scan sent to the booth, which validates
//! it ([`crate::domain::qr`]) and decides. The port gone: the lane shows the scanner offline
//! and the port is reopened every second until it is back.

use crate::booth::{BoothClient, DeviceKind, ScanSource};
use crate::config::SerialSpec;
use crate::devices::lines::{LineEnd, LineSplitter, Piece};
use crate::devices::serial::Port;
use crate::domain::qr::MAX_CODE_BYTES;
use crate::domain::repeat::RepeatFilter;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// RS-232 scanners' usual factory speed (USB-CDC ones ignore it).
pub const DEFAULT_BAUD: u32 = 9600;
/// Pause between two attempts to open a missing port.
pub const REOPEN_EVERY: Duration = Duration::from_secs(1);

/// What a scanner's line is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// A code as read, without its line end; validated by the booth.
    Code(Vec<u8>),
    /// A line over [`MAX_CODE_BYTES`], discarded up to its line end: `head` is its first
    /// `MAX_CODE_BYTES + 1` bytes (which the booth refuses as too long), `len` its length.
    TooLong { head: Vec<u8>, len: usize },
}

/// Turns a scanner's byte stream into readings. Empty lines (a stray line end) are skipped.
/// Memory is bounded by [`MAX_CODE_BYTES`] whatever arrives.
#[derive(Debug, Clone)]
pub struct ScanReader {
    lines: LineSplitter,
}

impl Default for ScanReader {
    fn default() -> Self {
        ScanReader {
            lines: LineSplitter::new(LineEnd::CrOrLf, MAX_CODE_BYTES),
        }
    }
}

impl ScanReader {
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Reading> {
        self.lines
            .push(bytes)
            .into_iter()
            .filter_map(|piece| match piece {
                Piece::Line(line) if line.is_empty() => None,
                Piece::Line(line) => Some(Reading::Code(line)),
                Piece::Overlong { head, len } => Some(Reading::TooLong { head, len }),
            })
            .collect()
    }

    /// Forgets a partial line (the port was reopened).
    pub fn reset(&mut self) {
        self.lines.reset();
    }
}

/// Runs a lane's scanner until shutdown or until the booth stops.
pub async fn run(lane: String, spec: SerialSpec, booth: BoothClient, shutdown: CancellationToken) {
    let mut reader = ScanReader::default();
    let mut repeats = RepeatFilter::default();
    let mut online = false;
    let mut last_error: Option<String> = None;
    loop {
        let opened = tokio::select! {
            () = shutdown.cancelled() => return,
            opened = Port::open(&spec, DEFAULT_BAUD) => opened,
        };
        let why = match opened {
            Ok(mut port) => {
                tracing::info!(lane, port = port.name(), "scanner port open");
                last_error = None;
                online = true;
                let detail = format!("{} open", port.name());
                if booth
                    .device_status(&lane, DeviceKind::Scanner, true, detail)
                    .await
                    .is_err()
                {
                    return;
                }
                reader.reset();
                loop {
                    let read = tokio::select! {
                        () = shutdown.cancelled() => return,
                        read = port.read() => read,
                    };
                    let bytes = match read {
                        Ok(bytes) => bytes,
                        Err(e) => break format!("{}: {e}", port.name()),
                    };
                    for reading in reader.push(&bytes) {
                        if !submit(&lane, reading, &mut repeats, &booth).await {
                            return;
                        }
                    }
                }
            }
            Err(e) => e.to_string(),
        };
        if online || last_error.is_none() {
            tracing::warn!(
                lane,
                error = why,
                "scanner unavailable; retrying every second"
            );
            if booth
                .device_status(&lane, DeviceKind::Scanner, false, why.clone())
                .await
                .is_err()
            {
                return;
            }
        }
        online = false;
        last_error = Some(why);
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(REOPEN_EVERY) => {}
        }
    }
}

/// Sends one reading to the booth unless it repeats the last; false when the booth is gone.
async fn submit(
    lane: &str,
    reading: Reading,
    repeats: &mut RepeatFilter,
    booth: &BoothClient,
) -> bool {
    let code = match reading {
        Reading::Code(code) => {
            if !repeats.admit(&code, Instant::now()) {
                tracing::debug!(lane, "repeated scan within 2 s ignored");
                return true;
            }
            code
        }
        Reading::TooLong { head, len } => {
            tracing::warn!(lane, len, "scanned line too long; refused");
            head
        }
    };
    tracing::trace!(target: "clearpark::scan_path", lane, "scan to booth");
    booth
        .submit_scan(lane, code, ScanSource::Scanner)
        .await
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::qr;

    fn code(s: &str) -> Reading {
        Reading::Code(s.as_bytes().to_vec())
    }

    #[test]
    fn one_code_per_line_whatever_the_line_end() {
        let mut r = ScanReader::default();
        let mut got = r.push(b"788879fbe6635\r");
        got.extend(r.push(b"\nABC\nDEF\r\n\r\n\n"));
        got.extend(r.push(b"GH"));
        got.extend(r.push(b"I\r"));
        assert_eq!(
            got,
            vec![code("788879fbe6635"), code("ABC"), code("DEF"), code("GHI")]
        );
    }

    #[test]
    fn a_line_over_512_bytes_is_refused_with_bounded_memory() {
        let mut r = ScanReader::default();
        let mut got = r.push(&vec![b'A'; 10_000]);
        assert!(got.is_empty());
        got.extend(r.push(b"\r\nOK\r"));
        let Reading::TooLong { head, len } = &got[0] else {
            panic!("{got:?}")
        };
        assert_eq!(*len, 10_000);
        assert_eq!(head.len(), MAX_CODE_BYTES + 1);
        assert!(
            qr::validate(head).is_err(),
            "the booth refuses what is passed on"
        );
        assert_eq!(got[1], code("OK"));
        // 512 bytes exactly is a code.
        let mut exact = vec![b'B'; MAX_CODE_BYTES];
        exact.push(b'\n');
        assert_eq!(
            r.push(&exact),
            vec![Reading::Code(vec![b'B'; MAX_CODE_BYTES])]
        );
    }
}
