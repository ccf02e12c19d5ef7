//! Cross-language acronyms and synonyms (`synonyms.toml`): groups of terms that mean the
//! same thing, such as CIHR ⇄ IRSC. They are data, edited by staff, never code.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use super::FileError;
use crate::search::analysis::fold_words;

/// The synonym groups, each term stored as its folded words ("québec" → "quebec").
#[derive(Debug, Clone, Default)]
pub struct Synonyms {
    groups: Vec<Vec<Vec<String>>>,
    /// The terms (group, term) by their first word, for [`Synonyms::find_in`].
    by_first_word: HashMap<String, Vec<(usize, usize)>>,
}

/// Where a synonym term was found in a list of words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynonymMatch {
    pub start: usize,
    pub len: usize,
    pub group: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    group: Vec<Group>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Group {
    terms: Vec<String>,
}

impl Synonyms {
    /// Parses `synonyms.toml`, rejecting groups of fewer than two terms and a term that
    /// appears in two groups (which would silently merge them).
    pub fn parse(path: &Path, text: &str) -> Result<Synonyms, FileError> {
        let file: File = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
                .unwrap_or(0);
            FileError::new(path, line, e.message().to_string())
        })?;
        let line_of = |needle: &str| {
            text.lines()
                .position(|l| l.contains(needle))
                .map(|i| i + 1)
                .unwrap_or(0)
        };
        let mut seen: HashMap<Vec<String>, usize> = HashMap::new();
        let mut groups = Vec::new();
        for (g, group) in file.group.iter().enumerate() {
            let mut terms = Vec::new();
            for term in &group.terms {
                let words = fold_words(term);
                if words.is_empty() {
                    return Err(FileError::new(
                        path,
                        line_of(term),
                        format!("group {}: the term {term:?} has no letters", g + 1),
                    ));
                }
                if let Some(&other) = seen.get(&words) {
                    if other != g {
                        return Err(FileError::new(
                            path,
                            line_of(term),
                            format!(
                                "the term {term:?} is in group {} and group {}: merge them",
                                other + 1,
                                g + 1
                            ),
                        ));
                    }
                    continue;
                }
                seen.insert(words.clone(), g);
                terms.push(words);
            }
            if terms.len() < 2 {
                let first = group.terms.first().map(String::as_str).unwrap_or("terms");
                return Err(FileError::new(
                    path,
                    line_of(first),
                    format!("group {} needs at least two different terms", g + 1),
                ));
            }
            groups.push(terms);
        }
        let mut by_first_word: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
        for (g, terms) in groups.iter().enumerate() {
            for (t, words) in terms.iter().enumerate() {
                by_first_word
                    .entry(words[0].clone())
                    .or_default()
                    .push((g, t));
            }
        }
        Ok(Synonyms {
            groups,
            by_first_word,
        })
    }

    pub fn len(&self) -> usize {
        self.groups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The terms of a group, each as folded words.
    pub fn group(&self, index: usize) -> &[Vec<String>] {
        &self.groups[index]
    }

    /// Finds synonym terms in `words` (already folded), longest first, without overlaps.
    pub fn find_in(&self, words: &[String]) -> Vec<SynonymMatch> {
        let mut candidates: Vec<SynonymMatch> = Vec::new();
        for (start, word) in words.iter().enumerate() {
            for &(g, t) in self.by_first_word.get(word).into_iter().flatten() {
                let term = &self.groups[g][t];
                if words[start..].starts_with(term) {
                    candidates.push(SynonymMatch {
                        start,
                        len: term.len(),
                        group: g,
                    });
                }
            }
        }
        candidates.sort_by(|a, b| b.len.cmp(&a.len).then(a.start.cmp(&b.start)));
        let mut taken = vec![false; words.len()];
        let mut out = Vec::new();
        for m in candidates {
            if taken[m.start..m.start + m.len].iter().any(|t| *t) {
                continue;
            }
            taken[m.start..m.start + m.len]
                .iter_mut()
                .for_each(|t| *t = true);
            out.push(m);
        }
        out.sort_by_key(|m| m.start);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
[[group]]
terms = ["CIHR", "IRSC", "Instituts de recherche en santé du Canada"]

[[group]]
terms = ["FRQ", "Fonds de recherche du Québec"]
"#;

    fn words(s: &str) -> Vec<String> {
        fold_words(s)
    }

    #[test]
    fn finds_terms_with_and_without_accents_longest_first() {
        let s = Synonyms::parse(Path::new("synonyms.toml"), FILE).unwrap();
        assert_eq!(s.len(), 2);
        let found = s.find_in(&words(
            "la mission du fonds de recherche du quebec et des IRSC",
        ));
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].group, found[0].len), (1, 5));
        assert_eq!(found[1].group, 0);
        let found = s.find_in(&words("Instituts de recherche en santé du Canada"));
        assert_eq!(
            found,
            vec![SynonymMatch {
                start: 0,
                len: 7,
                group: 0
            }]
        );
    }

    #[test]
    fn rejects_a_term_in_two_groups_and_lonely_terms() {
        let bad = format!("{FILE}\n[[group]]\nterms = [\"irsc\", \"cihr institutes\"]\n");
        let e = Synonyms::parse(Path::new("s.toml"), &bad).unwrap_err();
        assert!(e.reason.contains("group 1 and group 3"), "{e}");
        let e =
            Synonyms::parse(Path::new("s.toml"), "[[group]]\nterms = [\"alone\"]\n").unwrap_err();
        assert!(e.reason.contains("at least two"), "{e}");
        assert_eq!(e.line, 2);
    }

    #[test]
    fn reports_toml_errors_with_their_line() {
        let e = Synonyms::parse(Path::new("s.toml"), "[[group]]\nterms = [\"a\", \n").unwrap_err();
        assert!(e.line >= 2, "{e}");
        let e = Synonyms::parse(Path::new("s.toml"), "[[group]]\nwords = [\"a\", \"b\"]\n")
            .unwrap_err();
        assert!(e.reason.contains("words"), "{e}");
    }
}
