//! The SMTP side: sends what the ledger's outbox holds, oldest first, paced by the
//! overall per-minute cap, retrying with backoff; a permanent refusal is recorded and not
//! retried. Replies survive restarts because they are written before they are sent.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::PoolConfig;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use time::OffsetDateTime;
use tokio::sync::Notify;

use super::ledger::{Due, Ledger};
use super::MailError;
use crate::config::{MissingSecret, Secret, Security, SmtpConfig};

/// Attempts before a reply is given up (the waits add up to about a day).
const MAX_ATTEMPTS: u32 = 12;
/// Rows read from the outbox at a time.
const BATCH: usize = 50;
/// Emails sent at the same time (each on its own pooled SMTP connection).
const CONCURRENT_SENDS: usize = 8;

/// Builds the SMTP transport from the configuration; `password` from its variable.
pub fn transport(
    config: &SmtpConfig,
    password: Option<Secret>,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
    let mut tls_parameters = TlsParameters::builder(config.host.clone());
    if !config.ca_file.as_os_str().is_empty() {
        for der in super::tls::read_ca_file("mail.smtp.ca_file", &config.ca_file)? {
            let cert = Certificate::from_der(der.to_vec())
                .map_err(|e| MailError::Config(format!("mail.smtp.ca_file: {e}")))?;
            tls_parameters = tls_parameters.add_root_certificate(cert);
        }
    }
    let tls = || {
        tls_parameters
            .clone()
            .build_rustls()
            .map_err(|e| MailError::Config(format!("TLS for mail.smtp: {e}")))
    };
    let tls = match config.security {
        Security::Tls => Tls::Wrapper(tls()?),
        Security::Starttls => Tls::Required(tls()?),
        Security::Plain => Tls::None,
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.clone())
        .port(config.port)
        .tls(tls)
        .timeout(Some(Duration::from_secs(60)))
        .pool_config(PoolConfig::new().max_size(CONCURRENT_SENDS as u32));
    if !config.username.is_empty() {
        let password = password.ok_or_else(|| MissingSecret {
            var: config.password_env.clone(),
            key: "mail.smtp.password_env",
        })?;
        builder = builder.credentials(Credentials::new(
            config.username.clone(),
            password.expose().to_string(),
        ));
    }
    Ok(builder.build())
}

/// Sends the outbox until `stop` fires; `wake` is notified when new rows are written.
pub struct Courier {
    pub ledger: Arc<Ledger>,
    pub transport: AsyncSmtpTransport<Tokio1Executor>,
    /// The envelope sender (our address).
    pub from: Address,
    pub per_minute: u32,
    /// How long an interrupted send waits for its copy before it is sent again.
    pub copy_wait: Duration,
    /// Set by the reader once it has read the inbox since start: only then can a missing
    /// copy mean a missing email.
    pub inbox_read: Arc<AtomicBool>,
    /// Sent and refused emails are counted here (`/metrics`); a detached set until the
    /// mail channel gives the engine's.
    pub metrics: Arc<crate::metrics::Metrics>,
    sent: VecDeque<Instant>,
    cap_logged: bool,
}

impl Courier {
    pub fn new(
        ledger: Arc<Ledger>,
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Address,
        per_minute: u32,
        copy_wait: Duration,
        inbox_read: Arc<AtomicBool>,
    ) -> Courier {
        Courier {
            ledger,
            transport,
            from,
            per_minute,
            copy_wait,
            inbox_read,
            metrics: Arc::default(),
            sent: VecDeque::new(),
            cap_logged: false,
        }
    }

    /// Sends everything due now, once each, a few at a time; returns how many were sent.
    pub async fn send_due(
        &mut self,
        stop: &mut crate::shutdown::Shutdown,
    ) -> Result<usize, MailError> {
        let mut total = 0;
        loop {
            let room = match self.room(stop).await {
                Some(room) => room,
                None => return Ok(total),
            };
            let ledger = self.ledger.clone();
            let limit = room.min(BATCH);
            let uncertain = self.inbox_read.load(Ordering::Acquire);
            let due = tokio::task::spawn_blocking(move || {
                ledger.due(OffsetDateTime::now_utc(), limit, uncertain)
            })
            .await
            .map_err(MailError::Task)??;
            if due.is_empty() {
                return Ok(total);
            }
            let n = due.len();
            for _ in 0..n {
                self.sent.push_back(Instant::now());
            }
            let this = &*self;
            let results: Vec<Result<bool, MailError>> = futures_util::stream::iter(due)
                .map(|item| this.send(item))
                .buffer_unordered(CONCURRENT_SENDS)
                .collect()
                .await;
            for r in results {
                if r? {
                    total += 1;
                }
            }
            if n < limit {
                return Ok(total);
            }
        }
    }

