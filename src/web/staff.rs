//! The staff pages under `/staff`: sign-in, the request list (filters, CSV and JSON
//! exports), and a request in full with the forms to triage it.
//!
//! Security: every value is written through [`escape`]; sessions live on the server and
//! the browser only holds a random token in an `HttpOnly`, `SameSite=Strict` cookie
//! scoped to `/staff`; every form carries the session's anti-forgery token, checked on
//! each POST (403 otherwise); the sign-in form, before any session, carries a token that
//! must match a pre-session cookie set with the page (double submit; 403 otherwise, and
//! not counted as an attempt); sign-in attempts are limited per client address, and an
//! unknown username costs the same password verification as a known one. Pages are in
//! French or English (`?lang=en|fr`, remembered in the session).

use std::fmt::Write as _;
use std::time::Instant;

use axum::extract::{Form, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::header::{self, HeaderValue};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use super::{
    escape, html_page, loggable_username, random_hex, verify_password, AppError, AppState,
    ClientIp, ErrorKind, Surface, STAFF_MAX_AGE,
};
use crate::language::Language;
use crate::messages::Msg;
use crate::requests::{
    export, AuditKind, Request as LoggedRequest, RequestFilter, RequestRef, RequestStatus,
    RequestType, Speaker, StoreError,
};

/// The staff session cookie.
const COOKIE: &str = "guichet_staff";
/// The sign-in form's anti-forgery cookie (double submit), set with the sign-in page.
const LOGIN_COOKIE: &str = "guichet_login";
/// The most requests shown on the list page (exports have no limit).
const LIST_LIMIT: usize = 1_000;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff", get(list))
        .route("/staff/login", get(login_page).post(login))
        .route("/staff/logout", post(logout))
        .route("/staff/export.csv", get(export_csv))
        .route("/staff/export.json", get(export_json))
        .route("/staff/requests/{reference}", get(detail))
        .route("/staff/requests/{reference}/status", post(set_status))
        .route("/staff/requests/{reference}/assign", post(assign))
        .route("/staff/requests/{reference}/note", post(add_note))
}

/// A signed-in staff member, as the server remembers them.
#[derive(Debug, Clone)]
pub struct StaffSession {
    username: String,
    /// Every form of this session carries it; a POST without it is refused.
    csrf: String,
    lang: Language,
    signed_in: Instant,
    /// The outcome of the last change, shown once on the next page (after the redirect).
    flash: Option<Flash>,
}

#[derive(Debug, Clone)]
struct Flash {
    ok: bool,
    text: String,
}

/// The staff member making a request: the extractor for every page but the sign-in
/// page. Without a live session, the browser is sent to `/staff/login`.
struct Staff {
    token: String,
    username: String,
    csrf: String,
    lang: Language,
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let login = || AppError::page(ErrorKind::LoginRequired, None);
        let token = session_cookie(&parts.headers).ok_or_else(login)?;
        let wanted = Query::<LangQuery>::try_from_uri(&parts.uri)
            .ok()
            .and_then(|Query(q)| q.lang)
            .and_then(|l| l.parse::<Language>().ok());
        let now = Instant::now();
        let found = state
            .inner
            .staff_sessions
            .with(&token, now, |s| {
                if now.saturating_duration_since(s.signed_in) >= STAFF_MAX_AGE {
                    return None;
                }
                if let Some(lang) = wanted {
                    s.lang = lang;
                }
                Some((s.username.clone(), s.csrf.clone(), s.lang))
            })
            .flatten();
        match found {
            Some((username, csrf, lang)) => Ok(Staff {
                token,
                username,
                csrf,
                lang,
            }),
            None => {
                state.inner.staff_sessions.remove(&token);
                Err(login())
            }
        }
    }
}

impl Staff {
    /// Refuses a form whose anti-forgery token is not this session's.
    fn check_csrf(&self, sent: &str) -> Result<(), AppError> {
        if same_token(sent, &self.csrf) {
            Ok(())
        } else {
            tracing::warn!(staff = %self.username, "refused a staff form without a valid anti-forgery token");
            Err(AppError::page(ErrorKind::Forbidden, Some(self.lang)))
        }
    }

    fn take_flash(&self, state: &AppState) -> Option<Flash> {
        state
            .inner
            .staff_sessions
            .with(&self.token, Instant::now(), |s| s.flash.take())
            .flatten()
    }

