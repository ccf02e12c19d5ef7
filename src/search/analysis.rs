//! Text analysis for French and English: tokenising, folding accents, removing stop words
//! and stemming, the same way at indexing and at query time.
//!
//! Accents are folded *before* stemming so "hôpital" and "hopital", "Québec" and "Quebec"
//! give the same term; stop words are folded too, so "à" and "a", "où" and "ou" are both
//! dropped. Elisions (l', d', qu') are split off by the tokenizer and dropped as stop words.

use std::collections::HashSet;
use std::sync::OnceLock;

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language as StemLanguage, LowerCaser, RemoveLongFilter, SimpleTokenizer,
    Stemmer, StopWordFilter, TextAnalyzer, TokenStream,
};

use crate::language::Language;

/// The tokenizer name registered on the index for a language's fields.
pub fn tokenizer_name(lang: Language) -> &'static str {
    match lang {
        Language::Fr => "guichet_fr",
        Language::En => "guichet_en",
    }
}

/// The full analysis chain for `lang`.
pub fn analyzer(lang: Language) -> TextAnalyzer {
    let stemmer = match lang {
        Language::Fr => StemLanguage::French,
        Language::En => StemLanguage::English,
    };
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(StopWordFilter::remove(stop_words().iter().cloned()))
        .filter(Stemmer::new(stemmer))
        .build()
}

/// A token of analysed text: its term, position, and where it sits in the original text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub term: String,
    pub position: usize,
    pub from: usize,
    pub to: usize,
}

/// Analyses `text` into tokens with positions and byte offsets.
pub fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        let t = stream.token();
        out.push(Token {
            term: t.text.clone(),
            position: t.position,
            from: t.offset_from,
            to: t.offset_to,
        });
    }
    out
}

/// Writes tokens as `term:position:from:to` separated by spaces (terms hold neither).
pub fn encode_tokens(tokens: &[Token]) -> String {
    let mut out = String::with_capacity(tokens.len() * 16);
    for t in tokens {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&format!("{}:{}:{}:{}", t.term, t.position, t.from, t.to));
    }
    out
}

/// Reads what [`encode_tokens`] wrote; a malformed token is skipped.
pub fn decode_tokens(text: &str) -> Vec<Token> {
    text.split(' ')
        .filter_map(|t| {
            let mut parts = t.split(':');
            let term = parts.next()?.to_string();
            let position = parts.next()?.parse().ok()?;
            let from = parts.next()?.parse().ok()?;
            let to = parts.next()?.parse().ok()?;
            Some(Token {
                term,
                position,
                from,
                to,
            })
        })
        .collect()
}

/// Analyses `text` into its terms only.
pub fn terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    tokens(analyzer, text).into_iter().map(|t| t.term).collect()
}

/// Lowercases and folds accents, keeping every word (no stop words, no stemming):
/// "L'Unité du Québec" → ["l", "unite", "du", "quebec"].
pub fn fold_words(text: &str) -> Vec<String> {
    static FOLDER: OnceLock<TextAnalyzer> = OnceLock::new();
    let mut analyzer = FOLDER
        .get_or_init(|| {
            TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(RemoveLongFilter::limit(40))
                .filter(LowerCaser)
                .filter(AsciiFoldingFilter)
                .build()
        })
        .clone();
    terms(&mut analyzer, text)
}

/// Folded words of `text` joined by single spaces ("Qu'est-ce" → "qu est ce").
pub fn fold_phrase(text: &str) -> String {
    fold_words(text).join(" ")
}

/// Whether a folded word carries no meaning for search, in either language.
pub fn is_stop_word(folded: &str) -> bool {
    stop_words().contains(folded)
}

/// French and English stop words, folded. One list serves both languages so that a
/// question whose language was misjudged still loses its filler words.
fn stop_words() -> &'static HashSet<String> {
    static WORDS: OnceLock<HashSet<String>> = OnceLock::new();
    WORDS.get_or_init(|| {
        FRENCH_STOP_WORDS
            .iter()
            .chain(ENGLISH_STOP_WORDS)
            .flat_map(|w| fold_words(w))
            .collect()
    })
}

