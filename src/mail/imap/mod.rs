//! The IMAP side: logs in to the contact mailbox (TLS, STARTTLS, or plain on loopback),
//! hands each new message to the [`Processor`], then flags it `\Seen` and moves it to the
//! done or quarantine folder. Waits with IDLE (renewed periodically) or polls, and
//! reconnects with exponential backoff and jitter; the rest of the daemon never waits on it.
//!
//! A message over `mail.max_message_bytes` is read from its structure (BODYSTRUCTURE): its
//! header and text parts are fetched in full (up to that size), its attachments are not,
//! and are listed as not read (see [`super::parse::partial`]).
//!
//! Between two waits it also keeps guichet's own folders (done, sent, quarantine — never
//! the inbox): it does the erasures queued in the ledger (removing every message from, to
//! or about an erased person, recognised by keyed digests, see
//! [`super::ledger::Ledger::mailbox_digest`]) and removes the messages older than
//! `privacy.conversation_retention_days`. A queued erasure wakes it within
//! [`ERASURE_CHECK`], even from another process (`guichet requests erase`).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_imap::{Client, Session};
use futures_util::StreamExt;
use rustls_pki_types::ServerName;
use time::OffsetDateTime;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio_rustls::rustls::ClientConfig;
use tokio_rustls::TlsConnector;

use super::ledger::{Ledger, Outcome};
use super::process::{Handled, Processor};
use super::MailError;
use crate::config::{Secret, Security};
use crate::metrics::MailEvent;
use folders::keep_folders;
use large::{read_message, sizes};

mod folders;
mod large;

/// Where and how to read the mailbox.
#[derive(Clone)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    pub password: Secret,
    pub tls: Arc<ClientConfig>,
    pub inbox: String,
    pub done_folder: String,
    pub quarantine_folder: String,
    pub sent_folder: String,
    pub idle: Duration,
    pub poll: Duration,
    pub max_message_bytes: u32,
    /// Mail older than this is removed from the done, sent and quarantine folders.
    pub retention: time::Duration,
}

impl fmt::Debug for ImapSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("inbox", &self.inbox)
            .finish_non_exhaustive()
    }
}

/// A connection, plain or TLS, behind one type.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug> Io for T {}
type Stream = Box<dyn Io>;

/// Longest wait between two connection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// Longest time one connection step (connect, TLS, login) may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);
/// How often the ledger is asked, while waiting for mail, whether an erasure was queued.
pub const ERASURE_CHECK: Duration = Duration::from_secs(10);

/// What one connection leaves to the next.
#[derive(Debug, Default)]
struct Memory {
    /// Large messages (UIDVALIDITY, UID) whose structure could not be read (the
    /// connection failed while reading it): read from their beginning instead.
    unstructured: HashSet<(u32, u32)>,
    /// The large message being read by its structure.
    reading: Option<(u32, u32)>,
    /// When the folders were last purged of mail past the retention period.
    last_retention: Option<Instant>,
    /// A refused erasure is not tried again before this.
    erasure_not_before: Option<Instant>,
}

/// Reads the mailbox until `stop` fires. Never returns an error: failures are logged and
/// retried with backoff.
pub async fn run(
    settings: ImapSettings,
    processor: Processor,
    outbox: Arc<Notify>,
    inbox_read: Arc<AtomicBool>,
    mut stop: crate::shutdown::Shutdown,
) {
    let mut failures: u32 = 0;
    let mut memory = Memory::default();
    loop {
        match session(
            &settings,
            &processor,
            &outbox,
            &inbox_read,
            &mut stop,
            &mut failures,
            &mut memory,
        )
        .await
        {
            Ok(()) => return,
            Err(e) => {
                processor.metrics().link_down("mail", &e);
                if let Some(message) = memory.reading.take() {
                    tracing::warn!(uid = message.1, "the connection failed while reading a large message by its structure: it will be read from its beginning");
                    memory.unstructured.insert(message);
                }
                failures = failures.saturating_add(1);
                let wait = backoff(failures);
                tracing::warn!(error = %e, attempt = failures, retry_in_s = wait.as_secs_f32(), "the contact mailbox is unreachable; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stop.wait() => return,
                }
            }
        }
    }
}

