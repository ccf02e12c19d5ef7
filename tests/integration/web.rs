//! The web channel over real HTTP: each test starts the real application (bundled
//! knowledge base, its own index and SQLite file in a temporary folder) on
//! `127.0.0.1:0` and talks to it with reqwest, as the widget and staff browsers do.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use guichet::config::{Config, StaffAccount};
use guichet::daemon::Daemon;
use guichet::messages::Msg;
use guichet::requests::model::{
    Channel, Email, NewRequest, RequestRef, RequestStatus, RequestType, MAX_NOTE_CHARS,
    MAX_SHORT_TEXT_CHARS,
};
use guichet::requests::sqlite::SqliteStore;
use guichet::requests::{RequestFilter, RequestStore};
use guichet::web::hash_password;
use guichet::Language;
use reqwest::header::{HeaderMap, ACCESS_CONTROL_ALLOW_ORIGIN, CONTENT_TYPE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tempfile::TempDir;
use time::OffsetDateTime;
use tokio::sync::oneshot;

use crate::helpers::{bundled_dir, config};

pub const STAFF_USER: &str = "ana";
pub const STAFF_PASSWORD: &str = "correct horse battery staple";
pub const ALLOWED_ORIGIN: &str = "https://ssaquebec.ca";

/// The running application and what a test needs to talk to it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    /// Does not follow redirects, so tests see the 303s.
    pub client: reqwest::Client,
    /// The store the server writes to, to check what was logged.
    pub store: Arc<dyn RequestStore>,
    pub config: Config,
    _data: TempDir,
    /// Dropping it stops the server.
    _shutdown: oneshot::Sender<()>,
}

/// The application with test defaults: one staff account, one allowed origin, and a rate
/// limit high enough not to get in the way.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// The application, with `customize` applied to the configuration before it starts.
pub async fn spawn_app_with(customize: impl FnOnce(&mut Config)) -> TestApp {
    let data = TempDir::new().unwrap();
    let mut cfg = config(&bundled_dir(), &data);
    cfg.staff.push(StaffAccount {
        username: STAFF_USER.into(),
        password_hash: hash_password(STAFF_PASSWORD).unwrap(),
    });
    cfg.web.allowed_origins = vec![ALLOWED_ORIGIN.parse().unwrap()];
    cfg.web.rate_limit_per_minute = 100_000;
    customize(&mut cfg);

    cfg.web.listen = "127.0.0.1:0".parse().unwrap();
    // The real daemon, built as `guichet serve` builds it.
    let daemon = Daemon::build(cfg.clone()).await.expect("the daemon starts");
    let address = format!("http://{}", daemon.local_addr().unwrap());
    let (shutdown, stopped) = oneshot::channel::<()>();
    tokio::spawn(daemon.run(async move {
        let _ = stopped.await;
    }));
    let store: Arc<dyn RequestStore> = Arc::new(SqliteStore::open(&cfg.database_path()).unwrap());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        address,
        client,
        store,
        config: cfg,
        _data: data,
        _shutdown: shutdown,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn new_session(&self, lang: &str) -> String {
        let r = self
            .client
            .post(self.url("/api/session"))
            .json(&json!({"lang": lang}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["lang"], lang);
        body["session"].as_str().expect("a session id").to_string()
    }

    /// Posts `body` to `/api/chat`; returns the status and the JSON answer.
    pub async fn chat(&self, body: Value) -> (StatusCode, Value) {
        let r = self
            .client
            .post(self.url("/api/chat"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.expect("the API always answers JSON"))
    }

    pub async fn say(&self, session: &str, text: &str) -> Value {
        let (status, reply) = self.chat(json!({"session": session, "text": text})).await;
        assert_eq!(status, StatusCode::OK, "{text:?} → {reply}");
        reply
    }

    pub async fn press(&self, session: &str, action: &str) -> Value {
        let (status, reply) = self
            .chat(json!({"session": session, "action": action}))
            .await;
        assert_eq!(status, StatusCode::OK, "{action} → {reply}");
        reply
    }

    /// Opens the sign-in page as a browser does; returns its anti-forgery cookie (the
    /// `Cookie` header to send) and the token of its form.
    pub async fn login_token(&self) -> (String, String) {
        let r = self.get("/staff/login", None).await;
        assert_eq!(r.status(), StatusCode::OK);
        let cookie = login_cookie(r.headers()).expect("the sign-in page sets its cookie");
        let html = r.text().await.unwrap();
        let csrf = csrf_of(&html);
        let name = if self.config.web.secure_cookies {
            "__Host-guichet_login"
        } else {
            "guichet_login"
        };
        assert_eq!(cookie, format!("{name}={csrf}"), "double submit");
        (cookie, csrf)
    }

    /// Posts the sign-in form with `fields` as the client `forwarded_for` (an
    /// `X-Forwarded-For` header, believed when `127.0.0.1` is a trusted proxy).
    pub async fn post_login_from(
        &self,
        forwarded_for: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let (cookie, csrf) = self.login_token().await;
        let mut fields = fields.to_vec();
        fields.push(("csrf", &csrf));
        self.client
            .post(self.url("/staff/login"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("cookie", cookie)
            .header("x-forwarded-for", forwarded_for)
            .body(form_encode(&fields))
            .send()
            .await
            .unwrap()
    }

    /// Posts the sign-in form with `fields`, after opening the page for its token.
    pub async fn post_login(&self, fields: &[(&str, &str)]) -> reqwest::Response {
        let (cookie, csrf) = self.login_token().await;
        let mut fields = fields.to_vec();
        fields.push(("csrf", &csrf));
        self.post_form("/staff/login", Some(&cookie), &fields).await
    }

    /// Signs in as the test staff member; returns the `Cookie` header to send.
    pub async fn staff_login(&self) -> String {
        let r = self
            .post_login(&[("username", STAFF_USER), ("password", STAFF_PASSWORD)])
            .await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "a good password signs in"
        );
        session_cookie(r.headers()).expect("signing in sets the session cookie")
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> reqwest::Response {
        let mut request = self.client.get(self.url(path));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.unwrap()
    }

    pub async fn get_page(&self, path: &str, cookie: &str) -> String {
        let r = self.get(path, Some(cookie)).await;
        assert_eq!(r.status(), StatusCode::OK, "GET {path}");
        r.text().await.unwrap()
    }

    pub async fn post_form(
        &self,
        path: &str,
        cookie: Option<&str>,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url(path))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form_encode(fields));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.unwrap()
    }
}

/// `guichet_staff=…` (or `__Host-guichet_staff=…` with secure cookies) from a
/// `Set-Cookie` header.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    set_cookie_named(headers, "guichet_staff")
}

/// `guichet_login=…` (the sign-in form's anti-forgery cookie; `__Host-guichet_login=…` with
/// secure cookies) from a `Set-Cookie` header.
fn login_cookie(headers: &HeaderMap) -> Option<String> {
    set_cookie_named(headers, "guichet_login")
}

/// The `name=value` part of the cookie `name` (with or without the `__Host-` prefix) a
/// response sets, unless it is being cleared.
fn set_cookie_named(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| {
            let v = v.strip_prefix("__Host-").unwrap_or(v);
            v.starts_with(&format!("{name}=")) && !v.contains("Max-Age=0")
        })
        .map(|v| v.split(';').next().unwrap().to_string())
}

/// The whole `Set-Cookie` line that sets the cookie `name` (exactly that name).
fn set_cookie_line(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")) && !v.contains("Max-Age=0"))
        .map(str::to_string)
}

