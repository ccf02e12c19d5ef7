//! guichet — the front desk of the Quebec SPOR SUPPORT Unit (Unité de soutien SSA Québec).
//!
//! The crate is a library with a thin binary (`src/main.rs`). Its layers:
//!
//! - [`language`] and [`question`]: the domain types every other layer trusts
//!   (a `Language` is French or English; a `Question` is trimmed, non-empty and bounded).
//! - [`config`]: the layered configuration (embedded defaults, a TOML file, `GUICHET__*`
//!   environment variables), validated with errors that name the key.
//! - [`knowledge`]: reads the Unit's knowledge base (Markdown with front matter, or plain
//!   HTML pages) from a folder, validates it and cuts it into passages.
//! - [`search`]: the tantivy index over those passages, bilingual analysis, synonyms,
//!   typo tolerance, question focus, and the fitted decision that chooses between an
//!   answer, related pages and the honest
//!   fallback. [`search::Knowledge::ask`] is the call every channel makes.
//! - [`messages`]: every user-facing sentence, in French and in English.
//! - [`text`], [`limits`] and [`db`]: the small text rules, the one rate limiter and the one
//!   SQLite file (opening, pragmas, migrations) every layer shares.
//! - [`requests`]: the request log staff work from (SQLite behind a small trait), with
//!   its domain types, audit history, privacy erasure and exports.
//! - [`assistant`]: the transport-agnostic conversation engine every channel calls: it
//!   answers, greets, runs the request intake (fields, privacy notice, consent,
//!   confirmation), answers and confirms written inquiries (email), then logs the request
//!   and announces it. Conversations are loaded, locked, cached and saved in one place.
//! - [`questions`]: answer feedback from every channel (signed tokens, one vote per
//!   answer) and the questions queue staff review (grouped by wording, marked, exported).
//! - [`privacy`]: one service that erases a person, or purges what is past retention, in
//!   every place that keeps personal data (the request log, the mail ledger).
//! - Channels, which only convert to and from the engine: [`terminal`] (`guichet chat`),
//!   [`web`] (the chat page, `/api/chat`, the staff pages), [`discord`], [`teams`] (the Bot
//!   Framework endpoint and Adaptive Cards) and [`mail`].
//! - [`daemon`] and [`shutdown`]: `guichet serve` — builds everything, supervises the
//!   channels (restarts with backoff, `/healthz` details), stops them on one token.
//! - [`metrics`]: the counters behind `GET /metrics` (Prometheus text format).
//! - [`reload`]: live knowledge: the swappable handle the engine answers from and the
//!   watcher that rebuilds the index beside the one in use when the folder changes.
//! - [`sync`]: `guichet sync`: copies the Unit's web pages (sitemap, robots.txt, conditional
//!   GETs) into the knowledge folder's `site/`, removing pages that keep failing.
//! - [`eval`]: runs an evaluation set of questions against the knowledge base.
//! - [`check`]: `guichet check`: the configuration and a real connection to each enabled
//!   channel's servers, one bilingual line per check.
//!
//! See ARCHITECTURE.md for the picture.

pub mod assistant;
pub mod check;
pub mod config;
pub mod daemon;
pub mod db;
pub mod discord;
pub mod eval;
pub mod knowledge;
pub mod language;
pub mod limits;
pub mod mail;
pub mod messages;
pub mod metrics;
pub mod privacy;
pub mod question;
pub mod questions;
pub mod reload;
pub mod requests;
pub mod search;
pub mod shutdown;
pub mod sync;
pub mod teams;
pub mod terminal;
pub mod text;
pub mod web;

pub use language::Language;
pub use question::Question;
pub use search::{Answer, Hit, Knowledge};
