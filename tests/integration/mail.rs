//! The mail channel end to end: `guichet serve` reads a real Dovecot mailbox and answers
//! through a real Postfix (both started by `scripts/mail-rig`), and the decision logic is
//! exercised on a real SQLite file through the same `Processor` the daemon uses.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use guichet::config::Config;
use guichet::mail::ledger::Outcome;
use guichet::requests::model::RequestRef;
use guichet::requests::sqlite::SqliteStore;
use guichet::requests::{RequestFilter, RequestStore};
use mail_parser::MessageParser;
use tempfile::TempDir;

use super::helpers::bundled_dir;
use super::mail_rig::MailRig;

/// How long a test waits for mail it expects (generous: CI machines are slow).
const WAIT: Duration = Duration::from_secs(90);

/// A `guichet serve` process configured for a rig.
struct Daemon {
    child: Option<Child>,
    /// The web chat's port on 127.0.0.1.
    web_port: u16,
    data: TempDir,
    config: PathBuf,
    log: PathBuf,
}

impl Daemon {
    /// Writes the configuration (plain IMAP and SMTP on loopback unless `tls`).
    fn new(rig: &MailRig, tls: bool, extra_mail: &str) -> Daemon {
        Daemon::with_web(rig, tls, extra_mail, false)
    }

    /// The same, with `web.public_url` set to the daemon's own address when
    /// `public_url` (answers then end with feedback links to it).
    fn with_web(rig: &MailRig, tls: bool, extra_mail: &str, public_url: bool) -> Daemon {
        let data = TempDir::new().unwrap();
        let config = data.path().join("guichet.toml");
        let (imap_port, imap_security, smtp_security) = if tls {
            (rig.imaps_port, "tls", "starttls")
        } else {
            (rig.imap_port, "plain", "plain")
        };
        let ca = rig.ca_cert.display().to_string();
        // A free port: bind, note it, release (the daemon binds it right after).
        let web_port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let text = format!(
            r#"data_dir = {data:?}
[knowledge]
dir = {knowledge:?}
[web]
listen = "127.0.0.1:{web_port}"
{public_url}
[mail]
enabled = true
address = "contact@{domain}"
staff_address = "staff@{domain}"
staff_page_url = "https://guichet.example"
copy_wait_seconds = 5
{extra_mail}
[mail.imap]
host = "127.0.0.1"
port = {imap_port}
security = "{imap_security}"
username = "contact"
ca_file = {ca:?}
[mail.smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "{smtp_security}"
ca_file = {ca:?}
"#,
            data = data.path().join("data").display().to_string(),
            knowledge = bundled_dir().display().to_string(),
            domain = rig.domain,
            smtp_port = rig.smtp_port,
            public_url = if public_url {
                format!("public_url = \"http://127.0.0.1:{web_port}/\"")
            } else {
                String::new()
            },
        );
        std::fs::write(&config, text).unwrap();
        let log = data.path().join("guichet.log");
        Daemon {
            child: None,
            web_port,
            data,
            config,
            log,
        }
    }

    fn start(&mut self, rig: &MailRig) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_guichet"))
            .arg("--config")
            .arg(&self.config)
            .arg("serve")
            .current_dir(self.data.path())
            .env("GUICHET_IMAP_PASSWORD", &rig.password)
            .env("RUST_LOG", "guichet=debug,info")
            .env_remove("GUICHET_CONFIG")
            .env_remove("GUICHET_MAIL_SECRET")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("guichet serve starts");
        self.child = Some(child);
    }

