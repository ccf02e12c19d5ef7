//! Signing in and out: the sign-in page and its anti-forgery cookie, the password check,
//! the session cookie it sets, signing out, and signing out everywhere (every session of
//! the staff member, in every browser).
//!
//! Before a password is checked (argon2: slow and memory-hungry on purpose), a sign-in must
//! pass, in this order: the sign-in form's anti-forgery token (403, not counted); the
//! client address's failed sign-ins; the username's, known or not, under the same rule and
//! with the same answer either way, so a lock says nothing about which names exist; and
//! the overall rate of password checks. Each refusal is a 429 with `Retry-After`, in the
//! page's language, and none of them runs argon2. Only failed passwords count toward the
//! locks ([`FailureLimiter`](crate::web::limits::FailureLimiter)): a success is not
//! counted, so colleagues behind one office address do not lock each other out. An
//! unknown username is checked against a dummy hash, so it takes as long as a known one.

use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::header::{self, HeaderValue};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::html::{self, staff_page};
use super::session::{cookies, end_all_sessions, same_token, Flash, Staff, StaffSession};
use super::{blocking, StaffForm};
use crate::language::Language;
use crate::messages::Msg;
use crate::web::{
    loggable_username, random_hex, retry_seconds, username_key, verify_password, AppError,
    AppState, ClientIp, Surface,
};

/// `?lang=` and, after signing out everywhere, `?signed_out=everywhere`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct LoginQuery {
    lang: Option<String>,
    signed_out: Option<String>,
}

/// The value of `signed_out` that shows the confirmation of signing out everywhere.
const SIGNED_OUT_EVERYWHERE: &str = "everywhere";

pub(super) async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
) -> Result<Response, AppError> {
    let lang = query
        .lang
        .and_then(|l| l.parse().ok())
        .unwrap_or(Language::Fr);
    // A fixed sentence chosen by a fixed value: a link cannot make the page say anything
    // else.
    let notice = (query.signed_out.as_deref() == Some(SIGNED_OUT_EVERYWHERE)).then(|| Flash {
        ok: true,
        text: Msg::StaffSignedOutEverywhere.text(lang).to_string(),
    });
    login_response(&state, &headers, StatusCode::OK, lang, notice, "")
}

/// The sign-in page, with `flash` above the form. Its form carries the browser's
/// pre-session anti-forgery token (the sign-in cookie), a new one when it has none,
/// (re)set with the page.
fn login_response(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    lang: Language,
    flash: Option<Flash>,
    username: &str,
) -> Result<Response, AppError> {
    let cookies = cookies(state);
    let token = match cookies.login_token(headers) {
        Some(token) => token,
        None => new_token()?,
    };
    let body = html! {
        h1 { (Msg::StaffLoginTitle.text(lang)) }
        (html::flash(flash))
        form method="post" action="/staff/login" class="login" {
            input type="hidden" name="lang" value=(lang.code());
            input type="hidden" name="csrf" value=(token);
            p {
                label for="username" { (Msg::StaffUsername.text(lang)) }
                input id="username" name="username" autocomplete="username" required value=(username);
            }
            p {
                label for="password" { (Msg::StaffPassword.text(lang)) }
                input id="password" name="password" type="password" autocomplete="current-password" required;
            }
            p { button type="submit" { (Msg::StaffSignIn.text(lang)) } }
        }
    };
    let mut response = (
        status,
        staff_page(
            lang,
            Msg::StaffLoginTitle.text(lang),
            None,
            "/staff/login",
            body,
        ),
    )
        .into_response();
    // A browser-session cookie (no Max-Age) for the sign-in form only.
    set_cookie(&mut response, &cookies.set_login(&token))?;
    Ok(response)
}

/// The sign-in page again with `error`.
fn login_error(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    lang: Language,
    error: String,
    username: &str,
) -> Result<Response, AppError> {
    let flash = Flash {
        ok: false,
        text: error,
    };
    login_response(state, headers, status, lang, Some(flash), username)
}

