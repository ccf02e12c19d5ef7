//! Keeping guichet's own IMAP folders (done, sent, quarantine — never the inbox): the
//! erasures queued in the ledger and the removal of mail past the retention period.

use std::time::{Duration, Instant};

use async_imap::Session;
use futures_util::StreamExt;
use time::OffsetDateTime;

use super::{blocking, step, ImapSettings, Memory, Stream};
use crate::mail::ledger::{Digested, Ledger, MailboxErasures};
use crate::mail::process::Processor;
use crate::mail::MailError;

/// How often the folders are purged of mail past the retention period.
const RETENTION_EVERY: Duration = Duration::from_secs(3600);
/// How long a folder task the server refused (an erasure, a purge) waits to be tried again.
const REFUSED_RETRY: Duration = Duration::from_secs(300);
/// At most this many UIDs in one STORE or EXPUNGE command.
const UID_CHUNK: usize = 500;

/// Keeps guichet's folders between two waits: does the queued erasures, and every
/// [`RETENTION_EVERY`] removes the mail past the retention period. A task the server
/// refuses (NO, BAD) is logged and tried again later; it never stops the mail from being
/// read.
pub(super) async fn keep_folders(
    session: &mut Session<Stream>,
    settings: &ImapSettings,
    processor: &Processor,
    uidplus: bool,
    memory: &mut Memory,
) -> Result<(), MailError> {
    if memory
        .erasure_not_before
        .is_none_or(|t| Instant::now() >= t)
    {
        let ledger = processor.ledger().clone();
        let queued = blocking(move || ledger.mailbox_erasures()).await??;
        if !queued.ids.is_empty() {
            match erase_everywhere(session, settings, processor.ledger(), &queued, uidplus).await {
                Ok(removed) => {
                    let ledger = processor.ledger().clone();
                    let ids = queued.ids.clone();
                    blocking(move || ledger.mailbox_erasures_done(&ids)).await??;
                    memory.erasure_not_before = None;
                    // Counts only: the address is what was erased.
                    tracing::info!(
                        erasures = queued.ids.len(),
                        answered = removed[0],
                        sent = removed[1],
                        quarantine = removed[2],
                        "erased a person's mail from guichet's folders"
                    );
                }
                Err(e) if refused(&e) => {
                    tracing::warn!(error = %e, "the IMAP server refused an erasure in guichet's folders; trying again later");
                    memory.erasure_not_before = Some(Instant::now() + REFUSED_RETRY);
                }
                Err(e) => return Err(e),
            }
        }
    }
    if memory
        .last_retention
        .is_none_or(|t| t.elapsed() >= RETENTION_EVERY)
    {
        let before = OffsetDateTime::now_utc() - settings.retention;
        match purge_folders(session, settings, before, uidplus).await {
            Ok(removed) => {
                if removed.iter().any(|&n| n > 0) {
                    tracing::info!(
                        answered = removed[0],
                        sent = removed[1],
                        quarantine = removed[2],
                        before = %imap_date(before),
                        "removed the mail past the retention period from guichet's folders"
                    );
                }
            }
            Err(e) if refused(&e) => {
                tracing::warn!(error = %e, "the IMAP server refused to remove old mail from guichet's folders; trying again later")
            }
            Err(e) => return Err(e),
        }
        memory.last_retention = Some(Instant::now());
    }
    Ok(())
}

/// The server said NO or BAD: the connection is fine, the command was refused.
fn refused(e: &MailError) -> bool {
    matches!(
        e,
        MailError::Imap(async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_))
    )
}

/// guichet's folders, in the order counts are given: done, sent, quarantine.
fn own_folders(settings: &ImapSettings) -> [&str; 3] {
    [
        &settings.done_folder,
        &settings.sent_folder,
        &settings.quarantine_folder,
    ]
}

