//! `clearpark nwave publish|replay|occupancy|sessions|quarantine`.

use anyhow::{Context, bail};
use chrono::DurationRound;
use clap::{Args, Subcommand};
use clearpark::config::{BrokerSettings, Config};
use clearpark::domain::nwave::message::vendor_time;
use clearpark::domain::nwave::{OverstayLimits, parse};
use clearpark::nwave::publisher::Publisher;
use clearpark::nwave::replay::{self, ReplayPlan};
use clearpark::store::Store;
use clearpark::store::nwave::{self, SessionQuery, SessionScope};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum NwaveCommand {
    /// Publish Nwave messages to the configured queue: one JSON message per line, or a JSON
    /// array. All are checked first and none is published if one is invalid (unless
    /// --allow-invalid, to exercise the quarantine).
    Publish {
        /// The file, or `-` for standard input.
        file: PathBuf,
        #[arg(long)]
        allow_invalid: bool,
    },
    /// Generate a realistic day of Nwave traffic (deterministic from --seed) and write it as
    /// JSON lines (--out) or publish it (--publish).
    Replay(ReplayArgs),
    /// Free and taken bays per group, zone and level, with overstay, from the database.
    Occupancy,
    /// Nwave sessions from the database: open and ended in the last 24 hours, or --open / --all.
    Sessions {
        #[arg(long, conflicts_with = "all")]
        open: bool,
        #[arg(long)]
        all: bool,
        #[arg(long, default_value_t = 0)]
        after_id: i64,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Messages refused and kept in quarantine, with the reason.
    Quarantine {
        #[arg(long, default_value_t = 0)]
        after_id: i64,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Sensor positions on the simulated site.
    #[arg(long, default_value_t = 120)]
    bays: usize,
    /// The day (UTC) the traffic starts at midnight, YYYY-MM-DD; when left out, the traffic
    /// covers the last --hours up to now.
    #[arg(long)]
    date: Option<chrono::NaiveDate>,
    #[arg(long, default_value_t = 24)]
    hours: u32,
    /// Percent of messages lost on the way.
    #[arg(long, default_value_t = 1.0)]
    loss: f64,
    /// Percent of messages delivered twice.
    #[arg(long, default_value_t = 2.0)]
    duplicates: f64,
    /// Write JSON lines here (`-` for standard output).
    #[arg(long, required_unless_present = "publish")]
    out: Option<PathBuf>,
    /// Publish to the configured queue instead.
    #[arg(long, conflicts_with = "out")]
    publish: bool,
}

pub fn run(config_path: &Path, command: NwaveCommand) -> anyhow::Result<()> {
    match command {
        NwaveCommand::Publish {
            file,
            allow_invalid,
        } => {
            let broker = broker(&super::load_config(config_path)?)?;
            let messages = read_messages(&file)?;
            let problems: Vec<String> = messages
                .iter()
                .filter_map(|(at, bytes)| parse(bytes).err().map(|r| format!("{at}: {r}")))
                .collect();
            if !problems.is_empty() && !allow_invalid {
                let shown: Vec<&str> = problems.iter().take(20).map(String::as_str).collect();
                bail!(
                    "{} of {} messages are invalid; nothing published (--allow-invalid publishes them anyway):\n{}",
                    problems.len(),
                    messages.len(),
                    shown.join("\n")
                );
            }
            let n = publish(&broker, messages.iter().map(|(_, b)| b.as_slice()))?;
            outln!("published {n} messages to {}", broker.queue)?;
        }
        NwaveCommand::Replay(args) => replay(config_path, args)?,
        NwaveCommand::Occupancy => {
            let config = super::load_config(config_path)?;
            let store = read_store(&config)?;
            let limits = config
                .nwave
                .as_ref()
                .map(|n| n.limits.clone())
                .unwrap_or_default();
            occupancy(&store, &limits)?;
        }
        NwaveCommand::Sessions {
            open,
            all,
            after_id,
            limit,
        } => {
            let store = read_store(&super::load_config(config_path)?)?;
            let scope = match (open, all) {
                (true, _) => SessionScope::Open,
                (_, true) => SessionScope::All,
                _ => SessionScope::OpenOrEndedSince(
                    clearpark::booth::clock::now() - chrono::TimeDelta::hours(24),
                ),
            };
            let list = nwave::sessions(
                store.conn(),
                &SessionQuery {
                    after_id,
                    limit,
                    scope,
                },
            )?;
            outln!(
                "{:>7}  {:<36}  {:>3}  {:<15}  {:<19}  {:<19}  {:<18}  positions",
                "id",
                "session",
                "cc",
                "state",
                "start (UTC)",
                "end (UTC)",
                "authorised"
            )?;
            for s in list {
                let t = |e: &clearpark::domain::nwave::Edge| {
                    vendor_time::format(&e.event_time)[..19].replace('T', " ")
                };
                let positions: Vec<&str> = s
                    .involved_devices
                    .iter()
                    .map(|d| {
                        d.position
                            .custom_id
                            .as_deref()
                            .unwrap_or(&d.position.network_id)
                    })
                    .collect();
                let auth = match (&s.auth_ble_tag, &s.auth_mobile) {
                    (Some(tag), _) => format!("tag {}", tag.tag_id),
                    (None, Some(app)) => {
                        let id: String = app.session_id.chars().take(14).collect();
                        format!("app {id}")
                    }
                    (None, None) => String::new(),
                };
                outln!(
                    "{:>7}  {:<36}  {:>3}  {:<15}  {:<19}  {:<19}  {:<18}  {}",
                    s.id,
                    s.parking_session_uuid,
                    s.correction_counter,
                    s.state.as_str(),
                    t(&s.session_start),
                    s.session_end.as_ref().map(t).unwrap_or_default(),
                    auth,
                    positions.join(" ")
                )?;
            }
        }
        NwaveCommand::Quarantine { after_id, limit } => {
            let store = read_store(&super::load_config(config_path)?)?;
            for q in nwave::quarantined(store.conn(), after_id, limit)? {
                let preview: String = q.payload.chars().take(120).collect();
                outln!(
                    "{:>6}  {}  {}\n        {} bytes: {preview}",
                    q.id,
                    q.received_at,
                    q.reason,
                    q.payload_bytes
                )?;
            }
        }
    }
    Ok(())
}

fn broker(config: &Config) -> anyhow::Result<BrokerSettings> {
    config
        .nwave
        .as_ref()
        .and_then(|n| n.broker.clone())
        .context("no [nwave] section with a url in the config (see config.toml.example)")
}

fn read_store(config: &Config) -> anyhow::Result<Store> {
    Store::open_read_only(&config.booth.database)
        .with_context(|| format!("booth.database = {}", config.booth.database.display()))
}

/// `(where, bytes)` of each message: lines of JSON, or the elements of one JSON array.
fn read_messages(file: &Path) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut text = Vec::new();
    if file == Path::new("-") {
        std::io::stdin()
            .read_to_end(&mut text)
            .context("cannot read standard input")?;
    } else {
        text = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    }
    let trimmed = text.trim_ascii_start();
    if trimmed.first() == Some(&b'[') {
        let items: Vec<serde_json::Value> = serde_json::from_slice(trimmed)
            .context("the file starts with '[' but is not a JSON array")?;
        return Ok(items
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("element {}", i + 1), v.to_string().into_bytes()))
            .collect());
    }
    Ok(text
        .split(|b| *b == b'\n')
        .enumerate()
        .map(|(i, line)| (format!("line {}", i + 1), line.trim_ascii().to_vec()))
        .filter(|(_, line)| !line.is_empty())
        .collect())
}

