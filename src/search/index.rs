//! The tantivy index of passages: its schema, building it from a knowledge base, and
//! reopening it when the knowledge files have not changed since the last build.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, STORED, STRING,
};
use tantivy::{doc, Index, TantivyDocument};

use super::analysis::{self, fold_words};
use crate::knowledge::{KnowledgeBase, LoadError};
use crate::language::Language;

/// Bumped whenever the schema, the analysis or the layout (one segment) changes, so old
/// indexes are rebuilt.
const FORMAT_VERSION: u32 = 5;
const MANIFEST: &str = "manifest.json";
const VOCABULARY: &str = "vocabulary.tsv";

/// The fields of a passage document.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub doc_id: Field,
    pub lang: Field,
    pub kind: Field,
    pub title: Field,
    pub url: Field,
    pub section: Field,
    pub text: Field,
    pub ordinal: Field,
    pub translation: Field,
    /// Indexed text per language (0: French, 1: English); a passage fills its own only.
    pub body: [Field; 2],
    /// Title, aliases and section heading, indexed per language.
    pub names: [Field; 2],
    /// The document's typical questions (front matter `questions:`), indexed per language.
    pub questions: [Field; 2],
    /// The passage text already analysed, stored as `term:position:from:to` tokens, so a
    /// search never re-analyses its candidates.
    pub body_terms: Field,
    /// The analysed terms of the title, aliases and section, space-separated.
    pub names_terms: Field,
    /// The analysed terms of each typical question, one question per line.
    pub question_terms: Field,
}

impl Fields {
    fn schema() -> (Schema, Fields) {
        let mut b = Schema::builder();
        let indexed = |lang: Language| {
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(analysis::tokenizer_name(lang))
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            )
        };
        let fields = Fields {
            doc_id: b.add_text_field("doc_id", STRING | STORED),
            lang: b.add_text_field("lang", STRING | STORED),
            kind: b.add_text_field("kind", STRING | STORED),
            title: b.add_text_field("title", STORED),
            url: b.add_text_field("url", STORED),
            section: b.add_text_field("section", STORED),
            text: b.add_text_field("text", STORED),
            ordinal: b.add_u64_field("ordinal", STORED),
            translation: b.add_text_field("translation", STORED),
            body: [
                b.add_text_field("body_fr", indexed(Language::Fr)),
                b.add_text_field("body_en", indexed(Language::En)),
            ],
            names: [
                b.add_text_field("names_fr", indexed(Language::Fr)),
                b.add_text_field("names_en", indexed(Language::En)),
            ],
            questions: [
                b.add_text_field("questions_fr", indexed(Language::Fr)),
                b.add_text_field("questions_en", indexed(Language::En)),
            ],
            body_terms: b.add_text_field("body_terms", STORED),
            names_terms: b.add_text_field("names_terms", STORED),
            question_terms: b.add_text_field("question_terms", STORED),
        };
        (b.build(), fields)
    }

    fn of(schema: &Schema) -> tantivy::Result<Fields> {
        let f = |name: &str| schema.get_field(name);
        Ok(Fields {
            doc_id: f("doc_id")?,
            lang: f("lang")?,
            kind: f("kind")?,
            title: f("title")?,
            url: f("url")?,
            section: f("section")?,
            text: f("text")?,
            ordinal: f("ordinal")?,
            translation: f("translation")?,
            body: [f("body_fr")?, f("body_en")?],
            names: [f("names_fr")?, f("names_en")?],
            questions: [f("questions_fr")?, f("questions_en")?],
            body_terms: f("body_terms")?,
            names_terms: f("names_terms")?,
            question_terms: f("question_terms")?,
        })
    }
}

/// What an index holds, written next to it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// Hash of the knowledge files, the skip setting and the index format.
    pub hash: String,
    pub documents: HashMap<Language, usize>,
    pub passages: HashMap<Language, usize>,
    /// Files skipped as malformed, as `path:line: reason`.
    pub skipped: Vec<String>,
}

