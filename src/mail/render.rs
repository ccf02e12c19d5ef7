//! The content of guichet's emails as blocks (paragraphs, excerpts, detail lines, small
//! print, signature), rendered twice: as wrapped plain text and as inline-styled HTML.
//! Everything from outside is cleaned of control characters and HTML-escaped.

use lettre::Address;

use crate::config::BaseUrl;
use crate::language::Language;
use crate::messages::Msg;
use crate::requests::model::RequestType;
use crate::search::answer::Hit;

use super::compose::{Body, Letterhead};
pub(super) use crate::text::{clip, one_safe_line as clean_line};

/// `text` HTML-escaped.
pub(super) fn escape(text: &str) -> String {
    crate::text::escape_html(text).to_string()
}

/// Text lines are wrapped at this width (URLs and long words are never cut).
pub(super) const WRAP: usize = 76;
/// At most this many attachment names are listed.
const MAX_ATTACHMENTS: usize = 20;

// ---------------------------------------------------------------------------------------
// Content: blocks rendered twice, as text and as HTML
// ---------------------------------------------------------------------------------------

/// A run of text inside a paragraph.
#[derive(Debug, Clone)]
pub(super) enum Inline {
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
pub(super) enum Block {
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
pub(super) fn reply_blocks(settings: &Letterhead, body: &Body<'_>, lang: Language) -> Vec<Block> {
    let mut blocks = vec![Block::Para(vec![Inline::Text(
        Msg::MailGreeting.text(lang).to_string(),
    )])];
    let contact = contact_inline(settings);
    match body {
        Body::Answer { hits, feedback } if !hits.is_empty() => {
            blocks.push(text_para(Msg::MailAnswerIntro.text(lang)));
            for (i, hit) in hits.iter().enumerate() {
                blocks.push(hit_block(i + 1, hit, lang));
            }
            offer_blocks(&mut blocks, settings, lang, &contact);
            if let (Some(base), Some(token)) = (&settings.public_url, feedback) {
                feedback_blocks(&mut blocks, base, token, lang);
            }
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
        Body::NeedsType => {
            blocks.push(text_para(Msg::MailNeedsType.text(lang)));
            blocks.push(text_para(Msg::MailRequestTypes.text(lang)));
            blocks.push(Block::Bullets(
                RequestType::ALL
                    .iter()
                    .enumerate()
                    .map(|(i, t)| format!("{}. {}", i + 1, t.label(lang)))
                    .collect(),
            ));
        }
        Body::Capabilities => {
            blocks.push(text_para(Msg::MailCapabilities.text(lang)));
            blocks.push(text_para(Msg::MailCapabilities.text(lang.other())));
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

/// The two feedback links that end an answer: each opens a page on guichet whose button
/// records the vote (opening the link alone records nothing). The URL holds the signed
/// token, the vote and the language, nothing about the person.
pub(super) fn feedback_blocks(
    blocks: &mut Vec<Block>,
    base: &BaseUrl,
    token: &str,
    lang: Language,
) {
    let link = |msg: Msg, vote: &str| {
        vec![Inline::Link {
            text: msg.text(lang).to_string(),
            url: base.join(&format!(
                "feedback/{token}?vote={vote}&lang={}",
                lang.code()
            )),
        }]
    };
    blocks.push(text_para(Msg::MailFeedbackIntro.text(lang)));
    blocks.push(Block::Lines(vec![
        link(Msg::FeedbackYes, "up"),
        link(Msg::FeedbackNo, "down"),
    ]));
}

/// "Want help from the staff?": how to confirm, the optional lines, the types, privacy.
pub(super) fn offer_blocks(
    blocks: &mut Vec<Block>,
    settings: &Letterhead,
    lang: Language,
    contact: &Inline,
) {
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

pub(super) fn text_para(text: &str) -> Block {
    Block::Para(vec![Inline::Text(text.to_string())])
}

/// The privacy contact as a link when it is an address or a web page.
pub(super) fn contact_inline(settings: &Letterhead) -> Inline {
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

pub(super) fn hit_block(number: usize, hit: &Hit, lang: Language) -> Block {
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
pub(super) fn web_url(url: &str) -> Option<&str> {
    let url = url.trim();
    (crate::text::is_http_url(url) && url.len() <= 2_000).then_some(url)
}

/// Splits a message template on its `{name}` placeholders, putting `values` in.
pub(super) fn fill_inline(template: &str, values: &[(&str, Inline)]) -> Vec<Inline> {
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
pub(super) fn render_text(blocks: &[Block]) -> String {
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

pub(super) fn inline_text(inlines: &[Inline]) -> String {
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
pub(super) fn wrap(text: &str, first: &str, indent: &str) -> String {
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
pub(super) fn render_html(blocks: &[Block], lang: Language, subject: &str) -> String {
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

pub(super) fn inline_html(inlines: &[Inline]) -> String {
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
pub(super) fn typo(text: &str) -> String {
    text.replace(" :", "\u{a0}:")
        .replace(" ;", "\u{a0};")
        .replace(" !", "\u{a0}!")
        .replace(" ?", "\u{a0}?")
        .replace(" »", "\u{a0}»")
        .replace("« ", "«\u{a0}")
}
