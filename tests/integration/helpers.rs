//! Shared set-up: a fresh data directory per test, over the bundled or a custom base.

use std::path::{Path, PathBuf};

use guichet::config::Config;
use guichet::Knowledge;
use tempfile::TempDir;

/// The knowledge base shipped with guichet.
pub fn bundled_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")
}

/// A configuration over `knowledge` with its own temporary data directory.
pub fn config(knowledge: &Path, data: &TempDir) -> Config {
    let text = format!(
        "data_dir = {:?}\n[knowledge]\ndir = {:?}\n",
        data.path().display().to_string(),
        knowledge.display().to_string()
    );
    Config::from_toml(&text, "test", &[]).expect("the test configuration is valid")
}

/// The bundled knowledge base, indexed in a fresh temporary directory.
pub struct Bundled {
    pub knowledge: Knowledge,
    pub _data: TempDir,
}

pub fn bundled() -> Bundled {
    let data = TempDir::new().unwrap();
    let knowledge = Knowledge::open(&config(&bundled_dir(), &data))
        .expect("the bundled knowledge base indexes");
    Bundled {
        knowledge,
        _data: data,
    }
}

/// Writes `files` (relative path, content) into a new temporary knowledge folder.
pub fn knowledge_folder(files: &[(&str, &str)]) -> TempDir {
    let dir = TempDir::new().unwrap();
    for (path, content) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, content).unwrap();
    }
    dir
}

/// A well-formed Markdown document.
pub fn doc(id: &str, lang: &str, translation: &str, title: &str, body: &str) -> String {
    format!(
        "---\nid: {id}\ntitle: {title}\nlang: {lang}\nkind: page\nurl: https://example.org/{id}\ntranslation: {translation}\naliases:\n---\n# {title}\n\n{body}\n"
    )
}
