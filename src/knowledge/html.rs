//! Reads a plain HTML page dropped in the knowledge folder (a site export): the title from
//! `<title>` or the first `<h1>`, the language from `<html lang>`, the source from the
//! canonical link, and the text without markup, scripts, styles or navigation.

use std::path::Path;

use super::passages::{self, Block};
use super::{Document, FileError, Kind};
use crate::language::Language;

/// Elements whose whole content is dropped: code, styling and site chrome.
const SKIPPED: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "nav", "header", "footer", "aside", "form",
    "button", "select", "iframe",
];
/// Inline elements: their tags do not separate words.
const INLINE: &[&str] = &[
    "a", "b", "strong", "em", "i", "span", "abbr", "sup", "sub", "small", "mark", "code", "u",
];
/// Elements that end a block of text.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "br",
    "tr",
    "table",
    "ul",
    "ol",
    "blockquote",
    "dd",
    "dt",
    "dl",
    "figure",
    "figcaption",
    "hr",
    "pre",
    "body",
];

/// Parses one HTML page into a document whose id is derived from the file name.
pub fn parse(path: &Path, text: &str) -> Result<Document, FileError> {
    let page = Page::read(text);
    let title = page
        .title
        .clone()
        .filter(|t| !t.is_empty())
        .or_else(|| page.first_h1.clone())
        .ok_or_else(|| FileError::new(path, 0, "the page has neither a <title> nor an <h1>"))?;
    let body_text: String = page
        .blocks
        .iter()
        .map(|b| match b {
            Block::Paragraph(t) => t.clone(),
            Block::List(items) => items.join(" "),
            Block::Heading { text, .. } => text.clone(),
        })
        .collect::<Vec<_>>()
        .join(" ");
    let lang = match &page.lang {
        Some(code) => {
            let primary = code.split(['-', '_']).next().unwrap_or(code);
            primary
                .parse::<Language>()
                .map_err(|e| FileError::new(path, page.lang_line, format!("<html lang>: {e}")))?
        }
        None => Language::detect(&body_text).ok_or_else(|| {
            FileError::new(
                path,
                1,
                "cannot tell the page's language: add lang=\"fr\" or lang=\"en\" to its <html> tag",
            )
        })?,
    };
    let passages = passages::build(&page.blocks);
    if passages.is_empty() {
        return Err(FileError::new(
            path,
            0,
            "the page has no text outside navigation and scripts",
        ));
    }
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("page");
    let slug: String = crate::search::analysis::fold_words(stem).join("-");
    Ok(Document {
        id: format!("{slug}-html"),
        title,
        lang,
        kind: Kind::Page,
        url: page.canonical,
        translation: None,
        aliases: Vec::new(),
        questions: Vec::new(),
        passages,
        path: path.to_path_buf(),
        translation_line: 0,
        id_line: 0,
    })
}

#[derive(Default)]
struct Page {
    title: Option<String>,
    first_h1: Option<String>,
    lang: Option<String>,
    lang_line: usize,
    canonical: Option<String>,
    blocks: Vec<Block>,
}

