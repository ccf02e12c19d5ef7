//! The sections of the configuration file, as structs with their defaults (the values
//! `config/guichet.toml` repeats).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use serde::Deserialize;

use super::secret::{MissingSecret, Secret};
use super::values::{self, BaseUrl, Origin};
use crate::language::Language;
use crate::requests::Email;

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
    #[serde(deserialize_with = "values::listen")]
    pub listen: SocketAddr,
    /// Origins (scheme://host[:port]) allowed to embed the chat widget and call the API.
    pub allowed_origins: Vec<Origin>,
    /// Longest chat message accepted, in characters.
    pub max_message_chars: usize,
    /// Chat messages a client may send per minute.
    pub rate_limit_per_minute: u32,
    /// Mark cookies `Secure` (set to true when served over HTTPS).
    pub secure_cookies: bool,
    /// Addresses of the reverse proxies in front of guichet. A request from one of them is
    /// rate-limited by the client address in its `X-Forwarded-For` header; from anyone
    /// else the header is ignored.
    #[serde(deserialize_with = "values::ip_addrs")]
    pub trusted_proxies: Vec<IpAddr>,
    /// guichet's public base URL (https://guichet.example), for the feedback links at the
    /// end of answer emails; empty: answer emails carry no feedback links.
    #[serde(deserialize_with = "values::optional_base_url")]
    pub public_url: Option<BaseUrl>,
    /// Where `GET /metrics` (Prometheus text format) is served, apart from the chat; empty:
    /// nowhere. A loopback address unless `metrics_allow_remote`.
    #[serde(deserialize_with = "values::metrics_listen")]
    pub metrics_listen: Option<SocketAddr>,
    /// Allow `metrics_listen` on an address other machines can reach (the metrics tell
    /// traffic and failures: put a firewall or a proxy with authentication in front).
    pub metrics_allow_remote: bool,
    /// `/healthz` answers 503 once an enabled channel has been down this many seconds.
    pub channel_down_seconds: u64,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            allowed_origins: Vec::new(),
            max_message_chars: 2_000,
            rate_limit_per_minute: 30,
            secure_cookies: false,
            trusted_proxies: Vec::new(),
            public_url: None,
            metrics_listen: None,
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
    #[serde(deserialize_with = "values::optional_base_url")]
    pub staff_page_url: Option<BaseUrl>,
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
            staff_page_url: None,
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
    #[serde(deserialize_with = "values::optional_base_url")]
    pub staff_page_url: Option<BaseUrl>,
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
            staff_page_url: None,
            rate_limit_per_minute: 10,
        }
    }
}

impl DiscordConfig {
    /// The bot token, from the variable `token_env` names.
    pub fn token(&self) -> Result<Secret, MissingSecret> {
        Secret::from_env(&self.token_env, "discord.token_env")
    }
}

impl TeamsConfig {
    /// The app password, from the variable `password_env` names.
    pub fn password(&self) -> Result<Secret, MissingSecret> {
        Secret::from_env(&self.password_env, "teams.password_env")
    }

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
    /// The contact address guichet reads and answers from (required when enabled).
    #[serde(deserialize_with = "values::optional_email")]
    pub address: Option<Email>,
    /// Other addresses that are also guichet's (aliases): never answered, loop markers.
    pub aliases: Vec<Email>,
    /// Where staff are told of each logged request; empty: no notification email.
    #[serde(deserialize_with = "values::optional_email")]
    pub staff_address: Option<Email>,
    /// guichet's public base URL, for links to `/staff/requests/REF` in notifications.
    #[serde(deserialize_with = "values::optional_base_url")]
    pub staff_page_url: Option<BaseUrl>,
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
            address: None,
            aliases: Vec::new(),
            staff_address: None,
            staff_page_url: None,
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

impl MailConfig {
    /// The thread-tag secret from the variable `secret_env` names, if it is set (its
    /// length is checked by the mail channel, which otherwise keeps one on disk).
    pub fn secret(&self) -> Option<Secret> {
        std::env::var(&self.secret_env).ok().map(Secret::from)
    }
}

impl ImapConfig {
    /// The IMAP password, from the variable `password_env` names.
    pub fn password(&self) -> Result<Secret, MissingSecret> {
        Secret::from_env(&self.password_env, "mail.imap.password_env")
    }
}

impl SmtpConfig {
    /// The SMTP password when a username is set (none without: the relay trusts this
    /// host), from the variable `password_env` names.
    pub fn password(&self) -> Result<Option<Secret>, MissingSecret> {
        if self.username.is_empty() {
            return Ok(None);
        }
        Secret::from_env(&self.password_env, "mail.smtp.password_env").map(Some)
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
