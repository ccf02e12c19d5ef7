//! `guichet check` against real servers: the Dovecot + Postfix rig for mail, a local axum
//! stand-in for the Teams token endpoint and for Discord's API. Each case runs the real
//! binary (or, for Discord, the library call with the API address swapped) and reads
//! what it prints.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use axum::routing::{get, post};
use axum::Router;
use tempfile::TempDir;

use crate::helpers::bundled_dir;
use crate::mail_rig::MailRig;

/// Runs `guichet --config FILE check` with `env` set (and the usual variables cleared).
fn run_check(config: &Path, env: &[(&str, &str)]) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_guichet"));
    command
        .arg("--config")
        .arg(config)
        .arg("check")
        .env_remove("GUICHET_CONFIG")
        .env_remove("GUICHET_IMAP_PASSWORD")
        .env_remove("GUICHET_SMTP_PASSWORD")
        .env_remove("GUICHET_DISCORD_TOKEN")
        .env_remove("GUICHET_TEAMS_APP_PASSWORD")
        .stdin(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    let Output { status, stdout, .. } = command.output().expect("guichet check runs");
    (
        status.success(),
        String::from_utf8_lossy(&stdout).into_owned(),
    )
}

/// A port nothing listens on (bound, noted, released).
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn mail_config(dir: &TempDir, rig: &MailRig, imap_port: u16, smtp_port: u16) -> std::path::PathBuf {
    let ca = rig.ca_cert.display().to_string();
    let text = format!(
        r#"data_dir = {data:?}
[knowledge]
dir = {knowledge:?}
[mail]
enabled = true
address = "contact@{domain}"
[mail.imap]
host = "127.0.0.1"
port = {imap_port}
security = "plain"
username = "contact"
ca_file = {ca:?}
[mail.smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "starttls"
ca_file = {ca:?}
"#,
        data = dir.path().join("data").display().to_string(),
        knowledge = bundled_dir().display().to_string(),
        domain = rig.domain,
    );
    let path = dir
        .path()
        .join(format!("guichet-{imap_port}-{smtp_port}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn check_passes_on_the_real_mail_servers_and_names_the_fix_for_a_wrong_password_or_a_closed_port() {
    let rig = MailRig::start();
    let dir = TempDir::new().unwrap();
    let good = mail_config(&dir, &rig, rig.imap_port, rig.smtp_port);

    let (ok, out) = run_check(&good, &[("GUICHET_IMAP_PASSWORD", &rig.password)]);
    assert!(ok, "good credentials pass:\n{out}");
    assert!(
        out.contains("[ok] IMAP : connecté")
            && out.contains("IMAP: logged in to 127.0.0.1:")
            && out.contains("folder INBOX is readable"),
        "{out}"
    );
    assert!(
        out.contains("SMTP: 127.0.0.1:")
            && out.contains("accepts the session (EHLO, STARTTLS), nothing sent"),
        "{out}"
    );
    assert!(
        out.contains("folder guichet/answered does not exist yet"),
        "the folders serve would create are named: {out}"
    );
    assert!(out.contains("All set"), "{out}");
    assert!(
        out.contains("[ok] Connaissances : ") && out.contains("documents readable in"),
        "{out}"
    );
    assert!(
        !rig.mailboxes("contact")
            .iter()
            .any(|m| m.starts_with("guichet")),
        "check creates no folder: {:?}",
        rig.mailboxes("contact")
    );

    let (ok, out) = run_check(&good, &[("GUICHET_IMAP_PASSWORD", "not the password")]);
    assert!(!ok, "a wrong password fails:\n{out}");
    assert!(
        out.contains(
            "[ÉCHEC/FAILED] IMAP : connexion refusée pour contact — vérifiez GUICHET_IMAP_PASSWORD / IMAP: login refused for contact — check GUICHET_IMAP_PASSWORD"
        ),
        "{out}"
    );
    assert!(out.contains("1 of 6 check(s) failed"), "{out}");

    let (ok, out) = run_check(&good, &[]);
    assert!(!ok, "a missing password fails:\n{out}");
    assert!(
        out.contains("IMAP: the environment variable GUICHET_IMAP_PASSWORD is not set"),
        "{out}"
    );

    let (imap_closed, smtp_closed) = (closed_port(), closed_port());
    let closed = mail_config(&dir, &rig, imap_closed, smtp_closed);
    let (ok, out) = run_check(&closed, &[("GUICHET_IMAP_PASSWORD", &rig.password)]);
    assert!(!ok, "closed ports fail:\n{out}");
    assert!(
        out.contains(&format!("IMAP: cannot reach 127.0.0.1:{imap_closed}"))
            && out.contains("check mail.imap.host, mail.imap.port"),
        "{out}"
    );
    assert!(
        out.contains(&format!("SMTP: cannot reach 127.0.0.1:{smtp_closed}"))
            && out.contains("check mail.smtp.host, mail.smtp.port"),
        "{out}"
    );
}

#[test]
fn an_invalid_configuration_fails_the_check_with_its_key() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[search]\nmax_hits = 0\n").unwrap();
    let (ok, out) = run_check(&path, &[]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("Configuration: invalid") && out.contains("search.max_hits"),
        "{out}"
    );
}

/// A Bot Framework token endpoint that accepts only `secret-ok`.
async fn token_stand_in() -> String {
    let app = Router::new().route(
        "/token",
        post(|body: String| async move {
            if body.contains("client_secret=secret-ok")
                && body.contains("grant_type=client_credentials")
            {
                (
                    axum::http::StatusCode::OK,
                    r#"{"token_type":"Bearer","expires_in":3600,"access_token":"t0ken"}"#,
                )
            } else {
                (
                    axum::http::StatusCode::UNAUTHORIZED,
                    r#"{"error":"invalid_client"}"#,
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}/token")
}

#[tokio::test]
async fn the_teams_check_gets_a_token_and_names_the_password_variable_when_refused() {
    let token_url = token_stand_in().await;
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("teams.toml");
    std::fs::write(
        &path,
        format!(
            "data_dir = {:?}\n[knowledge]\ndir = {:?}\n[teams]\nenabled = true\napp_id = \"00000000-0000-0000-0000-000000000001\"\ntoken_url = {token_url:?}\n",
            dir.path().join("data").display().to_string(),
            bundled_dir().display().to_string()
        ),
    )
    .unwrap();
    let run = |secret: &'static str| {
        let path = path.clone();
        tokio::task::spawn_blocking(move || {
            run_check(&path, &[("GUICHET_TEAMS_APP_PASSWORD", secret)])
        })
    };
    let (ok, out) = run("secret-ok").await.unwrap();
    assert!(ok, "{out}");
    assert!(out.contains("Teams: token accepted"), "{out}");
    let (ok, out) = run("wrong").await.unwrap();
    assert!(!ok, "{out}");
    assert!(
        out.contains("Teams: token refused (HTTP 401) — check GUICHET_TEAMS_APP_PASSWORD"),
        "{out}"
    );
}

#[tokio::test]
async fn the_discord_check_names_the_token_variable_when_it_is_missing_or_refused() {
    // Discord itself cannot be reached from the tests: a stand-in refuses every token.
    let app = Router::new().route(
        "/api/v10/users/@me",
        get(|| async {
            (
                axum::http::StatusCode::UNAUTHORIZED,
                r#"{"message": "401: Unauthorized", "code": 0}"#,
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = TempDir::new().unwrap();
    let mut config = crate::helpers::config(&bundled_dir(), &dir);
    config.discord.enabled = true;
    config.discord.token_env = "GUICHET_TEST_CHECK_DISCORD_TOKEN".into();
    let checks = guichet::check::check_discord(&config, "http://127.0.0.1:1/api/v10").await;
    assert!(!checks[0].passed);
    assert!(
        checks[0]
            .text(guichet::Language::En)
            .contains("GUICHET_TEST_CHECK_DISCORD_TOKEN is not set"),
        "{:?}",
        checks[0].text(guichet::Language::En)
    );
    // No other test reads or writes this variable.
    std::env::set_var("GUICHET_TEST_CHECK_DISCORD_TOKEN", "MTIz.not.valid");
    let checks = guichet::check::check_discord(&config, &format!("http://{address}/api/v10")).await;
    let text = checks[0].text(guichet::Language::En);
    assert!(!checks[0].passed, "{text}");
    assert_eq!(
        text,
        "Discord: token refused (HTTP 401) — check GUICHET_TEST_CHECK_DISCORD_TOKEN and discord.token_env"
    );
}

#[test]
fn a_malformed_knowledge_file_fails_the_check_with_its_line() {
    let folder = crate::helpers::knowledge_folder(&[(
        "bad.md",
        &crate::helpers::doc(
            "bad-en",
            "de",
            "bad-fr",
            "Bad",
            "A document in no language.",
        ),
    )]);
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("guichet.toml");
    std::fs::write(
        &path,
        format!(
            "data_dir = {:?}\n[knowledge]\ndir = {:?}\n",
            dir.path().join("data").display().to_string(),
            folder.path().display().to_string()
        ),
    )
    .unwrap();
    let (ok, out) = run_check(&path, &[]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("Knowledge: ")
            && out.contains("has malformed files")
            && out.contains("bad.md:4: unknown language 'de'"),
        "{out}"
    );
}
