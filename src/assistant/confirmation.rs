//! Reading a written reply to an inquiry (email): does it confirm the request, and which
//! optional detail lines (`Nom : …`, `Type : …`) does it carry. French and English, with or
//! without accents; quoted lines (`> …`) are never read.

use crate::text::{clip, fold};

/// Optional details given in a confirming reply (`Organisme : …`, `Type : …`, `Nom : …`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Details {
    pub name: Option<String>,
    pub organization: Option<String>,
    /// The raw text; the caller maps it to a request type.
    pub request_type: Option<String>,
}

/// The words of a folded line (letters, digits and apostrophes).
fn words(folded: &str) -> Vec<&str> {
    folded
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .collect()
}

/// Words that open a greeting line.
const GREETINGS: &[&str] = &[
    "bonjour",
    "bonsoir",
    "salut",
    "allo",
    "hello",
    "hi",
    "hey",
    "dear",
    "cher",
    "chere",
    "chers",
    "cheres",
    "madame",
    "monsieur",
    "mesdames",
    "messieurs",
    "greetings",
    "good",
    "coucou",
    "bon",
];

/// Words that, soon after a confirmation word, turn it into a refusal or a question.
const NEGATIONS: &[&str] = &[
    "pas", "not", "no", "non", "don't", "dont", "jamais", "never", "nope", "plus", "wait",
    "attendez", "n'", "ne",
];

/// Whether the reply's new text confirms: its first meaningful line (greetings skipped)
/// starts with CONFIRM, CONFIRMER, CONFIRMÉ, « je confirme » or "I confirm" (case and
/// accents ignored, « oui » / "yes" allowed before). Negations and questions do not count.
pub fn is_confirmation(text: &str) -> bool {
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('>') {
            continue;
        }
        let folded = fold(line);
        let w = words(&folded);
        if w.is_empty() {
            continue;
        }
        if GREETINGS.contains(&w[0]) {
            // "Bonjour, je confirme" / "Hello team," / "Dear Sir or Madam,"
            if let Some((_, after)) = folded.split_once([',', '!', ';']) {
                let after_words = words(after);
                if !after_words.is_empty() {
                    return confirms(after, &after_words);
                }
                continue;
            }
            if confirms(&folded, &w[1..]) {
                return true;
            }
            if w.len() <= 5 {
                continue;
            }
            return false;
        }
        return confirms(&folded, &w);
    }
    false
}

/// Whether these words start a confirmation (see [`is_confirmation`]).
fn confirms(line: &str, w: &[&str]) -> bool {
    if line.contains('?') {
        return false;
    }
    let mut i = 0;
    if matches!(
        w.first(),
        Some(&"oui") | Some(&"yes") | Some(&"ok") | Some(&"d'accord")
    ) {
        i = 1;
    }
    let head = match (w.get(i), w.get(i + 1)) {
        (Some(&"je"), Some(&"confirme")) | (Some(&"i"), Some(&"confirm")) => 2,
        (Some(&("confirm" | "confirmer" | "confirme" | "confirmee" | "confirmed")), _) => 1,
        _ => return false,
    };
    let after = &w[(i + head).min(w.len())..];
    !after
        .iter()
        .take(3)
        .any(|word| NEGATIONS.contains(word) || word.ends_with("n't") || word.starts_with("n'"))
}

