//! The booth: the one owner of the rules and of the write connection (DESIGN.md).
//!
//! Every input becomes an [`Event`]; the booth decides it, writes what it changes, publishes a
//! new [`Snapshot`] and the [`Activity`] it caused, and returns a [`Decision`]: the [`Effect`]s
//! to carry out (open a gate, print) and the answer to give, both once the decision is on disk.
//! Making it durable and carrying it out is the committer's (`commit`). One decider means no
//! race between lanes, the API and the attendant. [`runner`] runs a booth on its own thread
//! (SQLite and fsync are blocking) behind a cloneable [`BoothClient`]; [`Booth::handle`] drives
//! one directly, committing in line (tests, benchmarks).

mod activity;
mod attendant;
pub mod clock;
mod commit;
mod cycle;
mod decision;
mod effect;
mod event;
mod exit;
mod nwave;
mod nwave_batch;
mod occupancy;
mod outcome;
mod paper;
mod release;
mod remote_io;
pub mod runner;
mod scan;
mod snapshot;
mod tariffs;
mod wal_sync;
mod walkin;

pub use activity::{Activity, ActivityKind};
use decision::{Decision, Waiting};
pub use effect::{Effect, GateCommand, PrintJob, PrintKind};
pub use event::{
    AttendantCommand, AttendantRequest, DeviceKind, Event, GateOverride, GateSignal, Priority,
    ScanRequest, ScanSource,
};
pub use nwave::{BatchApplied, BatchFailed, NwaveBatch, NwaveDelivery, NwaveLink, NwaveView};
pub use outcome::{AttendantDone, AttendantError, ScanDecided, ScanOutcome};
pub use remote_io::{RemoteIoFailed, RemoteIoReport};
pub use runner::PART_MESSAGES as NWAVE_PART_MESSAGES;
pub use runner::{BoothClient, BoothGone, BoothHandle};
pub use snapshot::{GatePosition, GateView, LaneView, PaymentDue, RevenueView, Snapshot};
pub use tariffs::{HeldValidation, VALIDATION_HOLD};

use crate::config::{
    BoothSettings, Config, GateEndpoint, LaneConfig, PrinterEndpoint, ScannerEndpoint,
};
use crate::domain::receipt::PaymentMethod;
use crate::store::{self, Store, StoreError, receipts, resource, sessions};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use clock::Clock;
use commit::Committer;
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
    #[error("the config's tariffs cannot be written: {0}")]
    Tariffs(#[from] store::tariffs::ImportError),
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
    /// Tariff versions read so far, by id (a version never changes once written).
    tariffs: std::collections::HashMap<i64, std::sync::Arc<crate::domain::tariff::TariffVersion>>,
}

impl Booth {
    /// A booth over an open store. Checks that the priced resource exists, and gives a
    /// database without tariffs the config's (`store::tariffs::seed`).
    pub fn new(
        mut store: Store,
        config: &Config,
        clock: Box<dyn Clock>,
    ) -> Result<Booth, BoothError> {
        if config.lanes.is_empty() {
            return Err(BoothError::NoLanes);
        }
        let res = resource::get_by_guid(store.conn(), &config.booth.res_guid)?
            .ok_or_else(|| BoothError::MissingResource(config.booth.res_guid.clone()))?;
        {
            let tx = store.transaction()?;
            store::tariffs::seed(
                &tx,
                &config.tariffs,
                &res.currency,
                config.booth.lost_ticket_fee,
                clock.now(),
            )?;
            tx.commit().map_err(StoreError::from)?;
        }
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
                    held_validation: None,
                },
                config: c.clone(),
            })
            .collect();
        let nwave = nwave::NwaveState::load(&store, config.nwave.as_ref(), clock.now())?;
        let (snapshot_tx, _) = watch::channel(Snapshot::default());
        let (activity_tx, _) = broadcast::channel(ACTIVITY_BACKLOG);
        let mut booth = Booth {
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
            tariffs: Default::default(),
        };
        booth.roll_day()?;
        booth.publish();
        Ok(booth)
    }

    /// Decides one event and makes it durable in line (a booth driven directly): returns the
    /// effects to carry out; an answer the event asked for is given.
    pub fn handle(&mut self, event: Event) -> Vec<Effect> {
        let decision = self.decide(event, &|_| true);
        Committer::in_line().commit(&self.store, decision, false, false)
    }

    /// Decides one event: writes what it changes, and says what to carry out and answer once
    /// that is on disk. `part_may_grow`: whether long work (an Nwave batch) may take one more
    /// message into the part it commits, having taken that many; what it leaves is
    /// [`Booth::resume_nwave_batch`]'s.
    pub(super) fn decide(
        &mut self,
        event: Event,
        part_may_grow: &dyn Fn(usize) -> bool,
    ) -> Decision {
        if let Err(e) = self.roll_day() {
            tracing::error!(error = %e, "cannot reload today's revenue");
        }
        let decision = match event {
            Event::Scan(request) => self.scan(request),
            Event::Gate { lane, signal } => self.gate_signal(&lane, signal),
            Event::DeviceStatus {
                lane,
                device,
                online,
                detail,
            } => {
                self.device_status(&lane, device, online, detail);
                Decision::nothing()
            }
            Event::Attendant(request) => self.attendant(request),
            Event::RemoteIo(report) => self.remote_io(report),
            Event::Nwave(batch) => self.nwave_batch(batch, part_may_grow),
            Event::NwaveLink(link) => self.nwave_link(link),
            Event::Occupancy(summary) => {
                self.occupancy_made(summary);
                Decision::nothing()
            }
            Event::Shutdown => Decision::nothing(),
        };
        self.publish();
        decision
    }

    /// For the booth's own thread: the bays' occupancy summary is made on a thread of its own,
    /// which sends each one back through `summaries_to` as an [`Event::Occupancy`] (weak, so
    /// that the booth still stops when every client has gone). The returned guard stops and
    /// joins that thread when dropped, after the booth. A booth driven directly summarises in
    /// line.
    pub(super) fn detach_summaries(
        &mut self,
        summaries_to: tokio::sync::mpsc::WeakSender<Event>,
    ) -> std::io::Result<Option<occupancy::SummaryThread>> {
        self.nwave.detach_summaries(move |summary| {
            summaries_to
                .upgrade()
                .is_some_and(|booth| booth.try_send(Event::Occupancy(summary)).is_ok())
        })
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
