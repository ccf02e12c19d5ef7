//! The conversation engine: one [`Assistant`] serves every channel.
//!
//! A channel turns what it receives into an [`Incoming`] message and renders the
//! [`Reply`] in its own medium (HTML, terminal text, email, Discord embeds). The engine
//! answers questions from the knowledge base, greets, and runs the request intake: it asks
//! for the missing fields one at a time, shows the privacy notice, needs consent and an
//! explicit confirmation, then logs the request and announces it to subscribers.
//! Corrections, "cancel" and questions are accepted at every step.

pub mod intent;
pub mod state;

use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use serde_json::json;
use time::OffsetDateTime;
use tokio::sync::broadcast;

use crate::language::Language;
use crate::messages::Msg;
use crate::question::Question;
use crate::requests::model::{
    Channel, Email, NewRequest, RequestRef, RequestStatus, RequestType, Speaker,
};
use crate::requests::{RequestStore, StoredConversation};
use crate::search::{Answer, Hit, Knowledge};
use state::{State, Step};

/// Longest message the engine reads; longer text is cut (channels reject far longer input).
pub const MAX_MESSAGE_CHARS: usize = 5_000;
/// Bounds of a description.
const DESCRIPTION_CHARS: std::ops::RangeInclusive<usize> = 10..=5_000;
/// Conversations are locked by stripe so two messages of one conversation never interleave.
const LOCK_STRIPES: usize = 64;

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
}

impl Reply {
    /// The JSON both the terminal chat (`--json`) and `POST /api/chat` return:
    /// `{"text", "lang", "answered", "hits", "awaiting", "request", "actions"}`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut answer = Answer {
            answered: !self.hits.is_empty(),
            hits: self.hits.clone(),
            suggestions: self.suggestions.clone(),
            ..Answer::fallback(self.lang)
        }
        .to_json();
        let hits = answer["hits"].take();
        let suggestions = answer["suggestions"].take();
        json!({
            "text": self.text,
            "lang": self.lang.code(),
            "answered": self.answered,
            "hits": hits,
            "suggestions": suggestions,
            "awaiting": self.awaiting.map(Field::as_str),
            "request": self.request.as_ref().map(|r| json!({
                "reference": r.reference.to_string(),
                "status": r.status.code(),
            })),
            "actions": self.actions.iter().map(|a| json!({"id": a.id(), "label": a.label(self.lang)})).collect::<Vec<_>>(),
        })
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

/// An inquiry confirmed in one step, on a channel where a form would be a chore (email:
/// "reply CONFIRM"). Whatever the person did not give gets a neutral default that staff
/// correct during triage.
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
    knowledge: Knowledge,
    store: Arc<dyn RequestStore>,
    settings: Settings,
    events: broadcast::Sender<RequestLogged>,
    locks: Vec<Mutex<()>>,
    recent: RecentConversations,
}

impl Assistant {
    pub fn new(
        knowledge: Knowledge,
        store: Arc<dyn RequestStore>,
        settings: Settings,
    ) -> Assistant {
        let (events, _) = broadcast::channel(256);
        Assistant {
            inner: Arc::new(Inner {
                knowledge,
                store,
                settings,
                events,
                locks: (0..LOCK_STRIPES).map(|_| Mutex::new(())).collect(),
                recent: RecentConversations::default(),
            }),
        }
    }

    pub fn knowledge(&self) -> &Knowledge {
        &self.inner.knowledge
    }

