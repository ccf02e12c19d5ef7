//! Mail text whose charset is unknown: a label mail-parser does not know (`x-unknown-foo`),
//! no label at all, or bytes that are not what the label says. Such text is read by
//! [`crate::text::lenient`] (UTF-8 where valid, Windows-1252 elsewhere), so "crit\xe8res"
//! reads "critères" instead of "crit\u{fffd}res"; the same rule decodes the encoded words
//! of a header (`=?x-unknown-foo?Q?Crit=E8res?=`).

use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::charsets::map::charset_decoder;

use crate::text::{decode_in, lenient};

/// The longest charset label looked at (longer ones are not labels).
const MAX_LABEL: usize = 64;

/// Whether mail-parser decodes `label` itself (a charset other than UTF-8 that it knows).
/// UTF-8 and unknown labels are decoded here, by [`lenient`].
pub(super) fn is_known(label: &str) -> bool {
    charset_decoder(label.trim().as_bytes()).is_some()
}

/// Whether the raw header value `raw` holds text this module reads better than
/// mail-parser: bytes that are not UTF-8, or an encoded word in a charset mail-parser
/// does not know.
pub(super) fn needs_fallback(raw: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(raw) else {
        return true;
    };
    let mut rest = text;
    while let Some(at) = rest.find("=?") {
        let word = &rest[at..];
        if let Some((label, _, _, _)) = encoded_word(word) {
            if !is_known(label) {
                return true;
            }
        }
        rest = &word[2..];
    }
    false
}

/// Decodes the raw header value `raw`: its bytes by [`lenient`], then its RFC 2047 encoded
/// words (the space between two adjacent words dropped), each in its charset or, when
/// that is unknown, by [`lenient`]. Folding is left for the caller to flatten.
pub(super) fn decode_header(raw: &[u8]) -> String {
    let text = lenient(raw);
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    let mut after_word = false;
    while let Some(at) = rest.find("=?") {
        let (before, word) = rest.split_at(at);
        match encoded_word(word) {
            Some((label, encoding, data, len)) => {
                let bytes = match encoding {
                    'b' => base64_decode(data.as_bytes()),
                    _ => Some(q_decode(data)),
                };
                match bytes {
                    Some(bytes) => {
                        if !(after_word && before.chars().all(char::is_whitespace)) {
                            out.push_str(before);
                        }
                        out.push_str(&decode_in(label, &bytes));
                        after_word = true;
                    }
                    None => {
                        out.push_str(before);
                        out.push_str(&word[..len]);
                        after_word = false;
                    }
                }
                rest = &word[len..];
            }
            None => {
                out.push_str(before);
                out.push_str("=?");
                rest = &word[2..];
                after_word = false;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The encoded word at the start of `s` (which starts with `=?`): its charset label, its
/// encoding (`b` or `q`), its data, and its length in bytes.
fn encoded_word(s: &str) -> Option<(&str, char, &str, usize)> {
    let body = s.strip_prefix("=?")?;
    let q1 = body.find('?')?;
    let label = &body[..q1];
    if label.is_empty()
        || label.len() > MAX_LABEL
        || label
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '=')
    {
        return None;
    }
    let rest = &body[q1 + 1..];
    let mut chars = rest.chars();
    let encoding = chars.next()?.to_ascii_lowercase();
    if !matches!(encoding, 'b' | 'q') || chars.next()? != '?' {
        return None;
    }
    let data_and_end = &rest[2..];
    let end = data_and_end.find("?=")?;
    let data = &data_and_end[..end];
    if data.contains(['\r', '\n']) {
        return None;
    }
    let len = 2 + q1 + 1 + 2 + end + 2;
    Some((label, encoding, data, len))
}

/// The "Q" encoding: `_` is a space, `=XX` a byte, anything else itself.
fn q_decode(data: &str) -> Vec<u8> {
    let bytes = data.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'_' => out.push(b' '),
            b'=' => match (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 3;
                    continue;
                }
                _ => out.push(b'='),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_is_kept_and_other_bytes_are_windows_1252() {
        assert_eq!(lenient("déjà".as_bytes()), "déjà");
        assert_eq!(
            lenient(b"crit\xe8res d'admissibilit\xe9"),
            "critères d'admissibilité"
        );
        assert_eq!(lenient(b"\x93oui\x94 \x80"), "“oui” €");
        // Both in one text: each byte read the way it can be.
        assert_eq!(lenient(b"caf\xc3\xa9 et th\xe9"), "café et thé");
        assert!(!lenient(&(0u8..=255).collect::<Vec<_>>()).contains('\u{fffd}'));
    }

    #[test]
    fn encoded_words_in_unknown_charsets_are_read() {
        assert!(needs_fallback(b"=?x-unknown-foo?Q?Crit=E8res?="));
        assert!(needs_fallback(b"Caf\xe9"));
        assert!(!needs_fallback(b"=?iso-8859-1?Q?Caf=E9?= ok"));
        assert!(!needs_fallback(b"plain =? not a word"));
        assert_eq!(
            decode_header(b" =?x-unknown-foo?Q?Crit=E8res_d'admissibilit=E9?="),
            " Critères d'admissibilité"
        );
        assert_eq!(
            decode_header(b"=?x-foo?B?Q3JpdOhyZXM=?=\r\n =?utf-8?q?_r=C3=A9seau?= fin"),
            "Critères réseau fin"
        );
        assert_eq!(
            decode_header(b"=?iso-8859-1?q?R=E9seau?= et =?x-bar?q?caf=C3=A9?="),
            "Réseau et café",
            "known charsets are decoded by mail-parser's tables, UTF-8 stays UTF-8"
        );
        assert_eq!(
            decode_header(b"=?x?Z?abc?= =?broken"),
            "=?x?Z?abc?= =?broken"
        );
        assert_eq!(decode_header(b"=?x-foo?Q?a=ZZ=4?="), "a=ZZ=4");
    }
}