fn publish<'p>(
    broker: &BrokerSettings,
    payloads: impl Iterator<Item = &'p [u8]>,
) -> anyhow::Result<usize> {
    super::runtime()?.block_on(async {
        let publisher = Publisher::connect(broker).await?;
        let n = publisher.publish_all(payloads).await?;
        publisher.close().await;
        anyhow::Ok(n)
    })
}

fn replay(config_path: &Path, args: ReplayArgs) -> anyhow::Result<()> {
    if args.bays == 0 || args.bays > 1_000_000 {
        bail!("--bays {} is not between 1 and 1000000", args.bays);
    }
    if !(0.0..=100.0).contains(&args.loss) || !(0.0..=100.0).contains(&args.duplicates) {
        bail!("--loss and --duplicates are percentages (0 to 100)");
    }
    let hours = args.hours.clamp(1, 24 * 31);
    let start = match args.date {
        Some(date) => date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc(),
        None => {
            let now = clearpark::booth::clock::now();
            let minute = now
                .duration_trunc(chrono::TimeDelta::minutes(1))
                .unwrap_or(now);
            minute - chrono::TimeDelta::hours(i64::from(hours))
        }
    };
    let mut plan = ReplayPlan::new(args.seed, args.bays, start);
    plan.hours = hours;
    plan.loss_percent = args.loss;
    plan.duplicate_percent = args.duplicates;
    let replay = replay::generate(&plan);
    let s = replay.stats;
    let summary = format!(
        "{} messages: {} sessions on {} bays in {} groups, {} corrections, {} partial ends, {} lost, {} delivered twice",
        s.messages,
        s.sessions,
        s.positions,
        s.groups,
        s.corrections,
        s.partial_ends,
        s.lost,
        s.duplicated
    );
    if args.publish {
        let broker = broker(&super::load_config(config_path)?)?;
        let payloads: Vec<Vec<u8>> = replay
            .messages
            .iter()
            .map(|m| m.message.to_vendor_json())
            .collect();
        let n = publish(&broker, payloads.iter().map(Vec::as_slice))?;
        outln!("published {n} to {}; {summary}", broker.queue)?;
        return Ok(());
    }
    let lines = replay::to_json_lines(&replay);
    match args.out.as_deref() {
        Some(p) if p == Path::new("-") => {
            std::io::stdout()
                .write_all(&lines)
                .context("cannot write to standard output")?;
            eprintln!("{summary}");
        }
        Some(p) => {
            std::fs::write(p, &lines).with_context(|| format!("cannot write {}", p.display()))?;
            outln!("wrote {}: {summary}", p.display())?;
        }
        None => bail!("pass --out FILE (or -) or --publish"),
    }
    Ok(())
}

