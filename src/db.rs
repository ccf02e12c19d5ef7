//! The one SQLite file every table lives in (requests, conversations, the mail ledger):
//! opening it the same way for everyone (its folder, owner-only permissions, WAL, one busy
//! timeout, secure deletion) and applying each family of tables' migrations exactly once.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, TransactionBehavior};

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
            params![
                version,
                time::OffsetDateTime::now_utc()
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default()
            ],
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
    }
}
