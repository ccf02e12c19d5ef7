//! The body as text: which parts to read, in which charset, whitespace normalisation, and
//! the cap on its length.

use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::quoted_printable::quoted_printable_decode;
use mail_parser::{Encoding, Message, MessagePart, MimeHeaders, PartType};

use super::charset::is_known;
use super::headers::is_invisible;
use super::html_to_text;
use crate::text::lenient;

/// The body as text, before quote stripping: the text/plain body parts, else the HTML ones
/// converted, else any readable text part (broken MIME).
pub(super) fn body_text(message: &Message<'_>) -> String {
    let from_ids = |ids: &[u32]| -> Vec<String> {
        ids.iter()
            .filter_map(|&id| message.parts.get(id as usize))
            .filter_map(|part| part_text(message, part))
            .filter(|t| !t.trim().is_empty())
            .collect()
    };
    let plain_ids: Vec<u32> = message
        .text_body
        .iter()
        .copied()
        .filter(|&id| {
            message
                .parts
                .get(id as usize)
                .is_some_and(|p| matches!(p.body, PartType::Text(_)))
        })
        .collect();
    let mut texts = from_ids(&plain_ids);
    if texts.is_empty() {
        texts = from_ids(&message.text_body);
    }
    if texts.is_empty() {
        texts = from_ids(&message.html_body);
    }
    if texts.is_empty() {
        // Broken MIME: the first text mail-parser could recover, wherever it is.
        texts = message
            .parts
            .iter()
            .find_map(|part| part_text(message, part).filter(|t| !t.trim().is_empty()))
            .into_iter()
            .collect();
    }
    normalise_whitespace(&texts.join("\n\n"))
}

/// The text of a text/plain or text/html part, normalised (HTML as text).
fn part_text(message: &Message<'_>, part: &MessagePart<'_>) -> Option<String> {
    let (text, html) = match &part.body {
        PartType::Text(t) => (t, false),
        PartType::Html(h) => (h, true),
        _ => return None,
    };
    let reread = if text.contains('\u{fffd}') {
        reread(message, part)
    } else {
        None
    };
    let text = reread.as_deref().unwrap_or(text);
    Some(normalise_whitespace(&if html {
        html_to_text(text)
    } else {
        text.to_string()
    }))
}

/// A part whose charset mail-parser does not know (or that has none, or whose "UTF-8" is
/// not), read again from its bytes: UTF-8 where valid, Windows-1252 elsewhere. None when
/// its charset is one mail-parser knows, or its bytes cannot be had again.
fn reread(message: &Message<'_>, part: &MessagePart<'_>) -> Option<String> {
    let label = part.content_type().and_then(|ct| ct.attribute("charset"));
    if label.is_some_and(is_known) {
        return None;
    }
    let raw: &[u8] = message.raw_message.as_ref();
    let raw = raw.get(part.offset_body as usize..part.offset_end as usize)?;
    let bytes = match part.encoding {
        Encoding::QuotedPrintable => quoted_printable_decode(raw)?,
        Encoding::Base64 => base64_decode(raw)?,
        Encoding::None => raw.to_vec(),
    };
    Some(lenient(&bytes))
}

/// NBSP and other spaces → space, CRLF and CR → LF, control and invisible characters
/// removed, trailing spaces trimmed, runs of blank lines → one, trimmed.
pub(super) fn normalise_whitespace(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0usize;
    for line in text.split('\n') {
        let mut clean = String::with_capacity(line.len());
        for c in line.chars() {
            match c {
                '\t' => clean.push(' '),
                c if c != ' ' && c.is_whitespace() => clean.push(' '),
                c if c.is_control() || is_invisible(c) => {}
                c => clean.push(c),
            }
        }
        let clean = clean.trim_end();
        if clean.is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
            if blank_run > 0 {
                out.push('\n');
            }
        }
        blank_run = 0;
        out.push_str(clean);
    }
    out
}

/// Caps `text` to `max` characters, at a word boundary when one is near the end.
pub(super) fn cap_text(text: &str, max: usize) -> (String, bool) {
    let Some((cut, _)) = text.char_indices().nth(max) else {
        return (text.to_string(), false);
    };
    let head = &text[..cut];
    // Prefer the last whitespace in the last fifth (a word is not worth more).
    let floor = head
        .char_indices()
        .nth(max - max / 5)
        .map_or(head.len(), |(i, _)| i);
    let cut = match head.rfind(char::is_whitespace) {
        Some(i) if i >= floor => i,
        _ => head.len(),
    };
    (head[..cut].trim_end().to_string(), true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::parse::{parse, Limits};

    #[test]
    fn text_is_capped_at_a_word_boundary() {
        let body = "mot ".repeat(100);
        let raw = format!("From: a@b.c\n\n{body}");
        let m = parse(
            raw.as_bytes(),
            &Limits {
                max_text_chars: 42,
                ..Limits::default()
            },
        )
        .unwrap();
        assert!(m.truncated);
        assert_eq!(m.text, "mot ".repeat(10).trim_end());
        let (t, cut) = cap_text("ééééééééééééééé", 4);
        assert_eq!((t.as_str(), cut), ("éééé", true));
    }
}
