//! Reading a message over `mail.max_message_bytes` from its structure (BODYSTRUCTURE):
//! its header and text parts are fetched, its attachments are only listed.

use std::collections::BTreeMap;

use async_imap::imap_proto::{BodyStructure, ContentEncoding, MessageSection, SectionPath};
use async_imap::Session;
use futures_util::StreamExt;

use super::{step, ImapSettings, Memory, Stream};
use crate::mail::parse::partial::{self, FetchedPart, PartContent};
use crate::mail::MailError;

/// At most this many attachments of a large message are listed.
const MAX_UNREAD_PARTS: usize = 100;

/// The size of each message of the selected mailbox from `first` on, by UID.
pub(super) async fn sizes(
    session: &mut Session<Stream>,
    first: u32,
) -> Result<BTreeMap<u32, u32>, MailError> {
    step("reading message sizes", async {
        let mut sizes = BTreeMap::new();
        let mut fetches = session
            .uid_fetch(format!("{first}:*"), "(UID RFC822.SIZE)")
            .await?;
        while let Some(fetch) = fetches.next().await {
            let fetch = fetch?;
            if let (Some(uid), Some(size)) = (fetch.uid, fetch.size) {
                sizes.insert(uid, size);
            }
        }
        Ok::<_, MailError>(sizes)
    })
    .await
}

/// Message `uid` of the selected inbox: whole when it is at most `mail.max_message_bytes`
/// (or its size is unknown), else from its structure. None when it is gone.
pub(super) async fn read_message(
    session: &mut Session<Stream>,
    settings: &ImapSettings,
    uid: u32,
    size: Option<u32>,
    validity: u32,
    memory: &mut Memory,
) -> Result<Option<Vec<u8>>, MailError> {
    let max = settings.max_message_bytes;
    let Some(size) = size.filter(|s| *s > max) else {
        return fetch_beginning(session, uid, max).await;
    };
    if memory.unstructured.contains(&(validity, uid)) {
        tracing::warn!(
            uid,
            bytes = size,
            read = max,
            "a message is larger than mail.max_message_bytes and its structure cannot be read: only its beginning is read"
        );
        return fetch_beginning(session, uid, max).await;
    }
    memory.reading = Some((validity, uid));
    let raw = fetch_by_structure(session, uid, size, max).await?;
    memory.reading = None;
    Ok(raw)
}

/// The first `max` bytes of message `uid` (all of it when it is no longer).
async fn fetch_beginning(
    session: &mut Session<Stream>,
    uid: u32,
    max: u32,
) -> Result<Option<Vec<u8>>, MailError> {
    step("fetching a message", async {
        let mut fetches = session
            .uid_fetch(uid.to_string(), format!("(UID BODY.PEEK[]<0.{max}>)"))
            .await?;
        let mut raw = None;
        while let Some(fetch) = fetches.next().await {
            let fetch = fetch?;
            if fetch.uid == Some(uid) || raw.is_none() {
                raw = fetch.body().map(|b| b.to_vec());
            }
        }
        Ok::<_, MailError>(raw)
    })
    .await
}

/// What a part of a large message is to guichet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// text/plain, not an attachment: read.
    Plain,
    /// text/html, not an attachment: read when there is no text/plain.
    Html,
    /// Anything else: listed, not fetched.
    Attachment,
}

/// A leaf of a message's structure.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Leaf {
    /// Its part number (`[1, 2]` is part 1.2); empty for a message that is one part.
    path: Vec<u32>,
    role: Role,
    /// Its size as the server holds it (transfer-encoded).
    octets: u32,
    /// Its size decoded (about).
    bytes: u64,
}

