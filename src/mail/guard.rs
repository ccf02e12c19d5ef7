//! Decides whether a message may be answered: delivery reports are recorded, and robots,
//! mailing lists, auto-replies, loops and guichet's own mail are never answered.

use std::fmt;

use super::parse::{Inbound, Report};

/// What to do with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A person wrote: it may be answered.
    Answer,
    /// Never answered, for this reason.
    Ignore(Skip),
    /// A delivery-status or disposition report: recorded, never answered.
    Bounce(Report),
    /// A person seems to have written, but something is wrong with who: set aside in the
    /// quarantine folder for staff, with the reason, never answered.
    SetAside(Skip),
}

/// Why a message is not answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// `Auto-Submitted` other than `no` (the lowercased value).
    AutoSubmitted(String),
    /// `Precedence: bulk`, `list`, `junk` or `auto_reply` (the lowercased value).
    Precedence(String),
    /// `List-Id` or `List-Unsubscribe` present.
    MailingList,
    /// `X-Auto-Response-Suppress` asks for no automatic reply.
    AutoResponseSuppressed,
    /// Another auto-reply header (`X-Autoreply`, `X-Autorespond`…) is present.
    AutoReplyHeader,
    /// `X-Loop` carries one of guichet's own addresses.
    LoopDetected,
    /// The null Return-Path `<>`: sent by a mail system.
    EmptyReturnPath,
    /// The reply would go to a robot address (the address).
    RobotSender(String),
    /// The sender or the reply address is one of guichet's own addresses.
    OwnAddress,
    /// No usable From address.
    NoSender,
    /// The subject says it is an automatic reply ("Réponse automatique", "Out of office"…)
    /// even though no header does.
    AutoReplySubject,
    /// A person's message whose Reply-To is guichet's own address: answering would mail
    /// guichet itself, and ignoring it would lose a question. For staff.
    ReplyToIsOurs,
}

impl Skip {
    /// A stable code, stored in the database.
    pub fn code(&self) -> &'static str {
        match self {
            Skip::AutoSubmitted(_) => "auto-submitted",
            Skip::Precedence(_) => "precedence",
            Skip::MailingList => "mailing-list",
            Skip::AutoResponseSuppressed => "auto-response-suppressed",
            Skip::AutoReplyHeader => "auto-reply-header",
            Skip::LoopDetected => "loop-detected",
            Skip::EmptyReturnPath => "empty-return-path",
            Skip::RobotSender(_) => "robot-sender",
            Skip::OwnAddress => "own-address",
            Skip::NoSender => "no-sender",
            Skip::AutoReplySubject => "auto-reply-subject",
            Skip::ReplyToIsOurs => "reply-to-is-ours",
        }
    }
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Skip::AutoSubmitted(v) => write!(
                f,
                "the message was sent automatically (Auto-Submitted: {v}); automatic mail is never answered"
            ),
            Skip::Precedence(v) => write!(
                f,
                "the message is bulk or automatic mail (Precedence: {v}); it is never answered"
            ),
            Skip::MailingList => f.write_str(
                "the message came through a mailing list (List-Id or List-Unsubscribe header); lists are never answered",
            ),
            Skip::AutoResponseSuppressed => f.write_str(
                "the sender asked for no automatic reply (X-Auto-Response-Suppress header)",
            ),
            Skip::AutoReplyHeader => f.write_str(
                "the message is an automatic reply (X-Autoreply or a similar header); answering it could start a loop",
            ),
            Skip::LoopDetected => f.write_str(
                "the message already went through guichet (X-Loop carries one of its own addresses): a mail loop",
            ),
            Skip::EmptyReturnPath => f.write_str(
                "the message has an empty Return-Path (<>), so a mail system sent it; it is never answered",
            ),
            Skip::RobotSender(a) => write!(
                f,
                "the reply would go to a robot address ({a}) that nobody reads"
            ),
            Skip::OwnAddress => f.write_str(
                "the message comes from one of guichet's own addresses; answering it would be a loop",
            ),
            Skip::NoSender => f.write_str(
                "the message has no usable sender address (From) to answer",
            ),
            Skip::AutoReplySubject => f.write_str(
                "the subject says the message is an automatic reply (out of office, réponse automatique…); answering it could start a loop",
            ),
            Skip::ReplyToIsOurs => f.write_str(
                "a person wrote, but the Reply-To is guichet's own address: set aside for staff to answer by hand",
            ),
        }
    }
}

