//! The request log: what people ask the Unit for, who handles it, and what happened to it;
//! plus the state of ongoing conversations, and the erasure of a person's data on demand
//! (Quebec's Law 25).
//!
//! - [`model`]: the domain types (`Email`, `RequestRef`, `RequestStatus`, `Request`…),
//!   each checked when it is built.
//! - [`RequestStore`] (this file): what callers may do with the log. It is a trait so a
//!   PostgreSQL backend can come later without touching the channels.
//! - [`sqlite`]: the SQLite implementation, with its schema migrations.
//! - [`export`]: CSV and JSON exports, and the terminal views for staff.
//! - [`StoreError`] (`error.rs`): why the store refused or failed, in English for the logs
//!   and in the person's language for them.
//!
//! The store's methods block (SQLite waits up to five seconds for a busy database): from
//! async code, call them inside `tokio::task::spawn_blocking`.

pub mod desk;
mod error;
pub mod export;
pub mod model;
pub mod sqlite;

use time::OffsetDateTime;

pub use desk::RequestDesk;
pub use error::StoreError;
pub use model::{
    AuditEvent, AuditKind, Channel, Email, ModelError, NewRequest, Request, RequestRef,
    RequestStatus, RequestType, Speaker, StaffNote, TranscriptEntry,
};
pub use sqlite::SqliteStore;

/// Who guichet records as the author of what it does on a person's behalf (logging their
/// request, adding their messages to its transcript).
pub const GUICHET_ACTOR: &str = "guichet";

/// Where requests and conversations are kept. Shared as `Arc<dyn RequestStore>`; every
/// method is one transaction, and every change to a request writes an audit event with it.
pub trait RequestStore: crate::privacy::PersonalData {
    /// The saved state of a chat or email conversation, if any.
    fn load_conversation(&self, key: &str) -> Result<Option<StoredConversation>, StoreError>;
    /// Saves a conversation, replacing any earlier state under the same key (its
    /// `created_at` is kept from the first save).
    fn save_conversation(&self, conversation: &StoredConversation) -> Result<(), StoreError>;
    /// Saves a conversation only if it is still as it was loaded: `loaded_at` is the
    /// `updated_at` it had then (`None`: it did not exist). Returns false, writing
    /// nothing, when it was changed, erased or purged meanwhile (by another process, such
    /// as `guichet requests erase` while `serve` runs): erased data is never written back.
    fn save_conversation_if(
        &self,
        conversation: &StoredConversation,
        loaded_at: Option<OffsetDateTime>,
    ) -> Result<bool, StoreError>;
    /// Forgets a conversation; forgetting an unknown key is not an error.
    fn delete_conversation(&self, key: &str) -> Result<(), StoreError>;
    /// Deletes the conversations last updated before `idle_since` (abandoned drafts hold
    /// personal data that was never consented to be kept); returns how many.
    fn purge_conversations(&self, idle_since: OffsetDateTime) -> Result<usize, StoreError>;

    /// Logs a new request, numbered `SSA-{year of now}-{next number of that year}`, with
    /// status New.
    fn create_request(&self, new: NewRequest, now: OffsetDateTime) -> Result<Request, StoreError>;
    /// Logs a request once per `origin` (the id of the message that confirmed it): called
    /// again with the same origin (a message handled twice after a crash), it returns the
    /// request the first call logged, with `false`.
    fn create_request_once(
        &self,
        origin: &str,
        new: NewRequest,
        now: OffsetDateTime,
    ) -> Result<(Request, bool), StoreError>;
    fn get_request(&self, reference: &RequestRef) -> Result<Option<Request>, StoreError>;
    /// The requests matching `filter`, newest first.
    fn list_requests(&self, filter: &RequestFilter) -> Result<Vec<Request>, StoreError>;
    /// Changes a request in one transaction: `decide` sees the request as it is now and
    /// returns the changes to make (the policy lives with the caller, see
    /// [`RequestDesk`]); each is written with its audit event by `by`. Nothing is written
    /// when `decide` fails; no change leaves the request as it was.
    fn update(
        &self,
        reference: &RequestRef,
        by: &str,
        now: OffsetDateTime,
        decide: &mut dyn FnMut(&Request) -> Result<Vec<Change>, StoreError>,
    ) -> Result<Request, StoreError>;
    /// Adds a message (a reply from the person, an answer from staff) to the transcript.
    fn append_transcript(
        &self,
        reference: &RequestRef,
        entry: TranscriptEntry,
        now: OffsetDateTime,
    ) -> Result<Request, StoreError>;
    /// Every change to the request, oldest first.
    fn history(&self, reference: &RequestRef) -> Result<Vec<AuditEvent>, StoreError>;