/// Snowball's French list, with question and courtesy words added.
const FRENCH_STOP_WORDS: &[&str] = &[
    "au",
    "aux",
    "avec",
    "ce",
    "ces",
    "dans",
    "de",
    "des",
    "du",
    "elle",
    "en",
    "et",
    "eux",
    "il",
    "je",
    "la",
    "le",
    "leur",
    "lui",
    "ma",
    "mais",
    "me",
    "même",
    "mes",
    "moi",
    "mon",
    "ne",
    "nos",
    "notre",
    "nous",
    "on",
    "ou",
    "où",
    "par",
    "pas",
    "pour",
    "qu",
    "que",
    "qui",
    "sa",
    "se",
    "ses",
    "sur",
    "ta",
    "te",
    "tes",
    "toi",
    "ton",
    "tu",
    "un",
    "une",
    "vos",
    "votre",
    "vous",
    "c",
    "d",
    "j",
    "l",
    "à",
    "m",
    "n",
    "s",
    "t",
    "y",
    "été",
    "étée",
    "étées",
    "étant",
    "suis",
    "es",
    "est",
    "êtes",
    "sont",
    "serai",
    "sera",
    "serons",
    "serez",
    "seront",
    "serais",
    "serait",
    "étais",
    "était",
    "étions",
    "étiez",
    "étaient",
    "fut",
    "soit",
    "soient",
    "ayant",
    "eu",
    "ai",
    "as",
    "avons",
    "avez",
    "ont",
    "aurai",
    "aura",
    "aurait",
    "avais",
    "avait",
    "avaient",
    "ceci",
    "cela",
    "cet",
    "cette",
    "ici",
    "ils",
    "elles",
    "les",
    "leurs",
    "quel",
    "quels",
    "quelle",
    "quelles",
    "sans",
    "soi",
    "quoi",
    "comment",
    "pourquoi",
    "combien",
    "quand",
    "lequel",
    "laquelle",
    "lesquels",
    "dont",
    "peut",
    "peux",
    "pouvez",
    "pourriez",
    "pourrais",
    "puis",
    "dois",
    "doit",
    "devez",
    "bonjour",
    "bonsoir",
    "salut",
    "merci",
    "svp",
    "stp",
    "aussi",
    "tout",
    "tous",
    "toute",
    "toutes",
    "plus",
    "très",
    "bien",
    "alors",
    "donc",
    "car",
    "si",
    "être",
    "avoir",
    "fait",
    "faites",
    "voudrais",
    "aimerais",
    // The other forms of the modal verbs a question is asked with ("pourrait-on",
    // "doivent-ils", "faudrait-il", "aimerions"), and relative pronouns ("auquel").
    "pourrait",
    "pourrions",
    "pourraient",
    "pouvons",
    "peuvent",
    "pouvoir",
    "doivent",
    "devons",
    "devoir",
    "devrait",
    "devrais",
    "devriez",
    "devrions",
    "devraient",
    "faut",
    "faudrait",
    "voudrait",
    "voudrions",
    "voudriez",
    "voulons",
    "vouloir",
    "aimerait",
    "aimerions",
    "aimeriez",
    "auquel",
    "auxquels",
    "auxquelles",
    "duquel",
    "desquels",
    "desquelles",
    "veux",
    "voulez",
    "dire",
    "dites",
    "savoir",
    "connaître",
    "hui",
    "aujourd",
    "rôle",
    "rôles",
    // Spoken and chat French (Québécois included): words that never name a topic.
    "ça",
    "pis",
    "ben",
    "bin",
    "genre",
    "faque",
    "fak",
    "chu",
    "chus",
    "tsé",
    "ouin",
    "mettons",
    "coudonc",
    "allo",
    "juste",
];