    pub fn store(&self) -> &Arc<dyn RequestStore> {
        &self.inner.store
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// Subscribes to the requests logged from now on, from any channel.
    pub fn subscribe(&self) -> broadcast::Receiver<RequestLogged> {
        self.inner.events.subscribe()
    }

    /// Erases everything about a person: their requests and conversations in the store,
    /// and the conversations this engine holds in memory.
    pub fn erase_person(
        &self,
        email: &Email,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<crate::requests::Erasure, crate::requests::StoreError> {
        self.inner.recent.clear();
        self.inner.store.erase_person(email, by, now)
    }

    /// Handles one message now. Blocking (search and SQLite): async channels call it from
    /// `tokio::task::spawn_blocking`.
    pub fn handle(&self, incoming: Incoming) -> Reply {
        self.handle_at(incoming, OffsetDateTime::now_utc())
    }

    /// Handles one message as if it arrived at `now` (tests inject the clock).
    pub fn handle_at(&self, incoming: Incoming, now: OffsetDateTime) -> Reply {
        self.run(incoming, now, false)
    }

    /// Answers one message as a question only, at `now`: no greeting, no intake. For
    /// channels that take requests their own way (email: "reply CONFIRM"). The
    /// conversation and its transcript are kept as for [`Assistant::handle`].
    pub fn ask_at(&self, incoming: Incoming, now: OffsetDateTime) -> Reply {
        self.run(incoming, now, true)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(channel = incoming.channel.code(), conversation = %incoming.conversation))]
    fn run(&self, incoming: Incoming, now: OffsetDateTime, questions_only: bool) -> Reply {
        let key = format!("{}:{}", incoming.channel.code(), incoming.conversation);
        let _guard = self.lock_conversation(&key);
        let fallback_lang = Language::detect(&incoming.text)
            .or(incoming.lang_hint)
            .unwrap_or(self.inner.settings.default_language);
        match self.converse(&key, incoming, now, questions_only) {
            Ok(reply) => reply,
            Err(e) => {
                tracing::error!(error = %e, conversation = %key, "the conversation failed");
                Reply {
                    text: Msg::InternalError.text(fallback_lang).to_string(),
                    lang: fallback_lang,
                    hits: Vec::new(),
                    suggestions: Vec::new(),
                    answered: None,
                    awaiting: None,
                    request: None,
                    actions: Vec::new(),
                }
            }
        }
    }

    /// Logs `inquiry` as a request with the transcript of `conversation` (on `channel`);
    /// the boolean is false when its origin had already logged one (that request is
    /// returned, and subscribers are not told twice).
    pub fn log_inquiry(
        &self,
        channel: Channel,
        conversation: &str,
        inquiry: Inquiry,
        now: OffsetDateTime,
    ) -> Result<(LoggedRequest, bool), crate::requests::StoreError> {
        let key = format!("{}:{}", channel.code(), conversation);
        let _guard = self.lock_conversation(&key);
        let store = &self.inner.store;
        let (mut state, created_at) = match self.inner.recent.get(&key) {
            Some(r) => (r.state, r.created_at),
            None => match store.load_conversation(&key)? {
                Some(c) => (
                    serde_json::from_value(c.state).unwrap_or_default(),
                    c.created_at,
                ),
                None => (State::default(), now),
            },
        };
        let name = inquiry
            .name
            .as_deref()
            .and_then(valid_name)
            .unwrap_or_else(|| {
                let local = inquiry.email.as_str().split('@').next().unwrap_or_default();
                local.chars().take(200).collect()
            });
        let request_type = inquiry
            .request_type
            .as_deref()
            .and_then(intent::request_type)
            .or_else(|| intent::request_type(&inquiry.description))
            .unwrap_or(RequestType::ExploratoryMeeting);
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
                .map(|o| o.trim().chars().take(200).collect())
                .unwrap_or_default(),
            request_type,
            description,
            language: inquiry.lang,
            transcript: state.transcript.clone(),
            attachments: inquiry.attachments,
        };
        let (request, created) = store.create_request_once(&inquiry.origin, new, now)?;
        let logged = LoggedRequest {
            reference: request.reference,
            status: request.status,
        };
        if !created {
            return Ok((logged, false));
        }
        tracing::info!(reference = %request.reference, channel = channel.code(), "logged a confirmed inquiry");
        state.logged.push(request.reference.to_string());
        state.contact = Some(inquiry.email.as_str().to_string());
        state.last_unanswered = None;
        state.step = Step::Idle;
        store.save_conversation(&StoredConversation {
            key: key.clone(),
            channel,
            contact_email: Some(inquiry.email),
            state: serde_json::to_value(&state).expect("the conversation state always serialises"),
            created_at,
            updated_at: now,
        })?;
        self.inner.recent.put(
            &key,
            Recent {
                state,
                created_at,
                updated_at: now,
            },
        );
        let _ = self.inner.events.send(RequestLogged {
            reference: request.reference,
            request_type,
            channel,
            requester_name: name,
            language: inquiry.lang,
        });
        Ok((logged, true))
    }

    /// Takes the lock of `key`'s stripe: two messages of one conversation never interleave.
    fn lock_conversation(&self, key: &str) -> std::sync::MutexGuard<'_, ()> {
        let stripe = {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            key.hash(&mut h);
            h.finish() as usize % LOCK_STRIPES
        };
        // A poisoned stripe only means another message panicked; the state is in the store.
        self.inner.locks[stripe]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Erases conversations idle for longer than the retention period; returns how many.
    pub fn purge_expired(&self, now: OffsetDateTime) -> Result<usize, crate::requests::StoreError> {
        self.inner.recent.clear();
        let n = self
            .inner
            .store
            .purge_conversations(now - self.inner.settings.retention)?;
        if n > 0 {
            tracing::info!(
                conversations = n,
                "erased conversations past their retention period"
            );
        }
        Ok(n)
    }

