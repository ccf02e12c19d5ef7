//! Validation: every key of a loaded configuration is checked once, and a bad one is
//! refused with its name and the reason.

use super::values::check_host;
use super::{is_guid, Config, ConfigError, Security, TEAMS_MULTI_TENANT};

impl Config {
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

    /// `value` at `key` must be the name of an environment variable (the secret itself
    /// never is in the file), like `example`.
    fn env_name(&self, key: &str, value: &str, example: &str) -> Result<(), ConfigError> {
        if value.is_empty() || !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return self.invalid(
                key,
                format!("'{value}' is not an environment variable name like {example}"),
            );
        }
        Ok(())
    }

    fn validate_mail(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, reason: String| self.invalid(key, reason);
        let mail = &self.mail;
        for (key, value) in [
            ("mail.secret_env", &mail.secret_env),
            ("mail.imap.password_env", &mail.imap.password_env),
            ("mail.smtp.password_env", &mail.smtp.password_env),
        ] {
            self.env_name(key, value, "GUICHET_IMAP_PASSWORD")?;
        }
        if mail.enabled && mail.address.is_none() {
            return invalid(
                "mail.address",
                "must be set when mail.enabled is true (an address like contact@ssaquebec.ca)"
                    .into(),
            );
        }
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
        let Some(address) = web.metrics_listen else {
            return Ok(());
        };
        if !address.ip().is_loopback() && !web.metrics_allow_remote {
            return self.invalid(
                "web.metrics_listen",
                format!(
                    "'{address}' can be reached from other machines and the metrics tell traffic and failures: use 127.0.0.1, or set web.metrics_allow_remote = true"
                ),
            );
        }
        if web.listen == address && address.port() != 0 {
            return self.invalid(
                "web.metrics_listen",
                format!("'{address}' is already web.listen"),
            );
        }
        Ok(())
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
        self.env_name(
            "teams.password_env",
            &teams.password_env,
            "GUICHET_TEAMS_APP_PASSWORD",
        )?;
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
        self.in_range(
            "teams.rate_limit_per_minute",
            teams.rate_limit_per_minute,
            1..=600,
        )?;
        Ok(())
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
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
        self.in_range(
            "web.max_message_chars",
            self.web.max_message_chars,
            1..=100_000,
        )?;
        if self.web.rate_limit_per_minute == 0 {
            return invalid("web.rate_limit_per_minute", "must be at least 1".into());
        }
        self.validate_metrics()?;
        let discord = &self.discord;
        self.env_name(
            "discord.token_env",
            &discord.token_env,
            "GUICHET_DISCORD_TOKEN",
        )?;
        if discord.guilds.contains(&0) {
            return invalid("discord.guilds", "ids are positive numbers".into());
        }
        if discord.allowed_channels.contains(&0) {
            return invalid(
                "discord.allowed_channels",
                "ids are positive numbers".into(),
            );
        }
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
}
