//! clearpark — the console that runs a parking booth.
//!
//! # Layout
//!
//! * [`config`] — `config.toml` and `CLEARPARK_*` overrides, checked with one line per mistake.
//! * [`domain`] — the rules and the model, pure: price, code validation, the session state
//!   machine, receipts, Nwave messages; accounts, codes, stays and tickets ([`domain::model`]).
//! * [`store`] — the SQLite database: schema, migrations, one module per table group; the one
//!   read module the API and the console read through ([`store::read`]).
//! * [`booth`] — the one thread that decides: events in, decisions out, and the committer that
//!   makes them durable before their effects and answers go out.
//! * [`devices`] — each lane's scanner, gate link and printer as tasks on the lanes' own thread,
//!   fed by the booth's effects; the gate protocol and the simulated devices (`clearpark sim`,
//!   the demo).
//! * [`api`] — the embedded HTTP API (axum): find-device, set-ip, sync lists, drivers' sessions.
//! * [`nwave`] — Nwave sensor sessions from RabbitMQ: consumer, publisher, replay generator.
//! * [`tui`] — the attendant's console (ratatui): state and keys, lists, drawing.
//! * [`demo`] — the embedded default: demo data, lanes and simulated traffic.
//! * [`runtime`] — starts a booth with its adapters under one shutdown token.
//! * [`priority`] — background threads lower their own priority below the lanes' and booth's.
//! * `worker` — a thread fed by a channel, stopped and joined on drop: the booth's helpers.
//!
//! Adapters (`store`, `devices`, `api`, `nwave`, `tui`) depend on `booth`, `domain` and
//! `config`, never on each other, except that the API and the console read through
//! `store::read`; the binary (`src/main.rs`), the demo and the runtime wire them together.
//! `tests/layers.rs` checks it on the source.

pub mod api;
pub mod booth;
pub mod config;
pub mod demo;
pub mod devices;
pub mod domain;
pub mod nwave;
pub mod priority;
pub mod runtime;
pub mod store;
pub mod tui;
mod worker;

/// The allocator of everything that links clearpark (the binary, its tests and benches, so
/// that the soak measures what runs): mimalloc rather than glibc's malloc, whose per-thread
/// arenas (up to 8 per core) keep what the booth's many threads have freed, so that the
/// resident set grows in steps under a long load; with mimalloc it levels off (docs/perf/).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