fn occupancy(store: &Store, limits: &OverstayLimits) -> anyhow::Result<()> {
    let report = nwave::occupancy(store.conn(), clearpark::booth::clock::now(), limits)?;
    let s = &report.summary;
    let t = &s.total;
    outln!(
        "{} positions: {} taken, {} free; overstaying: {} certain, {} possible",
        t.positions,
        t.taken,
        t.free,
        t.overstay_certain,
        t.overstay_possible
    )?;
    outln!(
        "{:>6}  {:<28}  {:<22}  {:>4}  {:>5}  {:>5}  {:>4}  {:>7}  {:>8}",
        "group",
        "name",
        "type",
        "zone",
        "level",
        "taken",
        "free",
        "certain",
        "possible"
    )?;
    for g in &s.groups {
        let c = &g.counts;
        outln!(
            "{:>6}  {:<28}  {:<22}  {:>4}  {:>5}  {:>5}  {:>4}  {:>7}  {:>8}",
            g.id.map(|i| i.to_string()).unwrap_or_default(),
            g.name.as_deref().unwrap_or(""),
            g.kind.as_deref().unwrap_or(""),
            g.zone_id.map(|i| i.to_string()).unwrap_or_default(),
            g.level_id.map(|i| i.to_string()).unwrap_or_default(),
            c.taken,
            c.free,
            c.overstay_certain,
            c.overstay_possible
        )?;
    }
    for l in &s.levels {
        outln!(
            "level {:<12} taken {:>5}  free {:>5}",
            l.level_name
                .clone()
                .or(l.level_id.map(|i| i.to_string()))
                .unwrap_or_else(|| "street".into()),
            l.counts.taken,
            l.counts.free
        )?;
    }
    Ok(())
}
