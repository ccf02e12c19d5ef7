//! Teams activities → the engine's [`Incoming`]: which activities are answered (personal
//! chats always, channels and group chats only when guichet is mentioned; never bots,
//! typing or reactions), mention stripping, the bot commands, card button presses, the
//! welcome when guichet is added, and the engine's conversation ids.

use crate::assistant::{Action, Incoming, Sender};
use crate::language::Language;
use crate::requests::model::Channel;

use super::activity::Activity;
use super::card::Submit;

/// Where an activity was posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A one-to-one chat between the person and guichet.
    Personal,
    GroupChat,
    /// A channel of a team.
    Channel,
}

impl Scope {
    pub fn of(activity: &Activity) -> Scope {
        match activity.conversation.conversation_type.as_deref() {
            Some("personal") => Scope::Personal,
            Some("channel") => Scope::Channel,
            Some("groupChat") => Scope::GroupChat,
            // Older payloads only say whether the conversation is a group.
            _ if activity.conversation.is_group == Some(true) => Scope::GroupChat,
            _ => Scope::Personal,
        }
    }

    /// Others can read what is said here.
    pub fn is_public(self) -> bool {
        self != Scope::Personal
    }
}

/// What the channel should do with an activity.
#[derive(Debug, Clone)]
pub enum Routed {
    /// Hand this to the engine and answer in the activity's conversation.
    Engine { scope: Scope, incoming: Incoming },
    /// A "Helpful? yes/no" press: record it and thank the person.
    Feedback {
        helpful: bool,
        /// The answer's feedback token.
        token: String,
        lang: Option<Language>,
    },
    /// guichet was added to a personal chat: say hello in both languages.
    Welcome,
    /// A reaction on one of guichet's messages (`reply_to`): a like or a heart counts as
    /// "helpful", sad or angry as "not helpful", when that message was an answer.
    Reaction { reply_to: String, helpful: bool },
}

/// The bot command words, in English and in French.
pub const ASK: &str = "ask";
pub const ASK_FR: &str = "question";
pub const REQUEST: &str = "request";
pub const REQUEST_FR: &str = "demande";

/// An activity → what to do, or `None` when guichet stays silent: anything from a bot
/// (itself included), typing, reactions that say nothing about an answer, other events, channel and group messages that
/// do not mention it, and messages with nothing left once the mention is removed.
pub fn activity(a: &Activity) -> Option<Routed> {
    let from_bot = a.from.role.as_deref() == Some("bot")
        || a.from.id == a.recipient.id
        || a.from.id.starts_with("28:");
    if from_bot {
        return None;
    }
    let scope = Scope::of(a);
    match a.kind.as_str() {
        "conversationUpdate" => {
            let added = a
                .members_added
                .iter()
                .any(|m| !a.recipient.id.is_empty() && m.id == a.recipient.id);
            (added && scope == Scope::Personal).then_some(Routed::Welcome)
        }
        "message" => message(a, scope),
        "messageReaction" => {
            let helpful = a
                .reactions_added
                .iter()
                .find_map(|r| match r.kind.as_str() {
                    "like" | "heart" => Some(true),
                    "sad" | "angry" => Some(false),
                    _ => None,
                })?;
            let reply_to = a.reply_to_id.clone().filter(|id| !id.is_empty())?;
            Some(Routed::Reaction { reply_to, helpful })
        }
        "invoke" if a.name.as_deref() == Some("adaptiveCard/action") => message(a, scope),
        _ => None,
    }
}

