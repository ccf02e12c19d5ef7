//! Renders what the mail channel says as threaded emails (text + HTML), and reads the
//! few things a reply can tell it: a signed request reference in the subject, a
//! confirmation, and optional detail lines.
//!
//! The caller decides what to send ([`Body`]); this module only writes it. Everything that
//! comes from outside (subjects, names, titles, excerpts, URLs) is cleaned of control
//! characters before it reaches a header, and HTML-escaped before it reaches the HTML part.

use std::sync::atomic::{AtomicU64, Ordering};

use hmac::{Hmac, Mac};
use lettre::address::AddressError;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{Address, Message};
use sha2::{Digest, Sha256};

use crate::language::Language;
use crate::messages::Msg;
use crate::requests::model::{RequestRef, RequestType};
use crate::search::answer::Hit;

/// Text lines are wrapped at this width (URLs and long words are never cut).
const WRAP: usize = 76;
/// A subject is cut to this many characters.
const SUBJECT_CHARS: usize = 200;
/// At most this many message ids go into `References` (the first and the latest).
const MAX_REFERENCES: usize = 20;
/// At most this many attachment names are listed.
const MAX_ATTACHMENTS: usize = 20;
/// What a thread tag signs, before the reference.
const TAG_CONTEXT: &str = "guichet-thread:";
/// Bytes of HMAC kept in a thread tag (20 hex characters).
const TAG_BYTES: usize = 10;

type HmacSha256 = Hmac<Sha256>;

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
}

/// What to say.
#[derive(Debug, Clone)]
pub enum Body<'a> {
    /// The knowledge base answered: the excerpts, then how to turn the inquiry into a
    /// request by replying. With no hits it reads like [`Body::NoAnswer`].
    Answer { hits: &'a [Hit] },
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
}

/// How emails are written, from the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The contact mailbox. Without a name, the Unit's name in the email's language.
    pub from: Party,
    /// Days after which an unconfirmed inquiry is erased.
    pub retention_days: u32,
    /// Where to ask to see or delete one's information (an address or a URL); empty:
    /// the contact mailbox itself.
    pub privacy_contact: String,
    /// Base URL of the staff pages, for links in staff notifications.
    pub staff_page_url: Option<String>,
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
}

