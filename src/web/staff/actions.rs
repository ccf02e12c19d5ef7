//! The changes staff make from a request's page (its status with a note or reason, its
//! assignee, a note) and what the page says next: that the change was saved, or why it
//! was refused, in the staff member's language.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use time::OffsetDateTime;

use super::request::parse_reference;
use super::session::{Flash, Staff};
use super::{blocking, StaffForm};
use crate::language::Language;
use crate::messages::Msg;
use crate::requests::model::{MAX_NOTE_CHARS, MAX_SHORT_TEXT_CHARS};
use crate::requests::{
    Request as LoggedRequest, RequestDesk, RequestRef, RequestStatus, StoreError,
};
use crate::web::{AppError, AppState, ErrorKind, Surface};

#[derive(Debug, Deserialize)]
pub(super) struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    note: String,
}

pub(super) async fn set_status(
    State(state): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    StaffForm(form): StaffForm<StatusForm>,
) -> Result<Response, AppError> {
    let status = RequestStatus::parse_code(&form.status);
    let note = Some(form.note.trim().to_string()).filter(|n| !n.is_empty());
    // An unknown status never reaches the desk, so any other refused value is the note.
    let field = if status.is_some() {
        Field::Reason
    } else {
        Field::Status
    };
    let unknown = form.status;
    change(
        &state,
        &staff,
        &reference,
        &form.csrf,
        field,
        move |desk, wanted, by, now| {
            let status =
                status.ok_or_else(|| StoreError::Invalid(format!("unknown status '{unknown}'")))?;
            desk.set_status(wanted, status, note.as_deref(), by, now)
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
pub(super) struct AssignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    assignee: String,
}

pub(super) async fn assign(
    State(state): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    StaffForm(form): StaffForm<AssignForm>,
) -> Result<Response, AppError> {
    let assignee = form.assignee;
    change(
        &state,
        &staff,
        &reference,
        &form.csrf,
        Field::Assignee,
        move |desk, wanted, by, now| desk.assign(wanted, &assignee, by, now),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub(super) struct NoteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
}

pub(super) async fn add_note(
    State(state): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    StaffForm(form): StaffForm<NoteForm>,
) -> Result<Response, AppError> {
    let note = form.note;
    change(
        &state,
        &staff,
        &reference,
        &form.csrf,
        Field::Note,
        move |desk, wanted, by, now| desk.add_note(wanted, &note, by, now),
    )
    .await
}

/// The form field a refused value came from. The desk says what is wrong with a value in
/// English ([`StoreError::Invalid`]); staff are told in their language, by field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    /// The status list (a status that does not exist).
    Status,
    /// The status form's note, the reason to close or reopen.
    Reason,
    Assignee,
    Note,
}

/// One change from a request's page: checks the form's anti-forgery token and the
/// reference, runs `work` on the desk (off the async threads) as this staff member, now,
/// then remembers how it went for the next page and goes back to the request (303, so
/// reloading the page does not repeat the POST).
async fn change(
    state: &AppState,
    staff: &Staff,
    reference: &str,
    csrf: &str,
    field: Field,
    work: impl FnOnce(&RequestDesk, &RequestRef, &str, OffsetDateTime) -> Result<LoggedRequest, StoreError>
        + Send
        + 'static,
) -> Result<Response, AppError> {
    staff.check_csrf(csrf)?;
    let reference = parse_reference(reference, staff.lang)?;
    let (desk, by) = (state.inner.desk.clone(), staff.username.clone());
    let outcome = blocking(move || work(&desk, &reference, &by, OffsetDateTime::now_utc())).await?;
    let flash = match outcome {
        Ok(_) => {
            tracing::info!(reference = %reference, staff = %staff.username, "staff changed a request");
            Flash {
                ok: true,
                text: Msg::StaffSaved.text(staff.lang).to_string(),
            }
        }
        Err(error) => Flash {
            ok: false,
            text: refusal(error, field, staff.lang)?,
        },
    };
    staff.set_flash(state, flash);
    Ok(Redirect::to(&format!("/staff/requests/{reference}")).into_response())
}

/// Why a change was refused, in `lang`: chosen by the kind of refusal and, for a refused
/// value, by the field it came from, never from the desk's English text. A request that
/// does not exist is a 404 page; the database's own failures are internal (logged, with a
/// generic message).
fn refusal(error: StoreError, field: Field, lang: Language) -> Result<String, AppError> {
    let limit = |msg: Msg, max: usize| msg.fill(lang, &[("max", &max.to_string())]);
    let text = match error {
        StoreError::NotFound(_) => {
            return Err(AppError::page(ErrorKind::RequestNotFound, Some(lang)))
        }
        StoreError::Database(detail) => return Err(AppError::internal(Surface::Page, detail)),
        StoreError::ReasonRequired => Msg::StaffReasonRequired.text(lang).to_string(),
        StoreError::InvalidTransition { from, to } => Msg::StaffInvalidTransition
            .fill(lang, &[("from", from.label(lang)), ("to", to.label(lang))]),
        StoreError::Invalid(_) => match field {
            Field::Status => Msg::StaffUnknownStatus.text(lang).to_string(),
            Field::Reason => limit(Msg::StaffInvalidReason, MAX_NOTE_CHARS),
            Field::Assignee => limit(Msg::StaffInvalidAssignee, MAX_SHORT_TEXT_CHARS),
            Field::Note => limit(Msg::StaffInvalidNote, MAX_NOTE_CHARS),
        },
    };
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: [Field; 4] = [Field::Status, Field::Reason, Field::Assignee, Field::Note];

    fn said(error: StoreError, field: Field, lang: Language) -> String {
        refusal(error, field, lang).expect("a mistake to show on the page")
    }

    #[test]
    fn a_refused_value_is_explained_by_its_field_in_the_pages_language_never_in_the_desks_words() {
        let english = "staff is empty (expected 1 to 300 characters)";
        for field in FIELDS {
            let fr = said(StoreError::Invalid(english.into()), field, Language::Fr);
            let en = said(StoreError::Invalid(english.into()), field, Language::En);
            assert_ne!(fr, en, "{field:?} has a French message");
            for text in [&fr, &en] {
                assert!(!text.contains(english), "{field:?}: {text}");
                assert!(!text.contains('{'), "every placeholder is filled: {text}");
            }
        }
        let fr = said(
            StoreError::Invalid(String::new()),
            Field::Assignee,
            Language::Fr,
        );
        assert!(
            fr.contains("personne responsable") && fr.contains("300"),
            "{fr}"
        );
        let en = said(
            StoreError::Invalid(String::new()),
            Field::Note,
            Language::En,
        );
        assert!(en.contains("20000"), "the note's limit: {en}");
    }

    #[test]
    fn refusals_of_the_desks_rules_are_told_in_the_pages_language_whatever_the_field() {
        for field in FIELDS {
            assert_eq!(
                said(StoreError::ReasonRequired, field, Language::Fr),
                Msg::StaffReasonRequired.text(Language::Fr)
            );
            let moved = said(
                StoreError::InvalidTransition {
                    from: RequestStatus::Closed,
                    to: RequestStatus::Assigned,
                },
                field,
                Language::Fr,
            );
            assert!(
                moved.contains(RequestStatus::Closed.label(Language::Fr))
                    && moved.contains(RequestStatus::Assigned.label(Language::Fr)),
                "{moved}"
            );
        }
    }

    #[test]
    fn a_missing_request_is_a_page_in_the_staff_members_language_and_a_database_failure_is_ours() {
        let reference = RequestRef::parse("SSA-2026-00042").unwrap();
        let missing = refusal(StoreError::NotFound(reference), Field::Note, Language::En)
            .expect_err("a 404 page");
        assert!(matches!(missing.kind, ErrorKind::RequestNotFound));
        assert_eq!(missing.lang, Some(Language::En));
        let failed = refusal(
            StoreError::Database("disk I/O error".into()),
            Field::Note,
            Language::Fr,
        )
        .expect_err("an internal error");
        assert!(matches!(failed.kind, ErrorKind::Internal(_)));
    }
}
