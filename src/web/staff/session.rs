//! Who is signed in: the staff session the server keeps, the [`Staff`] extractor that finds
//! it from the session cookie, the one-time message it carries to the next page, ending
//! every session of one staff member, and the anti-forgery tokens and cookies ([`Cookies`])
//! both the session and the sign-in form use.

use std::time::Instant;

use axum::extract::{FromRequestParts, Query};
use axum::http::header;
use axum::http::request::Parts;
use axum::http::HeaderMap;

use super::LangQuery;
use crate::language::Language;
use crate::web::{loggable_username, AppError, AppState, ErrorKind, STAFF_MAX_AGE};

/// The staff cookies: the session cookie and the sign-in form's anti-forgery cookie
/// (double submit, set with the sign-in page), their names and attributes. Both are
/// `HttpOnly` and `SameSite=Strict`.
///
/// Over HTTPS (`web.secure_cookies`) their names carry the `__Host-` prefix: browsers then
/// accept them only with `Secure`, `Path=/` and no `Domain`, so neither a page on plain
/// HTTP nor a neighbouring subdomain can set or replace them (cookie tossing, session
/// fixation). Over plain HTTP on localhost the prefix cannot be used (it needs `Secure`),
/// and the cookies keep their plain names, scoped to the staff pages. Only the name in
/// force is read.
#[derive(Debug)]
pub(super) struct Cookies {
    /// The session cookie's name.
    session: &'static str,
    /// The sign-in form's cookie's name.
    login: &'static str,
    session_path: &'static str,
    login_path: &'static str,
    /// `; Secure`, or nothing over plain HTTP.
    secure: &'static str,
}

/// [`Cookies`] over plain HTTP (`web.secure_cookies = false`).
pub(super) const PLAIN_COOKIES: Cookies = Cookies {
    session: "guichet_staff",
    login: "guichet_login",
    session_path: "/staff",
    login_path: "/staff/login",
    secure: "",
};

/// [`Cookies`] over HTTPS (`web.secure_cookies = true`).
pub(super) const HOST_COOKIES: Cookies = Cookies {
    session: "__Host-guichet_staff",
    login: "__Host-guichet_login",
    session_path: "/",
    login_path: "/",
    secure: "; Secure",
};

/// The staff cookies in force.
pub(super) fn cookies(state: &AppState) -> &'static Cookies {
    if state.inner.web.secure_cookies {
        &HOST_COOKIES
    } else {
        &PLAIN_COOKIES
    }
}

impl Cookies {
    /// `Set-Cookie` for a new session (a browser-session cookie: no `Max-Age`; the server
    /// ends the session itself).
    pub(super) fn set_session(&self, token: &str) -> String {
        self.line(self.session, token, self.session_path, "")
    }

    /// `Set-Cookie` that clears the session cookie.
    pub(super) fn clear_session(&self) -> String {
        self.line(self.session, "", self.session_path, "; Max-Age=0")
    }

    /// `Set-Cookie` for the sign-in form's token.
    pub(super) fn set_login(&self, token: &str) -> String {
        self.line(self.login, token, self.login_path, "")
    }

    /// `Set-Cookie` that clears the sign-in form's token (spent once signed in).
    pub(super) fn clear_login(&self) -> String {
        self.line(self.login, "", self.login_path, "; Max-Age=0")
    }

    /// The session token the browser sent, if it looks like one.
    pub(super) fn session_token(&self, headers: &HeaderMap) -> Option<String> {
        token_cookie(headers, self.session)
    }

    /// The sign-in form's token the browser sent, if it looks like one.
    pub(super) fn login_token(&self, headers: &HeaderMap) -> Option<String> {
        token_cookie(headers, self.login)
    }

    fn line(&self, name: &str, value: &str, path: &str, extra: &str) -> String {
        format!(
            "{name}={value}; Path={path}; HttpOnly; SameSite=Strict{extra}{}",
            self.secure
        )
    }
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
        let token = cookies(state)
            .session_token(&parts.headers)
            .ok_or_else(login)?;
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
            tracing::warn!(staff = %loggable_username(&self.username, true), "refused a staff form without a valid anti-forgery token");
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
    let token = cookies(state).session_token(headers)?;
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

/// Ends every session of `username`, in every browser, at once; returns how many there
/// were.
pub(super) fn end_all_sessions(state: &AppState, username: &str) -> usize {
    state
        .inner
        .staff_sessions
        .remove_where(|s| s.username == username)
}

/// The cookie `name` when it looks like one of our tokens (64 hex digits).
fn token_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn cookie_header(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn the_session_cookie_is_found_among_others_and_must_look_like_a_token() {
        let token = "ab".repeat(32);
        let c = &PLAIN_COOKIES;
        let headers = cookie_header(&format!("theme=dark; guichet_staff={token}; x=y"));
        assert_eq!(c.session_token(&headers).as_deref(), Some(token.as_str()));
        assert_eq!(c.session_token(&cookie_header("guichet_staff=short")), None);
        let login = "cd".repeat(32);
        let headers = cookie_header(&format!("guichet_staff={token}; guichet_login={login}"));
        assert_eq!(c.login_token(&headers).as_deref(), Some(login.as_str()));
        assert_eq!(c.session_token(&headers).as_deref(), Some(token.as_str()));
    }

    #[test]
    fn over_https_the_cookies_carry_the_host_prefix_and_only_the_name_in_force_is_read() {
        let token = "ab".repeat(32);
        let host = &HOST_COOKIES;
        let plain = &PLAIN_COOKIES;
        let set = host.set_session(&token);
        assert_eq!(
            set,
            format!("__Host-guichet_staff={token}; Path=/; HttpOnly; SameSite=Strict; Secure")
        );
        assert!(!set.to_ascii_lowercase().contains("domain"));
        assert_eq!(
            host.clear_login(),
            "__Host-guichet_login=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure"
        );
        assert_eq!(
            plain.set_login(&token),
            format!("guichet_login={token}; Path=/staff/login; HttpOnly; SameSite=Strict")
        );
        let prefixed = cookie_header(&format!("__Host-guichet_staff={token}"));
        let unprefixed = cookie_header(&format!("guichet_staff={token}"));
        assert_eq!(
            host.session_token(&prefixed).as_deref(),
            Some(token.as_str())
        );
        assert_eq!(host.session_token(&unprefixed), None);
        assert_eq!(plain.session_token(&prefixed), None);
        assert_eq!(
            plain.session_token(&unprefixed).as_deref(),
            Some(token.as_str())
        );
        let login = cookie_header(&format!("guichet_login={token}"));
        assert_eq!(host.login_token(&login), None);
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
