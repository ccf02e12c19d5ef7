//! A message too large to fetch whole (over `mail.max_message_bytes`), put back together
//! from what was fetched of it: its header section, its text parts in full, and for each
//! other part only its MIME header, marked with [`UNREAD_HEADER`] and the size it has on
//! the server. [`super::parse`] reads the result like any message; the marked parts are
//! listed in [`super::Inbound::skipped_attachments`].
//!
//! A sender could write the marker into a part of their own: the part is then reported to
//! them as "not read", which is all the marker does.

use sha2::{Digest, Sha256};

/// The header that marks a part whose content was not fetched; its value is the part's
/// size in bytes.
pub const UNREAD_HEADER: &str = "X-Guichet-Unread";

/// One fetched part of a large message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedPart<'a> {
    /// The part's MIME header (`BODY[n.MIME]`), blank line included or not.
    pub mime_header: &'a [u8],
    pub content: PartContent<'a>,
}

/// What was fetched of a part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartContent<'a> {
    /// The part's body as the server holds it (still in its transfer encoding).
    Text(&'a [u8]),
    /// Not fetched: an attachment of this many bytes (decoded).
    Unread(u64),
}

/// The fields of a header section, each with its folded lines and line end, up to the
/// first blank line.
fn fields(header: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut pos = 0;
    for line in header.split_inclusive(|&b| b == b'\n') {
        if line.iter().all(|&b| b == b'\r' || b == b'\n') {
            break;
        }
        let continuation = matches!(line[0], b' ' | b'\t');
        if !continuation || start.is_none() {
            if let Some(s) = start {
                out.push(&header[s..pos]);
            }
            start = Some(pos);
        }
        pos += line.len();
    }
    if let Some(s) = start {
        out.push(&header[s..pos]);
    }
    out
}

fn field_name(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == b':').unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end])
        .trim()
        .to_ascii_lowercase()
}

fn push_field(out: &mut Vec<u8>, field: &[u8]) {
    out.extend_from_slice(field);
    if !field.ends_with(b"\n") {
        out.extend_from_slice(b"\r\n");
    }
}

/// The `Content-*` fields of a header section: the MIME header of a message that is a
/// single part.
pub fn content_fields(header: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for field in fields(header) {
        if field_name(field).starts_with("content-") {
            push_field(&mut out, field);
        }
    }
    out
}

/// The message with the header section `header` and the parts `parts`, as one
/// multipart/mixed message. The same input always gives the same bytes (a message without
/// a Message-ID is known by their digest).
pub fn assemble(header: &[u8], parts: &[FetchedPart<'_>]) -> Vec<u8> {
    let mut digest = Sha256::new();
    digest.update(header);
    for part in parts {
        digest.update(part.mime_header);
        if let PartContent::Text(t) = part.content {
            digest.update(t);
        }
    }
    let boundary = format!(
        "=_guichet_partial_{}",
        &crate::text::hex(&digest.finalize())[..32]
    );
    let mut out = Vec::with_capacity(
        header.len()
            + parts
                .iter()
                .map(|p| {
                    p.mime_header.len()
                        + match p.content {
                            PartContent::Text(t) => t.len(),
                            PartContent::Unread(_) => 0,
                        }
                        + 128
                })
                .sum::<usize>(),
    );
    for field in fields(header) {
        let name = field_name(field);
        if name != "content-type" && name != "content-transfer-encoding" {
            push_field(&mut out, field);
        }
    }
    out.extend_from_slice(
        format!("Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n").as_bytes(),
    );
    for part in parts {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        if let PartContent::Unread(bytes) = part.content {
            out.extend_from_slice(format!("{UNREAD_HEADER}: {bytes}\r\n").as_bytes());
        }
        for field in fields(part.mime_header) {
            if !field_name(field).eq_ignore_ascii_case(UNREAD_HEADER) {
                push_field(&mut out, field);
            }
        }
        out.extend_from_slice(b"\r\n");
        if let PartContent::Text(text) = part.content {
            out.extend_from_slice(text);
            if !text.ends_with(b"\n") {
                out.extend_from_slice(b"\r\n");
            }
        }
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::parse::testing::parse_ok;
    use crate::mail::parse::Attachment;

    const HEADER: &[u8] = b"From: Alice <alice@example.org>\r\nTo: contact@example.ca\r\nSubject: Documents\r\nMessage-ID: <big@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n\tboundary=\"orig\"\r\n\r\n";

    #[test]
    fn a_large_message_is_read_from_its_text_and_lists_what_was_not_fetched() {
        let parts = [
                FetchedPart {
                    mime_header: b"Content-Type: application/pdf; name=\"protocole.pdf\"\r\nContent-Disposition: attachment; filename=\"protocole.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n",
                    content: PartContent::Unread(6_000_000),
                },
                FetchedPart {
                    mime_header: b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n",
                    content: PartContent::Text(b"Qu'est-ce que l'Oncop=F4le ?\r\n"),
                },
                FetchedPart {
                    mime_header: b"Content-Type: image/png\r\nContent-ID: <logo>\r\n\r\n",
                    content: PartContent::Unread(20_000),
                },
                FetchedPart {
                    mime_header: b"Content-Type: message/rfc822\r\n\r\n",
                    content: PartContent::Unread(900),
                },
        ];
        let raw = assemble(HEADER, &parts);
        // The same pieces give the same bytes (the fingerprint of a message without id).
        assert_eq!(raw, assemble(HEADER, &parts));
        assert!(!String::from_utf8_lossy(&raw).contains("boundary=\"orig\""));
        let m = parse_ok(&raw);
        assert_eq!(m.message_id.as_deref(), Some("big@example.org"));
        assert_eq!(m.subject, "Documents");
        assert_eq!(m.text, "Qu'est-ce que l'Oncopôle ?");
        let pdf = Attachment {
            name: "protocole.pdf".into(),
            content_type: "application/pdf".into(),
            size: 6_000_000,
        };
        let forwarded = Attachment {
            name: "attachment-2 (message/rfc822)".into(),
            content_type: "message/rfc822".into(),
            size: 900,
        };
        assert_eq!(
            m.skipped_attachments,
            vec![pdf.clone(), forwarded.clone()],
            "the logo is decoration"
        );
        assert_eq!(m.attachments, vec![pdf, forwarded]);
    }

    #[test]
    fn a_single_part_message_keeps_its_content_fields_for_its_one_part() {
        let header = b"From: a@b.c\r\nSubject: scan\r\nContent-Type: application/pdf;\r\n name=\"scan.pdf\"\r\nContent-Transfer-Encoding: base64\r\nX-Other: 1\r\n\r\n";
        let mime = content_fields(header);
        assert_eq!(
            mime,
            b"Content-Type: application/pdf;\r\n name=\"scan.pdf\"\r\nContent-Transfer-Encoding: base64\r\n"
        );
        let m = parse_ok(&assemble(
            header,
            &[FetchedPart {
                mime_header: &mime,
                content: PartContent::Unread(42),
            }],
        ));
        assert_eq!(m.text, "");
        assert_eq!(m.skipped_attachments.len(), 1);
        assert_eq!(m.skipped_attachments[0].name, "scan.pdf");
    }

    #[test]
    fn an_ordinary_message_skips_nothing() {
        let m = parse_ok(b"From: a@b.c\r\nSubject: x\r\n\r\nWhat is SPOR?\r\n");
        assert!(m.skipped_attachments.is_empty());
    }
}
