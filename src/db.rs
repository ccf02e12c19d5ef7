//! The one SQLite file every table lives in (requests, conversations, the mail ledger):
//! opening it the same way for everyone (its folder, owner-only permissions, WAL, one busy
//! timeout, secure deletion) and applying each family of tables' migrations exactly once;
//! and the one form every time stored in it takes ([`format_time`], [`parse_time`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, TransactionBehavior};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// How long a statement waits for another connection or process holding the file.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the database could not be opened or brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot create the folder {path}")]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open {path}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "the {family} tables have schema version {found}, newer than this guichet knows \
         ({known}); upgrade guichet"
    )]
    TooNew {
        family: &'static str,
        found: i64,
        known: i64,
    },
    #[error("migration {version} of the {family} tables")]
    Migration {
        family: &'static str,
        version: i64,
        #[source]
        source: rusqlite::Error,
    },
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// A stored value guichet could not have written (the file was edited or damaged).
    #[error("unreadable {what} in the database")]
    Unreadable {
        what: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A value could not be written as JSON for its column.
    #[error("cannot write {what} as JSON")]
    Json {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// The blocking task that used the database did not finish (it panicked, or the
    /// runtime is shutting down).
    #[error("the database task stopped")]
    Task(#[from] tokio::task::JoinError),
    /// A thread that writes to the database could not start or has stopped.
    #[error("{what}")]
    Io {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
}

impl DbError {
    /// A stored `what` that cannot be read back, and why.
    pub fn unreadable(
        what: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> DbError {
        DbError::Unreadable {
            what: what.into(),
            source: source.into(),
        }
    }

    /// This error and its causes on one line, for the logs.
    pub fn detail(&self) -> String {
        let mut text = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            let cause_text = cause.to_string();
            // `transparent` variants repeat their source's text.
            if !text.ends_with(&cause_text) {
                text.push_str(": ");
                text.push_str(&cause_text);
            }
            source = cause.source();
        }
        text
    }
}

/// A stored code or text that is none of the values guichet writes.
#[derive(Debug, thiserror::Error)]
#[error("unknown value {0:?}")]
pub struct UnknownValue(pub String);

/// Formats a time the way every table stores it: RFC 3339 in UTC with all nine
/// fractional digits (`2026-03-01T14:05:12.500000000Z`). Unlike the shortest RFC 3339
/// form, it sorts as text, so `ORDER BY created_at` and `at < ?` compare instants.
/// Times outside the years 0 to 9999 do not sort; the request store refuses them first
/// (see `requests::model::check_time`).
pub fn format_time(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.nanosecond()
    )
}

/// Formats a day (the questions log keeps the day only, not the time): `2026-03-01`, the
/// date part of [`format_time`]'s form, so it sorts as text too.
pub fn format_day(day: time::Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    )
}

/// Reads a day written by [`format_day`].
pub fn parse_day(text: &str) -> Result<time::Date, time::error::Parse> {
    time::Date::parse(
        text.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
}

/// Reads a stored time: the form [`format_time`] writes, and any other RFC 3339 time
/// (older versions wrote the migration tables' `applied_at` in the shortest form).
pub fn parse_time(text: &str) -> Result<OffsetDateTime, time::error::Parse> {
    OffsetDateTime::parse(text.trim(), &Rfc3339)
}

/// Opens (creating it and its folder if needed) the database at `path`. A new file is
/// made readable by its owner only: it holds personal data. Erased rows are overwritten
/// with zeros (`secure_delete`), so an erasure leaves nothing in free pages.
pub fn open(path: &Path) -> Result<Connection, DbError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| DbError::Folder {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let is_new = !path.exists();
    let conn = Connection::open(path).map_err(|source| DbError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    if is_new {
        restrict_permissions(path);
    }
    // Set first, so that switching to WAL and migrating wait for another process holding
    // the file instead of failing at once.
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(path = %path.display(), mode, "SQLite refused WAL journaling");
    }
    conn.execute_batch(
        "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;",
    )?;
    Ok(conn)
}

/// Applies the `migrations` of one family of tables not yet recorded in `versions` (a
/// table of its own), each in its own transaction. Never edit a shipped migration: add one.
pub fn migrate(
    conn: &mut Connection,
    family: &'static str,
    versions: &'static str,
    migrations: &[&str],
) -> Result<(), DbError> {
    conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {versions} (
            version INTEGER PRIMARY KEY,
            applied_at TEXT NOT NULL
        )"
    ))?;
    let known = migrations.len() as i64;
    let found: i64 = conn.query_row(
        &format!("SELECT COALESCE(MAX(version), 0) FROM {versions}"),
        [],
        |row| row.get(0),
    )?;
    if found > known {
        return Err(DbError::TooNew {
            family,
            found,
            known,
        });
    }
    for (index, sql) in migrations.iter().enumerate() {
        let version = index as i64 + 1;
        if version <= found {
            continue;
        }
        // Checked again inside the transaction, so two processes opening a fresh file at
        // once cannot both apply the same migration.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let applied: bool = tx.query_row(
            &format!("SELECT EXISTS (SELECT 1 FROM {versions} WHERE version = ?1)"),
            [version],
            |row| row.get(0),
        )?;
        if applied {
            continue;
        }
        tx.execute_batch(sql).map_err(|source| DbError::Migration {
            family,
            version,
            source,
        })?;
        tx.execute(
            &format!("INSERT INTO {versions} (version, applied_at) VALUES (?1, ?2)"),
            params![version, format_time(OffsetDateTime::now_utc())],
        )?;
        tx.commit()?;
        tracing::info!(family, version, "database migrated");
    }
    Ok(())
}

