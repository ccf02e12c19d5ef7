//! The mail channel's memory, in the request database: every message seen and what was
//! decided for it, the inquiries waiting for a confirmation, the threads guichet's replies
//! started, the outbox of replies to send, where each mailbox was read up to, and the
//! erasures the running channel still has to do in guichet's mail folders.
//!
//! A message's decision and the replies it causes are written in one transaction, so a
//! daemon killed at any moment never answers a message twice nor forgets one.
//!
//! Mailbox erasures are kept as keyed digests (HMAC-SHA-256 with a random key made once
//! per installation), never as the address: the person was erased. The IMAP side digests
//! the addresses and Message-IDs of the messages in guichet's folders the same way and
//! removes those that match (see [`Ledger::mailbox_digest`]).

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use time::OffsetDateTime;

use crate::db::format_time;
use crate::language::Language;
use crate::requests::model::RequestRef;
pub use erasure::{Digested, MailboxErasures};

mod erasure;

/// The mail tables, one migration per string, each applied once (never edit a shipped one).
const MIGRATIONS: &[&str] = &[
    r#"
    -- Every message read from the mailbox, by Message-ID or content hash.
    CREATE TABLE mail_messages (
        fingerprint TEXT PRIMARY KEY NOT NULL,
        received_at TEXT NOT NULL,
        sender TEXT,
        outcome TEXT NOT NULL,
        detail TEXT NOT NULL,
        thread TEXT,
        request TEXT
    ) STRICT;
    CREATE INDEX mail_messages_sender ON mail_messages (sender);
    CREATE INDEX mail_messages_received_at ON mail_messages (received_at);

    -- An inquiry answered and waiting for "CONFIRM" (personal data: purged with the
    -- conversations, erased with the person).
    CREATE TABLE mail_inquiries (
        thread TEXT PRIMARY KEY NOT NULL,
        sender TEXT NOT NULL,
        name TEXT,
        subject TEXT NOT NULL,
        text TEXT NOT NULL,
        language TEXT NOT NULL,
        attachments TEXT NOT NULL,
        created_at TEXT NOT NULL,
        request TEXT
    ) STRICT;
    CREATE INDEX mail_inquiries_sender ON mail_inquiries (sender);

    -- The Message-IDs guichet sent, so a reply to one finds its thread.
    CREATE TABLE mail_threads (
        message_id TEXT PRIMARY KEY NOT NULL,
        thread TEXT NOT NULL,
        participant TEXT NOT NULL,
        created_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX mail_threads_participant ON mail_threads (participant);

    -- Emails to send. A row is written with the decision that causes it and sent later,
    -- with retries; `state` is pending, sent or failed.
    CREATE TABLE mail_outbox (
        id INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL UNIQUE,
        recipient TEXT NOT NULL,
        kind TEXT NOT NULL,
        raw BLOB NOT NULL,
        created_at TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_at TEXT NOT NULL,
        sent_at TEXT,
        last_error TEXT
    ) STRICT;
    CREATE INDEX mail_outbox_due ON mail_outbox (state, next_attempt_at);
    CREATE INDEX mail_outbox_recipient ON mail_outbox (recipient, created_at);

    -- How far each mailbox was read.
    CREATE TABLE mail_mailboxes (
        name TEXT PRIMARY KEY NOT NULL,
        uidvalidity INTEGER NOT NULL,
        last_uid INTEGER NOT NULL
    ) STRICT;
    "#,
    r#"
    -- The person each email is about (the requester a staff notice names), so an
    -- erasure finds the emails that mention them, not only those sent to them.
    ALTER TABLE mail_outbox ADD COLUMN about TEXT;
    UPDATE mail_outbox SET about = recipient WHERE kind <> 'staff';
    CREATE INDEX mail_outbox_about ON mail_outbox (about);
    "#,
    r#"
    -- What each email says, as a digest of its text: the same text is not sent to the same
    -- person over and over (an auto-responder asking the same thing).
    ALTER TABLE mail_outbox ADD COLUMN digest TEXT;
    CREATE INDEX mail_outbox_digest ON mail_outbox (recipient, digest);
    CREATE INDEX mail_threads_thread ON mail_threads (thread, created_at);
    "#,
    r#"
    -- An erasure the running mail channel still has to do in guichet's mail folders (its
    -- own copies of what it sent, what it answered, what it set aside): the person's
    -- address and the Message-IDs of the emails sent to or about them, as keyed digests
    -- only. A row goes once the channel removed the matching messages, or after the
    -- retention period (the folders are purged of older mail anyway).
    CREATE TABLE mail_mailbox_erasures (
        id INTEGER PRIMARY KEY,
        queued_at TEXT NOT NULL
    ) STRICT;
    CREATE TABLE mail_mailbox_erasure_digests (
        erasure INTEGER NOT NULL,
        digest TEXT NOT NULL
    ) STRICT;
    CREATE INDEX mail_mailbox_erasure_digests_erasure ON mail_mailbox_erasure_digests (erasure);

    -- Keys made once per installation (the key of those digests).
    CREATE TABLE mail_keys (
        name TEXT PRIMARY KEY NOT NULL,
        value BLOB NOT NULL
    ) STRICT;
    INSERT INTO mail_keys (name, value) VALUES ('mailbox-erasure', randomblob(32));
    "#,
];

