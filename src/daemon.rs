//! The running service (`guichet serve`): builds the engine and every channel from the
//! configuration, supervises the channels (one that fails is restarted with backoff and
//! reported in the log and in `/healthz`), purges expired personal data every hour, runs
//! the knowledge watcher ([`crate::reload`]), the site sync ([`crate::sync`]) and the
//! `/metrics` server on its own address when configured, and stops everything on one
//! shutdown token.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use time::OffsetDateTime;

use crate::assistant::{Assistant, Settings};
use crate::config::Config;
use crate::mail::ledger::{Ledger, LedgerError};
use crate::requests::{SqliteStore, StoreError};
use crate::search::Knowledge;
use crate::shutdown::{self, Shutdown};

/// How long a failed channel waits before it is started again.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// The first wait; it doubles after each failure up to `max`.
    pub first: Duration,
    pub max: Duration,
    /// A channel that ran this long before failing starts again from `first`.
    pub stable_after: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            first: Duration::from_secs(1),
            max: Duration::from_secs(300),
            stable_after: Duration::from_secs(120),
        }
    }
}
/// How long each part may take to stop before the daemon stops without it.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("opening the knowledge base")]
    Knowledge(#[source] crate::search::IndexError),
    #[error("opening the request database {path}")]
    Store {
        path: std::path::PathBuf,
        #[source]
        source: StoreError,
    },
    #[error("opening the mail ledger")]
    Ledger(#[from] LedgerError),
    #[error("listening on {address} (web.metrics_listen)")]
    MetricsListen {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("listening on {address} (web.listen)")]
    Listen {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the web server failed")]
    Web(#[source] std::io::Error),
    #[error("a startup task failed")]
    Task(#[from] tokio::task::JoinError),
    #[error("setting up the Teams channel")]
    Teams(#[source] crate::teams::StartError),
}

/// The engine as `serve` and the command line build it: the knowledge base, the request
/// log, and every place personal data is kept (so an erasure reaches all of them).
/// Blocking: it opens files and builds the index.
pub fn assistant(config: &Config) -> Result<Assistant, DaemonError> {
    let knowledge = Knowledge::open(config).map_err(DaemonError::Knowledge)?;
    assistant_with(config, knowledge)
}

/// The engine over `knowledge` (already opened), the request log and the mail ledger.
fn assistant_with(config: &Config, knowledge: Knowledge) -> Result<Assistant, DaemonError> {
    let path = config.database_path();
    let store = SqliteStore::open(&path).map_err(|source| DaemonError::Store {
        path: path.clone(),
        source,
    })?;
    let ledger = Ledger::open(&path)?;
    Ok(Assistant::new(
        knowledge,
        Arc::new(store),
        vec![Arc::new(ledger)],
        Settings::from_config(config),
    ))
}

/// What `/healthz` tells of each supervised part.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum PartHealth {
    Running {
        restarts: u32,
    },
    /// It failed and waits to be started again.
    Restarting {
        restarts: u32,
        last_error: String,
    },
    Stopped,
}

/// The health of every supervised part, shared with the web server.
#[derive(Debug, Clone, Default)]
pub struct Health {
    parts: Arc<Mutex<BTreeMap<&'static str, PartHealth>>>,
    /// Since when each part that is not running has been down (from its first failure).
    down: Arc<Mutex<BTreeMap<&'static str, (std::time::Instant, OffsetDateTime)>>>,
}

impl Health {
    fn set(&self, part: &'static str, health: PartHealth) {
        let mut down = self.down.lock().unwrap_or_else(|p| p.into_inner());
        match health {
            PartHealth::Restarting { .. } => {
                down.entry(part)
                    .or_insert_with(|| (std::time::Instant::now(), OffsetDateTime::now_utc()));
            }
            _ => {
                down.remove(part);
            }
        }
        self.parts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(part, health);
    }

    /// What `/healthz` answers: each part's state (a supervised part that runs but whose
    /// connection is down, as the channel reported in `links`, is `reconnecting`), since
    /// when a part is down, the knowledge in use and its last refused reload; and whether
    /// a part has been down longer than `down_limit` (then `/healthz` says 503).
    pub fn report(&self, assistant: &Assistant, down_limit: Duration) -> (bool, serde_json::Value) {
        use crate::metrics::Link;
        let links = assistant.metrics().links();
        let knowledge = assistant.knowledge();
        let down = self.down.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut parts = serde_json::Map::new();
        let (mut degraded, mut failing) = (false, false);
        for (name, health) in self.parts() {
            let mut entry = serde_json::to_value(&health).unwrap_or_default();
            let mut since = down.get(name).copied();
            match (&health, links.get(name)) {
                (
                    PartHealth::Running { .. },
                    Some(Link::Down {
                        since_instant,
                        since: at,
                        error,
                    }),
                ) => {
                    entry["state"] = "reconnecting".into();
                    entry["last_error"] = error.clone().into();
                    since = Some((*since_instant, *at));
                }
                (PartHealth::Running { .. }, _) => {}
                _ => degraded = true,
            }
            if let Some((instant, at)) = since {
                degraded = true;
                let seconds = instant.elapsed().as_secs();
                entry["down_since"] = at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default()
                    .into();
                entry["down_seconds"] = seconds.into();
                failing |= instant.elapsed() >= down_limit;
            }
            parts.insert(name.to_string(), entry);
        }
        let current = knowledge.current();
        let manifest = current.manifest();
        let failure = knowledge.failure();
        degraded |= failure.is_some();
        let report = serde_json::json!({
            "status": if failing { "down" } else if degraded { "degraded" } else { "ok" },
            "parts": parts,
            "knowledge": {
                "documents": manifest.documents.values().sum::<usize>(),
                "passages": manifest.passages.values().sum::<usize>(),
                "skipped": manifest.skipped,
                "reload_error": failure,
            },
        });
        (failing, report)
    }

    /// Every part and its health, by name.
    pub fn parts(&self) -> BTreeMap<&'static str, PartHealth> {
        self.parts.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// True when every part is running.
    pub fn all_running(&self) -> bool {
        self.parts()
            .values()
            .all(|h| matches!(h, PartHealth::Running { .. }))
    }
}

/// guichet, ready to run: the engine built and the web address bound.
pub struct Daemon {
    config: Config,
    assistant: Assistant,
    listener: tokio::net::TcpListener,
    /// Where `/metrics` is served (`web.metrics_listen`), if anywhere.
    metrics_listener: Option<tokio::net::TcpListener>,
}

impl Daemon {
    /// Builds the engine (off the async threads) and binds the web address (and the
    /// metrics one). The index is `serve`'s own (see [`crate::reload`]).
    pub async fn build(config: Config) -> Result<Daemon, DaemonError> {
        let assistant = tokio::task::spawn_blocking({
            let config = config.clone();
            move || {
                let knowledge =
                    crate::reload::open_serving(&config).map_err(DaemonError::Knowledge)?;
                assistant_with(&config, knowledge)
            }
        })
        .await
        .map_err(DaemonError::Task)??;
        let address = config.web.listen;
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|source| DaemonError::Listen { address, source })?;
        let metrics_listener = match config.web.metrics_listen {
            Some(address) => Some(
                tokio::net::TcpListener::bind(address)
                    .await
                    .map_err(|source| DaemonError::MetricsListen { address, source })?,
            ),
            None => None,
        };
        Ok(Daemon {
            config,
            assistant,
            listener,
            metrics_listener,
        })
    }

    /// Where `/metrics` is served, when `web.metrics_listen` is set.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    /// Where the web server listens (the port is known even when configured as 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn assistant(&self) -> &Assistant {
        &self.assistant
    }

    /// Runs until `shutdown` completes: the web server, each enabled channel under
    /// supervision, and the hourly purge. Then stops them all, giving each
    /// [`STOP_GRACE`] to finish what it is doing.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), DaemonError> {
        let Daemon {
            config,
            assistant,
            listener,
            metrics_listener,
        } = self;
        let state = crate::web::AppState::new(assistant.clone(), &config);
        let health = state.health().clone();
        // Built before anything is started, so that failing here leaves nothing running.
        let teams = if config.teams.enabled {
            Some(
                crate::teams::Teams::new(assistant.clone(), config.teams.clone())
                    .map_err(DaemonError::Teams)?,
            )
        } else {
            None
        };
        let (trigger, stop) = shutdown::token();
        let mut parts = vec![
            (
                "purge",
                tokio::spawn(purge_every_hour(assistant.clone(), stop.clone())),
            ),
            (
                "knowledge",
                tokio::spawn(crate::reload::watch(
                    config.clone(),
                    assistant.knowledge().clone(),
                    assistant.metrics().clone(),
                    stop.clone(),
                )),
            ),
        ];
        // The Unit's pages copied into the knowledge folder; the watcher above indexes them.
        if config.sync.enabled {
            parts.push((
                "sync",
                tokio::spawn(crate::sync::every(
                    config.clone(),
                    crate::sync::FIRST_SYNC_AFTER,
                    stop.clone(),
                )),
            ));
        }
        if let Some(listener) = metrics_listener {
            let mut metrics_stop = stop.clone();
            // The outbox is counted at each scrape, on a connection of its own.
            let ledger = if config.mail.enabled {
                let path = config.database_path();
                match tokio::task::spawn_blocking(move || Ledger::open(&path)).await {
                    Ok(Ok(ledger)) => Some(Arc::new(ledger)),
                    _ => None,
                }
            } else {
                None
            };
            let app = metrics_app(assistant.clone(), health.clone(), ledger);
            parts.push((
                "metrics",
                tokio::spawn(async move {
                    let address = listener.local_addr().ok();
                    tracing::info!(?address, "metrics served at /metrics");
                    let served = axum::serve(listener, app)
                        .with_graceful_shutdown(async move { metrics_stop.wait().await })
                        .await;
                    if let Err(e) = served {
                        tracing::error!(error = %e, "the metrics server failed");
                    }
                }),
            ));
        }
        if config.mail.enabled {
            let (assistant, config) = (assistant.clone(), config.clone());
            parts.push((
                "mail",
                tokio::spawn(supervise(
                    "mail",
                    health.clone(),
                    stop.clone(),
                    Backoff::default(),
                    move |stop| crate::mail::run(assistant.clone(), config.clone(), stop),
                )),
            ));
        }
        if config.discord.enabled {
            let (assistant, settings) = (assistant.clone(), config.discord.clone());
            parts.push((
                "discord",
                tokio::spawn(supervise(
                    "discord",
                    health.clone(),
                    stop.clone(),
                    Backoff::default(),
                    move |stop| {
                        crate::discord::client::run(assistant.clone(), settings.clone(), stop)
                    },
                )),
            ));
        }
        // Teams posts to an endpoint of the web server; its answers come from a supervised
        // part like the other channels.
        let extra_routes = teams.as_ref().map(crate::teams::Teams::router);
        if let Some(teams) = teams {
            parts.push((
                "teams",
                tokio::spawn(supervise(
                    "teams",
                    health.clone(),
                    stop.clone(),
                    Backoff::default(),
                    move |stop| {
                        let teams = teams.clone();
                        async move { teams.run(stop).await }
                    },
                )),
            ));
        }
        let mut web_stop = stop.clone();
        let mut web = tokio::spawn(crate::web::serve_with(
            listener,
            state,
            extra_routes,
            async move { web_stop.wait().await },
        ));
        tracing::info!("guichet is running");

        // The web server ending on its own is fatal: it is how staff and people reach us.
        let web_failed = tokio::select! {
            _ = shutdown => None,
            ended = &mut web => Some(ended),
        };
        tracing::info!("shutting down");
        trigger.fire();
        let result = match web_failed {
            Some(Ok(Err(e))) => Err(DaemonError::Web(e)),
            Some(Ok(Ok(()))) => Ok(()),
            Some(Err(e)) => Err(DaemonError::Task(e)),
            None => match tokio::time::timeout(STOP_GRACE, web).await {
                Ok(Ok(Err(e))) => Err(DaemonError::Web(e)),
                Ok(_) => Ok(()),
                Err(_) => {
                    tracing::warn!("the web server did not stop within 10 s");
                    Ok(())
                }
            },
        };
        for (name, part) in parts {
            if tokio::time::timeout(STOP_GRACE, part).await.is_err() {
                tracing::warn!(part = name, "did not stop within 10 s");
            }
        }
        result
    }
}

/// `GET /metrics` alone, for its own address (`web.metrics_listen`): the engine's
/// counters, then gauges read now (each channel's state, the index).
fn metrics_app(assistant: Assistant, health: Health, ledger: Option<Arc<Ledger>>) -> axum::Router {
    let render = move || {
        let (assistant, health, ledger) = (assistant.clone(), health.clone(), ledger.clone());
        async move {
            let outbox = match ledger {
                Some(ledger) => tokio::task::spawn_blocking(move || ledger.outbox_counts())
                    .await
                    .ok()
                    .and_then(Result::ok),
                None => None,
            };
            (
                [(
                    axum::http::header::CONTENT_TYPE,
                    "text/plain; version=0.0.4; charset=utf-8",
                )],
                metrics_text(&assistant, &health, outbox),
            )
        }
    };
    axum::Router::new().route("/metrics", axum::routing::get(render))
}

/// The whole `/metrics` text.
pub fn metrics_text(
    assistant: &Assistant,
    health: &Health,
    outbox: Option<crate::mail::ledger::OutboxCounts>,
) -> String {
    use crate::metrics::{Gauges, Link};
    let links = assistant.metrics().links();
    let mut gauges = Gauges::default();
    let parts = health.parts();
    let up: Vec<(String, f64)> = parts
        .iter()
        .map(|(name, h)| {
            let running = matches!(h, PartHealth::Running { .. })
                && !matches!(links.get(name), Some(Link::Down { .. }));
            (
                format!("channel=\"{name}\""),
                if running { 1.0 } else { 0.0 },
            )
        })
        .collect();
    gauges.add(
        "guichet_channel_up",
        "1 when the channel runs and its connection is up, 0 while it is down or restarting.",
        &up,
    );
    let restarts: Vec<(String, f64)> = parts
        .iter()
        .map(|(name, h)| {
            let n = match h {
                PartHealth::Running { restarts } | PartHealth::Restarting { restarts, .. } => {
                    *restarts
                }
                PartHealth::Stopped => 0,
            };
            (format!("channel=\"{name}\""), f64::from(n))
        })
        .collect();
    gauges.add(
        "guichet_channel_restarts",
        "Times the supervisor restarted the channel since start.",
        &restarts,
    );
    let knowledge = assistant.knowledge().current();
    let manifest = knowledge.manifest();
    for (name, help, counts) in [
        (
            "guichet_index_documents",
            "Documents in the index in use, by language.",
            &manifest.documents,
        ),
        (
            "guichet_index_passages",
            "Passages in the index in use, by language.",
            &manifest.passages,
        ),
    ] {
        let samples: Vec<(String, f64)> = crate::language::Language::ALL
            .iter()
            .map(|l| {
                (
                    format!("lang=\"{}\"", l.code()),
                    counts.get(l).copied().unwrap_or(0) as f64,
                )
            })
            .collect();
        gauges.add(name, help, &samples);
    }
    if let Some(outbox) = outbox {
        gauges.add(
            "guichet_mail_outbox",
            "Emails in the outbox, by state: pending (waiting or retrying), sent, failed (given up).",
            &[
                ("state=\"pending\"".to_string(), outbox.pending as f64),
                ("state=\"sent\"".to_string(), outbox.sent as f64),
                ("state=\"failed\"".to_string(), outbox.failed as f64),
            ],
        );
    }
    gauges.add(
        "guichet_index_skipped_files",
        "Malformed knowledge files left out of the index in use.",
        &[(String::new(), manifest.skipped.len() as f64)],
    );
    gauges.add(
        "guichet_knowledge_reload_failing",
        "1 when the last change of the knowledge folder could not be indexed (the previous index answers).",
        &[(
            String::new(),
            if assistant.knowledge().failure().is_some() { 1.0 } else { 0.0 },
        )],
    );
    assistant.metrics().render(&gauges)
}

/// Runs the channel `name` (started by `start`) until `stop`, restarting it with
/// backoff whenever it fails, returns or panics, and keeping `health` up to date.
pub async fn supervise<F, Fut, E>(
    name: &'static str,
    health: Health,
    mut stop: Shutdown,
    timing: Backoff,
    start: F,
) where
    F: Fn(Shutdown) -> Fut,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    let mut restarts = 0u32;
    let mut backoff = timing.first;
    loop {
        health.set(name, PartHealth::Running { restarts });
        let started = tokio::time::Instant::now();
        let ended = tokio::spawn(start(stop.clone())).await;
        if stop.fired() {
            health.set(name, PartHealth::Stopped);
            return;
        }
        let error = match ended {
            Ok(Ok(())) => "it stopped on its own".to_string(),
            Ok(Err(e)) => e.to_string(),
            Err(e) if e.is_panic() => "it panicked".to_string(),
            Err(e) => e.to_string(),
        };
        if started.elapsed() >= timing.stable_after {
            backoff = timing.first;
        }
        restarts = restarts.saturating_add(1);
        tracing::error!(channel = name, %error, restarts, retry_in_s = backoff.as_secs(), "a channel failed; it will be restarted");
        health.set(
            name,
            PartHealth::Restarting {
                restarts,
                last_error: error,
            },
        );
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = stop.wait() => {
                health.set(name, PartHealth::Stopped);
                return;
            }
        }
        backoff = (backoff * 2).min(timing.max);
    }
}