impl Page {
    fn read(html: &str) -> Page {
        let mut page = Page::default();
        let mut text = String::new();
        let mut list: Vec<String> = Vec::new();
        let mut in_li = false;
        let mut heading: Option<u8> = None;
        let mut in_title = false;
        let mut title = String::new();
        let mut skip: Option<(String, usize)> = None;
        let mut rest = html;
        let consumed = |rest: &str| html.len() - rest.len();
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix("<!--") {
                rest = after.find("-->").map(|i| &after[i + 3..]).unwrap_or("");
                continue;
            }
            if rest.starts_with('<') {
                let end = find_tag_end(rest);
                let tag = &rest[1..end.saturating_sub(1).max(1)];
                let line = html[..consumed(rest)].matches('\n').count() + 1;
                rest = &rest[end..];
                let (closing, name, attrs) = split_tag(tag);
                if let Some((skipped, depth)) = &mut skip {
                    if name == *skipped {
                        if closing {
                            *depth -= 1;
                            if *depth == 0 {
                                skip = None;
                            }
                        } else if !tag.ends_with('/') {
                            *depth += 1;
                        }
                    }
                    continue;
                }
                match name.as_str() {
                    "html" if !closing => {
                        if let Some(l) = attr(attrs, "lang") {
                            page.lang = Some(l);
                            page.lang_line = line;
                        }
                    }
                    "link" if attr(attrs, "rel").as_deref() == Some("canonical") => {
                        page.canonical = page.canonical.take().or_else(|| attr(attrs, "href"));
                    }
                    "meta" if attr(attrs, "property").as_deref() == Some("og:url") => {
                        page.canonical = page.canonical.take().or_else(|| attr(attrs, "content"));
                    }
                    "title" => {
                        in_title = !closing;
                        if closing {
                            page.title = page.title.take().or(Some(clean(&title)));
                        }
                    }
                    _ => {}
                }
                if matches!(name.as_str(), "head" | "title" | "html" | "link" | "meta") {
                    continue;
                }
                if !closing && SKIPPED.contains(&name.as_str()) && !tag.ends_with('/') {
                    skip = Some((name, 1));
                    continue;
                }
                let level = match name.as_bytes() {
                    [b'h', d @ b'1'..=b'6'] => Some(d - b'0'),
                    _ => None,
                };
                if let Some(level) = level {
                    if closing {
                        let h = clean(&std::mem::take(&mut text));
                        if level == 1 && page.first_h1.is_none() && !h.is_empty() {
                            page.first_h1 = Some(h.clone());
                        }
                        if !h.is_empty() {
                            page.blocks.push(Block::Heading { level, text: h });
                        }
                        heading = None;
                    } else {
                        flush_text(&mut page.blocks, &mut text, &mut list);
                        heading = Some(level);
                    }
                    continue;
                }
                if name == "li" {
                    if in_li || closing {
                        let item = clean(&std::mem::take(&mut text));
                        if !item.is_empty() {
                            list.push(item);
                        }
                    } else {
                        let before = clean(&std::mem::take(&mut text));
                        if !before.is_empty() {
                            page.blocks.push(Block::Paragraph(before));
                        }
                    }
                    in_li = !closing;
                    continue;
                }
                if (name == "ul" || name == "ol") && closing {
                    if in_li {
                        let item = clean(&std::mem::take(&mut text));
                        if !item.is_empty() {
                            list.push(item);
                        }
                        in_li = false;
                    }
                    flush_text(&mut page.blocks, &mut text, &mut list);
                    continue;
                }
                if BLOCKS.contains(&name.as_str()) && heading.is_none() && !in_li {
                    flush_text(&mut page.blocks, &mut text, &mut list);
                } else if !INLINE.contains(&name.as_str()) {
                    text.push(' ');
                }
                continue;
            }
            let next = rest.find('<').unwrap_or(rest.len());
            let chunk = decode_entities(&rest[..next]);
            if skip.is_none() {
                if in_title {
                    title.push_str(&chunk);
                } else {
                    text.push_str(&chunk);
                }
            }
            rest = &rest[next..];
        }
        flush_text(&mut page.blocks, &mut text, &mut list);
        page
    }
}

fn flush_text(blocks: &mut Vec<Block>, text: &mut String, list: &mut Vec<String>) {
    if !list.is_empty() {
        blocks.push(Block::List(std::mem::take(list)));
    }
    let t = clean(&std::mem::take(text));
    if !t.is_empty() {
        blocks.push(Block::Paragraph(t));
    }
}

/// Folds white space (including non-breaking spaces) into single spaces.
fn clean(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '\u{a0}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The end of a tag starting at `s[0] == '<'`, skipping `>` inside quoted attributes.
fn find_tag_end(s: &str) -> usize {
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices().skip(1) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return i + 1,
            _ => {}
        }
    }
    s.len()
}

fn split_tag(tag: &str) -> (bool, String, &str) {
    let tag = tag.trim();
    let (closing, tag) = match tag.strip_prefix('/') {
        Some(t) => (true, t),
        None => (false, tag),
    };
    let name_end = tag
        .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
        .unwrap_or(tag.len());
    (
        closing,
        tag[..name_end].to_ascii_lowercase(),
        &tag[name_end..],
    )
}

/// The value of attribute `name` in a tag's attribute text.
fn attr(attrs: &str, name: &str) -> Option<String> {
    let lower = attrs.to_ascii_lowercase();
    let mut from = 0;
    while let Some(pos) = lower[from..].find(name).map(|p| p + from) {
        let before_ok = pos == 0 || lower.as_bytes()[pos - 1].is_ascii_whitespace();
        let after = lower[pos + name.len()..].trim_start();
        if before_ok && after.starts_with('=') {
            let value_start = attrs.len() - after.len() + 1;
            let value = attrs[value_start..].trim_start();
            let v = match value.chars().next() {
                Some(q @ ('"' | '\'')) => value[1..].split(q).next().unwrap_or(""),
                _ => value
                    .split(|c: char| c.is_whitespace() || c == '>')
                    .next()
                    .unwrap_or(""),
            };
            return Some(decode_entities(v).trim().to_string());
        }
        from = pos + name.len();
    }
    None
}

