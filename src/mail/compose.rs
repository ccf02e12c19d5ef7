//! Renders what the mail channel says as threaded emails (text + HTML), and reads the
//! few things a reply can tell it: a signed request reference in the subject, a
//! confirmation, and optional detail lines.
//!
//! The caller decides what to send ([`Body`]); this module only writes it. Everything that
//! comes from outside (subjects, names, titles, excerpts, URLs) is cleaned of control
//! characters before it reaches a header, and HTML-escaped before it reaches the HTML part.

use std::sync::atomic::{AtomicU64, Ordering};

use lettre::address::AddressError;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{Address, Message};
use sha2::{Digest, Sha256};

use crate::config::BaseUrl;
use crate::language::Language;
use crate::messages::Msg;
use crate::requests::model::RequestRef;
use crate::search::answer::Hit;

use super::render::*;
use super::subject::reply_subject;
pub use super::subject::{strip_reply_prefixes, subject_reference, thread_tag, verify_tag};

/// A subject is cut to this many characters.
const SUBJECT_CHARS: usize = 200;
/// At most this many message ids go into `References` (the first and the latest).
const MAX_REFERENCES: usize = 20;

/// A mailbox: an address and, when known, a display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub name: Option<String>,
    pub address: String,
}

/// The message we answer, for threading.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Original {
    pub subject: String,
    /// Its `Message-ID`, without `<>`.
    pub message_id: Option<String>,
    /// Its `References`, oldest first, without `<>`.
    pub references: Vec<String>,
    /// Names of its attachments that were not read (the message was over the size read):
    /// the reply says so.
    pub unread_attachments: Vec<String>,
}

/// What to say.
#[derive(Debug, Clone)]
pub enum Body<'a> {
    /// The knowledge base answered: the excerpts, then how to turn the inquiry into a
    /// request by replying. With no hits it reads like [`Body::NoAnswer`].
    /// `feedback` is the answer's feedback token: with `Letterhead::public_url`, the
    /// email ends with the two feedback links.
    Answer {
        hits: &'a [Hit],
        feedback: Option<&'a str>,
    },
    /// No answer: say so honestly and offer to log the inquiry as a request by replying.
    NoAnswer,
    /// Not sure enough to answer: say so, list related pages, and make the same offer.
    NotSure { suggestions: &'a [Hit] },
    /// A request was logged from the person's confirmation: the reference, what happens
    /// next, how to add details, how to ask for deletion.
    Logged {
        reference: RequestRef,
        /// Names of attachments noted (the files are not kept).
        attachments: &'a [String],
    },
    /// A later message in a request's thread was added to the request; staff were told.
    AddedToRequest { reference: RequestRef },
    /// "CONFIRM" arrived but there is no inquiry to log in this thread.
    NothingToConfirm,
    /// The message asks nothing guichet could answer: what guichet can do, in both
    /// languages (the person's first), and how to go on.
    Capabilities,
    /// "CONFIRM" arrived, but which type of request it is cannot be told: ask for a
    /// `Type:` line, listing the types.
    NeedsType,
}

/// How emails are written, from the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letterhead {
    /// The contact mailbox. Without a name, the Unit's name in the email's language.
    pub from: Party,
    /// Days after which an unconfirmed inquiry is erased.
    pub retention_days: u32,
    /// Where to ask to see or delete one's information (an address or a URL); empty:
    /// the contact mailbox itself.
    pub privacy_contact: String,
    /// guichet's base URL for staff (`mail.staff_page_url`), for links to
    /// `/staff/requests/REF` in staff notifications.
    pub staff_page_url: Option<BaseUrl>,
    /// guichet's public base URL (`web.public_url`), for the feedback links of answers;
    /// `None`: no feedback links.
    pub public_url: Option<BaseUrl>,
}

/// A rendered email, ready to store in the outbox and send later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// Our `Message-ID`, without `<>`.
    pub message_id: String,
    /// The recipient's address.
    pub to: String,
    /// The subject as sent (before any header encoding).
    pub subject: String,
    /// The complete RFC 5322 message.
    pub raw: Vec<u8>,
    /// A digest of its text part: the same digest means the same words.
    pub digest: String,
}

/// Why an email could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("invalid {role} address '{address}': {source}")]
    Address {
        role: &'static str,
        address: String,
        source: AddressError,
    },
    #[error("building the email: {0}")]
    Build(#[from] lettre::error::Error),
}

