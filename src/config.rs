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
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            default_language: Language::Fr,
            max_hits: 3,
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

/// Copying the Unit's web pages into `<knowledge.dir>/site/` (`guichet sync`, and `serve`
/// every `interval_hours` when enabled).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncConfig {
    /// `serve` syncs every `interval_hours`; `guichet sync` runs whatever this says.
    pub enabled: bool,
    /// A sitemap.xml listing the pages (http or https URL); empty: only `urls`.
    pub sitemap: String,
    /// Pages to copy, besides those of the sitemap.
    pub urls: Vec<String>,
    /// Hosts pages and redirects may come from; empty: the hosts of `sitemap` and `urls`.
    pub allowed_hosts: Vec<String>,
    /// Hours between two syncs when `serve` runs them.
    pub interval_hours: u32,
    /// Pause between two requests, in milliseconds (one request at a time).
    pub delay_ms: u64,
    /// A page larger than this is not copied.
    pub max_page_bytes: u64,
    /// A copied page that keeps failing (404, 410, refused) is removed after this many days.
    pub remove_after_days: u32,
    /// The User-Agent sent, also the name matched in robots.txt.
    pub user_agent: String,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            enabled: false,
            sitemap: String::new(),
            urls: Vec::new(),
            allowed_hosts: Vec::new(),
            interval_hours: 24,
            delay_ms: 1_000,
            max_page_bytes: 2_000_000,
            remove_after_days: 7,
            user_agent: "guichet".into(),
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
    /// Addresses of the reverse proxies in front of guichet. A request from one of them is
    /// rate-limited by the client address in its `X-Forwarded-For` header; from anyone
    /// else the header is ignored.
    pub trusted_proxies: Vec<String>,
    /// guichet's public base URL (https://guichet.example), for the feedback links at the
    /// end of answer emails; empty: answer emails carry no feedback links.
    pub public_url: String,
    /// Where `GET /metrics` (Prometheus text format) is served, apart from the chat; empty:
    /// nowhere. A loopback address unless `metrics_allow_remote`.
    pub metrics_listen: String,
    /// Allow `metrics_listen` on an address other machines can reach (the metrics tell
    /// traffic and failures: put a firewall or a proxy with authentication in front).
    pub metrics_allow_remote: bool,
    /// `/healthz` answers 503 once an enabled channel has been down this many seconds.
    pub channel_down_seconds: u64,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            listen: "127.0.0.1:8080".into(),
            allowed_origins: Vec::new(),
            max_message_chars: 2_000,
            rate_limit_per_minute: 30,
            secure_cookies: false,
            trusted_proxies: Vec::new(),
            public_url: String::new(),
            metrics_listen: String::new(),
            metrics_allow_remote: false,
            channel_down_seconds: 300,
        }
    }
}

/// The Discord channel (off unless enabled; the token itself is never in the file).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiscordConfig {
    pub enabled: bool,
    /// The environment variable holding the bot token, so the secret stays out of files.
    pub token_env: String,
    /// Servers (ids) where slash commands are registered and guichet answers; empty: every
    /// server it is invited to, with commands registered globally.
    pub guilds: Vec<u64>,
    /// Channels (ids) where guichet answers mentions; empty: every channel of those servers.
    pub allowed_channels: Vec<u64>,
    /// The channel (id) told of every logged request; 0: none.
    pub staff_channel: u64,
    /// guichet's public base URL, for links to `/staff/requests/REF` in notifications.
    pub staff_page_url: String,
    /// Messages one person may send per minute.
    pub rate_limit_per_minute: u32,
}

impl Default for DiscordConfig {
    fn default() -> Self {
        DiscordConfig {
            enabled: false,
            token_env: "GUICHET_DISCORD_TOKEN".into(),
            guilds: Vec::new(),
            allowed_channels: Vec::new(),
            staff_channel: 0,
            staff_page_url: String::new(),
            rate_limit_per_minute: 10,
        }
    }
}

/// The Microsoft Teams channel, over the Bot Framework (off unless enabled; the app
/// password itself is never in the file).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TeamsConfig {
    pub enabled: bool,
    /// The bot's Microsoft App ID (a GUID), from its Azure Bot resource or the Teams
    /// Developer Portal: the audience of the tokens Teams sends, and the app package's id.
    pub app_id: String,
    /// `botframework.com` for a multi-tenant bot, or the tenant id (a GUID) of a
    /// single-tenant one: the authority guichet gets its own tokens from.
    pub tenant: String,
    /// The environment variable holding the app password (client secret).
    pub password_env: String,
    /// The path Teams posts activities to (the bot's messaging endpoint).
    pub endpoint: String,
    /// Where the Bot Framework publishes its signing keys (OpenID metadata).
    pub openid_metadata_url: String,
    /// Where guichet gets its tokens; empty: Microsoft's, for `tenant`.
    pub token_url: String,
    /// The Teams conversation (a channel's id, `19:…@thread.tacv2`) told of every logged
    /// request; empty: none.
    pub staff_conversation: String,
    /// The service URL of the staff conversation's region (from any activity of that
    /// team, e.g. https://smba.trafficmanager.net/emea/).
    pub staff_service_url: String,
    /// guichet's public base URL, for links to `/staff/requests/REF` in notifications.
    pub staff_page_url: String,
    /// Messages one person may send per minute.
    pub rate_limit_per_minute: u32,
}

/// Microsoft's OpenID metadata for tokens the Bot Framework sends to bots.
pub const TEAMS_OPENID_METADATA: &str =
    "https://login.botframework.com/v1/.well-known/openidconfiguration";
