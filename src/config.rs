//! Configuration: defaults, a TOML file, then `GUICHET__*` environment variables, validated
//! once so the rest of the code can trust it. Errors name the key and the reason.
//!
//! The defaults live in code (each section's `Default`); `config/guichet.toml` repeats them
//! for people to read and is embedded in the binary, and a test keeps the two equal.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::language::Language;

/// The default configuration file, compiled into the binary.
pub const EMBEDDED_DEFAULTS: &str = include_str!("../config/guichet.toml");

/// Prefix of environment variables that override one option (`GUICHET__SEARCH__MAX_HITS`).
const ENV_PREFIX: &str = "GUICHET__";

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
            staff: Vec::new(),
            source: String::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KnowledgeConfig {
    pub dir: PathBuf,
    /// Skip malformed files (and name them) instead of refusing to start.
    pub skip_invalid: bool,
}

impl Default for KnowledgeConfig {
    fn default() -> Self {
        KnowledgeConfig {
            dir: "knowledge".into(),
            skip_invalid: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchConfig {
    pub default_language: Language,
    pub max_hits: usize,
    pub min_confidence: f32,
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            default_language: Language::Fr,
            max_hits: 3,
            min_confidence: 0.6,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConversationConfig {
    /// An unfinished request is dropped after this many minutes of silence.
    pub idle_timeout_minutes: u32,
}

impl Default for ConversationConfig {
    fn default() -> Self {
        ConversationConfig {
            idle_timeout_minutes: 30,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrivacyConfig {
    /// Conversations without a confirmed request are erased after this many days.
    pub conversation_retention_days: u32,
    /// How people ask to see or delete their data (e.g. an address), shown in the notice.
    pub contact: String,
}

impl Default for PrivacyConfig {
    fn default() -> Self {
        PrivacyConfig {
            conversation_retention_days: 30,
            contact: String::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// The SQLite file; empty means `<data_dir>/guichet.sqlite3`.
    pub path: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    /// Address the HTTP server listens on.
    pub listen: String,
    /// Origins (scheme://host[:port]) allowed to embed the chat widget and call the API.
    pub allowed_origins: Vec<String>,
    /// Longest chat message accepted, in characters.
    pub max_message_chars: usize,
    /// Chat messages a client may send per minute.
    pub rate_limit_per_minute: u32,
    /// Mark cookies `Secure` (set to true when served over HTTPS).
    pub secure_cookies: bool,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            listen: "127.0.0.1:8080".into(),
            allowed_origins: Vec::new(),
            max_message_chars: 2_000,
            rate_limit_per_minute: 30,
            secure_cookies: false,
        }
    }
}

/// A staff member who can sign in to `/staff`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffAccount {
    pub username: String,
    /// An argon2 hash made by `guichet hash-password`.
    pub password_hash: String,
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
        let mut config: Config = toml::from_str(text).map_err(|e| syntax(source_name, e))?;
        let overrides: Vec<&(String, String)> = env
            .iter()
            .filter(|(name, _)| name.starts_with(ENV_PREFIX))
            .collect();
        if !overrides.is_empty() {
            let mut table: toml::Table = text.parse().map_err(|e| syntax(source_name, e))?;
            for (name, value) in overrides {
                let keys: Vec<String> = name[ENV_PREFIX.len()..]
                    .split("__")
                    .map(|k| k.to_ascii_lowercase())
                    .collect();
                set_path(&mut table, &keys, parse_env_value(value)).map_err(|reason| {
                    ConfigError::Invalid {
                        source_name: format!("environment variable {name}"),
                        key: keys.join("."),
                        reason,
                    }
                })?;
            }
            let merged = toml::to_string(&table).expect("a TOML table always serialises");
            config = toml::from_str(&merged)
                .map_err(|e| syntax(&format!("{source_name} with GUICHET__* overrides"), e))?;
        }
        config.source = source_name.to_string();
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, reason: String| {
            Err(ConfigError::Invalid {
                source_name: self.source.clone(),
                key: key.to_string(),
                reason,
            })
        };
        if self.data_dir.as_os_str().is_empty() {
            return invalid("data_dir", "must not be empty".into());
        }
        if self.knowledge.dir.as_os_str().is_empty() {
            return invalid("knowledge.dir", "must not be empty".into());
        }
        if !(1..=10).contains(&self.search.max_hits) {
            return invalid(
                "search.max_hits",
                format!("{} is out of range (1 to 10)", self.search.max_hits),
            );
        }
        if !(0.0..=1.0).contains(&self.search.min_confidence) {
            return invalid(
                "search.min_confidence",
                format!("{} is out of range (0 to 1)", self.search.min_confidence),
            );
        }
        if self.conversation.idle_timeout_minutes == 0 {
            return invalid(
                "conversation.idle_timeout_minutes",
                "must be at least 1".into(),
            );
        }
        if !(1..=3650).contains(&self.privacy.conversation_retention_days) {
            return invalid(
                "privacy.conversation_retention_days",
                format!(
                    "{} is out of range (1 to 3650)",
                    self.privacy.conversation_retention_days
                ),
            );
        }
        if let Err(e) = self.web.listen.parse::<SocketAddr>() {
            return invalid(
                "web.listen",
                format!(
                    "'{}' is not an address like 127.0.0.1:8080 ({e})",
                    self.web.listen
                ),
            );
        }
        for origin in &self.web.allowed_origins {
            let ok = (origin.starts_with("https://") || origin.starts_with("http://"))
                && !origin
                    .trim_end_matches('/')
                    .contains(|c: char| c.is_whitespace())
                && origin.matches('/').count() == 2;
            if !ok {
                return invalid(
                    "web.allowed_origins",
                    format!("'{origin}' is not an origin like https://ssaquebec.ca"),
                );
            }
        }
        if !(1..=100_000).contains(&self.web.max_message_chars) {
            return invalid(
                "web.max_message_chars",
                format!(
                    "{} is out of range (1 to 100000)",
                    self.web.max_message_chars
                ),
            );
        }
        if self.web.rate_limit_per_minute == 0 {
            return invalid("web.rate_limit_per_minute", "must be at least 1".into());
        }
        let mut names = std::collections::HashSet::new();
        for (i, s) in self.staff.iter().enumerate() {
            if s.username.trim().is_empty() || s.username.contains(char::is_whitespace) {
                return invalid(
                    &format!("staff[{i}].username"),
                    "must be a non-empty word".into(),
                );
            }
            if !names.insert(s.username.as_str()) {
                return invalid(
                    &format!("staff[{i}].username"),
                    format!("'{}' appears twice", s.username),
                );
            }
            if !s.password_hash.starts_with("$argon2") {
                return invalid(
                    &format!("staff[{i}].password_hash"),
                    "must be an argon2 hash made by `guichet hash-password`".into(),
                );
            }
        }
        Ok(())
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

    /// The address the web server listens on (validated at load).
    pub fn listen_addr(&self) -> SocketAddr {
        self.web
            .listen
            .parse()
            .expect("web.listen is validated at load")
    }
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads an environment value as a TOML value when it is one (`5`, `true`, `0.7`,
/// `["https://a.ca"]`), else as a plain string (`/var/lib/guichet`, `fr`).
fn parse_env_value(value: &str) -> toml::Value {
    let probe = format!("v = {value}");
    match probe.parse::<toml::Table>() {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| toml::Value::String(value.to_string())),
        Err(_) => toml::Value::String(value.to_string()),
    }
}

fn set_path(table: &mut toml::Table, keys: &[String], value: toml::Value) -> Result<(), String> {
    match keys {
        [] => Err("no key after the GUICHET__ prefix".into()),
        [last] if !last.is_empty() => {
            table.insert(last.clone(), value);
            Ok(())
        }
        [head, rest @ ..] if !head.is_empty() => {
            let entry = table
                .entry(head.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            match entry {
                toml::Value::Table(t) => set_path(t, rest, value),
                _ => Err(format!("`{head}` is not a section")),
            }
        }
        _ => Err("empty key segment".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_toml(text, "test.toml", &[])
    }

    fn without_source(mut c: Config) -> Config {
        c.source.clear();
        c
    }

    #[test]
    fn the_embedded_file_and_the_example_repeat_the_code_defaults() {
        let defaults = without_source(parse("").unwrap());
        assert_eq!(defaults, Config::default());
        assert_eq!(without_source(parse(EMBEDDED_DEFAULTS).unwrap()), defaults);
        let example =
            without_source(parse(include_str!("../config/guichet.example.toml")).unwrap());
        assert_eq!(example, defaults);
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let err = parse("[search]\nmax_hits = 0\n").unwrap_err().to_string();
        assert!(
            err.contains("search.max_hits") && err.contains("out of range"),
            "{err}"
        );
        let err = parse("[search]\ndefault_language = \"de\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("default_language") && err.contains("line 2"),
            "{err}"
        );
        let err = parse("[search]\nmin_confidence = 1.5\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("search.min_confidence"), "{err}");
        let err = parse("[web]\nlisten = \"localhost\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("web.listen"), "{err}");
        let err = parse("[web]\nallowed_origins = [\"ssaquebec.ca\"]\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("web.allowed_origins"), "{err}");
        let err = parse("[[staff]]\nusername = \"ana\"\npassword_hash = \"secret\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("staff[0].password_hash") && err.contains("argon2"),
            "{err}"
        );
    }

    #[test]
    fn an_unknown_or_mistyped_key_is_named_with_its_line() {
        let err = parse("[search]\nmax_hit = 3\n").unwrap_err().to_string();
        assert!(err.contains("max_hit") && err.contains("line 2"), "{err}");
        let err = parse("[search]\nmax_hits = \"three\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("max_hits") && err.contains("line 2"), "{err}");
    }

    #[test]
    fn broken_toml_says_where() {
        let err = parse("[search\nmax_hits = 3\n").unwrap_err().to_string();
        assert!(err.contains("test.toml") && err.contains("line 1"), "{err}");
    }

    #[test]
    fn environment_variables_override_one_key() {
        let env = vec![
            ("GUICHET__SEARCH__MAX_HITS".to_string(), "5".to_string()),
            (
                "GUICHET__DATA_DIR".to_string(),
                "/var/lib/guichet".to_string(),
            ),
            (
                "GUICHET__WEB__ALLOWED_ORIGINS".to_string(),
                "[\"https://ssaquebec.ca\"]".to_string(),
            ),
            ("PATH".to_string(), "/usr/bin".to_string()),
        ];
        let c = Config::from_toml(EMBEDDED_DEFAULTS, "defaults", &env).unwrap();
        assert_eq!(c.search.max_hits, 5);
        assert_eq!(c.data_dir, PathBuf::from("/var/lib/guichet"));
        assert_eq!(c.web.allowed_origins, vec!["https://ssaquebec.ca"]);
        let bad = vec![("GUICHET__SEARCH__MAX_HITS".to_string(), "50".to_string())];
        let err = Config::from_toml(EMBEDDED_DEFAULTS, "defaults", &bad).unwrap_err();
        assert!(err.to_string().contains("search.max_hits"), "{err}");
    }

    #[test]
    fn the_database_sits_in_the_data_directory_unless_configured() {
        let c = parse("data_dir = \"/srv/g\"\n").unwrap();
        assert_eq!(c.database_path(), PathBuf::from("/srv/g/guichet.sqlite3"));
        let c = parse("[database]\npath = \"/db/x.sqlite3\"\n").unwrap();
        assert_eq!(c.database_path(), PathBuf::from("/db/x.sqlite3"));
    }
}
