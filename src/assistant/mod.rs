//! The conversation engine: one [`Assistant`] serves every channel.
//!
//! A channel turns what it receives into an [`Incoming`] message and renders the
//! [`Reply`] in its own medium (HTML, terminal text, email, Discord embeds). The engine
//! answers questions from the knowledge base, greets, and runs the request intake: it asks
//! for the missing fields one at a time, shows the privacy notice, needs consent and an
//! explicit confirmation, then logs the request and announces it to subscribers.
//! Corrections, "cancel" and questions are accepted at every step.

pub mod confirmation;
mod conversation;
mod inquiry;
mod intake;
pub mod intent;
pub mod state;

use std::sync::Arc;

use serde::Serialize;
use time::OffsetDateTime;
use tokio::sync::broadcast;

use crate::language::Language;
use crate::messages::Msg;
use crate::privacy::{Erased, PersonalData, Privacy, PrivacyError};
use crate::requests::model::{Channel, Email, RequestRef, RequestStatus, RequestType, Speaker};
use crate::requests::{LoggedQuestion, QuestionOutcome, RequestStore, StoreError};
use crate::search::{Answer, Hit, HitJson, Knowledge};
use conversation::Conversations;
pub use inquiry::{Confirmation, Inquiry, Letter};
use state::Step;

/// Longest message the engine reads; longer text is cut (channels reject far longer input).
pub const MAX_MESSAGE_CHARS: usize = 5_000;
/// Bounds of a description.
const DESCRIPTION_CHARS: std::ops::RangeInclusive<usize> = 10..=5_000;

/// An intake field the engine can be waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Name,
    Email,
    Organization,
    Type,
    Description,
    Consent,
    Confirm,
}

impl Field {
    /// The name channels and scripts see in `awaiting`.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Email => "email",
            Field::Organization => "organization",
            Field::Type => "type",
            Field::Description => "description",
            Field::Consent => "consent",
            Field::Confirm => "confirm",
        }
    }

    fn label(self) -> Msg {
        match self {
            Field::Name => Msg::FieldName,
            Field::Email => Msg::FieldEmail,
            Field::Organization => Msg::FieldOrganization,
            Field::Type => Msg::FieldType,
            _ => Msg::FieldDescription,
        }
    }
}

/// Something a person can do with one click; channels render these as buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    MakeRequest,
    Confirm,
    Cancel,
    ConsentYes,
    ConsentNo,
    No,
}

impl Action {
    /// The stable id a channel sends back when the button is pressed.
    pub fn id(self) -> &'static str {
        match self {
            Action::MakeRequest => "make_request",
            Action::Confirm => "confirm",
            Action::Cancel => "cancel",
            Action::ConsentYes => "consent_yes",
            Action::ConsentNo => "consent_no",
            Action::No => "no",
        }
    }

    /// Every action.
    pub const ALL: [Action; 6] = [
        Action::MakeRequest,
        Action::Confirm,
        Action::Cancel,
        Action::ConsentYes,
        Action::ConsentNo,
        Action::No,
    ];

    pub fn parse(id: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.id() == id)
    }

    /// The button's label in `lang`.
    pub fn label(self, lang: Language) -> &'static str {
        match self {
            Action::MakeRequest => Msg::ActionMakeRequest,
            Action::Confirm => Msg::ActionConfirm,
            Action::Cancel => Msg::ActionCancel,
            Action::ConsentYes => Msg::ActionConsentYes,
            Action::ConsentNo => Msg::ActionConsentNo,
            Action::No => Msg::ActionNo,
        }
        .text(lang)
    }
}

/// Who sent a message, as far as the channel knows.
#[derive(Debug, Clone, Default)]
pub struct Sender {
    pub name: Option<String>,
    pub email: Option<Email>,
    /// A channel handle (Discord user, Teams id), kept with the request.
    pub handle: Option<String>,
}

