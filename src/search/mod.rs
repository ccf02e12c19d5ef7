//! The search core: [`Knowledge`] answers a question with the best matching excerpts of
//! the knowledge base, or says honestly that it has no answer.
//!
//! A question becomes concepts ([`query`]), searched in the French and English fields of
//! the index ([`index`]) with BM25; the best passages are then re-ranked by how much of
//! the question they cover (words weighted by rarity), by the asker's language and by
//! position. The confidence rule: answer only when the best passage covers at least
//! `search.min_confidence` of the question.

pub mod analysis;
pub mod answer;
pub mod index;
pub mod query;
pub mod spelling;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{IndexReader, ReloadPolicy, Searcher, TantivyDocument, Term};

pub use answer::{Answer, Excerpt, Hit, Segment};
pub use index::{IndexError, Manifest};

use crate::config::{Config, SearchConfig};
use crate::knowledge::{Kind, Synonyms};
use crate::language::Language;
use crate::question::Question;
use query::{lang_slot, Concept, Origin};
use spelling::Speller;

/// How many passages BM25 hands to the re-ranking.
const CANDIDATES: usize = 20;
/// Weight of the title/aliases/section field against the body.
const NAMES_BOOST: f32 = 2.0;
/// Weight of a synonym or a correction against the words typed.
const ALTERNATIVE_BOOST: f32 = 0.8;
/// Score factor for a passage in the other language than the asker's.
const OTHER_LANGUAGE_FACTOR: f32 = 0.6;
/// A hit after the first must score at least this share of the first.
const RELATIVE_CUTOFF: f32 = 0.3;
/// Weight of a word absent from the base, as a share of the weight of the rarest word.
const UNKNOWN_WORD_WEIGHT: f32 = 0.5;
/// Recent answers kept in memory: people ask the same few questions again and again.
const CACHED_ANSWERS: usize = 4_096;

/// The indexed knowledge base, ready to answer. Cheap to clone and share between tasks.
#[derive(Clone)]
pub struct Knowledge {
    inner: Arc<Inner>,
}

