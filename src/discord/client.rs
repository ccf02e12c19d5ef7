//! The thin serenity layer: connects to the gateway, registers the slash commands, turns
//! events into [`convert`] structs, calls the engine off the async threads, and sends what
//! [`render`] and [`intake`] decided. No decision is made here.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use serenity::all::{
    ButtonStyle as SerenityButtonStyle, ChannelId, Command, CommandInteraction, CommandOptionType,
    ComponentInteraction, Context, CreateActionRow, CreateAllowedMentions, CreateButton,
    CreateCommand, CreateCommandOption, CreateEmbed, CreateEmbedFooter,
    CreateInteractionResponseFollowup, CreateMessage, EventHandler, GatewayIntents, GuildId, Http,
    Interaction, Message, Ready, UserId,
};
use tokio::sync::broadcast;

use super::convert::{self, Access, Author, InteractionIn, MessageIn, Routed};
use super::intake::{self, Plan};
use super::render::{self, ButtonStyle, RenderedMessage};
use super::safety::RateLimiter;
use crate::assistant::{Assistant, Incoming, RequestLogged};
use crate::config::{BaseUrl, DiscordConfig, MissingSecret};
use crate::language::Language;
use crate::messages::Msg;

/// Why the Discord channel could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the Discord bot token is missing: {0}")]
    MissingToken(MissingSecret),
    #[error("the Discord bot token in {0} is malformed")]
    MalformedToken(String),
    #[error("Discord refused the connection (check the token in {env} and that the MESSAGE CONTENT intent is on): {source}")]
    Rejected {
        env: String,
        source: serenity::Error,
    },
}

/// Runs the Discord channel until `stop` fires. Reads the token from the environment;
/// a missing or rejected token is an error for this channel only.
pub async fn run(
    assistant: Assistant,
    config: DiscordConfig,
    mut stop: crate::shutdown::Shutdown,
) -> Result<(), StartError> {
    let token = config.token().map_err(StartError::MissingToken)?;
    let token = token.expose().trim();
    serenity::utils::validate_token(token)
        .map_err(|_| StartError::MalformedToken(config.token_env.clone()))?;
    let intents = GatewayIntents::GUILD_MESSAGES
        | GatewayIntents::DIRECT_MESSAGES
        | GatewayIntents::MESSAGE_CONTENT;
    let default_language = assistant.settings().default_language;
    let handler = Handler {
        assistant: assistant.clone(),
        access: Access {
            guilds: config.guilds.clone(),
            channels: config.allowed_channels.clone(),
        },
        bot_id: OnceLock::new(),
        limiter: RateLimiter::new(config.rate_limit_per_minute),
        default_language,
    };
    let mut client = serenity::Client::builder(token, intents)
        .event_handler(handler)
        .await
        .map_err(|source| StartError::Rejected {
            env: config.token_env.clone(),
            source,
        })?;
    let shards = client.shard_manager.clone();
    let staff = (config.staff_channel != 0).then(|| {
        tokio::spawn(notify_staff(
            client.http.clone(),
            assistant.subscribe(),
            ChannelId::new(config.staff_channel),
            config.staff_page_url.clone(),
            default_language,
            stop.clone(),
        ))
    });
    let result = tokio::select! {
        r = client.start() => r.map_err(|source| StartError::Rejected { env: config.token_env.clone(), source }),
        _ = stop.wait() => {
            shards.shutdown_all().await;
            Ok(())
        }
    };
    if let Some(staff) = staff {
        staff.abort();
        let _ = staff.await;
    }
    result
}

