//! The request store on a SQLite file: one connection behind a mutex, schema migrations
//! applied when the file is opened, and one transaction per operation.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use time::OffsetDateTime;

use super::model::{
    check_time, multi_line, one_line, staff_name, AuditEvent, AuditKind, Channel, Email, Field,
    ModelError, NewRequest, Request, RequestRef, RequestStatus, RequestType, Speaker, StaffNote,
    TranscriptEntry, MAX_NOTE_CHARS, MAX_TRANSCRIPT_ENTRIES,
};
use super::{
    Change, Erasure, LoggedQuestion, RequestFilter, RequestStore, StoreError, StoredConversation,
    GUICHET_ACTOR,
};
use crate::db::{DbError, UnknownValue};
use crate::language::Language;
use log_writer::LogWriter;
use rows::*;
use schema::MIGRATIONS;

mod log_writer;
mod questions;
mod rows;
mod schema;

/// The largest conversation state saved, in bytes of JSON. The engine keeps a bounded
/// history; a state beyond this is a bug, not a conversation.
pub const MAX_CONVERSATION_STATE_BYTES: usize = 1024 * 1024;
/// The longest conversation key, in characters.
pub const MAX_CONVERSATION_KEY_CHARS: usize = 512;

/// The columns of `requests` read into a [`RequestRow`], in its order.
const REQUEST_COLUMNS: &str = "reference, created_at, updated_at, status, closed_reason, \
    assignee, channel, requester_name, requester_email, requester_handle, organization, \
    request_type, description, language, transcript, attachments";

/// A [`RequestStore`] on a SQLite file.
pub struct SqliteStore {
    /// One connection, used by one operation at a time. SQLite serialises writers anyway,
    /// and the Unit's volume (a few requests a day) does not need a pool.
    conn: Mutex<Connection>,
    /// Writes the questions log in batches, on its own thread and connection.
    log: LogWriter,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating it and its folder if needed) the database at `path`, and brings its
    /// schema up to date. Fails if the file was written by a newer guichet.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let mut conn = crate::db::open(path)?;
        crate::db::migrate(&mut conn, "request", "schema_migrations", MIGRATIONS)?;
        tracing::debug!(path = %path.display(), "request database open");
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            log: LogWriter::start(path)?,
            path: path.to_path_buf(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half-done change behind: every
        // change runs in a transaction that rolls back when dropped during unwinding.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `work` in an IMMEDIATE transaction (the write lock is taken at the start, so
    /// two writers never read the same "next number") and commits it if `work` succeeds.
    fn write<T>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = work(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Logs a request (see [`RequestStore::create_request_once`] for `origin`); true when
    /// this call created it.
    fn create(
        &self,
        origin: Option<&str>,
        new: NewRequest,
        now: OffsetDateTime,
    ) -> Result<(Request, bool), StoreError> {
        let new = new.validated()?;
        let at = db_time("creation time", now)?;
        // The year as the caller sees it: pass a local time to number by the local year.
        let year = now.year();
        if !RequestRef::YEARS.contains(&year) {
            return Err(ModelError::Year { year }.into());
        }
        let transcript = to_json_text("transcript", &new.transcript)?;
        let attachments = to_json_text("attachments", &new.attachments)?;
        let (request, created) = self.write(|conn| {
            if let Some(origin) = origin {
                let known: Option<String> = conn
                    .query_row(
                        "SELECT reference FROM request_origins WHERE origin = ?1",
                        [origin],
                        |row| row.get(0),
                    )
                    .optional()?;
                if let Some(reference) = known.and_then(|r| RequestRef::parse(&r).ok()) {
                    if let Some(request) = load_request(conn, &reference)? {
                        return Ok((request, false));
                    }
                }
            }
            let highest: i64 = conn.query_row(
                "SELECT MAX(COALESCE((SELECT MAX(seq) FROM requests WHERE year = ?1), 0),
                            COALESCE((SELECT last_seq FROM request_sequences WHERE year = ?1), 0))",
                [year],
                |row| row.get(0),
            )?;
            let reference = u32::try_from(highest + 1)
                .ok()
                .and_then(|seq| RequestRef::new(year, seq).ok())
                .ok_or(ModelError::NoNumberLeft { year, highest })?;
            conn.execute(
                "INSERT INTO request_sequences (year, last_seq) VALUES (?1, ?2)
                 ON CONFLICT (year) DO UPDATE SET last_seq = excluded.last_seq",
                params![year, reference.seq()],
            )?;
            conn.execute(
                &format!(
                    "INSERT INTO requests (year, seq, {REQUEST_COLUMNS})
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                             ?16, ?17, ?18)"
                ),
                params![
                    year,
                    reference.seq(),
                    reference.to_string(),
                    at,
                    at,
                    RequestStatus::New.code(),
                    Option::<String>::None,
                    Option::<String>::None,
                    new.channel.code(),
                    new.requester_name,
                    new.requester_email.as_str(),
                    new.requester_handle,
                    new.organization,
                    new.request_type.code(),
                    new.description,
                    new.language.code(),
                    transcript,
                    attachments,
                ],
            )?;
            insert_event(
                conn,
                &reference,
                &at,
                GUICHET_ACTOR,
                AuditKind::Created,
                None,
                Some(RequestStatus::New.code()),
                None,
            )?;
            if let Some(origin) = origin {
                conn.execute(
                    "INSERT OR REPLACE INTO request_origins (origin, reference) VALUES (?1, ?2)",
                    params![origin, reference.to_string()],
                )?;
            }
            let request = load_request(conn, &reference)?.ok_or(StoreError::NotFound(reference))?;
            Ok((request, true))
        })?;
        if !created {
            return Ok((request, false));
        }
        tracing::info!(
            reference = %request.reference,
            channel = request.channel.code(),
            request_type = request.request_type.code(),
            "request logged"
        );
        Ok((request, true))
    }

    /// Changes one request in a transaction: loads it (or fails with NotFound), lets
    /// `apply` update it and write its audit events, bumps `updated_at` if `apply` says it
    /// changed something, and returns the request as stored.
    fn change(
        &self,
        reference: &RequestRef,
        now: OffsetDateTime,
        apply: impl FnOnce(&Connection, &Request, &str) -> Result<bool, StoreError>,
    ) -> Result<Request, StoreError> {
        let at = db_time("time of the change", now)?;
        self.write(|conn| {
            let current = load_request(conn, reference)?.ok_or(StoreError::NotFound(*reference))?;
            if apply(conn, &current, &at)? {
                conn.execute(
                    "UPDATE requests SET updated_at = ?1 WHERE reference = ?2",
                    params![at, reference.to_string()],
                )?;
            }
            load_request(conn, reference)?.ok_or(StoreError::NotFound(*reference))
        })
    }
}

