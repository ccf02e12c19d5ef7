//! The form of answer a question asks for, from its wording: a figure ("how many",
//! "combien"), a list ("what are the…", "quels sont…", a keyword query naming things in
//! the plural), and the kind of question (who, where, how, why…). The excerpt then prefers
//! the sentence that has that form, and a section whose heading asks the same kind of
//! question ("Who can make a request?") is preferred for a "who" question. Whether the
//! question speaks to the Unit ("can you", "vos services") is one of the decision's signals.
//! Word lists only, in both languages, folded (no accents).

use std::sync::LazyLock;

use super::analysis::fold_words;
use super::focus::contains_words;

/// What a question asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Asked {
    /// A number, a date or an amount: the excerpt should hold the figure.
    pub number: bool,
    /// Several things (members, types, names): the excerpt should hold the enumeration.
    pub list: bool,
    /// The kind of question, when its wording says it.
    pub kind: Option<Kind>,
    /// The question speaks to the Unit ("can you", "vos services", "the Unit"): it asks
    /// about the Unit itself, the subject of the knowledge base.
    pub addressed: bool,
}

/// Kinds of question that a section heading can also ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Who,
    Where,
    When,
    How,
    Why,
    /// "Can I…", "Is it…", "Est-ce que…", "Puis-je…".
    YesNo,
}

/// Phrases that ask for a number, a date or an amount.
const NUMBER: &[&str] = &[
    "how many",
    "how much",
    "how long",
    "how old",
    "when",
    "what year",
    "which year",
    "since when",
    "until when",
    "what date",
    "what amount",
    "combien",
    "quand",
    "quelle annee",
    "en quelle annee",
    "depuis quand",
    "jusqu a quand",
    "quelle date",
    "quel montant",
    "deadline",
    "date limite",
    "what rate",
    "quel taux",
    "percentage",
    "pourcentage",
];

/// Phrases that ask for several things.
const LIST: &[&str] = &[
    "list",
    "lists",
    "liste",
    "lister",
    "enumerate",
    "enumerer",
    "what are",
    "which are",
    "who are",
    "what kinds",
    "what kind of",
    "what types",
    "kinds of",
    "types of",
    "sorts of",
    "which ones",
    "name the",
    "include",
    "includes",
    "overview",
    "quels sont",
    "quelles sont",
    "qui sont",
    "lesquels",
    "lesquelles",
    "quels types",
    "quelles sortes",
    "types de",
    "sortes de",
    "genres de",
    "comprend",
    "comprennent",
    "inclut",
    "incluent",
    "apercu",
    "survol",
];

/// Openings and phrases of each kind of question (a kind is found at the start of the
/// sentence, or anywhere for the phrases that cannot mean anything else).
const KINDS: &[(Kind, &[&str], &[&str])] = &[
    (
        Kind::Who,
        &["who", "whom", "whose", "qui", "a qui", "pour qui", "de qui"],
        &[
            "who can",
            "who may",
            "who should",
            "who is",
            "who are",
            "qui peut",
            "qui sont",
        ],
    ),
    (
        Kind::Where,
        &["where", "ou", "d ou"],
        &[
            "where can",
            "where do",
            "where is",
            "ou puis je",
            "ou se trouve",
            "ou trouver",
        ],
    ),
    (
        Kind::When,
        &["when", "quand", "depuis quand", "since when"],
        &["what year", "quelle annee"],
    ),
    (
        Kind::How,
        &["how", "comment"],
        &[
            "how do",
            "how can",
            "how to",
            "the steps",
            "what steps",
            "the procedure",
            "the process",
            "marche a suivre",
            "quelles etapes",
            "les etapes",
            "la procedure",
            "comment faire",
            "comment puis je",
        ],
    ),
    (
        Kind::Why,
        &["why", "pourquoi"],
        &["for what reason", "pour quelle raison"],
    ),
    (
        Kind::YesNo,
        &[
            "can",
            "could",
            "may",
            "is",
            "are",
            "do",
            "does",
            "est ce",
            "puis je",
            "peut on",
            "pouvez vous",
            "peut il",
            "peut elle",
            "y a t il",
        ],
        &[],
    ),
];