/// `application/x-www-form-urlencoded`, as a browser sends a form.
pub fn form_encode(fields: &[(&str, &str)]) -> String {
    let encode = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The anti-forgery token of the forms on a staff page.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html
        .find(marker)
        .expect("the page has a form with an anti-forgery token")
        + marker.len();
    html[start..start + 64].to_string()
}

fn is_reference(text: &str) -> bool {
    RequestRef::parse(text).is_ok() && text.len() == "SSA-2026-00001".len()
}

/// Runs a whole English intake in `session`; returns the reference and the `awaiting`
/// values of every reply in order.
async fn english_intake(
    app: &TestApp,
    session: &str,
    name: &str,
    email: &str,
) -> (String, Vec<Value>) {
    let mut awaiting = Vec::new();
    for text in [
        "I'd like to make a request",
        name,
        email,
        "Université de Montréal",
        "3",
        "We are preparing a CIHR grant application on diabetes care pathways.",
    ] {
        awaiting.push(app.say(session, text).await["awaiting"].clone());
    }
    awaiting.push(app.press(session, "consent_yes").await["awaiting"].clone());
    let done = app.press(session, "confirm").await;
    awaiting.push(done["awaiting"].clone());
    let reference = done["request"]["reference"]
        .as_str()
        .unwrap_or_else(|| panic!("confirming logs the request: {done}"))
        .to_string();
    assert!(
        done["text"].as_str().unwrap().contains(&reference),
        "the reply names the reference: {done}"
    );
    (reference, awaiting)
}

