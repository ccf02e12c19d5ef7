//! Reading what a person means from a short message: yes or no, cancel, a greeting, a wish
//! to make a request, a correction of an intake field, a request type. French and English,
//! with or without accents.

use crate::requests::model::RequestType;
use crate::search::analysis::fold_words;

use super::Field;

/// Folded words of `text` ("J'accepte!" → ["j", "accepte"]).
fn words(text: &str) -> Vec<String> {
    fold_words(text)
}

fn joined(text: &str) -> String {
    format!(" {} ", words(text).join(" "))
}

/// Whether `text` asks something explicitly (see [`crate::search::focus::asks_explicitly`]):
/// a follow-up that does not is kept, not answered.
pub fn asks(text: &str) -> bool {
    crate::search::focus::asks_explicitly(text)
}

/// `Some(true)` for yes, `Some(false)` for no, `None` when the message is neither.
pub fn yes_no(text: &str) -> Option<bool> {
    let w = words(text);
    if w.is_empty() || w.len() > 6 {
        return None;
    }
    let j = joined(text);
    const NO: &[&str] = &[
        " no ",
        " nope ",
        " non ",
        " refuse ",
        " je refuse ",
        " i do not agree ",
        " disagree ",
        " pas d accord ",
        " not now ",
        " pas maintenant ",
        " no thanks ",
        " non merci ",
    ];
    const YES: &[&str] = &[
        " yes ",
        " y ",
        " yeah ",
        " yep ",
        " ok ",
        " okay ",
        " sure ",
        " agree ",
        " i agree ",
        " oui ",
        " o ",
        " ouais ",
        " d accord ",
        " daccord ",
        " accepte ",
        " j accepte ",
        " confirm ",
        " confirmer ",
        " confirme ",
        " send ",
        " envoyer ",
        " envoie ",
        " go ",
        " parfait ",
        " bien sur ",
        " of course ",
        " please do ",
        " volontiers ",
    ];
    if NO.iter().any(|p| j.contains(p)) {
        return Some(false);
    }
    if YES.iter().any(|p| j.contains(p)) {
        return Some(true);
    }
    None
}

/// A short message that asks to stop the current request.
pub fn is_cancel(text: &str) -> bool {
    let w = words(text);
    if w.is_empty() || w.len() > 4 {
        return false;
    }
    w.iter().any(|x| {
        matches!(
            x.as_str(),
            "cancel"
                | "annuler"
                | "annule"
                | "annulez"
                | "stop"
                | "arreter"
                | "arrete"
                | "abandonner"
                | "quit"
                | "abort"
        )
    })
}

/// A greeting or a call for help, with nothing else to search.
pub fn is_greeting(text: &str) -> bool {
    let w = words(text);
    if w.len() > 4 {
        return false;
    }
    if w.is_empty() {
        return text.trim() == "?";
    }
    const GREETINGS: &[&str] = &[
        "hi", "hello", "hey", "bonjour", "salut", "allo", "bonsoir", "coucou", "help", "aide",
        "aidez", "menu", "start", "morning", "good", "bon", "matin", "yo",
    ];
    w.iter().all(|x| {
        GREETINGS.contains(&x.as_str()) || matches!(x.as_str(), "moi" | "me" | "please" | "svp")
    })
}

/// A message asking for the staff's help rather than for information.
pub fn wants_request(text: &str) -> bool {
    let w = words(text);
    if w.len() > 20 {
        return false;
    }
    let j = joined(text);
    const PHRASES: &[&str] = &[
        " make a request ",
        " request support ",
        " request help ",
        " submit a request ",
        " new request ",
        " like to request ",
        " want to request ",
        " need support ",
        " need help from ",
        " talk to staff ",
        " talk to someone ",
        " speak to someone ",
        " speak to a person ",
        " contact staff ",
        " contact the staff ",
        " human ",
        " faire une demande ",
        " deposer une demande ",
        " soumettre une demande ",
        " nouvelle demande ",
        " demande de soutien ",
        " demander du soutien ",
        " demander de l aide ",
        " parler a quelqu un ",
        " parler a une personne ",
        " parler a l equipe ",
        " joindre l equipe ",
        " contacter l equipe ",
        " besoin de soutien ",
        " besoin d aide ",
    ];
    PHRASES.iter().any(|p| j.contains(p))
}

