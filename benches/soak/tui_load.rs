//! The console drawing into ratatui's `TestBackend` (160×48) at a steady frame rate: the same
//! `App` and `view::draw` as the real screen, fed the booth's snapshots and activity, a clock
//! tick each frame, a new view every few seconds (dashboard, sessions, bays, accounts), and the
//! lists those views load from a read-only connection off the runtime's threads, one at a time,
//! as the console's runner does.

use super::setup::ScaledClock;
use super::stats::Figures;
use clearpark::booth::clock::Clock;
use clearpark::booth::{Activity, Snapshot};
use clearpark::store::read::Reader;
use clearpark::tui::app::{App, AppConfig, Command, Msg};
use clearpark::tui::keys::Key;
use clearpark::tui::{model, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, mpsc, watch};
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

type Read = Box<dyn FnOnce(&Reader) -> Result<Msg, clearpark::store::read::StoreError> + Send>;

/// Frames between two changes of view.
const FRAMES_PER_VIEW: usize = 50;

pub struct Report {
    pub wall: Duration,
    pub frames: usize,
    pub draw: Figures,
    pub loads: usize,
    pub load_errors: usize,
    /// Activities the screen fell behind on and skipped.
    pub lagged: u64,
}

pub struct Screen {
    pub config: AppConfig,
    pub snapshots: watch::Receiver<Snapshot>,
    pub activity: broadcast::Receiver<Activity>,
    pub database: PathBuf,
    pub clock: ScaledClock,
    pub fps: u32,
}

/// Draws every frame until `stop`.
pub async fn run(screen: Screen, stop: CancellationToken) -> Report {
    let Screen {
        config,
        mut snapshots,
        mut activity,
        database,
        clock,
        fps,
    } = screen;
    let bay_limits = config.bay_limits.clone().unwrap_or_default();
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
    let mut app = App::new(config, clock.now());
    let (loaded_tx, mut loaded) = mpsc::unbounded_channel::<Msg>();
    let reader: Arc<Mutex<Option<Reader>>> = Arc::default();
    let loading = Arc::new(AtomicBool::new(false));
    let (mut loads, mut load_errors, mut lagged) = (0usize, 0usize, 0u64);
    let mut draws = Vec::with_capacity(1 << 16);
    let mut tick = tokio::time::interval(Duration::from_secs(1) / fps.max(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let begun = Instant::now();
    let mut frames = 0usize;
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            _ = tick.tick() => {}
        }
        let mut msgs = Vec::new();
        loop {
            match activity.try_recv() {
                Ok(a) => msgs.push(Msg::Activity(Box::new(a))),
                Err(broadcast::error::TryRecvError::Lagged(n)) => lagged += n,
                Err(_) => break,
            }
        }
        if snapshots.has_changed().unwrap_or(false) {
            msgs.push(Msg::Snapshot(Box::new(
                snapshots.borrow_and_update().clone(),
            )));
        }
        while let Ok(msg) = loaded.try_recv() {
            if matches!(msg, Msg::Done(Err(_))) {
                load_errors += 1;
            }
            msgs.push(msg);
        }
        if frames.is_multiple_of(FRAMES_PER_VIEW) {
            let view = (frames / FRAMES_PER_VIEW) % 4;
            msgs.push(Msg::Key(Key::Char(char::from(b'1' + view as u8))));
        }
        msgs.push(Msg::Tick(clock.now()));
        for msg in msgs {
            for command in app.update(msg) {
                let now = clock.now();
                let limits = bay_limits.clone();
                let read: Read = match command {
                    Command::LoadSessions => {
                        Box::new(|s: &Reader| model::load_sessions(s).map(Msg::Sessions))
                    }
                    Command::LoadBays => {
                        Box::new(move |s: &Reader| model::load_bays(s, now, &limits).map(Msg::Bays))
                    }
                    Command::SearchAccounts(q) => {
                        Box::new(move |s: &Reader| model::search_accounts(s, &q).map(Msg::Accounts))
                    }
                    _ => continue,
                };
                if loading.swap(true, Ordering::AcqRel) {
                    continue;
                }
                loads += 1;
                let (reader, database, tx, loading) = (
                    reader.clone(),
                    database.clone(),
                    loaded_tx.clone(),
                    loading.clone(),
                );
                tokio::task::spawn_blocking(move || {
                    let mut guard = reader.lock().unwrap();
                    if guard.is_none() {
                        *guard = Reader::open(&database).ok();
                    }
                    let msg = match guard.as_ref().map(read) {
                        Some(Ok(msg)) => msg,
                        Some(Err(e)) => Msg::Done(Err(e.to_string())),
                        None => Msg::Done(Err("cannot open the database".into())),
                    };
                    loading.store(false, Ordering::Release);
                    let _ = tx.send(msg);
                });
            }
        }
        let t = Instant::now();
        terminal.draw(|f| view::draw(f, &app)).unwrap();
        draws.push(t.elapsed());
        frames += 1;
    }
    Report {
        wall: begun.elapsed(),
        frames,
        draw: Figures::of(&draws),
        loads,
        load_errors,
        lagged,
    }
}
