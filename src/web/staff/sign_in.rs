//! Signing in and out: the sign-in page and its anti-forgery cookie, the password check
//! (limited per client address, queued for memory, as slow for an unknown username as for
//! a known one), the session cookie it sets, and signing out.

use std::fmt::Write as _;
use std::time::Instant;

use axum::extract::{Query, State};
use axum::http::header::{self, HeaderValue};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::html::staff_page;
use super::session::{
    same_token, secure_attribute, token_cookie, Staff, StaffSession, COOKIE, LOGIN_COOKIE,
};
use super::{blocking, LangQuery, StaffForm};
use crate::language::Language;
use crate::messages::Msg;
use crate::web::{
    escape, loggable_username, random_hex, retry_seconds, verify_password, AppError, AppState,
    ClientIp, Surface,
};

pub(super) async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
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
    headers: &HeaderMap,
    status: StatusCode,
    lang: Language,
    error: Option<&str>,
    username: &str,
) -> Result<Response, AppError> {
    let token = match token_cookie(headers, LOGIN_COOKIE) {
        Some(token) => token,
        None => new_token()?,
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
    set_cookie(&mut response, &cookie)?;
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub(super) struct LoginForm {
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

pub(super) async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
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
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_seconds(wait)));
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
    let token = new_token()?;
    let csrf = new_token()?;
    state.inner.staff_sessions.insert(
        token.clone(),
        StaffSession::new(form.username.clone(), csrf, lang, Instant::now()),
        Instant::now(),
    );
    tracing::info!(username = %loggable_username(&form.username, true), "staff signed in");
    let secure = secure_attribute(&state);
    let cookie = format!("{COOKIE}={token}; Path=/staff; HttpOnly; SameSite=Strict{secure}");
    // The sign-in token has served; the next sign-in page gets a new one.
    let spent =
        format!("{LOGIN_COOKIE}=; Path=/staff/login; HttpOnly; SameSite=Strict; Max-Age=0{secure}");
    let mut response = Redirect::to("/staff").into_response();
    set_cookie(&mut response, &cookie)?;
    set_cookie(&mut response, &spent)?;
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub(super) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub(super) async fn logout(
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
    set_cookie(&mut response, &cookie)?;
    Ok(response)
}

/// A new random token (a session, an anti-forgery token): 32 bytes in hex.
fn new_token() -> Result<String, AppError> {
    random_hex(32).map_err(|e| AppError::internal(Surface::Page, format!("no random token: {e}")))
}

/// Adds a `Set-Cookie: cookie` header to `response`.
fn set_cookie(response: &mut Response, cookie: &str) -> Result<(), AppError> {
    let value = HeaderValue::from_str(cookie).map_err(|e| AppError::internal(Surface::Page, e))?;
    response.headers_mut().append(header::SET_COOKIE, value);
    Ok(())
}
