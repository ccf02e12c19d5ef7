//! The fields of a request a value can be refused for ([`Field`]), and the checks for
//! free-text fields: trimmed, bounded, and on one line where a line break would be a
//! paste accident.

use super::{ModelError, MAX_SHORT_TEXT_CHARS};
use crate::language::Language;
use crate::messages::Msg;

/// Which value was refused, named in English for the logs ([`Field::name`]) and in the
/// person's language for them ([`Field::label`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Organization,
    /// The person's handle on a chat channel.
    Handle,
    Description,
    AttachmentName,
    Attachments,
    TranscriptMessage,
    TranscriptMessages,
    /// The staff member making a change (its author).
    Actor,
    /// The staff member put in charge of a request.
    Assignee,
    /// A staff note.
    Note,
    /// The note given with a new status: the reason to close or reopen.
    Reason,
    Status,
    RequestType,
    Channel,
    Speaker,
    AuditKind,
    ConversationKey,
    ConversationState,
    /// The id of the message that confirmed a request.
    Origin,
    /// The id of a question wording in the questions queue.
    QuestionGroup,
    /// A time; the text says which (`"vote time"`).
    Time(&'static str),
}

impl Field {
    /// The field's English name, as logs and the CLI show it.
    pub fn name(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Organization => "organization",
            Field::Handle => "handle",
            Field::Description => "description",
            Field::AttachmentName => "attachment name",
            Field::Attachments => "attachments",
            Field::TranscriptMessage => "transcript message",
            Field::TranscriptMessages => "transcript messages",
            Field::Actor => "by",
            Field::Assignee => "staff",
            Field::Note => "note",
            Field::Reason => "reason",
            Field::Status => "status",
            Field::RequestType => "request type",
            Field::Channel => "channel",
            Field::Speaker => "speaker",
            Field::AuditKind => "audit kind",
            Field::ConversationKey => "conversation key",
            Field::ConversationState => "conversation state",
            Field::Origin => "request origin",
            Field::QuestionGroup => "question group id",
            Field::Time(which) => which,
        }
    }

    /// The field's label in `lang`, as forms and pages show it.
    pub fn label(self, lang: Language) -> &'static str {
        let msg = match self {
            Field::Name => Msg::FieldName,
            Field::Organization => Msg::FieldOrganization,
            Field::Handle => Msg::StaffHandle,
            Field::Description => Msg::FieldDescription,
            Field::AttachmentName => Msg::FieldAttachmentName,
            Field::Attachments => Msg::StaffAttachments,
            Field::TranscriptMessage | Field::TranscriptMessages => Msg::StaffTranscript,
            Field::Actor => Msg::FieldActor,
            Field::Assignee => Msg::StaffAssignee,
            Field::Note | Field::Reason => Msg::StaffNote,
            Field::Status => Msg::StaffStatus,
            Field::RequestType => Msg::FieldType,
            Field::Channel => Msg::StaffChannel,
            Field::Time(_) => Msg::FieldTime,
            Field::Speaker
            | Field::AuditKind
            | Field::ConversationKey
            | Field::ConversationState
            | Field::Origin
            | Field::QuestionGroup => Msg::FieldInternal,
        };
        msg.text(lang)
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A one-line field (name, organization, staff name): trimmed, bounded, no control
/// characters (a line break in a name is a paste accident, and would break the terminal
/// table and mail headers).
pub(crate) fn one_line(
    field: Field,
    value: &str,
    max: usize,
    required: bool,
) -> Result<String, ModelError> {
    let value = value.trim();
    if value.is_empty() && required {
        return Err(ModelError::Empty { field });
    }
    let len = value.chars().count();
    if len > max {
        return Err(ModelError::TooLong { field, len, max });
    }
    if value.chars().any(char::is_control) {
        return Err(ModelError::ControlCharacters { field });
    }
    Ok(value.to_string())
}

/// A multi-line field (description, note, message): trimmed and bounded; line breaks and
/// anything else are kept as written, and escaped where they are shown.
pub(crate) fn multi_line(
    field: Field,
    value: &str,
    max: usize,
    required: bool,
) -> Result<String, ModelError> {
    let value = value.trim();
    if value.is_empty() && required {
        return Err(ModelError::Empty { field });
    }
    let len = value.chars().count();
    if len > max {
        return Err(ModelError::TooLong { field, len, max });
    }
    Ok(value.to_string())
}

/// A staff member's name, as given to `assign` or as the author of a change.
pub(crate) fn staff_name(field: Field, value: &str) -> Result<String, ModelError> {
    one_line(field, value, MAX_SHORT_TEXT_CHARS, true)
}
