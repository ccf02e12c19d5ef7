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

#[cfg(test)]
mod tests {
    use super::*;

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
}
