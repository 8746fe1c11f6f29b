//! Running a started booth: with the console screen, or headless until a stop signal.

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

/// Runs until the attendant quits (screen) or a stop signal ([`super::signals`]), then stops
/// everything.
pub async fn serve(
    running: Running,
    config: &Config,
    headless: bool,
    actor: String,
    greeting: Option<String>,
) -> anyhow::Result<()> {
    super::signals::watch(running.shutdown.clone(), !headless)
        .context("cannot listen for signals")?;
    if headless {
        running.shutdown.cancelled().await;
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
        tui::run(console)
            .await
            .context("the console screen failed")?;
    }
    tracing::info!("stopping");
    running.stop().await;
    Ok(())
}
