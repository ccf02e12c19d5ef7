//! Checks for free-text fields: trimmed, bounded, and on one line where a line break
//! would be a paste accident.

use super::{ModelError, MAX_SHORT_TEXT_CHARS};

/// A one-line field (name, organization, staff name): trimmed, bounded, no control
/// characters (a line break in a name is a paste accident, and would break the terminal
/// table and mail headers).
pub(crate) fn one_line(
    field: &'static str,
    value: &str,
    max: usize,
    required: bool,
) -> Result<String, ModelError> {
    let value = value.trim();
    if value.is_empty() && required {
        return Err(ModelError::Empty { field });
    }
    let len = value.chars().count();
    if len > max {
        return Err(ModelError::TooLong { field, len, max });
    }
    if value.chars().any(char::is_control) {
        return Err(ModelError::ControlCharacters { field });
    }
    Ok(value.to_string())
}

/// A multi-line field (description, note, message): trimmed and bounded; line breaks and
/// anything else are kept as written, and escaped where they are shown.
pub(crate) fn multi_line(
    field: &'static str,
    value: &str,
    max: usize,
    required: bool,
) -> Result<String, ModelError> {
    let value = value.trim();
    if value.is_empty() && required {
        return Err(ModelError::Empty { field });
    }
    let len = value.chars().count();
    if len > max {
        return Err(ModelError::TooLong { field, len, max });
    }
    Ok(value.to_string())
}

/// A staff member's name, as given to `assign` or as the author of a change.
pub(crate) fn staff_name(field: &'static str, value: &str) -> Result<String, ModelError> {
    one_line(field, value, MAX_SHORT_TEXT_CHARS, true)
}
