//! The public side of the web channel: the chat page, the embeddable widget and the JSON
//! API it calls.
//!
//! - `GET /` — the bilingual chat page (`?lang=en` for English; French by default).
//! - `GET /widget.js`, `/widget.css` — the widget, also embeddable by the sites listed in
//!   `web.allowed_origins` (see the comment at the top of `assets/widget.js`).
//! - `POST /api/session` → `{"session", "lang"}`: a random 128-bit session id, kept in
//!   memory until idle for the conversation timeout.
//! - `POST /api/chat` with `{"session", "text"?, "action"?, "lang"?}` → the engine's
//!   [`Reply::to_json`], with one addition: each hit also carries `segments`, its
//!   excerpt cut into `{"text", "highlighted"}` runs so the widget can bold matched words.
//!
//! Errors are `{"error": code, "message"}` (see [`super::ErrorKind`]); every API call
//! counts against the client's rate limit.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use maud::html;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{html_page, random_hex, AppError, AppState, ClientIp, ErrorKind, Surface};
use crate::assistant::{Action, Incoming, Reply, ReplyJson, Sender};
use crate::config::Config;
use crate::language::Language;
use crate::messages::Msg;
use crate::requests::Channel;

const WIDGET_JS: &str = include_str!("assets/widget.js");
const WIDGET_CSS: &str = include_str!("assets/widget.css");
const SITE_CSS: &str = include_str!("assets/site.css");
/// Where `widget.js` expects its strings and settings (replaced once at start-up).
const I18N_PLACEHOLDER: &str = "/*GUICHET_I18N*/ null";

/// A chat session: what the server remembers between two messages of one browser tab
/// (the conversation itself is kept by the engine, under the session id).
#[derive(Debug, Clone)]
pub struct ChatSession {
    /// The language the conversation is in, for error messages.
    lang: Language,
}

