//! A request's status and the moves allowed between statuses.

use crate::language::Language;

/// Where a request stands. Requests move forward through the list in order; closing is
/// possible from anywhere (with a reason), and a closed request can only be reopened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RequestStatus {
    New,
    Triaged,
    Assigned,
    InProgress,
    Closed,
}

impl RequestStatus {
    pub const ALL: [RequestStatus; 5] = [
        RequestStatus::New,
        RequestStatus::Triaged,
        RequestStatus::Assigned,
        RequestStatus::InProgress,
        RequestStatus::Closed,
    ];

    /// The code stored and typed by staff: `new`, `triaged`, `assigned`, `in_progress`,
    /// `closed`.
    pub fn code(self) -> &'static str {
        match self {
            RequestStatus::New => "new",
            RequestStatus::Triaged => "triaged",
            RequestStatus::Assigned => "assigned",
            RequestStatus::InProgress => "in_progress",
            RequestStatus::Closed => "closed",
        }
    }

    /// Reads a code, also accepting what staff naturally type: `in-progress`,
    /// `inprogress`, and the French words (`nouvelle`, `triée`, `assignée`, `en cours`,
    /// `fermée`, with or without accents). Case is ignored.
    pub fn parse_code(input: &str) -> Option<RequestStatus> {
        let folded = input.trim().to_lowercase();
        let status = match folded.as_str() {
            "new" | "nouvelle" | "nouveau" => RequestStatus::New,
            "triaged" | "triée" | "triee" => RequestStatus::Triaged,
            "assigned" | "assignée" | "assignee" => RequestStatus::Assigned,
            "in_progress" | "in-progress" | "inprogress" | "in progress" | "en_cours"
            | "en cours" | "en-cours" => RequestStatus::InProgress,
            "closed" | "fermée" | "fermee" => RequestStatus::Closed,
            _ => return None,
        };
        Some(status)
    }

    /// The status as a person reads it.
    pub fn label(self, lang: Language) -> &'static str {
        match (self, lang) {
            (RequestStatus::New, Language::Fr) => "Nouvelle",
            (RequestStatus::New, Language::En) => "New",
            (RequestStatus::Triaged, Language::Fr) => "Triée",
            (RequestStatus::Triaged, Language::En) => "Triaged",
            (RequestStatus::Assigned, Language::Fr) => "Assignée",
            (RequestStatus::Assigned, Language::En) => "Assigned",
            (RequestStatus::InProgress, Language::Fr) => "En cours",
            (RequestStatus::InProgress, Language::En) => "In progress",
            (RequestStatus::Closed, Language::Fr) => "Fermée",
            (RequestStatus::Closed, Language::En) => "Closed",
        }
    }

    /// Whether a request may move from this status to `next`: forward in the list, to
    /// Closed from any open status, and from Closed only back to New or Triaged (a
    /// reopen). Staying put is not a move.
    pub fn can_move_to(self, next: RequestStatus) -> bool {
        match (self, next) {
            _ if self == next => false,
            (RequestStatus::Closed, RequestStatus::New | RequestStatus::Triaged) => true,
            (RequestStatus::Closed, _) => false,
            (_, RequestStatus::Closed) => true,
            _ => next > self,
        }
    }

    /// Whether the move to `next` needs a written reason: closing (the person will ask
    /// why) and reopening (staff will ask why).
    pub fn needs_reason_to_move_to(self, next: RequestStatus) -> bool {
        self != next && (self == RequestStatus::Closed || next == RequestStatus::Closed)
    }
}

coded!(RequestStatus, super::Field::Status);

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn status_codes_round_trip_and_french_words_are_understood() {
        for status in RequestStatus::ALL {
            assert_eq!(RequestStatus::parse_code(status.code()), Some(status));
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                json!(status.code()),
                "serde and code() agree"
            );
        }
        let cases = [
            ("in-progress", RequestStatus::InProgress),
            ("InProgress", RequestStatus::InProgress),
            ("en cours", RequestStatus::InProgress),
            ("en_cours", RequestStatus::InProgress),
            ("Nouvelle", RequestStatus::New),
            ("TRIÉE", RequestStatus::Triaged),
            ("triee", RequestStatus::Triaged),
            ("assignée", RequestStatus::Assigned),
            ("assignee", RequestStatus::Assigned),
            ("fermée", RequestStatus::Closed),
            ("fermee", RequestStatus::Closed),
        ];
        for (text, expected) in cases {
            assert_eq!(RequestStatus::parse_code(text), Some(expected), "{text:?}");
        }
        let err = RequestStatus::parse("done").unwrap_err().to_string();
        assert!(err.contains("done") && err.contains("in_progress"), "{err}");
    }

    #[test]
    fn status_labels_exist_in_both_languages() {
        assert_eq!(RequestStatus::InProgress.label(Language::Fr), "En cours");
        assert_eq!(RequestStatus::InProgress.label(Language::En), "In progress");
        assert_eq!(RequestStatus::Closed.label(Language::Fr), "Fermée");
    }

    #[test]
    fn a_request_moves_forward_closes_from_anywhere_and_only_reopens_to_new_or_triaged() {
        use RequestStatus::*;
        assert!(New.can_move_to(Triaged));
        assert!(
            New.can_move_to(InProgress),
            "skipping ahead is a forward move"
        );
        assert!(Triaged.can_move_to(Assigned));
        assert!(Assigned.can_move_to(InProgress));
        assert!(!InProgress.can_move_to(Assigned), "no move backwards");
        assert!(!Triaged.can_move_to(New));
        for status in [New, Triaged, Assigned, InProgress] {
            assert!(status.can_move_to(Closed), "{status} can close");
            assert!(status.needs_reason_to_move_to(Closed));
            assert!(!status.can_move_to(status), "{status} to itself is no move");
        }
        assert!(Closed.can_move_to(New) && Closed.can_move_to(Triaged));
        assert!(!Closed.can_move_to(Assigned) && !Closed.can_move_to(InProgress));
        assert!(!Closed.can_move_to(Closed));
        assert!(Closed.needs_reason_to_move_to(Triaged));
        assert!(!New.needs_reason_to_move_to(Triaged));
    }
}
