//! The request log's domain types: an email address, a request reference, a status and
//! its allowed moves, the Unit's request types, channels, transcripts, and the request
//! record itself. Each type checks its input when it is built, so the store and the
//! channels can trust any value they hold.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use crate::language::Language;

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

/// Why a value is not a valid piece of a request. The text is safe to show to the person
/// who typed the value (it only quotes their own input, shortened).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ModelError {
    #[error("'{input}' is not a valid email address: {reason}")]
    Email { input: String, reason: &'static str },
    #[error("'{0}' is not a request reference (expected SSA-YYYY-NNNNN, e.g. SSA-2026-00042)")]
    RequestRef(String),
    #[error("unknown {kind} '{value}' (expected one of: {expected})")]
    UnknownCode {
        kind: &'static str,
        value: String,
        expected: String,
    },
    #[error("{field} must not be empty")]
    Empty { field: &'static str },
    #[error("{field} is too long ({len} characters; at most {max})")]
    TooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },
    #[error("{field} must not contain control characters or line breaks")]
    ControlCharacters { field: &'static str },
    #[error("too many {field} ({len}; at most {max})")]
    TooMany {
        field: &'static str,
        len: usize,
        max: usize,
    },
    #[error("{field}: the date {value} is out of range (years 0 to 9999)")]
    TimeOutOfRange { field: &'static str, value: String },
}

/// Quotes at most 80 characters of a user's input in an error, so a pasted document does
/// not become a megabyte-long error message.
fn shorten(input: &str) -> String {
    const MAX: usize = 80;
    if input.chars().count() <= MAX {
        input.to_string()
    } else {
        let mut short: String = input.chars().take(MAX).collect();
        short.push('…');
        short
    }
}

// ---------------------------------------------------------------------------------------
// Times
// ---------------------------------------------------------------------------------------

/// Formats a time as RFC 3339 in UTC (`2026-03-01T14:05:12.5Z`), the form used in JSON and
/// exports. Falls back to `time`'s own display for years RFC 3339 cannot write; the store
/// refuses such times, so a stored request never takes that path.
pub fn format_rfc3339(at: OffsetDateTime) -> String {
    let utc = at.to_offset(UtcOffset::UTC);
    utc.format(&Rfc3339).unwrap_or_else(|_| utc.to_string())
}

/// Parses an RFC 3339 time, with any offset.
pub fn parse_rfc3339(text: &str) -> Result<OffsetDateTime, time::error::Parse> {
    OffsetDateTime::parse(text.trim(), &Rfc3339)
}

/// Checks that `at` can be written as RFC 3339 (years 0 to 9999).
pub(crate) fn check_time(field: &'static str, at: OffsetDateTime) -> Result<(), ModelError> {
    if (0..=9999).contains(&at.to_offset(UtcOffset::UTC).year()) {
        Ok(())
    } else {
        Err(ModelError::TimeOutOfRange {
            field,
            value: at.to_string(),
        })
    }
}

/// Serde helpers writing an `OffsetDateTime` as an RFC 3339 string (the `time` crate's own
/// serde support is a feature guichet does not enable).
pub mod rfc3339 {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::format_description::well_known::Rfc3339;
    use time::{OffsetDateTime, UtcOffset};

    /// Writes `at` in UTC; fails for years RFC 3339 cannot write (before 0, after 9999).
    pub fn serialize<S: Serializer>(at: &OffsetDateTime, serializer: S) -> Result<S::Ok, S::Error> {
        let text = at
            .to_offset(UtcOffset::UTC)
            .format(&Rfc3339)
            .map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(&text)
    }

    /// Reads an RFC 3339 time with any offset.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<OffsetDateTime, D::Error> {
        let text = String::deserialize(deserializer)?;
        super::parse_rfc3339(&text).map_err(serde::de::Error::custom)
    }
}

// ---------------------------------------------------------------------------------------
// Email
// ---------------------------------------------------------------------------------------

/// An email address a person gave, checked well enough to catch typos ("jane@", "jane
/// umontreal.ca") without pretending to implement all of RFC 5322. The domain is folded to
/// lowercase; the local part keeps its case (some mail servers care).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses an address: trimmed; one `@`; a local part of 1 to 64 characters without
    /// spaces, control characters or `<>()[],;:"`; a domain of dot-separated labels of ASCII
    /// letters, digits and inner hyphens ending with a top-level domain of two letters or
    /// more; 254 characters in all.
    pub fn parse(input: &str) -> Result<Email, ModelError> {
        let text = input.trim();
        let fail = |reason: &'static str| ModelError::Email {
            input: shorten(text),
            reason,
        };
        if text.is_empty() {
            return Err(fail("it is empty"));
        }
        if text.chars().count() > MAX_EMAIL_CHARS {
            return Err(fail("it is longer than 254 characters"));
        }
        let Some((local, domain)) = text.split_once('@') else {
            return Err(fail("it has no '@'"));
        };
        if domain.contains('@') {
            return Err(fail("it has more than one '@'"));
        }
        if local.is_empty() {
            return Err(fail("nothing comes before the '@'"));
        }
        if local.chars().count() > MAX_EMAIL_LOCAL_CHARS {
            return Err(fail("the part before the '@' is longer than 64 characters"));
        }
        if local
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\"".contains(c))
        {
            return Err(fail(
                "the part before the '@' contains a space or one of < > ( ) [ ] , ; : \"",
            ));
        }
        if domain.is_empty() {
            return Err(fail("nothing comes after the '@'"));
        }
        let domain = domain.to_ascii_lowercase();
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 {
            return Err(fail("the domain has no dot (e.g. umontreal.ca)"));
        }
        for label in &labels {
            if label.is_empty() {
                return Err(fail("the domain has an empty part (two dots in a row?)"));
            }
            if label.len() > 63 {
                return Err(fail("a part of the domain is longer than 63 characters"));
            }
            if !label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return Err(fail(
                    "the domain may only contain letters, digits, hyphens and dots",
                ));
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(fail("a part of the domain starts or ends with a hyphen"));
            }
        }
        // `labels` has at least two elements (checked above).
        let tld = labels[labels.len() - 1];
        if tld.len() < 2 || !tld.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(fail(
                "the domain must end with a top-level domain of at least two letters",
            ));
        }
        Ok(Email(format!("{local}@{domain}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether two addresses reach the same person, ignoring case everywhere (people type
    /// `Jane.Doe@` and `jane.doe@` for the same mailbox). Used by the privacy erasure.
    pub fn same_mailbox(&self, other: &str) -> bool {
        self.0.to_lowercase() == other.trim().to_lowercase()
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for Email {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Email::parse(s)
    }
}

impl Serialize for Email {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Email::parse(&text).map_err(serde::de::Error::custom)
    }
}

// ---------------------------------------------------------------------------------------
// Request reference
// ---------------------------------------------------------------------------------------

/// A request's reference, `SSA-YYYY-NNNNN` (e.g. `SSA-2026-00042`): what the person quotes
/// in emails and what staff type. Numbers restart at 1 each year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestRef {
    year: i32,
    seq: u32,
}

impl RequestRef {
    /// Years a reference may carry (the Unit did not exist before 2000; four digits).
    pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=9999;
    /// Sequence numbers a reference may carry (five digits, never 0).
    pub const SEQS: std::ops::RangeInclusive<u32> = 1..=99_999;

    /// The reference of the `seq`-th request of `year`.
    pub fn new(year: i32, seq: u32) -> Result<RequestRef, ModelError> {
        if Self::YEARS.contains(&year) && Self::SEQS.contains(&seq) {
            Ok(RequestRef { year, seq })
        } else {
            Err(ModelError::RequestRef(format!("SSA-{year:04}-{seq:05}")))
        }
    }

    /// Parses a reference typed by a person: surrounding spaces and one pair of square
    /// brackets are ignored, and so is case (`[ssa-2026-00042]`).
    pub fn parse(input: &str) -> Result<RequestRef, ModelError> {
        let text = input.trim();
        let inner = text
            .strip_prefix('[')
            .and_then(|t| t.strip_suffix(']'))
            .unwrap_or(text)
            .trim();
        match Self::match_at(inner.as_bytes(), 0) {
            Some((reference, end)) if end == inner.len() => Ok(reference),
            _ => Err(ModelError::RequestRef(shorten(text))),
        }
    }

    /// Finds the first reference in a free text, such as an email subject
    /// (`Re: [SSA-2026-00042] Lettre d'appui`). A reference glued to other letters or
    /// digits (`XSSA-2026-000421`) does not count.
    pub fn find_in(text: &str) -> Option<RequestRef> {
        let bytes = text.as_bytes();
        // The pattern is ASCII, and ASCII bytes never occur inside a multi-byte UTF-8
        // sequence, so scanning bytes is safe.
        (0..bytes.len()).find_map(|start| {
            if start > 0 && bytes[start - 1].is_ascii_alphanumeric() {
                return None;
            }
            let (reference, end) = Self::match_at(bytes, start)?;
            match bytes.get(end) {
                Some(next) if next.is_ascii_alphanumeric() => None,
                _ => Some(reference),
            }
        })
    }

    /// Matches `SSA-dddd-ddddd` (case-insensitive) at `start`; returns the reference and
    /// the index just after it.
    fn match_at(bytes: &[u8], start: usize) -> Option<(RequestRef, usize)> {
        const LEN: usize = "SSA-2026-00042".len();
        let candidate = bytes.get(start..start + LEN)?;
        if !candidate[..4].eq_ignore_ascii_case(b"SSA-") || candidate[8] != b'-' {
            return None;
        }
        let number = |digits: &[u8]| -> Option<u32> {
            digits.iter().try_fold(0u32, |n, &b| {
                b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
            })
        };
        let year = number(&candidate[4..8])?;
        let seq = number(&candidate[9..14])?;
        // A four-digit number always fits an i32.
        let reference = RequestRef::new(i32::try_from(year).ok()?, seq).ok()?;
        Some((reference, start + LEN))
    }

    pub fn year(&self) -> i32 {
        self.year
    }

    pub fn seq(&self) -> u32 {
        self.seq
    }
}

impl fmt::Display for RequestRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SSA-{:04}-{:05}", self.year, self.seq)
    }
}

