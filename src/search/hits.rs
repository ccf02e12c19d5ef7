//! Candidate passages: read from the index, with the question's concepts found in them
//! (the highlight an excerpt marks and weighs), and the choice of the hits to show, one per
//! document.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tantivy::collector::TopDocs;
use tantivy::query::TermQuery;
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{DocAddress, Searcher, TantivyDocument, Term};

use super::analysis::fold_phrase;
use super::answer::{Excerpt, Highlight, Hit, Weighing};
use super::asked::{self, Asked};
use super::query::{lang_slot, Concept};
use super::{
    analysis, index, Knowledge, Signals, Weight, CACHED_PASSAGES, MAX_PASSAGES_READ,
    RELATIVE_CUTOFF,
};
use crate::knowledge::Kind;
use crate::language::Language;

impl Knowledge {
    /// Picks the hits to show from ranked passages: one per document (a passage in the
    /// other language gives way to its translation's best passage when that one also
    /// matches), each at least [`RELATIVE_CUTOFF`] of the best score.
    pub(super) fn select(
        &self,
        ranked: Vec<Ranked>,
        lang: Language,
        m: &Matcher<'_>,
    ) -> tantivy::Result<Vec<Hit>> {
        let best_score = ranked.first().map(|r| r.score).unwrap_or(0.0);
        let mut best_of_doc: HashMap<&str, usize> = HashMap::new();
        for (i, r) in ranked.iter().enumerate() {
            if r.signals.coverage > 0.0 {
                best_of_doc.entry(r.candidate.doc_id.as_str()).or_insert(i);
            }
        }
        let mut order: Vec<usize> = Vec::with_capacity(ranked.len());
        for (i, r) in ranked.iter().enumerate() {
            if r.score < RELATIVE_CUTOFF * best_score {
                continue;
            }
            let twin = r
                .candidate
                .translation
                .as_deref()
                .filter(|_| r.candidate.lang != lang)
                .and_then(|t| best_of_doc.get(t).copied());
            order.push(twin.unwrap_or(i));
        }
        let mut used: HashSet<&str> = HashSet::new();
        let mut hits = Vec::new();
        for i in order {
            if hits.len() == self.inner.config.max_hits {
                break;
            }
            let c = &ranked[i].candidate;
            if !used.insert(c.doc_id.as_str()) {
                continue;
            }
            if let Some(t) = &c.translation {
                used.insert(t.as_str());
            }
            // The excerpt comes from the passage of this document whose best sentence
            // answers best (the fact asked may sit in another section than the one that
            // matched the most words); the best-ranked passage wins ties.
            let mut options: Vec<(Arc<Candidate>, Cow<'_, Highlight>)> = ranked
                .iter()
                .filter(|r| r.candidate.doc_id == c.doc_id)
                .map(|r| (r.candidate.clone(), Cow::Borrowed(&r.highlight)))
                .collect();
            if hits.is_empty() && m.asked.number {
                // A figure is asked: it may sit in a passage that matched too little to
                // be a candidate.
                for p in self.passages_of(m.searcher, &c.doc_id)?.iter() {
                    let highlight =
                        highlight_of(m.concepts, m.weights, &p.positions, lang_slot(p.lang));
                    options.push((p.clone(), Cow::Owned(highlight)));
                }
            }
            let mut factors: HashMap<&str, f32> = HashMap::new();
            let mut chosen = (f32::NEG_INFINITY, 0);
            for (k, (p, highlight)) in options.iter().enumerate() {
                let weighing = Weighing {
                    highlight,
                    asked: m.asked,
                    form_bonus: m.form_bonus(),
                };
                let factor = *factors
                    .entry(p.section.as_str())
                    .or_insert_with(|| m.heading_factor(&p.section));
                let score = Excerpt::score(&p.text, &p.body, &weighing) * factor;
                if score > chosen.0 {
                    chosen = (score, k);
                }
            }
            let (p, highlight) = &options[chosen.1];
            let excerpt = Excerpt::best(
                &p.text,
                &p.body,
                &Weighing {
                    highlight,
                    asked: m.asked,
                    form_bonus: m.form_bonus(),
                },
            );
            let section = p.section.clone();
            let r = &ranked[i];
            hits.push(Hit {
                doc_id: c.doc_id.clone(),
                title: c.title.clone(),
                section: (!section.is_empty()).then_some(section),
                url: c.url.clone(),
                excerpt,
                lang: c.lang,
                kind: c.kind,
                score: r.score,
                coverage: r.signals.coverage,
            });
        }
        Ok(hits)
    }

    /// Every passage of document `doc_id`, in the index's order.
    pub(super) fn passages_of(
        &self,
        searcher: &Searcher,
        doc_id: &str,
    ) -> tantivy::Result<Arc<[Arc<Candidate>]>> {
        let cached = lock(&self.inner.documents).get(doc_id).cloned();
        if let Some(passages) = cached {
            return Ok(passages);
        }
        let f = &self.inner.fields;
        let query = TermQuery::new(
            Term::from_field_text(f.doc_id, doc_id),
            IndexRecordOption::Basic,
        );
        let found = searcher.search(
            &query,
            &TopDocs::with_limit(MAX_PASSAGES_READ).order_by_score(),
        )?;
        let mut out = Vec::with_capacity(found.len());
        for (_, address) in found {
            out.push(self.candidate(searcher, address)?);
        }
        let out: Arc<[Arc<Candidate>]> = out.into();
        let mut documents = lock(&self.inner.documents);
        if documents.len() >= CACHED_PASSAGES {
            documents.clear();
        }
        documents.insert(doc_id.to_string(), out.clone());
        Ok(out)
    }

    /// The passage at `address`, read and decoded once: the index never changes under a
    /// `Knowledge` (a rebuild makes a new one), so a passage is kept for later questions
    /// (the map is emptied when full).
    pub(super) fn candidate(
        &self,
        searcher: &Searcher,
        address: DocAddress,
    ) -> tantivy::Result<Arc<Candidate>> {
        let cached = lock(&self.inner.passages).get(&address).cloned();
        if let Some(candidate) = cached {
            return Ok(candidate);
        }
        let candidate = Arc::new(Candidate::read(&searcher.doc(address)?, &self.inner.fields));
        let mut passages = lock(&self.inner.passages);
        if passages.len() >= CACHED_PASSAGES {
            passages.clear();
        }
        passages.insert(address, candidate.clone());
        Ok(candidate)
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The positions of each term of a passage, hashed fast: every question looks up each of
/// its terms in each of its ~20 candidates.
pub(super) type Positions = rustc_hash::FxHashMap<String, Vec<usize>>;

pub(super) struct Candidate {
    pub(super) doc_id: String,
    pub(super) lang: Language,
    pub(super) kind: Kind,
    pub(super) title: String,
    pub(super) url: Option<String>,
    pub(super) section: String,
    pub(super) text: String,
    pub(super) ordinal: u64,
    pub(super) translation: Option<String>,
    /// The analysed passage text, read from the index.
    pub(super) body: Vec<analysis::Token>,
    /// The positions of each term of `body`.
    pub(super) positions: Positions,
    /// Analysed terms of the title, aliases and section.
    pub(super) names: Vec<String>,
    /// Analysed terms of each of the document's typical questions.
    pub(super) questions: Vec<Vec<String>>,
}

impl Candidate {
    pub(super) fn read(doc: &TantivyDocument, f: &index::Fields) -> Candidate {
        let text = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let optional = |field| Some(text(field)).filter(|s: &String| !s.is_empty());
        let words = |line: &str| -> Vec<String> {
            line.split(' ')
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect()
        };
        let body = analysis::decode_tokens(&text(f.body_terms));
        let mut positions = Positions::default();
        for t in &body {
            positions
                .entry(t.term.clone())
                .or_default()
                .push(t.position);
        }
        Candidate {
            doc_id: text(f.doc_id),
            lang: text(f.lang).parse().unwrap_or(Language::En),
            kind: Kind::parse(&text(f.kind)).unwrap_or(Kind::Page),
            title: text(f.title),
            url: optional(f.url),
            section: text(f.section),
            text: text(f.text),
            ordinal: doc
                .get_first(f.ordinal)
                .and_then(|v| v.as_u64())
                .unwrap_or(0),
            translation: optional(f.translation),
            body,
            positions,
            names: words(&text(f.names_terms)),
            questions: text(f.question_terms).lines().map(words).collect(),
        }
    }
}

/// What the hit selection needs of the question to weigh a passage's sentences.
pub(super) struct Matcher<'a> {
    pub(super) searcher: &'a Searcher,
    pub(super) concepts: &'a [Concept],
    pub(super) weights: &'a [Weight],
    pub(super) asked: Asked,
}

/// How much more a passage weighs when its section heading asks the same kind of
/// question as the asker ("Who can make a request?" for "Who may submit a request?").
const SAME_KIND_HEADING_FACTOR: f32 = 1.3;

impl Matcher<'_> {
    /// What a sentence of the form asked (a figure, a list) gains: half the question's
    /// weight, so it beats a better-matching sentence without that form unless it matches
    /// less than half of the question more.
    fn form_bonus(&self) -> f32 {
        0.5 * self.weights.iter().map(|w| w.weight).sum::<f32>()
    }

    /// [`SAME_KIND_HEADING_FACTOR`] when `section` asks the kind of question asked, else 1.
    fn heading_factor(&self, section: &str) -> f32 {
        match self.asked.kind {
            Some(kind) if asked::kind_of(&fold_phrase(section)) == Some(kind) => {
                SAME_KIND_HEADING_FACTOR
            }
            _ => 1.0,
        }
    }
}

pub(super) struct Ranked {
    pub(super) candidate: Arc<Candidate>,
    /// The matched terms with the concepts (index, weight) they stand for, for the excerpt.
    pub(super) highlight: Highlight,
    /// The passage's own signals (coverage, names, questions, strength, uncovered).
    pub(super) signals: Signals,
    pub(super) score: f32,
}

/// The terms of `body` that match a concept (an alternative found as a phrase), each with
/// the concepts (index, weight) it stands for: what an excerpt marks and weighs.
pub(super) fn highlight_of(
    concepts: &[Concept],
    weights: &[Weight],
    positions: &Positions,
    slot: usize,
) -> Highlight {
    let mut highlight = Highlight::new();
    for (index, (concept, w)) in concepts.iter().zip(weights).enumerate() {
        for alt in &concept.alternatives {
            let terms = &alt.terms[slot];
            if !terms.is_empty() && contains_phrase(positions, terms) {
                for (_, t) in terms {
                    highlight
                        .entry(t.clone())
                        .or_default()
                        .push((index, w.weight));
                }
            }
        }
    }
    highlight
}

/// Whether the body (its `positions` by term) holds `terms` at the same relative positions
/// (a phrase, gaps kept).
fn contains_phrase(positions: &Positions, terms: &[(usize, String)]) -> bool {
    let Some((first_pos, first)) = terms.first() else {
        return false;
    };
    let Some(starts) = positions.get(first.as_str()) else {
        return false;
    };
    starts.iter().any(|&start| {
        terms.iter().all(|(p, term)| {
            let pos = start + p - first_pos;
            positions
                .get(term.as_str())
                .is_some_and(|ps| ps.contains(&pos))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::question::Question;
    use crate::search::bundled_for_tests as bundled;

    #[test]
    fn decoded_passages_are_kept_and_reused_by_later_questions() {
        let dir = tempfile::TempDir::new().unwrap();
        let k = bundled(dir.path());
        let q = Question::parse("Who can submit a request to the Unit?").unwrap();
        let first = k.ask_uncached(&q, Language::En);
        let kept = lock(&k.inner.passages).len();
        assert!(kept > 0, "the first question's candidates were kept");
        // A kept passage is the one a later read returns, not a new decoding.
        let searcher = k.inner.reader.searcher();
        let (address, kept_one) = {
            let passages = lock(&k.inner.passages);
            let (a, c) = passages.iter().next().unwrap();
            (*a, c.clone())
        };
        assert!(Arc::ptr_eq(
            &k.candidate(&searcher, address).unwrap(),
            &kept_one
        ));
        // The same question again reads nothing new and answers the same.
        assert_eq!(k.ask_uncached(&q, Language::En).to_json(), first.to_json());
        assert_eq!(lock(&k.inner.passages).len(), kept);
        let doc = &first.hits[0].doc_id;
        let listed = k.passages_of(&searcher, doc).unwrap();
        assert!(Arc::ptr_eq(
            &listed,
            &k.passages_of(&searcher, doc).unwrap()
        ));
    }

    #[test]
    fn a_full_passage_cache_is_emptied_before_it_grows_past_its_bound() {
        let dir = tempfile::TempDir::new().unwrap();
        let k = bundled(dir.path());
        let searcher = k.inner.reader.searcher();
        // Fill the cache to its bound with copies of one real passage under made-up
        // addresses, then read a real one: the cache starts again instead of growing.
        let some = k
            .ask_uncached(&Question::parse("What is CIHR?").unwrap(), Language::En)
            .hits
            .len();
        assert!(some > 0);
        let real = *lock(&k.inner.passages).keys().next().unwrap();
        let copy = lock(&k.inner.passages)[&real].clone();
        {
            let mut passages = lock(&k.inner.passages);
            passages.clear();
            for i in 0..CACHED_PASSAGES as u32 {
                passages.insert(DocAddress::new(1_000, i), copy.clone());
            }
        }
        k.candidate(&searcher, real).unwrap();
        let passages = lock(&k.inner.passages);
        assert_eq!(passages.len(), 1, "emptied, then the passage read was kept");
        assert!(passages.contains_key(&real));
    }
}