fn new_request(name: &str, email: &str) -> NewRequest {
    NewRequest {
        channel: Channel::Web,
        requester_name: name.into(),
        requester_email: Email::parse(email).unwrap(),
        requester_handle: None,
        organization: "CHU de Québec".into(),
        request_type: RequestType::Training,
        description: "We would like training on patient partnership for our team.".into(),
        language: Language::En,
        transcript: Vec::new(),
        attachments: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------
// The chat API
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_question_through_the_chat_api_returns_excerpts_with_titles_and_source_links() {
    let app = spawn_app().await;
    let session = app.new_session("en").await;
    let reply = app.say(&session, "Who created Oncopole?").await;
    assert_eq!(reply["answered"], true, "{reply}");
    assert_eq!(reply["lang"], "en");
    let hits = reply["hits"].as_array().expect("hits is an array");
    assert!(!hits.is_empty(), "an answered question has hits: {reply}");
    for hit in hits {
        assert!(
            !hit["title"].as_str().unwrap_or("").is_empty(),
            "every hit has a title: {hit}"
        );
        assert!(
            hit["url"].as_str().unwrap_or("").starts_with("http"),
            "every hit has a source link: {hit}"
        );
        assert!(
            !hit["excerpt"].as_str().unwrap_or("").is_empty(),
            "every hit has an excerpt: {hit}"
        );
        let joined: String = hit["segments"]
            .as_array()
            .expect("the web API adds the excerpt's highlighted runs")
            .iter()
            .map(|s| s["text"].as_str().unwrap())
            .collect();
        assert_eq!(
            joined,
            hit["excerpt"].as_str().unwrap(),
            "the runs make up the excerpt"
        );
    }
    assert!(
        hits[0]["title"].as_str().unwrap().contains("Oncopole"),
        "{reply}"
    );
    for key in [
        "text", "lang", "answered", "hits", "awaiting", "request", "actions",
    ] {
        assert!(
            reply.get(key).is_some(),
            "the reply keeps the engine's key {key}: {reply}"
        );
    }
    assert!(
        reply["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == "make_request"),
        "the reply offers to make a request: {reply}"
    );
}

#[tokio::test]
async fn a_complete_english_intake_through_the_api_logs_the_request_and_returns_its_reference() {
    let app = spawn_app().await;
    let session = app.new_session("en").await;
    let (reference, awaiting) =
        english_intake(&app, &session, "Jane Smith", "jane.smith@umontreal.ca").await;
    assert_eq!(
        awaiting,
        vec![
            json!("name"),
            json!("email"),
            json!("organization"),
            json!("type"),
            json!("description"),
            json!("consent"),
            json!("confirm"),
            Value::Null
        ]
    );
    assert!(is_reference(&reference), "{reference}");
    assert!(
        reference.ends_with("-00001"),
        "the first request of a fresh log: {reference}"
    );
    let stored = app
        .store
        .get_request(&RequestRef::parse(&reference).unwrap())
        .unwrap()
        .expect("the request is in the store");
    assert_eq!(stored.requester_name, "Jane Smith");
    assert_eq!(stored.requester_email.as_str(), "jane.smith@umontreal.ca");
    assert_eq!(stored.request_type, RequestType::GrantApplication);
    assert_eq!(stored.channel, Channel::Web);
    assert_eq!(stored.language, Language::En);
}

#[tokio::test]
async fn a_complete_french_intake_through_the_api_logs_the_request_in_french() {
    let app = spawn_app().await;
    let session = app.new_session("fr").await;
    let mut awaiting = Vec::new();
    let mut last = Value::Null;
    for text in [
        "je voudrais faire une demande",
        "Marie Tremblay",
        "marie.tremblay@ulaval.ca",
        "Université Laval",
        "une lettre d'appui",
        "Nous demandons une lettre d'appui pour un projet en soins de première ligne.",
        "oui",
        "confirmer",
    ] {
        last = app.say(&session, text).await;
        assert_eq!(
            last["lang"], "fr",
            "the conversation stays in French: {last}"
        );
        awaiting.push(last["awaiting"].clone());
    }
    assert_eq!(
        awaiting,
        vec![
            json!("name"),
            json!("email"),
            json!("organization"),
            json!("type"),
            json!("description"),
            json!("consent"),
            json!("confirm"),
            Value::Null
        ]
    );
    let reference = last["request"]["reference"]
        .as_str()
        .expect("logged")
        .to_string();
    assert!(is_reference(&reference), "{reference}");
    assert!(last["text"].as_str().unwrap().contains("Merci"), "{last}");
    let stored = app
        .store
        .get_request(&RequestRef::parse(&reference).unwrap())
        .unwrap()
        .expect("the request is in the store");
    assert_eq!(stored.requester_name, "Marie Tremblay");
    assert_eq!(stored.request_type, RequestType::LetterOfSupport);
    assert_eq!(stored.language, Language::Fr);
}

#[tokio::test]
async fn every_kind_of_bad_input_gets_its_own_status_and_error_code() {
    let app = spawn_app().await;
    let session = app.new_session("en").await;
    let max = app.config.web.max_message_chars;

    let (status, body) = app.chat(json!({"session": session, "text": "   "})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("empty_message")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("empty"),
        "in the session's language: {body}"
    );

    let (status, body) = app
        .chat(json!({"session": session, "text": "a".repeat(max + 1)}))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("message_too_long")),
        "{body}"
    );
    let (status, _) = app
        .chat(json!({"session": session, "text": "é".repeat(max)}))
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the limit counts characters, not bytes"
    );

    for unknown in ["00000000000000000000000000000000", "not-a-session", ""] {
        let (status, body) = app.chat(json!({"session": unknown, "text": "hello"})).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::NOT_FOUND, Some("unknown_session")),
            "{unknown:?}: {body}"
        );
    }
    let (_, body) = app
        .chat(json!({"session": "0".repeat(32), "text": "hello"}))
        .await;
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("conversation") && message.contains(" / "),
        "no language known: both: {message}"
    );

    let (status, body) = app
        .chat(json!({"session": session, "action": "launch_rockets"}))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unknown_action")),
        "{body}"
    );

    let raw = |content_type: &'static str, body: &'static str| {
        app.client
            .post(app.url("/api/chat"))
            .header(CONTENT_TYPE, content_type)
            .body(body)
            .send()
    };
    for (content_type, body) in [
        ("application/json", "{not json"),
        ("application/json", "[1, 2]"),
        ("application/json", "{\"text\": \"no session\"}"),
        ("text/plain", "{\"session\": \"x\", \"text\": \"hi\"}"),
    ] {
        let r = raw(content_type, body).await.unwrap();
        let status = r.status();
        let answer: Value = r.json().await.unwrap();
        assert_eq!(
            (status, answer["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("bad_json")),
            "{content_type} {body}: {answer}"
        );
    }

    let huge = format!(
        "{{\"session\": \"{session}\", \"text\": \"{}\"}}",
        "x".repeat(200 * 1024)
    );
    let r = app
        .client
        .post(app.url("/api/chat"))
        .header(CONTENT_TYPE, "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let answer: Value = r.json().await.unwrap();
    assert_eq!(
        (status, answer["error"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("message_too_long")),
        "the body limit: {answer}"
    );

    // Errors follow the language of the request when it gives one.
    let (_, body) = app
        .chat(json!({"session": session, "text": "", "lang": "fr"}))
        .await;
    assert!(body["message"].as_str().unwrap().contains("vide"), "{body}");
}

#[tokio::test]
async fn the_rate_limit_trips_at_the_configured_number_of_calls_per_minute() {
    let app = spawn_app_with(|c| c.web.rate_limit_per_minute = 5).await;
    let session = app.new_session("en").await;
    let mut accepted = 1; // the session itself
    let refusal = loop {
        let r = app
            .client
            .post(app.url("/api/chat"))
            .json(&json!({"session": session, "text": "hello"}))
            .send()
            .await
            .unwrap();
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            break r;
        }
        assert_eq!(r.status(), StatusCode::OK);
        accepted += 1;
        assert!(accepted <= 5, "more calls accepted than the limit");
    };
    assert_eq!(
        accepted, 5,
        "exactly the configured number of calls gets through"
    );
    let retry: u64 = refusal
        .headers()
        .get("retry-after")
        .expect("a 429 says when to retry")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=12).contains(&retry),
        "one call comes back every 12 s: {retry}"
    );
    let body: Value = refusal.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited", "{body}");
    let r = app
        .client
        .post(app.url("/api/session"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "creating sessions counts too"
    );
}

/// Posts `/api/session` as the client `forwarded_for` (an `X-Forwarded-For` header).
async fn new_session_as(app: &TestApp, forwarded_for: &str) -> StatusCode {
    app.client
        .post(app.url("/api/session"))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"lang": "en"}))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_rate_limit() {
    let app = spawn_app_with(|c| {
        c.web.rate_limit_per_minute = 2;
        c.web.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    for _ in 0..2 {
        assert_eq!(new_session_as(&app, "1.1.1.1").await, StatusCode::OK);
    }
    assert_eq!(
        new_session_as(&app, "1.1.1.1").await,
        StatusCode::TOO_MANY_REQUESTS,
        "the first client used up its limit"
    );
    assert_eq!(
        new_session_as(&app, "2.2.2.2").await,
        StatusCode::OK,
        "another client behind the same proxy is not blocked"
    );
    // A client cannot escape its limit by writing its own header: the proxy appends the
    // real address, the right-most one.
    assert_eq!(
        new_session_as(&app, "9.9.9.9, 1.1.1.1").await,
        StatusCode::TOO_MANY_REQUESTS,
        "a forged entry left of the proxy's is ignored"
    );
    let (status, body) = app.chat(json!({"session": "x", "text": "hi"})).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "without the header, the proxy itself is a client with its own limit: {body}"
    );
}

#[tokio::test]
async fn without_trusted_proxies_a_forwarded_header_does_not_split_the_rate_limit() {
    let app = spawn_app_with(|c| c.web.rate_limit_per_minute = 2).await;
    for _ in 0..2 {
        assert_eq!(new_session_as(&app, "1.1.1.1").await, StatusCode::OK);
    }
    for client in ["1.1.1.1", "2.2.2.2"] {
        assert_eq!(
            new_session_as(&app, client).await,
            StatusCode::TOO_MANY_REQUESTS,
            "{client}: the header is ignored, every call comes from 127.0.0.1"
        );
    }
    let (status, body) = app.chat(json!({"session": "x", "text": "hi"})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
}

#[tokio::test]
async fn a_hundred_simultaneous_sessions_each_log_their_own_request_without_mix_ups() {
    let app = Arc::new(spawn_app().await);
    let mut tasks = Vec::new();
    for i in 0..100usize {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            // Names are letters only: "Tester Bcd".
            let letters: String = [i / 26 / 26, i / 26 % 26, i % 26]
                .iter()
                .map(|d| (b'a' + *d as u8) as char)
                .collect();
            let name = format!("Tester B{letters}");
            let email = format!("tester.{letters}@example.ca");
            let session = app.new_session("en").await;
            let (reference, _) = english_intake(&app, &session, &name, &email).await;
            (reference, name, email)
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("every session completes its intake"));
    }
    let all = app.store.list_requests(&RequestFilter::default()).unwrap();
    assert_eq!(all.len(), 100, "exactly one request per session");
    let references: HashSet<String> = all.iter().map(|r| r.reference.to_string()).collect();
    assert_eq!(references.len(), 100, "references are distinct");
    let by_reference: HashMap<String, _> =
        all.iter().map(|r| (r.reference.to_string(), r)).collect();
    for (reference, name, email) in &results {
        let stored = by_reference
            .get(reference)
            .unwrap_or_else(|| panic!("{reference} given to {name} is in the store"));
        assert_eq!(&stored.requester_name, name, "{reference}");
        assert_eq!(stored.requester_email.as_str(), email, "{reference}");
    }
}

#[tokio::test]
async fn cors_lets_the_allowed_origin_call_the_api_and_no_other() {
    let app = spawn_app().await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/chat"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let ok = preflight(ALLOWED_ORIGIN).await.unwrap();
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    assert_eq!(ok.headers()[ACCESS_CONTROL_ALLOW_ORIGIN], ALLOWED_ORIGIN);
    assert!(ok.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .contains("content-type"));
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(refused.headers().get(ACCESS_CONTROL_ALLOW_ORIGIN).is_none());

    for (origin, allowed) in [(ALLOWED_ORIGIN, true), ("https://evil.example", false)] {
        let r = app
            .client
            .post(app.url("/api/session"))
            .header("origin", origin)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            r.headers().get(ACCESS_CONTROL_ALLOW_ORIGIN).is_some(),
            allowed,
            "{origin}"
        );
        assert!(
            r.headers().get_all("vary").iter().any(|v| v
                .to_str()
                .unwrap()
                .to_lowercase()
                .contains("origin")),
            "answers vary by origin"
        );
    }
    let page = app.get("/", None).await;
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains(&format!("frame-ancestors 'self' {ALLOWED_ORIGIN}")),
        "{csp}"
    );
    let staff = app.get("/staff/login", None).await;
    assert!(
        staff.headers().get(ACCESS_CONTROL_ALLOW_ORIGIN).is_none(),
        "CORS is for the API only"
    );
}

