//! Scoring: how much of a question one passage covers (its concepts weighted by rarity, in
//! the text, the names or the typical questions), the ranking score that follows (BM25
//! scaled by that coverage, the asker's language and the passage's position), and the
//! signals of a question part that the decision weighs.

use std::collections::HashSet;
use std::sync::Arc;

use super::decision::Signals;
use super::hits::{highlight_of, Candidate, Ranked};
use super::query::{lang_slot, Concept};
use crate::language::Language;

/// Score factor for the opening passage of a document, which usually defines its subject.
const FIRST_PASSAGE_FACTOR: f32 = 1.1;
/// Score factor for a passage in the other language than the asker's.
const OTHER_LANGUAGE_FACTOR: f32 = 0.6;
/// Share of a passage's BM25 kept when it covers none of the question's weight: coverage
/// adds to it, so a passage that covers everything keeps 1.2 times its BM25.
const BASE_SHARE: f32 = 0.2;

/// A concept's weight in the confidence, and what is known of it.
pub(super) struct Weight {
    pub(super) weight: f32,
    /// The knowledge base never uses it.
    pub(super) unknown: bool,
    /// It belongs to the Unit's vocabulary (a synonyms group).
    pub(super) domain: bool,
}

pub(super) fn unknown_share(weights: &[Weight]) -> f32 {
    let total: f32 = weights.iter().map(|w| w.weight).sum();
    if total <= 0.0 {
        return 0.0;
    }
    weights
        .iter()
        .filter(|w| w.unknown)
        .map(|w| w.weight)
        .sum::<f32>()
        / total
}

/// What a document's typical questions cover of a question's concepts: the same for every
/// passage of the document, so found once per document and question part.
pub(super) struct AskedIn {
    /// Per concept, whether one of the typical questions holds it.
    pub(super) any: Vec<bool>,
    /// The weight of the concepts held by the typical question that holds the most.
    pub(super) best: f32,
}

impl AskedIn {
    pub(super) fn of(candidate: &Candidate, concepts: &[Concept], weights: &[Weight]) -> AskedIn {
        let slot = lang_slot(candidate.lang);
        let questions = &candidate.questions;
        let mut by_question = vec![0.0f32; questions.len()];
        let mut any = Vec::with_capacity(concepts.len());
        for (concept, w) in concepts.iter().zip(weights) {
            let mut found = false;
            for (q, sum) in questions.iter().zip(by_question.iter_mut()) {
                let asked = concept.alternatives.iter().any(|alt| {
                    let terms = &alt.terms[slot];
                    !terms.is_empty() && terms.iter().all(|(_, t)| q.contains(t))
                });
                if asked {
                    *sum += w.weight;
                    found = true;
                }
            }
            any.push(found);
        }
        AskedIn {
            any,
            best: by_question.iter().copied().fold(0.0, f32::max),
        }
    }
}

/// Scores one passage found by BM25 for the question's `concepts`: what it covers, where
/// (text, names, typical questions: `asked`, found for its document), and its ranking
/// score.
pub(super) fn rank(
    candidate: Arc<Candidate>,
    bm25: f32,
    concepts: &[Concept],
    weights: &[Weight],
    asked: &AskedIn,
    lang: Language,
) -> Ranked {
    let total_weight: f32 = weights.iter().map(|w| w.weight).sum();
    let heaviest = weights.iter().map(|w| w.weight).fold(0.0, f32::max);
    let slot = lang_slot(candidate.lang);
    // A short word list: scanning it beats hashing every word of every question.
    let names = &candidate.names;
    let mut covered = 0.0;
    let mut in_names = 0.0;
    let mut uncovered: f32 = 0.0;
    let highlight = highlight_of(concepts, weights, &candidate.positions, slot);
    let in_body: HashSet<usize> = highlight.values().flatten().map(|(i, _)| *i).collect();
    for (index, (concept, w)) in concepts.iter().zip(weights).enumerate() {
        let named = concept.alternatives.iter().any(|alt| {
            let terms = &alt.terms[slot];
            !terms.is_empty() && terms.iter().all(|(_, t)| names.contains(t))
        });
        if in_body.contains(&index) || named || asked.any[index] {
            covered += w.weight;
        } else {
            uncovered = uncovered.max(w.weight);
        }
        if named {
            in_names += w.weight;
        }
    }
    let share = |x: f32| {
        if total_weight > 0.0 {
            x / total_weight
        } else {
            0.0
        }
    };
    let coverage = share(covered);
    let mut score = bm25 * (BASE_SHARE + coverage);
    if candidate.lang != lang {
        score *= OTHER_LANGUAGE_FACTOR;
    }
    if candidate.ordinal == 0 {
        score *= FIRST_PASSAGE_FACTOR;
    }
    Ranked {
        signals: Signals {
            coverage,
            uncovered: if heaviest > 0.0 {
                uncovered / heaviest
            } else {
                0.0
            },
            strength: bm25 / (1.0 + total_weight),
            names: share(in_names),
            questions: share(asked.best),
            ..Signals::default()
        },
        candidate,
        highlight,
        score,
    }
}

/// The signals of a question part: the best passage's own (`ranked` is sorted, best
/// first, and not empty), with what concerns the whole part: `document` (the share of the
/// question found anywhere in the best page), the words the base never uses, the margin
/// over the best passage of another document, the number of concepts and the share of
/// the Unit's vocabulary.
pub(super) fn part_signals(
    ranked: &[Ranked],
    weights: &[Weight],
    concepts: usize,
    document: f32,
) -> Signals {
    let best = &ranked[0];
    let runner_up = ranked
        .iter()
        .find(|r| {
            r.candidate.doc_id != best.candidate.doc_id
                && r.candidate.translation.as_deref() != Some(best.candidate.doc_id.as_str())
        })
        .map(|r| r.score)
        .unwrap_or(0.0);
    Signals {
        document,
        unknown: unknown_share(weights),
        margin: if best.score > 0.0 {
            (best.score - runner_up) / best.score
        } else {
            0.0
        },
        concepts: (1.0 + concepts as f32).ln(),
        domain: weights.iter().filter(|w| w.domain).count() as f32 / weights.len() as f32,
        ..best.signals
    }
}
