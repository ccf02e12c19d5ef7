//! The two languages guichet speaks, and how it tells which one a message is written in.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// French or English: every user-facing string exists in both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Fr,
    En,
}

/// A language code other than `fr` or `en`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown language '{0}' (expected fr or en)")]
pub struct UnknownLanguage(pub String);

impl Language {
    pub const ALL: [Language; 2] = [Language::Fr, Language::En];

    /// The ISO 639-1 code: `fr` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Language::Fr => "fr",
            Language::En => "en",
        }
    }

    /// The other language (the one a translation is written in).
    pub fn other(self) -> Language {
        match self {
            Language::Fr => Language::En,
            Language::En => Language::Fr,
        }
    }

    /// Guesses the language of a message, or `None` when the text gives no usable clue
    /// (a bare acronym, a name). Short questions defeat statistical detectors, so marker
    /// words and accents decide first and whatlang (limited to French and English) only
    /// breaks ties on longer texts.
    pub fn detect(text: &str) -> Option<Language> {
        let mut fr = 0i32;
        let mut en = 0i32;
        let lower = text.to_lowercase();
        for word in lower.split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’') {
            let word = word.trim_matches(|c| c == '\'' || c == '’');
            if word.is_empty() {
                continue;
            }
            // French elisions (l'unité, qu'est-ce, d'admissibilité) are a strong clue.
            if let Some((head, _)) = word.split_once(['\'', '’']) {
                if matches!(head, "l" | "d" | "qu" | "j" | "n" | "s" | "c" | "m" | "t") {
                    fr += 2;
                }
                continue;
            }
            if FRENCH_MARKERS.contains(&word) {
                fr += 1;
            }
            if ENGLISH_MARKERS.contains(&word) {
                en += 1;
            }
        }
        fr += 2 * lower
            .chars()
            .filter(|c| "éèêàâçùûôîïëœ".contains(*c))
            .count()
            .min(3) as i32;
        match fr.cmp(&en) {
            std::cmp::Ordering::Greater => Some(Language::Fr),
            std::cmp::Ordering::Less => Some(Language::En),
            std::cmp::Ordering::Equal => {
                if text.split_whitespace().count() < 4 {
                    return None;
                }
                let detector = whatlang::Detector::with_allowlist(vec![
                    whatlang::Lang::Fra,
                    whatlang::Lang::Eng,
                ]);
                match detector.detect(text)?.lang() {
                    whatlang::Lang::Fra => Some(Language::Fr),
                    whatlang::Lang::Eng => Some(Language::En),
                    _ => None,
                }
            }
        }
    }
}

/// Frequent French words that are rare in English (accents are counted separately).
const FRENCH_MARKERS: &[&str] = &[
    "le",
    "la",
    "les",
    "des",
    "du",
    "est",
    "sont",
    "que",
    "qui",
    "quel",
    "quelle",
    "quels",
    "quelles",
    "quoi",
    "comment",
    "pourquoi",
    "combien",
    "ou",
    "où",
    "vous",
    "vos",
    "votre",
    "nous",
    "notre",
    "nos",
    "je",
    "j",
    "une",
    "un",
    "avec",
    "pour",
    "sur",
    "dans",
    "et",
    "au",
    "aux",
    "faire",
    "demande",
    "demandes",
    "bonjour",
    "merci",
    "salut",
    "aide",
    "aider",
    "peux",
    "peut",
    "puis",
    "suis",
    "mon",
    "ma",
    "mes",
    "ce",
    "cette",
    "ces",
    "recherche",
    "sante",
    "santé",
    "pas",
    "oui",
    "non",
    "svp",
    "qu",
    "travaillez",
    "fera",
    "il",
    "elle",
    "avez",
];

/// Frequent English words that are rare in French.
const ENGLISH_MARKERS: &[&str] = &[
    "the", "what", "who", "whom", "which", "is", "are", "how", "why", "where", "when", "does",
    "do", "did", "you", "your", "i", "can", "could", "with", "for", "of", "and", "to", "a", "an",
    "in", "about", "hello", "hi", "thanks", "thank", "please", "help", "my", "me", "we", "our",
    "request", "research", "health", "yes", "no", "there", "this", "that", "it", "would", "like",
    "want", "make", "work", "unit",
];

impl FromStr for Language {
    type Err = UnknownLanguage;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "fr" | "fra" | "fre" | "french" | "français" | "francais" => Ok(Language::Fr),
            "en" | "eng" | "english" | "anglais" => Ok(Language::En),
            _ => Err(UnknownLanguage(s.to_string())),
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_french_with_and_without_accents() {
        assert_eq!(Language::detect("Qui finance l'Unité?"), Some(Language::Fr));
        assert_eq!(Language::detect("qui finance l unite"), Some(Language::Fr));
        assert_eq!(
            Language::detect("Quelle est la mission du Fonds de recherche du Quebec"),
            Some(Language::Fr)
        );
        assert_eq!(
            Language::detect("criteres d'admissibilite"),
            Some(Language::Fr)
        );
    }

    #[test]
    fn detects_english() {
        assert_eq!(Language::detect("What is the CIHR?"), Some(Language::En));
        assert_eq!(
            Language::detect("Who created Oncopole?"),
            Some(Language::En)
        );
    }

    #[test]
    fn gives_up_on_a_bare_acronym() {
        assert_eq!(Language::detect("GRIIS"), None);
        assert_eq!(Language::detect("  "), None);
    }

    #[test]
    fn parses_codes_and_rejects_others() {
        assert_eq!("FR".parse::<Language>(), Ok(Language::Fr));
        assert_eq!("english".parse::<Language>(), Ok(Language::En));
        assert!("de".parse::<Language>().is_err());
    }
}
