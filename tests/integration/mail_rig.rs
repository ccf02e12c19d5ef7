//! A real mail system on loopback for the mail-channel tests: Postfix (SMTP) delivering
//! over LMTP into Dovecot (IMAP with IDLE, IMAPS), started by `scripts/mail-rig` in a
//! private temporary directory and stopped when the [`MailRig`] is dropped.
//!
//! The servers must be installed (`dovecot-imapd dovecot-lmtpd postfix openssl`;
//! `.ci/run` installs them): without them [`MailRig::start`] panics, so the tests fail
//! rather than skip.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

const INSTALL_HINT: &str = "the mail tests need Dovecot and Postfix: apt-get install \
     --no-install-recommends dovecot-imapd dovecot-lmtpd postfix openssl";

/// A running Dovecot + Postfix pair on 127.0.0.1 (see `scripts/mail-rig`).
///
/// Connect to `127.0.0.1` (not `localhost`); for TLS use the server name `localhost` and
/// trust `ca_cert`. Any local part `@guichet.test` receives mail; IMAP login works for
/// `contact alice bob carol dave robot staff support postmaster user1..user9` and for
/// users added with [`MailRig::add_user`], all with `password`.
pub struct MailRig {
    /// The rig directory (short, under /tmp): logs in `log/`, maildirs in `mail/`.
    pub dir: PathBuf,
    /// Plain IMAP (STARTTLS offered, plaintext login allowed).
    pub imap_port: u16,
    /// IMAP over TLS.
    pub imaps_port: u16,
    /// SMTP: no auth from loopback, STARTTLS offered; relays only to `domain`.
    pub smtp_port: u16,
    /// PEM of the test CA that signed the servers' certificate.
    pub ca_cert: PathBuf,
    /// `guichet.test`.
    pub domain: String,
    /// The one password of every user.
    pub password: String,
    dovecot_conf: PathBuf,
    script: PathBuf,
    _tmp: TempDir,
}

fn script_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/mail-rig")
}

impl MailRig {
    /// Starts a fresh rig in a new temporary directory; panics (with the script's
    /// stderr and what to install) when it cannot.
    pub fn start() -> MailRig {
        MailRig::start_with(false)
    }

    /// A rig whose IMAP server announces no IDLE, MOVE nor UIDPLUS (an old server).
    pub fn start_basic() -> MailRig {
        MailRig::start_with(true)
    }

    fn start_with(basic: bool) -> MailRig {
        let script = script_path();
        let tmp = tempfile::Builder::new()
            .prefix("gm-")
            .tempdir_in("/tmp")
            .expect("a temporary directory under /tmp");
        let dir = tmp.path().to_path_buf();
        let output = Command::new(&script)
            .arg("start")
            .arg(&dir)
            .env("MAIL_RIG_BASIC_IMAP", if basic { "1" } else { "0" })
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        if !output.status.success() {
            // Stop whatever half-started before the temporary directory goes.
            let _ = Command::new(&script).arg("stop").arg(&dir).output();
            panic!(
                "scripts/mail-rig start failed ({}):\n{}\n{}\n({INSTALL_HINT})",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr),
            );
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let value = |key: &str| -> String {
            stdout
                .lines()
                .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
                .unwrap_or_else(|| panic!("scripts/mail-rig printed no {key}:\n{stdout}"))
                .to_string()
        };
        let port = |key: &str| -> u16 {
            value(key)
                .parse()
                .unwrap_or_else(|e| panic!("bad {key} from scripts/mail-rig: {e}"))
        };
        MailRig {
            imap_port: port("IMAP_PORT"),
            imaps_port: port("IMAPS_PORT"),
            smtp_port: port("SMTP_PORT"),
            ca_cert: PathBuf::from(value("CA_CERT")),
            domain: value("DOMAIN"),
            password: value("PASSWORD"),
            dovecot_conf: PathBuf::from(value("DOVECOT_CONF")),
            dir,
            script,
            _tmp: tmp,
        }
    }

    /// `user@guichet.test`.
    pub fn address(&self, user: &str) -> String {
        format!("{user}@{}", self.domain)
    }

