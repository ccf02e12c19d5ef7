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