// ---------------------------------------------------------------------------------------
// Emails
// ---------------------------------------------------------------------------------------

/// Renders `body` as a reply to `original`, sent to `to` in `lang`.
///
/// `thread_tag` (from [`thread_tag`]) is put in the subject with the reference of
/// [`Body::Logged`] and [`Body::AddedToRequest`]; it is ignored with the other bodies.
pub fn reply(
    settings: &Letterhead,
    to: &Party,
    original: &Original,
    body: &Body<'_>,
    lang: Language,
    thread_tag: Option<&str>,
) -> Result<Draft, ComposeError> {
    let tagged = match body {
        Body::Logged { reference, .. } | Body::AddedToRequest { reference } => {
            thread_tag.map(|tag| (*reference, tag))
        }
        _ => None,
    };
    let subject = reply_subject(&original.subject, tagged, lang);
    let mut blocks = reply_blocks(settings, body, lang);
    if !original.unread_attachments.is_empty() {
        let names: Vec<String> = original
            .unread_attachments
            .iter()
            .map(|n| clip(&clean_line(n), 120))
            .collect();
        // Right after the greeting: the person should know before reading the answer.
        blocks.insert(
            1,
            text_para(&Msg::MailUnreadAttachments.fill(lang, &[("names", &names.join(", "))])),
        );
    }
    let in_reply_to = original.message_id.as_deref().and_then(clean_message_id);
    let mut threading = None;
    if let Some(id) = &in_reply_to {
        let mut ids: Vec<String> = Vec::new();
        for r in original
            .references
            .iter()
            .filter_map(|r| clean_message_id(r))
        {
            if !ids.contains(&r) && &r != id {
                ids.push(r);
            }
        }
        ids.push(id.clone());
        if ids.len() > MAX_REFERENCES {
            // Keep the thread's first message and the latest ones.
            ids.drain(1..ids.len() - (MAX_REFERENCES - 1));
        }
        threading = Some((format!("<{id}>"), join_ids(&ids)));
    }
    let extra = [
        ("Auto-Submitted", "auto-replied".to_string()),
        ("X-Auto-Response-Suppress", "All".to_string()),
    ];
    build(settings, to, &subject, &blocks, lang, threading, &extra)
}

/// Why staff are emailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffNotice {
    /// A request was logged.
    NewRequest,
    /// A later email was added to a request.
    NewMessage,
}

/// The notice to the staff address: reference, type, channel, the requester's name only,
/// and a link to the staff page when configured; its Reply-To is the requester's address
/// when given, so staff can write to them by replying. Not a reply
/// (`Auto-Submitted: auto-generated`).
#[allow(clippy::too_many_arguments)]
pub fn staff_notice(
    settings: &Letterhead,
    staff: &Party,
    reference: &RequestRef,
    request_type_label: &str,
    requester_name: &str,
    requester_address: Option<&str>,
    lang: Language,
    notice: StaffNotice,
) -> Result<Draft, ComposeError> {
    let reference_text = reference.to_string();
    let type_label = clean_line(request_type_label);
    let name = clean_line(requester_name);
    let followup = notice == StaffNotice::NewMessage;
    let subject = if followup {
        Msg::MailStaffFollowUpSubject.fill(lang, &[("reference", &reference_text)])
    } else {
        Msg::MailStaffSubject.fill(
            lang,
            &[("reference", &reference_text), ("type", &type_label)],
        )
    };
    let subject = clip(&clean_line(&subject), SUBJECT_CHARS);
    let mut blocks = Vec::new();
    let first = if followup {
        Msg::MailStaffFollowUp.fill(lang, &[("reference", &reference_text)])
    } else {
        Msg::MailStaffNew.text(lang).to_string()
    };
    blocks.push(Block::Para(vec![Inline::Text(first)]));
    let fields = Msg::MailStaffFields.text(lang);
    blocks.push(Block::Lines(
        fields
            .lines()
            .map(|line| {
                fill_inline(
                    line,
                    &[
                        ("reference", Inline::Strong(reference_text.clone())),
                        ("type", Inline::Text(type_label.clone())),
                        ("name", Inline::Text(name.clone())),
                    ],
                )
            })
            .collect(),
    ));
    let link = settings
        .staff_page_url
        .as_ref()
        .map(|base| base.join(&format!("staff/requests/{reference_text}")));
    match link {
        Some(link) => {
            blocks.push(Block::Para(fill_inline(
                Msg::MailStaffLink.text(lang),
                &[(
                    "link",
                    Inline::Link {
                        text: link.clone(),
                        url: link,
                    },
                )],
            )));
        }
        None => blocks.push(Block::Para(vec![Inline::Text(
            Msg::MailStaffNoLink.text(lang).to_string(),
        )])),
    }
    blocks.push(Block::Signature(vec![
        Msg::MailFromName.text(lang).to_string(),
        Msg::MailStaffSignature.text(lang).to_string(),
    ]));
    let mut extra = vec![
        ("Auto-Submitted", "auto-generated".to_string()),
        ("X-Auto-Response-Suppress", "All".to_string()),
    ];
    if let Some(address) = requester_address {
        extra.push(("Reply-To", parse_address("reply-to", address)?.to_string()));
    }
    build(settings, staff, &subject, &blocks, lang, None, &extra)
}

