//! What a search returns: an [`Answer`] with up to a few [`Hit`]s, each carrying an
//! [`Excerpt`] whose matched words are marked so every channel can highlight them its way.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::analysis::Token;
use super::asked::Asked;
use crate::knowledge::Kind;
use crate::language::Language;
use crate::messages::Msg;

/// Excerpts longer than this are cut around the first matched word.
const EXCERPT_CHARS: usize = 420;
/// An excerpt that shows a list (its lead-in sentence and items) may run this long.
const LIST_EXCERPT_CHARS: usize = 640;
/// How a list item starts in a passage's text (see `knowledge::passages`).
const LIST_ITEM: &str = "• ";

/// The result of asking the knowledge base.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Whether the knowledge base answered (false: the honest fallback).
    pub answered: bool,
    /// The language the reply is written in.
    pub lang: Language,
    /// Best first; empty when not answered.
    pub hits: Vec<Hit>,
    /// When not answered but close: related pages to offer ("did you mean"), best first.
    pub suggestions: Vec<Hit>,
    /// The decision's probability that the best part is answered correctly (0 to 1).
    pub confidence: f32,
}

/// One matching passage.
#[derive(Debug, Clone)]
pub struct Hit {
    pub doc_id: String,
    pub title: String,
    pub section: Option<String>,
    pub url: Option<String>,
    pub excerpt: Excerpt,
    /// The language of the passage (not always the asker's).
    pub lang: Language,
    pub kind: Kind,
    pub score: f32,
    /// Share of the question the passage covers, from 0 to 1.
    pub coverage: f32,
}

/// A short text with the matched words marked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt(pub Vec<Segment>);

/// A run of excerpt text, highlighted or not (as JSON: `{"text", "highlighted"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Segment {
    pub text: String,
    pub highlighted: bool,
}

impl Answer {
    /// The honest "I don't know" in `lang`.
    pub fn fallback(lang: Language) -> Answer {
        Answer {
            answered: false,
            lang,
            hits: Vec::new(),
            suggestions: Vec::new(),
            confidence: 0.0,
        }
    }

    /// The stable JSON shape other scripts depend on: `{"answered", "lang", "hits":
    /// [{"title", "url", "excerpt", "lang", "kind", "score"}], "suggestions": [same shape]}`
    /// (see [`AnswerJson`]).
    pub fn to_json(&self) -> serde_json::Value {
        // Strings, numbers and booleans only: serialising to a `Value` cannot fail.
        serde_json::to_value(AnswerJson::from(self)).expect("an answer serialises")
    }

    /// The answer as plain text for a person, with matched words wrapped in `open`/`close`
    /// (e.g. ANSI bold in a terminal, `**` in Markdown, nothing for plain text).
    pub fn render_text(&self, open: &str, close: &str) -> String {
        let lang = self.lang;
        if !self.answered {
            let mut out = Msg::Fallback.text(lang).to_string();
            if !self.suggestions.is_empty() {
                out = Msg::NotSure.text(lang).to_string();
                for (i, hit) in self.suggestions.iter().enumerate() {
                    out.push_str(&format!("\n{}. {}", i + 1, hit.title));
                    if let Some(url) = &hit.url {
                        out.push_str(&format!(" — {url}"));
                    }
                }
            }
            return format!("{out}\n{}", Msg::OfferStaff.text(lang));
        }
        let mut out = String::from(Msg::AnswerIntro.text(lang));
        for (i, hit) in self.hits.iter().enumerate() {
            out.push_str(&format!("\n\n{}. {}", i + 1, hit.title));
            if let Some(section) = &hit.section {
                out.push_str(&format!(" — {section}"));
            }
            if hit.lang != lang {
                out.push_str(&format!(" [{}]", hit.lang.code()));
            }
            for line in hit.excerpt.marked(open, close).lines() {
                out.push_str("\n   ");
                out.push_str(line);
            }
            if let Some(url) = &hit.url {
                out.push_str(&format!("\n   {} : {url}", Msg::Source.text(lang)));
            }
        }
        out
    }
}

/// An [`Answer`] as JSON (see [`Answer::to_json`]).
#[derive(Debug, Serialize)]
pub struct AnswerJson<'a> {
    pub answered: bool,
    pub lang: &'static str,
    pub hits: Vec<HitJson<'a>>,
    pub suggestions: Vec<HitJson<'a>>,
}

