//! Reads a Markdown knowledge document: `key: value` front matter between `---` lines,
//! then a body of headings, paragraphs and lists.

use std::path::Path;

use super::passages::{self, Block};
use super::{Document, FileError, Kind};
use crate::language::Language;

const KEYS: &[&str] = &[
    "id",
    "title",
    "lang",
    "kind",
    "url",
    "translation",
    "aliases",
    "questions",
];

/// Parses one Markdown file, reporting the first problem with its line.
pub fn parse(path: &Path, text: &str) -> Result<Document, FileError> {
    let err = |line: usize, reason: String| FileError::new(path, line, reason);
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();
    if lines.first().map(|l| l.trim_end()) != Some("---") {
        return Err(err(
            1,
            "missing front matter: the file must start with a line `---`".into(),
        ));
    }
    let close = lines
        .iter()
        .skip(1)
        .position(|l| l.trim_end() == "---")
        .map(|i| i + 1)
        .ok_or_else(|| {
            err(
                lines.len(),
                "front matter is not closed by a line `---`".into(),
            )
        })?;

    let mut fields: Vec<(&str, String, usize)> = Vec::new();
    let mut questions: Vec<String> = Vec::new();
    for (i, line) in lines[1..close].iter().enumerate() {
        let n = i + 2;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let Some(item) = trimmed.strip_prefix("- ") {
            // An item of the list key above it (only `questions` takes a list).
            if fields.last().map(|(k, v, _)| (*k, v.is_empty())) != Some(("questions", true)) {
                return Err(err(
                    n,
                    "a list item `- …` must follow `questions:` (the only list key)".into(),
                ));
            }
            let item = item.trim();
            if !item.is_empty() {
                questions.push(item.to_string());
            }
            continue;
        }
        let Some((key, value)) = trimmed.split_once(':') else {
            return Err(err(n, format!("expected `key: value`, found `{trimmed}`")));
        };
        let key = key.trim();
        let Some(&known) = KEYS.iter().find(|k| **k == key) else {
            return Err(err(
                n,
                format!("unknown key `{key}` (expected one of: {})", KEYS.join(", ")),
            ));
        };
        if fields.iter().any(|(k, _, _)| *k == known) {
            return Err(err(n, format!("key `{key}` appears twice")));
        }
        fields.push((known, value.trim().to_string(), n));
    }
    let get = |key: &str| {
        fields
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, v, n)| (v.as_str(), *n))
    };
    let required = |key: &str| -> Result<(&str, usize), FileError> {
        match get(key) {
            Some((v, n)) if !v.is_empty() => Ok((v, n)),
            Some((_, n)) => Err(err(n, format!("key `{key}` is empty"))),
            None => Err(err(
                close + 1,
                format!("missing key `{key}` in the front matter"),
            )),
        }
    };

    let (id, id_line) = required("id")?;
    if !id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(err(
            id_line,
            format!("id '{id}' may only hold lowercase letters a-z, digits and dashes"),
        ));
    }
    let (title, _) = required("title")?;
    let (lang, lang_line) = required("lang")?;
    let lang: Language = lang
        .parse()
        .map_err(|e: crate::language::UnknownLanguage| err(lang_line, e.to_string()))?;
    let (kind, kind_line) = required("kind")?;
    let kind = Kind::parse(kind).ok_or_else(|| {
        err(
            kind_line,
            format!("unknown kind '{kind}' (expected page, partner or organization)"),
        )
    })?;
    let (url, url_line) = required("url")?;
    if !crate::text::is_http_url(url) {
        return Err(err(
            url_line,
            format!("url '{url}' is not an http(s) address"),
        ));
    }
    let (translation, translation_line) = required("translation")?;
    let aliases = get("aliases")
        .map(|(v, _)| {
            v.split(',')
                .map(|a| a.trim().to_string())
                .filter(|a| !a.is_empty())
                .collect()
        })
        .unwrap_or_default();

    if let Some((_, n)) = get("questions").filter(|(v, _)| !v.is_empty()) {
        return Err(err(
            n,
            "`questions:` takes a list: one `- question` line each below it".into(),
        ));
    }

    let blocks = body_blocks(&lines[close + 1..]);
    let passages = passages::build(&blocks);
    if passages.is_empty() {
        return Err(err(
            close + 1,
            "the document has no text after its front matter".into(),
        ));
    }
    Ok(Document {
        id: id.to_string(),
        title: title.to_string(),
        lang,
        kind,
        url: Some(url.to_string()),
        translation: Some(translation.to_string()),
        aliases,
        questions,
        passages,
        path: path.to_path_buf(),
        translation_line,
        id_line,
    })
}