    /// How many emails the per-minute cap allows now, waiting for room if there is none;
    /// None when stopped meanwhile.
    async fn room(&mut self, stop: &mut crate::shutdown::Shutdown) -> Option<usize> {
        let window = Duration::from_secs(60);
        loop {
            while self.sent.front().is_some_and(|t| t.elapsed() >= window) {
                self.sent.pop_front();
            }
            let room = (self.per_minute as usize).saturating_sub(self.sent.len());
            if room > 0 {
                self.cap_logged = false;
                return Some(room);
            }
            if !self.cap_logged {
                tracing::warn!(cap = self.per_minute, "reply cap reached: at most mail.replies_per_minute emails a minute; the rest wait in the outbox");
                self.cap_logged = true;
            }
            let wait =
                window.saturating_sub(self.sent.front().map(|t| t.elapsed()).unwrap_or_default());
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.wait() => return None,
            }
        }
    }

    /// Sends one row and records the result; true when the server took it.
    async fn send(&self, item: Due) -> Result<bool, MailError> {
        let ledger = self.ledger.clone();
        let envelope = item
            .recipient
            .parse::<Address>()
            .ok()
            // A copy to ourselves proves, after a crash, that the email left.
            .and_then(|to| {
                Envelope::new(Some(self.from.clone()), vec![to, self.from.clone()]).ok()
            });
        let Some(envelope) = envelope else {
            tracing::error!(
                id = item.id,
                "an outbox row has an unusable recipient; giving it up"
            );
            tokio::task::spawn_blocking(move || {
                ledger.mark_failed(item.id, "unusable recipient address", None)
            })
            .await
            .map_err(MailError::Task)??;
            return Ok(false);
        };
        let until = OffsetDateTime::now_utc()
            + time::Duration::try_from(self.copy_wait).unwrap_or(time::Duration::MINUTE);
        let claiming = ledger.clone();
        tokio::task::spawn_blocking(move || claiming.claim(item.id, until))
            .await
            .map_err(MailError::Task)??;
        let result = self.transport.send_raw(&envelope, &item.raw).await;
        let now = OffsetDateTime::now_utc();
        match result {
            Ok(_) => {
                tracing::info!(kind = %item.kind, message_id = %item.message_id, "sent an email");
                self.metrics.mail(crate::metrics::MailEvent::Sent);
                tokio::task::spawn_blocking(move || ledger.mark_sent(item.id, now))
                    .await
                    .map_err(MailError::Task)??;
                Ok(true)
            }
            Err(e) => {
                let attempts = item.attempts + 1; // counted by the claim
                let retry = (!e.is_permanent() && attempts < MAX_ATTEMPTS).then(|| {
                    now + time::Duration::try_from(retry_delay(attempts))
                        .unwrap_or(time::Duration::HOUR)
                });
                match retry {
                    Some(at) => {
                        tracing::warn!(error = %e, attempt = attempts, retry_at = %at, message_id = %item.message_id, "sending an email failed; will retry")
                    }
                    None => {
                        self.metrics.mail(crate::metrics::MailEvent::Refused);
                        tracing::error!(error = %e, attempt = attempts, message_id = %item.message_id, "sending an email failed for good; it stays in the outbox as failed")
                    }
                }
                let error = e.to_string();
                tokio::task::spawn_blocking(move || ledger.mark_failed(item.id, &error, retry))
                    .await
                    .map_err(MailError::Task)??;
                Ok(false)
            }
        }
    }

    /// Sends until `stop` fires: whenever woken, and when a retry falls due.
    pub async fn run(mut self, wake: Arc<Notify>, mut stop: crate::shutdown::Shutdown) {
        loop {
            if let Err(e) = self.send_due(&mut stop).await {
                tracing::error!(error = %e, "the outbox could not be read or updated");
            }
            let ledger = self.ledger.clone();
            let next = tokio::task::spawn_blocking(move || ledger.next_due())
                .await
                .ok()
                .and_then(|r| r.ok())
                .flatten();
            let wait = next
                .map(|at| {
                    let secs = (at - OffsetDateTime::now_utc())
                        .as_seconds_f64()
                        .clamp(0.05, 30.0);
                    Duration::from_secs_f64(secs)
                })
                .unwrap_or(Duration::from_secs(30));
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
                _ = stop.wait() => return,
            }
        }
    }
}

/// The wait before attempt `attempts + 1`: 30 s doubling, at most 4 hours.
fn retry_delay(attempts: u32) -> Duration {
    Duration::from_secs(30u64 << attempts.saturating_sub(1).min(9))
        .min(Duration::from_secs(4 * 3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_up_to_four_hours() {
        assert_eq!(retry_delay(1), Duration::from_secs(30));
        assert_eq!(retry_delay(2), Duration::from_secs(60));
        assert!(retry_delay(11) <= Duration::from_secs(4 * 3600));
        let total: u64 = (1..MAX_ATTEMPTS).map(|a| retry_delay(a).as_secs()).sum();
        assert!(
            total > 12 * 3600,
            "a reply is retried for at least half a day: {total} s"
        );
    }
}
