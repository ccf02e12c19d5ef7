//! Personal data in the ledger: forgetting an address or what is past the retention
//! period, and the queue of erasures the running channel still has to do in guichet's
//! mail folders (kept as keyed digests, never as the address).

use hmac::{Hmac, Mac};
use rusqlite::{params, TransactionBehavior};
use sha2::Sha256;
use time::OffsetDateTime;

use super::{Ledger, LedgerError};
use crate::db::format_time;

/// Erasures waiting to be done in guichet's mail folders.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailboxErasures {
    /// The erasures (their ids), to mark done.
    pub ids: Vec<i64>,
    /// The digests to look for (see [`Ledger::mailbox_digest`]).
    pub digests: std::collections::HashSet<String>,
}

/// What [`Ledger::mailbox_digest`] digests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Digested<'a> {
    /// An address (lowercased and trimmed before digesting).
    Address(&'a str),
    /// A Message-ID, without `<` `>`.
    MessageId(&'a str),
}

impl Ledger {
    /// The keyed digest under which an erasure names an address or a Message-ID (hex).
    pub fn mailbox_digest(&self, what: Digested<'_>) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.erasure_key)
            .expect("HMAC takes a key of any length");
        match what {
            Digested::Address(a) => {
                mac.update(b"address\0");
                mac.update(a.trim().to_lowercase().as_bytes());
            }
            Digested::MessageId(id) => {
                mac.update(b"message-id\0");
                mac.update(id.trim().as_bytes());
            }
        }
        crate::text::hex(&mac.finalize().into_bytes())
    }

    /// Whether an erasure waits to be done in the mail folders.
    pub fn has_mailbox_erasures(&self) -> Result<bool, LedgerError> {
        let n: i64 =
            self.lock()
                .query_row("SELECT COUNT(*) FROM mail_mailbox_erasures", [], |r| {
                    r.get(0)
                })?;
        Ok(n > 0)
    }

    /// The erasures waiting to be done in the mail folders (none: empty).
    pub fn mailbox_erasures(&self) -> Result<MailboxErasures, LedgerError> {
        let conn = self.lock();
        let mut erasures = MailboxErasures::default();
        let mut stmt = conn.prepare_cached("SELECT id FROM mail_mailbox_erasures ORDER BY id")?;
        for id in stmt.query_map([], |r| r.get::<_, i64>(0))? {
            erasures.ids.push(id?);
        }
        let mut stmt = conn.prepare_cached(
            "SELECT d.digest FROM mail_mailbox_erasure_digests d
             JOIN mail_mailbox_erasures e ON e.id = d.erasure",
        )?;
        for digest in stmt.query_map([], |r| r.get::<_, String>(0))? {
            erasures.digests.insert(digest?);
        }
        Ok(erasures)
    }

    /// The erasures `ids` were done in every mail folder: forget them.
    pub fn mailbox_erasures_done(&self, ids: &[i64]) -> Result<(), LedgerError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for id in ids {
            tx.execute(
                "DELETE FROM mail_mailbox_erasure_digests WHERE erasure = ?1",
                [id],
            )?;
            tx.execute("DELETE FROM mail_mailbox_erasures WHERE id = ?1", [id])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Forgets the personal data older than `before`: unconfirmed inquiries, thread
    /// participants, sent emails and the senders of old messages (their fingerprints stay,
    /// so a message is still never answered twice). Returns the inquiries erased.
    pub fn purge_older(&self, before: OffsetDateTime) -> Result<usize, LedgerError> {
        let before = format_time(before);
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx.execute(
            "DELETE FROM mail_inquiries WHERE created_at < ?1",
            [&before],
        )?;
        tx.execute("DELETE FROM mail_threads WHERE created_at < ?1", [&before])?;
        tx.execute(
            "DELETE FROM mail_outbox WHERE state IN ('sent', 'failed') AND created_at < ?1",
            [&before],
        )?;
        tx.execute(
            "UPDATE mail_messages SET sender = NULL WHERE received_at < ?1 AND sender IS NOT NULL",
            [&before],
        )?;
        // A mailbox erasure older than the retention period is moot: the running channel
        // removes everything older from the folders. (It keeps no address either way.)
        tx.execute(
            "DELETE FROM mail_mailbox_erasure_digests WHERE erasure IN
                 (SELECT id FROM mail_mailbox_erasures WHERE queued_at < ?1)",
            [&before],
        )?;
        tx.execute(
            "DELETE FROM mail_mailbox_erasures WHERE queued_at < ?1",
            [&before],
        )?;
        tx.commit()?;
        Ok(n)
    }

    /// Erases everything kept about `address` (lowercased); returns the rows removed. The
    /// same transaction queues the erasure of the person's mail from guichet's folders
    /// (their address and the Message-IDs of the emails sent to or about them, as digests),
    /// which the running channel does (see [`Ledger::mailbox_erasures`]).
    pub fn erase_address(&self, address: &str) -> Result<usize, LedgerError> {
        self.erase_address_at(address, OffsetDateTime::now_utc())
    }

    fn erase_address_at(&self, address: &str, now: OffsetDateTime) -> Result<usize, LedgerError> {
        let address = address.trim().to_lowercase();
        let mut digests = vec![self.mailbox_digest(Digested::Address(&address))];
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut ids: Vec<String> = Vec::new();
            let mut stmt = tx.prepare(
                "SELECT message_id FROM mail_outbox WHERE recipient = ?1 OR about = ?1
                 UNION SELECT message_id FROM mail_threads WHERE participant = ?1",
            )?;
            for id in stmt.query_map([&address], |r| r.get::<_, String>(0))? {
                ids.push(id?);
            }
            digests.extend(
                ids.iter()
                    .map(|id| self.mailbox_digest(Digested::MessageId(id))),
            );
        }
        tx.execute(
            "INSERT INTO mail_mailbox_erasures (queued_at) VALUES (?1)",
            [format_time(now)],
        )?;
        let erasure = tx.last_insert_rowid();
        for digest in &digests {
            tx.execute(
                "INSERT INTO mail_mailbox_erasure_digests (erasure, digest) VALUES (?1, ?2)",
                params![erasure, digest],
            )?;
        }
        let mut n = tx.execute("DELETE FROM mail_inquiries WHERE sender = ?1", [&address])?;
        n += tx.execute(
            "DELETE FROM mail_threads WHERE participant = ?1",
            [&address],
        )?;
        // Pending emails too: nothing is sent to, or about, an erased person.
        n += tx.execute(
            "DELETE FROM mail_outbox WHERE recipient = ?1 OR about = ?1",
            [&address],
        )?;
        n += tx.execute(
            "UPDATE mail_messages SET sender = NULL WHERE sender = ?1",
            [&address],
        )?;
        tx.commit()?;
        // The WAL still holds the pages as they were before: copy the change into the
        // main file and empty it.
        crate::db::checkpoint(&conn);
        Ok(n)
    }
}

/// The mail channel's part of an erasure or a purge (see [`crate::privacy`]).
impl crate::privacy::PersonalData for Ledger {
    fn holder(&self) -> &'static str {
        "mail ledger"
    }

    fn erase(
        &self,
        email: &crate::requests::model::Email,
        _by: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<(&'static str, usize)>, crate::privacy::PrivacyError> {
        let n = self
            .erase_address_at(email.as_str(), now)
            .map_err(|e| crate::privacy::PrivacyError::new("mail ledger", e))?;
        // The mail folders are the running channel's to clean: it is queued, not done.
        Ok(vec![("mail record", n), ("queued mailbox erasure", 1)])
    }

    fn purge(&self, before: OffsetDateTime) -> Result<usize, crate::privacy::PrivacyError> {
        self.purge_older(before)
            .map_err(|e| crate::privacy::PrivacyError::new("mail ledger", e))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{ledger, reply};
    use super::super::*;

    #[test]
    fn inquiries_are_kept_confirmed_purged_and_erased() {
        let (_d, l) = ledger();
        let now = OffsetDateTime::now_utc();
        let mut d = Decision::silent(
            "mid:c@x",
            Some("carol@x.org".into()),
            Outcome::NoAnswer,
            String::new(),
        );
        d.inquiry = Some(PendingInquiry {
            thread: "t3".into(),
            sender: "carol@x.org".into(),
            name: Some("Carol".into()),
            subject: "Lettre d'appui".into(),
            text: "Pouvez-vous nous aider ?".into(),
            lang: Language::Fr,
            attachments: vec!["plan.pdf".into()],
            request: None,
        });
        l.record(&d, now).unwrap();
        let q = l.inquiry("t3").unwrap().unwrap();
        assert_eq!(
            (q.lang, q.attachments.clone(), q.request),
            (Language::Fr, vec!["plan.pdf".to_string()], None)
        );
        let reference = RequestRef::parse("SSA-2026-00007").unwrap();
        let mut c = Decision::silent(
            "mid:d@x",
            Some("carol@x.org".into()),
            Outcome::Logged,
            String::new(),
        );
        c.confirmed = Some(("t3".into(), reference));
        l.record(&c, now).unwrap();
        assert_eq!(l.inquiry("t3").unwrap().unwrap().request, Some(reference));
        assert_eq!(
            l.purge_older(now - time::Duration::days(1)).unwrap(),
            0,
            "recent inquiries stay"
        );
        assert!(l.erase_address("Carol@X.org").unwrap() >= 1);
        assert_eq!(l.inquiry("t3").unwrap(), None);
        assert_eq!(
            l.outcome("mid:c@x").unwrap(),
            Some(Outcome::NoAnswer),
            "the message stays known"
        );
    }

    #[test]
    fn an_erasure_queues_digests_for_the_mail_folders_never_the_address() {
        let (dir, l) = ledger();
        let now = OffsetDateTime::now_utc();
        let mut d = Decision::silent(
            "mid:z@x",
            Some("zoe@x.org".into()),
            Outcome::Answered,
            String::new(),
        );
        d.outgoing.push(reply("r20@guichet", "zoe@x.org", "t20"));
        let mut staff = reply("s20@guichet", "staff@unit.ca", "t20");
        staff.kind = "staff";
        staff.thread = None;
        staff.about = "zoe@x.org".into();
        d.outgoing.push(staff);
        d.outgoing.push(reply("r21@guichet", "other@x.org", "t21"));
        l.record(&d, now).unwrap();
        assert!(!l.has_mailbox_erasures().unwrap());
        assert!(l.erase_address(" Zoe@X.org ").unwrap() >= 2);
        assert!(l.has_mailbox_erasures().unwrap());
        let pending = l.mailbox_erasures().unwrap();
        assert_eq!(pending.ids.len(), 1);
        for what in [
            Digested::Address("ZOE@x.org"),
            Digested::MessageId("r20@guichet"),
            Digested::MessageId("s20@guichet"),
        ] {
            assert!(
                pending.digests.contains(&l.mailbox_digest(what)),
                "{what:?}"
            );
        }
        assert!(!pending
            .digests
            .contains(&l.mailbox_digest(Digested::MessageId("r21@guichet"))));
        assert!(!pending
            .digests
            .contains(&l.mailbox_digest(Digested::Address("other@x.org"))));
        // Nothing but digests: the address is nowhere in the table.
        let conn = Connection::open(dir.path().join("db.sqlite3")).unwrap();
        let kept: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM mail_mailbox_erasure_digests WHERE digest LIKE '%zoe%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(kept, 0);
        // The key is the installation's: the same digests after a restart.
        let digest = l.mailbox_digest(Digested::Address("zoe@x.org"));
        drop(l);
        let l = Ledger::open(&dir.path().join("db.sqlite3")).unwrap();
        assert_eq!(l.mailbox_digest(Digested::Address("zoe@x.org")), digest);
        let (_other_dir, other) = ledger();
        assert_ne!(
            other.mailbox_digest(Digested::Address("zoe@x.org")),
            digest,
            "another installation, another key"
        );
        l.mailbox_erasures_done(&pending.ids).unwrap();
        assert!(!l.has_mailbox_erasures().unwrap());
        assert_eq!(l.mailbox_erasures().unwrap(), MailboxErasures::default());
        // An erasure not done within the retention period goes with the purge.
        l.erase_address_at("amy@x.org", now - time::Duration::days(40))
            .unwrap();
        l.erase_address_at("bea@x.org", now).unwrap();
        l.purge_older(now - time::Duration::days(30)).unwrap();
        assert_eq!(l.mailbox_erasures().unwrap().ids.len(), 1);
        assert!(l
            .mailbox_erasures()
            .unwrap()
            .digests
            .contains(&l.mailbox_digest(Digested::Address("bea@x.org"))));
    }
}
