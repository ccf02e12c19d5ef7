//! Term statistics kept across questions: how many passages hold each analysed term in each
//! searched field (text, names, typical questions), and each field's token total. They set
//! the concepts' weights, drop the query clauses that cannot match anything, and stand in
//! for tantivy's BM25 statistics, so weighing a query's hundred-odd clauses reads no term
//! dictionary (the index never changes under a `Knowledge`: a rebuild makes a new one).

use std::collections::HashMap;
use std::sync::Mutex;

use tantivy::query::Bm25StatisticsProvider;
use tantivy::schema::Field;
use tantivy::{Searcher, Term};

use super::index::Fields;
use super::query::Concept;

/// The searched fields of one language slot, in this order.
pub(super) const BODY: usize = 0;
pub(super) const NAMES: usize = 1;
pub(super) const QUESTIONS: usize = 2;

/// Terms whose counts are kept before the table is emptied.
const CACHED_TERMS: usize = 200_000;

/// Passages holding a term, per searched field ([`BODY`], [`NAMES`], [`QUESTIONS`]).
pub(super) type Counts = [u64; 3];

pub(super) struct Frequencies {
    /// The searched fields, by language slot then [`BODY`], [`NAMES`], [`QUESTIONS`].
    fields: [[Field; 3]; 2],
    /// Documents in the index, deleted ones included (as tantivy's BM25 counts them).
    max_docs: u64,
    /// Tokens indexed in each searched field, as `fields`.
    tokens: [[u64; 3]; 2],
    /// Counts of the terms met so far, by language slot and term.
    counts: Mutex<HashMap<(usize, String), Counts>>,
}

impl Frequencies {
    pub(super) fn new(searcher: &Searcher, fields: &Fields) -> tantivy::Result<Frequencies> {
        let fields = [0, 1].map(|slot| {
            [
                fields.body[slot],
                fields.names[slot],
                fields.questions[slot],
            ]
        });
        let mut tokens = [[0u64; 3]; 2];
        for (slot, row) in fields.iter().enumerate() {
            for (kind, field) in row.iter().enumerate() {
                tokens[slot][kind] = searcher.total_num_tokens(*field)?;
            }
        }
        Ok(Frequencies {
            fields,
            max_docs: searcher.total_num_docs()?,
            tokens,
            counts: Mutex::new(HashMap::new()),
        })
    }

    /// The counts of every analysed term of `concepts` (each alternative, both language
    /// slots), read from the index the first time a term is met.
    pub(super) fn of<'c>(
        &self,
        searcher: &Searcher,
        concepts: impl IntoIterator<Item = &'c Concept>,
    ) -> tantivy::Result<TermCounts<'c>> {
        let mut cache = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() > CACHED_TERMS {
            cache.clear();
        }
        let mut map = HashMap::new();
        for concept in concepts {
            for alt in &concept.alternatives {
                for (slot, terms) in alt.terms.iter().enumerate() {
                    for (_, term) in terms {
                        if map.contains_key(&(slot, term.as_str())) {
                            continue;
                        }
                        let counts = match cache.get(&(slot, term.clone())) {
                            Some(c) => *c,
                            None => {
                                let mut c = [0; 3];
                                for (kind, field) in self.fields[slot].iter().enumerate() {
                                    c[kind] =
                                        searcher.doc_freq(&Term::from_field_text(*field, term))?;
                                }
                                cache.insert((slot, term.clone()), c);
                                c
                            }
                        };
                        map.insert((slot, term.as_str()), counts);
                    }
                }
            }
        }
        Ok(TermCounts { map })
    }

    /// Where `field` sits: its language slot and kind.
    fn place(&self, field: Field) -> Option<(usize, usize)> {
        (0..2).find_map(|slot| {
            self.fields[slot]
                .iter()
                .position(|f| *f == field)
                .map(|kind| (slot, kind))
        })
    }
}

/// The counts of one question's terms.
pub(super) struct TermCounts<'c> {
    map: HashMap<(usize, &'c str), Counts>,
}

impl TermCounts<'_> {
    /// The counts of `term` in language `slot` (zero for a term of no concept asked).
    pub(super) fn get(&self, slot: usize, term: &str) -> Counts {
        self.map.get(&(slot, term)).copied().unwrap_or([0; 3])
    }
}

/// tantivy's BM25 statistics from [`Frequencies`] and one question's [`TermCounts`]; a
/// term or field they do not hold is read from the index.
pub(super) struct Statistics<'a> {
    pub(super) frequencies: &'a Frequencies,
    pub(super) counts: &'a TermCounts<'a>,
    pub(super) searcher: &'a Searcher,
}

impl Bm25StatisticsProvider for Statistics<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        match self.frequencies.place(field) {
            Some((slot, kind)) => Ok(self.frequencies.tokens[slot][kind]),
            None => self.searcher.total_num_tokens(field),
        }
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Ok(self.frequencies.max_docs)
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        if let Some((slot, kind)) = self.frequencies.place(term.field()) {
            let value = term.value();
            if let Some(counts) = value.as_str().and_then(|t| self.counts.map.get(&(slot, t))) {
                return Ok(counts[kind]);
            }
        }
        self.searcher.doc_freq(term)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The statistics from memory are the index's own, field by field.
    #[test]
    fn statistics_match_the_index() {
        let dir = tempfile::TempDir::new().unwrap();
        let k = crate::search::bundled_for_tests(dir.path());
        let searcher = k.inner.reader.searcher();
        let frequencies = Frequencies::new(&searcher, &k.inner.fields).unwrap();
        let concepts = crate::search::query::concepts(
            "Qui finance l'Unité de soutien SSA ? What is the CIHR?",
            &k.inner.vocabulary,
            &k.inner.speller,
            &mut k.inner.analyzers.clone(),
        );
        let counts = frequencies.of(&searcher, &concepts).unwrap();
        let stats = Statistics {
            frequencies: &frequencies,
            counts: &counts,
            searcher: &searcher,
        };
        let mut seen_in_names = false;
        for concept in &concepts {
            for alt in &concept.alternatives {
                for (slot, terms) in alt.terms.iter().enumerate() {
                    for (_, text) in terms {
                        for (kind, field) in frequencies.fields[slot].iter().enumerate() {
                            let term = Term::from_field_text(*field, text);
                            let expected = searcher.doc_freq(&term).unwrap();
                            assert_eq!(stats.doc_freq(&term).unwrap(), expected, "{text}");
                            assert_eq!(counts.get(slot, text)[kind], expected, "{text}");
                            seen_in_names |= kind == NAMES && expected > 0;
                        }
                    }
                }
            }
        }
        assert!(seen_in_names, "some term of the question names a page");
        for field in frequencies.fields.iter().flatten() {
            assert_eq!(
                stats.total_num_tokens(*field).unwrap(),
                searcher.total_num_tokens(*field).unwrap()
            );
        }
        assert_eq!(
            stats.total_num_docs().unwrap(),
            searcher.total_num_docs().unwrap()
        );
        // A term of no concept asked is read from the index.
        let other = Term::from_field_text(k.inner.fields.body[0], "oncopol");
        assert_eq!(
            stats.doc_freq(&other).unwrap(),
            searcher.doc_freq(&other).unwrap()
        );
    }
}
