//! Why the request store refused or failed: typed, with the database's own errors kept as
//! sources. `Display` is English, for the logs and the command line; [`StoreError::message`]
//! and [`ModelError::message`] say it to a person, in their language, chosen by the
//! variant (never translated from the English text).

use super::model::{
    Field, ModelError, RequestRef, RequestStatus, MAX_NOTE_CHARS, MAX_SHORT_TEXT_CHARS,
};
use crate::db::DbError;
use crate::language::Language;
use crate::messages::Msg;

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no request {0}")]
    NotFound(RequestRef),
    #[error("a request cannot move from {} to {}", .from.code(), .to.code())]
    InvalidTransition {
        from: RequestStatus,
        to: RequestStatus,
    },
    #[error("closing or reopening a request needs a reason")]
    ReasonRequired,
    /// A value was refused (an empty staff name, a note too long…): the variant says
    /// which field and why.
    #[error(transparent)]
    Invalid(#[from] ModelError),
    /// The database failed. The text holds the whole chain of causes for the logs; show
    /// people [`StoreError::message`] instead.
    #[error("request database error: {}", .0.detail())]
    Database(#[from] DbError),
}

impl StoreError {
    /// Whether the error is the caller's mistake (safe and useful to show) rather than a
    /// failure of the database (to log, and to hide behind a generic message).
    pub fn is_client_error(&self) -> bool {
        !matches!(self, StoreError::Database(_))
    }

    /// What to tell a person about this error, in `lang`. A database failure is a
    /// generic "technical problem": its details are for the logs.
    pub fn message(&self, lang: Language) -> String {
        match self {
            StoreError::NotFound(_) => Msg::StaffRequestNotFound.text(lang).to_string(),
            StoreError::InvalidTransition { from, to } => Msg::StaffInvalidTransition
                .fill(lang, &[("from", from.label(lang)), ("to", to.label(lang))]),
            StoreError::ReasonRequired => Msg::StaffReasonRequired.text(lang).to_string(),
            StoreError::Invalid(refused) => refused.message(lang),
            StoreError::Database(_) => Msg::InternalError.text(lang).to_string(),
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError::Database(DbError::Sqlite(error))
    }
}

impl From<tokio::task::JoinError> for StoreError {
    fn from(error: tokio::task::JoinError) -> Self {
        StoreError::Database(DbError::Task(error))
    }
}

impl ModelError {
    /// What to tell the person who typed the refused value, in `lang`. The staff pages'
    /// own fields (assignee, note, reason, status) have the sentences those pages always
    /// used; other fields are named by their label.
    pub fn message(&self, lang: Language) -> String {
        let number = |n: &usize| n.to_string();
        let with_field = |msg: Msg, field: &Field| msg.fill(lang, &[("field", field.label(lang))]);
        let sized = |msg: Msg, field: &Field, len: &usize, max: &usize| {
            msg.fill(
                lang,
                &[
                    ("field", field.label(lang)),
                    ("len", &number(len)),
                    ("max", &number(max)),
                ],
            )
        };
        let staff_limit = |msg: Msg, max: usize| msg.fill(lang, &[("max", &max.to_string())]);
        match self {
            ModelError::UnknownCode {
                field: Field::Status,
                ..
            } => Msg::StaffUnknownStatus.text(lang).to_string(),
            ModelError::Empty {
                field: Field::Assignee,
            }
            | ModelError::TooLong {
                field: Field::Assignee,
                ..
            }
            | ModelError::ControlCharacters {
                field: Field::Assignee,
            } => staff_limit(Msg::StaffInvalidAssignee, MAX_SHORT_TEXT_CHARS),
            ModelError::Empty { field: Field::Note }
            | ModelError::TooLong {
                field: Field::Note, ..
            } => staff_limit(Msg::StaffInvalidNote, MAX_NOTE_CHARS),
            ModelError::Empty {
                field: Field::Reason,
            }
            | ModelError::TooLong {
                field: Field::Reason,
                ..
            } => staff_limit(Msg::StaffInvalidReason, MAX_NOTE_CHARS),
            ModelError::Email { .. } => Msg::InvalidEmail.text(lang).to_string(),
            ModelError::RequestRef(value) => Msg::InvalidReference.fill(lang, &[("value", value)]),
            ModelError::UnknownCode { field, value, .. } => Msg::InvalidCode.fill(
                lang,
                &[("field", field.label(lang)), ("value", value.as_str())],
            ),
            ModelError::Empty { field } => with_field(Msg::InvalidEmpty, field),
            ModelError::TooLong { field, len, max } => sized(Msg::InvalidTooLong, field, len, max),
            ModelError::ControlCharacters { field } => with_field(Msg::InvalidLineBreak, field),
            ModelError::TooMany { field, len, max } => sized(Msg::InvalidTooMany, field, len, max),
            ModelError::TimeOutOfRange { field, .. } => with_field(Msg::InvalidTime, field),
            ModelError::Spaces { field }
            | ModelError::TooLarge { field, .. }
            | ModelError::Length { field, .. } => with_field(Msg::InvalidValue, field),
            ModelError::Year { year } => {
                Msg::InvalidYear.fill(lang, &[("year", &year.to_string())])
            }
            ModelError::NoNumberLeft { year, .. } => {
                Msg::InvalidNoNumber.fill(lang, &[("year", &year.to_string())])
            }
            ModelError::TranscriptFull { reference, max } => Msg::InvalidTranscriptFull.fill(
                lang,
                &[("reference", &reference.to_string()), ("max", &number(max))],
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::UnknownValue;
    use crate::requests::model::{Email, MAX_TRANSCRIPT_ENTRIES};

    /// One refusal of every kind, as the store and the model build them.
    fn refusals() -> Vec<StoreError> {
        let reference = RequestRef::parse("SSA-2026-00042").unwrap();
        let model = [
            Email::parse("not an address").unwrap_err(),
            RequestRef::parse("SSA-42").unwrap_err(),
            RequestStatus::parse("bogus").unwrap_err(),
            crate::requests::RequestType::parse("bogus").unwrap_err(),
            ModelError::Empty { field: Field::Name },
            ModelError::Empty {
                field: Field::Actor,
            },
            ModelError::Empty {
                field: Field::Assignee,
            },
            ModelError::Empty { field: Field::Note },
            ModelError::TooLong {
                field: Field::Description,
                len: 20_001,
                max: 20_000,
            },
            ModelError::TooLong {
                field: Field::Reason,
                len: 20_001,
                max: 20_000,
            },
            ModelError::ControlCharacters {
                field: Field::Organization,
            },
            ModelError::TooMany {
                field: Field::Attachments,
                len: 101,
                max: 100,
            },
            ModelError::TimeOutOfRange {
                field: Field::Time("vote time"),
                value: "+10000-01-01".into(),
            },
            ModelError::Spaces {
                field: Field::ConversationKey,
            },
            ModelError::TooLarge {
                field: Field::ConversationState,
                len: 2_000_000,
                max: 1_048_576,
            },
            ModelError::Length {
                field: Field::Origin,
                min: 1,
                max: 512,
            },
            ModelError::Year { year: 1999 },
            ModelError::NoNumberLeft {
                year: 2026,
                highest: 99_999,
            },
            ModelError::TranscriptFull {
                reference,
                max: MAX_TRANSCRIPT_ENTRIES,
            },
        ];
        let mut all: Vec<StoreError> = model.into_iter().map(StoreError::from).collect();
        all.extend([
            StoreError::NotFound(reference),
            StoreError::ReasonRequired,
            StoreError::InvalidTransition {
                from: RequestStatus::Closed,
                to: RequestStatus::Assigned,
            },
        ]);
        all
    }

    #[test]
    fn every_refusal_is_told_in_french_and_in_english_without_the_logs_english_text() {
        for error in refusals() {
            let (fr, en) = (error.message(Language::Fr), error.message(Language::En));
            let english = error.to_string();
            assert_ne!(fr, en, "{error:?} has a French sentence");
            for text in [&fr, &en] {
                assert!(!text.is_empty() && !text.contains('{'), "{error:?}: {text}");
            }
            assert!(!fr.contains(&english), "{error:?}: {fr}");
            assert!(error.is_client_error(), "{error:?}");
        }
    }

    #[test]
    fn a_refusal_names_its_field_in_the_persons_language() {
        let long = StoreError::from(ModelError::TooLong {
            field: Field::Description,
            len: 20_001,
            max: 20_000,
        });
        let fr = long.message(Language::Fr);
        assert!(
            fr.contains("« Description »") && fr.contains("20001"),
            "{fr}"
        );
        let empty = StoreError::from(ModelError::Empty {
            field: Field::Actor,
        });
        assert!(empty.message(Language::Fr).contains("membre du personnel"));
        assert!(empty.message(Language::En).contains("staff name"));
        assert_eq!(
            empty.to_string(),
            "by must not be empty",
            "the logs keep their text"
        );
        // The staff pages' own fields keep the sentences those pages always used.
        let assignee = StoreError::from(ModelError::ControlCharacters {
            field: Field::Assignee,
        });
        assert_eq!(
            assignee.message(Language::Fr),
            Msg::StaffInvalidAssignee.fill(Language::Fr, &[("max", "300")])
        );
        let status = StoreError::from(RequestStatus::parse("bogus").unwrap_err());
        assert_eq!(
            status.message(Language::En),
            Msg::StaffUnknownStatus.text(Language::En)
        );
    }

    #[test]
    fn a_database_failure_keeps_its_cause_for_the_logs_and_tells_people_nothing_of_it() {
        let error = StoreError::from(DbError::unreadable(
            "audit kind",
            UnknownValue("bogus".into()),
        ));
        assert!(!error.is_client_error());
        assert_eq!(
            error.to_string(),
            "request database error: unreadable audit kind in the database: unknown value \"bogus\""
        );
        let source = std::error::Error::source(&error).expect("the database error");
        assert!(source.source().is_some(), "and its own cause");
        for lang in Language::ALL {
            assert_eq!(error.message(lang), Msg::InternalError.text(lang));
        }
        let sqlite = StoreError::from(rusqlite::Error::QueryReturnedNoRows);
        assert!(matches!(
            sqlite,
            StoreError::Database(DbError::Sqlite(rusqlite::Error::QueryReturnedNoRows))
        ));
    }
}
