//! The request intake by chat, as a state machine over a conversation's [`State`]: it
//! asks for the missing fields one at a time, shows the privacy notice, needs consent and
//! an explicit confirmation, then hands back the request to log. Corrections, "cancel" and
//! questions are accepted at every step. It reads no index and no database: questions go
//! to an [`Answerer`], and the caller logs the request it returns (see [`logged`]).

use super::state::{self, State, Step};
use super::{intent, Action, Field, Incoming, LoggedRequest, Settings, Turn, DESCRIPTION_CHARS};
use crate::language::Language;
use crate::messages::Msg;
use crate::question::Question;
use crate::requests::model::{Email, NewRequest, Request, RequestType};
use crate::search::Answer;

/// Answers a question for the intake (the knowledge base, or a stub in tests).
pub(super) trait Answerer {
    fn answer(&self, question: &Question, lang: Language, turn: &Turn) -> Answer;
}

/// The intake for one message.
pub(super) struct Intake<'a> {
    pub answerer: &'a dyn Answerer,
    pub settings: &'a Settings,
}

impl Intake<'_> {
    /// Moves the conversation on by one message; returns the request to log when the
    /// person has just confirmed a complete one (then call [`logged`]).
    pub fn dispatch(
        &self,
        state: &mut State,
        incoming: &Incoming,
        text: &str,
        turn: &mut Turn,
    ) -> Option<NewRequest> {
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
            return None;
        }
        match state.step {
            Step::Asking(field) => self.intake_step(field, state, incoming, text, turn),
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
                None
            }
            Step::Idle => {
                self.idle(state, incoming, text, turn);
                None
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
    pub fn answer(&self, text: &str, turn: &mut Turn) -> bool {
        let Ok(question) = Question::parse(text) else {
            turn.say(Msg::EmptyQuestion);
            return false;
        };
        let answer = self.answerer.answer(&question, turn.lang, turn);
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
            state.form.email = Some(email.clone());
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
    ) -> Option<NewRequest> {
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
            return None;
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
                    return None;
                }
                match choice {
                    Some(true) => return self.confirmed(state, incoming, turn),
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
        None
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
                Ok(e) => form.email = Some(e),
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
                Some(t) => form.request_type = Some(t),
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
                let days = self.settings.retention.whole_days().to_string();
                let contact = self
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

    /// The person confirmed: the complete request to log (consent given), or, should
    /// something be missing (the summary is shown only when complete), the question for it.
    fn confirmed(
        &self,
        state: &mut State,
        incoming: &Incoming,
        turn: &mut Turn,
    ) -> Option<NewRequest> {
        let f = state.form.clone();
        let complete = (|| {
            Some(NewRequest {
                channel: incoming.channel,
                requester_name: f.name?,
                requester_email: f.email?,
                requester_handle: incoming.sender.handle.clone(),
                organization: f.organization?,
                request_type: f.request_type?,
                description: f.description?,
                language: turn.lang,
                transcript: state.transcript.clone(),
                attachments: Vec::new(),
            })
        })();
        let new = complete.filter(|_| state.consent);
        if new.is_none() {
            self.ask_next(state, turn);
        }
        new
    }
}

/// After the request [`Intake::dispatch`] returned was logged: the conversation is back to
/// questions, and the reply gives the reference.
pub(super) fn logged(state: &mut State, turn: &mut Turn, request: &Request) {
    state.logged.push(request.reference.to_string());
    state.form = Default::default();
    state.consent = false;
    state.step = Step::Idle;
    turn.say_text(Msg::Logged.fill(turn.lang, &[("reference", &request.reference.to_string())]));
    turn.request = Some(LoggedRequest {
        reference: request.reference,
        status: request.status,
    });
    turn.actions = Vec::new();
}

/// A plausible person's name: 2 to 200 characters, with letters, no address, few words.
pub(super) fn valid_name(value: &str) -> Option<String> {
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
        .map(|t| t.label(lang).to_string())
        .unwrap_or_default();
    let line = |label: Msg, value: &str| format!("• {} : {}", label.text(lang), value);
    [
        line(Msg::FieldName, form.name.as_deref().unwrap_or("")),
        line(
            Msg::FieldEmail,
            form.email.as_ref().map(Email::as_str).unwrap_or(""),
        ),
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

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::requests::model::Channel;

    /// Knows one thing (SPOR) and remembers what it was asked: no index needed.
    #[derive(Default)]
    struct Stub {
        asked: RefCell<Vec<String>>,
    }

    impl Answerer for Stub {
        fn answer(&self, question: &Question, lang: Language, _turn: &Turn) -> Answer {
            self.asked.borrow_mut().push(question.as_str().to_string());
            let mut answer = Answer::fallback(lang);
            answer.answered = question.as_str().to_lowercase().contains("spor");
            answer
        }
    }

    struct Conversation<'a> {
        intake: Intake<'a>,
        state: State,
    }

    impl Conversation<'_> {
        fn send(&mut self, text: &str, action: Option<Action>) -> (Turn, Option<NewRequest>) {
            let mut incoming = Incoming::text(Channel::Web, "t", text);
            incoming.action = action;
            let mut turn = Turn {
                lang: Language::En,
                ..Turn::default()
            };
            let new = self
                .intake
                .dispatch(&mut self.state, &incoming, text, &mut turn);
            (turn, new)
        }

        fn say(&mut self, text: &str) -> Option<Field> {
            let (turn, new) = self.send(text, None);
            assert!(new.is_none(), "{text:?} logged a request");
            turn.awaiting
        }
    }

    fn conversation<'a>(stub: &'a Stub, settings: &'a Settings) -> Conversation<'a> {
        Conversation {
            intake: Intake {
                answerer: stub,
                settings,
            },
            state: State::default(),
        }
    }

    #[test]
    fn a_complete_intake_yields_a_typed_request_only_after_consent_and_confirmation() {
        let (stub, settings) = (Stub::default(), Settings::default());
        let mut c = conversation(&stub, &settings);
        assert_eq!(c.say("I'd like to make a request"), Some(Field::Name));
        assert_eq!(c.say("Jane Smith"), Some(Field::Email));
        assert_eq!(c.say("not an address"), Some(Field::Email));
        assert_eq!(c.say("Jane.Smith@UMontreal.ca"), Some(Field::Organization));
        assert_eq!(c.say("Université de Montréal"), Some(Field::Type));
        assert_eq!(c.say("3"), Some(Field::Description));
        assert_eq!(
            c.say("We are preparing a CIHR grant application on diabetes care."),
            Some(Field::Consent)
        );
        let (turn, new) = c.send("", Some(Action::ConsentYes));
        assert!(new.is_none());
        assert_eq!(turn.awaiting, Some(Field::Confirm));
        let (_, new) = c.send("", Some(Action::Confirm));
        let new = new.expect("confirming a complete request hands it back to log");
        assert_eq!(new.requester_name, "Jane Smith");
        // The domain is folded, the local part kept as typed.
        assert_eq!(new.requester_email.as_str(), "Jane.Smith@umontreal.ca");
        assert_eq!(new.request_type, RequestType::GrantApplication);
        assert!(
            stub.asked.borrow().is_empty(),
            "no field went to the answerer"
        );
        // The caller logs it; the conversation is then back to questions.
        let mut turn = Turn::default();
        let now = time::OffsetDateTime::now_utc();
        let request = Request {
            reference: crate::requests::model::RequestRef::new(2026, 7).unwrap(),
            created_at: now,
            updated_at: now,
            status: crate::requests::model::RequestStatus::New,
            closed_reason: None,
            assignee: None,
            channel: new.channel,
            requester_name: new.requester_name,
            requester_email: new.requester_email,
            requester_handle: new.requester_handle,
            organization: new.organization,
            request_type: new.request_type,
            description: new.description,
            language: new.language,
            transcript: new.transcript,
            attachments: new.attachments,
            staff_notes: Vec::new(),
        };
        logged(&mut c.state, &mut turn, &request);
        assert_eq!(c.state.step, Step::Idle);
        assert_eq!(c.state.form, state::Form::default());
        assert!(turn
            .parts
            .join(" ")
            .contains(&request.reference.to_string()));
    }

    #[test]
    fn questions_mid_intake_are_answered_and_the_field_asked_again() {
        let (stub, settings) = (Stub::default(), Settings::default());
        let mut c = conversation(&stub, &settings);
        c.say("I'd like to make a request");
        c.say("Jane Smith");
        assert_eq!(c.say("What is SPOR?"), Some(Field::Email));
        assert_eq!(*stub.asked.borrow(), vec!["What is SPOR?".to_string()]);
        assert_eq!(c.state.form.name.as_deref(), Some("Jane Smith"));
    }

    #[test]
    fn a_correction_a_refusal_and_a_cancel_each_do_what_they_say() {
        let (stub, settings) = (Stub::default(), Settings::default());
        let mut c = conversation(&stub, &settings);
        c.say("I'd like to make a request");
        c.say("Jane Smith");
        c.say("jane@umontreal.ca");
        c.say("my email is jane.smith@mcgill.ca");
        assert_eq!(
            c.state.form.email,
            Some(Email::parse("jane.smith@mcgill.ca").unwrap())
        );
        c.say("McGill");
        c.say("a letter of support");
        assert_eq!(
            c.state.form.request_type,
            Some(RequestType::LetterOfSupport)
        );
        c.say("We need a letter of support for our application.");
        let (_, new) = c.send("", Some(Action::ConsentNo));
        assert!(new.is_none());
        assert_eq!(
            c.state.form,
            state::Form::default(),
            "refused: nothing kept"
        );
        assert!(!c.state.holds_personal_data());

        c.say("I'd like to make a request");
        c.say("Jane Smith");
        c.say("cancel");
        assert_eq!(c.state.step, Step::Idle);
        assert!(!c.state.holds_personal_data());
    }
}
