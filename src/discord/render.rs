//! A [`Reply`] as a Discord message: content, one embed per excerpt, buttons — as plain
//! structs within Discord's limits, converted to serenity builders by the client.
//!
//! Text is trimmed between words, never inside a word or a `**bold**` span; everything
//! that comes from people or pages is escaped, so only guichet's own `**` are markdown.

use crate::assistant::{Action, Reply, RequestLogged};
use crate::config::BaseUrl;
use crate::language::Language;
use crate::messages::Msg;
use crate::search::Hit;

use super::safety::escape_user_text;

/// Discord's limits, in characters.
pub const MAX_CONTENT: usize = 2_000;
pub const MAX_TITLE: usize = 256;
pub const MAX_DESCRIPTION: usize = 4_096;
pub const MAX_FOOTER: usize = 2_048;
pub const MAX_EMBEDS_TOTAL: usize = 6_000;
pub const MAX_EMBEDS: usize = 10;
pub const MAX_BUTTONS_PER_ROW: usize = 5;
pub const MAX_ROWS: usize = 5;
pub const MAX_CUSTOM_ID: usize = 100;
pub const MAX_BUTTON_LABEL: usize = 80;
/// Longest URL an embed accepts.
const MAX_URL: usize = 2_048;
/// Marks trimmed text.
const ELLIPSIS: &str = "…";

/// A message ready to send, independent of serenity.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RenderedMessage {
    pub content: String,
    pub embeds: Vec<RenderedEmbed>,
    /// Rows of buttons (at most [`MAX_ROWS`] of [`MAX_BUTTONS_PER_ROW`]).
    pub rows: Vec<Vec<RenderedButton>>,
}

/// One excerpt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmbed {
    pub title: String,
    /// The source page; the title links to it.
    pub url: Option<String>,
    pub description: String,
    /// The page's language.
    pub footer: String,
}

impl RenderedEmbed {
    /// What Discord counts towards the 6,000 characters of a message's embeds.
    pub fn counted_chars(&self) -> usize {
        chars(&self.title) + chars(&self.description) + chars(&self.footer)
    }
}

/// How a button looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ButtonStyle {
    Primary,
    Secondary,
    Success,
    Danger,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedButton {
    pub custom_id: String,
    pub label: String,
    pub style: ButtonStyle,
}

/// What a button press means; its `custom_id` round-trips through [`ButtonId::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ButtonId {
    /// One of the engine's actions.
    Action(Action),
    /// "Helpful? yes/no" on the answer with this feedback token (see
    /// [`Reply::feedback`]).
    Feedback { helpful: bool, token: String },
}

impl ButtonId {
    const PREFIX: &'static str = "guichet:";

    /// The `custom_id` (at most [`MAX_CUSTOM_ID`] characters: long document ids are cut).
    pub fn to_custom_id(&self) -> String {
        match self {
            ButtonId::Action(a) => format!("{}a:{}", Self::PREFIX, a.id()),
            ButtonId::Feedback { helpful, token } => {
                let head = format!("{}f:{}:", Self::PREFIX, if *helpful { "y" } else { "n" });
                let room = MAX_CUSTOM_ID - head.len();
                // Tokens are 65 ASCII characters, well within the room; cutting by bytes
                // as well keeps the bound exact whatever is passed.
                let token: String = token.chars().take(room).collect();
                let mut id = head + &token;
                while id.len() > MAX_CUSTOM_ID {
                    id.pop();
                }
                id
            }
        }
    }

    /// Reads a `custom_id`; `None` for ids guichet did not make.
    pub fn parse(custom_id: &str) -> Option<ButtonId> {
        let rest = custom_id.strip_prefix(Self::PREFIX)?;
        if let Some(id) = rest.strip_prefix("a:") {
            return Action::parse(id).map(ButtonId::Action);
        }
        let rest = rest.strip_prefix("f:")?;
        let (flag, token) = rest.split_once(':')?;
        let helpful = match flag {
            "y" => true,
            "n" => false,
            _ => return None,
        };
        Some(ButtonId::Feedback {
            helpful,
            token: token.to_string(),
        })
    }
}