/// The tenant of multi-tenant bots.
pub const TEAMS_MULTI_TENANT: &str = "botframework.com";

impl Default for TeamsConfig {
    fn default() -> Self {
        TeamsConfig {
            enabled: false,
            app_id: String::new(),
            tenant: TEAMS_MULTI_TENANT.into(),
            password_env: "GUICHET_TEAMS_APP_PASSWORD".into(),
            endpoint: "/api/teams/messages".into(),
            openid_metadata_url: TEAMS_OPENID_METADATA.into(),
            token_url: String::new(),
            staff_conversation: String::new(),
            staff_service_url: String::new(),
            staff_page_url: String::new(),
            rate_limit_per_minute: 10,
        }
    }
}

impl TeamsConfig {
    /// Where guichet gets its tokens: `token_url`, or Microsoft's for the tenant.
    pub fn token_endpoint(&self) -> String {
        if self.token_url.trim().is_empty() {
            format!(
                "https://login.microsoftonline.com/{}/oauth2/v2.0/token",
                self.tenant.trim()
            )
        } else {
            self.token_url.trim().to_string()
        }
    }
}

/// Whether `s` is a GUID like 00000000-0000-0000-0000-000000000000.
pub fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The contact mailbox (off unless enabled; passwords come from environment variables).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailConfig {
    pub enabled: bool,
    /// The contact address guichet reads and answers from.
    pub address: String,
    /// Other addresses that are also guichet's (aliases): never answered, loop markers.
    pub aliases: Vec<String>,
    /// Where staff are told of each logged request; empty: no notification email.
    pub staff_address: String,
    /// guichet's public base URL, for links to `/staff/requests/REF` in notifications.
    pub staff_page_url: String,
    /// The environment variable holding the secret that signs thread tags in subjects;
    /// when unset, a secret is generated once in the data directory.
    pub secret_env: String,
    /// Replies one sender may receive per hour (more are not sent, and logged).
    pub replies_per_sender_per_hour: u32,
    /// How often a day one person may receive the very same reply, word for word (an
    /// auto-responder asking the same thing over and over gets no more).
    pub identical_replies_per_day: u32,
    /// The Unit's own receiving mail server, as it names itself in the
    /// `Authentication-Results` headers it adds (e.g. `mx.ssaquebec.ca`). When set, an
    /// email changes a request (confirms it, adds to it) only if that server found that its
    /// From passed DMARC; others are set aside for staff. Empty: From is trusted as is.
    pub trusted_authserv_id: String,
    /// Replies sent per minute overall (more wait in the outbox).
    pub replies_per_minute: u32,
    /// Bytes of a message read at most; the rest is not fetched.
    pub max_message_bytes: u32,
    /// Characters of a message's text searched and kept at most.
    pub max_text_chars: usize,
    /// Every email is also sent to the contact address; a send interrupted by a crash is
    /// repeated only if that copy has not come back within this many seconds.
    pub copy_wait_seconds: u64,
    pub imap: ImapConfig,
    pub smtp: SmtpConfig,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            enabled: false,
            address: String::new(),
            aliases: Vec::new(),
            staff_address: String::new(),
            staff_page_url: String::new(),
            secret_env: "GUICHET_MAIL_SECRET".into(),
            replies_per_sender_per_hour: 5,
            identical_replies_per_day: 2,
            trusted_authserv_id: String::new(),
            replies_per_minute: 60,
            max_message_bytes: 5_000_000,
            max_text_chars: 20_000,
            copy_wait_seconds: 120,
            imap: Default::default(),
            smtp: Default::default(),
        }
    }
}

/// How a mail connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// TLS from the first byte (IMAPS 993, SMTPS 465).
    Tls,
    /// A plain connection upgraded with STARTTLS (IMAP 143, submission 587).
    Starttls,
    /// No encryption at all: only for servers on the loopback interface (tests).
    Plain,
}

/// The IMAP side of the contact mailbox.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImapConfig {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    /// The environment variable holding the IMAP password.
    pub password_env: String,
    /// A PEM file of extra trusted certificate authorities (a private server); empty: the
    /// usual public roots only.
    pub ca_file: PathBuf,
    /// The folder new mail arrives in.
    pub inbox: String,
    /// Where handled messages are moved (created if missing).
    pub done_folder: String,
    /// Where messages that cannot be read are moved (created if missing).
    pub quarantine_folder: String,
    /// Where the copies of guichet's own emails are filed (created if missing).
    pub sent_folder: String,
    /// IDLE is renewed this often (servers drop idle connections after 30 minutes).
    pub idle_minutes: u64,
    /// How often to check for mail when the server has no IDLE.
    pub poll_seconds: u64,
}

impl Default for ImapConfig {
    fn default() -> Self {
        ImapConfig {
            host: String::new(),
            port: 993,
            security: Security::Tls,
            username: String::new(),
            password_env: "GUICHET_IMAP_PASSWORD".into(),
            ca_file: PathBuf::new(),
            inbox: "INBOX".into(),
            done_folder: "guichet/answered".into(),
            quarantine_folder: "guichet/quarantine".into(),
            sent_folder: "guichet/sent".into(),
            idle_minutes: 25,
            poll_seconds: 60,
        }
    }
}

