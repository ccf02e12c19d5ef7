//! The request log's tables.

/// The schema, one migration per string, applied in order and each exactly once (recorded
/// in `schema_migrations`). To change the schema, append a string; never edit one that
/// has shipped.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: requests, their notes and history, conversations, and the erasure log.
    r#"
    CREATE TABLE requests (
        reference TEXT PRIMARY KEY NOT NULL,
        year INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        channel TEXT NOT NULL,
        requester_name TEXT NOT NULL,
        requester_email TEXT NOT NULL,
        requester_handle TEXT,
        organization TEXT NOT NULL,
        request_type TEXT NOT NULL,
        description TEXT NOT NULL,
        language TEXT NOT NULL,
        transcript TEXT NOT NULL,
        attachments TEXT NOT NULL,
        status TEXT NOT NULL,
        closed_reason TEXT,
        assignee TEXT,
        UNIQUE (year, seq)
    ) STRICT;
    CREATE INDEX requests_status ON requests (status);
    CREATE INDEX requests_requester_email ON requests (requester_email);
    CREATE INDEX requests_created_at ON requests (created_at);

    -- The last number handed out each year. Numbers must never be reused, even after an
    -- erasure removed the newest request: an old email quoting [SSA-2026-00042] must not
    -- land on somebody else's request.
    CREATE TABLE request_sequences (
        year INTEGER PRIMARY KEY NOT NULL,
        last_seq INTEGER NOT NULL
    ) STRICT;

    CREATE TABLE staff_notes (
        id INTEGER PRIMARY KEY,
        reference TEXT NOT NULL REFERENCES requests (reference) ON DELETE CASCADE,
        at TEXT NOT NULL,
        "by" TEXT NOT NULL,
        text TEXT NOT NULL
    ) STRICT;
    CREATE INDEX staff_notes_reference ON staff_notes (reference, id);

    CREATE TABLE audit_events (
        id INTEGER PRIMARY KEY,
        reference TEXT NOT NULL REFERENCES requests (reference) ON DELETE CASCADE,
        at TEXT NOT NULL,
        "by" TEXT NOT NULL,
        kind TEXT NOT NULL,
        from_value TEXT,
        to_value TEXT,
        note TEXT
    ) STRICT;
    CREATE INDEX audit_events_reference ON audit_events (reference, id);

    CREATE TABLE conversations (
        "key" TEXT PRIMARY KEY NOT NULL,
        channel TEXT NOT NULL,
        contact_email TEXT,
        state TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX conversations_updated_at ON conversations (updated_at);

    -- Proof that erasures happened, for the privacy officer; no personal data.
    CREATE TABLE erasures (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        "by" TEXT NOT NULL,
        requests INTEGER NOT NULL,
        conversations INTEGER NOT NULL
    ) STRICT;
    "#,
    // 2: the message a request came from (an email's id), so a message handled twice (after
    // a crash) never logs two requests.
    r#"
    CREATE TABLE request_origins (
        origin TEXT PRIMARY KEY NOT NULL,
        reference TEXT NOT NULL
    ) STRICT;
    CREATE TRIGGER request_origins_follow_erasures AFTER DELETE ON requests BEGIN
        DELETE FROM request_origins WHERE reference = old.reference;
    END;
    "#,
    // 3: the questions people ask, anonymised (the day only, no conversation, no sender;
    // addresses and phone numbers removed from the text), so staff see what is asked
    // without keeping who asked.
    r#"
    CREATE TABLE questions_log (
        id INTEGER PRIMARY KEY,
        day TEXT NOT NULL,
        channel TEXT NOT NULL,
        language TEXT NOT NULL,
        outcome TEXT NOT NULL,
        text TEXT NOT NULL
    ) STRICT;
    CREATE INDEX questions_log_day ON questions_log (day);
    "#,
    // 4: answer feedback and the questions queue. Each answered question keeps the id of
    // the feedback token handed out with it, the passages shown, whether it was answered
    // with a low margin, and the vote (once). Staff marks on question wordings. The key
    // that signs feedback tokens is made here, random, and stays in this owner-only file.
    r#"
    ALTER TABLE questions_log ADD COLUMN token TEXT;
    ALTER TABLE questions_log ADD COLUMN passages TEXT NOT NULL DEFAULT '';
    ALTER TABLE questions_log ADD COLUMN low_margin INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE questions_log ADD COLUMN vote TEXT;
    ALTER TABLE questions_log ADD COLUMN voted_at TEXT;
    CREATE UNIQUE INDEX questions_log_token ON questions_log (token) WHERE token IS NOT NULL;
    CREATE TABLE question_marks (
        wording TEXT PRIMARY KEY NOT NULL,
        state TEXT NOT NULL,
        "by" TEXT NOT NULL,
        at TEXT NOT NULL
    ) STRICT;
    CREATE TABLE feedback_key (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        "key" BLOB NOT NULL
    ) STRICT;
    INSERT INTO feedback_key (id, "key") VALUES (1, randomblob(32));
    "#,
];
