//! The questions queue for staff (`/staff/questions`): groups of questions guichet could
//! not answer well, largest first, with examples (personal details removed), the forms to
//! mark a group, and the same queue as CSV.

use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use time::OffsetDateTime;

use super::html::{push_flash, staff_page};
use super::list::download;
use super::session::{Flash, Staff};
use super::{blocking, StaffForm};
use crate::messages::Msg;
use crate::questions::{self, GroupState, QueueError, Reason};
use crate::web::{escape, AppError, AppState, Surface};

/// The period shown when none is asked for, and the longest one.
const DEFAULT_DAYS: u32 = 30;
const MAX_DAYS: u32 = 3_650;

#[derive(Debug, Default, Deserialize)]
pub(super) struct QueueQuery {
    #[serde(default)]
    days: Option<String>,
}

impl QueueQuery {
    fn days(&self) -> u32 {
        self.days
            .as_deref()
            .and_then(|d| d.trim().parse().ok())
            .filter(|d| (1..=MAX_DAYS).contains(d))
            .unwrap_or(DEFAULT_DAYS)
    }
}

fn since(days: u32) -> time::Date {
    (OffsetDateTime::now_utc() - time::Duration::days(days.into())).date()
}

pub(super) async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(query): Query<QueueQuery>,
) -> Result<Response, AppError> {
    let lang = staff.lang;
    let days = query.days();
    let queue = state.inner.assistant.questions();
    let (groups, votes) = blocking(move || {
        let groups = queue.list(since(days))?;
        let votes = queue.votes(since(days))?;
        Ok::<_, crate::requests::StoreError>((groups, votes))
    })
    .await?
    .map_err(|e| AppError::internal(Surface::Page, e))?;

    let mut body = format!(
        "<h1>{}</h1>\n<p>{}</p>\n",
        escape(Msg::StaffQuestions.text(lang)),
        escape(Msg::StaffQuestionsIntro.text(lang)),
    );
    push_flash(&mut body, staff.take_flash(&state));
    let _ = write!(
        body,
        "<form method=\"get\" action=\"/staff/questions\" class=\"filters\">\n\
         <p><label for=\"q-days\">{label}</label>\n<input id=\"q-days\" name=\"days\" type=\"number\" min=\"1\" max=\"{MAX_DAYS}\" value=\"{days}\"></p>\n\
         <p><button type=\"submit\">{filter}</button></p>\n</form>\n\
         <p class=\"exports\"><a href=\"/staff/questions.csv?days={days}\">{csv}</a></p>\n\
         <p class=\"votes\">{votes}</p>\n",
        label = escape(Msg::StaffQuestionsDays.text(lang)),
        filter = escape(Msg::StaffFilter.text(lang)),
        csv = escape(Msg::StaffExportCsv.text(lang)),
        votes = escape(&Msg::StaffQuestionsVotes.fill(
            lang,
            &[
                ("up", &votes.0.to_string()),
                ("down", &votes.1.to_string())
            ]
        )),
    );
    if groups.is_empty() {
        let _ = writeln!(
            body,
            "<p>{}</p>",
            escape(Msg::StaffQuestionsEmpty.text(lang))
        );
    } else {
        let _ = write!(
            body,
            "<table class=\"questions\">\n<thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead>\n<tbody>\n",
            escape(Msg::StaffQuestionsExamples.text(lang)),
            escape(Msg::StaffQuestionsCount.text(lang)),
            escape(Msg::StaffQuestionsWhy.text(lang)),
            escape(Msg::StaffQuestionsSeen.text(lang)),
            escape(Msg::StaffQuestionsWhere.text(lang)),
            escape(Msg::StaffQuestionsState.text(lang)),
            escape(Msg::StaffQuestionsMark.text(lang)),
        );
        for g in &groups {
            let examples: String = g
                .examples
                .iter()
                .map(|e| format!("<li>{}</li>", escape(e)))
                .collect();
            let why: Vec<String> = g
                .reasons
                .iter()
                .map(|(r, n): (&Reason, &usize)| format!("{} ({n})", r.label(lang)))
                .collect();
            let mut options = String::new();
            for s in GroupState::ALL {
                let _ = write!(
                    options,
                    "<option value=\"{}\"{}>{}</option>",
                    s.code(),
                    if s == g.state { " selected" } else { "" },
                    escape(s.label(lang))
                );
            }
            let _ = writeln!(
                body,
                "<tr id=\"group-{id}\" data-group=\"{id}\"><td><ul class=\"examples\">{examples}</ul></td>\
                 <td class=\"count\">{count}</td><td>{why}</td><td>{first} – {last}</td><td>{langs} · {channels}</td>\
                 <td class=\"state state-{state_code}\">{state}</td>\
                 <td><form method=\"post\" action=\"/staff/questions/{id}/mark\">\
                 <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                 <input type=\"hidden\" name=\"days\" value=\"{days}\">\
                 <label class=\"sr-only\" for=\"state-{id}\">{mark}</label>\
                 <select id=\"state-{id}\" name=\"state\">{options}</select> \
                 <button type=\"submit\">{mark}</button></form></td></tr>",
                id = escape(&g.id),
                count = g.count,
                why = escape(&why.join(", ")),
                first = g.first_seen,
                last = g.last_seen,
                langs = escape(&g.languages.iter().copied().collect::<Vec<_>>().join(", ")),
                channels = escape(&g.channels.iter().copied().collect::<Vec<_>>().join(", ")),
                state_code = g.state.code(),
                state = escape(g.state.label(lang)),
                csrf = escape(&staff.csrf),
                mark = escape(Msg::StaffQuestionsMark.text(lang)),
            );
        }
        body.push_str("</tbody>\n</table>\n");
    }
    Ok(staff_page(
        lang,
        Msg::StaffQuestions.text(lang),
        Some(&staff),
        "/staff/questions",
        &body,
    ))
}

