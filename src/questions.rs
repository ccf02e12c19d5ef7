//! The questions queue and answer feedback: what staff should look at to improve the
//! knowledge base. Questions that got the fallback, answers voted unhelpful and answers
//! given with a low margin are grouped by similar wording (normalised terms, near
//! duplicates merged), and staff mark each group "added to the knowledge base", "out of
//! scope" or "ignore". Votes come from every channel through signed feedback tokens.
//!
//! Everything here works on the anonymised questions log (see
//! [`LoggedQuestion`](crate::requests::LoggedQuestion)); it keeps no sender, and follows
//! the conversations' retention period through the store's purge.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::language::Language;
use crate::messages::Msg;
use crate::requests::{LoggedQuestion, QuestionOutcome, RequestStore, StoreError};

type HmacSha256 = Hmac<Sha256>;

/// Answers given with a probability this close above the decision's threshold are
/// "low margin": answered, but staff should check the knowledge base covers them well.
pub const LOW_MARGIN: f32 = 0.05;
/// Two wordings whose term sets overlap at least this much (Jaccard) are one group.
const SAME_GROUP: f64 = 0.6;
/// Examples kept per group.
const EXAMPLES: usize = 5;

/// A person's verdict on an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Vote {
    Helpful,
    Unhelpful,
}

impl Vote {
    pub fn code(self) -> &'static str {
        match self {
            Vote::Helpful => "up",
            Vote::Unhelpful => "down",
        }
    }

    pub fn parse(code: &str) -> Option<Vote> {
        match code {
            "up" => Some(Vote::Helpful),
            "down" => Some(Vote::Unhelpful),
            _ => None,
        }
    }
}

/// What staff decided about a group of questions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupState {
    /// Not looked at yet.
    Open,
    /// The knowledge base now covers it.
    Added,
    /// Not something the Unit answers.
    OutOfScope,
    Ignored,
}

impl GroupState {
    pub const ALL: [GroupState; 4] = [
        GroupState::Open,
        GroupState::Added,
        GroupState::OutOfScope,
        GroupState::Ignored,
    ];

    pub fn code(self) -> &'static str {
        match self {
            GroupState::Open => "open",
            GroupState::Added => "added",
            GroupState::OutOfScope => "out_of_scope",
            GroupState::Ignored => "ignored",
        }
    }

    /// Reads a state's code; the CLI's spellings ("out-of-scope", "ignore") too.
    pub fn parse(code: &str) -> Option<GroupState> {
        match code.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "open" => Some(GroupState::Open),
            "added" | "added_to_kb" | "kb" => Some(GroupState::Added),
            "out_of_scope" | "scope" => Some(GroupState::OutOfScope),
            "ignored" | "ignore" => Some(GroupState::Ignored),
            _ => None,
        }
    }

    pub fn label(self, lang: Language) -> &'static str {
        match self {
            GroupState::Open => Msg::QueueStateOpen,
            GroupState::Added => Msg::QueueStateAdded,
            GroupState::OutOfScope => Msg::QueueStateOutOfScope,
            GroupState::Ignored => Msg::QueueStateIgnored,
        }
        .text(lang)
    }
}

/// A signed reference to one logged answer, handed to the person with the answer (a web
/// chat button, a Discord button id, an email link) so their vote finds it again. It holds
/// a random id and its signature, nothing about the person or the question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackToken {
    id: String,
    signature: String,
}

/// Hex digits of a token's id (16 random bytes).
const ID_HEX: usize = 32;
/// Hex digits of a token's signature (the first 16 bytes of an HMAC-SHA256).
const SIGNATURE_HEX: usize = 32;

impl FeedbackToken {
    /// A new token with a random id, signed with `key`.
    pub fn issue(key: &[u8]) -> FeedbackToken {
        let mut bytes = [0u8; 16];
        // Without randomness there is no safe token; the all-zero id would collide, so
        // fall back to the time and a hash, which is still unique per answer.
        if getrandom::fill(&mut bytes).is_err() {
            let now = OffsetDateTime::now_utc()
                .unix_timestamp_nanos()
                .to_le_bytes();
            bytes.copy_from_slice(&Sha256::digest(now)[..16]);
        }
        let id = crate::text::hex(&bytes);
        FeedbackToken {
            signature: sign(key, &id),
            id,
        }
    }

