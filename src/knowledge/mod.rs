//! The Unit's knowledge base as files: reading, validating and cutting it into passages.
//!
//! A knowledge folder holds Markdown documents with front matter ([`markdown`]), plain HTML
//! pages from a site export ([`html`]), and `synonyms.toml` ([`synonyms`]). Loading checks
//! every file and every link between translations; a malformed file is reported with its
//! path, line and reason, and stops the load unless the caller asked to skip bad files.

pub mod html;
pub mod markdown;
pub mod passages;
pub mod synonyms;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::language::Language;
pub use passages::Passage;
pub use synonyms::Synonyms;

/// The name of the synonyms file inside the knowledge folder.
pub const SYNONYMS_FILE: &str = "synonyms.toml";

/// What a document describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Page,
    Partner,
    Organization,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Page => "page",
            Kind::Partner => "partner",
            Kind::Organization => "organization",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "page" => Some(Kind::Page),
            "partner" => Some(Kind::Partner),
            "organization" | "organisation" => Some(Kind::Organization),
            _ => None,
        }
    }
}

/// One document of the knowledge base, validated and cut into passages.
#[derive(Debug, Clone)]
pub struct Document {
    /// Unique across the base: lowercase ASCII letters, digits and dashes.
    pub id: String,
    pub title: String,
    pub lang: Language,
    pub kind: Kind,
    /// The public page the text comes from, shown to users as the source.
    pub url: Option<String>,
    /// The id of the same document in the other language.
    pub translation: Option<String>,
    /// Other names (acronyms, former names) that should find this document.
    pub aliases: Vec<String>,
    /// Typical questions the document answers, in its language (front matter
    /// `questions:`), indexed in their own field.
    pub questions: Vec<String>,
    pub passages: Vec<Passage>,
    /// The file it was read from, for messages.
    pub path: PathBuf,
    /// The line of the `translation:` key, to point at a dangling link.
    pub translation_line: usize,
    /// The line of the `id:` key, to point at a duplicate.
    pub id_line: usize,
}

/// A problem in one knowledge file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileError {
    pub path: PathBuf,
    /// 1-based; 0 when the problem concerns the whole file.
    pub line: usize,
    pub reason: String,
}

impl FileError {
    pub fn new(path: &Path, line: usize, reason: impl Into<String>) -> FileError {
        FileError {
            path: path.to_path_buf(),
            line,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.path.display(), self.line, self.reason)
        } else {
            write!(f, "{}: {}", self.path.display(), self.reason)
        }
    }
}

/// Why a knowledge base could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read the knowledge folder {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the knowledge base has {} malformed file(s) (set knowledge.skip_invalid = true to skip them):\n{}", .0.len(), list(.0))]
    Invalid(Vec<FileError>),
    #[error("the knowledge folder {0} holds no document")]
    Empty(PathBuf),
}

