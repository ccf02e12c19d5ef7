//! A [`Reply`] as an Adaptive Card (schema 1.5) within Teams' 28 KB per message: the
//! engine's sentences, each excerpt with its matched words in bold and its source as an
//! `Action.OpenUrl`, the engine's actions and "Helpful? yes/no" as `Action.Submit`; the
//! intake's summary comes with its Confirm/Cancel buttons the same way. Also the welcome,
//! the staff notice, and what a button sends back ([`Submit`]).
//!
//! Everything from people or pages is escaped ([`escape_markdown`]), so only guichet's own
//! `**` are Markdown and a name cannot make a link.

use serde_json::{json, Value};

use crate::assistant::{Action, Reply, RequestLogged};
use crate::config::BaseUrl;
use crate::language::Language;
use crate::messages::Msg;
use crate::search::Hit;

use super::activity;

/// The Adaptive Card schema version Teams renders everywhere (desktop, web, mobile).
pub const CARD_VERSION: &str = "1.5";
/// Teams refuses messages over 28 KB; the card keeps room for the envelope.
pub const MAX_CARD_BYTES: usize = 26 * 1024;
/// The longest excerpt shown, in characters, before the size limit is even considered.
const EXCERPT_CHARS: usize = 1_200;
/// The longest source URL used in a button.
const MAX_URL: usize = 2_048;
/// Marks trimmed text.
const ELLIPSIS: &str = "…";
/// Breaks `](` so that even a renderer ignoring backslashes sees no link.
const ZWSP: char = '\u{200B}';

/// What a card button sends back in the activity's `value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submit {
    /// One of the engine's actions.
    Action(Action),
    /// "Helpful? yes/no" under the answer with this feedback token (see
    /// [`Reply::feedback`](crate::assistant::Reply::feedback)).
    Feedback { helpful: bool, token: String },
}

impl Submit {
    /// The button's `data`.
    pub fn to_data(&self) -> Value {
        match self {
            Submit::Action(a) => json!({ "guichet": "action", "id": a.id() }),
            Submit::Feedback { helpful, token } => {
                json!({ "guichet": "feedback", "helpful": helpful, "token": token })
            }
        }
    }

    /// Reads a button's `data`; `None` for data guichet did not make.
    pub fn parse(data: &Value) -> Option<Submit> {
        match data.get("guichet")?.as_str()? {
            "action" => Action::parse(data.get("id")?.as_str()?).map(Submit::Action),
            "feedback" => Some(Submit::Feedback {
                helpful: data.get("helpful")?.as_bool()?,
                token: data
                    .get("token")?
                    .as_str()?
                    .chars()
                    .take(200)
                    .collect::<String>(),
            }),
            _ => None,
        }
    }

    /// From an activity's `value`: `Action.Submit` puts the data there directly,
    /// `Action.Execute` (an `adaptiveCard/action` invoke) under `action.data`.
    pub fn from_activity_value(value: &Value) -> Option<Submit> {
        Submit::parse(value).or_else(|| Submit::parse(value.get("action")?.get("data")?))
    }
}

/// Escapes what Teams' card Markdown gives a meaning to, so `text` shows as typed: emphasis,
/// links (also broken with a zero-width space, for renderers that ignore backslashes),
/// code, headings, quotes and list markers at the start of a line.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for line in text.split_inclusive('\n') {
        let mut at_start = true;
        let mut digits = false;
        let mut prev = '\0';
        for c in line.chars() {
            let start_marker = at_start && matches!(c, '-' | '+' | '#' | '>');
            let ordered = digits && c == '.';
            if matches!(
                c,
                '\\' | '*' | '_' | '`' | '[' | ']' | '(' | ')' | '<' | '>' | '!' | '~' | '|'
            ) || start_marker
                || ordered
            {
                if c == '(' && prev == ']' {
                    out.push(ZWSP);
                }
                out.push('\\');
            }
            out.push(c);
            if !c.is_whitespace() {
                digits = (at_start || digits) && c.is_ascii_digit();
                at_start = false;
            }
            prev = c;
        }
    }
    out
}