/// Reads the optional detail lines of a confirming reply: `Nom : …` / `Name: …`,
/// `Organisme : …` / `Organisation: …` / `Organization: …` / `Affiliation : …`,
/// `Type : …` / `Type de demande : …` / `Request type: …` (case and accents optional).
/// The first of each wins; empty values and unknown lines are ignored.
pub fn reply_details(text: &str) -> Details {
    let mut details = Details::default();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('>') {
            continue;
        }
        let line = line.trim_start_matches(['-', '*', '•', ' ', '\t']);
        let Some((key, value)) = line.split_once([':', '：']) else {
            continue;
        };
        let key = fold(key);
        let key = key.split_whitespace().collect::<Vec<_>>().join(" ");
        let value = clip(&crate::text::one_safe_line(value), 200);
        // "Organisme : …" copied from our example, unfilled.
        if value.chars().all(|c| matches!(c, '…' | '.' | ' ' | '_')) {
            continue;
        }
        let slot = match key.as_str() {
            "nom" | "name" | "nom complet" | "full name" | "your name" | "votre nom" => {
                &mut details.name
            }
            "organisme"
            | "organisation"
            | "organization"
            | "organisme ou affiliation"
            | "affiliation"
            | "votre organisme"
            | "your organization" => &mut details.organization,
            "type" | "type de demande" | "request type" | "type of request" => {
                &mut details.request_type
            }
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(value);
        }
    }
    details
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirmations_are_recognised_strictly() {
        let yes = [
            "CONFIRMER",
            "confirmer",
            "Confirmer.",
            "CONFIRM",
            "Confirm!",
            "confirmed",
            "Confirmé",
            "CONFIRME",
            "confirmee",
            "Je confirme",
            "je confirme, merci !",
            "Je confirme.",
            "I confirm",
            "i confirm, thanks",
            "Oui je confirme",
            "Oui, je confirme",
            "Yes, I confirm",
            "Bonjour,\n\nCONFIRMER\nOrganisme : Université Laval",
            "Hello,\nConfirm",
            "Bonjour Madame,\r\nje confirme",
            "Hi team,\n\n  confirmed  \n",
            "Bonjour, je confirme.",
            "Bonjour je confirme",
            "Dear Sir or Madam,\nI confirm",
            "\n\n   \nconfirmer\n",
            "Allô,\nConfirmer svp",
            "Bonjour,\n\u{a0}\nCONFIRMÉ",
        ];
        for text in yes {
            assert!(is_confirmation(text), "should confirm: {text:?}");
        }
        let no = [
            "",
            "Bonjour,",
            "I don't confirm",
            "I do not confirm",
            "Je ne confirme pas",
            "Je confirme pas",
            "not confirm",
            "Confirm? I am not sure",
            "Confirmer ?",
            "Pouvez-vous confirmer la date ?",
            "Can you confirm?",
            "Merci pour votre réponse.\nCONFIRMER",
            "Bonjour, merci pour la réponse.\nJe confirme",
            "Hello,\nThanks, that answers it.\nconfirm",
            "confirmation",
            "Confirmez-vous ?",
            "Confirm no",
            "Non, je ne confirme pas",
            "No thanks",
            "yes please log it",
            "> CONFIRMER",
            "Hello there, I have a new question about grants and confirm later",
        ];
        for text in no {
            assert!(!is_confirmation(text), "should not confirm: {text:?}");
        }
    }

    #[test]
    fn reply_details_reads_the_optional_lines() {
        let d = reply_details(
            "CONFIRMER\nNom : Marie Tremblay\nORGANISME: Université Laval\ntype\u{a0}: Lettre d'appui\nCouleur : bleu\nNom : autre",
        );
        assert_eq!(d.name.as_deref(), Some("Marie Tremblay"));
        assert_eq!(d.organization.as_deref(), Some("Université Laval"));
        assert_eq!(d.request_type.as_deref(), Some("Lettre d'appui"));

        let d = reply_details(
            "Confirm\nName: Jane Smith\nOrganization: McGill University\nType: Training",
        );
        assert_eq!(
            d,
            Details {
                name: Some("Jane Smith".into()),
                organization: Some("McGill University".into()),
                request_type: Some("Training".into()),
            }
        );
        let d = reply_details("confirm\norganisation : CIUSSS\n- Type de demande : Formation");
        assert_eq!(d.organization.as_deref(), Some("CIUSSS"));
        assert_eq!(d.request_type.as_deref(), Some("Formation"));
        let d = reply_details("CONFIRMER\nNom : …\nOrganisme : \nType : ...\n> Nom : cité");
        assert_eq!(d, Details::default());
        let d = reply_details("Organisme : Acme Inc.");
        assert_eq!(d.organization.as_deref(), Some("Acme Inc."));
        assert_eq!(
            reply_details("just a question: what is SPOR?"),
            Details::default()
        );
    }
}
