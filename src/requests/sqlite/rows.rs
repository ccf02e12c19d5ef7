//! Between rows and values: reading requests, notes and times out of the database, and
//! writing changes with their audit events.

use super::*;

/// Writes one change and its audit event.
pub(super) fn write_change(
    conn: &Connection,
    reference: &RequestRef,
    at: &str,
    by: &str,
    change: &Change,
) -> Result<(), StoreError> {
    let r = reference.to_string();
    match change {
        Change::Status { from, to, reason } => {
            let reason = reason
                .as_deref()
                .map(|n| multi_line(Field::Reason, n, MAX_NOTE_CHARS, false))
                .transpose()?
                .filter(|n| !n.is_empty());
            let closed_reason = (*to == RequestStatus::Closed).then_some(reason.as_deref());
            conn.execute(
                "UPDATE requests SET status = ?1, closed_reason = ?2 WHERE reference = ?3",
                params![to.code(), closed_reason.flatten(), r],
            )?;
            let kind = if *from == RequestStatus::Closed {
                AuditKind::Reopened
            } else {
                AuditKind::Status
            };
            insert_event(
                conn,
                reference,
                at,
                by,
                kind,
                Some(from.code()),
                Some(to.code()),
                reason.as_deref(),
            )
        }
        Change::Assignee { from, to } => {
            let to = staff_name(Field::Assignee, to)?;
            conn.execute(
                "UPDATE requests SET assignee = ?1 WHERE reference = ?2",
                params![to, r],
            )?;
            insert_event(
                conn,
                reference,
                at,
                by,
                AuditKind::Assigned,
                from.as_deref(),
                Some(&to),
                None,
            )
        }
        Change::Note(note) => {
            let note = multi_line(Field::Note, note, MAX_NOTE_CHARS, true)?;
            conn.execute(
                r#"INSERT INTO staff_notes (reference, at, "by", text) VALUES (?1, ?2, ?3, ?4)"#,
                params![r, at, by, note],
            )?;
            insert_event(
                conn,
                reference,
                at,
                by,
                AuditKind::Note,
                None,
                None,
                Some(&note),
            )
        }
    }
}

/// Formats a time for the database ([`crate::db::format_time`]), once it is checked to
/// be in the years that form sorts in.
pub(super) fn db_time(field: &'static str, at: OffsetDateTime) -> Result<String, StoreError> {
    check_time(field, at)?;
    Ok(crate::db::format_time(at))
}

/// A conversation checked and in its database form.
pub(super) struct ConversationRow<'a> {
    pub(super) key: String,
    pub(super) channel: &'static str,
    pub(super) contact_email: Option<&'a str>,
    pub(super) state: String,
    pub(super) created_at: String,
    pub(super) updated_at: String,
}

pub(super) fn conversation_row(
    conversation: &StoredConversation,
) -> Result<ConversationRow<'_>, StoreError> {
    let key = one_line(
        Field::ConversationKey,
        &conversation.key,
        MAX_CONVERSATION_KEY_CHARS,
        true,
    )?;
    if key != conversation.key {
        // Trimming would silently save under another key than the one loaded later.
        return Err(ModelError::Spaces {
            field: Field::ConversationKey,
        }
        .into());
    }
    let state = to_json_text("conversation state", &conversation.state)?;
    if state.len() > MAX_CONVERSATION_STATE_BYTES {
        return Err(ModelError::TooLarge {
            field: Field::ConversationState,
            len: state.len(),
            max: MAX_CONVERSATION_STATE_BYTES,
        }
        .into());
    }
    Ok(ConversationRow {
        key,
        channel: conversation.channel.code(),
        contact_email: conversation.contact_email.as_ref().map(Email::as_str),
        state,
        created_at: db_time("conversation created_at", conversation.created_at)?,
        updated_at: db_time("conversation updated_at", conversation.updated_at)?,
    })
}

