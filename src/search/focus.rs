//! Question focus: finds what a message actually asks. A chat line is usually the question
//! itself, but an email wraps it in a greeting, a self-introduction, some background,
//! thanks and a signature, none of which any passage of the knowledge base will cover.
//!
//! The message is cut into sentences (French and English); greetings, thanks, sign-offs
//! and what follows them (the signature) are dropped; self-introductions and background
//! become weak *context*; the sentences that ask something (a question mark, an
//! interrogative opening, "I'd like to know", "pourriez-vous", an imperative request) are
//! the *questions*. Only word lists decide, no per-question rule.

use super::analysis::{fold_phrase, is_stop_word};

/// The most questions kept from one message (a long email may ask a few things).
pub const MAX_QUESTIONS: usize = 3;

/// What a message asks, and what surrounds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Focus {
    /// The sentences that ask something, in message order (at least one when the message
    /// has any content: a message that asks nothing explicitly is its own question).
    pub questions: Vec<String>,
    /// Background sentences (self-introduction, situation), searched with a low weight.
    pub context: String,
    /// Each question that follows a statement, read with that statement ("I heard there
    /// was a call to evaluate Aire ouverte. What was the maximum funding?"): the question
    /// may name its topic only by "that", "ce service" or "le cas".
    pub with_lead: Vec<String>,
}

impl Focus {
    /// The questions joined into one text.
    pub fn joined(&self) -> String {
        self.questions.join(" ")
    }
}

/// Openings that greet (folded words).
const GREETINGS: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "dear",
    "good morning",
    "good afternoon",
    "good evening",
    "greetings",
    "bonjour",
    "bonsoir",
    "salut",
    "allo",
    "allô",
    "cher",
    "chere",
    "chers",
    "madame",
    "monsieur",
    "mesdames",
    "to whom it may concern",
    "a qui de droit",
];

/// Openings that thank or sign off; what follows a sign-off is a signature.
const SIGN_OFFS: &[&str] = &[
    "thanks",
    "thank you",
    "thank u",
    "thx",
    "many thanks",
    "cheers",
    "best",
    "best regards",
    "kind regards",
    "warm regards",
    "regards",
    "sincerely",
    "yours",
    "all the best",
    "looking forward",
    "have a nice day",
    "have a great day",
    "merci",
    "mille mercis",
    "cordialement",
    "salutations",
    "bien a vous",
    "au plaisir",
    "bonne journee",
    "bonne fin de journee",
    "a bientot",
    "amities",
    "sent from my",
    "envoye de mon",
];

/// Openings of a self-introduction or of background.
const INTRODUCTIONS: &[&str] = &[
    "i m",
    "i am",
    "im",
    "my name",
    "we are",
    "we re",
    "i work",
    "i just",
    "i recently",
    "i have",
    "i ve",
    "i was",
    "i run",
    "i lead",
    "i teach",
    "i study",
    "i m writing",
    "i am writing",
    "our team",
    "my team",
    "my supervisor",
    "my colleague",
    "je suis",
    "je m appelle",
    "moi c est",
    "nous sommes",
    "je travaille",
    "j ai",
    "je viens",
    "je vous ecris",
    "je fais",
    "je termine",
    "je prepare",
    "mon equipe",
    "notre equipe",
    "ma directrice",
    "mon directeur",
    "mon superviseur",
    "ma superviseure",
];

/// Words that open a question.
const INTERROGATIVES: &[&str] = &[
    "what",
    "whats",
    "what s",
    "who",
    "whom",
    "whose",
    "how",
    "when",
    "where",
    "which",
    "why",
    "is",
    "are",
    "was",
    "were",
    "can",
    "could",
    "would",
    "will",
    "do",
    "does",
    "did",
    "should",
    "may",
    "might",
    "has",
    "have",
    "any",
    "qui",
    "que",
    "quoi",
    "quel",
    "quelle",
    "quels",
    "quelles",
    "comment",
    "quand",
    "pourquoi",
    "combien",
    "est ce",
    "est ce que",
    "est ce qu",
    "pouvez",
    "pourriez",
    "puis je",
    "peut on",
    "peut il",
    "peut elle",
    "peux tu",
    "y a t il",
    "c est quoi",
    "c koi",
    "ckoi",
    "qu est ce",
    "existe t il",
    "pis",
];