    fn set_flash(&self, state: &AppState, flash: Flash) {
        state
            .inner
            .staff_sessions
            .with(&self.token, Instant::now(), |s| s.flash = Some(flash));
    }
}

/// Whether an anti-forgery token sent with a form is the expected one. Compared without
/// an early exit, so the time taken says nothing about the token.
fn same_token(sent: &str, expected: &str) -> bool {
    sent.len() == expected.len()
        && sent
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

fn session_cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    token_cookie(headers, COOKIE)
}

/// The cookie `name` when it looks like one of our tokens (64 hex digits).
fn token_cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(found, _)| *found == name)
        .map(|(_, value)| value.to_string())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `; Secure` when cookies must only travel over HTTPS (`web.secure_cookies`).
fn secure_attribute(state: &AppState) -> &'static str {
    if state.inner.web.secure_cookies {
        "; Secure"
    } else {
        ""
    }
}

/// A form body; one that cannot be read is answered with a page, not axum's plain text.
struct StaffForm<T>(T);

impl<T: DeserializeOwned> FromRequest<AppState> for StaffForm<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        Form::<T>::from_request(request, state)
            .await
            .map(|Form(value)| StaffForm(value))
            .map_err(|rejection| {
                tracing::debug!(reason = %rejection.body_text(), "refused an unreadable staff form");
                AppError::page(ErrorKind::BadForm, None)
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

/// A desk failure on a page: the database's own errors are internal (logged, generic
/// message); the others are the staff member's to fix, shown in their language.
fn store_failure(error: StoreError, lang: Language) -> Result<String, AppError> {
    let text = match error {
        StoreError::NotFound(_) => {
            return Err(AppError::page(ErrorKind::RequestNotFound, Some(lang)))
        }
        StoreError::Database(detail) => return Err(AppError::internal(Surface::Page, detail)),
        StoreError::ReasonRequired => Msg::StaffReasonRequired.text(lang).to_string(),
        StoreError::InvalidTransition { from, to } => Msg::StaffInvalidTransition
            .fill(lang, &[("from", from.label(lang)), ("to", to.label(lang))]),
        StoreError::Invalid(detail) => Msg::StaffInvalidValue.fill(lang, &[("detail", &detail)]),
    };
    Ok(text)
}

#[derive(Debug, Default, Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Sign-in
// ---------------------------------------------------------------------------------------

async fn login_page(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Query(query): Query<LangQuery>,
) -> Result<Response, AppError> {
    let lang = query
        .lang
        .and_then(|l| l.parse().ok())
        .unwrap_or(Language::Fr);
    login_response(&state, &headers, StatusCode::OK, lang, None, "")
}

/// The sign-in page. Its form carries the browser's pre-session anti-forgery token (the
/// [`LOGIN_COOKIE`]), a new one when it has none, (re)set with the page.
fn login_response(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    status: StatusCode,
    lang: Language,
    error: Option<&str>,
    username: &str,
) -> Result<Response, AppError> {
    let token = match token_cookie(headers, LOGIN_COOKIE) {
        Some(token) => token,
        None => random_hex(32)
            .map_err(|e| AppError::internal(Surface::Page, format!("no random token: {e}")))?,
    };
    let mut body = format!("<h1>{}</h1>\n", escape(Msg::StaffLoginTitle.text(lang)));
    if let Some(error) = error {
        let _ = writeln!(
            body,
            "<p class=\"flash flash-error\" role=\"alert\">{}</p>",
            escape(error)
        );
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/staff/login\" class=\"login\">\n\
         <input type=\"hidden\" name=\"lang\" value=\"{lang}\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n\
         <p><label for=\"username\">{user_label}</label>\n\
         <input id=\"username\" name=\"username\" autocomplete=\"username\" required value=\"{username}\"></p>\n\
         <p><label for=\"password\">{password_label}</label>\n\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required></p>\n\
         <p><button type=\"submit\">{sign_in}</button></p>\n</form>",
        lang = lang.code(),
        csrf = escape(&token),
        user_label = escape(Msg::StaffUsername.text(lang)),
        username = escape(username),
        password_label = escape(Msg::StaffPassword.text(lang)),
        sign_in = escape(Msg::StaffSignIn.text(lang)),
    );
    let mut response = (
        status,
        staff_page(
            lang,
            Msg::StaffLoginTitle.text(lang),
            None,
            "/staff/login",
            &body,
        ),
    )
        .into_response();
    // A session cookie (no Max-Age) for the sign-in form only.
    let cookie = format!(
        "{LOGIN_COOKIE}={token}; Path=/staff/login; HttpOnly; SameSite=Strict{}",
        secure_attribute(state)
    );
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| AppError::internal(Surface::Page, e))?,
    );
    Ok(response)
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    lang: String,
    /// The sign-in page's anti-forgery token, to match the [`LOGIN_COOKIE`].
    #[serde(default)]
    csrf: String,
}