/// Removes from guichet's folders every message from, to or about the people of
/// `erasures` (an address in From, Sender, Reply-To, To or Cc, or a Message-ID guichet
/// sent them, whose digest is queued); returns how many went from each folder.
async fn erase_everywhere(
    session: &mut Session<Stream>,
    settings: &ImapSettings,
    ledger: &Ledger,
    erasures: &MailboxErasures,
    uidplus: bool,
) -> Result<[usize; 3], MailError> {
    let mut removed = [0; 3];
    for (i, folder) in own_folders(settings).into_iter().enumerate() {
        let mailbox = step("opening a folder", session.select(folder)).await?;
        if mailbox.exists == 0 {
            continue;
        }
        let doomed = step("reading a folder's senders and recipients", async {
            let mut doomed = Vec::new();
            let mut fetches = session
                .uid_fetch(
                    "1:*",
                    "(UID BODY.PEEK[HEADER.FIELDS (FROM SENDER REPLY-TO TO CC MESSAGE-ID)])",
                )
                .await?;
            while let Some(fetch) = fetches.next().await {
                let fetch = fetch?;
                let (Some(uid), Some(header)) = (fetch.uid, fetch.header()) else {
                    continue;
                };
                let (people, id) = crate::mail::parse::participants(header);
                let named = people
                    .iter()
                    .map(|a| ledger.mailbox_digest(Digested::Address(a)))
                    .chain(id.map(|id| ledger.mailbox_digest(Digested::MessageId(&id))))
                    .any(|digest| erasures.digests.contains(&digest));
                if named {
                    doomed.push(uid);
                }
            }
            Ok::<_, MailError>(doomed)
        })
        .await?;
        removed[i] = delete(session, &doomed, uidplus).await?;
    }
    Ok(removed)
}

/// Removes from guichet's folders the messages that arrived before the day of `before`;
/// returns how many went from each folder. The quarantine folder too: staff who need a
/// message longer move it elsewhere.
async fn purge_folders(
    session: &mut Session<Stream>,
    settings: &ImapSettings,
    before: OffsetDateTime,
    uidplus: bool,
) -> Result<[usize; 3], MailError> {
    let mut removed = [0; 3];
    let query = format!("BEFORE {}", imap_date(before));
    for (i, folder) in own_folders(settings).into_iter().enumerate() {
        let mailbox = step("opening a folder", session.select(folder)).await?;
        if mailbox.exists == 0 {
            continue;
        }
        let old: Vec<u32> = step(
            "searching a folder for old mail",
            session.uid_search(&query),
        )
        .await?
        .into_iter()
        .collect();
        removed[i] = delete(session, &old, uidplus).await?;
    }
    Ok(removed)
}

/// `at`'s day as IMAP writes dates: `7-Mar-2026`.
fn imap_date(at: OffsetDateTime) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{}-{}-{}",
        at.day(),
        MONTHS[usize::from(u8::from(at.month())) - 1],
        at.year()
    )
}

/// Deletes the messages `uids` of the selected folder (`\Deleted`, then UID EXPUNGE, or
/// EXPUNGE when the server has no UIDPLUS); returns how many.
async fn delete(
    session: &mut Session<Stream>,
    uids: &[u32],
    uidplus: bool,
) -> Result<usize, MailError> {
    for chunk in uids.chunks(UID_CHUNK) {
        let set = chunk
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        step("flagging messages deleted", async {
            let updates = session.uid_store(&set, "+FLAGS.SILENT (\\Deleted)").await?;
            updates.collect::<Vec<_>>().await;
            Ok::<_, async_imap::error::Error>(())
        })
        .await?;
        if uidplus {
            step("expunging", async {
                let gone = session.uid_expunge(&set).await?;
                gone.collect::<Vec<_>>().await;
                Ok::<_, async_imap::error::Error>(())
            })
            .await?;
        }
    }
    if !uids.is_empty() && !uidplus {
        step("expunging", async {
            let gone = session.expunge().await?;
            gone.collect::<Vec<_>>().await;
            Ok::<_, async_imap::error::Error>(())
        })
        .await?;
    }
    Ok(uids.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_the_imap_way() {
        let at = time::macros::datetime!(2026-03-07 23:30 -05:00);
        assert_eq!(imap_date(at), "8-Mar-2026", "in UTC");
        let at = time::macros::datetime!(2025-12-31 10:00 UTC);
        assert_eq!(imap_date(at), "31-Dec-2025");
    }
}
