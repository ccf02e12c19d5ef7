//! Phrase matches kept across questions: for a multi-word alternative of a concept (a
//! synonym such as "recherche axée sur le patient", analysed) in one field, the passages
//! that hold it and its BM25 score there, found once and then served from memory as a
//! query clause. Opening a phrase's postings and positions again for every question was
//! an eighth of a unique question's time, and the same few synonyms come back in most
//! questions; the index never changes under a `Knowledge` (a rebuild makes a new one).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tantivy::index::SegmentId;
use tantivy::query::{
    Bm25StatisticsProvider, EnableScoring, Explanation, PhraseQuery, Query, Scorer, Weight,
};
use tantivy::schema::Field;
use tantivy::{DocId, DocSet, Score, Searcher, SegmentReader, Term, TERMINATED};

/// Phrases kept before the table is emptied.
const CACHED_PHRASES: usize = 20_000;
/// Passages listed over all kept phrases before the table is emptied (a common phrase of a
/// large base holds many): 4 million take 32 MB.
const CACHED_MATCHES: usize = 4_000_000;

/// A phrase in one field: its analysed terms with their positions.
type Key = (Field, Vec<(usize, String)>);

#[derive(Default)]
pub(super) struct PhraseCache {
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    phrases: HashMap<Key, Arc<Matches>>,
    /// Passages listed over all of `phrases`.
    matches: usize,
}

/// The passages of one segment holding a phrase, in order, with its score at boost 1.
type Docs = Arc<[(DocId, Score)]>;

/// Where a phrase occurs, per segment.
#[derive(Debug)]
struct Matches {
    segments: Vec<(SegmentId, Docs)>,
}

impl PhraseCache {
    /// The clause for `terms` as a phrase in `field`, scored with `statistics` (the same
    /// BM25 statistics for every question, so the scores found once stay true).
    pub(super) fn query(
        &self,
        searcher: &Searcher,
        statistics: &dyn Bm25StatisticsProvider,
        field: Field,
        terms: &[(usize, String)],
    ) -> tantivy::Result<CachedPhrase> {
        let key = (field, terms.to_vec());
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(matches) = kept.phrases.get(&key) {
            return Ok(CachedPhrase {
                matches: matches.clone(),
            });
        }
        let query = PhraseQuery::new_with_offset(
            terms
                .iter()
                .map(|(p, t)| (*p, Term::from_field_text(field, t)))
                .collect(),
        );
        let weight = query.weight(EnableScoring::enabled_from_statistics_provider(
            statistics, searcher,
        ))?;
        let mut segments = Vec::with_capacity(searcher.segment_readers().len());
        let mut found = 0;
        for reader in searcher.segment_readers() {
            let mut scorer = weight.scorer(reader, 1.0)?;
            let mut docs = Vec::new();
            let mut doc = scorer.doc();
            while doc != TERMINATED {
                docs.push((doc, scorer.score()));
                doc = scorer.advance();
            }
            found += docs.len();
            segments.push((reader.segment_id(), docs.into()));
        }
        let matches = Arc::new(Matches { segments });
        if kept.phrases.len() >= CACHED_PHRASES || kept.matches + found > CACHED_MATCHES {
            kept.phrases.clear();
            kept.matches = 0;
        }
        kept.matches += found;
        kept.phrases.insert(key, matches.clone());
        Ok(CachedPhrase { matches })
    }
}

/// A phrase clause answered from [`PhraseCache`].
#[derive(Debug, Clone)]
pub(super) struct CachedPhrase {
    matches: Arc<Matches>,
}

impl CachedPhrase {
    fn docs(&self, reader: &SegmentReader) -> Docs {
        let id = reader.segment_id();
        self.matches
            .segments
            .iter()
            .find(|(s, _)| *s == id)
            .map(|(_, docs)| docs.clone())
            .unwrap_or_else(|| Arc::from(Vec::new()))
    }
}

impl Query for CachedPhrase {
    fn weight(&self, _scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl Weight for CachedPhrase {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(PhraseMatches {
            docs: self.docs(reader),
            at: 0,
            boost,
        }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let docs = self.docs(reader);
        match docs.iter().find(|(d, _)| *d == doc) {
            Some((_, score)) => Ok(Explanation::new("phrase (kept)", *score)),
            None => Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not hold the phrase"
            ))),
        }
    }
}

/// The passages of one segment holding a phrase, in order.
struct PhraseMatches {
    docs: Docs,
    at: usize,
    boost: Score,
}

impl DocSet for PhraseMatches {
    fn advance(&mut self) -> DocId {
        if self.at < self.docs.len() {
            self.at += 1;
        }
        self.doc()
    }

    fn doc(&self) -> DocId {
        self.docs.get(self.at).map_or(TERMINATED, |(d, _)| *d)
    }

    fn size_hint(&self) -> u32 {
        self.docs.len() as u32
    }
}

impl Scorer for PhraseMatches {
    fn score(&mut self) -> Score {
        self.docs.get(self.at).map_or(0.0, |(_, s)| *s * self.boost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::TopDocs;
    use tantivy::query::BoostQuery;

    /// A kept phrase finds the passages tantivy's phrase query finds, with the same scores
    /// (boost included), and is read from the index once.
    #[test]
    fn kept_phrases_score_as_tantivy_does() {
        let dir = tempfile::TempDir::new().unwrap();
        let k = crate::search::bundled_for_tests(dir.path());
        let searcher = k.inner.reader.searcher();
        let field = k.inner.fields.body[0];
        let cache = PhraseCache::default();
        for phrase in ["recherche axée sur le patient", "unité de soutien"] {
            let terms: Vec<(usize, String)> =
                crate::search::analysis::tokens(&mut k.inner.analyzers.clone()[0], phrase)
                    .into_iter()
                    .map(|t| (t.position, t.term))
                    .collect();
            assert!(terms.len() > 1, "{phrase} is a phrase");
            let kept = cache.query(&searcher, &searcher, field, &terms).unwrap();
            let plain = PhraseQuery::new_with_offset(
                terms
                    .iter()
                    .map(|(p, t)| (*p, Term::from_field_text(field, t)))
                    .collect(),
            );
            let top = TopDocs::with_limit(1_000).order_by_score();
            let mut got = searcher
                .search(&BoostQuery::new(Box::new(kept.clone()), 2.0), &top)
                .unwrap();
            let mut want = searcher
                .search(&BoostQuery::new(Box::new(plain), 2.0), &top)
                .unwrap();
            // Equal scores may come in any order.
            got.sort_by_key(|(_, a)| *a);
            want.sort_by_key(|(_, a)| *a);
            assert!(!want.is_empty(), "the base says {phrase}");
            assert_eq!(got.len(), want.len(), "{phrase}");
            for ((g, ga), (w, wa)) in got.iter().zip(&want) {
                assert_eq!(ga, wa, "{phrase}");
                assert!((g - w).abs() <= 1e-5 * w.abs(), "{phrase}: {g} against {w}");
            }
            let again = cache.query(&searcher, &searcher, field, &terms).unwrap();
            assert!(Arc::ptr_eq(&kept.matches, &again.matches), "read once");
        }
    }
}
