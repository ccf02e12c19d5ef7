//! The Discord channel without Discord: converting messages and interactions, rendering
//! replies within Discord's limits (with long and hostile generated texts), mention
//! neutralisation and escaping, the rate limiter, the DM-only intake rule with the real
//! engine, the staff notification and the button ids.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use guichet::assistant::{Action, Field, Incoming, LoggedRequest, Reply, RequestLogged};
use guichet::discord::convert::{
    self, Access, Author, InteractionIn, InteractionKind, MessageIn, Place, Routed,
};
use guichet::discord::intake::{self, Plan};
use guichet::discord::render::{self, ButtonId, RenderedMessage};
use guichet::discord::safety::{escape_user_text, has_live_mention, RateLimiter};
use guichet::knowledge::Kind;
use guichet::requests::model::{Channel, RequestRef, RequestStatus, RequestType};
use guichet::search::answer::{Excerpt, Segment};
use guichet::{Hit, Language};

use crate::assistant::engine;

const BOT: u64 = 900;
const GUILD: u64 = 10;
const CHANNEL: u64 = 20;
const DM: u64 = 30;
const USER: u64 = 40;

fn person() -> Author {
    Author {
        id: USER,
        username: "marie.t".into(),
        bot: false,
    }
}

fn guild_message(content: &str) -> MessageIn {
    MessageIn {
        author: person(),
        guild: Some(GUILD),
        channel: CHANNEL,
        content: content.into(),
        mentions: Vec::new(),
    }
}

fn engine_input(routed: Option<Routed>) -> (Place, Incoming) {
    match routed {
        Some(Routed::Engine { place, incoming }) => (place, incoming),
        other => panic!("expected a message for the engine, got {other:?}"),
    }
}

// ---------------------------------------------------------------- conversion

#[test]
fn a_guild_mention_is_answered_with_the_mention_stripped_in_both_forms() {
    for content in [
        format!("<@{BOT}> What is Oncopole?"),
        format!("<@!{BOT}>  What is Oncopole?"),
        format!("What is <@{BOT}> Oncopole?"),
    ] {
        let (place, incoming) = engine_input(convert::message(
            &guild_message(&content),
            BOT,
            &Access::default(),
        ));
        assert_eq!(
            place,
            Place::Guild {
                guild: GUILD,
                channel: CHANNEL
            }
        );
        assert!(
            !incoming.text.contains('<') && incoming.text.contains("Oncopole"),
            "mention left in {:?}",
            incoming.text
        );
        assert_eq!(incoming.conversation, format!("{GUILD}:{CHANNEL}:{USER}"));
        assert_eq!(incoming.channel, Channel::Discord);
        assert!(
            incoming
                .sender
                .handle
                .as_deref()
                .unwrap()
                .contains("marie.t"),
            "the handle names the account"
        );
        assert!(incoming.sender.name.is_none(), "a pseudonym is not a name");
    }
}

#[test]
fn a_mention_of_someone_else_or_none_in_a_guild_is_ignored() {
    let access = Access::default();
    assert!(convert::message(&guild_message("What is Oncopole?"), BOT, &access).is_none());
    assert!(convert::message(&guild_message("<@12345> What is Oncopole?"), BOT, &access).is_none());
    // Discord's own mention list counts even if the content was edited by a client.
    let mut msg = guild_message("hello guichet what is Oncopole");
    msg.mentions = vec![BOT];
    assert!(convert::message(&msg, BOT, &access).is_some());
}

#[test]
fn a_bare_mention_with_no_question_is_ignored() {
    let msg = guild_message(&format!("  <@{BOT}>  "));
    assert!(convert::message(&msg, BOT, &Access::default()).is_none());
}

#[test]
fn a_direct_message_needs_no_mention_and_is_its_own_conversation() {
    let msg = MessageIn {
        author: person(),
        guild: None,
        channel: DM,
        content: "Qu'est-ce qu'Oncopole ?".into(),
        mentions: Vec::new(),
    };
    // Even with a restrictive configuration: DMs are always answered.
    let access = Access {
        guilds: vec![1],
        channels: vec![2],
    };
    let (place, incoming) = engine_input(convert::message(&msg, BOT, &access));
    assert_eq!(place, Place::Dm { channel: DM });
    assert!(!place.is_public());
    assert_eq!(incoming.conversation, DM.to_string());
    assert_eq!(incoming.text, "Qu'est-ce qu'Oncopole ?");
}

