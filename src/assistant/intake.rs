//! The request intake by chat: asks for the missing fields one at a time, shows the
//! privacy notice, needs consent and an explicit confirmation, then logs the request.
//! Corrections, "cancel" and questions are accepted at every step.

use time::OffsetDateTime;

use super::state::{self, State, Step};
use super::{intent, Action, Assistant, Field, Incoming, LoggedRequest, Turn, DESCRIPTION_CHARS};
use crate::language::Language;
use crate::messages::Msg;
use crate::question::Question;
use crate::requests::model::{Email, NewRequest, RequestType};

impl Assistant {
    pub(super) fn dispatch(
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
    pub(super) fn answer(&self, text: &str, turn: &mut Turn) -> bool {
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
        self.announce(super::RequestLogged {
            reference: request.reference,
            request_type,
            channel: incoming.channel,
            requester_name: name,
            language: turn.lang,
        });
        Ok(())
    }
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
