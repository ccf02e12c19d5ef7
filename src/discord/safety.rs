//! Keeping replies inert: Discord markdown escaping, mention neutralisation, and a
//! per-user rate limit with an injected clock.
//!
//! Every send also sets `allowed_mentions` to nothing (in the client), so even a mention
//! that slipped through would not ping; the escaping here keeps it from *looking* like one.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

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

/// At most `per_minute` messages per user in any sliding minute.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    /// When each user's recent messages arrived, oldest first.
    seen: HashMap<u64, VecDeque<Instant>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter {
            per_minute: per_minute.max(1),
            seen: HashMap::new(),
        }
    }

    /// Counts a message from `user` arriving at `now`; `Err(wait)` when over the limit
    /// (the message is not counted), with how long until one more is allowed.
    pub fn check(&mut self, user: u64, now: Instant) -> Result<(), Duration> {
        const WINDOW: Duration = Duration::from_secs(60);
        let times = self.seen.entry(user).or_default();
        while times
            .front()
            .is_some_and(|&t| now.saturating_duration_since(t) >= WINDOW)
        {
            times.pop_front();
        }
        if times.len() >= self.per_minute as usize {
            // The front exists: the queue holds at least `per_minute` (≥ 1) entries.
            let oldest = *times.front().expect("a full window is not empty");
            return Err(WINDOW.saturating_sub(now.saturating_duration_since(oldest)));
        }
        times.push_back(now);
        // Forget users who have gone quiet so the map does not grow forever.
        if self.seen.len() > 10_000 {
            self.seen.retain(|_, t| {
                t.back()
                    .is_some_and(|&last| now.saturating_duration_since(last) < WINDOW)
            });
        }
        Ok(())
    }
}