/// The key name of the mailbox-erasure digests in `mail_keys`.
const ERASURE_KEY: &str = "mailbox-erasure";

/// What the mail ledger could not do.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("mail ledger database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("mail ledger database")]
    Db(#[from] crate::db::DbError),
    #[error("mail ledger: {0}")]
    Invalid(String),
}

/// What was decided for a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Answered with excerpts.
    Answered,
    /// The knowledge base had no answer; the person was told and offered a request.
    NoAnswer,
    /// A confirmation: a request was logged (or had been) and acknowledged.
    Logged,
    /// A later message in a request's thread, added to its transcript.
    Attached,
    /// A confirmation with nothing to confirm.
    NothingToConfirm,
    /// Not answered (loop protection, robots, lists): the reason is in the detail.
    Ignored,
    /// A delivery report, recorded.
    Bounce,
    /// Not answered because the sender reached the hourly cap.
    Capped,
    /// guichet's own copy of an email it sent (proof that it left).
    Copy,
    /// Could not be read, or set aside for staff (the reason is in the detail); moved to
    /// the quarantine folder.
    Quarantined,
    /// A later message in an answered thread that asks nothing new (or was already
    /// answered recently): kept in the conversation, not answered.
    FollowUp,
    /// Asked nothing guichet could answer; told once what guichet can do.
    Capabilities,
}

impl Outcome {
    /// The code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::NoAnswer => "no_answer",
            Outcome::Logged => "logged",
            Outcome::Attached => "attached",
            Outcome::NothingToConfirm => "nothing_to_confirm",
            Outcome::Ignored => "ignored",
            Outcome::Bounce => "bounce",
            Outcome::Capped => "capped",
            Outcome::Copy => "copy",
            Outcome::Quarantined => "quarantined",
            Outcome::FollowUp => "follow_up",
            Outcome::Capabilities => "capabilities",
        }
    }

    /// The outcome a stored code names.
    pub fn parse(code: &str) -> Option<Outcome> {
        [
            Outcome::Answered,
            Outcome::NoAnswer,
            Outcome::Logged,
            Outcome::Attached,
            Outcome::NothingToConfirm,
            Outcome::Ignored,
            Outcome::Bounce,
            Outcome::Capped,
            Outcome::Copy,
            Outcome::Quarantined,
            Outcome::FollowUp,
            Outcome::Capabilities,
        ]
        .into_iter()
        .find(|o| o.code() == code)
    }
}

/// An inquiry waiting for its sender's confirmation.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingInquiry {
    pub thread: String,
    /// The sender's address, lowercased.
    pub sender: String,
    pub name: Option<String>,
    pub subject: String,
    pub text: String,
    pub lang: Language,
    pub attachments: Vec<String>,
    /// The request it became, once confirmed.
    pub request: Option<RequestRef>,
}

