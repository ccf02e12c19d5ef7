//! Written inquiries (email): a message with a subject is answered as a question, a reply
//! that confirms logs it as a request in one step, and later messages about a logged
//! request join its transcript. The mail channel only parses, guards and renders around
//! these operations.

use time::OffsetDateTime;

use super::intake::valid_name;
use super::state::Step;
use super::{intent, Assistant, Incoming, Reply, RequestLogged, Sender, DESCRIPTION_CHARS};
use crate::language::Language;
use crate::question::Question;
use crate::requests::model::{
    Channel, Email, NewRequest, Request, RequestRef, Speaker, TranscriptEntry,
};
use crate::requests::StoreError;

/// At most this much of a message is searched (the whole text is kept with the inquiry).
const QUESTION_CHARS: usize = 1_500;

/// A written message: a subject and a body.
#[derive(Debug, Clone)]
pub struct Letter {
    pub channel: Channel,
    /// The conversation (an email thread) it belongs to.
    pub conversation: String,
    pub sender: Sender,
    pub subject: String,
    pub body: String,
    /// It opens the conversation: its subject is then often the question itself.
    pub opens: bool,
}

/// An inquiry confirmed in one step, on a channel where a form would be a chore (email:
/// "reply CONFIRM"). A missing name becomes the address's local part and a missing
/// organization stays empty (staff complete them during triage); the type is asked for
/// when neither the reply nor the inquiry says it.
#[derive(Debug, Clone)]
pub struct Inquiry {
    /// The id of the message that confirmed it: a message handled twice logs one request.
    pub origin: String,
    /// The sender's display name, if any (else the address's local part is used).
    pub name: Option<String>,
    pub email: Email,
    pub organization: Option<String>,
    /// The type as the person wrote it ("letter of support", "3"…), if they did.
    pub request_type: Option<String>,
    /// The original inquiry (its subject and text).
    pub description: String,
    /// Names of the files sent with it (not kept).
    pub attachments: Vec<String>,
    pub lang: Language,
}

/// What confirming an inquiry did.
#[derive(Debug, Clone)]
pub enum Confirmation {
    /// The request (`new`: logged now; else logged before from the same origin).
    Logged { request: Box<Request>, new: bool },
    /// Nothing was logged: neither the reply nor the inquiry says which type of request
    /// it is, and staff need it to route the request. Ask for it.
    NeedsType,
}

impl Assistant {
    /// Answers a letter as a question only (no greeting, no intake), at `now`. The body is
    /// the question. Only when it asks nothing of its own does a new conversation's
    /// subject count (it is often the question itself, "Lettre d'appui", or says nothing,
    /// "Question"): then the body, the subject with the body, or the subject is asked,
    /// whichever the knowledge base answers first. The language is the body's.
    pub fn answer_inquiry(&self, letter: Letter, now: OffsetDateTime) -> Reply {
        let subject = letter.subject.trim();
        let body = letter.body.trim();
        let mut candidates = vec![body.to_string()];
        if letter.opens && !subject.is_empty() && !intent::asks(body) {
            candidates.push(format!("{subject}\n{body}"));
            candidates.push(subject.to_string());
        }
        candidates.retain(|c| !c.trim().is_empty());
        let cut = |c: &String| -> String { c.chars().take(QUESTION_CHARS).collect() };
        let default_language = self.inner.settings.default_language;
        let question = candidates
            .iter()
            .map(cut)
            .find(|c| {
                Question::parse(c).is_ok_and(|q| {
                    let lang = Language::detect(c).unwrap_or(default_language);
                    self.inner.knowledge.current().ask_in(&q, lang).answered
                })
            })
            .or_else(|| candidates.get(1).or(candidates.first()).map(cut))
            .unwrap_or_default();
        self.run(
            Incoming {
                channel: letter.channel,
                conversation: letter.conversation,
                sender: letter.sender,
                text: question,
                action: None,
                lang_hint: Language::detect(body).or_else(|| Language::detect(subject)),
            },
            now,
            true,
        )
    }

