//! `/metrics` and `/healthz` of the real daemon: the metrics text parses as Prometheus
//! text format (with a small parser written here) and its counters move with the questions
//! asked over HTTP; a channel down longer than `web.channel_down_seconds` turns `/healthz`
//! into a 503 that says since when.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use guichet::config::Config;
use guichet::daemon::Daemon;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::sync::oneshot;

use crate::helpers::{bundled_dir, config};

/// A sample's name and its labels (sorted), as a key.
pub type Series = (String, Vec<(String, String)>);

/// Parses Prometheus text format (0.0.4): `# HELP` / `# TYPE` lines, then samples
/// `name{label="value",…} value`. Panics, saying which line, on anything malformed: a
/// sample without a declared type, a bad label, a value that is not a number, a series
/// seen twice.
pub fn parse_prometheus(text: &str) -> HashMap<Series, f64> {
    let mut types: HashMap<String, String> = HashMap::new();
    let mut samples = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let at = || format!("line {}: {line:?}", n + 1);
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# ") {
            let mut words = rest.splitn(3, ' ');
            match (words.next(), words.next(), words.next()) {
                (Some("HELP"), Some(_), Some(_)) => {}
                (Some("TYPE"), Some(name), Some(kind)) => {
                    assert!(
                        ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                        "{}",
                        at()
                    );
                    assert!(
                        types.insert(name.to_string(), kind.to_string()).is_none(),
                        "type declared twice, {}",
                        at()
                    );
                }
                _ => panic!("bad comment, {}", at()),
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{}", at()));
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("bad value, {}", at())),
        };
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let body = rest
                    .strip_suffix('}')
                    .unwrap_or_else(|| panic!("unclosed labels, {}", at()));
                let mut labels = Vec::new();
                for pair in body.split(',').filter(|p| !p.is_empty()) {
                    let (k, v) = pair
                        .split_once('=')
                        .unwrap_or_else(|| panic!("bad label, {}", at()));
                    assert!(
                        k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                        "bad label name, {}",
                        at()
                    );
                    let v = v
                        .strip_prefix('"')
                        .and_then(|v| v.strip_suffix('"'))
                        .unwrap_or_else(|| panic!("unquoted label value, {}", at()));
                    labels.push((k.to_string(), v.to_string()));
                }
                labels.sort();
                (name.to_string(), labels)
            }
            None => (series.to_string(), Vec::new()),
        };
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad metric name, {}",
            at()
        );
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| {
                name.strip_suffix(s)
                    .filter(|base| types.get(*base).is_some_and(|t| t == "histogram"))
            })
            .unwrap_or(&name);
        assert!(
            types.contains_key(family),
            "no TYPE before the sample, {}",
            at()
        );
        assert!(
            samples.insert((name, labels), value).is_none(),
            "series seen twice, {}",
            at()
        );
    }
    samples
}

fn get(samples: &HashMap<Series, f64>, name: &str, labels: &[(&str, &str)]) -> f64 {
    let mut labels: Vec<(String, String)> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    labels.sort();
    *samples
        .get(&(name.to_string(), labels.clone()))
        .unwrap_or_else(|| panic!("no {name}{labels:?}"))
}

/// The real daemon with metrics on a loopback port of its own.
struct Running {
    web: String,
    metrics: Option<String>,
    client: reqwest::Client,
    _data: TempDir,
    _stop: oneshot::Sender<()>,
}

async fn start(customize: impl FnOnce(&mut Config)) -> Running {
    let data = TempDir::new().unwrap();
    let mut cfg = config(&bundled_dir(), &data);
    cfg.web.listen = "127.0.0.1:0".parse().unwrap();
    cfg.web.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    cfg.web.rate_limit_per_minute = 100_000;
    customize(&mut cfg);
    let daemon = Daemon::build(cfg).await.expect("the daemon starts");
    let web = format!("http://{}", daemon.local_addr().unwrap());
    let metrics = daemon.metrics_addr().map(|a| format!("http://{a}/metrics"));
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(daemon.run(async move {
        let _ = stopped.await;
    }));
    Running {
        web,
        metrics,
        client: reqwest::Client::new(),
        _data: data,
        _stop: stop,
    }
}

