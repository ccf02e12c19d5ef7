//! Live knowledge reload through the real daemon: while questions keep coming over HTTP,
//! a document is added, edited and broken in a copy of the bundled knowledge folder. No
//! question fails, new content is found (the delay is printed; speed is a benchmark matter,
//! not a test assertion: under load it ran past 2 s), the broken file is
//! reported in `/healthz` and the previous content keeps being served.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use guichet::daemon::Daemon;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::sync::oneshot;

use crate::helpers::{bundled_dir, config};

/// Questions to ask in total while the folder changes.
const QUESTIONS: usize = 2_000;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn zorblax(lang: &str, extra: &str) -> String {
    let (id, twin, title, body, question) = match lang {
        "en" => (
            "zorblax-en",
            "zorblax-fr",
            "Zorblax Mentoring Fellowship",
            "The Zorblax Mentoring Fellowship pairs early-career patient partners with senior researchers for twelve months.",
            "What is the Zorblax Mentoring Fellowship?",
        ),
        _ => (
            "zorblax-fr",
            "zorblax-en",
            "Bourse de mentorat Zorblax",
            "La bourse de mentorat Zorblax jumelle des patients partenaires en début de parcours avec des chercheurs chevronnés pendant douze mois.",
            "Qu'est-ce que la bourse de mentorat Zorblax ?",
        ),
    };
    format!(
        "---\nid: {id}\ntitle: {title}\nlang: {lang}\nkind: page\nurl: https://example.org/{id}\ntranslation: {twin}\nquestions:\n  - {question}\naliases: Zorblax\n---\n# {title}\n\n{body}\n{extra}"
    )
}

/// Writes `text` to `path` whole: a temporary file beside the folder, then a rename.
fn write_whole(dir: &Path, name: &str, text: &str) {
    let tmp = dir.parent().unwrap().join(format!(".{name}.tmp"));
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, dir.join(name)).unwrap();
}