    /// Reads a token as channels send it back (`id.signature`), if it is well formed and
    /// signed with `key` (compared in constant time).
    pub fn verify(key: &[u8], text: &str) -> Option<FeedbackToken> {
        let (id, signature) = text.trim().split_once('.')?;
        let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
        if !hex(id, ID_HEX) || !hex(signature, SIGNATURE_HEX) {
            return None;
        }
        let wanted = decode_hex(signature)?;
        mac(key, id).verify_truncated_left(&wanted).ok()?;
        Some(FeedbackToken {
            id: id.to_ascii_lowercase(),
            signature: signature.to_ascii_lowercase(),
        })
    }

    /// The id the questions log keeps.
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl std::fmt::Display for FeedbackToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.id, self.signature)
    }
}

fn mac(key: &[u8], id: &str) -> HmacSha256 {
    // HMAC takes keys of any length.
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(b"guichet-feedback:");
    mac.update(id.to_ascii_lowercase().as_bytes());
    mac
}

fn sign(key: &[u8], id: &str) -> String {
    let full = mac(key, id).finalize().into_bytes();
    crate::text::hex(&full[..SIGNATURE_HEX / 2])
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// How a vote went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteOutcome {
    Recorded,
    /// This answer already has a vote; the first one stands.
    AlreadyRecorded,
    /// No such answer (a forged or mistyped token, or one past its retention period).
    Unknown,
}

/// Why a question enters the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// The fallback, with or without related pages.
    Fallback,
    /// Answered, and voted unhelpful.
    Unhelpful,
    /// Answered, just above the decision's threshold.
    LowMargin,
}

impl Reason {
    pub fn code(self) -> &'static str {
        match self {
            Reason::Fallback => "fallback",
            Reason::Unhelpful => "unhelpful",
            Reason::LowMargin => "low_margin",
        }
    }

    pub fn label(self, lang: Language) -> &'static str {
        match self {
            Reason::Fallback => Msg::QueueReasonFallback,
            Reason::Unhelpful => Msg::QueueReasonUnhelpful,
            Reason::LowMargin => Msg::QueueReasonLowMargin,
        }
        .text(lang)
    }

    /// Why `question` is in the queue, if it is.
    pub fn of(question: &LoggedQuestion) -> Option<Reason> {
        if question.outcome != QuestionOutcome::Answered {
            Some(Reason::Fallback)
        } else if question.vote == Some(Vote::Unhelpful) {
            Some(Reason::Unhelpful)
        } else if question.low_margin {
            Some(Reason::LowMargin)
        } else {
            None
        }
    }
}

/// Questions of similar wording, as staff see them in the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Stable while the group's first wording stays in the log: what `mark` takes.
    pub id: String,
    pub state: GroupState,
    pub count: usize,
    pub first_seen: time::Date,
    pub last_seen: time::Date,
    pub languages: BTreeSet<&'static str>,
    pub channels: BTreeSet<&'static str>,
    /// How many questions entered the queue for each reason.
    pub reasons: BTreeMap<Reason, usize>,
    /// Distinct wordings, most frequent first, personal details removed.
    pub examples: Vec<String>,
    /// The ids of every wording merged into the group (marks apply to any of them).
    members: Vec<String>,
}

/// The words that carry a question's meaning: folded, without punctuation, stop words and
/// the plural "s", sorted and unique. Two wordings with the same terms are one wording.
pub fn terms(text: &str) -> Vec<String> {
    let folded = crate::text::fold(text);
    let mut out: BTreeSet<String> = BTreeSet::new();
    for raw in folded.split(|c: char| !c.is_alphanumeric()) {
        if raw.len() < 2
            || STOP_WORDS_EN.contains(&raw)
            || STOP_WORDS_FR.contains(&raw)
            || raw.starts_with('[')
        {
            continue;
        }
        let word = match raw.strip_suffix('s') {
            Some(stem) if stem.len() >= 4 && !stem.ends_with('s') => stem,
            _ => raw,
        };
        out.insert(word.to_string());
    }
    out.into_iter().collect()
}

/// English words that say nothing of the subject.
const STOP_WORDS_EN: &[&str] = &[
    "the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "with", "is", "are", "be", "do",
    "does", "can", "could", "would", "should", "how", "what", "where", "when", "who", "which",
    "why", "my", "our", "your", "you", "we", "it", "this", "that", "there", "about", "get", "have",
    "has", "me", "please", "any", "at", "by", "from", "if", "hi", "hello", "thanks", "thank",
];

/// French words that say nothing of the subject.
const STOP_WORDS_FR: &[&str] = &[
    "le", "la", "les", "un", "une", "des", "du", "de", "et", "ou", "au", "aux", "en", "pour",
    "par", "avec", "sur", "dans", "est", "sont", "je", "tu", "il", "elle", "nous", "vous", "ils",
    "mon", "ma", "mes", "notre", "nos", "votre", "vos", "ce", "cet", "cette", "ces", "que", "qui",
    "quoi", "quel", "quelle", "quels", "quelles", "comment", "quand", "pourquoi", "peut", "puis",
    "peux", "pouvez", "faire", "svp", "merci", "bonjour", "ai", "as", "se", "sa", "son", "ses",
    "ne", "pas", "qu",
];