/// Posts each logged request (from any channel) to the staff channel.
async fn notify_staff(
    http: Arc<Http>,
    mut events: broadcast::Receiver<RequestLogged>,
    channel: ChannelId,
    staff_page_url: Option<BaseUrl>,
    lang: Language,
    mut stop: crate::shutdown::Shutdown,
) {
    loop {
        let event = tokio::select! {
            e = events.recv() => e,
            _ = stop.wait() => return,
        };
        match event {
            Ok(event) => {
                let text = render::staff_notification(&event, staff_page_url.as_ref(), lang);
                let message = CreateMessage::new()
                    .content(text)
                    .allowed_mentions(CreateAllowedMentions::new());
                if let Err(e) = channel.send_message(&*http, message).await {
                    tracing::error!(error = %e, reference = %event.reference, "cannot notify the Discord staff channel");
                }
            }
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(missed = n, "the Discord staff notifier fell behind");
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

struct Handler {
    assistant: Assistant,
    access: Access,
    /// Learned from the `ready` event, before any message is handled.
    bot_id: OnceLock<u64>,
    /// Shared by the event tasks; a check locks it only briefly, never across an await.
    limiter: RateLimiter,
    default_language: Language,
}

/// Where the answer to an event goes.
enum Out<'a> {
    Channel(ChannelId),
    Command(&'a CommandInteraction),
    Component(&'a ComponentInteraction),
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        let _ = self.bot_id.set(ready.user.id.get());
        tracing::info!(bot = %ready.user.name, "connected to Discord");
        let commands = commands();
        if self.access.guilds.is_empty() {
            if let Err(e) = Command::set_global_commands(&ctx.http, commands).await {
                tracing::error!(error = %e, "cannot register the Discord slash commands");
            }
        } else {
            for &guild in &self.access.guilds {
                if let Err(e) = GuildId::new(guild)
                    .set_commands(&ctx.http, commands.clone())
                    .await
                {
                    tracing::error!(error = %e, guild, "cannot register the Discord slash commands");
                }
            }
        }
    }

    async fn message(&self, ctx: Context, msg: Message) {
        let Some(&bot_id) = self.bot_id.get() else {
            return;
        };
        let input = MessageIn {
            author: author(&msg.author),
            guild: msg.guild_id.map(GuildId::get),
            channel: msg.channel_id.get(),
            content: msg.content.clone(),
            mentions: msg.mentions.iter().map(|u| u.id.get()).collect(),
        };
        if let Some(routed) = convert::message(&input, bot_id, &self.access) {
            self.dispatch(
                &ctx,
                routed,
                msg.author.id.get(),
                Out::Channel(msg.channel_id),
            )
            .await;
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        match interaction {
            Interaction::Command(cmd) => {
                let question = cmd
                    .data
                    .options
                    .iter()
                    .find(|o| o.name == convert::QUESTION_OPTION)
                    .and_then(|o| o.value.as_str());
                let Some(kind) = convert::command_kind(&cmd.data.name, question) else {
                    return;
                };
                let input = InteractionIn {
                    user: author(&cmd.user),
                    guild: cmd.guild_id.map(GuildId::get),
                    channel: cmd.channel_id.get(),
                    locale: cmd.locale.clone(),
                    kind,
                };
                if let Some(routed) = convert::interaction(&input, &self.access) {
                    // Acknowledge now: the engine may take longer than Discord's 3 s.
                    if let Err(e) = cmd.defer(&ctx.http).await {
                        tracing::warn!(error = %e, "cannot acknowledge a Discord command");
                    }
                    self.dispatch(&ctx, routed, cmd.user.id.get(), Out::Command(&cmd))
                        .await;
                }
            }
            Interaction::Component(press) => {
                let input = InteractionIn {
                    user: author(&press.user),
                    guild: press.guild_id.map(GuildId::get),
                    channel: press.channel_id.get(),
                    locale: press.locale.clone(),
                    kind: convert::InteractionKind::Button {
                        custom_id: press.data.custom_id.clone(),
                    },
                };
                if let Some(routed) = convert::interaction(&input, &self.access) {
                    if let Err(e) = press.defer(&ctx.http).await {
                        tracing::warn!(error = %e, "cannot acknowledge a Discord button");
                    }
                    self.dispatch(&ctx, routed, press.user.id.get(), Out::Component(&press))
                        .await;
                }
            }
            _ => {}
        }
    }
}

impl Handler {
    async fn dispatch(&self, ctx: &Context, routed: Routed, user: u64, out: Out<'_>) {
        let (place, incoming) = match routed {
            Routed::Feedback { helpful, token, .. } => {
                use crate::questions::{Vote, VoteOutcome};
                let vote = if helpful {
                    Vote::Helpful
                } else {
                    Vote::Unhelpful
                };
                let lang = self.default_language;
                let said = match self.assistant.feedback(token, vote).await {
                    Ok(VoteOutcome::Recorded) => Msg::DiscordFeedbackThanks,
                    Ok(VoteOutcome::AlreadyRecorded) => Msg::FeedbackAlready,
                    Ok(VoteOutcome::Unknown) => Msg::FeedbackUnknown,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not record Discord feedback");
                        Msg::InternalError
                    }
                };
                send(ctx, &out, render::plain_message(said.text(lang)), true).await;
                return;
            }
            Routed::Engine { place, incoming } => (place, incoming),
        };
        let lang = incoming
            .lang_hint
            .or_else(|| Language::detect(&incoming.text))
            .unwrap_or(self.default_language);
        if let Err(wait) = self.limiter.check(user, Instant::now()) {
            let seconds = wait.as_secs().max(1).to_string();
            let text = Msg::DiscordRateLimited.fill(lang, &[("seconds", &seconds)]);
            send(ctx, &out, render::plain_message(&text), true).await;
            return;
        }
        if intake::goes_straight_to_dm(place, &incoming) {
            self.move_to_dm(ctx, &incoming, user, lang, &out).await;
            return;
        }
        let Some(reply) = self.handle(incoming.clone()).await else {
            return;
        };
        match intake::plan(place, &reply) {
            Plan::Reply(message) => send(ctx, &out, message, false).await,
            Plan::MoveToDm { lang, .. } => {
                // Forget the public draft so nothing typed in public can fill a field.
                let _ = self.handle(intake::cancel_public(&incoming)).await;
                self.move_to_dm(ctx, &incoming, user, lang, &out).await;
            }
        }
    }

    async fn move_to_dm(
        &self,
        ctx: &Context,
        from: &Incoming,
        user: u64,
        lang: Language,
        out: &Out<'_>,
    ) {
        let dm = match UserId::new(user).create_dm_channel(ctx).await {
            Ok(dm) => dm,
            Err(e) => {
                tracing::info!(error = %e, "cannot open a Discord DM");
                send(ctx, out, intake::dm_closed_notice(lang), false).await;
                return;
            }
        };
        let Some(reply) = self
            .handle(intake::start_in_dm(dm.id.get(), from, lang))
            .await
        else {
            return;
        };
        let message = to_create_message(render::render_reply(&reply));
        match dm.id.send_message(&ctx.http, message).await {
            Ok(_) => send(ctx, out, intake::dm_notice(lang), false).await,
            Err(e) => {
                tracing::info!(error = %e, "the person's Discord DMs are closed");
                send(ctx, out, intake::dm_closed_notice(lang), false).await;
            }
        }
    }

    /// Asks the engine (off the async threads, with back-pressure).
    async fn handle(&self, incoming: Incoming) -> Option<crate::assistant::Reply> {
        match self.assistant.reply(incoming).await {
            Ok(reply) => Some(reply),
            Err(e) => {
                tracing::error!(error = ?e, "the engine failed on a Discord message");
                None
            }
        }
    }
}

/// The slash commands, in English with French localizations.
fn commands() -> Vec<CreateCommand> {
    let (fr, en) = (Language::Fr, Language::En);
    vec![
        CreateCommand::new(convert::ASK)
            .description(Msg::DiscordCommandAsk.text(en))
            .name_localized("fr", convert::ASK_FR)
            .description_localized("fr", Msg::DiscordCommandAsk.text(fr))
            .add_option(
                CreateCommandOption::new(
                    CommandOptionType::String,
                    convert::QUESTION_OPTION,
                    Msg::DiscordOptionQuestion.text(en),
                )
                .name_localized("fr", convert::QUESTION_OPTION)
                .description_localized("fr", Msg::DiscordOptionQuestion.text(fr))
                .max_length(crate::assistant::MAX_MESSAGE_CHARS.min(6000) as u16)
                .required(true),
            ),
        CreateCommand::new(convert::REQUEST)
            .description(Msg::DiscordCommandRequest.text(en))
            .name_localized("fr", convert::REQUEST_FR)
            .description_localized("fr", Msg::DiscordCommandRequest.text(fr)),
    ]
}

fn author(user: &serenity::all::User) -> Author {
    Author {
        id: user.id.get(),
        username: user.name.clone(),
        bot: user.bot,
    }
}

/// Sends `message` where `out` says; `private` makes interaction answers ephemeral.
async fn send(ctx: &Context, out: &Out<'_>, message: RenderedMessage, private: bool) {
    let result = match out {
        Out::Channel(channel) => channel
            .send_message(&ctx.http, to_create_message(message))
            .await
            .map(drop),
        Out::Command(cmd) => cmd
            .create_followup(&ctx.http, to_followup(message, private))
            .await
            .map(drop),
        Out::Component(press) => press
            .create_followup(&ctx.http, to_followup(message, private))
            .await
            .map(drop),
    };
    if let Err(e) = result {
        tracing::error!(error = %e, "cannot send a Discord message");
    }
}

fn embeds(message: &RenderedMessage) -> Vec<CreateEmbed> {
    message
        .embeds
        .iter()
        .map(|e| {
            let mut embed = CreateEmbed::new()
                .title(&e.title)
                .description(&e.description)
                .footer(CreateEmbedFooter::new(&e.footer));
            if let Some(url) = &e.url {
                embed = embed.url(url);
            }
            embed
        })
        .collect()
}

fn rows(message: &RenderedMessage) -> Vec<CreateActionRow> {
    message
        .rows
        .iter()
        .map(|row| {
            CreateActionRow::Buttons(
                row.iter()
                    .map(|b| {
                        CreateButton::new(&b.custom_id)
                            .label(&b.label)
                            .style(match b.style {
                                ButtonStyle::Primary => SerenityButtonStyle::Primary,
                                ButtonStyle::Secondary => SerenityButtonStyle::Secondary,
                                ButtonStyle::Success => SerenityButtonStyle::Success,
                                ButtonStyle::Danger => SerenityButtonStyle::Danger,
                            })
                    })
                    .collect(),
            )
        })
        .collect()
}

/// Every send pings nobody: `allowed_mentions` is empty.
fn to_create_message(message: RenderedMessage) -> CreateMessage {
    CreateMessage::new()
        .content(&message.content)
        .embeds(embeds(&message))
        .components(rows(&message))
        .allowed_mentions(CreateAllowedMentions::new())
}

fn to_followup(message: RenderedMessage, private: bool) -> CreateInteractionResponseFollowup {
    CreateInteractionResponseFollowup::new()
        .content(&message.content)
        .embeds(embeds(&message))
        .components(rows(&message))
        .allowed_mentions(CreateAllowedMentions::new())
        .ephemeral(private)
}