/// A message from a person, whatever the channel.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub channel: Channel,
    /// Identifies the conversation within the channel (a web session, a DM, an email thread).
    pub conversation: String,
    pub sender: Sender,
    pub text: String,
    /// A button press, sent instead of (or with) text.
    pub action: Option<Action>,
    /// The channel's idea of the language (browser, Discord locale) when the text gives none.
    pub lang_hint: Option<Language>,
}

impl Incoming {
    /// A text message with no sender details, the common case in chat channels.
    pub fn text(
        channel: Channel,
        conversation: impl Into<String>,
        text: impl Into<String>,
    ) -> Incoming {
        Incoming {
            channel,
            conversation: conversation.into(),
            sender: Sender::default(),
            text: text.into(),
            action: None,
            lang_hint: None,
        }
    }
}

/// A request that was just logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    pub reference: RequestRef,
    pub status: RequestStatus,
}

/// What the engine answers; channels render it.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The sentences to show, without the excerpts (see `hits`).
    pub text: String,
    pub lang: Language,
    /// Excerpts answering a question (empty otherwise).
    pub hits: Vec<Hit>,
    /// When not sure enough to answer: related pages to offer (same shape as hits).
    pub suggestions: Vec<Hit>,
    /// Whether a question was answered from the knowledge base (`None`: no question asked).
    pub answered: Option<bool>,
    /// The intake field being asked for.
    pub awaiting: Option<Field>,
    /// The request logged by this message.
    pub request: Option<LoggedRequest>,
    /// Buttons to offer.
    pub actions: Vec<Action>,
    /// The signed token a vote on this answer sends back (see
    /// [`Assistant::record_feedback`]); only with an answer (hits).
    pub feedback: Option<String>,
}

impl Reply {
    /// The JSON both the terminal chat (`--json`) and `POST /api/chat` return:
    /// `{"text", "lang", "answered", "hits", "suggestions", "awaiting", "request",
    /// "actions", "feedback"}` (see [`ReplyJson`]).
    pub fn to_json(&self) -> serde_json::Value {
        // Strings, numbers and booleans only: serialising to a `Value` cannot fail.
        serde_json::to_value(ReplyJson::from(self)).expect("a reply serialises")
    }
}

/// A [`Reply`] as JSON; hits and suggestions have the shape of [`HitJson`].
#[derive(Debug, Serialize)]
pub struct ReplyJson<'a> {
    pub text: &'a str,
    pub lang: &'static str,
    pub answered: Option<bool>,
    pub hits: Vec<HitJson<'a>>,
    pub suggestions: Vec<HitJson<'a>>,
    pub awaiting: Option<&'static str>,
    pub request: Option<RequestJson>,
    pub actions: Vec<ActionJson>,
    pub feedback: Option<&'a str>,
}

/// The request a reply logged: `{"reference", "status"}`.
#[derive(Debug, Serialize)]
pub struct RequestJson {
    pub reference: String,
    pub status: &'static str,
}

/// A button: `{"id", "label"}`.
#[derive(Debug, Serialize)]
pub struct ActionJson {
    pub id: &'static str,
    pub label: &'static str,
}

impl<'a> From<&'a Reply> for ReplyJson<'a> {
    fn from(reply: &'a Reply) -> Self {
        ReplyJson {
            text: &reply.text,
            lang: reply.lang.code(),
            answered: reply.answered,
            hits: reply.hits.iter().map(HitJson::from).collect(),
            suggestions: reply.suggestions.iter().map(HitJson::from).collect(),
            awaiting: reply.awaiting.map(Field::as_str),
            request: reply.request.as_ref().map(|r| RequestJson {
                reference: r.reference.to_string(),
                status: r.status.code(),
            }),
            actions: reply
                .actions
                .iter()
                .map(|a| ActionJson {
                    id: a.id(),
                    label: a.label(reply.lang),
                })
                .collect(),
            feedback: reply.feedback.as_deref(),
        }
    }
}

