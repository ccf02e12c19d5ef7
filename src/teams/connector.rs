//! The Bot Framework Connector client: guichet's own token (client-credentials flow,
//! cached until shortly before it expires), replies and new messages
//! (`POST {serviceUrl}/v3/conversations/{id}/activities[/{activityId}]`), new personal
//! chats (`POST {serviceUrl}/v3/conversations`), retries on 429 and 5xx honouring
//! `Retry-After`, and the allow-list of service URLs: guichet only ever sends (and so only
//! ever shows its token) to service URLs seen in a verified activity or configured.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value;

use super::auth::normalize_service_url;
use crate::config::Secret;

/// The scope of the tokens guichet asks for.
pub const SCOPE: &str = "https://api.botframework.com/.default";
/// A token is renewed this long before it expires.
const TOKEN_MARGIN: Duration = Duration::from_secs(5 * 60);
/// Attempts of one send (the first and its retries).
const MAX_ATTEMPTS: u32 = 4;
/// The longest wait between attempts, whatever `Retry-After` says.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);
/// The most service URLs remembered (Teams uses a handful of regional ones).
const MAX_SERVICE_URLS: usize = 256;
/// Each HTTP call gives up after this long.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a send failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    #[error("the service URL {0} was never seen in a verified activity: not sending there")]
    NotAllowed(String),
    #[error("getting a token from {url}")]
    Token {
        url: String,
        #[source]
        source: Box<ConnectorError>,
    },
    #[error("calling {url}")]
    Http {
        url: String,
        #[source]
        source: http_client::Error,
    },
    #[error("{url} answered {status}: {body}")]
    Status {
        url: String,
        status: u16,
        body: String,
    },
    #[error("{url} answered something unreadable")]
    Unreadable { url: String },
}

impl ConnectorError {
    /// The HTTP status the server answered, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ConnectorError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// How long to wait before attempt `attempt + 1` after an answer with `status` and
/// `retry_after` (a `Retry-After` header), or `None` when not to retry: only 429 and 5xx are
/// retried, at most [`MAX_ATTEMPTS`] times; `Retry-After` seconds are honoured (up to
/// [`MAX_RETRY_WAIT`]), else the wait doubles from one second.
pub fn retry_wait(status: u16, retry_after: Option<&str>, attempt: u32) -> Option<Duration> {
    if attempt + 1 >= MAX_ATTEMPTS || !(status == 429 || (500..600).contains(&status)) {
        return None;
    }
    let backoff = Duration::from_secs(1u64 << attempt.min(5));
    let wait = retry_after
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(backoff, Duration::from_secs);
    Some(wait.min(MAX_RETRY_WAIT))
}

/// A path segment percent-encoded (conversation ids hold `:`, `@`, `;`).
pub fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The service URLs guichet may send to.
#[derive(Debug, Default)]
pub struct AllowList {
    urls: Mutex<HashSet<String>>,
}

impl AllowList {
    /// Allows `url` (after a verified activity named it, or from the configuration).
    pub fn allow(&self, url: &str) {
        let mut urls = self.urls.lock().unwrap_or_else(|p| p.into_inner());
        let url = normalize_service_url(url);
        if urls.len() >= MAX_SERVICE_URLS && !urls.contains(&url) {
            tracing::warn!(service_url = %url, "too many Teams service URLs; not remembering another");
            return;
        }
        urls.insert(url);
    }

    pub fn allows(&self, url: &str) -> bool {
        self.urls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&normalize_service_url(url))
    }
}

#[derive(Debug, Clone)]
struct Token {
    value: String,
    renew_at: Instant,
}

/// guichet's credentials and the Connector calls.
pub struct Connector {
    http: http_client::Client,
    token_url: String,
    app_id: String,
    password: Secret,
    token: tokio::sync::Mutex<Option<Token>>,
    allowed: std::sync::Arc<AllowList>,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("token_url", &self.token_url)
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

impl Connector {
    pub fn new(
        http: http_client::Client,
        token_url: String,
        app_id: String,
        password: Secret,
        allowed: std::sync::Arc<AllowList>,
    ) -> Connector {
        Connector {
            http,
            token_url,
            app_id,
            password,
            token: tokio::sync::Mutex::new(None),
            allowed,
        }
    }

    /// A valid token: the cached one, or a new one.
    async fn token(&self) -> Result<String, ConnectorError> {
        let mut cached = self.token.lock().await;
        if let Some(t) = cached.as_ref().filter(|t| Instant::now() < t.renew_at) {
            return Ok(t.value.clone());
        }
        let fresh = self
            .fetch_token()
            .await
            .map_err(|e| ConnectorError::Token {
                url: self.token_url.clone(),
                source: Box::new(e),
            })?;
        let value = fresh.value.clone();
        *cached = Some(fresh);
        Ok(value)
    }

    async fn forget_token(&self) {
        *self.token.lock().await = None;
    }