impl FromStr for RequestRef {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RequestRef::parse(s)
    }
}

impl Serialize for RequestRef {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RequestRef {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        RequestRef::parse(&text).map_err(serde::de::Error::custom)
    }
}

// ---------------------------------------------------------------------------------------
// Coded enums
// ---------------------------------------------------------------------------------------

/// Gives a coded enum (one with `ALL`, `code()` and `parse_code()`) a `parse` that explains
/// a refusal, and its `Display`, `FromStr` and serde implementations, so the code is the
/// one spelling used in the database, JSON and CSV.
macro_rules! coded {
    ($type:ty, $kind:literal) => {
        impl $type {
            /// Like `parse_code`, with an error that lists the accepted codes.
            pub fn parse(input: &str) -> Result<Self, ModelError> {
                Self::parse_code(input).ok_or_else(|| ModelError::UnknownCode {
                    kind: $kind,
                    value: shorten(input.trim()),
                    expected: Self::ALL
                        .iter()
                        .map(|v| v.code())
                        .collect::<Vec<_>>()
                        .join(", "),
                })
            }
        }

        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }

        impl FromStr for $type {
            type Err = ModelError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <$type>::parse(s)
            }
        }

        impl Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.code())
            }
        }

        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                <$type>::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// Where a request stands. Requests move forward through the list in order; closing is