fn message(a: &Activity, scope: Scope) -> Option<Routed> {
    let lang_hint = a.locale.as_deref().and_then(locale_language);
    let mut incoming = Incoming::text(Channel::Teams, conversation_id(a, scope), "");
    incoming.sender = sender(a);
    incoming.lang_hint = lang_hint;
    // A press on one of guichet's own cards needs no mention: the card was its answer.
    if let Some(submit) = a.value.as_ref().and_then(Submit::from_activity_value) {
        match submit {
            Submit::Action(action) => incoming.action = Some(action),
            Submit::Feedback { helpful, token } => {
                return Some(Routed::Feedback {
                    helpful,
                    token,
                    lang: lang_hint,
                });
            }
        }
        return Some(Routed::Engine { scope, incoming });
    }
    let text = a.text.as_deref().unwrap_or_default();
    if scope.is_public() && !mentions_bot(a) {
        return None;
    }
    let text = strip_mentions(text, a);
    match command(&text) {
        Command::Request(lang) => {
            incoming.action = Some(Action::MakeRequest);
            incoming.lang_hint = Some(lang);
        }
        Command::Ask(question) => incoming.text = question,
        Command::None => incoming.text = text,
    }
    if incoming.text.is_empty() && incoming.action.is_none() {
        return None;
    }
    Some(Routed::Engine { scope, incoming })
}

/// Whether one of the activity's mention entities names guichet.
pub fn mentions_bot(a: &Activity) -> bool {
    a.entities.iter().any(|e| {
        e.kind == "mention"
            && e.mentioned
                .as_ref()
                .is_some_and(|m| !m.id.is_empty() && m.id == a.recipient.id)
    })
}