    /// Lets `name` log in over IMAP too (anyone at the domain already receives mail).
    pub fn add_user(&self, name: &str) {
        let output = Command::new(&self.script)
            .arg("add-user")
            .arg(&self.dir)
            .arg(name)
            .stdin(Stdio::null())
            .output()
            .expect("scripts/mail-rig add-user runs");
        assert!(
            output.status.success(),
            "scripts/mail-rig add-user {name} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// The Postfix log (every delivery and bounce), for assertions and diagnostics.
    pub fn postfix_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log/postfix.log")).unwrap_or_default()
    }

    /// Polls the Postfix log until a line contains `needle` and returns that line;
    /// panics with the log after `timeout`.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let log = self.postfix_log();
            if let Some(line) = log.lines().find(|line| line.contains(needle)) {
                return line.to_string();
            }
            if Instant::now() >= deadline {
                panic!("no line with {needle:?} in the Postfix log after {timeout:?}:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The Dovecot log.
    pub fn dovecot_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log/dovecot.log")).unwrap_or_default()
    }

    /// Delivers the raw RFC 5322 message `raw` from `from` to `to` through the rig's
    /// Postfix, speaking SMTP by hand; panics with the server's reply on any error.
    /// Bare LF line ends become CRLF and lines starting with a dot are dot-stuffed.
    pub fn send_raw(&self, from: &str, to: &[&str], raw: &[u8]) {
        if let Err(e) = self.try_send_raw(from, to, raw) {
            panic!("SMTP to 127.0.0.1:{} failed: {e}", self.smtp_port);
        }
    }

    /// Like [`MailRig::send_raw`], returning the first unexpected reply as an error.
    pub fn try_send_raw(&self, from: &str, to: &[&str], raw: &[u8]) -> Result<(), String> {
        let stream = TcpStream::connect(("127.0.0.1", self.smtp_port))
            .map_err(|e| format!("connect: {e}"))?;
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .and_then(|_| stream.set_write_timeout(Some(Duration::from_secs(60))))
            .map_err(|e| e.to_string())?;
        let mut smtp = Smtp {
            reader: BufReader::new(stream.try_clone().map_err(|e| e.to_string())?),
            writer: stream,
        };
        smtp.expect("greeting", 220)?;
        smtp.command("EHLO tests.guichet.test", 250)?;
        let body = if raw.is_ascii() { "" } else { " BODY=8BITMIME" };
        smtp.command(&format!("MAIL FROM:<{from}>{body}"), 250)?;
        for rcpt in to {
            smtp.command(&format!("RCPT TO:<{rcpt}>"), 250)?;
        }
        smtp.command("DATA", 354)?;
        smtp.send(&smtp_data(raw))?;
        smtp.expect("end of data", 250)?;
        smtp.command("QUIT", 221)?;
        Ok(())
    }

    fn doveadm(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
        let mut command = Command::new("doveadm");
        command
            .arg("-c")
            .arg(&self.dovecot_conf)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            });
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run doveadm ({INSTALL_HINT}): {e}"));
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().expect("doveadm's stdin");
            pipe.write_all(input).expect("writing to doveadm");
        }
        child.wait_with_output().expect("doveadm runs")
    }

    /// Runs doveadm and panics on failure, unless its stderr says the mailbox is missing
    /// (then `None`).
    fn doveadm_ok(&self, args: &[&str], stdin: Option<&[u8]>) -> Option<Vec<u8>> {
        let output = self.doveadm(args, stdin);
        if output.status.success() {
            return Some(output.stdout);
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.contains("Mailbox doesn't exist") {
            return None;
        }
        panic!(
            "doveadm {} failed ({}): {stderr}",
            args.join(" "),
            output.status
        );
    }

    /// How many messages `mailbox` of `user` holds (0 when it does not exist).
    pub fn count(&self, user: &str, mailbox: &str) -> usize {
        let Some(out) = self.doveadm_ok(
            &["mailbox", "status", "-u", user, "messages", mailbox],
            None,
        ) else {
            return 0;
        };
        let out = String::from_utf8_lossy(&out);
        out.split_whitespace()
            .find_map(|field| field.strip_prefix("messages="))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("unexpected doveadm mailbox status output: {out:?}"))
    }

    /// The UIDs of the messages in `mailbox`, in order (empty when it does not exist).
    pub fn uids(&self, user: &str, mailbox: &str) -> Vec<u32> {
        let Some(out) = self.doveadm_ok(
            &["fetch", "-u", user, "uid", "mailbox", mailbox, "all"],
            None,
        ) else {
            return Vec::new();
        };
        String::from_utf8_lossy(&out)
            .lines()
            .filter_map(|line| line.strip_prefix("uid:"))
            .map(|uid| uid.trim().parse().expect("a numeric uid"))
            .collect()
    }

    /// The exact bytes of every message of `mailbox` (as stored: LF line ends).
    pub fn fetch_all_raw(&self, user: &str, mailbox: &str) -> Vec<Vec<u8>> {
        self.uids(user, mailbox)
            .into_iter()
            .filter_map(|uid| {
                let uid = uid.to_string();
                let out = self.doveadm_ok(
                    &["fetch", "-u", user, "text", "mailbox", mailbox, "uid", &uid],
                    None,
                )?;
                // The pager format: "text:\n" then the message, byte for byte. A message
                // expunged meanwhile gives an empty output.
                out.strip_prefix(b"text:\n").map(<[u8]>::to_vec)
            })
            .collect()
    }

    /// The text of every message of `mailbox` (invalid UTF-8 replaced; see
    /// [`MailRig::fetch_all_raw`] for the bytes).
    pub fn fetch_all(&self, user: &str, mailbox: &str) -> Vec<String> {
        self.fetch_all_raw(user, mailbox)
            .into_iter()
            .map(|raw| String::from_utf8_lossy(&raw).into_owned())
            .collect()
    }

    /// Polls until `mailbox` of `user` holds at least `n` messages and returns them all;
    /// panics with what it saw (and the Postfix log) after `timeout`.
    pub fn wait_for(&self, user: &str, mailbox: &str, n: usize, timeout: Duration) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let count = self.count(user, mailbox);
            if count >= n {
                return self.fetch_all(user, mailbox);
            }
            if Instant::now() >= deadline {
                panic!(
                    "{user}'s {mailbox} holds {count} message(s), not {n}, after {timeout:?}:\n{:#?}\n\
                     mailboxes: {:?}\n--- postfix log ---\n{}",
                    self.fetch_all(user, mailbox),
                    self.mailboxes(user),
                    self.postfix_log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Puts `raw` straight into `mailbox` of `user`, creating the mailbox if needed.
    pub fn save(&self, user: &str, mailbox: &str, raw: &[u8]) {
        if !mailbox.eq_ignore_ascii_case("INBOX") {
            let output = self.doveadm(&["mailbox", "create", "-u", user, mailbox], None);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                output.status.success() || stderr.contains("already exists"),
                "doveadm mailbox create {mailbox} failed: {stderr}"
            );
        }
        self.doveadm_ok(&["save", "-u", user, "-m", mailbox], Some(raw))
            .unwrap_or_else(|| panic!("doveadm save: no mailbox {mailbox}"));
    }

    /// Puts `raw` into `mailbox` of `user` over IMAP (APPEND), creating the mailbox if
    /// needed, with the internal date `internal_date` (`"07-Mar-2025 10:00:00 +0000"`):
    /// the date the server received it, which `SEARCH BEFORE` compares.
    pub fn append_dated(&self, user: &str, mailbox: &str, raw: &[u8], internal_date: &str) {
        let stream = TcpStream::connect(("127.0.0.1", self.imap_port)).expect("IMAP connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut reader = BufReader::new(stream);
        let read_line = |reader: &mut BufReader<TcpStream>| {
            let mut line = String::new();
            assert!(reader.read_line(&mut line).unwrap() > 0, "IMAP closed");
            line
        };
        let until_tagged = |reader: &mut BufReader<TcpStream>, tag: &str| loop {
            let line = read_line(reader);
            if line.starts_with(&format!("{tag} ")) {
                return line;
            }
        };
        read_line(&mut reader);
        let send = |reader: &mut BufReader<TcpStream>, bytes: &[u8]| {
            reader.get_mut().write_all(bytes).unwrap();
        };
        send(
            &mut reader,
            format!("l LOGIN {user} {}\r\n", self.password).as_bytes(),
        );
        let login = until_tagged(&mut reader, "l");
        assert!(login.starts_with("l OK"), "{login}");
        send(
            &mut reader,
            format!("c CREATE \"{mailbox}\"\r\n").as_bytes(),
        );
        until_tagged(&mut reader, "c");
        let raw = String::from_utf8_lossy(raw)
            .replace("\r\n", "\n")
            .replace('\n', "\r\n")
            .into_bytes();
        send(
            &mut reader,
            format!(
                "a APPEND \"{mailbox}\" (\\Seen) \"{internal_date}\" {{{}}}\r\n",
                raw.len()
            )
            .as_bytes(),
        );
        let go_on = read_line(&mut reader);
        assert!(go_on.starts_with('+'), "{go_on}");
        send(&mut reader, &raw);
        send(&mut reader, b"\r\n");
        let done = until_tagged(&mut reader, "a");
        assert!(done.starts_with("a OK"), "APPEND to {mailbox}: {done}");
        send(&mut reader, b"z LOGOUT\r\n");
    }

    /// Deletes every message of `mailbox` (nothing to do when it does not exist).
    pub fn expunge_all(&self, user: &str, mailbox: &str) {
        self.doveadm_ok(&["expunge", "-u", user, "mailbox", mailbox, "all"], None);
    }

    /// The mailboxes of `user` (`INBOX`, then the others; separator `/`).
    pub fn mailboxes(&self, user: &str) -> Vec<String> {
        let out = self
            .doveadm_ok(&["mailbox", "list", "-u", user], None)
            .unwrap_or_default();
        String::from_utf8_lossy(&out)
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_string)
            .collect()
    }
}

