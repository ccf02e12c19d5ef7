//! Small text rules shared by every channel and view.

/// Characters that must not reach a terminal, a log line or a one-line view as they are:
/// control characters (newlines, escape sequences) and the bidirectional embeddings,
/// overrides and isolates (U+202A–U+202E, U+2066–U+2069) that reorder what is shown, plus
/// the Unicode line and paragraph separators.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

/// `text` on one line as a person typed it, without what [`is_unsafe_char`] refuses:
/// control characters become spaces, bidirectional controls are dropped, white space folds.
/// For names and organizations, which staff read in lists, exports and emails.
pub fn one_safe_line(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => Some(' '),
            c if is_unsafe_char(c) => None,
            c => Some(c),
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `bytes` in lowercase hexadecimal, two digits a byte.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// `text` lowercased, without accents, for comparing words as people type them: French
/// letters lose their accents (`é` → `e`, `ç` → `c`, `œ` → `oe`, `æ` → `ae`, and so on),
/// typographic apostrophes become `'`, no-break and thin spaces become spaces, and
/// zero-width characters are dropped. Punctuation and everything else is kept as written.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => out.push('a'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'î' | 'ï' | 'í' | 'ì' => out.push('i'),
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' => out.push('o'),
            'ù' | 'û' | 'ü' | 'ú' => out.push('u'),
            'ç' => out.push('c'),
            'ÿ' => out.push('y'),
            'ñ' => out.push('n'),
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            '’' | '‘' | 'ʼ' | '`' | '´' => out.push('\''),
            '\u{a0}' | '\u{202f}' | '\u{2009}' => out.push(' '),
            '\u{200b}' | '\u{feff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters of `text`: the text itself when it fits, else its first
/// `max - 1` characters and "…".
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Whether `url` is an `http://` or `https://` address (scheme in any case) with something
/// after the scheme and no white space or control character. It is not trimmed, and its
/// length is not bounded: callers apply their channel's limit.
pub fn is_http_url(url: &str) -> bool {
    let scheme = ["https://", "http://"].into_iter().find(|s| {
        url.get(..s.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(s))
    });
    scheme.is_some_and(|s| url.len() > s.len())
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// `bytes` as text: the valid UTF-8 sequences as UTF-8, every other byte as Windows-1252.
pub fn lenient(bytes: &[u8]) -> String {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return text.to_string();
    }
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 2);
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        out.push_str(&windows_1252(chunk.invalid()));
    }
    out
}

/// Windows-1252's 0x80–0x9F (the rest is Latin-1); the five bytes it leaves undefined
/// are the C1 controls, as in the WHATWG encoding standard.
const WINDOWS_1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{81}', '\u{201A}', '\u{192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{2C6}', '\u{2030}', '\u{160}', '\u{2039}', '\u{152}', '\u{8D}', '\u{17D}', '\u{8F}',
    '\u{90}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{2DC}', '\u{2122}', '\u{161}', '\u{203A}', '\u{153}', '\u{9D}', '\u{17E}', '\u{178}',
];

fn windows_1252(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9F => WINDOWS_1252_HIGH[usize::from(b - 0x80)],
            b => char::from(b),
        })
        .collect()
}

/// `bytes` in the charset `label` (an email part's, a web page's): mail-parser's decoder
/// when it knows the label, else [`lenient`].
pub fn decode_in(label: &str, bytes: &[u8]) -> String {
    // RFC 2231 adds a language after `*`: `utf-8*fr`.
    let label = label.split('*').next().unwrap_or(label).trim();
    match mail_parser::decoders::charsets::map::charset_decoder(label.as_bytes()) {
        Some(decode) => decode(bytes),
        None => lenient(bytes),
    }
}

/// `text` made safe to put in HTML, as element content or in a quoted attribute value:
/// `&`, `<`, `>`, `"` and `'` become entities. Escapes while formatting (no intermediate
/// string); call `.to_string()` for one.
pub fn escape_html(text: &str) -> EscapedHtml<'_> {
    EscapedHtml(text)
}

/// See [`escape_html`].
pub struct EscapedHtml<'a>(&'a str);

impl std::fmt::Display for EscapedHtml<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut rest = self.0;
        while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..i])?;
            f.write_str(match rest.as_bytes()[i] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[i + 1..];
        }
        f.write_str(rest)
    }
}