/// Phrases that ask without a question mark, anywhere in a sentence.
const REQUEST_PHRASES: &[&str] = &[
    "i d like to know",
    "i would like to know",
    "i want to know",
    "i wonder",
    "i m wondering",
    "i am wondering",
    "i was wondering",
    "could you",
    "can you",
    "would you",
    "please",
    "tell me",
    "let me know",
    "explain",
    "i m looking for",
    "i am looking for",
    "looking for",
    "i need",
    "i d like",
    "i would like",
    "j aimerais",
    "je voudrais",
    "je me demande",
    "je me demandais",
    "pourriez vous",
    "pouvez vous",
    "pourrais je",
    "svp",
    "s il vous plait",
    "s il te plait",
    "merci de me",
    "je cherche",
    "je suis a la recherche",
    "j ai besoin",
    "dites moi",
    "expliquez",
    "indiquer",
    "savoir si",
    "savoir comment",
    "savoir quel",
    "savoir quelle",
    "know whether",
    "know if",
    "know how",
];

/// Finds the questions and the context of `text`.
pub fn extract(text: &str) -> Focus {
    let mut questions = Vec::new();
    let mut content = Vec::new();
    let mut context = Vec::new();
    let mut signed_off = false;
    // Where the last statement went, so a question with no topic of its own can take it.
    enum Kept {
        Content,
        Context,
    }
    let mut last_kept: Option<Kept> = None;
    let mut with_lead = Vec::new();
    for sentence in sentences(text) {
        let (sentence, folded) = strip_greeting(&sentence);
        if folded.is_empty() {
            continue;
        }
        let asks = sentence.trim_end().ends_with('?') || asks_without_mark(&folded);
        if starts_with_any(&folded, &FOLDED.sign_offs) && !sentence.contains('?') {
            // Thanks, sign-off, and from there on a signature: unless a real question
            // follows (a "P.S. one more thing?"), the rest is not asked.
            signed_off = true;
            continue;
        }
        if signed_off && !asks {
            continue;
        }
        if asks {
            let mut question = sentence.to_string();
            if content_words(&folded) < MIN_CONTENT_WORDS {
                // "Is that possible?", "Pourriez-vous me confirmer si c'est le cas?": the
                // topic is in the sentence before.
                if let Some(previous) = last_kept.take().and_then(|k| match k {
                    Kept::Content => content.pop(),
                    Kept::Context => context.pop(),
                }) {
                    question = format!("{previous} {question}");
                }
            } else if let Some(previous) = match last_kept {
                Some(Kept::Content) => content.last(),
                Some(Kept::Context) => context.last(),
                None => None,
            } {
                with_lead.push(format!("{previous} {question}"));
            }
            questions.push(question);
            last_kept = None;
        } else if starts_with_any(&folded, &FOLDED.introductions) {
            context.push(sentence.to_string());
            last_kept = Some(Kept::Context);
        } else {
            content.push(sentence.to_string());
            last_kept = Some(Kept::Content);
        }
    }
    if questions.is_empty() {
        // Nothing is asked explicitly ("eligibility criteria", "I need a letter"): the
        // statements are the question, or the introduction if that is all there is.
        questions = if content.is_empty() {
            std::mem::take(&mut context)
        } else {
            std::mem::take(&mut content)
        };
        if questions.len() > 1 {
            questions = vec![questions.join(" ")];
        }
    } else {
        context.extend(content);
    }
    with_lead.truncate(MAX_QUESTIONS);
    if questions.len() > MAX_QUESTIONS {
        // Keep the first ones as questions; the rest still count as context.
        let rest = questions.split_off(MAX_QUESTIONS);
        context.extend(rest);
    }
    Focus {
        questions,
        context: context.join(" "),
        with_lead,
    }
}