impl Running {
    async fn scrape(&self) -> HashMap<Series, f64> {
        let url = self.metrics.as_ref().expect("metrics are on");
        let r = self.client.get(url).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let content_type = r.headers()["content-type"].to_str().unwrap().to_string();
        assert!(
            content_type.starts_with("text/plain; version=0.0.4"),
            "{content_type}"
        );
        parse_prometheus(&r.text().await.unwrap())
    }

    async fn ask(&self, session: &str, text: &str) -> Value {
        let r = self
            .client
            .post(format!("{}/api/chat", self.web))
            .json(&json!({"session": session, "text": text}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{text}");
        r.json().await.unwrap()
    }

    async fn session(&self) -> String {
        let r: Value = self
            .client
            .post(format!("{}/api/session", self.web))
            .json(&json!({"lang": "en"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        r["session"].as_str().unwrap().to_string()
    }
}

#[tokio::test]
async fn metrics_parse_and_count_the_questions_asked_through_the_daemon() {
    let app = start(|_| {}).await;
    let before = app.scrape().await;
    assert!(
        get(&before, "guichet_index_documents", &[("lang", "fr")]) > 10.0,
        "the bundled base is indexed"
    );
    assert_eq!(get(&before, "guichet_answer_seconds_count", &[]), 0.0);
    assert_eq!(
        app.client
            .get(format!("{}/metrics", app.web))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND,
        "metrics are not on the public address"
    );

    let questions = [
        "What is the SPOR SUPPORT Unit?",
        "Who created Oncopole?",
        "Qu'est-ce que l'Unité de soutien SSA Québec?",
        "Book me a flight to Toronto",
        "What is the best recipe for banana bread?",
    ];
    let mut expected: HashMap<(String, &str), f64> = HashMap::new();
    for q in questions {
        let session = app.session().await;
        let reply = app.ask(&session, q).await;
        let answered = reply["answered"]
            .as_bool()
            .expect("a question gets answered: bool");
        let lang = reply["lang"].as_str().unwrap().to_string();
        *expected
            .entry((lang, if answered { "answered" } else { "fallback" }))
            .or_default() += 1.0;
    }
    assert!(
        expected.keys().any(|(_, o)| *o == "answered")
            && expected.keys().any(|(_, o)| *o == "fallback"),
        "both outcomes asked: {expected:?}"
    );
    let after = app.scrape().await;
    for lang in ["fr", "en"] {
        for outcome in ["answered", "fallback"] {
            let labels = [("channel", "web"), ("lang", lang), ("outcome", outcome)];
            let moved = get(&after, "guichet_questions_total", &labels)
                - get(&before, "guichet_questions_total", &labels);
            let want = expected
                .get(&(lang.to_string(), outcome))
                .copied()
                .unwrap_or(0.0);
            assert_eq!(moved, want, "{lang} {outcome}");
        }
    }
    let count = get(&after, "guichet_answer_seconds_count", &[]);
    assert_eq!(count, questions.len() as f64);
    assert_eq!(
        get(&after, "guichet_answer_seconds_bucket", &[("le", "+Inf")]),
        count
    );
    let mut previous = 0.0;
    for le in ["0.005", "0.05", "0.5", "5", "30"] {
        let n = get(&after, "guichet_answer_seconds_bucket", &[("le", le)]);
        assert!(n >= previous, "buckets are cumulative");
        previous = n;
    }
    assert!(get(&after, "guichet_answer_seconds_sum", &[]) > 0.0);
    assert_eq!(
        get(&after, "guichet_feedback_total", &[("vote", "up")]),
        0.0,
        "no vote yet"
    );
}

#[tokio::test]
async fn healthz_turns_503_once_a_channel_is_down_longer_than_the_threshold() {
    // The mail channel cannot start: its password variable is not set.
    let app = start(|cfg| {
        cfg.web.channel_down_seconds = 1;
        cfg.mail.enabled = true;
        cfg.mail.address = Some("contact@guichet.test".parse().unwrap());
        cfg.mail.imap.host = "127.0.0.1".into();
        cfg.mail.imap.username = "contact".into();
        cfg.mail.smtp.host = "127.0.0.1".into();
        cfg.mail.imap.password_env = "GUICHET_TEST_METRICS_PASSWORD_NEVER_SET".into();
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let (status, health) = loop {
        let r = app
            .client
            .get(format!("{}/healthz", app.web))
            .send()
            .await
            .unwrap();
        let status = r.status();
        let health: Value = r.json().await.unwrap();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            break (status, health);
        }
        assert_eq!(status, StatusCode::OK, "{health}");
        assert!(Instant::now() < deadline, "never 503: {health}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(health["status"], "down", "{health}");
    let mail = &health["parts"]["mail"];
    assert_eq!(mail["state"], "restarting", "{health}");
    assert!(mail["down_seconds"].as_u64().unwrap() >= 1, "{health}");
    assert!(
        mail["down_since"].as_str().unwrap().starts_with("20"),
        "an RFC 3339 time: {health}"
    );
    assert!(
        health["knowledge"]["documents"].as_u64().unwrap() > 10,
        "{health}"
    );
    let metrics = app.scrape().await;
    assert_eq!(
        get(&metrics, "guichet_channel_up", &[("channel", "mail")]),
        0.0
    );
}

/// A plain-text message from `from` to the contact address.
fn email(rig: &crate::mail_rig::MailRig, from: &str, id: &str, extra_headers: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: A question\r\nMessage-ID: <{id}>\r\nDate: Thu, 26 Nov 2026 10:00:00 -0500\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n{extra_headers}\r\nWhat is the SPOR SUPPORT Unit?\r\n",
        to = rig.address("contact")
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mail_channel_is_counted_against_the_real_mail_servers() {
    let rig = crate::mail_rig::MailRig::start();
    // No other test reads or writes this variable.
    std::env::set_var("GUICHET_TEST_METRICS_IMAP_PASSWORD", &rig.password);
    let (imap_port, smtp_port, domain) = (rig.imap_port, rig.smtp_port, rig.domain.clone());
    let app = start(move |cfg| {
        cfg.mail.enabled = true;
        cfg.mail.address = Some(format!("contact@{domain}").parse().unwrap());
        cfg.mail.imap.host = "127.0.0.1".into();
        cfg.mail.imap.port = imap_port;
        cfg.mail.imap.security = guichet::config::Security::Plain;
        cfg.mail.imap.username = "contact".into();
        cfg.mail.imap.password_env = "GUICHET_TEST_METRICS_IMAP_PASSWORD".into();
        cfg.mail.imap.poll_seconds = 1;
        cfg.mail.smtp.host = "127.0.0.1".into();
        cfg.mail.smtp.port = smtp_port;
        cfg.mail.smtp.security = guichet::config::Security::Plain;
    })
    .await;
    let alice = rig.address("alice");
    rig.send_raw(
        &alice,
        &[&rig.address("contact")],
        &email(&rig, &alice, "q1@metrics.test", ""),
    );
    let robot = rig.address("robot");
    rig.send_raw(
        &robot,
        &[&rig.address("contact")],
        &email(
            &rig,
            &robot,
            "q2@metrics.test",
            "Auto-Submitted: auto-generated\r\n",
        ),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let metrics = loop {
        let m = app.scrape().await;
        let sent = get(&m, "guichet_mail_sent_total", &[]);
        let loops = get(&m, "guichet_mail_loop_rule_hits_total", &[]);
        if sent >= 1.0 && loops >= 1.0 {
            break m;
        }
        assert!(
            Instant::now() < deadline,
            "sent {sent}, loop-rule hits {loops}; alice got {:?}",
            rig.count("alice", "INBOX")
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        get(&metrics, "guichet_channel_up", &[("channel", "mail")]),
        1.0
    );
    assert_eq!(
        get(&metrics, "guichet_mail_loop_rule_hits_total", &[]),
        1.0,
        "the robot only"
    );
    let email_questions: f64 = ["answered", "fallback"]
        .iter()
        .flat_map(|o| ["fr", "en"].map(|l| (*o, l)))
        .map(|(o, l)| {
            get(
                &metrics,
                "guichet_questions_total",
                &[("channel", "email"), ("lang", l), ("outcome", o)],
            )
        })
        .sum();
    assert!(email_questions >= 1.0, "alice's question is counted");
    assert!(
        get(&metrics, "guichet_mail_outbox", &[("state", "sent")]) >= 1.0,
        "the outbox gauge reads the ledger"
    );
    assert_eq!(get(&metrics, "guichet_mail_inbox_backlog", &[]), 0.0);
}

#[tokio::test]
async fn an_unreachable_mailbox_shows_as_reconnecting_since_its_first_failure() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // No other test reads or writes this variable.
    std::env::set_var("GUICHET_TEST_METRICS_RECONNECT_PASSWORD", "password");
    let app = start(move |cfg| {
        cfg.web.channel_down_seconds = 1;
        cfg.mail.enabled = true;
        cfg.mail.address = Some("contact@guichet.test".parse().unwrap());
        cfg.mail.imap.host = "127.0.0.1".into();
        cfg.mail.imap.port = closed;
        cfg.mail.imap.security = guichet::config::Security::Plain;
        cfg.mail.imap.username = "contact".into();
        cfg.mail.imap.password_env = "GUICHET_TEST_METRICS_RECONNECT_PASSWORD".into();
        cfg.mail.smtp.host = "127.0.0.1".into();
        cfg.mail.smtp.port = closed;
        cfg.mail.smtp.security = guichet::config::Security::Plain;
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = app
            .client
            .get(format!("{}/healthz", app.web))
            .send()
            .await
            .unwrap();
        let status = r.status();
        let health: Value = r.json().await.unwrap();
        let mail = &health["parts"]["mail"];
        if status == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(mail["state"], "reconnecting", "{health}");
            assert!(
                mail["last_error"].as_str().unwrap().contains("network"),
                "{health}"
            );
            assert!(mail["down_since"].is_string(), "{health}");
            break;
        }
        assert!(Instant::now() < deadline, "never 503: {health}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let metrics = app.scrape().await;
    assert_eq!(
        get(&metrics, "guichet_channel_up", &[("channel", "mail")]),
        0.0
    );
}

#[test]
fn a_logged_request_and_a_vote_move_their_counters() {
    use guichet::assistant::Incoming;
    use guichet::requests::model::Channel;
    let e = crate::assistant::engine();
    let mut now = time::OffsetDateTime::now_utc();
    let mut say = |text: &str| {
        now += time::Duration::minutes(1);
        e.assistant
            .handle_at(Incoming::text(Channel::Terminal, "metrics-1", text), now)
    };
    for text in [
        "je voudrais faire une demande",
        "Marie Tremblay",
        "marie.tremblay@ulaval.ca",
        "Universite Laval",
        "une lettre d'appui",
        "Nous demandons une lettre d'appui pour un projet en soins de premiere ligne.",
        "oui",
    ] {
        say(text);
    }
    let logged = say("confirmer");
    assert!(logged.request.is_some(), "{}", logged.text);
    let metrics = e.assistant.metrics();
    metrics.feedback(true);
    metrics.feedback(false);
    metrics.feedback(true);
    let samples = parse_prometheus(&metrics.render(&Default::default()));
    assert_eq!(
        get(
            &samples,
            "guichet_requests_logged_total",
            &[("type", "letter_of_support")]
        ),
        1.0
    );
    assert_eq!(
        get(
            &samples,
            "guichet_requests_logged_total",
            &[("type", "grant_application")]
        ),
        0.0
    );
    assert_eq!(
        get(&samples, "guichet_feedback_total", &[("vote", "up")]),
        2.0
    );
    assert_eq!(
        get(&samples, "guichet_feedback_total", &[("vote", "down")]),
        1.0
    );
}
