//! Live knowledge: the swappable handle the engine answers from ([`LiveKnowledge`]), and
//! the watcher `serve` runs ([`watch`]) that notices a change in the knowledge folder by a
//! cheap periodic scan (paths, sizes, modification times), builds a new index beside the
//! one in use, and swaps it in only when it built cleanly: a malformed file is reported
//! (log, `/healthz`) and the old index keeps answering.
//!
//! Each message takes one snapshot ([`LiveKnowledge::current`]) and answers from it to the
//! end, so no question is half-answered across a swap; the answer cache belongs to a
//! [`Knowledge`] and goes with the old one.
//!
//! Where the indexes live: `serve` builds each new index in its own directory under
//! `<data_dir>/live/` (a "generation"), never in `<data_dir>/index`, which `guichet index`,
//! `ask` and `eval` rebuild in place; so a `guichet index` run against a running daemon's
//! data directory never removes the files the daemon reads, and the daemon never removes
//! theirs. A generation is deleted only once no [`Knowledge`] of this process uses it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, SystemTime};

use time::OffsetDateTime;

use crate::config::Config;
use crate::metrics::Metrics;
use crate::search::Knowledge;
use crate::shutdown::Shutdown;

/// How often the knowledge folder is scanned for changes.
pub const SCAN_EVERY: Duration = Duration::from_millis(200);
/// After a change, how long the folder must stay the same before it is indexed (an
/// editor or a copy still writing).
const SETTLE: Duration = Duration::from_millis(100);

/// The knowledge the engine answers from, replaced whole when the folder changes. Cheap
/// to clone (one `Arc`).
#[derive(Clone)]
pub struct LiveKnowledge {
    inner: Arc<Shared>,
}

struct Shared {
    current: RwLock<Arc<Knowledge>>,
    /// The last reload that failed, for `/healthz`; cleared by the next success.
    failure: Mutex<Option<ReloadFailure>>,
}

/// Why the last reload was refused.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReloadFailure {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub error: String,
}

impl LiveKnowledge {
    pub fn new(knowledge: Knowledge) -> LiveKnowledge {
        LiveKnowledge {
            inner: Arc::new(Shared {
                current: RwLock::new(Arc::new(knowledge)),
                failure: Mutex::new(None),
            }),
        }
    }

    /// The knowledge in use now; a message keeps it until it has been answered.
    pub fn current(&self) -> Arc<Knowledge> {
        // A poisoned lock only means a panic while swapping an `Arc`: the value is whole.
        self.inner
            .current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Puts `knowledge` in use; returns the one it replaces.
    pub fn swap(&self, knowledge: Knowledge) -> Arc<Knowledge> {
        let new = Arc::new(knowledge);
        let mut current = self
            .inner
            .current
            .write()
            .unwrap_or_else(|p| p.into_inner());
        *self.inner.failure.lock().unwrap_or_else(|p| p.into_inner()) = None;
        std::mem::replace(&mut *current, new)
    }

    fn failed(&self, error: String) {
        *self.inner.failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(ReloadFailure {
            at: OffsetDateTime::now_utc(),
            error,
        });
    }

    /// The last refused reload, if the knowledge in use is older than the files.
    pub fn failure(&self) -> Option<ReloadFailure> {
        self.inner
            .failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// What a scan sees of the knowledge folder: each file's size and modification time.
pub type Snapshot = BTreeMap<PathBuf, (u64, Option<SystemTime>)>;

/// Scans `dir` (recursively; hidden files and editors' temporary files included, since a
/// scan is only a hint that something changed). Unreadable entries are left out.
pub fn scan(dir: &Path) -> Snapshot {
    let mut seen = Snapshot::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                seen.insert(entry.path(), (meta.len(), meta.modified().ok()));
            }
        }
    }
    seen
}

/// The directory of generation `n` under `<data_dir>/live/`.
fn generation_dir(config: &Config, n: u64) -> PathBuf {
    config.data_dir.join("live").join(format!("{n:06}"))
}

/// The index directories of this process's generations, oldest first, with a weak
/// reference to the knowledge built in each (dead once no message uses it).
type Generations = Vec<(PathBuf, Weak<Knowledge>)>;

/// Builds the knowledge of `config`'s folder in generation directory `n` (blocking).
fn build_generation(config: &Config, n: u64) -> Result<Knowledge, crate::search::IndexError> {
    let mut at = config.clone();
    at.data_dir = generation_dir(config, n);
    Knowledge::open(&at)
}

/// Opens the knowledge `serve` starts with: generation 0 under `<data_dir>/live/`,
/// reopened as is when the files have not changed since it was built, else rebuilt
/// (nothing else uses that directory). Blocking.
pub fn open_serving(config: &Config) -> Result<Knowledge, crate::search::IndexError> {
    build_generation(config, 0)
}