#[test]
fn messages_in_guilds_or_channels_not_allowed_are_ignored() {
    let content = format!("<@{BOT}> What is Oncopole?");
    let other_guild = Access {
        guilds: vec![GUILD + 1],
        channels: vec![],
    };
    assert!(convert::message(&guild_message(&content), BOT, &other_guild).is_none());
    let other_channel = Access {
        guilds: vec![GUILD],
        channels: vec![CHANNEL + 1],
    };
    assert!(convert::message(&guild_message(&content), BOT, &other_channel).is_none());
    let this_channel = Access {
        guilds: vec![GUILD],
        channels: vec![CHANNEL],
    };
    assert!(convert::message(&guild_message(&content), BOT, &this_channel).is_some());
}

#[test]
fn messages_from_bots_and_from_guichet_itself_are_ignored() {
    let mut msg = guild_message(&format!("<@{BOT}> What is Oncopole?"));
    msg.author.bot = true;
    assert!(convert::message(&msg, BOT, &Access::default()).is_none());
    let mut own = guild_message(&format!("<@{BOT}> What is Oncopole?"));
    own.author.id = BOT;
    assert!(convert::message(&own, BOT, &Access::default()).is_none());
    let mut dm = own.clone();
    dm.guild = None;
    assert!(convert::message(&dm, BOT, &Access::default()).is_none());
}

fn interaction(kind: InteractionKind, locale: &str) -> InteractionIn {
    InteractionIn {
        user: person(),
        guild: Some(GUILD),
        channel: CHANNEL,
        locale: locale.into(),
        kind,
    }
}

#[test]
fn slash_commands_in_both_languages_become_questions_and_request_actions() {
    for name in ["ask", "question"] {
        let kind = convert::command_kind(name, Some("  What is Oncopole? ")).unwrap();
        let (_, incoming) = engine_input(convert::interaction(
            &interaction(kind, "fr"),
            &Access::default(),
        ));
        assert_eq!(incoming.text, "What is Oncopole?");
        assert_eq!(incoming.action, None);
        assert_eq!(
            incoming.lang_hint,
            Some(Language::Fr),
            "the locale is a hint"
        );
    }
    for name in ["request", "demande"] {
        let kind = convert::command_kind(name, None).unwrap();
        let (_, incoming) = engine_input(convert::interaction(
            &interaction(kind, "en-US"),
            &Access::default(),
        ));
        assert_eq!(incoming.action, Some(Action::MakeRequest));
        assert_eq!(incoming.lang_hint, Some(Language::En));
    }
    assert!(convert::command_kind("ping", None).is_none());
    let empty = convert::command_kind("ask", Some("   ")).unwrap();
    assert!(convert::interaction(&interaction(empty, "fr"), &Access::default()).is_none());
    assert_eq!(convert::locale_language("pt-BR"), None);
}

#[test]
fn button_ids_round_trip_for_every_action_and_for_feedback() {
    for action in Action::ALL {
        let id = ButtonId::Action(action);
        let custom = id.to_custom_id();
        assert!(custom.len() <= render::MAX_CUSTOM_ID, "{custom}");
        assert_eq!(ButtonId::parse(&custom), Some(id));
        let (_, incoming) = engine_input(convert::interaction(
            &interaction(InteractionKind::Button { custom_id: custom }, "fr"),
            &Access::default(),
        ));
        assert_eq!(incoming.action, Some(action));
    }
    for helpful in [true, false] {
        let id = ButtonId::Feedback {
            helpful,
            token: TOKEN.into(),
        };
        assert!(id.to_custom_id().len() <= render::MAX_CUSTOM_ID);
        assert_eq!(ButtonId::parse(&id.to_custom_id()), Some(id));
    }
    let long = ButtonId::Feedback {
        helpful: true,
        token: "x".repeat(500),
    };
    assert!(long.to_custom_id().len() <= render::MAX_CUSTOM_ID);
    assert!(ButtonId::parse(&long.to_custom_id()).is_some());
    for foreign in [
        "",
        "confirm",
        "guichet:a:launch",
        "guichet:f:maybe:doc",
        "other:a:confirm",
    ] {
        assert_eq!(ButtonId::parse(foreign), None, "{foreign:?}");
    }
}

