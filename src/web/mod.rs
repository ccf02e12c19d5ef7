//! The web channel: the bilingual chat page and its embeddable widget, the JSON chat API,
//! and the staff pages. It only translates HTTP to and from the conversation engine and
//! the request desk; no search, intake or storage logic lives here.
//!
//! - [`chat`]: `GET /` (the chat page), `/widget.js` and its stylesheet, `POST
//!   /api/session`, `POST /api/chat`, CORS for the sites allowed to embed the widget.
//! - [`staff`]: `/staff`: sign-in, the request list with filters and exports, a request in
//!   full with forms to triage it (status, assignee, notes).
//! - [`limits`]: client keys for rate limits (IPv6 by /64, trusted proxies), the
//!   bounded in-memory session tables, and the failed sign-in counts that lock out an
//!   address or a username (the rate limiter itself is [`crate::limits`]).
//! - this file: the shared [`AppState`], the router ([`app`]), serving with graceful
//!   shutdown ([`serve`]), the one error type ([`AppError`]), HTML escaping, security
//!   headers and password hashing.
//!
//! [`crate::daemon`] calls [`AppState::new`] and runs [`serve`] on the bound listener;
//! tests start the same daemon on `127.0.0.1:0`.

pub mod chat;
pub mod connections;
mod feedback;
pub mod limits;
pub mod staff;

use std::fmt;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, Request};
use axum::http::header::{self, HeaderValue};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use maud::Markup;

use crate::assistant::Assistant;
use crate::config::{Config, StaffAccount, WebConfig};
use crate::language::Language;
use crate::limits::RateLimiter;
use crate::messages::Msg;
use crate::requests::RequestDesk;
use limits::{FailureLimiter, SessionMap};

/// The most chat sessions kept in memory; beyond it the least recently used is dropped.
const MAX_CHAT_SESSIONS: usize = 100_000;
/// The most clients tracked by each rate limiter.
const MAX_RATE_LIMITED_CLIENTS: usize = 100_000;
/// Failed sign-ins within [`LOGIN_WINDOW`] that lock out a client address, or a username
/// (known or not), for [`LOGIN_LOCKOUT`].
const LOGIN_FAILURES: usize = 5;
const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);
const LOGIN_LOCKOUT: Duration = Duration::from_secs(15 * 60);
/// Password checks per minute overall, whoever asks: bounds what many addresses guessing
/// at once can try, and the CPU and memory argon2 takes.
const SIGN_INS_PER_MINUTE: u32 = 60;
/// Staff sessions end after this long without a request…
const STAFF_IDLE: Duration = Duration::from_secs(4 * 3600);
/// …and in any case this long after signing in.
const STAFF_MAX_AGE: Duration = Duration::from_secs(12 * 3600);
const MAX_STAFF_SESSIONS: usize = 1_000;
/// The smallest request body limit of the API; raised when `web.max_message_chars` needs it.
const MIN_API_BODY_BYTES: usize = 64 * 1024;

/// Everything the handlers share. Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Shared>,
}