    fn converse(
        &self,
        key: &str,
        incoming: Incoming,
        now: OffsetDateTime,
        questions_only: bool,
    ) -> Result<Reply, crate::requests::StoreError> {
        let store = &self.inner.store;
        // The store is the record; the recent map only spares re-reading and re-parsing a
        // conversation that is still going on (written through on every message).
        let recent = self.inner.recent.get(key);
        let (mut state, created_at, updated_at) = match recent {
            Some(r) => (r.state, r.created_at, Some(r.updated_at)),
            None => match store.load_conversation(key)? {
                Some(c) => (
                    serde_json::from_value(c.state).unwrap_or_default(),
                    c.created_at,
                    Some(c.updated_at),
                ),
                None => (State::default(), now, None),
            },
        };
        let mut turn = Turn::default();
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
        if questions_only {
            if !self.answer(&text, &mut turn) {
                state.last_unanswered = Some(text.clone());
            }
        } else {
            self.dispatch(&mut state, &incoming, &text, &mut turn, now)?;
        }
        let reply = turn.reply();
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
            .as_deref()
            .and_then(|e| Email::parse(e).ok())
            .or_else(|| incoming.sender.email.clone());
        store.save_conversation(&StoredConversation {
            key: key.to_string(),
            channel: incoming.channel,
            contact_email,
            state: serde_json::to_value(&state).expect("the conversation state always serialises"),
            created_at,
            updated_at: now,
        })?;
        self.inner.recent.put(
            key,
            Recent {
                state,
                created_at,
                updated_at: now,
            },
        );
        Ok(reply)
    }

    fn dispatch(
        &self,
        state: &mut State,
        incoming: &Incoming,
        text: &str,
        turn: &mut Turn,
        now: OffsetDateTime,
    ) -> Result<(), crate::requests::StoreError> {
        let action = incoming.action;
        if action == Some(Action::Cancel) || intent::is_cancel(text) {
            if state.in_intake() || state.step == Step::Offered {
                let was_intake = state.in_intake();
                state.drop_intake();
                turn.say(if was_intake {
                    Msg::Cancelled
                } else {
                    Msg::OfferDeclined
                });
            } else {
                turn.say(Msg::NothingToCancel);
                turn.actions = vec![Action::MakeRequest];
            }
            return Ok(());
        }
        match state.step {
            Step::Asking(field) => self.intake_step(field, state, incoming, text, turn, now),
            Step::Offered => {
                let yes = action == Some(Action::MakeRequest)
                    || action == Some(Action::ConsentYes)
                    || intent::yes_no(text) == Some(true);
                if yes {
                    self.start_intake(state, incoming, turn);
                } else if action == Some(Action::No) || intent::yes_no(text) == Some(false) {
                    state.step = Step::Idle;
                    state.last_unanswered = None;
                    turn.say(Msg::OfferDeclined);
                } else {
                    state.step = Step::Idle;
                    self.idle(state, incoming, text, turn);
                }
                Ok(())
            }
            Step::Idle => {
                self.idle(state, incoming, text, turn);
                Ok(())
            }
        }
    }

    /// A message outside any intake: a request, a greeting or a question.
    fn idle(&self, state: &mut State, incoming: &Incoming, text: &str, turn: &mut Turn) {
        if incoming.action == Some(Action::MakeRequest)
            || (!intent::looks_like_question(text) && intent::wants_request(text))
        {
            self.start_intake(state, incoming, turn);
            return;
        }
        if text.is_empty() || intent::is_greeting(text) {
            turn.say(Msg::Help);
            turn.actions = vec![Action::MakeRequest];
            return;
        }
        if self.answer(text, turn) {
            turn.say(Msg::AnswerFollowUp);
            turn.actions = vec![Action::MakeRequest];
        } else {
            state.step = Step::Offered;
            state.last_unanswered = Some(text.to_string());
            turn.actions = vec![Action::MakeRequest, Action::No];
        }
    }