/// Why the index could not be built or opened.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(transparent)]
    Knowledge(#[from] LoadError),
    #[error("search index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("cannot write the index in {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> IndexError + '_ {
    move |source| IndexError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// An opened index with what the search needs beside it.
pub struct Opened {
    pub index: Index,
    pub fields: Fields,
    pub manifest: Manifest,
    /// Folded words of the base and their frequencies, for spelling correction.
    pub vocabulary: Vec<(String, u32)>,
    /// Whether this open had to (re)build the index.
    pub rebuilt: bool,
}

/// The hash that decides whether an index on disk is still current.
pub fn current_hash(knowledge_dir: &Path, skip_invalid: bool) -> Result<String, IndexError> {
    let files = crate::knowledge::content_hash(knowledge_dir)?;
    Ok(format!(
        "v{FORMAT_VERSION}-{}-{files}",
        if skip_invalid { "skip" } else { "strict" }
    ))
}

/// Opens the index in `dir` if it was built from the current knowledge files, else builds
/// it from `knowledge_dir` (failing on malformed files unless `skip_invalid`).
pub fn open_or_build(
    dir: &Path,
    knowledge_dir: &Path,
    skip_invalid: bool,
    force: bool,
) -> Result<Opened, IndexError> {
    let hash = current_hash(knowledge_dir, skip_invalid)?;
    if !force {
        if let Some(manifest) = read_manifest(dir) {
            if manifest.hash == hash {
                match open(dir, manifest) {
                    Ok(opened) => return Ok(opened),
                    Err(e) => {
                        tracing::warn!(error = %e, "the index on disk is unreadable; rebuilding it")
                    }
                }
            }
        }
    }
    let kb = KnowledgeBase::load(knowledge_dir, skip_invalid)?;
    build(dir, &kb, hash)
}

fn read_manifest(dir: &Path) -> Option<Manifest> {
    let text = std::fs::read_to_string(dir.join(MANIFEST)).ok()?;
    serde_json::from_str(&text).ok()
}

fn open(dir: &Path, manifest: Manifest) -> Result<Opened, IndexError> {
    let index = Index::open_in_dir(dir)?;
    analysis_register(&index);
    let fields = Fields::of(&index.schema())?;
    let vocabulary = read_vocabulary(&dir.join(VOCABULARY)).map_err(io(dir))?;
    Ok(Opened {
        index,
        fields,
        manifest,
        vocabulary,
        rebuilt: false,
    })
}

/// Tokenizers are not stored in the index: they must be registered at every open.
fn analysis_register(index: &Index) {
    for lang in Language::ALL {
        index
            .tokenizers()
            .register(analysis::tokenizer_name(lang), analysis::analyzer(lang));
    }
}

/// Builds the index of `kb` into `dir`, replacing what was there only once the new one is
/// complete, so a failed build leaves the previous index usable.
pub fn build(dir: &Path, kb: &KnowledgeBase, hash: String) -> Result<Opened, IndexError> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let staging = dir.with_extension(format!("building-{}", std::process::id()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
    }
    std::fs::create_dir_all(&staging).map_err(io(&staging))?;

    let (schema, fields) = Fields::schema();
    let index = Index::create_in_dir(&staging, schema)?;
    analysis_register(&index);
    let mut writer: tantivy::IndexWriter<TantivyDocument> = index.writer(64_000_000)?;
    let mut vocabulary: HashMap<String, u32> = HashMap::new();
    let mut count = |text: &str| {
        for w in fold_words(text) {
            *vocabulary.entry(w).or_default() += 1;
        }
    };
    let mut analyzers = [
        analysis::analyzer(Language::Fr),
        analysis::analyzer(Language::En),
    ];
    for d in &kb.documents {
        let slot = super::query::lang_slot(d.lang);
        let analyzer = &mut analyzers[slot];
        count(&d.title);
        let aliases = d.aliases.join(" ; ");
        count(&aliases);
        let questions = d.questions.join("\n");
        count(&questions);
        let question_terms = d
            .questions
            .iter()
            .map(|q| analysis::terms(analyzer, q).join(" "))
            .collect::<Vec<_>>()
            .join("\n");
        for p in &d.passages {
            count(&p.text);
            let section = p.section.clone().unwrap_or_default();
            count(&section);
            let names = format!("{} ; {} ; {}", d.title, aliases, section);
            let body_terms = analysis::encode_tokens(&analysis::tokens(analyzer, &p.text));
            let names_terms = analysis::terms(analyzer, &names).join(" ");
            let mut document = doc!(
                fields.doc_id => d.id.clone(),
                fields.lang => d.lang.code(),
                fields.kind => d.kind.as_str(),
                fields.title => d.title.clone(),
                fields.section => section,
                fields.text => p.text.clone(),
                fields.ordinal => p.ordinal as u64,
                fields.body[slot] => p.text.clone(),
                fields.names[slot] => names,
                fields.questions[slot] => questions.clone(),
                fields.body_terms => body_terms,
                fields.names_terms => names_terms,
                fields.question_terms => question_terms.clone(),
            );
            if let Some(url) = &d.url {
                document.add_text(fields.url, url);
            }
            if let Some(t) = &d.translation {
                document.add_text(fields.translation, t);
            }
            writer.add_document(document)?;
        }
    }
    writer.commit()?;
    // One segment: each indexing thread writes its own, and every query term is then
    // looked up and scored once per segment.
    let segments = index.searchable_segment_ids()?;
    if segments.len() > 1 {
        writer.merge(&segments).wait()?;
    }
    writer.wait_merging_threads()?;

    let mut vocabulary: Vec<(String, u32)> = vocabulary.into_iter().collect();
    vocabulary.sort();
    let tsv: String = vocabulary
        .iter()
        .map(|(w, n)| format!("{w}\t{n}\n"))
        .collect();
    std::fs::write(staging.join(VOCABULARY), tsv).map_err(io(&staging))?;
    let manifest = Manifest {
        hash,
        documents: Language::ALL
            .iter()
            .map(|&l| (l, kb.count_documents(l)))
            .collect(),
        passages: Language::ALL
            .iter()
            .map(|&l| (l, kb.count_passages(l)))
            .collect(),
        skipped: kb.skipped.iter().map(|e| e.to_string()).collect(),
    };
    let json = serde_json::to_string_pretty(&manifest).expect("a manifest always serialises");
    std::fs::write(staging.join(MANIFEST), json).map_err(io(&staging))?;
    drop(index);

    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(io(dir))?;
    }
    std::fs::rename(&staging, dir).map_err(io(dir))?;
    tracing::info!(dir = %dir.display(), passages = kb.documents.iter().map(|d| d.passages.len()).sum::<usize>(), "built the search index");
    let mut opened = open(dir, manifest)?;
    opened.rebuilt = true;
    Ok(opened)
}

fn read_vocabulary(path: &Path) -> std::io::Result<Vec<(String, u32)>> {
    let text = std::fs::read_to_string(path)?;
    Ok(text
        .lines()
        .filter_map(|l| {
            let (w, n) = l.split_once('\t')?;
            Some((w.to_string(), n.parse().ok()?))
        })
        .collect())
}
