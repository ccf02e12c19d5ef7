//! The staff pages' HTML: the page frame (header, language switch, sign-out, never
//! cached), the one-time message after a change, list options, the anti-forgery field,
//! times as staff read them and query-string encoding. Pages are [`maud`] templates, which
//! escape every value they are given.

use std::fmt::Write as _;

use axum::http::header::{self, HeaderValue};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use super::session::{Flash, Staff};
use crate::language::Language;
use crate::messages::Msg;
use crate::web::html_page;

/// A staff page: header (title, language switch, who is signed in, sign-out, sign-out
/// everywhere), then `body`. Never cached: it holds personal data.
pub(super) fn staff_page(
    lang: Language,
    title: &str,
    staff: Option<&Staff>,
    path: &str,
    body: Markup,
) -> Response {
    let other = lang.other().code();
    let full = html! {
        header class="staff-header" {
            p class="brand" { a href="/staff" { (Msg::StaffTitle.text(lang)) } }
            nav class="lang-switch" aria-label=(Msg::StaffLanguage.text(lang)) {
                a href={ (path) "?lang=" (other) } lang=(other) hreflang=(other) {
                    (Msg::WebOtherLanguage.text(lang))
                }
            }
            @if let Some(staff) = staff {
                nav class="staff-nav" {
                    a href="/staff" { (Msg::StaffRequestsLink.text(lang)) }
                    " · "
                    a href="/staff/questions" { (Msg::StaffQuestions.text(lang)) }
                }
                form method="post" action="/staff/logout" class="signout" {
                    span { (Msg::StaffSignedInAs.fill(lang, &[("user", &staff.username)])) }
                    (csrf_field(&staff.csrf))
                    button type="submit" { (Msg::StaffSignOut.text(lang)) }
                }
                form method="post" action="/staff/sign-out-everywhere" class="signout" {
                    (csrf_field(&staff.csrf))
                    button type="submit" { (Msg::StaffSignOutEverywhere.text(lang)) }
                }
            }
        }
        main id="main" class="staff" { (body) }
    };
    let page_title = format!("{title} — {}", Msg::StaffTitle.text(lang));
    (
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        html_page(lang, &page_title, None, full),
    )
        .into_response()
}

/// The hidden field carrying the session's anti-forgery token, in every staff form.
pub(super) fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

/// How the last change went, when there is something to say.
pub(super) fn flash(flash: Option<Flash>) -> Markup {
    html! {
        @if let Some(flash) = flash {
            @let (class, role) = if flash.ok { ("flash-ok", "status") } else { ("flash-error", "alert") };
            p class={ "flash " (class) } role=(role) { (flash.text) }
        }
    }
}

/// One choice of a `<select>`.
pub(super) fn option(value: &str, label: &str, selected: bool) -> Markup {
    html! { option value=(value) selected[selected] { (label) } }
}

/// A time as staff read it: `2026-03-04 14:05 UTC`.
pub(super) fn when(at: OffsetDateTime) -> String {
    at.to_offset(UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute] UTC"
        ))
        .unwrap_or_else(|_| at.to_string())
}

/// Percent-encodes a query-string value (RFC 3986 unreserved characters are kept).
pub(super) fn url_encode(value: &str) -> String {
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
