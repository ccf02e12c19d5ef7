//! The Teams channel end to end, with a local stand-in for Microsoft's servers: each test
//! starts an axum server that plays the Bot Framework (OpenID metadata and a JWKS with the
//! RSA test key, the token endpoint, and the Connector, recording every conversation POST
//! and able to answer 429), and the real guichet daemon pointed at it by configuration.
//! Activities are the JSON fixtures of `tests/data/teams/` (their sources are noted in its
//! README), posted with tokens signed by the test key — or by another, or with bad claims.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use guichet::config::Config;
use guichet::daemon::Daemon;
use guichet::messages::Msg;
use guichet::requests::model::Channel;
use guichet::requests::sqlite::SqliteStore;
use guichet::requests::{RequestFilter, RequestStore};
use guichet::teams::auth::{self, Expected};
use guichet::Language;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::sync::oneshot;

use crate::helpers::{bundled_dir, config};

const APP_ID: &str = "c9e8c047-2a74-40a2-b28a-b162d5f5327c";
const KID: &str = "guichet-test-key-a";
const PASSWORD_ENV: &str = "GUICHET_TEST_TEAMS_APP_PASSWORD";
const PASSWORD: &str = "test-only app password";
const ACCESS_TOKEN: &str = "stand-in-access-token";
const STAFF_CONVERSATION: &str = "19:staff-room@thread.tacv2";
const PERSONAL_CHAT: &str = "a:proactive-personal-chat";
/// The service URL in the fixtures, replaced by the stand-in's.
const FIXTURE_SERVICE_URL: &str = "https://smba.trafficmanager.net/amer/";

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/teams")
        .join(name)
}

// ------------------------------------------------------------------ the test keys

/// A shipped test key: its private half for signing, its public half as a JWK.
struct TestKey {
    signing: EncodingKey,
    n: String,
    e: String,
}

/// Reads a PKCS#1 PEM test key (`tests/data/teams/test-key-*.pem`).
fn test_key(name: &str) -> TestKey {
    let pem = std::fs::read_to_string(data(name)).unwrap();
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    // RSAPrivateKey ::= SEQUENCE { version INTEGER, n INTEGER, e INTEGER, ... }
    let (seq, _) = der_item(&der, 0x30);
    let (_version, rest) = der_item(seq, 0x02);
    let (n, rest) = der_item(rest, 0x02);
    let (e, _) = der_item(rest, 0x02);
    let strip = |b: &[u8]| {
        b.iter()
            .skip_while(|&&x| x == 0)
            .copied()
            .collect::<Vec<u8>>()
    };
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    TestKey {
        signing: EncodingKey::from_rsa_der(&der),
        n: url.encode(strip(n)),
        e: url.encode(strip(e)),
    }
}

/// One DER item of type `tag` at the start of `input`: (its content, what follows).
fn der_item(input: &[u8], tag: u8) -> (&[u8], &[u8]) {
    assert_eq!(input[0], tag, "unexpected DER tag");
    let (len, header) = match input[1] {
        l if l < 0x80 => (l as usize, 2),
        l => {
            let n = (l & 0x7f) as usize;
            let len = input[2..2 + n]
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | b as usize);
            (len, 2 + n)
        }
    };
    (&input[header..header + len], &input[header + len..])
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A Bot Framework token for `service_url`, with `change` applied to its claims.
fn token_with(
    key: &TestKey,
    kid: &str,
    service_url: &str,
    change: impl FnOnce(&mut Value),
) -> String {
    let mut claims = json!({
        "iss": "https://api.botframework.com",
        "aud": APP_ID,
        "exp": now() + 3600,
        "nbf": now() - 60,
        "serviceurl": service_url,
    });
    change(&mut claims);
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_string());
    jsonwebtoken::encode(&header, &claims, &key.signing).unwrap()
}

// ------------------------------------------------------------------ the stand-in

/// One POST guichet made to the Connector.
#[derive(Debug, Clone)]
struct Posted {
    path: String,
    authorization: String,
    body: Value,
    status: u16,
    at: Instant,
}

#[derive(Default)]
struct StandInState {
    base: Mutex<String>,
    jwks: Mutex<Value>,
    posts: Mutex<Vec<Posted>>,
    metadata_fetches: AtomicUsize,
    jwks_fetches: AtomicUsize,
    token_requests: AtomicUsize,
    /// Activity POSTs still to refuse with 429 and `Retry-After: 1`.
    throttle: AtomicUsize,
    /// Refuse to open personal chats (403), as when the app is not installed for the user.
    refuse_new_chats: std::sync::atomic::AtomicBool,
}

#[derive(Clone)]
struct StandIn {
    state: Arc<StandInState>,
    base: String,
}

impl StandIn {
    async fn start(key: &TestKey) -> StandIn {
        let state = Arc::new(StandInState::default());
        *state.jwks.lock().unwrap() = json!({ "keys": [{
            "kty": "RSA", "use": "sig", "kid": KID, "n": key.n, "e": key.e,
            "endorsements": ["msteams"],
        }]});
        let app = Router::new()
            .route("/openid", get(openid))
            .route("/keys", get(keys))
            .route("/token", post(token))
            .route("/amer/v3/conversations", post(new_conversation))
            .route(
                "/amer/v3/conversations/{conversation}/activities",
                post(activity),
            )
            .route(
                "/amer/v3/conversations/{conversation}/activities/{id}",
                post(activity),
            )
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        *state.base.lock().unwrap() = base.clone();
        tokio::spawn(async move { axum::serve(listener, app).await });
        StandIn { state, base }
    }

    fn service_url(&self) -> String {
        format!("{}/amer/", self.base)
    }

    fn posts(&self) -> Vec<Posted> {
        self.state.posts.lock().unwrap().clone()
    }