/// Decodes the HTML entities a French or English page uses.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let semi = rest[..rest.len().min(12)].find(';');
        let decoded = semi.and_then(|semi| {
            let name = &rest[1..semi];
            let c = if let Some(num) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                u32::from_str_radix(num, 16).ok().and_then(char::from_u32)
            } else if let Some(num) = name.strip_prefix('#') {
                num.parse::<u32>().ok().and_then(char::from_u32)
            } else {
                named_entity(name)
            };
            c.map(|c| (c, semi + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn named_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "rsquo" => '’',
        "lsquo" => '‘',
        "ldquo" => '“',
        "rdquo" => '”',
        "laquo" => '«',
        "raquo" => '»',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        "eacute" => 'é',
        "Eacute" => 'É',
        "egrave" => 'è',
        "Egrave" => 'È',
        "ecirc" => 'ê',
        "euml" => 'ë',
        "agrave" => 'à',
        "Agrave" => 'À',
        "acirc" => 'â',
        "ccedil" => 'ç',
        "Ccedil" => 'Ç',
        "icirc" => 'î',
        "iuml" => 'ï',
        "ocirc" => 'ô',
        "ucirc" => 'û',
        "ugrave" => 'ù',
        "uuml" => 'ü',
        "oelig" => 'œ',
        "copy" => '©',
        "reg" => '®',
        "deg" => '°',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<!DOCTYPE html>
<html lang="fr-CA">
<head><title>Faire une demande &ndash; Unit&eacute; SSA</title>
<link rel="canonical" href="https://ssaquebec.ca/faire-une-demande/">
<script>var x = "<p>not text</p>";</script><style>p{color:red}</style></head>
<body>
<header><nav><ul><li>Accueil</li><li>Menu</li></ul></nav></header>
<main>
<h1>Faire une demande</h1>
<p>L&#39;Unit&eacute; re&ccedil;oit les demandes des chercheurs et des patients partenaires du Qu&eacute;bec.</p>
<h2>Types de demandes</h2>
<ul><li>Rencontre exploratoire</li><li>Lettre d&rsquo;appui</li></ul>
<!-- a comment with <p>markup</p> -->
</main>
<footer>Copyright &copy; 2026</footer>
<script>document.write("hidden")</script>
</body></html>"#;

    #[test]
    fn reads_title_language_source_and_text_without_chrome() {
        let d = parse(Path::new("knowledge/site/faire-une-demande.html"), PAGE).unwrap();
        assert_eq!(d.title, "Faire une demande – Unité SSA");
        assert_eq!(d.lang, Language::Fr);
        assert_eq!(
            d.url.as_deref(),
            Some("https://ssaquebec.ca/faire-une-demande/")
        );
        assert_eq!(d.id, "faire-une-demande-html");
        let all: String = d
            .passages
            .iter()
            .map(|p| p.text.clone())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(all.contains("L'Unité reçoit les demandes"), "{all}");
        assert!(all.contains("• Lettre d’appui"), "{all}");
        for chrome in [
            "Accueil",
            "not text",
            "color",
            "Copyright",
            "hidden",
            "comment",
        ] {
            assert!(!all.contains(chrome), "{chrome} leaked into: {all}");
        }
        assert_eq!(
            d.passages.last().unwrap().section.as_deref(),
            Some("Types de demandes")
        );
    }

    #[test]
    fn falls_back_to_h1_and_rejects_unknown_languages() {
        let d = parse(Path::new("a.html"), "<html lang=en><body><h1>About SPOR</h1><p>The Strategy for Patient-Oriented Research is a CIHR initiative across Canada.</p></body></html>").unwrap();
        assert_eq!(d.title, "About SPOR");
        assert_eq!(d.url, None);
        let e = parse(
            Path::new("b.html"),
            "<html lang=\"de\">\n<title>X</title><p>Hallo Welt, das ist ein Test.</p></html>",
        )
        .unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.reason.contains("unknown language 'de'"), "{}", e.reason);
        let e = parse(Path::new("c.html"), "<p>no title here at all</p>").unwrap_err();
        assert!(e.reason.contains("<title>"), "{}", e.reason);
    }

    #[test]
    fn decodes_entities_and_keeps_unknown_ones() {
        assert_eq!(
            decode_entities("a &amp; b &#233; &#xE8; &bogus; &"),
            "a & b é è &bogus; &"
        );
    }
}
