//! The questions log's queries: reading it back, votes on answers, staff marks on question
//! wordings, and its purge.

use rusqlite::{params, Connection, OptionalExtension};

use super::rows::{corrupt, unknown};
use crate::language::Language;
use crate::questions::{GroupState, Vote, VoteOutcome};
use crate::requests::model::{Channel, Field, ModelError};
use crate::requests::{LoggedQuestion, QuestionOutcome, StoreError};

pub(super) fn since(
    conn: &Connection,
    since: time::Date,
) -> Result<Vec<LoggedQuestion>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT day, channel, language, outcome, text, token, passages, low_margin, vote
         FROM questions_log WHERE day >= ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([crate::db::format_day(since)], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, Option<String>>(5)?,
            r.get::<_, String>(6)?,
            r.get::<_, bool>(7)?,
            r.get::<_, Option<String>>(8)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (day, channel, language, outcome, text, token, passages, low_margin, vote) = row?;
        out.push(LoggedQuestion {
            day: crate::db::parse_day(&day).map_err(|e| corrupt("question day", e))?,
            channel: Channel::parse_code(&channel)
                .ok_or_else(|| unknown("question channel", &channel))?,
            language: match language.as_str() {
                "fr" => Language::Fr,
                "en" => Language::En,
                other => return Err(unknown("question language", other)),
            },
            outcome: QuestionOutcome::parse(&outcome)
                .ok_or_else(|| unknown("question outcome", &outcome))?,
            text,
            token,
            passages: passages
                .split('\n')
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect(),
            low_margin,
            vote: match vote {
                None => None,
                Some(v) => Some(Vote::parse(&v).ok_or_else(|| unknown("question vote", &v))?),
            },
        });
    }
    Ok(out)
}

pub(super) fn record_vote(
    conn: &Connection,
    token_id: &str,
    vote: Vote,
    at: &str,
) -> Result<VoteOutcome, StoreError> {
    let changed = conn.execute(
        "UPDATE questions_log SET vote = ?2, voted_at = ?3 WHERE token = ?1 AND vote IS NULL",
        params![token_id, vote.code(), at],
    )?;
    if changed > 0 {
        return Ok(VoteOutcome::Recorded);
    }
    let known = conn
        .query_row(
            "SELECT 1 FROM questions_log WHERE token = ?1",
            [token_id],
            |_| Ok(()),
        )
        .optional()?;
    Ok(match known {
        Some(()) => VoteOutcome::AlreadyRecorded,
        None => VoteOutcome::Unknown,
    })
}

pub(super) fn marks(conn: &Connection) -> Result<Vec<(String, GroupState)>, StoreError> {
    let mut stmt = conn.prepare("SELECT wording, state FROM question_marks")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(wording, state)| {
            let state =
                GroupState::parse(&state).ok_or_else(|| unknown("question mark", &state))?;
            Ok((wording, state))
        })
        .collect()
}

pub(super) fn mark(
    conn: &Connection,
    wording: &str,
    state: GroupState,
    by: &str,
    at: &str,
) -> Result<(), StoreError> {
    if wording.is_empty() || wording.len() > 64 {
        return Err(ModelError::Length {
            field: Field::QuestionGroup,
            min: 1,
            max: 64,
        }
        .into());
    }
    if state == GroupState::Open {
        conn.execute("DELETE FROM question_marks WHERE wording = ?1", [wording])?;
    } else {
        conn.execute(
            r#"INSERT INTO question_marks (wording, state, "by", at) VALUES (?1, ?2, ?3, ?4)
               ON CONFLICT (wording) DO UPDATE SET state = ?2, "by" = ?3, at = ?4"#,
            params![wording, state.code(), by, at],
        )?;
    }
    Ok(())
}