impl<'a> From<&'a Answer> for AnswerJson<'a> {
    fn from(answer: &'a Answer) -> Self {
        AnswerJson {
            answered: answer.answered,
            lang: answer.lang.code(),
            hits: answer.hits.iter().map(HitJson::from).collect(),
            suggestions: answer.suggestions.iter().map(HitJson::from).collect(),
        }
    }
}

/// A [`Hit`] as JSON: `{"title", "url", "excerpt", "lang", "kind", "score"}`, and the
/// excerpt's highlighted runs (`segments`) when a channel asks for them.
#[derive(Debug, Serialize)]
pub struct HitJson<'a> {
    pub title: &'a str,
    pub url: Option<&'a str>,
    pub excerpt: String,
    pub lang: &'static str,
    pub kind: &'static str,
    /// Rounded to 3 decimals.
    pub score: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segments: Option<&'a [Segment]>,
}

impl<'a> From<&'a Hit> for HitJson<'a> {
    fn from(hit: &'a Hit) -> Self {
        HitJson {
            title: &hit.title,
            url: hit.url.as_deref(),
            excerpt: hit.excerpt.plain(),
            lang: hit.lang.code(),
            kind: hit.kind.as_str(),
            score: f64::from((hit.score * 1000.0).round() / 1000.0),
            segments: None,
        }
    }
}

impl Excerpt {
    /// How well the best sentence of `text` answers, as [`Excerpt::best`] weighs it, without
    /// building the excerpt: to choose among a document's passages.
    pub fn score(text: &str, tokens: &[Token], weighing: &Weighing<'_>) -> f32 {
        let (_, scores) = sentence_scores(text, tokens, weighing);
        scores.into_iter().fold(0.0, f32::max)
    }