#[derive(Debug, Deserialize)]
pub(super) struct MarkForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    days: Option<String>,
}

/// `POST /staff/questions/{id}/mark`: sets a group's state, then back to the queue (303).
pub(super) async fn mark(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    StaffForm(form): StaffForm<MarkForm>,
) -> Result<Response, AppError> {
    staff.check_csrf(&form.csrf)?;
    let lang = staff.lang;
    let days = QueueQuery { days: form.days }.days();
    let Some(group_state) = GroupState::parse(&form.state) else {
        return Err(AppError::page(crate::web::ErrorKind::BadForm, Some(lang)));
    };
    let (queue, by) = (state.inner.assistant.questions(), staff.username.clone());
    let outcome = blocking(move || {
        queue.mark(
            &id,
            group_state,
            since(days),
            &by,
            OffsetDateTime::now_utc(),
        )
    })
    .await?;
    let flash = match outcome {
        Ok(group) => Flash {
            ok: true,
            text: Msg::StaffQuestionsMarked.fill(lang, &[("state", group.state.label(lang))]),
        },
        Err(QueueError::UnknownGroup(_)) => Flash {
            ok: false,
            text: Msg::StaffQuestionsUnknown.text(lang).to_string(),
        },
        Err(QueueError::Store(e)) => return Err(AppError::internal(Surface::Page, e)),
    };
    staff.set_flash(&state, flash);
    Ok(Redirect::to(&format!("/staff/questions?days={days}")).into_response())
}

/// `GET /staff/questions.csv?days=…`: the queue as CSV.
pub(super) async fn export_csv(
    State(state): State<AppState>,
    _staff: Staff,
    Query(query): Query<QueueQuery>,
) -> Result<Response, AppError> {
    let days = query.days();
    let queue = state.inner.assistant.questions();
    let groups = blocking(move || queue.list(since(days)))
        .await?
        .map_err(|e| AppError::internal(Surface::Page, e))?;
    Ok(download(
        "text/csv; charset=utf-8",
        "guichet-questions.csv",
        questions::to_csv(&groups),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_period_is_bounded_and_defaults_to_a_month() {
        let q = |d: &str| QueueQuery {
            days: Some(d.into()),
        };
        assert_eq!(q("7").days(), 7);
        assert_eq!(q("0").days(), DEFAULT_DAYS);
        assert_eq!(q("99999").days(), DEFAULT_DAYS);
        assert_eq!(q("x").days(), DEFAULT_DAYS);
    }
}