/// Precedence values that mark bulk or automatic mail.
const BULK_PRECEDENCE: &[&str] = &["bulk", "list", "junk", "auto_reply", "auto-reply"];

/// Subject openings of automatic replies, folded (no accents, lowercase), in the
/// languages the Unit's correspondents' mail systems use.
const AUTO_REPLY_SUBJECTS: &[&str] = &[
    "reponse automatique",
    "reponse auto",
    "absence du bureau",
    "absent du bureau",
    "message d'absence",
    "avis d'absence",
    "automatic reply",
    "auto reply",
    "auto-reply",
    "autoreply",
    "auto response",
    "auto-response",
    "automatic response",
    "out of office",
    "out-of-office",
    "out of the office",
    "away from the office",
    "autosvar",
    "automatisch antwoord",
    "automatische antwort",
    "abwesenheitsnotiz",
    "respuesta automatica",
    "risposta automatica",
    "resposta automatica",
];

/// Whether `subject` announces an automatic reply ("Réponse automatique : Re: …",
/// "Automatic reply: …", "Out of Office: …", "[Auto-Reply] …").
pub fn is_auto_reply_subject(subject: &str) -> bool {
    let folded = crate::text::fold(subject);
    let folded = folded.trim_start_matches(|c: char| c == '[' || c == '(' || c.is_whitespace());
    AUTO_REPLY_SUBJECTS.iter().any(|s| {
        folded.starts_with(s)
            || folded.contains(&format!(": {s}"))
            || folded.contains(&format!("] {s}"))
    })
}

/// Whether `address` is one of `own` (lowercased addresses): case is ignored, and so is a
/// `+tag` in the local part (`contact+help@…` is the contact mailbox).
pub fn is_own_address(address: &str, own: &[String]) -> bool {
    let base = |a: &str| -> Option<(String, String)> {
        let a = a.trim().trim_start_matches('<').trim_end_matches('>');
        let (local, domain) = a.rsplit_once('@')?;
        let local = local.split('+').next().unwrap_or_default();
        Some((local.to_lowercase(), domain.to_lowercase()))
    };
    let Some(address) = base(address) else {
        return false;
    };
    own.iter().any(|o| base(o).as_ref() == Some(&address))
}

