//! The header section: its length and shape, the raw fields, message ids, and one-line
//! header values.

use mail_parser::{HeaderValue, Message};

/// The length of the header section: up to the first empty line, or the whole input.
pub(super) fn header_section_len(raw: &[u8]) -> usize {
    let mut line_start = 0;
    while line_start < raw.len() {
        let end = raw[line_start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(raw.len(), |p| line_start + p);
        let line = &raw[line_start..end];
        if line.is_empty() || line == b"\r" {
            return line_start;
        }
        line_start = end + 1;
    }
    raw.len()
}

/// Whether the first line is a header field (`Name: value`), after an optional mbox
/// `From ` line.
pub(super) fn starts_with_header_field(raw: &[u8]) -> bool {
    let mut rest = raw;
    // Leading blank lines are tolerated by mail-parser; so are they here.
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'\r' || b == b'\n' {
            rest = tail;
        } else {
            break;
        }
    }
    if rest.starts_with(b"From ") {
        match rest.iter().position(|&b| b == b'\n') {
            Some(p) => rest = &rest[p + 1..],
            None => return false,
        }
    }
    let Some(colon) = rest.iter().take(1000).position(|&b| b == b':') else {
        return false;
    };
    let name = &rest[..colon];
    let name = name.strip_suffix(b" ").unwrap_or(name);
    !name.is_empty() && name.iter().all(|&b| (33..=126).contains(&b))
}

/// The top-level header fields as (lowercased name, unfolded raw value).
pub(super) fn raw_headers(message: &Message<'_>) -> Vec<(String, String)> {
    let raw: &[u8] = message.raw_message.as_ref();
    message
        .headers()
        .iter()
        .map(|h| {
            let value = raw
                .get(h.offset_start as usize..h.offset_end as usize)
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            (h.name.as_str().to_ascii_lowercase(), unfold(&value))
        })
        .collect()
}

/// The raw bytes of the value of the last top-level `name` field (the one mail-parser
/// reads), if any.
pub(super) fn raw_value<'m>(message: &'m Message<'_>, name: &str) -> Option<&'m [u8]> {
    let raw: &[u8] = message.raw_message.as_ref();
    message
        .headers()
        .iter()
        .rev()
        .find(|h| h.name.as_str().eq_ignore_ascii_case(name))
        .and_then(|h| raw.get(h.offset_start as usize..h.offset_end as usize))
}

fn unfold(value: &str) -> String {
    value
        .split(['\r', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

pub(super) fn has_header(headers: &[(String, String)], name: &str) -> bool {
    headers.iter().any(|(n, _)| n == name)
}

/// Text on one line: control characters and line breaks become spaces, runs of spaces
/// collapse, invisible characters go.
pub(super) fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = if c.is_control() || c.is_whitespace() {
            ' '
        } else if is_invisible(c) {
            continue;
        } else {
            c
        };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
    }
    let len = out.trim_end().len();
    out.truncate(len);
    out
}

pub(super) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
    ) || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// The first `max` characters of `s` (trailing space trimmed).
pub(super) fn cap_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => s[..i].trim_end().to_string(),
        None => s.to_string(),
    }
}

pub(super) fn clean_id(id: &str) -> Option<String> {
    let id = id.trim();
    let id = id.strip_prefix('<').unwrap_or(id);
    let id = id.strip_suffix('>').unwrap_or(id).trim();
    (!id.is_empty() && id.chars().all(|c| !c.is_control() && !c.is_whitespace()))
        .then(|| id.to_string())
}

pub(super) fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    let list: Vec<&str> = match value {
        HeaderValue::Text(t) => vec![t.as_ref()],
        HeaderValue::TextList(l) => l.iter().map(|t| t.as_ref()).collect(),
        _ => Vec::new(),
    };
    list.into_iter().filter_map(clean_id).collect()
}

#[cfg(test)]
mod tests {
    use crate::mail::parse::testing::{crlf, parse_ok};

    #[test]
    fn thread_ids_are_parsed() {
        let m = parse_ok(&crlf(concat!(
            "From: a@b.c\n",
            "In-Reply-To: <one@x.ca>\n",
            "References: <zero@x.ca>\n <one@x.ca>\t<two@x.ca>\n",
            "\n",
            "x\n",
        )));
        assert_eq!(m.in_reply_to, vec!["one@x.ca"]);
        assert_eq!(m.references, vec!["zero@x.ca", "one@x.ca", "two@x.ca"]);
    }
}
