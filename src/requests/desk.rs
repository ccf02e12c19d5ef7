//! The staff's desk: what staff may do with logged requests (list, read, triage, assign,
//! annotate). The staff pages and the command line go through it, never through the store.

use std::sync::Arc;

use time::OffsetDateTime;

use super::model::{AuditEvent, Request, RequestRef, RequestStatus};
use super::{RequestFilter, RequestStore, StoreError};

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
    /// and reopening need a `note`.
    pub fn set_status(
        &self,
        reference: &RequestRef,
        status: RequestStatus,
        note: Option<&str>,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<Request, StoreError> {
        self.store.set_status(reference, status, note, by, now)
    }

    /// Puts `staff` in charge; a New or Triaged request becomes Assigned.
    pub fn assign(
        &self,
        reference: &RequestRef,
        staff: &str,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<Request, StoreError> {
        self.store.assign(reference, staff, by, now)
    }

    pub fn add_note(
        &self,
        reference: &RequestRef,
        note: &str,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<Request, StoreError> {
        self.store.add_note(reference, note, by, now)
    }
}