struct Shared {
    /// The conversation engine every chat message goes through.
    assistant: Assistant,
    /// The request log, for the staff pages (the same store the engine writes to).
    desk: RequestDesk,
    /// The supervised parts of the daemon, for `/healthz`.
    health: crate::daemon::Health,
    web: WebConfig,
    /// Who may sign in to `/staff`.
    staff_accounts: Vec<StaffAccount>,
    default_language: Language,
    /// Chat sessions expire with the engine's idle timeout: an expired session would find
    /// its unfinished request dropped anyway.
    chat_sessions: SessionMap<chat::ChatSession>,
    staff_sessions: SessionMap<staff::StaffSession>,
    /// Chat API calls per client per minute (`web.rate_limit_per_minute`).
    chat_limiter: RateLimiter<IpAddr>,
    /// Failed sign-ins per client address, so passwords cannot be guessed at speed (a
    /// success is not counted: colleagues behind one address do not lock each other out).
    address_failures: FailureLimiter<IpAddr>,
    /// Failed sign-ins per username as typed (at most [`MAX_USERNAME_KEY_CHARS`]), known or
    /// not, so one account cannot be guessed at from many addresses.
    username_failures: FailureLimiter<String>,
    /// Password checks overall ([`SIGN_INS_PER_MINUTE`]).
    sign_in_rate: RateLimiter<()>,
    /// `widget.js` with its strings (from [`Msg`]) and settings filled in, built once.
    widget_js: String,
    /// The chat page's Content-Security-Policy (it may be framed by the allowed origins).
    page_csp: HeaderValue,
    /// Verified against when the username is unknown, so a failed sign-in takes as long
    /// whether or not the account exists.
    dummy_hash: String,
    /// Password verifications running at once: argon2 takes ~19 MiB each, so a burst of
    /// sign-ins must queue rather than take the server's memory.
    password_permits: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// The web channel's state over the engine (and its store), configured by `config`
    /// (`web`, `staff`, the idle timeout and the retention period).
    pub fn new(assistant: Assistant, config: &Config) -> AppState {
        let web = config.web.clone();
        let mut csp = String::from(
            "default-src 'self'; base-uri 'none'; object-src 'none'; form-action 'self'; frame-ancestors 'self'",
        );
        for origin in &web.allowed_origins {
            csp.push(' ');
            csp.push_str(origin.as_str());
        }
        let page_csp = HeaderValue::from_str(&csp).unwrap_or_else(|_| {
            // Origins are validated at load (no spaces or control characters), so this is
            // unreachable; refusing to be framed is the safe fallback anyway.
            HeaderValue::from_static("default-src 'self'; frame-ancestors 'self'")
        });
        let idle = Duration::from_secs(u64::from(config.conversation.idle_timeout_minutes) * 60);
        let dummy_hash = random_hex(16)
            .ok()
            .and_then(|p| hash_password(&p).ok())
            .unwrap_or_else(|| DUMMY_HASH.to_string());
        let widget_js = chat::build_widget_js(config);
        AppState {
            inner: Arc::new(Shared {
                desk: assistant.desk(),
                health: crate::daemon::Health::default(),
                assistant,
                staff_accounts: config.staff.clone(),
                default_language: config.search.default_language,
                chat_sessions: SessionMap::new(idle, MAX_CHAT_SESSIONS),
                staff_sessions: SessionMap::new(STAFF_IDLE, MAX_STAFF_SESSIONS),
                chat_limiter: RateLimiter::steady(
                    web.rate_limit_per_minute,
                    Duration::from_secs(60),
                    MAX_RATE_LIMITED_CLIENTS,
                ),
                address_failures: FailureLimiter::new(
                    LOGIN_FAILURES,
                    LOGIN_WINDOW,
                    LOGIN_LOCKOUT,
                    MAX_RATE_LIMITED_CLIENTS,
                ),
                username_failures: FailureLimiter::new(
                    LOGIN_FAILURES,
                    LOGIN_WINDOW,
                    LOGIN_LOCKOUT,
                    MAX_RATE_LIMITED_CLIENTS,
                ),
                sign_in_rate: RateLimiter::sliding(SIGN_INS_PER_MINUTE, Duration::from_secs(60), 1),
                widget_js,
                page_csp,
                dummy_hash,
                password_permits: Arc::new(tokio::sync::Semaphore::new(PASSWORD_CHECKS_AT_ONCE)),
                web,
            }),
        }
    }

    /// The health `/healthz` reports; the daemon's supervisor keeps it up to date.
    pub fn health(&self) -> &crate::daemon::Health {
        &self.inner.health
    }

    pub fn assistant(&self) -> &Assistant {
        &self.inner.assistant
    }

    /// Whether `origin` (an `Origin` header) may embed the widget and call the API.
    fn origin_allowed(&self, origin: &str) -> bool {
        let origin = origin.trim_end_matches('/');
        self.inner
            .web
            .allowed_origins
            .iter()
            .any(|o| o.as_str().eq_ignore_ascii_case(origin))
    }

    /// The request body limit of the API: room for the longest allowed message (up to 4
    /// bytes a character in UTF-8, more when JSON-escaped) and the other fields.
    fn api_body_limit(&self) -> usize {
        MIN_API_BODY_BYTES.max(self.inner.web.max_message_chars * 6 + 4096)
    }
}

/// The whole web application: chat page, widget, API and staff pages, with security
/// headers on every response.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .route("/api/session", post(chat::new_session))
        .route("/api/chat", post(chat::chat))
        .route("/api/feedback", post(feedback::api_vote))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            chat::rate_limit,
        ))
        .layer(DefaultBodyLimit::max(state.api_body_limit()))
        // Outermost, so even refusals (429, 413) carry CORS headers the widget can read.
        .layer(middleware::from_fn_with_state(state.clone(), chat::cors));
    Router::new()
        .route("/", get(chat::page))
        .route("/widget.js", get(chat::widget_js))
        .route("/widget.css", get(chat::widget_css))
        .route("/site.css", get(chat::site_css))
        .route("/healthz", get(healthz))
        .route(
            "/feedback/{token}",
            get(feedback::confirm_page).post(feedback::post_vote),
        )
        .merge(api)
        .merge(staff::routes())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security_headers,
        ))
        .layer(middleware::from_fn(connections::deadline))
        .with_state(state)
}