/// Whether `text` asks something explicitly: a sentence (greetings aside) ends with a
/// question mark or opens like a question or a request ("how", "pourriez-vous", "I'd like
/// to know"). "Thanks, I'll be back Monday" and "Test" do not.
pub fn asks_explicitly(text: &str) -> bool {
    sentences(text).iter().any(|sentence| {
        let (sentence, folded) = strip_greeting(sentence);
        !folded.is_empty()
            && !starts_with_any(&folded, &FOLDED.sign_offs)
            && (sentence.trim_end().ends_with('?') || asks_without_mark(&folded))
    })
}

/// Words that shape a question rather than name its topic ("tell me", "what does it
/// mean", "how many", "any info"): they are searched, but weigh little in how much of the
/// question a passage must cover. Folded.
const ASKING_WORDS: &[&str] = &[
    "tell",
    "explain",
    "know",
    "mean",
    "means",
    "meaning",
    "stand",
    "stands",
    "number",
    "many",
    "much",
    "list",
    "kind",
    "kinds",
    "type",
    "types",
    "exactly",
    "really",
    "possible",
    "able",
    "get",
    "find",
    "want",
    "need",
    "like",
    "way",
    "thing",
    "things",
    "anything",
    "something",
    "info",
    "information",
    "details",
    "overview",
    "include",
    "includes",
    "comprise",
    "comprises",
    "consist",
    "consists",
    "exist",
    "exists",
    "guys",
    "lol",
    "currently",
    "still",
    "give",
    "work",
    "works",
    "nombre",
    "signification",
    "veut",
    "expliquer",
    "explique",
    "exactement",
    "vraiment",
    "possible",
    "trouver",
    "obtenir",
    "chose",
    "choses",
    "genre",
    "liste",
    "information",
    "informations",
    "details",
    "apercu",
    "comprend",
    "comprennent",
    "inclut",
    "incluent",
    "comporte",
    "comportent",
    "existe",
    "quelque",
    "quelqu",
    "pis",
    "ca",
    "chu",
    "faire",
    "fais",
    "fait",
    "donner",
    "aller",
    "acronyme",
    "acronym",
    "sigle",
    "definition",
    "definir",
];

/// Whether a folded word only shapes the question (see [`ASKING_WORDS`]).
pub fn is_asking_word(folded: &str) -> bool {
    ASKING_WORDS.contains(&folded)
}

/// A question with fewer words of its own than this refers to the sentence before it.
const MIN_CONTENT_WORDS: usize = 2;

/// The words of a folded sentence that can name a topic (not stop words, not asking words).
fn content_words(folded: &str) -> usize {
    folded
        .split(' ')
        .filter(|w| w.chars().count() >= 3 && !is_stop_word(w) && !is_asking_word(w))
        .count()
}

/// Whether a sentence asks something without a question mark.
fn asks_without_mark(folded: &str) -> bool {
    starts_with_any(folded, &FOLDED.interrogatives) && folded.split(' ').count() >= 3
        || FOLDED
            .request_phrases
            .iter()
            .any(|p| contains_words(folded, p))
}

/// Removes a leading greeting ("Hello,", "Bonjour à toute l'équipe,", "Dear Unit,") and
/// returns the rest with its folded words; a sentence that is only a greeting is empty.
fn strip_greeting(sentence: &str) -> (&str, String) {
    let folded = fold_phrase(sentence);
    if !starts_with_any(&folded, &FOLDED.greetings) {
        return (sentence, folded);
    }
    // The greeting runs to the first comma, colon or exclamation mark when that is near
    // the start; else the whole sentence is a greeting if it is short.
    if let Some(i) = sentence.find([',', ':', '!']) {
        let head_words = sentence[..i].split_whitespace().count();
        if head_words <= 5 {
            let rest = sentence[i + 1..].trim();
            return (rest, fold_phrase(rest));
        }
    }
    if folded.split(' ').count() <= 4 {
        return ("", String::new());
    }
    (sentence, folded)
}

