//! Votes on answers from the web: the chat widget's 👍/👎 (`POST /api/feedback`), and the
//! page the two links of an answer email open (`GET /feedback/{token}?vote=up|down`),
//! whose button posts the vote (`POST /feedback/{token}`). The GET changes nothing, since
//! mail scanners follow links; the token is signed and single-use, and says nothing about
//! the person. Every vote goes through [`Assistant::record_feedback`](crate::assistant::Assistant::record_feedback).

use axum::extract::{Form, Path, Query, State};
use axum::http::header::{self, HeaderValue};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use maud::{html, Markup};
use serde::{Deserialize, Serialize};

use super::chat::ApiJson;
use super::{html_page, AppError, AppState, ErrorKind, Surface};
use crate::language::Language;
use crate::messages::Msg;
use crate::questions::{Vote, VoteOutcome};

/// What a vote outcome says, in `lang`, with its stable code.
fn said(outcome: VoteOutcome, lang: Language) -> (&'static str, &'static str) {
    match outcome {
        VoteOutcome::Recorded => ("recorded", Msg::FeedbackThanks.text(lang)),
        VoteOutcome::AlreadyRecorded => ("already_recorded", Msg::FeedbackAlready.text(lang)),
        VoteOutcome::Unknown => ("unknown", Msg::FeedbackUnknown.text(lang)),
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct VoteBody {
    token: String,
    vote: String,
    #[serde(default)]
    lang: Option<String>,
}

/// `POST /api/feedback` with `{"token", "vote": "up"|"down", "lang"?}` →
/// `{"outcome": "recorded"|"already_recorded"|"unknown", "message"}`.
pub(super) async fn api_vote(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<VoteBody>,
) -> Result<Json<VoteReply>, AppError> {
    let lang = body
        .lang
        .as_deref()
        .and_then(|l| l.parse().ok())
        .unwrap_or(state.inner.default_language);
    let vote = Vote::parse(&body.vote).ok_or(AppError::api(ErrorKind::BadJson, Some(lang)))?;
    let outcome = state
        .inner
        .assistant
        .feedback(body.token, vote)
        .await
        .map_err(|e| AppError::internal(Surface::Api, e))?;
    let (code, message) = said(outcome, lang);
    Ok(Json(VoteReply {
        outcome: code,
        message,
    }))
}

/// What `POST /api/feedback` answers.
#[derive(Debug, Serialize)]
pub(super) struct VoteReply {
    outcome: &'static str,
    message: &'static str,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct PageQuery {
    #[serde(default)]
    vote: String,
    #[serde(default)]
    lang: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct PageForm {
    #[serde(default)]
    vote: String,
    #[serde(default)]
    lang: Option<String>,
}

fn page_lang(state: &AppState, lang: Option<&str>) -> Language {
    lang.and_then(|l| l.parse().ok())
        .unwrap_or(state.inner.default_language)
}

/// A small page; never cached (it answers one token).
fn page(lang: Language, status: StatusCode, body: Markup) -> Response {
    let title = Msg::FeedbackPageTitle.text(lang);
    let body = html! {
        main id="main" class="feedback" {
            h1 { (title) }
            (body)
        }
    };
    let mut response = (status, html_page(lang, title, None, body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /feedback/{token}?vote=up|down&lang=…`: the page with the button that sends the
/// vote. Records nothing.
pub(super) async fn confirm_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(query): Query<PageQuery>,
) -> Response {
    let lang = page_lang(&state, query.lang.as_deref());
    // Both choices are offered; the one in the link comes first.
    let chosen = Vote::parse(&query.vote).unwrap_or(Vote::Helpful);
    let others = [
        chosen,
        match chosen {
            Vote::Helpful => Vote::Unhelpful,
            Vote::Unhelpful => Vote::Helpful,
        },
    ];
    let body = html! {
        p { (Msg::FeedbackAsk.text(lang)) }
        p { (Msg::FeedbackConfirm.text(lang)) }
        @for vote in others {
            @let label = match vote {
                Vote::Helpful => Msg::FeedbackYes,
                Vote::Unhelpful => Msg::FeedbackNo,
            };
            form method="post" action={ "/feedback/" (token) } {
                input type="hidden" name="vote" value=(vote.code());
                input type="hidden" name="lang" value=(lang.code());
                p { button type="submit" { (label.text(lang)) } }
            }
        }
    };
    page(lang, StatusCode::OK, body)
}

/// `POST /feedback/{token}` (`vote=up|down`): records the vote once and says how it went:
/// 200 when recorded, 409 when the answer already had a vote, 404 for a token that is not
/// (or no longer) ours.
pub(super) async fn post_vote(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<PageForm>,
) -> Result<Response, AppError> {
    let lang = page_lang(&state, form.lang.as_deref());
    let vote = Vote::parse(&form.vote).ok_or(AppError::page(ErrorKind::BadForm, Some(lang)))?;
    let outcome = state
        .inner
        .assistant
        .feedback(token, vote)
        .await
        .map_err(|e| AppError::internal(Surface::Page, e))?;
    let status = match outcome {
        VoteOutcome::Recorded => StatusCode::OK,
        VoteOutcome::AlreadyRecorded => StatusCode::CONFLICT,
        VoteOutcome::Unknown => StatusCode::NOT_FOUND,
    };
    let (_, message) = said(outcome, lang);
    Ok(page(
        lang,
        status,
        html! { p class="feedback-outcome" { (message) } },
    ))
}
