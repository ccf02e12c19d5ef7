//! One copied page: its file name (stable, safe, from its address) and the small clean
//! HTML written for the knowledge loader (`<html lang>`, `<title>`, the canonical link and
//! the main content's headings, paragraphs and lists).

use std::fmt::Write as _;

use http_client::Url;
use sha2::{Digest, Sha256};

use crate::knowledge::html::Page;
use crate::knowledge::passages::Block;
use crate::language::Language;
use crate::text::escape_html;

/// Longest slug of the address's path kept in a file name.
const MAX_SLUG: usize = 60;

/// The file name of the page at `url`: host and path as lowercase ASCII words joined by
/// dashes, then 8 hex digits of the address's hash (two addresses never share a file,
/// and the name does not change between runs), e.g. `ssaquebec-ca-en-the-unit-1f2e3d4c.html`.
pub fn file_name(url: &Url) -> String {
    let host = url.host_str().unwrap_or("site");
    let mut slug = words(host);
    let path = words(url.path());
    if !path.is_empty() {
        slug.push('-');
        slug.push_str(&path);
    }
    if slug.len() > MAX_SLUG {
        slug.truncate(MAX_SLUG);
        slug = slug.trim_end_matches('-').to_string();
    }
    let hash = Sha256::digest(url.as_str().as_bytes());
    format!(
        "{slug}-{:02x}{:02x}{:02x}{:02x}.html",
        hash[0], hash[1], hash[2], hash[3]
    )
}

/// Lowercase ASCII letters and digits, every other run of characters one dash (accents
/// dropped, not transliterated: the hash keeps names apart).
fn words(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// Why a fetched page is not written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    #[error("the page has neither a <title> nor an <h1>")]
    NoTitle,
    #[error("cannot tell the page's language (neither French nor English)")]
    NoLanguage,
    #[error("the page has no text outside navigation and scripts")]
    NoText,
}

/// The page to write: what the loader needs, nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copy {
    pub title: String,
    pub lang: Language,
    /// The page's canonical address (shown to people as the source).
    pub canonical: String,
    pub blocks: Vec<Block>,
}

impl Copy {
    /// Reads a fetched page. `url` is where it came from (after redirects); its canonical
    /// link is kept when it is an http(s) address on an allowed host (`allowed`),
    /// otherwise the page's own address is.
    pub fn read(html: &str, url: &Url, allowed: impl Fn(&Url) -> bool) -> Result<Copy, PageError> {
        let page = Page::read(html);
        let title = page
            .title
            .clone()
            .filter(|t| !t.is_empty())
            .or(page.first_h1.clone())
            .ok_or(PageError::NoTitle)?;
        if !page
            .blocks
            .iter()
            .any(|b| !matches!(b, Block::Heading { level: 1, .. }))
        {
            return Err(PageError::NoText);
        }
        let lang = match &page.lang {
            Some(code) => code
                .split(['-', '_'])
                .next()
                .unwrap_or(code)
                .parse::<Language>()
                .map_err(|_| PageError::NoLanguage)?,
            None => Language::detect(&plain_text(&page.blocks)).ok_or(PageError::NoLanguage)?,
        };
        let canonical = page
            .canonical
            .as_deref()
            .and_then(|c| url.join(c).ok())
            .filter(|c| allowed(c))
            .unwrap_or_else(|| url.clone());
        let mut canonical = canonical;
        canonical.set_fragment(None);
        Ok(Copy {
            title,
            lang,
            canonical: canonical.to_string(),
            blocks: page.blocks,
        })
    }

    /// The HTML written to the knowledge folder; the same page always gives the same bytes.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<link rel=\"canonical\" href=\"{}\">\n<meta name=\"generator\" content=\"guichet sync\">\n</head>\n<body>\n<main>\n",
            self.lang.code(),
            escape_html(&self.title),
            escape_html(&self.canonical)
        );
        for block in &self.blocks {
            let _ = match block {
                Block::Heading { level, text } => {
                    writeln!(out, "<h{level}>{}</h{level}>", escape_html(text))
                }
                Block::Paragraph(text) => writeln!(out, "<p>{}</p>", escape_html(text)),
                Block::List(items) => {
                    out.push_str("<ul>\n");
                    for item in items {
                        let _ = writeln!(out, "<li>{}</li>", escape_html(item));
                    }
                    writeln!(out, "</ul>")
                }
            };
        }
        out.push_str("</main>\n</body>\n</html>\n");
        out
    }
}

