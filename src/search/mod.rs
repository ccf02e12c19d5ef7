//! The search core: [`Knowledge`] answers a question with the best matching excerpts of
//! the knowledge base, or says honestly that it has no answer.
//!
//! A message is first reduced to what it asks ([`focus`]: the question sentences of an
//! email, without greeting, introduction or signature). Each question becomes concepts
//! ([`query`]), searched in the French and English fields of the index ([`index`]: text,
//! names, typical questions) with BM25; the best passages are re-ranked by how much of the
//! question they cover (words weighted by rarity), by the asker's language and by position.
//! Measured [`Signals`] of the best passage go to a fitted [`Decision`] that answers, offers
//! related pages, or says honestly that it does not know. Excerpts are the sentences of a
//! passage that best match the question ([`answer`]).

pub mod analysis;
pub mod answer;
mod asked;
pub mod decision;
pub mod focus;
mod frequency;
mod hits;
pub mod index;
mod phrases;
pub mod query;
mod scoring;
pub mod spelling;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{IndexReader, ReloadPolicy, Searcher, Term};

pub use answer::{Answer, AnswerJson, Excerpt, Hit, HitJson, Segment};
pub use decision::{Decision, Signals, Verdict};
pub use index::{IndexError, Manifest};

use crate::config::{Config, SearchConfig};
use crate::knowledge::Synonyms;
use crate::language::Language;
use crate::question::Question;
use hits::{Candidate, Matcher, Ranked};
use query::{lang_slot, Concept, Origin};
use scoring::{unknown_share, Weight};
use spelling::Speller;

/// How many passages BM25 hands to the re-ranking.
const CANDIDATES: usize = 20;
/// Weight of the title/aliases/section field against the body.
const NAMES_BOOST: f32 = 2.0;
/// Weight of the typical-questions field against the body.
const QUESTIONS_BOOST: f32 = 1.0;
/// Weight of a word of the context (self-introduction, background) against the question's.
const CONTEXT_BOOST: f32 = 0.25;
/// The most context words added to a query.
const CONTEXT_CONCEPTS: usize = 12;
/// The most passages of one document read to choose the first hit's excerpt.
const MAX_PASSAGES_READ: usize = 40;
/// Related pages offered when guichet is not sure enough to answer.
const MAX_SUGGESTIONS: usize = 2;
/// Weight of a synonym or a correction against the words typed.
const ALTERNATIVE_BOOST: f32 = 0.8;
/// A hit after the first must score at least this share of the first.
const RELATIVE_CUTOFF: f32 = 0.3;
/// Weight of a word absent from the base, as a share of the weight of the rarest word.
const UNKNOWN_WORD_WEIGHT: f32 = 0.5;
/// Weight of a word that only shapes the question ("tell", "nombre"), as a share of its
/// rarity weight.
const ASKING_WORD_WEIGHT: f32 = 0.3;
/// Recent answers kept in memory: people ask the same few questions again and again.
const CACHED_ANSWERS: usize = 4_096;
/// Decoded passages kept in memory (and documents' passage lists): the whole bundled base,
/// the most recently read ones of a large base.
const CACHED_PASSAGES: usize = 8_192;

/// The indexed knowledge base, ready to answer. Cheap to clone and share between tasks.
#[derive(Clone)]
pub struct Knowledge {
    inner: Arc<Inner>,
}

struct Inner {
    reader: IndexReader,
    fields: index::Fields,
    vocabulary: query::Vocabulary,
    speller: Speller,
    analyzers: [TextAnalyzer; 2],
    config: SearchConfig,
    decision: Decision,
    manifest: Manifest,
    rebuilt: bool,
    /// Answers by (question, reply language). The index never changes under a `Knowledge`
    /// (a rebuild makes a new one), so entries never go stale; the map is emptied when full.
    cache: Mutex<HashMap<(String, Language), Answer>>,
    /// Term statistics, for the concept weights, the query and its BM25 scores.
    frequencies: frequency::Frequencies,
    /// Where the multi-word alternatives of concepts occur, per field.
    phrases: phrases::PhraseCache,
    /// Passages read from the index, decoded, by address.
    passages: Mutex<HashMap<tantivy::DocAddress, Arc<Candidate>>>,
    /// Every passage of a document, by document id.
    documents: Mutex<HashMap<String, Arc<[Arc<Candidate>]>>>,
}