/// Copies what the WAL holds into the main file and empties the WAL: after an erasure,
/// the WAL still holds the pages as they were before.
pub fn checkpoint(conn: &Connection) {
    if let Err(error) = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)") {
        tracing::warn!(%error, "cannot checkpoint the database after an erasure");
    }
}

#[cfg(unix)]
fn restrict_permissions(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Err(error) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
        tracing::warn!(path = %path.display(), %error, "cannot restrict the database's permissions");
    }
}

#[cfg(not(unix))]
fn restrict_permissions(_path: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_once_per_family_and_a_newer_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("db.sqlite3");
        let mut conn = open(&path).unwrap();
        let a = [
            "CREATE TABLE a1 (x INTEGER) STRICT;",
            "CREATE TABLE a2 (x INTEGER) STRICT;",
        ];
        migrate(&mut conn, "a", "a_versions", &a).unwrap();
        migrate(&mut conn, "a", "a_versions", &a).unwrap();
        migrate(
            &mut conn,
            "b",
            "b_versions",
            &["CREATE TABLE b1 (x INTEGER);"],
        )
        .unwrap();
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM a_versions", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2);
        let e = migrate(&mut conn, "a", "a_versions", &a[..1]).unwrap_err();
        assert!(
            matches!(
                e,
                DbError::TooNew {
                    found: 2,
                    known: 1,
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("upgrade guichet"));
        let bad = migrate(&mut conn, "c", "c_versions", &["CREATE TABLE"]).unwrap_err();
        assert!(
            matches!(bad, DbError::Migration { version: 1, .. }),
            "{bad}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "owner only: {mode:o}");
        }
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let secure: i64 = conn
            .query_row("PRAGMA secure_delete", [], |r| r.get(0))
            .unwrap();
        assert_eq!(secure, 1);
        let applied: String = conn
            .query_row(
                "SELECT applied_at FROM a_versions WHERE version = 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        parse_time(&applied).expect("applied_at in the stored form");
        assert_eq!(
            applied.len(),
            "2026-03-01T14:05:12.500000000Z".len(),
            "{applied}"
        );
    }

    #[test]
    fn stored_times_have_one_form_that_sorts_as_text_and_older_forms_still_read() {
        use time::macros::datetime;
        let at = datetime!(2026-03-01 09:05:12.5 -05:00);
        assert_eq!(format_time(at), "2026-03-01T14:05:12.500000000Z");
        assert_eq!(parse_time(&format_time(at)).unwrap(), at);
        let whole = datetime!(2026-03-01 14:05:12 UTC);
        assert_eq!(format_time(whole), "2026-03-01T14:05:12.000000000Z");
        // The shortest RFC 3339 form puts `12.25Z` before `12Z` as text, though it is
        // later; the stored form sorts as the instants do.
        let earlier = datetime!(2026-03-01 14:05:12.25 UTC);
        assert!(format_time(earlier) < format_time(at));
        assert!(format_time(whole) < format_time(earlier));
        // What older versions wrote: the shortest form, and other offsets.
        for (text, expected) in [
            ("2026-03-01T14:05:12.5Z", at),
            ("2026-03-01T14:05:12Z", whole),
            (
                "2026-03-01T10:05:12+04:00",
                datetime!(2026-03-01 06:05:12 UTC),
            ),
        ] {
            assert_eq!(parse_time(text).unwrap(), expected, "{text}");
        }
        assert!(parse_time("2026-03-01 14:05:12").is_err());
        let day = at.to_offset(UtcOffset::UTC).date();
        assert_eq!(format_day(day), "2026-03-01");
        assert!(format_time(at).starts_with(&format_day(day)));
        assert_eq!(parse_day("2026-03-01").unwrap(), day);
        assert!(parse_day("2026-3-1").is_err());
        assert!(parse_time("1772373912").is_err());
    }

    #[test]
    fn every_time_column_of_every_family_is_stored_in_the_one_form() {
        use crate::mail::ledger::{Decision, Ledger, Outcome};
        use crate::requests::{RequestDesk, RequestStore, SqliteStore, StoredConversation};
        use std::sync::Arc;
        use time::macros::datetime;

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("guichet.sqlite3");
        let store = Arc::new(SqliteStore::open(&path).unwrap());
        let ledger = Ledger::open(&path).unwrap();
        // An instant whose shortest RFC 3339 form has fractional digits to drop.
        let at = datetime!(2026-03-01 09:05:12.5 -05:00);
        let request = store
            .create_request(
                crate::requests::NewRequest {
                    channel: crate::requests::Channel::Web,
                    requester_name: "Jane".into(),
                    requester_email: crate::requests::Email::parse("jane@x.ca").unwrap(),
                    requester_handle: None,
                    organization: String::new(),
                    request_type: crate::requests::RequestType::LetterOfSupport,
                    description: "Une lettre d'appui.".into(),
                    language: crate::language::Language::Fr,
                    transcript: vec![],
                    attachments: vec![],
                },
                at,
            )
            .unwrap();
        RequestDesk::new(store.clone())
            .add_note(&request.reference, "Relancer", "Marie", at)
            .unwrap();
        store
            .save_conversation(&StoredConversation {
                key: "web:1".into(),
                channel: crate::requests::Channel::Web,
                contact_email: None,
                state: serde_json::json!({}),
                created_at: at,
                updated_at: at,
            })
            .unwrap();
        let decision = Decision::silent("mid:a@x", None, Outcome::Ignored, String::new());
        ledger.record(&decision, at).unwrap();

        let conn = open(&path).unwrap();
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut seen = Vec::new();
        for table in &tables {
            let columns: Vec<String> = conn
                .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            for column in columns.iter().filter(|c| *c == "at" || c.ends_with("_at")) {
                let values: Vec<String> = conn
                    .prepare(&format!(
                        r#"SELECT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL"#
                    ))
                    .unwrap()
                    .query_map([], |r| r.get(0))
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap();
                for value in values {
                    let parsed = parse_time(&value).unwrap_or_else(|e| {
                        panic!("{table}.{column} = {value:?} is not a time: {e}")
                    });
                    assert_eq!(format_time(parsed), value, "{table}.{column}");
                    seen.push(format!("{table}.{column}"));
                }
            }
        }
        for column in [
            "requests.created_at",
            "audit_events.at",
            "staff_notes.at",
            "conversations.updated_at",
            "schema_migrations.applied_at",
            "mail_messages.received_at",
            "mail_schema_migrations.applied_at",
        ] {
            assert!(
                seen.iter().any(|s| s == column),
                "{column} was checked: {seen:?}"
            );
        }
        let stored: String = conn
            .query_row("SELECT created_at FROM requests", [], |r| r.get(0))
            .unwrap();
        assert_eq!(stored, "2026-03-01T14:05:12.500000000Z");
    }

    #[test]
    fn a_database_error_tells_its_causes_on_one_line() {
        let e = DbError::unreadable("audit kind", UnknownValue("bogus".into()));
        assert_eq!(
            e.detail(),
            "unreadable audit kind in the database: unknown value \"bogus\""
        );
        let sqlite = DbError::from(rusqlite::Error::InvalidQuery);
        assert_eq!(sqlite.detail(), sqlite.to_string(), "no repeated text");
    }
}
