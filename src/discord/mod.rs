//! The Discord channel: answers in direct messages, to mentions in allowed channels and to
//! `/ask` and `/request` (`/question`, `/demande`), as embeds with buttons; requests are
//! always taken in a direct message; the staff channel hears of every logged request.
//!
//! Everything that decides something is plain, tested code: [`convert`] (Discord events →
//! the engine's input), [`render`] (the engine's reply → messages within Discord's limits),
//! [`intake`] (the DM-only intake rule) and [`safety`] (escaping, mentions, rate limit).
//! [`client`] is the thin serenity layer that connects them to Discord.

pub mod client;
pub mod convert;
pub mod intake;
pub mod render;
pub mod safety;

use std::sync::atomic::{AtomicU64, Ordering};

/// Counts of "Helpful? yes/no" votes recorded since start; the votes themselves are kept
/// with the questions log (see [`crate::assistant::Assistant::record_feedback`]).
#[derive(Debug, Default)]
pub struct FeedbackCounts {
    helpful: AtomicU64,
    not_helpful: AtomicU64,
}

impl FeedbackCounts {
    /// Counts one recorded vote.
    pub fn record(&self, helpful: bool) {
        let counter = if helpful {
            &self.helpful
        } else {
            &self.not_helpful
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// (helpful, not helpful) so far.
    pub fn totals(&self) -> (u64, u64) {
        (
            self.helpful.load(Ordering::Relaxed),
            self.not_helpful.load(Ordering::Relaxed),
        )
    }
}
