//! The request list: its filters (status, type, assignee, free text), the table of
//! matching requests (sorted by any column, a page at a time), and the same selection
//! exported as CSV or JSON.

use axum::extract::{Query, State};
use axum::http::header::{self, HeaderValue};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use serde::Deserialize;

use super::html::{self, option, staff_page, url_encode, when};
use super::session::Staff;
use super::{blocking, summary};
use crate::messages::Msg;
use crate::requests::{
    export, Request as LoggedRequest, RequestFilter, RequestStatus, RequestType,
};
use crate::web::{AppError, AppState, Surface};

/// Requests shown per page of the list (exports have no limit).
const PAGE_SIZE: usize = 100;

/// The columns the list can be sorted by: (query code, column title).
const SORTS: [(&str, Msg); 8] = [
    ("reference", Msg::StaffReference),
    ("created", Msg::StaffCreated),
    ("status", Msg::StaffStatus),
    ("type", Msg::FieldType),
    ("name", Msg::FieldName),
    ("organization", Msg::FieldOrganization),
    ("assignee", Msg::StaffAssignee),
    ("channel", Msg::StaffChannel),
];

/// Sorts `requests` by the column `sort` (unknown: newest first), ascending or not; ties
/// keep the newest first.
fn sort_requests(requests: &mut [LoggedRequest], sort: &str, ascending: bool) {
    use std::cmp::Ordering;
    let key = |a: &LoggedRequest, b: &LoggedRequest| -> Ordering {
        let fold = |s: &str| crate::text::fold(s);
        match sort {
            "reference" => (a.reference.year(), a.reference.seq())
                .cmp(&(b.reference.year(), b.reference.seq())),
            "status" => RequestStatus::ALL
                .iter()
                .position(|s| *s == a.status)
                .cmp(&RequestStatus::ALL.iter().position(|s| *s == b.status)),
            "type" => a.request_type.code().cmp(b.request_type.code()),
            "name" => fold(&a.requester_name).cmp(&fold(&b.requester_name)),
            "organization" => fold(&a.organization).cmp(&fold(&b.organization)),
            "assignee" => a
                .assignee
                .as_deref()
                .map(fold)
                .cmp(&b.assignee.as_deref().map(fold)),
            "channel" => a.channel.code().cmp(b.channel.code()),
            _ => a.created_at.cmp(&b.created_at),
        }
    };
    // The desk lists newest first; a stable sort keeps that order among ties.
    requests.sort_by(|a, b| {
        let order = key(a, b);
        if ascending {
            order
        } else {
            order.reverse()
        }
    });
}

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
    /// The column to sort by (see [`SORTS`]); empty: newest first.
    #[serde(default)]
    sort: String,
    /// `asc` or `desc` (the default).
    #[serde(default)]
    dir: String,
    #[serde(default)]
    page: String,
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
    let filter = query.filter(None);
    let mut requests = blocking(move || desk.list(&filter))
        .await?
        .map_err(|e| AppError::internal(Surface::Page, e))?;
    let sort = SORTS
        .iter()
        .map(|(code, _)| *code)
        .find(|code| *code == query.sort)
        .unwrap_or("created");
    let ascending = query.dir == "asc";
    sort_requests(&mut requests, sort, ascending);
    let total = requests.len();
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let page = query
        .page
        .trim()
        .parse::<usize>()
        .unwrap_or(1)
        .clamp(1, pages);
    let shown: Vec<&LoggedRequest> = requests
        .iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .collect();
    // The unfiltered list opens with the summary.
    let qs = query.query_string();
    let summary = if qs.is_empty() && page == 1 {
        Some(summary_html(&state, lang).await?)
    } else {
        None
    };
    let suffix = if qs.is_empty() {
        String::new()
    } else {
        format!("?{qs}")
    };
    // Links keep the filters; sorting goes back to the first page.
    let link = |sort: &str, dir: &str, page: usize| {
        let mut parts = vec![qs.clone()];
        if sort != "created" || dir != "desc" {
            parts.push(format!("sort={sort}&dir={dir}"));
        }
        if page > 1 {
            parts.push(format!("page={page}"));
        }
        parts.retain(|p| !p.is_empty());
        format!("/staff?{}", parts.join("&"))
    };
    let current_dir = if ascending { "asc" } else { "desc" };
    let chosen_status = RequestStatus::parse_code(&query.status);
    let chosen_type = RequestType::parse_code(&query.request_type);
    let any = Msg::StaffAny.text(lang);
    let body = html! {
        h1 { (Msg::StaffRequests.text(lang)) }
        (html::flash(staff.take_flash(&state)))
        @if let Some(summary) = summary { (summary) }
        form method="get" action="/staff" class="filters" {
            p {
                label for="f-status" { (Msg::StaffStatus.text(lang)) }
                select id="f-status" name="status" {
                    option value="" { (any) }
                    @for status in RequestStatus::ALL {
                        (option(status.code(), status.label(lang), chosen_status == Some(status)))
                    }
                }
            }
            p {
                label for="f-type" { (Msg::FieldType.text(lang)) }
                select id="f-type" name="type" {
                    option value="" { (any) }
                    @for kind in RequestType::ALL {
                        (option(kind.code(), kind.label(lang), chosen_type == Some(kind)))
                    }
                }
            }
            p {
                label for="f-assignee" { (Msg::StaffAssignee.text(lang)) }
                input id="f-assignee" name="assignee" value=(query.assignee);
            }
            p class="wide" {
                label for="f-q" { (Msg::StaffSearch.text(lang)) }
                input id="f-q" type="search" name="q" value=(query.q);
            }
            p { button type="submit" { (Msg::StaffFilter.text(lang)) } }
        }
        p class="exports" {
            a href={ "/staff/export.csv" (suffix) } { (Msg::StaffExportCsv.text(lang)) }
            " · "
            a href={ "/staff/export.json" (suffix) } { (Msg::StaffExportJson.text(lang)) }
        }
        p class="count" { (Msg::StaffCount.fill(lang, &[("count", &total.to_string())])) }
        @if requests.is_empty() {
            p { (Msg::StaffNoRequests.text(lang)) }
        } @else {
            table class="requests" {
                thead {
                    tr {
                        @for (code, title) in SORTS {
                            // A column's link sorts by it; on the sorted column it flips the
                            // direction.
                            @let (aria, next) = match (code == sort, ascending) {
                                (true, true) => (Some("ascending"), "desc"),
                                (true, false) => (Some("descending"), "asc"),
                                (false, _) => (None, if code == "created" { "desc" } else { "asc" }),
                            };
                            th scope="col" aria-sort=[aria] {
                                a href=(link(code, next, 1)) { (title.text(lang)) }
                            }
                        }
                    }
                }
                tbody {
                    @for r in shown {
                        tr {
                            th scope="row" {
                                a href={ "/staff/requests/" (r.reference) } { (r.reference) }
                            }
                            td { (when(r.created_at)) }
                            td class={ "status status-" (r.status.code()) } { (r.status.label(lang)) }
                            td { (r.request_type.label(lang)) }
                            td { (r.requester_name) }
                            td { (r.organization) }
                            td { (r.assignee.as_deref().unwrap_or("—")) }
                            td { (r.channel.code()) }
                        }
                    }
                }
            }
            @if pages > 1 {
                nav class="pages" aria-label=(Msg::StaffPages.text(lang)) {
                    p {
                        @if page > 1 {
                            a rel="prev" href=(link(sort, current_dir, page - 1)) {
                                (Msg::StaffPrevious.text(lang))
                            }
                            " "
                        }
                        span aria-current="page" {
                            (Msg::StaffPageOf.fill(
                                lang,
                                &[("page", &page.to_string()), ("pages", &pages.to_string())],
                            ))
                        }
                        @if page < pages {
                            " "
                            a rel="next" href=(link(sort, current_dir, page + 1)) {
                                (Msg::StaffNext.text(lang))
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(staff_page(
        lang,
        Msg::StaffRequests.text(lang),
        Some(&staff),
        "/staff",
        body,
    ))
}

/// The summary's figures, from the desk and the questions queue, as HTML.
async fn summary_html(
    state: &AppState,
    lang: crate::language::Language,
) -> Result<Markup, AppError> {
    let desk = state.inner.desk.clone();
    let queue = state.inner.assistant.questions();
    blocking(move || {
        let now = time::OffsetDateTime::now_utc();
        let requests = desk.list(&RequestFilter::default())?;
        let since = summary::questions_since(now);
        let questions = queue.asked_since(since)?;
        let groups = queue.list(now.date() - time::Duration::days(30))?;
        let mut closed = std::collections::HashMap::new();
        for r in requests
            .iter()
            .filter(|r| r.status == RequestStatus::Closed)
        {
            let at = desk
                .history(&r.reference)?
                .into_iter()
                .rev()
                .filter(|e| {
                    e.kind == crate::requests::AuditKind::Status
                        && e.to.as_deref() == Some(RequestStatus::Closed.code())
                })
                .map(|e| e.at)
                .next();
            if let Some(at) = at {
                closed.insert(r.reference, at);
            }
        }
        let closed_at = |r: &LoggedRequest| closed.get(&r.reference).copied();
        let figures = summary::compute(&requests, &closed_at, &questions, groups, now);
        Ok::<_, crate::requests::StoreError>(summary::render(&figures, lang))
    })
    .await?
    .map_err(|e| AppError::internal(Surface::Page, e))
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

pub(super) fn download(
    content_type: &'static str,
    filename: &'static str,
    body: String,
) -> Response {
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
            ..Default::default()
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

    fn request(n: u32, name: &str, status: RequestStatus, minutes: i64) -> LoggedRequest {
        use crate::requests::model::{Channel, Email, RequestRef};
        let at = time::macros::datetime!(2026-03-02 10:00 UTC) + time::Duration::minutes(minutes);
        LoggedRequest {
            reference: RequestRef::parse(&format!("SSA-2026-{n:05}")).unwrap(),
            created_at: at,
            updated_at: at,
            status,
            closed_reason: None,
            assignee: None,
            channel: Channel::Web,
            requester_name: name.into(),
            requester_email: Email::parse("x@example.org").unwrap(),
            requester_handle: None,
            organization: "Org".into(),
            request_type: RequestType::ALL[0],
            description: "A description long enough.".into(),
            language: crate::language::Language::En,
            transcript: vec![],
            attachments: vec![],
            staff_notes: vec![],
        }
    }

    #[test]
    fn the_list_sorts_by_any_column_either_way_names_ignoring_accents() {
        let mut list = vec![
            request(3, "Zoé", RequestStatus::New, 30),
            request(1, "émile", RequestStatus::Closed, 10),
            request(2, "Anna", RequestStatus::Triaged, 20),
        ];
        let refs = |l: &[LoggedRequest]| l.iter().map(|r| r.reference.seq()).collect::<Vec<_>>();
        sort_requests(&mut list, "created", false);
        assert_eq!(refs(&list), [3, 2, 1], "newest first by default");
        sort_requests(&mut list, "name", true);
        assert_eq!(refs(&list), [2, 1, 3], "Anna, émile, Zoé");
        sort_requests(&mut list, "status", true);
        assert_eq!(refs(&list), [3, 2, 1], "in the workflow's order");
        sort_requests(&mut list, "reference", false);
        assert_eq!(refs(&list), [3, 2, 1]);
        sort_requests(&mut list, "nonsense", true);
        assert_eq!(refs(&list), [1, 2, 3], "unknown: by creation");
    }
}
