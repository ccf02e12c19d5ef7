//! Reads a plain HTML page dropped in the knowledge folder (a site export, or a page copied
//! by `guichet sync`): the title from `<title>` or the first `<h1>`, the language from
//! `<html lang>`, the source from the canonical link, and the text of the main content
//! (`<main>`, else the page's one `<article>`, else `<body>`) without scripts, styles or
//! navigation. Parsing is html5ever's (through `scraper`), as a browser would read it.

use std::path::Path;

use scraper::{ElementRef, Html, Node};

use super::passages::{self, Block};
use super::{Document, FileError, Kind};
use crate::language::Language;

/// Elements whose whole content is dropped: code, styling and site chrome.
const SKIPPED: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "nav", "header", "footer", "aside", "form",
    "button", "select", "iframe", "head", "dialog", "object", "canvas", "math",
];
/// Inline elements: their tags do not separate words.
const INLINE: &[&str] = &[
    "a", "b", "strong", "em", "i", "span", "abbr", "sup", "sub", "small", "mark", "code", "u", "q",
    "cite", "time", "s", "del", "ins", "bdi", "bdo", "kbd", "var", "dfn", "wbr", "data",
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
    "caption",
    "blockquote",
    "dd",
    "dt",
    "dl",
    "figure",
    "figcaption",
    "hr",
    "pre",
    "body",
    "address",
    "details",
    "summary",
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
            primary.parse::<Language>().map_err(|e| {
                FileError::new(path, html_tag_line(text), format!("<html lang>: {e}"))
            })?
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

/// The line of the `<html` tag (where `lang` is), for messages; 1 when there is none.
fn html_tag_line(text: &str) -> usize {
    let lower = text.to_ascii_lowercase();
    let at = lower
        .match_indices("<html")
        .find(|(i, _)| {
            lower[i + 5..]
                .chars()
                .next()
                .is_some_and(|c| c.is_whitespace() || c == '>' || c == '/')
        })
        .map_or(0, |(i, _)| i);
    text[..at].matches('\n').count() + 1
}

/// What guichet reads of an HTML page.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Page {
    /// `<title>`, white space folded; `None` without one.
    pub title: Option<String>,
    /// The first `<h1>` of the main content.
    pub first_h1: Option<String>,
    /// `<html lang>` as written (`fr-CA`), if any.
    pub lang: Option<String>,
    /// `<link rel="canonical" href>`, else `<meta property="og:url" content>`, as written
    /// (possibly relative).
    pub canonical: Option<String>,
    /// The main content: headings, paragraphs and lists, in order.
    pub blocks: Vec<Block>,
}

impl Page {
    /// Reads `html` as a browser would (malformed markup included).
    pub fn read(html: &str) -> Page {
        let document = Html::parse_document(html);
        let root = document.root_element();
        let mut page = Page {
            lang: root
                .attr("lang")
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty()),
            ..Page::default()
        };
        let elements = || root.descendent_elements();
        let head = elements().find(|e| e.value().name() == "head");
        page.title = head
            .and_then(|h| {
                h.descendent_elements()
                    .find(|e| e.value().name() == "title")
            })
            .or_else(|| elements().find(|e| e.value().name() == "title" && !in_svg(*e)))
            .map(|t| clean(&t.text().collect::<String>()));
        page.canonical = elements()
            .find(|e| {
                e.value().name() == "link"
                    && e.attr("rel").is_some_and(|rel| {
                        rel.split_ascii_whitespace()
                            .any(|r| r.eq_ignore_ascii_case("canonical"))
                    })
                    && e.attr("href").is_some_and(|h| !h.trim().is_empty())
            })
            .and_then(|e| e.attr("href"))
            .or_else(|| {
                elements()
                    .find(|e| e.value().name() == "meta" && e.attr("property") == Some("og:url"))
                    .and_then(|e| e.attr("content"))
            })
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty());
        let main = main_content(root);
        let mut walker = Walker::default();
        walker.element(main);
        walker.flush();
        page.first_h1 = walker.first_h1;
        page.blocks = walker.blocks;
        page
    }
}

/// The element holding the page's own content: `<main>` (or `role="main"`), else the
/// page's only `<article>`, else `<body>`, else the whole document.
fn main_content(root: ElementRef<'_>) -> ElementRef<'_> {
    let visible = |e: &ElementRef<'_>| {
        !e.ancestors().any(|a| {
            a.value()
                .as_element()
                .is_some_and(|a| SKIPPED.contains(&a.name()))
        })
    };
    if let Some(main) = root
        .descendent_elements()
        .filter(visible)
        .find(|e| e.value().name() == "main" || e.attr("role") == Some("main"))
    {
        return main;
    }
    let mut articles = root
        .descendent_elements()
        .filter(visible)
        .filter(|e| e.value().name() == "article");
    if let (Some(article), None) = (articles.next(), articles.next()) {
        return article;
    }
    root.descendent_elements()
        .find(|e| e.value().name() == "body")
        .unwrap_or(root)
}

fn in_svg(e: ElementRef<'_>) -> bool {
    e.ancestors()
        .any(|a| a.value().as_element().is_some_and(|a| a.name() == "svg"))
}

/// Turns an element tree into blocks: block elements end a paragraph, headings and list
/// items become their own blocks, inline elements join words.
#[derive(Default)]
struct Walker {
    blocks: Vec<Block>,
    /// Text of the paragraph (or heading, or list item) being read.
    text: String,
    /// Items of the list being read.
    list: Vec<String>,
    /// How many `<li>` we are inside.
    in_li: usize,
    /// Inside a heading, block elements do not split it.
    in_heading: bool,
    first_h1: Option<String>,
}