/// Whether the message reads as a question rather than an answer to an intake field.
pub fn looks_like_question(text: &str) -> bool {
    if text.trim_end().ends_with('?') {
        return true;
    }
    let w = words(text);
    let Some(first) = w.first() else { return false };
    const STARTS: &[&str] = &[
        "what", "who", "whom", "which", "where", "when", "why", "how", "is", "are", "does", "do",
        "can", "could", "qu", "quel", "quelle", "quels", "quelles", "qui", "quoi", "comment", "ou",
        "pourquoi", "combien", "quand", "est",
    ];
    STARTS.contains(&first.as_str()) && w.len() >= 3
}

/// The intake field a word names, in either language.
pub fn field_named(word: &str) -> Option<Field> {
    Some(match word {
        "name" | "nom" => Field::Name,
        "email" | "mail" | "courriel" | "adresse" | "e" => Field::Email,
        "organization" | "organisation" | "organisme" | "affiliation" | "org" => {
            Field::Organization
        }
        "type" => Field::Type,
        "description" | "descriptif" => Field::Description,
        _ => return None,
    })
}

/// "email: jane@x.ca", "my name is Jane", "mon courriel est …": a field and its new value.
pub fn correction(text: &str) -> Option<(Field, String)> {
    let trimmed = text.trim();
    if let Some((head, value)) = trimmed.split_once(':') {
        let head_words = words(head);
        if (1..=2).contains(&head_words.len()) {
            let field = head_words.iter().rev().find_map(|w| field_named(w))?;
            let value = value.trim();
            return (!value.is_empty()).then(|| (field, value.to_string()));
        }
    }
    let lower = trimmed.to_lowercase();
    const PREFIXES: &[(&str, Field)] = &[
        ("my name is ", Field::Name),
        ("je m'appelle ", Field::Name),
        ("je m’appelle ", Field::Name),
        ("mon nom est ", Field::Name),
        ("my email is ", Field::Email),
        ("my email address is ", Field::Email),
        ("mon courriel est ", Field::Email),
        ("mon adresse courriel est ", Field::Email),
        ("mon adresse est ", Field::Email),
    ];
    for (prefix, field) in PREFIXES {
        if lower.starts_with(prefix) {
            let value = trimmed[prefix.len()..].trim().trim_end_matches('.');
            return (!value.is_empty()).then(|| (*field, value.to_string()));
        }
    }
    None
}

/// "change email", "modifier la description": the field to ask again.
pub fn change_request(text: &str) -> Option<Field> {
    let w = words(text);
    if w.len() > 5 {
        return None;
    }
    let verb = w.iter().any(|x| {
        matches!(
            x.as_str(),
            "change"
                | "modify"
                | "edit"
                | "correct"
                | "fix"
                | "update"
                | "modifier"
                | "changer"
                | "corriger"
                | "modifie"
        )
    });
    if !verb {
        return None;
    }
    w.iter().find_map(|x| field_named(x))
}

/// The first email-looking word of a message ("it's jane@x.ca thanks" → "jane@x.ca").
pub fn email_candidate(text: &str) -> Option<&str> {
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '<' | '>' | '(' | ')'))
        .map(|w| w.trim_matches(|c: char| matches!(c, '.' | '"' | '\'' | '«' | '»')))
        .find(|w| w.contains('@'))
}

/// A request type from a number (1 to 8), a code, or words in either language.
pub fn request_type(text: &str) -> Option<RequestType> {
    let w = words(text);
    if let Some(n) = w.iter().find_map(|x| x.parse::<usize>().ok()) {
        return n
            .checked_sub(1)
            .and_then(|i| RequestType::ALL.get(i))
            .copied();
    }
    let trimmed = text.trim().to_lowercase();
    if let Some(t) = RequestType::parse_code(&trimmed) {
        return Some(t);
    }
    request_type_mentioned(text)
}

