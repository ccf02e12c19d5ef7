//! The Microsoft Teams channel, over the Bot Framework's REST protocol: answers in personal
//! chats, and to mentions in channels and group chats, as Adaptive Cards; requests are
//! always taken in the personal chat; a staff channel hears of every logged request.
//!
//! Everything that decides something is plain, tested code: [`auth`] (which tokens are the
//! Bot Framework's), [`activity`] and [`convert`] (activities → the engine's input),
//! [`card`] (the engine's reply → Adaptive Cards within Teams' limits), [`intake`] (the
//! personal-chat-only intake rule), [`connector`] (retries, the service URL allow-list,
//! token caching) and [`package`] (the app package). [`endpoint`] (the HTTP endpoint) and
//! [`channel`] (the supervised task that answers) are the thin I/O layer.

pub mod activity;
pub mod auth;
pub mod card;
pub mod channel;
pub mod connector;
pub mod convert;
pub mod endpoint;
pub mod intake;
pub mod package;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::assistant::Assistant;
use crate::config::TeamsConfig;

/// Activities verified but not yet handled, at most.
const QUEUE: usize = 512;
/// The most people whose recent messages are remembered for the rate limit.
const MAX_RATE_LIMITED_USERS: usize = 10_000;

/// Why the Teams channel could not be built or started.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the Teams app password is missing: {0}")]
    MissingPassword(crate::config::MissingSecret),
    #[error("cannot set up the HTTP client for the Bot Framework")]
    Http(#[source] http_client::Error),
}

/// The answers guichet sent (the Connector's id of each message → its feedback token), so
/// that a reaction on an answer can count as feedback. Bounded: the oldest are
/// forgotten first.
#[derive(Debug, Default)]
pub struct SentAnswers {
    inner: std::sync::Mutex<(
        std::collections::HashMap<String, String>,
        std::collections::VecDeque<String>,
    )>,
}

impl SentAnswers {
    /// The most answers remembered.
    pub const MAX: usize = 10_000;

    pub fn remember(&self, message_id: &str, token: &str) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (docs, order) = &mut *inner;
        if docs
            .insert(message_id.to_string(), token.to_string())
            .is_none()
        {
            order.push_back(message_id.to_string());
        }
        while order.len() > Self::MAX {
            if let Some(oldest) = order.pop_front() {
                docs.remove(&oldest);
            }
        }
    }

    /// The feedback token of the answer `message_id`, if guichet sent it (and still
    /// remembers).
    pub fn token(&self, message_id: &str) -> Option<String> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.0.get(message_id).cloned()
    }
}

/// The Teams channel: its endpoint ([`Teams::router`]) and its supervised task
/// ([`Teams::run`]). Cheap to clone.
#[derive(Clone)]
pub struct Teams {
    shared: Arc<channel::Shared>,
    inbound: Arc<endpoint::Inbound>,
}

impl Teams {
    /// Builds the channel over `assistant`. Nothing is fetched yet: the keys are fetched
    /// when [`Teams::run`] starts.
    pub fn new(assistant: Assistant, config: TeamsConfig) -> Result<Teams, StartError> {
        let http = http_client::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(StartError::Http)?;
        let verifier = Arc::new(auth::Verifier::new(
            config.app_id.clone(),
            config.openid_metadata_url.clone(),
            http.clone(),
        ));
        let allowed = Arc::new(connector::AllowList::default());
        if !config.staff_service_url.is_empty() {
            allowed.allow(&config.staff_service_url);
        }
        let (queue, received) = mpsc::channel(QUEUE);
        let limiter = crate::limits::RateLimiter::sliding(
            config.rate_limit_per_minute,
            Duration::from_secs(60),
            MAX_RATE_LIMITED_USERS,
        );
        let shared = Arc::new(channel::Shared {
            assistant,
            config,
            verifier: verifier.clone(),
            allowed: allowed.clone(),
            received: tokio::sync::Mutex::new(received),
            http,
            sent_answers: SentAnswers::default(),
            limiter,
        });
        Ok(Teams {
            shared,
            inbound: Arc::new(endpoint::Inbound {
                verifier,
                allowed,
                queue,
            }),
        })
    }

    /// The messaging endpoint, to merge into the web server's router.
    pub fn router(&self) -> axum::Router {
        endpoint::router(&self.shared.config.endpoint, self.inbound.clone())
    }

    /// Answers the queued activities and notifies the staff channel until `stop` fires.
    pub async fn run(&self, stop: crate::shutdown::Shutdown) -> Result<(), StartError> {
        channel::run(self.shared.clone(), stop).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sent_answers_are_remembered_up_to_a_bound_oldest_forgotten_first() {
        let sent = SentAnswers::default();
        sent.remember("1:first", "oncopole");
        assert_eq!(sent.token("1:first").as_deref(), Some("oncopole"));
        assert_eq!(sent.token("1:other"), None);
        for i in 0..SentAnswers::MAX {
            sent.remember(&format!("1:{i}"), "doc");
        }
        assert_eq!(sent.token("1:first"), None, "the oldest was forgotten");
        assert_eq!(
            sent.token(&format!("1:{}", SentAnswers::MAX - 1))
                .as_deref(),
            Some("doc")
        );
    }
}
