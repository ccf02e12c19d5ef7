//! The request log's domain types: an email address, a request reference, a status and
//! its allowed moves, the Unit's request types, channels, transcripts, and the request
//! record itself. Each type checks its input when it is built, so the store and the
//! channels can trust any value they hold.
//!
//! Each part lives in its own file (`email`, `reference`, `status`, `kinds`, `fields`,
//! `record`, `audit`, `times`); everything is re-exported here, so
//! `crate::requests::model::X` stays the path to use.

/// Longest email address accepted, in characters (RFC 5321's path limit less the brackets).
pub const MAX_EMAIL_CHARS: usize = 254;
/// Longest local part (before the `@`) accepted, in characters (RFC 5321).
pub const MAX_EMAIL_LOCAL_CHARS: usize = 64;
/// Longest requester name kept, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest organization, chat handle or staff name kept, in characters.
pub const MAX_SHORT_TEXT_CHARS: usize = 300;
/// Longest request description, in characters: a form's text box, not a document.
pub const MAX_DESCRIPTION_CHARS: usize = 20_000;
/// Longest staff note or closing reason, in characters.
pub const MAX_NOTE_CHARS: usize = 20_000;
/// Longest single transcript message, in characters. An email with its quoted history
/// can be long; the conversation engine cuts anything longer before storing it.
pub const MAX_TRANSCRIPT_TEXT_CHARS: usize = 50_000;
/// Most transcript messages kept on one request.
pub const MAX_TRANSCRIPT_ENTRIES: usize = 1_000;
/// Most attachment names noted on one request, and the longest name.
pub const MAX_ATTACHMENTS: usize = 100;
pub const MAX_ATTACHMENT_NAME_CHARS: usize = 255;

/// Why a value is not a valid piece of a request: which field and why. `Display` is
/// English, for the logs and the CLI; [`ModelError::message`] says it to the person who
/// typed the value, in their language (it only quotes their own input, shortened).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ModelError {
    #[error("'{input}' is not a valid email address: {reason}")]
    Email { input: String, reason: &'static str },
    #[error("'{0}' is not a request reference (expected SSA-YYYY-NNNNN, e.g. SSA-2026-00042)")]
    RequestRef(String),
    #[error("unknown {field} '{value}' (expected one of: {expected})")]
    UnknownCode {
        field: Field,
        value: String,
        expected: String,
    },
    #[error("{field} must not be empty")]
    Empty { field: Field },
    #[error("{field} is too long ({len} characters; at most {max})")]
    TooLong {
        field: Field,
        len: usize,
        max: usize,
    },
    #[error("{field} must not contain control characters or line breaks")]
    ControlCharacters { field: Field },
    #[error("too many {field} ({len}; at most {max})")]
    TooMany {
        field: Field,
        len: usize,
        max: usize,
    },
    #[error("{field}: the date {value} is out of range (years 0 to 9999)")]
    TimeOutOfRange { field: Field, value: String },
    #[error("{field} must not start or end with spaces")]
    Spaces { field: Field },
    #[error("{field} is too large ({len} bytes; at most {max})")]
    TooLarge {
        field: Field,
        len: usize,
        max: usize,
    },
    #[error("{field} must be {min} to {max} characters")]
    Length {
        field: Field,
        min: usize,
        max: usize,
    },
    #[error("a request cannot be dated {year} (references cover the years 2000 to 9999)")]
    Year { year: i32 },
    #[error("no request number left for {year} (after {highest})")]
    NoNumberLeft { year: i32, highest: i64 },
    #[error("the transcript of {reference} is full ({max} messages)")]
    TranscriptFull { reference: RequestRef, max: usize },
}

/// Quotes a user's input in an error, cut to 80 characters and "…" when longer, so a
/// pasted document does not become a megabyte-long error message.
fn shorten(input: &str) -> String {
    const MAX: usize = 80;
    // The ellipsis comes on top of the 80 characters quoted.
    crate::text::clip(input, MAX + 1)
}

// ---------------------------------------------------------------------------------------
// Coded enums
// ---------------------------------------------------------------------------------------

/// Gives a coded enum (one with `ALL`, `code()` and `parse_code()`) a `parse` that explains
/// a refusal, and its `Display`, `FromStr` and serde implementations, so the code is the
/// one spelling used in the database, JSON and CSV.
macro_rules! coded {
    ($type:ty, $field:expr) => {
        impl $type {
            /// Like `parse_code`, with an error that lists the accepted codes.
            pub fn parse(input: &str) -> Result<Self, $crate::requests::model::ModelError> {
                Self::parse_code(input).ok_or_else(|| {
                    $crate::requests::model::ModelError::UnknownCode {
                        field: $field,
                        value: $crate::requests::model::shorten(input.trim()),
                        expected: Self::ALL
                            .iter()
                            .map(|v| v.code())
                            .collect::<Vec<_>>()
                            .join(", "),
                    }
                })
            }
        }

        impl ::std::fmt::Display for $type {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.code())
            }
        }

        impl ::std::str::FromStr for $type {
            type Err = $crate::requests::model::ModelError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <$type>::parse(s)
            }
        }

        impl ::serde::Serialize for $type {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.code())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $type {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                let text = <String as ::serde::Deserialize>::deserialize(deserializer)?;
                <$type>::parse(&text).map_err(::serde::de::Error::custom)
            }
        }
    };
}

mod audit;
mod email;
mod fields;
mod kinds;
mod record;
mod reference;
mod status;
mod times;

pub use audit::{AuditEvent, AuditKind};
pub use email::Email;
pub use fields::Field;
pub(crate) use fields::{multi_line, one_line, staff_name};
pub use kinds::{Channel, RequestType, Speaker};
pub use record::{NewRequest, Request, StaffNote, TranscriptEntry};
pub use reference::RequestRef;
pub use status::RequestStatus;
pub(crate) use times::check_time;
pub use times::{format_rfc3339, parse_rfc3339, rfc3339};