async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: axum::http::HeaderMap,
    StaffForm(form): StaffForm<LoginForm>,
) -> Result<Response, AppError> {
    let lang = form.lang.parse().unwrap_or(Language::Fr);
    // Checked first: a forged sign-in (another site posting this form in the staff
    // member's browser) is refused before it costs an attempt or a password check.
    let forged = token_cookie(&headers, LOGIN_COOKIE)
        .is_none_or(|expected| !same_token(&form.csrf, &expected));
    if forged {
        tracing::warn!(client = %ip, "refused a staff sign-in without a valid anti-forgery token");
        return login_response(
            &state,
            &headers,
            StatusCode::FORBIDDEN,
            lang,
            Some(Msg::StaffLoginForbidden.text(lang)),
            &form.username,
        );
    }
    if let Err(wait) = state.inner.login_limiter.check(ip, Instant::now()) {
        tracing::warn!(client = %ip, "too many staff sign-in attempts");
        let minutes = wait.as_secs().div_ceil(60).max(1).to_string();
        let message = Msg::StaffLoginLimited.fill(lang, &[("minutes", &minutes)]);
        let mut response = login_response(
            &state,
            &headers,
            StatusCode::TOO_MANY_REQUESTS,
            lang,
            Some(&message),
            &form.username,
        )?;
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(super::retry_seconds(wait)),
        );
        return Ok(response);
    }
    let account = state
        .inner
        .staff_accounts
        .iter()
        .find(|a| a.username == form.username)
        .map(|a| a.password_hash.clone());
    let known = account.is_some();
    let hash = account.unwrap_or_else(|| state.inner.dummy_hash.clone());
    let password = form.password;
    // An unknown user costs the same verification, so timing does not reveal usernames.
    // Verifications queue for a permit: each holds argon2's memory while it runs.
    let permit = state
        .inner
        .password_permits
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| AppError::internal(Surface::Page, format!("password permits closed: {e}")))?;
    let matches = blocking(move || verify_password(&password, &hash)).await?;
    drop(permit);
    if !(known && matches) {
        tracing::info!(username = %loggable_username(&form.username, known), "staff sign-in failed");
        return login_response(
            &state,
            &headers,
            StatusCode::UNAUTHORIZED,
            lang,
            Some(Msg::StaffLoginFailed.text(lang)),
            &form.username,
        );
    }
    let token = random_hex(32)
        .map_err(|e| AppError::internal(Surface::Page, format!("no random token: {e}")))?;
    let csrf = random_hex(32)
        .map_err(|e| AppError::internal(Surface::Page, format!("no random token: {e}")))?;
    state.inner.staff_sessions.insert(
        token.clone(),
        StaffSession {
            username: form.username.clone(),
            csrf,
            lang,
            signed_in: Instant::now(),
            flash: None,
        },
        Instant::now(),
    );
    tracing::info!(username = %loggable_username(&form.username, true), "staff signed in");
    let secure = secure_attribute(&state);
    let cookie = format!("{COOKIE}={token}; Path=/staff; HttpOnly; SameSite=Strict{secure}");
    // The sign-in token has served; the next sign-in page gets a new one.
    let spent =
        format!("{LOGIN_COOKIE}=; Path=/staff/login; HttpOnly; SameSite=Strict; Max-Age=0{secure}");
    let mut response = Redirect::to("/staff").into_response();
    for cookie in [cookie, spent] {
        response.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_str(&cookie).map_err(|e| AppError::internal(Surface::Page, e))?,
        );
    }
    Ok(response)
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    staff: Staff,
    StaffForm(form): StaffForm<CsrfForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    state.inner.staff_sessions.remove(&staff.token);
    tracing::info!(username = %staff.username, "staff signed out");
    let secure = secure_attribute(&state);
    let cookie = format!("{COOKIE}=; Path=/staff; HttpOnly; SameSite=Strict; Max-Age=0{secure}");
    let mut response =
        Redirect::to(&format!("/staff/login?lang={}", staff.lang.code())).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| AppError::internal(Surface::Page, e))?,
    );
    Ok(response)
}