    /// Adds a question to the anonymised questions log.
    fn log_question(&self, question: &LoggedQuestion) -> Result<(), StoreError>;
    /// The questions logged on `since` or later, oldest first.
    fn questions_since(&self, since: time::Date) -> Result<Vec<LoggedQuestion>, StoreError>;
    /// Records a vote on the logged answer with this feedback token id, once: a second
    /// vote on the same answer changes nothing.
    fn record_vote(
        &self,
        token_id: &str,
        vote: crate::questions::Vote,
        now: OffsetDateTime,
    ) -> Result<crate::questions::VoteOutcome, StoreError>;
    /// The states staff gave to question wordings, by wording id.
    fn question_marks(&self) -> Result<Vec<(String, crate::questions::GroupState)>, StoreError>;
    /// Sets the state of a question wording (`Open` forgets the mark).
    fn mark_question_group(
        &self,
        wording: &str,
        state: crate::questions::GroupState,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// The key that signs feedback tokens: random, made with the database, kept in it
    /// (owner-only) so links in emails sent before a restart still work.
    fn feedback_key(&self) -> Result<Vec<u8>, StoreError>;

    /// Deletes everything about the person with this address (case ignored): their
    /// requests with notes and history, and their conversations. Records that an erasure
    /// happened (when, by whom, how many), without any personal data.
    fn erase_person(
        &self,
        email: &Email,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<Erasure, StoreError>;
}

/// One change to a request, as the desk decided it; the store writes it with its audit
/// event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A new status. The reason is kept as the closing reason when closing, and in the
    /// history either way.
    Status {
        from: RequestStatus,
        to: RequestStatus,
        reason: Option<String>,
    },
    /// A new staff member in charge.
    Assignee { from: Option<String>, to: String },
    /// A staff note.
    Note(String),
}

/// A question as the anonymised questions log keeps it: no sender, no conversation, the
/// day only, and its text without addresses or phone numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedQuestion {
    pub day: time::Date,
    pub channel: Channel,
    pub language: crate::language::Language,
    pub outcome: QuestionOutcome,
    pub text: String,
    /// The id of the feedback token handed out with the answer (answered questions only).
    pub token: Option<String>,
    /// The passages shown, as `doc_id` (and `#section`), best first.
    pub passages: Vec<String>,
    /// Answered just above the decision's threshold (see [`crate::questions::LOW_MARGIN`]).
    pub low_margin: bool,
    /// The person's vote on the answer, if they gave one.
    pub vote: Option<crate::questions::Vote>,
}

impl LoggedQuestion {
    /// The entry for `question`, asked on `channel` at `at`: only the sentences that ask
    /// (greetings, self-introductions and signatures dropped), without identifiers.
    pub fn new(
        question: &str,
        channel: Channel,
        language: crate::language::Language,
        outcome: QuestionOutcome,
        at: OffsetDateTime,
    ) -> LoggedQuestion {
        let focus = crate::search::focus::extract(question);
        let text = crate::text::without_identifiers(&focus.joined());
        LoggedQuestion {
            day: at.date(),
            channel,
            language,
            outcome,
            text: text.chars().take(1_000).collect(),
            token: None,
            passages: Vec::new(),
            low_margin: false,
            vote: None,
        }
    }
}

/// What a logged question got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionOutcome {
    Answered,
    /// Related pages were offered ("did you mean").
    Suggested,
    Unanswered,
}

impl QuestionOutcome {
    pub fn code(self) -> &'static str {
        match self {
            QuestionOutcome::Answered => "answered",
            QuestionOutcome::Suggested => "suggested",
            QuestionOutcome::Unanswered => "unanswered",
        }
    }

    pub fn parse(code: &str) -> Option<QuestionOutcome> {
        [
            QuestionOutcome::Answered,
            QuestionOutcome::Suggested,
            QuestionOutcome::Unanswered,
        ]
        .into_iter()
        .find(|o| o.code() == code)
    }
}

/// A conversation's state as the conversation engine saved it. The store does not look
/// inside `state`; it only needs the contact address to erase a person's conversations.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredConversation {
    /// The channel's own conversation id (`discord:1234`, an email thread id…).
    pub key: String,
    pub channel: Channel,
    /// The person's address once they gave it, so an erasure finds the conversation.
    pub contact_email: Option<Email>,
    pub state: serde_json::Value,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Which requests to list. The default lists everything, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestFilter {
    pub status: Option<RequestStatus>,
    /// The staff member in charge (case ignored).
    pub assignee: Option<String>,
    pub request_type: Option<RequestType>,
    /// Text to find (case ignored) in the reference, name, email, organization or
    /// description.
    pub search: Option<String>,
    /// At most this many requests (the newest).
    pub limit: Option<usize>,
}

/// What an erasure removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Erasure {
    pub requests: usize,
    pub conversations: usize,
}
