//! The questions log's writer. Every answered message adds a row, so rows are written by a
//! thread of their own, on a connection of their own, in batches: one transaction for all
//! the rows that arrived while the previous batch was being written. A message never waits
//! for a disk write nor for the request log's connection; under load the batches grow and
//! the cost per row falls. The queue is bounded: when the disk cannot keep up, messages
//! wait (back-pressure) rather than memory growing.
//!
//! Reads of the log wait first until everything sent before them is written
//! ([`LogWriter::flush`]), so a vote always finds the answer it is about. Dropping the
//! writer writes what is queued and stops the thread.

use std::path::Path;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;

use rusqlite::{params, Connection};

use crate::db::DbError;
use crate::requests::{LoggedQuestion, StoreError};

/// Rows (and flush requests) that may wait for the writer.
const QUEUE: usize = 4_096;
/// The most rows written in one transaction.
const BATCH: usize = 512;

enum Job {
    Log(Box<LoggedQuestion>),
    /// Answered once every job queued before it is done.
    Flush(mpsc::Sender<()>),
}

pub(super) struct LogWriter {
    jobs: Option<SyncSender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl LogWriter {
    /// Opens a connection to the database at `path` (already migrated) and starts the
    /// writer thread.
    pub(super) fn start(path: &Path) -> Result<LogWriter, StoreError> {
        let conn = crate::db::open(path)?;
        let (jobs, queue) = mpsc::sync_channel(QUEUE);
        let thread = std::thread::Builder::new()
            .name("questions-log".into())
            .spawn(move || run(conn, queue))
            .map_err(|source| DbError::Io {
                what: "starting the questions log writer",
                source,
            })?;
        Ok(LogWriter {
            jobs: Some(jobs),
            thread: Some(thread),
        })
    }

    /// Queues `question` for writing.
    pub(super) fn log(&self, question: &LoggedQuestion) -> Result<(), StoreError> {
        self.send(Job::Log(Box::new(question.clone())))
    }

    /// Waits until every row queued before this call is written (or failed, and logged).
    pub(super) fn flush(&self) -> Result<(), StoreError> {
        let (done, wait) = mpsc::channel();
        self.send(Job::Flush(done))?;
        wait.recv().map_err(|_| stopped())
    }

    fn send(&self, job: Job) -> Result<(), StoreError> {
        self.jobs
            .as_ref()
            .ok_or_else(stopped)?
            .send(job)
            .map_err(|_| stopped())
    }
}

impl Drop for LogWriter {
    fn drop(&mut self) {
        // Closing the queue ends the thread once it has written what is queued.
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn stopped() -> StoreError {
    DbError::Io {
        what: "writing the questions log",
        source: std::io::Error::other("the questions log writer stopped"),
    }
    .into()
}

fn run(mut conn: Connection, queue: Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut rows = Vec::new();
        let mut waiting = Vec::new();
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Log(row) => rows.push(row),
                Job::Flush(done) => waiting.push(done),
            }
            if rows.len() < BATCH {
                next = queue.try_recv().ok();
            }
        }
        if !rows.is_empty() {
            if let Err(e) = write(&mut conn, &rows) {
                // The log is for staff statistics: a failure must not cost anyone an answer.
                tracing::warn!(error = %e, rows = rows.len(), "could not add questions to the questions log");
            }
        }
        for done in waiting {
            let _ = done.send(());
        }
    }
}

fn write(conn: &mut Connection, rows: &[Box<LoggedQuestion>]) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO questions_log
                (day, channel, language, outcome, text, token, passages, low_margin, vote)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for q in rows {
            insert.execute(params![
                crate::db::format_day(q.day),
                q.channel.code(),
                q.language.code(),
                q.outcome.code(),
                q.text,
                q.token,
                q.passages.join("\n"),
                q.low_margin,
                q.vote.map(crate::questions::Vote::code),
            ])?;
        }
    }
    tx.commit()
}