// ---------------------------------------------------------------------------------------
// The list and the exports
// ---------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default, rename = "type")]
    request_type: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    q: String,
}

impl ListQuery {
    /// The desk filter; unknown codes and empty fields filter nothing.
    fn filter(&self, limit: Option<usize>) -> RequestFilter {
        let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        RequestFilter {
            status: RequestStatus::parse_code(&self.status),
            request_type: RequestType::parse_code(&self.request_type),
            assignee: text(&self.assignee),
            search: text(&self.q),
            limit,
        }
    }

    /// The same filter as a query string, for the export links.
    fn query_string(&self) -> String {
        [
            ("status", &self.status),
            ("type", &self.request_type),
            ("assignee", &self.assignee),
            ("q", &self.q),
        ]
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", url_encode(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
    }
}

async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let lang = staff.lang;
    let desk = state.inner.desk.clone();
    let filter = query.filter(Some(LIST_LIMIT));
    let requests = blocking(move || desk.list(&filter))
        .await?
        .map_err(|e| AppError::internal(Surface::Page, e))?;
    let mut body = format!("<h1>{}</h1>\n", escape(Msg::StaffRequests.text(lang)));
    push_flash(&mut body, staff.take_flash(&state));

    let _ = write!(body, "<form method=\"get\" action=\"/staff\" class=\"filters\">\n<p><label for=\"f-status\">{}</label>\n<select id=\"f-status\" name=\"status\">\n<option value=\"\">{}</option>\n", escape(Msg::StaffStatus.text(lang)), escape(Msg::StaffAny.text(lang)));
    let chosen_status = RequestStatus::parse_code(&query.status);
    for status in RequestStatus::ALL {
        push_option(
            &mut body,
            status.code(),
            status.label(lang),
            chosen_status == Some(status),
        );
    }
    let _ = write!(body, "</select></p>\n<p><label for=\"f-type\">{}</label>\n<select id=\"f-type\" name=\"type\">\n<option value=\"\">{}</option>\n", escape(Msg::FieldType.text(lang)), escape(Msg::StaffAny.text(lang)));
    let chosen_type = RequestType::parse_code(&query.request_type);
    for kind in RequestType::ALL {
        push_option(
            &mut body,
            kind.code(),
            kind.label(lang),
            chosen_type == Some(kind),
        );
    }
    let _ = write!(
        body,
        "</select></p>\n<p><label for=\"f-assignee\">{assignee_label}</label>\n<input id=\"f-assignee\" name=\"assignee\" value=\"{assignee}\"></p>\n\
         <p class=\"wide\"><label for=\"f-q\">{search_label}</label>\n<input id=\"f-q\" type=\"search\" name=\"q\" value=\"{q}\"></p>\n\
         <p><button type=\"submit\">{filter}</button></p>\n</form>\n",
        assignee_label = escape(Msg::StaffAssignee.text(lang)),
        assignee = escape(&query.assignee),
        search_label = escape(Msg::StaffSearch.text(lang)),
        q = escape(&query.q),
        filter = escape(Msg::StaffFilter.text(lang)),
    );
    let qs = query.query_string();
    let suffix = if qs.is_empty() {
        String::new()
    } else {
        format!("?{qs}")
    };
    let _ = write!(
        body,
        "<p class=\"exports\"><a href=\"/staff/export.csv{suffix}\">{csv}</a> · <a href=\"/staff/export.json{suffix}\">{json}</a></p>\n\
         <p class=\"count\">{count}</p>\n",
        suffix = escape(&suffix),
        csv = escape(Msg::StaffExportCsv.text(lang)),
        json = escape(Msg::StaffExportJson.text(lang)),
        count = escape(&Msg::StaffCount.fill(lang, &[("count", &requests.len().to_string())])),
    );
    if requests.is_empty() {
        let _ = writeln!(body, "<p>{}</p>", escape(Msg::StaffNoRequests.text(lang)));
    } else {
        let _ = write!(
            body,
            "<table class=\"requests\">\n<thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead>\n<tbody>\n",
            escape(Msg::StaffReference.text(lang)),
            escape(Msg::StaffCreated.text(lang)),
            escape(Msg::StaffStatus.text(lang)),
            escape(Msg::FieldType.text(lang)),
            escape(Msg::FieldName.text(lang)),
            escape(Msg::FieldOrganization.text(lang)),
            escape(Msg::StaffAssignee.text(lang)),
            escape(Msg::StaffChannel.text(lang)),
        );
        for r in &requests {
            let reference = r.reference.to_string();
            let _ = writeln!(
                body,
                "<tr><th scope=\"row\"><a href=\"/staff/requests/{reference}\">{reference}</a></th><td>{created}</td><td class=\"status status-{status_code}\">{status}</td><td>{kind}</td><td>{name}</td><td>{org}</td><td>{assignee}</td><td>{channel}</td></tr>",
                reference = escape(&reference),
                created = escape(&when(r.created_at)),
                status_code = escape(r.status.code()),
                status = escape(r.status.label(lang)),
                kind = escape(r.request_type.label(lang)),
                name = escape(&r.requester_name),
                org = escape(&r.organization),
                assignee = escape(r.assignee.as_deref().unwrap_or("—")),
                channel = escape(r.channel.code()),
            );
        }
        body.push_str("</tbody>\n</table>\n");
    }
    Ok(staff_page(
        lang,
        Msg::StaffRequests.text(lang),
        Some(&staff),
        "/staff",
        &body,
    ))
}