/// The SMTP side: how replies are sent.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// Empty: send without authentication (a relay that trusts this host).
    pub username: String,
    /// The environment variable holding the SMTP password.
    pub password_env: String,
    /// A PEM file of extra trusted certificate authorities; empty: public roots only.
    pub ca_file: PathBuf,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            host: String::new(),
            port: 587,
            security: Security::Starttls,
            username: String::new(),
            password_env: "GUICHET_SMTP_PASSWORD".into(),
            ca_file: PathBuf::new(),
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

    fn invalid(&self, key: &str, reason: String) -> Result<(), ConfigError> {
        Err(ConfigError::Invalid {
            source_name: self.source.clone(),
            key: key.to_string(),
            reason,
        })
    }

    /// `value` at `key` must lie in `range`.
    fn in_range<T: PartialOrd + std::fmt::Display>(
        &self,
        key: &str,
        value: T,
        range: std::ops::RangeInclusive<T>,
    ) -> Result<(), ConfigError> {
        if range.contains(&value) {
            return Ok(());
        }
        self.invalid(
            key,
            format!(
                "{value} is out of range ({} to {})",
                range.start(),
                range.end()
            ),
        )
    }

    /// `value` at `key` must be empty or a base URL like https://guichet.example.
    fn base_url(&self, key: &str, value: &str) -> Result<(), ConfigError> {
        let url = value.trim_end_matches('/');
        if !url.is_empty()
            && (!(url.starts_with("https://") || url.starts_with("http://"))
                || url.contains(char::is_whitespace))
        {
            return self.invalid(
                key,
                format!("'{value}' is not a base URL like https://guichet.example"),
            );
        }
        Ok(())
    }

    fn validate_mail(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, reason: String| self.invalid(key, reason);
        let mail = &self.mail;
        let env_name =
            |v: &str| !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        for (key, value) in [
            ("mail.secret_env", &mail.secret_env),
            ("mail.imap.password_env", &mail.imap.password_env),
            ("mail.smtp.password_env", &mail.smtp.password_env),
        ] {
            if !env_name(value) {
                return invalid(
                    key,
                    format!(
                        "'{value}' is not an environment variable name like GUICHET_IMAP_PASSWORD"
                    ),
                );
            }
        }
        let address = |v: &str| {
            let v = v.trim();
            v.len() <= 254
                && !v.contains(|c: char| c.is_whitespace() || c.is_control())
                && v.split_once('@')
                    .is_some_and(|(l, d)| !l.is_empty() && (d.contains('.') || d == "localhost"))
        };
        if mail.enabled && !address(&mail.address) {
            return invalid(
                "mail.address",
                format!(
                    "'{}' is not an email address like contact@ssaquebec.ca",
                    mail.address
                ),
            );
        }
        for a in &mail.aliases {
            if !address(a) {
                return invalid("mail.aliases", format!("'{a}' is not an email address"));
            }
        }
        if !mail.staff_address.is_empty() && !address(&mail.staff_address) {
            return invalid(
                "mail.staff_address",
                format!("'{}' is not an email address", mail.staff_address),
            );
        }
        self.base_url("mail.staff_page_url", &mail.staff_page_url)?;
        self.in_range(
            "mail.replies_per_sender_per_hour",
            mail.replies_per_sender_per_hour,
            1..=1_000,
        )?;
        if mail
            .trusted_authserv_id
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, ';' | '"' | '\\'))
        {
            return invalid(
                "mail.trusted_authserv_id",
                format!(
                    "'{}' is not a server name as Authentication-Results writes it (no spaces, no ';')",
                    mail.trusted_authserv_id
                ),
            );
        }
        self.in_range(
            "mail.identical_replies_per_day",
            mail.identical_replies_per_day,
            1..=100_000,
        )?;
        self.in_range(
            "mail.replies_per_minute",
            mail.replies_per_minute,
            1..=100_000,
        )?;
        self.in_range(
            "mail.max_message_bytes",
            mail.max_message_bytes,
            10_000..=100_000_000,
        )?;
        self.in_range("mail.max_text_chars", mail.max_text_chars, 100..=200_000)?;
        self.in_range("mail.copy_wait_seconds", mail.copy_wait_seconds, 1..=86_400)?;
        for (side, host, port, security) in [
            ("imap", &mail.imap.host, mail.imap.port, mail.imap.security),
            ("smtp", &mail.smtp.host, mail.smtp.port, mail.smtp.security),
        ] {
            if mail.enabled && host.trim().is_empty() {
                return invalid(
                    &format!("mail.{side}.host"),
                    "must be set when mail.enabled is true".into(),
                );
            }
            if port == 0 {
                return invalid(
                    &format!("mail.{side}.port"),
                    "must be a port number (1 to 65535)".into(),
                );
            }
            let loopback = host == "localhost"
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if security == Security::Plain && mail.enabled && !loopback {
                return invalid(
                    &format!("mail.{side}.security"),
                    format!(
                        "\"plain\" sends passwords and mail unencrypted: only allowed for a server on this machine (127.0.0.1), not '{host}'"
                    ),
                );
            }
        }
        if mail.enabled && mail.imap.username.trim().is_empty() {
            return invalid(
                "mail.imap.username",
                "must be set when mail.enabled is true".into(),
            );
        }
        for (key, value) in [
            ("mail.imap.inbox", &mail.imap.inbox),
            ("mail.imap.done_folder", &mail.imap.done_folder),
            ("mail.imap.quarantine_folder", &mail.imap.quarantine_folder),
            ("mail.imap.sent_folder", &mail.imap.sent_folder),
        ] {
            if value.trim().is_empty() || value.contains(|c: char| c.is_control() || c == '"') {
                return invalid(key, format!("'{value}' is not a folder name"));
            }
        }
        if mail.imap.done_folder == mail.imap.inbox
            || mail.imap.quarantine_folder == mail.imap.inbox
            || mail.imap.sent_folder == mail.imap.inbox
        {
            return invalid(
                "mail.imap.done_folder",
                "handled and quarantined mail must go to folders other than the inbox".into(),
            );
        }
        if !(1..=29).contains(&mail.imap.idle_minutes) {
            return invalid(
                "mail.imap.idle_minutes",
                format!(
                    "{} is out of range (1 to 29: servers end IDLE after 30 minutes)",
                    mail.imap.idle_minutes
                ),
            );
        }
        self.in_range("mail.imap.poll_seconds", mail.imap.poll_seconds, 1..=3_600)?;
        Ok(())
    }

    fn validate_metrics(&self) -> Result<(), ConfigError> {
        let web = &self.web;
        self.in_range(
            "web.channel_down_seconds",
            web.channel_down_seconds,
            1..=86_400,
        )?;
        if web.metrics_listen.is_empty() {
            return Ok(());
        }
        let address = match web.metrics_listen.parse::<SocketAddr>() {
            Ok(a) => a,
            Err(e) => {
                return self.invalid(
                    "web.metrics_listen",
                    format!(
                        "'{}' is not an address like 127.0.0.1:9090 ({e})",
                        web.metrics_listen
                    ),
                )
            }
        };
        if !address.ip().is_loopback() && !web.metrics_allow_remote {
            return self.invalid(
                "web.metrics_listen",
                format!(
                    "'{}' can be reached from other machines and the metrics tell traffic and failures: use 127.0.0.1, or set web.metrics_allow_remote = true",
                    web.metrics_listen
                ),
            );
        }
        if web
            .listen
            .parse::<SocketAddr>()
            .is_ok_and(|l| l == address && l.port() != 0)
        {
            return self.invalid(
                "web.metrics_listen",
                format!("'{}' is already web.listen", web.metrics_listen),
            );
        }
        Ok(())
    }

    /// Where `/metrics` is served, if anywhere (validated at load).
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.web.metrics_listen.parse().ok()
    }

    fn validate_sync(&self) -> Result<(), ConfigError> {
        let sync = &self.sync;
        if !sync.sitemap.is_empty() && !crate::text::is_http_url(&sync.sitemap) {
            return self.invalid(
                "sync.sitemap",
                format!("'{}' is not an http(s) URL", sync.sitemap.escape_debug()),
            );
        }
        for (i, url) in sync.urls.iter().enumerate() {
            if !crate::text::is_http_url(url) {
                return self.invalid(
                    &format!("sync.urls[{i}]"),
                    format!("'{}' is not an http(s) URL", url.escape_debug()),
                );
            }
        }
        if sync.enabled && sync.sitemap.is_empty() && sync.urls.is_empty() {
            return self.invalid(
                "sync.sitemap",
                "sync.enabled is true but neither sync.sitemap nor sync.urls is set".into(),
            );
        }
        for (i, host) in sync.allowed_hosts.iter().enumerate() {
            if let Err(why) = check_host(host) {
                return self.invalid(&format!("sync.allowed_hosts[{i}]"), why);
            }
        }
        self.in_range("sync.interval_hours", sync.interval_hours, 1..=24 * 30)?;
        self.in_range("sync.delay_ms", sync.delay_ms, 0..=60_000)?;
        self.in_range(
            "sync.max_page_bytes",
            sync.max_page_bytes,
            10_000..=100_000_000,
        )?;
        self.in_range("sync.remove_after_days", sync.remove_after_days, 1..=365)?;
        if sync.user_agent.trim().is_empty() || !sync.user_agent.is_ascii() {
            return self.invalid(
                "sync.user_agent",
                "must be a non-empty ASCII product name like guichet".into(),
            );
        }
        Ok(())
    }

    fn validate_teams(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, reason: String| self.invalid(key, reason);
        let teams = &self.teams;
        if teams.password_env.is_empty()
            || !teams
                .password_env
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return invalid(
                "teams.password_env",
                format!(
                    "'{}' is not an environment variable name like GUICHET_TEAMS_APP_PASSWORD",
                    teams.password_env
                ),
            );
        }
        if !teams.app_id.is_empty() && !is_guid(&teams.app_id) {
            return invalid(
                "teams.app_id",
                format!(
                    "'{}' is not a Microsoft App ID like 00000000-0000-0000-0000-000000000000",
                    teams.app_id
                ),
            );
        }
        if teams.enabled && teams.app_id.is_empty() {
            return invalid(
                "teams.app_id",
                "must be set when teams.enabled is true (the bot's Microsoft App ID)".into(),
            );
        }
        if teams.tenant != TEAMS_MULTI_TENANT && !is_guid(&teams.tenant) {
            return invalid(
                "teams.tenant",
                format!(
                    "'{}' is neither \"{TEAMS_MULTI_TENANT}\" (a multi-tenant bot) nor a tenant id like 00000000-0000-0000-0000-000000000000",
                    teams.tenant
                ),
            );
        }
        let path_ok = teams.endpoint.starts_with('/')
            && teams.endpoint.len() > 1
            && teams
                .endpoint
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/-_.".contains(&b))
            && !teams.endpoint.contains("//");
        if !path_ok {
            return invalid(
                "teams.endpoint",
                format!(
                    "'{}' is not a path like /api/teams/messages",
                    teams.endpoint
                ),
            );
        }
        let reserved = [
            "/api/chat",
            "/api/session",
            "/staff",
            "/healthz",
            "/widget.js",
            "/widget.css",
            "/site.css",
        ];
        if teams.endpoint == "/"
            || reserved
                .iter()
                .any(|r| teams.endpoint == *r || teams.endpoint.starts_with(&format!("{r}/")))
        {
            return invalid(
                "teams.endpoint",
                format!("'{}' is already one of guichet's pages", teams.endpoint),
            );
        }
        for (key, value) in [
            ("teams.openid_metadata_url", &teams.openid_metadata_url),
            ("teams.token_url", &teams.token_url),
            ("teams.staff_service_url", &teams.staff_service_url),
        ] {
            if value.is_empty() && key != "teams.openid_metadata_url" {
                continue;
            }
            if !crate::text::is_http_url(value) || value.contains(char::is_whitespace) {
                return invalid(
                    key,
                    format!("'{value}' is not a URL like https://login.botframework.com/…"),
                );
            }
        }
        if teams.staff_conversation.trim().is_empty() != teams.staff_service_url.is_empty() {
            return invalid(
                "teams.staff_service_url",
                "teams.staff_conversation and teams.staff_service_url go together: set both or neither".into(),
            );
        }
        if teams
            .staff_conversation
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '/')
        {
            return invalid(
                "teams.staff_conversation",
                format!(
                    "'{}' is not a Teams conversation id like 19:…@thread.tacv2",
                    teams.staff_conversation
                ),
            );
        }
        self.base_url("teams.staff_page_url", &teams.staff_page_url)?;
        self.in_range(
            "teams.rate_limit_per_minute",
            teams.rate_limit_per_minute,
            1..=600,
        )?;
        Ok(())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, reason: String| self.invalid(key, reason);
        if self.data_dir.as_os_str().is_empty() {
            return invalid("data_dir", "must not be empty".into());
        }
        if self.knowledge.dir.as_os_str().is_empty() {
            return invalid("knowledge.dir", "must not be empty".into());
        }
        self.in_range("search.max_hits", self.search.max_hits, 1..=10)?;
        if self.conversation.idle_timeout_minutes == 0 {
            return invalid(
                "conversation.idle_timeout_minutes",
                "must be at least 1".into(),
            );
        }
        self.in_range(
            "privacy.conversation_retention_days",
            self.privacy.conversation_retention_days,
            1..=3650,
        )?;
        if let Err(e) = self.web.listen.parse::<SocketAddr>() {
            return invalid(
                "web.listen",
                format!(
                    "'{}' is not an address like 127.0.0.1:8080 ({e})",
                    self.web.listen
                ),
            );
        }
        for (i, origin) in self.web.allowed_origins.iter().enumerate() {
            if let Err(why) = check_origin(origin) {
                return invalid(
                    &format!("web.allowed_origins[{i}]"),
                    format!(
                        "'{}' is not an origin like https://ssaquebec.ca: {why}",
                        origin.escape_debug()
                    ),
                );
            }
        }
        self.in_range(
            "web.max_message_chars",
            self.web.max_message_chars,
            1..=100_000,
        )?;
        self.base_url("web.public_url", &self.web.public_url)?;
        if self.web.rate_limit_per_minute == 0 {
            return invalid("web.rate_limit_per_minute", "must be at least 1".into());
        }
        for proxy in &self.web.trusted_proxies {
            if let Err(e) = proxy.trim().parse::<std::net::IpAddr>() {
                return invalid(
                    "web.trusted_proxies",
                    format!("'{proxy}' is not an IP address like 127.0.0.1 or ::1 ({e})"),
                );
            }
        }
        self.validate_metrics()?;
        let discord = &self.discord;
        if discord.token_env.is_empty()
            || !discord
                .token_env
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return invalid(
                "discord.token_env",
                format!(
                    "'{}' is not an environment variable name like GUICHET_DISCORD_TOKEN",
                    discord.token_env
                ),
            );
        }
        if discord.guilds.contains(&0) {
            return invalid("discord.guilds", "ids are positive numbers".into());
        }
        if discord.allowed_channels.contains(&0) {
            return invalid(
                "discord.allowed_channels",
                "ids are positive numbers".into(),
            );
        }
        self.base_url("discord.staff_page_url", &discord.staff_page_url)?;
        self.in_range(
            "discord.rate_limit_per_minute",
            discord.rate_limit_per_minute,
            1..=600,
        )?;
        self.validate_mail()?;
        self.validate_teams()?;
        self.validate_sync()?;
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

