//! Answer feedback and the questions queue through the real web server and engine: votes
//! from the chat API and from an email's feedback page, the staff questions page (sign-in,
//! anti-forgery, escaping, marking, CSV), and the retention purge.

use guichet::assistant::Incoming;
use guichet::questions::{GroupState, Vote, VoteOutcome};
use guichet::requests::model::Channel;
use reqwest::header::LOCATION;
use reqwest::StatusCode;
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

use crate::assistant::engine;
use crate::web::{csrf_of, spawn_app, TestApp};

const ANSWERED: &str = "Who created Oncopole?";
const FALLBACK: &str = "Where can I park my bicycle near your office?";
const FALLBACK_AGAIN: &str = "where to park a bicycle near the office";

async fn vote(app: &TestApp, token: &str, vote: &str) -> Value {
    let r = app
        .client
        .post(app.url("/api/feedback"))
        .json(&json!({"token": token, "vote": vote, "lang": "en"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

/// The id of the group whose examples mention `word` on the questions page.
fn group_id(html: &str, word: &str) -> String {
    let row = html
        .split("<tr id=\"group-")
        .skip(1)
        .find(|row| row.split("</tr>").next().unwrap_or("").contains(word))
        .unwrap_or_else(|| panic!("no group about {word} in:\n{html}"));
    row.split('"').next().unwrap().to_string()
}

fn row<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<tr id=\"group-{id}\""))
        .expect("the group's row");
    let rest = &html[start..];
    &rest[..rest.find("</tr>").unwrap()]
}

#[tokio::test]
async fn a_web_vote_is_recorded_once_and_the_staff_see_it_in_the_questions_queue() {
    let app = spawn_app().await;
    let session = app.new_session("en").await;
    let answer = app.say(&session, ANSWERED).await;
    assert_eq!(answer["answered"], true, "{answer}");
    let token = answer["feedback"]
        .as_str()
        .expect("an answer carries a feedback token")
        .to_string();
    for text in [FALLBACK, FALLBACK_AGAIN] {
        let reply = app.say(&session, text).await;
        assert_eq!(reply["answered"], false, "{text}: {reply}");
        assert!(reply["feedback"].is_null(), "no vote on a fallback");
    }
    app.say(
        &session,
        "<script>alert(1)</script> is there parking for a bicycle?",
    )
    .await;

    let first = vote(&app, &token, "down").await;
    assert_eq!(first["outcome"], "recorded", "{first}");
    assert_eq!(
        first["message"],
        "Thank you: your feedback is recorded and helps the Unit improve its answers."
    );
    let second = vote(&app, &token, "up").await;
    assert_eq!(second["outcome"], "already_recorded", "{second}");
    let mut forged = token.clone().into_bytes();
    forged[0] = if forged[0] == b'0' { b'1' } else { b'0' };
    let forged = vote(&app, &String::from_utf8(forged).unwrap(), "up").await;
    assert_eq!(forged["outcome"], "unknown", "a changed token is not ours");
    let bad = app
        .client
        .post(app.url("/api/feedback"))
        .json(&json!({"token": token, "vote": "maybe"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    // Staff only.
    let r = app.get("/staff/questions", None).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/staff/login");
    let cookie = app.staff_login().await;
    let page = app.get_page("/staff/questions?lang=en", &cookie).await;
    assert!(
        page.contains("Votes in this period: 0 helpful, 1 not helpful."),
        "the vote is counted"
    );
    let oncopole = group_id(&page, "Oncopole");
    assert!(
        row(&page, &oncopole).contains("voted unhelpful (1)"),
        "{}",
        row(&page, &oncopole)
    );
    let bicycle = group_id(&page, "park my bicycle");
    let bicycle_row = row(&page, &bicycle);
    assert!(
        bicycle_row.contains("<td class=\"count\">2</td>"),
        "the two wordings are one group: {bicycle_row}"
    );
    assert!(bicycle_row.contains("no answer (2)"), "{bicycle_row}");
    assert!(!page.contains("<script>alert(1)"), "examples are escaped");
    assert!(
        page.contains("&lt;script&gt;"),
        "the hostile example is shown, escaped"
    );

    // The staff pages open on a summary: this week's questions and fallbacks, top groups.
    let summary = app.get_page("/staff?lang=en", &cookie).await;
    assert!(summary.contains("<h2 id=\"summary-title\">Summary</h2>"));
    assert!(
        summary.contains("data-asked=\"4\" data-fallback=\"3\""),
        "four questions this week, three without an answer"
    );
    assert!(summary.contains("No request closed in the last 30 days."));
    assert!(summary.contains("Top question groups to review"));
    assert!(
        !summary.contains("<script>alert(1)"),
        "escaped in the summary too"
    );
    assert!(
        !app.get_page("/staff?status=new&lang=en", &cookie)
            .await
            .contains("summary-title"),
        "a filtered list is only the list"
    );

    // Marking needs the page's anti-forgery token.
    let path = format!("/staff/questions/{bicycle}/mark");
    let r = app
        .post_form(&path, Some(&cookie), &[("state", "out_of_scope")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let csrf = csrf_of(&page);
    let r = app
        .post_form(
            &path,
            Some(&cookie),
            &[("state", "out_of_scope"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = app.get_page("/staff/questions?lang=en", &cookie).await;
    assert!(
        page.contains("The question group is marked: Out of scope."),
        "the change is confirmed"
    );
    assert!(row(&page, &bicycle).contains("state-out_of_scope"));
    assert!(
        row(&page, &oncopole).contains("state-open"),
        "other groups are untouched"
    );
    let marks = app.store.question_marks().unwrap();
    assert!(marks.iter().any(|(_, s)| *s == GroupState::OutOfScope));

    let csv = app.get("/staff/questions.csv", Some(&cookie)).await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with("id,state,count,"), "{csv}");
    assert!(csv.contains(&format!("{bicycle},out_of_scope,2,")), "{csv}");
    assert_eq!(
        app.get("/staff/questions.csv", None).await.status(),
        StatusCode::SEE_OTHER,
        "the export is for staff only"
    );
}

#[tokio::test]
async fn the_feedback_page_records_only_when_its_button_is_pressed_and_only_once() {
    let app = spawn_app().await;
    let session = app.new_session("fr").await;
    let answer = app.say(&session, "Qui a créé Oncopole ?").await;
    let token = answer["feedback"].as_str().expect("a token").to_string();
    let path = format!("/feedback/{token}");

    for _ in 0..2 {
        let r = app.get(&format!("{path}?vote=up&lang=fr"), None).await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        assert!(html.contains(&format!("action=\"{path}\"")), "{html}");
        assert!(html.contains("Cette réponse m'a aidé"));
    }
    let votes = |app: &TestApp| {
        app.store
            .questions_since(OffsetDateTime::now_utc().date() - Duration::days(1))
            .unwrap()
            .into_iter()
            .filter_map(|q| q.vote)
            .collect::<Vec<_>>()
    };
    assert!(votes(&app).is_empty(), "opening the link records nothing");

    let r = app
        .post_form(&path, None, &[("vote", "up"), ("lang", "fr")])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Merci : votre avis est enregistré"));
    let r = app
        .post_form(&path, None, &[("vote", "down"), ("lang", "fr")])
        .await;
    assert_eq!(
        r.status(),
        StatusCode::CONFLICT,
        "the second vote is refused"
    );
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Un avis a déjà été enregistré"),
        "politely"
    );
    assert_eq!(votes(&app), [Vote::Helpful], "the first vote stands");

    let r = app
        .post_form(
            "/feedback/0123456789abcdef0123456789abcdef.0123456789abcdef0123456789abcdef",
            None,
            &[("vote", "up"), ("lang", "en")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.unwrap().contains("no longer valid"));
}

#[test]
fn questions_and_votes_past_the_retention_period_are_purged_with_the_conversations() {
    let e = engine();
    let now = OffsetDateTime::now_utc();
    let retention = e.assistant.settings().retention;
    let old = now - retention - Duration::days(2);
    let ask = |text: &str, conversation: &str, at| {
        e.assistant
            .handle_at(Incoming::text(Channel::Web, conversation, text), at)
    };
    let reply = ask(ANSWERED, "old", old);
    let token = reply.feedback.expect("a token");
    assert_eq!(
        e.assistant
            .record_feedback(&token, Vote::Unhelpful, old)
            .unwrap(),
        VoteOutcome::Recorded
    );
    ask(FALLBACK, "old", old);
    ask(FALLBACK, "new", now);
    let all = |e: &crate::assistant::Engine| e.store.questions_since(old.date()).unwrap();
    assert_eq!(all(&e).len(), 3);
    assert_eq!(e.assistant.questions().list(old.date()).unwrap().len(), 2);

    e.assistant.purge_expired(now).unwrap();
    let left = all(&e);
    assert_eq!(left.len(), 1, "only the recent question stays: {left:?}");
    assert!(left[0].text.contains("bicycle"));
    assert_eq!(
        e.assistant
            .record_feedback(&token, Vote::Helpful, now)
            .unwrap(),
        VoteOutcome::Unknown,
        "a purged answer can no longer be voted on"
    );
    let groups = e.assistant.questions().list(old.date()).unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].count, 1);
}