/// Announced to subscribers (staff email, Discord staff channel) when a request is logged.
#[derive(Debug, Clone)]
pub struct RequestLogged {
    pub reference: RequestRef,
    pub request_type: RequestType,
    pub channel: Channel,
    /// The requester's name only: notifications carry no other personal data.
    pub requester_name: String,
    pub language: Language,
}

/// How the engine behaves; from the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// An unfinished intake is dropped after this much silence.
    pub idle_timeout: time::Duration,
    /// Conversations without a confirmed request are erased after this long.
    pub retention: time::Duration,
    /// How a person asks for access or deletion (shown in the privacy notice); when
    /// empty, the notice says to write to the staff.
    pub privacy_contact: Option<String>,
    pub default_language: Language,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            idle_timeout: time::Duration::minutes(30),
            retention: time::Duration::days(30),
            privacy_contact: None,
            default_language: Language::Fr,
        }
    }
}

/// The conversation engine. Cheap to clone; share one between all channels.
#[derive(Clone)]
pub struct Assistant {
    inner: Arc<Inner>,
}

struct Inner {
    /// Swapped whole when the knowledge folder changes (see [`crate::reload`]); each
    /// message answers from one snapshot.
    knowledge: crate::reload::LiveKnowledge,
    /// What `/metrics` counts; every channel reaches it through the engine.
    metrics: Arc<crate::metrics::Metrics>,
    store: Arc<dyn RequestStore>,
    conversations: Conversations,
    privacy: Privacy,
    settings: Settings,
    events: broadcast::Sender<RequestLogged>,
    /// Messages handled at once from async channels (see [`Assistant::reply`]).
    permits: Arc<tokio::sync::Semaphore>,
    /// The key signing feedback tokens, read from the store on first use.
    feedback_key: std::sync::OnceLock<Vec<u8>>,
}

/// Why a message could not be handled from async code.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("the conversation engine failed on a message")]
    Panicked(#[source] tokio::task::JoinError),
}

/// How many messages the engine works on at once from async channels: two per core, so
/// one can wait on SQLite while another searches.
fn engine_concurrency() -> usize {
    std::thread::available_parallelism().map_or(4, |n| n.get() * 2)
}

impl Assistant {
    /// An engine answering from `knowledge` and logging requests in `store`. Personal
    /// data is erased and purged from `store` and from each of `also_personal` (the mail
    /// ledger…).
    pub fn new(
        knowledge: Knowledge,
        store: Arc<dyn RequestStore>,
        also_personal: Vec<Arc<dyn PersonalData>>,
        settings: Settings,
    ) -> Assistant {
        let (events, _) = broadcast::channel(256);
        let mut places: Vec<Arc<dyn PersonalData>> = vec![store.clone()];
        places.extend(also_personal);
        Assistant {
            inner: Arc::new(Inner {
                knowledge: crate::reload::LiveKnowledge::new(knowledge),
                metrics: Arc::default(),
                conversations: Conversations::new(
                    store.clone(),
                    settings.idle_timeout.unsigned_abs(),
                ),
                store,
                privacy: Privacy::new(places),
                settings,
                events,
                permits: Arc::new(tokio::sync::Semaphore::new(engine_concurrency())),
                feedback_key: std::sync::OnceLock::new(),
            }),
        }
    }

    /// What staff may do with the logged requests.
    pub fn desk(&self) -> crate::requests::RequestDesk {
        crate::requests::RequestDesk::new(self.inner.store.clone())
    }

    /// What staff may do with the questions queue.
    pub fn questions(&self) -> crate::questions::QuestionsQueue {
        crate::questions::QuestionsQueue::new(self.inner.store.clone())
    }