    /// Waits until the Connector has received `want` POSTs after the first `seen` (typing
    /// indicators aside), and returns them; fails after 20 s.
    async fn posts_after(&self, seen: usize, want: usize) -> Vec<Posted> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let posts: Vec<Posted> = self.posts()[seen..]
                .iter()
                .filter(|p| p.body["type"] != "typing")
                .cloned()
                .collect();
            if posts.len() >= want {
                return posts;
            }
            assert!(
                Instant::now() < deadline,
                "expected {want} new Connector calls, got {posts:#?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn openid(State(s): State<Arc<StandInState>>) -> Json<Value> {
    s.metadata_fetches.fetch_add(1, Ordering::SeqCst);
    let base = s.base.lock().unwrap().clone();
    Json(json!({
        "issuer": "https://api.botframework.com",
        "authorization_endpoint": "https://invalid.botframework.com",
        "jwks_uri": format!("{base}/keys"),
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
    }))
}

async fn keys(State(s): State<Arc<StandInState>>) -> Json<Value> {
    s.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    Json(s.jwks.lock().unwrap().clone())
}

async fn token(State(s): State<Arc<StandInState>>, body: String) -> Response {
    s.token_requests.fetch_add(1, Ordering::SeqCst);
    let form: Vec<(String, String)> = body
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_string(), decode_form(v)))
        .collect();
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if get("grant_type") != Some("client_credentials")
        || get("client_id") != Some(APP_ID)
        || get("client_secret") != Some(PASSWORD)
        || get("scope") != Some("https://api.botframework.com/.default")
    {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client"})),
        )
            .into_response();
    }
    Json(json!({ "token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": ACCESS_TOKEN }))
        .into_response()
}