/// possible from anywhere (with a reason), and a closed request can only be reopened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RequestStatus {
    New,
    Triaged,
    Assigned,
    InProgress,
    Closed,
}

impl RequestStatus {
    pub const ALL: [RequestStatus; 5] = [
        RequestStatus::New,
        RequestStatus::Triaged,
        RequestStatus::Assigned,
        RequestStatus::InProgress,
        RequestStatus::Closed,
    ];

    /// The code stored and typed by staff: `new`, `triaged`, `assigned`, `in_progress`,
    /// `closed`.
    pub fn code(self) -> &'static str {
        match self {
            RequestStatus::New => "new",
            RequestStatus::Triaged => "triaged",
            RequestStatus::Assigned => "assigned",
            RequestStatus::InProgress => "in_progress",
            RequestStatus::Closed => "closed",
        }
    }

    /// Reads a code, also accepting what staff naturally type: `in-progress`,
    /// `inprogress`, and the French words (`nouvelle`, `triée`, `assignée`, `en cours`,
    /// `fermée`, with or without accents). Case is ignored.
    pub fn parse_code(input: &str) -> Option<RequestStatus> {
        let folded = input.trim().to_lowercase();
        let status = match folded.as_str() {
            "new" | "nouvelle" | "nouveau" => RequestStatus::New,
            "triaged" | "triée" | "triee" => RequestStatus::Triaged,
            "assigned" | "assignée" | "assignee" => RequestStatus::Assigned,
            "in_progress" | "in-progress" | "inprogress" | "in progress" | "en_cours"
            | "en cours" | "en-cours" => RequestStatus::InProgress,
            "closed" | "fermée" | "fermee" => RequestStatus::Closed,
            _ => return None,
        };
        Some(status)
    }

    /// The status as a person reads it.
    pub fn label(self, lang: Language) -> &'static str {
        match (self, lang) {
            (RequestStatus::New, Language::Fr) => "Nouvelle",
            (RequestStatus::New, Language::En) => "New",
            (RequestStatus::Triaged, Language::Fr) => "Triée",
            (RequestStatus::Triaged, Language::En) => "Triaged",
            (RequestStatus::Assigned, Language::Fr) => "Assignée",
            (RequestStatus::Assigned, Language::En) => "Assigned",
            (RequestStatus::InProgress, Language::Fr) => "En cours",
            (RequestStatus::InProgress, Language::En) => "In progress",
            (RequestStatus::Closed, Language::Fr) => "Fermée",
            (RequestStatus::Closed, Language::En) => "Closed",
        }
    }

    /// Whether a request may move from this status to `next`: forward in the list, to
    /// Closed from any open status, and from Closed only back to New or Triaged (a
    /// reopen). Staying put is not a move.
    pub fn can_move_to(self, next: RequestStatus) -> bool {
        match (self, next) {
            _ if self == next => false,
            (RequestStatus::Closed, RequestStatus::New | RequestStatus::Triaged) => true,
            (RequestStatus::Closed, _) => false,
            (_, RequestStatus::Closed) => true,
            _ => next > self,
        }
    }

    /// Whether the move to `next` needs a written reason: closing (the person will ask
    /// why) and reopening (staff will ask why).
    pub fn needs_reason_to_move_to(self, next: RequestStatus) -> bool {
        self != next && (self == RequestStatus::Closed || next == RequestStatus::Closed)
    }
}

