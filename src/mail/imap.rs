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

use async_imap::imap_proto::{BodyStructure, ContentEncoding, MessageSection, SectionPath};
use async_imap::{Client, Session};
use futures_util::StreamExt;
use rustls_pki_types::ServerName;
use time::OffsetDateTime;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio_rustls::rustls::ClientConfig;
use tokio_rustls::TlsConnector;

use super::ledger::{Digested, Ledger, MailboxErasures, Outcome};
use super::parse::partial::{self, FetchedPart, PartContent};
use super::process::{Handled, Processor};
use super::MailError;
use crate::config::Security;

/// Where and how to read the mailbox.
#[derive(Clone)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    pub password: String,
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
/// How often the folders are purged of mail past the retention period.
const RETENTION_EVERY: Duration = Duration::from_secs(3600);
/// How long a folder task the server refused (an erasure, a purge) waits to be tried again.
const REFUSED_RETRY: Duration = Duration::from_secs(300);
/// At most this many attachments of a large message are listed.
const MAX_UNREAD_PARTS: usize = 100;
/// At most this many UIDs in one STORE or EXPUNGE command.
const UID_CHUNK: usize = 500;

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
    match tokio::time::timeout(STEP_TIMEOUT, client.login(&settings.username, &settings.password)).await {
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
        drain(
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

/// Handles every message in the inbox, oldest first.
async fn drain(
    session: &mut Session<Stream>,
    settings: &ImapSettings,
    processor: &Processor,
    outbox: &Arc<Notify>,
    validity: u32,
    server: Abilities,
    memory: &mut Memory,
) -> Result<(), MailError> {
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
    Ok(())
}

/// Keeps guichet's folders between two waits: does the queued erasures, and every
/// [`RETENTION_EVERY`] removes the mail past the retention period. A task the server
/// refuses (NO, BAD) is logged and tried again later; it never stops the mail from being
/// read.
async fn keep_folders(
    session: &mut Session<Stream>,
    settings: &ImapSettings,
    processor: &Processor,
    uidplus: bool,
    memory: &mut Memory,
) -> Result<(), MailError> {
    if memory
        .erasure_not_before
        .is_none_or(|t| Instant::now() >= t)
    {
        let ledger = processor.ledger().clone();
        let queued = blocking(move || ledger.mailbox_erasures()).await??;
        if !queued.ids.is_empty() {
            match erase_everywhere(session, settings, processor.ledger(), &queued, uidplus).await {
                Ok(removed) => {
                    let ledger = processor.ledger().clone();
                    let ids = queued.ids.clone();
                    blocking(move || ledger.mailbox_erasures_done(&ids)).await??;
                    memory.erasure_not_before = None;
                    // Counts only: the address is what was erased.
                    tracing::info!(
                        erasures = queued.ids.len(),
                        answered = removed[0],
                        sent = removed[1],
                        quarantine = removed[2],
                        "erased a person's mail from guichet's folders"
                    );
                }
                Err(e) if refused(&e) => {
                    tracing::warn!(error = %e, "the IMAP server refused an erasure in guichet's folders; trying again later");
                    memory.erasure_not_before = Some(Instant::now() + REFUSED_RETRY);
                }
                Err(e) => return Err(e),
            }
        }
    }
    if memory
        .last_retention
        .is_none_or(|t| t.elapsed() >= RETENTION_EVERY)
    {
        let before = OffsetDateTime::now_utc() - settings.retention;
        match purge_folders(session, settings, before, uidplus).await {
            Ok(removed) => {
                if removed.iter().any(|&n| n > 0) {
                    tracing::info!(
                        answered = removed[0],
                        sent = removed[1],
                        quarantine = removed[2],
                        before = %imap_date(before),
                        "removed the mail past the retention period from guichet's folders"
                    );
                }
            }
            Err(e) if refused(&e) => {
                tracing::warn!(error = %e, "the IMAP server refused to remove old mail from guichet's folders; trying again later")
            }
            Err(e) => return Err(e),
        }
        memory.last_retention = Some(Instant::now());
    }
    Ok(())
}

/// The server said NO or BAD: the connection is fine, the command was refused.
fn refused(e: &MailError) -> bool {
    matches!(
        e,
        MailError::Imap(async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_))
    )
}

/// guichet's folders, in the order counts are given: done, sent, quarantine.
fn own_folders(settings: &ImapSettings) -> [&str; 3] {
    [
        &settings.done_folder,
        &settings.sent_folder,
        &settings.quarantine_folder,
    ]
}

/// Removes from guichet's folders every message from, to or about the people of
/// `erasures` (an address in From, Sender, Reply-To, To or Cc, or a Message-ID guichet
/// sent them, whose digest is queued); returns how many went from each folder.
async fn erase_everywhere(
    session: &mut Session<Stream>,
    settings: &ImapSettings,
    ledger: &Ledger,
    erasures: &MailboxErasures,
    uidplus: bool,
) -> Result<[usize; 3], MailError> {
    let mut removed = [0; 3];
    for (i, folder) in own_folders(settings).into_iter().enumerate() {
        let mailbox = step("opening a folder", session.select(folder)).await?;
        if mailbox.exists == 0 {
            continue;
        }
        let doomed = step("reading a folder's senders and recipients", async {
            let mut doomed = Vec::new();
            let mut fetches = session
                .uid_fetch(
                    "1:*",
                    "(UID BODY.PEEK[HEADER.FIELDS (FROM SENDER REPLY-TO TO CC MESSAGE-ID)])",
                )
                .await?;
            while let Some(fetch) = fetches.next().await {
                let fetch = fetch?;
                let (Some(uid), Some(header)) = (fetch.uid, fetch.header()) else {
                    continue;
                };
                let (people, id) = super::parse::participants(header);
                let named = people
                    .iter()
                    .map(|a| ledger.mailbox_digest(Digested::Address(a)))
                    .chain(id.map(|id| ledger.mailbox_digest(Digested::MessageId(&id))))
                    .any(|digest| erasures.digests.contains(&digest));
                if named {
                    doomed.push(uid);
                }
            }
            Ok::<_, MailError>(doomed)
        })
        .await?;
        removed[i] = delete(session, &doomed, uidplus).await?;
    }
    Ok(removed)
}

/// Removes from guichet's folders the messages that arrived before the day of `before`;
/// returns how many went from each folder. The quarantine folder too: staff who need a
/// message longer move it elsewhere.
async fn purge_folders(
    session: &mut Session<Stream>,
    settings: &ImapSettings,
    before: OffsetDateTime,
    uidplus: bool,
) -> Result<[usize; 3], MailError> {
    let mut removed = [0; 3];
    let query = format!("BEFORE {}", imap_date(before));
    for (i, folder) in own_folders(settings).into_iter().enumerate() {
        let mailbox = step("opening a folder", session.select(folder)).await?;
        if mailbox.exists == 0 {
            continue;
        }
        let old: Vec<u32> = step(
            "searching a folder for old mail",
            session.uid_search(&query),
        )
        .await?
        .into_iter()
        .collect();
        removed[i] = delete(session, &old, uidplus).await?;
    }
    Ok(removed)
}

/// `at`'s day as IMAP writes dates: `7-Mar-2026`.
fn imap_date(at: OffsetDateTime) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{}-{}-{}",
        at.day(),
        MONTHS[usize::from(u8::from(at.month())) - 1],
        at.year()
    )
}