/// Optional details given in a confirming reply (`Organisme : …`, `Type : …`, `Nom : …`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Details {
    pub name: Option<String>,
    pub organization: Option<String>,
    /// The raw text; the caller maps it to a request type.
    pub request_type: Option<String>,
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
    settings: &Settings,
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
    let blocks = reply_blocks(settings, body, lang);
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
/// and a link to the staff page when configured. Not a reply
/// (`Auto-Submitted: auto-generated`).
pub fn staff_notice(
    settings: &Settings,
    staff: &Party,
    reference: &RequestRef,
    request_type_label: &str,
    requester_name: &str,
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
    let link = settings.staff_page_url.as_deref().map(|base| {
        format!(
            "{}/requests/{reference_text}",
            base.trim().trim_end_matches('/')
        )
    });
    match link {
        Some(link) if !link.starts_with("/requests/") => {
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
        _ => blocks.push(Block::Para(vec![Inline::Text(
            Msg::MailStaffNoLink.text(lang).to_string(),
        )])),
    }
    blocks.push(Block::Signature(vec![
        Msg::MailFromName.text(lang).to_string(),
        Msg::MailStaffSignature.text(lang).to_string(),
    ]));
    let extra = [
        ("Auto-Submitted", "auto-generated".to_string()),
        ("X-Auto-Response-Suppress", "All".to_string()),
    ];
    build(settings, staff, &subject, &blocks, lang, None, &extra)
}

/// Builds the message shared by replies and notices.
fn build(
    settings: &Settings,
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
    let html = render_html(blocks, lang, subject);
    let message = builder.multipart(MultiPart::alternative_plain_html(text, html))?;
    Ok(Draft {
        message_id,
        to: to_address.to_string(),
        subject: subject.to_string(),
        raw: message.formatted(),
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
    format!("{}@{domain}", hex(&bytes))
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

// ---------------------------------------------------------------------------------------
// Subjects
// ---------------------------------------------------------------------------------------

/// `Re: <subject>` without stacked prefixes; with a tag, `[SSA-… #tag] Re: <subject>`.
fn reply_subject(original: &str, tagged: Option<(RequestRef, &str)>, lang: Language) -> String {
    let mut subject = clean_line(original);
    if let Some((reference, _)) = tagged {
        subject = remove_reference_brackets(&subject, &reference);
    }
    let core = strip_reply_prefixes(&subject).to_string();
    let core = clip(&core, SUBJECT_CHARS);
    let base = if core.is_empty() {
        Msg::MailDefaultSubject.text(lang).to_string()
    } else {
        format!("Re: {core}")
    };
    match tagged {
        Some((reference, tag)) => {
            let tag: String = tag.chars().filter(char::is_ascii_alphanumeric).collect();
            if tag.is_empty() {
                format!("[{reference}] {base}")
            } else {
                format!("[{reference} #{tag}] {base}")
            }
        }
        None => base,
    }
}

/// The subject without leading `Re:`, `RE :`, `TR:`, `Réf. :`, `AW:`, `Fwd:`, `SV:`…
/// (any number, any case; `Re[2]:` too).
pub fn strip_reply_prefixes(subject: &str) -> &str {
    const PREFIXES: &[&str] = &[
        "re", "ré", "réf", "ref", "tr", "aw", "fwd", "fw", "wg", "sv", "vs", "antw", "rif", "r",
    ];
    let mut s = subject.trim_start();
    loop {
        let word_end = s
            .char_indices()
            .find(|(_, c)| !c.is_alphabetic())
            .map(|(i, _)| i)
            .unwrap_or(s.len());
        let word = s[..word_end].to_lowercase();
        if word_end == 0 || !PREFIXES.contains(&word.as_str()) {
            return s;
        }
        let mut rest = &s[word_end..];
        // "Re[2]:" / "Re(2):"
        if let Some(inner) = rest.strip_prefix(['[', '(']) {
            let digits = inner.bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0 && inner[digits..].starts_with([']', ')']) {
                rest = &inner[digits + 1..];
            }
        }
        // "Réf. :" / "Re :" / "Re\u{a0}:"
        let rest = rest.trim_start_matches('.');
        let rest = rest.trim_start_matches([' ', '\u{a0}', '\u{202f}']);
        match rest.strip_prefix([':', '：']) {
            Some(after) => s = after.trim_start(),
            None => return s,
        }
    }
}

/// Removes every `[SSA-… …]` bracket naming `reference` from a subject.
fn remove_reference_brackets(subject: &str, reference: &RequestRef) -> String {
    let mut out = String::new();
    let mut rest = subject;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        match parse_bracket(after) {
            Some((found, _, len)) if found == *reference => {
                out.push_str(&rest[..open]);
                rest = &after[len..];
            }
            _ => {
                out.push_str(&rest[..=open]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads `SSA-2026-00042 #tag]` or `SSA-2026-00042]` (spaces allowed around) at the start
/// of `text` (just after a `[`): the reference, the tag, and the length read.
fn parse_bracket(text: &str) -> Option<(RequestRef, Option<String>, usize)> {
    let close = text.find(']')?;
    let inner = text[..close].trim_matches([' ', '\u{a0}', '\t']);
    let (reference, tag) = match inner.split_once('#') {
        Some((r, t)) => {
            let t = t.trim();
            let valid =
                !t.is_empty() && t.len() <= 64 && t.chars().all(|c| c.is_ascii_alphanumeric());
            if !valid {
                return None;
            }
            (r.trim(), Some(t.to_string()))
        }
        None => (inner, None),
    };
    let reference = RequestRef::parse(reference).ok()?;
    Some((reference, tag, close + 1))
}

/// Finds `[SSA-2026-00042 #tag]` or `[SSA-2026-00042]` anywhere in a subject (whatever
/// prefixes come before, any case): the reference and the tag if any. A reference outside
/// square brackets does not count.
pub fn subject_reference(subject: &str) -> Option<(RequestRef, Option<String>)> {
    let mut rest = subject;
    while let Some(open) = rest.find('[') {
        rest = &rest[open + 1..];
        if let Some((reference, tag, _)) = parse_bracket(rest) {
            return Some((reference, tag));
        }
    }
    None
}

// ---------------------------------------------------------------------------------------
// Thread tags
// ---------------------------------------------------------------------------------------

fn tag_mac(secret: &[u8], reference: &RequestRef) -> HmacSha256 {
    // HMAC takes keys of any length.
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(TAG_CONTEXT.as_bytes());
    mac.update(reference.to_string().as_bytes());
    mac
}

/// The tag that lets a subject's reference attach a message to a request:
/// HMAC-SHA256(secret, `guichet-thread:` + reference), first 10 bytes, lowercase hex.
pub fn thread_tag(secret: &[u8], reference: &RequestRef) -> String {
    let full = tag_mac(secret, reference).finalize().into_bytes();
    hex(&full[..TAG_BYTES])
}

/// Whether `tag` is the tag of `reference` under `secret` (constant time; hex in any
/// case; a shortened tag is refused).
pub fn verify_tag(secret: &[u8], reference: &RequestRef, tag: &str) -> bool {
    let tag = tag.trim();
    if tag.len() != TAG_BYTES * 2 {
        return false;
    }
    let Some(bytes) = unhex(tag) else {
        return false;
    };
    tag_mac(secret, reference)
        .verify_truncated_left(&bytes)
        .is_ok()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

// ---------------------------------------------------------------------------------------
// Reading replies
// ---------------------------------------------------------------------------------------

/// Lowercase, without accents, with typographic apostrophes made straight.
fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => out.push('a'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'î' | 'ï' | 'í' | 'ì' => out.push('i'),
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' => out.push('o'),
            'ù' | 'û' | 'ü' | 'ú' => out.push('u'),
            'ç' => out.push('c'),
            'ÿ' => out.push('y'),
            'ñ' => out.push('n'),
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            '’' | '‘' | 'ʼ' | '`' | '´' => out.push('\''),
            '\u{a0}' | '\u{202f}' | '\u{2009}' => out.push(' '),
            '\u{200b}' | '\u{feff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// The words of a folded line (letters, digits and apostrophes).
fn words(folded: &str) -> Vec<&str> {
    folded
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .collect()
}

/// Words that open a greeting line.
const GREETINGS: &[&str] = &[
    "bonjour",
    "bonsoir",
    "salut",
    "allo",
    "hello",
    "hi",
    "hey",
    "dear",
    "cher",
    "chere",
    "chers",
    "cheres",
    "madame",
    "monsieur",
    "mesdames",
    "messieurs",
    "greetings",
    "good",
    "coucou",
    "bon",
];

/// Words that, soon after a confirmation word, turn it into a refusal or a question.
const NEGATIONS: &[&str] = &[
    "pas", "not", "no", "non", "don't", "dont", "jamais", "never", "nope", "plus", "wait",
    "attendez", "n'", "ne",
];

/// Whether the reply's new text confirms: its first meaningful line (greetings skipped)
/// starts with CONFIRM, CONFIRMER, CONFIRMÉ, « je confirme » or "I confirm" (case and
/// accents ignored, « oui » / "yes" allowed before). Negations and questions do not count.
pub fn is_confirmation(text: &str) -> bool {
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('>') {
            continue;
        }
        let folded = fold(line);
        let w = words(&folded);
        if w.is_empty() {
            continue;
        }
        if GREETINGS.contains(&w[0]) {
            // "Bonjour, je confirme" / "Hello team," / "Dear Sir or Madam,"
            if let Some((_, after)) = folded.split_once([',', '!', ';']) {
                let after_words = words(after);
                if !after_words.is_empty() {
                    return confirms(after, &after_words);
                }
                continue;
            }
            if confirms(&folded, &w[1..]) {
                return true;
            }
            if w.len() <= 5 {
                continue;
            }
            return false;
        }
        return confirms(&folded, &w);
    }
    false
}

/// Whether these words start a confirmation (see [`is_confirmation`]).
fn confirms(line: &str, w: &[&str]) -> bool {
    if line.contains('?') {
        return false;
    }
    let mut i = 0;
    if matches!(
        w.first(),
        Some(&"oui") | Some(&"yes") | Some(&"ok") | Some(&"d'accord")
    ) {
        i = 1;
    }
    let head = match (w.get(i), w.get(i + 1)) {
        (Some(&"je"), Some(&"confirme")) | (Some(&"i"), Some(&"confirm")) => 2,
        (Some(&("confirm" | "confirmer" | "confirme" | "confirmee" | "confirmed")), _) => 1,
        _ => return false,
    };
    let after = &w[(i + head).min(w.len())..];
    !after
        .iter()
        .take(3)
        .any(|word| NEGATIONS.contains(word) || word.ends_with("n't") || word.starts_with("n'"))
}

/// Reads the optional detail lines of a confirming reply: `Nom : …` / `Name: …`,
/// `Organisme : …` / `Organisation: …` / `Organization: …` / `Affiliation : …`,
/// `Type : …` / `Type de demande : …` / `Request type: …` (case and accents optional).
/// The first of each wins; empty values and unknown lines are ignored.
pub fn reply_details(text: &str) -> Details {
    let mut details = Details::default();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('>') {
            continue;
        }
        let line = line.trim_start_matches(['-', '*', '•', ' ', '\t']);
        let Some((key, value)) = line.split_once([':', '：']) else {
            continue;
        };
        let key = fold(key);
        let key = key.split_whitespace().collect::<Vec<_>>().join(" ");
        let value = clip(&clean_line(value), 200);
        // "Organisme : …" copied from our example, unfilled.
        if value.chars().all(|c| matches!(c, '…' | '.' | ' ' | '_')) {
            continue;
        }
        let slot = match key.as_str() {
            "nom" | "name" | "nom complet" | "full name" | "your name" | "votre nom" => {
                &mut details.name
            }
            "organisme"
            | "organisation"
            | "organization"
            | "organisme ou affiliation"
            | "affiliation"
            | "votre organisme"
            | "your organization" => &mut details.organization,
            "type" | "type de demande" | "request type" | "type of request" => {
                &mut details.request_type
            }
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(value);
        }
    }
    details
}

// ---------------------------------------------------------------------------------------
// Content: blocks rendered twice, as text and as HTML
// ---------------------------------------------------------------------------------------

/// A run of text inside a paragraph.
#[derive(Debug, Clone)]
enum Inline {
    Text(String),
    Strong(String),
    /// A matched word in an excerpt.
    Mark(String),
    /// A link (only http, https and mailto are ever linked).
    Link {
        text: String,
        url: String,
    },
}

/// A piece of an email.
#[derive(Debug, Clone)]
enum Block {
    Para(Vec<Inline>),
    Heading(String),
    /// Short lines kept as they are (detail lines to copy, facts).
    Lines(Vec<Vec<Inline>>),
    Bullets(Vec<String>),
    /// One excerpt of an answer.
    Hit {
        number: usize,
        title: String,
        url: Option<String>,
        other_language: Option<&'static str>,
        excerpt: Vec<Inline>,
    },
    /// The small print (privacy).
    Small(Vec<Inline>),
    Signature(Vec<String>),
}

/// The blocks of a reply.
fn reply_blocks(settings: &Settings, body: &Body<'_>, lang: Language) -> Vec<Block> {
    let mut blocks = vec![Block::Para(vec![Inline::Text(
        Msg::MailGreeting.text(lang).to_string(),
    )])];
    let contact = contact_inline(settings);
    match body {
        Body::Answer { hits } if !hits.is_empty() => {
            blocks.push(text_para(Msg::MailAnswerIntro.text(lang)));
            for (i, hit) in hits.iter().enumerate() {
                blocks.push(hit_block(i + 1, hit, lang));
            }
            offer_blocks(&mut blocks, settings, lang, &contact);
        }
        Body::NotSure { suggestions } if !suggestions.is_empty() => {
            blocks.push(text_para(Msg::NotSure.text(lang)));
            for (i, hit) in suggestions.iter().enumerate() {
                blocks.push(hit_block(i + 1, hit, lang));
            }
            offer_blocks(&mut blocks, settings, lang, &contact);
        }
        Body::Answer { .. } | Body::NotSure { .. } | Body::NoAnswer => {
            blocks.push(text_para(Msg::MailNoAnswer.text(lang)));
            offer_blocks(&mut blocks, settings, lang, &contact);
        }
        Body::Logged {
            reference,
            attachments,
        } => {
            blocks.push(Block::Para(fill_inline(
                Msg::MailLogged.text(lang),
                &[("reference", Inline::Strong(reference.to_string()))],
            )));
            blocks.push(text_para(Msg::MailLoggedNext.text(lang)));
            blocks.push(text_para(Msg::MailLoggedAddInfo.text(lang)));
            let names: Vec<String> = attachments
                .iter()
                .map(|n| clip(&clean_line(n), 120))
                .filter(|n| !n.is_empty())
                .collect();
            if !names.is_empty() {
                blocks.push(text_para(Msg::MailAttachmentsNoted.text(lang)));
                let mut listed: Vec<String> = names.iter().take(MAX_ATTACHMENTS).cloned().collect();
                if names.len() > MAX_ATTACHMENTS {
                    listed.push("…".to_string());
                }
                blocks.push(Block::Bullets(listed));
            }
            blocks.push(Block::Para(fill_inline(
                Msg::MailDeletion.text(lang),
                &[("contact", contact.clone())],
            )));
        }
        Body::AddedToRequest { reference } => {
            blocks.push(Block::Para(fill_inline(
                Msg::MailAdded.text(lang),
                &[("reference", Inline::Strong(reference.to_string()))],
            )));
            blocks.push(Block::Para(fill_inline(
                Msg::MailDeletion.text(lang),
                &[("contact", contact.clone())],
            )));
        }
        Body::NothingToConfirm => {
            blocks.push(text_para(Msg::MailNothingToConfirm.text(lang)));
            blocks.push(text_para(Msg::MailHowToAsk.text(lang)));
        }
    }
    blocks.push(Block::Signature(vec![
        Msg::MailFromName.text(lang).to_string(),
        Msg::MailSignature.text(lang).to_string(),
    ]));
    blocks
}

/// "Want help from the staff?": how to confirm, the optional lines, the types, privacy.
fn offer_blocks(blocks: &mut Vec<Block>, settings: &Settings, lang: Language, contact: &Inline) {
    blocks.push(Block::Heading(Msg::MailOfferTitle.text(lang).to_string()));
    blocks.push(text_para(Msg::MailOfferHow.text(lang)));
    blocks.push(text_para(Msg::MailOfferDetails.text(lang)));
    blocks.push(Block::Lines(
        Msg::MailOfferFields
            .text(lang)
            .lines()
            .map(|l| vec![Inline::Text(l.to_string())])
            .collect(),
    ));
    blocks.push(text_para(Msg::MailRequestTypes.text(lang)));
    blocks.push(Block::Bullets(
        RequestType::ALL
            .iter()
            .map(|t| t.label(lang).to_string())
            .collect(),
    ));
    let days = settings.retention_days.to_string();
    blocks.push(Block::Small(fill_inline(
        Msg::MailPrivacy.text(lang),
        &[("days", Inline::Text(days)), ("contact", contact.clone())],
    )));
}

fn text_para(text: &str) -> Block {
    Block::Para(vec![Inline::Text(text.to_string())])
}

/// The privacy contact as a link when it is an address or a web page.
fn contact_inline(settings: &Settings) -> Inline {
    let contact = clean_line(&settings.privacy_contact);
    let contact = if contact.is_empty() {
        clean_line(&settings.from.address)
    } else {
        contact
    };
    if web_url(&contact).is_some() {
        return Inline::Link {
            text: contact.clone(),
            url: contact,
        };
    }
    let bare = contact.strip_prefix("mailto:").unwrap_or(&contact);
    if bare.parse::<Address>().is_ok() {
        return Inline::Link {
            text: bare.to_string(),
            url: format!("mailto:{bare}"),
        };
    }
    Inline::Text(contact)
}

fn hit_block(number: usize, hit: &Hit, lang: Language) -> Block {
    let mut title = clean_line(&hit.title);
    if title.is_empty() {
        title = Msg::Source.text(lang).to_string();
    }
    if let Some(section) = hit.section.as_deref().map(clean_line) {
        if !section.is_empty() && section != title {
            title = format!("{title} › {section}");
        }
    }
    let excerpt = hit
        .excerpt
        .0
        .iter()
        .map(|s| {
            let text = s.text.replace(['\r', '\n', '\t'], " ");
            if s.highlighted {
                Inline::Mark(text)
            } else {
                Inline::Text(text)
            }
        })
        .collect();
    Block::Hit {
        number,
        title,
        url: hit.url.as_deref().and_then(web_url).map(str::to_string),
        other_language: (hit.lang != lang).then(|| Msg::MailPageInOtherLanguage.text(lang)),
        excerpt,
    }
}

/// `url` when it is an http or https URL without spaces or control characters.
fn web_url(url: &str) -> Option<&str> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    let scheme_ok = lower.starts_with("https://") || lower.starts_with("http://");
    let chars_ok = url.len() <= 2_000 && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    (scheme_ok && chars_ok && url.len() > "https://".len()).then_some(url)
}

/// Splits a message template on its `{name}` placeholders, putting `values` in.
fn fill_inline(template: &str, values: &[(&str, Inline)]) -> Vec<Inline> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut rest = template;
    'scan: while let Some(open) = rest.find('{') {
        for (name, value) in values {
            let key = format!("{{{name}}}");
            if rest[open..].starts_with(&key) {
                text.push_str(&rest[..open]);
                if !text.is_empty() {
                    out.push(Inline::Text(std::mem::take(&mut text)));
                }
                out.push(value.clone());
                rest = &rest[open + key.len()..];
                continue 'scan;
            }
        }
        text.push_str(&rest[..=open]);
        rest = &rest[open + 1..];
    }
    text.push_str(rest);
    if !text.is_empty() {
        out.push(Inline::Text(text));
    }
    out
}

// ---------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------

/// Plain text: matched words are not marked (asterisks read badly aloud and in quotes);
/// links are written out; lines are wrapped at [`WRAP`].
fn render_text(blocks: &[Block]) -> String {
    let mut out: Vec<String> = Vec::new();
    for block in blocks {
        let chunk = match block {
            Block::Para(inlines) | Block::Small(inlines) => wrap(&inline_text(inlines), "", ""),
            Block::Heading(text) => typo(text),
            Block::Lines(lines) => lines
                .iter()
                .map(|l| inline_text(l))
                .collect::<Vec<_>>()
                .join("\n"),
            Block::Bullets(items) => items
                .iter()
                .map(|i| wrap(&typo(i), "  - ", "    "))
                .collect::<Vec<_>>()
                .join("\n"),
            Block::Hit {
                number,
                title,
                url,
                other_language,
                excerpt,
            } => {
                let mut head = typo(title);
                if let Some(url) = url {
                    head.push_str(" — ");
                    head.push_str(url);
                }
                if let Some(note) = other_language {
                    head.push(' ');
                    head.push_str(&note.replace(' ', "\u{a0}"));
                }
                let first = format!("{number}. ");
                let indent = " ".repeat(first.len());
                format!(
                    "{}\n{}",
                    wrap(&head, &first, &indent),
                    wrap(&inline_text(excerpt), &indent, &indent)
                )
            }
            // "-- " is the usual signature delimiter: mail clients fold what follows.
            Block::Signature(lines) => format!("-- \n{}", lines.join("\n")),
        };
        out.push(chunk);
    }
    let mut text = out.join("\n\n");
    text.push('\n');
    text
}

fn inline_text(inlines: &[Inline]) -> String {
    inlines
        .iter()
        .map(|i| match i {
            Inline::Text(t) | Inline::Strong(t) | Inline::Mark(t) => typo(t),
            Inline::Link { text, url } => {
                let shown = url.strip_prefix("mailto:").unwrap_or(url);
                if text == shown {
                    text.clone()
                } else {
                    format!("{text} <{shown}>")
                }
            }
        })
        .collect()
}

/// Wraps `text` at [`WRAP`] columns on spaces; `first` starts the first line and `indent`
/// the others. Words longer than a line (URLs) stay whole.
fn wrap(text: &str, first: &str, indent: &str) -> String {
    let mut out = String::from(first);
    let mut col = first.chars().count();
    let mut at_start = true;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let len = word.chars().count();
        if !at_start && col + 1 + len > WRAP {
            out.push('\n');
            out.push_str(indent);
            col = indent.chars().count();
            at_start = true;
        }
        if !at_start {
            out.push(' ');
            col += 1;
        }
        out.push_str(word);
        col += len;
        at_start = false;
    }
    out
}

const STYLE_BODY: &str = "margin:0;padding:16px;background:#ffffff;color:#1f2328;font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5";
const STYLE_LINK: &str = "color:#0b4f8a;text-decoration:underline";
const STYLE_MUTED: &str = "color:#57606a";
const STYLE_EXCERPT: &str =
    "margin:6px 0 0;padding:2px 0 2px 12px;border-left:3px solid #c8d3e0;color:#1f2328";
const STYLE_SMALL: &str = "margin:20px 0 0;font-size:13px;color:#57606a";
const STYLE_SIGNATURE: &str =
    "margin:24px 0 0;padding-top:8px;border-top:1px solid #d8dee4;font-size:13px;color:#57606a";

/// A small, self-contained HTML document: inline styles, no scripts, no external resource.
fn render_html(blocks: &[Block], lang: Language, subject: &str) -> String {
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n");
    h.push_str(&format!("<html lang=\"{}\">\n<head>\n", lang.code()));
    h.push_str("<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    h.push_str(&format!("<title>{}</title>\n", escape(subject)));
    h.push_str(&format!("</head>\n<body style=\"{STYLE_BODY}\">\n"));
    h.push_str("<div style=\"max-width:640px\">\n");
    let mut hits_open = false;
    for block in blocks {
        let is_hit = matches!(block, Block::Hit { .. });
        if is_hit && !hits_open {
            h.push_str("<ol style=\"margin:0;padding-left:24px\">\n");
            hits_open = true;
        } else if !is_hit && hits_open {
            h.push_str("</ol>\n");
            hits_open = false;
        }
        match block {
            Block::Para(inlines) => {
                h.push_str(&format!(
                    "<p style=\"margin:0 0 12px\">{}</p>\n",
                    inline_html(inlines)
                ));
            }
            Block::Heading(text) => h.push_str(&format!(
                "<h2 style=\"margin:24px 0 8px;font-size:17px\">{}</h2>\n",
                escape(&typo(text))
            )),
            Block::Lines(lines) => {
                let lines: Vec<String> = lines.iter().map(|l| inline_html(l)).collect();
                h.push_str(&format!(
                    "<p style=\"margin:0 0 12px;padding-left:12px\">{}</p>\n",
                    lines.join("<br>\n")
                ));
            }
            Block::Bullets(items) => {
                h.push_str("<ul style=\"margin:0 0 12px;padding-left:24px\">\n");
                for item in items {
                    h.push_str(&format!("<li>{}</li>\n", escape(&typo(item))));
                }
                h.push_str("</ul>\n");
            }
            Block::Hit {
                number: _,
                title,
                url,
                other_language,
                excerpt,
            } => {
                h.push_str("<li style=\"margin:0 0 16px\">");
                match url {
                    Some(url) => h.push_str(&format!(
                        "<a href=\"{}\" style=\"{STYLE_LINK};font-weight:bold\">{}</a>",
                        escape(url),
                        escape(&typo(title))
                    )),
                    None => h.push_str(&format!("<strong>{}</strong>", escape(&typo(title)))),
                }
                if let Some(note) = other_language {
                    h.push_str(&format!(
                        " <span style=\"{STYLE_MUTED}\">{}</span>",
                        escape(&typo(note))
                    ));
                }
                h.push_str(&format!(
                    "\n<div style=\"{STYLE_EXCERPT}\">{}</div></li>\n",
                    inline_html(excerpt)
                ));
            }
            Block::Small(inlines) => h.push_str(&format!(
                "<p style=\"{STYLE_SMALL}\">{}</p>\n",
                inline_html(inlines)
            )),
            Block::Signature(lines) => {
                let lines: Vec<String> = lines.iter().map(|l| escape(l)).collect();
                h.push_str(&format!(
                    "<p style=\"{STYLE_SIGNATURE}\">{}</p>\n",
                    lines.join("<br>\n")
                ));
            }
        }
    }
    if hits_open {
        h.push_str("</ol>\n");
    }
    h.push_str("</div>\n</body>\n</html>\n");
    h
}

fn inline_html(inlines: &[Inline]) -> String {
    inlines
        .iter()
        .map(|i| match i {
            Inline::Text(t) => escape(&typo(t)),
            Inline::Strong(t) | Inline::Mark(t) => format!("<strong>{}</strong>", escape(&typo(t))),
            Inline::Link { text, url } => {
                let linkable = web_url(url).is_some()
                    || url
                        .strip_prefix("mailto:")
                        .is_some_and(|a| a.parse::<Address>().is_ok());
                if linkable {
                    format!(
                        "<a href=\"{}\" style=\"{STYLE_LINK}\">{}</a>",
                        escape(url),
                        escape(text)
                    )
                } else {
                    escape(text)
                }
            }
        })
        .collect()
}

/// Non-breaking spaces where French typography puts a space before `:`, `;`, `!`, `?`,
/// `»` and after `«`, so that no line starts with a lone punctuation mark.
fn typo(text: &str) -> String {
    text.replace(" :", "\u{a0}:")
        .replace(" ;", "\u{a0};")
        .replace(" !", "\u{a0}!")
        .replace(" ?", "\u{a0}?")
        .replace(" »", "\u{a0}»")
        .replace("« ", "«\u{a0}")
}

/// Escapes text for HTML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One line of outside text: control and bidirectional-override characters become
/// spaces, runs of spaces become one.
fn clean_line(text: &str) -> String {
    text.chars()
        .map(|c| {
            if crate::text::is_unsafe_char(c) {
                ' '
            } else {
                c
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// At most `max` characters, with "…" when cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
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

    fn settings() -> Settings {
        Settings {
            from: Party {
                name: None,
                address: "guichet@ssa-quebec.example".into(),
            },
            retention_days: 30,
            privacy_contact: "confidentialite@ssa-quebec.example".into(),
            staff_page_url: Some("https://guichet.ssa-quebec.example/staff/".into()),
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
            &Body::Answer { hits: &hits },
            lang,
            None,
        )
        .unwrap()
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
            &Body::Answer { hits: &hits },
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
    fn subjects_do_not_stack_prefixes() {
        let cases = [
            ("Lettre d'appui", "Re: Lettre d'appui"),
            ("Re: Lettre d'appui", "Re: Lettre d'appui"),
            ("RE: Re: re: Lettre", "Re: Lettre"),
            ("TR: Réf. : AW: Fwd: Lettre", "Re: Lettre"),
            ("Re[2]: Lettre", "Re: Lettre"),
            ("RE : Lettre", "Re: Lettre"),
            ("Regarding grants", "Re: Regarding grants"),
            ("Réseau", "Re: Réseau"),
            (
                "Re: [SSA-2026-00042 #abc] Lettre",
                "Re: [SSA-2026-00042 #abc] Lettre",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(
                reply_subject(input, None, Language::Fr),
                expected,
                "{input}"
            );
        }
        assert_eq!(
            reply_subject("  ", None, Language::Fr),
            "Votre question à l'Unité de soutien SSA Québec"
        );
        assert_eq!(
            reply_subject("Re: ", None, Language::En),
            "Your question to the Quebec SPOR SUPPORT Unit"
        );
    }

    #[test]
    fn a_logged_request_gets_the_tagged_subject_and_its_reference() {
        let tag = thread_tag(SECRET, &reference());
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
            assert!(verify_tag(SECRET, &found, &found_tag.unwrap()));
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
        let tag = thread_tag(SECRET, &reference());
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
            Language::En,
            StaffNotice::NewMessage,
        )
        .unwrap();
        let (msg, text, _) = parse(&draft.raw);
        assert_eq!(msg.subject(), Some("New message on request SSA-2026-00042"));
        assert!(flat(&text).contains("staff area"), "{text}");
    }

    #[test]
    fn thread_tags_are_short_and_unforgeable() {
        let r = reference();
        let tag = thread_tag(SECRET, &r);
        assert_eq!(tag.len(), 20);
        assert!(tag
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_eq!(tag, thread_tag(SECRET, &r), "stable");
        assert!(verify_tag(SECRET, &r, &tag));
        assert!(verify_tag(SECRET, &r, &tag.to_uppercase()));
        assert!(!verify_tag(b"another secret", &r, &tag));
        assert!(!verify_tag(
            SECRET,
            &RequestRef::new(2026, 43).unwrap(),
            &tag
        ));
        assert!(!verify_tag(
            SECRET,
            &RequestRef::new(2025, 42).unwrap(),
            &tag
        ));
        assert!(!verify_tag(SECRET, &r, &tag[..19]));
        assert!(!verify_tag(SECRET, &r, &tag[..10]));
        assert!(!verify_tag(SECRET, &r, ""));
        assert!(!verify_tag(SECRET, &r, &format!("{tag}00")));
        for i in 0..tag.len() {
            let mut altered: Vec<char> = tag.chars().collect();
            altered[i] = if altered[i] == '0' { '1' } else { '0' };
            let altered: String = altered.into_iter().collect();
            assert!(!verify_tag(SECRET, &r, &altered), "{altered}");
        }
        assert!(!verify_tag(SECRET, &r, "zzzzzzzzzzzzzzzzzzzz"));
        assert!(!verify_tag(SECRET, &r, "éééééééééé"));
    }

    #[test]
    fn subject_references_are_found_in_real_world_subjects() {
        let r = reference();
        let some = |t: &str| Some((r, Some(t.to_string())));
        type Found = Option<(RequestRef, Option<String>)>;
        let cases: Vec<(&str, Found)> = vec![
            ("[SSA-2026-00042 #0a1b2c] Lettre", some("0a1b2c")),
            ("Re: [SSA-2026-00042 #0a1b2c] Re: Lettre", some("0a1b2c")),
            (
                "RE: TR: AW: Fwd: [ssa-2026-00042 #0A1B2C] x",
                some("0A1B2C"),
            ),
            ("Re:[SSA-2026-00042 #abc]x", some("abc")),
            ("Re: [EXT] [SSA-2026-00042 #abc] x", some("abc")),
            ("[EXTERNAL] Re: Lettre [SSA-2026-00042 #abc]", some("abc")),
            ("Re: [ SSA-2026-00042  #abc ] x", some("abc")),
            ("Re: [SSA-2026-00042#abc] x", some("abc")),
            ("*** SPAM *** Re: [SSA-2026-00042] x", Some((r, None))),
            ("Réf. : [SSA-2026-00042] Lettre d'appui", Some((r, None))),
            ("[[SSA-2026-00042 #abc]] x", some("abc")),
            ("Re: SSA-2026-00042 x", None),
            ("Re: [SSA-2026-00042 x] y", None),
            ("Re: [SSA-2026-00042 #] y", None),
            ("Re: [SSA-2026-00042 #ab-cd] y", None),
            ("Re: [SSA-2026-0004] y", None),
            ("Re: [XSSA-2026-00042] y", None),
            ("Re: [SSA-2026-00042", None),
            ("Lettre d'appui", None),
            ("", None),
        ];
        for (subject, expected) in cases {
            assert_eq!(subject_reference(subject), expected, "{subject}");
        }
        assert_eq!(
            subject_reference("Re: [x] [SSA-2026-00007] [SSA-2026-00042 #a]"),
            Some((RequestRef::new(2026, 7).unwrap(), None))
        );
    }

    #[test]
    fn confirmations_are_recognised_strictly() {
        let yes = [
            "CONFIRMER",
            "confirmer",
            "Confirmer.",
            "CONFIRM",
            "Confirm!",
            "confirmed",
            "Confirmé",
            "CONFIRME",
            "confirmee",
            "Je confirme",
            "je confirme, merci !",
            "Je confirme.",
            "I confirm",
            "i confirm, thanks",
            "Oui je confirme",
            "Oui, je confirme",
            "Yes, I confirm",
            "Bonjour,\n\nCONFIRMER\nOrganisme : Université Laval",
            "Hello,\nConfirm",
            "Bonjour Madame,\r\nje confirme",
            "Hi team,\n\n  confirmed  \n",
            "Bonjour, je confirme.",
            "Bonjour je confirme",
            "Dear Sir or Madam,\nI confirm",
            "\n\n   \nconfirmer\n",
            "Allô,\nConfirmer svp",
            "Bonjour,\n\u{a0}\nCONFIRMÉ",
        ];
        for text in yes {
            assert!(is_confirmation(text), "should confirm: {text:?}");
        }
        let no = [
            "",
            "Bonjour,",
            "I don't confirm",
            "I do not confirm",
            "Je ne confirme pas",
            "Je confirme pas",
            "not confirm",
            "Confirm? I am not sure",
            "Confirmer ?",
            "Pouvez-vous confirmer la date ?",
            "Can you confirm?",
            "Merci pour votre réponse.\nCONFIRMER",
            "Bonjour, merci pour la réponse.\nJe confirme",
            "Hello,\nThanks, that answers it.\nconfirm",
            "confirmation",
            "Confirmez-vous ?",
            "Confirm no",
            "Non, je ne confirme pas",
            "No thanks",
            "yes please log it",
            "> CONFIRMER",
            "Hello there, I have a new question about grants and confirm later",
        ];
        for text in no {
            assert!(!is_confirmation(text), "should not confirm: {text:?}");
        }
    }

    #[test]
    fn reply_details_reads_the_optional_lines() {
        let d = reply_details(
            "CONFIRMER\nNom : Marie Tremblay\nORGANISME: Université Laval\ntype\u{a0}: Lettre d'appui\nCouleur : bleu\nNom : autre",
        );
        assert_eq!(d.name.as_deref(), Some("Marie Tremblay"));
        assert_eq!(d.organization.as_deref(), Some("Université Laval"));
        assert_eq!(d.request_type.as_deref(), Some("Lettre d'appui"));

        let d = reply_details(
            "Confirm\nName: Jane Smith\nOrganization: McGill University\nType: Training",
        );
        assert_eq!(
            d,
            Details {
                name: Some("Jane Smith".into()),
                organization: Some("McGill University".into()),
                request_type: Some("Training".into()),
            }
        );
        let d = reply_details("confirm\norganisation : CIUSSS\n- Type de demande : Formation");
        assert_eq!(d.organization.as_deref(), Some("CIUSSS"));
        assert_eq!(d.request_type.as_deref(), Some("Formation"));
        let d = reply_details("CONFIRMER\nNom : …\nOrganisme : \nType : ...\n> Nom : cité");
        assert_eq!(d, Details::default());
        let d = reply_details("Organisme : Acme Inc.");
        assert_eq!(d.organization.as_deref(), Some("Acme Inc."));
        assert_eq!(
            reply_details("just a question: what is SPOR?"),
            Details::default()
        );
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