/// Checks one entry of `web.allowed_origins`: a bare origin, `scheme://host[:port]`, as
/// browsers send it in `Origin`. Each entry is written into the Content-Security-Policy
/// header (`frame-ancestors`) and compared with `Origin`, so nothing else may get in: no
/// path (not even `/`), query, fragment or user name, no spaces, `;`, `,` or quotes (which
/// would add to the policy), no wildcard (origins are compared exactly), no default port
/// (browsers leave it out, so it would never match). Says why not, if not.
fn check_origin(origin: &str) -> Result<(), String> {
    if let Some(c) = origin.chars().find(|c| {
        c.is_whitespace() || c.is_control() || matches!(c, ';' | ',' | '"' | '\'' | '\\' | '`')
    }) {
        return Err(format!("{:?} has no place in an origin", c));
    }
    if !origin.is_ascii() {
        return Err("write an international domain name in its xn-- form".into());
    }
    let lower = origin.to_ascii_lowercase();
    let Some((scheme, rest)) = lower.split_once("://") else {
        return Err("it needs a scheme: https://… or http://…".into());
    };
    let default_port = match scheme {
        "https" => "443",
        "http" => "80",
        _ => return Err(format!("the scheme is '{scheme}', not http or https")),
    };
    for (c, what) in [
        ('@', "user name or password"),
        ('?', "query"),
        ('#', "fragment"),
        ('/', "path (not even a final /)"),
        ('*', "wildcard (list each origin)"),
    ] {
        if rest.contains(c) {
            return Err(format!("an origin has no {what}"));
        }
    }
    // The host, then the port if any (an IPv6 address is in brackets).
    let (host, port) = match rest.strip_prefix('[') {
        Some(v6) => {
            let Some((address, after)) = v6.split_once(']') else {
                return Err("an IPv6 address needs its closing ]".into());
            };
            if address.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(format!("'{address}' is not an IPv6 address"));
            }
            match after {
                "" => (None, None),
                _ => match after.strip_prefix(':') {
                    Some(port) => (None, Some(port)),
                    None => return Err(format!("'{after}' after the address")),
                },
            }
        }
        None => match rest.split_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(rest), None),
        },
    };
    if let Some(host) = host {
        check_host(host)?;
    }
    if let Some(port) = port {
        let number = port.parse::<u16>().ok().filter(|&p| p > 0);
        if number.is_none() || port.starts_with('0') {
            return Err(format!("the port '{port}' is not a number from 1 to 65535"));
        }
        if port == default_port {
            return Err(format!(
                "leave out :{port}, the default port of {scheme}: browsers do not send it"
            ));
        }
    }
    Ok(())
}

