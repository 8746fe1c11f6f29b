//! The attendant's console: a live terminal screen (ratatui + crossterm).
//!
//! Key → [`app::App::update`] → commands → the booth, and snapshots, activities and loaded rows
//! back into `update`; the screen is redrawn when something changed and at most every 250 ms for
//! the clock. Nothing on the screen's path waits for the database, a port or the network: booth
//! commands and list loads run as tasks that post their results back as messages. The terminal
//! is restored on exit, on Ctrl-C and on panic (ratatui's panic hook).
//!
//! * [`app`] — state and update; [`task`] — multi-step attendant actions; [`keys`] — key map and
//!   help; [`wedge`] — keyboard-wedge scanner detection; [`model`] — list rows and their loading;
//!   [`view`] — drawing.

pub mod app;
pub mod fixture;
pub mod keys;
pub mod model;
pub mod task;
pub mod view;
pub mod wedge;

use crate::booth::{Activity, BoothClient, ScanDecided, ScanOutcome, ScanSource, Snapshot};
use crate::store::read::{Reader, StoreError};
use app::{App, AppConfig, Command, Msg};
use keys::Key;
use ratatui::crossterm::event::{self, Event as TermEvent};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use task::TaskCommand;
use tokio::sync::{broadcast, mpsc, watch};
use tokio_util::sync::CancellationToken;
use wedge::{Wedge, WedgeDetector};

/// The clock on screen advances at this pace; nothing else redraws without a change.
const TICK: Duration = Duration::from_millis(250);

/// Everything the console needs from the running booth.
pub struct Console {
    pub config: AppConfig,
    pub client: BoothClient,
    pub snapshots: watch::Receiver<Snapshot>,
    pub activity: broadcast::Receiver<Activity>,
    /// The booth's database, opened read-only for the lists.
    pub database: PathBuf,
    /// Who is at the console, for the audit log.
    pub actor: String,
    pub shutdown: CancellationToken,
    /// A first line for the status bar (the demo says where its files are).
    pub greeting: Option<String>,
}

/// Terminal input, read on a thread of its own (crossterm's reads block).
enum Input {
    Key(Key, Instant),
    Resize,
}

/// Runs the console until the attendant quits or the shutdown token fires.
pub async fn run(console: Console) -> std::io::Result<()> {
    let mut terminal = ratatui::try_init()?;
    let result = run_loop(&mut terminal, console).await;
    ratatui::restore();
    result
}

async fn run_loop(
    terminal: &mut ratatui::DefaultTerminal,
    console: Console,
) -> std::io::Result<()> {
    let Console {
        config,
        client,
        mut snapshots,
        mut activity,
        database,
        actor,
        shutdown,
        greeting,
    } = console;
    let bay_limits = config.bay_limits.clone();
    let mut app = App::new(config, crate::booth::clock::now());
    app.snapshot = snapshots.borrow_and_update().clone();
    if let Some(text) = greeting {
        app.status = Some((true, text));
    }
    let (msg_tx, mut msgs) = mpsc::unbounded_channel::<Msg>();
    let (input_tx, mut inputs) = mpsc::unbounded_channel::<Input>();
    let stop_input = Arc::new(AtomicBool::new(false));
    let input_thread = spawn_input_thread(input_tx, stop_input.clone())?;
    let runner = Runner {
        client,
        actor,
        msgs: msg_tx,
        reader: Arc::new(Mutex::new(None)),
        database,
        loading: Arc::new(AtomicBool::new(false)),
        bay_limits,
    };
    let mut wedge = WedgeDetector::default();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut wedge_poll = tokio::time::interval(wedge::BURST_GAP / 2);
    loop {
        if app.dirty {
            terminal.draw(|frame| view::draw(frame, &app))?;
            app.dirty = false;
        }
        let mut batch = Vec::new();
        tokio::select! {
            () = shutdown.cancelled() => break,
            input = inputs.recv() => match input {
                Some(Input::Key(key, at)) => batch.extend(wedge_filter(&mut wedge, key, at)),
                Some(Input::Resize) => app.dirty = true,
                None => break,
            },
            _ = wedge_poll.tick(), if wedge.holding() => {
                if let Some(released) = wedge.poll(Instant::now()) {
                    batch.extend(wedge_msgs(released));
                }
            }
            _ = tick.tick() => batch.push(Msg::Tick(crate::booth::clock::now())),
            changed = snapshots.changed() => {
                if changed.is_err() { break; }
                batch.push(Msg::Snapshot(Box::new(snapshots.borrow_and_update().clone())));
            }
            received = activity.recv() => match received {
                Ok(a) => batch.push(Msg::Activity(Box::new(a))),
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(skipped = n, "the screen fell behind the activity stream");
                }
                Err(broadcast::error::RecvError::Closed) => break,
            },
            Some(msg) = msgs.recv() => batch.push(msg),
        }
        for msg in batch {
            for command in app.update(msg) {
                if command == Command::Quit {
                    shutdown.cancel();
                } else {
                    runner.carry_out(command);
                }
            }
        }
        if app.quitting {
            break;
        }
    }
    stop_input.store(true, Ordering::Relaxed);
    let _ = tokio::task::spawn_blocking(move || input_thread.join()).await;
    Ok(())
}