/// Exponential backoff from 1 s to [`MAX_BACKOFF`], with up to 50 % random jitter so many
/// daemons do not reconnect in step.
pub fn backoff(failures: u32) -> Duration {
    let base = Duration::from_secs(1u64 << failures.saturating_sub(1).min(9)).min(MAX_BACKOFF);
    let mut byte = [0u8; 2];
    let jitter = if getrandom::fill(&mut byte).is_ok() {
        u16::from_le_bytes(byte) as f64 / u16::MAX as f64
    } else {
        0.5
    };
    base.mul_f64(1.0 + jitter * 0.5).min(MAX_BACKOFF)
}

async fn step<T, E: Into<MailError>>(
    what: &str,
    work: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, MailError> {
    match tokio::time::timeout(STEP_TIMEOUT, work).await {
        Ok(r) => r.map_err(Into::into),
        Err(_) => Err(MailError::Timeout(what.to_string())),
    }
}

/// Connects and logs in.
pub async fn connect(settings: &ImapSettings) -> Result<Session<Stream>, MailError> {
    let address = (settings.host.as_str(), settings.port);
    let tcp = step("connecting to the IMAP server", TcpStream::connect(address)).await?;
    let server_name = ServerName::try_from(settings.host.clone()).map_err(|_| {
        MailError::Config(format!(
            "mail.imap.host '{}' is not a host name",
            settings.host
        ))
    })?;
    let connector = TlsConnector::from(settings.tls.clone());
    let client: Client<Stream> = match settings.security {
        Security::Tls => {
            let tls = step(
                "TLS with the IMAP server",
                connector.connect(server_name, tcp),
            )
            .await?;
            let mut client = Client::new(Box::new(tls) as Stream);
            greeting(&mut client).await?;
            client
        }
        Security::Starttls => {
            let mut client = Client::new(Box::new(tcp) as Stream);
            greeting(&mut client).await?;
            step(
                "STARTTLS",
                client.run_command_and_check_ok("STARTTLS", None),
            )
            .await?;
            let tcp = client.into_inner();
            // The stream is a TcpStream in a box: TLS goes over the box itself.
            let tls = step(
                "TLS with the IMAP server",
                connector.connect(server_name, tcp),
            )
            .await?;
            Client::new(Box::new(tls) as Stream)
        }
        Security::Plain => {
            let mut client = Client::new(Box::new(tcp) as Stream);
            greeting(&mut client).await?;
            client
        }
    };
    match tokio::time::timeout(STEP_TIMEOUT, client.login(&settings.username, settings.password.expose())).await {
        Ok(Ok(session)) => Ok(session),
        Ok(Err((e, _))) => Err(MailError::Login(format!(
            "the IMAP server refused the login of {} ({e}); check mail.imap.username and the password variable",
            settings.username
        ))),
        Err(_) => Err(MailError::Timeout("logging in to the IMAP server".into())),
    }
}

async fn greeting(client: &mut Client<Stream>) -> Result<(), MailError> {
    match step("reading the IMAP greeting", async {
        client.read_response().await
    })
    .await?
    {
        Some(_) => Ok(()),
        None => Err(MailError::Imap(async_imap::error::Error::ConnectionLost)),
    }
}

/// One connection's life: prepare the folders, then handle mail and wait, until stopped
/// (Ok) or the connection fails (Err).
async fn session(
    settings: &ImapSettings,
    processor: &Processor,
    outbox: &Arc<Notify>,
    inbox_read: &AtomicBool,
    stop: &mut crate::shutdown::Shutdown,
    failures: &mut u32,
    memory: &mut Memory,
) -> Result<(), MailError> {
    let mut session = connect(settings).await?;
    processor.metrics().link_up("mail");
    for folder in [
        &settings.done_folder,
        &settings.quarantine_folder,
        &settings.sent_folder,
    ] {
        // NO means it exists already (servers word it differently).
        match step("creating a folder", session.create(folder)).await {
            Ok(()) => tracing::info!(folder = %folder, "created a mail folder"),
            Err(MailError::Imap(async_imap::error::Error::No(_))) => {}
            Err(e) => return Err(e),
        }
    }
    let capabilities = step("reading capabilities", session.capabilities()).await?;
    let can_idle = capabilities.has_str("IDLE");
    let server = Abilities {
        can_move: capabilities.has_str("MOVE"),
        uidplus: capabilities.has_str("UIDPLUS"),
    };
    let uidplus = server.uidplus;
    if !can_idle {
        tracing::info!(
            every_s = settings.poll.as_secs(),
            "the IMAP server has no IDLE: polling"
        );
    }
    tracing::info!(mailbox = %settings.inbox, user = %settings.username, "reading the contact mailbox");
    *failures = 0;
    loop {
        keep_folders(&mut session, settings, processor, uidplus, memory).await?;
        let mailbox = step("opening the inbox", session.select(&settings.inbox)).await?;
        let validity = mailbox.uid_validity.unwrap_or(0);
        let handled = drain(
            &mut session,
            settings,
            processor,
            outbox,
            validity,
            server,
            memory,
        )
        .await?;
        if !inbox_read.swap(true, Ordering::AcqRel) {
            // Copies of emails sent before a restart have been seen: the outbox may now
            // resend those whose copy never came.
            outbox.notify_one();
        }
        // Mail delivered while the inbox was being read was announced during that work
        // (an untagged EXISTS), not to the IDLE that follows: read the inbox again until
        // a pass finds nothing new and nothing was announced, or that mail would wait for
        // the next delivery or the IDLE timeout.
        let mut announced = false;
        while let Ok(update) = session.unsolicited_responses.try_recv() {
            announced |= matches!(
                update,
                async_imap::types::UnsolicitedResponse::Exists(_)
                    | async_imap::types::UnsolicitedResponse::Recent(_)
            );
        }
        if handled > 0 || announced {
            continue;
        }
        let erasure = erasure_queued(processor.ledger().clone(), memory.erasure_not_before);
        if can_idle {
            let mut idle = session.idle();
            step("starting IDLE", idle.init()).await?;
            let (wait, _interrupt) = idle.wait_with_timeout(settings.idle);
            let woke = tokio::select! {
                r = wait => Woke::Server(r),
                _ = erasure => Woke::Erasure,
                _ = stop.wait() => Woke::Stop,
            };
            match woke {
                Woke::Stop => return Ok(()),
                Woke::Server(r) => {
                    r?;
                }
                Woke::Erasure => tracing::debug!("an erasure was queued: leaving IDLE"),
            }
            session = step("ending IDLE", idle.done()).await?;
        } else {
            tokio::select! {
                _ = tokio::time::sleep(settings.poll) => {}
                _ = erasure => {}
                _ = stop.wait() => {
                    let _ = tokio::time::timeout(Duration::from_secs(5), session.logout()).await;
                    return Ok(());
                }
            }
        }
    }
}

/// What the server can do that guichet uses when it can.
#[derive(Debug, Clone, Copy)]
struct Abilities {
    /// MOVE (else COPY, `\Deleted`, EXPUNGE).
    can_move: bool,
    /// UIDPLUS: UID EXPUNGE removes only the messages named.
    uidplus: bool,
}

/// What ended a wait.
enum Woke<T> {
    Server(T),
    Erasure,
    Stop,
}

/// Resolves when an erasure waits to be done in the folders (asking the ledger every
/// [`ERASURE_CHECK`]), not before `not_before`.
async fn erasure_queued(ledger: Arc<Ledger>, not_before: Option<Instant>) {
    loop {
        tokio::time::sleep(ERASURE_CHECK).await;
        if not_before.is_some_and(|t| Instant::now() < t) {
            continue;
        }
        let ledger = ledger.clone();
        match tokio::task::spawn_blocking(move || ledger.has_mailbox_erasures()).await {
            Ok(Ok(true)) => return,
            Ok(Ok(false)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "cannot read the queued mailbox erasures"),
            Err(e) => tracing::warn!(error = %e, "cannot read the queued mailbox erasures"),
        }
    }
}

/// Handles every message in the inbox, oldest first; returns how many there were.
async fn drain(
    session: &mut Session<Stream>,
    settings: &ImapSettings,
    processor: &Processor,
    outbox: &Arc<Notify>,
    validity: u32,
    server: Abilities,
    memory: &mut Memory,
) -> Result<usize, MailError> {
    let ledger = processor.ledger().clone();
    let inbox = settings.inbox.clone();
    let known = blocking(move || ledger.mailbox(&inbox)).await??;
    let mut last_uid = match known {
        Some((v, last)) if v == validity => last,
        Some((v, _)) => {
            tracing::warn!(
                old = v,
                new = validity,
                "the inbox's UIDVALIDITY changed: recognising handled mail by Message-ID"
            );
            0
        }
        None => 0,
    };
    let uids: BTreeSet<u32> = step("listing the inbox", session.uid_search("ALL"))
        .await?
        .into_iter()
        .collect();
    let sizes = match uids.iter().find(|&&uid| uid > last_uid) {
        Some(first) => sizes(session, *first).await?,
        None => BTreeMap::new(),
    };
    let found = uids.len();
    let backlog = uids.iter().filter(|&&uid| uid > last_uid).count();
    processor.metrics().set_inbox_backlog(backlog as u64);
    for uid in uids {
        let folder = if uid <= last_uid {
            // Decided before a restart, but not moved yet.
            settings.done_folder.clone()
        } else {
            let raw = read_message(
                session,
                settings,
                uid,
                sizes.get(&uid).copied(),
                validity,
                memory,
            )
            .await?;
            let Some(raw) = raw else {
                // Expunged meanwhile by someone else.
                continue;
            };
            let p = processor.clone();
            let handled: Handled =
                blocking(move || p.handle(&raw, OffsetDateTime::now_utc())).await??;
            if handled.queued > 0 {
                outbox.notify_one();
            }
            let metrics = processor.metrics();
            metrics.inbox_message_handled();
            if !handled.already {
                match handled.outcome {
                    Outcome::Quarantined => metrics.mail(MailEvent::Quarantined),
                    Outcome::Bounce => metrics.mail(MailEvent::Bounced),
                    Outcome::Ignored => metrics.mail(MailEvent::LoopRule),
                    _ => {}
                }
            }
            tracing::debug!(
                uid,
                outcome = handled.outcome.code(),
                already = handled.already,
                "handled a message"
            );
            match handled.outcome {
                Outcome::Quarantined => settings.quarantine_folder.clone(),
                Outcome::Copy => settings.sent_folder.clone(),
                _ => settings.done_folder.clone(),
            }
        };
        let set = uid.to_string();
        step("flagging a message", async {
            let updates = session.uid_store(&set, "+FLAGS.SILENT (\\Seen)").await?;
            updates.collect::<Vec<_>>().await;
            Ok::<_, async_imap::error::Error>(())
        })
        .await?;
        if server.can_move {
            step("moving a message", session.uid_mv(&set, &folder)).await?;
        } else {
            step("copying a message", session.uid_copy(&set, &folder)).await?;
            step("deleting a moved message", async {
                let updates = session.uid_store(&set, "+FLAGS.SILENT (\\Deleted)").await?;
                updates.collect::<Vec<_>>().await;
                Ok::<_, async_imap::error::Error>(())
            })
            .await?;
            if server.uidplus {
                step("expunging", async {
                    let gone = session.uid_expunge(&set).await?;
                    gone.collect::<Vec<_>>().await;
                    Ok::<_, async_imap::error::Error>(())
                })
                .await?;
            } else {
                step("expunging", async {
                    let gone = session.expunge().await?;
                    gone.collect::<Vec<_>>().await;
                    Ok::<_, async_imap::error::Error>(())
                })
                .await?;
            }
        }
        last_uid = last_uid.max(uid);
        let ledger = processor.ledger().clone();
        let inbox = settings.inbox.clone();
        blocking(move || ledger.set_mailbox(&inbox, validity, last_uid)).await??;
    }
    Ok(found)
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, MailError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(MailError::Task)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_then_stays_under_the_ceiling() {
        assert!(backoff(1) >= Duration::from_secs(1) && backoff(1) <= Duration::from_millis(1_500));
        assert!(backoff(4) >= Duration::from_secs(8));
        for n in [10, 20, 1_000, u32::MAX] {
            assert!(backoff(n) <= MAX_BACKOFF);
            assert!(backoff(n) >= Duration::from_secs(256).min(MAX_BACKOFF));
        }
    }
}