fn list(errors: &[FileError]) -> String {
    errors
        .iter()
        .map(|e| format!("  {e}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A loaded, validated knowledge base.
#[derive(Debug, Clone)]
pub struct KnowledgeBase {
    pub documents: Vec<Document>,
    pub synonyms: Synonyms,
    /// Files left out because they were malformed (only when skipping was asked for).
    pub skipped: Vec<FileError>,
}

impl KnowledgeBase {
    /// Reads every document under `dir`. With `skip_invalid`, malformed files are left out
    /// and listed in [`KnowledgeBase::skipped`]; without it, any problem fails the load.
    pub fn load(dir: &Path, skip_invalid: bool) -> Result<KnowledgeBase, LoadError> {
        let files = knowledge_files(dir)?;
        let mut errors = Vec::new();
        let mut documents = Vec::new();
        let mut synonyms = Synonyms::default();
        for path in &files {
            let text = match std::fs::read(path) {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => text,
                    Err(e) => {
                        errors.push(FileError::new(
                            path,
                            0,
                            format!("not valid UTF-8 (byte {})", e.utf8_error().valid_up_to()),
                        ));
                        continue;
                    }
                },
                Err(e) => {
                    errors.push(FileError::new(path, 0, format!("cannot read: {e}")));
                    continue;
                }
            };
            let parsed = match file_type(path) {
                FileType::Synonyms => match Synonyms::parse(path, &text) {
                    Ok(s) => {
                        synonyms = s;
                        continue;
                    }
                    Err(e) => Err(e),
                },
                FileType::Markdown => markdown::parse(path, &text),
                FileType::Html => html::parse(path, &text),
                FileType::Other => continue,
            };
            match parsed {
                Ok(doc) => documents.push(doc),
                Err(e) => errors.push(e),
            }
        }
        errors.extend(check_links(&mut documents));
        if !errors.is_empty() && !skip_invalid {
            return Err(LoadError::Invalid(errors));
        }
        if documents.is_empty() {
            return Err(LoadError::Empty(dir.to_path_buf()));
        }
        for e in &errors {
            tracing::warn!(file = %e.path.display(), line = e.line, reason = %e.reason, "skipped a malformed knowledge file");
        }
        Ok(KnowledgeBase {
            documents,
            synonyms,
            skipped: errors,
        })
    }

    /// Documents per language.
    pub fn count_documents(&self, lang: Language) -> usize {
        self.documents.iter().filter(|d| d.lang == lang).count()
    }

    /// Passages per language.
    pub fn count_passages(&self, lang: Language) -> usize {
        self.documents
            .iter()
            .filter(|d| d.lang == lang)
            .map(|d| d.passages.len())
            .sum()
    }
}

enum FileType {
    Markdown,
    Html,
    Synonyms,
    Other,
}

fn file_type(path: &Path) -> FileType {
    if path.file_name().and_then(|n| n.to_str()) == Some(SYNONYMS_FILE) {
        return FileType::Synonyms;
    }
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .as_deref()
    {
        Some("md") | Some("markdown") => FileType::Markdown,
        Some("html") | Some("htm") => FileType::Html,
        _ => FileType::Other,
    }
}

/// Every file of the knowledge folder that guichet reads, sorted so that loads,
/// duplicate reports and the content hash do not depend on directory order.
pub fn knowledge_files(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|source| LoadError::Io {
            path: d.clone(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| LoadError::Io {
                path: d.clone(),
                source,
            })?;
            let path = entry.path();
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if !matches!(file_type(&path), FileType::Other) {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// A hash of everything that shapes the index: each knowledge file's path and bytes.
/// The index is rebuilt only when it changes.
pub fn content_hash(dir: &Path) -> Result<String, LoadError> {
    let mut hasher = Sha256::new();
    for path in knowledge_files(dir)? {
        let bytes = std::fs::read(&path).map_err(|source| LoadError::Io {
            path: path.clone(),
            source,
        })?;
        let rel = path.strip_prefix(dir).unwrap_or(&path);
        hasher.update(rel.to_string_lossy().as_bytes());
        hasher.update([0]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    Ok(format!("{:x}", hasher.finalize()))
}

/// Checks ids are unique and translation links point at an existing document in the
/// other language that links back. Documents with a problem are removed from `docs`.
fn check_links(docs: &mut Vec<Document>) -> Vec<FileError> {
    let mut errors = Vec::new();
    let mut first: HashMap<String, (PathBuf, usize)> = HashMap::new();
    let mut bad = vec![false; docs.len()];
    for (i, d) in docs.iter().enumerate() {
        if let Some((path, line)) = first.get(&d.id) {
            errors.push(FileError::new(
                &d.path,
                d.id_line,
                format!(
                    "duplicate id '{}' (already used in {}:{})",
                    d.id,
                    path.display(),
                    line
                ),
            ));
            bad[i] = true;
        } else {
            first.insert(d.id.clone(), (d.path.clone(), d.id_line));
        }
    }
    let by_id: HashMap<&str, &Document> = docs
        .iter()
        .zip(&bad)
        .filter(|(_, b)| !**b)
        .map(|(d, _)| (d.id.as_str(), d))
        .collect();
    for (i, d) in docs.iter().enumerate() {
        let Some(target) = &d.translation else {
            continue;
        };
        let problem = match by_id.get(target.as_str()) {
            None => Some(format!("translation link target '{target}' does not exist")),
            Some(t) if t.lang == d.lang => Some(format!(
                "translation '{target}' is written in the same language ({})",
                d.lang
            )),
            Some(t) if t.translation.as_deref() != Some(d.id.as_str()) => Some(format!(
                "translation '{target}' does not link back to '{}' (it says {})",
                d.id,
                t.translation.as_deref().unwrap_or("nothing")
            )),
            Some(_) => None,
        };
        if let Some(reason) = problem {
            errors.push(FileError::new(&d.path, d.translation_line, reason));
            bad[i] = true;
        }
    }
    let mut keep = bad.iter().map(|b| !b);
    docs.retain(|_| keep.next().unwrap_or(true));
    errors
}