/// Passes keys through the wedge detector: printable keys may be held back for a moment.
fn wedge_filter(wedge: &mut WedgeDetector, key: Key, at: Instant) -> Vec<Msg> {
    match key {
        Key::Char(c) => wedge.key(c, at).map(wedge_msgs).unwrap_or_default(),
        Key::Enter => wedge_msgs(wedge.enter(at)),
        other => {
            let mut out = wedge
                .poll(at + wedge::BURST_GAP * 2)
                .map(wedge_msgs)
                .unwrap_or_default();
            out.push(Msg::Key(other));
            out
        }
    }
}

fn wedge_msgs(w: Wedge) -> Vec<Msg> {
    match w {
        Wedge::Scan(code) => vec![Msg::WedgeScan(code)],
        Wedge::Keys(keys) => keys
            .into_iter()
            .map(|c| Msg::Key(if c == '\n' { Key::Enter } else { Key::Char(c) }))
            .collect(),
    }
}

fn spawn_input_thread(
    tx: mpsc::UnboundedSender<Input>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("console-input".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match event::poll(Duration::from_millis(50)) {
                    Ok(false) => continue,
                    Ok(true) => {}
                    Err(e) => {
                        tracing::error!(error = %e, "cannot read the terminal");
                        return;
                    }
                }
                let input = match event::read() {
                    Ok(TermEvent::Key(k)) => match Key::from_event(k) {
                        Some(key) => Input::Key(key, Instant::now()),
                        None => continue,
                    },
                    Ok(TermEvent::Resize(..)) => Input::Resize,
                    Ok(_) => continue,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot read the terminal");
                        return;
                    }
                };
                if tx.send(input).is_err() {
                    return;
                }
            }
        })
}

/// Carries out the console's commands as tasks that post their results back.
struct Runner {
    client: BoothClient,
    actor: String,
    msgs: mpsc::UnboundedSender<Msg>,
    /// One read-only connection for the lists, opened on first use.
    reader: Arc<Mutex<Option<Reader>>>,
    database: PathBuf,
    /// A list load is under way: the next one waits for its tick instead of piling up.
    loading: Arc<AtomicBool>,
    /// Maximum stays for the bays view; `None`: no bay sensors.
    bay_limits: Option<crate::domain::nwave::OverstayLimits>,
}

impl Runner {
    fn carry_out(&self, command: Command) {
        let client = self.client.clone();
        let msgs = self.msgs.clone();
        match command {
            Command::Task(TaskCommand::Attendant(cmd)) => {
                let actor = self.actor.clone();
                tokio::spawn(async move {
                    let result = match client.attendant(&actor, cmd).await {
                        Ok(Ok(done)) => Ok(format!("Done: {}", done_sentence(&done))),
                        Ok(Err(e)) => Err(format!("Not done: {e}.")),
                        Err(e) => Err(format!("Not done: {e}.")),
                    };
                    let _ = msgs.send(Msg::Done(result));
                });
            }
            Command::Task(TaskCommand::Scan { lane, code }) => {
                self.scan(lane, code, ScanSource::Manual);
            }
            Command::WedgeScan { lane, code } => self.scan(lane, code, ScanSource::Wedge),
            Command::LoadSessions => {
                self.load(|store| model::load_sessions(store).map(Msg::Sessions))
            }
            Command::SearchAccounts(query) => {
                self.load(move |store| model::search_accounts(store, &query).map(Msg::Accounts))
            }
            Command::LoadBays => match self.bay_limits.clone() {
                Some(limits) => self.load(move |store| {
                    model::load_bays(store, crate::booth::clock::now(), &limits).map(Msg::Bays)
                }),
                None => {
                    let _ = self.msgs.send(Msg::Bays(model::BaysData::default()));
                }
            },
            Command::Quit | Command::Task(TaskCommand::Quit) => {}
        }
    }

