//! Benchmark of the mail channel against real servers: `guichet serve` (release build)
//! reads a private Dovecot over IMAP IDLE and answers through a private Postfix, both
//! started by `scripts/mail-rig` on loopback.
//!
//! 1. Latency: messages sent one at a time; the time from the moment Postfix accepted a
//!    message to the moment guichet's reply is in the sender's mailbox (p50, p95).
//! 2. Burst: N messages (default 1,000) delivered as fast as possible; the time from the
//!    first delivery until every reply is in the sender's mailbox.
//!
//! ```sh
//! cargo bench --bench mail_burst
//! ```
//!
//! Knobs: `MAIL_BURST` (messages in the burst, default 1000, at most 5000),
//! `MAIL_LATENCY_SAMPLES` (default 40, at most 200). Must run as root (the rig starts
//! Dovecot and Postfix); needs the packages `.ci/run` installs.

#[path = "../tests/integration/mail_rig.rs"]
mod mail_rig;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mail_rig::MailRig;

fn knob(name: &str, default: usize, max: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
        .clamp(1, max)
}

fn message(from: &str, to: &str, id: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: Question\r\nMessage-ID: <{id}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

const QUESTIONS: [&str; 6] = [
    "What is the SPOR SUPPORT Unit?",
    "Qu'est-ce que le Réseau-1 Québec ?",
    "How do I make a request?",
    "Who funds the Unit?",
    "Quels sont les types de demandes ?",
    "What is the Oncopole?",
];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    let burst = knob("MAIL_BURST", 1000, 5000);
    let samples = knob("MAIL_LATENCY_SAMPLES", 40, 200);
    let rig = MailRig::start();
    let data = tempfile::TempDir::new().unwrap();
    let config = data.path().join("guichet.toml");
    std::fs::write(
        &config,
        format!(
            r#"data_dir = {data:?}
[knowledge]
dir = {knowledge:?}
[web]
listen = "127.0.0.1:0"
[mail]
enabled = true
address = "contact@{domain}"
replies_per_sender_per_hour = 1000
identical_replies_per_day = 100000
replies_per_minute = 100000
[mail.imap]
host = "127.0.0.1"
port = {imap}
security = "plain"
username = "contact"
[mail.smtp]
host = "127.0.0.1"
port = {smtp}
security = "plain"
"#,
            data = data.path().join("data").display().to_string(),
            knowledge = concat!(env!("CARGO_MANIFEST_DIR"), "/knowledge"),
            domain = rig.domain,
            imap = rig.imap_port,
            smtp = rig.smtp_port,
        ),
    )
    .unwrap();
    let daemon = Killed(
        Command::new(env!("CARGO_BIN_EXE_guichet"))
            .arg("--config")
            .arg(&config)
            .arg("serve")
            .env("GUICHET_IMAP_PASSWORD", &rig.password)
            .env("RUST_LOG", "warn")
            .env_remove("GUICHET_CONFIG")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("guichet serve starts"),
    );
    let contact = rig.address("contact");

    // Warm-up: the first round trip also waits for the index and the IMAP login.
    let warm = rig.address("warm");
    rig.send_raw(
        &warm,
        &[&contact],
        &message(&warm, &contact, "warm@bench", QUESTIONS[0]),
    );
    rig.wait_for("warm", "INBOX", 1, Duration::from_secs(120));

    let who = rig.address("latency");
    let mut latencies = Vec::with_capacity(samples);
    for i in 0..samples {
        let body = QUESTIONS[i % QUESTIONS.len()];
        rig.send_raw(
            &who,
            &[&contact],
            &message(&who, &contact, &format!("lat{i}@bench"), body),
        );
        let accepted = Instant::now();
        while rig.count("latency", "INBOX") < i + 1 {
            assert!(
                accepted.elapsed() < Duration::from_secs(60),
                "no reply within 60 s"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        latencies.push(accepted.elapsed());
    }
    latencies.sort();

    let who = rig.address("burst");
    let start = Instant::now();
    for i in 0..burst {
        let body = QUESTIONS[i % QUESTIONS.len()];
        rig.send_raw(
            &who,
            &[&contact],
            &message(&who, &contact, &format!("burst{i}@bench"), body),
        );
    }
    let delivered = start.elapsed();
    while rig.count("burst", "INBOX") < burst {
        assert!(
            start.elapsed() < Duration::from_secs(600),
            "the burst was not answered within 10 minutes"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let answered = start.elapsed();
    drop(daemon);

    println!("mail_burst: guichet serve (release), Dovecot IMAP IDLE + Postfix on loopback");
    println!(
        "  latency, delivery -> reply in the sender's mailbox, {samples} messages one at a time: p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms",
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.95).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3,
    );
    println!(
        "  burst: {burst} messages delivered in {:.1} s; all {burst} answered {:.1} s after the first was delivered ({:.0} answers/s)",
        delivered.as_secs_f64(),
        answered.as_secs_f64(),
        burst as f64 / answered.as_secs_f64()
    );
}

/// The daemon, killed when dropped: also when the bench panics, so no `guichet serve` is
/// left running after a failed run.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
