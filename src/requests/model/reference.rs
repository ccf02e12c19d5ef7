//! Request references, `SSA-YYYY-NNNNN`: parsing what people type and finding one in a
//! subject.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{shorten, ModelError};

/// A request's reference, `SSA-YYYY-NNNNN` (e.g. `SSA-2026-00042`): what the person quotes
/// in emails and what staff type. Numbers restart at 1 each year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestRef {
    year: i32,
    seq: u32,
}

impl RequestRef {
    /// Years a reference may carry (the Unit did not exist before 2000; four digits).
    pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=9999;
    /// Sequence numbers a reference may carry (five digits, never 0).
    pub const SEQS: std::ops::RangeInclusive<u32> = 1..=99_999;

    /// The reference of the `seq`-th request of `year`.
    pub fn new(year: i32, seq: u32) -> Result<RequestRef, ModelError> {
        if Self::YEARS.contains(&year) && Self::SEQS.contains(&seq) {
            Ok(RequestRef { year, seq })
        } else {
            Err(ModelError::RequestRef(format!("SSA-{year:04}-{seq:05}")))
        }
    }

    /// Parses a reference typed by a person: surrounding spaces and one pair of square
    /// brackets are ignored, and so is case (`[ssa-2026-00042]`).
    pub fn parse(input: &str) -> Result<RequestRef, ModelError> {
        let text = input.trim();
        let inner = text
            .strip_prefix('[')
            .and_then(|t| t.strip_suffix(']'))
            .unwrap_or(text)
            .trim();
        match Self::match_at(inner.as_bytes(), 0) {
            Some((reference, end)) if end == inner.len() => Ok(reference),
            _ => Err(ModelError::RequestRef(shorten(text))),
        }
    }

    /// Finds the first reference in a free text, such as an email subject
    /// (`Re: [SSA-2026-00042] Lettre d'appui`). A reference glued to other letters or
    /// digits (`XSSA-2026-000421`) does not count.
    pub fn find_in(text: &str) -> Option<RequestRef> {
        let bytes = text.as_bytes();
        // The pattern is ASCII, and ASCII bytes never occur inside a multi-byte UTF-8
        // sequence, so scanning bytes is safe.
        (0..bytes.len()).find_map(|start| {
            if start > 0 && bytes[start - 1].is_ascii_alphanumeric() {
                return None;
            }
            let (reference, end) = Self::match_at(bytes, start)?;
            match bytes.get(end) {
                Some(next) if next.is_ascii_alphanumeric() => None,
                _ => Some(reference),
            }
        })
    }

    /// Matches `SSA-dddd-ddddd` (case-insensitive) at `start`; returns the reference and
    /// the index just after it.
    fn match_at(bytes: &[u8], start: usize) -> Option<(RequestRef, usize)> {
        const LEN: usize = "SSA-2026-00042".len();
        let candidate = bytes.get(start..start + LEN)?;
        if !candidate[..4].eq_ignore_ascii_case(b"SSA-") || candidate[8] != b'-' {
            return None;
        }
        let number = |digits: &[u8]| -> Option<u32> {
            digits.iter().try_fold(0u32, |n, &b| {
                b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
            })
        };
        let year = number(&candidate[4..8])?;
        let seq = number(&candidate[9..14])?;
        // A four-digit number always fits an i32.
        let reference = RequestRef::new(i32::try_from(year).ok()?, seq).ok()?;
        Some((reference, start + LEN))
    }

    pub fn year(&self) -> i32 {
        self.year
    }

    pub fn seq(&self) -> u32 {
        self.seq
    }
}

impl fmt::Display for RequestRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SSA-{:04}-{:05}", self.year, self.seq)
    }
}

impl FromStr for RequestRef {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RequestRef::parse(s)
    }
}

impl Serialize for RequestRef {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RequestRef {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        RequestRef::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_formatted_with_a_four_digit_year_and_five_digit_number() {
        let reference = RequestRef::new(2026, 42).unwrap();
        assert_eq!(reference.to_string(), "SSA-2026-00042");
        assert_eq!((reference.year(), reference.seq()), (2026, 42));
        assert!(RequestRef::new(2026, 0).is_err());
        assert!(RequestRef::new(2026, 100_000).is_err());
        assert!(RequestRef::new(1999, 1).is_err());
    }

    #[test]
    fn references_parse_in_any_case_and_inside_brackets() {
        let expected = RequestRef::new(2026, 42).unwrap();
        for text in [
            "SSA-2026-00042",
            " ssa-2026-00042 ",
            "[SSA-2026-00042]",
            "[ Ssa-2026-00042 ]",
        ] {
            assert_eq!(RequestRef::parse(text), Ok(expected), "{text:?}");
        }
        for bad in [
            "SSA-2026-42",
            "SSA-26-00042",
            "SSA-2026-000042",
            "SSB-2026-00042",
            "SSA-2026-00042x",
            "SSA_2026_00042",
            "SSA-2026-00000",
            "",
            "SSA-２０２６-00042",
        ] {
            assert!(
                RequestRef::parse(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn finds_the_first_reference_in_an_email_subject() {
        let found = RequestRef::find_in("Re: TR: [ssa-2026-00042] Lettre d'appui (SSA-2026-00043)");
        assert_eq!(found, Some(RequestRef::new(2026, 42).unwrap()));
        assert_eq!(
            RequestRef::find_in("Suivi — demande SSA-2027-00001."),
            Some(RequestRef::new(2027, 1).unwrap())
        );
        assert_eq!(
            RequestRef::find_in("émoji 🎉SSA-2026-00007 après"),
            Some(RequestRef::new(2026, 7).unwrap()),
            "non-ASCII text before the reference does not confuse the scan"
        );
        assert_eq!(
            RequestRef::find_in("XSSA-2026-00042 or SSA-2026-000421"),
            None
        );
        assert_eq!(RequestRef::find_in("no reference here"), None);
        assert_eq!(RequestRef::find_in("SSA-2026-0004"), None);
    }
}