    fn scan(&self, lane: String, code: String, source: ScanSource) {
        let client = self.client.clone();
        let msgs = self.msgs.clone();
        tokio::spawn(async move {
            let result = match client.scan(&lane, code.into_bytes(), source).await {
                Ok(decided) => scan_sentence(&decided),
                Err(e) => Err(format!("Not scanned: {e}.")),
            };
            let _ = msgs.send(Msg::Done(result));
        });
    }

    fn load<F>(&self, read: F)
    where
        F: FnOnce(&Reader) -> Result<Msg, StoreError> + Send + 'static,
    {
        if self.loading.swap(true, Ordering::AcqRel) {
            return;
        }
        let (reader, database, msgs, loading) = (
            self.reader.clone(),
            self.database.clone(),
            self.msgs.clone(),
            self.loading.clone(),
        );
        tokio::task::spawn_blocking(move || {
            let result = (|| {
                let mut guard = reader.lock().unwrap_or_else(|p| p.into_inner());
                if guard.is_none() {
                    *guard = Some(Reader::open(&database)?);
                }
                match guard.as_ref() {
                    Some(reader) => read(reader),
                    None => Err(StoreError::NotInitialised {
                        path: database.clone(),
                    }),
                }
            })();
            loading.store(false, Ordering::Release);
            let _ = msgs.send(match result {
                Ok(msg) => msg,
                Err(e) => Msg::Done(Err(format!("Cannot read the database: {e}"))),
            });
        });
    }
}

fn done_sentence(done: &crate::booth::AttendantDone) -> String {
    use crate::booth::AttendantDone::*;
    match done {
        TicketIssued { ticket_no, .. } => format!("ticket {ticket_no:06} printed, gate opening."),
        Paid {
            receipt_no,
            total,
            currency,
        } => {
            format!("paid {total} {currency}, receipt {receipt_no:06}, gate opening.")
        }
        PaymentCancelled => "the waiting payment is cancelled.".into(),
        LostTicketClosed {
            ticket_no,
            total,
            currency,
            ..
        } => {
            format!("lost ticket {ticket_no:06} closed at {total} {currency}, gate opening.")
        }
        GateCommanded { action, reason } => {
            format!("{} (reason {reason:?}, audited).", action.audit_action())
        }
        Reprinted { receipt_no } => format!("receipt {receipt_no:06} reprinted."),
        ShiftReported(r) => format!(
            "shift report printed: {} entries, {} exits, {} {}.",
            r.entries,
            r.exits,
            r.total_revenue(),
            r.currency
        ),
    }
}

fn scan_sentence(decided: &ScanDecided) -> Result<String, String> {
    let who = decided.holder_text().unwrap_or_default();
    match &decided.outcome {
        ScanOutcome::Refused(r) => Err(format!("Refused at {}: {r}", decided.lane)),
        ScanOutcome::Entered { .. } => Ok(format!("{who} may enter at {}.", decided.lane)),
        ScanOutcome::Exited { quote, session, .. } => Ok(format!(
            "{who} leaves at {}: {} {}.",
            decided.lane, quote.total, session.currency
        )),
        ScanOutcome::AwaitingPayment { quote, session } => Ok(format!(
            "{who} owes {} {}: press p to take the payment.",
            quote.total, session.currency
        )),
        ScanOutcome::ValidationHeld { shop, grant } => Ok(format!(
            "Validated by {shop} ({grant}) at {}: scan the ticket or code next.",
            decided.lane
        )),
    }
}