    /// Answers `text` from the knowledge base into `turn`; true when it answered.
    fn answer(&self, text: &str, turn: &mut Turn) -> bool {
        let Ok(question) = Question::parse(text) else {
            turn.say(Msg::EmptyQuestion);
            return false;
        };
        let answer = self.inner.knowledge.ask_in(&question, turn.lang);
        turn.answered = Some(answer.answered);
        if answer.answered {
            turn.say(Msg::AnswerIntro);
            turn.hits = answer.hits;
        } else if !answer.suggestions.is_empty() {
            turn.say(Msg::NotSure);
            turn.suggestions = answer.suggestions;
            turn.say(Msg::OfferStaff);
        } else {
            turn.say(Msg::Fallback);
            turn.say(Msg::OfferStaff);
        }
        answer.answered
    }

    fn start_intake(&self, state: &mut State, incoming: &Incoming, turn: &mut Turn) {
        let keep_description = state.last_unanswered.take();
        state.form = Default::default();
        state.consent = false;
        state.back_to_confirm = false;
        if let Some(name) = incoming.sender.name.as_deref().and_then(valid_name) {
            state.form.name = Some(name);
        }
        if let Some(email) = &incoming.sender.email {
            state.form.email = Some(email.as_str().to_string());
        }
        turn.say(Msg::IntakeStart);
        if let Some(d) = keep_description.filter(|d| DESCRIPTION_CHARS.contains(&d.chars().count()))
        {
            turn.say_text(Msg::DescriptionKnown.fill(turn.lang, &[("description", &d)]));
            state.form.description = Some(d);
        }
        self.ask_next(state, turn);
    }

    fn intake_step(
        &self,
        field: Field,
        state: &mut State,
        incoming: &Incoming,
        text: &str,
        turn: &mut Turn,
        now: OffsetDateTime,
    ) -> Result<(), crate::requests::StoreError> {
        let action = incoming.action;
        if let Some((f, value)) = intent::correction(text) {
            if self.set_field(state, f, &value, turn) {
                turn.say_text(
                    Msg::Corrected.fill(turn.lang, &[("field", f.label().text(turn.lang))]),
                );
                if matches!(field, Field::Consent | Field::Confirm) {
                    state.back_to_confirm = state.consent;
                }
                self.ask_next(state, turn);
            } else {
                self.prompt(field, state, turn);
            }
            return Ok(());
        }
        match field {
            Field::Consent => {
                let choice = match action {
                    Some(Action::ConsentYes) | Some(Action::Confirm) => Some(true),
                    Some(Action::ConsentNo) | Some(Action::No) => Some(false),
                    _ => intent::yes_no(text),
                };
                match choice {
                    Some(true) => {
                        state.consent = true;
                        self.ask_next(state, turn);
                    }
                    Some(false) => {
                        state.drop_intake();
                        turn.say(Msg::ConsentRefused);
                        turn.actions = vec![Action::MakeRequest];
                    }
                    None => self.question_or(text, Msg::NeedYesNo, field, state, turn),
                }
            }
            Field::Confirm => {
                let choice = match action {
                    Some(Action::Confirm) | Some(Action::ConsentYes) => Some(true),
                    Some(Action::No) | Some(Action::ConsentNo) => Some(false),
                    _ => intent::yes_no(text),
                };
                if let Some(f) = intent::change_request(text) {
                    state.back_to_confirm = true;
                    state.step = Step::Asking(f);
                    self.prompt(f, state, turn);
                    return Ok(());
                }
                match choice {
                    Some(true) => self.log_request(state, incoming, turn, now)?,
                    Some(false) => {
                        state.drop_intake();
                        turn.say(Msg::Cancelled);
                        turn.actions = vec![Action::MakeRequest];
                    }
                    None => self.question_or(text, Msg::NeedYesNo, field, state, turn),
                }
            }
            Field::Description => {
                if self.set_field(state, Field::Description, text, turn) {
                    self.ask_next(state, turn);
                } else {
                    self.prompt(field, state, turn);
                }
            }
            Field::Email => {
                if let Some(candidate) = intent::email_candidate(text) {
                    if self.set_field(state, Field::Email, candidate, turn) {
                        self.ask_next(state, turn);
                    } else {
                        self.prompt(field, state, turn);
                    }
                } else {
                    self.question_or(text, Msg::InvalidEmail, field, state, turn);
                }
            }
            Field::Type => {
                if intent::request_type(text).is_some() {
                    self.set_field(state, Field::Type, text, turn);
                    self.ask_next(state, turn);
                } else {
                    self.question_or(text, Msg::InvalidType, field, state, turn);
                }
            }
            Field::Name | Field::Organization => {
                if intent::looks_like_question(text) {
                    self.question_or(text, Msg::InvalidName, field, state, turn);
                } else if self.set_field(state, field, text, turn) {
                    self.ask_next(state, turn);
                } else {
                    self.prompt(field, state, turn);
                }
            }
        }
        Ok(())
    }

