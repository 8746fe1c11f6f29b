//! Where the CPU went: this process, the booth's thread, and the whole machine, from `/proc`
//! (ticks of the same unit, so no clock rate is assumed).

/// Cumulative ticks at one moment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ticks {
    process: u64,
    booth: u64,
    machine_busy: u64,
    machine_total: u64,
    cores: u64,
}

use super::proc_stat::{stat_fields, thread_stats};

/// `utime + stime` of a `stat` file's fields (proc(5) fields 14 and 15).
fn ticks(fields: &[String]) -> u64 {
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(14 - 3) + field(15 - 3)
}

pub fn now() -> Ticks {
    let process = stat_fields("/proc/self/stat".as_ref()).map_or(0, |(_, f)| ticks(&f));
    let booth = thread_stats("self")
        .iter()
        .filter(|(name, _)| name == "booth")
        .map(|(_, f)| ticks(f))
        .sum();
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let cores = stat
        .lines()
        .filter(|l| l.starts_with("cpu") && !l.starts_with("cpu "))
        .count() as u64;
    let all: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal ...
    let idle = all.get(3).copied().unwrap_or(0) + all.get(4).copied().unwrap_or(0);
    let total: u64 = all.iter().take(8).sum();
    Ticks {
        process,
        booth,
        machine_busy: total.saturating_sub(idle),
        machine_total: total,
        cores: cores.max(1),
    }
}

/// Usage between two readings: `(process in cores, booth thread in cores, machine busy share)`.
pub fn usage(from: Ticks, to: Ticks) -> (f64, f64, f64) {
    let total = to.machine_total.saturating_sub(from.machine_total).max(1) as f64;
    let per_core = total / to.cores as f64;
    (
        to.process.saturating_sub(from.process) as f64 / per_core,
        to.booth.saturating_sub(from.booth) as f64 / per_core,
        to.machine_busy.saturating_sub(from.machine_busy) as f64 / total,
    )
}
