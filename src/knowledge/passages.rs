//! Cuts a document's blocks (headings, paragraphs, lists) into passages: the short,
//! self-contained pieces that are indexed and shown as excerpts.

/// A structural piece of a document, as Markdown or HTML parsing produces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Heading { level: u8, text: String },
    Paragraph(String),
    List(Vec<String>),
}

/// One indexed piece of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    /// Position in the document, from 0: the opening passage usually defines the subject.
    pub ordinal: usize,
    /// The heading of the section the passage sits in, if any.
    pub section: Option<String>,
    /// Plain text (no markup); list items on their own lines, starting with "• ".
    pub text: String,
}

/// Passages longer than this are split at sentence or item boundaries.
const MAX_PASSAGE_CHARS: usize = 700;
/// Target size of the pieces a long passage is split into.
const SPLIT_TARGET_CHARS: usize = 500;
/// A paragraph this short, or a lead-in ending with ':', is joined to what follows.
const MIN_PASSAGE_CHARS: usize = 60;

/// Turns blocks into passages. A level-1 heading is the document title and is skipped.
pub fn build(blocks: &[Block]) -> Vec<Passage> {
    let mut out: Vec<Passage> = Vec::new();
    let mut section: Option<String> = None;
    let mut pending: Option<String> = None;
    // A paragraph waits for the next block: a list right after it joins it (the list is
    // what the paragraph leads in to, and an excerpt must be able to show both).
    let mut held: Option<String> = None;
    let push = |section: &Option<String>, text: String, out: &mut Vec<Passage>| {
        for piece in split_long(&text) {
            out.push(Passage {
                ordinal: out.len(),
                section: section.clone(),
                text: piece,
            });
        }
    };
    for block in blocks {
        let text = match block {
            Block::Heading { level, text } => {
                for p in [held.take(), pending.take()].into_iter().flatten() {
                    push(&section, p, &mut out);
                }
                if *level > 1 {
                    section = Some(text.clone());
                }
                continue;
            }
            Block::Paragraph(t) => t.trim().to_string(),
            Block::List(items) => items
                .iter()
                .map(|i| format!("• {}", i.trim()))
                .collect::<Vec<_>>()
                .join("\n"),
        };
        if text.is_empty() {
            continue;
        }
        let is_list = matches!(block, Block::List(_));
        let text = match (held.take(), pending.take()) {
            (Some(h), None) if is_list => format!("{h}\n{text}"),
            (h, p) => {
                if let Some(h) = h {
                    push(&section, h, &mut out);
                }
                match p {
                    Some(p) => format!("{p}\n{text}"),
                    None => text,
                }
            }
        };
        let chars = text.chars().count();
        if chars < MIN_PASSAGE_CHARS || (text.ends_with(':') && chars < 2 * MIN_PASSAGE_CHARS) {
            pending = Some(text);
        } else if is_list {
            push(&section, text, &mut out);
        } else {
            held = Some(text);
        }
    }
    for p in [held.take(), pending.take()].into_iter().flatten() {
        push(&section, p, &mut out);
    }
    out
}

/// Splits a long text into pieces of about [`SPLIT_TARGET_CHARS`], at line ends (list
/// items) or sentence ends, never inside a word.
fn split_long(text: &str) -> Vec<String> {
    if text.chars().count() <= MAX_PASSAGE_CHARS {
        return vec![text.to_string()];
    }
    // Units: lines, then sentences inside each line.
    let mut units: Vec<String> = Vec::new();
    for line in text.lines() {
        let mut start = 0;
        let bytes: Vec<(usize, char)> = line.char_indices().collect();
        for (k, &(i, c)) in bytes.iter().enumerate() {
            let next_is_space = bytes.get(k + 1).map(|&(_, n)| n == ' ').unwrap_or(false);
            if matches!(c, '.' | '?' | '!' | ';') && next_is_space {
                units.push(line[start..=i].trim().to_string());
                start = i + 1;
            }
        }
        let rest = line[start..].trim();
        if !rest.is_empty() {
            units.push(rest.to_string());
        }
        if let Some(last) = units.last_mut() {
            last.push('\n');
        }
    }
    let mut pieces = Vec::new();
    let mut current = String::new();
    for unit in units {
        if !current.is_empty()
            && current.chars().count() + unit.chars().count() > SPLIT_TARGET_CHARS
        {
            pieces.push(current.trim().to_string());
            current.clear();
        }
        if !current.is_empty() && !current.ends_with('\n') {
            current.push(' ');
        }
        current.push_str(&unit);
    }
    if !current.trim().is_empty() {
        pieces.push(current.trim().to_string());
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn para(s: &str) -> Block {
        Block::Paragraph(s.to_string())
    }

    #[test]
    fn sections_and_paragraphs_become_passages() {
        let long = "The Unit supports patient-oriented research across Quebec and beyond.";
        let blocks = vec![
            Block::Heading {
                level: 1,
                text: "Title".into(),
            },
            para(long),
            Block::Heading {
                level: 2,
                text: "Funding".into(),
            },
            para("Its funding comes from CIHR and the Quebec government, jointly."),
        ];
        let p = build(&blocks);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].section, None);
        assert_eq!(p[1].section.as_deref(), Some("Funding"));
        assert_eq!(p[1].ordinal, 1);
    }

    #[test]
    fn a_lead_in_joins_its_list() {
        let blocks = vec![
            para("The request types are:"),
            Block::List(vec![
                "exploratory meeting".into(),
                "letter of support".into(),
            ]),
        ];
        let p = build(&blocks);
        assert_eq!(p.len(), 1);
        assert_eq!(
            p[0].text,
            "The request types are:\n• exploratory meeting\n• letter of support"
        );
    }

    #[test]
    fn a_paragraph_keeps_the_list_it_announces_and_not_the_next_paragraph() {
        let lead = "The Fonds de recherche du Québec brings together three sectoral funds. \
            Their full names are listed below.";
        let next = "The FRQ also runs a fellowship program for patient-oriented research.";
        let blocks = vec![
            para(lead),
            Block::List(vec![
                "FRQS: health".into(),
                "FRQSC: society and culture".into(),
            ]),
            para(next),
            para(next),
        ];
        let p = build(&blocks);
        assert_eq!(p.len(), 3, "{p:?}");
        assert_eq!(
            p[0].text,
            format!("{lead}\n• FRQS: health\n• FRQSC: society and culture")
        );
        assert_eq!(p[1].text, next);
        assert_eq!(p[2].ordinal, 2);
    }

    #[test]
    fn a_long_paragraph_is_split_at_sentence_ends() {
        let sentence = "Patient partners take part in every stage of the research project. ";
        let p = build(&[para(&sentence.repeat(20))]);
        assert!(p.len() > 1);
        for piece in &p {
            assert!(
                piece.text.chars().count() <= MAX_PASSAGE_CHARS,
                "{}",
                piece.text
            );
            assert!(
                piece.text.ends_with('.'),
                "cut mid-sentence: {}",
                piece.text
            );
        }
    }
}