/// The outgoing message for `reply`: one card.
pub fn render_reply(reply: &Reply) -> Value {
    activity::message(None, vec![reply_card(reply)])
}

/// The card for `reply`, shrunk to fit [`MAX_CARD_BYTES`]: excerpts are shortened first,
/// then left out (their titles and links stay).
pub fn reply_card(reply: &Reply) -> Value {
    let mut budget = EXCERPT_CHARS;
    loop {
        let card = build_reply_card(reply, budget);
        if card_bytes(&card) <= MAX_CARD_BYTES || budget == 0 {
            return card;
        }
        budget = if budget > 100 { budget / 2 } else { 0 };
    }
}

/// The size Teams counts: the card's JSON.
pub fn card_bytes(card: &Value) -> usize {
    serde_json::to_vec(card).map_or(usize::MAX, |v| v.len())
}

fn build_reply_card(reply: &Reply, excerpt_budget: usize) -> Value {
    let lang = reply.lang;
    let mut body: Vec<Value> = reply
        .text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| text_block(&escape_markdown(&clip(l, 4_000))))
        .collect();
    let shown = reply.hits.iter().chain(&reply.suggestions).take(5);
    for hit in shown {
        body.push(hit_container(hit, lang, excerpt_budget));
    }
    let mut actions: Vec<Value> = reply
        .actions
        .iter()
        .map(|&a| submit(a.label(lang), &Submit::Action(a), style(a)))
        .collect();
    if reply.answered == Some(true) && !reply.hits.is_empty() {
        if let Some(token) = &reply.feedback {
            body.push(json!({
                "type": "TextBlock",
                "text": Msg::TeamsHelpful.text(lang),
                "wrap": true,
                "isSubtle": true,
                "spacing": "Medium",
            }));
            for (helpful, msg) in [(true, Msg::TeamsHelpfulYes), (false, Msg::TeamsHelpfulNo)] {
                actions.push(submit(
                    msg.text(lang),
                    &Submit::Feedback {
                        helpful,
                        token: token.clone(),
                    },
                    None,
                ));
            }
        }
    }
    if !actions.is_empty() {
        body.push(json!({ "type": "ActionSet", "actions": actions }));
    }
    card(body, lang)
}

fn hit_container(hit: &Hit, lang: Language, excerpt_budget: usize) -> Value {
    let mut title = hit.title.clone();
    if let Some(section) = &hit.section {
        title.push_str(" — ");
        title.push_str(section);
    }
    let mut items = vec![json!({
        "type": "TextBlock",
        "text": escape_markdown(&clip(&title, 300)),
        "weight": "Bolder",
        "wrap": true,
    })];
    if excerpt_budget > 0 {
        items.push(text_block(&excerpt_markdown(hit, excerpt_budget)));
    }
    if hit.lang != lang {
        items.push(json!({
            "type": "TextBlock",
            "text": Msg::TeamsPageInOtherLanguage.text(lang),
            "isSubtle": true,
            "size": "Small",
            "wrap": true,
        }));
    }
    if let Some(url) = hit.url.as_deref().filter(|u| usable_url(u)) {
        items.push(json!({
            "type": "ActionSet",
            "actions": [{ "type": "Action.OpenUrl", "title": Msg::Source.text(lang), "url": url }],
        }));
    }
    json!({ "type": "Container", "separator": true, "spacing": "Medium", "items": items })
}

fn usable_url(url: &str) -> bool {
    crate::text::is_http_url(url) && url.len() <= MAX_URL && !url.contains(['"', '<', '>'])
}