    /// The sentence (or two) of `text` that best answers: the one whose matched words weigh
    /// most (a concept counts once however many of its synonyms a sentence holds), with a
    /// figure or an enumeration when one is asked (see [`Weighing`]). A list after the best
    /// sentence (or holding it) is shown whole when it fits; else a short best sentence is
    /// joined by its best neighbours. Falls back to [`Excerpt::around`] when the text has a
    /// single sentence.
    pub fn best(text: &str, tokens: &[Token], weighing: &Weighing<'_>) -> Excerpt {
        let marked: HashSet<String> = weighing.highlight.keys().cloned().collect();
        let (spans, scores) = sentence_scores(text, tokens, weighing);
        let item = |i: usize| text[spans[i].0..].starts_with(LIST_ITEM);
        let best = (0..spans.len())
            .max_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(b.cmp(&a)))
            .unwrap_or(0);
        if spans.len() == 1 {
            return Excerpt::around(text, tokens, &marked);
        }
        let (mut from, mut to) = spans[best];
        let len = |f: usize, t: usize| text[f..t].chars().count();
        // A list right after the best sentence (or holding it) is the answer: the
        // sentence, the one leading in when the best is an item, and the items that fit.
        let list_start = (best..spans.len().min(best + 3)).find(|&i| item(i));
        let mut limit = EXCERPT_CHARS;
        if let Some(first_item) = list_start {
            limit = LIST_EXCERPT_CHARS;
            let last_item = (first_item..spans.len())
                .take_while(|&i| item(i))
                .last()
                .unwrap_or(first_item);
            if item(best) {
                // An item matched: show the list from its lead-in, the sentences before
                // the list that fit with it.
                let list_start = (0..best).rev().find(|&i| !item(i)).map_or(best, |i| i + 1);
                from = spans[list_start].0;
                for i in (0..list_start).rev().take_while(|&i| !item(i)) {
                    if len(spans[i].0, spans[last_item].1) > limit {
                        break;
                    }
                    from = spans[i].0;
                }
            }
            if let Some(end) = (first_item.min(best)..=last_item)
                .rev()
                .find(|&i| len(from, spans[i].1) <= limit)
            {
                to = spans[end].1;
            }
        } else if text[from..to].ends_with(':') {
            // A lead-in ("The six criteria are:"): the answer is what follows.
            for &(_, t) in &spans[best + 1..] {
                if len(from, t) > EXCERPT_CHARS {
                    break;
                }
                to = t;
            }
        } else {
            // Grow with neighbouring sentences while they fit, the better-matching side
            // first (the follow-up on a tie): the fact asked often sits in the sentence
            // after the one naming the subject.
            let (mut first, mut last) = (best, best);
            loop {
                let before = first.checked_sub(1).map(|i| (i, scores[i]));
                let after = (last + 1 < spans.len()).then(|| (last + 1, scores[last + 1]));
                let fits =
                    |i: usize| len(from.min(spans[i].0), to.max(spans[i].1)) <= EXCERPT_CHARS;
                let pick = match (before.filter(|b| fits(b.0)), after.filter(|a| fits(a.0))) {
                    (Some(b), Some(a)) => Some(if b.1 > a.1 { b } else { a }),
                    (b, a) => b.or(a),
                };
                let Some((i, _)) = pick else { break };
                (from, to) = (from.min(spans[i].0), to.max(spans[i].1));
                (first, last) = (first.min(i), last.max(i));
            }
        }
        let piece = &text[from..to];
        let shifted: Vec<Token> = tokens
            .iter()
            .filter(|t| t.from >= from && t.to <= to)
            .map(|t| Token {
                from: t.from - from,
                to: t.to - from,
                ..t.clone()
            })
            .collect();
        let mut excerpt = Excerpt::within(piece, &shifted, &marked, limit).0;
        if from > 0 && excerpt.first().is_none_or(|s| !s.text.starts_with('…')) {
            excerpt.insert(
                0,
                Segment {
                    text: "…".into(),
                    highlighted: false,
                },
            );
        }
        if to < text.trim_end().len() && excerpt.last().is_none_or(|s| !s.text.ends_with('…')) {
            excerpt.push(Segment {
                text: " …".into(),
                highlighted: false,
            });
        }
        Excerpt(excerpt).merged()
    }

    /// Cuts `text` to at most about [`EXCERPT_CHARS`] characters around the first
    /// highlighted token, at word boundaries, marking tokens whose term is in `highlight`.
    pub fn around(text: &str, tokens: &[Token], highlight: &HashSet<String>) -> Excerpt {
        Excerpt::within(text, tokens, highlight, EXCERPT_CHARS)
    }

    /// [`Excerpt::around`] with at most about `limit` characters.
    fn within(text: &str, tokens: &[Token], highlight: &HashSet<String>, limit: usize) -> Excerpt {
        let marked: Vec<&Token> = tokens
            .iter()
            .filter(|t| highlight.contains(&t.term))
            .collect();
        let (mut start, mut end) = (0, text.len());
        if text.chars().count() > limit {
            let anchor = marked.first().map(|t| t.from).unwrap_or(0);
            // Start at the beginning of the sentence holding the first match when it fits.
            start = text[..anchor]
                .rfind(['.', '?', '!', '\n'])
                .map(|i| i + 1)
                .unwrap_or(0);
            if text[start..anchor].chars().count() > limit / 2 {
                start = floor_boundary(text, anchor.saturating_sub(limit / 3));
            }
            end = start
                + text[start..]
                    .char_indices()
                    .nth(limit)
                    .map(|(i, _)| i)
                    .unwrap_or(text.len() - start);
            if end < text.len() {
                // Back to the last word boundary.
                end = text[..end]
                    .rfind(char::is_whitespace)
                    .filter(|&i| i > start)
                    .unwrap_or(end);
            }
            while start < text.len() && !text.is_char_boundary(start) {
                start += 1;
            }
            start = text[start..]
                .find(|c: char| !c.is_whitespace())
                .map(|i| start + i)
                .unwrap_or(start);
            if start > 0 {
                // Do not start inside a word.
                if let Some(prev) = text[..start].chars().last() {
                    if prev.is_alphanumeric() {
                        start = text[start..]
                            .find(char::is_whitespace)
                            .map(|i| start + i + 1)
                            .unwrap_or(start);
                    }
                }
            }
        }
        let mut segments = Vec::new();
        if start > 0 {
            segments.push(Segment {
                text: "…".into(),
                highlighted: false,
            });
        }
        let mut pos = start;
        for t in marked.iter().filter(|t| t.from >= start && t.to <= end) {
            if t.from > pos {
                segments.push(Segment {
                    text: text[pos..t.from].to_string(),
                    highlighted: false,
                });
            }
            segments.push(Segment {
                text: text[t.from..t.to].to_string(),
                highlighted: true,
            });
            pos = t.to;
        }
        if pos < end {
            segments.push(Segment {
                text: text[pos..end].to_string(),
                highlighted: false,
            });
        }
        if end < text.len() {
            segments.push(Segment {
                text: "…".into(),
                highlighted: false,
            });
        }
        Excerpt(segments).merged()
    }

    /// Joins neighbouring segments of the same kind.
    fn merged(self) -> Excerpt {
        let mut out: Vec<Segment> = Vec::new();
        for s in self.0 {
            match out.last_mut() {
                Some(last) if last.highlighted == s.highlighted => last.text.push_str(&s.text),
                _ => out.push(s),
            }
        }
        Excerpt(out)
    }

    /// The text without marks.
    pub fn plain(&self) -> String {
        self.0.iter().map(|s| s.text.as_str()).collect()
    }

    /// The text with highlighted runs wrapped in `open` and `close`.
    pub fn marked(&self, open: &str, close: &str) -> String {
        self.0
            .iter()
            .map(|s| {
                if s.highlighted {
                    format!("{open}{}{close}", s.text)
                } else {
                    s.text.clone()
                }
            })
            .collect()
    }

    /// The highlighted words.
    pub fn highlighted(&self) -> Vec<&str> {
        self.0
            .iter()
            .filter(|s| s.highlighted)
            .map(|s| s.text.as_str())
            .collect()
    }
}