coded!(RequestStatus, "status");

/// The eight kinds of help the Unit offers, as listed on its "make a request" page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestType {
    ExploratoryMeeting,
    LetterOfSupport,
    GrantApplication,
    OngoingProject,
    Partnership,
    Training,
    CommunityOfPractice,
    ToolOrPlatform,
}

impl RequestType {
    /// Every type, in the order the Unit lists them (and guichet numbers them).
    pub const ALL: [RequestType; 8] = [
        RequestType::ExploratoryMeeting,
        RequestType::LetterOfSupport,
        RequestType::GrantApplication,
        RequestType::OngoingProject,
        RequestType::Partnership,
        RequestType::Training,
        RequestType::CommunityOfPractice,
        RequestType::ToolOrPlatform,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RequestType::ExploratoryMeeting => "exploratory_meeting",
            RequestType::LetterOfSupport => "letter_of_support",
            RequestType::GrantApplication => "grant_application",
            RequestType::OngoingProject => "ongoing_project",
            RequestType::Partnership => "partnership",
            RequestType::Training => "training",
            RequestType::CommunityOfPractice => "community_of_practice",
            RequestType::ToolOrPlatform => "tool_or_platform",
        }
    }

    /// Reads a code (case and `-`/`_` ignored: `letter-of-support` works too).
    pub fn parse_code(input: &str) -> Option<RequestType> {
        let folded = input.trim().to_ascii_lowercase().replace('-', "_");
        Self::ALL.into_iter().find(|t| t.code() == folded)
    }

    /// The type's name on the Unit's pages.
    pub fn label(self, lang: Language) -> &'static str {
        match (self, lang) {
            (RequestType::ExploratoryMeeting, Language::Fr) => "Rencontre exploratoire",
            (RequestType::ExploratoryMeeting, Language::En) => "Exploratory meeting",
            (RequestType::LetterOfSupport, Language::Fr) => "Lettre d'appui",
            (RequestType::LetterOfSupport, Language::En) => "Letter of support",
            (RequestType::GrantApplication, Language::Fr) => "Aide à une demande de subvention",
            (RequestType::GrantApplication, Language::En) => "Help with a grant application",
            (RequestType::OngoingProject, Language::Fr) => "Soutien à un projet en cours",
            (RequestType::OngoingProject, Language::En) => "Support for an ongoing project",
            (RequestType::Partnership, Language::Fr) => {
                "Partenariat patients, public et organisations"
            }
            (RequestType::Partnership, Language::En) => {
                "Patient, public and organizational partnership"
            }
            (RequestType::Training, Language::Fr) => "Formation",
            (RequestType::Training, Language::En) => "Training",
            (RequestType::CommunityOfPractice, Language::Fr) => "Communauté de pratique",
            (RequestType::CommunityOfPractice, Language::En) => "Community of practice",
            (RequestType::ToolOrPlatform, Language::Fr) => "Outil ou plateforme",
            (RequestType::ToolOrPlatform, Language::En) => "Tool or platform",
        }
    }
}