impl Drop for MailRig {
    fn drop(&mut self) {
        let result = Command::new(&self.script)
            .arg("stop")
            .arg(&self.dir)
            .stdin(Stdio::null())
            .output();
        match result {
            Ok(output) if output.status.success() => {}
            Ok(output) => eprintln!(
                "scripts/mail-rig stop {} failed: {}",
                self.dir.display(),
                String::from_utf8_lossy(&output.stderr)
            ),
            Err(e) => eprintln!("cannot run scripts/mail-rig stop: {e}"),
        }
        // The temporary directory is removed after this, with the maildirs.
    }
}

/// The DATA payload: CRLF line ends, dot-stuffed, ending with CRLF "." CRLF.
fn smtp_data(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + 64);
    let mut at_line_start = true;
    for (i, &byte) in raw.iter().enumerate() {
        if at_line_start && byte == b'.' {
            out.push(b'.');
        }
        at_line_start = false;
        match byte {
            b'\n' => {
                if i == 0 || raw[i - 1] != b'\r' {
                    out.push(b'\r');
                }
                out.push(b'\n');
                at_line_start = true;
            }
            b'\r' if raw.get(i + 1) != Some(&b'\n') => {
                // A bare CR: make it a line end.
                out.extend_from_slice(b"\r\n");
                at_line_start = true;
            }
            _ => out.push(byte),
        }
    }
    if !out.is_empty() && !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

