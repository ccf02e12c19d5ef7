//! The staff pages under `/staff`: sign-in, the request list (filters, CSV and JSON
//! exports), and a request in full with the forms to triage it.
//!
//! Security: pages are [`maud`] templates, which escape every value; sessions live
//! on the server and the browser only holds a random token in an `HttpOnly`,
//! `SameSite=Strict` cookie (scoped to `/staff` over plain HTTP; `__Host-` prefixed and
//! `Secure` with `web.secure_cookies`); every form carries the session's anti-forgery
//! token, checked on each POST (403 otherwise); the sign-in form, before any session,
//! carries a token that must match a pre-session cookie set with the page (double submit;
//! 403 otherwise, and not counted as an attempt); failed sign-ins lock out the client
//! address and the username (known or not, alike) for a while, password checks are
//! limited overall, and an unknown username costs the same password verification as a
//! known one; a staff member can end all of their sessions at once. Pages are in French or
//! English (`?lang=en|fr`, remembered in the session), and so is every message a staff
//! member's mistake can bring.
//!
//! The parts: `session` (who is signed in: the session, its cookies, anti-forgery
//! tokens), `sign_in` (the sign-in page, password checks and their limits, signing out,
//! everywhere too), `list` (the
//! request list, its filters and the exports), `request` (one request in full), `actions`
//! (the status, assignee and note forms, and what a refusal says), `questions` (the
//! questions queue: groups to review, marking them, CSV), `summary` (the figures that
//! open the request list), `erase` ("erase this person", with a confirmation step) and `html` (the page frame and
//! small rendering helpers).

mod actions;
mod erase;
mod html;
mod list;
mod questions;
mod request;
mod session;
mod sign_in;
mod summary;

use axum::extract::{Form, FromRequest, Request};
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::{AppError, AppState, ErrorKind, Surface};

pub use session::StaffSession;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff", get(list::list))
        .route(
            "/staff/login",
            get(sign_in::login_page).post(sign_in::login),
        )
        .route("/staff/logout", post(sign_in::logout))
        .route(
            "/staff/sign-out-everywhere",
            post(sign_in::sign_out_everywhere),
        )
        .route("/staff/export.csv", get(list::export_csv))
        .route("/staff/export.json", get(list::export_json))
        .route("/staff/questions", get(questions::list))
        .route("/staff/questions.csv", get(questions::export_csv))
        .route("/staff/questions/{id}/mark", post(questions::mark))
        .route("/staff/requests/{reference}", get(request::detail))
        .route(
            "/staff/requests/{reference}/status",
            post(actions::set_status),
        )
        .route("/staff/requests/{reference}/assign", post(actions::assign))
        .route("/staff/requests/{reference}/note", post(actions::add_note))
        .route(
            "/staff/requests/{reference}/erase",
            get(erase::confirm).post(erase::erase),
        )
}

/// A form body; one that cannot be read is answered with a page, not axum's plain text
/// (in the staff member's language when a session is open).
struct StaffForm<T>(T);

impl<T: DeserializeOwned> FromRequest<AppState> for StaffForm<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let lang = session::language(state, request.headers());
        Form::<T>::from_request(request, state)
            .await
            .map(|Form(value)| StaffForm(value))
            .map_err(|rejection| {
                tracing::debug!(reason = %rejection.body_text(), "refused an unreadable staff form");
                AppError::page(ErrorKind::BadForm, lang)
            })
    }
}

/// Runs blocking desk work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::internal(Surface::Page, format!("a staff task panicked: {e}")))
}

#[derive(Debug, Default, Deserialize)]
struct LangQuery {
    lang: Option<String>,
}
