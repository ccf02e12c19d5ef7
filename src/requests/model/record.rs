//! The request record: transcript entries, a new request as a channel hands it over, staff
//! notes, and a logged request as the store returns it.

use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;

use super::fields::{multi_line, one_line, Field};
use super::{
    check_time, format_rfc3339, rfc3339, Channel, Email, ModelError, RequestRef, RequestStatus,
    RequestType, Speaker, MAX_ATTACHMENTS, MAX_ATTACHMENT_NAME_CHARS, MAX_DESCRIPTION_CHARS,
    MAX_NAME_CHARS, MAX_SHORT_TEXT_CHARS, MAX_TRANSCRIPT_ENTRIES, MAX_TRANSCRIPT_TEXT_CHARS,
};
use crate::language::Language;

/// One message of the conversation that led to (or followed) a request, kept so staff
/// see what the person actually wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptEntry {
    #[serde(with = "rfc3339")]
    pub at: OffsetDateTime,
    pub from: Speaker,
    pub text: String,
}

impl TranscriptEntry {
    /// Checks the entry's time and length, trimming its text.
    pub fn validated(self) -> Result<TranscriptEntry, ModelError> {
        check_time("transcript time", self.at)?;
        Ok(TranscriptEntry {
            text: multi_line(
                Field::TranscriptMessage,
                &self.text,
                MAX_TRANSCRIPT_TEXT_CHARS,
                false,
            )?,
            ..self
        })
    }
}

/// A request as a channel hands it to the store, before it has a reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRequest {
    pub channel: Channel,
    /// Non-empty, at most [`MAX_NAME_CHARS`] characters, one line.
    pub requester_name: String,
    pub requester_email: Email,
    /// The person's handle on a chat channel (a Discord user name), to answer them there.
    pub requester_handle: Option<String>,
    /// May be empty: members of the public have none.
    pub organization: String,
    pub request_type: RequestType,
    /// At most [`MAX_DESCRIPTION_CHARS`] characters.
    pub description: String,
    /// The language to answer the person in.
    pub language: Language,
    pub transcript: Vec<TranscriptEntry>,
    /// Names of files the person sent (from an email); the files themselves are not kept.
    pub attachments: Vec<String>,
}

impl NewRequest {
    /// Checks every field (lengths, line breaks, times) and trims text, so a form can
    /// report a mistake before submitting. The store calls it too, so nothing unchecked is
    /// ever written.
    pub fn validated(self) -> Result<NewRequest, ModelError> {
        let requester_handle = match self.requester_handle {
            Some(handle) => {
                let handle = one_line(Field::Handle, &handle, MAX_SHORT_TEXT_CHARS, false)?;
                (!handle.is_empty()).then_some(handle)
            }
            None => None,
        };
        if self.transcript.len() > MAX_TRANSCRIPT_ENTRIES {
            return Err(ModelError::TooMany {
                field: Field::TranscriptMessages,
                len: self.transcript.len(),
                max: MAX_TRANSCRIPT_ENTRIES,
            });
        }
        if self.attachments.len() > MAX_ATTACHMENTS {
            return Err(ModelError::TooMany {
                field: Field::Attachments,
                len: self.attachments.len(),
                max: MAX_ATTACHMENTS,
            });
        }
        Ok(NewRequest {
            channel: self.channel,
            requester_name: one_line(Field::Name, &self.requester_name, MAX_NAME_CHARS, true)?,
            requester_email: self.requester_email,
            requester_handle,
            organization: one_line(
                Field::Organization,
                &self.organization,
                MAX_SHORT_TEXT_CHARS,
                false,
            )?,
            request_type: self.request_type,
            description: multi_line(
                Field::Description,
                &self.description,
                MAX_DESCRIPTION_CHARS,
                false,
            )?,
            language: self.language,
            transcript: self
                .transcript
                .into_iter()
                .map(TranscriptEntry::validated)
                .collect::<Result<_, _>>()?,
            attachments: self
                .attachments
                .iter()
                .map(|name| one_line(Field::AttachmentName, name, MAX_ATTACHMENT_NAME_CHARS, true))
                .collect::<Result<_, _>>()?,
        })
    }
}

/// A note a staff member wrote on a request (visible to staff only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffNote {
    #[serde(with = "rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
    pub text: String,
}

