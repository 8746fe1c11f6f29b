//! The process's resident set, from `/proc/self/status` (`VmRSS`, in KiB).

use std::time::Duration;

/// A `/proc/self/status` field in KiB; 0 where `/proc` is not there.
fn field(name: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Resident memory now, in KiB.
pub fn kib() -> u64 {
    field("VmRSS")
}

/// Of which: the heap and other private memory, and files mapped (the database's shared
/// memory index among them), in KiB.
pub fn parts() -> (u64, u64) {
    (field("RssAnon"), field("RssFile") + field("RssShmem"))
}

pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// One reading, at `at` into the soak.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub at: Duration,
    pub kib: u64,
    /// `(anonymous, file and shared)`, KiB.
    pub parts: (u64, u64),
    /// The size of the database's write-ahead log file then, bytes: the largest the log has
    /// been since it was last cut back, so a log that never starts over shows as growth.
    pub wal_bytes: u64,
}

/// Start, middle and end of a series of readings taken at even steps, and the highest reading
/// of each half.
pub struct Verdict {
    pub start: u64,
    pub mid: u64,
    pub end: u64,
    /// The highest reading up to the middle one, and the highest after it.
    pub peaks: (u64, u64),
}

impl Verdict {
    pub fn of(samples: &[Sample]) -> Verdict {
        let mid = samples.len() / 2;
        let peak = |part: &[Sample]| part.iter().map(|s| s.kib).max().unwrap_or(0);
        Verdict {
            start: samples.first().map_or(0, |s| s.kib),
            mid: samples.get(mid).map_or(0, |s| s.kib),
            end: samples.last().map_or(0, |s| s.kib),
            peaks: (
                peak(&samples[..(mid + 1).min(samples.len())]),
                peak(samples.get(mid + 1..).unwrap_or_default()),
            ),
        }
    }

    /// Flat: the second half never rose more than 5 % above the first half's highest (the
    /// first half fills caches and pools). Peaks, not the end over the middle: an allocator
    /// that gives memory back makes the readings swing a few percent either way.
    pub fn flat(&self) -> bool {
        self.peaks.1 as f64 <= self.peaks.0 as f64 * FLAT_LIMIT
    }
}

pub const FLAT_LIMIT: f64 = 1.05;
