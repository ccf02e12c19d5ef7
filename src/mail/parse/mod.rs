//! Reads one raw email into an [`Inbound`]: sender, thread ids, the new text of the message
//! (without quoted replies or signature), the attachments it carries, and the raw facts loop
//! protection needs.
//!
//! The MIME work is done by `mail-parser`, which is lenient: a message with broken MIME
//! still gives whatever text can be read. Only an empty input, an input without a header
//! section, or a header section over [`Limits::max_header_bytes`] is an error.
//!
//! Attachments: every part that is not the body is listed, except inline parts embedded in
//! the HTML body (a `Content-ID` with an inline disposition and no `attachment`
//! disposition, such as signature logos) — those are decoration, not documents sent to us.
//! A message too large to fetch whole is read from its text parts ([`partial`]); the
//! attachments that were not fetched are also listed in [`Inbound::skipped_attachments`].
//!
//! Charsets: a part or an encoded word in a charset mail-parser does not know (or without
//! one, or with bytes that are not what it says) is read as UTF-8 where valid and as
//! Windows-1252 elsewhere ([`charset`]), never as U+FFFD.
//!
//! The work is split by what it reads: `headers` (the header section, message ids),
//! `addresses`, `body` (which parts give the text), `charset` (text in unknown charsets),
//! `html` (HTML to text), `quotes` (quoted replies and signatures), `attachments`,
//! `partial` (large messages), and `signals` (loop signals and reports).

use std::panic::{catch_unwind, AssertUnwindSafe};

use mail_parser::{Message, MessageParser};
use sha2::{Digest, Sha256};

mod addresses;
mod attachments;
mod body;
mod charset;
mod headers;
mod html;
pub mod partial;
mod quotes;
mod signals;
#[cfg(test)]
mod testing;

use addresses::{addresses, first_mailbox, with_readable_name};
use attachments::attachments;
use body::{body_text, cap_text};
use headers::{
    cap_chars, clean_id, header_section_len, ids, one_line, raw_headers, raw_value,
    starts_with_header_field,
};
pub use signals::dmarc_passed;
use signals::signals;

pub(crate) use html::html_to_text;
pub use quotes::strip_quoted;
#[cfg(test)]
pub(crate) use testing::hostile_corpus;

/// The longest subject kept, in characters.
pub const MAX_SUBJECT_CHARS: usize = 300;

/// The longest address accepted (RFC 5321 path limit).
const MAX_ADDRESS_CHARS: usize = 254;

/// The longest display name or attachment name kept, in characters.
const MAX_NAME_CHARS: usize = 200;

/// How much of a message is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// The new text is capped to this many characters (default 20,000).
    pub max_text_chars: usize,
    /// A header section longer than this many bytes is refused (default 64 KiB).
    pub max_header_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_text_chars: 20_000,
            max_header_bytes: 64 * 1024,
        }
    }
}

/// A sender or reply address with its display name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Mailbox {
    /// The decoded display name, on one line, trimmed; `None` when empty.
    pub name: Option<String>,
    /// The address, trimmed and loosely validated (one `@`, no spaces or control
    /// characters, at most 254 characters). Case is kept.
    pub address: String,
}

/// A part of the message that is not its body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Attachment {
    /// The decoded file name, or `attachment-N (type/subtype)` when the part has none.
    pub name: String,
    /// The lowercased MIME type, such as `application/pdf`.
    pub content_type: String,
    /// The decoded size in bytes.
    pub size: usize,
}

