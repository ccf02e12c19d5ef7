//! The contact mailbox: reads inquiries over IMAP, answers them by SMTP with matched
//! excerpts, and logs a request when the person confirms by reply — each message handled
//! exactly once, with loops and abuse kept out.
//!
//! - [`parse`] turns a raw message into an [`parse::Inbound`] (text without quotes or
//!   signature, attachments noted, loop signals read);
//! - [`guard`] decides whether a message may be answered at all;
//! - [`process`] decides what a message gets and writes it to the [`ledger`] with the
//!   replies it causes, in one transaction;
//! - [`compose`] renders the engine's reply as a threaded text + HTML email;
//! - [`imap`] reads the mailbox (IDLE or polling, reconnecting with backoff) and
//!   [`outbox`] sends the replies (paced, retried).

pub mod compose;
pub mod guard;
pub mod imap;
pub mod ledger;
pub mod outbox;
pub mod parse;
pub mod process;
pub mod render;
pub mod subject;
pub mod tls;

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::assistant::Assistant;
use crate::config::{Config, MissingSecret};
use crate::requests::Email;
use ledger::Ledger;
use process::Processor;

/// What stops the mail channel (the rest of the daemon runs on).
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("mail configuration: {0}")]
    Config(String),
    #[error("{0}: the mail channel needs that password")]
    MissingSecret(#[from] MissingSecret),
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("IMAP: {0}")]
    Imap(#[from] async_imap::error::Error),
    #[error("network: {0}")]
    Io(#[from] std::io::Error),
    #[error("IMAP login: {0}")]
    Login(String),
    #[error("timed out {0}")]
    Timeout(String),
    #[error(transparent)]
    Ledger(#[from] ledger::LedgerError),
    #[error(transparent)]
    Process(#[from] process::ProcessError),
    #[error("a background task failed")]
    Task(#[from] tokio::task::JoinError),
}

/// The secret that signs thread tags: the variable named by `mail.secret_env`, else a
/// random secret kept in `data_dir/mail-secret` (made on first use, owner-only).
pub fn secret(config: &Config) -> Result<Vec<u8>, MailError> {
    if let Some(value) = config.mail.secret() {
        if value.expose().len() >= 16 {
            return Ok(value.expose().as_bytes().to_vec());
        }
        return Err(MailError::Config(format!(
            "the variable {} (mail.secret_env) must hold at least 16 characters",
            config.mail.secret_env
        )));
    }
    let path = config.data_dir.join("mail-secret");
    read_or_make_secret(&path)
}

fn read_or_make_secret(path: &Path) -> Result<Vec<u8>, MailError> {
    if let Ok(existing) = std::fs::read(path) {
        if existing.len() >= 32 {
            return Ok(existing);
        }
    }
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)
        .map_err(|e| MailError::Config(format!("no randomness for the mail secret: {e}")))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    // Owner-only from its creation: the secret is never readable by others, not even for
    // the moment between writing it and changing its mode. A leftover from a crash goes.
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    {
        use std::io::Write;
        let mut file = options.open(&tmp)?;
        file.write_all(&secret)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    Ok(secret.to_vec())
}

/// The decision side of the channel from the configuration (no network).
pub fn processor(assistant: Assistant, config: &Config) -> Result<Processor, MailError> {
    let mail = &config.mail;
    let ledger = Arc::new(Ledger::open(&config.database_path())?);
    let mut own_addresses: Vec<String> = mail
        .address
        .iter()
        .chain(&mail.aliases)
        .map(|a| a.as_str().to_lowercase())
        .collect();
    own_addresses.dedup();
    let staff_page_url = mail
        .staff_page_url
        .clone()
        .or_else(|| config.discord.staff_page_url.clone());
    let address = mail
        .address
        .as_ref()
        .map(Email::to_string)
        .unwrap_or_default();
    let settings = process::Policy {
        own_addresses,
        compose: compose::Letterhead {
            from: compose::Party {
                name: None,
                address: address.clone(),
            },
            retention_days: config.privacy.conversation_retention_days,
            privacy_contact: if config.privacy.contact.is_empty() {
                address
            } else {
                config.privacy.contact.clone()
            },
            staff_page_url,
            public_url: config.web.public_url.clone(),
        },
        secret: secret(config)?.into(),
        replies_per_sender_per_hour: mail.replies_per_sender_per_hour,
        identical_replies_per_day: mail.identical_replies_per_day,
        trusted_authserv_id: Some(mail.trusted_authserv_id.trim().to_string())
            .filter(|id| !id.is_empty()),
        limits: parse::Limits {
            max_text_chars: mail.max_text_chars,
            ..Default::default()
        },
        staff: mail.staff_address.as_ref().map(|a| compose::Party {
            name: None,
            address: a.to_string(),
        }),
    };
    Ok(Processor::new(assistant, ledger, settings))
}

/// Runs the mail channel until `stop` fires: first sends what the outbox still holds
/// from before, then reads the mailbox and sends replies as they are decided.
pub async fn run(
    assistant: Assistant,
    config: Config,
    stop: crate::shutdown::Shutdown,
) -> Result<(), MailError> {
    let mail = config.mail.clone();
    let imap_password = mail.imap.password()?;
    let transport = outbox::transport(&mail.smtp, mail.smtp.password()?)?;
    let address = mail
        .address
        .as_ref()
        .ok_or_else(|| MailError::Config("mail.address is not set".into()))?;
    let from: lettre::Address = address
        .as_str()
        .parse()
        .map_err(|e| MailError::Config(format!("mail.address '{address}': {e}")))?;
    let imap_settings = imap::ImapSettings {
        host: mail.imap.host.clone(),
        port: mail.imap.port,
        security: mail.imap.security,
        username: mail.imap.username.clone(),
        password: imap_password,
        tls: tls::client_config("mail.imap.ca_file", &mail.imap.ca_file)?,
        inbox: mail.imap.inbox.clone(),
        done_folder: mail.imap.done_folder.clone(),
        quarantine_folder: mail.imap.quarantine_folder.clone(),
        sent_folder: mail.imap.sent_folder.clone(),
        idle: Duration::from_secs(mail.imap.idle_minutes * 60),
        poll: Duration::from_secs(mail.imap.poll_seconds),
        max_message_bytes: mail.max_message_bytes,
        retention: time::Duration::days(i64::from(config.privacy.conversation_retention_days)),
    };
    let events = assistant.subscribe();
    let metrics = assistant.metrics().clone();
    let processor = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || processor(assistant, &config))
            .await
            .map_err(MailError::Task)??
    };
    let inbox_read = Arc::new(AtomicBool::new(false));
    let mut sender = outbox::Courier::new(
        processor.ledger().clone(),
        transport,
        from,
        mail.replies_per_minute,
        Duration::from_secs(mail.copy_wait_seconds),
        inbox_read.clone(),
    );
    sender.metrics = metrics;
    // Replies decided before a stop go out before any new mail is read.
    let mut first_stop = stop.clone();
    let ledger = processor.ledger().clone();
    tokio::task::spawn_blocking(move || ledger.retry_pending_now(time::OffsetDateTime::now_utc()))
        .await
        .map_err(MailError::Task)??;
    match sender.send_due(&mut first_stop).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(sent = n, "sent the replies left in the outbox"),
        Err(e) => {
            tracing::warn!(error = %e, "the outbox could not be emptied at start; retrying later")
        }
    }
    let wake = Arc::new(Notify::new());
    let notifying = tokio::spawn(processor.clone().notify_staff_of_events(
        events,
        wake.clone(),
        stop.clone(),
    ));
    let sending = tokio::spawn(sender.run(wake.clone(), stop.clone()));
    let reading = tokio::spawn(imap::run(
        imap_settings,
        processor,
        wake,
        inbox_read,
        stop.clone(),
    ));
    let _ = reading.await;
    let _ = sending.await;
    let _ = notifying.await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_secret_is_made_once_and_kept_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data").join("mail-secret");
        let first = read_or_make_secret(&path).unwrap();
        assert_eq!(first.len(), 32);
        assert_eq!(
            read_or_make_secret(&path).unwrap(),
            first,
            "the same secret after a restart"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }
}
