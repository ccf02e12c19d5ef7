//! The staff's desk: what staff may do with logged requests (list, read, triage, assign,
//! annotate) and the rules for it (which status may follow which, when a reason is
//! needed, what assigning does). The staff pages and the command line go through it; the
//! store only keeps what the desk decided.

use std::sync::Arc;

use time::OffsetDateTime;

use super::model::{
    multi_line, staff_name, AuditEvent, Field, Request, RequestRef, RequestStatus, MAX_NOTE_CHARS,
};
use super::{Change, RequestFilter, RequestStore, StoreError};

/// Staff operations on the request log. Cheap to clone. Blocking, like the store.
#[derive(Clone)]
pub struct RequestDesk {
    store: Arc<dyn RequestStore>,
}

impl RequestDesk {
    pub fn new(store: Arc<dyn RequestStore>) -> RequestDesk {
        RequestDesk { store }
    }

    /// The requests matching `filter`, newest first.
    pub fn list(&self, filter: &RequestFilter) -> Result<Vec<Request>, StoreError> {
        self.store.list_requests(filter)
    }

    pub fn get(&self, reference: &RequestRef) -> Result<Option<Request>, StoreError> {
        self.store.get_request(reference)
    }

    /// Every change to the request, oldest first.
    pub fn history(&self, reference: &RequestRef) -> Result<Vec<AuditEvent>, StoreError> {
        self.store.history(reference)
    }

    /// Moves a request to `status` if [`RequestStatus::can_move_to`] allows it; closing
    /// and reopening need a `note` (kept as the closing reason, or in the history).
    pub fn set_status(
        &self,
        reference: &RequestRef,
        status: RequestStatus,
        note: Option<&str>,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<Request, StoreError> {
        let note = note
            .map(|n| multi_line(Field::Reason, n, MAX_NOTE_CHARS, false))
            .transpose()?
            .filter(|n| !n.is_empty());
        self.store.update(reference, by, now, &mut |current| {
            let from = current.status;
            if !from.can_move_to(status) {
                return Err(StoreError::InvalidTransition { from, to: status });
            }
            if from.needs_reason_to_move_to(status) && note.is_none() {
                return Err(StoreError::ReasonRequired);
            }
            Ok(vec![Change::Status {
                from,
                to: status,
                reason: note.clone(),
            }])
        })
    }

    /// Puts `staff` in charge; a New or Triaged request becomes Assigned. A closed request
    /// must be reopened first. Assigning the person already in charge changes nothing.
    pub fn assign(
        &self,
        reference: &RequestRef,
        staff: &str,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<Request, StoreError> {
        let staff = staff_name(Field::Assignee, staff)?;
        self.store.update(reference, by, now, &mut |current| {
            if current.status == RequestStatus::Closed {
                return Err(StoreError::InvalidTransition {
                    from: RequestStatus::Closed,
                    to: RequestStatus::Assigned,
                });
            }
            let mut changes = Vec::new();
            if current.assignee.as_deref() != Some(staff.as_str()) {
                changes.push(Change::Assignee {
                    from: current.assignee.clone(),
                    to: staff.clone(),
                });
            }
            if matches!(current.status, RequestStatus::New | RequestStatus::Triaged) {
                changes.push(Change::Status {
                    from: current.status,
                    to: RequestStatus::Assigned,
                    reason: None,
                });
            }
            Ok(changes)
        })
    }

    /// Adds a staff note (kept with the request and in its history).
    pub fn add_note(
        &self,
        reference: &RequestRef,
        note: &str,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<Request, StoreError> {
        let note = multi_line(Field::Note, note, MAX_NOTE_CHARS, true)?;
        self.store.update(reference, by, now, &mut |_| {
            Ok(vec![Change::Note(note.clone())])
        })
    }
}