/// One email as guichet needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    /// The Message-ID without `<` `>`, trimmed.
    pub message_id: Option<String>,
    /// `mid:` and the Message-ID when there is one, else `sha256:` and the hex digest of the
    /// raw bytes: the key under which the message is decided once.
    pub fingerprint: String,
    /// The first valid From address.
    pub from: Option<Mailbox>,
    /// The first valid Reply-To address (replies go there when present).
    pub reply_to: Option<Mailbox>,
    /// The valid To addresses.
    pub to: Vec<String>,
    /// The valid Cc addresses.
    pub cc: Vec<String>,
    /// The decoded subject, on one line, without control characters, at most
    /// [`MAX_SUBJECT_CHARS`] characters.
    pub subject: String,
    /// The In-Reply-To message ids, without `<` `>`.
    pub in_reply_to: Vec<String>,
    /// The References message ids, without `<` `>`.
    pub references: Vec<String>,
    /// The new text of this message (text/plain preferred, else the HTML as text), with
    /// quoted replies and signature removed, whitespace normalised, capped to
    /// [`Limits::max_text_chars`] characters.
    pub text: String,
    /// The text was capped.
    pub truncated: bool,
    /// The parts that are not the body.
    pub attachments: Vec<Attachment>,
    /// The attachments (also in `attachments`) of a message over `mail.max_message_bytes`
    /// that were not fetched: only its text was read, and the sender may be told.
    pub skipped_attachments: Vec<Attachment>,
    /// What loop protection needs to know.
    pub signals: Signals,
}

/// The raw facts loop protection needs (see [`super::guard`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signals {
    /// `Auto-Submitted`, lowercased and trimmed.
    pub auto_submitted: Option<String>,
    /// `Precedence`, lowercased and trimmed.
    pub precedence: Option<String>,
    /// A `List-Id` header is present.
    pub list_id: bool,
    /// A `List-Unsubscribe` header is present.
    pub list_unsubscribe: bool,
    /// `X-Auto-Response-Suppress`, trimmed.
    pub auto_response_suppress: Option<String>,
    /// Every `X-Loop` value, lowercased and trimmed.
    pub x_loop: Vec<String>,
    /// The first `Return-Path` without `<` `>`: `Some("")` for the null path `<>`.
    pub return_path: Option<String>,
    /// The message is a delivery-status or disposition report.
    pub report: Option<Report>,
    /// Another well-known auto-reply header is present (`X-Autoreply`, `X-Autorespond`,
    /// `X-Autoreply-From`, `X-Mail-Autoreply`, `X-Autogenerated`, `X-Failed-Recipients`).
    pub auto_reply_hint: bool,
    /// Every `Authentication-Results` header, unfolded, as written (the receiving server's
    /// verdicts on SPF, DKIM and DMARC).
    pub authentication_results: Vec<String>,
}

/// What kind of report a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ReportKind {
    /// A delivery status notification (a bounce or a delay warning).
    DeliveryStatus,
    /// A message disposition notification (a read receipt).
    Disposition,
    /// Another `multipart/report` (feedback report, TLS report…).
    Other,
}

/// A delivery-status or disposition report, to record and never answer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Report {
    /// The kind of report.
    pub kind: ReportKind,
    /// The Message-ID (without `<` `>`) of the message the report is about.
    pub original_message_id: Option<String>,
    /// The recipients that failed (`Final-Recipient` of failed actions, or
    /// `X-Failed-Recipients`).
    pub failed_recipients: Vec<String>,
    /// The first failed `Status` (such as `5.1.1`) or the `Disposition` of a read receipt.
    pub status: Option<String>,
}

/// Why a raw message cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Nothing but whitespace.
    #[error("the message is empty")]
    Empty,
    /// The input does not start with a header field.
    #[error("not an email message: the input does not start with a header field")]
    NotAMessage,
    /// The header section is longer than allowed.
    #[error("the header section is {bytes} bytes long, over the limit of {max} bytes")]
    HeaderTooLarge {
        /// The length of the header section.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// The MIME parser failed on the input.
    #[error("the MIME parser failed on this message")]
    Unreadable,
}

