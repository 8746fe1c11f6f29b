//! What the soak prints, and whether the load was delivered.

use super::stats::{Figures, ms, per_second};
use super::{api_load, lanes, nwave_load, rss, tui_load};
use clearpark::booth::NwaveView;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Below this share of its rate a load counts as not delivered.
const DELIVERED: f64 = 0.9;
/// The limit of soak p99 / idle p99 the verdict line compares with.
const P99_LIMIT: f64 = 2.0;

pub struct Nwave {
    pub published: nwave_load::Report,
    /// The booth's view once it had applied everything (or given up waiting).
    pub view: Option<Arc<NwaveView>>,
    pub drained_in: Duration,
    /// `(ready messages, consumers)` left in the queue.
    pub depth: Result<(u32, u32), String>,
}

/// The database's files at the end of the soak.
pub struct Files {
    pub db: u64,
    pub wal: u64,
}

/// A file's size in bytes, 0 when it is not there.
pub fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

impl Files {
    pub fn of(db: &Path) -> Files {
        Files {
            db: size(db),
            wal: size(&clearpark::store::Store::wal_path(db)),
        }
    }
}

pub struct Run {
    pub soak: Duration,
    pub idle: Duration,
    pub factor: u32,
    pub api_rate: f64,
    pub nwave_rate: f64,
    pub fps: u32,
    pub payload_bytes: Option<usize>,
    pub rss_ready: u64,
    pub rss_after: u64,
    pub series: Vec<rss::Sample>,
    pub lanes: Vec<lanes::LaneReport>,
    pub api: Option<api_load::Report>,
    pub nwave: Option<Nwave>,
    pub screen: Option<tui_load::Report>,
    pub files: Files,
    /// `(process cores, booth thread cores, machine busy share)` of each phase.
    pub cpu_idle: (f64, f64, f64),
    pub cpu_soak: (f64, f64, f64),
    /// A bare durable commit beside the booth's database, idle and under the soak.
    pub floor: [Figures; 2],
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Prints every figure; false when some load was not delivered.
pub fn print(run: &Run) -> bool {
    let mut problems: Vec<String> = Vec::new();
    let booth_minutes = (run.soak * run.factor).as_secs_f64() / 60.0;
    println!(
        "soak: {:.0} min of booth time in {} s of load (booth clock x{}), after {} s idle",
        booth_minutes,
        run.soak.as_secs(),
        run.factor,
        run.idle.as_secs()
    );

    let idle: Vec<Duration> = run.lanes.iter().flat_map(|l| l.idle.clone()).collect();
    let soak: Vec<Duration> = run.lanes.iter().flat_map(|l| l.soak.clone()).collect();
    let (idle, soak_fig) = (Figures::of(&idle), Figures::of(&soak));
    let failures: usize = run.lanes.iter().map(|l| l.failures).sum();
    let starved: usize = run.lanes.iter().map(|l| l.starved).sum();
    println!(
        "scan bytes on the scanner pty -> OPEN line on the gate pty (2 lanes, 1 car/200 ms each, 100 ms apart)"
    );
    println!("  idle  {}", idle.line());
    println!("  soak  {}", soak_fig.line());
    println!(
        "  lanes: {:.1} scans/s idle, {:.1} scans/s under load; {failures} without OPEN, {starved} turns without a car",
        per_second(idle.n, run.idle),
        per_second(soak_fig.n, run.soak)
    );
    if failures > 0 {
        problems.push(format!("{failures} lane scans without their OPEN"));
    }

    match &run.api {
        None => println!("API: not run (SOAK_LOADS)"),
        Some(api) => api_figures(run, api, &mut problems),
    }
    match &run.nwave {
        None => println!("Nwave: not run (no broker, or SOAK_LOADS)"),
        Some(n) => nwave(run, n, &mut problems),
    }
    match &run.screen {
        None => println!("console: not run (SOAK_LOADS)"),
        Some(s) => screen(run, s, &mut problems),
    }
    for (phase, (process, booth, machine)) in [("idle", run.cpu_idle), ("soak", run.cpu_soak)] {
        println!(
            "CPU {phase}: this process {process:.2} cores, the booth thread {booth:.2}, the machine {:.0}% busy ({} cores)",
            machine * 100.0,
            std::thread::available_parallelism().map_or(0, |n| n.get())
        );
    }
    println!(
        "RSS: {:.1} MiB with the lanes online, before the idle phase{}",
        rss::mib(run.rss_ready),
        run.payload_bytes
            .map(|b| format!(
                " (of which {:.1} MiB of Nwave payloads, held to the end)",
                mib(b as u64)
            ))
            .unwrap_or_default()
    );
    let series: Vec<String> = run
        .series
        .iter()
        .map(|s| format!("{:.0}s {:.1}", s.at.as_secs_f64(), rss::mib(s.kib)))
        .collect();
    println!("  during the soak (s MiB): {}", series.join(", "));
    let parts: Vec<String> = run
        .series
        .iter()
        .map(|s| format!("{:.1}+{:.1}", rss::mib(s.parts.0), rss::mib(s.parts.1)))
        .collect();
    println!("  of which anonymous+files: {}", parts.join(", "));
    println!("  after the drain: {:.1} MiB", rss::mib(run.rss_after));
    let wal: Vec<String> = run
        .series
        .iter()
        .map(|s| format!("{:.0}s {:.1}", s.at.as_secs_f64(), mib(s.wal_bytes)))
        .collect();
    println!("WAL file during the soak (s MiB): {}", wal.join(", "));
    println!(
        "database at the end: {:.1} MiB, WAL {:.1} MiB",
        mib(run.files.db),
        mib(run.files.wal)
    );

    let [floor_idle, floor_soak] = &run.floor;
    println!("floor: a bare INSERT + COMMIT (synchronous=FULL) beside the database, every 50 ms");
    println!("  idle  {}", floor_idle.line());
    println!("  soak  {}", floor_soak.line());
    let floor_ratio = floor_soak.p99.as_secs_f64() / floor_idle.p99.as_secs_f64().max(1e-9);
    println!("floor: p99 ratio {floor_ratio:.2} (the disk's own, under the same load)");
    let ratio = soak_fig.p99.as_secs_f64() / idle.p99.as_secs_f64().max(1e-9);
    println!(
        "soak: p99 ratio {ratio:.2} (limit {P99_LIMIT:.2}) {}  [idle p50 {:.3} ms p99 {:.3} ms; soak p50 {:.3} ms p99 {:.3} ms]",
        if ratio <= P99_LIMIT { "PASS" } else { "FAIL" },
        ms(idle.p50),
        ms(idle.p99),
        ms(soak_fig.p50),
        ms(soak_fig.p99)
    );
    let v = rss::Verdict::of(&run.series);
    println!(
        "rss: start {:.1} MiB, mid {:.1} MiB, end {:.1} MiB (end/mid {:.2}, end/start {:.2}); highest {:.1} MiB in the first half, {:.1} in the second ({:.2}) {}",
        rss::mib(v.start),
        rss::mib(v.mid),
        rss::mib(v.end),
        v.end as f64 / v.mid.max(1) as f64,
        v.end as f64 / v.start.max(1) as f64,
        rss::mib(v.peaks.0),
        rss::mib(v.peaks.1),
        v.peaks.1 as f64 / v.peaks.0.max(1) as f64,
        if v.flat() { "FLAT" } else { "GROWING" }
    );
    for p in &problems {
        println!("LOAD NOT DELIVERED: {p}");
    }
    problems.is_empty()
}

fn nwave(run: &Run, n: &Nwave, problems: &mut Vec<String>) {
    let p = &n.published;
    let rate = per_second(p.published, p.wall);
    println!(
        "Nwave: {} published and confirmed = {:.1} msg/s (target {:.0}), slowest confirm {:.1} ms",
        p.published,
        rate,
        run.nwave_rate,
        ms(p.slowest_confirm)
    );
    for e in &p.errors {
        problems.push(format!("Nwave publisher: {e}"));
    }
    if rate < run.nwave_rate * DELIVERED {
        problems.push(format!("Nwave load {rate:.1} msg/s"));
    }
    let Some(view) = &n.view else {
        problems.push("the booth shows no Nwave view".into());
        return;
    };
    let t = &view.totals;
    let applied = t.messages();
    println!(
        "  booth applied {applied} ({} new, {} merged, {} duplicates, {} corrections, {} stale, {} quarantined), {} failed batches; backlog gone {:.1} s after the load stopped",
        t.new,
        t.merged,
        t.duplicates,
        t.corrections,
        t.stale,
        t.quarantined,
        view.failed_batches,
        n.drained_in.as_secs_f64()
    );
    match &n.depth {
        Ok((ready, consumers)) => {
            println!("  queue after the drain: {ready} ready, {consumers} consumer(s)");
            if *ready > 0 {
                problems.push(format!("{ready} Nwave messages left in the queue"));
            }
        }
        Err(e) => problems.push(format!("cannot read the queue's depth: {e}")),
    }
    if applied < p.published as u64 {
        problems.push(format!(
            "Nwave: {} published, {applied} applied",
            p.published
        ));
    }
    if t.quarantined > 0 {
        problems.push(format!("{} Nwave messages quarantined", t.quarantined));
    }
}

fn api_figures(run: &Run, api: &api_load::Report, problems: &mut Vec<String>) {
    let answered = per_second(api.answered(), api.wall);
    println!(
        "API: {} requests started, {} answered = {:.1} req/s (target {:.0}); {} errors; {} turns without a car",
        api.started,
        api.answered(),
        answered,
        run.api_rate,
        api.errors(),
        api.starved
    );
    api.print();
    if api.errors() > 0 {
        problems.push(format!("{} API errors", api.errors()));
    }
    if answered < run.api_rate * DELIVERED {
        problems.push(format!("API load {answered:.1} req/s"));
    }
}

fn screen(run: &Run, s: &tui_load::Report, problems: &mut Vec<String>) {
    let fps = per_second(s.frames, s.wall);
    println!(
        "console: {} frames = {:.1} frames/s (target {}), draw {}; {} list loads ({} failed), {} activities skipped",
        s.frames,
        fps,
        run.fps,
        s.draw.line(),
        s.loads,
        s.load_errors,
        s.lagged
    );
    if fps < f64::from(run.fps) * DELIVERED {
        problems.push(format!("console at {fps:.1} frames/s"));
    }
}