impl Walker {
    fn element(&mut self, element: ElementRef<'_>) {
        for child in element.children() {
            match child.value() {
                Node::Text(t) => self.text.push_str(t),
                Node::Element(e) => {
                    let name = e.name();
                    let hidden =
                        e.attr("hidden").is_some() || e.attr("aria-hidden") == Some("true");
                    if SKIPPED.contains(&name) || hidden {
                        continue;
                    }
                    // A `Node::Element` always wraps.
                    let Some(child) = ElementRef::wrap(child) else {
                        continue;
                    };
                    self.child(name, child);
                }
                _ => {}
            }
        }
    }

    fn child(&mut self, name: &str, child: ElementRef<'_>) {
        let level = match name.as_bytes() {
            [b'h', d @ b'1'..=b'6'] => Some(d - b'0'),
            _ => None,
        };
        match (level, name) {
            (Some(level), _) if !self.in_heading && self.in_li == 0 => {
                self.flush();
                self.in_heading = true;
                self.element(child);
                self.in_heading = false;
                let h = clean(&std::mem::take(&mut self.text));
                if !h.is_empty() {
                    if level == 1 && self.first_h1.is_none() {
                        self.first_h1 = Some(h.clone());
                    }
                    self.blocks.push(Block::Heading { level, text: h });
                }
            }
            (None, "li") => {
                let before = clean(&std::mem::take(&mut self.text));
                if !before.is_empty() {
                    if self.in_li > 0 {
                        self.list.push(before);
                    } else {
                        self.blocks.push(Block::Paragraph(before));
                    }
                }
                self.in_li += 1;
                self.element(child);
                self.in_li -= 1;
                let item = clean(&std::mem::take(&mut self.text));
                if !item.is_empty() {
                    self.list.push(item);
                }
            }
            (None, "ul" | "ol") if self.in_li == 0 && !self.in_heading => {
                self.flush();
                self.element(child);
                self.flush();
            }
            _ if BLOCKS.contains(&name) && self.in_li == 0 && !self.in_heading => {
                self.flush();
                self.element(child);
                self.flush();
            }
            _ if INLINE.contains(&name) => self.element(child),
            _ => {
                self.text.push(' ');
                self.element(child);
                self.text.push(' ');
            }
        }
    }

    fn flush(&mut self) {
        if !self.list.is_empty() {
            self.blocks
                .push(Block::List(std::mem::take(&mut self.list)));
        }
        let t = clean(&std::mem::take(&mut self.text));
        if !t.is_empty() {
            self.blocks.push(Block::Paragraph(t));
        }
    }
}

/// Folds white space (including non-breaking spaces) into single spaces.
fn clean(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '\u{a0}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
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

    fn texts(d: &Document) -> String {
        d.passages
            .iter()
            .map(|p| p.text.clone())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn decodes_entities_and_keeps_unknown_ones() {
        let d = parse(
            Path::new("e.html"),
            "<html lang=en><title>T</title><p>Entities in this page: a &amp; b &#233; &#xE8; &bogus; & done.</p></html>",
        )
        .unwrap();
        assert_eq!(
            texts(&d),
            "Entities in this page: a & b é è &bogus; & done."
        );
    }

    #[test]
    fn reads_main_else_the_only_article_else_the_body() {
        let with_main = "<html lang=en><title>T</title><body><div class=banner><p>Banner text outside the main element.</p></div><main><p>The main content of the page about patient partners.</p></main><div><p>Related links and other teasers.</p></div></body></html>";
        let all = texts(&parse(Path::new("m.html"), with_main).unwrap());
        assert!(all.contains("main content"), "{all}");
        assert!(!all.contains("Banner") && !all.contains("teasers"), "{all}");

        let one_article = "<html lang=en><title>T</title><body><p>Sidebar words outside.</p><article><p>The article about data access for researchers.</p></article></body></html>";
        let all = texts(&parse(Path::new("a.html"), one_article).unwrap());
        assert!(all.contains("data access"), "{all}");
        assert!(!all.contains("Sidebar"), "{all}");

        let two_articles = "<html lang=en><title>T</title><body><p>An introduction to the news.</p><article><p>First news item.</p></article><article><p>Second news item.</p></article></body></html>";
        let all = texts(&parse(Path::new("b.html"), two_articles).unwrap());
        for part in ["introduction", "First", "Second"] {
            assert!(all.contains(part), "{part} missing from {all}");
        }
    }

    #[test]
    fn reads_malformed_markup_as_a_browser_does() {
        // Unclosed paragraphs and list items, an unquoted attribute with '>' in a quoted
        // one, a stray closing tag and a hidden block.
        let page = "<!doctype html><html lang='en'><head><title>Training  offer</title><link rel=\"alternate canonical\" href='https://example.org/training?a=1&amp;b=2'></head><body><main data-x=\"a>b\"><h1>Training</h1><p>The Unit trains researchers<p>and patient partners</span><ul><li>Workshops<li>Webinars</ul><div hidden><p>Secret draft text.</p></div></main></body></html>";
        let d = parse(Path::new("t.html"), page).unwrap();
        assert_eq!(d.title, "Training offer");
        assert_eq!(
            d.url.as_deref(),
            Some("https://example.org/training?a=1&b=2")
        );
        let all = texts(&d);
        assert!(all.contains("• Workshops\n• Webinars"), "{all}");
        assert!(all.contains("The Unit trains researchers"), "{all}");
        assert!(!all.contains("Secret") && !all.contains("a>b"), "{all}");
    }
}