/// Splits a Markdown body into blocks. Only the subset the knowledge base uses is
/// understood (ATX headings, paragraphs, `-`/`*`/numbered lists); inline markup is removed.
fn body_blocks(lines: &[&str]) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut paragraph: Vec<String> = Vec::new();
    let mut list: Vec<String> = Vec::new();
    fn flush(blocks: &mut Vec<Block>, paragraph: &mut Vec<String>, list: &mut Vec<String>) {
        if !paragraph.is_empty() {
            blocks.push(Block::Paragraph(paragraph.join(" ")));
            paragraph.clear();
        }
        if !list.is_empty() {
            blocks.push(Block::List(std::mem::take(list)));
        }
    }
    for raw in lines {
        let line = raw.trim();
        if line.is_empty() {
            flush(&mut blocks, &mut paragraph, &mut list);
            continue;
        }
        if let Some(level) = heading_level(line) {
            flush(&mut blocks, &mut paragraph, &mut list);
            let text = strip_inline(line[level..].trim().trim_end_matches('#').trim());
            blocks.push(Block::Heading {
                level: level as u8,
                text,
            });
            continue;
        }
        if let Some(item) = list_item(line) {
            if !paragraph.is_empty() {
                flush(&mut blocks, &mut paragraph, &mut list);
            }
            list.push(strip_inline(item));
            continue;
        }
        if !list.is_empty() && raw.starts_with([' ', '\t']) {
            // A continuation line of the last list item.
            if let Some(last) = list.last_mut() {
                last.push(' ');
                last.push_str(&strip_inline(line));
            }
            continue;
        }
        if !list.is_empty() {
            flush(&mut blocks, &mut paragraph, &mut list);
        }
        paragraph.push(strip_inline(line));
    }
    flush(&mut blocks, &mut paragraph, &mut list);
    blocks
}

fn heading_level(line: &str) -> Option<usize> {
    let level = line.chars().take_while(|c| *c == '#').count();
    (1..=6)
        .contains(&level)
        .then_some(level)
        .filter(|&l| line[l..].starts_with(' '))
}

fn list_item(line: &str) -> Option<&str> {
    if let Some(rest) = line
        .strip_prefix("- ")
        .or_else(|| line.strip_prefix("* "))
        .or_else(|| line.strip_prefix("+ "))
    {
        return Some(rest.trim());
    }
    let digits = line.chars().take_while(|c| c.is_ascii_digit()).count();
    if digits > 0 {
        let rest = &line[digits..];
        if let Some(item) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return Some(item.trim());
        }
    }
    None
}