/// An email to send, written with the decision that causes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// Without angle brackets.
    pub message_id: String,
    pub recipient: String,
    /// "reply", "ack", "staff"… for logs and counts.
    pub kind: &'static str,
    pub raw: Vec<u8>,
    /// The thread a reply to it continues (None: not a conversation, e.g. staff mail).
    pub thread: Option<String>,
    /// The address of the person it is about, lowercased (the recipient of a reply, the
    /// requester a staff notice names): erasing that person erases the email.
    pub about: String,
    /// A digest of what it says (its text part), to notice the same text sent again.
    pub digest: String,
}

/// Everything decided about one message, written at once.
#[derive(Debug, Clone)]
pub struct Decision {
    pub fingerprint: String,
    /// The sender's address, lowercased (None when there is none).
    pub sender: Option<String>,
    pub outcome: Outcome,
    /// Why (a skip code, an error, a reference) — no message text.
    pub detail: String,
    pub thread: Option<String>,
    pub request: Option<RequestRef>,
    /// A new inquiry waiting for confirmation.
    pub inquiry: Option<PendingInquiry>,
    /// The inquiry of `thread` became this request.
    pub confirmed: Option<(String, RequestRef)>,
    pub outgoing: Vec<Outgoing>,
}

impl Decision {
    /// A decision that sends nothing.
    pub fn silent(
        fingerprint: &str,
        sender: Option<String>,
        outcome: Outcome,
        detail: String,
    ) -> Decision {
        Decision {
            fingerprint: fingerprint.to_string(),
            sender,
            outcome,
            detail,
            thread: None,
            request: None,
            inquiry: None,
            confirmed: None,
            outgoing: Vec::new(),
        }
    }
}

/// An outbox row due to be sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Due {
    pub id: i64,
    pub message_id: String,
    pub recipient: String,
    pub kind: String,
    pub raw: Vec<u8>,
    pub attempts: u32,
}

/// Counts of the outbox, for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboxCounts {
    pub pending: u64,
    pub sent: u64,
    pub failed: u64,
}

/// The mail ledger on the request database's SQLite file (its own connection and tables).
pub struct Ledger {
    conn: Mutex<Connection>,
    /// The key of the mailbox-erasure digests.
    erasure_key: Vec<u8>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ledger")
    }
}