async fn export_csv(
    State(state): State<AppState>,
    _staff: Staff,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let requests = exported(&state, &query).await?;
    Ok(download(
        "text/csv; charset=utf-8",
        "guichet-requests.csv",
        export::to_csv(&requests),
    ))
}

async fn export_json(
    State(state): State<AppState>,
    _staff: Staff,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let requests = exported(&state, &query).await?;
    Ok(download(
        "application/json",
        "guichet-requests.json",
        export::to_json(&requests),
    ))
}

async fn exported(state: &AppState, query: &ListQuery) -> Result<Vec<LoggedRequest>, AppError> {
    let desk = state.inner.desk.clone();
    let filter = query.filter(None);
    blocking(move || desk.list(&filter))
        .await?
        .map_err(|e| AppError::internal(Surface::Page, e))
}

fn download(content_type: &'static str, filename: &'static str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response()
}

// ---------------------------------------------------------------------------------------
// One request
// ---------------------------------------------------------------------------------------

fn parse_reference(text: &str, lang: Language) -> Result<RequestRef, AppError> {
    RequestRef::parse(text).map_err(|_| AppError::page(ErrorKind::RequestNotFound, Some(lang)))
}

async fn detail(
    State(state): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
) -> Result<Response, AppError> {
    let lang = staff.lang;
    let reference = parse_reference(&reference, lang)?;
    let desk = state.inner.desk.clone();
    let wanted = reference;
    let (request, history) = blocking(move || {
        let request = desk.get(&wanted)?;
        let history = match &request {
            Some(_) => desk.history(&wanted)?,
            None => Vec::new(),
        };
        Ok::<_, StoreError>((request, history))
    })
    .await?
    .map_err(|e| AppError::internal(Surface::Page, e))?;
    let request = request.ok_or(AppError::page(ErrorKind::RequestNotFound, Some(lang)))?;
    let r = &request;
    let reference = r.reference.to_string();
    let mut body = format!(
        "<p><a href=\"/staff\">{}</a></p>\n<h1>{}</h1>\n",
        escape(Msg::StaffBackToList.text(lang)),
        escape(&reference)
    );
    push_flash(&mut body, staff.take_flash(&state));

    body.push_str("<dl class=\"fields\">\n");
    let mut field = |label: Msg, value: &str| {
        let _ = writeln!(
            body,
            "<dt>{}</dt><dd>{}</dd>",
            escape(label.text(lang)),
            escape(value)
        );
    };
    field(Msg::StaffStatus, r.status.label(lang));
    field(Msg::StaffCreated, &when(r.created_at));
    field(Msg::StaffUpdated, &when(r.updated_at));
    field(Msg::StaffChannel, r.channel.code());
    field(Msg::FieldType, r.request_type.label(lang));
    field(Msg::StaffLanguage, r.language.code());
    field(Msg::FieldName, &r.requester_name);
    field(Msg::FieldEmail, r.requester_email.as_str());
    if let Some(handle) = &r.requester_handle {
        field(Msg::StaffHandle, handle);
    }
    field(Msg::FieldOrganization, &r.organization);
    field(Msg::StaffAssignee, r.assignee.as_deref().unwrap_or("—"));
    if let Some(reason) = &r.closed_reason {
        field(Msg::StaffClosedReason, reason);
    }
    if !r.attachments.is_empty() {
        field(Msg::StaffAttachments, &r.attachments.join(", "));
    }
    body.push_str("</dl>\n");
    let _ = writeln!(
        body,
        "<h2>{}</h2>\n<p class=\"text\">{}</p>",
        escape(Msg::FieldDescription.text(lang)),
        escape(&r.description)
    );

    let _ = writeln!(body, "<h2>{}</h2>", escape(Msg::StaffTranscript.text(lang)));
    body.push_str("<ol class=\"transcript\">\n");
    for entry in &r.transcript {
        let who = match entry.from {
            Speaker::Person => Msg::SpeakerPerson,
            Speaker::Guichet => Msg::SpeakerGuichet,
            Speaker::Staff => Msg::SpeakerStaff,
        };
        let _ = writeln!(
            body,
            "<li class=\"from-{code}\"><p class=\"meta\"><strong>{who}</strong> · {at}</p><p class=\"text\">{text}</p></li>",
            code = escape(entry.from.code()),
            who = escape(who.text(lang)),
            at = escape(&when(entry.at)),
            text = escape(&entry.text),
        );
    }
    body.push_str("</ol>\n");

    let _ = writeln!(body, "<h2>{}</h2>", escape(Msg::StaffNotes.text(lang)));
    body.push_str("<ul class=\"notes\">\n");
    for note in &r.staff_notes {
        let _ = writeln!(
            body,
            "<li><p class=\"meta\"><strong>{by}</strong> · {at}</p><p class=\"text\">{text}</p></li>",
            by = escape(&note.by),
            at = escape(&when(note.at)),
            text = escape(&note.text),
        );
    }
    body.push_str("</ul>\n");

    push_forms(&mut body, r, &staff);

    let _ = write!(
        body,
        "<h2>{}</h2>\n<table class=\"history\">\n<thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead>\n<tbody>\n",
        escape(Msg::StaffHistory.text(lang)),
        escape(Msg::StaffWhen.text(lang)),
        escape(Msg::StaffWho.text(lang)),
        escape(Msg::StaffWhat.text(lang)),
    );
    for event in &history {
        let show = |v: &Option<String>| -> String {
            let v = v.as_deref().unwrap_or("");
            match event.kind {
                AuditKind::Created | AuditKind::Status | AuditKind::Reopened => {
                    RequestStatus::parse_code(v)
                        .map_or(v.to_string(), |s| s.label(lang).to_string())
                }
                _ => v.to_string(),
            }
        };
        let mut what = event.kind.code().to_string();
        if event.from.is_some() || event.to.is_some() {
            let _ = write!(what, " : {} → {}", show(&event.from), show(&event.to));
        }
        if let Some(note) = &event.note {
            let _ = write!(what, " — {note}");
        }
        let _ = writeln!(
            body,
            "<tr><td>{}</td><td>{}</td><td class=\"text\">{}</td></tr>",
            escape(&when(event.at)),
            escape(&event.by),
            escape(&what)
        );
    }
    body.push_str("</tbody>\n</table>\n");
    let path = format!("/staff/requests/{reference}");
    Ok(staff_page(lang, &reference, Some(&staff), &path, &body))
}