    /// The key that signs feedback tokens; `None` (logged) when the store cannot give it,
    /// and answers then carry no feedback token.
    fn feedback_key(&self) -> Option<&[u8]> {
        if let Some(key) = self.inner.feedback_key.get() {
            return Some(key);
        }
        match self.inner.store.feedback_key() {
            Ok(key) => Some(self.inner.feedback_key.get_or_init(|| key)),
            Err(e) => {
                tracing::warn!(error = %e, "no feedback key: answers go without feedback buttons");
                None
            }
        }
    }

    /// Records a person's vote on an answer, from any channel: `token` is the reply's
    /// [`Reply::feedback`] as the channel got it back. A token that is not ours is
    /// `Unknown`; a second vote on one answer is `AlreadyRecorded` and changes nothing.
    /// Blocking (SQLite).
    pub fn record_feedback(
        &self,
        token: &str,
        vote: crate::questions::Vote,
        now: OffsetDateTime,
    ) -> Result<crate::questions::VoteOutcome, StoreError> {
        use crate::questions::{FeedbackToken, VoteOutcome};
        let Some(token) = self
            .feedback_key()
            .and_then(|key| FeedbackToken::verify(key, token))
        else {
            tracing::debug!("refused a feedback token that is not ours");
            return Ok(VoteOutcome::Unknown);
        };
        let outcome = self.inner.store.record_vote(token.id(), vote, now)?;
        if outcome == VoteOutcome::Recorded {
            self.inner
                .metrics
                .feedback(vote == crate::questions::Vote::Helpful);
        }
        tracing::info!(vote = vote.code(), outcome = ?outcome, "answer feedback");
        Ok(outcome)
    }