/// Reads the raw message `raw`.
pub fn parse(raw: &[u8], limits: &Limits) -> Result<Inbound, ParseError> {
    if raw.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ParseError::Empty);
    }
    let header_bytes = header_section_len(raw);
    if header_bytes > limits.max_header_bytes {
        return Err(ParseError::HeaderTooLarge {
            bytes: header_bytes,
            max: limits.max_header_bytes,
        });
    }
    if !starts_with_header_field(raw) {
        return Err(ParseError::NotAMessage);
    }
    // mail-parser documents that it never panics, but some of its recovery paths use
    // debug assertions and unchecked arithmetic: never let one take the daemon down.
    let parsed = catch_unwind(AssertUnwindSafe(|| MessageParser::default().parse(raw)));
    match parsed {
        Ok(Some(message)) if !message.parts.is_empty() => Ok(read(&message, raw, limits)),
        Ok(_) => Err(ParseError::NotAMessage),
        Err(_) => {
            tracing::warn!("the MIME parser panicked on a message");
            Err(ParseError::Unreadable)
        }
    }
}

fn read(message: &Message<'_>, raw: &[u8], limits: &Limits) -> Inbound {
    let headers = raw_headers(message);
    let message_id = message.message_id().and_then(clean_id);
    let fingerprint = match &message_id {
        Some(id) => format!("mid:{id}"),
        None => format!("sha256:{}", crate::text::hex(&Sha256::digest(raw))),
    };
    let subject = match (message.subject(), raw_value(message, "subject")) {
        // An unknown charset or bytes that are not UTF-8: read again, leniently.
        (decoded, Some(raw))
            if decoded.is_none_or(|s| s.contains('\u{fffd}')) && charset::needs_fallback(raw) =>
        {
            Some(charset::decode_header(raw))
        }
        (decoded, _) => decoded.map(str::to_string),
    }
    .map(|s| cap_chars(&one_line(&s), MAX_SUBJECT_CHARS))
    .unwrap_or_default();
    let (text, truncated) = cap_text(&strip_quoted(&body_text(message)), limits.max_text_chars);
    let (attachments, skipped_attachments) = attachments(message);
    Inbound {
        message_id,
        fingerprint,
        from: with_readable_name(first_mailbox(message.from()), raw_value(message, "from")),
        reply_to: with_readable_name(
            first_mailbox(message.reply_to()),
            raw_value(message, "reply-to"),
        ),
        to: addresses(message.all_to()),
        cc: addresses(message.all_cc()),
        subject,
        in_reply_to: ids(message.in_reply_to()),
        references: ids(message.references()),
        text,
        truncated,
        attachments,
        skipped_attachments,
        signals: signals(message, &headers),
    }
}