/// The three forms of the detail page: status (with a note), assignee, note.
fn push_forms(body: &mut String, r: &LoggedRequest, staff: &Staff) {
    let lang = staff.lang;
    let reference = r.reference.to_string();
    let action = |what: &str| format!("/staff/requests/{}/{what}", escape(&reference));
    let csrf = format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        escape(&staff.csrf)
    );
    let save = escape(Msg::StaffSave.text(lang));

    let _ = writeln!(
        body,
        "<section class=\"forms\">\n<h2>{}</h2>",
        escape(Msg::StaffChangeStatus.text(lang))
    );
    let next: Vec<RequestStatus> = RequestStatus::ALL
        .into_iter()
        .filter(|s| r.status.can_move_to(*s))
        .collect();
    if next.is_empty() {
        let _ = writeln!(body, "<p>{}</p>", escape(Msg::StaffNoMove.text(lang)));
    } else {
        let _ = write!(
            body,
            "<form method=\"post\" action=\"{action}\">\n{csrf}\n<p><label for=\"status\">{label}</label>\n<select id=\"status\" name=\"status\">\n",
            action = action("status"),
            label = escape(Msg::StaffStatus.text(lang)),
        );
        for status in next {
            push_option(body, status.code(), status.label(lang), false);
        }
        let _ = write!(
            body,
            "</select></p>\n<p><label for=\"status-note\">{note_label}</label>\n<textarea id=\"status-note\" name=\"note\" rows=\"3\"></textarea></p>\n<p><button type=\"submit\">{save}</button></p>\n</form>\n",
            note_label = escape(Msg::StaffNoteOrReason.text(lang)),
        );
    }

    let _ = write!(
        body,
        "<h2>{title}</h2>\n<form method=\"post\" action=\"{action}\">\n{csrf}\n<p><label for=\"assignee\">{label}</label>\n\
         <input id=\"assignee\" name=\"assignee\" required value=\"{value}\"></p>\n<p><button type=\"submit\">{submit}</button></p>\n</form>\n",
        title = escape(Msg::StaffAssign.text(lang)),
        action = action("assign"),
        label = escape(Msg::StaffAssignee.text(lang)),
        value = escape(r.assignee.as_deref().unwrap_or(&staff.username)),
        submit = escape(Msg::StaffAssign.text(lang)),
    );

    let _ = write!(
        body,
        "<h2>{title}</h2>\n<form method=\"post\" action=\"{action}\">\n{csrf}\n<p><label for=\"note\">{label}</label>\n\
         <textarea id=\"note\" name=\"note\" rows=\"4\" required></textarea></p>\n<p><button type=\"submit\">{submit}</button></p>\n</form>\n</section>\n",
        title = escape(Msg::StaffAddNote.text(lang)),
        action = action("note"),
        label = escape(Msg::StaffNote.text(lang)),
        submit = escape(Msg::StaffAddNote.text(lang)),
    );
}