/// Erases personal data past its retention period at start and then every hour.
async fn purge_every_hour(assistant: Assistant, mut stop: Shutdown) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let a = assistant.clone();
                match tokio::task::spawn_blocking(move || a.purge_expired(OffsetDateTime::now_utc())).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::error!(error = %e, "purging expired personal data failed"),
                    Err(e) => tracing::error!(error = %e, "the purge task panicked"),
                }
            }
            _ = stop.wait() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Polls `health` until `ok` holds for `part` (a supervisor that never gets there
    /// fails the test after 30 s).
    async fn until(health: &Health, part: &str, ok: impl Fn(&PartHealth) -> bool) -> PartHealth {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(h) = health.parts().get(part).filter(|h| ok(h)) {
                return h.clone();
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{part}: {:?}",
                health.parts()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    #[tokio::test]
    async fn a_failing_part_is_restarted_with_growing_waits_and_reported() {
        let health = Health::default();
        let (trigger, stop) = shutdown::token();
        let starts = Arc::new(Mutex::new(Vec::<std::time::Instant>::new()));
        let timing = Backoff {
            first: Duration::from_millis(50),
            max: Duration::from_secs(10),
            stable_after: Duration::from_secs(60),
        };
        let supervised = tokio::spawn(supervise("flaky", health.clone(), stop, timing, {
            let starts = starts.clone();
            move |mut stop: Shutdown| {
                let n = {
                    let mut starts = starts.lock().unwrap();
                    starts.push(std::time::Instant::now());
                    starts.len()
                };
                async move {
                    match n {
                        1 => Err("the mailbox vanished"),
                        2 => panic!("a bug in the adapter"),
                        _ => {
                            stop.wait().await;
                            Ok(())
                        }
                    }
                }
            }
        }));
        let first = until(&health, "flaky", |h| {
            matches!(h, PartHealth::Restarting { .. })
        })
        .await;
        assert_eq!(
            first,
            PartHealth::Restarting {
                restarts: 1,
                last_error: "the mailbox vanished".into()
            }
        );
        assert!(!health.all_running());
        until(&health, "flaky", |h| {
            *h == PartHealth::Running { restarts: 2 }
        })
        .await;
        assert!(health.all_running());
        let starts = starts.lock().unwrap().clone();
        assert_eq!(
            starts.len(),
            3,
            "started, restarted after the error and after the panic"
        );
        assert!(starts[1] - starts[0] >= Duration::from_millis(50));
        assert!(
            starts[2] - starts[1] >= Duration::from_millis(100),
            "the wait doubles after the second failure"
        );
        trigger.fire();
        supervised.await.unwrap();
        assert_eq!(health.parts()["flaky"], PartHealth::Stopped);
    }
}