#[test]
fn a_feedback_press_is_recorded_and_never_reaches_the_engine() {
    let custom_id = ButtonId::Feedback {
        helpful: false,
        token: TOKEN.into(),
    }
    .to_custom_id();
    match convert::interaction(
        &interaction(InteractionKind::Button { custom_id }, "en"),
        &Access::default(),
    ) {
        Some(Routed::Feedback {
            helpful,
            token,
            user,
        }) => {
            assert!(!helpful);
            assert_eq!(token, TOKEN, "the whole token comes back");
            assert_eq!(user, USER);
        }
        other => panic!("expected feedback, got {other:?}"),
    }
}

// ---------------------------------------------------------------- rendering

/// A small deterministic generator (xorshift), so failures reproduce.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }

    /// Hostile words: markdown, mentions, emoji (with joiners), combining accents, CJK,
    /// very long words.
    fn word(&mut self) -> String {
        const WORDS: &[&str] = &[
            "Oncopole",
            "recherche",
            "**bold**",
            "__u__",
            "`code`",
            "~~x~~",
            "||spoiler||",
            "@everyone",
            "@here",
            "<@123>",
            "<@!456>",
            "<@&789>",
            "<#42>",
            "[lien](https://x.y)",
            "👩‍🔬",
            "🇨🇦",
            "e\u{301}tude",
            "Québec",
            "研究",
            "a*b",
            "\\",
            ">quote",
            "#titre",
            "l'Unité",
            "—",
            "données",
        ];
        if self.next() % 40 == 0 {
            "z".repeat(50 + (self.next() % 3000) as usize)
        } else {
            self.pick(WORDS).to_string()
        }
    }

    fn text(&mut self, min_chars: usize) -> String {
        let mut out = String::new();
        while out.chars().count() < min_chars {
            out.push_str(&self.word());
            out.push_str(self.pick(&[" ", " ", " ", "\n", "  ", "\n\n"]));
        }
        out
    }

    fn excerpt(&mut self, min_chars: usize) -> Excerpt {
        let text = self.text(min_chars);
        // Cut into segments at arbitrary char positions, some highlighted.
        let chars: Vec<char> = text.chars().collect();
        let mut segments = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let len = 1 + (self.next() % 40) as usize;
            let end = (i + len).min(chars.len());
            segments.push(Segment {
                text: chars[i..end].iter().collect(),
                highlighted: self.next() % 3 == 0,
            });
            i = end;
        }
        Excerpt(segments)
    }
}

fn hit(title: &str, excerpt: Excerpt, lang: Language, url: Option<&str>) -> Hit {
    Hit {
        doc_id: "oncopole-en".into(),
        title: title.into(),
        section: None,
        url: url.map(str::to_string),
        excerpt,
        lang,
        kind: Kind::Partner,
        score: 1.0,
        coverage: 1.0,
    }
}

/// A feedback token as the engine hands them out (65 characters).
const TOKEN: &str = "0123456789abcdef0123456789abcdef.fedcba9876543210fedcba9876543210";

fn answer(text: &str, hits: Vec<Hit>) -> Reply {
    Reply {
        text: text.into(),
        lang: Language::En,
        hits,
        suggestions: Vec::new(),
        answered: Some(true),
        awaiting: None,
        request: None,
        actions: vec![Action::MakeRequest],
        feedback: Some(TOKEN.into()),
    }
}