    /// Logs `inquiry` as a request with the transcript of `conversation` (on `channel`).
    /// A request already logged from the same origin is returned as it is (subscribers are
    /// not told twice); an inquiry whose type cannot be told logs nothing and says so.
    pub fn confirm_inquiry(
        &self,
        channel: Channel,
        conversation: &str,
        inquiry: Inquiry,
        now: OffsetDateTime,
    ) -> Result<Confirmation, StoreError> {
        let Some(request_type) = inquiry
            .request_type
            .as_deref()
            .and_then(intent::request_type)
            .or_else(|| intent::request_type_mentioned(&inquiry.description))
        else {
            return Ok(Confirmation::NeedsType);
        };
        let held = self.inner.conversations.hold(channel, conversation);
        let mut loaded = self.inner.conversations.load(&held, now)?;
        let name = inquiry
            .name
            .as_deref()
            .and_then(valid_name)
            .unwrap_or_else(|| {
                let local = inquiry.email.as_str().split('@').next().unwrap_or_default();
                local.chars().take(200).collect()
            });
        let description: String = inquiry
            .description
            .trim()
            .chars()
            .take(*DESCRIPTION_CHARS.end())
            .collect();
        let new = NewRequest {
            channel,
            requester_name: name.clone(),
            requester_email: inquiry.email.clone(),
            requester_handle: None,
            organization: inquiry
                .organization
                .map(|o| crate::text::one_safe_line(&o).chars().take(200).collect())
                .unwrap_or_default(),
            request_type,
            description,
            language: inquiry.lang,
            transcript: loaded.state.transcript.clone(),
            attachments: inquiry.attachments,
        };
        let (request, created) = self
            .inner
            .store
            .create_request_once(&inquiry.origin, new, now)?;
        if !created {
            return Ok(Confirmation::Logged {
                request: Box::new(request),
                new: false,
            });
        }
        tracing::info!(reference = %request.reference, channel = channel.code(), "logged a confirmed inquiry");
        let state = &mut loaded.state;
        state.logged.push(request.reference.to_string());
        state.contact = Some(inquiry.email.clone());
        state.last_unanswered = None;
        state.step = Step::Idle;
        self.inner
            .conversations
            .save(&held, loaded, channel, Some(inquiry.email), now)?;
        self.announce(RequestLogged {
            reference: request.reference,
            request_type,
            channel,
            requester_name: name,
            language: inquiry.lang,
        });
        Ok(Confirmation::Logged {
            request: Box::new(request),
            new: true,
        })
    }

    /// Keeps what the person wrote in a conversation without answering it (a follow-up
    /// that asks nothing new).
    pub fn add_to_conversation(
        &self,
        channel: Channel,
        conversation: &str,
        sender: Option<Email>,
        text: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let text: String = text.trim().chars().take(super::MAX_MESSAGE_CHARS).collect();
        if text.is_empty() {
            return Ok(());
        }
        let held = self.inner.conversations.hold(channel, conversation);
        let mut loaded = self.inner.conversations.load(&held, now)?;
        loaded.state.record(Speaker::Person, &text, now);
        let contact = loaded.state.contact.clone().or(sender);
        self.inner
            .conversations
            .save(&held, loaded, channel, contact, now)
    }

    /// Adds what the person wrote later about a logged request to its transcript.
    pub fn add_to_request(
        &self,
        reference: &RequestRef,
        text: &str,
        now: OffsetDateTime,
    ) -> Result<Request, StoreError> {
        let text: String = text
            .trim()
            .chars()
            .take(crate::requests::model::MAX_DESCRIPTION_CHARS / 2)
            .collect();
        let request = self.inner.store.append_transcript(
            reference,
            TranscriptEntry {
                at: now,
                from: Speaker::Person,
                text,
            },
            now,
        )?;
        tracing::info!(%reference, "a message was added to a request; staff can see it in its transcript");
        Ok(request)
    }

    /// The request numbered `reference`, if it exists (and was not erased).
    pub fn request(&self, reference: &RequestRef) -> Result<Option<Request>, StoreError> {
        self.inner.store.get_request(reference)
    }
}