/// Decides whether `message` may be answered. `own_addresses` are guichet's addresses,
/// lowercased. The checks run in this order: a delivery report, `Auto-Submitted`,
/// `Precedence`, list headers, `X-Auto-Response-Suppress`, other auto-reply headers,
/// `X-Loop`, an empty Return-Path, guichet's own address as From, no usable From, an
/// automatic-reply subject, guichet's own address as Reply-To (set aside for staff), and
/// a robot From. Who wrote is From: Reply-To never decides.
pub fn classify(message: &Inbound, own_addresses: &[String]) -> Verdict {
    let s = &message.signals;
    if let Some(report) = &s.report {
        return Verdict::Bounce(report.clone());
    }
    if let Some(value) = &s.auto_submitted {
        let token = value.split(';').next().unwrap_or_default().trim();
        if token != "no" {
            return Verdict::Ignore(Skip::AutoSubmitted(value.clone()));
        }
    }
    if let Some(value) = &s.precedence {
        let token = value.split(';').next().unwrap_or_default().trim();
        if BULK_PRECEDENCE.contains(&token) {
            return Verdict::Ignore(Skip::Precedence(value.clone()));
        }
    }
    if s.list_id || s.list_unsubscribe {
        return Verdict::Ignore(Skip::MailingList);
    }
    if let Some(value) = &s.auto_response_suppress {
        let value = value.trim();
        if !value.is_empty() && !value.eq_ignore_ascii_case("none") {
            return Verdict::Ignore(Skip::AutoResponseSuppressed);
        }
    }
    if s.auto_reply_hint {
        return Verdict::Ignore(Skip::AutoReplyHeader);
    }
    let is_own = |address: &str| is_own_address(address, own_addresses);
    let loops = s.x_loop.iter().any(|value| {
        value
            .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '<' | '>' | '"'))
            .any(|token| !token.is_empty() && is_own(token))
    });
    if loops {
        return Verdict::Ignore(Skip::LoopDetected);
    }
    if s.return_path
        .as_deref()
        .is_some_and(|p| p.trim().is_empty())
    {
        return Verdict::Ignore(Skip::EmptyReturnPath);
    }
    let from = message.from.as_ref().map(|m| m.address.as_str());
    if from.is_some_and(is_own) {
        return Verdict::Ignore(Skip::OwnAddress);
    }
    let Some(from) = from.filter(|a| !a.trim().is_empty()) else {
        return Verdict::Ignore(Skip::NoSender);
    };
    if is_auto_reply_subject(&message.subject) {
        return Verdict::Ignore(Skip::AutoReplySubject);
    }
    if is_robot_address(from) {
        return Verdict::Ignore(Skip::RobotSender(from.to_string()));
    }
    if message
        .reply_to
        .as_ref()
        .is_some_and(|r| is_own(&r.address))
    {
        return Verdict::SetAside(Skip::ReplyToIsOurs);
    }
    Verdict::Answer
}