    /// A message that is not a valid value for `field`: answer it if it is a question,
    /// else say `invalid`; then ask for the field again.
    fn question_or(
        &self,
        text: &str,
        invalid: Msg,
        field: Field,
        state: &mut State,
        turn: &mut Turn,
    ) {
        if intent::looks_like_question(text) {
            self.answer(text, turn);
            turn.say(Msg::BackToIntake);
        } else {
            turn.say(invalid);
        }
        self.prompt(field, state, turn);
    }

    /// Validates and stores a field; says why when the value is refused.
    fn set_field(&self, state: &mut State, field: Field, value: &str, turn: &mut Turn) -> bool {
        let value = value.trim();
        let form = &mut state.form;
        match field {
            Field::Name => match valid_name(value) {
                Some(v) => form.name = Some(v),
                None => {
                    turn.say(Msg::InvalidName);
                    return false;
                }
            },
            Field::Email => match Email::parse(intent::email_candidate(value).unwrap_or(value)) {
                Ok(e) => form.email = Some(e.as_str().to_string()),
                Err(_) => {
                    turn.say(Msg::InvalidEmail);
                    return false;
                }
            },
            Field::Organization => {
                // One line (the store refuses line breaks in an organization), without
                // bidirectional controls that would reorder what staff read.
                let v: String = crate::text::one_safe_line(value)
                    .chars()
                    .take(300)
                    .collect();
                if v.is_empty() {
                    return false;
                }
                form.organization = Some(v);
            }
            Field::Type => match intent::request_type(value) {
                Some(t) => form.request_type = Some(t.code().to_string()),
                None => {
                    turn.say(Msg::InvalidType);
                    return false;
                }
            },
            Field::Description => {
                if !DESCRIPTION_CHARS.contains(&value.chars().count()) {
                    turn.say(Msg::InvalidDescription);
                    return false;
                }
                form.description = Some(value.to_string());
            }
            Field::Consent | Field::Confirm => return false,
        }
        true
    }

    /// Moves to the first missing field, then consent, then the summary.
    fn ask_next(&self, state: &mut State, turn: &mut Turn) {
        let f = &state.form;
        let next = if f.name.is_none() {
            Field::Name
        } else if f.email.is_none() {
            Field::Email
        } else if f.organization.is_none() {
            Field::Organization
        } else if f.request_type.is_none() {
            Field::Type
        } else if f.description.is_none() {
            Field::Description
        } else if !state.consent {
            Field::Consent
        } else {
            Field::Confirm
        };
        if next == Field::Confirm {
            state.back_to_confirm = false;
        }
        state.step = Step::Asking(next);
        self.prompt(next, state, turn);
    }

    fn prompt(&self, field: Field, state: &State, turn: &mut Turn) {
        let lang = turn.lang;
        turn.awaiting = Some(field);
        turn.actions = vec![Action::Cancel];
        match field {
            Field::Name => turn.say(Msg::AskName),
            Field::Email => turn.say(Msg::AskEmail),
            Field::Organization => turn.say(Msg::AskOrganization),
            Field::Type => {
                let types: Vec<String> = RequestType::ALL
                    .iter()
                    .enumerate()
                    .map(|(i, t)| format!("{}. {}", i + 1, t.label(lang)))
                    .collect();
                turn.say_text(Msg::AskType.fill(lang, &[("types", &types.join("\n"))]));
            }
            Field::Description => turn.say(Msg::AskDescription),
            Field::Consent => {
                let days = self.inner.settings.retention.whole_days().to_string();
                let contact = self
                    .inner
                    .settings
                    .privacy_contact
                    .clone()
                    .unwrap_or_else(|| Msg::ContactStaff.text(lang).to_string());
                turn.say_text(
                    Msg::AskConsent.fill(lang, &[("days", &days), ("contact", &contact)]),
                );
                turn.actions = vec![Action::ConsentYes, Action::ConsentNo];
            }
            Field::Confirm => {
                turn.say_text(
                    Msg::AskConfirm.fill(lang, &[("summary", &summary(&state.form, lang))]),
                );
                turn.actions = vec![Action::Confirm, Action::Cancel];
            }
        }
    }

