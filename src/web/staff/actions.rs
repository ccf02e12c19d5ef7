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
    let status = RequestStatus::parse(&form.status);
    let note = Some(form.note.trim().to_string()).filter(|n| !n.is_empty());
    change(
        &state,
        &staff,
        &reference,
        &form.csrf,
        move |desk, wanted, by, now| desk.set_status(wanted, status?, note.as_deref(), by, now),
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
        move |desk, wanted, by, now| desk.add_note(wanted, &note, by, now),
    )
    .await
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
            text: refusal(error, staff.lang)?,
        },
    };
    staff.set_flash(state, flash);
    Ok(Redirect::to(&format!("/staff/requests/{reference}")).into_response())
}

/// Why a change was refused, in `lang`: the error's own message, chosen by its variant
/// (never the desk's English text). A request that does not exist is a 404 page; the
/// database's own failures are internal (logged, with a generic message).
fn refusal(error: StoreError, lang: Language) -> Result<String, AppError> {
    match error {
        StoreError::NotFound(_) => Err(AppError::page(ErrorKind::RequestNotFound, Some(lang))),
        failed @ StoreError::Database(_) => Err(AppError::internal(Surface::Page, failed)),
        refused => Ok(refused.message(lang)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requests::model::{Field, ModelError, MAX_NOTE_CHARS, MAX_SHORT_TEXT_CHARS};

    fn said(error: StoreError, lang: Language) -> String {
        refusal(error, lang).expect("a mistake to show on the page")
    }

    /// The values the request page's forms can get wrong, as the desk refuses them.
    fn refused_values() -> Vec<(ModelError, Msg, usize)> {
        vec![
            (
                RequestStatus::parse("bogus").unwrap_err(),
                Msg::StaffUnknownStatus,
                0,
            ),
            (
                ModelError::TooLong {
                    field: Field::Reason,
                    len: MAX_NOTE_CHARS + 1,
                    max: MAX_NOTE_CHARS,
                },
                Msg::StaffInvalidReason,
                MAX_NOTE_CHARS,
            ),
            (
                ModelError::Empty {
                    field: Field::Assignee,
                },
                Msg::StaffInvalidAssignee,
                MAX_SHORT_TEXT_CHARS,
            ),
            (
                ModelError::ControlCharacters {
                    field: Field::Assignee,
                },
                Msg::StaffInvalidAssignee,
                MAX_SHORT_TEXT_CHARS,
            ),
            (
                ModelError::Empty { field: Field::Note },
                Msg::StaffInvalidNote,
                MAX_NOTE_CHARS,
            ),
        ]
    }

    #[test]
    fn a_refused_value_is_told_by_its_variant_in_the_pages_language() {
        for (refused, msg, max) in refused_values() {
            let english = refused.to_string();
            let max = max.to_string();
            for lang in Language::ALL {
                let text = said(StoreError::Invalid(refused.clone()), lang);
                assert_eq!(text, msg.fill(lang, &[("max", &max)]), "{refused:?}");
                assert!(!text.contains(&english), "{refused:?}: {text}");
                assert!(!text.contains('{'), "every placeholder is filled: {text}");
            }
        }
        let fr = said(
            ModelError::TooLong {
                field: Field::Assignee,
                len: 500,
                max: MAX_SHORT_TEXT_CHARS,
            }
            .into(),
            Language::Fr,
        );
        assert!(
            fr.contains("personne responsable") && fr.contains("300"),
            "{fr}"
        );
        let en = said(
            ModelError::Empty { field: Field::Note }.into(),
            Language::En,
        );
        assert!(en.contains("20000"), "the note's limit: {en}");
    }

    #[test]
    fn refusals_of_the_desks_rules_are_told_in_the_pages_language() {
        assert_eq!(
            said(StoreError::ReasonRequired, Language::Fr),
            Msg::StaffReasonRequired.text(Language::Fr)
        );
        let moved = said(
            StoreError::InvalidTransition {
                from: RequestStatus::Closed,
                to: RequestStatus::Assigned,
            },
            Language::Fr,
        );
        assert!(
            moved.contains(RequestStatus::Closed.label(Language::Fr))
                && moved.contains(RequestStatus::Assigned.label(Language::Fr)),
            "{moved}"
        );
    }

    #[test]
    fn a_missing_request_is_a_page_in_the_staff_members_language_and_a_database_failure_is_ours() {
        let reference = RequestRef::parse("SSA-2026-00042").unwrap();
        let missing =
            refusal(StoreError::NotFound(reference), Language::En).expect_err("a 404 page");
        assert!(matches!(missing.kind, ErrorKind::RequestNotFound));
        assert_eq!(missing.lang, Some(Language::En));
        let failed = refusal(
            StoreError::from(rusqlite::Error::InvalidQuery),
            Language::Fr,
        )
        .expect_err("an internal error");
        assert!(matches!(failed.kind, ErrorKind::Internal(_)));
    }
}
