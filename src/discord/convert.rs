//! Discord events (as plain structs the client fills from serenity's) → the engine's
//! [`Incoming`]: who may be answered where, mention stripping, conversation ids.

use crate::assistant::{Action, Incoming, Sender};
use crate::language::Language;
use crate::requests::model::Channel;

use super::render::ButtonId;

/// Where a message was posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A direct message channel.
    Dm { channel: u64 },
    /// A channel of a server (guild).
    Guild { guild: u64, channel: u64 },
}

impl Place {
    pub fn from_ids(guild: Option<u64>, channel: u64) -> Place {
        match guild {
            Some(guild) => Place::Guild { guild, channel },
            None => Place::Dm { channel },
        }
    }

    pub fn is_public(self) -> bool {
        matches!(self, Place::Guild { .. })
    }

    /// The engine's conversation id: the DM channel, or `guild:channel:user` so that two
    /// people in one public channel are two conversations.
    pub fn conversation(self, user: u64) -> String {
        match self {
            Place::Dm { channel } => channel.to_string(),
            Place::Guild { guild, channel } => format!("{guild}:{channel}:{user}"),
        }
    }
}

/// The person behind a message or interaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub id: u64,
    /// The account name (`marie.t`), kept as the request's handle.
    pub username: String,
    pub bot: bool,
}

/// A Discord message, as much of it as guichet reads.
#[derive(Debug, Clone)]
pub struct MessageIn {
    pub author: Author,
    pub guild: Option<u64>,
    pub channel: u64,
    pub content: String,
    /// Ids of the users the message mentions.
    pub mentions: Vec<u64>,
}

/// A slash command or a button press.
#[derive(Debug, Clone)]
pub struct InteractionIn {
    pub user: Author,
    pub guild: Option<u64>,
    pub channel: u64,
    /// The person's Discord locale (`fr`, `en-US`…).
    pub locale: String,
    pub kind: InteractionKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InteractionKind {
    /// `/ask question:` (`/question` in French).
    Ask { question: String },
    /// `/request` (`/demande`).
    Request,
    /// A button, by its `custom_id`.
    Button { custom_id: String },
}

/// Where guichet answers: from the configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Access {
    /// Servers guichet answers in; empty: every server it is in.
    pub guilds: Vec<u64>,
    /// Channels guichet answers mentions in; empty: every channel of the allowed servers.
    pub channels: Vec<u64>,
}

impl Access {
    /// Direct messages are always allowed; public channels as configured.
    pub fn allows(&self, place: Place) -> bool {
        match place {
            Place::Dm { .. } => true,
            Place::Guild { guild, channel } => {
                (self.guilds.is_empty() || self.guilds.contains(&guild))
                    && (self.channels.is_empty() || self.channels.contains(&channel))
            }
        }
    }
}

/// What the client should do with an event.
#[derive(Debug, Clone)]
pub enum Routed {
    /// Hand this to the engine; answer at `place`.
    Engine { place: Place, incoming: Incoming },
    /// A feedback button press: record it, thank the person privately.
    Feedback {
        helpful: bool,
        token: String,
        user: u64,
    },
}

/// The slash command names, in English and French.
pub const ASK: &str = "ask";
pub const ASK_FR: &str = "question";
pub const REQUEST: &str = "request";
pub const REQUEST_FR: &str = "demande";
/// The option of `/ask`, the same word in both languages.
pub const QUESTION_OPTION: &str = "question";

/// A message → the engine's input, or `None` when guichet stays silent: bots (itself
/// included), channels it is not allowed in, public messages that do not mention it, and
/// messages with nothing left once the mention is removed.
pub fn message(msg: &MessageIn, bot_id: u64, access: &Access) -> Option<Routed> {
    if msg.author.bot || msg.author.id == bot_id {
        return None;
    }
    let place = Place::from_ids(msg.guild, msg.channel);
    if !access.allows(place) {
        return None;
    }
    let mentioned = msg.mentions.contains(&bot_id) || mention_in(&msg.content, bot_id);
    if place.is_public() && !mentioned {
        return None;
    }
    let text = strip_mentions(&msg.content, bot_id);
    if text.is_empty() {
        return None;
    }
    let mut incoming = Incoming::text(Channel::Discord, place.conversation(msg.author.id), text);
    incoming.sender = sender(&msg.author);
    Some(Routed::Engine { place, incoming })
}

/// An interaction → the engine's input (or a feedback press), `None` when not allowed
/// or not guichet's.
pub fn interaction(int: &InteractionIn, access: &Access) -> Option<Routed> {
    if int.user.bot {
        return None;
    }
    let place = Place::from_ids(int.guild, int.channel);
    if !access.allows(place) {
        return None;
    }
    let mut incoming = Incoming::text(Channel::Discord, place.conversation(int.user.id), "");
    incoming.sender = sender(&int.user);
    incoming.lang_hint = locale_language(&int.locale);
    match &int.kind {
        InteractionKind::Ask { question } => {
            let question = question.trim();
            if question.is_empty() {
                return None;
            }
            incoming.text = question.to_string();
        }
        InteractionKind::Request => incoming.action = Some(Action::MakeRequest),
        InteractionKind::Button { custom_id } => match ButtonId::parse(custom_id)? {
            ButtonId::Action(action) => incoming.action = Some(action),
            ButtonId::Feedback { helpful, token } => {
                return Some(Routed::Feedback {
                    helpful,
                    token,
                    user: int.user.id,
                })
            }
        },
    }
    Some(Routed::Engine { place, incoming })
}

/// Which command a registered name is (either language).
pub fn command_kind(name: &str, question: Option<&str>) -> Option<InteractionKind> {
    match name {
        ASK | ASK_FR => Some(InteractionKind::Ask {
            question: question.unwrap_or_default().to_string(),
        }),
        REQUEST | REQUEST_FR => Some(InteractionKind::Request),
        _ => None,
    }
}

/// A Discord locale (`fr`, `en-US`, `en-GB`…) as a language hint.
pub fn locale_language(locale: &str) -> Option<Language> {
    let primary = locale.split(['-', '_']).next()?.to_ascii_lowercase();
    match primary.as_str() {
        "fr" => Some(Language::Fr),
        "en" => Some(Language::En),
        _ => None,
    }
}

/// Removes the bot's own mentions (`<@id>` and the nickname form `<@!id>`) and trims.
pub fn strip_mentions(content: &str, bot_id: u64) -> String {
    let plain = format!("<@{bot_id}>");
    let nick = format!("<@!{bot_id}>");
    let text = content.replace(&nick, " ").replace(&plain, " ");
    text.split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .trim()
        .to_string()
}

fn mention_in(content: &str, bot_id: u64) -> bool {
    content.contains(&format!("<@{bot_id}>")) || content.contains(&format!("<@!{bot_id}>"))
}

fn sender(author: &Author) -> Sender {
    Sender {
        // Discord names are pseudonyms: the intake still asks for the person's name.
        name: None,
        email: None,
        handle: Some(format!("{} ({})", author.username, author.id)),
    }
}