/// A value in the database that guichet could not have written, and why it cannot be read.
pub(super) fn corrupt(
    what: &str,
    error: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> StoreError {
    DbError::unreadable(what, error).into()
}

/// A stored code that is none of the values guichet writes.
pub(super) fn unknown(what: &str, value: &str) -> StoreError {
    corrupt(what, UnknownValue(value.to_string()))
}

pub(super) fn read_time(what: &str, text: &str) -> Result<OffsetDateTime, StoreError> {
    crate::db::parse_time(text).map_err(|e| corrupt(&format!("{what} {text:?}"), e))
}

/// A `requests` row as text, before parsing: filtering on the text first avoids parsing
/// the transcripts of rows a search leaves out.
pub(super) struct RequestRow {
    pub(super) reference: String,
    pub(super) created_at: String,
    pub(super) updated_at: String,
    pub(super) status: String,
    pub(super) closed_reason: Option<String>,
    pub(super) assignee: Option<String>,
    pub(super) channel: String,
    pub(super) requester_name: String,
    pub(super) requester_email: String,
    pub(super) requester_handle: Option<String>,
    pub(super) organization: String,
    pub(super) request_type: String,
    pub(super) description: String,
    pub(super) language: String,
    pub(super) transcript: String,
    pub(super) attachments: String,
}

impl RequestRow {
    /// Reads a row selected with [`REQUEST_COLUMNS`].
    pub(super) fn read(row: &Row<'_>) -> rusqlite::Result<RequestRow> {
        Ok(RequestRow {
            reference: row.get(0)?,
            created_at: row.get(1)?,
            updated_at: row.get(2)?,
            status: row.get(3)?,
            closed_reason: row.get(4)?,
            assignee: row.get(5)?,
            channel: row.get(6)?,
            requester_name: row.get(7)?,
            requester_email: row.get(8)?,
            requester_handle: row.get(9)?,
            organization: row.get(10)?,
            request_type: row.get(11)?,
            description: row.get(12)?,
            language: row.get(13)?,
            transcript: row.get(14)?,
            attachments: row.get(15)?,
        })
    }

    /// Whether `needle` (already lowercased) occurs in the searchable fields.
    pub(super) fn contains(&self, needle: &str) -> bool {
        [
            &self.reference,
            &self.requester_name,
            &self.requester_email,
            &self.organization,
            &self.description,
        ]
        .iter()
        .any(|field| field.to_lowercase().contains(needle))
    }

    pub(super) fn into_request(self, staff_notes: Vec<StaffNote>) -> Result<Request, StoreError> {
        let reference = RequestRef::parse(&self.reference).map_err(|e| corrupt("reference", e))?;
        let what = |field: &str| format!("{field} of {reference}");
        Ok(Request {
            reference,
            created_at: read_time(&what("created_at"), &self.created_at)?,
            updated_at: read_time(&what("updated_at"), &self.updated_at)?,
            status: RequestStatus::parse(&self.status).map_err(|e| corrupt(&what("status"), e))?,
            closed_reason: self.closed_reason,
            assignee: self.assignee,
            channel: Channel::parse(&self.channel).map_err(|e| corrupt(&what("channel"), e))?,
            requester_name: self.requester_name,
            requester_email: Email::parse(&self.requester_email)
                .map_err(|e| corrupt(&what("email"), e))?,
            requester_handle: self.requester_handle,
            organization: self.organization,
            request_type: RequestType::parse(&self.request_type)
                .map_err(|e| corrupt(&what("request type"), e))?,
            description: self.description,
            language: self
                .language
                .parse::<Language>()
                .map_err(|e| corrupt(&what("language"), e))?,
            transcript: serde_json::from_str(&self.transcript)
                .map_err(|e| corrupt(&what("transcript"), e))?,
            attachments: serde_json::from_str(&self.attachments)
                .map_err(|e| corrupt(&what("attachments"), e))?,
            staff_notes,
        })
    }
}

pub(super) fn load_request(
    conn: &Connection,
    reference: &RequestRef,
) -> Result<Option<Request>, StoreError> {
    let key = reference.to_string();
    let row = conn
        .query_row(
            &format!("SELECT {REQUEST_COLUMNS} FROM requests WHERE reference = ?1"),
            [&key],
            RequestRow::read,
        )
        .optional()?;
    match row {
        Some(row) => Ok(Some(row.into_request(load_notes(conn, &key)?)?)),
        None => Ok(None),
    }
}

pub(super) fn load_notes(conn: &Connection, reference: &str) -> Result<Vec<StaffNote>, StoreError> {
    let mut stmt = conn.prepare_cached(
        r#"SELECT at, "by", text FROM staff_notes WHERE reference = ?1 ORDER BY id"#,
    )?;
    let rows = stmt
        .query_map([reference], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(at, by, text)| {
            Ok(StaffNote {
                at: read_time("staff note time", &at)?,
                by,
                text,
            })
        })
        .collect()
}

#[allow(clippy::too_many_arguments)] // one argument per column; a struct would only rename them
pub(super) fn insert_event(
    conn: &Connection,
    reference: &RequestRef,
    at: &str,
    by: &str,
    kind: AuditKind,
    from: Option<&str>,
    to: Option<&str>,
    note: Option<&str>,
) -> Result<(), StoreError> {
    conn.execute(
        r#"INSERT INTO audit_events (reference, at, "by", kind, from_value, to_value, note)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"#,
        params![reference.to_string(), at, by, kind.code(), from, to, note],
    )?;
    Ok(())
}

pub(super) fn to_json_text<T: serde::Serialize>(
    what: &'static str,
    value: &T,
) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|source| DbError::Json { what, source }.into())
}
