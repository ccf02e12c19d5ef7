//! The questions queue for staff (`/staff/questions`): groups of questions guichet could
//! not answer well, largest first, with examples (personal details removed), the forms to
//! mark a group, and the same queue as CSV.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;
use time::OffsetDateTime;

use super::html::{self, csrf_field, option, staff_page};
use super::list::download;
use super::session::{Flash, Staff};
use super::{blocking, StaffForm};
use crate::messages::Msg;
use crate::questions::{self, GroupState, QueueError, Reason};
use crate::web::{AppError, AppState, Surface};

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

    let votes = Msg::StaffQuestionsVotes.fill(
        lang,
        &[("up", &votes.0.to_string()), ("down", &votes.1.to_string())],
    );
    let mark = Msg::StaffQuestionsMark.text(lang);
    let body = html! {
        h1 { (Msg::StaffQuestions.text(lang)) }
        p { (Msg::StaffQuestionsIntro.text(lang)) }
        (html::flash(staff.take_flash(&state)))
        form method="get" action="/staff/questions" class="filters" {
            p {
                label for="q-days" { (Msg::StaffQuestionsDays.text(lang)) }
                input id="q-days" name="days" type="number" min="1" max=(MAX_DAYS) value=(days);
            }
            p { button type="submit" { (Msg::StaffFilter.text(lang)) } }
        }
        p class="exports" {
            a href={ "/staff/questions.csv?days=" (days) } { (Msg::StaffExportCsv.text(lang)) }
        }
        p class="votes" { (votes) }
        @if groups.is_empty() {
            p { (Msg::StaffQuestionsEmpty.text(lang)) }
        } @else {
            table class="questions" {
                thead {
                    tr {
                        @for title in [
                            Msg::StaffQuestionsExamples,
                            Msg::StaffQuestionsCount,
                            Msg::StaffQuestionsWhy,
                            Msg::StaffQuestionsSeen,
                            Msg::StaffQuestionsWhere,
                            Msg::StaffQuestionsState,
                            Msg::StaffQuestionsMark,
                        ] {
                            th scope="col" { (title.text(lang)) }
                        }
                    }
                }
                tbody {
                    @for g in &groups {
                        @let why: Vec<String> = g
                            .reasons
                            .iter()
                            .map(|(r, n): (&Reason, &usize)| format!("{} ({n})", r.label(lang)))
                            .collect();
                        @let join = |items: &std::collections::BTreeSet<&str>| {
                            items.iter().copied().collect::<Vec<_>>().join(", ")
                        };
                        tr id={ "group-" (g.id) } data-group=(g.id) {
                            td { ul class="examples" { @for e in &g.examples { li { (e) } } } }
                            td class="count" { (g.count) }
                            td { (why.join(", ")) }
                            td { (g.first_seen) " – " (g.last_seen) }
                            td { (join(&g.languages)) " · " (join(&g.channels)) }
                            td class={ "state state-" (g.state.code()) } { (g.state.label(lang)) }
                            td {
                                form method="post" action={ "/staff/questions/" (g.id) "/mark" } {
                                    (csrf_field(&staff.csrf))
                                    input type="hidden" name="days" value=(days);
                                    label class="sr-only" for={ "state-" (g.id) } { (mark) }
                                    select id={ "state-" (g.id) } name="state" {
                                        @for s in GroupState::ALL {
                                            (option(s.code(), s.label(lang), s == g.state))
                                        }
                                    }
                                    " "
                                    button type="submit" { (mark) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(staff_page(
        lang,
        Msg::StaffQuestions.text(lang),
        Some(&staff),
        "/staff/questions",
        body,
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