coded!(RequestType, "request type");

/// Where a conversation or request came from, so staff answer on the same channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Web,
    Terminal,
    Email,
    Discord,
    Teams,
}

impl Channel {
    pub const ALL: [Channel; 5] = [
        Channel::Web,
        Channel::Terminal,
        Channel::Email,
        Channel::Discord,
        Channel::Teams,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Terminal => "terminal",
            Channel::Email => "email",
            Channel::Discord => "discord",
            Channel::Teams => "teams",
        }
    }

    /// Reads a code (case ignored).
    pub fn parse_code(input: &str) -> Option<Channel> {
        let folded = input.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|c| c.code() == folded)
    }
}

coded!(Channel, "channel");

/// Who wrote a transcript message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Speaker {
    /// The person making the request.
    Person,
    /// guichet itself.
    Guichet,
    /// A member of the Unit's staff.
    Staff,
}

impl Speaker {
    pub const ALL: [Speaker; 3] = [Speaker::Person, Speaker::Guichet, Speaker::Staff];

    pub fn code(self) -> &'static str {
        match self {
            Speaker::Person => "person",
            Speaker::Guichet => "guichet",
            Speaker::Staff => "staff",
        }
    }

    /// Reads a code (case ignored).
    pub fn parse_code(input: &str) -> Option<Speaker> {
        let folded = input.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|s| s.code() == folded)
    }
}

coded!(Speaker, "speaker");

// ---------------------------------------------------------------------------------------
// Free text fields
// ---------------------------------------------------------------------------------------