/// Removes inline Markdown: emphasis markers, code ticks, and links (keeping their text).
pub fn strip_inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '*' | '`' => {}
            '_' if (i + 1 < chars.len() && chars[i + 1] == '_')
                || (i > 0 && chars[i - 1] == '_') => {}
            '!' if chars.get(i + 1) == Some(&'[') => {}
            '[' => {
                // [text](url) → text
                if let Some(close) = chars[i..].iter().position(|&c| c == ']').map(|p| p + i) {
                    if chars.get(close + 1) == Some(&'(') {
                        if let Some(end) = chars[close..]
                            .iter()
                            .position(|&c| c == ')')
                            .map(|p| p + close)
                        {
                            out.extend(&chars[i + 1..close]);
                            i = end + 1;
                            continue;
                        }
                    }
                }
                out.push(c);
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "---\nid: unit-en\ntitle: The Unit\nlang: en\nkind: page\nurl: https://ssaquebec.ca/en/the-unit/\ntranslation: unit-fr\naliases: SSA Quebec, SPOR SUPPORT Unit\n---\n# The Unit\n\nThe **Unit** supports [patient-oriented research](https://x.y) in Quebec since 2014.\n\n## Who can ask\n\nThe following people can ask for help:\n- researchers\n- patients and caregivers\n";

    fn parse_str(text: &str) -> Result<Document, FileError> {
        parse(Path::new("k/unit.en.md"), text)
    }

    #[test]
    fn reads_front_matter_and_body() {
        let d = parse_str(GOOD).unwrap();
        assert_eq!(d.id, "unit-en");
        assert_eq!(d.lang, Language::En);
        assert_eq!(d.kind, Kind::Page);
        assert_eq!(d.aliases, vec!["SSA Quebec", "SPOR SUPPORT Unit"]);
        assert_eq!(d.passages.len(), 2);
        assert_eq!(
            d.passages[0].text,
            "The Unit supports patient-oriented research in Quebec since 2014."
        );
        assert_eq!(d.passages[1].section.as_deref(), Some("Who can ask"));
        assert!(d.passages[1].text.contains("• patients and caregivers"));
    }

    fn error_of(text: &str) -> FileError {
        parse_str(text).expect_err("the document should be rejected")
    }

    #[test]
    fn reports_an_unknown_language_with_its_line() {
        let e = error_of(&GOOD.replace("lang: en", "lang: de"));
        assert_eq!(e.line, 4);
        assert!(e.reason.contains("unknown language 'de'"), "{}", e.reason);
    }

    #[test]
    fn reports_missing_or_unclosed_front_matter() {
        assert_eq!(error_of("# Just a title\n\nText.").line, 1);
        let e = error_of("---\nid: x\n");
        assert!(e.reason.contains("not closed"), "{}", e.reason);
    }

    #[test]
    fn reports_unknown_duplicate_and_missing_keys() {
        let e = error_of(&GOOD.replace("kind: page", "kind: page\ncolour: blue"));
        assert!(
            e.reason.contains("unknown key `colour`") && e.line == 6,
            "{e}"
        );
        let e = error_of(&GOOD.replace("kind: page", "kind: page\nkind: partner"));
        assert!(e.reason.contains("appears twice"), "{e}");
        let e = error_of(&GOOD.replace("url: https://ssaquebec.ca/en/the-unit/\n", ""));
        assert!(e.reason.contains("missing key `url`"), "{e}");
        let e = error_of(&GOOD.replace("id: unit-en", "id: Unit EN"));
        assert!(e.reason.contains("lowercase"), "{e}");
    }

    #[test]
    fn rejects_a_bad_kind_or_url_and_an_empty_body() {
        assert!(error_of(&GOOD.replace("kind: page", "kind: blog"))
            .reason
            .contains("unknown kind"));
        assert!(
            error_of(&GOOD.replace("https://ssaquebec.ca/en/the-unit/", "ssaquebec"))
                .reason
                .contains("http")
        );
        let head = &GOOD[..GOOD.find("# The Unit").unwrap()];
        assert!(error_of(head).reason.contains("no text"));
    }

    #[test]
    fn reads_the_typical_questions_list() {
        let text = GOOD.replace(
            "aliases:",
            "questions:\n  - Who can ask the Unit for help?\n  - Can patients ask?\naliases:",
        );
        let d = parse_str(&text).unwrap();
        assert_eq!(
            d.questions,
            vec!["Who can ask the Unit for help?", "Can patients ask?"]
        );
        let e = error_of(&GOOD.replace("aliases:", "questions: Who?\naliases:"));
        assert!(e.reason.contains("takes a list"), "{e}");
        let e = error_of(&GOOD.replace("aliases:", "- stray\naliases:"));
        assert!(e.reason.contains("must follow `questions:`"), "{e}");
    }

    #[test]
    fn strips_inline_markup() {
        assert_eq!(strip_inline("a **b** `c` [d](http://e) __f__"), "a b c d f");
        assert_eq!(strip_inline("snake_case stays"), "snake_case stays");
    }
}
