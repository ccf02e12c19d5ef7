//! The email address a person gives: checked well enough to catch typos.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{shorten, ModelError, MAX_EMAIL_CHARS, MAX_EMAIL_LOCAL_CHARS};

/// An email address a person gave, checked well enough to catch typos ("jane@", "jane
/// umontreal.ca") without pretending to implement all of RFC 5322. The domain is folded to
/// lowercase; the local part keeps its case (some mail servers care).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses an address: trimmed; one `@`; a local part of 1 to 64 characters without
    /// spaces, control characters or `<>()[],;:"`; a domain of dot-separated labels of ASCII
    /// letters, digits and inner hyphens ending with a top-level domain of two letters or
    /// more; 254 characters in all.
    pub fn parse(input: &str) -> Result<Email, ModelError> {
        let text = input.trim();
        let fail = |reason: &'static str| ModelError::Email {
            input: shorten(text),
            reason,
        };
        if text.is_empty() {
            return Err(fail("it is empty"));
        }
        if text.chars().count() > MAX_EMAIL_CHARS {
            return Err(fail("it is longer than 254 characters"));
        }
        let Some((local, domain)) = text.split_once('@') else {
            return Err(fail("it has no '@'"));
        };
        if domain.contains('@') {
            return Err(fail("it has more than one '@'"));
        }
        if local.is_empty() {
            return Err(fail("nothing comes before the '@'"));
        }
        if local.chars().count() > MAX_EMAIL_LOCAL_CHARS {
            return Err(fail("the part before the '@' is longer than 64 characters"));
        }
        if local
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\"".contains(c))
        {
            return Err(fail(
                "the part before the '@' contains a space or one of < > ( ) [ ] , ; : \"",
            ));
        }
        if domain.is_empty() {
            return Err(fail("nothing comes after the '@'"));
        }
        let domain = domain.to_ascii_lowercase();
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 {
            return Err(fail("the domain has no dot (e.g. umontreal.ca)"));
        }
        for label in &labels {
            if label.is_empty() {
                return Err(fail("the domain has an empty part (two dots in a row?)"));
            }
            if label.len() > 63 {
                return Err(fail("a part of the domain is longer than 63 characters"));
            }
            if !label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return Err(fail(
                    "the domain may only contain letters, digits, hyphens and dots",
                ));
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(fail("a part of the domain starts or ends with a hyphen"));
            }
        }
        // `labels` has at least two elements (checked above).
        let tld = labels[labels.len() - 1];
        if tld.len() < 2 || !tld.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(fail(
                "the domain must end with a top-level domain of at least two letters",
            ));
        }
        Ok(Email(format!("{local}@{domain}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether two addresses reach the same person, ignoring case everywhere (people type
    /// `Jane.Doe@` and `jane.doe@` for the same mailbox). Used by the privacy erasure.
    pub fn same_mailbox(&self, other: &str) -> bool {
        self.0.to_lowercase() == other.trim().to_lowercase()
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for Email {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Email::parse(s)
    }
}

impl Serialize for Email {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Email::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_folds_the_domain_only() {
        let email = Email::parse("  jane.doe@umontreal.ca ").unwrap();
        assert_eq!(email.as_str(), "jane.doe@umontreal.ca");
        let email = Email::parse("Jane@McGill.CA").unwrap();
        assert_eq!(
            email.as_str(),
            "Jane@mcgill.ca",
            "the local part keeps its case"
        );
        for good in [
            "j.tremblay+ssa@crchum.qc.ca",
            "x@a-b.co",
            "élise@usherbrooke.ca",
            "o'brien@ulaval.ca",
        ] {
            assert!(Email::parse(good).is_ok(), "{good} should be accepted");
        }
    }

    #[test]
    fn rejects_addresses_with_a_typo() {
        for bad in [
            "",
            "jane",
            "jane@",
            "@umontreal.ca",
            "jane@localhost",
            "a b@x.ca",
            "jane@@x.ca",
            "jane@x@y.ca",
            "jane@x..ca",
            "jane@-x.ca",
            "jane@x-.ca",
            "jane@x.c",
            "jane@x.c4",
            "jane@x.ca.",
            "jane@univ_montreal.ca",
            "jane@université.ca",
            "<jane>@x.ca",
            "jane;doe@x.ca",
            "\"jane\"@x.ca",
            "ja\u{0007}ne@x.ca",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn bounds_the_length_of_an_address() {
        let local_64 = "a".repeat(64);
        assert!(Email::parse(&format!("{local_64}@x.ca")).is_ok());
        assert!(Email::parse(&format!("{local_64}a@x.ca")).is_err());
        let long_domain = format!("{}.ca", vec!["b".repeat(60); 5].join("."));
        let address = format!("a@{long_domain}");
        assert!(address.len() > MAX_EMAIL_CHARS);
        let err = Email::parse(&address).unwrap_err().to_string();
        assert!(err.contains("254"), "the error says the limit: {err}");
    }

    #[test]
    fn an_email_error_quotes_a_shortened_input_and_the_reason() {
        let err = Email::parse(&format!("{}@", "x".repeat(500)))
            .unwrap_err()
            .to_string();
        assert!(err.len() < 300, "the error is short: {err}");
        let err = Email::parse("jane@localhost").unwrap_err().to_string();
        assert!(
            err.contains("jane@localhost") && err.contains("dot"),
            "{err}"
        );
    }

    #[test]
    fn emails_serialise_as_plain_strings_and_are_checked_when_read() {
        let email = Email::parse("Jane@McGill.CA").unwrap();
        assert_eq!(
            serde_json::to_value(&email).unwrap(),
            json!("Jane@mcgill.ca")
        );
        let back: Email = serde_json::from_value(json!("jane@mcgill.ca")).unwrap();
        assert!(email.same_mailbox(back.as_str()));
        assert!(serde_json::from_value::<Email>(json!("jane@")).is_err());
    }
}
