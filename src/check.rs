//! `guichet check`: before the daemon starts (a systemd `ExecStartPre`, or by hand after
//! editing the configuration), connects to every enabled channel's servers the way `serve`
//! would, without changing anything, and says in one bilingual line per check what works
//! and what to fix: IMAP login and folders, SMTP EHLO + STARTTLS + AUTH (nothing sent),
//! the Discord bot token, the Teams app password.

use std::fmt::Display;
use std::time::Duration;

use futures_util::StreamExt;

use crate::config::{Config, MissingSecret, Security};
use crate::language::Language;
use crate::mail::{imap, outbox, tls, MailError};
use crate::messages::Msg;

/// The longest one check may take (a server that accepts the connection and then says
/// nothing must not hold `ExecStartPre` for minutes).
const CHECK_TIMEOUT: Duration = Duration::from_secs(20);
/// Where Discord tells a bot who it is: a cheap authenticated call.
pub const DISCORD_API: &str = "https://discord.com/api/v10";

/// The result of one check, with what to say about it.
#[derive(Debug, Clone)]
pub struct Check {
    pub passed: bool,
    pub msg: Msg,
    pub values: Vec<(&'static str, String)>,
}

impl Check {
    fn new(passed: bool, msg: Msg, values: &[(&'static str, &dyn Display)]) -> Check {
        Check {
            passed,
            msg,
            values: values.iter().map(|(k, v)| (*k, v.to_string())).collect(),
        }
    }

    fn ok(msg: Msg, values: &[(&'static str, &dyn Display)]) -> Check {
        Check::new(true, msg, values)
    }

    fn failed(msg: Msg, values: &[(&'static str, &dyn Display)]) -> Check {
        Check::new(false, msg, values)
    }

    /// The sentence in `lang`.
    pub fn text(&self, lang: Language) -> String {
        let values: Vec<(&str, &str)> = self.values.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.msg.fill(lang, &values)
    }

    /// One line, French then English, marked `[ok]` or `[ÉCHEC/FAILED]`.
    pub fn line(&self) -> String {
        format!(
            "{} {} / {}",
            if self.passed {
                "[ok]"
            } else {
                "[ÉCHEC/FAILED]"
            },
            self.text(Language::Fr),
            self.text(Language::En)
        )
    }
}

/// Every check, in order.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub checks: Vec<Check>,
}

impl Report {
    /// The report of a configuration that could not be loaded (nothing else is checked).
    pub fn invalid_config(error: &dyn Display) -> Report {
        Report {
            checks: vec![Check::failed(
                Msg::CheckConfigInvalid,
                &[("error", &error.to_string())],
            )],
        }
    }

    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }

    /// One line per check, then a summary line.
    pub fn render(&self) -> String {
        let mut out: String = self.checks.iter().map(|c| c.line() + "\n").collect();
        let failed = self.checks.iter().filter(|c| !c.passed).count();
        let count = self.checks.len();
        let summary = if failed == 0 {
            Check::ok(Msg::CheckAllPassed, &[("count", &count)])
        } else {
            Check::failed(
                Msg::CheckSomeFailed,
                &[("failed", &failed), ("count", &count)],
            )
        };
        out.push_str(&format!(
            "{} / {}\n",
            summary.text(Language::Fr),
            summary.text(Language::En)
        ));
        out
    }
}

/// Checks `config` (already loaded and validated) and every enabled channel.
pub async fn run(config: &Config) -> Report {
    let mut checks = vec![Check::ok(
        Msg::CheckConfigValid,
        &[("source", &config.source)],
    )];
    checks.push(check_knowledge(config).await);
    if config.mail.enabled {
        checks.extend(bounded("IMAP", check_imap(config)).await);
        checks.extend(bounded("SMTP", check_smtp(config)).await);
    } else {
        checks.push(Check::ok(Msg::CheckDisabled, &[("part", &"Mail")]));
    }
    if config.discord.enabled {
        checks.extend(bounded("Discord", check_discord(config, DISCORD_API)).await);
    } else {
        checks.push(Check::ok(Msg::CheckDisabled, &[("part", &"Discord")]));
    }
    if config.teams.enabled {
        checks.extend(bounded("Teams", check_teams(config)).await);
    } else {
        checks.push(Check::ok(Msg::CheckDisabled, &[("part", &"Teams")]));
    }
    Report { checks }
}

async fn bounded(
    part: &'static str,
    check: impl std::future::Future<Output = Vec<Check>>,
) -> Vec<Check> {
    match tokio::time::timeout(CHECK_TIMEOUT, check).await {
        Ok(checks) => checks,
        Err(_) => vec![Check::failed(
            Msg::CheckFailed,
            &[
                ("part", &part),
                (
                    "error",
                    &format!("no answer within {} s", CHECK_TIMEOUT.as_secs()),
                ),
            ],
        )],
    }
}

/// Reads the knowledge folder as `serve` would (without indexing it): `serve` refuses to
/// start on a malformed file unless `knowledge.skip_invalid`.
async fn check_knowledge(config: &Config) -> Check {
    let dir = config.knowledge.dir.clone();
    let skip = config.knowledge.skip_invalid;
    let shown = dir.display().to_string();
    match tokio::task::spawn_blocking(move || crate::knowledge::KnowledgeBase::load(&dir, skip))
        .await
    {
        Ok(Ok(kb)) => Check::ok(
            Msg::CheckKnowledgeOk,
            &[
                ("dir", &shown),
                (
                    "documents",
                    &Language::ALL
                        .iter()
                        .map(|l| kb.count_documents(*l))
                        .sum::<usize>(),
                ),
                ("skipped", &kb.skipped.len()),
            ],
        ),
        Ok(Err(e)) => Check::failed(
            Msg::CheckKnowledgeInvalid,
            &[("dir", &shown), ("error", &e)],
        ),
        Err(e) => Check::failed(Msg::CheckFailed, &[("part", &"Knowledge"), ("error", &e)]),
    }
}

/// A secret's variable is not set.
fn missing(part: &str, missing: &MissingSecret) -> Check {
    Check::failed(
        Msg::CheckMissingSecret,
        &[
            ("part", &part),
            ("env", &missing.var),
            ("key", &missing.key),
        ],
    )
}

/// Whether an I/O error is a TLS failure (tokio-rustls wraps them in `io::Error`).
fn is_tls(e: &std::io::Error) -> bool {
    e.get_ref()
        .is_some_and(|inner| inner.is::<tokio_rustls::rustls::Error>())
        || e.kind() == std::io::ErrorKind::InvalidData
}

/// Logs in to the mailbox, reads the inbox without changing it (EXAMINE) and looks for
/// the folders `serve` would create; creates nothing.
async fn check_imap(config: &Config) -> Vec<Check> {
    let part = "IMAP";
    let imap = &config.mail.imap;
    let server = format!("{}:{}", imap.host, imap.port);
    let password = match imap.password() {
        Ok(password) => password,
        Err(m) => return vec![missing(part, &m)],
    };
    let tls = match tls::client_config("mail.imap.ca_file", &imap.ca_file) {
        Ok(tls) => tls,
        Err(e) => {
            return vec![Check::failed(
                Msg::CheckFailed,
                &[("part", &part), ("error", &e)],
            )]
        }
    };
    let settings = imap::ImapSettings {
        host: imap.host.clone(),
        port: imap.port,
        security: imap.security,
        username: imap.username.clone(),
        password,
        tls,
        inbox: imap.inbox.clone(),
        done_folder: imap.done_folder.clone(),
        quarantine_folder: imap.quarantine_folder.clone(),
        sent_folder: imap.sent_folder.clone(),
        idle: Duration::from_secs(imap.idle_minutes * 60),
        poll: Duration::from_secs(imap.poll_seconds),
        max_message_bytes: config.mail.max_message_bytes,
        retention: time::Duration::days(i64::from(config.privacy.conversation_retention_days)),
    };
    let mut session = match imap::connect(&settings).await {
        Ok(session) => session,
        Err(e) => {
            return vec![connection_failure(
                part,
                &server,
                &imap.username,
                &imap.password_env,
                "mail.imap.host, mail.imap.port",
                "mail.imap.security, mail.imap.ca_file",
                e,
            )]
        }
    };
    let mut checks = Vec::new();
    match session.examine(&imap.inbox).await {
        Ok(mailbox) => checks.push(Check::ok(
            Msg::CheckImapOk,
            &[
                ("server", &server),
                ("user", &imap.username),
                ("inbox", &imap.inbox),
                ("messages", &mailbox.exists),
            ],
        )),
        Err(e) => checks.push(Check::failed(
            Msg::CheckImapFolderFailed,
            &[
                ("folder", &imap.inbox),
                ("error", &e),
                ("key", &"mail.imap.inbox"),
            ],
        )),
    }
    for (key, folder) in [
        ("mail.imap.done_folder", &imap.done_folder),
        ("mail.imap.quarantine_folder", &imap.quarantine_folder),
        ("mail.imap.sent_folder", &imap.sent_folder),
    ] {
        let found = match session.list(None, Some(folder)).await {
            Ok(names) => {
                let names: Vec<_> = names.collect().await;
                names
                    .iter()
                    .any(|n| n.as_ref().is_ok_and(|n| n.name() == folder.as_str()))
            }
            Err(e) => {
                checks.push(Check::failed(
                    Msg::CheckImapFolderFailed,
                    &[("folder", folder), ("error", &e), ("key", &key)],
                ));
                continue;
            }
        };
        if !found {
            checks.push(Check::ok(
                Msg::CheckImapFolderMissing,
                &[("folder", folder), ("key", &key)],
            ));
        }
    }
    let _ = session.logout().await;
    checks
}

/// The line for a connection or login that failed.
fn connection_failure(
    part: &str,
    server: &str,
    user: &str,
    env: &str,
    address_keys: &str,
    tls_keys: &str,
    error: MailError,
) -> Check {
    match error {
        MailError::Login(_) => Check::failed(
            Msg::CheckLoginRefused,
            &[("part", &part), ("user", &user), ("env", &env)],
        ),
        MailError::Io(e) if is_tls(&e) => Check::failed(
            Msg::CheckTlsFailed,
            &[
                ("part", &part),
                ("server", &server),
                ("error", &e),
                ("keys", &tls_keys),
            ],
        ),
        MailError::Io(e) => Check::failed(
            Msg::CheckUnreachable,
            &[
                ("part", &part),
                ("server", &server),
                ("error", &e),
                ("keys", &address_keys),
            ],
        ),
        MailError::Timeout(what) => Check::failed(
            Msg::CheckUnreachable,
            &[
                ("part", &part),
                ("server", &server),
                ("error", &format!("timed out {what}")),
                ("keys", &address_keys),
            ],
        ),
        other => Check::failed(Msg::CheckFailed, &[("part", &part), ("error", &other)]),
    }
}

/// Opens an SMTP session as the outbox does (EHLO, STARTTLS or TLS, AUTH when a username
/// is configured) and closes it without sending anything.
async fn check_smtp(config: &Config) -> Vec<Check> {
    let part = "SMTP";
    let smtp = &config.mail.smtp;
    let server = format!("{}:{}", smtp.host, smtp.port);
    let password = match smtp.password() {
        Ok(password) => password,
        Err(m) => return vec![missing(part, &m)],
    };
    let transport = match outbox::transport(smtp, password) {
        Ok(t) => t,
        Err(e) => {
            return vec![Check::failed(
                Msg::CheckFailed,
                &[("part", &part), ("error", &e)],
            )]
        }
    };
    let mut steps = vec!["EHLO"];
    match smtp.security {
        Security::Starttls => steps.push("STARTTLS"),
        Security::Tls => steps.insert(0, "TLS"),
        Security::Plain => {}
    }
    if !smtp.username.is_empty() {
        steps.push("AUTH");
    }
    let check = match transport.test_connection().await {
        Ok(true) => Check::ok(
            Msg::CheckSmtpOk,
            &[("server", &server), ("steps", &steps.join(", "))],
        ),
        Ok(false) => Check::failed(
            Msg::CheckFailed,
            &[
                ("part", &part),
                ("error", &format!("{server} did not answer NOOP")),
            ],
        ),
        Err(e) => {
            let refused = e
                .status()
                .is_some_and(|code| matches!(code.to_string().as_str(), "530" | "534" | "535"));
            if refused {
                Check::failed(
                    Msg::CheckLoginRefused,
                    &[
                        ("part", &part),
                        ("user", &smtp.username),
                        ("env", &smtp.password_env),
                    ],
                )
            } else if e.is_client() && e.to_string().contains("authentication mechanism") {
                Check::failed(Msg::CheckSmtpNoAuth, &[("server", &server)])
            } else if e.is_tls() {
                Check::failed(
                    Msg::CheckTlsFailed,
                    &[
                        ("part", &part),
                        ("server", &server),
                        ("error", &error_chain(&e)),
                        ("keys", &"mail.smtp.security, mail.smtp.ca_file"),
                    ],
                )
            } else if e.is_response() || e.is_permanent() || e.is_transient() {
                Check::failed(
                    Msg::CheckFailed,
                    &[("part", &part), ("error", &error_chain(&e))],
                )
            } else {
                Check::failed(
                    Msg::CheckUnreachable,
                    &[
                        ("part", &part),
                        ("server", &server),
                        ("error", &error_chain(&e)),
                        ("keys", &"mail.smtp.host, mail.smtp.port"),
                    ],
                )
            }
        }
    };
    vec![check]
}

/// `e` and its sources, joined by ": ".
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

/// Asks Discord (`api`, normally [`DISCORD_API`]) who the bot token belongs to.
pub async fn check_discord(config: &Config, api: &str) -> Vec<Check> {
    let part = "Discord";
    let env = &config.discord.token_env;
    let token = match config.discord.token() {
        Ok(token) => token,
        Err(m) => return vec![missing(part, &m)],
    };
    let url = format!("{}/users/@me", api.trim_end_matches('/'));
    let response = http_client::Client::new()
        .get(&url)
        .header("Authorization", format!("Bot {}", token.expose().trim()))
        .timeout(CHECK_TIMEOUT)
        .send()
        .await;
    let check = match response {
        Ok(r) if r.status().is_success() => {
            #[derive(serde::Deserialize)]
            struct Me {
                username: String,
            }
            let name = r
                .json::<Me>()
                .await
                .map(|me| me.username)
                .unwrap_or_else(|_| "?".into());
            Check::ok(
                Msg::CheckTokenOk,
                &[("part", &part), ("detail", &format!("bot {name}"))],
            )
        }
        Ok(r) if matches!(r.status().as_u16(), 401 | 403) => Check::failed(
            Msg::CheckTokenRefused,
            &[
                ("part", &part),
                ("status", &r.status().as_u16()),
                ("env", env),
                ("keys", &"discord.token_env"),
            ],
        ),
        Ok(r) => unexpected_status(part, &url, r.status().as_u16()),
        Err(e) => unreachable(part, &url, &error_chain(&e), "the network"),
    };
    vec![check]
}

/// A web service that answered with a status the check did not expect.
fn unexpected_status(part: &str, url: &str, status: u16) -> Check {
    Check::failed(
        Msg::CheckFailed,
        &[
            ("part", &part),
            ("error", &format!("{url} answered HTTP {status}")),
        ],
    )
}

/// A web service that could not be reached; `keys` are the settings to look at.
fn unreachable(part: &str, url: &str, error: &str, keys: &str) -> Check {
    Check::failed(
        Msg::CheckUnreachable,
        &[
            ("part", &part),
            ("server", &url),
            ("error", &error),
            ("keys", &keys),
        ],
    )
}

/// Gets a Bot Framework token with the app id and password, as the Teams channel does.
async fn check_teams(config: &Config) -> Vec<Check> {
    let part = "Teams";
    let teams = &config.teams;
    let password = match teams.password() {
        Ok(password) => password,
        Err(m) => return vec![missing(part, &m)],
    };
    let url = teams.token_endpoint();
    let response = http_client::Client::new()
        .post(&url)
        .timeout(CHECK_TIMEOUT)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", teams.app_id.as_str()),
            ("client_secret", password.expose()),
            ("scope", crate::teams::connector::SCOPE),
        ])
        .send()
        .await;
    let check = match response {
        Ok(r) if r.status().is_success() => {
            #[derive(serde::Deserialize)]
            struct Token {
                access_token: String,
            }
            match r.json::<Token>().await {
                Ok(t) if !t.access_token.is_empty() => {
                    Check::ok(Msg::CheckTokenOk, &[("part", &part), ("detail", &url)])
                }
                _ => Check::failed(
                    Msg::CheckFailed,
                    &[
                        ("part", &part),
                        ("error", &format!("{url} answered without a token")),
                    ],
                ),
            }
        }
        Ok(r) if r.status().is_client_error() => Check::failed(
            Msg::CheckTokenRefused,
            &[
                ("part", &part),
                ("status", &r.status().as_u16()),
                ("env", &teams.password_env),
                ("keys", &"teams.app_id, teams.tenant"),
            ],
        ),
        Ok(r) => unexpected_status(part, &url, r.status().as_u16()),
        Err(e) => unreachable(
            part,
            &url,
            &error_chain(&e),
            "teams.token_url, teams.tenant",
        ),
    };
    vec![check]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_says_each_check_in_both_languages_and_sums_up() {
        let report = Report {
            checks: vec![
                Check::ok(Msg::CheckDisabled, &[("part", &"Discord")]),
                Check::failed(
                    Msg::CheckLoginRefused,
                    &[
                        ("part", &"IMAP"),
                        ("user", &"contact@ssaquebec.ca"),
                        ("env", &"GUICHET_IMAP_PASSWORD"),
                    ],
                ),
            ],
        };
        assert!(!report.passed());
        let text = report.render();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].starts_with("[ok] Discord : désactivé"), "{text}");
        assert_eq!(
            lines[1],
            "[ÉCHEC/FAILED] IMAP : connexion refusée pour contact@ssaquebec.ca — vérifiez GUICHET_IMAP_PASSWORD / IMAP: login refused for contact@ssaquebec.ca — check GUICHET_IMAP_PASSWORD"
        );
        assert!(lines[2].contains("1 of 2 check(s) failed"), "{text}");
        assert!(!text.contains('{'), "every placeholder filled: {text}");
    }
}
