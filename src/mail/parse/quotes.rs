//! Quoted replies, reply headers, signatures and mobile footers, removed from the new text
//! of a message, in French and English.

use super::body::normalise_whitespace;
use crate::text::fold;

/// Removes quoted replies, reply headers and the signature from `text`, in French and
/// English: `>` lines; "On … wrote:" / "Le … a écrit :" attributions (also over two lines);
/// Outlook "-----Original Message-----" / "-----Message d'origine-----" separators and
/// "From: … Sent: … To: … Subject:" / "De : … Envoyé : … À : … Objet :" header blocks; the
/// "-- " signature delimiter and everything after it; mobile footers ("Sent from my
/// iPhone", "Envoyé de mon iPhone", "Sent from Outlook for …", "Obtenir Outlook pour …").
///
/// A forwarded message ("---------- Forwarded message ---------", "Message transféré") is
/// new content for us and is kept from its marker on.
///
/// An attribution followed by `>` lines only removes the attribution (the `>` lines go
/// anyway), so answers written between quoted lines are kept; an attribution or reply
/// header followed by unmarked text ends the new text. If nothing would be left (a message
/// that is only a quote), the original text is returned, trimmed.
pub fn strip_quoted(text: &str) -> String {
    let normalised = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = normalised.split('\n').collect();
    let forward_at = lines.iter().position(|l| is_forward_marker(l));
    let end = forward_at.unwrap_or(lines.len());
    let mut kept: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < end {
        let line = lines[i];
        let t = line.trim();
        if t.starts_with('>') {
            // A removed quote still separates the answers around it.
            if kept.last().is_some_and(|l| !l.trim().is_empty()) {
                kept.push("");
            }
            i += 1;
            continue;
        }
        if is_signature_delimiter(line) || is_mobile_footer(t) || is_original_separator(t) {
            break;
        }
        let underscores = t.len() >= 10 && t.chars().all(|c| c == '_');
        if is_reply_header_block(&lines[i..end])
            || (underscores && i + 1 < end && is_reply_header_block(&lines[i + 1..end]))
        {
            break;
        }
        if let Some(len) = attribution_len(&lines[i..end]) {
            let next = lines[i + len..end].iter().find(|l| !l.trim().is_empty());
            if next.is_some_and(|l| l.trim_start().starts_with('>')) {
                i += len;
                continue;
            }
            break;
        }
        kept.push(line);
        i += 1;
    }
    let mut result = kept.join("\n");
    if let Some(f) = forward_at {
        if !result.trim().is_empty() {
            result.push_str("\n\n");
        }
        result.push_str(&lines[f..].join("\n"));
    }
    let result = normalise_whitespace(&result);
    if result.is_empty() {
        normalise_whitespace(text)
    } else {
        result
    }
}

fn is_signature_delimiter(line: &str) -> bool {
    line == "-- " || line == "--" || line == "-- \u{A0}" || line == "--\u{A0}"
}

fn is_mobile_footer(t: &str) -> bool {
    let t = fold(t);
    [
        "sent from my ",
        "sent from outlook for ",
        "sent from mail for ",
        "get outlook for ",
        "sent from yahoo mail",
        "envoye de mon ",
        "envoye depuis mon ",
        "envoye a partir de ",
        "envoye depuis outlook",
        "obtenir outlook pour ",
        "telecharger outlook pour ",
    ]
    .iter()
    .any(|p| t.starts_with(p))
}

fn dashed_label(t: &str) -> Option<String> {
    let inner = t
        .trim()
        .trim_matches(|c: char| c == '-' || c == '_' || c == ' ');
    (t.trim().starts_with("---") && !inner.is_empty()).then(|| fold(inner))
}

fn is_original_separator(t: &str) -> bool {
    dashed_label(t).is_some_and(|l| {
        l == "original message" || l == "message d'origine" || l == "message original"
    })
}

fn is_forward_marker(line: &str) -> bool {
    let t = line.trim();
    let label = dashed_label(t).or_else(|| t.starts_with("Begin forwarded").then(|| fold(t)));
    label.is_some_and(|l| {
        l.contains("forwarded message")
            || l.contains("message transfere")
            || l.starts_with("begin forwarded message")
            || l.starts_with("debut du message reexpedie")
    })
}

/// The folded field name of a `Name: value` (or `Name : value`) line.
fn field_name(line: &str) -> Option<String> {
    let t = line.trim().trim_start_matches('*');
    let (name, _) = t.split_once(':')?;
    let name = name.trim().trim_end_matches('*').trim();
    (!name.is_empty() && name.chars().count() <= 12).then(|| fold(name))
}

/// "From: … Sent: … To: … Subject:" or "De : … Envoyé : … À : … Objet :" starting at the
/// first line.
fn is_reply_header_block(lines: &[&str]) -> bool {
    if !field_name(lines[0]).is_some_and(|n| n == "from" || n == "de") {
        return false;
    }
    let names: Vec<String> = lines
        .iter()
        .skip(1)
        .take(8)
        .filter_map(|l| field_name(l))
        .collect();
    let has = |options: &[&str]| names.iter().any(|n| options.contains(&n.as_str()));
    has(&["subject", "objet"]) && has(&["sent", "envoye", "date", "to", "a", "cc"])
}