/// Deletes the messages `uids` of the selected folder (`\Deleted`, then UID EXPUNGE, or
/// EXPUNGE when the server has no UIDPLUS); returns how many.
async fn delete(
    session: &mut Session<Stream>,
    uids: &[u32],
    uidplus: bool,
) -> Result<usize, MailError> {
    for chunk in uids.chunks(UID_CHUNK) {
        let set = chunk
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        step("flagging messages deleted", async {
            let updates = session.uid_store(&set, "+FLAGS.SILENT (\\Deleted)").await?;
            updates.collect::<Vec<_>>().await;
            Ok::<_, async_imap::error::Error>(())
        })
        .await?;
        if uidplus {
            step("expunging", async {
                let gone = session.uid_expunge(&set).await?;
                gone.collect::<Vec<_>>().await;
                Ok::<_, async_imap::error::Error>(())
            })
            .await?;
        }
    }
    if !uids.is_empty() && !uidplus {
        step("expunging", async {
            let gone = session.expunge().await?;
            gone.collect::<Vec<_>>().await;
            Ok::<_, async_imap::error::Error>(())
        })
        .await?;
    }
    Ok(uids.len())
}

/// The size of each message of the selected mailbox from `first` on, by UID.
async fn sizes(session: &mut Session<Stream>, first: u32) -> Result<BTreeMap<u32, u32>, MailError> {
    step("reading message sizes", async {
        let mut sizes = BTreeMap::new();
        let mut fetches = session
            .uid_fetch(format!("{first}:*"), "(UID RFC822.SIZE)")
            .await?;
        while let Some(fetch) = fetches.next().await {
            let fetch = fetch?;
            if let (Some(uid), Some(size)) = (fetch.uid, fetch.size) {
                sizes.insert(uid, size);
            }
        }
        Ok::<_, MailError>(sizes)
    })
    .await
}