/// A logged request, as the store returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub reference: RequestRef,
    pub created_at: OffsetDateTime,
    /// The time of the last change of any kind (status, note, message…).
    pub updated_at: OffsetDateTime,
    pub status: RequestStatus,
    /// Why the request was closed; `None` unless it is closed.
    pub closed_reason: Option<String>,
    /// The staff member in charge, once assigned.
    pub assignee: Option<String>,
    pub channel: Channel,
    pub requester_name: String,
    pub requester_email: Email,
    pub requester_handle: Option<String>,
    pub organization: String,
    pub request_type: RequestType,
    pub description: String,
    pub language: Language,
    pub transcript: Vec<TranscriptEntry>,
    pub attachments: Vec<String>,
    /// Oldest first.
    pub staff_notes: Vec<StaffNote>,
}

impl Request {
    /// Every field as JSON: times in RFC 3339 (UTC), enums as their codes. The shape of
    /// exports and of the web API.
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "reference": self.reference.to_string(),
            "created_at": format_rfc3339(self.created_at),
            "updated_at": format_rfc3339(self.updated_at),
            "status": self.status.code(),
            "closed_reason": self.closed_reason,
            "assignee": self.assignee,
            "channel": self.channel.code(),
            "requester_name": self.requester_name,
            "requester_email": self.requester_email.as_str(),
            "requester_handle": self.requester_handle,
            "organization": self.organization,
            "request_type": self.request_type.code(),
            "description": self.description,
            "language": self.language.code(),
            "transcript": self.transcript.iter().map(|entry| json!({
                "at": format_rfc3339(entry.at),
                "from": entry.from.code(),
                "text": entry.text,
            })).collect::<Vec<_>>(),
            "attachments": self.attachments,
            "staff_notes": self.staff_notes.iter().map(|note| json!({
                "at": format_rfc3339(note.at),
                "by": note.by,
                "text": note.text,
            })).collect::<Vec<_>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::datetime;

    use super::*;

    #[test]
    fn transcript_entries_serialise_times_as_rfc3339_in_utc() {
        let entry = TranscriptEntry {
            at: datetime!(2026-03-01 09:05:12.5 -5),
            from: Speaker::Person,
            text: "Bonjour".into(),
        };
        let value = serde_json::to_value(&entry).unwrap();
        assert_eq!(
            value,
            json!({"at": "2026-03-01T14:05:12.5Z", "from": "person", "text": "Bonjour"})
        );
        let back: TranscriptEntry = serde_json::from_value(value).unwrap();
        assert_eq!(back, entry);
    }

    #[test]
    fn a_new_request_is_trimmed_and_its_limits_are_checked() {
        let base = NewRequest {
            channel: Channel::Web,
            requester_name: "  Jane Doe ".into(),
            requester_email: Email::parse("jane@x.ca").unwrap(),
            requester_handle: Some("  ".into()),
            organization: " CRCHUM ".into(),
            request_type: RequestType::Training,
            description: "\n Une formation ?\n".into(),
            language: Language::Fr,
            transcript: vec![],
            attachments: vec![],
        };
        let valid = base.clone().validated().unwrap();
        assert_eq!(valid.requester_name, "Jane Doe");
        assert_eq!(valid.requester_handle, None, "a blank handle is no handle");
        assert_eq!(valid.organization, "CRCHUM");
        assert_eq!(valid.description, "Une formation ?");

        let empty_name = NewRequest {
            requester_name: " ".into(),
            ..base.clone()
        };
        assert_eq!(
            empty_name.validated(),
            Err(ModelError::Empty { field: Field::Name })
        );
        let two_lines = NewRequest {
            requester_name: "Jane\nDoe".into(),
            ..base.clone()
        };
        assert!(two_lines.validated().is_err());
        let long_name = NewRequest {
            requester_name: "é".repeat(MAX_NAME_CHARS + 1),
            ..base.clone()
        };
        assert!(matches!(
            long_name.validated(),
            Err(ModelError::TooLong {
                field: Field::Name,
                ..
            })
        ));
        let exactly_at_limit = NewRequest {
            requester_name: "é".repeat(MAX_NAME_CHARS),
            description: "d".repeat(MAX_DESCRIPTION_CHARS),
            ..base
        };
        assert!(exactly_at_limit.validated().is_ok());
    }
}