/// Reads rendered markdown back to plain text: drops guichet's `**`, unescapes `\x`,
/// removes the zero-width spaces that break mentions. Returns the text and how many `**`
/// markers it held.
fn unmarkdown(s: &str) -> (String, usize) {
    let chars: Vec<char> = s.chars().collect();
    let (mut out, mut markers, mut i) = (String::new(), 0, 0);
    while i < chars.len() {
        match chars[i] {
            '\\' if i + 1 < chars.len() => {
                out.push(chars[i + 1]);
                i += 2;
            }
            '*' if chars.get(i + 1) == Some(&'*') => {
                markers += 1;
                i += 2;
            }
            '\u{200B}' => i += 1,
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    (out, markers)
}

fn words(s: &str) -> HashSet<String> {
    s.split_whitespace().map(str::to_string).collect()
}

fn check_limits(m: &RenderedMessage, context: &str) {
    let n = |s: &str| s.chars().count();
    assert!(
        n(&m.content) <= render::MAX_CONTENT,
        "{context}: content {}",
        n(&m.content)
    );
    assert!(
        m.embeds.len() <= render::MAX_EMBEDS,
        "{context}: {} embeds",
        m.embeds.len()
    );
    let total: usize = m.embeds.iter().map(|e| e.counted_chars()).sum();
    assert!(
        total <= render::MAX_EMBEDS_TOTAL,
        "{context}: embeds total {total}"
    );
    for e in &m.embeds {
        assert!(
            n(&e.title) <= render::MAX_TITLE,
            "{context}: title {}",
            n(&e.title)
        );
        assert!(
            n(&e.description) <= render::MAX_DESCRIPTION,
            "{context}: description"
        );
        assert!(n(&e.footer) <= render::MAX_FOOTER, "{context}: footer");
        assert!(
            !has_live_mention(&e.title) && !has_live_mention(&e.description),
            "{context}: live mention in {e:?}"
        );
    }
    assert!(
        !has_live_mention(&m.content),
        "{context}: live mention in content"
    );
    assert!(m.rows.len() <= render::MAX_ROWS, "{context}: rows");
    for row in &m.rows {
        assert!(
            !row.is_empty() && row.len() <= render::MAX_BUTTONS_PER_ROW,
            "{context}: row of {}",
            row.len()
        );
        for b in row {
            assert!(
                b.custom_id.len() <= render::MAX_CUSTOM_ID,
                "{context}: {}",
                b.custom_id
            );
            assert!(
                n(&b.label) <= render::MAX_BUTTON_LABEL && !b.label.is_empty(),
                "{context}: label"
            );
        }
    }
}

/// Every word of `rendered` (after the trailing "…") is a whole word of `source`.
fn check_whole_words(rendered: &str, source: &str, context: &str) {
    let (plain, markers) = unmarkdown(rendered);
    assert_eq!(markers % 2, 0, "{context}: unbalanced ** in {rendered:?}");
    let allowed = words(source);
    for w in plain.split_whitespace() {
        if w == "…" {
            continue;
        }
        assert!(
            allowed.contains(w),
            "{context}: {w:?} is not a whole word of the source"
        );
    }
}

#[test]
fn long_and_hostile_answers_render_within_every_discord_limit_and_between_words() {
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    for round in 0..60 {
        let n_hits = 1 + (round % 12);
        let hits: Vec<Hit> = (0..n_hits)
            .map(|i| {
                let title = g.text(if i == 0 { 400 } else { 20 });
                let size = if round % 3 == 0 {
                    10_000
                } else {
                    50 + (g.next() % 2_000) as usize
                };
                let lang = if g.next() % 2 == 0 {
                    Language::Fr
                } else {
                    Language::En
                };
                hit(
                    &title,
                    g.excerpt(size),
                    lang,
                    Some("https://ssaquebec.ca/oncopole"),
                )
            })
            .collect();
        let text = g.text(if round % 2 == 0 { 5_000 } else { 100 });
        let reply = answer(&text, hits.clone());
        let m = render::render_reply(&reply);
        let context = format!("round {round}");
        check_limits(&m, &context);
        assert_eq!(
            m.embeds.len(),
            n_hits.min(render::MAX_EMBEDS),
            "{context}: one embed per hit"
        );
        check_whole_words(&m.content, &text, &format!("{context} content"));
        for (e, h) in m.embeds.iter().zip(&hits) {
            check_whole_words(
                &e.description,
                &h.excerpt.plain(),
                &format!("{context} description"),
            );
            check_whole_words(&e.title, &h.title, &format!("{context} title"));
            assert!(
                !e.description.is_empty(),
                "{context}: an excerpt always shows something"
            );
        }
    }
}

#[test]
fn a_short_answer_is_shown_whole_with_matched_words_in_bold() {
    let excerpt = Excerpt(vec![
        Segment {
            text: "Oncopole was created by ".into(),
            highlighted: false,
        },
        Segment {
            text: "FRQS".into(),
            highlighted: true,
        },
        Segment {
            text: " and partners.".into(),
            highlighted: false,
        },
    ]);
    let m = render::render_reply(&answer(
        "Here is what I found:",
        vec![hit(
            "Oncopole",
            excerpt,
            Language::En,
            Some("https://oncopole.ca/en"),
        )],
    ));
    let e = &m.embeds[0];
    assert_eq!(
        e.description,
        "Oncopole was created by **FRQS** and partners."
    );
    assert_eq!(e.title, "Oncopole");
    assert_eq!(
        e.url.as_deref(),
        Some("https://oncopole.ca/en"),
        "the title links to the source"
    );
    assert_eq!(e.footer, "Page language: English");
    assert_eq!(m.content, "Here is what I found:");
}

#[test]
fn a_trimmed_excerpt_ends_with_an_ellipsis_after_a_whole_word() {
    let long = "mot ".repeat(3_000);
    let excerpt = Excerpt(vec![Segment {
        text: long.clone(),
        highlighted: false,
    }]);
    let m = render::render_reply(&answer("x", vec![hit("T", excerpt, Language::Fr, None)]));
    let d = &m.embeds[0].description;
    assert!(d.ends_with(" …"), "{:?}", &d[d.len() - 10..]);
    assert!(
        d.trim_end_matches(" …").split(' ').all(|w| w == "mot"),
        "a word was cut"
    );
    assert!(d.chars().count() <= render::MAX_DESCRIPTION);
    assert!(m.embeds[0].url.is_none());
}

#[test]
fn markdown_and_links_in_titles_and_excerpts_are_escaped() {
    let excerpt = Excerpt(vec![Segment {
        text: "see [here](https://evil.example) **now** `x` ||s||".into(),
        highlighted: false,
    }]);
    let m = render::render_reply(&answer(
        "*hi* _there_",
        vec![hit(
            "**Big** [t](https://e.x)",
            excerpt,
            Language::En,
            Some("javascript:alert(1)"),
        )],
    ));
    let e = &m.embeds[0];
    assert_eq!(
        e.description,
        "see \\[here\\](https://evil.example) \\*\\*now\\*\\* \\`x\\` \\|\\|s\\|\\|"
    );
    assert_eq!(e.title, "\\*\\*Big\\*\\* \\[t\\](https://e.x)");
    assert_eq!(m.content, "\\*hi\\* \\_there\\_");
    assert_eq!(e.url, None, "only http(s) links are used");
}

#[test]
fn an_answer_has_the_engines_buttons_and_helpful_buttons_and_a_fallback_has_no_feedback() {
    let excerpt = Excerpt(vec![Segment {
        text: "text".into(),
        highlighted: false,
    }]);
    let m = render::render_reply(&answer("x", vec![hit("T", excerpt, Language::En, None)]));
    let ids: Vec<Option<ButtonId>> = m
        .rows
        .concat()
        .iter()
        .map(|b| ButtonId::parse(&b.custom_id))
        .collect();
    assert_eq!(
        ids,
        vec![
            Some(ButtonId::Action(Action::MakeRequest)),
            Some(ButtonId::Feedback {
                helpful: true,
                token: TOKEN.into()
            }),
            Some(ButtonId::Feedback {
                helpful: false,
                token: TOKEN.into()
            }),
        ]
    );
    let labels: Vec<String> = m.rows.concat().into_iter().map(|b| b.label).collect();
    assert_eq!(labels, vec!["Make a request", "Helpful", "Not helpful"]);
    let mut fallback = answer("I could not find", vec![]);
    fallback.answered = Some(false);
    fallback.actions = vec![Action::MakeRequest, Action::No];
    let m = render::render_reply(&fallback);
    assert_eq!(m.rows.concat().len(), 2, "no feedback without an answer");
    assert!(m.embeds.is_empty());
}

// ---------------------------------------------------------------- safety

#[test]
fn quoted_everyone_here_user_role_and_channel_mentions_stay_inert() {
    for text in [
        "@everyone look",
        "hi @here",
        "@EVERYONE",
        "<@123>",
        "<@!123>",
        "<@&456>",
        "<#789>",
        "@@everyone",
    ] {
        let safe = escape_user_text(text);
        assert!(!has_live_mention(&safe), "{text:?} became {safe:?}");
        assert_eq!(unmarkdown(&safe).0, text, "what people read is unchanged");
    }
    let m = render::plain_message("Quoting @everyone and <@&1> for you");
    assert!(!has_live_mention(&m.content), "{}", m.content);
}

#[test]
fn the_rate_limiter_allows_the_limit_per_minute_per_person_then_says_how_long_to_wait() {
    let limiter = RateLimiter::new(3);
    let t0 = Instant::now();
    for i in 0..3 {
        assert!(
            limiter.check(1, t0 + Duration::from_secs(i)).is_ok(),
            "message {i}"
        );
    }
    let wait = limiter.check(1, t0 + Duration::from_secs(10)).unwrap_err();
    assert_eq!(
        wait,
        Duration::from_secs(50),
        "until the first message is a minute old"
    );
    assert!(
        limiter.check(2, t0 + Duration::from_secs(10)).is_ok(),
        "another person is not limited"
    );
    assert!(
        limiter.check(1, t0 + Duration::from_secs(59)).is_err(),
        "a refused message is not counted but the window holds"
    );
    assert!(
        limiter.check(1, t0 + Duration::from_secs(60)).is_ok(),
        "the first message left the window"
    );
    assert!(
        limiter.check(1, t0 + Duration::from_secs(60)).is_err(),
        "the second one has not yet"
    );
}

#[test]
fn a_crowd_of_newcomers_neither_locks_anyone_out_nor_frees_a_person_who_keeps_writing() {
    let limiter = RateLimiter::new(3);
    let t0 = Instant::now();
    const WRITER: u64 = 1;
    for _ in 0..3 {
        limiter.check(WRITER, t0).unwrap();
    }
    // Nearly thirty thousand people arrive over the next minute, far more than the limiter
    // remembers at once; the writer keeps trying every second.
    let mut person = 1_000;
    for second in 1..60 {
        let now = t0 + Duration::from_secs(second);
        for _ in 0..500 {
            person += 1;
            assert!(
                limiter.check(person, now).is_ok(),
                "a newcomer is always let in"
            );
        }
        assert!(
            limiter.check(WRITER, now).is_err(),
            "at {second} s the writer is still over the limit"
        );
    }
    assert!(
        limiter.check(WRITER, t0 + Duration::from_secs(60)).is_ok(),
        "a minute after the first message"
    );
}

// ---------------------------------------------------------------- DM-only intake

#[test]
fn a_public_request_moves_to_a_dm_with_a_neutral_notice_and_nothing_personal_in_public() {
    let e = engine();
    let (place, incoming) = engine_input(convert::message(
        &guild_message(&format!("<@{BOT}> I'd like to request support")),
        BOT,
        &Access::default(),
    ));
    let reply = e.assistant.handle(incoming.clone());
    assert!(
        reply.awaiting.is_some(),
        "the engine starts the intake: {reply:?}"
    );
    let Plan::MoveToDm { notice, lang } = intake::plan(place, &reply) else {
        panic!("a public intake must move to a DM");
    };
    assert_eq!(lang, Language::En);
    assert!(
        notice.embeds.is_empty() && notice.rows.is_empty(),
        "the notice is text only"
    );
    assert!(!notice.content.contains(&reply.text) && !reply.text.contains(&notice.content));
    assert!(
        notice.content.contains("direct message"),
        "{}",
        notice.content
    );

    // The public draft is forgotten: a name typed in public later is not taken as one.
    let _ = e.assistant.handle(intake::cancel_public(&incoming));
    let later = e.assistant.handle(Incoming {
        text: "Jane Smith".into(),
        ..incoming.clone()
    });
    assert_eq!(
        later.awaiting, None,
        "the public conversation is no longer an intake"
    );

    // The intake runs in the DM conversation and is answered there.
    let start = intake::start_in_dm(DM, &incoming, lang);
    assert_eq!(start.conversation, DM.to_string());
    let dm_reply = e.assistant.handle(start);
    assert!(dm_reply.awaiting.is_some(), "{dm_reply:?}");
    assert!(matches!(
        intake::plan(Place::Dm { channel: DM }, &dm_reply),
        Plan::Reply(_)
    ));
}

#[test]
fn make_a_request_in_a_guild_goes_straight_to_a_dm_but_not_in_a_dm() {
    let kind = convert::command_kind("demande", None).unwrap();
    let (place, incoming) = engine_input(convert::interaction(
        &interaction(kind, "fr"),
        &Access::default(),
    ));
    assert!(intake::goes_straight_to_dm(place, &incoming));
    assert!(!intake::goes_straight_to_dm(
        Place::Dm { channel: DM },
        &incoming
    ));
    let (place, question) = engine_input(convert::message(
        &guild_message(&format!("<@{BOT}> Oncopole?")),
        BOT,
        &Access::default(),
    ));
    assert!(!intake::goes_straight_to_dm(place, &question));
}

#[test]
fn every_intake_reply_in_public_is_withheld_and_ordinary_answers_are_not() {
    let public = Place::Guild {
        guild: GUILD,
        channel: CHANNEL,
    };
    let mut reply = answer("Confirm your request: Jane, jane@example.org", vec![]);
    reply.actions = vec![Action::Confirm, Action::Cancel];
    reply.awaiting = Some(Field::Confirm);
    assert!(matches!(
        intake::plan(public, &reply),
        Plan::MoveToDm { .. }
    ));
    reply.awaiting = None;
    assert!(
        matches!(intake::plan(public, &reply), Plan::MoveToDm { .. }),
        "confirm/cancel buttons alone mean an intake"
    );
    reply.actions.clear();
    reply.request = Some(LoggedRequest {
        reference: RequestRef::new(2026, 1).unwrap(),
        status: RequestStatus::New,
    });
    assert!(matches!(
        intake::plan(public, &reply),
        Plan::MoveToDm { .. }
    ));
    let plain = answer("Here is what I found:", vec![]);
    assert!(matches!(intake::plan(public, &plain), Plan::Reply(_)));
}

#[test]
fn the_closed_dm_notice_gives_no_details() {
    for lang in Language::ALL {
        let m = intake::dm_closed_notice(lang);
        assert!(m.embeds.is_empty() && m.rows.is_empty());
        assert!(
            !m.content.contains('@') && !m.content.contains("{"),
            "{}",
            m.content
        );
    }
    assert_ne!(
        intake::dm_closed_notice(Language::Fr),
        intake::dm_closed_notice(Language::En)
    );
}

// ---------------------------------------------------------------- staff notification

#[test]
fn the_staff_notification_has_reference_type_link_and_name_but_no_email() {
    let event = RequestLogged {
        reference: RequestRef::new(2026, 42).unwrap(),
        request_type: RequestType::LetterOfSupport,
        channel: Channel::Web,
        requester_name: "Jane *A.* Smith @everyone".into(),
        language: Language::En,
    };
    let text = render::staff_notification(
        &event,
        Some(&"https://guichet.example/".parse().unwrap()),
        Language::En,
    );
    assert!(text.contains("SSA-2026-00042"), "{text}");
    assert!(text.contains("Letter of support"), "{text}");
    assert!(
        text.contains("https://guichet.example/staff/requests/SSA-2026-00042"),
        "{text}"
    );
    assert!(
        text.contains("Jane \\*A.\\* Smith"),
        "the name, escaped: {text}"
    );
    assert!(!has_live_mention(&text), "{text}");
    assert!(
        !text.contains("example.org") && !text.contains("courriel") && !text.contains("email"),
        "{text}"
    );
    let fr = render::staff_notification(&event, None, Language::Fr);
    assert!(
        fr.contains("Lettre d'appui") && fr.contains("SSA-2026-00042"),
        "{fr}"
    );
}