/// The request type a free text mentions in words ("a letter of support", "une
/// formation"), never by a number: in a description, "2 years" is not type 2.
pub fn request_type_mentioned(text: &str) -> Option<RequestType> {
    let w = words(text);
    let has = |keys: &[&str]| w.iter().any(|x| keys.contains(&x.as_str()));
    if joined(text).contains(" en cours ") || has(&["ongoing", "current", "existing", "actuel"]) {
        Some(RequestType::OngoingProject)
    } else if has(&["lettre", "letter", "appui"]) {
        Some(RequestType::LetterOfSupport)
    } else if has(&[
        "subvention",
        "subventions",
        "grant",
        "grants",
        "financement",
        "funding",
    ]) {
        Some(RequestType::GrantApplication)
    } else if has(&["communaute", "community", "pratique", "practice"]) {
        Some(RequestType::CommunityOfPractice)
    } else if has(&["outil", "outils", "tool", "tools", "plateforme", "platform"]) {
        Some(RequestType::ToolOrPlatform)
    } else if has(&[
        "formation",
        "formations",
        "training",
        "cours",
        "course",
        "webinaire",
        "webinar",
    ]) {
        Some(RequestType::Training)
    } else if has(&[
        "partenariat",
        "partnership",
        "partenaire",
        "partner",
        "public",
    ]) {
        Some(RequestType::Partnership)
    } else if has(&[
        "exploratoire",
        "exploratory",
        "rencontre",
        "meeting",
        "reunion",
    ]) {
        Some(RequestType::ExploratoryMeeting)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yes_and_no_in_both_languages() {
        for y in [
            "yes",
            "Oui",
            "OK!",
            "d'accord",
            "J'accepte",
            "confirmer",
            "I agree",
        ] {
            assert_eq!(yes_no(y), Some(true), "{y}");
        }
        for n in ["no", "Non.", "je refuse", "No thanks", "pas d'accord"] {
            assert_eq!(yes_no(n), Some(false), "{n}");
        }
        assert_eq!(yes_no("What is the CIHR?"), None);
        assert_eq!(yes_no("Marie Tremblay"), None);
    }

    #[test]
    fn cancel_greetings_and_requests() {
        assert!(is_cancel("annuler") && is_cancel("Cancel please") && is_cancel("Annulé"));
        assert!(!is_cancel(
            "how do I cancel a request I sent to the unit last week"
        ));
        assert!(
            is_greeting("Bonjour!")
                && is_greeting("hello")
                && is_greeting("help")
                && is_greeting("?")
        );
        assert!(!is_greeting("bonjour, qui finance l'unité ?"));
        assert!(wants_request("I'd like to request support"));
        assert!(wants_request("je voudrais faire une demande"));
        assert!(wants_request(
            "Je voudrais faire une demande de soutien svp"
        ));
        assert!(!wants_request("What is the CIHR?"));
    }

    #[test]
    fn questions_are_told_apart_from_answers() {
        assert!(looks_like_question("What is the CIHR?"));
        assert!(looks_like_question("qu'est-ce que le FRQ"));
        assert!(looks_like_question("comment faire une demande"));
        assert!(!looks_like_question("Marie Tremblay"));
        assert!(!looks_like_question("Université Laval"));
    }

    #[test]
    fn corrections_name_their_field() {
        assert_eq!(
            correction("email: jane@x.ca"),
            Some((Field::Email, "jane@x.ca".into()))
        );
        assert_eq!(
            correction("Nom : Marie Tremblay"),
            Some((Field::Name, "Marie Tremblay".into()))
        );
        assert_eq!(
            correction("my name is Jane Smith."),
            Some((Field::Name, "Jane Smith".into()))
        );
        assert_eq!(
            correction("mon courriel est marie@ulaval.ca"),
            Some((Field::Email, "marie@ulaval.ca".into()))
        );
        assert_eq!(correction("Note: I need help with a grant"), None);
        assert_eq!(change_request("change email"), Some(Field::Email));
        assert_eq!(
            change_request("modifier la description"),
            Some(Field::Description)
        );
        assert_eq!(change_request("confirm"), None);
    }

    #[test]
    fn request_types_from_numbers_codes_and_words() {
        assert_eq!(request_type("3"), Some(RequestType::GrantApplication));
        assert_eq!(request_type("9"), None);
        assert_eq!(
            request_type("letter_of_support"),
            Some(RequestType::LetterOfSupport)
        );
        assert_eq!(
            request_type("une lettre d'appui"),
            Some(RequestType::LetterOfSupport)
        );
        assert_eq!(
            request_type("help with a grant application"),
            Some(RequestType::GrantApplication)
        );
        assert_eq!(request_type("formation"), Some(RequestType::Training));
        assert_eq!(
            request_type("projet en cours"),
            Some(RequestType::OngoingProject)
        );
        assert_eq!(
            request_type("communaute de pratique"),
            Some(RequestType::CommunityOfPractice)
        );
        assert_eq!(request_type("banana"), None);
        assert_eq!(
            request_type_mentioned("Our 2 year project needs a letter of support"),
            Some(RequestType::LetterOfSupport)
        );
        assert_eq!(request_type_mentioned("We have 3 questions"), None);
    }

    #[test]
    fn finds_an_email_in_a_sentence() {
        assert_eq!(
            email_candidate("it's jane@umontreal.ca, thanks"),
            Some("jane@umontreal.ca")
        );
        assert_eq!(
            email_candidate("<marie@ulaval.ca>"),
            Some("marie@ulaval.ca")
        );
        assert_eq!(email_candidate("no address"), None);
    }
}