/// Words that speak to the Unit: the second person (plain and texting forms) and the
/// Unit's own name (folded).
const ADDRESSED: &[&str] = &[
    "you",
    "your",
    "yours",
    "yourselves",
    "u",
    "ur",
    "vous",
    "votre",
    "vos",
    "unit",
    "unite",
];

/// Numbers written as words (folded), which answer "how many" as well as digits do.
const NUMBER_WORDS: &[&str] = &[
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fifteen",
    "twenty",
    "hundred",
    "thousand",
    "million",
    "millions",
    "billion",
    "deux",
    "trois",
    "quatre",
    "cinq",
    "sept",
    "huit",
    "neuf",
    "dix",
    "onze",
    "douze",
    "treize",
    "quinze",
    "vingt",
    "cent",
    "cents",
    "mille",
    "milliard",
    "milliards",
];

/// Whether `text` holds a figure: a digit or a number written as a word ("six criteria",
/// "quatre facultés").
pub fn holds_figure(text: &str) -> bool {
    // Called on every sentence weighed for a figure: no allocation (the number words have
    // no accents, so comparing without case is enough).
    text.bytes().any(|b| b.is_ascii_digit())
        || text
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| NUMBER_WORDS.iter().any(|n| w.eq_ignore_ascii_case(n)))
}

/// Words a keyword query may name several things with even though they end in `s` in the
/// singular, or that do not make a list (folded).
const NOT_PLURAL: &[&str] = &[
    "services",
    "sciences",
    "news",
    "canadas",
    "paris",
    "process",
    "access",
    "status",
    "focus",
    "analysis",
    "basis",
    "thesis",
    "bonus",
    "campus",
    "plus",
    "sans",
    "dans",
    "sous",
    "vers",
    "depuis",
    "apres",
    "temps",
    "pays",
    "corps",
    "cours",
    "succes",
    "acces",
    "processus",
];

struct Folded {
    number: Vec<String>,
    list: Vec<String>,
    kinds: Vec<(Kind, Vec<String>, Vec<String>)>,
}

static FOLDED: LazyLock<Folded> = LazyLock::new(|| {
    let fold = |list: &[&str]| list.iter().map(|p| fold_words(p).join(" ")).collect();
    Folded {
        number: fold(NUMBER),
        list: fold(LIST),
        kinds: KINDS
            .iter()
            .map(|(kind, openings, phrases)| (*kind, fold(openings), fold(phrases)))
            .collect(),
    }
});

impl Asked {
    /// Reads what `question` (one sentence, or a short query) asks for.
    pub fn of(question: &str) -> Asked {
        let words = fold_words(question);
        let folded = words.join(" ");
        let has = |phrases: &[String]| phrases.iter().any(|p| contains_words(&folded, p));
        let kind = kind_of(&folded);
        Asked {
            number: has(&FOLDED.number),
            list: has(&FOLDED.list) || (kind.is_none() && names_things(question, &words)),
            kind,
            addressed: words.iter().any(|w| ADDRESSED.contains(&w.as_str())),
        }
    }
}

