//! Running a started booth: with the console screen, or headless until Ctrl-C.

use anyhow::Context;
use clearpark::config::Config;
use clearpark::runtime::Running;
use clearpark::tui::{self, app::AppConfig};

/// Who is at the console: `--attendant`, else the login name.
pub fn attendant_name(given: Option<String>) -> String {
    given
        .or_else(|| std::env::var("USER").ok())
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "attendant".into())
}

/// Runs until the attendant quits (screen) or Ctrl-C (headless), then stops everything.
pub async fn serve(
    running: Running,
    config: &Config,
    headless: bool,
    actor: String,
    greeting: Option<String>,
) -> anyhow::Result<()> {
    if headless {
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.context("cannot listen for Ctrl-C")?,
            () = running.shutdown.cancelled() => {}
        }
    } else {
        let console = tui::Console {
            config: AppConfig::from_config(config),
            client: running.client(),
            snapshots: running.snapshots(),
            activity: running.booth.subscribe_activity(),
            database: config.booth.database.clone(),
            actor,
            shutdown: running.shutdown.clone(),
            greeting,
        };
        // A signal (kill -INT/-TERM) also ends the screen cleanly.
        let shutdown = running.shutdown.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                shutdown.cancel();
            }
        });
        tui::run(console)
            .await
            .context("the console screen failed")?;
    }
    tracing::info!("stopping");
    running.stop().await;
    Ok(())
}