impl Ledger {
    /// Opens (and migrates) the ledger in the SQLite file at `path`.
    pub fn open(path: &Path) -> Result<Ledger, LedgerError> {
        let mut conn = crate::db::open(path)?;
        crate::db::migrate(&mut conn, "mail", "mail_schema_migrations", MIGRATIONS)?;
        let erasure_key: Vec<u8> = conn.query_row(
            "SELECT value FROM mail_keys WHERE name = ?1",
            [ERASURE_KEY],
            |r| r.get(0),
        )?;
        if erasure_key.len() < 16 {
            return Err(LedgerError::Invalid(
                "the mailbox-erasure key in mail_keys is too short".into(),
            ));
        }
        Ok(Ledger {
            conn: Mutex::new(conn),
            erasure_key,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What was decided for the message with `fingerprint`, if it was seen before.
    pub fn outcome(&self, fingerprint: &str) -> Result<Option<Outcome>, LedgerError> {
        let code: Option<String> = self
            .lock()
            .query_row(
                "SELECT outcome FROM mail_messages WHERE fingerprint = ?1",
                [fingerprint],
                |r| r.get(0),
            )
            .optional()?;
        Ok(code.as_deref().and_then(Outcome::parse))
    }

    /// Writes `decision` at `now`: the message, the inquiry, the threads and the outbox
    /// rows, all or nothing. A message already recorded is left as it was (false).
    pub fn record(&self, decision: &Decision, now: OffsetDateTime) -> Result<bool, LedgerError> {
        let at = format_time(now);
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let inserted = tx.execute(
            "INSERT INTO mail_messages (fingerprint, received_at, sender, outcome, detail, thread, request)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (fingerprint) DO NOTHING",
            params![
                decision.fingerprint,
                at,
                decision.sender,
                decision.outcome.code(),
                decision.detail,
                decision.thread,
                decision.request.map(|r| r.to_string()),
            ],
        )?;
        if inserted == 0 {
            return Ok(false);
        }
        if let Some(q) = &decision.inquiry {
            tx.execute(
                "INSERT INTO mail_inquiries (thread, sender, name, subject, text, language, attachments, created_at, request)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (thread) DO UPDATE SET subject = excluded.subject, text = excluded.text,
                     language = excluded.language, attachments = excluded.attachments",
                params![
                    q.thread,
                    q.sender,
                    q.name,
                    q.subject,
                    q.text,
                    q.lang.code(),
                    serde_json::to_string(&q.attachments).unwrap_or_else(|_| "[]".into()),
                    at,
                    q.request.map(|r| r.to_string()),
                ],
            )?;
        }
        if let Some((thread, reference)) = &decision.confirmed {
            tx.execute(
                "UPDATE mail_inquiries SET request = ?1 WHERE thread = ?2",
                params![reference.to_string(), thread],
            )?;
        }
        for out in &decision.outgoing {
            tx.execute(
                "INSERT INTO mail_outbox (message_id, recipient, kind, raw, created_at, state, attempts, next_attempt_at, about, digest)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?5, ?6, ?7)",
                params![out.message_id, out.recipient, out.kind, out.raw, at, out.about, out.digest],
            )?;
            if let Some(thread) = &out.thread {
                tx.execute(
                    "INSERT OR REPLACE INTO mail_threads (message_id, thread, participant, created_at)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![out.message_id, thread, out.recipient, at],
                )?;
            }
        }
        tx.commit()?;
        Ok(true)
    }

    /// Queues one email that no incoming message caused (a notice to staff about a request
    /// made on another channel).
    pub fn queue(&self, out: &Outgoing, now: OffsetDateTime) -> Result<(), LedgerError> {
        let at = format_time(now);
        self.lock().execute(
            "INSERT INTO mail_outbox (message_id, recipient, kind, raw, created_at, state, attempts, next_attempt_at, about, digest)
             VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?5, ?6, ?7)",
            params![out.message_id, out.recipient, out.kind, out.raw, at, out.about, out.digest],
        )?;
        Ok(())
    }

    /// The thread of the newest of `message_ids` that guichet sent to `participant`.
    pub fn thread_of(
        &self,
        message_ids: &[String],
        participant: &str,
    ) -> Result<Option<String>, LedgerError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT thread FROM mail_threads WHERE message_id = ?1 AND participant = ?2",
        )?;
        // References lists the oldest first: look from the newest.
        for id in message_ids.iter().rev() {
            let thread: Option<String> = stmt
                .query_row(params![id, participant], |r| r.get(0))
                .optional()?;
            if thread.is_some() {
                return Ok(thread);
            }
        }
        Ok(None)
    }

