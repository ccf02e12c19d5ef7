//! The staff pages' HTML: the page frame (header, language switch, sign-out, never
//! cached), the one-time message after a change, list options, times as staff read them
//! and query-string encoding. Every value goes through [`escape`].

use std::fmt::Write as _;

use axum::http::header::{self, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use super::session::{Flash, Staff};
use crate::language::Language;
use crate::messages::Msg;
use crate::web::{escape, html_page};

/// A staff page: header (title, language switch, who is signed in, sign-out, sign-out
/// everywhere), then `body` (already HTML). Never cached: it holds personal data.
pub(super) fn staff_page(
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
        let _ = writeln!(
            header,
            "<nav class=\"staff-nav\"><a href=\"/staff\">{requests}</a> · <a href=\"/staff/questions\">{questions}</a></nav>",
            requests = escape(Msg::StaffRequestsLink.text(lang)),
            questions = escape(Msg::StaffQuestions.text(lang)),
        );
        let _ = write!(
            header,
            "<form method=\"post\" action=\"/staff/logout\" class=\"signout\">\n<span>{who}</span>\n\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n<button type=\"submit\">{sign_out}</button>\n</form>\n\
             <form method=\"post\" action=\"/staff/sign-out-everywhere\" class=\"signout\">\n\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n<button type=\"submit\">{everywhere}</button>\n</form>\n",
            who = escape(&Msg::StaffSignedInAs.fill(lang, &[("user", &staff.username)])),
            csrf = escape(&staff.csrf),
            sign_out = escape(Msg::StaffSignOut.text(lang)),
            everywhere = escape(Msg::StaffSignOutEverywhere.text(lang)),
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

/// How the last change went, when there is something to say.
pub(super) fn push_flash(body: &mut String, flash: Option<Flash>) {
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

pub(super) fn push_option(body: &mut String, value: &str, label: &str, selected: bool) {
    let _ = writeln!(
        body,
        "<option value=\"{}\"{}>{}</option>",
        escape(value),
        if selected { " selected" } else { "" },
        escape(label)
    );
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
