//! The audit trail: one event for each change made to a request.

use serde::Serialize;
use time::OffsetDateTime;

use super::rfc3339;

/// What kind of change an audit event records. The meaning of `from` and `to` depends on
/// the kind (see each variant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditKind {
    /// The request was logged; `to` is its first status.
    Created,
    /// The status changed; `from` and `to` are status codes, `note` the reason if any.
    Status,
    /// The assignee changed; `from` and `to` are staff names.
    Assigned,
    /// A staff note was added; `note` is its text.
    Note,
    /// A message was added to the transcript; `to` is the speaker's code.
    Transcript,
    /// A closed request was reopened; `from` is `closed`, `to` the new status, `note` why.
    Reopened,
}

impl AuditKind {
    pub const ALL: [AuditKind; 6] = [
        AuditKind::Created,
        AuditKind::Status,
        AuditKind::Assigned,
        AuditKind::Note,
        AuditKind::Transcript,
        AuditKind::Reopened,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AuditKind::Created => "created",
            AuditKind::Status => "status",
            AuditKind::Assigned => "assigned",
            AuditKind::Note => "note",
            AuditKind::Transcript => "transcript",
            AuditKind::Reopened => "reopened",
        }
    }

    /// What happened, as staff read it in the request's history.
    pub fn label(self, lang: crate::language::Language) -> &'static str {
        use crate::language::Language::{En, Fr};
        match (self, lang) {
            (AuditKind::Created, Fr) => "Création",
            (AuditKind::Created, En) => "Created",
            (AuditKind::Status, Fr) => "Statut",
            (AuditKind::Status, En) => "Status",
            (AuditKind::Assigned, Fr) => "Assignation",
            (AuditKind::Assigned, En) => "Assigned",
            (AuditKind::Note, Fr) => "Note",
            (AuditKind::Note, En) => "Note",
            (AuditKind::Transcript, Fr) => "Message ajouté",
            (AuditKind::Transcript, En) => "Message added",
            (AuditKind::Reopened, Fr) => "Réouverture",
            (AuditKind::Reopened, En) => "Reopened",
        }
    }

    /// Reads a code (case ignored).
    pub fn parse_code(input: &str) -> Option<AuditKind> {
        let folded = input.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|k| k.code() == folded)
    }
}

coded!(AuditKind, super::Field::AuditKind);

/// One change to a request: who did what, when. Kept with the request (and erased with
/// it), so staff can answer "who closed this, and why?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    #[serde(with = "rfc3339")]
    pub at: OffsetDateTime,
    /// The staff member, or `guichet` for what guichet did on a person's behalf.
    pub by: String,
    pub kind: AuditKind,
    pub from: Option<String>,
    pub to: Option<String>,
    pub note: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::language::Language;

    #[test]
    fn every_kind_reads_in_each_language_and_never_as_its_code() {
        for lang in Language::ALL {
            let labels: std::collections::HashSet<&str> =
                AuditKind::ALL.iter().map(|k| k.label(lang)).collect();
            assert_eq!(labels.len(), AuditKind::ALL.len(), "distinct in {lang}");
        }
        for kind in AuditKind::ALL {
            assert_ne!(kind.label(Language::Fr), kind.code(), "{kind:?}");
        }
    }
}