/// `widget.js` with the widget's strings (from [`Msg`], in both languages) and settings
/// written in, so it needs nothing else from the server to start.
pub(super) fn build_widget_js(config: &Config) -> String {
    let days = config.privacy.conversation_retention_days.to_string();
    let strings = |lang: Language| {
        json!({
            "title": Msg::WebTitle.text(lang),
            "label": Msg::WebMessageLabel.text(lang),
            "send": Msg::WebSend.text(lang),
            "hint": Msg::WebKeyboardHint.text(lang),
            "conversation": Msg::WebConversation.text(lang),
            "you": Msg::WebYou.text(lang),
            "guichet": Msg::WebGuichet.text(lang),
            "privacy": Msg::WebPrivacyNote.fill(lang, &[("days", &days)]),
            "otherLang": Msg::WebHitInOtherLanguage.text(lang),
            "newTab": Msg::WebOpensNewTab.text(lang),
            "source": Msg::Source.text(lang),
            "network": Msg::WebNetworkError.text(lang),
            "welcome": Msg::Help.text(lang),
            "feedbackAsk": Msg::FeedbackAsk.text(lang),
            "feedbackYes": Msg::FeedbackYes.text(lang),
            "feedbackNo": Msg::FeedbackNo.text(lang),
            "welcomeActions": [{"id": Action::MakeRequest.id(), "label": Action::MakeRequest.label(lang)}],
        })
    };
    let settings = json!({
        "maxChars": config.web.max_message_chars,
        "fr": strings(Language::Fr),
        "en": strings(Language::En),
    });
    debug_assert!(WIDGET_JS.contains(I18N_PLACEHOLDER));
    WIDGET_JS.replacen(I18N_PLACEHOLDER, &settings.to_string(), 1)
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct LangQuery {
    lang: Option<String>,
}

/// `GET /`: the chat page. The widget (built by `widget.js`) mounts in it.
pub(super) async fn page(
    State(state): State<AppState>,
    Query(query): Query<LangQuery>,
) -> Response {
    let lang = query
        .lang
        .and_then(|l| l.parse().ok())
        .unwrap_or(state.inner.default_language);
    let other = lang.other().code();
    let head = html! {
        link rel="stylesheet" href="/widget.css" data-guichet-css;
        script src="/widget.js" data-guichet defer {}
    };
    let body = html! {
        header class="site-header" {
            nav class="lang-switch" aria-label=(Msg::StaffLanguage.text(lang)) {
                a href={ "/?lang=" (other) } lang=(other) hreflang=(other) {
                    (Msg::WebOtherLanguage.text(lang))
                }
            }
            h1 { (Msg::WebTitle.text(lang)) }
            p class="intro" { (Msg::WebIntro.text(lang)) }
        }
        main id="main" {
            div id="guichet" data-guichet-mount {}
            noscript { p class="noscript" { (Msg::WebNoScript.text(lang)) } }
        }
    };
    let mut response = html_page(lang, Msg::WebTitle.text(lang), Some(head), body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        state.inner.page_csp.clone(),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

pub(super) async fn widget_js(State(state): State<AppState>) -> Response {
    asset(
        "text/javascript; charset=utf-8",
        state.inner.widget_js.clone(),
    )
}

pub(super) async fn widget_css() -> Response {
    asset("text/css; charset=utf-8", WIDGET_CSS.to_string())
}

pub(super) async fn site_css() -> Response {
    asset("text/css; charset=utf-8", SITE_CSS.to_string())
}

/// A static file, cached briefly so a new version reaches embedding sites within minutes.
fn asset(content_type: &'static str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        body,
    )
        .into_response()
}

/// A JSON body, with every way of getting it wrong answered as the API's own errors
/// (`bad_json`, or `message_too_long` past the body limit) instead of axum's plain text.
pub(super) struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(AppError::api(
                    ErrorKind::MessageTooLong {
                        max: state.inner.web.max_message_chars,
                    },
                    None,
                ))
            }
            Err(rejection) => {
                tracing::debug!(reason = %rejection.body_text(), "refused a malformed API request");
                Err(AppError::api(ErrorKind::BadJson, None))
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct SessionBody {
    #[serde(default)]
    lang: Option<String>,
}

/// `POST /api/session`: starts a chat session. The body is optional (`{"lang": "en"}`);
/// without it the language comes from `Accept-Language`, else the default.
pub(super) async fn new_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<SessionReply>, AppError> {
    let body: SessionBody = if body.iter().all(u8::is_ascii_whitespace) {
        SessionBody::default()
    } else if is_json(&headers) {
        serde_json::from_slice(&body).map_err(|_| AppError::api(ErrorKind::BadJson, None))?
    } else {
        return Err(AppError::api(ErrorKind::BadJson, None));
    };
    let lang = body
        .lang
        .and_then(|l| l.parse().ok())
        .or_else(|| accept_language(&headers))
        .unwrap_or(state.inner.default_language);
    let session = random_hex(16)
        .map_err(|e| AppError::internal(Surface::Api, format!("no random session id: {e}")))?;
    state
        .inner
        .chat_sessions
        .insert(session.clone(), ChatSession { lang }, Instant::now());
    Ok(Json(SessionReply {
        session,
        lang: lang.code(),
    }))
}

/// What `POST /api/session` answers.
#[derive(Debug, Serialize)]
pub(super) struct SessionReply {
    session: String,
    lang: &'static str,
}

#[derive(Debug, Deserialize)]
pub(super) struct ChatBody {
    session: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    lang: Option<String>,
}

/// `POST /api/chat`: one message (text, a button, or both) through the engine.
pub(super) async fn chat(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ChatBody>,
) -> Result<Response, AppError> {
    let asked_lang: Option<Language> = body.lang.as_deref().and_then(|l| l.parse().ok());
    let session_lang = valid_session_id(&body.session)
        .then(|| {
            state
                .inner
                .chat_sessions
                .with(&body.session, Instant::now(), |s| s.lang)
        })
        .flatten()
        .ok_or(AppError::api(ErrorKind::UnknownSession, asked_lang))?;
    let lang = asked_lang.unwrap_or(session_lang);
    let action = match body
        .action
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        Some(id) => {
            Some(Action::parse(id).ok_or(AppError::api(ErrorKind::UnknownAction, Some(lang)))?)
        }
        None => None,
    };
    let text = body.text.unwrap_or_default();
    let max = state.inner.web.max_message_chars;
    if text.chars().count() > max {
        return Err(AppError::api(ErrorKind::MessageTooLong { max }, Some(lang)));
    }
    if text.trim().is_empty() && action.is_none() {
        return Err(AppError::api(ErrorKind::EmptyMessage, Some(lang)));
    }
    let incoming = Incoming {
        channel: Channel::Web,
        conversation: body.session.clone(),
        sender: Sender::default(),
        text,
        action,
        lang_hint: Some(lang),
    };
    let reply = state.inner.assistant.reply(incoming).await.map_err(|e| {
        AppError::internal(
            Surface::Api,
            format!("{e}: {:?}", std::error::Error::source(&e)),
        )
    })?;
    state
        .inner
        .chat_sessions
        .with(&body.session, Instant::now(), |s| s.lang = reply.lang);
    Ok(Json(reply_json(&reply)).into_response())
}

/// [`Reply::to_json`]'s shape plus each hit's excerpt as highlighted runs (`segments`).
fn reply_json(reply: &Reply) -> ReplyJson<'_> {
    let mut json = ReplyJson::from(reply);
    for (hit, from) in json.hits.iter_mut().zip(&reply.hits) {
        hit.segments = Some(&from.excerpt.0);
    }
    json
}

