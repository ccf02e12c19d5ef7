//! Integration tests: the real knowledge base, the real index on disk, the real binary.

mod answers;
mod assistant;
mod browser;
mod cli;
mod helpers;
mod knowledge_files;
mod web;