impl Knowledge {
    /// Opens the index of the configured knowledge base, building it first if the
    /// knowledge files changed since the last build.
    pub fn open(config: &Config) -> Result<Knowledge, IndexError> {
        Knowledge::open_with(config, false)
    }

    /// Rebuilds the index even if the knowledge files did not change.
    pub fn rebuild(config: &Config) -> Result<Knowledge, IndexError> {
        Knowledge::open_with(config, true)
    }

    fn open_with(config: &Config, force: bool) -> Result<Knowledge, IndexError> {
        let dir = &config.knowledge.dir;
        let opened = index::open_or_build(
            &config.index_dir(),
            dir,
            config.knowledge.skip_invalid,
            force,
        )?;
        let synonyms = match std::fs::read_to_string(dir.join(crate::knowledge::SYNONYMS_FILE)) {
            Ok(text) => Synonyms::parse(&dir.join(crate::knowledge::SYNONYMS_FILE), &text)
                .map_err(|e| crate::knowledge::LoadError::Invalid(vec![e]))?,
            Err(_) => Synonyms::default(),
        };
        let decision =
            Decision::load(dir).map_err(|e| crate::knowledge::LoadError::Invalid(vec![e]))?;
        Knowledge::from_opened(opened, synonyms, decision, config.search.clone())
    }

    /// Builds an index of `kb` in `dir` (used by benchmarks and tests on generated bases).
    pub fn build(
        dir: &std::path::Path,
        kb: &crate::knowledge::KnowledgeBase,
        config: SearchConfig,
    ) -> Result<Knowledge, IndexError> {
        let opened = index::build(dir, kb, "generated".into())?;
        Knowledge::from_opened(opened, kb.synonyms.clone(), Decision::bundled(), config)
    }