/// The kind of question `folded` (folded words) asks: by its opening, else by a phrase
/// that can only ask.
pub fn kind_of(folded: &str) -> Option<Kind> {
    let starts = |p: &String| {
        folded
            .strip_prefix(p.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
    };
    // Wh-openings first: "Can you tell me who…" asks "who", not yes or no.
    let by_phrase = FOLDED
        .kinds
        .iter()
        .find(|(_, _, phrases)| phrases.iter().any(|p| contains_words(folded, p)));
    let by_opening = FOLDED
        .kinds
        .iter()
        .find(|(_, openings, _)| openings.iter().any(starts));
    match (by_opening, by_phrase) {
        (Some((Kind::YesNo, ..)), Some((kind, ..))) => Some(*kind),
        (Some((Kind::YesNo, ..)), None) => Some(embedded_kind(folded).unwrap_or(Kind::YesNo)),
        (Some((kind, ..)), _) | (None, Some((kind, ..))) => Some(*kind),
        (None, None) => None,
    }
}

/// The kind of a question embedded after a yes/no opening ("Could you tell me who…",
/// "Pouvez-vous m'expliquer comment…"): its first unambiguous interrogative word.
fn embedded_kind(folded: &str) -> Option<Kind> {
    folded.split(' ').find_map(|w| match w {
        "who" | "whom" | "whose" => Some(Kind::Who),
        "where" => Some(Kind::Where),
        "when" | "quand" => Some(Kind::When),
        "how" | "comment" => Some(Kind::How),
        "why" | "pourquoi" => Some(Kind::Why),
        _ => None,
    })
}

/// Whether a short keyword query (no question mark, at most five words) names things in
/// the plural ("targeted grant programs", "SUPPORT units across Canada"): a list is
/// wanted.
fn names_things(question: &str, words: &[String]) -> bool {
    if question.contains('?') || words.len() > 5 {
        return false;
    }
    let original: Vec<&str> = question
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words.iter().zip(original).any(|(w, o)| {
        // An acronym in capitals ("CIUSSS") is a name, not a plural.
        let acronym = o.chars().filter(|c| c.is_uppercase()).count() > 1;
        w.len() >= 5
            && (w.ends_with('s') || w.ends_with('x'))
            && !w.ends_with("ss")
            && !acronym
            && !NOT_PLURAL.contains(&w.as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_asked_in_both_languages() {
        assert!(Asked::of("How many institutes make up CIHR?").number);
        assert!(Asked::of("En quelle annee l'Unite a-t-elle ete creee?").number);
        assert!(Asked::of("Depuis quand existe le Réseau-1?").number);
        assert!(!Asked::of("Who directs the Unit?").number);
        assert!(Asked::of("Quelle est la date limite du concours?").number);
    }

    #[test]
    fn a_question_to_the_unit_is_addressed_in_every_register() {
        for q in [
            "Can you help me plan a grant application?",
            "how do i even ask u guys for help",
            "Pouvez-vous m'aider à monter mon dossier?",
            "Ça s'rait-tu possible d'avoir du cash de vous autres?",
            "À qui s'adressent vos services?",
            "What does the Unit fund?",
            "Qui dirige l'Unité?",
        ] {
            assert!(Asked::of(q).addressed, "{q}");
        }
        for q in [
            "What indirect cost rate does Université Laval charge?",
            "Qui est le ministre de la Santé du Québec?",
            "date limite bourses FRQS",
        ] {
            assert!(!Asked::of(q).addressed, "{q}");
        }
    }

    #[test]
    fn a_figure_is_digits_or_a_number_word() {
        assert!(holds_figure("since 2014"));
        assert!(holds_figure("Une demande doit respecter six critères."));
        assert!(holds_figure("the four faculties of medicine"));
        assert!(!holds_figure("The Unit cannot fund graduate students."));
        assert!(!holds_figure(
            "Les étudiants ne peuvent pas recevoir de bourse."
        ));
    }

    #[test]
    fn lists_are_asked_by_wording_or_by_a_plural_keyword_query() {
        assert!(Asked::of("Quels sont les réseaux de la SRAP?").list);
        assert!(Asked::of("What kinds of clinics are in Réseau-1?").list);
        assert!(Asked::of("targeted grant programs").list);
        assert!(Asked::of("SPOR networks list").list);
        assert!(!Asked::of("LHS portal link").list);
        assert!(!Asked::of("CIUSSS").list);
        assert!(!Asked::of("Who can make a request?").list);
    }

    #[test]
    fn the_kind_of_question_comes_from_its_opening_or_an_asking_phrase() {
        assert_eq!(kind_of("who can submit a request"), Some(Kind::Who));
        assert_eq!(kind_of("a qui s adressent vos services"), Some(Kind::Who));
        assert_eq!(
            kind_of("could you tell me who co directs the unit"),
            Some(Kind::Who)
        );
        assert_eq!(
            kind_of("quelle est la marche a suivre pour soumettre une demande"),
            Some(Kind::How)
        );
        assert_eq!(kind_of("comment presenter une demande"), Some(Kind::How));
        assert_eq!(
            kind_of("puis je enregistrer un brouillon"),
            Some(Kind::YesNo)
        );
        assert_eq!(kind_of("lhs portal link"), None);
    }
}