/// Message `uid` of the selected inbox: whole when it is at most `mail.max_message_bytes`
/// (or its size is unknown), else from its structure. None when it is gone.
async fn read_message(
    session: &mut Session<Stream>,
    settings: &ImapSettings,
    uid: u32,
    size: Option<u32>,
    validity: u32,
    memory: &mut Memory,
) -> Result<Option<Vec<u8>>, MailError> {
    let max = settings.max_message_bytes;
    let Some(size) = size.filter(|s| *s > max) else {
        return fetch_beginning(session, uid, max).await;
    };
    if memory.unstructured.contains(&(validity, uid)) {
        tracing::warn!(
            uid,
            bytes = size,
            read = max,
            "a message is larger than mail.max_message_bytes and its structure cannot be read: only its beginning is read"
        );
        return fetch_beginning(session, uid, max).await;
    }
    memory.reading = Some((validity, uid));
    let raw = fetch_by_structure(session, uid, size, max).await?;
    memory.reading = None;
    Ok(raw)
}

/// The first `max` bytes of message `uid` (all of it when it is no longer).
async fn fetch_beginning(
    session: &mut Session<Stream>,
    uid: u32,
    max: u32,
) -> Result<Option<Vec<u8>>, MailError> {
    step("fetching a message", async {
        let mut fetches = session
            .uid_fetch(uid.to_string(), format!("(UID BODY.PEEK[]<0.{max}>)"))
            .await?;
        let mut raw = None;
        while let Some(fetch) = fetches.next().await {
            let fetch = fetch?;
            if fetch.uid == Some(uid) || raw.is_none() {
                raw = fetch.body().map(|b| b.to_vec());
            }
        }
        Ok::<_, MailError>(raw)
    })
    .await
}

/// What a part of a large message is to guichet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// text/plain, not an attachment: read.
    Plain,
    /// text/html, not an attachment: read when there is no text/plain.
    Html,
    /// Anything else: listed, not fetched.
    Attachment,
}

/// A leaf of a message's structure.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Leaf {
    /// Its part number (`[1, 2]` is part 1.2); empty for a message that is one part.
    path: Vec<u32>,
    role: Role,
    /// Its size as the server holds it (transfer-encoded).
    octets: u32,
    /// Its size decoded (about).
    bytes: u64,
}