/// Cuts `text` into sentences at `.`, `?`, `!` and line ends, keeping the punctuation,
/// and not after common abbreviations ("Dr.", "M.", "e.g.") or inside numbers ("3.5").
pub fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        let mut start = 0;
        for (k, &(i, c)) in chars.iter().enumerate() {
            if !matches!(c, '.' | '?' | '!' | '…') {
                continue;
            }
            let next = chars.get(k + 1).map(|&(_, c)| c);
            if !matches!(next, None | Some(' ') | Some('\u{a0}')) {
                continue;
            }
            if c == '.' && is_abbreviation(&line[start..i]) {
                continue;
            }
            let end = i + c.len_utf8();
            push_sentence(&mut out, &line[start..end]);
            start = end;
        }
        push_sentence(&mut out, &line[start..]);
    }
    out
}

fn push_sentence(out: &mut Vec<String>, piece: &str) {
    let piece = piece.trim();
    if piece.chars().any(char::is_alphanumeric) {
        out.push(piece.to_string());
    }
}

/// Whether the text before a period ends with an abbreviation or an initial.
fn is_abbreviation(before: &str) -> bool {
    let last = before
        .rsplit(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or("");
    let lower = last.to_lowercase();
    const ABBREVIATIONS: &[&str] = &[
        "dr", "dre", "mr", "mrs", "ms", "m", "mme", "mlle", "st", "ste", "e.g", "i.e", "etc", "vs",
        "p", "pr", "prof", "no", "inc", "ltd", "ph", "ph.d", "approx", "env",
    ];
    ABBREVIATIONS.contains(&lower.as_str())
        || (last.chars().count() == 1 && last.chars().all(char::is_uppercase))
}

/// The phrase lists, folded once (folding every phrase for every sentence made reading
/// an email cost more than half a millisecond).
struct FoldedLists {
    greetings: Vec<String>,
    sign_offs: Vec<String>,
    introductions: Vec<String>,
    interrogatives: Vec<String>,
    request_phrases: Vec<String>,
}

static FOLDED: std::sync::LazyLock<FoldedLists> = std::sync::LazyLock::new(|| {
    let fold = |list: &[&str]| list.iter().map(|p| fold_phrase(p)).collect();
    FoldedLists {
        greetings: fold(GREETINGS),
        sign_offs: fold(SIGN_OFFS),
        introductions: fold(INTRODUCTIONS),
        interrogatives: fold(INTERROGATIVES),
        request_phrases: fold(REQUEST_PHRASES),
    }
});

/// Whether `folded` is one of the folded `openings` or starts with one and a space.
fn starts_with_any(folded: &str, openings: &[String]) -> bool {
    openings.iter().any(|o| {
        folded
            .strip_prefix(o.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
    })
}

/// Whether the folded `phrase` stands in `folded` as whole words.
pub(super) fn contains_words(folded: &str, phrase: &str) -> bool {
    folded.match_indices(phrase).any(|(i, _)| {
        let end = i + phrase.len();
        (i == 0 || folded.as_bytes()[i - 1] == b' ')
            && (end == folded.len() || folded.as_bytes()[end] == b' ')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chat_question_is_its_own_focus() {
        let f = extract("Quels sont les critères d'admissibilité?");
        assert_eq!(
            f.questions,
            vec!["Quels sont les critères d'admissibilité?"]
        );
        assert!(f.context.is_empty());
        let f = extract("eligibility criteria");
        assert_eq!(f.questions, vec!["eligibility criteria"]);
    }

    #[test]
    fn an_english_email_keeps_the_question_and_drops_greeting_intro_and_signature() {
        let f = extract(
            "Hello, I'm finishing my master's in nursing at Université de Sherbrooke and I'm \
             very interested in patient-oriented research. My supervisor mentioned that Quebec \
             has a fellowship program. Could you tell me whether the FRQ fellowship program is \
             something I could apply to? Thanks a lot for your time. Best regards, Maya Thompson",
        );
        assert_eq!(f.questions.len(), 1, "{f:?}");
        assert!(f.questions[0].starts_with("Could you tell me whether"));
        assert!(f.context.contains("finishing my master's"), "{f:?}");
        assert!(!f.context.contains("Maya") && !f.context.contains("Thanks"));
    }

    #[test]
    fn a_french_email_without_question_mark_is_understood() {
        let f = extract(
            "Bonjour,\n\nJe suis doctorante à l'Université Laval. J'aimerais savoir si \
             l'Unité peut financer mon projet de thèse.\n\nMerci à l'avance,\nJulie Tremblay\n\
             Doctorante, Faculté de médecine",
        );
        assert_eq!(
            f.questions,
            vec!["J'aimerais savoir si l'Unité peut financer mon projet de thèse."]
        );
        assert_eq!(f.context, "Je suis doctorante à l'Université Laval.");
    }

    #[test]
    fn two_questions_are_both_kept() {
        let f = extract(
            "Hi team, two things. Who can submit a request to the Unit? And is there a fee \
             for an exploratory meeting? Cheers, Sam",
        );
        assert_eq!(f.questions.len(), 2, "{f:?}");
        assert!(f.questions[0].starts_with("Who can submit"));
        assert!(f.questions[1].contains("fee"));
    }

    #[test]
    fn quoted_history_after_the_signature_is_not_asked() {
        let f = extract(
            "Quel est le délai pour une lettre d'appui?\nMerci,\nAnne\n\nLe 3 mars, guichet a \
             écrit :\nVoici ce que nous avons trouvé sur le financement.",
        );
        assert_eq!(
            f.questions,
            vec!["Quel est le délai pour une lettre d'appui?"]
        );
        assert!(!f.context.contains("financement"));
    }

    #[test]
    fn abbreviations_and_numbers_do_not_cut_sentences() {
        let s = sentences("Dr. Vanasse était directeur de 2019 à 2021. Il a 3.5 ans? Oui.");
        assert_eq!(
            s,
            vec![
                "Dr. Vanasse était directeur de 2019 à 2021.",
                "Il a 3.5 ans?",
                "Oui."
            ]
        );
    }

    #[test]
    fn a_question_after_a_statement_is_also_read_with_it() {
        let f = extract(
            "Hello, I'm an evaluation researcher. I heard there was a call to evaluate the \
             Aire ouverte sites. What was the maximum funding available for that evaluation? \
             Thank you, Dr. Roy",
        );
        assert_eq!(
            f.questions,
            vec!["What was the maximum funding available for that evaluation?"]
        );
        assert_eq!(
            f.with_lead,
            vec![
                "I heard there was a call to evaluate the Aire ouverte sites. What was the \
                  maximum funding available for that evaluation?"
            ]
        );
        // A question that opens the message has no statement to lean on.
        assert!(extract("What is GRIIS? Who leads it?").with_lead.is_empty());
    }

    #[test]
    fn a_question_without_a_topic_takes_the_sentence_before() {
        let f = extract(
            "Hi, I'm a master's student. I was hoping the Unit might offer scholarships to \
             students like me. Is that possible? Thanks, Julie",
        );
        assert_eq!(
            f.questions,
            vec!["I was hoping the Unit might offer scholarships to students like me. Is that possible?"]
        );
        assert_eq!(f.context, "I'm a master's student.");
    }

    #[test]
    fn a_lone_greeting_or_thanks_asks_nothing() {
        assert!(extract("Bonjour!").questions.is_empty());
        assert!(extract("Thanks a lot!").questions.is_empty());
    }
}