/// The number of lines (1 or 2) of an "On … wrote:" / "Le … a écrit :" attribution at the
/// first line.
fn attribution_len(lines: &[&str]) -> Option<usize> {
    let first = fold(lines[0].trim());
    let starts = first.starts_with("on ") || first.starts_with("le ");
    if !starts {
        return None;
    }
    let ends = |s: &str| {
        let s = s.trim_end();
        let s = s.strip_suffix(':').map(str::trim_end);
        s.is_some_and(|s| s.ends_with("wrote") || s.ends_with("a ecrit"))
    };
    // An attribution carries a date: a digit somewhere.
    let has_digit = |s: &str| s.chars().any(|c| c.is_ascii_digit());
    if ends(&first) {
        return has_digit(&first).then_some(1);
    }
    let second = lines.get(1).map(|l| fold(l.trim()))?;
    (!second.is_empty() && ends(&second) && (has_digit(&first) || has_digit(&second))).then_some(2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::parse::testing::{crlf, parse_ok};

    #[test]
    fn english_reply_quote_and_signature_are_stripped() {
        let raw = crlf(concat!(
            "From: a@b.c\n",
            "Content-Type: text/plain\n",
            "\n",
            "Thanks, that helps. One more question: is the deadline firm?\n",
            "\n",
            "-- \n",
            "Dr. John Smith\n",
            "McGill University\n",
            "\n",
            "On Mon, Mar 3, 2025 at 10:12 AM Guichet <guichet@example.ca>\n",
            "wrote:\n",
            "> Here is the answer.\n",
            "> Regards\n",
        ));
        assert_eq!(
            parse_ok(&raw).text,
            "Thanks, that helps. One more question: is the deadline firm?"
        );
        let inline = "My answers below.\n\nOn 2025-03-03, Guichet wrote:\n> Question one?\nYes.\n> Question two?\nNo.\n\nSent from my iPhone\n";
        assert_eq!(strip_quoted(inline), "My answers below.\n\nYes.\n\nNo.");
        let outlook = "Please see my question.\r\n\r\n-----Original Message-----\r\nFrom: Guichet\r\nSent: Monday\r\nTo: me\r\nSubject: Re: x\r\n\r\nold";
        assert_eq!(strip_quoted(outlook), "Please see my question.");
        let outlook_block = "Great, thanks!\n\nGet Outlook for iOS\n________________________________\nFrom: Guichet <guichet@example.ca>\nSent: Monday, March 3, 2025 10:12 AM\nTo: John <j@x.org>\nSubject: Re: grants\n\nOld answer";
        assert_eq!(strip_quoted(outlook_block), "Great, thanks!");
        let no_footer = "Great, thanks!\n________________________________\nFrom: Guichet <guichet@example.ca>\nSent: Monday, March 3, 2025 10:12 AM\nTo: John <j@x.org>\nSubject: Re: grants\n\nOld answer";
        assert_eq!(strip_quoted(no_footer), "Great, thanks!");
        assert_eq!(
            strip_quoted("Hi\n\nSent from Outlook for Android\n\nold"),
            "Hi"
        );
    }

    #[test]
    fn french_reply_quote_and_signature_are_stripped() {
        let gmail = "Merci beaucoup !\n\nLe lun. 3 mars 2025 à 10 h 12, Guichet <guichet@example.ca> a écrit :\n> Voici la réponse.\n";
        assert_eq!(strip_quoted(gmail), "Merci beaucoup !");
        let wrapped = "D'accord.\n\nLe 3 mars 2025 à 10:12, Service Guichet du Réseau\n<guichet@example.ca> a ecrit:\n\nAncien texte sans chevrons";
        assert_eq!(strip_quoted(wrapped), "D'accord.");
        let outlook = "Voici ma demande.\n\nCordialement,\nMarie\n\nDe : Guichet <guichet@example.ca>\nEnvoyé : 3 mars 2025 10:12\nÀ : Marie <m@x.ca>\nObjet : RE: demande\n\nAncien";
        assert_eq!(
            strip_quoted(outlook),
            "Voici ma demande.\n\nCordialement,\nMarie"
        );
        let origine = "Oui.\n\n-----Message d'origine-----\nDe : x\n";
        assert_eq!(strip_quoted(origine), "Oui.");
        assert_eq!(
            strip_quoted("Bonjour\n\nEnvoyé de mon iPhone\n\n> vieux"),
            "Bonjour"
        );
        assert_eq!(strip_quoted("Bonjour\n\nEnvoye de mon iPhone"), "Bonjour");
        assert_eq!(
            strip_quoted("Bonjour\n\nObtenir Outlook pour Android\n"),
            "Bonjour"
        );
        assert_eq!(
            strip_quoted("Texte\n--\nMarie Tremblay\nCoordonnatrice"),
            "Texte"
        );
        // A sentence that merely starts with "Le" and ends with "écrit :" is kept.
        let text = "Le document que j'ai écrit :\nun plan de recherche.";
        assert_eq!(strip_quoted(text), text);
    }

    #[test]
    fn forwards_are_kept_and_pure_quotes_return_the_original() {
        let fwd = "Pouvez-vous m'aider ?\n\n---------- Forwarded message ---------\nFrom: Prof <p@u.ca>\nDate: Mon, Mar 3, 2025\nSubject: Budget\nTo: <me@u.ca>\n\nLe budget est de 10 000 $.";
        let out = strip_quoted(fwd);
        assert!(out.starts_with("Pouvez-vous m'aider ?"));
        assert!(out.contains("Le budget est de 10 000 $."), "{out}");
        let fr = "---------- Message transféré ---------\nDe : Prof <p@u.ca>\nObjet : Budget\nÀ : moi\n\nTexte transféré";
        assert!(strip_quoted(fr).contains("Texte transféré"));
        assert_eq!(strip_quoted("> only\n> a quote\n"), "> only\n> a quote");
        assert_eq!(strip_quoted("  \n"), "");
    }
}