/// Serves [`app`] on `listener` until `shutdown` completes, then lets the requests in
/// flight finish (the caller bounds that wait with a timeout). Slow and idle clients are
/// timed out and connections capped ([`connections`]).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, None, shutdown).await
}

/// [`serve`], with `extra` routes of another channel (the Teams endpoint) beside [`app`]'s.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    extra: Option<Router>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let address = listener.local_addr()?;
    tracing::info!(%address, "web server listening");
    let trusted = state.inner.web.trusted_proxies.clone();
    let router = match extra {
        Some(extra) => app(state).merge(extra),
        None => app(state),
    };
    connections::serve(listener, router, trusted, shutdown).await?;
    tracing::info!(%address, "web server stopped");
    Ok(())
}

/// `{"status": "ok"}` when every supervised part runs, else `"degraded"`, with each
/// part's state (`running`, `reconnecting` or `restarting` with its last error and since
/// when, `stopped`), restart count, and the knowledge in use (with its last refused
/// reload). 200, except 503 (`"down"`) once a channel has been down longer than
/// `web.channel_down_seconds`.
async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    let assistant = state.assistant();
    let (failing, report) = state.health().report(
        assistant,
        Duration::from_secs(state.inner.web.channel_down_seconds),
    );
    let status = if failing {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    (status, Json(report)).into_response()
}

async fn not_found() -> AppError {
    AppError::page(ErrorKind::NotFound, None)
}

/// Headers every response carries. A handler that sets its own Content-Security-Policy
/// (the chat page, which may be framed) keeps it.
async fn security_headers(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    // Answers and staff pages hold what people typed: no cache may keep them.
    if path.starts_with("/api/") || path.starts_with("/staff") {
        headers
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
    }
    if path.starts_with("/staff") {
        // Older browsers ignore CSP's frame-ancestors.
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    if state.inner.web.secure_cookies {
        // Served over HTTPS (that is what secure cookies promise): browsers should never
        // try plain HTTP again.
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'self'; base-uri 'none'; object-src 'none'; form-action 'self'; frame-ancestors 'none'",
        ));
    response
}

/// The client's address as the rate limits see it: [`client_ip`] (the TCP peer, or the
/// address a trusted proxy forwarded), cut by [`limits::client_key`]. Requests that did
/// not come through [`serve`] (tests calling [`app`] directly) share one key.
pub(crate) struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ip = match parts.extensions.get::<ConnectInfo<SocketAddr>>() {
            Some(ConnectInfo(peer)) => limits::client_key(client_ip(
                peer.ip(),
                &parts.headers,
                &state.inner.web.trusted_proxies,
            )),
            None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        };
        Ok(ClientIp(ip))
    }
}

