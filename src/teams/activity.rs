//! The Bot Framework activity, as much of it as guichet reads (inbound) and the few shapes
//! it sends (outbound), checked on construction: an [`Activity`] has a type, a service URL,
//! a conversation and a sender, or it is not one.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The longest activity body accepted, in bytes (Teams messages are at most ~28 KB).
pub const MAX_ACTIVITY_BYTES: usize = 256 * 1024;

/// A person or a bot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    #[serde(default)]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The person's Microsoft Entra (AAD) object id, when Teams gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aad_object_id: Option<String>,
    /// `bot` or `user`, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// Where an activity happens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    #[serde(default)]
    pub id: String,
    /// `personal`, `groupChat` or `channel`.
    #[serde(default)]
    pub conversation_type: Option<String>,
    #[serde(default)]
    pub is_group: Option<bool>,
    #[serde(default)]
    pub tenant_id: Option<String>,
}

/// One entity of a message; guichet reads mentions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Entity {
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub mentioned: Option<Account>,
    /// The mention as it appears in the text (`<at>guichet</at>`).
    #[serde(default)]
    pub text: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct IdOnly {
    #[serde(default)]
    pub id: String,
}

/// Teams' own data on an activity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ChannelData {
    #[serde(default)]
    pub tenant: Option<IdOnly>,
    #[serde(default)]
    pub team: Option<IdOnly>,
    #[serde(default)]
    pub channel: Option<IdOnly>,
}

/// An incoming activity.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub id: Option<String>,
    pub service_url: String,
    #[serde(default)]
    pub channel_id: String,
    pub from: Account,
    pub conversation: Conversation,
    #[serde(default)]
    pub recipient: Account,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub locale: Option<String>,
    #[serde(default)]
    pub entities: Vec<Entity>,
    #[serde(default)]
    pub channel_data: Option<ChannelData>,
    /// What an Adaptive Card's `Action.Submit` sent (or an invoke's payload).
    #[serde(default)]
    pub value: Option<Value>,
    /// The invoke's name (`adaptiveCard/action`).
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub members_added: Vec<Account>,
    /// The activity a reaction (or a card press) is about.
    #[serde(default)]
    pub reply_to_id: Option<String>,
    /// Reactions added by a `messageReaction` activity.
    #[serde(default)]
    pub reactions_added: Vec<Reaction>,
}

/// A reaction (`like`, `heart`, `laugh`, `surprised`, `sad`, `angry`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Reaction {
    #[serde(default, rename = "type")]
    pub kind: String,
}

/// Why a body is not an activity guichet can read.
#[derive(Debug, thiserror::Error)]
pub enum ActivityError {
    #[error("the body is not an activity: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the activity has no {0}")]
    Missing(&'static str),
    #[error("the activity's serviceUrl is not an http(s) URL")]
    BadServiceUrl,
}

impl Activity {
    /// Reads and checks a request body.
    pub fn parse(body: &[u8]) -> Result<Activity, ActivityError> {
        let activity: Activity = serde_json::from_slice(body)?;
        if activity.kind.is_empty() {
            return Err(ActivityError::Missing("type"));
        }
        if activity.conversation.id.is_empty() {
            return Err(ActivityError::Missing("conversation id"));
        }
        if activity.from.id.is_empty() {
            return Err(ActivityError::Missing("sender id"));
        }
        if !crate::text::is_http_url(&activity.service_url) {
            return Err(ActivityError::BadServiceUrl);
        }
        Ok(activity)
    }

    /// The tenant, from the conversation or Teams' channel data.
    pub fn tenant(&self) -> Option<&str> {
        self.conversation
            .tenant_id
            .as_deref()
            .or_else(|| {
                self.channel_data
                    .as_ref()
                    .and_then(|d| d.tenant.as_ref())
                    .map(|t| t.id.as_str())
            })
            .filter(|t| !t.is_empty())
    }
}

/// The Adaptive Card attachment's content type.
pub const ADAPTIVE_CARD: &str = "application/vnd.microsoft.card.adaptive";

/// An outgoing message: plain text (rendered as typed, no Markdown) and cards.
pub fn message(text: Option<&str>, cards: Vec<Value>) -> Value {
    let mut m = json!({ "type": "message" });
    if let Some(text) = text {
        m["text"] = json!(text);
        m["textFormat"] = json!("plain");
    }
    if !cards.is_empty() {
        m["attachments"] = Value::Array(
            cards
                .into_iter()
                .map(|c| json!({ "contentType": ADAPTIVE_CARD, "content": c }))
                .collect(),
        );
    }
    m
}

/// The "typing…" indicator.
pub fn typing() -> Value {
    json!({ "type": "typing" })
}

/// The body of `POST /v3/conversations` opening a personal chat with `user`.
pub fn new_personal_conversation(bot: &Account, user: &Account, tenant: &str) -> Value {
    json!({
        "bot": { "id": bot.id },
        "members": [{ "id": user.id }],
        "isGroup": false,
        "tenantId": tenant,
        "channelData": { "tenant": { "id": tenant } },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_activity_needs_a_type_a_conversation_a_sender_and_an_http_service_url() {
        let ok = br#"{"type":"message","serviceUrl":"https://smba.trafficmanager.net/amer/",
            "from":{"id":"29:1"},"conversation":{"id":"a:1"}}"#;
        assert!(Activity::parse(ok).is_ok());
        for (body, why) in [
            (r#"{"type":"message"}"#, "serviceUrl"),
            (
                r#"{"type":"","serviceUrl":"https://x.y","from":{"id":"1"},"conversation":{"id":"a"}}"#,
                "type",
            ),
            (
                r#"{"type":"message","serviceUrl":"https://x.y","from":{"id":""},"conversation":{"id":"a"}}"#,
                "sender",
            ),
            (
                r#"{"type":"message","serviceUrl":"file:///x","from":{"id":"1"},"conversation":{"id":"a"}}"#,
                "serviceUrl",
            ),
            ("not json", "activity"),
        ] {
            let err = Activity::parse(body.as_bytes()).unwrap_err().to_string();
            assert!(err.contains(why), "{body}: {err}");
        }
    }

    #[test]
    fn outgoing_text_is_plain_so_nothing_in_it_is_markdown() {
        let m = message(Some("[x](https://evil)"), vec![]);
        assert_eq!(m["textFormat"], "plain");
        assert!(m.get("attachments").is_none());
        let m = message(None, vec![json!({"type": "AdaptiveCard"})]);
        assert_eq!(m["attachments"][0]["contentType"], ADAPTIVE_CARD);
    }
}
