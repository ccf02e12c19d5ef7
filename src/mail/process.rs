//! Decides what one email gets: read it, keep loops and robots out, find its thread, ask
//! the engine, and write the decision with the replies it causes in one transaction.
//!
//! Nothing here touches the network: the IMAP side hands raw messages in, the outbox
//! side sends what the ledger holds. A message already decided is never decided again.

use std::sync::Arc;

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::compose::{self, Body, Original, Party};
use super::guard::{self, Verdict};
use super::ledger::{Decision, Ledger, LedgerError, Outcome, Outgoing, PendingInquiry};
use super::parse::{self, Inbound};
use tokio::sync::{broadcast, Notify};

use crate::assistant::{self, confirmation, Assistant, Letter, RequestLogged, Sender};
use crate::language::Language;
use crate::requests::model::{Channel, Email, Request, RequestRef};
use crate::requests::StoreError;

/// How the mail channel decides, from the configuration.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The contact address and aliases, lowercased.
    pub own_addresses: Vec<String>,
    pub compose: compose::Letterhead,
    /// Signs thread tags.
    pub secret: Vec<u8>,
    pub replies_per_sender_per_hour: u32,
    pub limits: parse::Limits,
    /// Told of each request logged by email.
    pub staff: Option<Party>,
}

/// Why a message could not be decided (it stays in the mailbox and is tried again).
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("request store: {0}")]
    Store(#[from] StoreError),
    #[error("composing a reply: {0}")]
    Compose(#[from] compose::ComposeError),
}

impl ProcessError {
    /// True when the message itself is at fault (retrying cannot help), false when the
    /// database is (retrying later can).
    pub fn is_about_the_message(&self) -> bool {
        match self {
            ProcessError::Compose(_) => true,
            ProcessError::Store(e) => e.is_client_error(),
            ProcessError::Ledger(_) => false,
        }
    }
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handled {
    pub fingerprint: String,
    pub outcome: Outcome,
    /// The message had been decided before (a restart): nothing new was written.
    pub already: bool,
    /// Emails queued for it.
    pub queued: usize,
}

/// Decides messages; cheap to clone.
#[derive(Clone)]
pub struct Processor {
    assistant: Assistant,
    ledger: Arc<Ledger>,
    settings: Arc<Policy>,
}

impl Processor {
    pub fn new(assistant: Assistant, ledger: Arc<Ledger>, settings: Policy) -> Processor {
        Processor {
            assistant,
            ledger,
            settings: Arc::new(settings),
        }
    }

    pub fn ledger(&self) -> &Arc<Ledger> {
        &self.ledger
    }

    /// Queues the staff email about `reference`, a request logged on another channel (the
    /// mail channel's own are told with their acknowledgement); false when no staff
    /// address is configured or the request is gone.
    pub fn notify_staff(
        &self,
        reference: &RequestRef,
        now: OffsetDateTime,
    ) -> Result<bool, ProcessError> {
        let Some(staff) = &self.settings.staff else {
            return Ok(false);
        };
        let Some(request) = self.assistant.request(reference)? else {
            return Ok(false);
        };
        let note = self.staff_note(staff, &request, compose::StaffNotice::NewRequest)?;
        self.ledger.queue(&note, now)?;
        Ok(true)
    }

    /// Tells staff by email of every request logged on the other channels, until `stop`.
    pub async fn notify_staff_of_events(
        self,
        mut events: broadcast::Receiver<RequestLogged>,
        outbox: Arc<Notify>,
        mut stop: crate::shutdown::Shutdown,
    ) {
        loop {
            let event = tokio::select! {
                e = events.recv() => e,
                _ = stop.wait() => return,
            };
            match event {
                Ok(e) if e.channel == Channel::Email => {}
                Ok(e) => {
                    let this = self.clone();
                    let queued = tokio::task::spawn_blocking(move || {
                        this.notify_staff(&e.reference, OffsetDateTime::now_utc())
                    })
                    .await;
                    match queued {
                        Ok(Ok(true)) => outbox.notify_one(),
                        Ok(Ok(false)) => {}
                        Ok(Err(err)) => {
                            tracing::error!(error = %err, "could not queue the staff email about a request")
                        }
                        Err(err) => tracing::error!(error = %err, "the staff email task failed"),
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "staff emails were not queued for some requests (too many at once); they are in the request log");
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }

    /// Decides the raw message `raw` received at `now`. Blocking (SQLite, search).
    pub fn handle(&self, raw: &[u8], now: OffsetDateTime) -> Result<Handled, ProcessError> {
        let message = match parse::parse(raw, &self.settings.limits) {
            Ok(m) => m,
            Err(e) => {
                let fingerprint = format!("sha256:{}", crate::text::hex(&Sha256::digest(raw)));
                tracing::warn!(error = %e, %fingerprint, "an email cannot be read: quarantined");
                let d = Decision::silent(&fingerprint, None, Outcome::Quarantined, e.to_string());
                return self.write(d, now);
            }
        };
        if let Some(outcome) = self.ledger.outcome(&message.fingerprint)? {
            return Ok(Handled {
                fingerprint: message.fingerprint,
                outcome,
                already: true,
                queued: 0,
            });
        }
        let sender = sender_of(&message).map(|m| m.address.to_lowercase());
        // guichet's own copy of an email it sent: proof that the email left.
        let from_us = message.from.as_ref().is_some_and(|f| {
            self.settings
                .own_addresses
                .contains(&f.address.to_lowercase())
        });
        if let (true, Some(id)) = (from_us, &message.message_id) {
            if self.ledger.confirm_copy(id, now)? {
                let d = Decision::silent(&message.fingerprint, None, Outcome::Copy, String::new());
                return self.write(d, now);
            }
        }
        match guard::classify(&message, &self.settings.own_addresses) {
            Verdict::Answer => {}
            Verdict::Ignore(skip) => {
                tracing::info!(fingerprint = %message.fingerprint, reason = %skip, "not answering an email");
                let d = Decision::silent(
                    &message.fingerprint,
                    sender,
                    Outcome::Ignored,
                    skip.code().to_string(),
                );
                return self.write(d, now);
            }
            Verdict::Bounce(report) => {
                let failed = report.failed_recipients.join(", ");
                if let Some(original) = &report.original_message_id {
                    if self.ledger.note_bounce(original, &failed)? {
                        tracing::warn!(message_id = %original, recipients = %failed, "a reply of guichet bounced");
                    }
                }
                let detail = format!(
                    "{} {}",
                    report.status.as_deref().unwrap_or("report"),
                    failed
                );
                let d = Decision::silent(&message.fingerprint, sender, Outcome::Bounce, detail);
                return self.write(d, now);
            }
        }
        let Some(sender) = sender else {
            let d = Decision::silent(
                &message.fingerprint,
                None,
                Outcome::Ignored,
                "no-sender".into(),
            );
            return self.write(d, now);
        };
        let sent = self
            .ledger
            .replies_since(&sender, now - time::Duration::hours(1))?;
        if sent >= self.settings.replies_per_sender_per_hour {
            tracing::warn!(
                fingerprint = %message.fingerprint,
                cap = self.settings.replies_per_sender_per_hour,
                "reply cap reached: this sender already got the most replies allowed in an hour; not answering"
            );
            let d = Decision::silent(
                &message.fingerprint,
                Some(sender),
                Outcome::Capped,
                "per-sender cap".into(),
            );
            return self.write(d, now);
        }
        let decision = match self.decide(&message, &sender, now) {
            Ok(d) => d,
            // Something about this message cannot be stored or answered (a name the
            // request log refuses, an address lettre cannot write): set it aside rather
            // than retry it forever in front of the others.
            Err(e) if e.is_about_the_message() => {
                tracing::warn!(error = %e, fingerprint = %message.fingerprint, "an email cannot be answered: quarantined");
                Decision::silent(
                    &message.fingerprint,
                    Some(sender),
                    Outcome::Quarantined,
                    e.to_string(),
                )
            }
            Err(e) => return Err(e),
        };
        self.write(decision, now)
    }

    fn write(&self, decision: Decision, now: OffsetDateTime) -> Result<Handled, ProcessError> {
        let queued = decision.outgoing.len();
        let fresh = self.ledger.record(&decision, now)?;
        Ok(Handled {
            fingerprint: decision.fingerprint,
            outcome: decision.outcome,
            already: !fresh,
            queued: if fresh { queued } else { 0 },
        })
    }

    /// Chooses between a request's follow-up, a confirmation, and a question.
    fn decide(
        &self,
        message: &Inbound,
        sender: &str,
        now: OffsetDateTime,
    ) -> Result<Decision, ProcessError> {
        // A reference in the subject attaches only with guichet's tag or from the requester.
        if let Some((reference, tag)) = compose::subject_reference(&message.subject) {
            let signed = tag
                .as_deref()
                .is_some_and(|t| compose::verify_tag(&self.settings.secret, &reference, t));
            if let Some(request) = self.assistant.request(&reference)? {
                if signed
                    || request
                        .requester_email
                        .as_str()
                        .eq_ignore_ascii_case(sender)
                {
                    return self.attach(message, sender, &request, now);
                }
                tracing::info!(%reference, "a subject names a request without its tag, from someone else: new conversation");
            }
        }
        let mut ids = message.references.clone();
        ids.extend(message.in_reply_to.iter().cloned());
        let thread = self.ledger.thread_of(&ids, sender)?;
        let inquiry = match &thread {
            Some(t) => self.ledger.inquiry(t)?,
            None => None,
        };
        let confirming = confirmation::is_confirmation(&message.text);
        if let Some(inquiry) = inquiry {
            if let Some(reference) = inquiry.request {
                if let Some(request) = self.assistant.request(&reference)? {
                    if confirming {
                        return self.acknowledge(message, sender, &inquiry, &request, false, now);
                    }
                    return self.attach(message, sender, &request, now);
                }
            } else if confirming {
                return self.confirm(message, sender, inquiry, now);
            }
        }
        if confirming {
            let lang = self.language_of(message);
            let draft = self.draft(message, sender, &Body::NothingToConfirm, lang, None)?;
            let mut d = Decision::silent(
                &message.fingerprint,
                Some(sender.to_string()),
                Outcome::NothingToConfirm,
                String::new(),
            );
            d.outgoing.push(draft.into_outgoing("reply", None));
            return Ok(d);
        }
        self.answer(message, sender, thread, now)
    }

    /// A question (new, or a new one in an answered thread): answer it and keep it as the
    /// inquiry a "CONFIRM" would log.
    fn answer(
        &self,
        message: &Inbound,
        sender: &str,
        thread: Option<String>,
        now: OffsetDateTime,
    ) -> Result<Decision, ProcessError> {
        let new_thread = thread.is_none();
        let thread = thread.unwrap_or_else(|| thread_key(&message.fingerprint));
        let subject = compose::strip_reply_prefixes(&message.subject);
        let from = sender_of(message);
        let reply = self.assistant.answer_inquiry(
            Letter {
                channel: Channel::Email,
                conversation: thread.clone(),
                sender: Sender {
                    name: from.and_then(|m| m.name.clone()),
                    email: Email::parse(sender).ok(),
                    handle: None,
                },
                subject: subject.to_string(),
                body: message.text.clone(),
                opens: new_thread,
            },
            now,
        );
        let lang = reply.lang;
        let (body, outcome) = if reply.answered == Some(true) {
            (Body::Answer { hits: &reply.hits }, Outcome::Answered)
        } else if !reply.suggestions.is_empty() {
            (
                Body::NotSure {
                    suggestions: &reply.suggestions,
                },
                Outcome::NoAnswer,
            )
        } else {
            (Body::NoAnswer, Outcome::NoAnswer)
        };
        let draft = self.draft(message, sender, &body, lang, None)?;
        let mut d = Decision::silent(
            &message.fingerprint,
            Some(sender.to_string()),
            outcome,
            String::new(),
        );
        d.thread = Some(thread.clone());
        let mut text = message.text.clone();
        if new_thread && !subject.is_empty() {
            text = format!("{subject}\n\n{text}");
        }
        d.inquiry = Some(PendingInquiry {
            thread: thread.clone(),
            sender: sender.to_string(),
            name: from.and_then(|m| m.name.clone()),
            subject: subject.to_string(),
            text,
            lang,
            attachments: message.attachments.iter().map(|a| a.name.clone()).collect(),
            request: None,
        });
        d.outgoing.push(draft.into_outgoing("reply", Some(thread)));
        Ok(d)
    }

    /// "CONFIRM" in an inquiry's thread, from its sender: log the request.
    fn confirm(
        &self,
        message: &Inbound,
        sender: &str,
        inquiry: PendingInquiry,
        now: OffsetDateTime,
    ) -> Result<Decision, ProcessError> {
        let details = confirmation::reply_details(&message.text);
        let email = Email::parse(sender).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let mut attachments = inquiry.attachments.clone();
        attachments.extend(message.attachments.iter().map(|a| a.name.clone()));
        let (request, created) = self.assistant.confirm_inquiry(
            Channel::Email,
            &inquiry.thread,
            assistant::Inquiry {
                // One request per thread, however often it is confirmed.
                origin: format!("mail-thread:{}", inquiry.thread),
                name: details
                    .name
                    .or_else(|| inquiry.name.clone())
                    .or_else(|| sender_of(message).and_then(|m| m.name.clone())),
                email,
                organization: details.organization,
                request_type: details.request_type,
                description: inquiry.text.clone(),
                attachments,
                lang: inquiry.lang,
            },
            now,
        )?;
        self.acknowledge(message, sender, &inquiry, &request, created, now)
    }

    /// The acknowledgement of a logged request (and the staff notification when new).
    fn acknowledge(
        &self,
        message: &Inbound,
        sender: &str,
        inquiry: &PendingInquiry,
        request: &Request,
        created: bool,
        _now: OffsetDateTime,
    ) -> Result<Decision, ProcessError> {
        let lang = request.language;
        let tag = compose::thread_tag(&self.settings.secret, &request.reference);
        let draft = self.draft(
            message,
            sender,
            &Body::Logged {
                reference: request.reference,
                attachments: &request.attachments,
            },
            lang,
            Some(&tag),
        )?;
        let mut d = Decision::silent(
            &message.fingerprint,
            Some(sender.to_string()),
            Outcome::Logged,
            request.reference.to_string(),
        );
        d.thread = Some(inquiry.thread.clone());
        d.request = Some(request.reference);
        d.confirmed = Some((inquiry.thread.clone(), request.reference));
        d.outgoing
            .push(draft.into_outgoing("ack", Some(inquiry.thread.clone())));
        if created {
            if let Some(staff) = &self.settings.staff {
                d.outgoing.push(self.staff_note(
                    staff,
                    request,
                    compose::StaffNotice::NewRequest,
                )?);
            }
        }
        Ok(d)
    }

    /// A later message about a logged request: add it to the transcript, tell staff.
    fn attach(
        &self,
        message: &Inbound,
        sender: &str,
        request: &Request,
        now: OffsetDateTime,
    ) -> Result<Decision, ProcessError> {
        let mut text = message.text.clone();
        if !message.attachments.is_empty() {
            let names: Vec<&str> = message
                .attachments
                .iter()
                .map(|a| a.name.as_str())
                .collect();
            text.push_str(&format!(
                "\n[pièces jointes / attachments: {}]",
                names.join(", ")
            ));
        }
        if text.trim().is_empty() {
            text = message.subject.clone();
        }
        self.assistant
            .add_to_request(&request.reference, &text, now)?;
        let lang = request.language;
        let tag = compose::thread_tag(&self.settings.secret, &request.reference);
        let draft = self.draft(
            message,
            sender,
            &Body::AddedToRequest {
                reference: request.reference,
            },
            lang,
            Some(&tag),
        )?;
        let mut d = Decision::silent(
            &message.fingerprint,
            Some(sender.to_string()),
            Outcome::Attached,
            request.reference.to_string(),
        );
        d.request = Some(request.reference);
        d.outgoing.push(draft.into_outgoing("reply", None));
        if let Some(staff) = &self.settings.staff {
            d.outgoing
                .push(self.staff_note(staff, request, compose::StaffNotice::NewMessage)?);
        }
        Ok(d)
    }

    /// The email telling `staff` about `request`.
    fn staff_note(
        &self,
        staff: &Party,
        request: &Request,
        notice: compose::StaffNotice,
    ) -> Result<Outgoing, ProcessError> {
        let lang = request.language;
        let draft = compose::staff_notice(
            &self.settings.compose,
            staff,
            &request.reference,
            request.request_type.label(lang),
            &request.requester_name,
            lang,
            notice,
        )?;
        let mut out = draft.into_outgoing("staff", None);
        // Sent to staff, but about the requester: erasing them erases it.
        out.about = request.requester_email.as_str().to_lowercase();
        Ok(out)
    }

    fn draft(
        &self,
        message: &Inbound,
        sender: &str,
        body: &Body<'_>,
        lang: Language,
        tag: Option<&str>,
    ) -> Result<compose::Draft, ProcessError> {
        let to = Party {
            name: sender_of(message).and_then(|m| m.name.clone()),
            address: sender.to_string(),
        };
        let original = Original {
            subject: message.subject.clone(),
            message_id: message.message_id.clone(),
            references: message.references.clone(),
        };
        Ok(compose::reply(
            &self.settings.compose,
            &to,
            &original,
            body,
            lang,
            tag,
        )?)
    }

    fn language_of(&self, message: &Inbound) -> Language {
        Language::detect(&message.text)
            .or_else(|| Language::detect(&message.subject))
            .unwrap_or(self.assistant.settings().default_language)
    }
}

impl compose::Draft {
    fn into_outgoing(self, kind: &'static str, thread: Option<String>) -> Outgoing {
        Outgoing {
            message_id: self.message_id,
            recipient: self.to.to_lowercase(),
            kind,
            about: self.to.to_lowercase(),
            raw: self.raw,
            thread,
        }
    }
}

/// Where a reply goes: Reply-To if given, else From.
fn sender_of(message: &Inbound) -> Option<&parse::Mailbox> {
    message.reply_to.as_ref().or(message.from.as_ref())
}

/// A conversation key for a new thread: plain, stable for the message.
fn thread_key(fingerprint: &str) -> String {
    format!(
        "mail-{}",
        &crate::text::hex(&Sha256::digest(fingerprint.as_bytes()))[..24]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_prefixes_are_stripped_and_thread_keys_are_plain() {
        use compose::strip_reply_prefixes;
        assert_eq!(
            strip_reply_prefixes("Re: RE: Fwd: Lettre d'appui"),
            "Lettre d'appui"
        );
        assert_eq!(strip_reply_prefixes("TR : Réseau"), "Réseau");
        assert_eq!(strip_reply_prefixes("Regarding grants"), "Regarding grants");
        let k = thread_key("mid:abc@x");
        assert!(
            k.starts_with("mail-")
                && k.len() == 29
                && k[5..].chars().all(|c| c.is_ascii_hexdigit())
        );
        assert_eq!(k, thread_key("mid:abc@x"));
        assert_ne!(k, thread_key("mid:abd@x"));
    }
}
