//! Subjects of the emails guichet writes and reads: `Re:` without stacked prefixes, and
//! the request reference with its signed tag (`[SSA-2026-00001 #1a2b…]`), which lets a later
//! message attach to its request only when the tag (or the requester's address) matches.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::language::Language;
use crate::messages::Msg;
use crate::requests::model::RequestRef;

use crate::text::{clip, hex, one_safe_line as clean_line};

/// A subject is cut to this many characters.
const SUBJECT_CHARS: usize = 200;
/// Thread tags are HMACs of the reference in this context.
const TAG_CONTEXT: &str = "guichet-thread:";
/// Bytes of the HMAC kept in a tag.
const TAG_BYTES: usize = 10;

type HmacSha256 = Hmac<Sha256>;

/// `Re: <subject>` without stacked prefixes; with a tag, `[SSA-… #tag] Re: <subject>`.
pub(super) fn reply_subject(
    original: &str,
    tagged: Option<(RequestRef, &str)>,
    lang: Language,
) -> String {
    let mut subject = clean_line(original);
    if let Some((reference, _)) = tagged {
        subject = remove_reference_brackets(&subject, &reference);
    }
    let core = strip_reply_prefixes(&subject).to_string();
    let core = clip(&core, SUBJECT_CHARS);
    let base = if core.is_empty() {
        Msg::MailDefaultSubject.text(lang).to_string()
    } else {
        format!("Re: {core}")
    };
    match tagged {
        Some((reference, tag)) => {
            let tag: String = tag.chars().filter(char::is_ascii_alphanumeric).collect();
            if tag.is_empty() {
                format!("[{reference}] {base}")
            } else {
                format!("[{reference} #{tag}] {base}")
            }
        }
        None => base,
    }
}

/// The subject without leading `Re:`, `RE :`, `TR:`, `Réf. :`, `AW:`, `Fwd:`, `SV:`…
/// (any number, any case; `Re[2]:` too).
pub fn strip_reply_prefixes(subject: &str) -> &str {
    const PREFIXES: &[&str] = &[
        "re", "ré", "réf", "ref", "tr", "aw", "fwd", "fw", "wg", "sv", "vs", "antw", "rif", "r",
    ];
    let mut s = subject.trim_start();
    loop {
        let word_end = s
            .char_indices()
            .find(|(_, c)| !c.is_alphabetic())
            .map(|(i, _)| i)
            .unwrap_or(s.len());
        let word = s[..word_end].to_lowercase();
        if word_end == 0 || !PREFIXES.contains(&word.as_str()) {
            return s;
        }
        let mut rest = &s[word_end..];
        // "Re[2]:" / "Re(2):"
        if let Some(inner) = rest.strip_prefix(['[', '(']) {
            let digits = inner.bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0 && inner[digits..].starts_with([']', ')']) {
                rest = &inner[digits + 1..];
            }
        }
        // "Réf. :" / "Re :" / "Re\u{a0}:"
        let rest = rest.trim_start_matches('.');
        let rest = rest.trim_start_matches([' ', '\u{a0}', '\u{202f}']);
        match rest.strip_prefix([':', '：']) {
            Some(after) => s = after.trim_start(),
            None => return s,
        }
    }
}