/// How much two term sets overlap, from 0 to 1 (Jaccard).
pub fn similarity(a: &[String], b: &[String]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let inter = a.iter().filter(|t| b.contains(t)).count();
    let union = a.len() + b.len() - inter;
    inter as f64 / union as f64
}

/// The stable id of a wording: the first 12 hex digits of the SHA-256 of its terms.
fn wording_id(terms: &[String]) -> String {
    crate::text::hex(&Sha256::digest(terms.join(" ").as_bytes())[..6])
}

/// Groups the questions that belong in the queue (see [`Reason::of`]); `marks` holds the
/// states staff gave, by wording id. Groups come largest first.
pub fn group(questions: &[LoggedQuestion], marks: &HashMap<String, GroupState>) -> Vec<Group> {
    // First the exact wordings (same terms), in the order they were first asked.
    struct Wording<'a> {
        terms: Vec<String>,
        questions: Vec<(&'a LoggedQuestion, Reason)>,
    }
    let mut wordings: Vec<Wording> = Vec::new();
    let mut by_terms: HashMap<Vec<String>, usize> = HashMap::new();
    for q in questions {
        let Some(reason) = Reason::of(q) else {
            continue;
        };
        let t = terms(&q.text);
        let i = *by_terms.entry(t.clone()).or_insert_with(|| {
            wordings.push(Wording {
                terms: t,
                questions: Vec::new(),
            });
            wordings.len() - 1
        });
        wordings[i].questions.push((q, reason));
    }
    // Then near duplicates: each wording joins the first group it is close enough to
    // (compared with the group's first wording, so a chain of small changes cannot drift).
    let mut groups: Vec<(Vec<String>, Vec<usize>)> = Vec::new();
    for (i, w) in wordings.iter().enumerate() {
        match groups
            .iter_mut()
            .find(|(head, _)| similarity(head, &w.terms) >= SAME_GROUP)
        {
            Some((_, members)) => members.push(i),
            None => groups.push((w.terms.clone(), vec![i])),
        }
    }
    let mut out: Vec<Group> = groups
        .into_iter()
        .map(|(head, members)| {
            let ids: Vec<String> = members
                .iter()
                .map(|&i| wording_id(&wordings[i].terms))
                .collect();
            let state = ids
                .iter()
                .find_map(|id| marks.get(id).copied())
                .unwrap_or(GroupState::Open);
            let all: Vec<&(&LoggedQuestion, Reason)> = members
                .iter()
                .flat_map(|&i| wordings[i].questions.iter())
                .collect();
            let mut reasons = BTreeMap::new();
            let mut texts: Vec<(usize, usize, &str)> = Vec::new();
            for (order, (q, reason)) in all.iter().enumerate() {
                *reasons.entry(*reason).or_insert(0) += 1;
                match texts.iter_mut().find(|(_, _, t)| *t == q.text) {
                    Some((n, _, _)) => *n += 1,
                    None => texts.push((1, order, q.text.as_str())),
                }
            }
            texts.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            Group {
                id: wording_id(&head),
                state,
                count: all.len(),
                first_seen: all
                    .iter()
                    .map(|(q, _)| q.day)
                    .min()
                    .unwrap_or(time::Date::MIN),
                last_seen: all
                    .iter()
                    .map(|(q, _)| q.day)
                    .max()
                    .unwrap_or(time::Date::MIN),
                languages: all.iter().map(|(q, _)| q.language.code()).collect(),
                channels: all.iter().map(|(q, _)| q.channel.code()).collect(),
                reasons,
                examples: texts
                    .into_iter()
                    .take(EXAMPLES)
                    .map(|(_, _, t)| t.to_string())
                    .collect(),
                members: ids,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(b.last_seen.cmp(&a.last_seen))
            .then(a.id.cmp(&b.id))
    });
    out
}

/// The queue as CSV: one row per group (the examples joined with " | ").
pub fn to_csv(groups: &[Group]) -> String {
    let mut out = String::from(
        "id,state,count,first_seen,last_seen,languages,channels,fallback,unhelpful,low_margin,examples\r\n",
    );
    for g in groups {
        let n = |r| g.reasons.get(&r).copied().unwrap_or(0);
        let row = [
            g.id.clone(),
            g.state.code().to_string(),
            g.count.to_string(),
            g.first_seen.to_string(),
            g.last_seen.to_string(),
            g.languages.iter().copied().collect::<Vec<_>>().join(" "),
            g.channels.iter().copied().collect::<Vec<_>>().join(" "),
            n(Reason::Fallback).to_string(),
            n(Reason::Unhelpful).to_string(),
            n(Reason::LowMargin).to_string(),
            g.examples.join(" | "),
        ];
        let cells: Vec<String> = row.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// A CSV cell, quoted when needed; a cell a spreadsheet would run as a formula is
/// prefixed with an apostrophe (the examples are text people typed).
fn csv_cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// The queue as JSON, for `guichet questions list --json`.
pub fn to_json(groups: &[Group]) -> serde_json::Value {
    serde_json::Value::Array(
        groups
            .iter()
            .map(|g| {
                serde_json::json!({
                    "id": g.id,
                    "state": g.state.code(),
                    "count": g.count,
                    "first_seen": g.first_seen.to_string(),
                    "last_seen": g.last_seen.to_string(),
                    "languages": g.languages,
                    "channels": g.channels,
                    "reasons": g.reasons.iter().map(|(r, n)| (r.code(), *n)).collect::<BTreeMap<_, _>>(),
                    "examples": g.examples,
                })
            })
            .collect(),
    )
}

/// Why the queue could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("no question group {0} in the queue")]
    UnknownGroup(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What staff may do with the questions queue (the web pages and the CLI hold one).
/// Blocking: call it from `spawn_blocking` in async code.
#[derive(Clone)]
pub struct QuestionsQueue {
    store: Arc<dyn RequestStore>,
}

impl QuestionsQueue {
    pub fn new(store: Arc<dyn RequestStore>) -> QuestionsQueue {
        QuestionsQueue { store }
    }

    /// The groups of the questions logged on `since` or later, largest first.
    pub fn list(&self, since: time::Date) -> Result<Vec<Group>, StoreError> {
        let questions = self.store.questions_since(since)?;
        let marks: HashMap<String, GroupState> = self.store.question_marks()?.into_iter().collect();
        Ok(group(&questions, &marks))
    }

    /// Every question logged on `since` or later (anonymised), oldest first: for the staff
    /// summary's figures.
    pub fn asked_since(&self, since: time::Date) -> Result<Vec<LoggedQuestion>, StoreError> {
        self.store.questions_since(since)
    }

    /// The votes on answers given on `since` or later: (helpful, unhelpful).
    pub fn votes(&self, since: time::Date) -> Result<(usize, usize), StoreError> {
        let questions = self.store.questions_since(since)?;
        let count = |v| questions.iter().filter(|q| q.vote == Some(v)).count();
        Ok((count(Vote::Helpful), count(Vote::Unhelpful)))
    }

    /// Sets the state of the group `id` (as listed since `since`), for all its wordings.
    pub fn mark(
        &self,
        id: &str,
        state: GroupState,
        since: time::Date,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<Group, QueueError> {
        let groups = self.list(since)?;
        let id = id.trim().to_ascii_lowercase();
        let group = groups
            .into_iter()
            .find(|g| g.id == id || g.members.contains(&id))
            .ok_or(QueueError::UnknownGroup(id))?;
        for member in &group.members {
            self.store.mark_question_group(member, state, by, now)?;
        }
        tracing::info!(group = %group.id, state = state.code(), by, "question group marked");
        Ok(Group { state, ..group })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requests::model::Channel;

    const KEY: &[u8] = b"a test key for feedback tokens";

    fn q(text: &str, outcome: QuestionOutcome, day: u8) -> LoggedQuestion {
        LoggedQuestion {
            day: time::Date::from_calendar_date(2026, time::Month::March, day).unwrap(),
            channel: Channel::Web,
            language: Language::En,
            outcome,
            text: text.to_string(),
            token: None,
            passages: Vec::new(),
            low_margin: false,
            vote: None,
        }
    }

    #[test]
    fn a_token_verifies_with_its_key_only_and_not_once_altered() {
        let token = FeedbackToken::issue(KEY);
        let text = token.to_string();
        assert_eq!(FeedbackToken::verify(KEY, &text), Some(token.clone()));
        assert_eq!(FeedbackToken::verify(b"another key", &text), None);
        let mut altered = text.clone().into_bytes();
        altered[0] = if altered[0] == b'a' { b'b' } else { b'a' };
        assert_eq!(
            FeedbackToken::verify(KEY, &String::from_utf8(altered).unwrap()),
            None,
            "a changed id must not verify"
        );
        assert_eq!(FeedbackToken::verify(KEY, token.id()), None, "unsigned id");
        assert_eq!(FeedbackToken::verify(KEY, "zz.zz"), None);
        assert_ne!(FeedbackToken::issue(KEY).id(), token.id(), "ids are random");
    }

    #[test]
    fn a_tokens_text_is_hex_only_so_it_carries_nothing_about_the_person() {
        let text = FeedbackToken::issue(KEY).to_string();
        assert_eq!(text.len(), ID_HEX + 1 + SIGNATURE_HEX);
        assert!(text.chars().all(|c| c.is_ascii_hexdigit() || c == '.'));
    }

    #[test]
    fn terms_ignore_case_accents_stop_words_and_plurals() {
        assert_eq!(
            terms("How do I get a Letter of Support?"),
            terms("letters support")
        );
        assert_eq!(terms("Une lettre d'appui?"), terms("lettre appui"));
        assert!(terms("what is the").is_empty());
    }

    #[test]
    fn near_duplicates_are_one_group_and_different_questions_are_not() {
        let log = vec![
            q(
                "How do I get a letter of support?",
                QuestionOutcome::Unanswered,
                1,
            ),
            q(
                "how to get a letter of support",
                QuestionOutcome::Unanswered,
                3,
            ),
            q(
                "Letter of support for my grant?",
                QuestionOutcome::Suggested,
                2,
            ),
            q("Where is parking?", QuestionOutcome::Unanswered, 4),
            q("What is the SPOR network?", QuestionOutcome::Answered, 5),
        ];
        let groups = group(&log, &HashMap::new());
        assert_eq!(groups.len(), 2, "{groups:#?}");
        assert_eq!(groups[0].count, 3, "the letter questions are merged");
        assert_eq!(groups[0].first_seen.day(), 1);
        assert_eq!(groups[0].last_seen.day(), 3);
        assert_eq!(groups[1].count, 1);
        assert!(groups[1].examples[0].contains("parking"));
        assert!(
            groups
                .iter()
                .all(|g| !g.examples.iter().any(|e| e.contains("SPOR"))),
            "a well answered question is not in the queue"
        );
    }

    #[test]
    fn unhelpful_votes_and_low_margins_enter_the_queue_helpful_votes_do_not() {
        let mut down = q("What is SPOR?", QuestionOutcome::Answered, 1);
        down.vote = Some(Vote::Unhelpful);
        let mut up = q("Who funds the Unit?", QuestionOutcome::Answered, 1);
        up.vote = Some(Vote::Helpful);
        let mut close = q(
            "Is there a training calendar?",
            QuestionOutcome::Answered,
            1,
        );
        close.low_margin = true;
        let groups = group(&[down, up, close], &HashMap::new());
        let reasons: Vec<Reason> = groups
            .iter()
            .flat_map(|g| g.reasons.keys().copied())
            .collect();
        assert_eq!(groups.len(), 2);
        assert!(reasons.contains(&Reason::Unhelpful) && reasons.contains(&Reason::LowMargin));
    }

    #[test]
    fn a_mark_on_any_wording_of_a_group_applies_to_the_group() {
        let log = vec![
            q("letter of support", QuestionOutcome::Unanswered, 1),
            q("a letter of support please", QuestionOutcome::Unanswered, 2),
        ];
        let id = group(&log, &HashMap::new())[0].id.clone();
        let marks = HashMap::from([(id.clone(), GroupState::OutOfScope)]);
        let groups = group(&log, &marks);
        assert_eq!(groups[0].state, GroupState::OutOfScope);
        assert_eq!(groups[0].id, id, "the id is stable");
    }

    #[test]
    fn the_csv_has_one_row_per_group_and_defuses_formulas() {
        let log = vec![q(
            "=HYPERLINK(\"x\") budget",
            QuestionOutcome::Unanswered,
            1,
        )];
        let csv = to_csv(&group(&log, &HashMap::new()));
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(
            lines[1].contains("\"'=HYPERLINK(\"\"x\"\") budget\""),
            "{csv}"
        );
    }

    #[test]
    fn states_read_the_clis_spellings() {
        assert_eq!(
            GroupState::parse("out-of-scope"),
            Some(GroupState::OutOfScope)
        );
        assert_eq!(GroupState::parse("ignore"), Some(GroupState::Ignored));
        assert_eq!(GroupState::parse("added"), Some(GroupState::Added));
        assert_eq!(GroupState::parse("done"), None);
        for s in GroupState::ALL {
            assert_eq!(GroupState::parse(s.code()), Some(s));
        }
    }
}
