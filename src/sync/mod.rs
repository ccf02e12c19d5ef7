//! Site sync: copies the Unit's web pages into `<knowledge.dir>/site/` so staff do not
//! retype them (`guichet sync`, and `serve` every `sync.interval_hours`).
//!
//! A run lists the pages (the sitemap, then `sync.urls`), fetches each politely
//! ([`fetch`]: robots.txt, one request at a time, conditional GETs, redirects only to
//! allowed hosts, a size cap), keeps the main content with its title, canonical address and
//! language ([`page`]), and writes one small HTML file per page, atomically and only when
//! it changed, so the live reload picks it up without rebuilding for nothing. A page that
//! fails keeps its copy; once it has failed (or been missing from the sitemap) for
//! `sync.remove_after_days`, its copy is removed. What a run learns is kept in
//! `<data_dir>/sync/state.json` ([`state`]).

pub mod fetch;
pub mod page;
pub mod robots;
pub mod sitemap;
pub mod state;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use http_client::Url;
use time::OffsetDateTime;

use crate::config::{Config, SyncConfig};
use crate::shutdown::Shutdown;
use fetch::{FetchError, Fetched, Fetcher, Validators};
use page::Copy;
use state::{PageState, State};

/// The folder of the knowledge folder the copies go to.
pub const SITE_DIR: &str = "site";
/// Sitemaps of a sitemap index read at most (one level: an index of indexes is not read).
const MAX_SITEMAPS: usize = 50;
/// How long `serve` waits after starting before its first sync.
pub const FIRST_SYNC_AFTER: Duration = Duration::from_secs(60);

/// Why a sync could not run at all (a page that fails is counted, not an error).
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("nothing to copy: set sync.sitemap or sync.urls")]
    NothingToSync,
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot make the HTTP client: {0}")]
    Client(#[source] http_client::Error),
    #[error("another sync is running ({0} exists; remove it if no sync runs)")]
    Busy(PathBuf),
}

/// A run older than this is taken to have crashed: its lock is taken over.
const STALE_LOCK: Duration = Duration::from_secs(6 * 3600);

/// Held while a run writes the copies and the state, so `guichet sync` and `serve`'s
/// daily run never work on one folder at once; removed when dropped.
struct RunLock(PathBuf);

impl RunLock {
    fn take(data_dir: &Path) -> Result<RunLock, SyncError> {
        let path = data_dir.join("sync").join("lock");
        let io = |source| SyncError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(data_dir.join("sync")).map_err(io)?;
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(_) => return Ok(RunLock(path)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let age = std::fs::metadata(&path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.elapsed().ok());
                    if age.is_none_or(|age| age < STALE_LOCK) {
                        return Err(SyncError::Busy(path));
                    }
                    tracing::warn!(path = %path.display(), "taking over the lock of a sync that did not finish");
                    let _ = std::fs::remove_file(&path);
                }
                Err(e) => return Err(io(e)),
            }
        }
        Err(SyncError::Busy(path))
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Pages listed (sitemap and `sync.urls`, allowed hosts only).
    pub listed: usize,
    /// Pages that answered 200 with HTML.
    pub fetched: usize,
    /// Pages that answered 304 Not Modified.
    pub unchanged: usize,
    /// Files written (new or changed pages).
    pub written: usize,
    /// Copies removed after failing for `remove_after_days`.
    pub removed: usize,
    /// Pages that could not be copied this run (their copies stay).
    pub failed: usize,
    /// Pages not tried because their host's robots.txt could not be read.
    pub skipped: usize,
    /// Why the sitemap could not be read, if it could not (the pages copied before are
    /// then fetched again, and none counts as gone from it).
    pub sitemap_error: Option<String>,
}

impl Summary {
    /// Whether nothing could be copied: every listed page failed or was skipped, or the
    /// sitemap could not be read and there was nothing else to fetch (the command's exit
    /// status says so).
    pub fn all_failed(&self) -> bool {
        if self.listed == 0 {
            self.sitemap_error.is_some()
        } else {
            self.failed + self.skipped == self.listed
        }
    }
}