#[derive(Debug, Deserialize)]
struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    note: String,
}

async fn set_status(
    State(state): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    StaffForm(form): StaffForm<StatusForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let reference = parse_reference(&reference, staff.lang)?;
    let outcome = match RequestStatus::parse_code(&form.status) {
        None => Err(StoreError::Invalid(format!(
            "unknown status '{}'",
            form.status
        ))),
        Some(status) => {
            let (desk, by, wanted) = (state.inner.desk.clone(), staff.username.clone(), reference);
            let note = Some(form.note.trim().to_string()).filter(|n| !n.is_empty());
            blocking(move || {
                desk.set_status(
                    &wanted,
                    status,
                    note.as_deref(),
                    &by,
                    OffsetDateTime::now_utc(),
                )
            })
            .await?
        }
    };
    back_to_request(&state, &staff, &reference, outcome.map(drop))
}

#[derive(Debug, Deserialize)]
struct AssignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    assignee: String,
}

async fn assign(
    State(state): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    StaffForm(form): StaffForm<AssignForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let reference = parse_reference(&reference, staff.lang)?;
    let (desk, by, wanted) = (state.inner.desk.clone(), staff.username.clone(), reference);
    let outcome =
        blocking(move || desk.assign(&wanted, &form.assignee, &by, OffsetDateTime::now_utc()))
            .await?;
    back_to_request(&state, &staff, &reference, outcome.map(drop))
}

#[derive(Debug, Deserialize)]
struct NoteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
}

async fn add_note(
    State(state): State<AppState>,
    staff: Staff,
    Path(reference): Path<String>,
    StaffForm(form): StaffForm<NoteForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let reference = parse_reference(&reference, staff.lang)?;
    let (desk, by, wanted) = (state.inner.desk.clone(), staff.username.clone(), reference);
    let outcome =
        blocking(move || desk.add_note(&wanted, &form.note, &by, OffsetDateTime::now_utc()))
            .await?;
    back_to_request(&state, &staff, &reference, outcome.map(drop))
}

/// After a change: remember how it went for the next page, and go back to the request
/// (303, so reloading the page does not repeat the POST).
fn back_to_request(
    state: &AppState,
    staff: &Staff,
    reference: &RequestRef,
    outcome: Result<(), StoreError>,
) -> Result<Response, AppError> {
    let flash = match outcome {
        Ok(()) => {
            tracing::info!(reference = %reference, staff = %staff.username, "staff changed a request");
            Flash {
                ok: true,
                text: Msg::StaffSaved.text(staff.lang).to_string(),
            }
        }
        Err(e) => Flash {
            ok: false,
            text: store_failure(e, staff.lang)?,
        },
    };
    staff.set_flash(state, flash);
    Ok(Redirect::to(&format!("/staff/requests/{reference}")).into_response())
}

// ---------------------------------------------------------------------------------------
// Rendering helpers
// ---------------------------------------------------------------------------------------