    fn from_opened(
        opened: index::Opened,
        synonyms: Synonyms,
        decision: Decision,
        config: SearchConfig,
    ) -> Result<Knowledge, IndexError> {
        let reader = opened
            .index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let mut analyzers = [
            analysis::analyzer(Language::Fr),
            analysis::analyzer(Language::En),
        ];
        let frequencies = frequency::Frequencies::new(&reader.searcher(), &opened.fields)?;
        Ok(Knowledge {
            inner: Arc::new(Inner {
                reader,
                fields: opened.fields,
                vocabulary: query::Vocabulary::new(synonyms, &mut analyzers),
                speller: Speller::new(opened.vocabulary),
                analyzers,
                config,
                decision,
                manifest: opened.manifest,
                rebuilt: opened.rebuilt,
                cache: Mutex::new(HashMap::new()),
                frequencies,
                phrases: phrases::PhraseCache::default(),
                passages: Mutex::new(HashMap::new()),
                documents: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// What the index holds (documents and passages per language, skipped files).
    pub fn manifest(&self) -> &Manifest {
        &self.inner.manifest
    }

    /// Whether opening had to rebuild the index.
    pub fn was_rebuilt(&self) -> bool {
        self.inner.rebuilt
    }

    /// The language a reply to `question` should be written in: the question's own if it
    /// tells, else the channel's hint, else the configured default.
    pub fn reply_language(&self, question: &str, hint: Option<Language>) -> Language {
        Language::detect(question)
            .or(hint)
            .or_else(|| self.vocabulary_language(question))
            .unwrap_or(self.inner.config.default_language)
    }

    /// The language whose passages use more of the question's words, for a question too
    /// short to tell ("targeted grant programs", "portail SSA"): a word found in the
    /// passages of one language only votes for it. `None` when the vote is tied.
    fn vocabulary_language(&self, question: &str) -> Option<Language> {
        let inner = &*self.inner;
        let searcher = inner.reader.searcher();
        let mut analyzers = inner.analyzers.clone();
        let mut votes = [0i32; 2];
        for word in analysis::fold_words(question) {
            if analysis::is_stop_word(&word) {
                continue;
            }
            let seen = [Language::Fr, Language::En].map(|lang| {
                let slot = lang_slot(lang);
                analysis::terms(&mut analyzers[slot], &word)
                    .first()
                    .map(|t| {
                        let term = Term::from_field_text(inner.fields.body[slot], t);
                        searcher.doc_freq(&term).unwrap_or(0) > 0
                    })
                    .unwrap_or(false)
            });
            match seen {
                [true, false] => votes[0] += 1,
                [false, true] => votes[1] += 1,
                _ => {}
            }
        }
        match votes[0].cmp(&votes[1]) {
            std::cmp::Ordering::Greater => Some(Language::Fr),
            std::cmp::Ordering::Less => Some(Language::En),
            std::cmp::Ordering::Equal => None,
        }
    }

    /// Answers `question` in the language it is written in (see [`Knowledge::reply_language`]).
    pub fn ask(&self, question: &Question, hint: Option<Language>) -> Answer {
        let lang = self.reply_language(question.as_str(), hint);
        self.ask_in(question, lang)
    }

    /// Answers `question` for a person who reads `lang`: passages in `lang` are preferred,
    /// but the other language is searched too.
    #[tracing::instrument(level = "debug", skip(self), fields(question = %question))]
    pub fn ask_in(&self, question: &Question, lang: Language) -> Answer {
        let key = (question.as_str().to_lowercase(), lang);
        // A poisoned lock only means a panic elsewhere; the map itself is still sound.
        if let Some(answer) = self
            .inner
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return answer.clone();
        }
        match self.search(question, lang) {
            Ok(answer) => {
                let mut cache = self.inner.cache.lock().unwrap_or_else(|p| p.into_inner());
                if cache.len() >= CACHED_ANSWERS {
                    cache.clear();
                }
                cache.insert(key, answer.clone());
                answer
            }
            Err(e) => {
                // An index read error must not take the conversation down: say we have no
                // answer (the fallback offers staff help) and log the cause.
                tracing::error!(error = %e, "search failed");
                Answer::fallback(lang)
            }
        }
    }

    /// Answers without the answer cache: what a new question costs (benchmarks use it).
    pub fn ask_uncached(&self, question: &Question, lang: Language) -> Answer {
        self.search(question, lang).unwrap_or_else(|e| {
            tracing::error!(error = %e, "search failed");
            Answer::fallback(lang)
        })
    }

    fn search(&self, question: &Question, lang: Language) -> tantivy::Result<Answer> {
        let parts = self.examine(question, lang)?;
        Ok(compose(
            parts,
            &self.inner.decision,
            lang,
            self.inner.config.max_hits,
        ))
    }

    /// The whole text of document `doc_id`, its passages in order (empty when unknown).
    pub fn document_text(&self, doc_id: &str) -> tantivy::Result<String> {
        let mut passages = self
            .passages_of(&self.inner.reader.searcher(), doc_id)?
            .to_vec();
        passages.sort_by_key(|p| p.ordinal);
        Ok(passages
            .iter()
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>()
            .join("\n"))
    }

    /// The decision this knowledge base answers with.
    pub fn decision(&self) -> &Decision {
        &self.inner.decision
    }

    /// The most hits an answer shows (`search.max_hits`).
    pub fn max_hits(&self) -> usize {
        self.inner.config.max_hits
    }

    /// Finds what `question` asks ([`focus`]) and, for each part, its best passages and
    /// the signals the decision weighs, without deciding. `guichet eval` fits and
    /// cross-validates the decision on these; [`compose`] turns them into an [`Answer`].
    pub fn examine(&self, question: &Question, lang: Language) -> tantivy::Result<Vec<Part>> {
        let focus = focus::extract(question.as_str());
        let inner = &*self.inner;
        let mut analyzers = inner.analyzers.clone();
        // The context's concepts are found once for all parts.
        let context = query::concepts(
            &focus.context,
            &inner.vocabulary,
            &inner.speller,
            &mut analyzers,
        );
        let mut parts = Vec::with_capacity(focus.questions.len() + 1);
        for text in &focus.questions {
            parts.push(self.retrieve(text, &context, lang, &mut analyzers)?);
        }
        if focus.questions.len() > 1 {
            // Several sentences may ask one thing together.
            parts.push(self.retrieve(&focus.joined(), &context, lang, &mut analyzers)?);
        }
        for text in &focus.with_lead {
            parts.push(self.retrieve(text, &context, lang, &mut analyzers)?);
        }
        Ok(parts)
    }

    /// Searches one question (with its context as a weak hint), ranks the passages and
    /// measures the signals of the best one.
    fn retrieve(
        &self,
        text: &str,
        context: &[Concept],
        lang: Language,
        analyzers: &mut [TextAnalyzer; 2],
    ) -> tantivy::Result<Part> {
        let inner = &*self.inner;
        let concepts = query::concepts(text, &inner.vocabulary, &inner.speller, analyzers);
        let empty = Part {
            text: text.to_string(),
            signals: Signals::default(),
            hits: Vec::new(),
        };
        if concepts.is_empty() {
            return Ok(empty);
        }
        let hints: Vec<&Concept> = context
            .iter()
            .filter(|h| concepts.iter().all(|c| c.surface != h.surface))
            .take(CONTEXT_CONCEPTS)
            .collect();
        let searcher = inner.reader.searcher();
        let counts = inner
            .frequencies
            .of(&searcher, concepts.iter().chain(hints.iter().copied()))?;
        let weights = self.concept_weights(&searcher, &concepts, &counts);
        let statistics = frequency::Statistics {
            frequencies: &inner.frequencies,
            counts: &counts,
            searcher: &searcher,
        };
        let query = self.build_query(&concepts, &hints, &counts, &searcher, &statistics)?;
        let top = searcher.search_with_statistics_provider(
            &query,
            &TopDocs::with_limit(CANDIDATES).order_by_score(),
            &statistics,
        )?;
        if top.is_empty() {
            return Ok(Part {
                signals: Signals {
                    unknown: unknown_share(&weights),
                    concepts: (1.0 + concepts.len() as f32).ln(),
                    ..Signals::default()
                },
                ..empty
            });
        }
        let mut ranked = Vec::with_capacity(top.len());
        let mut asked_in: HashMap<String, scoring::AskedIn> = HashMap::new();
        for (bm25, address) in top {
            let candidate = self.candidate(&searcher, address)?;
            let asked = asked_in
                .entry(candidate.doc_id.clone())
                .or_insert_with(|| scoring::AskedIn::of(&candidate, &concepts, &weights));
            ranked.push(scoring::rank(
                candidate, bm25, &concepts, &weights, asked, lang,
            ));
        }
        ranked.sort_by(|a, b| b.score.total_cmp(&a.score));
        let document = self.document_coverage(&searcher, &ranked[0], &concepts, &weights)?;
        let measured = scoring::part_signals(&ranked, &weights, concepts.len(), document);
        let asked = asked::Asked::of(text);
        let hits = self.select(
            ranked,
            lang,
            &Matcher {
                searcher: &searcher,
                concepts: &concepts,
                weights: &weights,
                asked,
            },
        )?;
        let no_figure = asked.number
            && hits
                .first()
                .is_some_and(|h| !asked::holds_figure(&h.excerpt.plain()));
        let signals = Signals {
            addressed: f32::from(u8::from(asked.addressed)),
            no_figure: f32::from(u8::from(no_figure)),
            ..measured
        };
        Ok(Part {
            text: text.to_string(),
            signals,
            hits,
        })
    }

    /// The share of the question's weight found anywhere in `best`'s document: in the text
    /// of any of its passages, or (already measured on `best`) its names and questions.
    fn document_coverage(
        &self,
        searcher: &Searcher,
        best: &Ranked,
        concepts: &[Concept],
        weights: &[Weight],
    ) -> tantivy::Result<f32> {
        let total: f32 = weights.iter().map(|w| w.weight).sum();
        if total <= 0.0 {
            return Ok(0.0);
        }
        let slot = lang_slot(best.candidate.lang);
        let passages = self.passages_of(searcher, &best.candidate.doc_id)?;
        let mut terms: HashSet<&str> = best
            .candidate
            .names
            .iter()
            .chain(best.candidate.questions.iter().flatten())
            .map(String::as_str)
            .collect();
        for p in passages.iter() {
            terms.extend(p.positions.keys().map(String::as_str));
        }
        let covered: f32 = concepts
            .iter()
            .zip(weights)
            .filter(|(c, _)| {
                c.alternatives.iter().any(|alt| {
                    let t = &alt.terms[slot];
                    !t.is_empty() && t.iter().all(|(_, term)| terms.contains(term.as_str()))
                })
            })
            .map(|(_, w)| w.weight)
            .sum();
        Ok(covered / total)
    }

    /// A concept's weight is its rarity: ln(1 + N / (1 + df)), where df counts the passages
    /// holding its most common alternative. A concept the base never mentions gets the
    /// highest weight, so an off-topic word pulls confidence down.
    fn concept_weights(
        &self,
        searcher: &Searcher,
        concepts: &[Concept],
        counts: &frequency::TermCounts,
    ) -> Vec<Weight> {
        let n = searcher.num_docs().max(1) as f32;
        let mut out = Vec::with_capacity(concepts.len());
        for concept in concepts {
            let mut df = 0u64;
            for alt in &concept.alternatives {
                for (slot, terms) in alt.terms.iter().enumerate() {
                    // A phrase is as rare as its rarest word, a word as common as in the
                    // field that holds it most.
                    let rarest = terms
                        .iter()
                        .map(|(_, term)| counts.get(slot, term).into_iter().max().unwrap_or(0))
                        .min();
                    df = df.max(rarest.unwrap_or(0));
                }
            }
            let weight = (1.0 + n / (1.0 + df as f32)).ln();
            // A word the base never uses still counts against confidence, but less than
            // the rarest word it does use: everyday words ("rôle", "keep") absent from the
            // Unit's pages should not sink an otherwise well-covered question.
            let asking = concept.alternatives[0].words.len() == 1
                && focus::is_asking_word(&concept.alternatives[0].words[0]);
            out.push(Weight {
                weight: if asking {
                    ASKING_WORD_WEIGHT * weight
                } else if df == 0 {
                    UNKNOWN_WORD_WEIGHT * weight
                } else {
                    weight
                },
                unknown: df == 0 && !asking,
                domain: df > 0
                    && concept
                        .alternatives
                        .iter()
                        .any(|a| a.origin == query::Origin::Synonym),
            });
        }
        out
    }

    /// One SHOULD clause per concept alternative, language and field where all its terms
    /// occur (a clause that cannot match would only cost time); context hints weigh
    /// [`CONTEXT_BOOST`] of a concept of the question itself.
    fn build_query(
        &self,
        concepts: &[Concept],
        hints: &[&Concept],
        counts: &frequency::TermCounts,
        searcher: &Searcher,
        statistics: &frequency::Statistics,
    ) -> tantivy::Result<BooleanQuery> {
        let f = &self.inner.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let weighted = concepts
            .iter()
            .map(|c| (c, 1.0))
            .chain(hints.iter().map(|c| (*c, CONTEXT_BOOST)));
        // A hint of the context counts only as typed (its synonyms made an email's
        // query several hundred clauses long, for no better answers).
        let alternatives =
            |c: &Concept, boost: f32| if boost < 1.0 { 1 } else { c.alternatives.len() };
        for (concept, concept_boost) in weighted {
            for alt in concept
                .alternatives
                .iter()
                .take(alternatives(concept, concept_boost))
            {
                let boost = concept_boost
                    * if alt.origin == Origin::Typed {
                        1.0
                    } else {
                        ALTERNATIVE_BOOST
                    };
                for slot in 0..2 {
                    let terms = &alt.terms[slot];
                    if terms.is_empty() {
                        continue;
                    }
                    for (kind, field, field_boost) in [
                        (frequency::BODY, f.body[slot], 1.0),
                        (frequency::NAMES, f.names[slot], NAMES_BOOST),
                        (frequency::QUESTIONS, f.questions[slot], QUESTIONS_BOOST),
                    ] {
                        if terms.iter().any(|(_, t)| counts.get(slot, t)[kind] == 0) {
                            continue;
                        }
                        let q: Box<dyn Query> = if terms.len() == 1 {
                            Box::new(TermQuery::new(
                                Term::from_field_text(field, &terms[0].1),
                                IndexRecordOption::WithFreqs,
                            ))
                        } else {
                            Box::new(
                                self.inner
                                    .phrases
                                    .query(searcher, statistics, field, terms)?,
                            )
                        };
                        clauses.push((
                            Occur::Should,
                            Box::new(BoostQuery::new(q, boost * field_boost)),
                        ));
                    }
                }
            }
        }
        Ok(BooleanQuery::new(clauses))
    }
}

/// The bundled knowledge base indexed in `dir`, for the search module's tests.
#[cfg(test)]
pub(crate) fn bundled_for_tests(dir: &std::path::Path) -> Knowledge {
    let kb = crate::knowledge::KnowledgeBase::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"),
        false,
    )
    .expect("the bundled knowledge base loads");
    Knowledge::build(dir, &kb, SearchConfig::default()).expect("it indexes")
}

/// One part of a question (a sentence that asks, or the sentences together), with its
/// best passages (not yet decided on) and the signals the decision weighs.
#[derive(Debug, Clone)]
pub struct Part {
    pub text: String,
    pub signals: Signals,
    /// Best first, at most `search.max_hits`.
    pub hits: Vec<Hit>,
}

/// Turns examined parts into an answer: the parts the decision answers give their hits
/// (most confident part first, one document once); with none, the most probable part's
/// first pages become suggestions when it reaches the suggestion point.
pub fn compose(parts: Vec<Part>, decision: &Decision, lang: Language, max_hits: usize) -> Answer {
    let mut scored: Vec<(f64, Part)> = parts
        .into_iter()
        .filter(|p| !p.hits.is_empty())
        .map(|p| (decision.probability(&p.signals), p))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let confidence = scored.first().map(|(p, _)| *p).unwrap_or(0.0);
    let answered: Vec<&Part> = scored
        .iter()
        .filter(|(p, _)| decision.verdict(*p) == Verdict::Answer)
        .map(|(_, part)| part)
        .collect();
    if answered.is_empty() {
        let suggestions = match scored.first() {
            Some((p, part)) if decision.verdict(*p) == Verdict::Suggest => {
                part.hits.iter().take(MAX_SUGGESTIONS).cloned().collect()
            }
            _ => Vec::new(),
        };
        return Answer {
            suggestions,
            confidence: confidence as f32,
            ..Answer::fallback(lang)
        };
    }
    // Interleave: each answered part's first hit, then their second hits, and so on.
    let mut hits: Vec<Hit> = Vec::new();
    let mut used: HashSet<&str> = HashSet::new();
    let depth = answered.iter().map(|p| p.hits.len()).max().unwrap_or(0);
    for rank in 0..depth {
        for part in &answered {
            if let Some(hit) = part.hits.get(rank) {
                if hits.len() < max_hits && used.insert(hit.doc_id.as_str()) {
                    hits.push(hit.clone());
                }
            }
        }
    }
    Answer {
        answered: true,
        lang,
        hits,
        suggestions: Vec::new(),
        confidence: confidence as f32,
    }
}
