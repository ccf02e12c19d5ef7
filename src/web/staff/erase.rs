//! "Erase this person" from a request's page: a confirmation page, then the erasure itself
//! through the same privacy service as `guichet requests erase` (every place that keeps
//! personal data, recorded in the erasure log with who did it, without personal data).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;
use time::OffsetDateTime;

use super::html::{csrf_field, staff_page};
use super::request::parse_reference;
use super::session::{Flash, Staff};
use super::{blocking, StaffForm};
use crate::messages::Msg;
use crate::web::{AppError, AppState, ErrorKind, Surface};

/// `GET /staff/requests/{reference}/erase`: what will be erased, and the button.
pub(super) async fn confirm(
    State(state): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
) -> Result<Response, AppError> {
    let lang = staff.lang;
    let reference = parse_reference(&reference, lang)?;
    let desk = state.inner.desk.clone();
    let request = blocking(move || desk.get(&reference))
        .await?
        .map_err(|e| AppError::internal(Surface::Page, e))?
        .ok_or(AppError::page(ErrorKind::RequestNotFound, Some(lang)))?;
    let path = format!("/staff/requests/{}", request.reference);
    let warning = Msg::StaffEraseWarning.fill(
        lang,
        &[
            ("name", &request.requester_name),
            ("email", request.requester_email.as_str()),
        ],
    );
    let body = html! {
        p { a href=(path) { (Msg::StaffBackToList.text(lang)) } }
        h1 { (Msg::StaffErase.text(lang)) }
        p class="warning" { (warning) }
        form method="post" action={ (path) "/erase" } {
            (csrf_field(&staff.csrf))
            input type="hidden" name="confirm" value="yes";
            p {
                button type="submit" class="danger" { (Msg::StaffEraseButton.text(lang)) }
                " "
                a href=(path) { (Msg::ActionCancel.text(lang)) }
            }
        }
    };
    Ok(staff_page(
        lang,
        Msg::StaffErase.text(lang),
        Some(&staff),
        &format!("{path}/erase"),
        body,
    ))
}

#[derive(Debug, Deserialize)]
pub(super) struct EraseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /staff/requests/{reference}/erase` (`confirm=yes`): erases the requester
/// everywhere, then back to the list with what was erased.
pub(super) async fn erase(
    State(state): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    StaffForm(form): StaffForm<EraseForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let lang = staff.lang;
    if form.confirm != "yes" {
        return Err(AppError::page(ErrorKind::BadForm, Some(lang)));
    }
    let reference = parse_reference(&reference, lang)?;
    let (desk, assistant, by) = (
        state.inner.desk.clone(),
        state.inner.assistant.clone(),
        staff.username.clone(),
    );
    let erased = blocking(move || {
        let Some(request) = desk.get(&reference).map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        assistant
            .erase_person(&request.requester_email, &by, OffsetDateTime::now_utc())
            .map(Some)
            .map_err(|e| format!("{e}: {:?}", std::error::Error::source(&e)))
    })
    .await?
    .map_err(|e| AppError::internal(Surface::Page, e))?
    .ok_or(AppError::page(ErrorKind::RequestNotFound, Some(lang)))?;
    tracing::info!(staff = %staff.username, %erased, "staff erased a person from the staff pages");
    let count = |kind: &str| erased.count(kind).to_string();
    staff.set_flash(
        &state,
        Flash {
            ok: true,
            text: Msg::StaffErased.fill(
                lang,
                &[
                    ("requests", &count("request")),
                    ("conversations", &count("conversation")),
                    ("mail", &count("mail record")),
                ],
            ),
        },
    );
    Ok(Redirect::to("/staff").into_response())
}