/// A one-line field (name, organization, staff name): trimmed, bounded, no control
/// characters (a line break in a name is a paste accident, and would break the terminal
/// table and mail headers).
pub(crate) fn one_line(
    field: &'static str,
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
    field: &'static str,
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
pub(crate) fn staff_name(field: &'static str, value: &str) -> Result<String, ModelError> {
    one_line(field, value, MAX_SHORT_TEXT_CHARS, true)
}

// ---------------------------------------------------------------------------------------
// Transcripts, notes, requests
// ---------------------------------------------------------------------------------------

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
                "transcript message",
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
                let handle = one_line("handle", &handle, MAX_SHORT_TEXT_CHARS, false)?;
                (!handle.is_empty()).then_some(handle)
            }
            None => None,
        };
        if self.transcript.len() > MAX_TRANSCRIPT_ENTRIES {
            return Err(ModelError::TooMany {
                field: "transcript messages",
                len: self.transcript.len(),
                max: MAX_TRANSCRIPT_ENTRIES,
            });
        }
        if self.attachments.len() > MAX_ATTACHMENTS {
            return Err(ModelError::TooMany {
                field: "attachments",
                len: self.attachments.len(),
                max: MAX_ATTACHMENTS,
            });
        }
        Ok(NewRequest {
            channel: self.channel,
            requester_name: one_line("name", &self.requester_name, MAX_NAME_CHARS, true)?,
            requester_email: self.requester_email,
            requester_handle,
            organization: one_line(
                "organization",
                &self.organization,
                MAX_SHORT_TEXT_CHARS,
                false,
            )?,
            request_type: self.request_type,
            description: multi_line(
                "description",
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
                .map(|name| one_line("attachment name", name, MAX_ATTACHMENT_NAME_CHARS, true))
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

/// What kind of change an audit event records. The meaning of `from` and `to` depends on
/// the kind (see each variant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditKind {
    /// The request was logged; `to` is its first status.
    Created,
    /// The status changed; `from` and `to` are status codes, `note` the reason if any.
    Status,
    /// The assignee changed; `from` and `to` are staff names.
    Assigned,
    /// A staff note was added; `note` is its text.
    Note,
    /// A message was added to the transcript; `to` is the speaker's code.
    Transcript,
    /// A closed request was reopened; `from` is `closed`, `to` the new status, `note` why.
    Reopened,
}

impl AuditKind {
    pub const ALL: [AuditKind; 6] = [
        AuditKind::Created,
        AuditKind::Status,
        AuditKind::Assigned,
        AuditKind::Note,
        AuditKind::Transcript,
        AuditKind::Reopened,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AuditKind::Created => "created",
            AuditKind::Status => "status",
            AuditKind::Assigned => "assigned",
            AuditKind::Note => "note",
            AuditKind::Transcript => "transcript",
            AuditKind::Reopened => "reopened",
        }
    }

    /// Reads a code (case ignored).
    pub fn parse_code(input: &str) -> Option<AuditKind> {
        let folded = input.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|k| k.code() == folded)
    }
}

coded!(AuditKind, "audit kind");

