//! The summary that opens the staff pages: requests by status (all of them, and those
//! logged in the last 7 and 30 days), requests closed in those periods, by type (7 and 30 days),
//! open requests by assignee, the median time from new to closed, questions asked by week
//! with the share left without an answer (a server-drawn SVG chart, no script), and the
//! largest question groups to review. Figures are computed here from plain values, so they
//! are tested without a server.

use std::collections::BTreeMap;

use maud::{html, Markup};
use time::{Date, Duration, OffsetDateTime};

use crate::language::Language;
use crate::messages::Msg;
use crate::questions::{Group, GroupState};
use crate::requests::{LoggedQuestion, QuestionOutcome, Request, RequestStatus, RequestType};

/// Weeks shown in the questions chart.
pub(super) const WEEKS: usize = 8;
/// Question groups listed.
const TOP_GROUPS: usize = 5;

/// The figures of the summary.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Summary {
    /// Requests by status: (status, all of them, those logged in the last 7 days, in the
    /// last 30 days), every status in the workflow's order.
    pub by_status: Vec<(RequestStatus, usize, usize, usize)>,
    /// Requests closed (last) in the last 7 days, and in the last 30 days.
    pub closed: (usize, usize),
    /// New requests by type: (type, last 7 days, last 30 days), types with none left out.
    pub by_type: Vec<(RequestType, usize, usize)>,
    /// Requests not closed, by assignee (`None`: unassigned), most first.
    pub open_by_assignee: Vec<(Option<String>, usize)>,
    /// Over the requests closed in the last 30 days.
    pub median_to_close: Option<Duration>,
    /// One per week, oldest first: (the week's first day, questions asked, without an answer).
    pub weeks: Vec<(Date, usize, usize)>,
    /// The largest open question groups.
    pub top_groups: Vec<Group>,
}

/// Computes the summary at `now`. `closed_at` gives, for each closed request, when it was
/// (last) closed.
pub(super) fn compute(
    requests: &[Request],
    closed_at: &dyn Fn(&Request) -> Option<OffsetDateTime>,
    questions: &[LoggedQuestion],
    groups: Vec<Group>,
    now: OffsetDateTime,
) -> Summary {
    let within = |r: &Request, days: i64| now - r.created_at <= Duration::days(days);
    let by_status = RequestStatus::ALL
        .iter()
        .map(|&s| {
            let of_status = || requests.iter().filter(move |r| r.status == s);
            (
                s,
                of_status().count(),
                of_status().filter(|r| within(r, 7)).count(),
                of_status().filter(|r| within(r, 30)).count(),
            )
        })
        .collect();
    let by_type = RequestType::ALL
        .iter()
        .map(|&t| {
            let of_type = || requests.iter().filter(move |r| r.request_type == t);
            (
                t,
                of_type().filter(|r| within(r, 7)).count(),
                of_type().filter(|r| within(r, 30)).count(),
            )
        })
        .filter(|(_, _, month)| *month > 0)
        .collect();
    let mut open: BTreeMap<Option<String>, usize> = BTreeMap::new();
    for r in requests
        .iter()
        .filter(|r| r.status != RequestStatus::Closed)
    {
        *open.entry(r.assignee.clone()).or_default() += 1;
    }
    let mut open_by_assignee: Vec<(Option<String>, usize)> = open.into_iter().collect();
    open_by_assignee.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let closed_within = move |days: i64| {
        requests
            .iter()
            .filter(|r| r.status == RequestStatus::Closed)
            .filter_map(move |r| closed_at(r).map(|at| (r, at)))
            .filter(move |(_, at)| now - *at <= Duration::days(days))
    };
    let closed = (closed_within(7).count(), closed_within(30).count());
    let mut durations: Vec<Duration> = closed_within(30).map(|(r, at)| at - r.created_at).collect();
    durations.sort();
    let median_to_close = match durations.len() {
        0 => None,
        n if n % 2 == 1 => Some(durations[n / 2]),
        n => Some((durations[n / 2 - 1] + durations[n / 2]) / 2),
    };
    let today = now.date();
    // Weeks start on Monday; the last one is the current week.
    let this_monday = today - Duration::days(today.weekday().number_days_from_monday().into());
    let weeks = (0..WEEKS)
        .rev()
        .map(|i| {
            let start = this_monday - Duration::weeks(i as i64);
            let end = start + Duration::weeks(1);
            let of_week = || {
                questions
                    .iter()
                    .filter(move |q| q.day >= start && q.day < end)
            };
            (
                start,
                of_week().count(),
                of_week()
                    .filter(|q| q.outcome != QuestionOutcome::Answered)
                    .count(),
            )
        })
        .collect();
    let top_groups = groups
        .into_iter()
        .filter(|g| g.state == GroupState::Open)
        .take(TOP_GROUPS)
        .collect();
    Summary {
        by_status,
        closed,
        by_type,
        open_by_assignee,
        median_to_close,
        weeks,
        top_groups,
    }
}