/// Removes every `[SSA-… …]` bracket naming `reference` from a subject.
pub(super) fn remove_reference_brackets(subject: &str, reference: &RequestRef) -> String {
    let mut out = String::new();
    let mut rest = subject;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        match parse_bracket(after) {
            Some((found, _, len)) if found == *reference => {
                out.push_str(&rest[..open]);
                rest = &after[len..];
            }
            _ => {
                out.push_str(&rest[..=open]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Reads `SSA-2026-00042 #tag]` or `SSA-2026-00042]` (spaces allowed around) at the start
/// of `text` (just after a `[`): the reference, the tag, and the length read.
pub(super) fn parse_bracket(text: &str) -> Option<(RequestRef, Option<String>, usize)> {
    let close = text.find(']')?;
    let inner = text[..close].trim_matches([' ', '\u{a0}', '\t']);
    let (reference, tag) = match inner.split_once('#') {
        Some((r, t)) => {
            let t = t.trim();
            let valid =
                !t.is_empty() && t.len() <= 64 && t.chars().all(|c| c.is_ascii_alphanumeric());
            if !valid {
                return None;
            }
            (r.trim(), Some(t.to_string()))
        }
        None => (inner, None),
    };
    let reference = RequestRef::parse(reference).ok()?;
    Some((reference, tag, close + 1))
}

/// Finds `[SSA-2026-00042 #tag]` or `[SSA-2026-00042]` anywhere in a subject (whatever
/// prefixes come before, any case): the reference and the tag if any. A reference outside
/// square brackets does not count.
pub fn subject_reference(subject: &str) -> Option<(RequestRef, Option<String>)> {
    let mut rest = subject;
    while let Some(open) = rest.find('[') {
        rest = &rest[open + 1..];
        if let Some((reference, tag, _)) = parse_bracket(rest) {
            return Some((reference, tag));
        }
    }
    None
}

// ---------------------------------------------------------------------------------------
// Thread tags
// ---------------------------------------------------------------------------------------

pub(super) fn tag_mac(secret: &[u8], reference: &RequestRef, address: &str) -> HmacSha256 {
    // HMAC takes keys of any length.
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(TAG_CONTEXT.as_bytes());
    mac.update(reference.to_string().as_bytes());
    // Bound to the requester: a forwarded acknowledgement's subject works for nobody else.
    mac.update(b"\n");
    mac.update(address.trim().to_lowercase().as_bytes());
    mac
}

/// The tag that lets a subject's reference attach a message from `address` (the
/// requester) to a request: HMAC-SHA256(secret, `guichet-thread:` + reference + newline +
/// the lowercased address), first 10 bytes, lowercase hex.
pub fn thread_tag(secret: &[u8], reference: &RequestRef, address: &str) -> String {
    let full = tag_mac(secret, reference, address).finalize().into_bytes();
    hex(&full[..TAG_BYTES])
}

/// Whether `tag` is the tag of `reference` for `address` under `secret` (constant time;
/// hex in any case; a shortened tag is refused).
pub fn verify_tag(secret: &[u8], reference: &RequestRef, address: &str, tag: &str) -> bool {
    let tag = tag.trim();
    if tag.len() != TAG_BYTES * 2 {
        return false;
    }
    let Some(bytes) = unhex(tag) else {
        return false;
    };
    tag_mac(secret, reference, address)
        .verify_truncated_left(&bytes)
        .is_ok()
}

pub(super) fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"a test secret, long enough for HMAC";
    const JANE: &str = "jane.doe@umontreal.ca";

    fn reference() -> RequestRef {
        RequestRef::parse("SSA-2026-00042").unwrap()
    }

    #[test]
    fn subjects_do_not_stack_prefixes() {
        let cases = [
            ("Lettre d'appui", "Re: Lettre d'appui"),
            ("Re: Lettre d'appui", "Re: Lettre d'appui"),
            ("RE: Re: re: Lettre", "Re: Lettre"),
            ("TR: Réf. : AW: Fwd: Lettre", "Re: Lettre"),
            ("Re[2]: Lettre", "Re: Lettre"),
            ("RE : Lettre", "Re: Lettre"),
            ("Regarding grants", "Re: Regarding grants"),
            ("Réseau", "Re: Réseau"),
            (
                "Re: [SSA-2026-00042 #abc] Lettre",
                "Re: [SSA-2026-00042 #abc] Lettre",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(
                reply_subject(input, None, Language::Fr),
                expected,
                "{input}"
            );
        }
        assert_eq!(
            reply_subject("  ", None, Language::Fr),
            "Votre question à l'Unité de soutien SSA Québec"
        );
        assert_eq!(
            reply_subject("Re: ", None, Language::En),
            "Your question to the Quebec SPOR SUPPORT Unit"
        );
    }

    #[test]
    fn thread_tags_are_short_and_unforgeable() {
        let r = reference();
        let tag = thread_tag(SECRET, &r, JANE);
        assert_eq!(tag.len(), 20);
        assert!(tag
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_eq!(tag, thread_tag(SECRET, &r, JANE), "stable");
        assert!(verify_tag(SECRET, &r, JANE, &tag));
        assert!(verify_tag(SECRET, &r, JANE, &tag.to_uppercase()));
        assert!(!verify_tag(b"another secret", &r, JANE, &tag));
        assert!(!verify_tag(
            SECRET,
            &RequestRef::new(2026, 43).unwrap(),
            JANE,
            &tag
        ));
        assert!(!verify_tag(
            SECRET,
            &RequestRef::new(2025, 42).unwrap(),
            JANE,
            &tag
        ));
        assert!(!verify_tag(SECRET, &r, JANE, &tag[..19]));
        assert!(!verify_tag(SECRET, &r, JANE, &tag[..10]));
        assert!(!verify_tag(SECRET, &r, JANE, ""));
        assert!(!verify_tag(SECRET, &r, JANE, &format!("{tag}00")));
        for i in 0..tag.len() {
            let mut altered: Vec<char> = tag.chars().collect();
            altered[i] = if altered[i] == '0' { '1' } else { '0' };
            let altered: String = altered.into_iter().collect();
            assert!(!verify_tag(SECRET, &r, JANE, &altered), "{altered}");
        }
        assert!(!verify_tag(SECRET, &r, JANE, "zzzzzzzzzzzzzzzzzzzz"));
        assert!(!verify_tag(SECRET, &r, JANE, "éééééééééé"));
        // Bound to the requester: case aside, nobody else can use it.
        assert!(verify_tag(SECRET, &r, "Jane.Doe@UMontreal.ca", &tag));
        assert!(!verify_tag(SECRET, &r, "mallory@evil.example", &tag));
    }

    #[test]
    fn subject_references_are_found_in_real_world_subjects() {
        let r = reference();
        let some = |t: &str| Some((r, Some(t.to_string())));
        type Found = Option<(RequestRef, Option<String>)>;
        let cases: Vec<(&str, Found)> = vec![
            ("[SSA-2026-00042 #0a1b2c] Lettre", some("0a1b2c")),
            ("Re: [SSA-2026-00042 #0a1b2c] Re: Lettre", some("0a1b2c")),
            (
                "RE: TR: AW: Fwd: [ssa-2026-00042 #0A1B2C] x",
                some("0A1B2C"),
            ),
            ("Re:[SSA-2026-00042 #abc]x", some("abc")),
            ("Re: [EXT] [SSA-2026-00042 #abc] x", some("abc")),
            ("[EXTERNAL] Re: Lettre [SSA-2026-00042 #abc]", some("abc")),
            ("Re: [ SSA-2026-00042  #abc ] x", some("abc")),
            ("Re: [SSA-2026-00042#abc] x", some("abc")),
            ("*** SPAM *** Re: [SSA-2026-00042] x", Some((r, None))),
            ("Réf. : [SSA-2026-00042] Lettre d'appui", Some((r, None))),
            ("[[SSA-2026-00042 #abc]] x", some("abc")),
            ("Re: SSA-2026-00042 x", None),
            ("Re: [SSA-2026-00042 x] y", None),
            ("Re: [SSA-2026-00042 #] y", None),
            ("Re: [SSA-2026-00042 #ab-cd] y", None),
            ("Re: [SSA-2026-0004] y", None),
            ("Re: [XSSA-2026-00042] y", None),
            ("Re: [SSA-2026-00042", None),
            ("Lettre d'appui", None),
            ("", None),
        ];
        for (subject, expected) in cases {
            assert_eq!(subject_reference(subject), expected, "{subject}");
        }
        assert_eq!(
            subject_reference("Re: [x] [SSA-2026-00007] [SSA-2026-00042 #a]"),
            Some((RequestRef::new(2026, 7).unwrap(), None))
        );
    }
}
