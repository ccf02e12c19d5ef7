//! `Question`: a person's text, cleaned and bounded, ready to be searched.

use std::fmt;

/// The longest question kept, in characters. Longer input (a pasted document, an email
/// with a long history) is cut at a word boundary rather than rejected.
pub const MAX_QUESTION_CHARS: usize = 2_000;

/// A question as the search core accepts it: control characters removed, white space
/// folded, not empty, at most [`MAX_QUESTION_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question(String);

/// Why a text is not a question.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QuestionError {
    #[error("the question is empty")]
    Empty,
}

impl Question {
    /// Cleans `text` into a question. Only an empty (or blank, or all-control) text fails.
    pub fn parse(text: &str) -> Result<Question, QuestionError> {
        let mut cleaned = String::with_capacity(text.len().min(MAX_QUESTION_CHARS * 4));
        let mut chars = 0;
        for word in text.split(|c: char| c.is_whitespace() || c.is_control()) {
            if word.is_empty() {
                continue;
            }
            let word_chars = word.chars().count();
            if chars + word_chars + 1 > MAX_QUESTION_CHARS {
                if chars == 0 {
                    cleaned.extend(word.chars().take(MAX_QUESTION_CHARS));
                }
                break;
            }
            if chars > 0 {
                cleaned.push(' ');
                chars += 1;
            }
            cleaned.push_str(word);
            chars += word_chars;
        }
        if cleaned.is_empty() {
            return Err(QuestionError::Empty);
        }
        Ok(Question(cleaned))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Question {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Question {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_white_space_and_control_characters() {
        let q = Question::parse("  Qui\test\u{0007}  \n Alain   Vanasse ? ").unwrap();
        assert_eq!(q.as_str(), "Qui est Alain Vanasse ?");
    }

    #[test]
    fn rejects_empty_and_blank_text() {
        assert_eq!(Question::parse(""), Err(QuestionError::Empty));
        assert_eq!(Question::parse(" \n\t\u{0000} "), Err(QuestionError::Empty));
    }

    #[test]
    fn cuts_long_text_at_a_word_boundary() {
        let long = "recherche ".repeat(1_000);
        let q = Question::parse(&long).unwrap();
        assert!(q.as_str().chars().count() <= MAX_QUESTION_CHARS);
        assert!(q.as_str().ends_with("recherche"));
        let one_word = "x".repeat(5_000);
        assert_eq!(
            Question::parse(&one_word).unwrap().as_str().len(),
            MAX_QUESTION_CHARS
        );
    }
}
