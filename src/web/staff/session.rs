//! Who is signed in: the staff session the server keeps, the [`Staff`] extractor that finds
//! it from the session cookie, the one-time message it carries to the next page, and the
//! anti-forgery tokens and cookies both the session and the sign-in form use.

use std::time::Instant;

use axum::extract::{FromRequestParts, Query};
use axum::http::header;
use axum::http::request::Parts;
use axum::http::HeaderMap;

use super::LangQuery;
use crate::language::Language;
use crate::web::{AppError, AppState, ErrorKind, STAFF_MAX_AGE};

/// The staff session cookie.
pub(super) const COOKIE: &str = "guichet_staff";
/// The sign-in form's anti-forgery cookie (double submit), set with the sign-in page.
pub(super) const LOGIN_COOKIE: &str = "guichet_login";

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

impl StaffSession {
    /// A session for `username`, just signed in at `now`.
    pub(super) fn new(username: String, csrf: String, lang: Language, now: Instant) -> Self {
        StaffSession {
            username,
            csrf,
            lang,
            signed_in: now,
            flash: None,
        }
    }
}

/// How the last change went, shown once on the next page.
#[derive(Debug, Clone)]
pub(super) struct Flash {
    pub(super) ok: bool,
    pub(super) text: String,
}

/// The staff member making a request: the extractor for every page but the sign-in
/// page. Without a live session, the browser is sent to `/staff/login`.
pub(super) struct Staff {
    pub(super) token: String,
    pub(super) username: String,
    pub(super) csrf: String,
    pub(super) lang: Language,
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
    pub(super) fn check_csrf(&self, sent: &str) -> Result<(), AppError> {
        if same_token(sent, &self.csrf) {
            Ok(())
        } else {
            tracing::warn!(staff = %self.username, "refused a staff form without a valid anti-forgery token");
            Err(AppError::page(ErrorKind::Forbidden, Some(self.lang)))
        }
    }

    pub(super) fn take_flash(&self, state: &AppState) -> Option<Flash> {
        state
            .inner
            .staff_sessions
            .with(&self.token, Instant::now(), |s| s.flash.take())
            .flatten()
    }

    pub(super) fn set_flash(&self, state: &AppState, flash: Flash) {
        state
            .inner
            .staff_sessions
            .with(&self.token, Instant::now(), |s| s.flash = Some(flash));
    }
}

/// The language of the browser's staff session, if it has one: for the errors found
/// before the [`Staff`] extractor's answer is at hand (an unreadable form).
pub(super) fn language(state: &AppState, headers: &HeaderMap) -> Option<Language> {
    let token = session_cookie(headers)?;
    state
        .inner
        .staff_sessions
        .with(&token, Instant::now(), |s| s.lang)
}

/// Whether an anti-forgery token sent with a form is the expected one. Compared without
/// an early exit, so the time taken says nothing about the token.
pub(super) fn same_token(sent: &str, expected: &str) -> bool {
    sent.len() == expected.len()
        && sent
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    token_cookie(headers, COOKIE)
}

/// The cookie `name` when it looks like one of our tokens (64 hex digits).
pub(super) fn token_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
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
pub(super) fn secure_attribute(state: &AppState) -> &'static str {
    if state.inner.web.secure_cookies {
        "; Secure"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_session_cookie_is_found_among_others_and_must_look_like_a_token() {
        let token = "ab".repeat(32);
        let mut headers = HeaderMap::new();
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
}