/// Deletes the questions logged before `before` (a day); returns how many.
pub(super) fn purge(conn: &Connection, before: time::Date) -> Result<usize, StoreError> {
    let purged = conn.execute(
        "DELETE FROM questions_log WHERE day < ?1",
        [crate::db::format_day(before)],
    )?;
    if purged > 0 {
        tracing::info!(purged, "questions past their retention period purged");
    }
    Ok(purged)
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::super::SqliteStore;
    use crate::language::Language;
    use crate::privacy::PersonalData;
    use crate::questions::{GroupState, Vote, VoteOutcome};
    use crate::requests::model::Channel;
    use crate::requests::{LoggedQuestion, QuestionOutcome, RequestStore};

    fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::TempDir::new().unwrap();
        let store = SqliteStore::open(&dir.path().join("requests.db")).unwrap();
        (dir, store)
    }

    fn answered(token: &str, at: time::OffsetDateTime) -> LoggedQuestion {
        let mut q = LoggedQuestion::new(
            "What is the SPOR network?",
            Channel::Web,
            Language::En,
            QuestionOutcome::Answered,
            at,
        );
        q.token = Some(token.into());
        q.passages = vec!["spor-network.en#about".into(), "spor.en".into()];
        q
    }

    #[test]
    fn questions_logged_from_many_threads_are_all_read_back_and_survive_a_reopening() {
        let (dir, store) = store();
        let at = datetime!(2026-03-02 10:00 UTC);
        let store = std::sync::Arc::new(store);
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let store = store.clone();
                std::thread::spawn(move || {
                    for i in 0..500 {
                        store
                            .log_question(&answered(&format!("t{t}-{i}"), at))
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        // Read at once: the read waits for the writer.
        assert_eq!(store.questions_since(at.date()).unwrap().len(), 2_000);
        assert_eq!(
            store.record_vote("t3-499", Vote::Helpful, at).unwrap(),
            VoteOutcome::Recorded,
            "the last row logged is there for its vote"
        );
        store.log_question(&answered("last", at)).unwrap();
        let path = store.path().to_path_buf();
        drop(store);
        // Dropping the store writes what was still queued.
        let reopened = SqliteStore::open(&path).unwrap();
        assert_eq!(reopened.questions_since(at.date()).unwrap().len(), 2_001);
        drop(dir);
    }

    #[test]
    fn a_vote_is_kept_once_with_the_question_and_its_passages() {
        let (_dir, store) = store();
        let at = datetime!(2026-03-02 10:00 UTC);
        store.log_question(&answered("t1", at)).unwrap();
        assert_eq!(
            store.record_vote("t1", Vote::Unhelpful, at).unwrap(),
            VoteOutcome::Recorded
        );
        assert_eq!(
            store.record_vote("t1", Vote::Helpful, at).unwrap(),
            VoteOutcome::AlreadyRecorded,
            "the second vote changes nothing"
        );
        assert_eq!(
            store.record_vote("nope", Vote::Helpful, at).unwrap(),
            VoteOutcome::Unknown
        );
        let logged = store.questions_since(at.date()).unwrap();
        assert_eq!(logged.len(), 1);
        assert_eq!(
            logged[0].vote,
            Some(Vote::Unhelpful),
            "the first vote stands"
        );
        assert_eq!(
            logged[0].passages,
            ["spor-network.en#about", "spor.en"],
            "the passages shown are kept"
        );
    }

    #[test]
    fn marks_are_set_changed_and_forgotten_by_reopening() {
        let (_dir, store) = store();
        let at = datetime!(2026-03-02 10:00 UTC);
        store
            .mark_question_group("abc", GroupState::Ignored, "ana", at)
            .unwrap();
        store
            .mark_question_group("abc", GroupState::Added, "ana", at)
            .unwrap();
        assert_eq!(
            store.question_marks().unwrap(),
            [("abc".to_string(), GroupState::Added)]
        );
        store
            .mark_question_group("abc", GroupState::Open, "ana", at)
            .unwrap();
        assert!(store.question_marks().unwrap().is_empty());
        assert!(store
            .mark_question_group("", GroupState::Added, "ana", at)
            .is_err());
    }

    #[test]
    fn the_purge_removes_questions_past_retention_and_keeps_recent_ones() {
        let (_dir, store) = store();
        let old = datetime!(2026-01-01 10:00 UTC);
        let recent = datetime!(2026-03-01 10:00 UTC);
        store.log_question(&answered("old", old)).unwrap();
        store.log_question(&answered("new", recent)).unwrap();
        let purged = store.purge(datetime!(2026-02-01 00:00 UTC)).unwrap();
        assert_eq!(purged, 1);
        let left = store.questions_since(old.date()).unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].token.as_deref(), Some("new"));
        assert_eq!(
            store.record_vote("old", Vote::Helpful, recent).unwrap(),
            VoteOutcome::Unknown,
            "a purged answer can no longer be voted on"
        );
    }

    #[test]
    fn the_feedback_key_is_random_per_database_and_stable_across_opens() {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("requests.db");
        let first = SqliteStore::open(&path).unwrap().feedback_key().unwrap();
        let again = SqliteStore::open(&path).unwrap().feedback_key().unwrap();
        let (_other_dir, other) = store();
        assert_eq!(first.len(), 32);
        assert_eq!(
            first, again,
            "links in old emails keep working after a restart"
        );
        assert_ne!(first, other.feedback_key().unwrap());
    }
}
