//! The request list: its filters (status, type, assignee, free text), the table of
//! matching requests, and the same selection exported as CSV or JSON.

use std::fmt::Write as _;

use axum::extract::{Query, State};
use axum::http::header::{self, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::blocking;
use super::html::{push_flash, push_option, staff_page, url_encode, when};
use super::session::Staff;
use crate::messages::Msg;
use crate::requests::{
    export, Request as LoggedRequest, RequestFilter, RequestStatus, RequestType,
};
use crate::web::{escape, AppError, AppState, Surface};

/// The most requests shown on the list page (exports have no limit).
const LIST_LIMIT: usize = 1_000;

#[derive(Debug, Default, Deserialize)]
pub(super) struct ListQuery {
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

pub(super) async fn list(
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

pub(super) async fn export_csv(
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

pub(super) async fn export_json(
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

#[cfg(test)]
mod tests {
    use super::*;

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
