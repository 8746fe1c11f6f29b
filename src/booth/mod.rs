//! The booth: the one owner of the rules and of the write connection (DESIGN.md).
//!
//! Every input becomes an [`Event`]; [`Booth::handle`] decides, commits, and only then returns
//! the [`Effect`]s (open a gate, print) and publishes a new [`Snapshot`] and the [`Activity`] it
//! caused. One decider means no race between lanes, the API and the attendant. [`runner`] runs a
//! booth on its own thread (SQLite and fsync are blocking) behind a cloneable [`BoothClient`].

mod activity;
mod attendant;
pub mod clock;
mod cycle;
mod effect;
mod effects_out;
mod event;
mod nwave;
mod nwave_batch;
mod occupancy;
mod outcome;
mod paper;
mod remote_io;
pub mod runner;
mod scan;
mod snapshot;
mod wal_sync;
mod walkin;

pub use activity::{Activity, ActivityKind};
pub use effect::{Effect, GateCommand, PrintJob, PrintKind};
pub use event::{
    AttendantCommand, AttendantRequest, DeviceKind, Event, GateOverride, GateSignal, Priority,
    ScanRequest, ScanSource,
};
pub use nwave::{BatchApplied, BatchFailed, NwaveBatch, NwaveDelivery, NwaveLink, NwaveView};
pub use nwave_batch::PART_MESSAGES as NWAVE_PART_MESSAGES;
pub use outcome::{AttendantDone, AttendantError, ScanDecided, ScanOutcome};
pub use remote_io::{RemoteIoFailed, RemoteIoReport};
pub use runner::{BoothClient, BoothGone, BoothHandle};
pub use snapshot::{GatePosition, GateView, LaneView, PaymentDue, RevenueView, Snapshot};

use crate::config::{
    BoothSettings, Config, GateEndpoint, LaneConfig, PrinterEndpoint, ScannerEndpoint,
};
use crate::domain::receipt::PaymentMethod;
use crate::store::{self, Store, StoreError, receipts, resource, sessions};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use clock::Clock;
use tokio::sync::{broadcast, watch};

/// How many activities a slow subscriber may fall behind before it skips ahead.
const ACTIVITY_BACKLOG: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum BoothError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "booth.res_guid {0:?} names no resource in tbl_dk_resource: run `clearpark init` or sync the resource"
    )]
    MissingResource(String),
    #[error("no lanes are configured: add a [[lanes]] table to the config")]
    NoLanes,
}

/// A lane's settings and live state.
struct Lane {
    config: LaneConfig,
    view: LaneView,
}

impl Lane {
    fn has_gate(&self) -> bool {
        self.config.gate != GateEndpoint::None
    }

    fn has_printer(&self) -> bool {
        self.config.printer != PrinterEndpoint::None
    }
}

pub struct Booth {
    /// Group commit of background writes, on the booth's own thread
    /// ([`Booth::detach_slow_work`]).
    /// Declared before `store`: dropped first, it answers its last batches while the log is
    /// still there.
    wal_syncer: Option<wal_sync::WalSyncer>,
    /// Effects to the devices, in order, each once its commit is durable
    /// ([`Booth::detach_slow_work`]); a booth driven directly returns them from
    /// [`Booth::handle`].
    effects_out: Option<effects_out::EffectsOut>,
    /// Copies the log into the database off the booth's thread ([`Booth::detach_slow_work`]),
    /// so that no scan's commit does it.
    checkpointer: Option<store::Checkpointer>,
    /// While the checkpointer finishes a checkpoint that lets the log start over, background
    /// work waits (a write would make the log longer than what it copied); `Some` until done.
    checkpoint_asked: Option<tokio::sync::oneshot::Receiver<()>>,
    /// The only read-write connection; decisions are serialised through it.
    store: Store,
    settings: BoothSettings,
    clock: Box<dyn Clock>,
    lanes: Vec<Lane>,
    /// Sessions not closed, kept in memory so capacity checks cost no query.
    occupied: u32,
    /// Today's receipts, kept in memory and reloaded when the local day changes.
    revenue: RevenueView,
    last_receipt_no: Option<i64>,
    refused_scans: u64,
    nwave: nwave::NwaveState,
    snapshot_tx: watch::Sender<Snapshot>,
    activity_tx: broadcast::Sender<Activity>,
}