/// Whether the reply shows the page titled `title`, as an answer or a suggestion.
fn shows(reply: &Value, title: &str) -> bool {
    ["hits", "suggestions"].iter().any(|k| {
        reply[k]
            .as_array()
            .is_some_and(|hits| hits.iter().any(|h| h["title"] == title))
    })
}

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    async fn session(&self) -> Result<String, String> {
        let r = self
            .http
            .post(format!("{}/api/session", self.base))
            .json(&json!({"lang": "en"}))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let body: Value = r.json().await.map_err(|e| e.to_string())?;
        body["session"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| body.to_string())
    }

    /// Asks `text` in a new session; an HTTP error or a reply without an answer/fallback
    /// decision is an error.
    async fn ask(&self, text: &str) -> Result<Value, String> {
        let session = self.session().await?;
        let r = self
            .http
            .post(format!("{}/api/chat", self.base))
            .json(&json!({"session": session, "text": text}))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if r.status() != StatusCode::OK {
            return Err(format!("HTTP {}", r.status()));
        }
        let reply: Value = r.json().await.map_err(|e| e.to_string())?;
        if reply["answered"].as_bool().is_none() {
            return Err(format!("no answer: {reply}"));
        }
        Ok(reply)
    }

    /// Asks `text` until a reply shows `title`; the time that took.
    async fn until_shown(&self, text: &str, title: &str, since: Instant) -> Duration {
        loop {
            let reply = self.ask(text).await.expect("a question is answered");
            if shows(&reply, title) {
                return since.elapsed();
            }
            assert!(
                since.elapsed() < Duration::from_secs(30),
                "{title} never shown for {text:?}: {reply}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_knowledge_folder_changes_under_continuous_questions_without_a_failed_answer() {
    let root = TempDir::new().unwrap();
    let knowledge = root.path().join("knowledge");
    copy_dir(&bundled_dir(), &knowledge);
    let data = TempDir::new().unwrap();
    let mut cfg = config(&knowledge, &data);
    cfg.web.listen = "127.0.0.1:0".parse().unwrap();
    cfg.web.rate_limit_per_minute = 1_000_000;
    let daemon = Daemon::build(cfg).await.expect("the daemon starts");
    let base = format!("http://{}", daemon.local_addr().unwrap());
    let (_stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(daemon.run(async move {
        let _ = stopped.await;
    }));
    let client = Arc::new(Client {
        http: reqwest::Client::new(),
        base,
    });

    // Askers: a bundled question that must always be answered, and the new page's
    // question, which once shown must stay shown (the index never goes back).
    let asked = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let zorblax_seen = Arc::new(AtomicBool::new(false));
    let changes_done = Arc::new(AtomicBool::new(false));
    let mut askers = Vec::new();
    for n in 0..2 {
        let (client, asked, errors, seen, done) = (
            client.clone(),
            asked.clone(),
            errors.clone(),
            zorblax_seen.clone(),
            changes_done.clone(),
        );
        askers.push(tokio::spawn(async move {
            let mut i = n;
            while !(done.load(Ordering::SeqCst) && asked.load(Ordering::SeqCst) >= QUESTIONS) {
                i += 1;
                let (text, bundled) = if i % 2 == 0 {
                    ("What is the SPOR SUPPORT Unit?", true)
                } else {
                    ("What is the Zorblax Mentoring Fellowship?", false)
                };
                let was_seen = seen.load(Ordering::SeqCst);
                match client.ask(text).await {
                    Ok(reply) if bundled && reply["answered"] != true => errors
                        .lock()
                        .unwrap()
                        .push(format!("not answered: {reply}")),
                    Ok(reply)
                        if !bundled
                            && was_seen
                            && !shows(&reply, "Zorblax Mentoring Fellowship") =>
                    {
                        errors
                            .lock()
                            .unwrap()
                            .push(format!("the new page went missing: {reply}"))
                    }
                    Ok(_) => {}
                    Err(e) => errors.lock().unwrap().push(e),
                }
                asked.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    // 1. Add a page (both languages: twins must link to each other).
    let before = client
        .ask("What is the Zorblax Mentoring Fellowship?")
        .await
        .unwrap();
    assert!(!shows(&before, "Zorblax Mentoring Fellowship"), "{before}");
    let written = Instant::now();
    write_whole(&knowledge, "zorblax.fr.md", &zorblax("fr", ""));
    write_whole(&knowledge, "zorblax.en.md", &zorblax("en", ""));
    let took = client
        .until_shown(
            "What is the Zorblax Mentoring Fellowship?",
            "Zorblax Mentoring Fellowship",
            written,
        )
        .await;
    zorblax_seen.store(true, Ordering::SeqCst);
    eprintln!("the added page was found after {took:?}");

    // `guichet index` on the running daemon's data directory: it rebuilds the index the
    // command line uses, never the daemon's.
    let file = root.path().join("guichet.toml");
    std::fs::write(
        &file,
        format!(
            "data_dir = {:?}\n[knowledge]\ndir = {:?}\n",
            data.path().display().to_string(),
            knowledge.display().to_string()
        ),
    )
    .unwrap();
    let indexed = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_guichet"))
            .arg("--config")
            .arg(&file)
            .arg("index")
            .env_remove("GUICHET_CONFIG")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        indexed.status.success(),
        "{}",
        String::from_utf8_lossy(&indexed.stderr)
    );

    // 2. Edit it.
    let question = "Which foundation pays the Quuxley stipend?";
    let before = client.ask(question).await.unwrap();
    assert!(!shows(&before, "Zorblax Mentoring Fellowship"), "{before}");
    let written = Instant::now();
    write_whole(
        &knowledge,
        "zorblax.en.md",
        &zorblax(
            "en",
            "\nThe Quuxley stipend of the fellowship is paid by the Quuxley Foundation.\n",
        ),
    );
    let took = client
        .until_shown(question, "Zorblax Mentoring Fellowship", written)
        .await;
    eprintln!("the edit was found after {took:?}");

    // 3. Break it: the old index stays, and /healthz says why.
    let broken = zorblax("fr", "").replace("lang: fr", "lang: de");
    write_whole(&knowledge, "zorblax.fr.md", &broken);
    let deadline = Instant::now() + Duration::from_secs(30);
    let health = loop {
        let health: Value = client
            .http
            .get(format!("{}/healthz", client.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if !health["knowledge"]["reload_error"].is_null() {
            break health;
        }
        assert!(
            Instant::now() < deadline,
            "the broken file was never reported: {health}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let error = health["knowledge"]["reload_error"]["error"]
        .as_str()
        .unwrap();
    assert!(
        error.contains("zorblax.fr.md") && error.contains("unknown language 'de'"),
        "{error}"
    );
    assert_eq!(health["status"], "degraded", "{health}");
    let still = client.ask(question).await.unwrap();
    assert!(
        shows(&still, "Zorblax Mentoring Fellowship"),
        "the previous index still answers: {still}"
    );

    changes_done.store(true, Ordering::SeqCst);
    for asker in askers {
        asker.await.unwrap();
    }
    let errors = errors.lock().unwrap().clone();
    assert!(
        errors.is_empty(),
        "{} failed question(s) out of {}: {:?}",
        errors.len(),
        asked.load(Ordering::SeqCst),
        &errors[..errors.len().min(5)]
    );
    assert!(asked.load(Ordering::SeqCst) >= QUESTIONS);
    // The old generations are removed once no answer uses them: only the one at start
    // and the one in use remain.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let live: Vec<_> = std::fs::read_dir(data.path().join("live"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        if live.len() <= 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "old indexes left behind: {live:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