/// Session ids are 32 lowercase hex digits; anything else is unknown without a lookup.
fn valid_session_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

/// The first of French or English in `Accept-Language`, in the browser's order.
fn accept_language(headers: &HeaderMap) -> Option<Language> {
    let value = headers.get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
    value.split(',').find_map(|part| {
        let tag = part.split(';').next()?.trim();
        tag.split('-')
            .next()?
            .parse::<Language>()
            .ok()
            .filter(|_| tag.len() >= 2)
    })
}

/// Counts every API call (but not CORS preflights) against the client's allowance.
pub(super) async fn rate_limit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::OPTIONS {
        if let Err(retry_after) = state.inner.chat_limiter.check(ip, Instant::now()) {
            tracing::debug!(client = %ip, "chat rate limit reached");
            return AppError::api(ErrorKind::RateLimited { retry_after }, None).into_response();
        }
    }
    next.run(request).await
}

/// CORS for the API: the origins in `web.allowed_origins` may call it from their pages
/// (the embedded widget); others get no `Access-Control-Allow-Origin`, so browsers keep
/// the answer from them. No credentials are involved: the session id travels in the body.
pub(super) async fn cors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let allowed = request
        .headers()
        .get(header::ORIGIN)
        .filter(|o| o.to_str().is_ok_and(|o| state.origin_allowed(o)))
        .cloned();
    let mut response = if request.method() == Method::OPTIONS {
        let mut response = match allowed {
            Some(_) => StatusCode::NO_CONTENT.into_response(),
            None => StatusCode::FORBIDDEN.into_response(),
        };
        if allowed.is_some() {
            let headers = response.headers_mut();
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("POST, OPTIONS"),
            );
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("content-type"),
            );
            headers.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
        }
        response
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    if let Some(origin) = allowed {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("retry-after"),
        );
    }
    headers.append(header::VARY, HeaderValue::from_static("origin"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_widget_gets_its_strings_in_both_languages_and_the_retention_period() {
        let mut config = Config::default();
        config.privacy.conversation_retention_days = 12;
        let js = build_widget_js(&config);
        assert!(
            !js.contains(I18N_PLACEHOLDER),
            "the placeholder is replaced"
        );
        assert!(js.contains("Votre message") && js.contains("Your message"));
        assert!(
            js.contains("12 jours") && js.contains("12 days"),
            "the privacy note names the period"
        );
    }

    #[test]
    fn session_ids_are_32_lowercase_hex_digits() {
        assert!(valid_session_id("0123456789abcdef0123456789abcdef"));
        assert!(!valid_session_id("0123456789ABCDEF0123456789ABCDEF"));
        assert!(!valid_session_id("0123456789abcdef"));
        assert!(!valid_session_id("../../etc/passwd0123456789abcdef"));
    }

    #[test]
    fn accept_language_picks_the_first_known_language() {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("de-DE, en-CA;q=0.8, fr;q=0.5"),
        );
        assert_eq!(accept_language(&h), Some(Language::En));
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("fr-CA,fr;q=0.9"),
        );
        assert_eq!(accept_language(&h), Some(Language::Fr));
        h.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("*"));
        assert_eq!(accept_language(&h), None);
    }
}