struct Smtp {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Smtp {
    fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.writer
            .write_all(bytes)
            .and_then(|_| self.writer.flush())
            .map_err(|e| format!("write: {e}"))
    }

    fn command(&mut self, line: &str, code: u16) -> Result<String, String> {
        self.send(format!("{line}\r\n").as_bytes())?;
        self.expect(line, code)
    }

    /// Reads one (possibly multi-line) reply and checks its code.
    fn expect(&mut self, what: &str, code: u16) -> Result<String, String> {
        let mut reply = String::new();
        loop {
            let mut line = Vec::new();
            let n = (&mut self.reader)
                .take(4096)
                .read_until(b'\n', &mut line)
                .map_err(|e| format!("after {what}: read: {e} (so far: {reply:?})"))?;
            if n == 0 {
                return Err(format!(
                    "after {what}: connection closed (so far: {reply:?})"
                ));
            }
            let line = String::from_utf8_lossy(&line).into_owned();
            reply.push_str(&line);
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                break;
            }
        }
        let got: Option<u16> = reply.get(..3).and_then(|c| c.parse().ok());
        if got == Some(code) {
            Ok(reply)
        } else {
            Err(format!(
                "after {what}: expected {code}, got {:?}",
                reply.trim_end()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAIT: Duration = Duration::from_secs(30);

    fn message(from: &str, to: &str, subject: &str, body: &str) -> Vec<u8> {
        format!(
            "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\n\
             Message-ID: <{}@tests.guichet.test>\r\nMIME-Version: 1.0\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
            subject.replace(' ', "-")
        )
        .into_bytes()
    }

    #[test]
    fn smtp_message_arrives_in_the_inbox_with_its_subject() {
        let rig = MailRig::start();
        let alice = rig.address("alice");
        let raw = message(
            "someone@customer.example",
            &alice,
            "Question about opening hours",
            "Hello,\r\n.a line starting with a dot\r\n..two dots\r\nBye",
        );
        rig.send_raw("someone@customer.example", &[&alice], &raw);
        let got = rig.wait_for("alice", "INBOX", 1, WAIT);
        assert_eq!(got.len(), 1);
        assert!(
            got[0].contains("\nSubject: Question about opening hours\n"),
            "{}",
            got[0]
        );
        assert!(got[0].contains("\n.a line starting with a dot\n..two dots\nBye\n"));
        assert!(got[0].contains("Delivered-To: alice@guichet.test"));
        assert_eq!(rig.count("bob", "INBOX"), 0);
        // Full addresses and upper case name the same user.
        assert_eq!(rig.count("alice@guichet.test", "INBOX"), 1);
    }

    #[test]
    fn eight_bit_bytes_arrive_intact() {
        let rig = MailRig::start();
        let bob = rig.address("bob");
        // A raw UTF-8 subject and an ISO-8859-1 body, both unencoded 8-bit.
        let mut raw = format!(
            "From: Zoë <zoe@customer.example>\r\nTo: {bob}\r\n\
             Subject: Où est la gare ? Ça déménage — ÄÖÜ\r\nMIME-Version: 1.0\r\n\
             Content-Type: text/plain; charset=iso-8859-1\r\n\
             Content-Transfer-Encoding: 8bit\r\n\r\n"
        )
        .into_bytes();
        raw.extend_from_slice(b"Caf\xe9 cr\xe8me, \xe0 bient\xf4t.\r\n");
        rig.send_raw("zoe@customer.example", &[&bob], &raw);
        rig.wait_for("bob", "INBOX", 1, WAIT);
        let got = rig.fetch_all_raw("bob", "INBOX");
        assert_eq!(got.len(), 1);
        let utf8_subject = "Subject: Où est la gare ? Ça déménage — ÄÖÜ\n".as_bytes();
        assert!(
            got[0]
                .windows(utf8_subject.len())
                .any(|w| w == utf8_subject),
            "{}",
            String::from_utf8_lossy(&got[0])
        );
        assert!(got[0].ends_with(b"\n\nCaf\xe9 cr\xe8me, \xe0 bient\xf4t.\n"));
        let from = "From: Zoë <zoe@customer.example>\n".as_bytes();
        assert!(got[0].windows(from.len()).any(|w| w == from));
    }

    #[test]
    fn mail_to_an_outside_domain_bounces_locally() {
        let rig = MailRig::start();
        let carol = rig.address("carol");
        // One copy for carol, one for the outside world: only carol's arrives.
        let raw = message("x@elsewhere.test", "someone@example.com", "outside", "hi");
        rig.send_raw("x@elsewhere.test", &["someone@example.com", &carol], &raw);
        rig.wait_for("carol", "INBOX", 1, WAIT);
        // Sent by a user of the domain: the bounce comes back to that user.
        let raw = message(&rig.address("dave"), "other@example.org", "outside 2", "hi");
        rig.send_raw(&rig.address("dave"), &["other@example.org"], &raw);
        let bounce = rig.wait_for("dave", "INBOX", 1, WAIT);
        assert!(bounce[0].contains("MAILER-DAEMON"), "{}", bounce[0]);
        assert!(
            bounce[0].contains("outside mail is disabled"),
            "{}",
            bounce[0]
        );

        for outside in ["someone@example.com", "other@example.org"] {
            let line = rig.wait_for_log(&format!("to=<{outside}>"), WAIT);
            assert!(
                line.contains("/error[") && line.contains("relay=none"),
                "{line}"
            );
            assert!(line.contains("status=bounced"), "{line}");
        }
        let log = rig.postfix_log();
        assert!(!log.contains("/smtp["), "the SMTP client ran:\n{log}");
        // The bounce to the outside sender is dropped, not delivered to anyone.
        assert_eq!(rig.count("postmaster", "INBOX"), 0);
        assert_eq!(rig.count("x", "INBOX"), 0);
    }

    #[test]
    fn two_rigs_run_side_by_side() {
        let one = MailRig::start();
        let two = MailRig::start();
        assert_ne!(one.smtp_port, two.smtp_port);
        assert_ne!(one.imap_port, two.imap_port);
        let raw1 = message(
            "a@customer.example",
            "alice@guichet.test",
            "for rig one",
            "1",
        );
        let raw2 = message(
            "a@customer.example",
            "alice@guichet.test",
            "for rig two",
            "2",
        );
        one.send_raw("a@customer.example", &[&one.address("alice")], &raw1);
        two.send_raw("a@customer.example", &[&two.address("alice")], &raw2);
        let got1 = one.wait_for("alice", "INBOX", 1, WAIT);
        let got2 = two.wait_for("alice", "INBOX", 1, WAIT);
        assert_eq!(got1.len(), 1);
        assert_eq!(got2.len(), 1);
        assert!(got1[0].contains("Subject: for rig one"));
        assert!(got2[0].contains("Subject: for rig two"));
        drop(one);
        // The other keeps running.
        two.send_raw("a@customer.example", &[&two.address("alice")], &raw1);
        two.wait_for("alice", "INBOX", 2, WAIT);
    }

    #[test]
    fn save_count_fetch_and_expunge() {
        let rig = MailRig::start();
        assert_eq!(rig.count("staff", "INBOX"), 0);
        assert_eq!(rig.count("staff", "Archive/2026"), 0);
        assert!(rig.fetch_all("staff", "Nowhere").is_empty());
        rig.expunge_all("staff", "Nowhere");

        rig.save("staff", "INBOX", b"Subject: one\n\nfirst\n");
        rig.save("staff", "INBOX", b"Subject: two\r\n\r\nsecond\r\n.dot\r\n");
        rig.save("staff", "Archive/2026", b"Subject: kept\n\nthird");
        assert_eq!(rig.count("staff", "INBOX"), 2);
        assert_eq!(rig.count("staff", "Archive/2026"), 1);
        assert_eq!(
            rig.fetch_all("staff", "INBOX"),
            vec![
                "Subject: one\n\nfirst\n".to_string(),
                "Subject: two\n\nsecond\n.dot\n".to_string()
            ]
        );
        assert_eq!(
            rig.fetch_all("staff", "Archive/2026"),
            vec!["Subject: kept\n\nthird".to_string()]
        );
        let boxes = rig.mailboxes("staff");
        assert!(boxes.contains(&"INBOX".to_string()), "{boxes:?}");
        assert!(boxes.contains(&"Archive/2026".to_string()), "{boxes:?}");

        rig.expunge_all("staff", "INBOX");
        assert_eq!(rig.count("staff", "INBOX"), 0);
        assert_eq!(rig.count("staff", "Archive/2026"), 1);
        // Delivery still works after an expunge, and UIDs go on.
        rig.send_raw(
            "c@customer.example",
            &[&rig.address("staff")],
            &message("c@customer.example", "staff@guichet.test", "after", "x"),
        );
        let got = rig.wait_for("staff", "INBOX", 1, WAIT);
        assert!(got[0].contains("Subject: after"));
        assert_eq!(rig.uids("staff", "INBOX"), vec![3]);
    }

    /// One IMAP exchange by hand: sends `tag command`, returns the lines up to the
    /// tagged reply.
    fn imap(stream: &mut BufReader<TcpStream>, tag: &str, command: &str) -> Vec<String> {
        stream
            .get_mut()
            .write_all(format!("{tag} {command}\r\n").as_bytes())
            .unwrap();
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            assert!(
                stream.read_line(&mut line).unwrap() > 0,
                "closed: {lines:?}"
            );
            let done = line.starts_with(&format!("{tag} "));
            lines.push(line);
            if done {
                return lines;
            }
        }
    }

    #[test]
    fn imap_login_idle_and_added_users() {
        let rig = MailRig::start();
        let connect = || {
            let stream = TcpStream::connect(("127.0.0.1", rig.imap_port)).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(30)))
                .unwrap();
            let mut reader = BufReader::new(stream);
            let mut greeting = String::new();
            reader.read_line(&mut greeting).unwrap();
            assert!(greeting.starts_with("* OK"), "{greeting}");
            assert!(greeting.contains("STARTTLS"), "{greeting}");
            reader
        };
        let mut c = connect();
        let ok = |lines: &[String]| lines.last().unwrap().split(' ').nth(1) == Some("OK");
        let login = imap(&mut c, "a1", &format!("LOGIN alice {}", rig.password));
        assert!(ok(&login), "{login:?}");
        let caps = imap(&mut c, "a2", "CAPABILITY");
        assert!(caps[0].contains(" IDLE"), "{caps:?}");
        let select = imap(&mut c, "a3", "SELECT INBOX");
        assert!(ok(&select), "{select:?}");
        imap(&mut c, "a4", "LOGOUT");

        // A wrong password fails, and does not slow the next login down (no penalty).
        let mut c = connect();
        let bad = imap(&mut c, "b1", "LOGIN alice wrong");
        assert!(!ok(&bad), "{bad:?}");
        let good = imap(
            &mut c,
            "b2",
            &format!("LOGIN alice@guichet.test {}", rig.password),
        );
        assert!(ok(&good), "{good:?}");

        // A new user can log in once added.
        let mut c = connect();
        let before = imap(&mut c, "c1", &format!("LOGIN newcomer {}", rig.password));
        assert!(!ok(&before), "{before:?}");
        rig.add_user("newcomer");
        rig.add_user("newcomer");
        let after = imap(&mut c, "c2", &format!("LOGIN newcomer {}", rig.password));
        assert!(ok(&after), "{after:?}");
    }