impl Booth {
    /// A booth over an open store. Checks that the priced resource exists.
    pub fn new(store: Store, config: &Config, clock: Box<dyn Clock>) -> Result<Booth, BoothError> {
        if config.lanes.is_empty() {
            return Err(BoothError::NoLanes);
        }
        let res = resource::get_by_guid(store.conn(), &config.booth.res_guid)?
            .ok_or_else(|| BoothError::MissingResource(config.booth.res_guid.clone()))?;
        let occupied = u32::try_from(sessions::count_open(store.conn())?).unwrap_or(u32::MAX);
        let last_receipt_no = receipts::get(store.conn(), None)?.map(|r| r.receipt_no);
        let lanes = config
            .lanes
            .iter()
            .map(|c| Lane {
                view: LaneView {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    direction: c.direction,
                    gate: GateView {
                        online: (c.gate != GateEndpoint::None).then_some(false),
                        ..GateView::default()
                    },
                    scanner_online: match c.scanner {
                        ScannerEndpoint::None => None,
                        // Typed into the console: there whenever the console is.
                        ScannerEndpoint::Wedge | ScannerEndpoint::Sim => Some(true),
                        ScannerEndpoint::Serial(_) => Some(false),
                    },
                    printer_online: (c.printer != PrinterEndpoint::None).then_some(true),
                    pending: Vec::new(),
                    awaiting_payment: None,
                },
                config: c.clone(),
            })
            .collect();
        let nwave = nwave::NwaveState::load(&store, config.nwave.as_ref(), clock.now())?;
        let (snapshot_tx, _) = watch::channel(Snapshot::default());
        let (activity_tx, _) = broadcast::channel(ACTIVITY_BACKLOG);
        let mut booth = Booth {
            wal_syncer: None,
            effects_out: None,
            checkpointer: None,
            checkpoint_asked: None,
            store,
            settings: config.booth.clone(),
            clock,
            lanes,
            occupied,
            revenue: RevenueView {
                currency: res.currency,
                ..RevenueView::default()
            },
            last_receipt_no,
            refused_scans: 0,
            nwave,
            snapshot_tx,
            activity_tx,
        };
        booth.roll_day()?;
        booth.publish();
        Ok(booth)
    }

    /// Decides one event: commits what it changes, then returns the effects to carry out.
    pub fn handle(&mut self, event: Event) -> Vec<Effect> {
        self.handle_between(event, &|| false)
    }

    /// [`Booth::handle`] on the booth's thread: long background work commits what it has done
    /// and stops early when `urgent_waits` ([`Booth::has_unfinished_batch`]).
    pub(super) fn handle_between(
        &mut self,
        event: Event,
        urgent_waits: &dyn Fn() -> bool,
    ) -> Vec<Effect> {
        if let Err(e) = self.roll_day() {
            tracing::error!(error = %e, "cannot reload today's revenue");
        }
        let effects = match event {
            Event::Scan(request) => self.scan(request, urgent_waits),
            Event::Gate { lane, signal } => self.gate_signal(&lane, signal),
            Event::DeviceStatus {
                lane,
                device,
                online,
                detail,
            } => {
                self.device_status(&lane, device, online, detail);
                Vec::new()
            }
            Event::Attendant(request) => self.attendant(request),
            Event::RemoteIo(report) => {
                self.remote_io(report);
                Vec::new()
            }
            Event::Nwave(batch) => {
                self.nwave_batch(batch, urgent_waits);
                Vec::new()
            }
            Event::NwaveLink(link) => {
                self.nwave_link(link);
                Vec::new()
            }
            Event::Occupancy(summary) => {
                self.occupancy_made(summary);
                Vec::new()
            }
            Event::Shutdown => Vec::new(),
        };
        self.publish();
        effects
    }

    /// For the booth's own thread: work that no decision waits for leaves the path of the
    /// scans. Nwave batches, remote IO reports, remote systems' scans and scans with another
    /// event queued behind them commit without their own fsync and are answered (acknowledged
    /// to the broker) by a thread that syncs the log for all of them at once; effects then go to `effects_to` in the order decided, each once
    /// its commit is durable ([`effects_out`], [`Booth::send_effects`]); another thread
    /// copies the log into the database (`store::wal`), and background work pauses while it
    /// finishes ([`Booth::background_paused`]); the bays' occupancy summary is made on a
    /// third, which sends each one back through `summaries_to` as an [`Event::Occupancy`]
    /// (weak, so that the booth still stops when every client has gone).
    /// A booth driven directly (tests) does all of it in line.
    pub fn detach_slow_work(
        &mut self,
        summaries_to: tokio::sync::mpsc::WeakSender<Event>,
        effects_to: tokio::sync::mpsc::UnboundedSender<Effect>,
    ) -> std::io::Result<()> {
        self.nwave.detach_summaries(move |summary| {
            summaries_to
                .upgrade()
                .is_some_and(|booth| booth.try_send(Event::Occupancy(summary)).is_ok())
        })?;
        self.wal_syncer = Some(wal_sync::WalSyncer::start(self.store.path().to_owned())?);
        self.effects_out = Some(effects_out::EffectsOut::new(effects_to));
        self.checkpointer = Some(
            self.store
                .start_checkpointer()
                .map_err(std::io::Error::other)?,
        );
        Ok(())
    }

    /// Commits a background write (Nwave, remote IO, a gate's report of a cycle's end) without
    /// its own fsync when the log's sync thread runs, so that no scan waits for it;
    /// [`Booth::when_durable`] answers.
    fn background_write<T>(
        &mut self,
        write: impl FnOnce(&mut Store) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        match &self.wal_syncer {
            Some(_) => self.store.without_fsync(write),
            None => write(&mut self.store),
        }
    }