/// The leaves of `structure`, in order (nested messages are leaves: attachments).
fn leaves(structure: &BodyStructure<'_>, path: Vec<u32>, depth: u32, out: &mut Vec<Leaf>) {
    let (common, other) = match structure {
        BodyStructure::Multipart { bodies, .. } => {
            if depth < 64 {
                for (i, body) in bodies.iter().enumerate() {
                    let mut child = path.clone();
                    child.push(i as u32 + 1);
                    leaves(body, child, depth + 1, out);
                }
            }
            return;
        }
        BodyStructure::Text { common, other, .. }
        | BodyStructure::Basic { common, other, .. }
        | BodyStructure::Message { common, other, .. } => (common, other),
    };
    let attachment = common
        .disposition
        .as_ref()
        .is_some_and(|d| d.ty.eq_ignore_ascii_case("attachment"));
    let role = match structure {
        BodyStructure::Text { .. } if !attachment => {
            if common.ty.subtype.eq_ignore_ascii_case("plain") {
                Role::Plain
            } else if common.ty.subtype.eq_ignore_ascii_case("html") {
                Role::Html
            } else {
                Role::Attachment
            }
        }
        _ => Role::Attachment,
    };
    let bytes = match other.transfer_encoding {
        ContentEncoding::Base64 => u64::from(other.octets) / 4 * 3,
        _ => u64::from(other.octets),
    };
    out.push(Leaf {
        path,
        role,
        octets: other.octets,
        bytes,
    });
}

/// Which leaves to fetch (text/plain, else text/html, within `max` bytes in all, the
/// first always) and which to list as not read (the attachments).
fn plan(all: Vec<Leaf>, max: u32) -> Vec<Leaf> {
    let prefer = if all.iter().any(|l| l.role == Role::Plain) {
        Role::Plain
    } else {
        Role::Html
    };
    let mut budget = u64::from(max);
    let mut chosen = Vec::new();
    let mut unread = 0;
    for leaf in all {
        match leaf.role {
            Role::Attachment if unread < MAX_UNREAD_PARTS => {
                unread += 1;
                chosen.push(leaf);
            }
            role if role == prefer => {
                let octets = u64::from(leaf.octets);
                let first = !chosen.iter().any(|l: &Leaf| l.role == prefer);
                if first || octets <= budget {
                    budget = budget.saturating_sub(octets);
                    chosen.push(leaf);
                }
            }
            _ => {}
        }
    }
    chosen
}