/// One change to a request: who did what, when. Kept with the request (and erased with
/// it), so staff can answer "who closed this, and why?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    #[serde(with = "rfc3339")]
    pub at: OffsetDateTime,
    /// The staff member, or `guichet` for what guichet did on a person's behalf.
    pub by: String,
    pub kind: AuditKind,
    pub from: Option<String>,
    pub to: Option<String>,
    pub note: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn accepts_ordinary_addresses_and_folds_the_domain_only() {
        let email = Email::parse("  jane.doe@umontreal.ca ").unwrap();
        assert_eq!(email.as_str(), "jane.doe@umontreal.ca");
        let email = Email::parse("Jane@McGill.CA").unwrap();
        assert_eq!(
            email.as_str(),
            "Jane@mcgill.ca",
            "the local part keeps its case"
        );
        for good in [
            "j.tremblay+ssa@crchum.qc.ca",
            "x@a-b.co",
            "élise@usherbrooke.ca",
            "o'brien@ulaval.ca",
        ] {
            assert!(Email::parse(good).is_ok(), "{good} should be accepted");
        }
    }

    #[test]
    fn rejects_addresses_with_a_typo() {
        for bad in [
            "",
            "jane",
            "jane@",
            "@umontreal.ca",
            "jane@localhost",
            "a b@x.ca",
            "jane@@x.ca",
            "jane@x@y.ca",
            "jane@x..ca",
            "jane@-x.ca",
            "jane@x-.ca",
            "jane@x.c",
            "jane@x.c4",
            "jane@x.ca.",
            "jane@univ_montreal.ca",
            "jane@université.ca",
            "<jane>@x.ca",
            "jane;doe@x.ca",
            "\"jane\"@x.ca",
            "ja\u{0007}ne@x.ca",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn bounds_the_length_of_an_address() {
        let local_64 = "a".repeat(64);
        assert!(Email::parse(&format!("{local_64}@x.ca")).is_ok());
        assert!(Email::parse(&format!("{local_64}a@x.ca")).is_err());
        let long_domain = format!("{}.ca", vec!["b".repeat(60); 5].join("."));
        let address = format!("a@{long_domain}");
        assert!(address.len() > MAX_EMAIL_CHARS);
        let err = Email::parse(&address).unwrap_err().to_string();
        assert!(err.contains("254"), "the error says the limit: {err}");
    }

    #[test]
    fn an_email_error_quotes_a_shortened_input_and_the_reason() {
        let err = Email::parse(&format!("{}@", "x".repeat(500)))
            .unwrap_err()
            .to_string();
        assert!(err.len() < 300, "the error is short: {err}");
        let err = Email::parse("jane@localhost").unwrap_err().to_string();
        assert!(
            err.contains("jane@localhost") && err.contains("dot"),
            "{err}"
        );
    }

    #[test]
    fn emails_serialise_as_plain_strings_and_are_checked_when_read() {
        let email = Email::parse("Jane@McGill.CA").unwrap();
        assert_eq!(
            serde_json::to_value(&email).unwrap(),
            json!("Jane@mcgill.ca")
        );
        let back: Email = serde_json::from_value(json!("jane@mcgill.ca")).unwrap();
        assert!(email.same_mailbox(back.as_str()));
        assert!(serde_json::from_value::<Email>(json!("jane@")).is_err());
    }

    #[test]
    fn references_are_formatted_with_a_four_digit_year_and_five_digit_number() {
        let reference = RequestRef::new(2026, 42).unwrap();
        assert_eq!(reference.to_string(), "SSA-2026-00042");
        assert_eq!((reference.year(), reference.seq()), (2026, 42));
        assert!(RequestRef::new(2026, 0).is_err());
        assert!(RequestRef::new(2026, 100_000).is_err());
        assert!(RequestRef::new(1999, 1).is_err());
    }

    #[test]
    fn references_parse_in_any_case_and_inside_brackets() {
        let expected = RequestRef::new(2026, 42).unwrap();
        for text in [
            "SSA-2026-00042",
            " ssa-2026-00042 ",
            "[SSA-2026-00042]",
            "[ Ssa-2026-00042 ]",
        ] {
            assert_eq!(RequestRef::parse(text), Ok(expected), "{text:?}");
        }
        for bad in [
            "SSA-2026-42",
            "SSA-26-00042",
            "SSA-2026-000042",
            "SSB-2026-00042",
            "SSA-2026-00042x",
            "SSA_2026_00042",
            "SSA-2026-00000",
            "",
            "SSA-２０２６-00042",
        ] {
            assert!(
                RequestRef::parse(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn finds_the_first_reference_in_an_email_subject() {
        let found = RequestRef::find_in("Re: TR: [ssa-2026-00042] Lettre d'appui (SSA-2026-00043)");
        assert_eq!(found, Some(RequestRef::new(2026, 42).unwrap()));
        assert_eq!(
            RequestRef::find_in("Suivi — demande SSA-2027-00001."),
            Some(RequestRef::new(2027, 1).unwrap())
        );
        assert_eq!(
            RequestRef::find_in("émoji 🎉SSA-2026-00007 après"),
            Some(RequestRef::new(2026, 7).unwrap()),
            "non-ASCII text before the reference does not confuse the scan"
        );
        assert_eq!(
            RequestRef::find_in("XSSA-2026-00042 or SSA-2026-000421"),
            None
        );
        assert_eq!(RequestRef::find_in("no reference here"), None);
        assert_eq!(RequestRef::find_in("SSA-2026-0004"), None);
    }

    #[test]
    fn status_codes_round_trip_and_french_words_are_understood() {
        for status in RequestStatus::ALL {
            assert_eq!(RequestStatus::parse_code(status.code()), Some(status));
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                json!(status.code()),
                "serde and code() agree"
            );
        }
        let cases = [
            ("in-progress", RequestStatus::InProgress),
            ("InProgress", RequestStatus::InProgress),
            ("en cours", RequestStatus::InProgress),
            ("en_cours", RequestStatus::InProgress),
            ("Nouvelle", RequestStatus::New),
            ("TRIÉE", RequestStatus::Triaged),
            ("triee", RequestStatus::Triaged),
            ("assignée", RequestStatus::Assigned),
            ("assignee", RequestStatus::Assigned),
            ("fermée", RequestStatus::Closed),
            ("fermee", RequestStatus::Closed),
        ];
        for (text, expected) in cases {
            assert_eq!(RequestStatus::parse_code(text), Some(expected), "{text:?}");
        }
        let err = RequestStatus::parse("done").unwrap_err().to_string();
        assert!(err.contains("done") && err.contains("in_progress"), "{err}");
    }

    #[test]
    fn status_labels_exist_in_both_languages() {
        assert_eq!(RequestStatus::InProgress.label(Language::Fr), "En cours");
        assert_eq!(RequestStatus::InProgress.label(Language::En), "In progress");
        assert_eq!(RequestStatus::Closed.label(Language::Fr), "Fermée");
    }

    #[test]
    fn a_request_moves_forward_closes_from_anywhere_and_only_reopens_to_new_or_triaged() {
        use RequestStatus::*;
        assert!(New.can_move_to(Triaged));
        assert!(
            New.can_move_to(InProgress),
            "skipping ahead is a forward move"
        );
        assert!(Triaged.can_move_to(Assigned));
        assert!(Assigned.can_move_to(InProgress));
        assert!(!InProgress.can_move_to(Assigned), "no move backwards");
        assert!(!Triaged.can_move_to(New));
        for status in [New, Triaged, Assigned, InProgress] {
            assert!(status.can_move_to(Closed), "{status} can close");
            assert!(status.needs_reason_to_move_to(Closed));
            assert!(!status.can_move_to(status), "{status} to itself is no move");
        }
        assert!(Closed.can_move_to(New) && Closed.can_move_to(Triaged));
        assert!(!Closed.can_move_to(Assigned) && !Closed.can_move_to(InProgress));
        assert!(!Closed.can_move_to(Closed));
        assert!(Closed.needs_reason_to_move_to(Triaged));
        assert!(!New.needs_reason_to_move_to(Triaged));
    }

    #[test]
    fn request_types_are_listed_in_the_units_order_with_both_labels() {
        let codes: Vec<&str> = RequestType::ALL.iter().map(|t| t.code()).collect();
        assert_eq!(
            codes,
            [
                "exploratory_meeting",
                "letter_of_support",
                "grant_application",
                "ongoing_project",
                "partnership",
                "training",
                "community_of_practice",
                "tool_or_platform"
            ]
        );
        for t in RequestType::ALL {
            assert_eq!(RequestType::parse_code(t.code()), Some(t));
        }
        for lang in Language::ALL {
            let mut labels: Vec<&str> = RequestType::ALL.iter().map(|t| t.label(lang)).collect();
            labels.sort();
            labels.dedup();
            assert_eq!(labels.len(), 8, "every {lang} label is distinct");
        }
        assert_eq!(
            RequestType::LetterOfSupport.label(Language::Fr),
            "Lettre d'appui"
        );
        assert_eq!(
            RequestType::GrantApplication.label(Language::En),
            "Help with a grant application"
        );
        assert_eq!(
            RequestType::parse_code("Letter-Of-Support"),
            Some(RequestType::LetterOfSupport)
        );
        assert_eq!(RequestType::parse_code("lunch"), None);
        assert!(RequestType::parse("lunch")
            .unwrap_err()
            .to_string()
            .contains("tool_or_platform"));
    }

    #[test]
    fn channel_and_speaker_codes_round_trip() {
        for channel in Channel::ALL {
            assert_eq!(channel.code().parse::<Channel>(), Ok(channel));
        }
        assert_eq!(Channel::Discord.code(), "discord");
        assert!(Channel::parse("fax").is_err());
        for speaker in Speaker::ALL {
            assert_eq!(Speaker::parse_code(speaker.code()), Some(speaker));
        }
    }

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
            Err(ModelError::Empty { field: "name" })
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
            Err(ModelError::TooLong { field: "name", .. })
        ));
        let exactly_at_limit = NewRequest {
            requester_name: "é".repeat(MAX_NAME_CHARS),
            description: "d".repeat(MAX_DESCRIPTION_CHARS),
            ..base
        };
        assert!(exactly_at_limit.validated().is_ok());
    }
}