struct Inner {
    reader: IndexReader,
    fields: index::Fields,
    synonyms: Synonyms,
    speller: Speller,
    analyzers: [TextAnalyzer; 2],
    config: SearchConfig,
    manifest: Manifest,
    rebuilt: bool,
    /// Answers by (question, reply language). The index never changes under a `Knowledge`
    /// (a rebuild makes a new one), so entries never go stale; the map is emptied when full.
    cache: Mutex<HashMap<(String, Language), Answer>>,
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
        Knowledge::from_opened(opened, synonyms, config.search.clone())
    }

    /// Builds an index of `kb` in `dir` (used by benchmarks and tests on generated bases).
    pub fn build(
        dir: &std::path::Path,
        kb: &crate::knowledge::KnowledgeBase,
        config: SearchConfig,
    ) -> Result<Knowledge, IndexError> {
        let opened = index::build(dir, kb, "generated".into())?;
        Knowledge::from_opened(opened, kb.synonyms.clone(), config)
    }

    fn from_opened(
        opened: index::Opened,
        synonyms: Synonyms,
        config: SearchConfig,
    ) -> Result<Knowledge, IndexError> {
        let reader = opened
            .index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Knowledge {
            inner: Arc::new(Inner {
                reader,
                fields: opened.fields,
                synonyms,
                speller: Speller::new(opened.vocabulary),
                analyzers: [
                    analysis::analyzer(Language::Fr),
                    analysis::analyzer(Language::En),
                ],
                config,
                manifest: opened.manifest,
                rebuilt: opened.rebuilt,
                cache: Mutex::new(HashMap::new()),
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
            .unwrap_or(self.inner.config.default_language)
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
        let inner = &*self.inner;
        let mut analyzers = inner.analyzers.clone();
        let concepts = query::concepts(
            question.as_str(),
            &inner.synonyms,
            &inner.speller,
            &mut analyzers,
        );
        if concepts.is_empty() {
            return Ok(Answer::fallback(lang));
        }
        let searcher = inner.reader.searcher();
        let weights = self.concept_weights(&searcher, &concepts)?;
        let query = self.build_query(&concepts);
        let top = searcher.search(&query, &TopDocs::with_limit(CANDIDATES).order_by_score())?;

        let total_weight: f32 = weights.iter().sum();
        let mut ranked = Vec::with_capacity(top.len());
        for (bm25, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let candidate = Candidate::read(&doc, &inner.fields);
            let slot = lang_slot(candidate.lang);
            let mut analyzer = analyzers[slot].clone();
            let body = analysis::tokens(&mut analyzer, &candidate.text);
            let names = analysis::terms(
                &mut analyzer,
                &format!("{} {}", candidate.title, candidate.section),
            );
            let names: HashSet<&str> = names.iter().map(String::as_str).collect();
            let mut covered = 0.0;
            let mut highlight: HashSet<String> = HashSet::new();
            for (concept, weight) in concepts.iter().zip(&weights) {
                let mut matched = false;
                for alt in &concept.alternatives {
                    let terms = &alt.terms[slot];
                    if terms.is_empty() {
                        continue;
                    }
                    let in_body = contains_phrase(&body, terms);
                    let in_names = terms.iter().all(|(_, t)| names.contains(t.as_str()));
                    if in_body || in_names {
                        matched = true;
                        if in_body {
                            highlight.extend(terms.iter().map(|(_, t)| t.clone()));
                        }
                    }
                }
                if matched {
                    covered += weight;
                }
            }
            let coverage = if total_weight > 0.0 {
                covered / total_weight
            } else {
                0.0
            };
            let mut score = bm25 * (0.2 + coverage);
            if candidate.lang != lang {
                score *= OTHER_LANGUAGE_FACTOR;
            }
            if candidate.ordinal == 0 {
                score *= 1.1;
            }
            ranked.push(Ranked {
                candidate,
                body,
                highlight,
                coverage,
                score,
            });
        }
        ranked.sort_by(|a, b| b.score.total_cmp(&a.score));

        let min = inner.config.min_confidence;
        let best_score = ranked
            .iter()
            .find(|r| r.coverage >= min)
            .map(|r| r.score)
            .unwrap_or(0.0);
        // A passage in the other language gives way to the best passage of its
        // translation, when that one also answers.
        let mut best_of_doc: HashMap<&str, usize> = HashMap::new();
        for (i, r) in ranked.iter().enumerate() {
            if r.coverage >= min {
                best_of_doc.entry(r.candidate.doc_id.as_str()).or_insert(i);
            }
        }
        let mut order: Vec<usize> = Vec::with_capacity(ranked.len());
        for (i, r) in ranked.iter().enumerate() {
            if r.coverage < min || r.score < RELATIVE_CUTOFF * best_score {
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
        let mut used: HashSet<String> = HashSet::new();
        let mut hits = Vec::new();
        let mut ranked: Vec<Option<Ranked>> = ranked.into_iter().map(Some).collect();
        for i in order {
            if hits.len() == inner.config.max_hits {
                break;
            }
            let Some(r) = ranked[i].take() else { continue };
            let c = r.candidate;
            if used.contains(&c.doc_id) {
                continue;
            }
            used.insert(c.doc_id.clone());
            if let Some(t) = &c.translation {
                used.insert(t.clone());
            }
            let excerpt = Excerpt::around(&c.text, &r.body, &r.highlight);
            hits.push(Hit {
                doc_id: c.doc_id,
                title: c.title,
                section: (!c.section.is_empty()).then_some(c.section),
                url: c.url,
                excerpt,
                lang: c.lang,
                kind: c.kind,
                score: r.score,
                coverage: r.coverage,
            });
        }
        tracing::debug!(
            concepts = ?concepts.iter().map(|c| c.surface.as_str()).collect::<Vec<_>>(),
            hits = hits.len(),
            "searched"
        );
        Ok(Answer {
            answered: !hits.is_empty(),
            lang,
            hits,
        })
    }

    /// A concept's weight is its rarity: ln(1 + N / (1 + df)), where df counts the passages
    /// holding its most common alternative. A concept the base never mentions gets the
    /// highest weight, so an off-topic word pulls confidence down.
    fn concept_weights(
        &self,
        searcher: &Searcher,
        concepts: &[Concept],
    ) -> tantivy::Result<Vec<f32>> {
        let f = &self.inner.fields;
        let n = searcher.num_docs().max(1) as f32;
        let mut cache: HashMap<(usize, String), u64> = HashMap::new();
        let mut out = Vec::with_capacity(concepts.len());
        for concept in concepts {
            let mut df = 0u64;
            for alt in &concept.alternatives {
                for slot in 0..2 {
                    // A phrase is as rare as its rarest word.
                    let mut rarest: Option<u64> = None;
                    for (_, term) in &alt.terms[slot] {
                        let key = (slot, term.clone());
                        let count = match cache.get(&key) {
                            Some(c) => *c,
                            None => {
                                let body = searcher
                                    .doc_freq(&Term::from_field_text(f.body[slot], term))?;
                                let names = searcher
                                    .doc_freq(&Term::from_field_text(f.names[slot], term))?;
                                let c = body.max(names);
                                cache.insert(key, c);
                                c
                            }
                        };
                        rarest = Some(rarest.map_or(count, |r| r.min(count)));
                    }
                    df = df.max(rarest.unwrap_or(0));
                }
            }
            let weight = (1.0 + n / (1.0 + df as f32)).ln();
            // A word the base never uses still counts against confidence, but less than
            // the rarest word it does use: everyday words ("rôle", "keep") absent from the
            // Unit's pages should not sink an otherwise well-covered question.
            out.push(if df == 0 {
                UNKNOWN_WORD_WEIGHT * weight
            } else {
                weight
            });
        }
        Ok(out)
    }

    fn build_query(&self, concepts: &[Concept]) -> BooleanQuery {
        let f = &self.inner.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for concept in concepts {
            for alt in &concept.alternatives {
                let boost = if alt.origin == Origin::Typed {
                    1.0
                } else {
                    ALTERNATIVE_BOOST
                };
                for slot in 0..2 {
                    let terms = &alt.terms[slot];
                    if terms.is_empty() {
                        continue;
                    }
                    for (field, field_boost) in [(f.body[slot], 1.0), (f.names[slot], NAMES_BOOST)]
                    {
                        let q: Box<dyn Query> = if terms.len() == 1 {
                            Box::new(TermQuery::new(
                                Term::from_field_text(field, &terms[0].1),
                                IndexRecordOption::WithFreqs,
                            ))
                        } else {
                            Box::new(PhraseQuery::new_with_offset(
                                terms
                                    .iter()
                                    .map(|(p, t)| (*p, Term::from_field_text(field, t)))
                                    .collect(),
                            ))
                        };
                        clauses.push((
                            Occur::Should,
                            Box::new(BoostQuery::new(q, boost * field_boost)),
                        ));
                    }
                }
            }
        }
        BooleanQuery::new(clauses)
    }
}

struct Candidate {
    doc_id: String,
    lang: Language,
    kind: Kind,
    title: String,
    url: Option<String>,
    section: String,
    text: String,
    ordinal: u64,
    translation: Option<String>,
}

impl Candidate {
    fn read(doc: &TantivyDocument, f: &index::Fields) -> Candidate {
        let text = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let optional = |field| Some(text(field)).filter(|s: &String| !s.is_empty());
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
        }
    }
}

struct Ranked {
    candidate: Candidate,
    body: Vec<analysis::Token>,
    highlight: HashSet<String>,
    coverage: f32,
    score: f32,
}

/// Whether `tokens` hold `terms` at the same relative positions (a phrase, gaps kept).
fn contains_phrase(tokens: &[analysis::Token], terms: &[(usize, String)]) -> bool {
    let Some((first_pos, first)) = terms.first() else {
        return false;
    };
    let at: HashSet<(usize, &str)> = tokens
        .iter()
        .map(|t| (t.position, t.term.as_str()))
        .collect();
    tokens.iter().filter(|t| &t.term == first).any(|start| {
        terms.iter().all(|(p, term)| {
            let pos = start.position + p - first_pos;
            at.contains(&(pos, term.as_str()))
        })
    })
}
