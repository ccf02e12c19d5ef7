//! What the sync remembers between runs, per page address: its file, the validators of the
//! last copy (for conditional GETs) and since when it has been failing. A small JSON file
//! under `<data_dir>/sync/`, replaced atomically.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::SyncError;

/// Every page the sync knows, by address.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub pages: BTreeMap<String, PageState>,
}

/// One page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PageState {
    /// Its file's name under `<knowledge.dir>/site/`.
    pub file: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// When it started failing (or went missing from the sitemap); `None` while it is
    /// fetched fine. Its copy is removed once this is `remove_after_days` old.
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub failing_since: Option<OffsetDateTime>,
    /// Why it failed last, for people reading the file.
    #[serde(default)]
    pub last_error: Option<String>,
}

impl State {
    /// Where the state of `data_dir` lives.
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join("sync").join("state.json")
    }

    /// Reads the state; a missing file is a first run, and an unreadable one is logged
    /// and started afresh (the next run only fetches every page in full again).
    pub fn load(path: &Path) -> Result<State, SyncError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::default()),
            Err(source) => {
                return Err(SyncError::Io {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        match serde_json::from_str(&text) {
            Ok(state) => Ok(state),
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "the sync state is malformed; starting afresh");
                Ok(State::default())
            }
        }
    }

    /// Writes the state atomically (a temporary file renamed over the old one).
    pub fn save(&self, path: &Path) -> Result<(), SyncError> {
        // Serialising plain maps and strings cannot fail.
        let text = serde_json::to_string_pretty(self).unwrap_or_default();
        super::write_atomically(path, text.as_bytes())
    }
}