#[tokio::test]
async fn the_chat_page_is_bilingual_accessible_and_sent_with_security_headers() {
    let app = spawn_app_with(|c| c.privacy.conversation_retention_days = 21).await;
    let page = app.get("/", None).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    assert_eq!(page.headers()["referrer-policy"], "same-origin");
    let html = page.text().await.unwrap();
    assert!(html.contains("<html lang=\"fr\">"), "French first");
    assert!(html.contains("Unité de soutien SSA Québec"));
    assert!(html.contains("href=\"/?lang=en\""), "an English toggle");
    assert!(html.contains("<script src=\"/widget.js\" data-guichet defer></script>"));
    assert!(!html.contains("<script>"), "no inline script");
    let html = app.get("/?lang=en", None).await.text().await.unwrap();
    assert!(html.contains("<html lang=\"en\">") && html.contains("Quebec SPOR SUPPORT Unit"));

    let js = app.get("/widget.js", None).await;
    assert!(js.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    let js = js.text().await.unwrap();
    assert!(
        js.contains("data-guichet defer"),
        "the embedding is documented at the top"
    );
    assert!(
        js.contains("21 jours") && js.contains("21 days"),
        "the privacy note gives the retention period"
    );
    assert!(js.contains("role: \"log\"") && js.contains("\"aria-live\": \"polite\""));
    assert!(!js.contains("innerHTML"), "replies are rendered as text");
    let css = app.get("/widget.css", None).await;
    assert!(css.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/css"));

    let health = app.get("/healthz", None).await;
    assert_eq!(health.status(), StatusCode::OK);
    let health: Value = health.json().await.unwrap();
    assert_eq!(
        (&health["status"], &health["parts"]),
        (&json!("ok"), &json!({})),
        "no channel but the web is enabled: {health}"
    );
    assert!(
        health["knowledge"]["documents"].as_u64() > Some(0)
            && health["knowledge"]["reload_error"].is_null(),
        "the knowledge in use: {health}"
    );
    assert_eq!(app.get("/nope", None).await.status(), StatusCode::NOT_FOUND);
}

// ---------------------------------------------------------------------------------------
// Staff pages
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn staff_sign_in_refuses_a_wrong_password_and_accepts_the_right_one() {
    let app = spawn_app().await;
    let r = app.get("/staff", None).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "unauthenticated: sent to sign in"
    );
    assert_eq!(r.headers()[LOCATION], "/staff/login");

    for (user, password) in [(STAFF_USER, "wrong password"), ("nobody", STAFF_PASSWORD)] {
        let r = app
            .post_login(&[("username", user), ("password", password)])
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{user}");
        assert!(
            session_cookie(r.headers()).is_none(),
            "no session for a wrong password"
        );
        let html = r.text().await.unwrap();
        assert!(
            html.contains("Nom d'utilisateur ou mot de passe incorrect"),
            "{html}"
        );
    }

    let r = app
        .post_login(&[("username", STAFF_USER), ("password", STAFF_PASSWORD)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/staff");
    let set_cookie = r.headers()[SET_COOKIE].to_str().unwrap().to_string();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/staff"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(
        !set_cookie.contains("Secure"),
        "not over plain HTTP unless configured"
    );
    let cookie = session_cookie(r.headers()).unwrap();
    let html = app.get_page("/staff", &cookie).await;
    assert!(html.contains("Connecté : ana"), "{html}");

    // Signing out ends the session.
    let csrf = csrf_of(&html);
    let r = app
        .post_form("/staff/logout", Some(&cookie), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/staff", Some(&cookie)).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_sign_in_without_the_pages_anti_forgery_token_is_refused_and_not_counted() {
    let app = spawn_app().await;
    let r = app.get("/staff/login?lang=en", None).await;
    let set_cookie = r
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("guichet_login="))
        .expect("the sign-in page sets its anti-forgery cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/staff/login"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let (cookie, csrf) = app.login_token().await;
    let (other_cookie, other_csrf) = app.login_token().await;
    assert_ne!(csrf, other_csrf, "each browser gets its own token");
    // The same browser opening the page again keeps its token (several tabs work).
    let again = app.get("/staff/login", Some(&cookie)).await;
    assert_eq!(csrf_of(&again.text().await.unwrap()), csrf);

    let right = [("username", STAFF_USER), ("password", STAFF_PASSWORD)];
    // Six refusals, more than the five attempts allowed: none of them counts.
    let forged: [(Option<&str>, Option<&str>, &str); 6] = [
        (None, None, "fr"),                       // a cross-site form: no cookie, no token
        (None, Some(&csrf), "en"),                // a token but no cookie
        (Some(&cookie), None, "fr"),              // the cookie but no token
        (Some(&cookie), Some(&other_csrf), "en"), // another browser's token
        (Some(&other_cookie), Some(&csrf), "fr"), // …the other way round
        (Some(&cookie), Some(&csrf[..63]), "en"), // almost the token
    ];
    for (cookie, token, lang) in forged {
        let mut fields = right.to_vec();
        fields.push(("lang", lang));
        if let Some(token) = token {
            fields.push(("csrf", token));
        }
        let r = app.post_form("/staff/login", cookie, &fields).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{cookie:?} {token:?}");
        assert!(
            session_cookie(r.headers()).is_none(),
            "no session even with the right password"
        );
        assert!(
            login_cookie(r.headers()).is_some(),
            "the form shown again carries a token to retry with"
        );
        let html = r.text().await.unwrap();
        let expected = if lang == "en" {
            "This sign-in form expired or did not come from this page."
        } else {
            "Ce formulaire de connexion a expiré ou ne vient pas de cette page."
        };
        assert!(html.contains(expected), "{html}");
        assert!(
            html.contains("name=\"password\""),
            "the form is shown again"
        );
    }

    // The real form still signs in: the refusals did not use up the attempts.
    let r = app
        .post_form(
            "/staff/login",
            Some(&cookie),
            &[
                ("username", STAFF_USER),
                ("password", STAFF_PASSWORD),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(session_cookie(r.headers()).is_some());
    let spent: Vec<&str> = r
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter(|v| v.starts_with("guichet_login=;") && v.contains("Max-Age=0"))
        .collect();
    assert_eq!(spent.len(), 1, "signing in clears the sign-in token");
}

#[tokio::test]
async fn staff_sign_in_is_limited_to_five_attempts_per_address() {
    let app = spawn_app().await;
    for _ in 0..5 {
        let r = app
            .post_login(&[("username", STAFF_USER), ("password", "guess")])
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = app
        .post_login(&[
            ("username", STAFF_USER),
            ("password", STAFF_PASSWORD),
            ("lang", "en"),
        ])
        .await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    assert!(r.headers().get("retry-after").is_some());
    let html = r.text().await.unwrap();
    assert!(html.contains("Too many sign-in attempts"), "{html}");
}

/// A second staff account, for tests where one staff member's actions must not touch
/// another's.
const OTHER_USER: &str = "bob";
const OTHER_PASSWORD: &str = "bob's own long passphrase";

fn add_other_account(config: &mut Config) {
    config.staff.push(StaffAccount {
        username: OTHER_USER.into(),
        password_hash: hash_password(OTHER_PASSWORD).unwrap(),
    });
}

/// Signs in as `username`; returns the `Cookie` header to send.
async fn sign_in_as(app: &TestApp, username: &str, password: &str) -> String {
    let r = app
        .post_login(&[("username", username), ("password", password)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{username} signs in");
    session_cookie(r.headers()).expect("signing in sets the session cookie")
}

#[tokio::test]
async fn successful_sign_ins_do_not_use_up_the_addresss_allowance() {
    // Colleagues behind one office address sign in all day: only failures count.
    let app = spawn_app().await;
    for _ in 0..4 {
        let r = app
            .post_login(&[("username", STAFF_USER), ("password", "guess")])
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    for i in 0..8 {
        let r = app
            .post_login(&[("username", STAFF_USER), ("password", STAFF_PASSWORD)])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in {i}");
    }
    let r = app
        .post_login(&[("username", STAFF_USER), ("password", "guess")])
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "the fifth failure is still a password check"
    );
    let r = app
        .post_login(&[
            ("username", STAFF_USER),
            ("password", STAFF_PASSWORD),
            ("lang", "en"),
        ])
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Too many sign-in attempts from your address"),
        "{html}"
    );
}

#[tokio::test]
async fn five_failed_passwords_lock_a_username_from_every_address_and_unknown_names_alike() {
    let app = spawn_app_with(|c| {
        c.web.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        add_other_account(c);
    })
    .await;
    let mut said = Vec::new();
    for (n, user, password) in [
        (1, STAFF_USER, STAFF_PASSWORD),
        (2, "nobody", "anything at all"),
    ] {
        // Five wrong passwords, each from its own address: no address runs out.
        for i in 0..5 {
            let r = app
                .post_login_from(
                    &format!("198.51.100.{}", n * 10 + i),
                    &[("username", user), ("password", "guess"), ("lang", "en")],
                )
                .await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{user}: failure {i}");
        }
        // Then even the right password, from yet another address, is refused.
        let r = app
            .post_login_from(
                &format!("203.0.113.{n}"),
                &[("username", user), ("password", password), ("lang", "en")],
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{user} is locked"
        );
        assert!(session_cookie(r.headers()).is_none(), "{user}: no session");
        let retry: u64 = r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((14 * 60..=15 * 60).contains(&retry), "{user}: {retry} s");
        let html = r.text().await.unwrap();
        let alert = flash_of(&html).expect("the page says why").to_string();
        assert!(
            alert.contains("Too many failed sign-ins for this username"),
            "{alert}"
        );
        said.push(alert);
        let r = app
            .post_login_from(
                &format!("203.0.113.{n}"),
                &[("username", user), ("password", password)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        let html = r.text().await.unwrap();
        assert!(
            flash_of(&html)
                .unwrap()
                .contains("Trop de tentatives échouées"),
            "in the page's language: {html}"
        );
    }
    assert_eq!(
        said[0], said[1],
        "a known and an unknown username are refused alike"
    );

    // Refusals of a locked name are not failures of the address they come from…
    for _ in 0..6 {
        let r = app
            .post_login_from(
                "192.0.2.77",
                &[("username", STAFF_USER), ("password", "guess")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    }
    // …and another staff member signs in from any of those addresses.
    for address in ["192.0.2.77", "198.51.100.10", "203.0.113.1"] {
        let r = app
            .post_login_from(
                address,
                &[("username", OTHER_USER), ("password", OTHER_PASSWORD)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{address}");
    }
}

#[tokio::test]
async fn sign_ins_are_limited_to_sixty_a_minute_overall() {
    let app = spawn_app_with(|c| c.web.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    // Sixty attempts, each from its own address for its own name: no other limit trips.
    for i in 0..60 {
        let r = app
            .post_login_from(
                &format!("10.0.0.{}", i + 1),
                &[("username", &format!("guess{i}")), ("password", "guess")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    for (lang, expected) in [
        ("en", "Too many sign-ins right now"),
        ("fr", "Trop de connexions en ce moment"),
    ] {
        let r = app
            .post_login_from(
                "192.0.2.200",
                &[
                    ("username", STAFF_USER),
                    ("password", STAFF_PASSWORD),
                    ("lang", lang),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{lang}");
        assert!(r.headers().get("retry-after").is_some());
        assert!(session_cookie(r.headers()).is_none());
        let html = r.text().await.unwrap();
        assert!(html.contains(expected), "{html}");
        assert!(
            html.contains("name=\"password\""),
            "the form is shown again"
        );
    }
}

/// The attributes of a `Set-Cookie` line, after its `name=value`.
fn cookie_attributes(line: &str) -> Vec<String> {
    line.split(';')
        .skip(1)
        .map(|a| a.trim().to_string())
        .collect()
}

#[tokio::test]
async fn with_secure_cookies_the_staff_cookies_carry_the_host_prefix_and_only_that_name_is_read() {
    let app = spawn_app_with(|c| c.web.secure_cookies = true).await;
    let page = app.get("/staff/login", None).await;
    let line = set_cookie_line(page.headers(), "__Host-guichet_login")
        .expect("the sign-in cookie has the __Host- prefix");
    let host_rules = |line: &str| {
        let attributes = cookie_attributes(line);
        for wanted in ["Secure", "Path=/", "HttpOnly", "SameSite=Strict"] {
            assert!(attributes.iter().any(|a| a == wanted), "{wanted}: {line}");
        }
        assert!(
            !attributes
                .iter()
                .any(|a| a.to_ascii_lowercase().starts_with("domain")),
            "{line}"
        );
    };
    host_rules(&line);

    let (login, csrf) = app.login_token().await;
    let right = [
        ("username", STAFF_USER),
        ("password", STAFF_PASSWORD),
        ("csrf", csrf.as_str()),
    ];
    // The old name is not read: the form is refused as forged.
    let plain_login = login.replacen("__Host-", "", 1);
    let r = app
        .post_form("/staff/login", Some(&plain_login), &right)
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app.post_form("/staff/login", Some(&login), &right).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let line = set_cookie_line(r.headers(), "__Host-guichet_staff")
        .expect("the session cookie has the __Host- prefix");
    host_rules(&line);
    let spent = r
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("__Host-guichet_login=;"))
        .expect("the sign-in token is cleared");
    assert!(
        spent.contains("Max-Age=0") && spent.contains("Secure") && spent.contains("Path=/"),
        "{spent}"
    );
    let session = session_cookie(r.headers()).unwrap();
    assert!(session.starts_with("__Host-guichet_staff="), "{session}");
    let html = app.get_page("/staff", &session).await;
    let plain_session = session.replacen("__Host-", "", 1);
    let r = app.get("/staff", Some(&plain_session)).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "the old name is not read"
    );
    assert_eq!(r.headers()[LOCATION], "/staff/login");
    // Signing out clears the cookie under its own name and rules.
    let r = app
        .post_form(
            "/staff/logout",
            Some(&session),
            &[("csrf", &csrf_of(&html))],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cleared = r
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("__Host-guichet_staff=;"))
        .expect("signing out clears the session cookie");
    assert!(
        cleared.contains("Max-Age=0") && cleared.contains("Secure") && cleared.contains("Path=/"),
        "{cleared}"
    );

    // Over plain HTTP the names are the plain ones, and the prefixed ones are not read.
    let plain = spawn_app().await;
    let (login, csrf) = plain.login_token().await;
    assert!(login.starts_with("guichet_login="), "{login}");
    let right = [
        ("username", STAFF_USER),
        ("password", STAFF_PASSWORD),
        ("csrf", csrf.as_str()),
    ];
    let r = plain
        .post_form("/staff/login", Some(&format!("__Host-{login}")), &right)
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let session = plain.staff_login().await;
    assert!(session.starts_with("guichet_staff="), "{session}");
    plain.get_page("/staff", &session).await;
    let r = plain
        .get("/staff", Some(&format!("__Host-{session}")))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_of_that_staff_member_and_no_one_elses() {
    let app = spawn_app_with(add_other_account).await;
    let first = app.staff_login().await;
    let second = app.staff_login().await;
    let other = sign_in_as(&app, OTHER_USER, OTHER_PASSWORD).await;
    let html = app.get_page("/staff?lang=en", &first).await;
    assert!(
        html.contains("action=\"/staff/sign-out-everywhere\"")
            && html.contains("Sign out everywhere"),
        "a button on the staff pages: {html}"
    );
    let csrf = csrf_of(&html);

    // Without the session's anti-forgery token nothing happens.
    let r = app
        .post_form(
            "/staff/sign-out-everywhere",
            Some(&first),
            &[("csrf", &"0".repeat(64))],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    app.get_page("/staff", &second).await;

    let r = app
        .post_form(
            "/staff/sign-out-everywhere",
            Some(&first),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cleared = r
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .any(|v| v.starts_with("guichet_staff=;") && v.contains("Max-Age=0"));
    assert!(cleared, "this browser's cookie is cleared");
    let to = r.headers()[LOCATION].to_str().unwrap().to_string();
    assert!(to.starts_with("/staff/login"), "{to}");
    let confirmation = app.get(&to, None).await;
    assert_eq!(confirmation.status(), StatusCode::OK);
    let html = confirmation.text().await.unwrap();
    assert!(html.contains("<html lang=\"en\">"), "{html}");
    assert!(
        flash_of(&html).is_some_and(|f| f.contains("All your sessions are closed")),
        "{html}"
    );
    for cookie in [&first, &second] {
        let r = app.get("/staff", Some(cookie)).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{cookie}");
        assert_eq!(r.headers()[LOCATION], "/staff/login");
    }
    app.get_page("/staff", &other).await;

    // In French, and a new sign-in works as before.
    let third = app.staff_login().await;
    let html = app.get_page("/staff?lang=fr", &third).await;
    assert!(html.contains("Me déconnecter partout"), "{html}");
    let r = app
        .post_form(
            "/staff/sign-out-everywhere",
            Some(&third),
            &[("csrf", &csrf_of(&html))],
        )
        .await;
    let to = r.headers()[LOCATION].to_str().unwrap().to_string();
    let html = app.get(&to, None).await.text().await.unwrap();
    assert!(
        flash_of(&html).is_some_and(|f| f.contains("Toutes vos sessions sont fermées")),
        "{html}"
    );
    assert_eq!(
        app.get("/staff", Some(&third)).await.status(),
        StatusCode::SEE_OTHER
    );
    app.get_page("/staff", &other).await;
}

#[tokio::test]
async fn staff_triage_a_request_from_the_list_to_closing_it_with_a_reason() {
    let app = spawn_app().await;
    let session = app.new_session("en").await;
    let (reference, _) =
        english_intake(&app, &session, "Jane Smith", "jane.smith@umontreal.ca").await;
    let cookie = app.staff_login().await;

    let list = app.get_page("/staff", &cookie).await;
    assert!(
        list.contains(&reference) && list.contains("Jane Smith"),
        "the list shows the logged request"
    );
    let filtered = app.get_page("/staff?status=closed", &cookie).await;
    assert!(!filtered.contains(&reference), "the status filter applies");
    let searched = app.get_page("/staff?q=umontreal", &cookie).await;
    assert!(searched.contains(&reference), "the search applies");

    let path = format!("/staff/requests/{reference}");
    let detail = app.get_page(&path, &cookie).await;
    assert!(
        detail.contains("jane.smith@umontreal.ca") && detail.contains("diabetes care pathways")
    );
    assert!(
        detail.contains("I'd like to make a request"),
        "the transcript is shown"
    );
    let csrf = csrf_of(&detail);

    // Without (or with a wrong) anti-forgery token: refused, nothing changes.
    for fields in [
        vec![("status", "triaged")],
        vec![("status", "triaged"), ("csrf", "0000")],
    ] {
        let r = app
            .post_form(&format!("{path}/status"), Some(&cookie), &fields)
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
    let r = app
        .post_form(
            &format!("{path}/status"),
            None,
            &[("status", "triaged"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "no session: sent to sign in"
    );
    assert_eq!(r.headers()[LOCATION], "/staff/login");
    let parsed = RequestRef::parse(&reference).unwrap();
    assert_eq!(
        app.store.get_request(&parsed).unwrap().unwrap().status,
        RequestStatus::New
    );

    let r = app
        .post_form(
            &format!("{path}/status"),
            Some(&cookie),
            &[("status", "triaged"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], path.as_str());
    let page = app.get_page(&path, &cookie).await;
    assert!(
        page.contains("Modification enregistrée"),
        "the change is confirmed"
    );
    assert_eq!(
        app.store.get_request(&parsed).unwrap().unwrap().status,
        RequestStatus::Triaged
    );

    let r = app
        .post_form(
            &format!("{path}/assign"),
            Some(&cookie),
            &[("assignee", "Benoît"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .post_form(
            &format!("{path}/note"),
            Some(&cookie),
            &[("note", "Called her <back> on Monday"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // Closing needs a reason: the store's refusal is shown, in the page's language.
    app.post_form(
        &format!("{path}/status"),
        Some(&cookie),
        &[("status", "closed"), ("csrf", &csrf)],
    )
    .await;
    let page = app.get_page(&path, &cookie).await;
    assert!(
        page.contains("écrivez le motif"),
        "the missing reason is explained: {page}"
    );
    assert_ne!(
        app.store.get_request(&parsed).unwrap().unwrap().status,
        RequestStatus::Closed
    );

    app.post_form(
        &format!("{path}/status"),
        Some(&cookie),
        &[
            ("status", "closed"),
            ("note", "Letter sent"),
            ("csrf", &csrf),
        ],
    )
    .await;
    let stored = app.store.get_request(&parsed).unwrap().unwrap();
    assert_eq!(stored.status, RequestStatus::Closed);
    assert_eq!(stored.closed_reason.as_deref(), Some("Letter sent"));
    assert_eq!(stored.assignee.as_deref(), Some("Benoît"));

    let page = app.get_page(&path, &cookie).await;
    assert!(
        page.contains("Called her &lt;back&gt; on Monday"),
        "the note is shown, escaped"
    );
    let history = &page[page
        .find("<table class=\"history\">")
        .expect("a history table")..];
    for expected in [
        "Triée",
        "Fermée",
        "Letter sent",
        "Benoît",
        "Assignation",
        "Note",
        "ana",
    ] {
        assert!(
            history.contains(expected),
            "the history shows {expected}: {history}"
        );
    }
    let events = app.store.history(&parsed).unwrap();
    assert!(
        events.iter().any(|e| e.by == STAFF_USER),
        "changes are recorded under the staff member's name"
    );

    let csv = app.get("/staff/export.csv", Some(&cookie)).await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with("reference,"), "{csv}");
    assert!(csv.contains(&reference) && csv.contains("Letter sent"));
    let csv = app.get_page("/staff/export.csv?status=new", &cookie).await;
    assert!(!csv.contains(&reference), "exports follow the filters");
    let json: Value =
        serde_json::from_str(&app.get_page("/staff/export.json", &cookie).await).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 1);
    assert_eq!(
        app.get("/staff/export.csv", None).await.status(),
        StatusCode::SEE_OTHER,
        "exports need a session"
    );
}

#[tokio::test]
async fn a_hostile_requester_name_is_escaped_in_every_staff_page() {
    let app = spawn_app().await;
    let request = app
        .store
        .create_request(
            new_request("<script>alert(1)</script>", "mallory@example.ca"),
            OffsetDateTime::now_utc(),
        )
        .unwrap();
    let cookie = app.staff_login().await;
    let list = app.get_page("/staff", &cookie).await;
    let detail = app
        .get_page(&format!("/staff/requests/{}", request.reference), &cookie)
        .await;
    for html in [&list, &detail] {
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "shown as text: {html}"
        );
        assert!(!html.contains("<script>alert(1)"), "never as markup");
    }
    let r = app.get("/staff", Some(&cookie)).await;
    let csp = r.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let search = app
        .get_page("/staff?q=%22%3E%3Cimg%20src%3Dx%3E", &cookie)
        .await;
    assert!(
        search.contains("value=\"&quot;&gt;&lt;img src=x&gt;\""),
        "filter values are escaped too"
    );
}

#[tokio::test]
async fn staff_pages_switch_language_and_remember_it() {
    let app = spawn_app().await;
    let cookie = app.staff_login().await;
    assert!(app
        .get_page("/staff", &cookie)
        .await
        .contains("<html lang=\"fr\">"));
    let english = app.get_page("/staff?lang=en", &cookie).await;
    assert!(english.contains("<html lang=\"en\">") && english.contains("No request matches"));
    let later = app.get_page("/staff", &cookie).await;
    assert!(
        later.contains("<html lang=\"en\">"),
        "the choice is remembered in the session"
    );
    let missing = app
        .get("/staff/requests/SSA-2026-99999", Some(&cookie))
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(missing.text().await.unwrap().contains("No such request"));
    assert_eq!(
        app.get("/staff/requests/bogus", Some(&cookie))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

/// The text of the one-time message a staff page shows after a change, if any.
fn flash_of(html: &str) -> Option<&str> {
    let start = html.find("<p class=\"flash ")?;
    let text = start + html[start..].find('>')? + 1;
    let end = text + html[text..].find("</p>")?;
    Some(&html[text..end])
}

#[tokio::test]
async fn a_french_staff_members_mistakes_are_explained_in_french_and_never_in_english() {
    let app = spawn_app().await;
    let request = app
        .store
        .create_request(
            new_request("Jeanne Roy", "jeanne.roy@example.ca"),
            OffsetDateTime::now_utc(),
        )
        .unwrap();
    let cookie = app.staff_login().await;
    let path = format!("/staff/requests/{}", request.reference);
    let page = app.get_page(&path, &cookie).await;
    assert!(
        page.contains("<html lang=\"fr\">"),
        "the session is in French"
    );
    let csrf = csrf_of(&page);

    let name_max = MAX_SHORT_TEXT_CHARS.to_string();
    let note_max = MAX_NOTE_CHARS.to_string();
    let said = |msg: Msg, lang: Language| match msg {
        Msg::StaffInvalidAssignee => msg.fill(lang, &[("max", &name_max)]),
        Msg::StaffInvalidNote | Msg::StaffInvalidReason => msg.fill(lang, &[("max", &note_max)]),
        Msg::StaffInvalidTransition => {
            let new = RequestStatus::New.label(lang);
            msg.fill(lang, &[("from", new), ("to", new)])
        }
        _ => msg.text(lang).to_string(),
    };
    let html = |text: String| maud::html! { (text) }.into_string();
    let long_name = "x".repeat(500);
    let long_note = "x".repeat(MAX_NOTE_CHARS + 1);
    let mistakes = vec![
        ("assign", vec![("assignee", "")], Msg::StaffInvalidAssignee),
        (
            "assign",
            vec![("assignee", "   ")],
            Msg::StaffInvalidAssignee,
        ),
        (
            "assign",
            vec![("assignee", long_name.as_str())],
            Msg::StaffInvalidAssignee,
        ),
        (
            "assign",
            vec![("assignee", "Ana\nBenoît")],
            Msg::StaffInvalidAssignee,
        ),
        ("note", vec![("note", " ")], Msg::StaffInvalidNote),
        (
            "note",
            vec![("note", long_note.as_str())],
            Msg::StaffInvalidNote,
        ),
        (
            "status",
            vec![("status", "closed")],
            Msg::StaffReasonRequired,
        ),
        (
            "status",
            vec![("status", "closed"), ("note", long_note.as_str())],
            Msg::StaffInvalidReason,
        ),
        ("status", vec![("status", "bogus")], Msg::StaffUnknownStatus),
        (
            "status",
            vec![("status", "new")],
            Msg::StaffInvalidTransition,
        ),
    ];
    // What the desk says in English, and the old way of passing it on.
    let desk_words = [
        "must not be empty",
        "is too long",
        "control characters",
        "unknown status",
        "needs a reason",
        "cannot move",
        "Value refused",
        "Valeur refusée",
    ];
    for (action, mut fields, msg) in mistakes {
        fields.push(("csrf", csrf.as_str()));
        let r = app
            .post_form(&format!("{path}/{action}"), Some(&cookie), &fields)
            .await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "{action}: back to the page"
        );
        let page = app.get_page(&path, &cookie).await;
        assert_eq!(
            flash_of(&page),
            Some(html(said(msg, Language::Fr)).as_str()),
            "{action} {msg:?}: the French message"
        );
        let english = html(said(msg, Language::En));
        assert!(
            !page.contains(&english),
            "{action} {msg:?}: no English message: {english}"
        );
        for words in desk_words {
            assert!(
                !page.contains(words),
                "{action} {msg:?}: the desk's words {words:?}"
            );
        }
    }
    let stored = app.store.get_request(&request.reference).unwrap().unwrap();
    assert_eq!(stored.status, RequestStatus::New, "nothing was changed");
    assert_eq!(stored.assignee, None);
    assert!(stored.staff_notes.is_empty());

    // The same mistake, once the page is in English, is told in English.
    let english = app.get_page(&format!("{path}?lang=en"), &cookie).await;
    let csrf = csrf_of(&english);
    app.post_form(
        &format!("{path}/assign"),
        Some(&cookie),
        &[("assignee", ""), ("csrf", &csrf)],
    )
    .await;
    let page = app.get_page(&path, &cookie).await;
    assert_eq!(
        flash_of(&page),
        Some(html(said(Msg::StaffInvalidAssignee, Language::En)).as_str())
    );
}

/// Reads until the peer closes (or `limit` passes): what the server sent, and whether it
/// closed.
async fn read_until_closed(
    stream: &mut tokio::net::TcpStream,
    limit: std::time::Duration,
) -> (String, bool) {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let closed = tokio::time::timeout(limit, async {
        let mut buf = [0u8; 1024];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .is_ok();
    (String::from_utf8_lossy(&got).into_owned(), closed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_never_finish_their_request_cannot_exhaust_the_server() {
    use guichet::web::connections::{HEADER_READ_TIMEOUT, MAX_CONNECTIONS_PER_ADDRESS};
    use std::time::Duration;
    use tokio::io::AsyncWriteExt;
    let app = spawn_app().await;
    let addr: std::net::SocketAddr = app.address.trim_start_matches("http://").parse().unwrap();
    // 500 connections from one address, each sending half a request and then nothing.
    let mut slow = Vec::new();
    for _ in 0..500 {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let _ = s
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: guichet\r\n")
            .await;
        slow.push(s);
    }
    // Someone else still gets an answer (a second loopback address, as a second client).
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
    let mut other = tokio::time::timeout(Duration::from_secs(10), socket.connect(addr))
        .await
        .expect("the server still accepts")
        .unwrap();
    other
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: guichet\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let (reply, closed) = read_until_closed(&mut other, Duration::from_secs(10)).await;
    assert!(
        closed && reply.starts_with("HTTP/1.1 200"),
        "/healthz must answer while slow clients hold connections: {reply:?}"
    );
    // Past the per-address cap, connections are closed at once.
    let mut refused = 0;
    for s in slow.iter_mut().skip(MAX_CONNECTIONS_PER_ADDRESS) {
        if read_until_closed(s, Duration::from_secs(5)).await.1 {
            refused += 1;
        }
    }
    assert_eq!(
        refused,
        500 - MAX_CONNECTIONS_PER_ADDRESS,
        "every connection over the per-address cap is closed"
    );
    // The ones let in are closed by the header-read timeout.
    let (_, closed) =
        read_until_closed(&mut slow[0], HEADER_READ_TIMEOUT + Duration::from_secs(15)).await;
    assert!(
        closed,
        "a half-sent request is dropped after the header-read timeout"
    );
}

#[tokio::test]
async fn answers_and_staff_pages_are_never_cached_nor_framed_and_https_is_pinned_when_configured() {
    let app = spawn_app().await;
    let session = app.new_session("en").await;
    let answer = app
        .client
        .post(app.url("/api/chat"))
        .json(&json!({"session": session, "text": "What is the CIHR?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.headers()["cache-control"], "no-store");
    let login = app.get("/staff/login", None).await;
    assert_eq!(login.headers()["cache-control"], "no-store");
    assert_eq!(login.headers()["x-frame-options"], "DENY");
    assert!(
        login.headers().get("strict-transport-security").is_none(),
        "no HSTS over plain HTTP"
    );
    let page = app.get("/", None).await;
    assert!(
        page.headers().get("x-frame-options").is_none(),
        "the chat page may be framed by the allowed sites"
    );
    let https = spawn_app_with(|c| c.web.secure_cookies = true).await;
    let login = https.get("/staff/login", None).await;
    assert_eq!(
        login.headers()["strict-transport-security"],
        "max-age=31536000"
    );
}

#[tokio::test]
async fn a_channel_that_fails_is_restarted_and_healthz_says_so_while_the_chat_answers() {
    // The mail channel cannot start: its password variable is not set. The supervisor
    // restarts it (with growing waits) and reports it; the rest of the daemon runs on.
    let app = spawn_app_with(|cfg| {
        cfg.mail.enabled = true;
        cfg.mail.address = Some("contact@guichet.test".parse().unwrap());
        cfg.mail.imap.host = "127.0.0.1".into();
        cfg.mail.imap.password_env = "GUICHET_TEST_PASSWORD_NOBODY_SET".into();
    })
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let health = loop {
        let r = app.get("/healthz", None).await;
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "healthz answers while a part fails"
        );
        let health: Value = r.json().await.unwrap();
        let mail = &health["parts"]["mail"];
        if mail["state"] == "restarting" && mail["restarts"].as_u64() >= Some(2) {
            break health;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the mail channel was not restarted twice within 60 s: {health}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(health["status"], "degraded", "{health}");
    assert!(
        health["parts"]["mail"]["last_error"]
            .as_str()
            .unwrap()
            .contains("GUICHET_TEST_PASSWORD_NOBODY_SET"),
        "the error names what to fix: {health}"
    );
    assert_eq!(
        health["parts"]["purge"],
        Value::Null,
        "the purge is not a channel"
    );
    let session = app.new_session("en").await;
    let reply = app.say(&session, "What is the SPOR SUPPORT Unit?").await;
    assert_eq!(reply["answered"], true, "{reply}");
}

#[tokio::test]
async fn staff_erase_a_person_from_a_request_page_after_confirming_and_the_erasure_is_logged() {
    let app = spawn_app().await;
    let session = app.new_session("en").await;
    let (reference, _) =
        english_intake(&app, &session, "Erin Eraseme", "erin.eraseme@umontreal.ca").await;
    let other = app.new_session("en").await;
    let (kept, _) = english_intake(&app, &other, "Kim Keep", "kim.keep@mcgill.ca").await;
    let cookie = app.staff_login().await;
    let path = format!("/staff/requests/{reference}");
    let detail = app.get_page(&format!("{path}?lang=en"), &cookie).await;
    assert!(
        detail.contains(&format!("href=\"{path}/erase\"")),
        "the request page offers the erasure"
    );

    // The link only opens a confirmation; nothing is erased yet.
    let confirm = app.get_page(&format!("{path}/erase"), &cookie).await;
    assert!(confirm.contains("Erin Eraseme") && confirm.contains("erin.eraseme@umontreal.ca"));
    assert!(confirm.contains("cannot be undone"));
    let parsed = RequestRef::parse(&reference).unwrap();
    assert!(app.store.get_request(&parsed).unwrap().is_some());

    let csrf = csrf_of(&confirm);
    let r = app
        .post_form(
            &format!("{path}/erase"),
            Some(&cookie),
            &[("confirm", "yes")],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "anti-forgery token needed"
    );
    let r = app
        .post_form(&format!("{path}/erase"), Some(&cookie), &[("csrf", &csrf)])
        .await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "the confirmation is needed"
    );
    assert!(app.store.get_request(&parsed).unwrap().is_some());

    let r = app
        .post_form(
            &format!("{path}/erase"),
            Some(&cookie),
            &[("csrf", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/staff");
    let list = app.get_page("/staff", &cookie).await;
    assert!(
        list.contains("Erased: 1 request(s), 1 conversation(s)"),
        "{}",
        flash_of(&list).unwrap_or("no message")
    );
    assert!(!list.contains("Erin Eraseme") && list.contains("Kim Keep"));
    assert!(app.store.get_request(&parsed).unwrap().is_none());
    let kept = RequestRef::parse(&kept).unwrap();
    assert!(
        app.store.get_request(&kept).unwrap().is_some(),
        "only that person"
    );
    let conn = rusqlite_count(&app, "SELECT count(*) FROM erasures WHERE \"by\" = 'ana'");
    assert_eq!(conn, 1, "the erasure is logged with who did it");
}

fn rusqlite_count(app: &TestApp, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(app.config.database_path()).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[tokio::test]
async fn the_request_list_is_paged_a_hundred_at_a_time_and_sorted_by_any_column() {
    let app = spawn_app().await;
    let start = OffsetDateTime::now_utc() - time::Duration::days(1);
    for i in 0..105 {
        let name = format!("Person {:03}", 104 - i);
        app.store
            .create_request(
                new_request(&name, &format!("p{i}@example.org")),
                start + time::Duration::minutes(i),
            )
            .unwrap();
    }
    let cookie = app.staff_login().await;
    let rows = |html: &str| {
        html.matches("<tr><th scope=\"row\"><a href=\"/staff/requests/")
            .count()
    };
    let first = app.get_page("/staff?lang=en", &cookie).await;
    assert_eq!(rows(&first), 100, "a page holds a hundred requests");
    assert!(first.contains("105 request"), "the count is of every match");
    assert!(first.contains("Page 1 of 2"));
    assert!(first.contains("aria-sort=\"descending\""), "newest first");
    assert!(first.contains("rel=\"next\" href=\"/staff?page=2\""));
    let second = app.get_page("/staff?page=2", &cookie).await;
    assert_eq!(rows(&second), 5);
    assert!(
        second.contains("Person 104") && !second.contains("Person 000"),
        "the oldest are on the last page"
    );
    assert!(
        !second.contains("summary-title"),
        "the summary is on the first page only"
    );

    let by_name = app.get_page("/staff?sort=name&dir=asc", &cookie).await;
    let a = by_name
        .find("Person 000")
        .expect("Person 000 on the first page");
    let b = by_name
        .find("Person 001")
        .expect("Person 001 on the first page");
    assert!(a < b, "sorted by name");
    assert!(
        !by_name.contains("Person 104"),
        "the last name is on page 2"
    );
    assert!(by_name.contains("href=\"/staff?sort=name&amp;dir=asc&amp;page=2\""));
    let filtered = app
        .get_page("/staff?q=Person%2010&sort=name&dir=desc", &cookie)
        .await;
    assert_eq!(rows(&filtered), 5, "Person 100 to 104");
    assert!(filtered.find("Person 104").unwrap() < filtered.find("Person 100").unwrap());
}