/// A staff page: header (title, language switch, who is signed in, sign-out), then
/// `body` (already HTML). Never cached: it holds personal data.
fn staff_page(
    lang: Language,
    title: &str,
    staff: Option<&Staff>,
    path: &str,
    body: &str,
) -> Response {
    let other = lang.other();
    let mut header = format!(
        "<header class=\"staff-header\">\n<p class=\"brand\"><a href=\"/staff\">{brand}</a></p>\n\
         <nav class=\"lang-switch\" aria-label=\"{nav}\"><a href=\"{path}?lang={other}\" lang=\"{other}\" hreflang=\"{other}\">{other_name}</a></nav>\n",
        brand = escape(Msg::StaffTitle.text(lang)),
        nav = escape(Msg::StaffLanguage.text(lang)),
        path = escape(path),
        other = other.code(),
        other_name = escape(Msg::WebOtherLanguage.text(lang)),
    );
    if let Some(staff) = staff {
        let _ = write!(
            header,
            "<form method=\"post\" action=\"/staff/logout\" class=\"signout\">\n<span>{who}</span>\n\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n<button type=\"submit\">{sign_out}</button>\n</form>\n",
            who = escape(&Msg::StaffSignedInAs.fill(lang, &[("user", &staff.username)])),
            csrf = escape(&staff.csrf),
            sign_out = escape(Msg::StaffSignOut.text(lang)),
        );
    }
    header.push_str("</header>\n");
    let full = format!("{header}<main id=\"main\" class=\"staff\">\n{body}</main>");
    let page_title = format!("{title} — {}", Msg::StaffTitle.text(lang));
    let Html(html) = html_page(lang, &page_title, None, &full);
    (
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Html(html),
    )
        .into_response()
}

fn push_flash(body: &mut String, flash: Option<Flash>) {
    if let Some(flash) = flash {
        let (class, role) = if flash.ok {
            ("flash-ok", "status")
        } else {
            ("flash-error", "alert")
        };
        let _ = writeln!(
            body,
            "<p class=\"flash {class}\" role=\"{role}\">{}</p>",
            escape(&flash.text)
        );
    }
}

fn push_option(body: &mut String, value: &str, label: &str, selected: bool) {
    let _ = writeln!(
        body,
        "<option value=\"{}\"{}>{}</option>",
        escape(value),
        if selected { " selected" } else { "" },
        escape(label)
    );
}

/// A time as staff read it: `2026-03-04 14:05 UTC`.
fn when(at: OffsetDateTime) -> String {
    at.to_offset(UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute] UTC"
        ))
        .unwrap_or_else(|_| at.to_string())
}

/// Percent-encodes a query-string value (RFC 3986 unreserved characters are kept).
fn url_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others_and_must_look_like_a_token() {
        let token = "ab".repeat(32);
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("theme=dark; {COOKIE}={token}; x=y")).unwrap(),
        );
        assert_eq!(session_cookie(&headers).as_deref(), Some(token.as_str()));
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("guichet_staff=short"),
        );
        assert_eq!(session_cookie(&headers), None);
        let login = "cd".repeat(32);
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("{COOKIE}={token}; {LOGIN_COOKIE}={login}")).unwrap(),
        );
        assert_eq!(
            token_cookie(&headers, LOGIN_COOKIE).as_deref(),
            Some(login.as_str())
        );
        assert_eq!(session_cookie(&headers).as_deref(), Some(token.as_str()));
    }

    #[test]
    fn anti_forgery_tokens_must_match_exactly() {
        let token = "ab".repeat(32);
        assert!(same_token(&token, &token));
        assert!(!same_token(&"ab".repeat(31), &token), "a prefix");
        assert!(!same_token(&format!("{token}0"), &token), "longer");
        assert!(!same_token(&"aB".repeat(32), &token), "case matters");
        assert!(!same_token("", &token));
    }

    #[test]
    fn filters_ignore_unknown_codes_and_round_trip_into_export_links() {
        let q = ListQuery {
            status: "closed".into(),
            request_type: "nonsense".into(),
            assignee: " ana ".into(),
            q: "Tremblay & fils".into(),
        };
        let f = q.filter(None);
        assert_eq!(f.status, Some(RequestStatus::Closed));
        assert_eq!(f.request_type, None);
        assert_eq!(f.assignee.as_deref(), Some("ana"));
        assert_eq!(
            q.query_string(),
            "status=closed&type=nonsense&assignee=ana&q=Tremblay%20%26%20fils"
        );
    }
}
