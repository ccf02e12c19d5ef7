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

use crate::assistant::{self, confirmation, intent, Assistant, Letter, RequestLogged, Sender};
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
    pub secret: crate::config::SecretKey,
    pub replies_per_sender_per_hour: u32,
    /// The same reply, word for word, goes to one person at most this often a day.
    pub identical_replies_per_day: u32,
    /// The Unit's own mail server as it names itself in `Authentication-Results`: when
    /// set, a message changes a request only if that server says From passed DMARC, and a
    /// reply may go to a same-domain Reply-To.
    pub trusted_authserv_id: Option<String>,
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

/// A thread that had this many replies in [`FOLLOW_UP_WINDOW`] answers no follow-up.
const FOLLOW_UP_REPLIES: u32 = 2;
const FOLLOW_UP_WINDOW: time::Duration = time::Duration::hours(1);

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

    /// The daemon's counters (`/metrics`), through the engine.
    pub fn metrics(&self) -> &Arc<crate::metrics::Metrics> {
        self.assistant.metrics()
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
            tracing::info!(fingerprint = %message.fingerprint, outcome = outcome.code(), "a message already decided arrived again (a duplicate Message-ID): skipped");
            return Ok(Handled {
                fingerprint: message.fingerprint,
                outcome,
                already: true,
                queued: 0,
            });
        }
        // Who wrote is From; Reply-To only tells where a reply may go.
        let sender = message.from.as_ref().map(|m| m.address.to_lowercase());
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
                return self.pass_over(&message, sender, Outcome::Ignored, &skip, now)
            }
            Verdict::SetAside(skip) => {
                return self.pass_over(&message, sender, Outcome::Quarantined, &skip, now)
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

    /// Records a message that is not answered: ignored, or set aside for staff.
    fn pass_over(
        &self,
        message: &Inbound,
        sender: Option<String>,
        outcome: Outcome,
        why: &guard::Skip,
        now: OffsetDateTime,
    ) -> Result<Handled, ProcessError> {
        if outcome == Outcome::Quarantined {
            tracing::warn!(fingerprint = %message.fingerprint, reason = %why, "an email is set aside for staff");
        } else {
            tracing::info!(fingerprint = %message.fingerprint, reason = %why, "not answering an email");
        }
        let d = Decision::silent(
            &message.fingerprint,
            sender,
            outcome,
            why.code().to_string(),
        );
        self.write(d, now)
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

    /// Chooses between a request's follow-up, a confirmation, a follow-up in an answered
    /// thread, and a new question. Who wrote is From; a message that would change a
    /// request comes from its requester (and, when the Unit's server checks it, passed
    /// DMARC) or is set aside for staff.
    fn decide(
        &self,
        message: &Inbound,
        sender: &str,
        now: OffsetDateTime,
    ) -> Result<Decision, ProcessError> {
        let set_aside = |reason: &str| {
            tracing::warn!(fingerprint = %message.fingerprint, reason, "an email about a request is set aside for staff");
            Ok(Decision::silent(
                &message.fingerprint,
                Some(sender.to_string()),
                Outcome::Quarantined,
                reason.to_string(),
            ))
        };
        let verified = self.sender_verified(message);
        // A reference in the subject attaches a message to its request only from the
        // requester (the tag is bound to the requester's address).
        if let Some((reference, tag)) = compose::subject_reference(&message.subject) {
            if let Some(request) = self.assistant.request(&reference)? {
                let requester = request.requester_email.as_str();
                let by_requester = requester.eq_ignore_ascii_case(sender)
                    || tag.as_deref().is_some_and(|t| {
                        compose::verify_tag(self.settings.secret.expose(), &reference, sender, t)
                    });
                if !by_requester {
                    return set_aside("reference-of-someone-else");
                }
                if !verified {
                    return set_aside("sender-not-verified");
                }
                return self.attach(message, sender, &request, now);
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
                    if !verified {
                        return set_aside("sender-not-verified");
                    }
                    if confirming {
                        return self.acknowledge(message, sender, &inquiry, &request, false, now);
                    }
                    return self.attach(message, sender, &request, now);
                }
            } else if confirming {
                if !verified {
                    return set_aside("sender-not-verified");
                }
                return self.confirm(message, sender, inquiry, now);
            }
        }
        if confirming {
            let lang = self.language_of(message);
            let draft = self.draft(message, &Body::NothingToConfirm, lang, None)?;
            let mut d = Decision::silent(
                &message.fingerprint,
                Some(sender.to_string()),
                Outcome::NothingToConfirm,
                String::new(),
            );
            d.outgoing.push(draft.into_outgoing("reply", None));
            return Ok(d);
        }
        match thread {
            Some(thread) => self.follow_up(message, sender, thread, now),
            None => self.answer(message, sender, None, now),
        }
    }

    /// A later message in a thread guichet answered, with no request logged yet: kept in
    /// the conversation, and answered only when it asks something new and the thread has
    /// not had [`FOLLOW_UP_REPLIES`] replies in the last [`FOLLOW_UP_WINDOW`]. An
    /// out-of-office or a "thanks!" is never answered, so two robots cannot loop.
    fn follow_up(
        &self,
        message: &Inbound,
        sender: &str,
        thread: String,
        now: OffsetDateTime,
    ) -> Result<Decision, ProcessError> {
        let asks = intent::asks(&message.text);
        let recent = self
            .ledger
            .thread_replies_since(&thread, now - FOLLOW_UP_WINDOW)?;
        if asks && recent < FOLLOW_UP_REPLIES {
            return self.answer(message, sender, Some(thread), now);
        }
        let reason = if asks {
            "thread-answered-recently"
        } else {
            "asks-nothing-new"
        };
        tracing::info!(fingerprint = %message.fingerprint, reason, "a follow-up in an answered thread is kept, not answered");
        self.keep_unanswered(message, sender, thread, Outcome::FollowUp, reason, now)
    }

    /// Keeps the message's text in the conversation of `thread` and records it as not
    /// answered, with `outcome` and `reason`.
    fn keep_unanswered(
        &self,
        message: &Inbound,
        sender: &str,
        thread: String,
        outcome: Outcome,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<Decision, ProcessError> {
        self.assistant.add_to_conversation(
            Channel::Email,
            &thread,
            Email::parse(sender).ok(),
            &message.text,
            now,
        )?;
        let mut d = Decision::silent(
            &message.fingerprint,
            Some(sender.to_string()),
            outcome,
            reason.to_string(),
        );
        d.thread = Some(thread);
        Ok(d)
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
        let subject = compose::strip_reply_prefixes(&message.subject);
        if message.text.trim().is_empty() && subject.trim().is_empty() {
            // Nothing to read and nothing to answer.
            return Ok(Decision::silent(
                &message.fingerprint,
                Some(sender.to_string()),
                Outcome::Ignored,
                "empty".into(),
            ));
        }
        let thread = thread.unwrap_or_else(|| thread_key(&message.fingerprint));
        let from = message.from.as_ref();
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
        let asked = intent::asks(&message.text) || intent::asks(subject);
        let (body, outcome) = if reply.answered == Some(true) {
            (
                Body::Answer {
                    hits: &reply.hits,
                    feedback: reply.feedback.as_deref(),
                },
                Outcome::Answered,
            )
        } else if !reply.suggestions.is_empty() {
            (
                Body::NotSure {
                    suggestions: &reply.suggestions,
                },
                Outcome::NoAnswer,
            )
        } else if !asked {
            // "Test", "here's something interesting": no question to fail on; say what
            // guichet can do instead, in both languages.
            (Body::Capabilities, Outcome::Capabilities)
        } else {
            (Body::NoAnswer, Outcome::NoAnswer)
        };
        let draft = self.draft(message, &body, lang, None)?;
        let identical = self.ledger.same_replies_since(
            &draft.to.to_lowercase(),
            &draft.digest,
            now - time::Duration::days(1),
        )?;
        if identical >= self.settings.identical_replies_per_day {
            tracing::warn!(fingerprint = %message.fingerprint, "this person already got this very reply today; not sending it again");
            return self.keep_unanswered(
                message,
                sender,
                thread,
                Outcome::Capped,
                "identical-reply",
                now,
            );
        }
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
        let email = Email::parse(sender).map_err(StoreError::from)?;
        let mut attachments = inquiry.attachments.clone();
        attachments.extend(message.attachments.iter().map(|a| a.name.clone()));
        let confirmed = self.assistant.confirm_inquiry(
            Channel::Email,
            &inquiry.thread,
            assistant::Inquiry {
                // One request per thread, however often it is confirmed.
                origin: format!("mail-thread:{}", inquiry.thread),
                name: details
                    .name
                    .or_else(|| inquiry.name.clone())
                    .or_else(|| message.from.as_ref().and_then(|m| m.name.clone())),
                email,
                organization: details.organization,
                request_type: details.request_type,
                description: inquiry.text.clone(),
                attachments,
                lang: inquiry.lang,
            },
            now,
        )?;
        match confirmed {
            assistant::Confirmation::Logged { request, new } => {
                self.acknowledge(message, sender, &inquiry, &request, new, now)
            }
            assistant::Confirmation::NeedsType => {
                // Nothing logged: the inquiry waits for a CONFIRM that says the type.
                let draft = self.draft(message, &Body::NeedsType, inquiry.lang, None)?;
                let mut d = Decision::silent(
                    &message.fingerprint,
                    Some(sender.to_string()),
                    Outcome::NothingToConfirm,
                    "type-needed".into(),
                );
                d.thread = Some(inquiry.thread.clone());
                d.outgoing
                    .push(draft.into_outgoing("reply", Some(inquiry.thread.clone())));
                Ok(d)
            }
        }
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
        let tag = self.thread_tag(request);
        let draft = self.draft(
            message,
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
        let tag = self.thread_tag(request);
        let draft = self.draft(
            message,
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
            Some(request.requester_email.as_str()),
            lang,
            notice,
        )?;
        let mut out = draft.into_outgoing("staff", None);
        // Sent to staff, but about the requester: erasing them erases it.
        out.about = request.requester_email.as_str().to_lowercase();
        Ok(out)
    }

    /// The signed tag that threads the person's replies to `request` (in the subject).
    fn thread_tag(&self, request: &Request) -> String {
        compose::thread_tag(
            self.settings.secret.expose(),
            &request.reference,
            request.requester_email.as_str(),
        )
    }

    /// A reply to `message`, to [`Processor::reply_party`].
    fn draft(
        &self,
        message: &Inbound,
        body: &Body<'_>,
        lang: Language,
        tag: Option<&str>,
    ) -> Result<compose::Draft, ProcessError> {
        let to = self.reply_party(message);
        let original = Original {
            subject: message.subject.clone(),
            message_id: message.message_id.clone(),
            references: message.references.clone(),
            unread_attachments: message
                .skipped_attachments
                .iter()
                .map(|a| a.name.clone())
                .collect(),
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

    /// Where replies go: to From, or to Reply-To when it is in From's domain and the
    /// Unit's mail server found that From passed DMARC. Never to an address an attacker
    /// chose while writing as someone else.
    fn reply_party(&self, message: &Inbound) -> Party {
        let from = message.from.clone().unwrap_or(parse::Mailbox {
            name: None,
            address: String::new(),
        });
        let domain = |a: &str| a.rsplit_once('@').map(|(_, d)| d.to_lowercase());
        let chosen = match (&message.reply_to, &self.settings.trusted_authserv_id) {
            (Some(reply_to), Some(id))
                if domain(&reply_to.address) == domain(&from.address)
                    && parse::dmarc_passed(&message.signals, id) =>
            {
                reply_to.clone()
            }
            _ => from,
        };
        Party {
            name: chosen.name,
            address: chosen.address,
        }
    }

    /// Whether From can be trusted to change a request: always when no trusted server is
    /// configured (`mail.trusted_authserv_id`), else only when that server says DMARC
    /// passed.
    fn sender_verified(&self, message: &Inbound) -> bool {
        self.settings
            .trusted_authserv_id
            .as_deref()
            .is_none_or(|id| parse::dmarc_passed(&message.signals, id))
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
            digest: self.digest,
        }
    }
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