    fn log_request(
        &self,
        state: &mut State,
        incoming: &Incoming,
        turn: &mut Turn,
        now: OffsetDateTime,
    ) -> Result<(), crate::requests::StoreError> {
        let f = state.form.clone();
        let complete = (|| {
            Some(NewRequest {
                channel: incoming.channel,
                requester_name: f.name?,
                requester_email: Email::parse(f.email.as_deref()?).ok()?,
                requester_handle: incoming.sender.handle.clone(),
                organization: f.organization?,
                request_type: RequestType::parse_code(f.request_type.as_deref()?)?,
                description: f.description?,
                language: turn.lang,
                transcript: state.transcript.clone(),
                attachments: Vec::new(),
            })
        })();
        let Some(new) = complete.filter(|_| state.consent) else {
            // Should not happen (the summary is shown only when complete), but never log
            // an incomplete request: ask for what is missing.
            self.ask_next(state, turn);
            return Ok(());
        };
        let request_type = new.request_type;
        let name = new.requester_name.clone();
        let request = self.inner.store.create_request(new, now)?;
        tracing::info!(reference = %request.reference, channel = incoming.channel.code(), "logged a request");
        state.logged.push(request.reference.to_string());
        state.form = Default::default();
        state.consent = false;
        state.step = Step::Idle;
        turn.say_text(
            Msg::Logged.fill(turn.lang, &[("reference", &request.reference.to_string())]),
        );
        turn.request = Some(LoggedRequest {
            reference: request.reference,
            status: request.status,
        });
        turn.actions = Vec::new();
        // No subscriber is not an error: notifications are optional.
        let _ = self.inner.events.send(RequestLogged {
            reference: request.reference,
            request_type,
            channel: incoming.channel,
            requester_name: name,
            language: turn.lang,
        });
        Ok(())
    }
}

/// How long a conversation read from the store is trusted without reading it again. It
/// bounds how long an erasure made by another process (`guichet requests erase`) can be
/// missed by a conversation that is still going on.
const RECENT_TTL: std::time::Duration = std::time::Duration::from_secs(30);
/// The most conversations held in memory (the map is emptied when full).
const RECENT_MAX: usize = 20_000;

/// Conversations that are going on, as last saved.
#[derive(Default)]
struct RecentConversations {
    map: Mutex<std::collections::HashMap<String, (std::time::Instant, Recent)>>,
}

#[derive(Clone)]
struct Recent {
    state: State,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl RecentConversations {
    fn get(&self, key: &str) -> Option<Recent> {
        // A poisoned lock only means a panic elsewhere; the map is still sound.
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key)
            .filter(|(at, _)| at.elapsed() < RECENT_TTL)
            .map(|(_, r)| r.clone())
    }

    fn put(&self, key: &str, recent: Recent) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= RECENT_MAX && !map.contains_key(key) {
            map.clear();
        }
        map.insert(key.to_string(), (std::time::Instant::now(), recent));
    }

    fn clear(&self) {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// A plausible person's name: 2 to 200 characters, with letters, no address, few words.
fn valid_name(value: &str) -> Option<String> {
    let v = crate::text::one_safe_line(value);
    let chars = v.chars().count();
    let letters = v.chars().filter(|c| c.is_alphabetic()).count();
    let ok = (2..=200).contains(&chars)
        && letters * 2 >= chars
        && !v.contains('@')
        && v.split_whitespace().count() <= 8
        && !v
            .chars()
            .any(|c| c.is_control() || matches!(c, '<' | '>' | '{' | '}'));
    ok.then_some(v)
}

fn summary(form: &state::Form, lang: Language) -> String {
    let kind = form
        .request_type
        .as_deref()
        .and_then(RequestType::parse_code)
        .map(|t| t.label(lang).to_string())
        .unwrap_or_default();
    let line = |label: Msg, value: &str| format!("• {} : {}", label.text(lang), value);
    [
        line(Msg::FieldName, form.name.as_deref().unwrap_or("")),
        line(Msg::FieldEmail, form.email.as_deref().unwrap_or("")),
        line(
            Msg::FieldOrganization,
            form.organization.as_deref().unwrap_or(""),
        ),
        line(Msg::FieldType, &kind),
        line(
            Msg::FieldDescription,
            form.description.as_deref().unwrap_or(""),
        ),
    ]
    .join("\n")
}

/// The reply being put together for one message.
struct Turn {
    lang: Language,
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
