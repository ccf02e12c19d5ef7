//! Typo tolerance: corrects a word the knowledge base does not contain to the most frequent
//! known word one edit away ("McGil" → "mcgill", "oncopol" → "oncopole").
//!
//! It is a one-deletion symmetric-delete index (SymSpell): every known word is stored under
//! itself and each of its one-letter deletions, so a lookup is a handful of hash probes.

use std::collections::HashMap;

/// Words shorter than this are never corrected: too many short words are one edit apart.
const MIN_CORRECTABLE_CHARS: usize = 5;

/// The known words of the knowledge base (folded), with their frequencies.
#[derive(Debug, Default)]
pub struct Speller {
    frequency: HashMap<String, u32>,
    /// A word or one of its one-letter deletions → the known words it comes from.
    deletes: HashMap<String, Vec<u32>>,
    words: Vec<String>,
}

impl Speller {
    pub fn new(words: impl IntoIterator<Item = (String, u32)>) -> Speller {
        let mut s = Speller::default();
        for (word, freq) in words {
            if s.frequency.contains_key(&word) {
                continue;
            }
            let index = s.words.len() as u32;
            if word.chars().count() >= MIN_CORRECTABLE_CHARS - 1 {
                for variant in std::iter::once(word.clone()).chain(deletions(&word)) {
                    s.deletes.entry(variant).or_default().push(index);
                }
            }
            s.frequency.insert(word.clone(), freq);
            s.words.push(word);
        }
        s
    }

    /// Whether the folded word occurs in the knowledge base.
    pub fn is_known(&self, word: &str) -> bool {
        self.frequency.contains_key(word)
    }

    /// The known word most likely meant by an unknown `word`, if one is a single edit away
    /// (insertion, deletion, substitution or swap of neighbours) and starts the same way.
    pub fn correct(&self, word: &str) -> Option<&str> {
        if self.is_known(word) || word.chars().count() < MIN_CORRECTABLE_CHARS {
            return None;
        }
        if word.chars().any(|c| c.is_ascii_digit()) {
            return None;
        }
        let first = word.chars().next()?;
        let mut best: Option<(&str, u32)> = None;
        for variant in std::iter::once(word.to_string()).chain(deletions(word)) {
            let Some(candidates) = self.deletes.get(&variant) else {
                continue;
            };
            for &i in candidates {
                let candidate = self.words[i as usize].as_str();
                if !candidate.starts_with(first) || edit_distance(word, candidate) > 1 {
                    continue;
                }
                let freq = self.frequency[candidate];
                if best.is_none_or(|(w, f)| freq > f || (freq == f && candidate < w)) {
                    best = Some((candidate, freq));
                }
            }
        }
        best.map(|(w, _)| w)
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }
}

fn deletions(word: &str) -> impl Iterator<Item = String> + '_ {
    let chars: Vec<char> = word.chars().collect();
    (0..chars.len()).map(move |skip| {
        chars
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != skip)
            .map(|(_, c)| c)
            .collect()
    })
}

/// Optimal string alignment distance: Levenshtein plus swaps of neighbouring letters.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn speller() -> Speller {
        Speller::new(
            [
                ("mcgill", 5),
                ("oncopole", 7),
                ("montreal", 9),
                ("sherbrooke", 4),
                ("partenaire", 3),
                ("partenaires", 8),
            ]
            .map(|(w, f)| (w.to_string(), f)),
        )
    }

    #[test]
    fn corrects_one_edit_typos() {
        let s = speller();
        assert_eq!(s.correct("mcgil"), Some("mcgill"));
        assert_eq!(s.correct("oncopol"), Some("oncopole"));
        assert_eq!(s.correct("montrael"), Some("montreal"));
        assert_eq!(s.correct("sherbroke"), Some("sherbrooke"));
        assert_eq!(s.correct("partenaie"), Some("partenaire"));
    }

    #[test]
    fn leaves_known_short_and_distant_words_alone() {
        let s = speller();
        assert_eq!(s.correct("mcgill"), None);
        assert_eq!(s.correct("mcgi"), None);
        assert_eq!(s.correct("poutine"), None);
        assert_eq!(
            s.correct("ncgill"),
            None,
            "a different first letter is another word"
        );
    }

    #[test]
    fn edit_distance_counts_swaps_as_one() {
        assert_eq!(
            edit_distance("oncopole", "oncoplоe".replace('о', "o").as_str()),
            1
        );
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
