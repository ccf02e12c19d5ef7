//! The supervised Teams task: takes the verified activities the endpoint queued, asks the
//! engine (showing "typing…" when an answer takes a while), and sends what [`convert`],
//! [`card`] and [`intake`] decided through the [`Connector`]; keeps the signing keys fresh;
//! posts a card to the staff channel for every logged request. No decision is made here.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinSet;

use super::activity::{self, Activity};
use super::card;
use super::connector::Connector;
use super::convert::{self, Routed, Scope};
use super::intake::{self, Plan};
use super::{SentAnswers, StartError};
use crate::assistant::{Assistant, Incoming, Reply, RequestLogged};
use crate::config::{Secret, TeamsConfig};
use crate::language::Language;
use crate::messages::Msg;
use crate::questions::{Vote, VoteOutcome};
use crate::shutdown::Shutdown;

/// An answer that takes longer than this shows "typing…" first.
pub const TYPING_AFTER: Duration = Duration::from_millis(500);
/// How often the signing keys' age is checked (they are fetched again daily).
const KEY_CHECK: Duration = Duration::from_secs(3600);
/// How long answers in flight may take to finish when the channel stops.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// What the channel task shares with the endpoint's side.
pub struct Shared {
    pub(super) assistant: Assistant,
    pub(super) config: TeamsConfig,
    pub(super) verifier: Arc<super::auth::Verifier>,
    pub(super) allowed: Arc<super::connector::AllowList>,
    /// Held by the running task; a restarted task takes it over.
    pub(super) received: tokio::sync::Mutex<mpsc::Receiver<Activity>>,
    pub(super) http: http_client::Client,
    /// The answers sent, for reactions.
    pub(super) sent_answers: SentAnswers,
    /// Messages per person per minute (`teams.rate_limit_per_minute`).
    pub(super) limiter: crate::limits::RateLimiter<String>,
}

/// Runs until `stop`: reads the app password (a missing one fails this channel only),
/// fetches the keys, then answers.
pub async fn run(shared: Arc<Shared>, mut stop: Shutdown) -> Result<(), StartError> {
    let config = &shared.config;
    let password = config.password().map_err(StartError::MissingPassword)?;
    let connector = Arc::new(Connector::new(
        shared.http.clone(),
        config.token_endpoint(),
        config.app_id.clone(),
        Secret::from(password.expose().trim().to_string()),
        shared.allowed.clone(),
    ));
    if shared.verifier.keys_stale() {
        if let Err(e) = shared.verifier.refresh().await {
            // Not fatal: a token naming a key triggers another fetch (rate-limited).
            tracing::error!(error = %e, "cannot fetch the Bot Framework's signing keys");
        }
    }
    let staff = (!config.staff_conversation.is_empty()).then(|| {
        tokio::spawn(notify_staff(
            connector.clone(),
            shared.assistant.subscribe(),
            config.clone(),
            shared.assistant.settings().default_language,
            stop.clone(),
        ))
    });
    let mut received = shared.received.lock().await;
    let mut tasks = JoinSet::new();
    let mut key_check = tokio::time::interval(KEY_CHECK);
    key_check.tick().await;
    tracing::info!(endpoint = %config.endpoint, "the Teams channel is ready");
    loop {
        tokio::select! {
            next = received.recv() => match next {
                Some(activity) => {
                    tasks.spawn(handle(shared.clone(), connector.clone(), activity));
                }
                None => break,
            },
            Some(ended) = tasks.join_next(), if !tasks.is_empty() => {
                if let Err(e) = ended {
                    tracing::error!(error = %e, "a Teams activity's task failed");
                }
            }
            _ = key_check.tick() => {
                if shared.verifier.keys_stale() {
                    if let Err(e) = shared.verifier.refresh().await {
                        tracing::error!(error = %e, "cannot refresh the Bot Framework's signing keys");
                    }
                }
            }
            _ = stop.wait() => break,
        }
    }
    let finishing = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(STOP_GRACE, finishing).await.is_err() {
        tracing::warn!("Teams answers still in flight were stopped");
    }
    tasks.abort_all();
    if let Some(staff) = staff {
        staff.abort();
        let _ = staff.await;
    }
    Ok(())
}

