//! Configuration: defaults, a TOML file, then `GUICHET__*` environment variables, validated
//! once so the rest of the code can trust it. Errors name the key and the reason.
//!
//! The defaults live in code (each section's `Default`, in `sections.rs`);
//! `config/guichet.toml` repeats them for people to read and is embedded in the binary, and a
//! test keeps the two equal. Addresses, origins, base URLs and emails are typed values
//! (`values.rs`) parsed as the text is deserialised, so a bad one is refused with its key;
//! `validate.rs` checks ranges and what depends on several keys; `env.rs` merges the
//! overrides; `secret.rs` reads the secrets the `*_env` keys name.

mod env;
mod secret;
mod sections;
mod validate;
mod values;

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use secret::{MissingSecret, Secret, SecretKey};
pub use sections::*;
pub use values::{BaseUrl, Origin};

/// The default configuration file, compiled into the binary.
pub const EMBEDDED_DEFAULTS: &str = include_str!("../../config/guichet.toml");

/// The whole, validated configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the index and the request database live.
    pub data_dir: PathBuf,
    pub knowledge: KnowledgeConfig,
    pub search: SearchConfig,
    pub conversation: ConversationConfig,
    pub privacy: PrivacyConfig,
    pub database: DatabaseConfig,
    pub web: WebConfig,
    pub discord: DiscordConfig,
    pub mail: MailConfig,
    pub teams: TeamsConfig,
    pub sync: SyncConfig,
    /// Staff accounts for the `/staff` pages.
    pub staff: Vec<StaffAccount>,
    /// Where the configuration was read from, for messages.
    #[serde(skip)]
    pub source: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: "data".into(),
            knowledge: Default::default(),
            search: Default::default(),
            conversation: Default::default(),
            privacy: Default::default(),
            database: Default::default(),
            web: Default::default(),
            discord: Default::default(),
            mail: Default::default(),
            teams: Default::default(),
            sync: Default::default(),
            staff: Vec::new(),
            source: String::new(),
        }
    }
}

/// A configuration that cannot be used, with where and why.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("configuration {source_name}: {message}")]
    Syntax {
        source_name: String,
        message: String,
    },
    #[error("configuration {source_name}: key `{key}`: {reason}")]
    Invalid {
        source_name: String,
        key: String,
        reason: String,
    },
}

impl Config {
    /// Loads the configuration the way the binary does: `path` if given, else
    /// `./config/guichet.toml` if present, else the embedded defaults; then the
    /// environment overrides.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        let (text, source_name) = match path {
            Some(p) => (read(p)?, p.display().to_string()),
            None => {
                let local = Path::new("config/guichet.toml");
                if local.is_file() {
                    (read(local)?, local.display().to_string())
                } else {
                    (
                        EMBEDDED_DEFAULTS.to_string(),
                        "embedded defaults".to_string(),
                    )
                }
            }
        };
        Config::from_toml(&text, &source_name, &env)
    }

    /// Parses `text` (named `source_name` in errors), applies the `GUICHET__*` entries of
    /// `env`, and validates the result.
    pub fn from_toml(
        text: &str,
        source_name: &str,
        env: &[(String, String)],
    ) -> Result<Config, ConfigError> {
        let syntax = |source_name: &str, e: toml::de::Error| ConfigError::Syntax {
            source_name: source_name.to_string(),
            message: e.to_string(),
        };
        // Deserialising the text itself (not a Value) keeps line numbers in the errors.
        let mut config = deserialize(text, source_name, true)?;
        let overrides: Vec<&(String, String)> = env
            .iter()
            .filter(|(name, _)| name.starts_with(env::ENV_PREFIX))
            .collect();
        if !overrides.is_empty() {
            let mut table: toml::Table = text.parse().map_err(|e| syntax(source_name, e))?;
            for (name, value) in overrides {
                let keys: Vec<String> = name[env::ENV_PREFIX.len()..]
                    .split("__")
                    .map(|k| k.to_ascii_lowercase())
                    .collect();
                env::set_path(&mut table, &keys, env::parse_env_value(value)).map_err(
                    |reason| ConfigError::Invalid {
                        source_name: format!("environment variable {name}"),
                        key: keys.join("."),
                        reason,
                    },
                )?;
            }
            let merged = toml::to_string(&table).expect("a TOML table always serialises");
            // Lines of the merged text would mean nothing to whoever reads the error.
            let merged_name = format!("{source_name} with GUICHET__* overrides");
            config = deserialize(&merged, &merged_name, false)?;
        }
        config.source = source_name.to_string();
        config.validate()?;
        Ok(config)
    }

    /// Where the search index lives.
    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }

    /// The SQLite file of the request log.
    pub fn database_path(&self) -> PathBuf {
        if self.database.path.as_os_str().is_empty() {
            self.data_dir.join("guichet.sqlite3")
        } else {
            self.database.path.clone()
        }
    }
}

/// Deserialises `text` into sections and typed values. A value that does not fit is
/// refused with its key (`web.allowed_origins[2]`), and its line when `lines`; a text that
/// is not TOML at all, with the parser's message.
fn deserialize(text: &str, source_name: &str, lines: bool) -> Result<Config, ConfigError> {
    let syntax = |e: toml::de::Error| ConfigError::Syntax {
        source_name: source_name.to_string(),
        message: e.to_string(),
    };
    let deserializer = toml::Deserializer::parse(text).map_err(syntax)?;
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let key = e.path().to_string();
        let at_root = e.path().iter().next().is_none();
        let inner = e.into_inner();
        if at_root {
            return syntax(inner);
        }
        let mut reason = inner.message().to_string();
        let start = inner.span().map(|span| span.start);
        if let Some(before) = start.filter(|_| lines).and_then(|s| text.get(..s)) {
            let line = before.matches('\n').count() + 1;
            reason.push_str(&format!(" (line {line})"));
        }
        ConfigError::Invalid {
            source_name: source_name.to_string(),
            key,
            reason,
        }
    })
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests;
