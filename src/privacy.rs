//! Personal data as Quebec's Law 25 expects it handled: everything that keeps something
//! about a person implements [`PersonalData`], and one service erases a person from all of
//! them at once, or purges all of them of what is past its retention period.

use std::sync::Arc;

use time::OffsetDateTime;

use crate::requests::model::Email;

/// A place that keeps personal data (the request log, the mail ledger…).
pub trait PersonalData: Send + Sync {
    /// What this place is, for logs and errors ("request log", "mail ledger").
    fn holder(&self) -> &'static str;
    /// Erases everything kept about the person with this address; returns what was
    /// erased, counted by kind ("request", "conversation", "mail record").
    fn erase(
        &self,
        email: &Email,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<(&'static str, usize)>, PrivacyError>;
    /// Erases the personal data not needed any more that was last touched before
    /// `before` (abandoned conversations, unconfirmed inquiries, sent emails); returns how
    /// many records went.
    fn purge(&self, before: OffsetDateTime) -> Result<usize, PrivacyError>;
}

/// Why personal data could not be erased or purged (nothing is reported erased then).
#[derive(Debug, thiserror::Error)]
#[error("{holder}: {source}")]
pub struct PrivacyError {
    pub holder: &'static str,
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

impl PrivacyError {
    pub fn new(
        holder: &'static str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> PrivacyError {
        PrivacyError {
            holder,
            source: Box::new(source),
        }
    }
}

/// What an erasure removed, by kind, summed over every place.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Erased {
    pub counts: Vec<(&'static str, usize)>,
}

impl Erased {
    /// How many records of `kind` went.
    pub fn count(&self, kind: &str) -> usize {
        self.counts
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, n)| n)
            .sum()
    }

    fn add(&mut self, kind: &'static str, n: usize) {
        match self.counts.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, total)) => *total += n,
            None => self.counts.push((kind, n)),
        }
    }
}

impl std::fmt::Display for Erased {
    /// "erased 1 request(s), 2 conversation(s) and 0 mail record(s)"
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .counts
            .iter()
            .map(|(kind, n)| format!("{n} {kind}(s)"))
            .collect();
        match parts.split_last() {
            None => write!(f, "erased nothing"),
            Some((last, [])) => write!(f, "erased {last}"),
            Some((last, rest)) => write!(f, "erased {} and {last}", rest.join(", ")),
        }
    }
}

/// Every place that keeps personal data, handled as one.
#[derive(Clone, Default)]
pub struct Privacy {
    places: Vec<Arc<dyn PersonalData>>,
}

impl Privacy {
    pub fn new(places: Vec<Arc<dyn PersonalData>>) -> Privacy {
        Privacy { places }
    }

    /// Erases the person from every place. Every place is tried even when one fails; the
    /// first failure is returned after the others ran, so a retry finishes the work.
    pub fn erase_person(
        &self,
        email: &Email,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<Erased, PrivacyError> {
        let mut erased = Erased::default();
        let mut failure = None;
        for place in &self.places {
            match place.erase(email, by, now) {
                Ok(counts) => counts.into_iter().for_each(|(k, n)| erased.add(k, n)),
                Err(e) => {
                    tracing::error!(error = %e, "an erasure failed in part; run it again");
                    failure.get_or_insert(e);
                }
            }
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(erased),
        }
    }

    /// Purges every place of what was last touched before `before`; returns how many
    /// records went in all.
    pub fn purge_before(&self, before: OffsetDateTime) -> Result<usize, PrivacyError> {
        let mut total = 0;
        let mut failure = None;
        for place in &self.places {
            match place.purge(before) {
                Ok(n) => total += n,
                Err(e) => {
                    tracing::error!(error = %e, "a purge failed in part");
                    failure.get_or_insert(e);
                }
            }
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(total),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A place that remembers what it was asked and can be told to fail.
    struct Place {
        name: &'static str,
        fail: bool,
        calls: Mutex<Vec<String>>,
    }

    impl PersonalData for Place {
        fn holder(&self) -> &'static str {
            self.name
        }
        fn erase(
            &self,
            email: &Email,
            _by: &str,
            _now: OffsetDateTime,
        ) -> Result<Vec<(&'static str, usize)>, PrivacyError> {
            self.calls.lock().unwrap().push(format!("erase {email}"));
            if self.fail {
                return Err(PrivacyError::new(self.name, std::fmt::Error));
            }
            Ok(vec![("record", 2), (self.name, 1)])
        }
        fn purge(&self, _before: OffsetDateTime) -> Result<usize, PrivacyError> {
            self.calls.lock().unwrap().push("purge".into());
            if self.fail {
                return Err(PrivacyError::new(self.name, std::fmt::Error));
            }
            Ok(3)
        }
    }

    fn place(name: &'static str, fail: bool) -> Arc<Place> {
        Arc::new(Place {
            name,
            fail,
            calls: Mutex::new(Vec::new()),
        })
    }

    #[test]
    fn an_erasure_reaches_every_place_and_sums_by_kind() {
        let (a, b) = (place("a", false), place("b", false));
        let privacy = Privacy::new(vec![a.clone(), b.clone()]);
        let email = Email::parse("jane@example.org").unwrap();
        let erased = privacy
            .erase_person(&email, "staff", OffsetDateTime::now_utc())
            .unwrap();
        assert_eq!(erased.count("record"), 4);
        assert_eq!(erased.count("a"), 1);
        assert_eq!(erased.to_string(), "erased 4 record(s), 1 a(s) and 1 b(s)");
        assert_eq!(privacy.purge_before(OffsetDateTime::now_utc()).unwrap(), 6);
        for p in [a, b] {
            assert_eq!(
                *p.calls.lock().unwrap(),
                vec!["erase jane@example.org".to_string(), "purge".to_string()]
            );
        }
    }

    #[test]
    fn a_failing_place_does_not_stop_the_others_and_is_reported() {
        let (bad, good) = (place("bad", true), place("good", false));
        let privacy = Privacy::new(vec![bad.clone(), good.clone()]);
        let email = Email::parse("jane@example.org").unwrap();
        let e = privacy
            .erase_person(&email, "staff", OffsetDateTime::now_utc())
            .unwrap_err();
        assert_eq!(e.holder, "bad");
        assert_eq!(good.calls.lock().unwrap().len(), 1);
        assert!(privacy.purge_before(OffsetDateTime::now_utc()).is_err());
        assert_eq!(good.calls.lock().unwrap().len(), 2);
        assert_eq!(Erased::default().to_string(), "erased nothing");
    }
}