/// Where the answer to an activity goes.
struct Out<'a> {
    service_url: &'a str,
    conversation: &'a str,
    reply_to: Option<&'a str>,
}

impl Out<'_> {
    fn of(a: &Activity) -> Out<'_> {
        Out {
            service_url: &a.service_url,
            conversation: &a.conversation.id,
            reply_to: a.id.as_deref().filter(|id| !id.is_empty()),
        }
    }

    /// Sends `body`; the Connector's id of the message sent, if it was.
    async fn send(&self, connector: &Connector, body: &Value) -> Option<String> {
        let sent = match self.reply_to {
            Some(id) => {
                connector
                    .reply(self.service_url, self.conversation, id, body)
                    .await
            }
            None => {
                connector
                    .send(self.service_url, self.conversation, body)
                    .await
            }
        };
        match sent {
            Ok(answer) => Some(
                answer
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            ),
            Err(e) => {
                tracing::error!(error = %e, "cannot send a Teams message");
                None
            }
        }
    }
}

/// Records a vote through the engine (kept with the questions log, counted in `/metrics`).
async fn vote(shared: &Shared, token: String, helpful: bool) -> Option<VoteOutcome> {
    let vote = if helpful {
        Vote::Helpful
    } else {
        Vote::Unhelpful
    };
    match shared.assistant.feedback(token, vote).await {
        Ok(outcome) => Some(outcome),
        Err(e) => {
            tracing::warn!(error = %e, "could not record Teams feedback");
            None
        }
    }
}

async fn handle(shared: Arc<Shared>, connector: Arc<Connector>, a: Activity) {
    let Some(routed) = convert::activity(&a) else {
        return;
    };
    let out = Out::of(&a);
    let default_language = shared.assistant.settings().default_language;
    let (scope, incoming) = match routed {
        Routed::Welcome => {
            out.send(&connector, &card::welcome()).await;
            return;
        }
        Routed::Feedback {
            helpful,
            token,
            lang,
        } => {
            let lang = lang.unwrap_or(default_language);
            let said = match vote(&shared, token, helpful).await {
                Some(VoteOutcome::Recorded) => Msg::TeamsFeedbackThanks,
                Some(VoteOutcome::AlreadyRecorded) => Msg::FeedbackAlready,
                Some(VoteOutcome::Unknown) => Msg::FeedbackUnknown,
                None => Msg::InternalError,
            };
            out.send(&connector, &card::notice(said.text(lang))).await;
            return;
        }
        Routed::Reaction { reply_to, helpful } => {
            // Reactions are silent; only those on an answer count.
            if let Some(token) = shared.sent_answers.token(&reply_to) {
                vote(&shared, token, helpful).await;
            }
            return;
        }
        Routed::Engine { scope, incoming } => (scope, incoming),
    };
    let lang = Language::detect(&incoming.text)
        .or(incoming.lang_hint)
        .unwrap_or(default_language);
    let person = convert::person_key(&a).to_string();
    if let Err(wait) = shared.limiter.check(person, Instant::now()) {
        let seconds = wait.as_secs().max(1).to_string();
        let text = Msg::TeamsRateLimited.fill(lang, &[("seconds", &seconds)]);
        out.send(&connector, &card::notice(&text)).await;
        return;
    }
    if intake::goes_straight_to_personal(scope, &incoming) {
        move_to_personal(&shared, &connector, &a, &incoming, lang).await;
        return;
    }
    let typing = async {
        let _ = connector
            .send(out.service_url, out.conversation, &activity::typing())
            .await;
    };
    let Some(reply) = with_typing(
        ask(&shared.assistant, incoming.clone()),
        TYPING_AFTER,
        typing,
    )
    .await
    else {
        return;
    };
    match intake::plan(scope, &reply) {
        Plan::Reply(message) => {
            let sent = out.send(&connector, &message).await;
            let token = reply
                .feedback
                .as_deref()
                .filter(|_| reply.answered == Some(true));
            if let (Some(id), Some(token)) = (sent.filter(|id| !id.is_empty()), token) {
                shared.sent_answers.remember(&id, token);
            }
        }
        Plan::MoveToPersonal { lang } => {
            // Forget the public draft so nothing typed in public can fill a field.
            let _ = ask(&shared.assistant, intake::cancel_public(&incoming)).await;
            move_to_personal(&shared, &connector, &a, &incoming, lang).await;
        }
    }
}

