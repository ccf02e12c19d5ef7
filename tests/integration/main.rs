//! Integration tests: the real knowledge base, the real index on disk, the real binary.

mod answers;
mod assistant;
mod browser;
mod check;
mod cli;
mod discord;
mod helpers;
mod knowledge_files;
mod live;
mod mail;
mod mail_rig;
mod metrics;
mod questions;
mod sync;
mod teams;
mod web;