/// The first day questions of the chart may have been asked on.
pub(super) fn questions_since(now: OffsetDateTime) -> Date {
    now.date() - Duration::weeks(WEEKS as i64 + 1)
}

fn duration(d: Duration, lang: Language) -> String {
    let hours = d.whole_hours().max(0);
    Msg::StaffSummaryDuration.fill(
        lang,
        &[
            ("days", &(hours / 24).to_string()),
            ("hours", &(hours % 24).to_string()),
        ],
    )
}

/// The summary as HTML.
pub(super) fn render(s: &Summary, lang: Language) -> Markup {
    let median = match s.median_to_close {
        Some(d) => Msg::StaffSummaryMedian.fill(lang, &[("time", &duration(d, lang))]),
        None => Msg::StaffSummaryNoClosed.text(lang).to_string(),
    };
    let closed = Msg::StaffSummaryClosed.fill(
        lang,
        &[
            ("week", &s.closed.0.to_string()),
            ("month", &s.closed.1.to_string()),
        ],
    );
    html! {
        section class="summary" aria-labelledby="summary-title" {
            h2 id="summary-title" { (Msg::StaffSummary.text(lang)) }
            h3 { (Msg::StaffSummaryByStatus.text(lang)) }
            p class="summary-note" { (Msg::StaffSummaryStatusNote.text(lang)) }
            table class="summary-status" {
                thead {
                    tr {
                        th scope="col" {}
                        th scope="col" { (Msg::StaffSummaryAll.text(lang)) }
                        th scope="col" { (Msg::StaffSummaryWeek.text(lang)) }
                        th scope="col" { (Msg::StaffSummaryMonth.text(lang)) }
                    }
                }
                tbody {
                    @for (status, all, week, month) in &s.by_status {
                        tr class={ "status-" (status.code()) } {
                            th scope="row" { (status.label(lang)) }
                            td { (all) }
                            td { (week) }
                            td { (month) }
                        }
                    }
                }
            }
            p class="summary-closed" { (closed) }
            @if !s.by_type.is_empty() {
                h3 { (Msg::StaffSummaryNewByType.text(lang)) }
                table class="summary-types" {
                    thead {
                        tr {
                            th scope="col" {}
                            th scope="col" { (Msg::StaffSummaryWeek.text(lang)) }
                            th scope="col" { (Msg::StaffSummaryMonth.text(lang)) }
                        }
                    }
                    tbody {
                        @for (kind, week, month) in &s.by_type {
                            tr { th scope="row" { (kind.label(lang)) } td { (week) } td { (month) } }
                        }
                    }
                }
            }
            @if !s.open_by_assignee.is_empty() {
                h3 { (Msg::StaffSummaryOpenByAssignee.text(lang)) }
                ul class="summary-assignees" {
                    @for (who, n) in &s.open_by_assignee {
                        @let who = who.as_deref().unwrap_or(Msg::StaffSummaryUnassigned.text(lang));
                        li { (who) ": " strong { (n) } }
                    }
                }
            }
            p class="summary-median" { (median) }
            h3 id="summary-questions" { (Msg::StaffSummaryQuestions.text(lang)) }
            (chart(&s.weeks, lang))
            @if !s.top_groups.is_empty() {
                h3 { a href="/staff/questions" { (Msg::StaffSummaryTopGroups.text(lang)) } }
                ol class="summary-groups" {
                    @for g in &s.top_groups {
                        li {
                            (g.examples.first().map(String::as_str).unwrap_or(""))
                            " "
                            strong { "(" (g.count) ")" }
                        }
                    }
                }
            }
        }
    }
}