/// Runs one sync now.
pub async fn run(config: &Config) -> Result<Summary, SyncError> {
    run_at(config, OffsetDateTime::now_utc()).await
}

/// Runs one sync as if it were `now` (failure ages are counted from it).
pub async fn run_at(config: &Config, now: OffsetDateTime) -> Result<Summary, SyncError> {
    let settings = &config.sync;
    if settings.sitemap.is_empty() && settings.urls.is_empty() {
        return Err(SyncError::NothingToSync);
    }
    let site = config.knowledge.dir.join(SITE_DIR);
    std::fs::create_dir_all(&site).map_err(|source| SyncError::Io {
        path: site.clone(),
        source,
    })?;
    let _lock = RunLock::take(&config.data_dir)?;
    let state_path = State::path(&config.data_dir);
    let mut state = State::load(&state_path)?;
    let mut fetcher = Fetcher::new(settings, allowed_hosts(settings)).map_err(SyncError::Client)?;
    let mut summary = Summary::default();

    let mut listed = Vec::new();
    if !settings.sitemap.is_empty() {
        match read_sitemap(&mut fetcher, &settings.sitemap).await {
            Ok(pages) => listed.extend(pages),
            Err(why) => {
                tracing::warn!(sitemap = %settings.sitemap, error = %why, "the sitemap could not be read; refreshing the pages copied before");
                listed.extend(state.pages.keys().cloned());
                summary.sitemap_error = Some(why);
            }
        }
    }
    listed.extend(settings.urls.iter().cloned());
    let plan = plan(&fetcher, &listed);
    summary.listed = plan.len();

    let removal_age = time::Duration::days(settings.remove_after_days.into());
    // Where each fetched page landed (after redirects), and the first address that did:
    // two addresses of one page make one copy.
    let mut landed: HashMap<String, String> = HashMap::new();
    for url in &plan {
        let key = url.to_string();
        let entry = state.pages.entry(key.clone()).or_insert_with(|| PageState {
            file: page::file_name(url),
            ..PageState::default()
        });
        let path = site.join(&entry.file);
        // Without the copy, ask for the page in full.
        let validators = if path.exists() {
            Validators {
                etag: entry.etag.clone(),
                last_modified: entry.last_modified.clone(),
            }
        } else {
            Validators::default()
        };
        let outcome = match fetcher.get(url, &validators, true).await {
            Ok(Fetched::NotModified) => {
                summary.unchanged += 1;
                Ok(None)
            }
            Ok(Fetched::Body {
                url: at,
                body,
                validators,
            }) => {
                summary.fetched += 1;
                if let Some(first) = landed.get(at.as_str()) {
                    Err(format!("the same page as {first}"))
                } else {
                    landed.insert(at.to_string(), key.clone());
                    let hosts = fetcher.allowed_hosts().to_vec();
                    let path = path.clone();
                    // Parsing a large page and writing its copy are blocking work.
                    let stored =
                        tokio::task::spawn_blocking(move || store(&body, &at, &hosts, &path)).await;
                    match stored {
                        Ok(Ok(Ok(written))) => Ok(Some((written, validators))),
                        Ok(Ok(Err(unreadable))) => Err(unreadable.to_string()),
                        Ok(Err(e)) => {
                            tracing::warn!(%url, error = %e, "the copy could not be written");
                            summary.failed += 1;
                            continue;
                        }
                        Err(e) => {
                            tracing::error!(%url, error = %e, "reading the page panicked");
                            summary.failed += 1;
                            continue;
                        }
                    }
                }
            }
            Err(FetchError::RobotsUnavailable(host)) => {
                tracing::warn!(%url, %host, "skipped: robots.txt could not be read");
                summary.skipped += 1;
                continue;
            }
            Err(e) => Err(e.to_string()),
        };
        match outcome {
            Ok(None) => {
                entry.failing_since = None;
                entry.last_error = None;
            }
            Ok(Some((written, validators))) => {
                summary.written += usize::from(written);
                entry.etag = validators.etag;
                entry.last_modified = validators.last_modified;
                entry.failing_since = None;
                entry.last_error = None;
            }
            Err(why) => {
                tracing::warn!(%url, error = %why, "page not copied");
                summary.failed += 1;
                let since = *entry.failing_since.get_or_insert(now);
                entry.last_error = Some(why);
                if now - since >= removal_age {
                    let file = entry.file.clone();
                    state.pages.remove(&key);
                    summary.removed += remove_copy(&site.join(file)) as usize;
                }
            }
        }
    }

    // Pages copied before and no longer listed age like failing ones.
    let planned: HashSet<String> = plan.iter().map(Url::to_string).collect();
    let gone: Vec<String> = state
        .pages
        .keys()
        .filter(|k| !planned.contains(*k))
        .cloned()
        .collect();
    for key in gone {
        let Some(entry) = state.pages.get_mut(&key) else {
            continue;
        };
        let since = *entry.failing_since.get_or_insert(now);
        entry.last_error = Some("no longer listed".into());
        if now - since >= removal_age {
            let file = entry.file.clone();
            state.pages.remove(&key);
            summary.removed += remove_copy(&site.join(file)) as usize;
        }
    }
    state.save(&state_path)?;
    tracing::info!(
        listed = summary.listed,
        fetched = summary.fetched,
        unchanged = summary.unchanged,
        written = summary.written,
        removed = summary.removed,
        failed = summary.failed,
        skipped = summary.skipped,
        requests = fetcher.requests,
        "site sync done"
    );
    Ok(summary)
}