    /// Calls `answer` once what [`Booth::background_write`] committed is on disk.
    fn when_durable(&self, answer: impl FnOnce(Result<(), &std::io::Error>) + Send + 'static) {
        match &self.wal_syncer {
            Some(syncer) => syncer.when_durable(Box::new(answer)),
            None => answer(Ok(())),
        }
    }

    /// After a background write: once the log is long, asks the checkpointer to finish, and
    /// background work waits for it.
    fn after_background_write(&mut self) {
        if let Some(checkpointer) = &self.checkpointer
            && self.checkpoint_asked.is_none()
            && self.store.wal_bytes() >= store::FINISH_AT_BYTES
        {
            self.checkpoint_asked = Some(checkpointer.finish());
        }
    }

    /// Whether background events must wait for the checkpoint asked for; the runner then
    /// waits on [`Booth::checkpoint_asked`] beside the urgent events.
    pub(super) fn background_paused(&mut self) -> bool {
        let done = match &mut self.checkpoint_asked {
            None => return false,
            Some(asked) => !matches!(
                asked.try_recv(),
                Err(tokio::sync::oneshot::error::TryRecvError::Empty)
            ),
        };
        if done {
            self.checkpoint_asked = None;
        }
        !done
    }

    pub(super) fn checkpoint_asked(&mut self) -> Option<&mut tokio::sync::oneshot::Receiver<()>> {
        self.checkpoint_asked.as_mut()
    }

    pub fn subscribe_snapshots(&self) -> watch::Receiver<Snapshot> {
        self.snapshot_tx.subscribe()
    }

    pub fn subscribe_activity(&self) -> broadcast::Receiver<Activity> {
        self.activity_tx.subscribe()
    }

    pub fn snapshot(&self) -> Snapshot {
        self.snapshot_tx.borrow().clone()
    }

    /// The write connection, for tests and benchmarks that check rows.
    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn settings(&self) -> &BoothSettings {
        &self.settings
    }

    fn lane_index(&self, id: &str) -> Option<usize> {
        self.lanes.iter().position(|l| l.config.id == id)
    }

    fn record(&mut self, lane: Option<&str>, kind: ActivityKind) {
        let activity = Activity {
            at: self.clock.now(),
            lane: lane.map(str::to_owned),
            kind,
        };
        if activity.is_alert() {
            tracing::warn!(target: "clearpark::activity", "{activity}");
        } else {
            tracing::info!(target: "clearpark::activity", "{activity}");
        }
        // No subscriber is fine: the headless booth only logs.
        let _ = self.activity_tx.send(activity);
    }

    fn publish(&self) {
        let snapshot = Snapshot {
            site_name: self.settings.name.clone(),
            taken_at: Some(self.clock.now()),
            lanes: self.lanes.iter().map(|l| l.view.clone()).collect(),
            occupied: self.occupied,
            capacity: self.settings.capacity,
            revenue_today: self.revenue.clone(),
            last_receipt_no: self.last_receipt_no,
            refused_scans: self.refused_scans,
            nwave: self.nwave.view(),
        };
        self.snapshot_tx.send_replace(snapshot);
    }

    fn device_status(&mut self, lane: &str, device: DeviceKind, online: bool, detail: String) {
        let Some(i) = self.lane_index(lane) else {
            tracing::warn!(lane, %device, "status from a device of an unknown lane");
            return;
        };
        let view = &mut self.lanes[i].view;
        let slot = match device {
            DeviceKind::Scanner => &mut view.scanner_online,
            DeviceKind::Printer => &mut view.printer_online,
            DeviceKind::Gate => &mut view.gate.online,
        };
        if *slot == Some(online) {
            return;
        }
        *slot = Some(online);
        self.record(
            Some(lane),
            ActivityKind::Device {
                device,
                online,
                detail,
            },
        );
    }

    /// The local calendar day of `at` as `[start, end)` in UTC.
    fn local_day(&self, at: DateTime<Utc>) -> (NaiveDate, DateTime<Utc>, DateTime<Utc>) {
        let tz = self.settings.timezone;
        let day = at.with_timezone(&tz).date_naive();
        let start_of = |d: NaiveDate| {
            let midnight = d.and_hms_opt(0, 0, 0).unwrap_or_default();
            // A zone that skips midnight (DST at 00:00) starts the day at the first valid time.
            tz.from_local_datetime(&midnight)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| midnight.and_utc())
        };
        (day, start_of(day), start_of(day.succ_opt().unwrap_or(day)))
    }

    /// Reloads today's revenue when the local day has changed since it was loaded.
    fn roll_day(&mut self) -> store::Result<()> {
        let (day, from, to) = self.local_day(self.clock.now());
        if self.revenue.day == Some(day) {
            return Ok(());
        }
        self.revenue.by_method = receipts::revenue_between(self.store.conn(), from, to)?;
        self.revenue.day = Some(day);
        Ok(())
    }

    fn count_receipt(
        &mut self,
        receipt_no: i64,
        method: PaymentMethod,
        total: rust_decimal::Decimal,
    ) {
        self.last_receipt_no = Some(receipt_no);
        self.revenue.add(method, total);
    }
}
