//! HTML bodies converted to plain text: tags, entities, block layout and quotes.

use std::borrow::Cow;

/// Converts HTML to plain text: tags removed, `script`/`style`/`head` contents dropped,
/// entities decoded, block elements on their own lines, `blockquote` contents prefixed
/// with `> ` (so quote stripping removes them), `pre` kept as is.
pub(crate) fn html_to_text(html: &str) -> String {
    let bytes = html.as_bytes();
    let mut out = String::with_capacity(html.len());
    let mut quote_depth = 0usize;
    let mut pre_depth = 0usize;
    let mut at_line_start = true;
    let mut pending_space = false;
    let mut i = 0;
    let push_newline = |out: &mut String, at_line_start: &mut bool| {
        out.push('\n');
        *at_line_start = true;
    };
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'<' {
            let rest = &html[i..];
            if let Some(comment) = rest.strip_prefix("<!--") {
                i = comment.find("-->").map_or(bytes.len(), |p| i + 4 + p + 3);
                continue;
            }
            let Some(end) = rest.find('>') else {
                break; // an unterminated tag: nothing readable after it
            };
            let tag = &rest[1..end];
            let closing = tag.starts_with('/');
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase();
            i += end + 1;
            match name.as_str() {
                "script" | "style" | "head" | "title" | "template" | "noscript" | "xml"
                    if !closing && !tag.ends_with('/') =>
                {
                    let close = format!("</{name}");
                    i = match find_ignore_case(&bytes[i..], close.as_bytes()) {
                        Some(p) => html[i + p..]
                            .find('>')
                            .map_or(bytes.len(), |q| i + p + q + 1),
                        None => bytes.len(),
                    };
                }
                "br" => {
                    push_newline(&mut out, &mut at_line_start);
                    pending_space = false;
                }
                "blockquote" => {
                    if closing {
                        quote_depth = quote_depth.saturating_sub(1);
                    } else {
                        quote_depth += 1;
                    }
                    push_newline(&mut out, &mut at_line_start);
                    pending_space = false;
                }
                "pre" => {
                    if closing {
                        pre_depth = pre_depth.saturating_sub(1);
                    } else {
                        pre_depth += 1;
                    }
                    push_newline(&mut out, &mut at_line_start);
                    pending_space = false;
                }
                "p" | "div" | "li" | "ul" | "ol" | "tr" | "table" | "h1" | "h2" | "h3" | "h4"
                | "h5" | "h6" | "hr" | "section" | "article" | "header" | "footer" | "dt"
                | "dd" | "dl" | "address" | "center" | "form" | "fieldset" | "body" | "html" => {
                    if !at_line_start {
                        push_newline(&mut out, &mut at_line_start);
                    }
                    if name == "p" && closing {
                        push_newline(&mut out, &mut at_line_start);
                    }
                    pending_space = false;
                }
                "td" | "th" => pending_space = true,
                _ => {}
            }
            continue;
        }
        // Text up to the next tag.
        let end = html[i..].find('<').map_or(bytes.len(), |p| i + p);
        let chunk = decode_entities(&html[i..end]);
        i = end;
        for c in chunk.chars() {
            if c == '\n' && pre_depth > 0 {
                push_newline(&mut out, &mut at_line_start);
                pending_space = false;
                continue;
            }
            if c.is_whitespace() && c != '\u{A0}' && pre_depth == 0 {
                pending_space = !at_line_start;
                continue;
            }
            if at_line_start {
                for _ in 0..quote_depth {
                    out.push_str("> ");
                }
                at_line_start = false;
            } else if pending_space {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        }
    }
    out
}

/// The first position of `needle` (ASCII, lowercase) in `haystack`, ignoring ASCII case.
fn find_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// Decodes `&name;`, `&#NNN;` and `&#xHH;` entities (unknown ones are kept as written).
fn decode_entities(text: &str) -> Cow<'_, str> {
    if !text.contains('&') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let entity_end = rest
            .char_indices()
            .skip(1)
            .take(32)
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '#'))
            .filter(|&(_, c)| c == ';')
            .map(|(p, _)| p);
        match entity_end {
            Some(p) if p > 1 => {
                // mail-parser's table: pushes the character, or the token as written.
                mail_parser::decoders::html::add_html_token(
                    &mut out,
                    &rest.as_bytes()[..=p],
                    false,
                );
                rest = &rest[p + 1..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use crate::mail::parse::testing::{crlf, parse_ok};

    #[test]
    fn html_only_is_converted_without_tags_scripts_or_entities() {
        let m = parse_ok(&crlf(concat!(
            "From: a@b.c\n",
            "Content-Type: text/html; charset=utf-8\n",
            "\n",
            "<html><head><title>T</title><style>p { color: red }</style></head>\n",
            "<body><script type=\"text/javascript\">alert('x')</script>\n",
            "<p>Bonjour&nbsp;l&eacute;quipe&#160;!</p><div>Ligne&nbsp;2 &amp; &lt;3 &#x2014; <b>gras</b></div>\n",
            "<STYLE>.x{}</STYLE><!-- un commentaire --><ul><li>un</li><li>deux</li></ul>\n",
            "<div class=\"gmail_quote\"><div>On Mon, Mar 3, 2025 at 10:12 AM Guichet &lt;guichet@x.ca&gt; wrote:<br></div>\n",
            "<blockquote>Ancienne réponse</blockquote></div></body></html>\n",
        )));
        assert_eq!(m.text, "Bonjour léquipe !\n\nLigne 2 & <3 — gras\nun\ndeux");
        for bad in [
            "<p", "<b", "</", "&eacute;", "&nbsp;", "alert", "color", "Ancienne", "\u{a0}",
        ] {
            assert!(!m.text.contains(bad), "{bad:?} in {:?}", m.text);
        }
    }
}
