//! Turns a question into *concepts*: the meaningful words or names it asks about, each
//! with its alternatives (cross-language synonyms, a spelling correction) analysed for
//! both languages. Concepts drive both the tantivy query and the confidence rule.

use tantivy::tokenizer::TextAnalyzer;

use super::analysis::{self, fold_words, is_stop_word};
use super::spelling::Speller;
use crate::knowledge::Synonyms;
use crate::language::Language;

/// One way of saying a concept.
#[derive(Debug, Clone)]
pub struct Alternative {
    /// Folded words, e.g. ["fonds", "de", "recherche", "du", "quebec"].
    pub words: Vec<String>,
    /// Analysed terms with their positions, per language (index 0: French, 1: English).
    pub terms: [Vec<(usize, String)>; 2],
    /// How the alternative came about, which sets its weight in the query.
    pub origin: Origin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The words the person wrote.
    Typed,
    /// A synonym or translation of them from `synonyms.toml`.
    Synonym,
    /// The known word nearest to an unknown typed word.
    Correction,
}

/// Something the question asks about.
#[derive(Debug, Clone)]
pub struct Concept {
    /// The words as typed (folded), for logs and tests.
    pub surface: String,
    pub alternatives: Vec<Alternative>,
}

pub fn lang_slot(lang: Language) -> usize {
    match lang {
        Language::Fr => 0,
        Language::En => 1,
    }
}

/// The synonym groups with each term analysed once for both languages: stemming every
/// term of a matched group for every question made synonym-rich emails slow.
pub struct Vocabulary {
    synonyms: Synonyms,
    /// Per group, one [`Origin::Synonym`] alternative per term, in the group's order.
    analysed: Vec<Vec<Alternative>>,
}

impl Vocabulary {
    pub fn new(synonyms: Synonyms, analyzers: &mut [TextAnalyzer; 2]) -> Vocabulary {
        let analysed = (0..synonyms.len())
            .map(|g| {
                synonyms
                    .group(g)
                    .iter()
                    .map(|term| alternative(term.clone(), Origin::Synonym, analyzers))
                    .collect()
            })
            .collect();
        Vocabulary { synonyms, analysed }
    }
}

/// Finds the concepts of `question`.
pub fn concepts(
    question: &str,
    vocabulary: &Vocabulary,
    speller: &Speller,
    analyzers: &mut [TextAnalyzer; 2],
) -> Vec<Concept> {
    let words = fold_words(question);
    let matches = vocabulary.synonyms.find_in(&words);
    let mut out = Vec::new();
    let mut i = 0;
    let mut next_match = matches.iter().peekable();
    while i < words.len() {
        if let Some(m) = next_match.peek().filter(|m| m.start == i) {
            let typed = &words[m.start..m.start + m.len];
            let mut alternatives = vec![alternative(typed.to_vec(), Origin::Typed, analyzers)];
            for synonym in &vocabulary.analysed[m.group] {
                if synonym.words[..] != typed[..] {
                    alternatives.push(synonym.clone());
                }
            }
            out.push(Concept {
                surface: typed.join(" "),
                alternatives,
            });
            i += m.len;
            next_match.next();
            continue;
        }
        let word = &words[i];
        i += 1;
        if word.chars().count() < 2 || is_stop_word(word) {
            continue;
        }
        let mut alternatives = vec![alternative(vec![word.clone()], Origin::Typed, analyzers)];
        if let Some(fixed) = speller.correct(word) {
            alternatives.push(alternative(
                vec![fixed.to_string()],
                Origin::Correction,
                analyzers,
            ));
        }
        if alternatives
            .iter()
            .all(|a| a.terms.iter().all(|t| t.is_empty()))
        {
            continue;
        }
        out.push(Concept {
            surface: word.clone(),
            alternatives,
        });
    }
    // The same concept typed twice ("CIHR ... CIHR") counts once.
    out.dedup_by(|a, b| a.surface == b.surface);
    out
}

fn alternative(
    words: Vec<String>,
    origin: Origin,
    analyzers: &mut [TextAnalyzer; 2],
) -> Alternative {
    let text = words.join(" ");
    let terms = [0, 1].map(|slot| {
        analysis::tokens(&mut analyzers[slot], &text)
            .into_iter()
            .map(|t| (t.position, t.term))
            .collect()
    });
    Alternative {
        words,
        terms,
        origin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::analysis::analyzer;
    use std::path::Path;

    fn setup() -> (Vocabulary, Speller, [TextAnalyzer; 2]) {
        let mut analyzers = [analyzer(Language::Fr), analyzer(Language::En)];
        let synonyms = Synonyms::parse(
            Path::new("s.toml"),
            "[[group]]\nterms = [\"cihr\", \"irsc\"]\n[[group]]\nterms = [\"frq\", \"fonds de recherche du québec\"]\n",
        )
        .unwrap();
        let speller = Speller::new([("oncopole".to_string(), 3), ("mission".to_string(), 2)]);
        (
            Vocabulary::new(synonyms, &mut analyzers),
            speller,
            analyzers,
        )
    }

    #[test]
    fn drops_filler_words_and_keeps_the_subject() {
        let (s, sp, mut a) = setup();
        let c = concepts("Qu'est-ce que la mission de l'Oncopole ?", &s, &sp, &mut a);
        let surfaces: Vec<&str> = c.iter().map(|c| c.surface.as_str()).collect();
        assert_eq!(surfaces, vec!["mission", "oncopole"]);
    }

    #[test]
    fn expands_acronyms_across_languages() {
        let (s, sp, mut a) = setup();
        let c = concepts("What is the CIHR?", &s, &sp, &mut a);
        assert_eq!(c.len(), 1);
        let words: Vec<String> = c[0]
            .alternatives
            .iter()
            .map(|a| a.words.join(" "))
            .collect();
        assert_eq!(words, vec!["cihr", "irsc"]);
        assert_eq!(c[0].alternatives[1].origin, Origin::Synonym);
    }

    #[test]
    fn a_multi_word_name_is_one_concept_with_positions_kept() {
        let (s, sp, mut a) = setup();
        let c = concepts("mission du Fonds de recherche du Quebec", &s, &sp, &mut a);
        assert_eq!(c.len(), 2);
        let frq = &c[1];
        assert_eq!(frq.surface, "fonds de recherche du quebec");
        // "de" and "du" are stop words: the phrase keeps its gaps.
        let positions: Vec<usize> = frq.alternatives[0].terms[0]
            .iter()
            .map(|(p, _)| *p)
            .collect();
        assert_eq!(positions, vec![0, 2, 4]);
    }

    #[test]
    fn an_unknown_word_gets_its_correction() {
        let (s, sp, mut a) = setup();
        let c = concepts("oncopol", &s, &sp, &mut a);
        assert_eq!(c[0].alternatives.len(), 2);
        assert_eq!(c[0].alternatives[1].words, vec!["oncopole"]);
        assert_eq!(c[0].alternatives[1].origin, Origin::Correction);
    }
}