/// Builds the message shared by replies and notices.
fn build(
    settings: &Letterhead,
    to: &Party,
    subject: &str,
    blocks: &[Block],
    lang: Language,
    threading: Option<(String, String)>,
    extra: &[(&'static str, String)],
) -> Result<Draft, ComposeError> {
    let from_address = parse_address("from", &settings.from.address)?;
    let to_address = parse_address("to", &to.address)?;
    let from_name = settings
        .from
        .name
        .as_deref()
        .map(clean_line)
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| Msg::MailFromName.text(lang).to_string());
    let to_name = to.name.as_deref().map(clean_line).filter(|n| !n.is_empty());
    let message_id = new_message_id(from_address.domain());
    let mut builder = Message::builder()
        .from(Mailbox::new(Some(from_name), from_address.clone()))
        .to(Mailbox::new(to_name, to_address.clone()))
        .subject(subject)
        .message_id(Some(format!("<{message_id}>")));
    if let Some((in_reply_to, references)) = threading {
        builder = builder.in_reply_to(in_reply_to).references(references);
    }
    for (name, value) in extra {
        builder = builder.raw_header(header(name, value.clone()));
    }
    builder = builder
        .raw_header(header("X-Loop", from_address.to_string()))
        .raw_header(header("Content-Language", lang.code().to_string()));
    let text = render_text(blocks);
    let digest = crate::text::hex(&Sha256::digest(text.as_bytes())[..16]);
    let html = render_html(blocks, lang, subject);
    let message = builder.multipart(MultiPart::alternative_plain_html(text, html))?;
    Ok(Draft {
        message_id,
        to: to_address.to_string(),
        subject: subject.to_string(),
        raw: message.formatted(),
        digest,
    })
}

fn header(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

fn parse_address(role: &'static str, address: &str) -> Result<Address, ComposeError> {
    address
        .trim()
        .parse::<Address>()
        .map_err(|source| ComposeError::Address {
            role,
            address: clean_line(address),
            source,
        })
}

/// A random 128-bit message id at `domain` (hex, without `<>`).
pub fn new_message_id(domain: &str) -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // No system randomness: still unique in practice (time, process, counter).
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let mut hash = Sha256::new();
        hash.update(nanos.to_le_bytes());
        hash.update(std::process::id().to_le_bytes());
        hash.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
        bytes.copy_from_slice(&hash.finalize()[..16]);
    }
    let domain: String = domain
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'))
        .collect();
    let domain = if domain.is_empty() {
        "guichet.invalid".to_string()
    } else {
        domain
    };
    format!("{}@{domain}", crate::text::hex(&bytes))
}

/// A message id fit for a header, without `<>`: printable ASCII, no spaces or brackets.
fn clean_message_id(id: &str) -> Option<String> {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>');
    let fine = !id.is_empty()
        && id.len() <= 250
        && id
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'"' | b'\\'));
    fine.then(|| id.to_string())
}

