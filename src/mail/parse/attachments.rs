//! The parts of a message that are not its body: names, types and sizes, without the
//! images embedded in an HTML body; and those of a large message that were not fetched
//! (marked by [`super::partial::UNREAD_HEADER`]).

use mail_parser::{Message, MessagePart, MimeHeaders, PartType};

use super::headers::{cap_chars, one_line};
use super::partial::UNREAD_HEADER;
use super::{Attachment, MAX_NAME_CHARS};

pub(super) fn content_type_of(part: &MessagePart<'_>) -> String {
    let raw = match part.content_type() {
        Some(ct) => match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub),
            None => ct.ctype().to_string(),
        }
        .to_ascii_lowercase(),
        None => match &part.body {
            PartType::Message(_) => "message/rfc822".into(),
            PartType::Html(_) => "text/html".into(),
            PartType::Text(_) => "text/plain".into(),
            _ => "application/octet-stream".into(),
        },
    };
    cap_chars(&one_line(&raw).replace(' ', ""), 100)
}

fn clean_file_name(name: &str) -> String {
    let name = one_line(name);
    let base = name.rsplit(['/', '\\']).next().unwrap_or(&name).trim();
    cap_chars(base, MAX_NAME_CHARS)
}

/// The size of a part that was not fetched (an empty part with the marker), if it is one.
fn unread_size(part: &MessagePart<'_>) -> Option<usize> {
    if !part.is_empty() {
        return None;
    }
    part.headers
        .iter()
        .find(|h| h.name.as_str().eq_ignore_ascii_case(UNREAD_HEADER))
        .and_then(|h| h.value.as_text())
        .and_then(|v| v.trim().parse().ok())
}

/// Every attachment, and those of them that were not fetched.
pub(super) fn attachments(message: &Message<'_>) -> (Vec<Attachment>, Vec<Attachment>) {
    let mut out = Vec::new();
    let mut unread = Vec::new();
    // Unfetched parts are found wherever they are: an empty text part may not be among
    // mail-parser's attachments.
    let ids = message
        .attachments
        .iter()
        .copied()
        .filter(|&id| {
            message
                .parts
                .get(id as usize)
                .is_some_and(|p| unread_size(p).is_none())
        })
        .map(|id| (id, None))
        .chain(
            (0..message.parts.len() as u32)
                .skip(1)
                .filter_map(|id| Some((id, Some(unread_size(&message.parts[id as usize])?)))),
        )
        .collect::<Vec<_>>();
    for (id, unread_bytes) in ids {
        let Some(part) = message.parts.get(id as usize) else {
            continue;
        };
        if matches!(part.body, PartType::Multipart(_)) {
            continue;
        }
        let disposition = part.content_disposition();
        let is_attachment = disposition.is_some_and(|d| d.is_attachment());
        let name = part
            .attachment_name()
            .map(clean_file_name)
            .filter(|n| !n.is_empty());
        // Embedded in the HTML (cid:): decoration, not a document.
        let embedded = !is_attachment
            && part.content_id().is_some()
            && (disposition.is_none_or(|d| d.is_inline()))
            && matches!(part.body, PartType::InlineBinary(_) | PartType::Binary(_))
            && content_type_of(part).starts_with("image/");
        if embedded {
            continue;
        }
        let content_type = content_type_of(part);
        let name = match name {
            Some(n) => n,
            None => match part.message().and_then(|m| m.subject()) {
                Some(subject) if !one_line(subject).is_empty() => {
                    format!("{}.eml", cap_chars(&one_line(subject), MAX_NAME_CHARS))
                }
                _ => format!("attachment-{} ({content_type})", out.len() + 1),
            },
        };
        let attachment = Attachment {
            name,
            content_type,
            size: unread_bytes.unwrap_or_else(|| part.len()),
        };
        if unread_bytes.is_some() {
            unread.push(attachment.clone());
        }
        out.push(attachment);
    }
    (out, unread)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::parse::testing::{crlf, parse_ok};

    #[test]
    fn multipart_alternative_prefers_plain_and_lists_attachments() {
        let raw = crlf(concat!(
            "From: a@b.c\n",
            "Subject: pj\n",
            "Content-Type: multipart/mixed; boundary=\"outer\"\n",
            "\n",
            "--outer\n",
            "Content-Type: multipart/related; boundary=\"rel\"\n",
            "\n",
            "--rel\n",
            "Content-Type: multipart/alternative; boundary=\"alt\"\n",
            "\n",
            "--alt\n",
            "Content-Type: text/plain; charset=utf-8\n",
            "\n",
            "Le texte brut.\n",
            "--alt\n",
            "Content-Type: text/html; charset=utf-8\n",
            "\n",
            "<p>Le texte <b>HTML</b>.</p><img src=\"cid:logo\">\n",
            "--alt--\n",
            "--rel\n",
            "Content-Type: image/png; name=\"image001.png\"\n",
            "Content-Disposition: inline; filename=\"image001.png\"\n",
            "Content-ID: <logo>\n",
            "Content-Transfer-Encoding: base64\n",
            "\n",
            "iVBORw0KGgo=\n",
            "--rel--\n",
            "--outer\n",
            "Content-Type: application/pdf; name=\"=?UTF-8?Q?r=C3=A9sum=C3=A9.pdf?=\"\n",
            "Content-Disposition: attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf\n",
            "Content-Transfer-Encoding: base64\n",
            "\n",
            "JVBERi0xLjQgZmFrZSBwZGYgY29udGVudCBoZXJl\n",
            "--outer\n",
            "Content-Type: application/octet-stream\n",
            "Content-Transfer-Encoding: base64\n",
            "\n",
            "AAECAw==\n",
            "--outer\n",
            "Content-Type: image/jpeg\n",
            "Content-Disposition: attachment; filename=\"C:\\\\photos\\\\photo.jpg\"\n",
            "\n",
            "jpeg\n",
            "--outer--\n",
        ));
        let m = parse_ok(&raw);
        assert_eq!(m.text, "Le texte brut.");
        assert!(m.skipped_attachments.is_empty());
        assert_eq!(
            m.attachments,
            vec![
                Attachment {
                    name: "résumé.pdf".into(),
                    content_type: "application/pdf".into(),
                    size: 30
                },
                Attachment {
                    name: "attachment-2 (application/octet-stream)".into(),
                    content_type: "application/octet-stream".into(),
                    size: 4
                },
                Attachment {
                    name: "photo.jpg".into(),
                    content_type: "image/jpeg".into(),
                    size: 4
                },
            ]
        );
    }
}
