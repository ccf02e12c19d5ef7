//! Keeping replies inert: Discord markdown escaping, mention neutralisation, and a
//! per-user rate limit with an injected clock.
//!
//! Every send also sets `allowed_mentions` to nothing (in the client), so even a mention
//! that slipped through would not ping; the escaping here keeps it from *looking* like one.

use std::time::{Duration, Instant};

use crate::limits;

/// A zero-width space: breaks `@everyone` and `<@123>` without changing what people read.
const ZWSP: char = '\u{200B}';

/// Characters Discord markdown gives a meaning to.
const MARKDOWN: &[char] = &['\\', '*', '_', '~', '`', '|', '>', '#', '[', ']'];

/// Escapes Discord markdown in `text` and neutralises mentions: the result shows `text`
/// as typed and pings nobody.
pub fn escape_user_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if MARKDOWN.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    neutralize_mentions(&out)
}

/// Breaks `@everyone`, `@here`, user (`<@id>`, `<@!id>`), role (`<@&id>`) and channel
/// (`<#id>`) mentions with a zero-width space so they stay plain text.
pub fn neutralize_mentions(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '@' {
            let after = &rest[1..];
            let lower: String = after.chars().take(8).collect::<String>().to_lowercase();
            if lower.starts_with("everyone") || lower.starts_with("here") {
                out.push('@');
                out.push(ZWSP);
                rest = after;
                continue;
            }
        }
        if c == '<' && (rest[1..].starts_with('@') || rest[1..].starts_with('#')) {
            out.push('<');
            out.push(ZWSP);
            rest = &rest[1..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Whether `text` still holds something Discord would treat as a mention.
pub fn has_live_mention(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.contains("@everyone")
        || lower.contains("@here")
        || text.contains("<@")
        || text.contains("<#")
}

/// The most people whose recent messages are remembered at once; when that many are
/// active, the least recently seen are forgotten (see [`limits::RateLimiter`]).
const MAX_USERS: usize = 10_000;

/// At most `per_minute` messages per user in any sliding minute: the Discord rule over
/// the shared [`limits::RateLimiter`].
#[derive(Debug)]
pub struct RateLimiter(limits::RateLimiter<u64>);

impl RateLimiter {
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter(limits::RateLimiter::sliding(
            per_minute,
            Duration::from_secs(60),
            MAX_USERS,
        ))
    }

    /// Counts a message from `user` arriving at `now`; `Err(wait)` when over the limit
    /// (the message is not counted), with how long until one more is allowed.
    pub fn check(&self, user: u64, now: Instant) -> Result<(), Duration> {
        self.0.check(user, now)
    }
}