/// The text without guichet's mentions; other people's mentions keep their names without
/// the `<at>` markup. Spaces are collapsed.
pub fn strip_mentions(text: &str, a: &Activity) -> String {
    let mut text = text.replace("&nbsp;", " ");
    for e in &a.entities {
        let ours =
            e.kind == "mention" && e.mentioned.as_ref().is_some_and(|m| m.id == a.recipient.id);
        if let (true, Some(mention)) = (ours, e.text.as_deref()) {
            if !mention.is_empty() {
                text = text.replace(mention, " ");
            }
        }
    }
    // Whatever markup is left (someone else, or a mention without an entity).
    let text = text.replace("<at>", "").replace("</at>", "");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

enum Command {
    /// `request` or `demande`, alone: start the intake.
    Request(Language),
    /// `ask …` or `question …`: the rest is the question.
    Ask(String),
    None,
}

fn command(text: &str) -> Command {
    let (first, rest) = text.split_once(' ').unwrap_or((text, ""));
    let word = first.trim_end_matches(['.', '!', '?', ':']).to_lowercase();
    match word.as_str() {
        REQUEST if rest.trim().is_empty() => Command::Request(Language::En),
        REQUEST_FR if rest.trim().is_empty() => Command::Request(Language::Fr),
        ASK | ASK_FR if !rest.trim().is_empty() && first.len() == word.len() => {
            Command::Ask(rest.trim().to_string())
        }
        _ => Command::None,
    }
}

/// The engine's conversation: the personal chat, or `conversation|person` in channels and
/// group chats so that two people there are two conversations (a channel thread's
/// `;messageid=` is dropped: a person's talk in one channel is one conversation).
pub fn conversation_id(a: &Activity, scope: Scope) -> String {
    match scope {
        Scope::Personal => a.conversation.id.clone(),
        Scope::Channel | Scope::GroupChat => {
            let base = a
                .conversation
                .id
                .split(";messageid=")
                .next()
                .unwrap_or_default();
            format!("{base}|{}", person_key(a))
        }
    }
}

/// The person's stable id: the AAD object id when given, else the Teams user id.
pub fn person_key(a: &Activity) -> &str {
    a.from
        .aad_object_id
        .as_deref()
        .filter(|id| !id.is_empty())
        .unwrap_or(&a.from.id)
}

/// A Teams locale (`fr-CA`, `en-US`…) as a language hint.
pub fn locale_language(locale: &str) -> Option<Language> {
    let primary = locale.split(['-', '_']).next()?.to_ascii_lowercase();
    match primary.as_str() {
        "fr" => Some(Language::Fr),
        "en" => Some(Language::En),
        _ => None,
    }
}

/// Teams names people by their directory name: it prefills the intake's name (the engine
/// still checks it and shows it for confirmation). The email is always asked.
fn sender(a: &Activity) -> Sender {
    let name = a
        .from
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string);
    Sender {
        handle: Some(match &name {
            Some(n) => format!("{n} (Teams {})", person_key(a)),
            None => format!("Teams {}", person_key(a)),
        }),
        name,
        email: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn fixture(name: &str) -> Value {
        let path = format!("{}/tests/data/teams/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn parse(v: &Value) -> Activity {
        Activity::parse(&serde_json::to_vec(v).unwrap()).expect("a valid activity")
    }

    fn engine(routed: Option<Routed>) -> (Scope, Incoming) {
        match routed {
            Some(Routed::Engine { scope, incoming }) => (scope, incoming),
            other => panic!("expected a message for the engine, got {other:?}"),
        }
    }

    #[test]
    fn a_personal_message_is_answered_with_the_persons_name_and_locale() {
        let a = parse(&fixture("personal-message.json"));
        let (scope, incoming) = engine(activity(&a));
        assert_eq!(scope, Scope::Personal);
        assert_eq!(incoming.text, "What is Oncopole?");
        assert_eq!(incoming.conversation, a.conversation.id);
        assert_eq!(incoming.channel, Channel::Teams);
        assert_eq!(incoming.lang_hint, Some(Language::En));
        assert_eq!(incoming.sender.name.as_deref(), Some("Megan Bowen"));
        assert!(incoming.sender.email.is_none(), "the email is always asked");
        let handle = incoming.sender.handle.unwrap();
        assert!(
            handle.contains("4a0f9b5e-3c5e-4f3e-8a45-9b1f2f0c7d11"),
            "the handle keeps the AAD object id: {handle}"
        );
    }

    #[test]
    fn a_channel_mention_is_answered_without_the_mention_per_person() {
        let a = parse(&fixture("channel-message-mention.json"));
        let (scope, incoming) = engine(activity(&a));
        assert_eq!(scope, Scope::Channel);
        assert!(scope.is_public());
        assert_eq!(incoming.text, "What is Oncopole?");
        assert_eq!(
            incoming.conversation,
            "19:ja0cu120i1jod12j@thread.tacv2|4a0f9b5e-3c5e-4f3e-8a45-9b1f2f0c7d11"
        );
    }

    #[test]
    fn channel_and_group_messages_without_guichets_mention_are_ignored() {
        let mut v = fixture("channel-message-mention.json");
        v["entities"][0]["mentioned"]["id"] = json!("29:someone-else");
        v["text"] = json!("<at>Pat</at> What is Oncopole?");
        assert!(activity(&parse(&v)).is_none());
        v["entities"] = json!([]);
        assert!(activity(&parse(&v)).is_none());
        let mut group = fixture("personal-message.json");
        group["conversation"]["conversationType"] = json!("groupChat");
        group["conversation"]["id"] = json!("19:meeting_x@thread.v2");
        assert!(activity(&parse(&group)).is_none());
        // A bare mention asks nothing.
        let mut bare = fixture("channel-message-mention.json");
        bare["text"] = json!("<at>guichet</at>&nbsp;");
        assert!(activity(&parse(&bare)).is_none());
    }

    #[test]
    fn other_peoples_mentions_keep_their_names() {
        let mut v = fixture("channel-message-mention.json");
        v["text"] = json!("<at>guichet</at> can <at>Pat Doe</at> apply?");
        let (_, incoming) = engine(activity(&parse(&v)));
        assert_eq!(incoming.text, "can Pat Doe apply?");
    }

    #[test]
    fn bots_typing_and_reactions_are_ignored() {
        let mut v = fixture("personal-message.json");
        v["from"]["role"] = json!("bot");
        assert!(activity(&parse(&v)).is_none());
        let mut v = fixture("personal-message.json");
        v["from"]["id"] = json!("28:another-bot");
        assert!(activity(&parse(&v)).is_none());
        for kind in ["typing", "messageReaction", "installationUpdate", "event"] {
            let mut v = fixture("personal-message.json");
            v["type"] = json!(kind);
            assert!(activity(&parse(&v)).is_none(), "{kind}");
        }
    }

    #[test]
    fn being_added_to_a_personal_chat_says_hello_only_there() {
        let v = fixture("conversation-update-bot-added.json");
        assert!(matches!(activity(&parse(&v)), Some(Routed::Welcome)));
        let mut someone = v.clone();
        someone["membersAdded"][0]["id"] = json!("29:someone");
        assert!(activity(&parse(&someone)).is_none());
        let mut channel = v.clone();
        channel["conversation"]["conversationType"] = json!("channel");
        assert!(activity(&parse(&channel)).is_none());
    }

    #[test]
    fn card_presses_become_actions_or_feedback_even_in_channels() {
        let v = fixture("card-submit.json");
        let (scope, incoming) = engine(activity(&parse(&v)));
        assert_eq!(scope, Scope::Personal);
        assert_eq!(incoming.action, Some(Action::MakeRequest));
        let mut fb = v.clone();
        fb["value"] = json!({"guichet": "feedback", "helpful": false, "token": "tok"});
        fb["conversation"]["conversationType"] = json!("channel");
        match activity(&parse(&fb)) {
            Some(Routed::Feedback {
                helpful,
                token,
                lang,
            }) => {
                assert!(!helpful);
                assert_eq!(token, "tok");
                assert_eq!(lang, Some(Language::En));
            }
            other => panic!("{other:?}"),
        }
        let mut foreign = v.clone();
        foreign["value"] = json!({"msteams": {"type": "imBack"}});
        foreign["text"] = json!("");
        assert!(
            activity(&parse(&foreign)).is_none(),
            "not guichet's data, no text"
        );
    }

    #[test]
    fn the_commands_work_in_both_languages() {
        for (text, action, hint, question) in [
            ("demande", Some(Action::MakeRequest), Some(Language::Fr), ""),
            ("Request", Some(Action::MakeRequest), Some(Language::En), ""),
            (
                "ask What is Oncopole?",
                None,
                Some(Language::En),
                "What is Oncopole?",
            ),
            (
                "question Qu'est-ce qu'Oncopole ?",
                None,
                Some(Language::En),
                "Qu'est-ce qu'Oncopole ?",
            ),
            (
                "request a letter of support",
                None,
                Some(Language::En),
                "request a letter of support",
            ),
        ] {
            let mut v = fixture("personal-message.json");
            v["text"] = json!(text);
            let (_, incoming) = engine(activity(&parse(&v)));
            assert_eq!(incoming.action, action, "{text}");
            assert_eq!(incoming.lang_hint, hint, "{text}");
            assert_eq!(incoming.text, question, "{text}");
        }
    }

    #[test]
    fn reactions_on_a_message_are_feedback_only_when_they_say_yes_or_no() {
        let mut v = fixture("personal-message.json");
        v["type"] = json!("messageReaction");
        v["replyToId"] = json!("1:answer");
        for (kind, helpful) in [
            ("like", Some(true)),
            ("heart", Some(true)),
            ("sad", Some(false)),
            ("angry", Some(false)),
            ("laugh", None),
            ("surprised", None),
        ] {
            v["reactionsAdded"] = json!([{ "type": kind }]);
            match (activity(&parse(&v)), helpful) {
                (
                    Some(Routed::Reaction {
                        reply_to,
                        helpful: h,
                    }),
                    Some(want),
                ) => {
                    assert_eq!(reply_to, "1:answer");
                    assert_eq!(h, want, "{kind}");
                }
                (None, None) => {}
                (other, _) => panic!("{kind}: {other:?}"),
            }
        }
        v["reactionsAdded"] = json!([]);
        v["reactionsRemoved"] = json!([{ "type": "like" }]);
        assert!(
            activity(&parse(&v)).is_none(),
            "removing a reaction says nothing"
        );
    }

    #[test]
    fn locales_hint_french_or_english_only() {
        assert_eq!(locale_language("fr-CA"), Some(Language::Fr));
        assert_eq!(locale_language("en-US"), Some(Language::En));
        assert_eq!(locale_language("de-DE"), None);
    }
}