impl RequestStore for SqliteStore {
    fn load_conversation(&self, key: &str) -> Result<Option<StoredConversation>, StoreError> {
        let conn = self.lock();
        // Cached: the engine loads and saves a conversation on every chat message.
        let row = conn
            .prepare_cached(
                r#"SELECT channel, contact_email, state, created_at, updated_at
                   FROM conversations WHERE "key" = ?1"#,
            )?
            .query_row([key], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, Option<String>>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                ))
            })
            .optional()?;
        let Some((channel, contact_email, state, created_at, updated_at)) = row else {
            return Ok(None);
        };
        Ok(Some(StoredConversation {
            key: key.to_string(),
            channel: Channel::parse(&channel).map_err(|e| corrupt("conversation channel", e))?,
            contact_email: contact_email
                .map(|email| Email::parse(&email))
                .transpose()
                .map_err(|e| corrupt("conversation email", e))?,
            state: serde_json::from_str(&state).map_err(|e| corrupt("conversation state", e))?,
            created_at: read_time("conversation created_at", &created_at)?,
            updated_at: read_time("conversation updated_at", &updated_at)?,
        }))
    }

    fn save_conversation(&self, conversation: &StoredConversation) -> Result<(), StoreError> {
        let row = conversation_row(conversation)?;
        self.lock()
            .prepare_cached(
                r#"INSERT INTO conversations
                   ("key", channel, contact_email, state, created_at, updated_at)
               VALUES (?1, ?2, ?3, ?4, ?5, ?6)
               ON CONFLICT ("key") DO UPDATE SET
                   channel = excluded.channel,
                   contact_email = excluded.contact_email,
                   state = excluded.state,
                   updated_at = excluded.updated_at"#,
            )?
            .execute(params![
                row.key,
                row.channel,
                row.contact_email,
                row.state,
                row.created_at,
                row.updated_at
            ])?;
        Ok(())
    }

    fn save_conversation_if(
        &self,
        conversation: &StoredConversation,
        loaded_at: Option<OffsetDateTime>,
    ) -> Result<bool, StoreError> {
        let row = conversation_row(conversation)?;
        let conn = self.lock();
        let written = match loaded_at {
            None => conn
                .prepare_cached(
                    r#"INSERT INTO conversations
                       ("key", channel, contact_email, state, created_at, updated_at)
                   VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                   ON CONFLICT ("key") DO NOTHING"#,
                )?
                .execute(params![
                    row.key,
                    row.channel,
                    row.contact_email,
                    row.state,
                    row.created_at,
                    row.updated_at
                ])?,
            Some(loaded_at) => conn
                .prepare_cached(
                    r#"UPDATE conversations
                   SET channel = ?2, contact_email = ?3, state = ?4, updated_at = ?5
                   WHERE "key" = ?1 AND updated_at = ?6"#,
                )?
                .execute(params![
                    row.key,
                    row.channel,
                    row.contact_email,
                    row.state,
                    row.updated_at,
                    db_time("conversation loaded_at", loaded_at)?
                ])?,
        };
        Ok(written == 1)
    }

    fn delete_conversation(&self, key: &str) -> Result<(), StoreError> {
        self.lock()
            .execute(r#"DELETE FROM conversations WHERE "key" = ?1"#, [key])?;
        Ok(())
    }

    fn purge_conversations(&self, idle_since: OffsetDateTime) -> Result<usize, StoreError> {
        let cutoff = db_time("purge cutoff", idle_since)?;
        let purged = self
            .lock()
            .execute("DELETE FROM conversations WHERE updated_at < ?1", [cutoff])?;
        if purged > 0 {
            tracing::info!(purged, "idle conversations purged");
        }
        Ok(purged)
    }

    fn create_request(&self, new: NewRequest, now: OffsetDateTime) -> Result<Request, StoreError> {
        self.create(None, new, now).map(|(request, _)| request)
    }

    fn create_request_once(
        &self,
        origin: &str,
        new: NewRequest,
        now: OffsetDateTime,
    ) -> Result<(Request, bool), StoreError> {
        if origin.is_empty() || origin.chars().count() > MAX_CONVERSATION_KEY_CHARS {
            return Err(ModelError::Length {
                field: Field::Origin,
                min: 1,
                max: MAX_CONVERSATION_KEY_CHARS,
            }
            .into());
        }
        self.create(Some(origin), new, now)
    }

    fn get_request(&self, reference: &RequestRef) -> Result<Option<Request>, StoreError> {
        load_request(&self.lock(), reference)
    }

    fn list_requests(&self, filter: &RequestFilter) -> Result<Vec<Request>, StoreError> {
        let mut sql = format!("SELECT {REQUEST_COLUMNS} FROM requests WHERE 1 = 1");
        let mut values: Vec<&str> = Vec::new();
        if let Some(status) = filter.status {
            values.push(status.code());
            sql.push_str(&format!(" AND status = ?{}", values.len()));
        }
        if let Some(request_type) = filter.request_type {
            values.push(request_type.code());
            sql.push_str(&format!(" AND request_type = ?{}", values.len()));
        }
        sql.push_str(" ORDER BY created_at DESC, year DESC, seq DESC");
        // Case is folded in Rust, not by SQLite, whose NOCASE only knows ASCII: "émilie"
        // must find "Émilie".
        let needle = filter
            .search
            .as_deref()
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty());
        let assignee = filter
            .assignee
            .as_deref()
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty());
        let limit = filter.limit.unwrap_or(usize::MAX);
        if needle.is_none() && assignee.is_none() && filter.limit.is_some() {
            // SQLite's LIMIT is a signed 64-bit integer.
            sql.push_str(&format!(" LIMIT {}", limit.min(i64::MAX as usize)));
        }

        let conn = self.lock();
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(values), RequestRow::read)?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .filter(|row| needle.as_deref().is_none_or(|n| row.contains(n)))
            .filter(|row| {
                assignee.as_deref().is_none_or(|wanted| {
                    row.assignee
                        .as_deref()
                        .is_some_and(|a| a.to_lowercase() == wanted)
                })
            })
            .take(limit)
            .map(|row| {
                let notes = load_notes(&conn, &row.reference)?;
                row.into_request(notes)
            })
            .collect()
    }

    fn update(
        &self,
        reference: &RequestRef,
        by: &str,
        now: OffsetDateTime,
        decide: &mut dyn FnMut(&Request) -> Result<Vec<Change>, StoreError>,
    ) -> Result<Request, StoreError> {
        let by = staff_name(Field::Actor, by)?;
        self.change(reference, now, |conn, current, at| {
            let changes = decide(current)?;
            for change in &changes {
                write_change(conn, reference, at, &by, change)?;
            }
            if let Some(Change::Status { to, .. }) = changes
                .iter()
                .rev()
                .find(|c| matches!(c, Change::Status { .. }))
            {
                tracing::info!(%reference, status = to.code(), "request status changed");
            }
            Ok(!changes.is_empty())
        })
    }

    fn append_transcript(
        &self,
        reference: &RequestRef,
        entry: TranscriptEntry,
        now: OffsetDateTime,
    ) -> Result<Request, StoreError> {
        let entry = entry.validated()?;
        let speaker: Speaker = entry.from;
        self.change(reference, now, |conn, current, at| {
            if current.transcript.len() >= MAX_TRANSCRIPT_ENTRIES {
                return Err(ModelError::TranscriptFull {
                    reference: *reference,
                    max: MAX_TRANSCRIPT_ENTRIES,
                }
                .into());
            }
            let mut transcript = current.transcript.clone();
            transcript.push(entry);
            conn.execute(
                "UPDATE requests SET transcript = ?1 WHERE reference = ?2",
                params![
                    to_json_text("transcript", &transcript)?,
                    reference.to_string()
                ],
            )?;
            insert_event(
                conn,
                reference,
                at,
                GUICHET_ACTOR,
                AuditKind::Transcript,
                None,
                Some(speaker.code()),
                None,
            )?;
            Ok(true)
        })
    }

    fn history(&self, reference: &RequestRef) -> Result<Vec<AuditEvent>, StoreError> {
        let conn = self.lock();
        let key = reference.to_string();
        let exists: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM requests WHERE reference = ?1)",
            [&key],
            |row| row.get(0),
        )?;
        if !exists {
            return Err(StoreError::NotFound(*reference));
        }
        let mut stmt = conn.prepare_cached(
            r#"SELECT at, "by", kind, from_value, to_value, note FROM audit_events
               WHERE reference = ?1 ORDER BY id"#,
        )?;
        let rows = stmt
            .query_map([&key], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, Option<String>>(3)?,
                    row.get::<_, Option<String>>(4)?,
                    row.get::<_, Option<String>>(5)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(at, by, kind, from, to, note)| {
                Ok(AuditEvent {
                    at: read_time("audit event time", &at)?,
                    by,
                    kind: AuditKind::parse(&kind).map_err(|e| corrupt("audit kind", e))?,
                    from,
                    to,
                    note,
                })
            })
            .collect()
    }

    fn log_question(&self, question: &LoggedQuestion) -> Result<(), StoreError> {
        self.log.log(question)
    }

    fn questions_since(&self, since: time::Date) -> Result<Vec<LoggedQuestion>, StoreError> {
        self.log.flush()?;
        questions::since(&self.lock(), since)
    }

    fn record_vote(
        &self,
        token_id: &str,
        vote: crate::questions::Vote,
        now: OffsetDateTime,
    ) -> Result<crate::questions::VoteOutcome, StoreError> {
        let at = db_time("vote time", now)?;
        self.log.flush()?;
        self.write(|conn| questions::record_vote(conn, token_id, vote, &at))
    }

    fn question_marks(&self) -> Result<Vec<(String, crate::questions::GroupState)>, StoreError> {
        questions::marks(&self.lock())
    }

    fn mark_question_group(
        &self,
        wording: &str,
        state: crate::questions::GroupState,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let by = staff_name(Field::Actor, by)?;
        let at = db_time("mark time", now)?;
        self.write(|conn| questions::mark(conn, wording, state, &by, &at))
    }

    fn feedback_key(&self) -> Result<Vec<u8>, StoreError> {
        Ok(self
            .lock()
            .query_row("SELECT \"key\" FROM feedback_key WHERE id = 1", [], |r| {
                r.get(0)
            })?)
    }

    fn erase_person(
        &self,
        email: &Email,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<Erasure, StoreError> {
        let by = staff_name(Field::Actor, by)?;
        let at = db_time("erasure time", now)?;
        let erasure = self.write(|conn| {
            // Matched in Rust rather than with SQLite's NOCASE, which folds ASCII only: an
            // erasure must not miss "Élise@…" because it was logged as "élise@…". The scan
            // is cheap at the Unit's volume, and erasures are rare.
            let mut references = Vec::new();
            {
                let mut stmt = conn.prepare("SELECT reference, requester_email FROM requests")?;
                let mut rows = stmt.query([])?;
                while let Some(row) = rows.next()? {
                    let stored: String = row.get(1)?;
                    if email.same_mailbox(&stored) {
                        references.push(row.get::<_, String>(0)?);
                    }
                }
            }
            let mut keys = Vec::new();
            {
                let mut stmt = conn.prepare(
                    r#"SELECT "key", contact_email FROM conversations
                       WHERE contact_email IS NOT NULL"#,
                )?;
                let mut rows = stmt.query([])?;
                while let Some(row) = rows.next()? {
                    let stored: String = row.get(1)?;
                    if email.same_mailbox(&stored) {
                        keys.push(row.get::<_, String>(0)?);
                    }
                }
            }
            for reference in &references {
                // Notes and events would go by cascade; deleting them by name does not
                // depend on the foreign_keys pragma being on.
                conn.execute("DELETE FROM staff_notes WHERE reference = ?1", [reference])?;
                conn.execute("DELETE FROM audit_events WHERE reference = ?1", [reference])?;
                conn.execute("DELETE FROM requests WHERE reference = ?1", [reference])?;
            }
            for key in &keys {
                conn.execute(r#"DELETE FROM conversations WHERE "key" = ?1"#, [key])?;
            }
            let erasure = Erasure {
                requests: references.len(),
                conversations: keys.len(),
            };
            conn.execute(
                r#"INSERT INTO erasures (at, "by", requests, conversations)
                   VALUES (?1, ?2, ?3, ?4)"#,
                params![
                    at,
                    by,
                    i64::try_from(erasure.requests).unwrap_or(i64::MAX),
                    i64::try_from(erasure.conversations).unwrap_or(i64::MAX)
                ],
            )?;
            Ok(erasure)
        })?;
        // Copy the change into the main file and empty the WAL, which still holds the old
        // pages with the person's data.
        crate::db::checkpoint(&self.lock());
        // Counts only: logging the address would defeat the erasure.
        tracing::info!(
            requests = erasure.requests,
            conversations = erasure.conversations,
            "person's data erased"
        );
        Ok(erasure)
    }
}

/// The request log's part of an erasure or a purge (see [`crate::privacy`]).
impl crate::privacy::PersonalData for SqliteStore {
    fn holder(&self) -> &'static str {
        "request log"
    }

    fn erase(
        &self,
        email: &Email,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<(&'static str, usize)>, crate::privacy::PrivacyError> {
        let erased = self
            .erase_person(email, by, now)
            .map_err(|e| crate::privacy::PrivacyError::new("request log", e))?;
        Ok(vec![
            ("request", erased.requests),
            ("conversation", erased.conversations),
        ])
    }

    fn purge(&self, before: OffsetDateTime) -> Result<usize, crate::privacy::PrivacyError> {
        let fail = |e| crate::privacy::PrivacyError::new("request log", e);
        let conversations = self.purge_conversations(before).map_err(fail)?;
        // The questions log and the queue built on it keep no sender, but their text is
        // what people typed: it follows the conversations' retention period.
        let questions = self
            .log
            .flush()
            .and_then(|()| self.write(|conn| questions::purge(conn, before.date())))
            .map_err(fail)?;
        Ok(conversations + questions)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::Arc;

    use tempfile::TempDir;
    use time::macros::datetime;

    use super::*;

    const T0: OffsetDateTime = datetime!(2026-03-01 14:00 UTC);

    fn minutes(n: i64) -> OffsetDateTime {
        T0 + time::Duration::minutes(n)
    }

    fn store() -> (TempDir, std::sync::Arc<SqliteStore>) {
        let dir = TempDir::new().expect("a temporary folder");
        let store = SqliteStore::open(&dir.path().join("requests.db")).expect("a fresh store");
        (dir, std::sync::Arc::new(store))
    }

    /// The staff desk over `store`: the status and assignment policy.
    fn desk(store: &std::sync::Arc<SqliteStore>) -> crate::requests::RequestDesk {
        crate::requests::RequestDesk::new(store.clone())
    }

    fn new_request(name: &str, email: &str) -> NewRequest {
        NewRequest {
            channel: Channel::Web,
            requester_name: name.to_string(),
            requester_email: Email::parse(email).unwrap(),
            requester_handle: None,
            organization: "Université de Montréal".into(),
            request_type: RequestType::LetterOfSupport,
            description: "Nous demandons une lettre d'appui.".into(),
            language: Language::Fr,
            transcript: vec![],
            attachments: vec![],
        }
    }

    fn create(store: &SqliteStore, name: &str, email: &str, at: OffsetDateTime) -> Request {
        store.create_request(new_request(name, email), at).unwrap()
    }

    /// Every text value in every table, to prove what an erasure left behind.
    fn all_text(path: &Path) -> String {
        let conn = Connection::open(path).unwrap();
        let mut text = String::new();
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for table in tables {
            let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
            let columns = stmt.column_count();
            let mut rows = stmt.query([]).unwrap();
            while let Some(row) = rows.next().unwrap() {
                for i in 0..columns {
                    if let Ok(Some(value)) = row.get::<_, Option<String>>(i) {
                        text.push_str(&value);
                        text.push('\n');
                    }
                }
            }
        }
        text
    }

    #[test]
    fn migrations_run_once_and_reopening_a_file_keeps_its_data() {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("nested/folder/requests.db");
        let store = SqliteStore::open(&path).unwrap();
        assert!(path.is_file(), "open creates the folder and the file");
        let created = create(&store, "Jane Doe", "jane@umontreal.ca", T0);
        drop(store);

        let applied = |path: &Path| -> Vec<(i64, String)> {
            Connection::open(path)
                .unwrap()
                .prepare("SELECT version, applied_at FROM schema_migrations ORDER BY version")
                .unwrap()
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        let first = applied(&path);
        assert_eq!(
            first.len(),
            MIGRATIONS.len(),
            "each migration recorded once"
        );

        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(applied(&path), first, "reopening applies nothing again");
        assert_eq!(
            store.get_request(&created.reference).unwrap(),
            Some(created)
        );
        let conn = store.lock();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let foreign_keys: bool = conn
            .query_row("PRAGMA foreign_keys", [], |row| row.get(0))
            .unwrap();
        assert!(foreign_keys);
    }

    #[cfg(unix)]
    #[test]
    fn a_new_database_file_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, _store) = store();
        let mode = std::fs::metadata(dir.path().join("requests.db"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_database_from_a_newer_guichet_is_refused() {
        let (dir, store) = store();
        let path = store.path().to_path_buf();
        drop(store);
        Connection::open(&path)
            .unwrap()
            .execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (99, 'x')",
                [],
            )
            .unwrap();
        let err = SqliteStore::open(&path).unwrap_err();
        assert!(
            matches!(
                &err,
                StoreError::Database(DbError::TooNew { found: 99, .. })
            ),
            "{err}"
        );
        drop(dir);
    }

    #[test]
    fn a_created_request_reads_back_with_every_field() {
        let (_dir, store) = store();
        let transcript = vec![
            TranscriptEntry {
                at: datetime!(2026-03-01 13:58:01.123456789 UTC),
                from: Speaker::Person,
                text: "Bonjour, j'ai besoin d'une lettre d'appui.".into(),
            },
            TranscriptEntry {
                at: datetime!(2026-03-01 13:58:02 UTC),
                from: Speaker::Guichet,
                text: "Quel est votre nom ?".into(),
            },
        ];
        let new = NewRequest {
            channel: Channel::Discord,
            requester_name: "Émilie Côté".into(),
            requester_email: Email::parse("Emilie.Cote@USherbrooke.ca").unwrap(),
            requester_handle: Some("emilie#1234".into()),
            organization: "CIUSSS de l'Estrie-CHUS".into(),
            request_type: RequestType::GrantApplication,
            description: "Demande FRQS\nDeuxième ligne".into(),
            language: Language::Fr,
            transcript: transcript.clone(),
            attachments: vec!["protocole.pdf".into(), "budget.xlsx".into()],
        };
        let now = datetime!(2026-03-01 09:00:00.5 -5);
        let created = store.create_request(new.clone(), now).unwrap();
        assert_eq!(created.reference.to_string(), "SSA-2026-00001");
        assert_eq!(created.created_at, now);
        assert_eq!(created.updated_at, now);
        assert_eq!(
            created.created_at.offset(),
            time::UtcOffset::UTC,
            "times come back in UTC"
        );
        assert_eq!(created.status, RequestStatus::New);
        assert_eq!(created.closed_reason, None);
        assert_eq!(created.assignee, None);
        assert_eq!(created.channel, Channel::Discord);
        assert_eq!(created.requester_name, "Émilie Côté");
        assert_eq!(
            created.requester_email.as_str(),
            "Emilie.Cote@usherbrooke.ca"
        );
        assert_eq!(created.requester_handle.as_deref(), Some("emilie#1234"));
        assert_eq!(created.organization, "CIUSSS de l'Estrie-CHUS");
        assert_eq!(created.request_type, RequestType::GrantApplication);
        assert_eq!(created.description, "Demande FRQS\nDeuxième ligne");
        assert_eq!(created.language, Language::Fr);
        assert_eq!(created.transcript, transcript, "nanoseconds survive");
        assert_eq!(created.attachments, ["protocole.pdf", "budget.xlsx"]);
        assert!(created.staff_notes.is_empty());

        let read = store.get_request(&created.reference).unwrap();
        assert_eq!(read.as_ref(), Some(&created));
        let history = store.history(&created.reference).unwrap();
        assert_eq!(
            history,
            [AuditEvent {
                at: now,
                by: GUICHET_ACTOR.into(),
                kind: AuditKind::Created,
                from: None,
                to: Some("new".into()),
                note: None,
            }]
        );
        assert_eq!(
            store
                .get_request(&RequestRef::new(2026, 2).unwrap())
                .unwrap(),
            None
        );
    }

    #[test]
    fn references_are_numbered_per_year_and_restart_at_one_in_a_new_year() {
        let (_dir, store) = store();
        let refs: Vec<String> = (0..3)
            .map(|i| {
                create(&store, "A", "a@x.ca", minutes(i))
                    .reference
                    .to_string()
            })
            .collect();
        assert_eq!(refs, ["SSA-2026-00001", "SSA-2026-00002", "SSA-2026-00003"]);
        let next_year = create(&store, "B", "b@x.ca", datetime!(2027-01-01 00:00:01 UTC));
        assert_eq!(next_year.reference.to_string(), "SSA-2027-00001");
        let late = create(&store, "C", "c@x.ca", datetime!(2026-12-31 23:59 UTC));
        assert_eq!(late.reference.to_string(), "SSA-2026-00004");
    }

    #[test]
    fn a_reference_number_is_never_reused_after_an_erasure() {
        let (_dir, store) = store();
        create(&store, "A", "a@x.ca", minutes(0));
        let erased = create(&store, "B", "b@x.ca", minutes(1));
        assert_eq!(erased.reference.to_string(), "SSA-2026-00002");
        store
            .erase_person(
                &Email::parse("b@x.ca").unwrap(),
                "privacy officer",
                minutes(2),
            )
            .unwrap();
        let next = create(&store, "C", "c@x.ca", minutes(3));
        assert_eq!(next.reference.to_string(), "SSA-2026-00003");
    }

    #[test]
    fn concurrent_creators_on_one_store_never_share_a_reference() {
        let (_dir, store) = store();
        let store = Arc::new(store);
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let store = Arc::clone(&store);
                std::thread::spawn(move || {
                    (0..25)
                        .map(|i| {
                            let name = format!("Thread {t} request {i}");
                            create(&store, &name, "t@x.ca", minutes(i)).reference
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let refs: Vec<RequestRef> = threads
            .into_iter()
            .flat_map(|t| t.join().expect("a creator thread"))
            .collect();
        let distinct: BTreeSet<RequestRef> = refs.iter().copied().collect();
        assert_eq!(distinct.len(), 200, "200 distinct references");
        let seqs: BTreeSet<u32> = distinct.iter().map(RequestRef::seq).collect();
        assert_eq!(seqs, (1..=200).collect(), "numbers 1 to 200, no gap");
        assert_eq!(
            store
                .list_requests(&RequestFilter::default())
                .unwrap()
                .len(),
            200
        );
    }

    #[test]
    fn concurrent_creators_on_separate_connections_never_share_a_reference() {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("requests.db");
        SqliteStore::open(&path).unwrap();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || {
                    // Each thread is a separate process as far as SQLite is concerned.
                    let store = SqliteStore::open(&path).unwrap();
                    (0..25)
                        .map(|i| create(&store, "P", "p@x.ca", minutes(i)).reference)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let distinct: BTreeSet<RequestRef> = threads
            .into_iter()
            .flat_map(|t| t.join().expect("a creator thread"))
            .collect();
        assert_eq!(distinct.len(), 100);
        assert_eq!(distinct.iter().map(RequestRef::seq).max(), Some(100));
    }

    #[test]
    fn a_request_moves_forward_and_never_backwards_or_in_place() {
        let (_dir, store) = store();
        let r = create(&store, "A", "a@x.ca", T0).reference;
        let moved = desk(&store)
            .set_status(&r, RequestStatus::Triaged, None, "Marie", minutes(1))
            .unwrap();
        assert_eq!(moved.status, RequestStatus::Triaged);
        assert_eq!(moved.updated_at, minutes(1));
        assert!(matches!(
            desk(&store).set_status(&r, RequestStatus::Triaged, None, "Marie", minutes(2)),
            Err(StoreError::InvalidTransition {
                from: RequestStatus::Triaged,
                to: RequestStatus::Triaged
            })
        ));
        assert!(matches!(
            desk(&store).set_status(&r, RequestStatus::New, Some("oops"), "Marie", minutes(2)),
            Err(StoreError::InvalidTransition {
                from: RequestStatus::Triaged,
                to: RequestStatus::New
            })
        ));
        let skipped = desk(&store)
            .set_status(&r, RequestStatus::InProgress, None, "Marie", minutes(3))
            .unwrap();
        assert_eq!(skipped.status, RequestStatus::InProgress);
        assert!(matches!(
            desk(&store).set_status(&r, RequestStatus::Assigned, None, "Marie", minutes(4)),
            Err(StoreError::InvalidTransition {
                from: RequestStatus::InProgress,
                to: RequestStatus::Assigned
            })
        ));
        let unchanged = store.get_request(&r).unwrap().unwrap();
        assert_eq!(unchanged.status, RequestStatus::InProgress);
        assert_eq!(
            unchanged.updated_at,
            minutes(3),
            "a refused move changes nothing"
        );
        assert_eq!(store.history(&r).unwrap().len(), 3, "created + two moves");
    }

    #[test]
    fn closing_needs_a_reason_which_is_kept() {
        let (_dir, store) = store();
        let r = create(&store, "A", "a@x.ca", T0).reference;
        for note in [None, Some(""), Some("   \n ")] {
            assert!(
                matches!(
                    desk(&store).set_status(&r, RequestStatus::Closed, note, "Marie", minutes(1)),
                    Err(StoreError::ReasonRequired)
                ),
                "{note:?}"
            );
        }
        assert_eq!(
            store.get_request(&r).unwrap().unwrap().status,
            RequestStatus::New
        );
        let closed = desk(&store)
            .set_status(
                &r,
                RequestStatus::Closed,
                Some(" Hors mandat "),
                "Marie",
                minutes(2),
            )
            .unwrap();
        assert_eq!(closed.status, RequestStatus::Closed);
        assert_eq!(closed.closed_reason.as_deref(), Some("Hors mandat"));
        assert!(matches!(
            desk(&store).set_status(
                &r,
                RequestStatus::Closed,
                Some("again"),
                "Marie",
                minutes(3)
            ),
            Err(StoreError::InvalidTransition {
                from: RequestStatus::Closed,
                to: RequestStatus::Closed
            })
        ));
    }

    #[test]
    fn a_closed_request_only_reopens_to_new_or_triaged_with_a_reason() {
        let (_dir, store) = store();
        let r = create(&store, "A", "a@x.ca", T0).reference;
        desk(&store)
            .set_status(
                &r,
                RequestStatus::Closed,
                Some("doublon"),
                "Marie",
                minutes(1),
            )
            .unwrap();
        for refused in [RequestStatus::Assigned, RequestStatus::InProgress] {
            assert!(matches!(
                desk(&store).set_status(&r, refused, Some("why not"), "Marie", minutes(2)),
                Err(StoreError::InvalidTransition {
                    from: RequestStatus::Closed,
                    to
                }) if to == refused
            ));
        }
        assert!(matches!(
            desk(&store).set_status(&r, RequestStatus::Triaged, None, "Marie", minutes(2)),
            Err(StoreError::ReasonRequired)
        ));
        let reopened = desk(&store)
            .set_status(
                &r,
                RequestStatus::Triaged,
                Some("pas un doublon"),
                "Luc",
                minutes(3),
            )
            .unwrap();
        assert_eq!(reopened.status, RequestStatus::Triaged);
        assert_eq!(reopened.closed_reason, None, "reopening clears the reason");
        let last = store.history(&r).unwrap().pop().unwrap();
        assert_eq!(last.kind, AuditKind::Reopened);
        assert_eq!(last.by, "Luc");
        assert_eq!(last.from.as_deref(), Some("closed"));
        assert_eq!(last.to.as_deref(), Some("triaged"));
        assert_eq!(last.note.as_deref(), Some("pas un doublon"));

        let r2 = create(&store, "B", "b@x.ca", T0).reference;
        desk(&store)
            .set_status(&r2, RequestStatus::Closed, Some("x"), "Marie", minutes(1))
            .unwrap();
        let back_to_new = desk(&store)
            .set_status(&r2, RequestStatus::New, Some("erreur"), "Marie", minutes(2))
            .unwrap();
        assert_eq!(back_to_new.status, RequestStatus::New);
    }

    #[test]
    fn a_change_needs_a_named_staff_member() {
        let (_dir, store) = store();
        let r = create(&store, "A", "a@x.ca", T0).reference;
        assert!(matches!(
            desk(&store).set_status(&r, RequestStatus::Triaged, None, "  ", minutes(1)),
            Err(StoreError::Invalid(ModelError::Empty {
                field: Field::Actor
            }))
        ));
        assert!(matches!(
            desk(&store).assign(&r, "", "Marie", minutes(1)),
            Err(StoreError::Invalid(ModelError::Empty {
                field: Field::Assignee
            }))
        ));
        assert!(matches!(
            desk(&store).add_note(&r, "note", "", minutes(1)),
            Err(StoreError::Invalid(ModelError::Empty {
                field: Field::Actor
            }))
        ));
        assert!(matches!(
            desk(&store).assign(&r, "Marie\nTremblay", "Luc", minutes(1)),
            Err(StoreError::Invalid(ModelError::ControlCharacters {
                field: Field::Assignee
            }))
        ));
    }

    #[test]
    fn assigning_a_new_or_triaged_request_moves_it_to_assigned() {
        let (_dir, store) = store();
        let r = create(&store, "A", "a@x.ca", T0).reference;
        let assigned = desk(&store)
            .assign(&r, "Marie Tremblay", "Luc", minutes(1))
            .unwrap();
        assert_eq!(assigned.assignee.as_deref(), Some("Marie Tremblay"));
        assert_eq!(assigned.status, RequestStatus::Assigned);
        assert_eq!(assigned.updated_at, minutes(1));
        let history = store.history(&r).unwrap();
        let kinds: Vec<AuditKind> = history.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [AuditKind::Created, AuditKind::Assigned, AuditKind::Status]
        );
        assert_eq!(history[1].to.as_deref(), Some("Marie Tremblay"));
        assert_eq!(history[1].from, None);
        assert_eq!(history[2].from.as_deref(), Some("new"));
        assert_eq!(history[2].to.as_deref(), Some("assigned"));

        let triaged = create(&store, "B", "b@x.ca", T0).reference;
        desk(&store)
            .set_status(&triaged, RequestStatus::Triaged, None, "Luc", minutes(1))
            .unwrap();
        assert_eq!(
            desk(&store)
                .assign(&triaged, "Luc", "Luc", minutes(2))
                .unwrap()
                .status,
            RequestStatus::Assigned
        );
    }

    #[test]
    fn reassigning_a_request_in_progress_keeps_its_status() {
        let (_dir, store) = store();
        let r = create(&store, "A", "a@x.ca", T0).reference;
        desk(&store).assign(&r, "Marie", "Luc", minutes(1)).unwrap();
        desk(&store)
            .set_status(&r, RequestStatus::InProgress, None, "Marie", minutes(2))
            .unwrap();
        let reassigned = desk(&store).assign(&r, "Paul", "Luc", minutes(3)).unwrap();
        assert_eq!(reassigned.status, RequestStatus::InProgress);
        assert_eq!(reassigned.assignee.as_deref(), Some("Paul"));
        let last = store.history(&r).unwrap().pop().unwrap();
        assert_eq!(
            (last.kind, last.from.as_deref(), last.to.as_deref()),
            (AuditKind::Assigned, Some("Marie"), Some("Paul"))
        );

        let again = desk(&store).assign(&r, "Paul", "Luc", minutes(4)).unwrap();
        assert_eq!(
            again.updated_at,
            minutes(3),
            "assigning the same person is no change"
        );
        assert_eq!(store.history(&r).unwrap().len(), 5);
    }

    #[test]
    fn a_closed_request_cannot_be_assigned() {
        let (_dir, store) = store();
        let r = create(&store, "A", "a@x.ca", T0).reference;
        desk(&store)
            .set_status(&r, RequestStatus::Closed, Some("done"), "Marie", minutes(1))
            .unwrap();
        assert!(matches!(
            desk(&store).assign(&r, "Paul", "Luc", minutes(2)),
            Err(StoreError::InvalidTransition {
                from: RequestStatus::Closed,
                to: RequestStatus::Assigned
            })
        ));
    }

    #[test]
    fn staff_notes_are_kept_in_order_with_author_and_time() {
        let (_dir, store) = store();
        let r = create(&store, "A", "a@x.ca", T0).reference;
        desk(&store)
            .add_note(&r, "Appelée le 2 mars", "Marie", minutes(1))
            .unwrap();
        let request = desk(&store)
            .add_note(&r, "  Attend son CV\nà relancer ", "Luc", minutes(2))
            .unwrap();
        assert_eq!(
            request.staff_notes,
            [
                StaffNote {
                    at: minutes(1),
                    by: "Marie".into(),
                    text: "Appelée le 2 mars".into()
                },
                StaffNote {
                    at: minutes(2),
                    by: "Luc".into(),
                    text: "Attend son CV\nà relancer".into()
                },
            ]
        );
        assert_eq!(request.updated_at, minutes(2));
        assert!(matches!(
            desk(&store).add_note(&r, " \n ", "Luc", minutes(3)),
            Err(StoreError::Invalid(ModelError::Empty {
                field: Field::Note
            }))
        ));
        let last = store.history(&r).unwrap().pop().unwrap();
        assert_eq!(last.kind, AuditKind::Note);
        assert_eq!(last.note.as_deref(), Some("Attend son CV\nà relancer"));
    }

    #[test]
    fn messages_are_appended_to_the_transcript() {
        let (_dir, store) = store();
        let r = create(&store, "A", "a@x.ca", T0).reference;
        let entry = TranscriptEntry {
            at: minutes(5),
            from: Speaker::Person,
            text: "Voici mon CV".into(),
        };
        let request = store
            .append_transcript(&r, entry.clone(), minutes(6))
            .unwrap();
        assert_eq!(request.transcript, [entry]);
        assert_eq!(request.updated_at, minutes(6));
        let last = store.history(&r).unwrap().pop().unwrap();
        assert_eq!(
            (last.kind, last.to.as_deref(), last.at),
            (AuditKind::Transcript, Some("person"), minutes(6))
        );
        let too_long = TranscriptEntry {
            at: minutes(7),
            from: Speaker::Person,
            text: "x".repeat(crate::requests::model::MAX_TRANSCRIPT_TEXT_CHARS + 1),
        };
        assert!(matches!(
            store.append_transcript(&r, too_long, minutes(7)),
            Err(StoreError::Invalid(ModelError::TooLong {
                field: Field::TranscriptMessage,
                ..
            }))
        ));
    }

    #[test]
    fn changes_to_an_unknown_request_report_it_as_not_found() {
        let (_dir, store) = store();
        let missing = RequestRef::new(2026, 42).unwrap();
        let not_found = |result: Result<Request, StoreError>| matches!(result, Err(StoreError::NotFound(r)) if r == missing);
        assert!(not_found(desk(&store).set_status(
            &missing,
            RequestStatus::Triaged,
            None,
            "M",
            T0
        )));
        assert!(not_found(desk(&store).assign(&missing, "M", "M", T0)));
        assert!(not_found(desk(&store).add_note(&missing, "n", "M", T0)));
        let entry = TranscriptEntry {
            at: T0,
            from: Speaker::Staff,
            text: "t".into(),
        };
        assert!(not_found(store.append_transcript(&missing, entry, T0)));
        assert!(matches!(
            store.history(&missing),
            Err(StoreError::NotFound(r)) if r == missing
        ));
        assert_eq!(
            StoreError::NotFound(missing).to_string(),
            "no request SSA-2026-00042"
        );
    }

    #[test]
    fn history_records_who_when_from_to_and_why_in_order() {
        let (_dir, store) = store();
        let r = create(&store, "A", "a@x.ca", T0).reference;
        desk(&store)
            .set_status(&r, RequestStatus::Triaged, Some("lu"), "Marie", minutes(1))
            .unwrap();
        desk(&store)
            .assign(&r, "Paul", "Marie", minutes(2))
            .unwrap();
        desk(&store)
            .add_note(&r, "rappeler", "Paul", minutes(3))
            .unwrap();
        desk(&store)
            .set_status(
                &r,
                RequestStatus::Closed,
                Some("lettre envoyée"),
                "Paul",
                minutes(4),
            )
            .unwrap();
        let history = store.history(&r).unwrap();
        let seen: Vec<_> = history
            .iter()
            .map(|e| {
                (
                    e.at,
                    e.by.as_str(),
                    e.kind,
                    e.from.as_deref(),
                    e.to.as_deref(),
                    e.note.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (T0, "guichet", AuditKind::Created, None, Some("new"), None),
                (
                    minutes(1),
                    "Marie",
                    AuditKind::Status,
                    Some("new"),
                    Some("triaged"),
                    Some("lu")
                ),
                (
                    minutes(2),
                    "Marie",
                    AuditKind::Assigned,
                    None,
                    Some("Paul"),
                    None
                ),
                (
                    minutes(2),
                    "Marie",
                    AuditKind::Status,
                    Some("triaged"),
                    Some("assigned"),
                    None
                ),
                (
                    minutes(3),
                    "Paul",
                    AuditKind::Note,
                    None,
                    None,
                    Some("rappeler")
                ),
                (
                    minutes(4),
                    "Paul",
                    AuditKind::Status,
                    Some("assigned"),
                    Some("closed"),
                    Some("lettre envoyée")
                ),
            ]
        );
    }

    #[test]
    fn lists_newest_first_and_filters_by_status_assignee_type_and_text() {
        let (_dir, store) = store();
        let a = create(&store, "Émilie Côté", "emilie@usherbrooke.ca", minutes(0)).reference;
        let mut training = new_request("John Smith", "john@mcgill.ca");
        training.request_type = RequestType::Training;
        training.organization = "McGill University".into();
        training.description = "Workshop on PATIENT partnership".into();
        let b = store
            .create_request(training, minutes(1))
            .unwrap()
            .reference;
        let c = create(&store, "Luc Roy", "luc@ulaval.ca", minutes(2)).reference;
        desk(&store)
            .assign(&a, "Marie Tremblay", "Luc", minutes(3))
            .unwrap();
        desk(&store)
            .set_status(
                &c,
                RequestStatus::Closed,
                Some("hors mandat"),
                "Luc",
                minutes(3),
            )
            .unwrap();

        let refs = |filter: RequestFilter| -> Vec<RequestRef> {
            store
                .list_requests(&filter)
                .unwrap()
                .into_iter()
                .map(|r| r.reference)
                .collect()
        };
        assert_eq!(refs(RequestFilter::default()), [c, b, a], "newest first");
        assert_eq!(
            refs(RequestFilter {
                status: Some(RequestStatus::Closed),
                ..Default::default()
            }),
            [c]
        );
        assert_eq!(
            refs(RequestFilter {
                assignee: Some("marie TREMBLAY".into()),
                ..Default::default()
            }),
            [a]
        );
        assert_eq!(
            refs(RequestFilter {
                request_type: Some(RequestType::Training),
                ..Default::default()
            }),
            [b]
        );
        for (search, expected) in [
            ("émilie", vec![a]),
            ("ÉMILIE CÔTÉ", vec![a]),
            ("patient", vec![b]),
            ("mcgill", vec![b]),
            ("@ulaval.ca", vec![c]),
            ("ssa-2026-00002", vec![b]),
            ("lettre d'appui", vec![c, a]),
            ("nobody", vec![]),
        ] {
            assert_eq!(
                refs(RequestFilter {
                    search: Some(search.into()),
                    ..Default::default()
                }),
                expected,
                "search {search:?}"
            );
        }
        assert_eq!(
            refs(RequestFilter {
                limit: Some(2),
                ..Default::default()
            }),
            [c, b]
        );
        assert_eq!(
            refs(RequestFilter {
                search: Some("lettre".into()),
                limit: Some(1),
                ..Default::default()
            }),
            [c]
        );
        assert_eq!(
            refs(RequestFilter {
                status: Some(RequestStatus::Assigned),
                request_type: Some(RequestType::Training),
                ..Default::default()
            }),
            []
        );
        let listed = store.list_requests(&RequestFilter::default()).unwrap();
        assert_eq!(listed[2].assignee.as_deref(), Some("Marie Tremblay"));
    }

    #[test]
    fn newest_first_compares_instants_not_text() {
        let (_dir, store) = store();
        // "…00Z" sorts after "…00.5Z" as plain RFC 3339 text, though it is earlier.
        let earlier = create(&store, "A", "a@x.ca", datetime!(2026-03-01 14:00:00 UTC)).reference;
        let later = create(&store, "B", "b@x.ca", datetime!(2026-03-01 14:00:00.5 UTC)).reference;
        let listed: Vec<RequestRef> = store
            .list_requests(&RequestFilter::default())
            .unwrap()
            .into_iter()
            .map(|r| r.reference)
            .collect();
        assert_eq!(listed, [later, earlier]);
    }

    fn conversation(key: &str, email: Option<&str>, at: OffsetDateTime) -> StoredConversation {
        StoredConversation {
            key: key.into(),
            channel: Channel::Email,
            contact_email: email.map(|e| Email::parse(e).unwrap()),
            state: serde_json::json!({"step": "ask_name", "lang": "fr"}),
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn conversations_are_saved_loaded_replaced_and_deleted() {
        let (_dir, store) = store();
        assert_eq!(store.load_conversation("web:1").unwrap(), None);
        let first = conversation("web:1", None, T0);
        store.save_conversation(&first).unwrap();
        assert_eq!(
            store.load_conversation("web:1").unwrap(),
            Some(first.clone())
        );

        let second = StoredConversation {
            contact_email: Some(Email::parse("jane@x.ca").unwrap()),
            state: serde_json::json!({"step": "ask_type", "name": "Jane"}),
            created_at: minutes(9),
            updated_at: minutes(5),
            ..first.clone()
        };
        store.save_conversation(&second).unwrap();
        let loaded = store.load_conversation("web:1").unwrap().unwrap();
        assert_eq!(loaded.state, second.state, "the state is replaced");
        assert_eq!(loaded.contact_email, second.contact_email);
        assert_eq!(loaded.updated_at, minutes(5));
        assert_eq!(
            loaded.created_at, T0,
            "the first save's creation time is kept"
        );

        store.delete_conversation("web:1").unwrap();
        assert_eq!(store.load_conversation("web:1").unwrap(), None);
        store.delete_conversation("web:1").unwrap();
    }

    #[test]
    fn a_conversation_key_must_be_plain_and_its_state_bounded() {
        let (_dir, store) = store();
        for key in ["", " web:1", "web\n1"] {
            assert!(
                matches!(
                    store.save_conversation(&conversation(key, None, T0)),
                    Err(StoreError::Invalid(_))
                ),
                "{key:?}"
            );
        }
        let mut huge = conversation("web:2", None, T0);
        huge.state = serde_json::json!({ "text": "x".repeat(MAX_CONVERSATION_STATE_BYTES) });
        assert!(matches!(
            store.save_conversation(&huge),
            Err(StoreError::Invalid(ModelError::TooLarge {
                field: Field::ConversationState,
                ..
            }))
        ));
    }

    #[test]
    fn purging_deletes_only_conversations_idle_since_before_the_cutoff() {
        let (_dir, store) = store();
        store
            .save_conversation(&conversation("old", None, minutes(0)))
            .unwrap();
        store
            .save_conversation(&conversation("edge", None, minutes(10)))
            .unwrap();
        store
            .save_conversation(&conversation("fresh", None, minutes(20)))
            .unwrap();
        let mut revived = conversation("revived", None, minutes(0));
        store.save_conversation(&revived).unwrap();
        revived.updated_at = minutes(30);
        store.save_conversation(&revived).unwrap();

        assert_eq!(store.purge_conversations(minutes(10)).unwrap(), 1);
        assert_eq!(store.load_conversation("old").unwrap(), None);
        for kept in ["edge", "fresh", "revived"] {
            assert!(
                store.load_conversation(kept).unwrap().is_some(),
                "{kept} kept"
            );
        }
        assert_eq!(store.purge_conversations(minutes(10)).unwrap(), 0);
        assert_eq!(store.purge_conversations(minutes(60)).unwrap(), 3);
    }

    #[test]
    fn erasing_a_person_removes_their_requests_and_conversations_only() {
        let (dir, store) = store();
        let gone = "Jane.Doe@umontreal.ca";
        let a1 = create(&store, "Jane Secretname", gone, minutes(0)).reference;
        let a2 = create(
            &store,
            "Jane Secretname",
            "jane.doe@UMONTREAL.CA",
            minutes(1),
        )
        .reference;
        desk(&store)
            .add_note(&a1, "Jane Secretname rappelle", "Marie", minutes(2))
            .unwrap();
        desk(&store)
            .assign(&a2, "Marie", "Luc", minutes(2))
            .unwrap();
        let kept = create(&store, "John Smith", "john@mcgill.ca", minutes(3)).reference;
        desk(&store)
            .add_note(&kept, "suivi", "Marie", minutes(4))
            .unwrap();
        store
            .save_conversation(&conversation("email:1", Some("JANE.DOE@umontreal.ca"), T0))
            .unwrap();
        store
            .save_conversation(&conversation("web:2", None, T0))
            .unwrap();
        store
            .save_conversation(&conversation("web:3", Some("john@mcgill.ca"), T0))
            .unwrap();

        let erasure = store
            .erase_person(
                &Email::parse("jane.doe@umontreal.ca").unwrap(),
                "Privacy Officer",
                minutes(5),
            )
            .unwrap();
        assert_eq!(
            erasure,
            Erasure {
                requests: 2,
                conversations: 1
            }
        );
        assert_eq!(store.get_request(&a1).unwrap(), None);
        assert_eq!(store.get_request(&a2).unwrap(), None);
        assert!(matches!(
            store.history(&a1),
            Err(StoreError::NotFound(r)) if r == a1
        ));
        assert_eq!(store.load_conversation("email:1").unwrap(), None);
        assert!(store.load_conversation("web:2").unwrap().is_some());
        assert!(store.load_conversation("web:3").unwrap().is_some());
        let survivor = store
            .get_request(&kept)
            .unwrap()
            .expect("John's request is kept");
        assert_eq!(survivor.staff_notes.len(), 1);
        assert_eq!(store.history(&kept).unwrap().len(), 2);

        let path = dir.path().join("requests.db");
        drop(store);
        let remaining = all_text(&path).to_lowercase();
        assert!(!remaining.contains("jane"), "no trace of Jane in any table");
        assert!(!remaining.contains("secretname"));
        assert!(remaining.contains("john@mcgill.ca"));
        let conn = Connection::open(&path).unwrap();
        let logged: (String, String, i64, i64) = conn
            .query_row(
                r#"SELECT at, "by", requests, conversations FROM erasures"#,
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .unwrap();
        assert_eq!(
            logged,
            (
                "2026-03-01T14:05:00.000000000Z".to_string(),
                "Privacy Officer".to_string(),
                2,
                1
            )
        );
    }

    #[test]
    fn an_erased_person_leaves_no_bytes_in_the_database_files() {
        let (dir, store) = store();
        // Every byte of every file in the folder (the database, its WAL and shared memory).
        let files_contain = |needle: &str| {
            std::fs::read_dir(dir.path()).unwrap().any(|entry| {
                let bytes = std::fs::read(entry.unwrap().path()).unwrap();
                bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
            })
        };
        create(&store, "Zéphyrine Quasimodo", "zephyrine@x.ca", T0);
        create(&store, "John Smith", "john@x.ca", T0);
        assert!(
            files_contain("Quasimodo"),
            "the scan finds data that is there"
        );
        store
            .erase_person(
                &Email::parse("zephyrine@x.ca").unwrap(),
                "Privacy Officer",
                minutes(1),
            )
            .unwrap();
        assert!(
            !files_contain("Quasimodo"),
            "the name is gone from every file"
        );
        assert!(
            !files_contain("zephyrine@x.ca"),
            "the address is gone from every file"
        );
        assert!(files_contain("John Smith"));
    }

    #[test]
    fn hostile_text_is_stored_verbatim_and_oversized_text_is_refused() {
        let (_dir, store) = store();
        let mut hostile = new_request("Robert'); DROP TABLE requests;-- <b>", "bobby@x.ca");
        hostile.description =
            "<script>alert('x')</script>\n\"quoted\" 'single' \\ backslash\r\nemoji 🎉👩🏽‍🔬 \u{202E}"
                .into();
        hostile.organization = "=HYPERLINK(\"http://evil\")".into();
        hostile.attachments = vec!["../../etc/passwd".into()];
        let created = store.create_request(hostile.clone(), T0).unwrap();
        let read = store.get_request(&created.reference).unwrap().unwrap();
        assert_eq!(read.requester_name, hostile.requester_name);
        assert_eq!(read.description, hostile.description.trim());
        assert_eq!(read.organization, hostile.organization);
        assert_eq!(read.attachments, hostile.attachments);
        assert_eq!(
            store
                .list_requests(&RequestFilter::default())
                .unwrap()
                .len(),
            1,
            "the requests table is still there"
        );

        let mut huge = new_request("Jane", "jane@x.ca");
        huge.description = "x".repeat(1_000_000);
        let err = store.create_request(huge, T0).unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Invalid(ModelError::TooLong {
                    field: Field::Description,
                    len: 1_000_000,
                    max: 20_000
                })
            ),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "description is too long (1000000 characters; at most 20000)"
        );
        assert!(err.is_client_error());
        assert_eq!(
            store
                .list_requests(&RequestFilter::default())
                .unwrap()
                .len(),
            1,
            "nothing was stored"
        );
        let next = create(&store, "Jane", "jane@x.ca", T0);
        assert_eq!(next.reference.seq(), 2, "a refused request uses no number");
    }

    #[test]
    fn a_stored_value_guichet_could_not_have_written_is_a_database_error_with_its_cause() {
        let (_dir, store) = store();
        let r = create(&store, "A", "a@x.ca", T0).reference;
        store
            .lock()
            .execute_batch(
                "UPDATE audit_events SET kind = 'bogus';
                 UPDATE requests SET created_at = '2026-03-01 14:00:00';",
            )
            .unwrap();
        let err = store.history(&r).unwrap_err();
        assert!(!err.is_client_error());
        let StoreError::Database(DbError::Unreadable { what, source }) = &err else {
            panic!("not an unreadable value: {err:?}");
        };
        assert_eq!(what, "audit kind");
        assert!(
            matches!(
                source.downcast_ref::<ModelError>(),
                Some(ModelError::UnknownCode {
                    field: Field::AuditKind,
                    ..
                })
            ),
            "{source:?}"
        );
        assert!(
            err.to_string().contains("'bogus'"),
            "the logs see the value: {err}"
        );
        let err = store.get_request(&r).unwrap_err();
        let StoreError::Database(DbError::Unreadable { what, source }) = &err else {
            panic!("not an unreadable value: {err:?}");
        };
        assert!(
            what.contains("created_at") && what.contains("2026-03-01 14:00:00"),
            "{what}"
        );
        assert!(
            source.downcast_ref::<time::error::Parse>().is_some(),
            "{source:?}"
        );
    }

    #[test]
    fn a_request_dated_outside_the_reference_years_is_refused() {
        let (_dir, store) = store();
        let err = store
            .create_request(new_request("A", "a@x.ca"), datetime!(1999-12-31 23:00 UTC))
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Invalid(ModelError::Year { year: 1999 })),
            "{err}"
        );
    }
}