/// Matched terms, each with the concepts (index, weight) it stands for.
pub type Highlight = HashMap<String, Vec<(usize, f32)>>;

/// What weighs the sentences of a passage.
#[derive(Clone, Copy)]
pub struct Weighing<'a> {
    /// The matched terms, each with the concepts (index, weight) it stands for.
    pub highlight: &'a Highlight,
    /// The form of answer the question asks for.
    pub asked: Asked,
    /// What a matching sentence of the form asked gains (the same in every passage, so
    /// passages stay comparable).
    pub form_bonus: f32,
}

/// The sentences of `text` (never none) and the score of each: the weight of the concepts
/// it matches, plus the form bonus when it has the form asked (a figure, an enumeration).
fn sentence_scores(
    text: &str,
    tokens: &[Token],
    weighing: &Weighing<'_>,
) -> (Vec<(usize, usize)>, Vec<f32>) {
    let mut spans = sentence_spans(text);
    if spans.is_empty() {
        spans.push((0, text.len()));
    }
    // Tokens and spans are both in text order: one pass assigns each token its sentence.
    let mut scores = vec![0.0f32; spans.len()];
    let mut seen: Vec<HashSet<usize>> = vec![HashSet::new(); spans.len()];
    let mut i = 0;
    for t in tokens {
        while i < spans.len() && spans[i].1 < t.to {
            i += 1;
        }
        if i == spans.len() {
            break;
        }
        if t.from < spans[i].0 {
            continue;
        }
        for (concept, weight) in weighing.highlight.get(&t.term).into_iter().flatten() {
            if seen[i].insert(*concept) {
                scores[i] += weight;
            }
        }
    }
    let item = |i: usize| text[spans[i].0..].starts_with(LIST_ITEM);
    let asked = weighing.asked;
    for (i, &(from, to)) in spans.iter().enumerate() {
        if scores[i] <= 0.0 {
            continue;
        }
        let sentence = &text[from..to];
        let has_form = (asked.number && super::asked::holds_figure(sentence))
            || (asked.list
                && (item(i)
                    || sentence.ends_with(':')
                    || (i + 1..spans.len().min(i + 3)).any(item)
                    || enumerates(sentence)));
        if has_form {
            scores[i] += weighing.form_bonus;
        }
    }
    (spans, scores)
}

/// Byte spans of the sentences and list items of `text` (cut after `.`, `?`, `!` followed
/// by a space, and at line ends), trimmed.
fn sentence_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for (i, c) in text.char_indices() {
        let end = i + c.len_utf8();
        let cut = match c {
            '\n' => true,
            '.' | '?' | '!' => {
                bytes.get(end).is_none_or(|b| *b == b' ')
                    && !text[start..i].rsplit(' ').next().is_some_and(|w| {
                        w.chars().count() <= 2
                            && w.chars().all(char::is_alphabetic)
                            && w.chars().next().is_some_and(char::is_uppercase)
                    })
            }
            _ => false,
        };
        if cut {
            push_span(text, &mut spans, start, end);
            start = end;
        }
    }
    push_span(text, &mut spans, start, text.len());
    spans
}

/// Whether a sentence names several things: "A, B and C" (a conjunction after a comma:
/// "and", "or", "et", "ou") or four things or more separated by commas. Commas alone are
/// not enough: "clinics, each belonging to one of four networks (PBRN, called RRAPPL)…"
/// names no list.
fn enumerates(sentence: &str) -> bool {
    let Some(first_comma) = sentence.find(", ") else {
        return false;
    };
    let after = &sentence[first_comma..];
    [" and ", " or ", " et ", " ou "]
        .iter()
        .any(|c| after.contains(c))
        || sentence.matches(", ").count() >= 3
}