/// Snowball's English list, with question and courtesy words added.
const ENGLISH_STOP_WORDS: &[&str] = &[
    "i",
    "me",
    "my",
    "myself",
    "we",
    "our",
    "ours",
    "ourselves",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "he",
    "him",
    "his",
    "himself",
    "she",
    "her",
    "hers",
    "herself",
    "it",
    "its",
    "itself",
    "they",
    "them",
    "their",
    "theirs",
    "themselves",
    "what",
    "which",
    "who",
    "whom",
    "this",
    "that",
    "these",
    "those",
    "am",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "have",
    "has",
    "had",
    "having",
    "do",
    "does",
    "did",
    "doing",
    "a",
    "an",
    "the",
    "and",
    "but",
    "if",
    "or",
    "because",
    "as",
    "until",
    "while",
    "of",
    "at",
    "by",
    "for",
    "with",
    "about",
    "against",
    "between",
    "into",
    "through",
    "during",
    "before",
    "after",
    "above",
    "below",
    "to",
    "from",
    "up",
    "down",
    "in",
    "out",
    "on",
    "off",
    "over",
    "under",
    "again",
    "further",
    "then",
    "once",
    "here",
    "there",
    "when",
    "where",
    "why",
    "how",
    "all",
    "any",
    "both",
    "each",
    "few",
    "more",
    "most",
    "other",
    "some",
    "such",
    "no",
    "nor",
    "not",
    "only",
    "own",
    "same",
    "so",
    "than",
    "too",
    "very",
    "can",
    "will",
    "just",
    "don",
    "should",
    "might",
    "must",
    "shall",
    "now",
    "us",
    "would",
    "could",
    "please",
    "hello",
    "hi",
    "hey",
    "thanks",
    "thank",
    "tell",
    "know",
    "also",
    "role",
    "roles",
    "get",
    "like",
    "want",
    "s",
    "t",
    "ll",
    "re",
    "ve",
    "d",
    "m",
    // Chat English: words that never name a topic.
    "lol",
    "u",
    "ur",
    "pls",
    "plz",
    "thx",
    "guys",
    "yo",
    "smth",
    "stuff",
    "gonna",
    "wanna",
    "kinda",
    "btw",
    "tbh",
    "idk",
    "ok",
    "okay",
    "cheers",
    "even",
    "anyway",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_tokens_read_back_as_analysed() {
        let text = "L'Unité de soutien a été créée en 2014, à Québec.";
        let toks = tokens(&mut analyzer(Language::Fr), text);
        assert!(!toks.is_empty());
        assert_eq!(decode_tokens(&encode_tokens(&toks)), toks);
        assert!(decode_tokens("").is_empty());
        assert_eq!(decode_tokens("a:1:0:1 broken b:2:3:4").len(), 2);
    }

    fn fr(text: &str) -> Vec<String> {
        terms(&mut analyzer(Language::Fr), text)
    }

    fn en(text: &str) -> Vec<String> {
        terms(&mut analyzer(Language::En), text)
    }

    #[test]
    fn french_matches_with_and_without_accents() {
        for (accented, plain) in [
            ("hôpital", "hopital"),
            ("Québec", "quebec"),
            ("sécurité", "securite"),
            ("santé", "sante"),
            ("critères d'admissibilité", "criteres d admissibilite"),
            ("Réseau-1", "reseau 1"),
            ("élèves", "eleves"),
        ] {
            assert_eq!(fr(accented), fr(plain), "{accented} vs {plain}");
            assert!(!fr(plain).is_empty());
        }
    }

    #[test]
    fn french_elisions_are_removed() {
        assert_eq!(fr("l'Unité"), fr("unité"));
        assert_eq!(fr("d’admissibilité"), fr("admissibilité"));
        assert_eq!(fr("qu'est-ce que l'INSPQ"), fr("INSPQ"));
        assert_eq!(fr("l'Unité"), vec!["unit".to_string()]);
    }

    #[test]
    fn french_stemming_joins_inflections() {
        assert_eq!(fr("partenaires"), fr("partenaire"));
        assert_eq!(fr("demandes"), fr("demande"));
        assert_eq!(fr("universitaires"), fr("universitaire"));
    }

    #[test]
    fn english_stemming_and_stop_words() {
        assert_eq!(en("partners"), en("partner"));
        assert_eq!(en("researchers"), en("researcher"));
        assert_eq!(en("collaborating"), en("collaborate"));
        assert_eq!(
            en("What is the mission of the MSSS?"),
            vec!["mission", "msss"]
        );
    }

    #[test]
    fn stop_words_go_in_both_languages_with_or_without_accents() {
        assert!(is_stop_word("a") && is_stop_word("ou") && is_stop_word("etait"));
        // Every form of the modal verbs a question is asked with, not only the first.
        for w in [
            "pourrait",
            "pourriez",
            "doivent",
            "faudrait",
            "aimerions",
            "auquel",
            "must",
        ] {
            assert!(is_stop_word(w), "{w}");
        }
        assert!(
            fr("Où est-ce à faire ?").iter().all(|t| t == "fair"),
            "{:?}",
            fr("Où est-ce à faire ?")
        );
        assert!(!is_stop_word("msss"));
    }

    #[test]
    fn acronyms_survive_analysis() {
        assert_eq!(en("CIHR"), vec!["cihr"]);
        assert_eq!(fr("IRSC"), vec!["irsc"]);
        assert_eq!(fold_words("FRQ–S"), vec!["frq", "s"]);
    }

    #[test]
    fn a_folded_phrase_is_its_folded_words_joined_by_spaces() {
        assert_eq!(
            fold_phrase("Qu'est-ce que l'Unité ?"),
            "qu est ce que l unite"
        );
        assert_eq!(fold_phrase(" … "), "");
    }

    #[test]
    fn tokens_keep_offsets_into_the_original_text() {
        let text = "L'Unité de Québec";
        let toks = tokens(&mut analyzer(Language::Fr), text);
        assert_eq!(&text[toks[0].from..toks[0].to], "Unité");
        assert_eq!(&text[toks[1].from..toks[1].to], "Québec");
    }
}