    /// `openssl s_client` against 127.0.0.1:port, trusting only the rig's CA.
    fn verify_tls(rig: &MailRig, port: u16, starttls: Option<&str>) {
        let mut command = Command::new("openssl");
        command
            .arg("s_client")
            .arg("-connect")
            .arg(format!("127.0.0.1:{port}"))
            .arg("-servername")
            .arg("localhost")
            .arg("-verify_hostname")
            .arg("localhost")
            .arg("-CAfile")
            .arg(&rig.ca_cert)
            .arg("-verify_return_error");
        if let Some(protocol) = starttls {
            command.arg("-starttls").arg(protocol);
        }
        let output = command.stdin(Stdio::null()).output().expect("openssl runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("Verify return code: 0 (ok)"),
            "TLS on port {port} ({starttls:?}) not verified: {}\n{stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }

    #[test]
    fn tls_certificates_are_signed_by_the_rig_ca() {
        let rig = MailRig::start();
        verify_tls(&rig, rig.imaps_port, None);
        verify_tls(&rig, rig.imap_port, Some("imap"));
        verify_tls(&rig, rig.smtp_port, Some("smtp"));
        // Another rig's CA is not trusted.
        let other = MailRig::start();
        let output = Command::new("openssl")
            .args(["s_client", "-connect"])
            .arg(format!("127.0.0.1:{}", rig.imaps_port))
            .arg("-CAfile")
            .arg(&other.ca_cert)
            .arg("-verify_return_error")
            .stdin(Stdio::null())
            .output()
            .expect("openssl runs");
        assert!(
            !String::from_utf8_lossy(&output.stdout).contains("Verify return code: 0 (ok)"),
            "a foreign CA was accepted"
        );
    }

    #[test]
    fn smtp_errors_carry_the_server_reply() {
        let rig = MailRig::start();
        let err = rig
            .try_send_raw("a@customer.example", &["bad address"], b"Subject: x\n\nx\n")
            .unwrap_err();
        assert!(err.contains("RCPT TO:<bad address>"), "{err}");
        assert!(err.contains("expected 250, got \"5"), "{err}");
    }

    #[test]
    fn smtp_data_is_crlf_and_dot_stuffed() {
        assert_eq!(smtp_data(b"a\n.b\r\n..c"), b"a\r\n..b\r\n...c\r\n.\r\n");
        assert_eq!(smtp_data(b".\n"), b"..\r\n.\r\n");
        assert_eq!(smtp_data(b""), b".\r\n");
    }
}