/// Checks an origin's host (lowercase ASCII): an IPv4 address, or a domain name whose
/// labels are letters, digits and inner hyphens.
fn check_host(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("it has no host".into());
    }
    if host.len() > 253 {
        return Err("the host name is longer than 253 characters".into());
    }
    let labels: Vec<&str> = host.split('.').collect();
    // A name ending in a number is an IPv4 address to browsers ("1.2.3" is 1.2.0.3).
    let last = labels.last().copied().unwrap_or("");
    if !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()) {
        return match host.parse::<std::net::Ipv4Addr>() {
            Ok(_) => Ok(()),
            Err(_) => Err(format!("'{host}' is not an IPv4 address like 192.0.2.1")),
        };
    }
    for label in labels {
        let ok = (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(format!(
                "'{host}' is not a host name (letters, digits and hyphens, separated by dots)"
            ));
        }
    }
    Ok(())
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
        let err = parse("[web]\nlisten = \"localhost\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("web.listen"), "{err}");
        let err = parse("[web]\nallowed_origins = [\"ssaquebec.ca\"]\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("web.allowed_origins"), "{err}");
        let err = parse("[web]\ntrusted_proxies = [\"127.0.0.1\", \"nginx.local\"]\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("web.trusted_proxies") && err.contains("'nginx.local'"),
            "{err}"
        );
        let err = parse("[web]\ntrusted_proxies = [\"10.0.0.0/8\"]\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("web.trusted_proxies") && err.contains("10.0.0.0/8"),
            "{err}"
        );
        let c = parse("[web]\ntrusted_proxies = [\"127.0.0.1\", \"::1\"]\n").unwrap();
        assert_eq!(c.web.trusted_proxies, vec!["127.0.0.1", "::1"]);
        let err = parse("[[staff]]\nusername = \"ana\"\npassword_hash = \"secret\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("staff[0].password_hash") && err.contains("argon2"),
            "{err}"
        );
    }

    #[test]
    fn an_allowed_origin_must_be_a_bare_http_or_https_origin() {
        let good = [
            "https://ssaquebec.ca",
            "http://localhost:8080",
            "https://www.ssa-quebec.ca:8443",
            "HTTPS://SSAQuebec.CA",
            "http://127.0.0.1",
            "http://[::1]:3000",
            "https://[2001:db8::1]",
            "https://xn--qubec-csa.ca",
        ];
        let list = |origins: &[&str]| {
            let quoted: Vec<String> = origins.iter().map(|o| format!("{o:?}")).collect();
            format!("[web]\nallowed_origins = [{}]\n", quoted.join(", "))
        };
        let c = parse(&list(&good)).unwrap();
        assert_eq!(c.web.allowed_origins.len(), good.len());
        for (bad, why) in [
            ("ssaquebec.ca", "scheme"),
            ("ftp://ssaquebec.ca", "not http or https"),
            ("javascript://ssaquebec.ca", "not http or https"),
            ("https://ssaquebec.ca/", "path"),
            ("https://ssaquebec.ca/widget", "path"),
            ("https://ssaquebec.ca?x=1", "query"),
            ("https://ssaquebec.ca#top", "fragment"),
            ("https://user:pw@ssaquebec.ca", "user name"),
            ("https://*.ssaquebec.ca", "wildcard"),
            ("https://ssa quebec.ca", "' '"),
            ("https://ssaquebec.ca; script-src *", "';'"),
            ("https://ssaquebec.ca;script-src", "';'"),
            ("https://a.ca,https://b.ca", "','"),
            ("https://ssaquebec.ca'", "'\\''"),
            ("https://ssaquebec.ca\"", "'\"'"),
            ("https://ssaquebec.ca\n", "'\\n'"),
            ("https://québec.ca", "xn--"),
            ("https://", "no host"),
            ("https://:8080", "no host"),
            ("https://ssa_quebec.ca", "not a host name"),
            ("https://-ssa.ca", "not a host name"),
            ("https://ssaquebec..ca", "not a host name"),
            ("https://ssaquebec.ca.", "not a host name"),
            ("https://1.2.3", "not an IPv4 address"),
            ("https://256.1.1.1", "not an IPv4 address"),
            ("https://[::1", "closing ]"),
            ("https://[nope]", "not an IPv6 address"),
            ("https://ssaquebec.ca:", "not a number"),
            ("https://ssaquebec.ca:99999", "not a number"),
            ("https://ssaquebec.ca:0", "not a number"),
            ("https://ssaquebec.ca:08443", "not a number"),
            ("https://ssaquebec.ca:443", "default port"),
            ("http://ssaquebec.ca:80", "default port"),
            ("https://a.ca:1:2", "not a number"),
            ("", "scheme"),
        ] {
            // Third in the list, so the key names its index.
            let err = parse(&list(&[good[0], good[1], bad]))
                .expect_err(bad)
                .to_string();
            assert!(
                err.contains("key `web.allowed_origins[2]`") && err.contains(why),
                "{bad:?}: {err}"
            );
        }
        let err = parse("[web]\nallowed_origins = [\"https://ssaquebec.ca/\"]\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "configuration test.toml: key `web.allowed_origins[0]`: 'https://ssaquebec.ca/' \
             is not an origin like https://ssaquebec.ca: an origin has no path (not even a final /)"
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
    fn the_mail_section_is_off_by_default_and_its_bad_values_name_their_key() {
        let c = parse("").unwrap();
        assert!(!c.mail.enabled);
        assert_eq!(c.mail.imap.password_env, "GUICHET_IMAP_PASSWORD");
        let on = "[mail]\nenabled = true\naddress = \"contact@ssaquebec.ca\"\n[mail.imap]\nhost = \"imap.example.org\"\nusername = \"contact\"\n[mail.smtp]\nhost = \"smtp.example.org\"\n";
        let c = parse(on).unwrap();
        assert_eq!(c.mail.imap.security, Security::Tls);
        for (text, key) in [
            (
                "[mail]\nenabled = true\naddress = \"contact\"\n",
                "mail.address",
            ),
            (&on.replace("imap.example.org", ""), "mail.imap.host"),
            (
                &on.replace("[mail.smtp]\n", "[mail.smtp]\nsecurity = \"plain\"\n"),
                "mail.smtp.security",
            ),
            (
                &on.replace(
                    "host = \"imap.example.org\"",
                    "host = \"imap.example.org\"\nsecurity = \"none\"",
                ),
                "security",
            ),
            ("[mail]\nstaff_address = \"staff\"\n", "mail.staff_address"),
            (
                "[mail]\nreplies_per_minute = 0\n",
                "mail.replies_per_minute",
            ),
            ("[mail]\ncopy_wait_seconds = 0\n", "mail.copy_wait_seconds"),
            (
                "[mail.imap]\npassword_env = \"my password\"\n",
                "mail.imap.password_env",
            ),
            (
                "[mail.imap]\ndone_folder = \"INBOX\"\n",
                "mail.imap.done_folder",
            ),
            ("[mail.imap]\nidle_minutes = 30\n", "mail.imap.idle_minutes"),
            ("[mail.imap]\npassword = \"secret\"\n", "password"),
        ] {
            let err = parse(text).expect_err(text).to_string();
            assert!(err.contains(key), "{text}: {err}");
        }
        // Plain is fine for a server on this machine (the test rig).
        let local = on
            .replace("imap.example.org", "127.0.0.1")
            .replace("[mail.imap]\n", "[mail.imap]\nsecurity = \"plain\"\n");
        assert!(parse(&local).is_ok());
    }

    #[test]
    fn the_discord_section_is_off_by_default_and_its_bad_values_name_their_key() {
        let c = parse("").unwrap();
        assert!(!c.discord.enabled);
        assert_eq!(c.discord.token_env, "GUICHET_DISCORD_TOKEN");
        let c = parse("[discord]\nenabled = true\nguilds = [123456789012345678]\nstaff_channel = 42\nstaff_page_url = \"https://guichet.example/\"\n").unwrap();
        assert_eq!(c.discord.guilds, vec![123_456_789_012_345_678]);
        assert_eq!(c.discord.staff_channel, 42);
        for (text, key) in [
            ("[discord]\ntoken_env = \"my token\"\n", "discord.token_env"),
            ("[discord]\ntoken_env = \"\"\n", "discord.token_env"),
            ("[discord]\nguilds = [0]\n", "discord.guilds"),
            (
                "[discord]\nallowed_channels = [0]\n",
                "discord.allowed_channels",
            ),
            (
                "[discord]\nstaff_page_url = \"guichet.example\"\n",
                "discord.staff_page_url",
            ),
            (
                "[discord]\nrate_limit_per_minute = 0\n",
                "discord.rate_limit_per_minute",
            ),
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains(key), "{text:?}: {err}");
        }
        let err = parse("[discord]\ntoken = \"secret\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("token") && err.contains("line 2"),
            "a token in the file is refused: {err}"
        );
    }

    #[test]
    fn the_teams_section_is_off_by_default_and_its_bad_values_name_their_key() {
        let c = parse("").unwrap();
        assert!(!c.teams.enabled);
        assert_eq!(c.teams.password_env, "GUICHET_TEAMS_APP_PASSWORD");
        assert_eq!(c.teams.endpoint, "/api/teams/messages");
        assert_eq!(c.teams.tenant, "botframework.com");
        assert_eq!(
            c.teams.token_endpoint(),
            "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"
        );
        let on = "[teams]\nenabled = true\napp_id = \"c9e8c047-2a74-40a2-b28a-b162d5f5327c\"\n";
        let c = parse(on).unwrap();
        assert!(c.teams.enabled);
        let single = format!("{on}tenant = \"72f988bf-86f1-41af-91ab-2d7cd011db47\"\n");
        assert_eq!(
            parse(&single).unwrap().teams.token_endpoint(),
            "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token",
            "a single-tenant bot gets its tokens from its own tenant"
        );
        let custom = format!("{on}token_url = \"http://127.0.0.1:9/token\"\n");
        assert_eq!(
            parse(&custom).unwrap().teams.token_endpoint(),
            "http://127.0.0.1:9/token"
        );
        for (text, key, why) in [
            ("[teams]\nenabled = true\n", "teams.app_id", "must be set"),
            (
                "[teams]\napp_id = \"guichet\"\n",
                "teams.app_id",
                "Microsoft App ID",
            ),
            (
                "[teams]\ntenant = \"contoso\"\n",
                "teams.tenant",
                "tenant id",
            ),
            (
                "[teams]\npassword_env = \"my secret\"\n",
                "teams.password_env",
                "environment variable",
            ),
            (
                "[teams]\nendpoint = \"api/teams\"\n",
                "teams.endpoint",
                "path",
            ),
            (
                "[teams]\nendpoint = \"/api/chat\"\n",
                "teams.endpoint",
                "already",
            ),
            (
                "[teams]\nendpoint = \"/staff/teams\"\n",
                "teams.endpoint",
                "already",
            ),
            (
                "[teams]\nendpoint = \"/widget.js\"\n",
                "teams.endpoint",
                "already",
            ),
            (
                "[teams]\nopenid_metadata_url = \"\"\n",
                "teams.openid_metadata_url",
                "URL",
            ),
            (
                "[teams]\ntoken_url = \"login.microsoftonline.com\"\n",
                "teams.token_url",
                "URL",
            ),
            (
                "[teams]\nstaff_conversation = \"19:x@thread.tacv2\"\n",
                "teams.staff_service_url",
                "both",
            ),
            (
                "[teams]\nstaff_service_url = \"https://smba.trafficmanager.net/amer/\"\n",
                "teams.staff_service_url",
                "both",
            ),
            (
                "[teams]\nstaff_page_url = \"guichet.example\"\n",
                "teams.staff_page_url",
                "base URL",
            ),
            (
                "[teams]\nrate_limit_per_minute = 0\n",
                "teams.rate_limit_per_minute",
                "range",
            ),
        ] {
            let err = parse(text).expect_err(text).to_string();
            assert!(
                err.contains(&format!("`{key}`")) && err.contains(why),
                "{text:?}: {err}"
            );
        }
        let err = parse("[teams]\npassword = \"secret\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("password") && err.contains("line 2"),
            "a password in the file is refused: {err}"
        );
        let env = vec![(
            "GUICHET__TEAMS__APP_ID".to_string(),
            "c9e8c047-2a74-40a2-b28a-b162d5f5327c".to_string(),
        )];
        let c = Config::from_toml(EMBEDDED_DEFAULTS, "defaults", &env).unwrap();
        assert_eq!(c.teams.app_id, "c9e8c047-2a74-40a2-b28a-b162d5f5327c");
    }

    #[test]
    fn the_database_sits_in_the_data_directory_unless_configured() {
        let c = parse("data_dir = \"/srv/g\"\n").unwrap();
        assert_eq!(c.database_path(), PathBuf::from("/srv/g/guichet.sqlite3"));
        let c = parse("[database]\npath = \"/db/x.sqlite3\"\n").unwrap();
        assert_eq!(c.database_path(), PathBuf::from("/db/x.sqlite3"));
    }
}

#[cfg(test)]
mod metrics_config_tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_toml(text, "test.toml", &[])
    }

    #[test]
    fn metrics_are_off_by_default_and_loopback_only_unless_allowed() {
        let c = parse("").unwrap();
        assert_eq!(c.metrics_addr(), None);
        let c = parse("[web]\nmetrics_listen = \"127.0.0.1:9090\"\n").unwrap();
        assert_eq!(c.metrics_addr(), Some("127.0.0.1:9090".parse().unwrap()));
        let err = parse("[web]\nmetrics_listen = \"0.0.0.0:9090\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("key `web.metrics_listen`") && err.contains("metrics_allow_remote"),
            "{err}"
        );
        let c = parse("[web]\nmetrics_listen = \"0.0.0.0:9090\"\nmetrics_allow_remote = true\n");
        assert!(c.is_ok(), "{c:?}");
        let err = parse("[web]\nmetrics_listen = \"localhost:9090\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("web.metrics_listen") && err.contains("127.0.0.1:9090"),
            "{err}"
        );
        let err =
            parse("[web]\nlisten = \"127.0.0.1:8080\"\nmetrics_listen = \"127.0.0.1:8080\"\n")
                .unwrap_err()
                .to_string();
        assert!(err.contains("already web.listen"), "{err}");
        let err = parse("[web]\nchannel_down_seconds = 0\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("web.channel_down_seconds"), "{err}");
    }
}