/// Whether `address` belongs to a robot: its local part (case-insensitive, separators
/// `-` `_` `.` ignored, a `+tag` ignored) is mailer-daemon, postmaster, no-reply,
/// do-not-reply, ne-pas-répondre, bounce(s), or starts with "bounce", "noreply",
/// "donotreply" or "nepasrepondre".
pub fn is_robot_address(address: &str) -> bool {
    let address = address.trim();
    let address = address.strip_prefix('<').unwrap_or(address);
    let local = address.rsplit_once('@').map_or(address, |(l, _)| l);
    let local = local.trim_matches('"');
    let local = local.split('+').next().unwrap_or_default();
    let squeezed: String = crate::text::fold(local)
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | '.' | ' '))
        .collect();
    if squeezed.is_empty() {
        return false;
    }
    const EXACT: &[&str] = &[
        "mailerdaemon",
        "postmaster",
        "noreply",
        "donotreply",
        "nepasrepondre",
        "bounce",
        "bounces",
    ];
    const PREFIXES: &[&str] = &[
        "bounce",
        "noreply",
        "donotreply",
        "nepasrepondre",
        "mailerdaemon",
    ];
    EXACT.contains(&squeezed.as_str()) || PREFIXES.iter().any(|p| squeezed.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::parse::{self, Limits, ReportKind};

    fn own() -> Vec<String> {
        vec!["guichet@example.ca".into(), "support@example.ca".into()]
    }

    fn message(headers: &str) -> Inbound {
        let subject = if headers.contains("Subject:") {
            ""
        } else {
            "\nSubject: Question"
        };
        let raw = format!("{headers}{subject}\n\nBonjour, une question.\n").replace('\n', "\r\n");
        match parse::parse(raw.as_bytes(), &Limits::default()) {
            Ok(m) => m,
            Err(e) => panic!("{e}"),
        }
    }

    fn verdict(headers: &str) -> Verdict {
        classify(&message(headers), &own())
    }

    const PERSON: &str =
        "From: Marie Tremblay <marie@umontreal.ca>\nReturn-Path: <marie@umontreal.ca>";

    #[test]
    fn an_ordinary_person_is_answered() {
        assert_eq!(verdict(PERSON), Verdict::Answer);
        assert_eq!(
            verdict(&format!("{PERSON}\nAuto-Submitted: no")),
            Verdict::Answer
        );
        assert_eq!(
            verdict(&format!("{PERSON}\nAuto-Submitted: No ")),
            Verdict::Answer
        );
        assert_eq!(
            verdict(&format!("{PERSON}\nPrecedence: normal")),
            Verdict::Answer
        );
        assert_eq!(
            verdict(&format!("{PERSON}\nX-Auto-Response-Suppress: None")),
            Verdict::Answer
        );
        assert_eq!(
            verdict(&format!("{PERSON}\nX-Auto-Response-Suppress:")),
            Verdict::Answer
        );
        assert_eq!(
            verdict(&format!("{PERSON}\nX-Loop: someone-else@x.org")),
            Verdict::Answer
        );
        // Who wrote is From: a robot From with a person's Reply-To is still a robot
        // (anyone can write any Reply-To; replies never go to an address chosen so).
        assert_eq!(
            verdict("From: noreply@forms.example.org\nReply-To: marie@umontreal.ca"),
            Verdict::Ignore(Skip::RobotSender("noreply@forms.example.org".into()))
        );
    }

    #[test]
    fn automatic_mail_is_ignored() {
        for value in [
            "auto-replied",
            "auto-generated",
            "Auto-Notified",
            "auto-replied; owner-email=x@y.z",
        ] {
            assert_eq!(
                verdict(&format!("{PERSON}\nAuto-Submitted: {value}")),
                Verdict::Ignore(Skip::AutoSubmitted(value.to_lowercase())),
            );
        }
        for value in ["bulk", "list", "junk", "auto_reply", "Bulk"] {
            assert_eq!(
                verdict(&format!("{PERSON}\nPrecedence: {value}")),
                Verdict::Ignore(Skip::Precedence(value.to_lowercase())),
            );
        }
        assert_eq!(
            verdict(&format!(
                "{PERSON}\nList-Id: Research <research.lists.example.org>"
            )),
            Verdict::Ignore(Skip::MailingList)
        );
        assert_eq!(
            verdict(&format!(
                "{PERSON}\nList-Unsubscribe: <mailto:leave@example.org>"
            )),
            Verdict::Ignore(Skip::MailingList)
        );
        for value in ["All", "OOF, AutoReply", "AutoReply", "DR"] {
            assert_eq!(
                verdict(&format!("{PERSON}\nX-Auto-Response-Suppress: {value}")),
                Verdict::Ignore(Skip::AutoResponseSuppressed)
            );
        }
        for header in [
            "X-Autoreply: yes",
            "X-Autorespond: vacation",
            "X-Autoreply-From: marie@umontreal.ca",
            "X-Mail-Autoreply: yes",
            "X-Autogenerated: Reply",
        ] {
            assert_eq!(
                verdict(&format!("{PERSON}\n{header}")),
                Verdict::Ignore(Skip::AutoReplyHeader),
                "{header}"
            );
        }
    }

    #[test]
    fn loops_and_own_addresses_are_ignored() {
        assert_eq!(
            verdict(&format!("{PERSON}\nX-Loop: Guichet@Example.CA")),
            Verdict::Ignore(Skip::LoopDetected)
        );
        assert_eq!(
            verdict(&format!(
                "{PERSON}\nX-Loop: other@x.org\nX-Loop: <support@example.ca>"
            )),
            Verdict::Ignore(Skip::LoopDetected)
        );
        assert_eq!(
            verdict(&format!("{PERSON}\nX-Loop: guichet@example.ca.evil.org")),
            Verdict::Answer
        );
        assert_eq!(
            verdict("From: GUICHET@example.ca"),
            Verdict::Ignore(Skip::OwnAddress)
        );
        // A person whose Reply-To is ours: neither answered (a loop) nor lost.
        assert_eq!(
            verdict("From: marie@umontreal.ca\nReply-To: Support <Support@Example.ca>"),
            Verdict::SetAside(Skip::ReplyToIsOurs)
        );
        assert_eq!(
            verdict("From: marie@umontreal.ca\nReply-To: guichet+help@example.ca"),
            Verdict::SetAside(Skip::ReplyToIsOurs)
        );
        // Plus-addressing and case: still guichet itself.
        assert_eq!(
            verdict("From: Guichet+Help@Example.CA"),
            Verdict::Ignore(Skip::OwnAddress)
        );
        assert_eq!(
            verdict("From: guichet@example.ca\nReply-To: marie@umontreal.ca"),
            Verdict::Ignore(Skip::OwnAddress)
        );
        // Full addresses are compared: the same local part elsewhere is someone else.
        assert_eq!(verdict("From: guichet@other.ca"), Verdict::Answer);
    }

    #[test]
    fn null_return_path_robots_and_missing_senders_are_ignored() {
        assert_eq!(
            verdict("From: marie@umontreal.ca\nReturn-Path: <>"),
            Verdict::Ignore(Skip::EmptyReturnPath)
        );
        assert_eq!(
            verdict("From: Robot <No-Reply@service.example.org>"),
            Verdict::Ignore(Skip::RobotSender("No-Reply@service.example.org".into()))
        );
        // Who wrote is From; a robot Reply-To does not make a person a robot (replies
        // go to From).
        assert_eq!(
            verdict("From: marie@umontreal.ca\nReply-To: bounces+123@lists.example.org"),
            Verdict::Answer
        );
        assert_eq!(
            verdict("To: guichet@example.ca"),
            Verdict::Ignore(Skip::NoSender)
        );
        assert_eq!(
            verdict("From: not an address"),
            Verdict::Ignore(Skip::NoSender)
        );
        assert_eq!(
            verdict("From: Undisclosed recipients:;"),
            Verdict::Ignore(Skip::NoSender)
        );
    }

    #[test]
    fn automatic_reply_subjects_are_ignored_without_any_header() {
        for subject in [
            "Réponse automatique : Re: Lettre d'appui",
            "Reponse automatique: Re: Lettre d'appui",
            "Automatic reply: Letter of support",
            "Out of Office: Re: your question",
            "OUT OF OFFICE",
            "Absence du bureau : Re: Question",
            "[Auto-Reply] Re: grants",
            "Autosvar: Re: SPOR",
            "Re: Automatic reply: Letter",
            "Message d’absence",
        ] {
            assert!(is_auto_reply_subject(subject), "{subject}");
            assert_eq!(
                verdict(&format!("From: marie@umontreal.ca\nSubject: {subject}")),
                Verdict::Ignore(Skip::AutoReplySubject),
                "{subject}"
            );
        }
        for subject in [
            "Question about automatic replies to surveys",
            "Lettre d'appui",
            "Office hours of the Unit?",
            "Réponse à votre question",
            "",
        ] {
            assert!(!is_auto_reply_subject(subject), "{subject}");
        }
    }

    #[test]
    fn own_addresses_ignore_case_and_plus_tags_but_not_domains() {
        let own = vec!["contact@unit.test".to_string()];
        for a in [
            "contact@unit.test",
            "Contact@Unit.Test",
            "contact+help@unit.test",
            "<contact+x@UNIT.test>",
        ] {
            assert!(is_own_address(a, &own), "{a}");
        }
        for a in [
            "contact@unit.test.evil.org",
            "contacts@unit.test",
            "contact@other.test",
            "",
            "contact",
        ] {
            assert!(!is_own_address(a, &own), "{a}");
        }
    }

    #[test]
    fn robot_addresses() {
        for robot in [
            "mailer-daemon@mx.example.org",
            "MAILER-DAEMON@x",
            "postmaster@x.org",
            "noreply@x.org",
            "no-reply@x.org",
            "no_reply@x.org",
            "No.Reply@x.org",
            "do-not-reply@x.org",
            "donotreply@x.org",
            "DoNotReply@x.org",
            "ne-pas-repondre@x.org",
            "nepasrepondre@x.org",
            "ne_pas_répondre@x.org",
            "bounce@x.org",
            "bounces@x.org",
            "bounce-12345-abc@x.org",
            "bounces+user=x.org@lists.x.org",
            "noreply-notifications@github.example",
            "<noreply@x.org>",
        ] {
            assert!(is_robot_address(robot), "{robot}");
        }
        for person in [
            "noreen@x.org",
            "norbert@x.org",
            "marie@noreply.example.org",
            "bob@x.org",
            "post@x.org",
            "master@x.org",
            "replyall@x.org",
            "",
            "@x.org",
        ] {
            assert!(!is_robot_address(person), "{person}");
        }
    }

    #[test]
    fn reports_are_bounces_even_when_other_rules_apply() {
        let raw = concat!(
            "Return-Path: <>\r\n",
            "From: MAILER-DAEMON@mx.example.org\r\n",
            "Auto-Submitted: auto-replied\r\n",
            "Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n",
            "\r\n",
            "--b\r\n",
            "Content-Type: message/delivery-status\r\n",
            "\r\n",
            "Final-Recipient: rfc822; gone@example.org\r\n",
            "Action: failed\r\n",
            "Status: 5.1.1\r\n",
            "--b\r\n",
            "Content-Type: text/rfc822-headers\r\n",
            "\r\n",
            "Message-ID: <reply-1@example.ca>\r\n",
            "--b--\r\n",
        );
        let m = parse::parse(raw.as_bytes(), &Limits::default()).unwrap();
        let Verdict::Bounce(report) = classify(&m, &own()) else {
            panic!("not a bounce");
        };
        assert_eq!(report.kind, ReportKind::DeliveryStatus);
        assert_eq!(report.failed_recipients, vec!["gone@example.org"]);
        assert_eq!(
            report.original_message_id.as_deref(),
            Some("reply-1@example.ca")
        );
    }

    #[test]
    fn codes_are_stable_and_messages_clear() {
        let all = [
            Skip::AutoSubmitted("auto-replied".into()),
            Skip::Precedence("bulk".into()),
            Skip::MailingList,
            Skip::AutoResponseSuppressed,
            Skip::AutoReplyHeader,
            Skip::LoopDetected,
            Skip::EmptyReturnPath,
            Skip::RobotSender("noreply@x.org".into()),
            Skip::OwnAddress,
            Skip::NoSender,
        ];
        let codes: Vec<&str> = all.iter().map(Skip::code).collect();
        assert_eq!(
            codes,
            [
                "auto-submitted",
                "precedence",
                "mailing-list",
                "auto-response-suppressed",
                "auto-reply-header",
                "loop-detected",
                "empty-return-path",
                "robot-sender",
                "own-address",
                "no-sender"
            ]
        );
        for skip in &all {
            let line = skip.to_string();
            assert!(line.len() > 20 && !line.contains('\n'), "{line}");
        }
        assert!(all[0].to_string().contains("Auto-Submitted: auto-replied"));
        assert!(all[7].to_string().contains("noreply@x.org"));
    }

    #[test]
    fn classify_never_panics_on_the_hostile_corpus() {
        let owns = own();
        let mut classified = 0;
        for (i, raw) in parse::hostile_corpus().iter().enumerate() {
            let result = std::panic::catch_unwind(|| {
                parse::parse(raw, &Limits::default()).map(|m| classify(&m, &owns))
            });
            match result {
                Ok(Ok(_)) => classified += 1,
                Ok(Err(_)) => {}
                Err(_) => panic!("panicked on corpus message {i}"),
            }
        }
        assert!(classified > 100);
        // Odd own-address lists are fine too.
        let m = message(PERSON);
        assert_eq!(classify(&m, &[]), Verdict::Answer);
        assert_eq!(classify(&m, &[String::new(), " ".into()]), Verdict::Answer);
    }
}
