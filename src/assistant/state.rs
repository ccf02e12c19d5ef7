//! A conversation's state between two messages: where the intake stands, the fields
//! collected so far, and the transcript. Stored as JSON by the request store.

use serde::{Deserialize, Serialize};

use super::Field;
use crate::language::Language;
use crate::requests::model::{Email, RequestType, Speaker, TranscriptEntry};

/// At most this many transcript entries are kept (the oldest go first).
const MAX_TRANSCRIPT: usize = 40;
/// Longer messages are cut in the transcript.
const MAX_ENTRY_CHARS: usize = 2_000;
/// guichet's own replies are cut shorter: staff need the gist, and the state is saved on
/// every message.
const MAX_OWN_ENTRY_CHARS: usize = 300;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    /// The language the conversation is held in; follows the person.
    pub lang: Option<Language>,
    pub step: Step,
    pub form: Form,
    /// The person agreed to the privacy notice for the current request.
    pub consent: bool,
    /// A field is being re-asked from the summary: go back to the summary afterwards.
    pub back_to_confirm: bool,
    /// The last question the knowledge base could not answer (becomes the description).
    pub last_unanswered: Option<String>,
    pub transcript: Vec<TranscriptEntry>,
    /// References of the requests logged from this conversation.
    pub logged: Vec<String>,
    /// The person's address once given: the store indexes the conversation by it, so
    /// erasing a person also erases the transcripts that hold their details.
    pub contact: Option<Email>,
}

/// Where the conversation stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// Questions and answers.
    #[default]
    Idle,
    /// guichet offered to pass an unanswered question on to staff.
    Offered,
    /// The intake is waiting for this field.
    Asking(Field),
}

/// The fields of a request being collected, each checked when set.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Form {
    pub name: Option<String>,
    pub email: Option<Email>,
    pub organization: Option<String>,
    pub request_type: Option<RequestType>,
    pub description: Option<String>,
}

impl State {
    pub fn in_intake(&self) -> bool {
        matches!(self.step, Step::Asking(_))
    }

    /// Whether the conversation holds what identifies a person: an intake under way, an
    /// address, a logged request. Until then it is questions only, and is not stored.
    pub fn holds_personal_data(&self) -> bool {
        self.in_intake()
            || self.contact.is_some()
            || !self.logged.is_empty()
            || self.form != Form::default()
    }

    /// Forgets the request being collected and everything the person typed for it.
    pub fn drop_intake(&mut self) {
        self.step = Step::Idle;
        self.form = Form::default();
        self.consent = false;
        self.back_to_confirm = false;
        self.last_unanswered = None;
        self.transcript.clear();
        self.contact = None;
    }

    pub fn record(&mut self, from: Speaker, text: &str, at: time::OffsetDateTime) {
        let max = if from == Speaker::Guichet {
            MAX_OWN_ENTRY_CHARS
        } else {
            MAX_ENTRY_CHARS
        };
        let mut cut: String = text.chars().take(max).collect();
        if cut.len() < text.len() {
            cut.push('…');
        }
        self.transcript.push(TranscriptEntry {
            at,
            from,
            text: cut,
        });
        if self.transcript.len() > MAX_TRANSCRIPT {
            let extra = self.transcript.len() - MAX_TRANSCRIPT;
            self.transcript.drain(..extra);
        }
    }
}