/// A sign-in refused before its password is checked: 429, `Retry-After: wait`, and `msg`
/// (filled with the wait in `{minutes}`) on the sign-in page.
fn refused(
    state: &AppState,
    headers: &HeaderMap,
    lang: Language,
    msg: Msg,
    wait: Duration,
    username: &str,
) -> Result<Response, AppError> {
    let minutes = wait.as_secs().div_ceil(60).max(1).to_string();
    let message = msg.fill(lang, &[("minutes", &minutes)]);
    let mut response = login_error(
        state,
        headers,
        StatusCode::TOO_MANY_REQUESTS,
        lang,
        message,
        username,
    )?;
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_seconds(wait)));
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
    /// The sign-in page's anti-forgery token, to match the sign-in cookie.
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
    let cookies = cookies(&state);
    // Checked first: a forged sign-in (another site posting this form in the staff
    // member's browser) is refused before it costs an attempt or a password check.
    let forged = cookies
        .login_token(&headers)
        .is_none_or(|expected| !same_token(&form.csrf, &expected));
    if forged {
        tracing::warn!(client = %ip, "refused a staff sign-in without a valid anti-forgery token");
        return login_error(
            &state,
            &headers,
            StatusCode::FORBIDDEN,
            lang,
            Msg::StaffLoginForbidden.text(lang).to_string(),
            &form.username,
        );
    }
    let account = state
        .inner
        .staff_accounts
        .iter()
        .find(|a| a.username == form.username)
        .map(|a| a.password_hash.clone());
    let known = account.is_some();
    // Escaped, and only a length for a name that is no account (it may be a password).
    let who = loggable_username(&form.username, known);
    let now = Instant::now();
    let by_address = match state.inner.address_failures.begin(ip, now) {
        Ok(attempt) => attempt,
        Err(refusal) => {
            tracing::warn!(client = %ip, "staff sign-in refused: too many failed sign-ins from this address");
            let wait = refusal.wait();
            let msg = Msg::StaffLoginLimited;
            return refused(&state, &headers, lang, msg, wait, &form.username);
        }
    };
    let by_name = match state
        .inner
        .username_failures
        .begin(username_key(&form.username), now)
    {
        Ok(attempt) => attempt,
        Err(refusal) => {
            tracing::warn!(client = %ip, username = %who, "staff sign-in refused: too many failed sign-ins for this username");
            let wait = refusal.wait();
            let msg = Msg::StaffLoginLocked;
            return refused(&state, &headers, lang, msg, wait, &form.username);
        }
    };
    if let Err(wait) = state.inner.sign_in_rate.check((), now) {
        tracing::warn!(client = %ip, "staff sign-in refused: too many sign-ins overall");
        let msg = Msg::StaffLoginBusy;
        return refused(&state, &headers, lang, msg, wait, &form.username);
    }
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
        let now = Instant::now();
        tracing::info!(client = %ip, username = %who, "staff sign-in failed");
        if by_address.failed(now) {
            tracing::warn!(client = %ip, "a client address is locked out of staff sign-in after repeated failures");
        }
        if by_name.failed(now) {
            tracing::warn!(username = %who, "a username is locked out of staff sign-in after repeated failures");
        }
        return login_error(
            &state,
            &headers,
            StatusCode::UNAUTHORIZED,
            lang,
            Msg::StaffLoginFailed.text(lang).to_string(),
            &form.username,
        );
    }
    // A success is not counted, and clears nothing either.
    drop((by_address, by_name));
    let token = new_token()?;
    let csrf = new_token()?;
    state.inner.staff_sessions.insert(
        token.clone(),
        StaffSession::new(form.username.clone(), csrf, lang, Instant::now()),
        Instant::now(),
    );
    tracing::info!(client = %ip, username = %who, "staff signed in");
    let mut response = Redirect::to("/staff").into_response();
    set_cookie(&mut response, &cookies.set_session(&token))?;
    // The sign-in token has served; the next sign-in page gets a new one.
    set_cookie(&mut response, &cookies.clear_login())?;
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
    tracing::info!(username = %loggable_username(&staff.username, true), "staff signed out");
    let mut response =
        Redirect::to(&format!("/staff/login?lang={}", staff.lang.code())).into_response();
    set_cookie(&mut response, &cookies(&state).clear_session())?;
    Ok(response)
}

/// `POST /staff/sign-out-everywhere`: ends every session of this staff member, in every
/// browser (a forgotten computer, a stolen cookie), then shows the sign-in page with a
/// confirmation.
pub(super) async fn sign_out_everywhere(
    State(state): State<AppState>,
    staff: Staff,
    StaffForm(form): StaffForm<CsrfForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let ended = end_all_sessions(&state, &staff.username);
    tracing::info!(
        username = %loggable_username(&staff.username, true),
        sessions = ended,
        "staff signed out everywhere"
    );
    let mut response = Redirect::to(&format!(
        "/staff/login?lang={}&signed_out={SIGNED_OUT_EVERYWHERE}",
        staff.lang.code()
    ))
    .into_response();
    set_cookie(&mut response, &cookies(&state).clear_session())?;
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