/// The excerpt with its matched words in bold, cut between words within `max` characters
/// of text (the `**` and escapes are not counted).
fn excerpt_markdown(hit: &Hit, max: usize) -> String {
    let mut words: Vec<(String, bool)> = Vec::new();
    let mut current: Vec<(char, bool)> = Vec::new();
    let flush = |current: &mut Vec<(char, bool)>, words: &mut Vec<(String, bool)>| {
        if current.is_empty() {
            return;
        }
        let plain: String = current.iter().map(|(c, _)| c).collect();
        let mut md = String::new();
        let mut i = 0;
        while i < current.len() {
            let bold = current[i].1;
            let start = i;
            while i < current.len() && current[i].1 == bold {
                i += 1;
            }
            let run: String = current[start..i].iter().map(|(c, _)| c).collect();
            let run = escape_markdown(&run);
            if bold {
                md.push_str("**");
                md.push_str(&run);
                md.push_str("**");
            } else {
                md.push_str(&run);
            }
        }
        words.push((md, plain.chars().count() > 0));
        current.clear();
    };
    for segment in &hit.excerpt.0 {
        for c in segment.text.chars() {
            if c.is_whitespace() {
                flush(&mut current, &mut words);
            } else {
                current.push((c, segment.highlighted));
            }
        }
    }
    flush(&mut current, &mut words);
    let mut out = String::new();
    let mut used = 0;
    let mut cut = false;
    for (word, _) in &words {
        let n = visible_chars(word);
        if used + n + 1 > max.saturating_sub(2) && !out.is_empty() {
            cut = true;
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
        used += n + 1;
    }
    if cut {
        out.push(' ');
        out.push_str(ELLIPSIS);
    }
    out
}

/// Characters a reader sees in escaped Markdown (no `**`, no escaping backslashes).
fn visible_chars(md: &str) -> usize {
    md.replace("**", "")
        .replace(['\\', ZWSP], "")
        .chars()
        .count()
}

/// `text` cut to `max` characters between words.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out = String::new();
    for word in text.split(' ') {
        if out.chars().count() + word.chars().count() + 2 > max {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out.push(' ');
    out.push_str(ELLIPSIS);
    out
}

fn text_block(markdown: &str) -> Value {
    json!({ "type": "TextBlock", "text": markdown, "wrap": true })
}

fn style(action: Action) -> Option<&'static str> {
    match action {
        Action::Confirm | Action::ConsentYes | Action::MakeRequest => Some("positive"),
        Action::Cancel | Action::ConsentNo => Some("destructive"),
        Action::No => None,
    }
}

fn submit(title: &str, data: &Submit, style: Option<&str>) -> Value {
    let mut action = json!({ "type": "Action.Submit", "title": title, "data": data.to_data() });
    if let Some(style) = style {
        action["style"] = json!(style);
    }
    action
}

fn card(body: Vec<Value>, lang: Language) -> Value {
    json!({
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "lang": lang.code(),
        "body": body,
        "msteams": { "width": "Full" },
    })
}

/// The welcome when guichet is added to a personal chat: French, then English.
pub fn welcome() -> Value {
    let body = vec![
        text_block(&escape_markdown(Msg::TeamsWelcome.text(Language::Fr))),
        json!({
            "type": "TextBlock",
            "text": escape_markdown(Msg::TeamsWelcome.text(Language::En)),
            "wrap": true,
            "separator": true,
        }),
    ];
    activity::message(None, vec![card(body, Language::Fr)])
}

/// A short notice as plain text (nothing in it is Markdown).
pub fn notice(text: &str) -> Value {
    activity::message(Some(text), vec![])
}

/// The staff channel's card for a logged request: reference, type, channel and name, and a
/// button to the staff page — no other personal data.
pub fn staff_notice(
    event: &RequestLogged,
    staff_page_url: Option<&BaseUrl>,
    lang: Language,
) -> Value {
    let reference = event.reference.to_string();
    let mut body = vec![
        json!({
            "type": "TextBlock",
            "text": escape_markdown(&Msg::TeamsStaffTitle.fill(lang, &[("reference", &reference)])),
            "weight": "Bolder",
            "size": "Medium",
            "wrap": true,
        }),
        json!({
            "type": "FactSet",
            "facts": [
                { "title": Msg::FieldType.text(lang), "value": escape_markdown(event.request_type.label(lang)) },
                { "title": Msg::TeamsStaffChannel.text(lang), "value": event.channel.code() },
                { "title": Msg::FieldName.text(lang), "value": escape_markdown(&clip(&event.requester_name, 200)) },
            ],
        }),
    ];
    match staff_page_url {
        None => body.push(text_block(&escape_markdown(
            &Msg::TeamsStaffHowToSee.fill(lang, &[("reference", &reference)]),
        ))),
        Some(base) => body.push(json!({
            "type": "ActionSet",
            "actions": [{
                "type": "Action.OpenUrl",
                "title": Msg::TeamsStaffOpen.text(lang),
                "url": base.join(&format!("staff/requests/{reference}")),
            }],
        })),
    }
    activity::message(None, vec![card(body, lang)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assistant::Field;
    use crate::knowledge::Kind;
    use crate::search::answer::{Excerpt, Segment};

    fn hit(doc: &str, lang: Language, excerpt: &[(&str, bool)]) -> Hit {
        Hit {
            doc_id: doc.into(),
            title: "Oncopole [official](https://evil.example)".into(),
            section: Some("Funding".into()),
            url: Some(format!("https://example.org/{doc}")),
            excerpt: Excerpt(
                excerpt
                    .iter()
                    .map(|(t, h)| Segment {
                        text: t.to_string(),
                        highlighted: *h,
                    })
                    .collect(),
            ),
            lang,
            kind: Kind::Page,
            score: 1.0,
            coverage: 1.0,
        }
    }

    fn answer(hits: Vec<Hit>) -> Reply {
        Reply {
            text: "Here is what I found:".into(),
            lang: Language::En,
            hits,
            suggestions: vec![],
            answered: Some(true),
            awaiting: None,
            request: None,
            actions: vec![Action::MakeRequest],
            feedback: Some("tok".into()),
        }
    }

    fn all_text(v: &Value) -> String {
        serde_json::to_string(v).unwrap()
    }

    #[test]
    fn an_answer_card_has_bold_matched_words_a_source_link_and_the_buttons() {
        let reply = answer(vec![hit(
            "oncopole",
            Language::En,
            &[("Oncopole ", true), ("funds cancer research", false)],
        )]);
        let card = reply_card(&reply);
        assert_eq!(card["type"], "AdaptiveCard");
        assert_eq!(card["version"], "1.5");
        let json = all_text(&card);
        assert!(
            json.contains("**Oncopole** funds cancer research"),
            "{json}"
        );
        assert!(
            json.contains(r#""type":"Action.OpenUrl""#)
                && json.contains("https://example.org/oncopole"),
            "{json}"
        );
        let actions = card["body"].as_array().unwrap().last().unwrap()["actions"]
            .as_array()
            .unwrap()
            .clone();
        let datas: Vec<Option<Submit>> =
            actions.iter().map(|a| Submit::parse(&a["data"])).collect();
        assert_eq!(
            datas,
            vec![
                Some(Submit::Action(Action::MakeRequest)),
                Some(Submit::Feedback {
                    helpful: true,
                    token: "tok".into()
                }),
                Some(Submit::Feedback {
                    helpful: false,
                    token: "tok".into()
                }),
            ]
        );
        assert!(actions.iter().all(|a| a["type"] == "Action.Submit"));
        // The page's title is text, not a link.
        assert_eq!(
            card["body"][1]["items"][0]["text"],
            "Oncopole \\[official\\]\u{200B}\\(https://evil.example\\) — Funding"
        );
    }

    #[test]
    fn the_summary_card_has_confirm_and_cancel_and_escapes_the_name() {
        let reply = Reply {
            text: "Please check:\nName: [Bob](https://evil.example) *boss*\n1. item".into(),
            lang: Language::En,
            hits: vec![],
            suggestions: vec![],
            answered: None,
            awaiting: Some(Field::Confirm),
            request: None,
            actions: vec![Action::Confirm, Action::Cancel],
            feedback: None,
        };
        let card = reply_card(&reply);
        let body = card["body"].as_array().unwrap();
        let name = body[1]["text"].as_str().unwrap();
        assert_eq!(
            name,
            "Name: \\[Bob\\]\u{200B}\\(https://evil.example\\) \\*boss\\*"
        );
        assert_eq!(body[2]["text"], "1\\. item", "not a list");
        let actions = body.last().unwrap()["actions"].as_array().unwrap();
        assert_eq!(actions.len(), 2);
        assert_eq!(
            Submit::parse(&actions[0]["data"]),
            Some(Submit::Action(Action::Confirm))
        );
        assert_eq!(actions[0]["style"], "positive");
        assert_eq!(
            Submit::parse(&actions[1]["data"]),
            Some(Submit::Action(Action::Cancel))
        );
        assert!(
            !all_text(&card).contains("Helpful"),
            "no feedback on a summary"
        );
    }

    #[test]
    fn escaping_leaves_plain_words_alone_and_neutralises_markup() {
        assert_eq!(escape_markdown("Marie Tremblay"), "Marie Tremblay");
        assert_eq!(escape_markdown("l'Unité, 2026."), "l'Unité, 2026.");
        assert_eq!(escape_markdown("# Title"), "\\# Title");
        assert_eq!(escape_markdown("- item\n+ more"), "\\- item\n\\+ more");
        assert_eq!(escape_markdown("a - b"), "a - b");
        assert_eq!(
            escape_markdown("**x** _y_ `z`"),
            "\\*\\*x\\*\\* \\_y\\_ \\`z\\`"
        );
        assert_eq!(escape_markdown("<https://x.y>"), "\\<https://x.y\\>");
        assert_eq!(escape_markdown("12. x"), "12\\. x");
    }

    #[test]
    fn a_huge_answer_is_shrunk_below_the_teams_limit_and_keeps_its_sources() {
        let long: String = "recherche ".repeat(3_000);
        let hits: Vec<Hit> = (0..5)
            .map(|i| {
                let mut h = hit(
                    &format!("doc{i}"),
                    Language::Fr,
                    &[(&long, false), ("[*]", true)],
                );
                h.title = "T".repeat(2_000);
                h
            })
            .collect();
        let mut reply = answer(hits);
        reply.text = "intro ".repeat(2_000);
        let card = reply_card(&reply);
        assert!(card_bytes(&card) <= MAX_CARD_BYTES, "{}", card_bytes(&card));
        let json = all_text(&card);
        for i in 0..5 {
            assert!(
                json.contains(&format!("https://example.org/doc{i}")),
                "source {i} kept"
            );
        }
        assert!(
            json.contains("Page in French"),
            "the other language is said"
        );
    }

    #[test]
    fn button_data_round_trips_and_foreign_data_is_ignored() {
        for s in [
            Submit::Action(Action::ConsentYes),
            Submit::Feedback {
                helpful: false,
                token: "a/b".into(),
            },
        ] {
            assert_eq!(Submit::parse(&s.to_data()), Some(s.clone()));
            let execute = json!({ "action": { "type": "Action.Execute", "data": s.to_data() } });
            assert_eq!(Submit::from_activity_value(&execute), Some(s));
        }
        assert_eq!(Submit::parse(&json!({"action": "confirm"})), None);
        assert_eq!(
            Submit::parse(&json!({"guichet": "action", "id": "drop_tables"})),
            None
        );
    }

    #[test]
    fn the_staff_notice_names_the_request_and_links_to_the_staff_page_only() {
        let event = RequestLogged {
            reference: "SSA-2026-00042".parse().unwrap(),
            request_type: crate::requests::model::RequestType::ALL[0],
            channel: crate::requests::model::Channel::Teams,
            requester_name: "[Eve](https://evil.example)".into(),
            language: Language::Fr,
        };
        let base: BaseUrl = "https://guichet.example/".parse().unwrap();
        let m = staff_notice(&event, Some(&base), Language::Fr);
        let json = all_text(&m);
        assert!(json.contains("Nouvelle demande SSA-2026-00042"), "{json}");
        assert!(json.contains("https://guichet.example/staff/requests/SSA-2026-00042"));
        assert!(
            json.contains("\\\\[Eve\\\\]"),
            "the name is escaped: {json}"
        );
        let m = staff_notice(&event, None, Language::En);
        assert!(all_text(&m).contains("guichet requests show SSA-2026-00042"));
    }
}