/// The leaves of `structure`, in order (nested messages are leaves: attachments).
fn leaves(structure: &BodyStructure<'_>, path: Vec<u32>, depth: u32, out: &mut Vec<Leaf>) {
    let (common, other) = match structure {
        BodyStructure::Multipart { bodies, .. } => {
            if depth < 64 {
                for (i, body) in bodies.iter().enumerate() {
                    let mut child = path.clone();
                    child.push(i as u32 + 1);
                    leaves(body, child, depth + 1, out);
                }
            }
            return;
        }
        BodyStructure::Text { common, other, .. }
        | BodyStructure::Basic { common, other, .. }
        | BodyStructure::Message { common, other, .. } => (common, other),
    };
    let attachment = common
        .disposition
        .as_ref()
        .is_some_and(|d| d.ty.eq_ignore_ascii_case("attachment"));
    let role = match structure {
        BodyStructure::Text { .. } if !attachment => {
            if common.ty.subtype.eq_ignore_ascii_case("plain") {
                Role::Plain
            } else if common.ty.subtype.eq_ignore_ascii_case("html") {
                Role::Html
            } else {
                Role::Attachment
            }
        }
        _ => Role::Attachment,
    };
    let bytes = match other.transfer_encoding {
        ContentEncoding::Base64 => u64::from(other.octets) / 4 * 3,
        _ => u64::from(other.octets),
    };
    out.push(Leaf {
        path,
        role,
        octets: other.octets,
        bytes,
    });
}

/// Which leaves to fetch (text/plain, else text/html, within `max` bytes in all, the
/// first always) and which to list as not read (the attachments).
fn plan(all: Vec<Leaf>, max: u32) -> Vec<Leaf> {
    let prefer = if all.iter().any(|l| l.role == Role::Plain) {
        Role::Plain
    } else {
        Role::Html
    };
    let mut budget = u64::from(max);
    let mut chosen = Vec::new();
    let mut unread = 0;
    for leaf in all {
        match leaf.role {
            Role::Attachment if unread < MAX_UNREAD_PARTS => {
                unread += 1;
                chosen.push(leaf);
            }
            role if role == prefer => {
                let octets = u64::from(leaf.octets);
                let first = !chosen.iter().any(|l: &Leaf| l.role == prefer);
                if first || octets <= budget {
                    budget = budget.saturating_sub(octets);
                    chosen.push(leaf);
                }
            }
            _ => {}
        }
    }
    chosen
}