    /// [`Assistant::record_feedback`] from async code, off the async threads.
    pub async fn feedback(
        &self,
        token: String,
        vote: crate::questions::Vote,
    ) -> Result<crate::questions::VoteOutcome, StoreError> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            this.record_feedback(&token, vote, OffsetDateTime::now_utc())
        })
        .await
        .unwrap_or_else(|stopped| Err(StoreError::from(stopped)))
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// Subscribes to the requests logged from now on, from any channel.
    pub fn subscribe(&self) -> broadcast::Receiver<RequestLogged> {
        self.inner.events.subscribe()
    }

    /// Tells subscribers (staff email, Discord staff channel) that a request was logged.
    /// The knowledge in use, swappable while the engine runs.
    pub fn knowledge(&self) -> &crate::reload::LiveKnowledge {
        &self.inner.knowledge
    }

    /// The counters `/metrics` shows (questions, requests, votes, mail, reloads).
    pub fn metrics(&self) -> &Arc<crate::metrics::Metrics> {
        &self.inner.metrics
    }

    fn announce(&self, logged: RequestLogged) {
        self.inner.metrics.request_logged(logged.request_type);
        // No subscriber is not an error: notifications are optional.
        let _ = self.inner.events.send(logged);
    }

    /// Erases everything about a person, everywhere personal data is kept. No message is
    /// handled meanwhile, and no conversation stays cached: a message arriving after the
    /// erasure on an erased conversation starts a new one.
    pub fn erase_person(
        &self,
        email: &Email,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<Erased, PrivacyError> {
        let _all = self.inner.conversations.hold_all();
        self.inner.privacy.erase_person(email, by, now)
    }

    /// Erases the personal data past its retention period (conversations without a
    /// request, unconfirmed email inquiries, sent emails); returns how many records went.
    pub fn purge_expired(&self, now: OffsetDateTime) -> Result<usize, PrivacyError> {
        let _all = self.inner.conversations.hold_all();
        let n = self
            .inner
            .privacy
            .purge_before(now - self.inner.settings.retention)?;
        if n > 0 {
            tracing::info!(
                records = n,
                "erased personal data past its retention period"
            );
        }
        Ok(n)
    }

    /// Handles one message now. Blocking (search and SQLite): async channels call it from
    /// `tokio::task::spawn_blocking`.
    pub fn handle(&self, incoming: Incoming) -> Reply {
        self.handle_at(incoming, OffsetDateTime::now_utc())
    }

    /// Handles one message from async code: waits for one of the engine's permits (a flood
    /// of messages queues here instead of filling the blocking pool), then runs it off the
    /// async threads. Every async channel calls this.
    pub async fn reply(&self, incoming: Incoming) -> Result<Reply, EngineError> {
        // The semaphore is never closed, so acquiring cannot fail.
        let permit = self.inner.permits.clone().acquire_owned().await.ok();
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            this.handle(incoming)
        })
        .await
        .map_err(EngineError::Panicked)
    }

    /// Handles one message as if it arrived at `now` (tests inject the clock).
    pub fn handle_at(&self, incoming: Incoming, now: OffsetDateTime) -> Reply {
        self.run(incoming, now, false)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(channel = incoming.channel.code(), conversation = %incoming.conversation))]
    fn run(&self, incoming: Incoming, now: OffsetDateTime, questions_only: bool) -> Reply {
        let fallback_lang = Language::detect(&incoming.text)
            .or(incoming.lang_hint)
            .unwrap_or(self.inner.settings.default_language);
        let conversation = incoming.conversation.clone();
        let (started, channel) = (std::time::Instant::now(), incoming.channel);
        match self.converse(incoming, now, questions_only) {
            Ok(reply) => {
                if let Some(answered) = reply.answered {
                    let took = started.elapsed();
                    self.inner
                        .metrics
                        .question(channel, reply.lang, answered, took);
                }
                reply
            }
            Err(e) => {
                tracing::error!(error = %e, %conversation, "the conversation failed");
                let mut turn = Turn {
                    lang: fallback_lang,
                    ..Turn::default()
                };
                turn.say(Msg::InternalError);
                turn.reply()
            }
        }
    }

    fn converse(
        &self,
        incoming: Incoming,
        now: OffsetDateTime,
        questions_only: bool,
    ) -> Result<Reply, StoreError> {
        let conversations = &self.inner.conversations;
        let held = conversations.hold(incoming.channel, &incoming.conversation);
        let mut loaded = conversations.load(&held, now)?;
        let state = &mut loaded.state;
        let updated_at = loaded.updated_at;
        let mut turn = Turn {
            channel: incoming.channel,
            at: now,
            ..Turn::default()
        };
        let expired = updated_at
            .is_some_and(|at| state.in_intake() && now - at > self.inner.settings.idle_timeout);

        let text: String = incoming
            .text
            .trim()
            .chars()
            .take(MAX_MESSAGE_CHARS)
            .collect();
        let detected = Language::detect(&text);
        // Short answers to personal fields (a name, an organization) say nothing reliable
        // about the language; everything else lets the person switch.
        let keeps_language = matches!(
            state.step,
            Step::Asking(Field::Name | Field::Email | Field::Organization | Field::Type)
        );
        let lang = match (detected, keeps_language, state.lang) {
            (Some(l), false, _) => l,
            (_, _, Some(l)) => l,
            (Some(l), true, None) => l,
            (None, _, None) => incoming
                .lang_hint
                .unwrap_or(self.inner.settings.default_language),
        };
        state.lang = Some(lang);
        turn.lang = lang;
        if expired {
            state.drop_intake();
            turn.say(Msg::DraftExpired);
        }

        if text.is_empty() && incoming.action.is_none() {
            turn.say(Msg::EmptyQuestion);
            turn.awaiting = match state.step {
                Step::Asking(f) => Some(f),
                _ => None,
            };
            return Ok(turn.reply());
        }
        if !text.is_empty() {
            state.record(Speaker::Person, &text, now);
        }
        // One snapshot for the whole message: a knowledge reload cannot split an answer.
        let knowledge = self.inner.knowledge.current();
        let answerer = Answering {
            knowledge: &knowledge,
            store: self.inner.store.as_ref(),
            feedback_key: self.feedback_key(),
            token: std::cell::RefCell::new(None),
        };
        let intake = intake::Intake {
            answerer: &answerer,
            settings: &self.inner.settings,
        };
        if questions_only {
            if !intake.answer(&text, &mut turn) {
                state.last_unanswered = Some(text.clone());
            }
        } else if let Some(new) = intake.dispatch(state, &incoming, &text, &mut turn) {
            let (request_type, requester_name) = (new.request_type, new.requester_name.clone());
            let request = self.inner.store.create_request(new, now)?;
            tracing::info!(reference = %request.reference, channel = incoming.channel.code(), "logged a request");
            intake::logged(state, &mut turn, &request);
            self.announce(RequestLogged {
                reference: request.reference,
                request_type,
                channel: incoming.channel,
                requester_name,
                language: turn.lang,
            });
        }
        let mut reply = turn.reply();
        // Only an answer shown can be voted on.
        reply.feedback = answerer
            .token
            .take()
            .filter(|_| !reply.hits.is_empty())
            .map(|t| t.to_string());
        // Staff need the gist of what guichet said: the first sentence and the titles
        // of the excerpts shown (the excerpts themselves are in the knowledge base).
        let mut said: String = reply.text.lines().next().unwrap_or_default().to_string();
        for h in &reply.hits {
            said.push_str(&format!("\n[{}]", h.title));
        }
        if !state.transcript.is_empty() {
            state.record(Speaker::Guichet, &said, now);
        }
        if let Some(email) = &state.form.email {
            state.contact = Some(email.clone());
        }
        let contact_email = state
            .contact
            .clone()
            .or_else(|| incoming.sender.email.clone());
        conversations.save(&held, loaded, incoming.channel, contact_email, now)?;
        Ok(reply)
    }
}

