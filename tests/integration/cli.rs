//! The `guichet` binary as staff and scripts use it.

use std::process::{Command, Output};

use tempfile::TempDir;

use crate::helpers::bundled_dir;

struct Setup {
    data: TempDir,
    config: std::path::PathBuf,
}

fn setup(extra: &str) -> Setup {
    let data = TempDir::new().unwrap();
    let config = data.path().join("guichet.toml");
    let text = format!(
        "data_dir = {:?}\n{extra}\n[knowledge]\ndir = {:?}\n",
        data.path().join("data").display().to_string(),
        bundled_dir().display().to_string()
    );
    std::fs::write(&config, text).unwrap();
    Setup { data, config }
}

fn guichet(s: &Setup, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_guichet"))
        .arg("--config")
        .arg(&s.config)
        .args(args)
        .current_dir(s.data.path())
        .env_remove("GUICHET_CONFIG")
        .output()
        .expect("the guichet binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn ask_json_prints_exactly_one_object_of_the_documented_shape() {
    let s = setup("");
    let out = guichet(&s, &["ask", "--json", "Who created Oncopole?"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    assert_eq!(text.trim().lines().count(), 1, "one line of JSON: {text}");
    let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(v["answered"], true);
    assert_eq!(v["lang"], "en");
    let hits = v["hits"].as_array().unwrap();
    assert!(!hits.is_empty() && hits.len() <= 3);
    for h in hits {
        let keys: Vec<&str> = h.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 6, "{keys:?}");
        for k in ["title", "url", "excerpt", "lang", "kind", "score"] {
            assert!(h.get(k).is_some(), "missing {k}");
        }
        assert!(
            !h["excerpt"].as_str().unwrap().contains('\u{1b}'),
            "no highlight markers in JSON"
        );
        assert!(["page", "partner", "organization"].contains(&h["kind"].as_str().unwrap()));
    }
    assert!(hits[0]["excerpt"].as_str().unwrap().contains("FRQS"));
}

#[test]
fn ask_falls_back_in_french_for_a_french_off_topic_question() {
    let s = setup("");
    let out = guichet(
        &s,
        &[
            "ask", "--json", "Quel", "est", "le", "meilleur", "film", "de", "2024?",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["answered"], false);
    assert_eq!(v["lang"], "fr");
    assert_eq!(v["hits"].as_array().unwrap().len(), 0);
    let out = guichet(&s, &["ask", "recette de poutine"]);
    assert!(
        stdout(&out).contains("Je n'ai pas trouvé"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn ask_lang_forces_the_reply_language() {
    let s = setup("");
    let out = guichet(
        &s,
        &[
            "ask",
            "--lang",
            "en",
            "--json",
            "Qu'est-ce que l'Oncopole ?",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["lang"], "en");
    assert_eq!(v["hits"][0]["lang"], "en");
}

#[test]
fn ask_prints_a_readable_answer_with_its_source() {
    let s = setup("");
    let out = guichet(&s, &["ask", "What is GRIIS?"]);
    let text = stdout(&out);
    assert!(text.starts_with("Here is what I found"), "{text}");
    assert!(text.contains("Source : https://"), "{text}");
}

#[test]
fn index_prints_documents_and_passages_per_language() {
    let s = setup("");
    let out = guichet(&s, &["index"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    for lang in ["fr", "en"] {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{lang}:")))
            .unwrap_or_else(|| panic!("{text}"));
        let docs: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        assert!(docs >= 30, "{line}");
    }
}

#[test]
fn eval_prints_the_accuracy_and_fails_below_the_minimum() {
    let s = setup("");
    let set = s.data.path().join("set.jsonl");
    std::fs::write(&set, "{\"q\": \"What does Oncopole do?\", \"expect\": [[\"cancer\"]]}\n{\"q\": \"What does Oncopole do?\", \"expect\": \"fallback\"}\n").unwrap();
    let out = guichet(&s, &["eval", set.to_str().unwrap()]);
    let text = stdout(&out);
    assert!(text.contains("accuracy: 1/2 (50.0 %)"), "{text}");
    assert!(text.contains("MISS line 2"), "{text}");
    assert!(out.status.success());
    let out = guichet(
        &s,
        &["eval", "--min-accuracy", "0.9", set.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_bad_configuration_value_stops_with_the_key_and_the_reason() {
    let s = setup("[search]\nmax_hits = 42");
    let out = guichet(&s, &["ask", "GRIIS"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("search.max_hits") && err.contains("out of range"),
        "{err}"
    );
}

#[test]
fn an_empty_question_is_refused_in_both_languages() {
    let s = setup("");
    let out = guichet(&s, &["ask", "   "]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Votre message est vide") && err.contains("Your message is empty"),
        "{err}"
    );
}

/// Runs `guichet chat --json`, feeding `lines`, and returns one parsed reply per line.
fn chat_json(s: &Setup, lines: &[&str]) -> Vec<serde_json::Value> {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_guichet"))
        .arg("--config")
        .arg(&s.config)
        .args(["chat", "--json", "--session", "script-1"])
        .current_dir(s.data.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("guichet chat starts");
    {
        let mut stdin = child.stdin.take().unwrap();
        for line in lines {
            writeln!(stdin, "{line}").unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    let replies: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(replies.len(), lines.len(), "one reply per line:\n{text}");
    replies
}

#[test]
fn chat_json_runs_a_complete_intake_one_json_reply_per_line() {
    let s = setup("");
    let replies = chat_json(
        &s,
        &[
            "Qui sont vos partenaires?",
            "je voudrais faire une demande",
            "Marie Tremblay",
            "marie.tremblay@ulaval.ca",
            "Université Laval",
            "2",
            "Nous avons besoin d'une lettre d'appui pour une demande aux IRSC.",
            "{\"action\": \"consent_yes\"}",
            "/confirm",
        ],
    );
    for r in &replies {
        for key in ["text", "lang", "hits", "awaiting", "request", "actions"] {
            assert!(r.get(key).is_some(), "missing {key}: {r}");
        }
    }
    assert!(!replies[0]["hits"].as_array().unwrap().is_empty());
    let awaiting: Vec<&str> = replies[1..8]
        .iter()
        .map(|r| r["awaiting"].as_str().unwrap_or("null"))
        .collect();
    assert_eq!(
        awaiting,
        vec![
            "name",
            "email",
            "organization",
            "type",
            "description",
            "consent",
            "confirm"
        ]
    );
    let request = &replies[8]["request"];
    let reference = request["reference"].as_str().expect("logged");
    assert!(reference.starts_with("SSA-"), "{reference}");
    assert_eq!(request["status"], "new");
    assert_eq!(replies[8]["lang"], "fr");

    // Staff find it with the requests commands.
    let out = guichet(&s, &["requests", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["reference"], reference);
    let out = guichet(&s, &["requests", "show", reference]);
    let text = stdout(&out);
    assert!(
        text.contains("Marie Tremblay") && text.contains("Qui sont vos partenaires?"),
        "{text}"
    );
}

#[test]
fn staff_triage_close_export_and_erase_a_request_from_the_command_line() {
    let s = setup("");
    chat_json(
        &s,
        &[
            "I'd like to request support",
            "Jane Smith",
            "jane@mcgill.ca",
            "McGill",
            "training",
            "Training on patient partnership for our team.",
            "yes",
            "confirm",
        ],
    );
    let list: serde_json::Value =
        serde_json::from_str(&stdout(&guichet(&s, &["requests", "list", "--json"]))).unwrap();
    let reference = list[0]["reference"].as_str().unwrap().to_string();
    let r = reference.as_str();

    assert!(
        guichet(&s, &["requests", "set-status", r, "triaged", "--by", "ana"])
            .status
            .success()
    );
    assert!(
        guichet(&s, &["requests", "assign", r, "paul", "--by", "ana"])
            .status
            .success()
    );
    let out = guichet(&s, &["requests", "set-status", r, "closed", "--by", "ana"]);
    assert!(!out.status.success(), "closing needs a reason");
    assert!(String::from_utf8_lossy(&out.stderr).contains("reason"));
    assert!(guichet(
        &s,
        &[
            "requests",
            "set-status",
            r,
            "closed",
            "--note",
            "done",
            "--by",
            "ana"
        ]
    )
    .status
    .success());
    let shown: serde_json::Value =
        serde_json::from_str(&stdout(&guichet(&s, &["requests", "show", r, "--json"]))).unwrap();
    assert_eq!(shown["status"], "closed");
    assert_eq!(shown["assignee"], "paul");
    let out = guichet(&s, &["requests", "list", "--status", "closed"]);
    assert!(stdout(&out).contains(r));

    let csv = stdout(&guichet(&s, &["requests", "export", "--format", "csv"]));
    assert!(csv.starts_with("reference,") && csv.contains(r), "{csv}");

    let out = guichet(&s, &["requests", "erase", "--email", "JANE@mcgill.ca"]);
    assert!(
        stdout(&out).contains("erased 1 request"),
        "{}",
        stdout(&out)
    );
    let list: serde_json::Value =
        serde_json::from_str(&stdout(&guichet(&s, &["requests", "list", "--json"]))).unwrap();
    assert!(list.as_array().unwrap().is_empty());
}

#[test]
fn serve_answers_on_its_configured_address_and_stops_cleanly_on_sigterm() {
    // A free port: bind, note it, release (the server binds it right after).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let s = setup(&format!("[web]\nlisten = \"127.0.0.1:{port}\""));
    let mut child = Command::new(env!("CARGO_BIN_EXE_guichet"))
        .arg("--config")
        .arg(&s.config)
        .arg("serve")
        .current_dir(s.data.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("guichet serve starts");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let healthy = runtime.block_on(async {
        let client = reqwest::Client::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while std::time::Instant::now() < deadline {
            if let Ok(r) = client
                .get(format!("http://127.0.0.1:{port}/healthz"))
                .send()
                .await
            {
                return r.status().is_success();
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        false
    });
    if !healthy {
        let _ = child.kill();
        panic!("guichet serve did not answer /healthz on port {port} within 30 s");
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "serve exited with {status} after SIGTERM");
            break;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("serve did not stop within 20 s of SIGTERM");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Runs `tmux` with `args`, failing with what to install when it is missing.
fn tmux(args: &[&str]) -> Output {
    Command::new("tmux")
        .args(args)
        .output()
        .expect("tmux is needed for the terminal tests: apt-get install tmux")
}

#[test]
fn hash_password_typed_at_a_terminal_is_not_echoed() {
    let session = format!("guichet-hash-{}", std::process::id());
    let binary = env!("CARGO_BIN_EXE_guichet");
    let started = tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "120",
        "-y",
        "10",
        &format!("{binary} hash-password; sleep 30"),
    ]);
    assert!(started.status.success(), "{started:?}");
    let screen = || {
        String::from_utf8_lossy(&tmux(&["capture-pane", "-t", &session, "-p"]).stdout).into_owned()
    };
    let wait_for = |what: &str| {
        for _ in 0..100 {
            let s = screen();
            if s.contains(what) {
                return s;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        screen()
    };
    let prompt = wait_for("mot de passe");
    assert!(prompt.contains("Password / mot de passe"), "{prompt}");
    tmux(&[
        "send-keys",
        "-t",
        &session,
        "a-long-staff-password-42",
        "Enter",
    ]);
    let after = wait_for("$argon2id$");
    tmux(&["kill-session", "-t", &session]);
    assert!(after.contains("$argon2id$"), "the hash is printed: {after}");
    assert!(
        !after.contains("a-long-staff-password-42"),
        "the password must not be echoed: {after}"
    );
}

#[test]
fn staff_list_mark_and_export_the_questions_queue_from_the_command_line() {
    let s = setup("");
    let replies = chat_json(
        &s,
        &[
            "Where can I park my bicycle near your office?",
            "where to park a bicycle near the office",
            "Who created Oncopole?",
        ],
    );
    assert_eq!(replies[0]["answered"], false, "{}", replies[0]);
    assert_eq!(replies[2]["answered"], true, "{}", replies[2]);
    assert!(
        replies[2]["feedback"].is_string(),
        "answers carry a feedback token"
    );

    let out = guichet(&s, &["questions", "list", "--json", "--since", "7"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let groups: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let bicycle = groups
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["examples"][0].as_str().unwrap_or("").contains("bicycle"))
        .unwrap_or_else(|| panic!("a bicycle group in {groups}"));
    assert_eq!(bicycle["count"], 2, "{bicycle}");
    assert_eq!(bicycle["state"], "open");
    assert_eq!(bicycle["reasons"]["fallback"], 2);
    assert_eq!(bicycle["channels"], serde_json::json!(["terminal"]));
    let id = bicycle["id"].as_str().unwrap().to_string();
    assert!(stdout(&guichet(&s, &["questions", "list"])).contains(&id));

    let out = guichet(&s, &["questions", "mark", &id, "ignore", "--by", "ana"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout(&out).trim(), format!("{id} → ignored"));
    let out = guichet(&s, &["questions", "mark", &id, "done"]);
    assert!(!out.status.success(), "an unknown state is refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("out-of-scope"));
    let out = guichet(&s, &["questions", "mark", "000000000000", "added"]);
    assert!(!out.status.success(), "an unknown group is refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no question group"));

    let groups: serde_json::Value =
        serde_json::from_str(&stdout(&guichet(&s, &["questions", "list", "--json"]))).unwrap();
    let marked = groups
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == id.as_str())
        .unwrap();
    assert_eq!(marked["state"], "ignored", "the mark is kept");

    let csv = stdout(&guichet(&s, &["questions", "export"]));
    assert!(csv.starts_with("id,state,count,first_seen,"), "{csv}");
    assert!(csv.contains(&format!("{id},ignored,2,")), "{csv}");
}