/// `serve`'s sync task: a first run `first_after` the start ([`FIRST_SYNC_AFTER`]), then
/// every `interval_hours`, until `stop`.
pub async fn every(config: Config, first_after: Duration, mut stop: Shutdown) {
    let interval = Duration::from_secs(u64::from(config.sync.interval_hours) * 3600);
    let mut next = tokio::time::Instant::now() + first_after;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(next) => {}
            _ = stop.wait() => return,
        }
        tokio::select! {
            done = run(&config) => {
                if let Err(e) = done {
                    tracing::error!(error = %e, "the site sync failed");
                }
            }
            _ = stop.wait() => return,
        }
        next = tokio::time::Instant::now() + interval;
    }
}

/// The hosts pages may come from: `allowed_hosts`, else those of the sitemap and urls.
fn allowed_hosts(settings: &SyncConfig) -> Vec<String> {
    if !settings.allowed_hosts.is_empty() {
        return settings
            .allowed_hosts
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect();
    }
    let mut hosts: Vec<String> = std::iter::once(&settings.sitemap)
        .chain(&settings.urls)
        .filter_map(|u| Url::parse(u).ok())
        .filter_map(|u| u.host_str().map(str::to_ascii_lowercase))
        .collect();
    hosts.sort();
    hosts.dedup();
    hosts
}

/// The addresses to fetch, in order, without duplicates (fragments dropped) and only on
/// allowed hosts.
fn plan(fetcher: &Fetcher, listed: &[String]) -> Vec<Url> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for raw in listed {
        let Ok(mut url) = Url::parse(raw) else {
            tracing::warn!(url = %raw, "not an address; skipped");
            continue;
        };
        url.set_fragment(None);
        if !fetcher.allowed(&url) {
            tracing::warn!(%url, "not on an allowed host; skipped");
            continue;
        }
        if seen.insert(url.to_string()) {
            out.push(url);
        }
    }
    out
}