/// Renders `reply`: its text as content, each hit as an embed, the engine's actions and,
/// under an answer, the feedback buttons.
pub fn render_reply(reply: &Reply) -> RenderedMessage {
    let lang = reply.lang;
    let content = trim_words(&escape_user_text(&reply.text), MAX_CONTENT);
    // Answers and "did you mean" pages are both shown as excerpts with their source.
    let shown: Vec<Hit> = reply
        .hits
        .iter()
        .chain(&reply.suggestions)
        .cloned()
        .collect();
    let embeds = render_hits(&shown, lang);
    let mut buttons: Vec<RenderedButton> = reply
        .actions
        .iter()
        .map(|&a| RenderedButton {
            custom_id: ButtonId::Action(a).to_custom_id(),
            label: trim_words(a.label(lang), MAX_BUTTON_LABEL),
            style: match a {
                Action::Confirm | Action::ConsentYes => ButtonStyle::Success,
                Action::Cancel | Action::ConsentNo => ButtonStyle::Danger,
                Action::MakeRequest => ButtonStyle::Primary,
                Action::No => ButtonStyle::Secondary,
            },
        })
        .collect();
    if reply.answered == Some(true) && !reply.hits.is_empty() {
        if let Some(token) = &reply.feedback {
            for (helpful, msg) in [
                (true, Msg::DiscordHelpfulYes),
                (false, Msg::DiscordHelpfulNo),
            ] {
                buttons.push(RenderedButton {
                    custom_id: ButtonId::Feedback {
                        helpful,
                        token: token.clone(),
                    }
                    .to_custom_id(),
                    label: msg.text(lang).to_string(),
                    style: ButtonStyle::Secondary,
                });
            }
        }
    }
    buttons.truncate(MAX_BUTTONS_PER_ROW * MAX_ROWS);
    let rows = buttons
        .chunks(MAX_BUTTONS_PER_ROW)
        .map(<[RenderedButton]>::to_vec)
        .collect();
    RenderedMessage {
        content,
        embeds,
        rows,
    }
}

/// A message with text only (notices), escaped and within the limit.
pub fn plain_message(text: &str) -> RenderedMessage {
    RenderedMessage {
        content: trim_words(&escape_user_text(text), MAX_CONTENT),
        ..RenderedMessage::default()
    }
}

/// The staff channel's notice of a logged request: reference, type, name and a link to
/// the staff page — no other personal data.
pub fn staff_notification(
    event: &RequestLogged,
    staff_page_url: Option<&BaseUrl>,
    lang: Language,
) -> String {
    let reference = event.reference.to_string();
    let link = match staff_page_url {
        Some(base) => base.join(&format!("staff/requests/{reference}")),
        None => format!("guichet requests show {reference}"),
    };
    let text = Msg::DiscordStaffNotification.fill(
        lang,
        &[
            ("reference", &reference),
            ("type", event.request_type.label(lang)),
            ("name", &escape_user_text(&event.requester_name)),
            ("link", &link),
        ],
    );
    trim_words(&text, MAX_CONTENT)
}

fn render_hits(hits: &[Hit], lang: Language) -> Vec<RenderedEmbed> {
    let hits = &hits[..hits.len().min(MAX_EMBEDS)];
    let mut embeds: Vec<RenderedEmbed> = hits
        .iter()
        .map(|hit| {
            let mut title = escape_user_text(&hit.title);
            if let Some(section) = &hit.section {
                title.push_str(" — ");
                title.push_str(&escape_user_text(section));
            }
            let language = match hit.lang {
                Language::Fr => Msg::DiscordLanguageFr,
                Language::En => Msg::DiscordLanguageEn,
            };
            RenderedEmbed {
                title: trim_words(&title, MAX_TITLE),
                url: hit.url.clone().filter(|u| usable_url(u)),
                description: String::new(),
                footer: trim_words(
                    &Msg::DiscordPageLanguage.fill(lang, &[("lang", language.text(lang))]),
                    MAX_FOOTER,
                ),
            }
        })
        .collect();
    if embeds.is_empty() {
        return embeds;
    }
    // Share what the titles and footers leave of the 6,000 characters between the excerpts.
    let fixed: usize = embeds.iter().map(RenderedEmbed::counted_chars).sum();
    let budget = (MAX_EMBEDS_TOTAL.saturating_sub(fixed) / embeds.len()).min(MAX_DESCRIPTION);
    for (embed, hit) in embeds.iter_mut().zip(hits) {
        embed.description = excerpt_markdown(hit, budget);
    }
    embeds
}

