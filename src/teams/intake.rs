//! The personal-chat-only intake rule: personal details are never asked for or echoed in a
//! channel or group chat. When a public conversation would start (or continue) a request,
//! the channel drops that public intake, says so neutrally, and starts the intake in the
//! person's one-to-one chat with guichet (opened proactively), or asks them to open one.

use serde_json::Value;

use crate::assistant::{Action, Incoming, Reply};
use crate::language::Language;
use crate::messages::Msg;
use crate::requests::model::Channel;

use super::card;
use super::convert::Scope;

/// What to send after the engine answered a message from `scope`.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Answer in the conversation the message came from.
    Reply(Value),
    /// A request is under way in public: cancel the public conversation silently
    /// ([`cancel_public`]), start the intake in the personal chat ([`start_in_personal`])
    /// and say so in public ([`moved_notice`]). The engine's public reply is never shown.
    MoveToPersonal { lang: Language },
}

/// Whether a press or command must go to the personal chat without asking the engine in
/// public ("Make a request" or `request` in a channel).
pub fn goes_straight_to_personal(scope: Scope, incoming: &Incoming) -> bool {
    scope.is_public() && incoming.action == Some(Action::MakeRequest)
}

/// Decides how `reply` (to a message from `scope`) is delivered.
pub fn plan(scope: Scope, reply: &Reply) -> Plan {
    let in_intake = reply.awaiting.is_some()
        || reply.request.is_some()
        || reply.actions.iter().any(|a| {
            matches!(
                a,
                Action::Confirm | Action::ConsentYes | Action::ConsentNo | Action::Cancel
            )
        });
    if scope.is_public() && in_intake {
        Plan::MoveToPersonal { lang: reply.lang }
    } else {
        Plan::Reply(card::render_reply(reply))
    }
}

/// The neutral public notice: the request continues in the personal chat.
pub fn moved_notice(lang: Language) -> Value {
    card::notice(Msg::TeamsContinueInPersonal.text(lang))
}

/// The public notice when no personal chat could be opened: how to open one.
pub fn open_personal_notice(lang: Language) -> Value {
    card::notice(Msg::TeamsOpenPersonalChat.text(lang))
}

/// Cancels whatever intake the public conversation of `incoming` holds (its reply is
/// discarded), so nothing typed later in public can fill a field.
pub fn cancel_public(incoming: &Incoming) -> Incoming {
    let mut cancel = Incoming::text(Channel::Teams, incoming.conversation.clone(), "");
    cancel.sender = incoming.sender.clone();
    cancel.action = Some(Action::Cancel);
    cancel.lang_hint = incoming.lang_hint;
    cancel
}

/// The first message of the intake in the personal chat `conversation` (its Teams id, the
/// engine's conversation for that chat), carrying the person's name from Teams.
pub fn start_in_personal(conversation: &str, from: &Incoming, lang: Language) -> Incoming {
    let mut start = Incoming::text(Channel::Teams, conversation, "");
    start.sender = from.sender.clone();
    start.action = Some(Action::MakeRequest);
    start.lang_hint = Some(lang);
    start
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assistant::{Field, Sender};

    fn reply(awaiting: Option<Field>, actions: Vec<Action>) -> Reply {
        Reply {
            text: "What is your name?".into(),
            lang: Language::Fr,
            hits: vec![],
            suggestions: vec![],
            answered: None,
            awaiting,
            request: None,
            actions,
            feedback: None,
        }
    }

    #[test]
    fn an_intake_step_in_public_moves_to_the_personal_chat_and_in_private_is_answered() {
        let asking = reply(Some(Field::Name), vec![]);
        assert_eq!(
            plan(Scope::Channel, &asking),
            Plan::MoveToPersonal { lang: Language::Fr }
        );
        assert_eq!(
            plan(Scope::GroupChat, &reply(None, vec![Action::ConsentYes])),
            Plan::MoveToPersonal { lang: Language::Fr }
        );
        assert!(matches!(plan(Scope::Personal, &asking), Plan::Reply(_)));
        let answer = reply(None, vec![Action::MakeRequest]);
        assert!(
            matches!(plan(Scope::Channel, &answer), Plan::Reply(_)),
            "an answer with the offer stays in public"
        );
    }

    #[test]
    fn make_request_in_public_goes_straight_to_the_personal_chat_with_the_name() {
        let mut incoming = Incoming::text(Channel::Teams, "19:x@thread.tacv2|u", "");
        incoming.action = Some(Action::MakeRequest);
        incoming.sender = Sender {
            name: Some("Megan Bowen".into()),
            email: None,
            handle: Some("Megan Bowen (Teams u)".into()),
        };
        assert!(goes_straight_to_personal(Scope::Channel, &incoming));
        assert!(!goes_straight_to_personal(Scope::Personal, &incoming));
        let start = start_in_personal("a:1", &incoming, Language::En);
        assert_eq!(start.conversation, "a:1");
        assert_eq!(start.action, Some(Action::MakeRequest));
        assert_eq!(start.sender.name.as_deref(), Some("Megan Bowen"));
        let cancel = cancel_public(&incoming);
        assert_eq!(cancel.conversation, incoming.conversation);
        assert_eq!(cancel.action, Some(Action::Cancel));
        assert_eq!(moved_notice(Language::En)["textFormat"], "plain");
    }
}