/// Questions by week: one bar per week, its unanswered part darker, each with its figures
/// as a tooltip (and for screen readers).
fn chart(weeks: &[(Date, usize, usize)], lang: Language) -> Markup {
    let max = weeks.iter().map(|w| w.1).max().unwrap_or(0).max(1);
    let (bar, gap, height) = (36usize, 12usize, 120usize);
    let width = weeks.len() * (bar + gap);
    let view_box = format!("0 0 {width} {}", height + 20);
    html! {
        svg class="summary-chart" role="img" aria-labelledby="summary-questions"
            width=(width) height=(height + 20) viewBox=(view_box) {
            @for (i, (week, asked, fallback)) in weeks.iter().enumerate() {
                @let x = i * (bar + gap);
                @let total = asked * height / max;
                @let failed = fallback * height / max;
                @let rate = if *asked == 0 { 0 } else { (fallback * 100 + asked / 2) / asked };
                @let label = Msg::StaffSummaryWeekBar.fill(
                    lang,
                    &[
                        ("week", &week.to_string()),
                        ("asked", &asked.to_string()),
                        ("rate", &rate.to_string()),
                    ],
                );
                g class="week" data-asked=(asked) data-fallback=(fallback) {
                    title { (label) }
                    rect x=(x) y=(height - total) width=(bar) height=(total) fill="#8fb3d9" {}
                    rect x=(x) y=(height - failed) width=(bar) height=(failed) fill="#003a70" {}
                    text x=(x + bar / 2) y=(height + 14) font-size="10" text-anchor="middle" {
                        (format!("{:02}-{:02}", u8::from(week.month()), week.day()))
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use time::macros::datetime;

    use super::*;
    use crate::requests::model::{Channel, Email, RequestRef};

    fn request(n: u32, status: RequestStatus, created: OffsetDateTime) -> Request {
        Request {
            reference: RequestRef::parse(&format!("SSA-2026-{n:05}")).unwrap(),
            created_at: created,
            updated_at: created,
            status,
            closed_reason: None,
            assignee: (n % 2 == 0).then(|| "ana".to_string()),
            channel: Channel::Web,
            requester_name: "Jane".into(),
            requester_email: Email::parse("jane@example.org").unwrap(),
            requester_handle: None,
            organization: "McGill".into(),
            request_type: if n % 3 == 0 {
                RequestType::ALL[0]
            } else {
                RequestType::ALL[1]
            },
            description: "A description long enough.".into(),
            language: Language::En,
            transcript: vec![],
            attachments: vec![],
            staff_notes: vec![],
        }
    }

    fn question(day: Date, outcome: QuestionOutcome) -> LoggedQuestion {
        let mut q = LoggedQuestion::new(
            "Where can I park?",
            Channel::Web,
            Language::En,
            outcome,
            OffsetDateTime::UNIX_EPOCH,
        );
        q.day = day;
        q
    }

    #[test]
    fn the_figures_count_statuses_types_assignees_the_median_and_weekly_fallbacks() {
        // A Wednesday.
        let now = datetime!(2026-03-11 12:00 UTC);
        let requests = vec![
            request(1, RequestStatus::New, now - Duration::days(2)),
            request(2, RequestStatus::Assigned, now - Duration::days(10)),
            request(3, RequestStatus::Closed, now - Duration::days(5)),
            request(5, RequestStatus::Closed, now - Duration::days(6)),
            request(7, RequestStatus::Closed, now - Duration::days(90)),
        ];
        // Closed 1 day, 3 days and (long ago) 80 days after being logged.
        let closed: HashMap<u32, OffsetDateTime> = HashMap::from([
            (3, now - Duration::days(4)),
            (5, now - Duration::days(3)),
            (7, now - Duration::days(10) - Duration::days(70)),
        ]);
        let closed_at = |r: &Request| closed.get(&r.reference.seq()).copied();
        let questions = vec![
            question(now.date(), QuestionOutcome::Unanswered),
            question(now.date() - Duration::days(1), QuestionOutcome::Answered),
            question(now.date() - Duration::days(3), QuestionOutcome::Answered),
            question(now.date() - Duration::days(60), QuestionOutcome::Unanswered),
        ];
        let s = compute(&requests, &closed_at, &questions, vec![], now);
        assert_eq!(
            s.by_status
                .iter()
                .map(|(st, n, _, _)| (st.code(), *n))
                .filter(|(_, n)| *n > 0)
                .collect::<Vec<_>>(),
            [("new", 1), ("assigned", 1), ("closed", 3)]
        );
        let total_month: usize = s.by_type.iter().map(|t| t.2).sum();
        let total_week: usize = s.by_type.iter().map(|t| t.1).sum();
        assert_eq!((total_week, total_month), (3, 4));
        assert_eq!(
            s.open_by_assignee,
            [(None, 1), (Some("ana".to_string()), 1)]
        );
        // Closed in the last 30 days: 1 and 3 days → median 2 days.
        assert_eq!(s.median_to_close, Some(Duration::days(2)));
        assert_eq!(s.weeks.len(), WEEKS);
        let this_week = s.weeks.last().unwrap();
        assert_eq!(
            this_week.0,
            datetime!(2026-03-09 0:00 UTC).date(),
            "weeks start on Monday"
        );
        assert_eq!((this_week.1, this_week.2), (2, 1), "Monday to now");
        assert_eq!((s.weeks[WEEKS - 2].1, s.weeks[WEEKS - 2].2), (1, 0));
        let html = render(&s, Language::En).into_string();
        assert!(html.contains("Median time from new to closed (last 30 days): 2 d 0 h"));
        assert!(html.contains("data-asked=\"2\" data-fallback=\"1\""));
        assert!(html.contains("Week of 2026-03-09: 2 questions, 50 % without an answer"));
        assert!(render(&s, Language::Fr).into_string().contains("2 j 0 h"));
    }

    #[test]
    fn statuses_are_counted_for_all_requests_and_for_those_logged_this_week_and_month() {
        let now = datetime!(2026-03-11 12:00 UTC);
        let days = |n: i64| now - Duration::days(n);
        let requests = vec![
            request(1, RequestStatus::New, days(1)),
            request(2, RequestStatus::Triaged, days(12)),
            request(3, RequestStatus::Assigned, days(100)),
            // Logged long ago, closed this week.
            request(4, RequestStatus::Closed, days(40)),
            // Logged and closed this month, not this week.
            request(5, RequestStatus::Closed, days(20)),
            request(6, RequestStatus::Closed, days(3)),
        ];
        let closed: HashMap<u32, OffsetDateTime> =
            HashMap::from([(4, days(2)), (5, days(15)), (6, days(1))]);
        let closed_at = |r: &Request| closed.get(&r.reference.seq()).copied();
        let s = compute(&requests, &closed_at, &[], vec![], now);
        assert_eq!(
            s.by_status
                .iter()
                .map(|(st, all, week, month)| (st.code(), *all, *week, *month))
                .collect::<Vec<_>>(),
            [
                ("new", 1, 1, 1),
                ("triaged", 1, 0, 1),
                ("assigned", 1, 0, 0),
                ("in_progress", 0, 0, 0),
                ("closed", 3, 1, 2),
            ],
            "every status, in the workflow's order: (all, logged in 7 days, in 30 days)"
        );
        assert_eq!(s.closed, (2, 3), "closed in the last 7 and 30 days");
        let en = render(&s, Language::En).into_string();
        assert!(
            en.contains("<tr class=\"status-closed\"><th scope=\"row\">Closed</th><td>3</td><td>1</td><td>2</td></tr>"),
            "{en}"
        );
        assert!(en.contains("Requests closed in the last 7 days: 2; in the last 30 days: 3."));
        let fr = render(&s, Language::Fr).into_string();
        assert!(fr.contains("<th scope=\"row\">Fermée</th>"), "{fr}");
        assert!(fr.contains("dans les 30 derniers jours : 3."), "{fr}");
    }
}