fn decode_form(v: &str) -> String {
    let v = v.replace('+', " ");
    let bytes = v.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() + 1 {
            out.push(u8::from_str_radix(&v[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn record(s: &StandInState, path: String, headers: &HeaderMap, body: &Bytes, status: u16) {
    s.posts.lock().unwrap().push(Posted {
        path,
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string(),
        body: serde_json::from_slice(body).unwrap_or(Value::Null),
        status,
        at: Instant::now(),
    });
}

async fn new_conversation(
    State(s): State<Arc<StandInState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if s.refuse_new_chats.load(Ordering::SeqCst) {
        record(&s, "/v3/conversations".into(), &headers, &body, 403);
        return StatusCode::FORBIDDEN.into_response();
    }
    record(&s, "/v3/conversations".into(), &headers, &body, 201);
    (StatusCode::CREATED, Json(json!({ "id": PERSONAL_CHAT }))).into_response()
}

async fn activity(
    State(s): State<Arc<StandInState>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // The path as sent (percent-encoded), without the region.
    let path = uri.path().trim_start_matches("/amer").to_string();
    let typing = serde_json::from_slice::<Value>(&body).is_ok_and(|b| b["type"] == "typing");
    let throttled = !typing
        && s.throttle
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
    if throttled {
        record(&s, path, &headers, &body, 429);
        return (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")]).into_response();
    }
    record(&s, path, &headers, &body, 200);
    Json(json!({ "id": "1:sent" })).into_response()
}

// ------------------------------------------------------------------ guichet

struct TestTeams {
    stand_in: StandIn,
    key: TestKey,
    address: String,
    http: reqwest::Client,
    config: Config,
    _data: TempDir,
    _shutdown: oneshot::Sender<()>,
}

async fn spawn() -> TestTeams {
    spawn_with(|_| {}, true).await
}

/// guichet with Teams pointed at a new stand-in, `customize` applied to its configuration;
/// `ready` waits until the channel has fetched the keys.
async fn spawn_with(customize: impl FnOnce(&mut Config), ready: bool) -> TestTeams {
    let key = test_key("test-key-a.pem");
    let stand_in = StandIn::start(&key).await;
    // The same name and value in every test, so tests running at once agree.
    std::env::set_var(PASSWORD_ENV, PASSWORD);
    let data_dir = TempDir::new().unwrap();
    let mut cfg = config(&bundled_dir(), &data_dir);
    cfg.web.listen = "127.0.0.1:0".parse().unwrap();
    cfg.teams.enabled = true;
    cfg.teams.app_id = APP_ID.into();
    cfg.teams.password_env = PASSWORD_ENV.into();
    cfg.teams.openid_metadata_url = format!("{}/openid", stand_in.base);
    cfg.teams.token_url = format!("{}/token", stand_in.base);
    cfg.teams.staff_conversation = STAFF_CONVERSATION.into();
    cfg.teams.staff_service_url = stand_in.service_url();
    cfg.teams.staff_page_url = Some("https://guichet.example".parse().unwrap());
    cfg.teams.rate_limit_per_minute = 600;
    customize(&mut cfg);
    let daemon = Daemon::build(cfg.clone()).await.expect("the daemon starts");
    let address = format!("http://{}", daemon.local_addr().unwrap());
    let (shutdown, stopped) = oneshot::channel::<()>();
    tokio::spawn(daemon.run(async move {
        let _ = stopped.await;
    }));
    let app = TestTeams {
        stand_in,
        key,
        address,
        http: reqwest::Client::new(),
        config: cfg,
        _data: data_dir,
        _shutdown: shutdown,
    };
    // Ready when the channel has fetched the keys (it does so as it starts).
    let deadline = Instant::now() + Duration::from_secs(30);
    while ready && app.stand_in.state.jwks_fetches.load(Ordering::SeqCst) == 0 {
        assert!(
            Instant::now() < deadline,
            "the Teams channel never fetched its keys"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app
}

/// A fixture with the stand-in's service URL.
fn fixture(name: &str, service_url: &str) -> Value {
    let text = std::fs::read_to_string(data(name)).unwrap();
    serde_json::from_str(&text.replace(FIXTURE_SERVICE_URL, service_url)).unwrap()
}

impl TestTeams {
    fn fixture(&self, name: &str) -> Value {
        fixture(name, &self.stand_in.service_url())
    }

    fn token(&self) -> String {
        token_with(&self.key, KID, &self.stand_in.service_url(), |_| {})
    }

    /// POSTs `activity` with `token` (none: no Authorization header).
    async fn post(&self, activity: &Value, token: Option<&str>) -> u16 {
        let mut request = self
            .http
            .post(format!("{}{}", self.address, self.config.teams.endpoint))
            .json(activity);
        if let Some(t) = token {
            request = request.header("authorization", format!("Bearer {t}"));
        }
        request.send().await.unwrap().status().as_u16()
    }

    /// Posts a properly signed activity and returns the Connector calls it caused (waiting
    /// for `want` of them).
    async fn say(&self, activity: &Value, want: usize) -> Vec<Posted> {
        let seen = self.stand_in.posts().len();
        assert_eq!(self.post(activity, Some(&self.token())).await, 200);
        self.stand_in.posts_after(seen, want).await;
        // Let anything else this activity causes arrive, so the next step starts clean.
        tokio::time::sleep(Duration::from_millis(150)).await;
        self.stand_in.posts_after(seen, want).await
    }

    /// A personal-chat message with `text` (and `locale`).
    fn personal(&self, text: &str, locale: &str) -> Value {
        let mut a = self.fixture("personal-message.json");
        a["text"] = json!(text);
        a["locale"] = json!(locale);
        a["id"] = json!(format!("{}", now_nanos()));
        a
    }

    /// A press on a card button with `data`, in the personal chat.
    fn press(&self, data: Value) -> Value {
        let mut a = self.fixture("card-submit.json");
        a["value"] = data;
        a["id"] = json!(format!("f:{}", now_nanos()));
        a
    }
}

fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// What a person reads in a message: its plain text and every TextBlock and fact of its
/// cards, Markdown escapes removed.
fn shown(message: &Value) -> String {
    fn walk(v: &Value, out: &mut String) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    if matches!(k.as_str(), "text" | "title" | "value") {
                        if let Value::String(s) = v {
                            out.push_str(s);
                            out.push('\n');
                            continue;
                        }
                    }
                    walk(v, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = String::new();
    walk(message, &mut out);
    out.replace(['\\', '\u{200B}'], "")
}

/// The first card of a message.
fn card(message: &Value) -> &Value {
    assert_eq!(
        message["attachments"][0]["contentType"], "application/vnd.microsoft.card.adaptive",
        "{message:#}"
    );
    &message["attachments"][0]["content"]
}

/// The `data` of the card's Action.Submit titled `title`.
fn button(message: &Value, title: &str) -> Value {
    fn find(v: &Value, title: &str) -> Option<Value> {
        match v {
            Value::Object(map) => {
                if map.get("type") == Some(&json!("Action.Submit"))
                    && map.get("title") == Some(&json!(title))
                {
                    return map.get("data").cloned();
                }
                map.values().find_map(|v| find(v, title))
            }
            Value::Array(items) => items.iter().find_map(|v| find(v, title)),
            _ => None,
        }
    }
    find(message, title).unwrap_or_else(|| panic!("no button {title:?} in {message:#}"))
}

/// The words of `msg` in `lang` up to its first placeholder.
fn head(msg: Msg, lang: Language) -> &'static str {
    let text = msg.text(lang);
    text.split('{').next().unwrap_or(text).trim()
}

fn enc(id: &str) -> String {
    guichet::teams::connector::encode_segment(id)
}

// ------------------------------------------------------------------ refusals

#[tokio::test]
async fn activities_without_a_valid_bot_framework_token_get_401_and_are_not_answered() {
    let app = spawn().await;
    let url = app.stand_in.service_url();
    let activity = app.personal("What is Oncopole?", "en-US");
    let other_key = test_key("test-key-b.pem");
    let fetches = app.stand_in.state.jwks_fetches.load(Ordering::SeqCst);
    let cases: Vec<(&str, Option<String>)> = vec![
        ("no token", None),
        ("garbage", Some("not.a.jwt".into())),
        (
            "expired",
            Some(token_with(&app.key, KID, &url, |c| {
                c["exp"] = json!(now() - 600);
                c["nbf"] = json!(now() - 4000);
            })),
        ),
        (
            "not yet valid",
            Some(token_with(&app.key, KID, &url, |c| {
                c["nbf"] = json!(now() + 900)
            })),
        ),
        (
            "wrong audience",
            Some(token_with(&app.key, KID, &url, |c| {
                c["aud"] = json!("00000000-0000-0000-0000-000000000000")
            })),
        ),
        (
            "wrong issuer",
            Some(token_with(&app.key, KID, &url, |c| {
                c["iss"] = json!("https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/")
            })),
        ),
        (
            "signed by another key under the right key id",
            Some(token_with(&other_key, KID, &url, |_| {})),
        ),
        (
            "serviceUrl of another region",
            Some(token_with(
                &app.key,
                KID,
                "https://smba.trafficmanager.net/emea/",
                |_| {},
            )),
        ),
        (
            "no serviceUrl claim",
            Some(token_with(&app.key, KID, &url, |c| {
                c.as_object_mut().unwrap().remove("serviceurl");
            })),
        ),
    ];
    for (case, token) in &cases {
        let status = app.post(&activity, token.as_deref()).await;
        assert_eq!(status, 401, "{case}");
    }
    assert_eq!(
        app.stand_in.state.jwks_fetches.load(Ordering::SeqCst),
        fetches,
        "refusing known-key tokens fetches nothing"
    );
    // A token naming an unknown key makes guichet look at the keys again, once at most.
    for _ in 0..3 {
        let t = token_with(&other_key, "unknown-kid", &url, |_| {});
        assert_eq!(app.post(&activity, Some(&t)).await, 401);
    }
    assert_eq!(
        app.stand_in.state.jwks_fetches.load(Ordering::SeqCst),
        fetches + 1,
        "unknown keys cause one fetch, not one per request"
    );
    // The activity's serviceUrl must be the token's, even if both are otherwise fine.
    let mut elsewhere = activity.clone();
    elsewhere["serviceUrl"] = json!("https://evil.example/amer/");
    assert_eq!(app.post(&elsewhere, Some(&app.token())).await, 401);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        app.stand_in.posts().is_empty(),
        "nothing was answered: {:#?}",
        app.stand_in.posts()
    );
    assert_eq!(
        app.stand_in.state.token_requests.load(Ordering::SeqCst),
        0,
        "guichet did not even get a token"
    );
    // And the same activity, properly signed, is answered.
    let posts = app.say(&activity, 1).await;
    assert_eq!(posts.len(), 1);
}

#[test]
fn the_pure_check_accepts_a_good_token_and_names_each_failure() {
    let key = test_key("test-key-a.pem");
    let jwks = json!({"keys": [{"kty": "RSA", "kid": KID, "n": key.n, "e": key.e, "endorsements": ["msteams"]}]});
    let keys = auth::parse_jwks(&serde_json::to_vec(&jwks).unwrap()).unwrap();
    let url = "https://smba.trafficmanager.net/amer/";
    let expected = Expected {
        app_id: APP_ID,
        service_url: url,
        channel_id: "msteams",
    };
    let good = token_with(&key, KID, url, |_| {});
    assert!(auth::verify(&good, &keys, expected, now()).is_ok());
    // Five minutes of leeway on each side.
    let late = token_with(&key, KID, url, |c| c["exp"] = json!(now() - 200));
    assert!(auth::verify(&late, &keys, expected, now()).is_ok());
    let early = token_with(&key, KID, url, |c| c["nbf"] = json!(now() + 200));
    assert!(auth::verify(&early, &keys, expected, now()).is_ok());
    let list_aud = token_with(&key, KID, url, |c| c["aud"] = json!(["x", APP_ID]));
    assert!(auth::verify(&list_aud, &keys, expected, now()).is_ok());
    for (token, error) in [
        (
            token_with(&key, KID, url, |c| c["exp"] = json!(now() - 400)),
            auth::AuthError::Expired,
        ),
        (
            token_with(&key, KID, url, |c| c["nbf"] = json!(now() + 400)),
            auth::AuthError::NotYetValid,
        ),
        (
            token_with(&key, KID, url, |c| c["aud"] = json!("other")),
            auth::AuthError::WrongAudience,
        ),
        (
            token_with(&test_key("test-key-b.pem"), KID, url, |_| {}),
            auth::AuthError::BadSignature,
        ),
        (
            token_with(&key, "other", url, |_| {}),
            auth::AuthError::UnknownKey,
        ),
        (
            token_with(&key, KID, "https://smba.trafficmanager.net/emea/", |_| {}),
            auth::AuthError::ServiceUrlMismatch,
        ),
    ] {
        assert_eq!(
            auth::verify(&token, &keys, expected, now()).unwrap_err(),
            error
        );
    }
    let skype = Expected {
        channel_id: "skype",
        ..expected
    };
    assert_eq!(
        auth::verify(&good, &keys, skype, now()).unwrap_err(),
        auth::AuthError::NotEndorsed("skype".into())
    );
}

// ------------------------------------------------------------------ answers

#[tokio::test]
async fn a_personal_question_is_answered_with_a_card_in_its_language() {
    let app = spawn().await;
    for (text, locale, lang) in [
        ("What is Oncopole?", "en-US", "en"),
        ("Qu'est-ce qu'Oncopole ?", "fr-CA", "fr"),
    ] {
        let activity = app.personal(text, locale);
        let posts = app.say(&activity, 1).await;
        assert_eq!(posts.len(), 1, "{posts:#?}");
        let reply = &posts[0];
        assert_eq!(
            reply.path,
            format!(
                "/v3/conversations/{}/activities/{}",
                enc(activity["conversation"]["id"].as_str().unwrap()),
                activity["id"].as_str().unwrap()
            ),
            "a reply to the activity"
        );
        assert_eq!(reply.authorization, format!("Bearer {ACCESS_TOKEN}"));
        let c = card(&reply.body);
        assert_eq!(c["version"], "1.5");
        assert_eq!(c["lang"], lang, "{text}");
        let text_shown = shown(&reply.body);
        assert!(text_shown.contains("Oncopole"), "{text_shown}");
        let json = reply.body.to_string();
        assert!(json.contains("**"), "matched words in bold: {json}");
        assert!(json.contains("Action.OpenUrl"), "the source link");
        let l = if lang == "fr" {
            Language::Fr
        } else {
            Language::En
        };
        button(&reply.body, Msg::TeamsHelpfulYes.text(l));
        button(
            &reply.body,
            guichet::assistant::Action::MakeRequest.label(l),
        );
    }
    assert_eq!(
        app.stand_in.state.token_requests.load(Ordering::SeqCst),
        1,
        "the token is cached between replies"
    );
}

#[tokio::test]
async fn an_unanswerable_question_gets_the_honest_fallback() {
    let app = spawn().await;
    let posts = app
        .say(
            &app.personal("Who won the hockey game last night?", "en-US"),
            1,
        )
        .await;
    let text = shown(&posts[0].body);
    assert!(text.contains(Msg::Fallback.text(Language::En)), "{text}");
    assert!(
        !text.contains(Msg::TeamsHelpful.text(Language::En)),
        "no feedback on a fallback"
    );
}

#[tokio::test]
async fn in_a_channel_guichet_answers_mentions_only() {
    let app = spawn().await;
    let activity = app.fixture("channel-message-mention.json");
    let posts = app.say(&activity, 1).await;
    assert_eq!(posts.len(), 1);
    assert_eq!(
        posts[0].path,
        format!(
            "/v3/conversations/{}/activities/{}",
            enc("19:ja0cu120i1jod12j@thread.tacv2;messageid=1764511542123"),
            "1764511542123"
        )
    );
    assert!(shown(&posts[0].body).contains("Oncopole"));
    // The same message without the mention is not guichet's business.
    let mut unmentioned = activity.clone();
    unmentioned["text"] = json!("What is Oncopole?");
    unmentioned["entities"] = json!([]);
    let seen = app.stand_in.posts().len();
    assert_eq!(app.post(&unmentioned, Some(&app.token())).await, 200);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        app.stand_in.posts().len(),
        seen,
        "no answer without a mention"
    );
}

#[tokio::test]
async fn being_added_says_hello_in_both_languages_and_feedback_is_recorded_once_and_thanked() {
    let app = spawn().await;
    let posts = app
        .say(&app.fixture("conversation-update-bot-added.json"), 1)
        .await;
    let text = shown(&posts[0].body);
    assert!(
        text.contains(Msg::TeamsWelcome.text(Language::Fr)),
        "{text}"
    );
    assert!(
        text.contains(Msg::TeamsWelcome.text(Language::En)),
        "{text}"
    );
    // Feedback on an answer is recorded once, through the engine.
    let answer = app
        .say(&app.personal("Who created Oncopole?", "en-US"), 1)
        .await;
    let yes = button(&answer[0].body, Msg::TeamsHelpfulYes.text(Language::En));
    assert!(
        yes["token"].as_str().is_some_and(|t| t.len() == 65),
        "the button carries the answer's feedback token: {yes}"
    );
    let posts = app.say(&app.press(yes.clone()), 1).await;
    assert_eq!(
        posts[0].body["text"],
        Msg::TeamsFeedbackThanks.text(Language::En)
    );
    let posts = app.say(&app.press(yes), 1).await;
    assert_eq!(
        posts[0].body["text"],
        Msg::FeedbackAlready.text(Language::En),
        "a second press changes nothing"
    );
    let posts = app
        .say(
            &app.press(json!({"guichet": "feedback", "helpful": true, "token": "forged"})),
            1,
        )
        .await;
    assert_eq!(
        posts[0].body["text"],
        Msg::FeedbackUnknown.text(Language::En)
    );
    // A reaction is silent (a like on an answer counts as "helpful", in the log).
    let mut like = app.personal("", "en-US");
    like["type"] = json!("messageReaction");
    like["replyToId"] = json!("1:sent");
    like["reactionsAdded"] = json!([{ "type": "like" }]);
    let seen = app.stand_in.posts().len();
    assert_eq!(app.post(&like, Some(&app.token())).await, 200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        app.stand_in.posts().len(),
        seen,
        "reactions are not answered"
    );
    // A typing indicator from the person is not answered either.
    let mut typing = app.personal("", "en-US");
    typing["type"] = json!("typing");
    let seen = app.stand_in.posts().len();
    assert_eq!(app.post(&typing, Some(&app.token())).await, 200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.stand_in.posts().len(), seen);
}

// ------------------------------------------------------------------ requests

#[tokio::test]
async fn a_request_is_taken_in_the_personal_chat_with_card_buttons_and_staff_are_told() {
    let app = spawn().await;
    let en = Language::En;
    // "Make a request" pressed on an answer card (the fixture's value).
    let posts = app.say(&app.fixture("card-submit.json"), 1).await;
    let text = shown(&posts[0].body);
    assert!(text.contains(Msg::IntakeStart.text(en)), "{text}");
    assert!(
        text.contains(Msg::AskEmail.text(en)),
        "the name came from Teams, so the email is next: {text}"
    );
    for (answer, next) in [
        ("megan.bowen@example.org", Msg::AskOrganization),
        ("Université Laval", Msg::AskType),
        ("1", Msg::AskDescription),
    ] {
        let posts = app.say(&app.personal(answer, "en-US"), 1).await;
        let text = shown(&posts[0].body);
        assert!(text.contains(head(next, en)), "after {answer:?}: {text}");
    }
    let posts = app
        .say(
            &app.personal(
                "We need help planning patient partnership in a cohort study.",
                "en-US",
            ),
            1,
        )
        .await;
    let consent = button(
        &posts[0].body,
        guichet::assistant::Action::ConsentYes.label(en),
    );
    let posts = app.say(&app.press(consent), 1).await;
    let summary = &posts[0].body;
    let text = shown(summary);
    assert!(
        text.contains("Megan Bowen") && text.contains("megan.bowen@example.org"),
        "the summary shows the prefilled name and the email: {text}"
    );
    let confirm = button(summary, guichet::assistant::Action::Confirm.label(en));
    button(summary, guichet::assistant::Action::Cancel.label(en));
    // Confirming logs the request and tells the staff channel.
    let posts = app.say(&app.press(confirm), 2).await;
    let to_person = posts
        .iter()
        .find(|p| !p.path.contains(&enc(STAFF_CONVERSATION)))
        .expect("the person is answered");
    let to_staff = posts
        .iter()
        .find(|p| p.path == format!("/v3/conversations/{}/activities", enc(STAFF_CONVERSATION)))
        .expect("the staff channel is told");
    let store = SqliteStore::open(&app.config.database_path()).unwrap();
    let requests = store.list_requests(&RequestFilter::default()).unwrap();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.channel, Channel::Teams);
    assert_eq!(r.requester_name, "Megan Bowen");
    assert_eq!(r.requester_email.as_str(), "megan.bowen@example.org");
    assert!(r
        .requester_handle
        .as_deref()
        .unwrap()
        .contains("4a0f9b5e-3c5e-4f3e-8a45-9b1f2f0c7d11"));
    let reference = r.reference.to_string();
    assert!(shown(&to_person.body).contains(&reference));
    let staff = shown(&to_staff.body);
    assert!(
        staff.contains(&reference) && staff.contains("Megan Bowen"),
        "{staff}"
    );
    assert!(
        !staff.contains("megan.bowen@example.org"),
        "no other personal data in the staff channel"
    );
    assert!(to_staff.body.to_string().contains(&format!(
        "https://guichet.example/staff/requests/{reference}"
    )));
}

#[tokio::test]
async fn a_request_started_in_a_channel_continues_in_a_personal_chat() {
    let app = spawn().await;
    let mut activity = app.fixture("channel-message-mention.json");
    activity["text"] = json!("<at>guichet</at> request");
    let posts = app.say(&activity, 3).await;
    let opened = posts
        .iter()
        .find(|p| p.path == "/v3/conversations")
        .expect("a personal chat is opened");
    assert_eq!(
        opened.body["members"][0]["id"], activity["from"]["id"],
        "with the person"
    );
    assert_eq!(opened.body["bot"]["id"], format!("28:{APP_ID}"));
    assert_eq!(
        opened.body["tenantId"],
        "72f988bf-86f1-41af-91ab-2d7cd011db47"
    );
    let private = posts
        .iter()
        .find(|p| p.path == format!("/v3/conversations/{}/activities", enc(PERSONAL_CHAT)))
        .expect("the intake starts in the personal chat");
    assert!(shown(&private.body).contains(Msg::AskEmail.text(Language::En)));
    let public = posts
        .iter()
        .find(|p| {
            p.path.starts_with(&format!(
                "/v3/conversations/{}",
                enc("19:ja0cu120i1jod12j@thread.tacv2")
            ))
        })
        .expect("a notice in the channel");
    assert_eq!(
        public.body["text"],
        Msg::TeamsContinueInPersonal.text(Language::En)
    );
    // The personal chat is a conversation of its own: answering there goes on.
    let mut next = app.personal("megan.bowen@example.org", "en-US");
    next["conversation"]["id"] = json!(PERSONAL_CHAT);
    let posts = app.say(&next, 1).await;
    assert!(shown(&posts[0].body).contains(Msg::AskOrganization.text(Language::En)));

    // When no personal chat can be opened, the person is told how to open one.
    app.stand_in
        .state
        .refuse_new_chats
        .store(true, Ordering::SeqCst);
    let posts = app.say(&activity, 2).await;
    let notice = posts
        .iter()
        .find(|p| {
            p.path.starts_with(&format!(
                "/v3/conversations/{}",
                enc("19:ja0cu120i1jod12j@thread.tacv2")
            ))
        })
        .expect("a notice in the channel");
    assert_eq!(
        notice.body["text"],
        Msg::TeamsOpenPersonalChat.text(Language::En)
    );
}

// ------------------------------------------------------------------ delivery

#[tokio::test]
async fn a_throttled_reply_is_sent_again_after_retry_after() {
    let app = spawn().await;
    app.stand_in.state.throttle.store(1, Ordering::SeqCst);
    let posts = app
        .say(&app.personal("What is Oncopole?", "en-US"), 2)
        .await;
    assert_eq!(posts.len(), 2, "{posts:#?}");
    assert_eq!(posts[0].status, 429);
    assert_eq!(posts[1].status, 200);
    assert_eq!(posts[0].path, posts[1].path);
    assert_eq!(posts[0].body, posts[1].body, "the same reply");
    let waited = posts[1].at - posts[0].at;
    assert!(
        waited >= Duration::from_millis(950),
        "Retry-After: 1 was honoured (waited {waited:?})"
    );
}

#[tokio::test]
async fn without_a_token_even_a_huge_body_is_refused_unread() {
    let app = spawn().await;
    let huge = "x".repeat(2 * 1024 * 1024);
    let status = app
        .http
        .post(format!("{}{}", app.address, app.config.teams.endpoint))
        .header("content-type", "application/json")
        .body(huge.clone())
        .send()
        .await
        .map(|r| r.status().as_u16());
    // Refused before the body is read: a 401, or the connection closed while sending.
    assert!(matches!(status, Ok(401) | Err(_)), "{status:?}");
    let status = app
        .http
        .post(format!("{}{}", app.address, app.config.teams.endpoint))
        .header("authorization", format!("Bearer {}", app.token()))
        .body(huge)
        .send()
        .await
        .map(|r| r.status().as_u16());
    assert!(matches!(status, Ok(413) | Err(_)), "{status:?}");
}

#[tokio::test]
async fn a_card_action_invoke_is_acknowledged_in_the_response_and_handled() {
    let app = spawn().await;
    let mut invoke = app.press(json!(null));
    invoke["type"] = json!("invoke");
    invoke["name"] = json!("adaptiveCard/action");
    invoke["value"] = json!({
        "action": { "type": "Action.Execute", "data": { "guichet": "action", "id": "make_request" } },
        "trigger": "manual",
    });
    let seen = app.stand_in.posts().len();
    let response = app
        .http
        .post(format!("{}{}", app.address, app.config.teams.endpoint))
        .header("authorization", format!("Bearer {}", app.token()))
        .json(&invoke)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["statusCode"], 200);
    let posts = app.stand_in.posts_after(seen, 1).await;
    assert!(shown(&posts[0].body).contains(Msg::IntakeStart.text(Language::En)));
}

#[tokio::test]
async fn a_missing_app_password_fails_the_teams_channel_only() {
    let app = spawn_with(
        |c| c.teams.password_env = "GUICHET_TEST_TEAMS_PASSWORD_NEVER_SET".into(),
        false,
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let health = loop {
        let h: Value = app
            .http
            .get(format!("{}/healthz", app.address))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if h["parts"]["teams"]["state"] == "restarting" {
            break h;
        }
        assert!(Instant::now() < deadline, "{h}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let error = health["parts"]["teams"]["last_error"].as_str().unwrap();
    assert!(
        error.contains("GUICHET_TEST_TEAMS_PASSWORD_NEVER_SET")
            && error.contains("teams.password_env"),
        "{error}"
    );
    // The web chat still answers.
    let page = app
        .http
        .get(format!("{}/", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
}

#[tokio::test]
async fn without_teams_enabled_there_is_no_endpoint() {
    let data_dir = TempDir::new().unwrap();
    let mut cfg = config(&bundled_dir(), &data_dir);
    cfg.web.listen = "127.0.0.1:0".parse().unwrap();
    let daemon = Daemon::build(cfg.clone()).await.expect("the daemon starts");
    let address = format!("http://{}", daemon.local_addr().unwrap());
    let (_shutdown, stopped) = oneshot::channel::<()>();
    tokio::spawn(daemon.run(async move {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::new();
    let status = http
        .post(format!("{address}{}", cfg.teams.endpoint))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    assert_eq!(status, 404);
    let health: Value = http
        .get(format!("{address}/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(health["parts"].get("teams").is_none(), "{health}");
}

// ------------------------------------------------------------------ the app package

#[test]
fn the_app_package_validates_against_the_teams_manifest_schema() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("guichet-teams.zip");
    let made = std::process::Command::new(env!("CARGO_BIN_EXE_guichet"))
        .args(["teams", "package", "--out"])
        .arg(&out)
        .env("GUICHET__TEAMS__APP_ID", APP_ID)
        .env_remove("GUICHET_CONFIG")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let zip = std::fs::read(&out).unwrap();
    let files = read_zip(&zip);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["manifest.json", "fr.json", "color.png", "outline.png"]
    );
    let get = |name: &str| &files.iter().find(|(n, _)| n == name).unwrap().1;
    let manifest: Value = serde_json::from_slice(get("manifest.json")).unwrap();
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(data("MicrosoftTeams.schema.json")).unwrap())
            .unwrap();
    let errors = validate(&schema, &schema, &manifest, "manifest");
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(
        manifest["manifestVersion"],
        schema["properties"]["manifestVersion"]["const"]
    );
    assert_eq!(manifest["bots"][0]["botId"], APP_ID);
    let french: Value = serde_json::from_slice(get("fr.json")).unwrap();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(data("MicrosoftTeams.Localization.schema.json")).unwrap(),
    )
    .unwrap();
    let errors = validate(&schema, &schema, &french, "fr.json");
    assert!(errors.is_empty(), "{errors:#?}");
    for (icon, size) in [("color.png", 192u32), ("outline.png", 32)] {
        let png = get(icon);
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), size);
    }
    // The validator itself catches what it must.
    let mut broken = manifest.clone();
    broken["name"]["short"] = json!("a name far longer than thirty characters");
    broken.as_object_mut().unwrap().remove("accentColor");
    broken["bots"][0]["scopes"] = json!(["everywhere"]);
    broken["id"] = json!("not-a-guid");
    broken["surprise"] = json!(true);
    let manifest_schema: Value =
        serde_json::from_str(&std::fs::read_to_string(data("MicrosoftTeams.schema.json")).unwrap())
            .unwrap();
    let errors = validate(&manifest_schema, &manifest_schema, &broken, "manifest").join("\n");
    for what in [
        "name.short",
        "accentColor",
        "scopes",
        "manifest.id",
        "surprise",
    ] {
        assert!(errors.contains(what), "{what} not caught:\n{errors}");
    }
    // Without an app id, no package.
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_guichet"))
        .args(["teams", "package", "--out"])
        .arg(dir.path().join("none.zip"))
        .env_remove("GUICHET__TEAMS__APP_ID")
        .env_remove("GUICHET_CONFIG")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("teams.app_id"));
}

/// The entries of a zip (read through its central directory, CRCs checked).
fn read_zip(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
    let u16_at = |i: usize| u16::from_le_bytes([zip[i], zip[i + 1]]) as usize;
    let u32_at = |i: usize| u32::from_le_bytes(zip[i..i + 4].try_into().unwrap()) as usize;
    let eocd = zip.len() - 22;
    assert_eq!(u32_at(eocd), 0x0605_4b50, "end of central directory");
    let count = u16_at(eocd + 10);
    let mut at = u32_at(eocd + 16);
    let mut files = Vec::new();
    for _ in 0..count {
        assert_eq!(u32_at(at), 0x0201_4b50, "central directory entry");
        let method = u16_at(at + 10);
        let crc = u32_at(at + 16) as u32;
        let size = u32_at(at + 20);
        let name_len = u16_at(at + 28);
        let extra = u16_at(at + 30) + u16_at(at + 32);
        let local = u32_at(at + 42);
        let name = String::from_utf8(zip[at + 46..at + 46 + name_len].to_vec()).unwrap();
        assert_eq!(method, 0, "stored");
        assert_eq!(u32_at(local), 0x0403_4b50, "local header of {name}");
        let start = local + 30 + u16_at(local + 26) + u16_at(local + 28);
        let content = zip[start..start + size].to_vec();
        assert_eq!(crc32fast::hash(&content), crc, "CRC of {name}");
        files.push((name, content));
        at += 46 + name_len + extra;
    }
    files
}

/// A JSON-schema (draft 4) check of `value` by `schema`, for the keywords the Teams schemas
/// use on the paths guichet's manifest touches: `$ref`, `type`, `required`, `properties`,
/// `additionalProperties`, `patternProperties`, `items`, `minItems`, `maxItems`,
/// `minLength`, `maxLength`, `enum`, `const`, `pattern`, `anyOf`, `oneOf`, `allOf`. Any
/// other validation keyword met on those paths fails the check rather than being skipped.
fn validate(root: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    let mut errors = Vec::new();
    let Some(s) = schema.as_object() else {
        return errors;
    };
    for key in s.keys() {
        let known = [
            "$ref",
            "type",
            "required",
            "properties",
            "additionalProperties",
            "patternProperties",
            "items",
            "minItems",
            "maxItems",
            "minLength",
            "maxLength",
            "enum",
            "const",
            "pattern",
            "anyOf",
            "oneOf",
            "allOf",
            "description",
            "default",
            "format",
            "$schema",
            "definitions",
            "uniqueItems",
            "title",
            "deprecationMessage",
            "examples",
        ];
        if !known.contains(&key.as_str()) {
            errors.push(format!(
                "{at}: the schema uses `{key}`, which this check does not know"
            ));
        }
    }
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let target = r
            .trim_start_matches("#/")
            .split('/')
            .fold(root, |v, part| &v[part]);
        errors.extend(validate(root, target, value, at));
    }
    if let Some(t) = s.get("type") {
        let types: Vec<&str> = match t {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = types.iter().any(|t| match *t {
            "string" => value.is_string(),
            "object" => value.is_object(),
            "array" => value.is_array(),
            "boolean" => value.is_boolean(),
            "number" => value.is_number(),
            "integer" => value.is_i64() || value.is_u64(),
            "null" => value.is_null(),
            _ => false,
        });
        if !ok {
            errors.push(format!("{at}: not of type {t}"));
            return errors;
        }
    }
    if let Some(c) = s.get("const") {
        if c != value {
            errors.push(format!("{at}: must be {c}"));
        }
    }
    if let Some(Value::Array(options)) = s.get("enum") {
        if !options.contains(value) {
            errors.push(format!("{at}: {value} is not one of {options:?}"));
        }
    }
    if let Some(text) = value.as_str() {
        let n = text.chars().count() as u64;
        if s.get("maxLength")
            .and_then(Value::as_u64)
            .is_some_and(|m| n > m)
        {
            errors.push(format!("{at}: longer than {}", s["maxLength"]));
        }
        if s.get("minLength")
            .and_then(Value::as_u64)
            .is_some_and(|m| n < m)
        {
            errors.push(format!("{at}: shorter than {}", s["minLength"]));
        }
        if let Some(p) = s.get("pattern").and_then(Value::as_str) {
            if !pattern_matches(p, text) {
                errors.push(format!("{at}: does not match {p}"));
            }
        }
    }
    if let Some(items) = value.as_array() {
        let n = items.len() as u64;
        if s.get("maxItems")
            .and_then(Value::as_u64)
            .is_some_and(|m| n > m)
        {
            errors.push(format!("{at}: more than {} items", s["maxItems"]));
        }
        if s.get("minItems")
            .and_then(Value::as_u64)
            .is_some_and(|m| n < m)
        {
            errors.push(format!("{at}: fewer than {} items", s["minItems"]));
        }
        if let Some(item_schema) = s.get("items") {
            for (i, item) in items.iter().enumerate() {
                errors.extend(validate(root, item_schema, item, &format!("{at}[{i}]")));
            }
        }
    }
    if let Some(object) = value.as_object() {
        if let Some(Value::Array(required)) = s.get("required") {
            for r in required.iter().filter_map(Value::as_str) {
                if !object.contains_key(r) {
                    errors.push(format!("{at}.{r}: required"));
                }
            }
        }
        let properties = s.get("properties").and_then(Value::as_object);
        let patterns = s.get("patternProperties").and_then(Value::as_object);
        for (k, v) in object {
            let path = format!("{at}.{k}");
            let mut matched = false;
            if let Some(p) = properties.and_then(|p| p.get(k)) {
                matched = true;
                errors.extend(validate(root, p, v, &path));
            }
            for (pattern, p) in patterns.into_iter().flatten() {
                if pattern_matches(pattern, k) {
                    matched = true;
                    errors.extend(validate(root, p, v, &path));
                }
            }
            if !matched {
                match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => errors.push(format!("{path}: not allowed")),
                    Some(extra @ Value::Object(_)) => {
                        errors.extend(validate(root, extra, v, &path))
                    }
                    _ => {}
                }
            }
        }
    }
    if let Some(Value::Array(all)) = s.get("allOf") {
        for sub in all {
            errors.extend(validate(root, sub, value, at));
        }
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(options)) = s.get(key) {
            let passing = options
                .iter()
                .filter(|o| validate(root, o, value, at).is_empty())
                .count();
            if passing == 0 || (key == "oneOf" && passing > 1) {
                errors.push(format!("{at}: {key} not satisfied ({passing} match)"));
            }
        }
    }
    errors
}

/// ECMAScript `pattern` matching with the regex crate, which has no look-around: a leading
/// negative look-ahead `^(?!X)Y` (the one form the Teams schemas use on guichet's paths) is
/// checked as "not `^X`, and `^Y`". Any other look-around fails the test.
fn pattern_matches(pattern: &str, text: &str) -> bool {
    if let Some(rest) = pattern.strip_prefix("^(?!") {
        let mut depth = 1;
        let mut end = None;
        let mut escaped = false;
        for (i, c) in rest.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let end = end.unwrap_or_else(|| panic!("unbalanced look-ahead in {pattern}"));
        let (ahead, after) = (&rest[..end], &rest[end + 1..]);
        let not = regex::Regex::new(&format!("^(?:{ahead})")).unwrap();
        let then = regex::Regex::new(&format!("^{after}")).unwrap();
        return !not.is_match(text) && then.is_match(text);
    }
    regex::Regex::new(pattern)
        .unwrap_or_else(|e| panic!("the pattern {pattern} cannot be checked here: {e}"))
        .is_match(text)
}
