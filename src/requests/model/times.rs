//! Times as requests show them (JSON, exports): RFC 3339 in UTC, and its serde helpers.
//! The database keeps its own sortable form of the same instants: see
//! [`crate::db::format_time`].

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use super::ModelError;

/// Formats a time as RFC 3339 in UTC (`2026-03-01T14:05:12.5Z`), the form used in JSON and
/// exports. Falls back to `time`'s own display for years RFC 3339 cannot write; the store
/// refuses such times, so a stored request never takes that path.
pub fn format_rfc3339(at: OffsetDateTime) -> String {
    let utc = at.to_offset(UtcOffset::UTC);
    utc.format(&Rfc3339).unwrap_or_else(|_| utc.to_string())
}

/// Parses an RFC 3339 time, with any offset.
pub fn parse_rfc3339(text: &str) -> Result<OffsetDateTime, time::error::Parse> {
    OffsetDateTime::parse(text.trim(), &Rfc3339)
}

/// Checks that `at` can be written as RFC 3339 (years 0 to 9999).
pub(crate) fn check_time(field: &'static str, at: OffsetDateTime) -> Result<(), ModelError> {
    if (0..=9999).contains(&at.to_offset(UtcOffset::UTC).year()) {
        Ok(())
    } else {
        Err(ModelError::TimeOutOfRange {
            field: super::Field::Time(field),
            value: at.to_string(),
        })
    }
}

/// Serde helpers writing an `OffsetDateTime` as an RFC 3339 string (the `time` crate's own
/// serde support is a feature guichet does not enable).
pub mod rfc3339 {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::format_description::well_known::Rfc3339;
    use time::{OffsetDateTime, UtcOffset};

    /// Writes `at` in UTC; fails for years RFC 3339 cannot write (before 0, after 9999).
    pub fn serialize<S: Serializer>(at: &OffsetDateTime, serializer: S) -> Result<S::Ok, S::Error> {
        let text = at
            .to_offset(UtcOffset::UTC)
            .format(&Rfc3339)
            .map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(&text)
    }

    /// Reads an RFC 3339 time with any offset.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<OffsetDateTime, D::Error> {
        let text = String::deserialize(deserializer)?;
        super::parse_rfc3339(&text).map_err(serde::de::Error::custom)
    }
}