    async fn fetch_token(&self) -> Result<Token, ConnectorError> {
        #[derive(Deserialize)]
        struct TokenResponse {
            access_token: String,
            expires_in: u64,
        }
        let url = &self.token_url;
        let response = self
            .http
            .post(url)
            .timeout(CALL_TIMEOUT)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", self.app_id.as_str()),
                ("client_secret", self.password.expose()),
                ("scope", SCOPE),
            ])
            .send()
            .await
            .map_err(|source| ConnectorError::Http {
                url: url.clone(),
                source,
            })?;
        let status = response.status().as_u16();
        if !response.status().is_success() {
            // The body of a refused token request names the error, never the secret.
            let body = error_body(response).await;
            return Err(ConnectorError::Status {
                url: url.clone(),
                status,
                body,
            });
        }
        let t: TokenResponse = response
            .json()
            .await
            .map_err(|_| ConnectorError::Unreadable { url: url.clone() })?;
        let lifetime = Duration::from_secs(t.expires_in);
        let keep = if lifetime > TOKEN_MARGIN * 2 {
            lifetime - TOKEN_MARGIN
        } else {
            lifetime / 2
        };
        tracing::debug!(expires_in = t.expires_in, "got a Bot Framework token");
        Ok(Token {
            value: t.access_token,
            renew_at: Instant::now() + keep,
        })
    }

    /// Replies to activity `activity_id` of `conversation`.
    pub async fn reply(
        &self,
        service_url: &str,
        conversation: &str,
        activity_id: &str,
        body: &Value,
    ) -> Result<Value, ConnectorError> {
        let path = format!(
            "v3/conversations/{}/activities/{}",
            encode_segment(conversation),
            encode_segment(activity_id)
        );
        self.post(service_url, &path, body).await
    }

    /// Sends a new message (or a typing indicator) to `conversation`.
    pub async fn send(
        &self,
        service_url: &str,
        conversation: &str,
        body: &Value,
    ) -> Result<Value, ConnectorError> {
        let path = format!(
            "v3/conversations/{}/activities",
            encode_segment(conversation)
        );
        self.post(service_url, &path, body).await
    }

    /// Opens (or finds) a conversation — a personal chat — and returns its id.
    pub async fn create_conversation(
        &self,
        service_url: &str,
        body: &Value,
    ) -> Result<String, ConnectorError> {
        let answer = self.post(service_url, "v3/conversations", body).await?;
        answer
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .map(str::to_string)
            .ok_or_else(|| ConnectorError::Unreadable {
                url: format!("{service_url}v3/conversations"),
            })
    }

    /// POSTs `body` to `path` under `service_url` with guichet's token, retrying 429 and
    /// 5xx answers ([`retry_wait`]) and a 401 once with a new token.
    async fn post(
        &self,
        service_url: &str,
        path: &str,
        body: &Value,
    ) -> Result<Value, ConnectorError> {
        if !self.allowed.allows(service_url) {
            return Err(ConnectorError::NotAllowed(service_url.to_string()));
        }
        let url = format!("{}/{path}", service_url.trim_end_matches('/'));
        let mut attempt = 0;
        let mut renewed = false;
        loop {
            let token = self.token().await?;
            let sent = self
                .http
                .post(&url)
                .timeout(CALL_TIMEOUT)
                .bearer_auth(token)
                .json(body)
                .send()
                .await;
            let response = match sent {
                Ok(r) => r,
                Err(source) => {
                    if let Some(wait) = retry_wait(503, None, attempt) {
                        tracing::warn!(error = %source, %url, retry_in_ms = wait.as_millis() as u64, "cannot reach the Bot Framework; retrying");
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(ConnectorError::Http { url, source });
                }
            };
            let status = response.status().as_u16();
            if response.status().is_success() {
                let bytes = response.bytes().await.unwrap_or_default();
                return Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null));
            }
            if status == 401 && !renewed {
                renewed = true;
                self.forget_token().await;
                continue;
            }
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            if let Some(wait) = retry_wait(status, retry_after.as_deref(), attempt) {
                tracing::warn!(status, %url, retry_in_ms = wait.as_millis() as u64, "the Bot Framework asked to retry");
                tokio::time::sleep(wait).await;
                attempt += 1;
                continue;
            }
            let body = error_body(response).await;
            return Err(ConnectorError::Status { url, status, body });
        }
    }
}

/// The start of a refused response's body, for the error and the log.
async fn error_body(response: http_client::Response) -> String {
    response
        .text()
        .await
        .unwrap_or_default()
        .chars()
        .take(300)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_429_and_5xx_are_retried_honouring_retry_after_within_bounds() {
        assert_eq!(retry_wait(429, Some("3"), 0), Some(Duration::from_secs(3)));
        assert_eq!(retry_wait(503, None, 0), Some(Duration::from_secs(1)));
        assert_eq!(retry_wait(500, None, 2), Some(Duration::from_secs(4)));
        assert_eq!(retry_wait(429, Some("3600"), 0), Some(MAX_RETRY_WAIT));
        assert_eq!(
            retry_wait(429, Some("Wed, 21 Oct 2026 07:28:00 GMT"), 1),
            Some(Duration::from_secs(2)),
            "a date falls back to the backoff"
        );
        assert_eq!(retry_wait(400, None, 0), None);
        assert_eq!(retry_wait(403, Some("1"), 0), None);
        assert_eq!(
            retry_wait(429, Some("1"), MAX_ATTEMPTS - 1),
            None,
            "gives up"
        );
    }

    #[test]
    fn conversation_ids_are_encoded_as_one_path_segment() {
        assert_eq!(
            encode_segment("19:ja0cu120i1jod12j@thread.tacv2;messageid=17"),
            "19%3Aja0cu120i1jod12j%40thread.tacv2%3Bmessageid%3D17"
        );
        assert_eq!(encode_segment("a/../b"), "a%2F..%2Fb");
    }

    #[test]
    fn the_allow_list_compares_normalised_urls() {
        let list = AllowList::default();
        assert!(!list.allows("https://smba.trafficmanager.net/amer/"));
        list.allow("https://SMBA.trafficmanager.net/amer/");
        assert!(list.allows("https://smba.trafficmanager.net/amer"));
        assert!(!list.allows("https://evil.example/amer/"));
    }
}
