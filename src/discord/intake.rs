//! The DM-only intake rule: personal details are never asked for or echoed in a public
//! channel. When a public conversation would start (or continue) a request, the client
//! drops that public intake, posts a neutral notice, and starts the intake in the person's
//! direct messages.

use crate::assistant::{Action, Incoming, Reply};
use crate::language::Language;
use crate::messages::Msg;
use crate::requests::model::Channel;

use super::convert::Place;
use super::render::{plain_message, render_reply, RenderedMessage};

/// What to send after the engine answered a message from `place`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Answer where the message came from.
    Reply(RenderedMessage),
    /// A request is under way in public: cancel the public conversation silently
    /// ([`cancel_public`]), post `notice` in the channel, and start the intake in a DM
    /// ([`start_in_dm`]). The engine's public reply is never shown.
    MoveToDm {
        notice: RenderedMessage,
        lang: Language,
    },
}

/// Whether a press or command must go to the DM without asking the engine in public
/// ("Make a request" or `/request` in a server channel).
pub fn goes_straight_to_dm(place: Place, incoming: &Incoming) -> bool {
    place.is_public() && incoming.action == Some(Action::MakeRequest)
}

/// Decides how `reply` (to a message from `place`) is delivered.
pub fn plan(place: Place, reply: &Reply) -> Plan {
    let in_intake = reply.awaiting.is_some()
        || reply.request.is_some()
        || reply.actions.iter().any(|a| {
            matches!(
                a,
                Action::Confirm | Action::ConsentYes | Action::ConsentNo | Action::Cancel
            )
        });
    if place.is_public() && in_intake {
        Plan::MoveToDm {
            notice: dm_notice(reply.lang),
            lang: reply.lang,
        }
    } else {
        Plan::Reply(render_reply(reply))
    }
}

/// The neutral public notice: the request continues in a DM.
pub fn dm_notice(lang: Language) -> RenderedMessage {
    plain_message(Msg::DiscordContinueInDm.text(lang))
}

/// The public notice when the person's DMs are closed, with no details.
pub fn dm_closed_notice(lang: Language) -> RenderedMessage {
    plain_message(Msg::DiscordDmClosed.text(lang))
}

/// Cancels whatever intake the public conversation of `incoming` holds (its reply is
/// discarded), so nothing typed later in public can fill a field.
pub fn cancel_public(incoming: &Incoming) -> Incoming {
    let mut cancel = Incoming::text(Channel::Discord, incoming.conversation.clone(), "");
    cancel.sender = incoming.sender.clone();
    cancel.action = Some(Action::Cancel);
    cancel.lang_hint = incoming.lang_hint;
    cancel
}

/// The first message of the intake in the person's DM channel `dm_channel`.
pub fn start_in_dm(dm_channel: u64, from: &Incoming, lang: Language) -> Incoming {
    let mut start = Incoming::text(
        Channel::Discord,
        Place::Dm {
            channel: dm_channel,
        }
        .conversation(0),
        "",
    );
    start.sender = from.sender.clone();
    start.action = Some(Action::MakeRequest);
    start.lang_hint = Some(lang);
    start
}