    /// The inquiry of `thread`, if it is still kept.
    pub fn inquiry(&self, thread: &str) -> Result<Option<PendingInquiry>, LedgerError> {
        let conn = self.lock();
        let row = conn
            .query_row(
                "SELECT thread, sender, name, subject, text, language, attachments, request
                 FROM mail_inquiries WHERE thread = ?1",
                [thread],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, Option<String>>(7)?,
                    ))
                },
            )
            .optional()?;
        Ok(row.map(
            |(thread, sender, name, subject, text, lang, attachments, request)| PendingInquiry {
                thread,
                sender,
                name,
                subject,
                text,
                lang: if lang == "en" {
                    Language::En
                } else {
                    Language::Fr
                },
                attachments: serde_json::from_str(&attachments).unwrap_or_default(),
                request: request.and_then(|r| RequestRef::parse(&r).ok()),
            },
        ))
    }

    /// Replies written to `recipient` since `since` (sent or not): the per-sender cap.
    pub fn replies_since(
        &self,
        recipient: &str,
        since: OffsetDateTime,
    ) -> Result<u32, LedgerError> {
        let n: i64 = self.lock().query_row(
            "SELECT COUNT(*) FROM mail_outbox WHERE recipient = ?1 AND created_at >= ?2 AND kind != 'staff'",
            params![recipient, format_time(since)],
            |r| r.get(0),
        )?;
        Ok(n as u32)
    }

    /// How many emails saying exactly `digest` were queued for `recipient` since `since`.
    pub fn same_replies_since(
        &self,
        recipient: &str,
        digest: &str,
        since: OffsetDateTime,
    ) -> Result<u32, LedgerError> {
        let n: i64 = self.lock().query_row(
            "SELECT COUNT(*) FROM mail_outbox WHERE recipient = ?1 AND digest = ?2 AND created_at >= ?3",
            params![recipient, digest, format_time(since)],
            |r| r.get(0),
        )?;
        Ok(n as u32)
    }

    /// How many emails guichet sent in `thread` since `since`.
    pub fn thread_replies_since(
        &self,
        thread: &str,
        since: OffsetDateTime,
    ) -> Result<u32, LedgerError> {
        let n: i64 = self.lock().query_row(
            "SELECT COUNT(*) FROM mail_threads WHERE thread = ?1 AND created_at >= ?2",
            params![thread, format_time(since)],
            |r| r.get(0),
        )?;
        Ok(n as u32)
    }

    /// Up to `limit` outbox rows whose time has come, oldest first: pending ones, and
    /// with `uncertain` also those whose sending was interrupted and whose copy did not
    /// come back in time (see [`Ledger::claim`]).
    pub fn due(
        &self,
        now: OffsetDateTime,
        limit: usize,
        uncertain: bool,
    ) -> Result<Vec<Due>, LedgerError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT id, message_id, recipient, kind, raw, attempts FROM mail_outbox
             WHERE (state = 'pending' OR (?3 AND state = 'sending')) AND next_attempt_at <= ?1
             ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![format_time(now), limit as i64, uncertain], |r| {
            Ok(Due {
                id: r.get(0)?,
                message_id: r.get(1)?,
                recipient: r.get(2)?,
                kind: r.get(3)?,
                raw: r.get(4)?,
                attempts: r.get::<_, i64>(5)? as u32,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Marks a row as being sent, before the attempt: if guichet dies during it, the row
    /// waits until `uncertain_until` for its copy (every email is also sent to our own
    /// address) to prove it left, and is sent again only if none came.
    pub fn claim(&self, id: i64, uncertain_until: OffsetDateTime) -> Result<(), LedgerError> {
        self.lock().execute(
            "UPDATE mail_outbox SET state = 'sending', attempts = attempts + 1, next_attempt_at = ?1 WHERE id = ?2",
            params![format_time(uncertain_until), id],
        )?;
        Ok(())
    }

    /// guichet's copy of the email with `message_id` arrived: it was sent. True when the
    /// id is one of the outbox's.
    pub fn confirm_copy(&self, message_id: &str, now: OffsetDateTime) -> Result<bool, LedgerError> {
        let n = self.lock().execute(
            "UPDATE mail_outbox SET state = 'sent', sent_at = COALESCE(sent_at, ?1) WHERE message_id = ?2",
            params![format_time(now), message_id],
        )?;
        Ok(n > 0)
    }

    /// Makes every pending row due at `now` (at start: a restart is a good moment to
    /// retry); returns how many were waiting for a later retry.
    pub fn retry_pending_now(&self, now: OffsetDateTime) -> Result<usize, LedgerError> {
        let now = format_time(now);
        let n = self.lock().execute(
            "UPDATE mail_outbox SET next_attempt_at = ?1 WHERE state = 'pending' AND next_attempt_at > ?1",
            [&now],
        )?;
        Ok(n)
    }

    /// When the next pending row is due, if any.
    pub fn next_due(&self) -> Result<Option<OffsetDateTime>, LedgerError> {
        let at: Option<String> = self.lock().query_row(
            "SELECT MIN(next_attempt_at) FROM mail_outbox WHERE state IN ('pending', 'sending')",
            [],
            |r| r.get(0),
        )?;
        Ok(at.as_deref().and_then(|at| crate::db::parse_time(at).ok()))
    }

    /// The row was accepted by the SMTP server.
    pub fn mark_sent(&self, id: i64, now: OffsetDateTime) -> Result<(), LedgerError> {
        self.lock().execute(
            "UPDATE mail_outbox SET state = 'sent', sent_at = ?1, last_error = NULL WHERE id = ?2",
            params![format_time(now), id],
        )?;
        Ok(())
    }

    /// Sending failed (after [`Ledger::claim`]): try again at `retry_at`, or give up (`None`).
    pub fn mark_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<OffsetDateTime>,
    ) -> Result<(), LedgerError> {
        let error: String = error.chars().take(1_000).collect();
        match retry_at {
            Some(at) => self.lock().execute(
                "UPDATE mail_outbox SET state = 'pending', last_error = ?1, next_attempt_at = ?2 WHERE id = ?3",
                params![error, format_time(at), id],
            )?,
            None => self.lock().execute(
                "UPDATE mail_outbox SET last_error = ?1, state = 'failed' WHERE id = ?2",
                params![error, id],
            )?,
        };
        Ok(())
    }

    /// A delivery report says the email with `message_id` did not arrive: note it.
    pub fn note_bounce(&self, message_id: &str, detail: &str) -> Result<bool, LedgerError> {
        let n = self.lock().execute(
            "UPDATE mail_outbox SET last_error = ?1 WHERE message_id = ?2",
            params![
                format!("bounced: {}", detail.chars().take(500).collect::<String>()),
                message_id
            ],
        )?;
        Ok(n > 0)
    }

    /// How many outbox rows are pending, sent and failed.
    pub fn outbox_counts(&self) -> Result<OutboxCounts, LedgerError> {
        let conn = self.lock();
        let mut stmt =
            conn.prepare_cached("SELECT state, COUNT(*) FROM mail_outbox GROUP BY state")?;
        let mut counts = OutboxCounts::default();
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (state, n) = row?;
            match state.as_str() {
                "pending" | "sending" => counts.pending += n as u64,
                "sent" => counts.sent = n as u64,
                _ => counts.failed += n as u64,
            }
        }
        Ok(counts)
    }

    /// Where `mailbox` was read up to: (UIDVALIDITY, last handled UID).
    pub fn mailbox(&self, mailbox: &str) -> Result<Option<(u32, u32)>, LedgerError> {
        let row: Option<(i64, i64)> = self
            .lock()
            .query_row(
                "SELECT uidvalidity, last_uid FROM mail_mailboxes WHERE name = ?1",
                [mailbox],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(row.map(|(v, u)| (v as u32, u as u32)))
    }

    /// Records that `mailbox` (at `uidvalidity`) was handled up to `last_uid`.
    pub fn set_mailbox(
        &self,
        mailbox: &str,
        uidvalidity: u32,
        last_uid: u32,
    ) -> Result<(), LedgerError> {
        self.lock().execute(
            "INSERT INTO mail_mailboxes (name, uidvalidity, last_uid) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid",
            params![mailbox, uidvalidity as i64, last_uid as i64],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn ledger() -> (tempfile::TempDir, Ledger) {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(&dir.path().join("db.sqlite3")).unwrap();
        (dir, ledger)
    }

    pub(super) fn reply(id: &str, to: &str, thread: &str) -> Outgoing {
        Outgoing {
            message_id: id.into(),
            recipient: to.into(),
            kind: "reply",
            raw: b"Subject: x\r\n\r\nbody".to_vec(),
            thread: Some(thread.into()),
            about: to.into(),
            digest: "d".into(),
        }
    }

    #[test]
    fn a_message_is_recorded_once_with_its_replies_and_threads() {
        let (_d, l) = ledger();
        let now = OffsetDateTime::now_utc();
        let mut d = Decision::silent(
            "mid:a@x",
            Some("alice@x.org".into()),
            Outcome::Answered,
            String::new(),
        );
        d.thread = Some("t1".into());
        d.outgoing.push(reply("r1@guichet", "alice@x.org", "t1"));
        assert!(l.record(&d, now).unwrap());
        assert!(
            !l.record(&d, now).unwrap(),
            "a second record of the same message is refused"
        );
        assert_eq!(l.outcome("mid:a@x").unwrap(), Some(Outcome::Answered));
        assert_eq!(l.outbox_counts().unwrap().pending, 1, "one reply, not two");
        assert_eq!(
            l.thread_of(&["other@x".into(), "r1@guichet".into()], "alice@x.org")
                .unwrap()
                .as_deref(),
            Some("t1")
        );
        assert_eq!(
            l.thread_of(&["r1@guichet".into()], "mallory@x.org")
                .unwrap(),
            None,
            "only the participant continues a thread"
        );
        assert_eq!(
            l.replies_since("alice@x.org", now - time::Duration::hours(1))
                .unwrap(),
            1
        );
    }

    #[test]
    fn the_outbox_retries_then_sends_or_gives_up() {
        let (_d, l) = ledger();
        let now = OffsetDateTime::now_utc();
        let mut d = Decision::silent("mid:b@x", None, Outcome::Answered, String::new());
        d.outgoing.push(reply("r2@guichet", "bob@x.org", "t2"));
        d.outgoing.push(reply("r3@guichet", "bob@x.org", "t2"));
        l.record(&d, now).unwrap();
        let due = l.due(now, 10, true).unwrap();
        assert_eq!(due.len(), 2);
        l.claim(due[0].id, now + time::Duration::minutes(1))
            .unwrap();
        l.mark_failed(
            due[0].id,
            "421 try later",
            Some(now + time::Duration::minutes(5)),
        )
        .unwrap();
        assert_eq!(
            l.due(now, 10, true).unwrap().len(),
            1,
            "a failed row waits for its retry time"
        );
        assert_eq!(
            l.due(now + time::Duration::minutes(6), 10, true)
                .unwrap()
                .len(),
            2
        );
        l.claim(due[1].id, now + time::Duration::minutes(1))
            .unwrap();
        l.mark_sent(due[1].id, now).unwrap();
        l.mark_failed(due[0].id, "550 no such user", None).unwrap();
        assert_eq!(
            l.outbox_counts().unwrap(),
            OutboxCounts {
                pending: 0,
                sent: 1,
                failed: 1
            }
        );
        assert!(l.note_bounce("r3@guichet", "550 5.1.1").unwrap());
    }

    #[test]
    fn an_interrupted_send_waits_for_its_copy_before_being_sent_again() {
        let (_d, l) = ledger();
        let now = OffsetDateTime::now_utc();
        let mut d = Decision::silent("mid:u@x", None, Outcome::Answered, String::new());
        d.outgoing.push(reply("r9@guichet", "una@x.org", "t9"));
        d.outgoing.push(reply("r10@guichet", "una@x.org", "t9"));
        l.record(&d, now).unwrap();
        let due = l.due(now, 10, true).unwrap();
        // Both claimed, then guichet dies: neither is due until the wait is over.
        for row in &due {
            l.claim(row.id, now + time::Duration::seconds(60)).unwrap();
        }
        assert!(l.due(now, 10, true).unwrap().is_empty());
        // The copy of the first comes back: it was sent.
        assert!(l.confirm_copy("r9@guichet", now).unwrap());
        assert!(!l.confirm_copy("unknown@elsewhere", now).unwrap());
        let later = now + time::Duration::seconds(61);
        assert!(
            l.due(later, 10, false).unwrap().is_empty(),
            "uncertain rows only when asked"
        );
        let again = l.due(later, 10, true).unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(
            again[0].message_id, "r10@guichet",
            "only the one without a copy is sent again"
        );
        assert_eq!(again[0].attempts, 1);
    }

    #[test]
    fn mailbox_positions_are_remembered() {
        let (dir, l) = ledger();
        assert_eq!(l.mailbox("INBOX").unwrap(), None);
        l.set_mailbox("INBOX", 7, 42).unwrap();
        drop(l);
        let l = Ledger::open(&dir.path().join("db.sqlite3")).unwrap();
        assert_eq!(l.mailbox("INBOX").unwrap(), Some((7, 42)));
    }
}