/// The pages the sitemap lists (following one level of sitemap index).
async fn read_sitemap(fetcher: &mut Fetcher, address: &str) -> Result<Vec<String>, String> {
    let url = Url::parse(address).map_err(|e| e.to_string())?;
    let mut pages = Vec::new();
    let mut queue = vec![url];
    let mut read = 0;
    let mut index = true;
    while let Some(url) = queue.pop() {
        read += 1;
        let body = match fetcher.get(&url, &Validators::default(), false).await {
            Ok(Fetched::Body { body, .. }) => body,
            Ok(Fetched::NotModified) => return Err(format!("{url}: 304 to an unconditional GET")),
            Err(e) => return Err(format!("{url}: {e}")),
        };
        match sitemap::parse(&body).map_err(|e| format!("{url}: {e}"))? {
            sitemap::Sitemap::Pages(p) => pages.extend(p),
            sitemap::Sitemap::Index(more) if index => {
                index = false;
                let more: Vec<Url> = more
                    .iter()
                    .filter_map(|m| url.join(m).ok())
                    .take(MAX_SITEMAPS)
                    .collect();
                queue.extend(more.into_iter().rev());
            }
            sitemap::Sitemap::Index(_) => {
                tracing::warn!(%url, "a sitemap index inside a sitemap index is not read");
            }
        }
        if read > MAX_SITEMAPS {
            break;
        }
    }
    Ok(pages)
}

/// Reads a fetched page (at `at`, after redirects) and writes its copy to `path` if it
/// changed: `Ok(Ok(true))` when it wrote, `Ok(Err(_))` when guichet cannot read the page.
fn store(
    body: &str,
    at: &Url,
    hosts: &[String],
    path: &Path,
) -> Result<Result<bool, page::PageError>, SyncError> {
    let copy = match Copy::read(body, at, |u| fetch::allowed(hosts, u)) {
        Ok(copy) => copy,
        Err(e) => return Ok(Err(e)),
    };
    write_if_changed(path, copy.render().as_bytes()).map(Ok)
}

/// Writes `bytes` to `path` unless it already holds them; true when it wrote.
fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<bool, SyncError> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(false);
    }
    write_atomically(path, bytes)?;
    Ok(true)
}

/// Writes a file whole or not at all: a hidden temporary file beside it (which the
/// knowledge loader ignores), then a rename over it.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), SyncError> {
    let io = |source| SyncError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        use std::io::Write;
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written.map_err(io)
}

/// Removes a copy; true when there was one.
fn remove_copy(path: &Path) -> bool {
    match std::fs::remove_file(path) {
        Ok(()) => {
            tracing::info!(file = %path.display(), "removed a copied page that kept failing");
            true
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "could not remove a copied page");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sync_at_a_time_and_the_lock_goes_with_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let first = RunLock::take(dir.path()).unwrap();
        assert!(matches!(RunLock::take(dir.path()), Err(SyncError::Busy(_))));
        drop(first);
        assert!(RunLock::take(dir.path()).is_ok());
    }

    #[tokio::test]
    async fn the_serve_task_stops_when_the_shutdown_fires() {
        let (trigger, stop) = crate::shutdown::token();
        let task = tokio::spawn(every(Config::default(), FIRST_SYNC_AFTER, stop));
        trigger.fire();
        task.await
            .expect("the sync task ends when the shutdown fires");
    }

    #[test]
    fn allowed_hosts_default_to_those_of_the_sitemap_and_urls() {
        let settings = SyncConfig {
            sitemap: "https://SSAQuebec.ca/sitemap.xml".into(),
            urls: vec![
                "https://ssaquebec.ca/en/".into(),
                "http://www.ssaquebec.ca:8080/fr/".into(),
            ],
            ..SyncConfig::default()
        };
        assert_eq!(
            allowed_hosts(&settings),
            vec!["ssaquebec.ca".to_string(), "www.ssaquebec.ca".to_string()]
        );
        let only = SyncConfig {
            allowed_hosts: vec!["Example.org".into()],
            ..settings
        };
        assert_eq!(allowed_hosts(&only), vec!["example.org".to_string()]);
    }
}