/// The people a header section names (the addresses in From, Sender, Reply-To, To and Cc,
/// lowercased) and its Message-ID (without `<` `>`): what an erasure looks for in the
/// mail guichet keeps. Nothing when the header cannot be read.
pub fn participants(header: &[u8]) -> (Vec<String>, Option<String>) {
    let parsed = catch_unwind(AssertUnwindSafe(|| {
        MessageParser::default().parse(header).map(|message| {
            let lists = message
                .from()
                .into_iter()
                .chain(message.sender())
                .chain(message.reply_to())
                .chain(message.all_to())
                .chain(message.all_cc());
            let people: Vec<String> = addresses(lists)
                .into_iter()
                .map(|a| a.to_lowercase())
                .collect();
            (people, message.message_id().and_then(clean_id))
        })
    }));
    match parsed {
        Ok(Some(found)) => found,
        _ => (Vec::new(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{crlf, parse_ok};
    use super::*;

    #[test]
    fn hostile_corpus_never_panics_and_limits_hold() {
        let corpus = hostile_corpus();
        assert!(corpus.len() >= 300, "only {} messages", corpus.len());
        let small = Limits {
            max_text_chars: 50,
            max_header_bytes: 1 << 20,
        };
        let mut read = 0;
        for (i, raw) in corpus.iter().enumerate() {
            for limits in [Limits::default(), small.clone()] {
                let result = std::panic::catch_unwind(|| parse(raw, &limits));
                let Ok(result) = result else {
                    panic!("parse panicked on corpus message {i}");
                };
                match result {
                    Ok(m) => {
                        read += 1;
                        assert!(
                            m.text.chars().count() <= limits.max_text_chars,
                            "message {i}"
                        );
                        assert!(
                            m.subject.chars().count() <= MAX_SUBJECT_CHARS,
                            "message {i}"
                        );
                        assert!(
                            !m.subject.chars().any(char::is_control),
                            "message {i}: {:?}",
                            m.subject
                        );
                        for mb in m.from.iter().chain(m.reply_to.iter()) {
                            if let Some(name) = &mb.name {
                                assert!(
                                    !name.chars().any(char::is_control),
                                    "message {i}: {name:?}"
                                );
                            }
                            assert!(!mb
                                .address
                                .chars()
                                .any(|c| c.is_control() || c.is_whitespace()));
                        }
                        for a in &m.attachments {
                            assert!(
                                !a.name.chars().any(char::is_control),
                                "message {i}: {:?}",
                                a.name
                            );
                        }
                        assert!(
                            m.fingerprint.starts_with("mid:")
                                || m.fingerprint.starts_with("sha256:")
                        );
                    }
                    Err(ParseError::Unreadable) => {
                        panic!("mail-parser panicked on corpus message {i}")
                    }
                    Err(_) => {}
                }
            }
        }
        assert!(read > 150, "only {read} parses succeeded");
    }

    #[test]
    fn errors_for_unusable_input() {
        let limits = Limits::default();
        assert_eq!(parse(b"", &limits), Err(ParseError::Empty));
        assert_eq!(parse(b" \r\n\t", &limits), Err(ParseError::Empty));
        assert_eq!(
            parse(b"just some text\nwith lines", &limits),
            Err(ParseError::NotAMessage)
        );
        assert_eq!(
            parse(b"\x00\x01\x02binary", &limits),
            Err(ParseError::NotAMessage)
        );
        let long = format!("From: a@b.c\nSubject: {}\n\nbody", "x".repeat(70_000));
        let Err(ParseError::HeaderTooLarge { bytes, max }) = parse(long.as_bytes(), &limits) else {
            panic!("a 70 KB header was accepted");
        };
        assert_eq!(max, 64 * 1024);
        assert!(bytes > 70_000);
        let e = ParseError::HeaderTooLarge {
            bytes: 70_030,
            max: 65_536,
        };
        assert_eq!(
            e.to_string(),
            "the header section is 70030 bytes long, over the limit of 65536 bytes"
        );
        // A long body is no problem, and broken MIME still gives its text.
        let broken = crlf(
            "From: a@b.c\nSubject: x\nContent-Type: multipart/mixed; boundary=\"zz\"\n\n--zz\nContent-Type: text/plain\n\nStill readable text\n",
        );
        assert!(parse_ok(&broken).text.contains("Still readable text"));
    }

    #[test]
    fn plain_utf8_question() {
        let m = parse_ok(&crlf(concat!(
            "Return-Path: <marie@example.org>\n",
            "From: =?UTF-8?Q?Marie_Tremblay_=C3=A9?= <  marie@example.org >\n",
            "To: Guichet <guichet@example.ca>, autre@example.ca\n",
            "Cc: chef@example.ca\n",
            "Subject: Comment obtenir une lettre d'appui ?\n",
            "Message-ID:  <CAF123@mail.example.org> \n",
            "Content-Type: text/plain; charset=utf-8\n",
            "\n",
            "Bonjour,\n\n\n\nComment obtenir une lettre d’appui pour ma demande aux IRSC ?\u{a0}Merci\n",
        )));
        assert_eq!(m.message_id.as_deref(), Some("CAF123@mail.example.org"));
        assert_eq!(m.fingerprint, "mid:CAF123@mail.example.org");
        let from = m.from.unwrap();
        assert_eq!(from.address, "marie@example.org");
        assert_eq!(from.name.as_deref(), Some("Marie Tremblay é"));
        assert_eq!(m.to, vec!["guichet@example.ca", "autre@example.ca"]);
        assert_eq!(m.cc, vec!["chef@example.ca"]);
        assert_eq!(m.subject, "Comment obtenir une lettre d'appui ?");
        assert_eq!(
            m.text,
            "Bonjour,\n\nComment obtenir une lettre d’appui pour ma demande aux IRSC ? Merci"
        );
        assert!(!m.truncated);
        assert!(m.attachments.is_empty());
        assert_eq!(m.signals.return_path.as_deref(), Some("marie@example.org"));
        assert_eq!(
            m.signals,
            Signals {
                return_path: m.signals.return_path.clone(),
                ..Signals::default()
            }
        );
    }

    #[test]
    fn latin1_quoted_printable() {
        let m = parse_ok(&crlf(concat!(
            "From: a@b.c\n",
            "Subject: =?ISO-8859-1?Q?R=E9seau?=\n",
            "Content-Type: text/plain; charset=iso-8859-1\n",
            "Content-Transfer-Encoding: quoted-printable\n",
            "\n",
            "Qu'est-ce que le R=E9seau-1 Qu=E9bec ? Une tr=E8s longue ligne coup=\n",
            "=E9e en deux.\n",
        )));
        assert_eq!(m.subject, "Réseau");
        assert_eq!(
            m.text,
            "Qu'est-ce que le Réseau-1 Québec ? Une très longue ligne coupée en deux."
        );
        // 8-bit latin-1, not encoded.
        let mut raw =
            b"From: a@b.c\r\nContent-Type: text/plain; charset=ISO-8859-1\r\n\r\n".to_vec();
        raw.extend_from_slice(b"Qu'est-ce que le R\xe9seau-1 Qu\xe9bec ?\r\n");
        assert_eq!(parse_ok(&raw).text, "Qu'est-ce que le Réseau-1 Québec ?");
    }

    #[test]
    fn windows_1252_curly_quotes_and_oe() {
        let mut raw =
            b"From: a@b.c\r\nContent-Type: text/plain; charset=windows-1252\r\n\r\n".to_vec();
        raw.extend_from_slice(
            b"Il a dit \x93bonjour\x94 au c\x9cur de l\x92\xe9quipe \x96 10 \x80.\r\n",
        );
        assert_eq!(
            parse_ok(&raw).text,
            "Il a dit “bonjour” au cœur de l’équipe – 10 €."
        );
        let raw = crlf(concat!(
            "From: a@b.c\n",
            "Content-Type: text/plain; charset=cp1252\n",
            "Content-Transfer-Encoding: quoted-printable\n",
            "\n",
            "=93Vous=94 =9Cuvrez ?\n",
        ));
        assert_eq!(parse_ok(&raw).text, "“Vous” œuvrez ?");
    }

    #[test]
    fn encoded_word_subjects() {
        let m = parse_ok(&crlf(
            "From: a@b.c\nSubject: =?UTF-8?B?UXUnZXN0LWNlIHF1ZSBjJ2VzdCwgbGEgcsOpcG9uc2UgPw==?=\n\nx\n",
        ));
        assert_eq!(m.subject, "Qu'est-ce que c'est, la réponse ?");
        let m = parse_ok(&crlf(
            "From: a@b.c\nSubject: =?iso-8859-1?q?Lettre_d'appui_:?=\n =?utf-8?q?_r=C3=A9seau?=\n\tsuite\n\nx\n",
        ));
        assert_eq!(m.subject, "Lettre d'appui : réseau suite");
        // Control characters smuggled in an encoded word never reach the subject.
        let m = parse_ok(&crlf(
            "From: a@b.c\nSubject: =?utf-8?q?a=0D=0ABcc:_x@y.z=1B?=\n\nx\n",
        ));
        assert_eq!(m.subject, "a Bcc: x@y.z");
        let long = format!("From: a@b.c\nSubject: {}\n\nx\n", "é".repeat(400));
        assert_eq!(
            parse_ok(long.as_bytes()).subject.chars().count(),
            MAX_SUBJECT_CHARS
        );
    }

    #[test]
    fn unknown_charsets_are_read_as_utf8_or_windows_1252() {
        // A trial case: `x-unknown-foo` on Latin-1 bytes, in the subject and the body.
        let raw = include_bytes!("../../../tests/data/mail-cases/j_unknown_charset.eml");
        let m = parse_ok(raw);
        assert_eq!(m.subject, "Critères d'admissibilité");
        assert!(!m.text.contains('\u{fffd}'), "{:?}", m.text);
        assert!(
            m.text
                .contains("Quels sont les critères d'admissibilité de l'Unité ?"),
            "{:?}",
            m.text
        );
        // Display names, quoted-printable and base64 bodies, no label at all, and a part
        // whose UTF-8 holds a stray Latin-1 byte.
        let mut raw = b"From: =?x-mystery?Q?Ren=E9e_B=E9langer?= <renee@example.org>\r\nReply-To: \"Ren\xe9e\" <r@example.org>\r\nSubject: =?x-mystery?B?Q3JpdOhyZXM=?= =?utf-8?Q?_r=C3=A9seau?=\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=x-mystery\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nD=E9j=E0 vu\r\n--b\r\nContent-Type: text/plain; charset=x-mystery\r\nContent-Transfer-Encoding: base64\r\n\r\nUXXpYmVj\r\n--b\r\nContent-Type: text/plain\r\n\r\nMontr\xe9al\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n".to_vec();
        raw.extend_from_slice("Caf\u{e9} et th".as_bytes());
        raw.extend_from_slice(b"\xe9\r\n--b--\r\n");
        let m = parse_ok(&raw);
        assert_eq!(m.from.unwrap().name.as_deref(), Some("Renée Bélanger"));
        assert_eq!(m.reply_to.unwrap().name.as_deref(), Some("Renée"));
        assert_eq!(m.subject, "Critères réseau");
        assert_eq!(m.text, "Déjà vu\n\nQuébec\n\nMontréal\n\nCafé et thé");
        // A charset mail-parser knows is still its own.
        let m = parse_ok(
            b"From: a@b.c\r\nSubject: =?koi8-r?Q?=F0=D2=C9=D7=C5=D4?=\r\nContent-Type: text/plain; charset=koi8-r\r\n\r\n\xf0\xd2\xc9\xd7\xc5\xd4\r\n",
        );
        assert_eq!((m.subject.as_str(), m.text.as_str()), ("Привет", "Привет"));
    }

    #[test]
    fn participants_are_the_addresses_of_a_header_and_its_id() {
        let (people, id) = participants(
            b"From: \"Dupont, Jean\" <Jean@Example.org>\r\nTo: contact@x.ca, Other <o@x.ca>\r\nCc: c@x.ca\r\nReply-To: r@x.ca\r\nMessage-ID: <abc@x.ca>\r\n\r\n",
        );
        assert_eq!(
            people,
            vec![
                "jean@example.org",
                "r@x.ca",
                "contact@x.ca",
                "o@x.ca",
                "c@x.ca"
            ]
        );
        assert_eq!(id.as_deref(), Some("abc@x.ca"));
        assert_eq!(participants(b"\xff\xfe"), (Vec::new(), None));
    }

    #[test]
    fn fingerprint_without_message_id_is_a_stable_hash() {
        let a = crlf("From: a@b.c\nSubject: x\n\nbody one\n");
        let b = crlf("From: a@b.c\nSubject: x\n\nbody two\n");
        let fa = parse_ok(&a).fingerprint;
        assert!(fa.starts_with("sha256:") && fa.len() == 7 + 64, "{fa}");
        assert_eq!(fa, parse_ok(&a).fingerprint);
        assert_ne!(fa, parse_ok(&b).fingerprint);
        assert_eq!(parse_ok(&a).message_id, None);
        let with_id = crlf("From: a@b.c\nMessage-ID: <  Abc@X >\n\nx\n");
        assert_eq!(parse_ok(&with_id).fingerprint, "mid:Abc@X");
    }
}