/// The address of the client behind `peer` (the TCP peer). When `peer` is one of the
/// `trusted` proxies (`web.trusted_proxies`), it is the right-most address of
/// `X-Forwarded-For` that is not itself a trusted proxy: each proxy appends the address it
/// saw, so everything left of that one was written by the client and proves nothing.
/// Unparsable entries are skipped; with no usable entry, or from any other peer (who could
/// write anything in the header), it is `peer`.
pub(crate) fn client_ip(
    peer: IpAddr,
    headers: &axum::http::HeaderMap,
    trusted: &[IpAddr],
) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.contains(&ip.to_canonical());
    let peer = peer.to_canonical();
    if !is_trusted(peer) {
        return peer;
    }
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    entries
        .iter()
        .rev()
        .filter_map(|entry| parse_forwarded(entry.trim()))
        .map(|ip| ip.to_canonical())
        .find(|ip| !is_trusted(*ip))
        .unwrap_or(peer)
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:443`).
fn parse_forwarded(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|a| a.ip()))
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// What went wrong, as the person is told. Client mistakes each have their own code and
/// message; internal failures show a generic message and keep the details for the log.
#[derive(Debug)]
pub enum ErrorKind {
    /// No text and no button.
    EmptyMessage,
    MessageTooLong {
        max: usize,
    },
    /// The chat session does not exist or expired.
    UnknownSession,
    /// Not a JSON object of the expected shape, or not sent as JSON.
    BadJson,
    UnknownAction,
    RateLimited {
        retry_after: Duration,
    },
    /// A staff page without a valid session: go and sign in.
    LoginRequired,
    /// A staff form without the session's anti-forgery token.
    Forbidden,
    NotFound,
    RequestNotFound,
    BadForm,
    /// Our fault; the text is for the log only.
    Internal(String),
}

/// Where the error is shown: the chat API answers JSON, pages answer HTML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Api,
    Page,
}

/// The one error type of the web channel's handlers.
#[derive(Debug)]
pub struct AppError {
    pub kind: ErrorKind,
    /// The language to answer in; both languages when unknown.
    pub lang: Option<Language>,
    pub surface: Surface,
}

impl AppError {
    pub fn api(kind: ErrorKind, lang: Option<Language>) -> AppError {
        AppError {
            kind,
            lang,
            surface: Surface::Api,
        }
    }

    pub fn page(kind: ErrorKind, lang: Option<Language>) -> AppError {
        AppError {
            kind,
            lang,
            surface: Surface::Page,
        }
    }

    /// An internal failure, logged with `context` and the cause.
    pub fn internal(surface: Surface, context: impl fmt::Display) -> AppError {
        AppError {
            kind: ErrorKind::Internal(context.to_string()),
            lang: None,
            surface,
        }
    }

    /// The HTTP status, the stable code scripts see in `{"error"}`, and the message.
    fn parts(&self) -> (StatusCode, &'static str, Msg, Vec<(&'static str, String)>) {
        match &self.kind {
            ErrorKind::EmptyMessage => (
                StatusCode::BAD_REQUEST,
                "empty_message",
                Msg::EmptyQuestion,
                vec![],
            ),
            ErrorKind::MessageTooLong { max } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "message_too_long",
                Msg::ApiMessageTooLong,
                vec![("max", max.to_string())],
            ),
            ErrorKind::UnknownSession => (
                StatusCode::NOT_FOUND,
                "unknown_session",
                Msg::ApiUnknownSession,
                vec![],
            ),
            ErrorKind::BadJson => (StatusCode::BAD_REQUEST, "bad_json", Msg::ApiBadJson, vec![]),
            ErrorKind::UnknownAction => (
                StatusCode::BAD_REQUEST,
                "unknown_action",
                Msg::ApiUnknownAction,
                vec![],
            ),
            ErrorKind::RateLimited { retry_after } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                Msg::ApiRateLimited,
                vec![("seconds", retry_seconds(*retry_after).to_string())],
            ),
            ErrorKind::LoginRequired => (
                StatusCode::SEE_OTHER,
                "login_required",
                Msg::StaffLoginTitle,
                vec![],
            ),
            ErrorKind::Forbidden => (
                StatusCode::FORBIDDEN,
                "forbidden",
                Msg::StaffForbidden,
                vec![],
            ),
            ErrorKind::NotFound => (StatusCode::NOT_FOUND, "not_found", Msg::NotFound, vec![]),
            ErrorKind::RequestNotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                Msg::StaffRequestNotFound,
                vec![],
            ),
            ErrorKind::BadForm => (
                StatusCode::BAD_REQUEST,
                "bad_form",
                Msg::StaffBadForm,
                vec![],
            ),
            ErrorKind::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                Msg::InternalError,
                vec![],
            ),
        }
    }
}

/// Whole seconds for `Retry-After`, rounded up and at least 1.
fn retry_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// `msg` in `lang`, or in both languages (French first) when the language is unknown.
fn say(msg: Msg, lang: Option<Language>, values: &[(&str, String)]) -> String {
    let values: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
    match lang {
        Some(lang) => msg.fill(lang, &values),
        None => format!(
            "{} / {}",
            msg.fill(Language::Fr, &values),
            msg.fill(Language::En, &values)
        ),
    }
}

/// An API error's body: `{"error": code, "message"}`.
#[derive(serde::Serialize)]
struct ApiErrorBody {
    error: &'static str,
    message: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let ErrorKind::Internal(detail) = &self.kind {
            tracing::error!(error = %detail, "web request failed");
        }
        if matches!(self.kind, ErrorKind::LoginRequired) {
            return Redirect::to("/staff/login").into_response();
        }
        let (status, code, msg, values) = self.parts();
        let message = say(msg, self.lang, &values);
        let mut response = match self.surface {
            Surface::Api => {
                let body = ApiErrorBody {
                    error: code,
                    message,
                };
                (status, Json(body)).into_response()
            }
            Surface::Page => {
                let lang = self.lang.unwrap_or(Language::Fr);
                // Staff mistakes lead back to the list; anything else to the chat page.
                let staff = matches!(
                    self.kind,
                    ErrorKind::Forbidden | ErrorKind::RequestNotFound | ErrorKind::BadForm
                );
                let (title, href, back) = if staff {
                    (Msg::StaffTitle, "/staff", Msg::StaffBackToList)
                } else {
                    (Msg::WebTitle, "/", Msg::WebTitle)
                };
                let body = maud::html! {
                    main id="main" {
                        h1 { (title.text(lang)) }
                        p role="alert" { (message) }
                        p { a href=(href) { (back.text(lang)) } }
                    }
                };
                (status, html_page(lang, title.text(lang), None, body)).into_response()
            }
        };
        if let ErrorKind::RateLimited { retry_after } = self.kind {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_seconds(retry_after)),
            );
        }
        response
    }
}

// ---------------------------------------------------------------------------------------
// HTML
// ---------------------------------------------------------------------------------------

/// A complete HTML page with the site stylesheet. maud escapes every value (`&`, `<`, `>`,
/// `"`) and writes attributes in double quotes only, so an apostrophe needs no escaping.
fn html_page(
    lang: Language,
    title: &str,
    head_extra: Option<Markup>,
    body: Markup,
) -> Html<String> {
    let page = maud::html! {
        (maud::DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                link rel="stylesheet" href="/site.css";
                @if let Some(head) = head_extra { (head) }
            }
            body { (body) }
        }
    };
    Html(page.into_string())
}