    /// SIGKILL: no chance to finish anything.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn alive(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().unwrap().is_none())
    }

    fn db(&self) -> PathBuf {
        self.data.path().join("data").join("guichet.sqlite3")
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn requests(&self) -> Vec<guichet::requests::model::Request> {
        let store = SqliteStore::open(&self.db()).unwrap();
        store.list_requests(&RequestFilter::default()).unwrap()
    }

    /// Waits until nothing is waiting in the contact inbox nor the outbox. Fails when
    /// nothing moved for [`WAIT`] (a loaded CI machine is slow, not stuck).
    fn wait_idle(&mut self, rig: &MailRig) {
        let mut deadline = Instant::now() + WAIT;
        let mut last = (usize::MAX, None);
        loop {
            assert!(self.alive(), "guichet serve died:\n{}", self.log_text());
            let inbox = rig.count("contact", "INBOX");
            let pending = pending_outbox(&self.db());
            if inbox == 0 && pending == Some(0) {
                return;
            }
            if (inbox, pending) != last {
                last = (inbox, pending);
                deadline = Instant::now() + WAIT;
            }
            if Instant::now() > deadline {
                panic!(
                    "guichet made no progress for {WAIT:?}: {inbox} message(s) left in the inbox, {pending:?} email(s) in the outbox\n{}",
                    tail(&self.log_text())
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// Emails not yet sent, read straight from the database (None before it exists).
fn pending_outbox(db: &Path) -> Option<i64> {
    let conn = rusqlite::Connection::open(db).ok()?;
    conn.query_row(
        "SELECT COUNT(*) FROM mail_outbox WHERE state IN ('pending', 'sending')",
        [],
        |r| r.get(0),
    )
    .ok()
}

/// A plain-text message.
fn message(
    from: &str,
    to: &str,
    id: &str,
    subject: &str,
    body: &str,
    extra_headers: &str,
) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nDate: Thu, 26 Nov 2026 10:00:00 -0500\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n{extra_headers}\r\n{body}\r\n"
    )
    .into_bytes()
}

struct Received {
    subject: String,
    message_id: String,
    in_reply_to: Vec<String>,
    text: String,
    html: String,
    auto_submitted: String,
    language: String,
}

fn read(raw: &str) -> Received {
    let m = MessageParser::default()
        .parse(raw.as_bytes())
        .expect("a reply parses");
    let header = |name: &str| {
        m.header_raw(name)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    Received {
        subject: m.subject().unwrap_or_default().to_string(),
        message_id: m.message_id().unwrap_or_default().to_string(),
        in_reply_to: m
            .in_reply_to()
            .as_text_list()
            .map(|l| l.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default(),
        text: m.body_text(0).map(|t| t.to_string()).unwrap_or_default(),
        html: m.body_html(0).map(|t| t.to_string()).unwrap_or_default(),
        auto_submitted: header("Auto-Submitted"),
        language: header("Content-Language"),
    }
}

#[test]
fn a_question_by_email_gets_a_threaded_answer_and_confirm_logs_a_request_over_tls() {
    let rig = MailRig::start();
    let mut daemon = Daemon::new(&rig, true, "");
    daemon.start(&rig);
    let contact = rig.address("contact");
    let alice = rig.address("alice");

    rig.send_raw(
        &alice,
        &[&contact],
        &message(
            &format!("Alice Martin <{alice}>"),
            &contact,
            "q1@alice.test",
            "Letter of support",
            "Hello,\n\nHow can I get a letter of support from the Unit for my grant application?\n\nThanks,\nAlice\n-- \nAlice Martin, PhD\nMcGill University",
            "",
        ),
    );
    let answers = rig.wait_for("alice", "INBOX", 1, WAIT);
    let answer = read(&answers[0]);
    assert_eq!(answer.subject, "Re: Letter of support");
    assert_eq!(answer.in_reply_to, vec!["q1@alice.test".to_string()]);
    assert_eq!(answer.auto_submitted, "auto-replied");
    assert_eq!(answer.language, "en");
    assert!(
        answer.text.contains("letter of support") || answer.text.contains("Letter of support"),
        "{}",
        answer.text
    );
    assert!(
        answer.text.contains("CONFIRM"),
        "the answer says how to confirm:\n{}",
        answer.text
    );
    assert!(
        answer.html.contains("href=\"https://"),
        "the HTML part links the sources:\n{}",
        answer.html
    );

    // "CONFIRM" in the thread logs the request; the acknowledgement carries the reference.
    rig.send_raw(
        &alice,
        &[&contact],
        &message(
            &format!("Alice Martin <{alice}>"),
            &contact,
            "q2@alice.test",
            "Re: Letter of support",
            "CONFIRM\nOrganization: McGill University\n\nOn Thu, Nov 26, 2026, guichet wrote:\n> Here is what I found",
            &format!("In-Reply-To: <{}>\r\nReferences: <q1@alice.test> <{}>\r\n", answer.message_id, answer.message_id),
        ),
    );
    let mail = rig.wait_for("alice", "INBOX", 2, WAIT);
    let ack = mail
        .iter()
        .map(|m| read(m))
        .find(|m| m.subject.contains("[SSA-"))
        .expect("an acknowledgement with the reference");
    let requests = daemon.requests();
    assert_eq!(requests.len(), 1, "one request logged");
    let request = &requests[0];
    assert_eq!(request.requester_email.as_str(), alice);
    assert_eq!(request.requester_name, "Alice Martin");
    assert_eq!(request.organization, "McGill University");
    assert!(
        request.description.contains("letter of support"),
        "{}",
        request.description
    );
    assert!(
        ack.subject.contains(&request.reference.to_string()) && ack.subject.contains('#'),
        "{}",
        ack.subject
    );
    assert!(ack.text.contains(&request.reference.to_string()));
    let staff = rig.wait_for("staff", "INBOX", 1, WAIT);
    assert!(
        staff[0].contains(&request.reference.to_string()),
        "staff are told:\n{}",
        staff[0]
    );

    // A follow-up in the thread is added to the request, not answered as a new question.
    rig.send_raw(
        &alice,
        &[&contact],
        &message(
            &alice,
            &contact,
            "q3@alice.test",
            &format!("Re: {}", ack.subject),
            "One more detail: our project starts in March.",
            &format!("In-Reply-To: <{}>\r\n", ack.message_id),
        ),
    );
    rig.wait_for("alice", "INBOX", 3, WAIT);
    rig.wait_for("staff", "INBOX", 2, WAIT);
    let request = daemon.requests().remove(0);
    assert!(
        request
            .transcript
            .iter()
            .any(|e| e.text.contains("starts in March")),
        "the follow-up is in the transcript: {:?}",
        request.transcript
    );

    // Someone else naming the reference is set aside for staff, not answered.
    let bob = rig.address("bob");
    rig.send_raw(
        &bob,
        &[&contact],
        &message(
            &bob,
            &contact,
            "b1@bob.test",
            &format!("[{}] add this", request.reference),
            "Please add: what is the Oncopole?",
            "",
        ),
    );
    daemon.wait_idle(&rig);
    assert_eq!(rig.count("bob", "INBOX"), 0, "bob gets nothing");
    assert_eq!(
        rig.count("contact", "guichet/quarantine"),
        1,
        "bob's message waits for staff in the quarantine folder"
    );
    let request = daemon.requests().remove(0);
    assert!(
        !request
            .transcript
            .iter()
            .any(|e| e.text.contains("Please add")),
        "bob's text stays out of alice's request"
    );

    // French in ISO-8859-1 (quoted-printable) and an HTML-only message.
    let carol = rig.address("carol");
    let mut latin1 = format!(
        "From: Carole <{carol}>\r\nTo: {contact}\r\nSubject: =?ISO-8859-1?Q?R=E9seau?=\r\nMessage-ID: <c1@carol.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    )
    .into_bytes();
    latin1.extend(b"Bonjour,\r\nQu'est-ce que le R\xe9seau-1 Qu\xe9bec ?\r\nMerci\r\n");
    rig.send_raw(&carol, &[&contact], &latin1);
    let dave = rig.address("dave");
    let html = format!(
        "From: {dave}\r\nTo: {contact}\r\nSubject: Question\r\nMessage-ID: <d1@dave.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><head><style>p {{ color: red }}</style></head><body><p>What is the <b>Oncopole</b>?</p><script>alert(1)</script></body></html>\r\n"
    );
    rig.send_raw(&dave, &[&contact], html.as_bytes());
    let carol_reply = read(&rig.wait_for("carol", "INBOX", 1, WAIT)[0]);
    assert_eq!(carol_reply.language, "fr");
    assert!(
        carol_reply.subject.starts_with("Re: R\u{e9}seau"),
        "{}",
        carol_reply.subject
    );
    assert!(
        carol_reply.text.contains("Réseau-1 Québec"),
        "{}",
        carol_reply.text
    );
    assert!(
        carol_reply.text.contains("CONFIRMER"),
        "{}",
        carol_reply.text
    );
    let dave_reply = read(&rig.wait_for("dave", "INBOX", 1, WAIT)[0]);
    assert!(dave_reply.text.contains("Oncopole"), "{}", dave_reply.text);

    daemon.wait_idle(&rig);
    assert_eq!(
        rig.count("contact", "INBOX"),
        0,
        "every message left the inbox"
    );
    assert_eq!(
        rig.count("contact", "guichet/answered"),
        5,
        "handled messages are moved"
    );
    assert_eq!(
        rig.count("alice", "INBOX"),
        3,
        "alice got exactly three emails"
    );
}

#[test]
fn an_auto_responder_gets_one_reply_and_a_naive_one_at_most_two() {
    let rig = MailRig::start();
    let mut daemon = Daemon::new(&rig, false, "replies_per_sender_per_hour = 3");
    daemon.start(&rig);
    let contact = rig.address("contact");
    // robot answers everything it receives, the RFC 3834 way; user9 answers everything
    // with no marker at all, and its text even asks something.
    for (user, marker) in [("robot", "Auto-Submitted: auto-replied\r\n"), ("user9", "")] {
        let me = rig.address(user);
        rig.send_raw(
            &me,
            &[&contact],
            &message(
                &me,
                &contact,
                &format!("start@{user}.test"),
                "What is SPOR?",
                "What is SPOR?",
                "",
            ),
        );
        let mut answered = 0;
        let quiet_until = |now: Instant| now + Duration::from_secs(8);
        let mut deadline = quiet_until(Instant::now() + WAIT);
        // The auto-responder loop: answer each new message; stop once nothing new came for 8 s.
        while Instant::now() < deadline {
            let inbox = rig.fetch_all(user, "INBOX");
            while answered < inbox.len() {
                let got = read(&inbox[answered]);
                answered += 1;
                let body = format!(
                    "I am away until Monday. Is it urgent? Your message \"{}\" will be read later.",
                    got.subject
                );
                rig.send_raw(
                    &me,
                    &[&contact],
                    &message(
                        &me,
                        &contact,
                        &format!("auto{answered}@{user}.test"),
                        &format!("Re: {}", got.subject),
                        &body,
                        &format!("{marker}In-Reply-To: <{}>\r\n", got.message_id),
                    ),
                );
                deadline = quiet_until(Instant::now());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let replies = rig.count(user, "INBOX");
        if marker.is_empty() {
            assert!(
                (1..=2).contains(&replies),
                "{user}: a follow-up in an answered thread is answered at most once, got {replies}"
            );
        } else {
            assert_eq!(
                replies, 1,
                "{user}: one reply to the question, none to the auto-replies"
            );
        }
    }
    daemon.wait_idle(&rig);
    assert!(
        daemon.log_text().contains("is kept, not answered"),
        "the unanswered follow-ups are logged"
    );
}

#[test]
fn a_burst_with_kills_at_random_moments_gets_exactly_one_reply_per_message() {
    let rig = MailRig::start();
    let mut daemon = Daemon::new(&rig, false, "replies_per_minute = 100000");
    let contact = rig.address("contact");
    let questions = [
        "What is the SPOR SUPPORT Unit?",
        "Qu'est-ce que le Réseau-1 Québec ?",
        "How do I make a request?",
        "Who funds the Unit?",
        "Quels sont les types de demandes ?",
    ];
    let senders: Vec<String> = (0..200)
        .map(|i| format!("s{i:03}@{}", rig.domain))
        .collect();
    for (i, sender) in senders.iter().enumerate() {
        rig.send_raw(
            sender,
            &[&contact],
            &message(
                sender,
                &contact,
                &format!("burst{i}@test"),
                "Question",
                questions[i % questions.len()],
                "",
            ),
        );
    }
    // Kill at pseudo-random moments (a fixed seed: reproducible), restarting each time.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..5 {
        daemon.start(&rig);
        std::thread::sleep(Duration::from_millis(300 + next() % 2_500));
        daemon.kill();
    }
    daemon.start(&rig);
    daemon.wait_idle(&rig);
    // Then 20 of them confirm, with two more kills.
    let confirmers: Vec<&String> = senders.iter().step_by(10).collect();
    for (i, sender) in confirmers.iter().enumerate() {
        let user = sender.split('@').next().unwrap();
        let reply = read(&rig.wait_for(user, "INBOX", 1, WAIT)[0]);
        rig.send_raw(
            sender,
            &[&contact],
            &message(
                sender,
                &contact,
                &format!("confirm{i}@test"),
                "Re: Question",
                "Confirmer\nType : 1",
                &format!("In-Reply-To: <{}>\r\n", reply.message_id),
            ),
        );
    }
    for _ in 0..2 {
        std::thread::sleep(Duration::from_millis(300 + next() % 1_500));
        daemon.kill();
        daemon.start(&rig);
    }
    daemon.wait_idle(&rig);
    // Sent is not yet delivered: wait for every expected email, then check none is extra.
    for (i, sender) in senders.iter().enumerate() {
        let user = sender.split('@').next().unwrap();
        rig.wait_for(user, "INBOX", if i % 10 == 0 { 2 } else { 1 }, WAIT);
    }
    daemon.wait_idle(&rig);
    for (i, sender) in senders.iter().enumerate() {
        let user = sender.split('@').next().unwrap();
        let expected = if i % 10 == 0 { 2 } else { 1 };
        assert_eq!(
            rig.count(user, "INBOX"),
            expected,
            "{sender} got exactly {expected} email(s): {:?}",
            rig.fetch_all(user, "INBOX")
                .iter()
                .map(|m| read(m).message_id)
                .collect::<Vec<_>>()
        );
    }
    let requests = daemon.requests();
    assert_eq!(
        requests.len(),
        confirmers.len(),
        "one request per confirmation"
    );
    let mut emails: Vec<&str> = requests
        .iter()
        .map(|r| r.requester_email.as_str())
        .collect();
    emails.sort();
    emails.dedup();
    assert_eq!(emails.len(), confirmers.len(), "no request duplicated");
    assert_eq!(
        rig.count("contact", "guichet/answered"),
        senders.len() + confirmers.len()
    );
}

#[test]
fn a_server_without_idle_nor_move_is_polled_and_mail_is_still_moved() {
    let rig = MailRig::start_basic();
    let mut daemon = Daemon::new(&rig, false, "");
    let config = std::fs::read_to_string(&daemon.config)
        .unwrap()
        .replace("[mail.imap]\n", "[mail.imap]\npoll_seconds = 1\n");
    std::fs::write(&daemon.config, config).unwrap();
    daemon.start(&rig);
    let contact = rig.address("contact");
    let alice = rig.address("alice");
    rig.send_raw(
        &alice,
        &[&contact],
        &message(
            &alice,
            &contact,
            "p1@alice.test",
            "Oncopole",
            "What is the Oncopole?",
            "",
        ),
    );
    let reply = read(&rig.wait_for("alice", "INBOX", 1, WAIT)[0]);
    assert!(reply.text.contains("Oncopole"), "{}", reply.text);
    daemon.wait_idle(&rig);
    assert_eq!(rig.count("contact", "guichet/answered"), 1);
    assert!(
        daemon.log_text().contains("no IDLE: polling"),
        "the fallback is logged"
    );
}

#[test]
fn after_a_uidvalidity_change_handled_mail_is_recognised_by_message_id() {
    let rig = MailRig::start();
    let mut daemon = Daemon::new(&rig, false, "");
    daemon.start(&rig);
    let contact = rig.address("contact");
    let alice = rig.address("alice");
    let question = message(
        &alice,
        &contact,
        "v1@alice.test",
        "SPOR",
        "What is SPOR?",
        "",
    );
    rig.send_raw(&alice, &[&contact], &question);
    rig.wait_for("alice", "INBOX", 1, WAIT);
    daemon.wait_idle(&rig);
    daemon.kill();
    // The same message is back in the inbox (restored from a backup, say) and the
    // server's UIDVALIDITY no longer matches what guichet recorded.
    rig.save("contact", "INBOX", &question);
    let conn = rusqlite::Connection::open(daemon.db()).unwrap();
    conn.execute(
        "UPDATE mail_mailboxes SET uidvalidity = uidvalidity + 1",
        [],
    )
    .unwrap();
    drop(conn);
    daemon.start(&rig);
    daemon.wait_idle(&rig);
    assert!(
        daemon.log_text().contains("UIDVALIDITY changed"),
        "the change is noticed"
    );
    assert_eq!(
        rig.count("alice", "INBOX"),
        1,
        "the message is not answered again"
    );
    assert_eq!(
        rig.count("contact", "guichet/answered"),
        2,
        "both copies are moved"
    );
}

#[test]
fn replies_wait_in_the_outbox_while_smtp_is_down_and_leave_at_the_next_start() {
    let rig = MailRig::start();
    let mut daemon = Daemon::new(&rig, false, "");
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let good = std::fs::read_to_string(&daemon.config).unwrap();
    let smtp_line = format!("port = {}\nsecurity = \"plain\"\nca_file", rig.smtp_port);
    assert!(good.contains(&smtp_line));
    std::fs::write(
        &daemon.config,
        good.replace(
            &smtp_line,
            &format!("port = {closed}\nsecurity = \"plain\"\nca_file"),
        ),
    )
    .unwrap();
    daemon.start(&rig);
    let contact = rig.address("contact");
    let alice = rig.address("alice");
    rig.send_raw(
        &alice,
        &[&contact],
        &message(
            &alice,
            &contact,
            "o1@alice.test",
            "SPOR",
            "What is SPOR?",
            "",
        ),
    );
    // The question is decided and moved; its reply fails to leave and waits.
    let deadline = Instant::now() + WAIT;
    loop {
        let log = daemon.log_text();
        if rig.count("contact", "guichet/answered") == 1 && log.contains("will retry") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no failed attempt:\n{}",
            tail(&log)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(pending_outbox(&daemon.db()), Some(1));
    daemon.kill();
    std::fs::write(&daemon.config, good).unwrap();
    daemon.start(&rig);
    let reply = read(&rig.wait_for("alice", "INBOX", 1, WAIT)[0]);
    assert_eq!(reply.in_reply_to, vec!["o1@alice.test".to_string()]);
    daemon.wait_idle(&rig);
    assert_eq!(rig.count("alice", "INBOX"), 1);
}

#[test]
fn an_unreachable_mailbox_is_retried_while_the_web_chat_keeps_answering() {
    let rig = MailRig::start();
    let mut daemon = Daemon::new(&rig, false, "");
    // Nothing listens on the IMAP port configured.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let web = daemon.web_port;
    let config = std::fs::read_to_string(&daemon.config).unwrap().replace(
        &format!("port = {}\n", rig.imap_port),
        &format!("port = {closed}\n"),
    );
    std::fs::write(&daemon.config, config).unwrap();
    daemon.start(&rig);
    let deadline = Instant::now() + WAIT;
    loop {
        let log = daemon.log_text();
        if log.contains("unreachable; retrying") && log.matches("attempt=").count() >= 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no retries logged:\n{}",
            tail(&log)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", web)).unwrap();
    use std::io::{Read, Write};
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(daemon.alive());
}

/// Malformed and hostile messages, generated.
fn hostile_corpus(contact: &str) -> Vec<Vec<u8>> {
    let mut corpus: Vec<Vec<u8>> = Vec::new();
    let base = format!("From: x@guichet.test\r\nTo: {contact}\r\nSubject: hostile\r\n");
    corpus.push(format!("{base}Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nunterminated").into_bytes());
    let mut odd = format!(
        "{base}Content-Type: text/plain; charset=x-unknown-charset\r\n\r\nQuestion sur le r"
    )
    .into_bytes();
    odd.extend(b"\xe9seau");
    corpus.push(odd);
    let mut nested = base.clone();
    for i in 0..300 {
        nested.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"n{i}\"\r\n\r\n--n{i}\r\n"
        ));
    }
    corpus.push(nested.into_bytes());
    corpus.push(format!("{base}X-Huge: {}\r\n\r\nbody", "a".repeat(200_000)).into_bytes());
    let mut many = base.clone();
    for i in 0..3_000 {
        many.push_str(&format!("X-H{i}: v\r\n"));
    }
    many.push_str("\r\nWhat is SPOR?");
    corpus.push(many.into_bytes());
    corpus.push(
        format!("{base}Content-Transfer-Encoding: base64\r\n\r\n!!!not base64***").into_bytes(),
    );
    corpus.push(format!("From: =?bogus?Q?=FF=FE?= <y@guichet.test>\r\nTo: {contact}\r\nSubject: =?utf-8?B?////?=\r\n\r\n\x00\x01\x02").into_bytes());
    corpus.push(b"no header at all, just text\r\n".to_vec());
    corpus.push(
        format!(
            "{base}Content-Type: text/plain\r\n\r\n{}",
            "word ".repeat(400_000)
        )
        .into_bytes(),
    );
    let mut seed: u32 = 7;
    for n in 0..20 {
        let mut raw = base.clone().into_bytes();
        raw.extend(b"\r\n");
        for _ in 0..(200 + n * 97) {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            raw.push((seed >> 16) as u8);
        }
        corpus.push(raw);
    }
    corpus
}

#[test]
fn malformed_and_hostile_messages_never_stop_the_daemon_nor_block_the_mailbox() {
    let rig = MailRig::start();
    let mut daemon = Daemon::new(&rig, false, "");
    let contact = rig.address("contact");
    let corpus = hostile_corpus(&contact);
    for raw in &corpus {
        rig.save("contact", "INBOX", raw);
    }
    let alice = rig.address("alice");
    rig.save(
        "contact",
        "INBOX",
        &message(
            &alice,
            &contact,
            "after@alice.test",
            "Oncopole",
            "What is the Oncopole?",
            "",
        ),
    );
    daemon.start(&rig);
    let reply = read(&rig.wait_for("alice", "INBOX", 1, WAIT)[0]);
    assert!(reply.text.contains("Oncopole"));
    daemon.wait_idle(&rig);
    assert!(daemon.alive(), "the daemon is still running");
    let moved =
        rig.count("contact", "guichet/answered") + rig.count("contact", "guichet/quarantine");
    assert_eq!(
        moved,
        corpus.len() + 1,
        "every message was handled and moved"
    );
    assert!(
        rig.count("contact", "guichet/quarantine") >= 1,
        "unreadable mail is quarantined"
    );
}

// ----- The decisions, on a real SQLite file, without servers -------------------------

struct Bench {
    processor: guichet::mail::process::Processor,
    _data: TempDir,
    db: PathBuf,
}

fn processor(extra: &str) -> Bench {
    let data = TempDir::new().unwrap();
    let text = format!(
        "data_dir = {:?}\n[knowledge]\ndir = {:?}\n[mail]\naddress = \"contact@guichet.test\"\nstaff_address = \"staff@guichet.test\"\n{extra}\n",
        data.path().display().to_string(),
        bundled_dir().display().to_string()
    );
    let config = Config::from_toml(&text, "test", &[]).unwrap();
    let assistant = guichet::daemon::assistant(&config).unwrap();
    let processor = guichet::mail::processor(assistant, &config).unwrap();
    Bench {
        processor,
        db: config.database_path(),
        _data: data,
    }
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

fn outbox(db: &Path) -> Vec<(String, String, Vec<u8>)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT recipient, kind, raw FROM mail_outbox ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn robots_lists_loops_and_bounces_are_recorded_but_never_answered() {
    let b = processor("");
    let cases: Vec<(&str, String)> = vec![
        (
            "auto-submitted",
            "Auto-Submitted: auto-generated\r\n".into(),
        ),
        ("precedence", "Precedence: bulk\r\n".into()),
        ("mailing-list", "List-Id: <news.example.org>\r\n".into()),
        ("loop", "X-Loop: contact@guichet.test\r\n".into()),
        ("suppress", "X-Auto-Response-Suppress: All\r\n".into()),
        ("return-path", "Return-Path: <>\r\n".into()),
    ];
    for (i, (what, header)) in cases.iter().enumerate() {
        let raw = message(
            "someone@example.org",
            "contact@guichet.test",
            &format!("r{i}@x"),
            "What is SPOR?",
            "What is SPOR?",
            header,
        );
        let handled = b.processor.handle(&raw, now()).unwrap();
        assert_eq!(handled.outcome, Outcome::Ignored, "{what}");
        assert_eq!(handled.queued, 0, "{what}");
    }
    for (i, from) in [
        "MAILER-DAEMON@example.org",
        "no-reply@example.org",
        "contact@guichet.test",
    ]
    .iter()
    .enumerate()
    {
        let raw = message(
            from,
            "contact@guichet.test",
            &format!("s{i}@x"),
            "Hi",
            "What is SPOR?",
            "",
        );
        assert_eq!(
            b.processor.handle(&raw, now()).unwrap().outcome,
            Outcome::Ignored,
            "{from}"
        );
    }
    let dsn = "From: MAILER-DAEMON@example.org\r\nTo: contact@guichet.test\r\nSubject: Undelivered Mail\r\nMessage-ID: <dsn1@x>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\r\n\r\n--R\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\nFinal-Recipient: rfc822; gone@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n--R--\r\n";
    assert_eq!(
        b.processor.handle(dsn.as_bytes(), now()).unwrap().outcome,
        Outcome::Bounce
    );
    assert!(outbox(&b.db).is_empty(), "nothing was queued");
}

#[test]
fn a_message_decided_twice_is_answered_once_and_a_thread_confirmed_twice_logs_one_request() {
    let b = processor("");
    let raw = message(
        "Léa <lea@example.org>",
        "contact@guichet.test",
        "l1@x",
        "Lettre d'appui",
        "Comment obtenir une lettre d'appui de l'Unité ?",
        "",
    );
    let first = b.processor.handle(&raw, now()).unwrap();
    assert_eq!(
        (first.outcome, first.queued, first.already),
        (Outcome::Answered, 1, false)
    );
    let again = b.processor.handle(&raw, now()).unwrap();
    assert_eq!(
        (again.outcome, again.queued, again.already),
        (Outcome::Answered, 0, true)
    );
    let out = outbox(&b.db);
    assert_eq!(out.len(), 1);
    let answer = MessageParser::default().parse(&out[0].2).unwrap();
    let answer_id = answer.message_id().unwrap().to_string();
    assert_eq!(
        answer.header_raw("Content-Language").map(str::trim),
        Some("fr")
    );
    for (i, text) in ["Confirmer", "je confirme"].iter().enumerate() {
        let confirm = message(
            "lea@example.org",
            "contact@guichet.test",
            &format!("l{}@x", i + 2),
            "Re: Lettre d'appui",
            text,
            &format!("In-Reply-To: <{answer_id}>\r\n"),
        );
        assert_eq!(
            b.processor.handle(&confirm, now()).unwrap().outcome,
            Outcome::Logged
        );
    }
    let store = SqliteStore::open(&b.db).unwrap();
    let requests = store.list_requests(&RequestFilter::default()).unwrap();
    assert_eq!(requests.len(), 1, "one request per thread");
    assert_eq!(requests[0].requester_name, "Léa");
    let kinds: Vec<String> = outbox(&b.db).into_iter().map(|(_, k, _)| k).collect();
    assert_eq!(
        kinds,
        ["reply", "ack", "staff", "ack"],
        "staff are told once"
    );
}

#[test]
fn threads_cannot_be_hijacked_and_confirm_needs_an_inquiry() {
    let b = processor("");
    let raw = message(
        "ana@example.org",
        "contact@guichet.test",
        "a1@x",
        "SPOR",
        "What is SPOR?",
        "",
    );
    b.processor.handle(&raw, now()).unwrap();
    let first = outbox(&b.db);
    let answer = MessageParser::default().parse(&first[0].2).unwrap();
    let answer_id = answer.message_id().unwrap().to_string();
    // Mallory quotes Ana's thread and confirms: not Ana's thread for her.
    let hijack = message(
        "mallory@example.org",
        "contact@guichet.test",
        "m1@x",
        "Re: SPOR",
        "CONFIRM",
        &format!("In-Reply-To: <{answer_id}>\r\n"),
    );
    assert_eq!(
        b.processor.handle(&hijack, now()).unwrap().outcome,
        Outcome::NothingToConfirm
    );
    // Ana confirms without saying the type (nor does her question): asked for it, nothing
    // logged yet.
    let untyped = message(
        "ana@example.org",
        "contact@guichet.test",
        "a2@x",
        "Re: SPOR",
        "CONFIRM",
        &format!("In-Reply-To: <{answer_id}>\r\n"),
    );
    let h = b.processor.handle(&untyped, now()).unwrap();
    assert_eq!((h.outcome, h.queued), (Outcome::NothingToConfirm, 1));
    let ask = read(&String::from_utf8_lossy(&outbox(&b.db).last().unwrap().2));
    assert!(
        ask.text.contains("Type:") && ask.text.contains("Letter of support"),
        "{}",
        ask.text
    );
    assert!(SqliteStore::open(&b.db)
        .unwrap()
        .list_requests(&RequestFilter::default())
        .unwrap()
        .is_empty());
    // With the type, it is logged; Mallory then writes with the reference.
    let confirm = message(
        "ana@example.org",
        "contact@guichet.test",
        "a3@x",
        "Re: SPOR",
        "CONFIRM\nType: 1",
        &format!("In-Reply-To: <{answer_id}>\r\n"),
    );
    assert_eq!(
        b.processor.handle(&confirm, now()).unwrap().outcome,
        Outcome::Logged
    );
    let store = SqliteStore::open(&b.db).unwrap();
    let reference: RequestRef =
        store.list_requests(&RequestFilter::default()).unwrap()[0].reference;
    let forged = message(
        "mallory@example.org",
        "contact@guichet.test",
        "m2@x",
        &format!("[{reference} #0000000000] add this"),
        "Add this please: What is the Oncopole?",
        "",
    );
    let outcome = b.processor.handle(&forged, now()).unwrap().outcome;
    assert_eq!(
        outcome,
        Outcome::Quarantined,
        "a forged tag is set aside for staff"
    );
    // The real tag (from the acknowledgement) is bound to Ana: forwarded to a colleague,
    // or with Ana as Reply-To of someone else, it attaches nothing.
    let ack = outbox(&b.db)
        .into_iter()
        .find(|(_, k, _)| k == "ack")
        .unwrap();
    let ack_subject = MessageParser::default()
        .parse(&ack.2)
        .unwrap()
        .subject()
        .unwrap()
        .to_string();
    let sent_before = outbox(&b.db).len();
    let forwarded = message(
        "colleague@example.org",
        "contact@guichet.test",
        "c1@x",
        &format!("Re: {ack_subject}"),
        "Add this please: What is the Oncopole?",
        "",
    );
    assert_eq!(
        b.processor.handle(&forwarded, now()).unwrap().outcome,
        Outcome::Quarantined
    );
    let spoofed = message(
        "mallory@example.org",
        "contact@guichet.test",
        "m3@x",
        &format!("Re: {ack_subject}"),
        "Add this please: What is the Oncopole?",
        "Reply-To: ana@example.org\r\n",
    );
    assert_eq!(
        b.processor.handle(&spoofed, now()).unwrap().outcome,
        Outcome::Quarantined,
        "Reply-To does not make Mallory Ana"
    );
    assert_eq!(outbox(&b.db).len(), sent_before, "nobody is answered");
    // Ana herself, even with someone else as Reply-To: attached, and the note goes to her.
    let tagged = message(
        "ana@example.org",
        "contact@guichet.test",
        "a4@x",
        &format!("Re: {ack_subject}"),
        "Our budget is attached.",
        "Reply-To: mallory@example.org\r\n",
    );
    assert_eq!(
        b.processor.handle(&tagged, now()).unwrap().outcome,
        Outcome::Attached
    );
    let note = outbox(&b.db)
        .into_iter()
        .rfind(|(_, kind, _)| kind == "reply")
        .unwrap();
    assert_eq!(
        note.0, "ana@example.org",
        "replies go to From, not Reply-To"
    );
    let request = store.get_request(&reference).unwrap().unwrap();
    assert!(request.transcript.iter().any(|e| e.text.contains("budget")));
    assert!(!request
        .transcript
        .iter()
        .any(|e| e.text.contains("Oncopole")));
}

#[test]
fn staff_are_emailed_about_requests_logged_on_other_channels() {
    let b = processor("");
    let store = SqliteStore::open(&b.db).unwrap();
    let request = store
        .create_request(
            guichet::requests::model::NewRequest {
                channel: guichet::requests::model::Channel::Web,
                requester_name: "Marie Tremblay".into(),
                requester_email: guichet::requests::model::Email::parse("marie@example.org")
                    .unwrap(),
                requester_handle: None,
                organization: "Université Laval".into(),
                request_type: guichet::requests::model::RequestType::Training,
                description: "Une formation sur la recherche axée sur le patient.".into(),
                language: guichet::language::Language::Fr,
                transcript: Vec::new(),
                attachments: Vec::new(),
            },
            now(),
        )
        .unwrap();
    assert!(b.processor.notify_staff(&request.reference, now()).unwrap());
    let out = outbox(&b.db);
    assert_eq!(out.len(), 1);
    assert_eq!(
        (out[0].0.as_str(), out[0].1.as_str()),
        ("staff@guichet.test", "staff")
    );
    let note = MessageParser::default().parse(&out[0].2).unwrap();
    let text = format!(
        "{}\n{}",
        note.subject().unwrap_or_default(),
        note.body_text(0).unwrap_or_default()
    );
    assert!(text.contains(&request.reference.to_string()), "{text}");
    assert!(text.contains("Marie Tremblay"), "{text}");
    assert!(
        !text.contains("marie@example.org"),
        "no personal data beyond the name"
    );
}

#[test]
fn the_per_sender_cap_stops_replies_and_says_so() {
    let b = processor("replies_per_sender_per_hour = 2");
    let mut outcomes = Vec::new();
    for i in 0..4 {
        let raw = message(
            "eager@example.org",
            "contact@guichet.test",
            &format!("e{i}@x"),
            "SPOR",
            "What is SPOR?",
            "",
        );
        outcomes.push(b.processor.handle(&raw, now()).unwrap().outcome);
    }
    assert_eq!(
        outcomes,
        [
            Outcome::Answered,
            Outcome::Answered,
            Outcome::Capped,
            Outcome::Capped
        ]
    );
    assert_eq!(outbox(&b.db).len(), 2);
}

/// The text part of the reply queued for `raw`'s sender.
fn answer_text(b: &Bench, raw: &[u8]) -> (Outcome, Received) {
    let handled = b.processor.handle(raw, now()).unwrap();
    let out = outbox(&b.db);
    let reply = out.last().expect("a reply was queued");
    (handled.outcome, read(&String::from_utf8_lossy(&reply.2)))
}

#[test]
fn a_long_french_email_is_answered_on_its_question_not_its_greeting_or_signature() {
    let b = processor("");
    let body = "Bonjour à toute l'équipe,\r\n\r\nJe m'appelle Sophie Gagnon et je suis professionnelle de recherche au CIUSSS du Saguenay–Lac-Saint-Jean depuis trois ans. Notre équipe prépare une demande de subvention aux IRSC sur les trajectoires de soins en santé mentale, et ma directrice m'a conseillé de vous écrire. Nous avons déjà un protocole préliminaire et quelques partenaires patients.\r\n\r\nPourriez-vous m'indiquer quels sont les critères d'admissibilité d'une demande à l'Unité?\r\n\r\nMerci beaucoup de votre aide et bonne fin de journée,\r\n\r\nSophie Gagnon\r\nProfessionnelle de recherche\r\nCIUSSS du Saguenay–Lac-Saint-Jean\r\n418 555-0199";
    let raw = message(
        "Sophie Gagnon <sophie@example.org>",
        "contact@guichet.test",
        "long-fr@x",
        "Question",
        body,
        "",
    );
    let (outcome, reply) = answer_text(&b, &raw);
    assert_eq!(outcome, Outcome::Answered, "{}", reply.text);
    assert_eq!(reply.language, "fr");
    assert!(
        reply.text.contains("critères d'admissibilité"),
        "the reply should quote the eligibility criteria:\n{}",
        reply.text
    );
}

#[test]
fn an_english_email_with_two_questions_gets_an_answer_to_each() {
    let b = processor("");
    let body = "Hello,\r\n\r\nI'm a postdoc at McGill working on chronic disease prevention, and I have two quick questions before my team applies.\r\n\r\nFirst, can the Unit give grants to graduate students? Second, when was the Oncopole created?\r\n\r\nThanks in advance,\r\nDr. Priya Raman\r\nPostdoctoral Fellow, McGill University";
    let raw = message(
        "Priya Raman <priya@example.org>",
        "contact@guichet.test",
        "two-en@x",
        "Two questions",
        body,
        "",
    );
    let (outcome, reply) = answer_text(&b, &raw);
    assert_eq!(outcome, Outcome::Answered, "{}", reply.text);
    assert_eq!(reply.language, "en");
    assert!(
        reply.text.contains("graduate students"),
        "the first question (grants to students) is answered:\n{}",
        reply.text
    );
    assert!(
        reply.text.contains("2017"),
        "the second question (when the Oncopole was created) is answered:\n{}",
        reply.text
    );
}

/// Posts one chat message (`text`, or a button `action`) on `session`; returns the reply.
async fn chat(client: &reqwest::Client, port: u16, session: &str, text: &str) -> serde_json::Value {
    let body = match text.strip_prefix("action:") {
        Some(action) => serde_json::json!({"session": session, "action": action}),
        None => serde_json::json!({"session": session, "text": text}),
    };
    let r = client
        .post(format!("http://127.0.0.1:{port}/api/chat"))
        .json(&body)
        .send()
        .await
        .expect("the chat API answers");
    assert!(r.status().is_success(), "{text:?} → {}", r.status());
    r.json().await.unwrap()
}

#[test]
fn an_erasure_while_serving_leaves_nothing_of_the_person_in_any_database_file() {
    const NAME: &str = "Zoéline Quirion-Tessier";
    let rig = MailRig::start();
    let mut daemon = Daemon::new(&rig, false, "");
    daemon.start(&rig);
    let contact = rig.address("contact");
    let zoe = rig.address("dave");
    let port = daemon.web_port;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = reqwest::Client::new();

    // An intake by chat…
    let session = runtime.block_on(async {
        let deadline = Instant::now() + WAIT;
        let session = loop {
            if let Ok(r) = client
                .post(format!("http://127.0.0.1:{port}/api/session"))
                .json(&serde_json::json!({"lang": "en"}))
                .send()
                .await
            {
                let body: serde_json::Value = r.json().await.unwrap();
                break body["session"].as_str().unwrap().to_string();
            }
            assert!(Instant::now() < deadline, "the web chat never answered");
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        for text in [
            "I'd like to make a request",
            NAME,
            zoe.as_str(),
            "Université de Montréal",
            "3",
            "We are preparing a CIHR grant application on diabetes care pathways.",
            "action:consent_yes",
        ] {
            chat(&client, port, &session, text).await;
        }
        let done = chat(&client, port, &session, "action:confirm").await;
        assert!(done["request"]["reference"].is_string(), "{done}");
        session
    });

    // …and one by email, from the same address.
    rig.send_raw(
        &zoe,
        &[&contact],
        &message(
            &format!("{NAME} <{zoe}>"),
            &contact,
            "e1@zoe.test",
            "Letter of support",
            "Hello,\n\nHow can I get a letter of support from the Unit for my grant application?\n\nZoéline",
            "",
        ),
    );
    let answer = read(&rig.wait_for("dave", "INBOX", 1, WAIT)[0]);
    rig.send_raw(
        &zoe,
        &[&contact],
        &message(
            &format!("{NAME} <{zoe}>"),
            &contact,
            "e2@zoe.test",
            "Re: Letter of support",
            "CONFIRM",
            &format!("In-Reply-To: <{}>\r\n", answer.message_id),
        ),
    );
    rig.wait_for("dave", "INBOX", 2, WAIT);
    rig.wait_for("staff", "INBOX", 2, WAIT);
    daemon.wait_idle(&rig);
    assert_eq!(
        daemon.requests().len(),
        2,
        "one request by chat, one by email"
    );

    // Erased from the command line while `serve` runs.
    let out = Command::new(env!("CARGO_BIN_EXE_guichet"))
        .arg("--config")
        .arg(&daemon.config)
        .args(["requests", "erase", "--email", &zoe.to_uppercase()])
        .current_dir(daemon.data.path())
        .env_remove("GUICHET_CONFIG")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("2 request(s)"), "{said}");
    assert!(!said.contains(" 0 mail record(s)"), "{said}");

    // The old chat session speaks again: the running server must not write back what it
    // still remembers of the conversation.
    runtime.block_on(async {
        let reply = chat(&client, port, &session, "What is the SPOR SUPPORT Unit?").await;
        assert!(reply["text"].is_string(), "{reply}");
    });
    assert!(daemon.alive(), "{}", daemon.log_text());
    assert!(daemon.requests().is_empty());

    let db_dir = daemon.db().parent().unwrap().to_path_buf();
    let mut scanned = 0;
    for entry in std::fs::read_dir(&db_dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.starts_with("guichet.sqlite3") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        scanned += 1;
        let lower = bytes.to_ascii_lowercase();
        for needle in [zoe.as_str(), "quirion-tessier", "zoéline"] {
            assert!(
                !lower.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{name} still holds {needle:?}"
            );
        }
    }
    assert!(scanned >= 1, "no database file in {}", db_dir.display());
    let conn = rusqlite::Connection::open(daemon.db()).unwrap();
    for table in ["mail_inquiries", "mail_threads", "mail_outbox"] {
        let n: i64 = conn
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0, "{table} still holds rows about the person");
    }
}

/// A message from `tests/data/mail-cases/`, rewritten for the bench (domain
/// `guichet.test`, a fresh Message-ID) and, with `reply_to_id`, threaded to that email.
fn case(name: &str, fresh_id: &str, reply_to_id: Option<&str>) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/mail-cases")
        .join(name);
    let raw = String::from_utf8(std::fs::read(&path).unwrap())
        .unwrap()
        .replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap_or((raw.as_str(), ""));
    let mut lines: Vec<String> = head
        .lines()
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            !(l.starts_with("message-id:")
                || l.starts_with("in-reply-to:")
                || l.starts_with("references:"))
        })
        .map(|l| l.replace("unit.test", "guichet.test"))
        .collect();
    lines.push(format!("Message-ID: <{fresh_id}>"));
    if let Some(id) = reply_to_id {
        lines.push(format!("In-Reply-To: <{id}>"));
        lines.push(format!("References: <{id}>"));
    }
    format!(
        "{}\n\n{}",
        lines.join("\n"),
        body.replace("unit.test", "guichet.test")
    )
    .replace("\r\n", "\n")
    .replace('\n', "\r\n")
    .into_bytes()
}

/// Asks `question` as researcher@guichet.test; returns the Message-ID of guichet's answer.
fn answered_thread(b: &Bench, id: &str, subject: &str, question: &str) -> String {
    let raw = message(
        "Jane Researcher <researcher@guichet.test>",
        "contact@guichet.test",
        id,
        subject,
        question,
        "",
    );
    let handled = b.processor.handle(&raw, now()).unwrap();
    assert_eq!(handled.queued, 1, "{handled:?}");
    let sent = outbox(&b.db);
    let answer = MessageParser::default()
        .parse(&sent.last().unwrap().2)
        .unwrap();
    answer.message_id().unwrap().to_string()
}

#[test]
fn out_of_office_and_thank_you_replies_in_a_thread_are_kept_but_never_answered() {
    let b = processor("");
    let answer = answered_thread(
        &b,
        "q1@x",
        "Can the Unit fund my project?",
        "Can the Unit fund my project?",
    );
    let before = outbox(&b.db).len();
    for (i, name) in [
        "d_ooo_fr_threaded_no_headers.eml",
        "loop_autoresponder_reply.eml",
        "d2_ooo_en_unthreaded_no_headers.eml",
    ]
    .into_iter()
    .enumerate()
    {
        let threaded = (name != "d2_ooo_en_unthreaded_no_headers.eml").then_some(answer.as_str());
        let h = b
            .processor
            .handle(&case(name, &format!("ooo{i}@x"), threaded), now())
            .unwrap();
        assert!(
            matches!(h.outcome, Outcome::Ignored | Outcome::FollowUp),
            "{name}: {h:?}"
        );
        assert_eq!(h.queued, 0, "{name}");
    }
    assert_eq!(outbox(&b.db).len(), before, "no email at all");
}

#[test]
fn a_naive_auto_responder_exchanges_at_most_two_emails_in_ten_minutes_and_few_a_day() {
    // It answers every email it gets, at once, with the same text, which even asks
    // something; threaded, no auto-reply header. Ten minutes of it, then a day.
    let b = processor("replies_per_sender_per_hour = 1000");
    let mut last = answered_thread(&b, "start@bot", "Funding", "Can the Unit fund my project?");
    let mut clock = now();
    let mut sent_in_ten_minutes = 1;
    let mut n = 0;
    while clock < now() + time::Duration::days(1) {
        n += 1;
        clock += time::Duration::seconds(20);
        let auto = message(
            "Jane Researcher <researcher@guichet.test>",
            "contact@guichet.test",
            &format!("auto{n}@bot"),
            "Re: Funding",
            "I am away this week. Is your message urgent? Then call 555-0100.",
            &format!("In-Reply-To: <{last}>\r\n"),
        );
        let h = b.processor.handle(&auto, clock).unwrap();
        if h.queued > 0 {
            if clock <= now() + time::Duration::minutes(10) {
                sent_in_ten_minutes += h.queued;
            }
            let sent = outbox(&b.db);
            last = MessageParser::default()
                .parse(&sent.last().unwrap().2)
                .unwrap()
                .message_id()
                .unwrap()
                .to_string();
        }
    }
    assert!(
        sent_in_ten_minutes <= 2,
        "{sent_in_ten_minutes} emails in ten minutes"
    );
    let replies = outbox(&b.db)
        .iter()
        .filter(|(_, k, _)| k == "reply")
        .count();
    assert!(
        replies <= 4,
        "{replies} emails in a day to an auto-responder"
    );
}

#[test]
fn a_follow_up_question_is_answered_from_its_new_text_in_its_language() {
    let b = processor("");
    // Threaded Gmail reply: a new French question above 60 quoted English lines.
    let answer = answered_thread(
        &b,
        "q1@x",
        "Can the Unit fund my project?",
        "Can the Unit fund my project?",
    );
    let h = b
        .processor
        .handle(
            &case("c_gmail_reply_fr_long_quote.eml", "g1@x", Some(&answer)),
            now(),
        )
        .unwrap();
    assert_eq!(h.outcome, Outcome::Answered, "{h:?}");
    let reply = read(&String::from_utf8_lossy(&outbox(&b.db).pop().unwrap().2));
    assert_eq!(reply.language, "fr");
    assert!(
        reply.text.to_lowercase().contains("patient"),
        "{}",
        reply.text
    );
    // Unthreaded, under the old English subject: the new French text is the question.
    let h = b
        .processor
        .handle(
            &case("G2_newtext_subject_Re_old_EN_question.eml", "g2@x", None),
            now(),
        )
        .unwrap();
    assert_eq!(h.outcome, Outcome::Answered, "{h:?}");
    let reply = read(&String::from_utf8_lossy(&outbox(&b.db).pop().unwrap().2));
    assert_eq!(reply.language, "fr");
    assert!(
        reply.text.to_lowercase().contains("patient"),
        "{}",
        reply.text
    );
}

#[test]
fn empty_mail_reply_to_ourselves_and_our_plus_address_are_handled_without_replies() {
    let b = processor("");
    let h = b
        .processor
        .handle(&case("i2_empty_body_no_subject.eml", "e1@x", None), now())
        .unwrap();
    assert_eq!(
        (h.outcome, h.queued),
        (Outcome::Ignored, 0),
        "an empty message"
    );
    let h = b
        .processor
        .handle(&case("m2_reply_to_is_contact.eml", "m1@x", None), now())
        .unwrap();
    assert_eq!(
        (h.outcome, h.queued),
        (Outcome::Quarantined, 0),
        "a question whose Reply-To is ours waits for staff"
    );
    let h = b
        .processor
        .handle(&case("n3_spoof_from_contact_plus.eml", "n1@x", None), now())
        .unwrap();
    assert_eq!(
        (h.outcome, h.queued),
        (Outcome::Ignored, 0),
        "contact+help@ is us"
    );
    assert!(outbox(&b.db).is_empty());
}

#[test]
fn a_message_that_asks_nothing_gets_a_short_bilingual_note_once() {
    let b = processor("");
    let raw = message(
        "Jane Researcher <researcher@guichet.test>",
        "contact@guichet.test",
        "t1@x",
        "Test",
        "One\nTwo",
        "",
    );
    let h = b.processor.handle(&raw, now()).unwrap();
    assert_eq!((h.outcome, h.queued), (Outcome::Capabilities, 1), "{h:?}");
    let note = read(&String::from_utf8_lossy(&outbox(&b.db)[0].2));
    assert!(
        note.text.contains("front desk") && note.text.contains("guichet automatique"),
        "both languages: {}",
        note.text
    );
    assert!(
        !note.text.contains("could not find an answer"),
        "{}",
        note.text
    );
    // The same again in the thread: kept, not answered.
    let first = outbox(&b.db).remove(0).2;
    let note_id = MessageParser::default()
        .parse(&first)
        .unwrap()
        .message_id()
        .unwrap()
        .to_string();
    let again = message(
        "Jane Researcher <researcher@guichet.test>",
        "contact@guichet.test",
        "t2@x",
        "Re: Test",
        "Three",
        &format!("In-Reply-To: <{note_id}>\r\n"),
    );
    let h = b.processor.handle(&again, now()).unwrap();
    assert_eq!((h.outcome, h.queued), (Outcome::FollowUp, 0));
}

#[test]
fn with_a_trusted_mail_server_only_a_dmarc_pass_confirms_a_request() {
    let b = processor("trusted_authserv_id = \"mx.guichet.test\"");
    let answer = answered_thread(
        &b,
        "q1@x",
        "Letter of support",
        "How do I get a letter of support?",
    );
    let unverified = message(
        "Jane Researcher <researcher@guichet.test>",
        "contact@guichet.test",
        "c1@x",
        "Re: Letter of support",
        "CONFIRM",
        &format!(
            "In-Reply-To: <{answer}>\r\nAuthentication-Results: elsewhere.example; dmarc=pass\r\n"
        ),
    );
    assert_eq!(
        b.processor.handle(&unverified, now()).unwrap().outcome,
        Outcome::Quarantined
    );
    let verified = message(
        "Jane Researcher <researcher@guichet.test>",
        "contact@guichet.test",
        "c2@x",
        "Re: Letter of support",
        "CONFIRM",
        &format!(
            "In-Reply-To: <{answer}>\r\nAuthentication-Results: mx.guichet.test; spf=pass; dkim=pass; dmarc=pass header.from=guichet.test\r\n"
        ),
    );
    assert_eq!(
        b.processor.handle(&verified, now()).unwrap().outcome,
        Outcome::Logged
    );
}

// ----- guichet's folders: erasure and retention; large and oddly encoded mail ----------

/// Every message of guichet's three folders, as text.
fn own_folders(rig: &MailRig) -> Vec<(&'static str, String)> {
    ["guichet/answered", "guichet/sent", "guichet/quarantine"]
        .into_iter()
        .flat_map(|folder| {
            rig.fetch_all("contact", folder)
                .into_iter()
                .map(move |m| (folder, m))
        })
        .collect()
}

#[test]
fn an_erasure_while_serving_removes_the_person_s_mail_from_guichet_s_folders() {
    let rig = MailRig::start();
    let mut daemon = Daemon::new(&rig, false, "");
    daemon.start(&rig);
    let contact = rig.address("contact");
    let (alice, bob, dave) = (
        rig.address("alice"),
        rig.address("bob"),
        rig.address("dave"),
    );

    // Alice asks, is answered, confirms (a request, an acknowledgement, a staff notice).
    rig.send_raw(
        &alice,
        &[&contact],
        &message(
            &format!("Alice Martin <{alice}>"),
            &contact,
            "x1@alice.test",
            "Oncopole",
            "What is the Oncopole?",
            "",
        ),
    );
    let answer = read(&rig.wait_for("alice", "INBOX", 1, WAIT)[0]);
    rig.send_raw(
        &alice,
        &[&contact],
        &message(
            &format!("Alice Martin <{alice}>"),
            &contact,
            "x2@alice.test",
            "Re: Oncopole",
            "CONFIRM\nType: 1\nOrganization: McGill University",
            &format!("In-Reply-To: <{}>\r\n", answer.message_id),
        ),
    );
    rig.wait_for("alice", "INBOX", 2, WAIT);
    rig.wait_for("staff", "INBOX", 1, WAIT);
    // A question of hers set aside for staff (our own address as Reply-To)…
    rig.send_raw(
        &alice,
        &[&contact],
        &message(
            &alice,
            &contact,
            "x3@alice.test",
            "Funding",
            "Can the Unit fund my project?",
            &format!("Reply-To: {contact}\r\n"),
        ),
    );
    // …Dave's question with her in copy, and Bob's mail, which stays.
    rig.send_raw(
        &dave,
        &[&contact],
        &message(
            &dave,
            &contact,
            "d1@dave.test",
            "SPOR",
            "What is SPOR?",
            &format!("Cc: Alice <{alice}>\r\n"),
        ),
    );
    rig.send_raw(
        &bob,
        &[&contact],
        &message(&bob, &contact, "b1@bob.test", "SPOR", "What is SPOR?", ""),
    );
    rig.send_raw(
        &bob,
        &[&contact],
        &message(
            &bob,
            &contact,
            "b2@bob.test",
            "Funding",
            "Can the Unit fund my project?",
            &format!("Reply-To: {contact}\r\n"),
        ),
    );
    rig.wait_for("bob", "INBOX", 1, WAIT);
    rig.wait_for("dave", "INBOX", 1, WAIT);
    daemon.wait_idle(&rig);
    // Every email guichet sent is back as its copy: to alice (answer, acknowledgement),
    // about her (the staff notice), to dave, to bob.
    rig.wait_for("contact", "guichet/sent", 5, WAIT);
    daemon.wait_idle(&rig);
    let mentions = |rig: &MailRig, who: &str| -> Vec<&'static str> {
        own_folders(rig)
            .into_iter()
            .filter(|(_, m)| m.to_lowercase().contains(who))
            .map(|(folder, _)| folder)
            .collect()
    };
    let before = mentions(&rig, &alice);
    for folder in ["guichet/answered", "guichet/sent", "guichet/quarantine"] {
        assert!(
            before.contains(&folder),
            "alice's mail is in {folder}: {before:?}"
        );
    }
    let bobs_before = mentions(&rig, &bob);
    for folder in ["guichet/answered", "guichet/sent", "guichet/quarantine"] {
        assert!(
            bobs_before.contains(&folder),
            "bob's mail is in {folder}: {bobs_before:?}"
        );
    }

    let out = Command::new(env!("CARGO_BIN_EXE_guichet"))
        .arg("--config")
        .arg(&daemon.config)
        .args(["requests", "erase", "--email", &alice.to_uppercase()])
        .current_dir(daemon.data.path())
        .env_remove("GUICHET_CONFIG")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("1 queued mailbox erasure(s)"), "{said}");

    // The running channel does it, in every folder of guichet's, and keeps no trace.
    let deadline = Instant::now() + WAIT;
    loop {
        let left = mentions(&rig, &alice);
        if left.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "alice's mail is still in {left:?}\n{}",
            tail(&daemon.log_text())
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    assert!(daemon.alive());
    assert_eq!(
        mentions(&rig, &bob),
        bobs_before,
        "bob's mail is all still there"
    );
    assert!(
        rig.fetch_all("contact", "guichet/answered")
            .iter()
            .any(|m| m.contains("Message-ID: <b1@bob.test>")),
        "bob's question stays"
    );
    assert!(
        !rig.fetch_all("contact", "guichet/answered")
            .iter()
            .any(|m| m.contains("Message-ID: <d1@dave.test>")),
        "a message with her in copy goes"
    );
    assert_eq!(
        rig.count("dave", "INBOX"),
        1,
        "what others received is theirs"
    );
    let log = daemon.log_text();
    let line = log
        .lines()
        .find(|l| l.contains("erased a person's mail from guichet's folders"))
        .expect("the erasure is logged");
    assert!(line.contains("erasures=1"), "{line}");
    assert!(!line.contains("alice"), "counts only: {line}");
    let conn = rusqlite::Connection::open(daemon.db()).unwrap();
    let queued: i64 = conn
        .query_row("SELECT COUNT(*) FROM mail_mailbox_erasures", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(queued, 0, "the erasure is done and forgotten");
}

#[test]
fn mail_past_the_retention_period_leaves_guichet_s_folders_but_not_others() {
    // An old server (no IDLE, MOVE nor UIDPLUS): EXPUNGE after \Deleted.
    let rig = MailRig::start_basic();
    let mut daemon = Daemon::new(&rig, false, "");
    let config = std::fs::read_to_string(&daemon.config)
        .unwrap()
        .replace(
            "[web]\n",
            "[privacy]\nconversation_retention_days = 30\n[web]\n",
        )
        .replace("[mail.imap]\n", "[mail.imap]\npoll_seconds = 1\n");
    std::fs::write(&daemon.config, config).unwrap();
    let contact = rig.address("contact");
    let old_date = {
        let t = time::OffsetDateTime::now_utc() - time::Duration::days(45);
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        format!(
            "{:02}-{}-{} 10:00:00 +0000",
            t.day(),
            MONTHS[u8::from(t.month()) as usize - 1],
            t.year()
        )
    };
    let folders = ["guichet/answered", "guichet/sent", "guichet/quarantine"];
    for folder in folders {
        for (age, date) in [("old", old_date.as_str()), ("new", "")] {
            let raw = message(
                "someone@example.org",
                &contact,
                &format!("{age}-{}@example.org", folder.replace('/', "-")),
                &format!("{age} in {folder}"),
                "What is SPOR?",
                "",
            );
            if date.is_empty() {
                rig.save("contact", folder, &raw);
            } else {
                rig.append_dated("contact", folder, &raw, date);
            }
        }
        assert_eq!(rig.count("contact", folder), 2);
    }
    // An old message the Unit keeps in a folder of its own is not guichet's.
    let kept = message(
        "someone@example.org",
        &contact,
        "kept@example.org",
        "kept",
        "x",
        "",
    );
    rig.append_dated("contact", "Archive", &kept, &old_date);
    daemon.start(&rig);
    let deadline = Instant::now() + WAIT;
    while folders.iter().any(|f| rig.count("contact", f) != 1) {
        assert!(
            Instant::now() < deadline,
            "{:?}\n{}",
            folders.map(|f| rig.count("contact", f)),
            tail(&daemon.log_text())
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    for folder in folders {
        let left = rig.fetch_all("contact", folder);
        assert!(left[0].contains("Subject: new in"), "{folder}: {}", left[0]);
    }
    assert_eq!(rig.count("contact", "Archive"), 1);
    assert!(daemon
        .log_text()
        .contains("removed the mail past the retention period"));
}

/// A PDF-like attachment of `bytes` bytes (pseudo-random, fixed seed), in base64 lines.
fn pdf_like(bytes: usize) -> String {
    let mut data = b"%PDF-1.4\n".to_vec();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    while data.len() < bytes {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        data.extend_from_slice(&seed.to_le_bytes());
    }
    data.truncate(bytes);
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes / 3 * 4 + bytes / 57 * 2 + 8);
    for (i, chunk) in data.chunks(3).enumerate() {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * k)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
        if i % 19 == 18 {
            out.push_str("\r\n");
        }
    }
    out.push_str("\r\n");
    out
}

#[test]
fn an_email_over_the_size_limit_is_answered_from_its_text_and_its_attachment_noted() {
    let rig = MailRig::start();
    let mut daemon = Daemon::new(&rig, false, "");
    daemon.start(&rig);
    let contact = rig.address("contact");
    let alice = rig.address("alice");
    // The attachment first (some clients put it there), the question after it, a subject
    // that asks nothing: reading the beginning only would miss the question.
    let raw = format!(
        "From: Alice Martin <{alice}>\r\nTo: {contact}\r\nSubject: Documents\r\nMessage-ID: <big1@alice.test>\r\nDate: Thu, 26 Nov 2026 10:00:00 -0500\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"big\"\r\n\r\n--big\r\nContent-Type: application/pdf; name=\"protocol.pdf\"\r\nContent-Disposition: attachment; filename=\"protocol.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}--big\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello,\r\n\r\nWhat is the Oncopole?\r\n\r\nThanks,\r\nAlice\r\n--big--\r\n",
        pdf_like(6_000_000)
    );
    assert!(raw.len() > 6_000_000);
    rig.send_raw(&alice, &[&contact], raw.as_bytes());
    let reply = read(&rig.wait_for("alice", "INBOX", 1, WAIT)[0]);
    assert_eq!(reply.language, "en", "{}", reply.text);
    assert!(reply.text.contains("Oncopole"), "{}", reply.text);
    assert!(
        reply
            .text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .contains("not these attachments: protocol.pdf"),
        "the sender is told what was not read: {}",
        reply.text
    );
    daemon.wait_idle(&rig);
    assert!(
        daemon
            .log_text()
            .contains("its text is read, its attachments are not"),
        "{}",
        tail(&daemon.log_text())
    );
    let conn = rusqlite::Connection::open(daemon.db()).unwrap();
    let attachments: String = conn
        .query_row(
            "SELECT attachments FROM mail_inquiries WHERE sender = ?1",
            [&alice],
            |r| r.get(0),
        )
        .unwrap();
    assert!(attachments.contains("protocol.pdf"), "{attachments}");
    assert_eq!(rig.count("contact", "guichet/answered"), 1);
}

#[test]
fn a_message_in_an_unknown_charset_is_answered_without_replacement_characters() {
    let b = processor("");
    // Latin-1 bytes: rewritten byte by byte (`case` reads UTF-8).
    let raw = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/mail-cases/j_unknown_charset.eml"),
    )
    .unwrap();
    let lines: Vec<Vec<u8>> = raw
        .split(|&b| b == b'\n')
        .map(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let text = String::from_utf8_lossy(line);
            if text.to_ascii_lowercase().starts_with("message-id:") {
                b"Message-ID: <j1@x>".to_vec()
            } else if line.is_ascii() {
                text.replace("unit.test", "guichet.test").into_bytes()
            } else {
                line.to_vec()
            }
        })
        .collect();
    let raw = lines.join(&b"\r\n"[..]);
    let h = b.processor.handle(&raw, now()).unwrap();
    assert_eq!(h.queued, 1, "{h:?}");
    let reply = read(&String::from_utf8_lossy(&outbox(&b.db).pop().unwrap().2));
    assert!(!reply.subject.contains('\u{fffd}'), "{}", reply.subject);
    assert!(
        reply.subject.contains("Critères d'admissibilité"),
        "{}",
        reply.subject
    );
    assert!(!reply.text.contains('\u{fffd}'), "{}", reply.text);
    assert_eq!(reply.language, "fr");
}

#[test]
fn names_and_organizations_confirmed_by_email_lose_control_and_bidi_characters() {
    let b = processor("");
    let answer = answered_thread(
        &b,
        "q1@x",
        "Letter of support",
        "How do I get a letter of support?",
    );
    let confirm = message(
        "Jane Researcher <researcher@guichet.test>",
        "contact@guichet.test",
        "c1@x",
        "Re: Letter of support",
        "CONFIRM\nName: Jane \u{202e}rehcraeseR\nOrganization: Evil\u{2066} Corp\u{1b}[2J",
        &format!("In-Reply-To: <{answer}>\r\n"),
    );
    assert_eq!(
        b.processor.handle(&confirm, now()).unwrap().outcome,
        Outcome::Logged
    );
    let request = SqliteStore::open(&b.db)
        .unwrap()
        .list_requests(&RequestFilter::default())
        .unwrap()
        .remove(0);
    for text in [&request.requester_name, &request.organization] {
        assert!(
            !text.chars().any(guichet::text::is_unsafe_char),
            "{text:?} keeps a control or bidi character"
        );
    }
    assert!(
        request.organization.starts_with("Evil"),
        "{}",
        request.organization
    );
}

/// The feedback link after `label` in an answer's text part (`label <url>`).
fn feedback_link(text: &str, label: &str) -> String {
    let flat = text.replace("\r\n", "\n");
    let start = flat
        .find(&format!("{label} <"))
        .unwrap_or_else(|| panic!("no \"{label}\" link in:\n{text}"))
        + label.len()
        + 2;
    let rest: String = flat[start..]
        .chars()
        .take_while(|c| *c != '>')
        .filter(|c| !c.is_whitespace())
        .collect();
    rest
}

#[test]
fn the_feedback_link_of_an_answer_email_records_one_vote_and_opening_it_records_nothing() {
    let rig = MailRig::start();
    let mut daemon = Daemon::with_web(&rig, false, "", true);
    daemon.start(&rig);
    let contact = rig.address("contact");
    let alice = rig.address("alice");
    rig.send_raw(
        &alice,
        &[&contact],
        &message(
            &format!("Alice Martin <{alice}>"),
            &contact,
            "fb1@alice.test",
            "Oncopole",
            "Hello,\n\nWho created Oncopole?\n\nAlice Martin\n514 555-0100",
            "",
        ),
    );
    let answers = rig.wait_for("alice", "INBOX", 1, WAIT);
    let answer = read(&answers[0]);
    assert!(
        answer.text.contains("Did this answer your question?"),
        "the answer asks for feedback:\n{}",
        answer.text
    );
    let up = feedback_link(&answer.text, "This answered my question");
    let down = feedback_link(&answer.text, "It did not");
    let base = format!("http://127.0.0.1:{}/feedback/", daemon.web_port);
    assert!(
        up.starts_with(&base) && up.ends_with("?vote=up&lang=en"),
        "{up}"
    );
    assert!(
        down.starts_with(&base) && down.ends_with("?vote=down&lang=en"),
        "{down}"
    );
    for personal in ["alice", "Alice", "Martin", "555"] {
        assert!(!up.contains(personal), "no personal data in the link: {up}");
    }
    assert!(
        answer.html.contains(&up.replace('&', "&amp;")),
        "the HTML part has the link too"
    );

    let db = daemon.db();
    let votes = || {
        SqliteStore::open(&db)
            .unwrap()
            .questions_since(time::OffsetDateTime::now_utc().date() - time::Duration::days(1))
            .unwrap()
            .into_iter()
            .filter_map(|q| q.vote)
            .collect::<Vec<_>>()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        // A mail scanner opens both links: nothing is recorded.
        for link in [&up, &down] {
            let r = client.get(link.as_str()).send().await.unwrap();
            assert_eq!(r.status(), reqwest::StatusCode::OK);
            let page = r.text().await.unwrap();
            assert!(page.contains("method=\"post\""), "{page}");
        }
        assert!(votes().is_empty(), "opening a link records nothing");

        let action = up.split('?').next().unwrap().to_string();
        let post = |vote: &'static str| {
            client
                .post(action.as_str())
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("vote={vote}&lang=en"))
                .send()
        };
        let r = post("up").await.unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::OK);
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("your feedback is recorded"));
        let r = post("down").await.unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::CONFLICT, "single use");
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("A vote was already recorded for this answer. Thank you!"));
    });
    assert_eq!(
        votes(),
        [guichet::questions::Vote::Helpful],
        "one vote, the first"
    );
    let logged = SqliteStore::open(&db)
        .unwrap()
        .questions_since(time::OffsetDateTime::now_utc().date() - time::Duration::days(1))
        .unwrap();
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(logged[0].channel, guichet::requests::model::Channel::Email);
    assert!(
        !logged[0].passages.is_empty(),
        "the passages shown are kept"
    );
    for personal in ["Alice", "Martin", "555", "alice"] {
        assert!(
            !logged[0].text.contains(personal),
            "{personal} kept in {:?}",
            logged[0].text
        );
    }
}