/// Opens the person's personal chat with guichet and starts the intake there; says so in
/// public, or asks the person to open the chat when it cannot be opened.
async fn move_to_personal(
    shared: &Shared,
    connector: &Connector,
    a: &Activity,
    from: &Incoming,
    lang: Language,
) {
    let out = Out::of(a);
    debug_assert!(Scope::of(a).is_public());
    let Some(tenant) = a.tenant() else {
        out.send(connector, &intake::open_personal_notice(lang))
            .await;
        return;
    };
    let body = activity::new_personal_conversation(&a.recipient, &a.from, tenant);
    let personal = match connector.create_conversation(&a.service_url, &body).await {
        Ok(id) => id,
        Err(e) => {
            tracing::info!(error = %e, "cannot open a personal Teams chat");
            out.send(connector, &intake::open_personal_notice(lang))
                .await;
            return;
        }
    };
    let Some(reply) = ask(
        &shared.assistant,
        intake::start_in_personal(&personal, from, lang),
    )
    .await
    else {
        return;
    };
    match connector
        .send(&a.service_url, &personal, &card::render_reply(&reply))
        .await
    {
        Ok(_) => {
            out.send(connector, &intake::moved_notice(lang)).await;
        }
        Err(e) => {
            tracing::info!(error = %e, "cannot write in the personal Teams chat");
            out.send(connector, &intake::open_personal_notice(lang))
                .await;
        }
    }
}

/// Asks the engine (off the async threads, with back-pressure).
async fn ask(assistant: &Assistant, incoming: Incoming) -> Option<Reply> {
    match assistant.reply(incoming).await {
        Ok(reply) => Some(reply),
        Err(e) => {
            tracing::error!(error = ?e, "the engine failed on a Teams message");
            None
        }
    }
}

/// Runs `work`; if it is not done after `after`, runs `typing` alongside (once).
pub async fn with_typing<W: Future>(
    work: W,
    after: Duration,
    typing: impl Future<Output = ()>,
) -> W::Output {
    tokio::pin!(work);
    tokio::select! {
        out = &mut work => return out,
        _ = tokio::time::sleep(after) => {}
    }
    let (out, ()) = tokio::join!(work, typing);
    out
}

/// Posts a card to the staff conversation for each logged request (from any channel).
async fn notify_staff(
    connector: Arc<Connector>,
    mut events: broadcast::Receiver<RequestLogged>,
    config: TeamsConfig,
    lang: Language,
    mut stop: Shutdown,
) {
    loop {
        let event = tokio::select! {
            e = events.recv() => e,
            _ = stop.wait() => return,
        };
        match event {
            Ok(event) => {
                let message = card::staff_notice(&event, config.staff_page_url.as_ref(), lang);
                if let Err(e) = connector
                    .send(
                        &config.staff_service_url,
                        &config.staff_conversation,
                        &message,
                    )
                    .await
                {
                    tracing::error!(error = %e, reference = %event.reference, "cannot notify the Teams staff channel");
                }
            }
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(missed = n, "the Teams staff notifier fell behind");
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[tokio::test]
    async fn typing_is_shown_only_when_the_answer_takes_longer_than_the_threshold() {
        // The channel uses TYPING_AFTER (500 ms); a shorter threshold keeps the test quick.
        let after = Duration::from_millis(100);
        for (takes, shown) in [(Duration::ZERO, false), (Duration::from_millis(400), true)] {
            let typed = AtomicBool::new(false);
            let answer = with_typing(
                async {
                    tokio::time::sleep(takes).await;
                    42
                },
                after,
                async { typed.store(true, Ordering::SeqCst) },
            )
            .await;
            assert_eq!(answer, 42);
            assert_eq!(
                typed.load(Ordering::SeqCst),
                shown,
                "an answer taking {takes:?}"
            );
        }
    }
}