/// `text` without what identifies a person by itself: email addresses become `[email]`,
/// phone numbers (7 or more digits, with spaces, dots, dashes, parentheses or a leading
/// `+`) become `[phone]`, and links become `[link]`. Names cannot be told apart from other
/// words; callers drop self-introductions and signatures first.
pub fn without_identifiers(text: &str) -> String {
    let mut words = Vec::new();
    for word in text.split_whitespace() {
        let bare = word.trim_matches(|c: char| !c.is_alphanumeric());
        let lower = word.to_ascii_lowercase();
        if bare.contains('@')
            && bare
                .rsplit_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
        {
            words.push("[email]".to_string());
        } else if lower.starts_with("http://")
            || lower.starts_with("https://")
            || lower.starts_with("www.")
        {
            words.push("[link]".to_string());
        } else {
            words.push(word.to_string());
        }
    }
    // Phone numbers may span words ("514 555-0100"): collapse runs of digits and phone
    // punctuation holding seven digits or more.
    let joined = words.join(" ");
    let mut out = String::with_capacity(joined.len());
    let chars: Vec<char> = joined.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit()
            || (chars[i] == '+' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
            || (chars[i] == '(' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let mut j = i;
            let mut digits = 0;
            let mut end = i;
            while j < chars.len()
                && (chars[j].is_ascii_digit()
                    || matches!(chars[j], ' ' | '.' | '-' | '(' | ')' | '+'))
            {
                if chars[j].is_ascii_digit() {
                    digits += 1;
                    end = j + 1;
                }
                j += 1;
            }
            if digits >= 7 {
                out.push_str("[phone]");
                // Keep the space that followed the number, if any.
                if end < chars.len() && chars[end] == ' ' {
                    out.push(' ');
                }
                i = end;
                while i < chars.len() && chars[i] == ' ' && out.ends_with(' ') {
                    i += 1;
                }
                continue;
            }
            out.extend(&chars[i..end.max(i + 1)]);
            i = end.max(i + 1);
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_two_lowercase_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xab, 0xff]), "000fabff");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn folding_lowercases_and_strips_french_accents() {
        assert_eq!(fold("Élève À Québec"), "eleve a quebec");
        assert_eq!(fold("Cœur, Æther, Ça, NOËL"), "coeur, aether, ca, noel");
        assert_eq!(fold("l’Unité\u{a0}:"), "l'unite :");
        assert_eq!(fold("Envoyé de mon iPhone"), "envoye de mon iphone");
        assert_eq!(fold("a\u{200b}b"), "ab");
    }

    #[test]
    fn clipping_keeps_short_text_and_marks_a_cut() {
        assert_eq!(clip("court", 5), "court");
        assert_eq!(clip("trop long", 5), "trop…");
        assert_eq!(clip("ééééé", 4).chars().count(), 4);
        assert_eq!(clip("abc", 0), "…");
    }

    #[test]
    fn only_http_and_https_addresses_are_web_urls() {
        for good in ["https://ssaquebec.ca/", "http://x.y", "HTTPS://X.Y/a?b=c"] {
            assert!(is_http_url(good), "{good}");
        }
        for bad in [
            "",
            "https://",
            "ftp://x.y",
            "javascript:alert(1)",
            "ssaquebec.ca",
            "https://x.y/a b",
            " https://x.y",
            "https://x.y/\u{7}",
            "https:/x.y",
        ] {
            assert!(!is_http_url(bad), "{bad:?}");
        }
    }

    #[test]
    fn escape_neutralises_every_html_special_character() {
        let s = escape_html(r#"<script>alert("x" + 'y')</script> & co"#).to_string();
        assert_eq!(
            s,
            "&lt;script&gt;alert(&quot;x&quot; + &#39;y&#39;)&lt;/script&gt; &amp; co"
        );
        assert_eq!(
            escape_html("Québec — é").to_string(),
            "Québec — é",
            "non-ASCII text is left alone"
        );
        assert_eq!(escape_html("").to_string(), "");
    }

    #[test]
    fn controls_and_bidi_overrides_are_unsafe_and_letters_are_not() {
        for c in ['\n', '\u{1b}', '\u{202e}', '\u{2067}', '\u{2028}'] {
            assert!(is_unsafe_char(c), "{c:?}");
        }
        for c in ['a', 'é', 'Q', ' ', '«'] {
            assert!(!is_unsafe_char(c), "{c:?}");
        }
    }

    #[test]
    fn a_safe_line_drops_bidi_controls_and_folds_line_breaks() {
        assert_eq!(one_safe_line("Ana\u{202e}nimda"), "Ananimda");
        assert_eq!(
            one_safe_line(" Université\n\tLaval\u{2066} "),
            "Université Laval"
        );
    }

    #[test]
    fn identifiers_are_removed_and_the_question_kept() {
        assert_eq!(
            without_identifiers("Write to jane.doe@mcgill.ca or call 514 555-0100 please"),
            "Write to [email] or call [phone] please"
        );
        assert_eq!(
            without_identifiers("Mon numéro : +1 (418) 555-0199. Voir https://x.org/a?b=c"),
            "Mon numéro : [phone]. Voir [link]"
        );
        // Years, amounts and short numbers are not phone numbers.
        assert_eq!(
            without_identifiers("In 2026, is the 25 000 $ grant open to 3 people?"),
            "In 2026, is the 25 000 $ grant open to 3 people?"
        );
        assert_eq!(without_identifiers("What is SPOR?"), "What is SPOR?");
    }
}