fn section(path: &[u32]) -> String {
    path.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

/// Message `uid` (of `size` bytes, over `max`) put together from its header, its text
/// parts (each up to `max` bytes) and the MIME headers of its attachments, which are not
/// fetched. None when it is gone.
async fn fetch_by_structure(
    session: &mut Session<Stream>,
    uid: u32,
    size: u32,
    max: u32,
) -> Result<Option<Vec<u8>>, MailError> {
    let found = step("reading a message's structure", async {
        let mut fetches = session
            .uid_fetch(uid.to_string(), "(UID BODYSTRUCTURE BODY.PEEK[HEADER])")
            .await?;
        let mut found = None;
        while let Some(fetch) = fetches.next().await {
            let fetch = fetch?;
            if fetch.uid != Some(uid) {
                continue;
            }
            if let (Some(structure), Some(header)) = (fetch.bodystructure(), fetch.header()) {
                let mut all = Vec::new();
                let single = !matches!(structure, BodyStructure::Multipart { .. });
                leaves(structure, Vec::new(), 0, &mut all);
                found = Some((header.to_vec(), single, plan(all, max)));
            }
        }
        Ok::<_, MailError>(found)
    })
    .await?;
    let Some((header, single, chosen)) = found else {
        return Ok(None);
    };
    let unread = chosen.iter().filter(|l| l.role == Role::Attachment).count();
    tracing::warn!(
        uid,
        bytes = size,
        max,
        attachments_not_read = unread,
        "a message is larger than mail.max_message_bytes: its text is read, its attachments are not"
    );
    if single {
        // One part: the body is the text, or an attachment with the header's Content-*.
        return Ok(Some(match chosen.first() {
            Some(leaf) if leaf.role != Role::Attachment => {
                let text = step("fetching a message's text", async {
                    let mut fetches = session
                        .uid_fetch(uid.to_string(), format!("(UID BODY.PEEK[TEXT]<0.{max}>)"))
                        .await?;
                    let mut text = Vec::new();
                    while let Some(fetch) = fetches.next().await {
                        let fetch = fetch?;
                        if fetch.uid == Some(uid) {
                            text = fetch.text().unwrap_or_default().to_vec();
                        }
                    }
                    Ok::<_, MailError>(text)
                })
                .await?;
                let mut raw = header;
                raw.extend_from_slice(&text);
                raw
            }
            leaf => {
                let mime = partial::content_fields(&header);
                let parts: Vec<FetchedPart<'_>> = leaf
                    .map(|l| FetchedPart {
                        mime_header: &mime,
                        content: PartContent::Unread(l.bytes),
                    })
                    .into_iter()
                    .collect();
                partial::assemble(&header, &parts)
            }
        }));
    }
    let mut query = String::from("(UID");
    for leaf in &chosen {
        let s = section(&leaf.path);
        query.push_str(&format!(" BODY.PEEK[{s}.MIME]"));
        if leaf.role != Role::Attachment {
            query.push_str(&format!(" BODY.PEEK[{s}]<0.{max}>"));
        }
    }
    query.push(')');
    let pieces = step("fetching a message's text parts", async {
        let mut fetches = session.uid_fetch(uid.to_string(), &query).await?;
        let mut pieces: Vec<(Vec<u8>, Option<Vec<u8>>)> = Vec::new();
        while let Some(fetch) = fetches.next().await {
            let fetch = fetch?;
            if fetch.uid != Some(uid) {
                continue;
            }
            pieces = chosen
                .iter()
                .map(|leaf| {
                    let mime = fetch
                        .section(&SectionPath::Part(
                            leaf.path.clone(),
                            Some(MessageSection::Mime),
                        ))
                        .unwrap_or_default()
                        .to_vec();
                    let text = (leaf.role != Role::Attachment).then(|| {
                        fetch
                            .section(&SectionPath::Part(leaf.path.clone(), None))
                            .unwrap_or_default()
                            .to_vec()
                    });
                    (mime, text)
                })
                .collect();
        }
        Ok::<_, MailError>(pieces)
    })
    .await?;
    let parts: Vec<FetchedPart<'_>> = pieces
        .iter()
        .zip(&chosen)
        .map(|((mime, text), leaf)| FetchedPart {
            mime_header: mime,
            content: match text {
                Some(text) => PartContent::Text(text),
                None => PartContent::Unread(leaf.bytes),
            },
        })
        .collect();
    Ok(Some(partial::assemble(&header, &parts)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_message_is_read_from_its_text_and_its_attachments_are_listed() {
        let leaf = |path: &[u32], role, octets| Leaf {
            path: path.to_vec(),
            role,
            octets,
            bytes: u64::from(octets),
        };
        // Plain text wins over its HTML alternative; attachments are all listed.
        let all = vec![
            leaf(&[1], Role::Attachment, 8_000_000),
            leaf(&[2, 1], Role::Plain, 400),
            leaf(&[2, 2], Role::Html, 2_000),
            leaf(&[3], Role::Attachment, 10),
        ];
        let chosen = plan(all, 1_000);
        assert_eq!(
            chosen.iter().map(|l| section(&l.path)).collect::<Vec<_>>(),
            ["1", "2.1", "3"]
        );
        // HTML when there is no plain text; within the budget, the first always.
        let all = vec![
            leaf(&[1], Role::Html, 5_000),
            leaf(&[2], Role::Html, 600),
            leaf(&[3], Role::Html, 300),
        ];
        let chosen = plan(all, 1_000);
        assert_eq!(
            chosen.iter().map(|l| section(&l.path)).collect::<Vec<_>>(),
            ["1"],
            "the first text even when over the budget, then nothing more: the budget is spent"
        );
        let all = vec![leaf(&[1], Role::Html, 500), leaf(&[2], Role::Html, 300)];
        assert_eq!(plan(all, 1_000).len(), 2);
    }
}