fn usable_url(url: &str) -> bool {
    crate::text::is_http_url(url) && url.len() <= MAX_URL
}

/// The excerpt with matched words in bold, within `max` characters, cut between words.
fn excerpt_markdown(hit: &Hit, max: usize) -> String {
    // Words as runs of (char, highlighted); each word is rendered on its own so a bold
    // span never crosses a word boundary and trimming can never leave one open.
    let mut words: Vec<(String, Option<char>)> = Vec::new();
    let mut current: Vec<(char, bool)> = Vec::new();
    for segment in &hit.excerpt.0 {
        for c in segment.text.chars() {
            if !c.is_whitespace() {
                current.push((c, segment.highlighted));
                continue;
            }
            let sep = if c == '\n' { '\n' } else { ' ' };
            if !current.is_empty() {
                words.push((word_markdown(&current), Some(sep)));
                current.clear();
            } else if let (Some(last), '\n') = (words.last_mut(), sep) {
                last.1 = Some('\n');
            }
        }
    }
    if !current.is_empty() {
        words.push((word_markdown(&current), None));
    }
    join_within(&words, max)
}

/// One word in markdown: escaped, highlighted runs wrapped in `**`.
fn word_markdown(chars: &[(char, bool)]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let bold = chars[i].1;
        let start = i;
        while i < chars.len() && chars[i].1 == bold {
            i += 1;
        }
        let run: String = chars[start..i].iter().map(|(c, _)| c).collect();
        let run = escape_user_text(&run);
        if bold {
            out.push_str("**");
            out.push_str(&run);
            out.push_str("**");
        } else {
            out.push_str(&run);
        }
    }
    out
}

/// Joins whole words (each followed by its separator) while they fit in `max` characters,
/// ending with "…" when some were left out.
fn join_within(words: &[(String, Option<char>)], max: usize) -> String {
    let total: usize = words
        .iter()
        .map(|(w, sep)| chars(w) + usize::from(sep.is_some()))
        .sum();
    let mut out = String::new();
    if total <= max {
        for (w, sep) in words {
            out.push_str(w);
            if let Some(s) = sep {
                out.push(*s);
            }
        }
        return out.trim_end().to_string();
    }
    let room = max.saturating_sub(chars(ELLIPSIS) + 1);
    let mut used = 0;
    for (w, sep) in words {
        let n = chars(w);
        if used + n > room {
            break;
        }
        out.push_str(w);
        used += n;
        if let Some(s) = sep {
            if used < room {
                out.push(*s);
                used += 1;
            }
        }
    }
    let mut out = out.trim_end().to_string();
    if max >= chars(ELLIPSIS) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(ELLIPSIS);
    }
    out
}

/// Trims already-escaped `text` to `max` characters between words.
pub fn trim_words(text: &str, max: usize) -> String {
    if chars(text) <= max {
        return text.to_string();
    }
    let mut words: Vec<(String, Option<char>)> = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        if c.is_whitespace() {
            if !current.is_empty() {
                words.push((
                    std::mem::take(&mut current),
                    Some(if c == '\n' { '\n' } else { ' ' }),
                ));
            } else if let (Some(last), '\n') = (words.last_mut(), c) {
                last.1 = Some('\n');
            }
        } else {
            current.push(c);
        }
    }
    if !current.is_empty() {
        words.push((current, None));
    }
    join_within(&words, max)
}

fn chars(s: &str) -> usize {
    s.chars().count()
}