/// Watches the knowledge folder until `stop`: after a change (and a quiet [`SETTLE`] so a
/// file being written is read whole), builds a new generation off the async
/// threads and swaps it in, or reports why not and keeps the old one.
pub async fn watch(config: Config, live: LiveKnowledge, metrics: Arc<Metrics>, mut stop: Shutdown) {
    let dir = config.knowledge.dir.clone();
    let mut seen = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || scan(&dir))
            .await
            .unwrap_or_default()
    };
    let first = tokio::task::spawn_blocking({
        let config = config.clone();
        move || {
            // Later generations left by an earlier run are not in use: only the first,
            // opened at start, is.
            let keep = generation_dir(&config, 0);
            if let Ok(entries) = std::fs::read_dir(config.data_dir.join("live")) {
                for entry in entries.flatten() {
                    if entry.path() != keep {
                        let _ = std::fs::remove_dir_all(entry.path());
                    }
                }
            }
        }
    })
    .await;
    drop(first);
    // A file changed between the opening at start and the first scan: index it now.
    let hash = tokio::task::spawn_blocking({
        let (dir, skip) = (dir.clone(), config.knowledge.skip_invalid);
        move || crate::search::index::current_hash(&dir, skip).ok()
    })
    .await
    .ok()
    .flatten();
    if hash.is_some_and(|h| h != live.current().manifest().hash) {
        seen = Snapshot::new();
    }
    let mut generation = 0u64;
    let mut generations: Generations = Vec::new();
    let mut tick = tokio::time::interval(SCAN_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.wait() => return,
        }
        let now = {
            let dir = dir.clone();
            match tokio::task::spawn_blocking(move || scan(&dir)).await {
                Ok(s) => s,
                Err(_) => continue,
            }
        };
        if now == seen {
            collect(&mut generations).await;
            continue;
        }
        // Changed: wait until it stays the same for one scan (a save in progress).
        seen = now;
        tokio::select! {
            _ = tokio::time::sleep(SETTLE) => {}
            _ = stop.wait() => return,
        }
        let settled = {
            let dir = dir.clone();
            tokio::task::spawn_blocking(move || scan(&dir))
                .await
                .unwrap_or_default()
        };
        if settled != seen {
            seen = settled;
            continue;
        }
        generation += 1;
        let n = generation;
        let built = tokio::task::spawn_blocking({
            let config = config.clone();
            move || build_generation(&config, n)
        })
        .await;
        let built = match built {
            Ok(Ok(k)) if k.manifest().documents.values().sum::<usize>() == 0 => {
                Ok(Err("the knowledge folder holds no document".to_string()))
            }
            Ok(Ok(k)) => Ok(Ok(k)),
            Ok(Err(e)) => Ok(Err(error_chain(&e))),
            Err(e) => Err(e),
        };
        match built {
            Ok(Ok(knowledge)) => {
                let documents: usize = knowledge.manifest().documents.values().sum();
                let skipped = knowledge.manifest().skipped.clone();
                let new = live.swap(knowledge);
                drop(new);
                let current = live.current();
                generations.push((generation_dir(&config, n), Arc::downgrade(&current)));
                metrics.knowledge_reloaded(true);
                tracing::info!(
                    generation = n,
                    documents,
                    "the knowledge base changed: the new index is in use"
                );
                for s in skipped {
                    tracing::warn!(file = %s, "skipped a malformed knowledge file");
                }
            }
            Ok(Err(error)) => {
                tracing::error!(error = %error, "the knowledge base changed but cannot be indexed: the previous index stays in use");
                live.failed(error);
                metrics.knowledge_reloaded(false);
                let _ = tokio::task::spawn_blocking({
                    let dir = generation_dir(&config, n);
                    move || std::fs::remove_dir_all(dir)
                })
                .await;
            }
            Err(e) => {
                tracing::error!(error = %e, "the knowledge reload task failed");
                live.failed(e.to_string());
                metrics.knowledge_reloaded(false);
            }
        }
    }
}

/// Deletes the generations no message uses any more (all but the one in use, once their
/// last in-flight answer is done).
async fn collect(generations: &mut Generations) {
    let Some(last) = generations.len().checked_sub(1) else {
        return;
    };
    let mut unused = Vec::new();
    let mut i = 0;
    generations.retain(|(dir, weak)| {
        let keep = i == last || weak.strong_count() > 0;
        i += 1;
        if !keep {
            unused.push(dir.clone());
        }
        keep
    });
    if !unused.is_empty() {
        let _ = tokio::task::spawn_blocking(move || {
            for dir in unused {
                if let Err(e) = std::fs::remove_dir_all(&dir) {
                    tracing::warn!(dir = %dir.display(), error = %e, "could not remove an old index");
                }
            }
        })
        .await;
    }
}

/// `e` and its sources, joined by ": ".
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scan_sees_files_added_resized_and_removed_in_subfolders() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("pages")).unwrap();
        std::fs::write(dir.path().join("pages/a.md"), "one").unwrap();
        let first = scan(dir.path());
        assert_eq!(first.len(), 1);
        assert_eq!(scan(dir.path()), first, "nothing changed");
        std::fs::write(dir.path().join("pages/a.md"), "one more").unwrap();
        let resized = scan(dir.path());
        assert_ne!(resized, first);
        std::fs::write(dir.path().join("b.md"), "two").unwrap();
        assert_eq!(scan(dir.path()).len(), 2);
        std::fs::remove_file(dir.path().join("pages/a.md")).unwrap();
        assert_eq!(scan(dir.path()).len(), 1);
        assert!(scan(&dir.path().join("missing")).is_empty());
    }
}
