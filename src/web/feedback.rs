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
use serde::Deserialize;
use serde_json::{json, Value};

use super::chat::ApiJson;
use super::{escape, html_page, AppError, AppState, ErrorKind, Surface};
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
) -> Result<Json<Value>, AppError> {
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
    Ok(Json(json!({"outcome": code, "message": message})))
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
fn page(lang: Language, status: StatusCode, body: &str) -> Response {
    let body = format!(
        "<main id=\"main\" class=\"feedback\">\n<h1>{title}</h1>\n{body}</main>",
        title = escape(Msg::FeedbackPageTitle.text(lang)),
    );
    let mut response = (
        status,
        html_page(lang, Msg::FeedbackPageTitle.text(lang), None, &body),
    )
        .into_response();
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
    let mut buttons = String::new();
    for vote in others {
        let label = match vote {
            Vote::Helpful => Msg::FeedbackYes,
            Vote::Unhelpful => Msg::FeedbackNo,
        };
        buttons.push_str(&format!(
            "<form method=\"post\" action=\"/feedback/{token}\">\n\
             <input type=\"hidden\" name=\"vote\" value=\"{vote}\">\n\
             <input type=\"hidden\" name=\"lang\" value=\"{lang}\">\n\
             <p><button type=\"submit\">{label}</button></p>\n</form>\n",
            token = escape(&token),
            vote = vote.code(),
            lang = lang.code(),
            label = escape(label.text(lang)),
        ));
    }
    page(
        lang,
        StatusCode::OK,
        &format!(
            "<p>{ask}</p>\n<p>{confirm}</p>\n{buttons}",
            ask = escape(Msg::FeedbackAsk.text(lang)),
            confirm = escape(Msg::FeedbackConfirm.text(lang)),
        ),
    )
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
        &format!("<p class=\"feedback-outcome\">{}</p>\n", escape(message)),
    ))
}