fn push_span(text: &str, spans: &mut Vec<(usize, usize)>, from: usize, to: usize) {
    let piece = &text[from..to];
    let lead = piece.len() - piece.trim_start().len();
    let trimmed = piece.trim();
    if trimmed.chars().any(char::is_alphanumeric) {
        spans.push((from + lead, from + lead + trimmed.len()));
    }
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::analysis::{analyzer, tokens};

    fn sample_hit(title: &str, score: f32) -> Hit {
        Hit {
            doc_id: "doc".into(),
            title: title.into(),
            section: Some("Section".into()),
            url: Some("https://example.org/page".into()),
            excerpt: Excerpt(vec![
                Segment {
                    text: "The ".into(),
                    highlighted: false,
                },
                Segment {
                    text: "Unit".into(),
                    highlighted: true,
                },
            ]),
            lang: Language::En,
            kind: Kind::Partner,
            score,
            coverage: 0.5,
        }
    }

    #[test]
    fn an_answer_keeps_its_json_shape() {
        let mut bare = sample_hit("Bare", 2.0);
        bare.url = None;
        let answer = Answer {
            answered: true,
            lang: Language::Fr,
            hits: vec![sample_hit("Oncopole", 1.234_567), bare],
            suggestions: vec![],
            confidence: 0.9,
        };
        assert_eq!(
            answer.to_json(),
            serde_json::json!({
                "answered": true,
                "lang": "fr",
                "hits": [
                    {"title": "Oncopole", "url": "https://example.org/page", "excerpt": "The Unit",
                     "lang": "en", "kind": "partner", "score": f64::from(1.235_f32)},
                    {"title": "Bare", "url": null, "excerpt": "The Unit",
                     "lang": "en", "kind": "partner", "score": 2.0},
                ],
                "suggestions": [],
            })
        );
    }

    fn excerpt(text: &str, words: &[&str]) -> Excerpt {
        let toks = tokens(&mut analyzer(Language::Fr), text);
        let hl = words.iter().map(|w| w.to_string()).collect();
        Excerpt::around(text, &toks, &hl)
    }

    #[test]
    fn marks_matched_words_whatever_their_accents() {
        let e = excerpt(
            "L'Oncopole a été créé par le FRQS au Québec.",
            &["oncopol", "quebec"],
        );
        assert_eq!(e.highlighted(), vec!["Oncopole", "Québec"]);
        assert_eq!(e.plain(), "L'Oncopole a été créé par le FRQS au Québec.");
        assert_eq!(
            e.marked("[", "]"),
            "L'[Oncopole] a été créé par le FRQS au [Québec]."
        );
    }

    #[test]
    fn cuts_long_text_around_the_match_at_word_boundaries() {
        let filler = "Les patients partenaires participent à la recherche. ".repeat(12);
        let text = format!("{filler}Le GRIIS relève de l'Université de Sherbrooke. {filler}");
        let e = excerpt(&text, &["griis"]);
        let plain = e.plain();
        assert!(
            plain.chars().count() <= EXCERPT_CHARS + 2,
            "{}",
            plain.len()
        );
        assert!(plain.contains("GRIIS"));
        assert!(plain.starts_with('…') && plain.ends_with('…'), "{plain}");
        let inner = plain.trim_matches('…');
        assert!(
            text.contains(inner),
            "the excerpt must be a slice of the text"
        );
        assert!(
            inner.starts_with(char::is_uppercase),
            "starts mid-word or mid-sentence: {inner}"
        );
    }

    #[test]
    fn the_best_sentence_brings_its_neighbours_while_they_fit() {
        // The question names the subject ("CIHR institutes"); the figure asked is in the
        // sentence after the one that matches, and an unrelated opening comes before.
        let text = "Les IRSC financent la recherche en santé au Canada depuis l'an 2000 et \
            soutiennent des chercheurs de toutes les provinces. Les IRSC regroupent des \
            instituts de recherche spécialisés, chacun consacré à un grand domaine de la santé. \
            Ils sont au nombre de treize. Un conseil d'administration les dirige.";
        let mut a = analyzer(Language::Fr);
        let toks = tokens(&mut a, text);
        let term = |w: &str| tokens(&mut analyzer(Language::Fr), w)[0].term.clone();
        let highlight: Highlight = [
            (term("IRSC"), vec![(0, 1.0)]),
            (term("instituts"), vec![(1, 2.0)]),
        ]
        .into_iter()
        .collect();
        let weighing = weighing(&highlight, Asked::default(), 0.0);
        let score = Excerpt::score(text, &toks, &weighing);
        let plain = Excerpt::best(text, &toks, &weighing).plain();
        assert!(score >= 3.0, "the sentence with both words is the best one");
        assert!(
            plain.contains("instituts de recherche spécialisés"),
            "{plain}"
        );
        assert!(plain.contains("treize"), "the follow-up is kept: {plain}");
        assert!(plain.chars().count() <= EXCERPT_CHARS + 4, "{plain}");
    }

    fn weighing(highlight: &Highlight, asked: Asked, form_bonus: f32) -> Weighing<'_> {
        Weighing {
            highlight,
            asked,
            form_bonus,
        }
    }

    fn highlight_fr(words: &[(&str, f32)]) -> Highlight {
        let term = |w: &str| tokens(&mut analyzer(Language::Fr), w)[0].term.clone();
        words
            .iter()
            .enumerate()
            .map(|(i, (w, weight))| (term(w), vec![(i, *weight)]))
            .collect()
    }

    #[test]
    fn a_list_after_the_best_sentence_is_shown_whole() {
        let text = "Le FRQ regroupe trois fonds sectoriels, chacun couvrant un grand domaine. \
            Leurs noms complets sont énumérés ci-dessous.\n\
            • FRQS : Fonds de recherche du Québec – Santé\n\
            • FRQSC : Fonds de recherche du Québec – Société et culture\n\
            • FRQNT : Fonds de recherche du Québec – Nature et technologies\n\
            Le FRQ relève du ministre de l'Économie.";
        let toks = tokens(&mut analyzer(Language::Fr), text);
        let highlight = highlight_fr(&[("fonds", 1.0), ("FRQ", 1.0)]);
        let asked = Asked::of("trois fonds FRQ");
        assert!(asked.list);
        let plain = Excerpt::best(text, &toks, &weighing(&highlight, asked, 1.0)).plain();
        assert!(plain.starts_with("Le FRQ regroupe"), "{plain}");
        assert!(plain.contains("Société et culture"), "{plain}");
        assert!(plain.contains("Nature et technologies"), "{plain}");
        assert!(
            !plain.contains("ministre"),
            "the list ends the excerpt: {plain}"
        );
    }

    #[test]
    fn a_matching_item_brings_its_lead_in_and_its_list() {
        let text = "Les réseaux de la SRAP sont énumérés ci-dessous.\n\
            • CHILD-BRIGHT\n\
            • Réseau sur la douleur chronique\n\
            • Diabète Action Canada";
        let toks = tokens(&mut analyzer(Language::Fr), text);
        let highlight = highlight_fr(&[("diabète", 2.0)]);
        let plain =
            Excerpt::best(text, &toks, &weighing(&highlight, Asked::default(), 0.0)).plain();
        assert!(plain.starts_with("Les réseaux de la SRAP"), "{plain}");
        assert!(
            plain.contains("CHILD-BRIGHT") && plain.contains("Diabète"),
            "{plain}"
        );
    }

    #[test]
    fn an_enumerating_sentence_wins_when_a_list_is_asked() {
        let text = "Le Nord compte dix unités de soutien au Canada, selon le réseau. \
            Les unités de l'Ouest sont celles de la Colombie-Britannique, de l'Alberta, \
            de la Saskatchewan et du Manitoba.";
        let toks = tokens(&mut analyzer(Language::Fr), text);
        let highlight = highlight_fr(&[("unités", 1.0), ("Canada", 1.0)]);
        let best = |asked: Asked, bonus: f32| {
            Excerpt::best(text, &toks, &weighing(&highlight, asked, bonus)).plain()
        };
        let listed = best(Asked::of("unités de soutien au Canada"), 1.0);
        assert!(listed.contains("Alberta"), "{listed}");
        assert!(enumerates("A, B, C, D"));
        assert!(enumerates("A, B et C"));
        assert!(!enumerates("A et B"));
        assert!(!enumerates(
            "It rests on member clinics, each belonging to one of four networks \
             (PBRN, called RRAPPL in French) that together cover all of Quebec."
        ));
    }
}