/// Answers the intake's questions from the knowledge base, and notes each in the
/// anonymised questions log.
struct Answering<'a> {
    knowledge: &'a Knowledge,
    store: &'a dyn RequestStore,
    feedback_key: Option<&'a [u8]>,
    /// The feedback token of the last answer given, for the reply.
    token: std::cell::RefCell<Option<crate::questions::FeedbackToken>>,
}

impl intake::Answerer for Answering<'_> {
    fn answer(&self, question: &crate::question::Question, lang: Language, turn: &Turn) -> Answer {
        let answer = self.knowledge.ask_in(question, lang);
        let outcome = if answer.answered {
            QuestionOutcome::Answered
        } else if answer.suggestions.is_empty() {
            QuestionOutcome::Unanswered
        } else {
            QuestionOutcome::Suggested
        };
        let mut logged =
            LoggedQuestion::new(question.as_str(), turn.channel, lang, outcome, turn.at);
        if answer.answered {
            let token = self
                .feedback_key
                .map(crate::questions::FeedbackToken::issue);
            logged.token = token.as_ref().map(|t| t.id().to_string());
            logged.passages = answer
                .hits
                .iter()
                .map(|h| match &h.section {
                    Some(section) => format!("{}#{section}", h.doc_id),
                    None => h.doc_id.clone(),
                })
                .collect();
            let threshold = self.knowledge.decision().answer_at as f32;
            logged.low_margin = answer.confidence < threshold + crate::questions::LOW_MARGIN;
            *self.token.borrow_mut() = token;
        }
        if let Err(e) = self.store.log_question(&logged) {
            // The log is for staff statistics: a failure must not cost the person an answer.
            tracing::warn!(error = %e, "could not add a question to the questions log");
        }
        answer
    }
}

/// The reply being put together for one message.
struct Turn {
    lang: Language,
    /// Where the message came from (for the questions log).
    channel: Channel,
    /// When it arrived.
    at: OffsetDateTime,
    parts: Vec<String>,
    hits: Vec<Hit>,
    suggestions: Vec<Hit>,
    answered: Option<bool>,
    awaiting: Option<Field>,
    request: Option<LoggedRequest>,
    actions: Vec<Action>,
}