fn section(path: &[u32]) -> String {
    path.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

/// Message `uid` (of `size` bytes, over `max`) put together from its header, its text
/// parts (each up to `max` bytes) and the MIME headers of its attachments, which are not
/// fetched. None when it is gone.
async fn fetch_by_structure(
    session: &mut Session<Stream>,
    uid: u32,
    size: u32,
    max: u32,
) -> Result<Option<Vec<u8>>, MailError> {
    let found = step("reading a message's structure", async {
        let mut fetches = session
            .uid_fetch(uid.to_string(), "(UID BODYSTRUCTURE BODY.PEEK[HEADER])")
            .await?;
        let mut found = None;
        while let Some(fetch) = fetches.next().await {
            let fetch = fetch?;
            if fetch.uid != Some(uid) {
                continue;
            }
            if let (Some(structure), Some(header)) = (fetch.bodystructure(), fetch.header()) {
                let mut all = Vec::new();
                let single = !matches!(structure, BodyStructure::Multipart { .. });
                leaves(structure, Vec::new(), 0, &mut all);
                found = Some((header.to_vec(), single, plan(all, max)));
            }
        }
        Ok::<_, MailError>(found)
    })
    .await?;
    let Some((header, single, chosen)) = found else {
        return Ok(None);
    };
    let unread = chosen.iter().filter(|l| l.role == Role::Attachment).count();
    tracing::warn!(
        uid,
        bytes = size,
        max,
        attachments_not_read = unread,
        "a message is larger than mail.max_message_bytes: its text is read, its attachments are not"
    );
    if single {
        // One part: the body is the text, or an attachment with the header's Content-*.
        return Ok(Some(match chosen.first() {
            Some(leaf) if leaf.role != Role::Attachment => {
                let text = step("fetching a message's text", async {
                    let mut fetches = session
                        .uid_fetch(uid.to_string(), format!("(UID BODY.PEEK[TEXT]<0.{max}>)"))
                        .await?;
                    let mut text = Vec::new();
                    while let Some(fetch) = fetches.next().await {
                        let fetch = fetch?;
                        if fetch.uid == Some(uid) {
                            text = fetch.text().unwrap_or_default().to_vec();
                        }
                    }
                    Ok::<_, MailError>(text)
                })
                .await?;
                let mut raw = header;
                raw.extend_from_slice(&text);
                raw
            }
            leaf => {
                let mime = partial::content_fields(&header);
                let parts: Vec<FetchedPart<'_>> = leaf
                    .map(|l| FetchedPart {
                        mime_header: &mime,
                        content: PartContent::Unread(l.bytes),
                    })
                    .into_iter()
                    .collect();
                partial::assemble(&header, &parts)
            }
        }));
    }
    let mut query = String::from("(UID");
    for leaf in &chosen {
        let s = section(&leaf.path);
        query.push_str(&format!(" BODY.PEEK[{s}.MIME]"));
        if leaf.role != Role::Attachment {
            query.push_str(&format!(" BODY.PEEK[{s}]<0.{max}>"));
        }
    }
    query.push(')');
    let pieces = step("fetching a message's text parts", async {
        let mut fetches = session.uid_fetch(uid.to_string(), &query).await?;
        let mut pieces: Vec<(Vec<u8>, Option<Vec<u8>>)> = Vec::new();
        while let Some(fetch) = fetches.next().await {
            let fetch = fetch?;
            if fetch.uid != Some(uid) {
                continue;
            }
            pieces = chosen
                .iter()
                .map(|leaf| {
                    let mime = fetch
                        .section(&SectionPath::Part(
                            leaf.path.clone(),
                            Some(MessageSection::Mime),
                        ))
                        .unwrap_or_default()
                        .to_vec();
                    let text = (leaf.role != Role::Attachment).then(|| {
                        fetch
                            .section(&SectionPath::Part(leaf.path.clone(), None))
                            .unwrap_or_default()
                            .to_vec()
                    });
                    (mime, text)
                })
                .collect();
        }
        Ok::<_, MailError>(pieces)
    })
    .await?;
    let parts: Vec<FetchedPart<'_>> = pieces
        .iter()
        .zip(&chosen)
        .map(|((mime, text), leaf)| FetchedPart {
            mime_header: mime,
            content: match text {
                Some(text) => PartContent::Text(text),
                None => PartContent::Unread(leaf.bytes),
            },
        })
        .collect();
    Ok(Some(partial::assemble(&header, &parts)))
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, MailError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| MailError::Task(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_the_imap_way() {
        let at = time::macros::datetime!(2026-03-07 23:30 -05:00);
        assert_eq!(imap_date(at), "8-Mar-2026", "in UTC");
        let at = time::macros::datetime!(2025-12-31 10:00 UTC);
        assert_eq!(imap_date(at), "31-Dec-2025");
    }

    #[test]
    fn a_large_message_is_read_from_its_text_and_its_attachments_are_listed() {
        let leaf = |path: &[u32], role, octets| Leaf {
            path: path.to_vec(),
            role,
            octets,
            bytes: u64::from(octets),
        };
        // Plain text wins over its HTML alternative; attachments are all listed.
        let all = vec![
            leaf(&[1], Role::Attachment, 8_000_000),
            leaf(&[2, 1], Role::Plain, 400),
            leaf(&[2, 2], Role::Html, 2_000),
            leaf(&[3], Role::Attachment, 10),
        ];
        let chosen = plan(all, 1_000);
        assert_eq!(
            chosen.iter().map(|l| section(&l.path)).collect::<Vec<_>>(),
            ["1", "2.1", "3"]
        );
        // HTML when there is no plain text; within the budget, the first always.
        let all = vec![
            leaf(&[1], Role::Html, 5_000),
            leaf(&[2], Role::Html, 600),
            leaf(&[3], Role::Html, 300),
        ];
        let chosen = plan(all, 1_000);
        assert_eq!(
            chosen.iter().map(|l| section(&l.path)).collect::<Vec<_>>(),
            ["1"],
            "the first text even when over the budget, then nothing more: the budget is spent"
        );
        let all = vec![leaf(&[1], Role::Html, 500), leaf(&[2], Role::Html, 300)];
        assert_eq!(plan(all, 1_000).len(), 2);
    }

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