fn join_ids(ids: &[String]) -> String {
    ids.iter()
        .map(|id| format!("<{id}>"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use mail_parser::{MessageParser, MimeHeaders};

    use super::*;
    use crate::knowledge::Kind;
    use crate::search::answer::{Excerpt, Segment};

    const SECRET: &[u8] = b"a test secret, long enough for HMAC";

    fn hit(title: &str, url: Option<&str>, parts: &[(&str, bool)], lang: Language) -> Hit {
        Hit {
            doc_id: format!("doc-{title}"),
            title: title.to_string(),
            section: None,
            url: url.map(str::to_string),
            excerpt: Excerpt(
                parts
                    .iter()
                    .map(|(text, highlighted)| Segment {
                        text: text.to_string(),
                        highlighted: *highlighted,
                    })
                    .collect(),
            ),
            lang,
            kind: Kind::Page,
            score: 1.0,
            coverage: 1.0,
        }
    }

    fn settings() -> Letterhead {
        Letterhead {
            from: Party {
                name: None,
                address: "guichet@ssa-quebec.example".into(),
            },
            retention_days: 30,
            privacy_contact: "confidentialite@ssa-quebec.example".into(),
            staff_page_url: Some("https://guichet.ssa-quebec.example/".parse().unwrap()),
            public_url: Some("https://guichet.ssa-quebec.example".parse().unwrap()),
        }
    }

    fn person() -> Party {
        Party {
            name: Some("Marie Tremblay".into()),
            address: "marie@univ.example".into(),
        }
    }

    fn original(subject: &str) -> Original {
        Original {
            subject: subject.into(),
            message_id: Some("q1@univ.example".into()),
            references: vec!["a0@univ.example".into(), "a1@other.example".into()],
            unread_attachments: Vec::new(),
        }
    }

    fn reference() -> RequestRef {
        RequestRef::new(2026, 42).unwrap()
    }

    fn hits() -> Vec<Hit> {
        vec![
            hit(
                "Lettre d'appui",
                Some("https://ssa-quebec.example/fr/lettre"),
                &[
                    ("L'Unité rédige une ", false),
                    ("lettre d'appui", true),
                    (" pour les équipes de Québec.", false),
                ],
                Language::Fr,
            ),
            hit(
                "Letters of support",
                Some("https://ssa-quebec.example/en/letters"),
                &[
                    ("The Unit writes ", false),
                    ("support letters", true),
                    (".", false),
                ],
                Language::En,
            ),
        ]
    }

    /// The parsed message, its text part and its HTML part.
    fn parse(raw: &[u8]) -> (mail_parser::Message<'_>, String, String) {
        let msg = MessageParser::default().parse(raw).expect("parses");
        let text = msg.text_part(0).expect("a text part");
        assert_eq!(text.content_type().unwrap().subtype(), Some("plain"));
        let text = text.text_contents().unwrap().replace("\r\n", "\n");
        let html = msg.html_part(0).expect("an html part");
        assert_eq!(html.content_type().unwrap().subtype(), Some("html"));
        let html = html.text_contents().unwrap().replace("\r\n", "\n");
        (msg, text, html)
    }

    fn flat(text: &str) -> String {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    fn header_names(raw: &[u8]) -> Vec<String> {
        let text = String::from_utf8_lossy(raw);
        let head = text.split("\r\n\r\n").next().unwrap();
        head.split("\r\n")
            .filter(|l| !l.starts_with([' ', '\t']))
            .filter_map(|l| l.split_once(':').map(|(n, _)| n.to_ascii_lowercase()))
            .collect()
    }

    fn answer(lang: Language) -> Draft {
        let hits = hits();
        reply(
            &settings(),
            &person(),
            &original("Re: RE: Lettre d'appui pour ma demande"),
            &Body::Answer {
                hits: &hits,
                feedback: None,
            },
            lang,
            None,
        )
        .unwrap()
    }

    #[test]
    fn an_answer_with_a_feedback_token_ends_with_the_two_feedback_links_in_text_and_html() {
        let hits = hits();
        let token = "0123456789abcdef0123456789abcdef.fedcba9876543210fedcba9876543210";
        for lang in Language::ALL {
            let draft = reply(
                &settings(),
                &person(),
                &original("Lettre d'appui"),
                &Body::Answer {
                    hits: &hits,
                    feedback: Some(token),
                },
                lang,
                None,
            )
            .unwrap();
            let (_, text, html) = parse(&draft.raw);
            for vote in ["up", "down"] {
                let url = format!(
                    "https://guichet.ssa-quebec.example/feedback/{token}?vote={vote}&lang={}",
                    lang.code()
                );
                assert!(text.contains(&url), "{lang}: text lacks {url}:\n{text}");
                assert!(
                    html.contains(&url.replace('&', "&amp;")),
                    "{lang}: html lacks {url}"
                );
            }
            assert!(flat(&text).contains(Msg::FeedbackYes.text(lang)));
            assert!(!text.contains("marie@"), "no personal data in the links");
        }
        let (_, text, _) = parse(&answer(Language::En).raw);
        assert!(!text.contains("/feedback/"), "no token, no links");
    }

    #[test]
    fn an_answer_is_threaded_and_marked_as_an_automatic_reply() {
        let draft = answer(Language::Fr);
        let (msg, _, _) = parse(&draft.raw);
        assert_eq!(msg.subject(), Some("Re: Lettre d'appui pour ma demande"));
        assert_eq!(draft.subject, "Re: Lettre d'appui pour ma demande");
        assert_eq!(msg.in_reply_to().as_text(), Some("q1@univ.example"));
        let refs: Vec<&str> = msg
            .references()
            .as_text_list()
            .unwrap()
            .iter()
            .map(|r| r.as_ref())
            .collect();
        assert_eq!(
            refs,
            ["a0@univ.example", "a1@other.example", "q1@univ.example"]
        );
        assert_eq!(msg.message_id(), Some(draft.message_id.as_str()));
        let (local, domain) = draft.message_id.split_once('@').unwrap();
        assert_eq!(domain, "ssa-quebec.example");
        assert!(local.len() == 32 && local.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(
            msg.header_raw("Auto-Submitted").map(str::trim),
            Some("auto-replied")
        );
        assert_eq!(
            msg.header_raw("X-Auto-Response-Suppress").map(str::trim),
            Some("All")
        );
        assert_eq!(
            msg.header_raw("X-Loop").map(str::trim),
            Some("guichet@ssa-quebec.example")
        );
        assert_eq!(
            msg.header_raw("Content-Language").map(str::trim),
            Some("fr")
        );
        assert!(msg.header_raw("Precedence").is_none());
        assert!(msg.date().is_some());
        let from = msg.from().unwrap().first().unwrap();
        assert_eq!(from.name(), Some("Unité de soutien SSA Québec"));
        assert_eq!(from.address(), Some("guichet@ssa-quebec.example"));
        let to = msg.to().unwrap().first().unwrap();
        assert_eq!(to.name(), Some("Marie Tremblay"));
        assert_eq!(to.address(), Some("marie@univ.example"));
        assert_eq!(draft.to, "marie@univ.example");
        assert_eq!(
            msg.content_type().map(|c| (c.ctype(), c.subtype())),
            Some(("multipart", Some("alternative")))
        );
        assert_ne!(answer(Language::Fr).message_id, draft.message_id);
    }

    #[test]
    fn an_answer_carries_excerpts_links_and_the_offer_in_french() {
        let (_, text, html) = parse(&answer(Language::Fr).raw);
        let t = flat(&text);
        assert!(t.contains("Bonjour,"), "{text}");
        assert!(
            t.contains("L'Unité rédige une lettre d'appui pour les équipes de Québec."),
            "{text}"
        );
        assert!(
            t.contains("1. Lettre d'appui — https://ssa-quebec.example/fr/lettre"),
            "{text}"
        );
        assert!(
            t.contains(
                "2. Letters of support — https://ssa-quebec.example/en/letters (page en anglais)"
            ),
            "{text}"
        );
        assert_eq!(t.matches("(page en anglais)").count(), 1, "{text}");
        assert!(t.contains("CONFIRMER sur la première ligne"), "{text}");
        assert!(
            t.contains("Organisme : …") && t.contains("Rencontre exploratoire"),
            "{text}"
        );
        assert!(t.contains("effacée après 30 jours"), "{text}");
        assert!(t.contains("confidentialite@ssa-quebec.example"), "{text}");
        assert!(text.contains("\n-- \n"), "signature delimiter: {text}");
        assert!(
            text.lines()
                .all(|l| l.chars().count() <= WRAP || !l.contains(' ') || l.contains("https://")),
            "{text}"
        );
        assert!(html.contains("<html lang=\"fr\">"), "{html}");
        assert!(
            html.contains("<a href=\"https://ssa-quebec.example/fr/lettre\""),
            "{html}"
        );
        assert!(
            html.contains("<strong>lettre d&#39;appui</strong>"),
            "{html}"
        );
        assert!(html.contains("Confidentialité"), "{html}");
        assert!(
            html.contains("href=\"mailto:confidentialite@ssa-quebec.example\""),
            "{html}"
        );
        assert!(
            !html.contains("<script") && !html.contains("src="),
            "{html}"
        );
    }

    #[test]
    fn an_answer_in_english_marks_french_pages() {
        let draft = answer(Language::En);
        let (msg, text, html) = parse(&draft.raw);
        assert_eq!(
            msg.header_raw("Content-Language").map(str::trim),
            Some("en")
        );
        assert_eq!(
            msg.from().unwrap().first().unwrap().name(),
            Some("Quebec SPOR SUPPORT Unit")
        );
        let t = flat(&text);
        assert!(t.starts_with("Hello,"), "{text}");
        assert!(
            t.contains("1. Lettre d'appui — https://ssa-quebec.example/fr/lettre (page in French)"),
            "{text}"
        );
        assert!(t.contains("The Unit writes support letters."), "{text}");
        assert!(t.contains("word CONFIRM on the first line"), "{text}");
        assert!(
            t.contains("Letter of support") && t.contains("erased after 30 days"),
            "{text}"
        );
        assert!(html.contains("<strong>support letters</strong>"), "{html}");
        assert!(html.contains("(page in French)"), "{html}");
        assert!(html.contains("<html lang=\"en\">"), "{html}");
    }

    #[test]
    fn french_accents_survive_the_transfer_encoding() {
        let raw = answer(Language::Fr).raw;
        assert!(raw.is_ascii(), "the raw message must be 7-bit");
        let (_, text, html) = parse(&raw);
        for s in ["équipes de Québec", "Unité", "première", "Confidentialité"] {
            assert!(text.contains(s) && html.contains(s), "{s}");
        }
    }

    #[test]
    fn hostile_inputs_are_escaped_and_never_linked_or_injected() {
        let hits = vec![
            hit(
                "<script>alert(1)</script>",
                Some("javascript:alert(1)"),
                &[("<script>alert(2)</script>", false), ("<b>x</b>", true)],
                Language::Fr,
            ),
            hit(
                "Bad \"url\"",
                Some("https://x.example/\"onmouseover=\"alert(3)"),
                &[("ok", false)],
                Language::Fr,
            ),
        ];
        let to = Party {
            name: Some("<script>alert(4)</script>\r\nBcc: evil@x.example".into()),
            address: "marie@univ.example".into(),
        };
        let draft = reply(
            &settings(),
            &to,
            &original("<script>alert(5)</script>\r\nBcc: evil@x.example"),
            &Body::Answer {
                hits: &hits,
                feedback: None,
            },
            Language::Fr,
            None,
        )
        .unwrap();
        let names = header_names(&draft.raw);
        assert!(!names.iter().any(|n| n == "bcc"), "{names:?}");
        let (msg, text, html) = parse(&draft.raw);
        assert!(msg.header_raw("Bcc").is_none());
        assert_eq!(msg.to().unwrap().iter().count(), 1);
        assert_eq!(
            msg.subject(),
            Some("Re: <script>alert(5)</script> Bcc: evil@x.example")
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(
            html.contains("&lt;script&gt;alert(2)&lt;/script&gt;"),
            "{html}"
        );
        assert!(
            html.contains("<strong>&lt;b&gt;x&lt;/b&gt;</strong>"),
            "{html}"
        );
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!text.contains("javascript:"), "{text}");
        assert!(
            html.contains("href=\"https://x.example/&quot;onmouseover=&quot;alert(3)\""),
            "{html}"
        );
        assert!(!html.contains("\"onmouseover"), "{html}");
        // The text part is plain text: it may say <script>, it cannot run it.
        assert!(text.contains("<script>alert(2)</script>"));
    }

    #[test]
    fn names_with_commas_quotes_and_accents_are_encoded() {
        for name in [
            "Tremblay, Marie",
            "Marie \"Mimi\" Tremblay",
            "Éloïse Côté-Bélanger",
            "张伟",
        ] {
            let to = Party {
                name: Some(name.into()),
                address: "marie@univ.example".into(),
            };
            let draft = reply(
                &settings(),
                &to,
                &original("x"),
                &Body::NoAnswer,
                Language::Fr,
                None,
            )
            .unwrap();
            assert!(draft.raw.is_ascii());
            let (msg, _, _) = parse(&draft.raw);
            let to = msg.to().unwrap();
            assert_eq!(to.iter().count(), 1, "{name}");
            let first = to.first().unwrap();
            assert_eq!(first.name(), Some(name));
            assert_eq!(first.address(), Some("marie@univ.example"));
        }
    }

    #[test]
    fn a_bad_address_is_an_error() {
        let to = Party {
            name: None,
            address: "not an address".into(),
        };
        let err = reply(
            &settings(),
            &to,
            &original("x"),
            &Body::NoAnswer,
            Language::En,
            None,
        );
        assert!(matches!(err, Err(ComposeError::Address { role: "to", .. })));
    }

    #[test]
    fn a_logged_request_gets_the_tagged_subject_and_its_reference() {
        let tag = thread_tag(SECRET, &reference(), "jane@example.org");
        let attachments = vec!["protocole.pdf".to_string(), "<img src=x>.docx".to_string()];
        for subject in [
            "Re: Lettre d'appui",
            "Re: [SSA-2026-00042 #0123456789abcdef0123] Re: Lettre d'appui",
            "[SSA-2026-00042] Lettre d'appui",
        ] {
            let draft = reply(
                &settings(),
                &person(),
                &original(subject),
                &Body::Logged {
                    reference: reference(),
                    attachments: &attachments,
                },
                Language::Fr,
                Some(&tag),
            )
            .unwrap();
            let (msg, text, html) = parse(&draft.raw);
            let expected = format!("[SSA-2026-00042 #{tag}] Re: Lettre d'appui");
            assert_eq!(msg.subject(), Some(expected.as_str()), "{subject}");
            let (found, found_tag) = subject_reference(msg.subject().unwrap()).unwrap();
            assert_eq!(found, reference());
            assert!(verify_tag(
                SECRET,
                &found,
                "jane@example.org",
                &found_tag.unwrap()
            ));
            let t = flat(&text);
            assert!(t.contains("sous la référence SSA-2026-00042."), "{text}");
            assert!(
                t.contains("protocole.pdf") && t.contains("n'ont pas été conservés"),
                "{text}"
            );
            assert!(
                t.contains("en conservant la référence dans l'objet"),
                "{text}"
            );
            assert!(t.contains("demander la suppression"), "{text}");
            assert!(html.contains("<strong>SSA-2026-00042</strong>"), "{html}");
            assert!(html.contains("&lt;img src=x&gt;.docx"), "{html}");
            assert!(!html.contains("<img"), "{html}");
        }
    }

    #[test]
    fn the_short_replies_say_what_happened() {
        let tag = thread_tag(SECRET, &reference(), "jane@example.org");
        let draft = reply(
            &settings(),
            &person(),
            &original("[SSA-2026-00042 #x] more"),
            &Body::AddedToRequest {
                reference: reference(),
            },
            Language::En,
            Some(&tag),
        )
        .unwrap();
        let (msg, text, _) = parse(&draft.raw);
        assert_eq!(
            msg.subject(),
            Some(format!("[SSA-2026-00042 #{tag}] Re: more").as_str())
        );
        assert!(
            flat(&text).contains("added to request SSA-2026-00042"),
            "{text}"
        );

        let draft = reply(
            &settings(),
            &person(),
            &original("Re: hi"),
            &Body::NothingToConfirm,
            Language::Fr,
            Some(&tag),
        )
        .unwrap();
        let (msg, text, _) = parse(&draft.raw);
        assert_eq!(msg.subject(), Some("Re: hi"), "no tag without a request");
        assert!(
            flat(&text).contains("aucune question à transmettre"),
            "{text}"
        );

        let draft = reply(
            &settings(),
            &person(),
            &original(""),
            &Body::NoAnswer,
            Language::En,
            None,
        )
        .unwrap();
        let (msg, text, _) = parse(&draft.raw);
        assert_eq!(
            msg.subject(),
            Some("Your question to the Quebec SPOR SUPPORT Unit")
        );
        assert!(flat(&text).contains("could not find an answer"), "{text}");
        assert!(flat(&text).contains("CONFIRM"), "{text}");
    }

    #[test]
    fn without_a_message_id_there_is_no_threading() {
        let o = Original {
            subject: "x".into(),
            message_id: None,
            references: vec!["a@b".into()],
            unread_attachments: Vec::new(),
        };
        let draft = reply(
            &settings(),
            &person(),
            &o,
            &Body::NoAnswer,
            Language::En,
            None,
        )
        .unwrap();
        let names = header_names(&draft.raw);
        assert!(
            !names
                .iter()
                .any(|n| n == "in-reply-to" || n == "references"),
            "{names:?}"
        );
    }

    #[test]
    fn long_reference_chains_keep_the_first_and_the_latest() {
        let o = Original {
            subject: "x".into(),
            message_id: Some("last@x".into()),
            references: (0..40)
                .map(|i| format!("m{i}@x"))
                .chain(["bad id@x".to_string()])
                .collect(),
            unread_attachments: Vec::new(),
        };
        let draft = reply(
            &settings(),
            &person(),
            &o,
            &Body::NoAnswer,
            Language::En,
            None,
        )
        .unwrap();
        let (msg, _, _) = parse(&draft.raw);
        let refs = msg.references().as_text_list().unwrap();
        assert_eq!(refs.len(), MAX_REFERENCES);
        assert_eq!(refs[0], "m0@x");
        assert_eq!(refs[refs.len() - 2], "m39@x");
        assert_eq!(refs[refs.len() - 1], "last@x");
    }

    #[test]
    fn the_staff_notification_names_only_the_requester() {
        let staff = Party {
            name: Some("Équipe".into()),
            address: "equipe@ssa-quebec.example".into(),
        };
        let draft = staff_notice(
            &settings(),
            &staff,
            &reference(),
            "Lettre d'appui",
            "Marie <b>Tremblay</b>",
            Some("marie.tremblay@umontreal.ca"),
            Language::Fr,
            StaffNotice::NewRequest,
        )
        .unwrap();
        let (msg, text, html) = parse(&draft.raw);
        assert_eq!(
            msg.subject(),
            Some("Nouvelle demande SSA-2026-00042 : Lettre d'appui")
        );
        assert_eq!(
            msg.header_raw("Auto-Submitted").map(str::trim),
            Some("auto-generated")
        );
        assert!(msg.in_reply_to().is_empty());
        // Staff answer the requester by replying.
        assert_eq!(
            msg.reply_to()
                .and_then(|r| r.first())
                .and_then(|a| a.address())
                .map(|a| a.to_string()),
            Some("marie.tremblay@umontreal.ca".into())
        );
        let t = flat(&text);
        assert!(t.contains("Référence : SSA-2026-00042"), "{text}");
        assert!(
            t.contains("Canal : courriel") && t.contains("Nom : Marie <b>Tremblay</b>"),
            "{text}"
        );
        assert!(
            t.contains("https://guichet.ssa-quebec.example/staff/requests/SSA-2026-00042"),
            "{text}"
        );
        assert!(!t.contains("marie@univ.example"));
        assert!(
            html.contains(
                "href=\"https://guichet.ssa-quebec.example/staff/requests/SSA-2026-00042\""
            ),
            "{html}"
        );
        assert!(html.contains("Marie &lt;b&gt;Tremblay&lt;/b&gt;"), "{html}");

        let mut s = settings();
        s.staff_page_url = None;
        let draft = staff_notice(
            &s,
            &staff,
            &reference(),
            "Training",
            "Jane",
            None,
            Language::En,
            StaffNotice::NewMessage,
        )
        .unwrap();
        let (msg, text, _) = parse(&draft.raw);
        assert_eq!(msg.subject(), Some("New message on request SSA-2026-00042"));
        assert!(flat(&text).contains("staff area"), "{text}");
    }

    #[test]
    fn mail_messages_exist_in_both_languages_with_the_same_placeholders() {
        fn placeholders(text: &str) -> Vec<String> {
            let mut out: Vec<String> = text
                .split('{')
                .skip(1)
                .filter_map(|p| p.split_once('}').map(|(name, _)| name.to_string()))
                .collect();
            out.sort();
            out
        }
        let mail: Vec<Msg> = Msg::ALL
            .iter()
            .copied()
            .filter(|m| format!("{m:?}").starts_with("Mail"))
            .collect();
        assert!(mail.len() >= 29);
        for m in mail {
            let fr = m.text(Language::Fr);
            let en = m.text(Language::En);
            assert!(!fr.is_empty() && !en.is_empty(), "{m:?}");
            assert_eq!(placeholders(fr), placeholders(en), "{m:?}");
        }
    }

    #[test]
    fn message_ids_are_random_and_well_formed() {
        let a = new_message_id("ssa-quebec.example");
        let b = new_message_id("ssa-quebec.example");
        assert_ne!(a, b);
        assert!(a.ends_with("@ssa-quebec.example"));
        assert!(new_message_id("bad domain>\r\n").ends_with("@baddomain"));
        assert!(new_message_id("").ends_with("@guichet.invalid"));
    }
}