impl Default for Turn {
    fn default() -> Self {
        Turn {
            lang: Language::Fr,
            channel: Channel::Web,
            at: OffsetDateTime::UNIX_EPOCH,
            parts: Vec::new(),
            hits: Vec::new(),
            suggestions: Vec::new(),
            answered: None,
            awaiting: None,
            request: None,
            actions: Vec::new(),
        }
    }
}

impl Turn {
    fn say(&mut self, msg: Msg) {
        self.parts.push(msg.text(self.lang).to_string());
    }

    fn say_text(&mut self, text: String) {
        self.parts.push(text);
    }

    fn reply(self) -> Reply {
        Reply {
            text: self.parts.join("\n"),
            lang: self.lang,
            hits: self.hits,
            suggestions: self.suggestions,
            answered: self.answered,
            awaiting: self.awaiting,
            request: self.request,
            actions: self.actions,
            feedback: None,
        }
    }
}

impl Settings {
    /// The engine's settings from the configuration.
    pub fn from_config(config: &crate::config::Config) -> Settings {
        let contact = config.privacy.contact.trim();
        Settings {
            idle_timeout: time::Duration::minutes(config.conversation.idle_timeout_minutes.into()),
            retention: time::Duration::days(config.privacy.conversation_retention_days.into()),
            privacy_contact: (!contact.is_empty()).then(|| contact.to_string()),
            default_language: config.search.default_language,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::Kind;
    use crate::search::{Excerpt, Segment};

    #[test]
    fn a_reply_keeps_its_json_shape() {
        let hit = |title: &str, url: Option<&str>| Hit {
            doc_id: "doc".into(),
            title: title.into(),
            section: None,
            url: url.map(str::to_string),
            excerpt: Excerpt(vec![Segment {
                text: "Oncopole".into(),
                highlighted: true,
            }]),
            lang: Language::Fr,
            kind: Kind::Page,
            score: 0.5,
            coverage: 1.0,
        };
        let reply = Reply {
            text: "Here".into(),
            lang: Language::En,
            hits: vec![hit("Oncopole", Some("https://example.org/o"))],
            suggestions: vec![hit("Related", None)],
            answered: Some(true),
            awaiting: Some(Field::Confirm),
            request: Some(LoggedRequest {
                reference: RequestRef::parse("SSA-2026-00042").unwrap(),
                status: RequestStatus::New,
            }),
            actions: vec![Action::Confirm, Action::Cancel],
            feedback: Some("token".into()),
        };
        let hit_json = |title: &str, url: serde_json::Value| {
            serde_json::json!({"title": title, "url": url, "excerpt": "Oncopole", "lang": "fr",
                "kind": "page", "score": 0.5})
        };
        assert_eq!(
            reply.to_json(),
            serde_json::json!({
                "text": "Here",
                "lang": "en",
                "answered": true,
                "hits": [hit_json("Oncopole", "https://example.org/o".into())],
                "suggestions": [hit_json("Related", serde_json::Value::Null)],
                "awaiting": "confirm",
                "request": {"reference": "SSA-2026-00042", "status": "new"},
                "actions": [
                    {"id": "confirm", "label": "Confirm"},
                    {"id": "cancel", "label": "Cancel"},
                ],
                "feedback": "token",
            })
        );
        let quiet = Reply {
            answered: None,
            awaiting: None,
            request: None,
            feedback: None,
            actions: vec![],
            hits: vec![],
            suggestions: vec![],
            ..reply
        };
        assert_eq!(
            quiet.to_json(),
            serde_json::json!({
                "text": "Here", "lang": "en", "answered": null, "hits": [], "suggestions": [],
                "awaiting": null, "request": null, "actions": [], "feedback": null,
            })
        );
    }
}