fn plain_text(blocks: &[Block]) -> String {
    blocks
        .iter()
        .map(|b| match b {
            Block::Heading { text, .. } | Block::Paragraph(text) => text.clone(),
            Block::List(items) => items.join(" "),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn file_names_are_safe_stable_and_distinct() {
        let a = file_name(&url("https://ssaquebec.ca/en/the-unit/"));
        assert!(a.starts_with("ssaquebec-ca-en-the-unit-"), "{a}");
        assert!(a.ends_with(".html"));
        assert_eq!(a, file_name(&url("https://ssaquebec.ca/en/the-unit/")));
        assert_ne!(a, file_name(&url("https://ssaquebec.ca/en/the-unit")));
        assert_ne!(
            a,
            file_name(&url("https://ssaquebec.ca/en/the-unit/?lang=fr"))
        );
        let odd = file_name(&url("https://ssaquebec.ca/l'unité/../../etc/passwd%00/"));
        assert!(
            odd.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'),
            "{odd}"
        );
        assert!(!odd.starts_with('.'));
        let long = file_name(&url(&format!(
            "https://ssaquebec.ca/{}",
            "a-very-long-path/".repeat(20)
        )));
        assert!(long.len() <= MAX_SLUG + 14, "{long}");
        assert_eq!(
            file_name(&url("http://127.0.0.1:8080/")).len(),
            "127-0-0-1-".len() + 13
        );
    }

    #[test]
    fn a_copy_keeps_title_language_canonical_and_main_text() {
        let page = r#"<html lang="en-CA"><head><title>The Unit &amp; us</title><link rel="canonical" href="/en/the-unit/#top"></head>
<body><nav>Menu</nav><main><h1>The Unit</h1><p>A joint initiative of <b>CIHR</b> and Quebec.</p><ul><li>One</li><li>Two &lt;three&gt;</li></ul></main></body></html>"#;
        let at = url("https://ssaquebec.ca/en/the-unit/?utm=x");
        let copy = Copy::read(page, &at, |_| true).unwrap();
        assert_eq!(copy.title, "The Unit & us");
        assert_eq!(copy.lang, Language::En);
        assert_eq!(copy.canonical, "https://ssaquebec.ca/en/the-unit/");
        let html = copy.render();
        assert!(html.contains("<html lang=\"en\">"), "{html}");
        assert!(html.contains("<title>The Unit &amp; us</title>"), "{html}");
        assert!(html.contains("<li>Two &lt;three&gt;</li>"), "{html}");
        assert!(!html.contains("Menu"), "{html}");
        // What is written reads back the same.
        let again = Copy::read(&html, &at, |_| true).unwrap();
        assert_eq!(again, copy);

        // A canonical link to a host we do not copy from is not trusted.
        let elsewhere = page.replace("/en/the-unit/#top", "https://spam.example/");
        let copy = Copy::read(&elsewhere, &at, |u| u.host_str() == Some("ssaquebec.ca")).unwrap();
        assert_eq!(copy.canonical, "https://ssaquebec.ca/en/the-unit/?utm=x");
    }

    #[test]
    fn pages_guichet_cannot_read_are_refused() {
        let at = url("https://ssaquebec.ca/");
        assert_eq!(
            Copy::read(
                "<html lang=de><title>X</title><p>Hallo Welt</p></html>",
                &at,
                |_| true
            ),
            Err(PageError::NoLanguage)
        );
        assert_eq!(
            Copy::read("<html lang=fr><p>Sans titre</p></html>", &at, |_| true),
            Err(PageError::NoTitle)
        );
        assert_eq!(
            Copy::read(
                "<html lang=fr><title>Vide</title><nav>Menu</nav><h1>Vide</h1></html>",
                &at,
                |_| true
            ),
            Err(PageError::NoText)
        );
    }
}