/// A random token of `bytes` bytes, in lowercase hex.
pub(crate) fn random_hex(bytes: usize) -> Result<String, getrandom::Error> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)?;
    Ok(crate::text::hex(&buf))
}

// ---------------------------------------------------------------------------------------
// Passwords
// ---------------------------------------------------------------------------------------

/// A password could not be hashed (no randomness from the system, or argon2 refused it).
#[derive(Debug, thiserror::Error)]
#[error("cannot hash the password: {0}")]
pub struct PasswordError(String);

/// The argon2id hash (PHC string, `$argon2id$v=19$…`) of `password` with a random 128-bit
/// salt, for a `[[staff]]` entry's `password_hash`. `guichet hash-password` prints it.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| PasswordError(format!("no random salt: {e}")))?;
    let hash = Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map_err(|e| PasswordError(e.to_string()))?;
    Ok(hash.to_string())
}

/// Whether `password` matches `hash` (a PHC string made by [`hash_password`]). A malformed
/// hash matches nothing. Slow on purpose (tens of milliseconds): call it off the async
/// threads.
pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Password verifications at once (each holds argon2's ~19 MiB while it runs).
pub const PASSWORD_CHECKS_AT_ONCE: usize = 2;

/// How much of a typed username keys its failed sign-ins: staff usernames are short, and
/// a megabyte typed in the box must not be kept.
const MAX_USERNAME_KEY_CHARS: usize = 128;

/// The key of `username`'s failed sign-ins: the name as typed, cut to
/// [`MAX_USERNAME_KEY_CHARS`] characters.
fn username_key(username: &str) -> String {
    username.chars().take(MAX_USERNAME_KEY_CHARS).collect()
}

/// A username as it may appear in a log line: control and bidirectional characters
/// escaped (a newline or ESC cannot forge a line), at most 64 characters. A name that is
/// not a staff account is not logged at all (people type their password in the username
/// box): only its length is.
pub fn loggable_username(username: &str, known: bool) -> String {
    if !known {
        return format!("<unknown, {} characters>", username.chars().count());
    }
    username
        .chars()
        .take(64)
        .flat_map(|c| {
            if crate::text::is_unsafe_char(c) {
                c.escape_unicode().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// A well-formed argon2id hash (default parameters) of no known password, used only if no
/// fresh dummy can be made at start-up.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$bm90IGEgcmVhbCBzYWx0IQ$3uTr1fdr0Ot1w5E9RhHDNGcvj3MsJFU7wb5Z1dW/LCo";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_cannot_forge_log_lines_nor_leak_passwords() {
        let forged = "ana\n2026-12-01T00:00:00Z INFO staff signed in username=admin\u{1b}[2J";
        let logged = loggable_username(forged, true);
        assert!(
            !logged.contains('\n') && !logged.contains('\u{1b}'),
            "{logged}"
        );
        assert!(logged.starts_with("ana\\u{a}"), "{logged}");
        let bidi = loggable_username("ana\u{202e}nimda", true);
        assert!(!bidi.contains('\u{202e}'), "{bidi}");
        let typed_password = loggable_username("hunter2!Secret", false);
        assert!(!typed_password.contains("hunter2"), "{typed_password}");
        assert!(loggable_username(&"x".repeat(500), true).chars().count() <= 64);
    }

    #[test]
    fn a_password_hash_is_salted_argon2id_and_verifies_only_its_password() {
        let a = hash_password("correct horse battery").unwrap();
        let b = hash_password("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify_password("correct horse battery", &a));
        assert!(!verify_password("correct horse batterY", &a));
        assert!(!verify_password("anything", "not a hash"));
        assert!(!verify_password("", DUMMY_HASH));
        assert!(
            PasswordHash::new(DUMMY_HASH).is_ok(),
            "the fallback hash parses"
        );
    }

    fn forwarded(value: &str) -> axum::http::HeaderMap {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_forwarded_address_from_an_untrusted_peer_is_ignored() {
        let peer = ip("203.0.113.9");
        let spoofed = forwarded("1.1.1.1");
        assert_eq!(client_ip(peer, &spoofed, &[]), peer, "no trusted proxies");
        assert_eq!(
            client_ip(peer, &spoofed, &[ip("127.0.0.1")]),
            peer,
            "the peer is not the trusted proxy"
        );
        assert_eq!(
            client_ip(peer, &axum::http::HeaderMap::new(), &[peer]),
            peer,
            "a trusted proxy that sent no header"
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_client_is_the_right_most_untrusted_address() {
        let proxy = ip("127.0.0.1");
        let chain = forwarded("1.1.1.1, 2.2.2.2");
        assert_eq!(client_ip(proxy, &chain, &[proxy]), ip("2.2.2.2"));
        assert_eq!(
            client_ip(proxy, &chain, &[proxy, ip("2.2.2.2")]),
            ip("1.1.1.1"),
            "a second trusted proxy in the chain is skipped"
        );
        // Several headers read as one list, in order; ports and IPv4-mapped forms allowed.
        let mut headers = forwarded("9.9.9.9");
        headers.append("x-forwarded-for", HeaderValue::from_static("3.3.3.3:4567"));
        assert_eq!(client_ip(proxy, &headers, &[proxy]), ip("3.3.3.3"));
        assert_eq!(
            client_ip(
                ip("::ffff:127.0.0.1"),
                &forwarded("[2001:db8::1]:443"),
                &[proxy]
            ),
            ip("2001:db8::1")
        );
    }

    #[test]
    fn a_garbage_forwarded_header_falls_back_to_the_peer() {
        let proxy = ip("10.0.0.2");
        assert_eq!(
            client_ip(proxy, &forwarded("not an address"), &[proxy]),
            proxy
        );
        assert_eq!(client_ip(proxy, &forwarded(" , ,unknown"), &[proxy]), proxy);
        assert_eq!(
            client_ip(proxy, &forwarded("1.1.1.1, garbage"), &[proxy]),
            ip("1.1.1.1"),
            "an unparsable entry is skipped"
        );
        assert_eq!(
            client_ip(proxy, &forwarded("10.0.0.2"), &[proxy]),
            proxy,
            "only trusted proxies in the chain"
        );
    }

    #[test]
    fn retry_after_is_rounded_up_to_whole_seconds() {
        assert_eq!(retry_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_seconds(Duration::ZERO), 1);
        assert_eq!(retry_seconds(Duration::from_millis(19_500)), 20);
        assert_eq!(retry_seconds(Duration::from_secs(20)), 20);
    }

    #[test]
    fn a_message_in_an_unknown_language_is_given_in_both() {
        let both = say(Msg::ApiBadJson, None, &[]);
        assert!(
            both.contains("Requête invalide") && both.contains("Invalid request"),
            "{both}"
        );
        let en = say(
            Msg::ApiMessageTooLong,
            Some(Language::En),
            &[("max", "10".into())],
        );
        assert_eq!(en, "Your message is too long: 10 characters at most.");
    }
}
