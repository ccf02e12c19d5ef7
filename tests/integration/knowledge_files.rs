//! Knowledge folders: malformed files are reported with file, line and reason; skipping is
//! explicit; the index is rebuilt only when files change; HTML pages are indexed.

use guichet::knowledge::{KnowledgeBase, LoadError};
use guichet::{Knowledge, Question};
use tempfile::TempDir;

use crate::helpers::{config, doc, knowledge_folder};

fn pair(slug: &str, en_body: &str, fr_body: &str) -> Vec<(String, String)> {
    vec![
        (
            format!("{slug}.en.md"),
            doc(
                &format!("{slug}-en"),
                "en",
                &format!("{slug}-fr"),
                &format!("{slug} (en)"),
                en_body,
            ),
        ),
        (
            format!("{slug}.fr.md"),
            doc(
                &format!("{slug}-fr"),
                "fr",
                &format!("{slug}-en"),
                &format!("{slug} (fr)"),
                fr_body,
            ),
        ),
    ]
}

fn folder(files: Vec<(String, String)>) -> TempDir {
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    knowledge_folder(&refs)
}

const EN: &str =
    "The Quebec SPOR SUPPORT Unit helps researchers with patient-oriented research projects.";
const FR: &str = "L'Unité de soutien SSA Québec aide les chercheurs dans leurs projets de recherche axée sur le patient.";

fn broken_folder() -> TempDir {
    let mut files = pair("unit", EN, FR);
    files.extend(pair(
        "grants",
        "Targeted grant programs are co-run with funders such as the FRQS.",
        "Les programmes de subventions ciblées sont menés avec des bailleurs comme le FRQS.",
    ));
    // Unknown language on line 4.
    files.push((
        "bad-lang.md".into(),
        doc(
            "bad-lang",
            "de",
            "unit-fr",
            "Schlecht",
            "Das ist ein Dokument in deutscher Sprache.",
        ),
    ));
    // Same id as unit-en.
    files.push((
        "copy.md".into(),
        doc(
            "unit-en",
            "en",
            "unit-fr",
            "Copy",
            "A second document that reuses the id of the first one.",
        ),
    ));
    // A translation link to nothing.
    files.push((
        "orphan.md".into(),
        doc(
            "orphan-en",
            "en",
            "orphan-fr",
            "Orphan",
            "This document claims a French twin that was never written.",
        ),
    ));
    folder(files)
}

#[test]
fn a_broken_base_is_refused_with_each_file_line_and_reason() {
    let dir = broken_folder();
    let err = KnowledgeBase::load(dir.path(), false).expect_err("a broken base must not load");
    let LoadError::Invalid(errors) = &err else {
        panic!("unexpected error: {err}")
    };
    let text = err.to_string();
    assert_eq!(errors.len(), 3, "{text}");
    assert!(
        text.contains("bad-lang.md:4: unknown language 'de'"),
        "{text}"
    );
    assert!(
        text.contains(".md:2: duplicate id 'unit-en' (already used in "),
        "{text}"
    );
    assert!(
        text.contains("orphan.md:7: translation link target 'orphan-fr' does not exist"),
        "{text}"
    );
    assert!(
        text.contains("skip_invalid"),
        "the error says how to skip: {text}"
    );

    let data = TempDir::new().unwrap();
    assert!(
        Knowledge::open(&config(dir.path(), &data)).is_err(),
        "the index must not be built from a broken base"
    );
}

#[test]
fn skipping_bad_files_keeps_the_good_ones_and_names_the_skipped() {
    let dir = broken_folder();
    let kb = KnowledgeBase::load(dir.path(), true).unwrap();
    assert_eq!(kb.documents.len(), 4);
    assert_eq!(kb.skipped.len(), 3);
    let data = TempDir::new().unwrap();
    let mut cfg = config(dir.path(), &data);
    cfg.knowledge.skip_invalid = true;
    let k = Knowledge::open(&cfg).unwrap();
    assert_eq!(k.manifest().skipped.len(), 3);
    let a = k.ask(&Question::parse("grant programs FRQS").unwrap(), None);
    assert!(found(&a), "the good files are searched: {a:?}");
}

#[test]
fn the_index_is_rebuilt_only_when_the_knowledge_files_change() {
    let dir = folder(pair("unit", EN, FR));
    let data = TempDir::new().unwrap();
    let cfg = config(dir.path(), &data);
    assert!(
        Knowledge::open(&cfg).unwrap().was_rebuilt(),
        "the first open builds"
    );
    assert!(
        !Knowledge::open(&cfg).unwrap().was_rebuilt(),
        "an unchanged base is reopened as is"
    );

    let q = Question::parse("biostatistics consultations").unwrap();
    assert!(!found(&Knowledge::open(&cfg).unwrap().ask(&q, None)));
    let edited = doc(
        "unit-en",
        "en",
        "unit-fr",
        "unit (en)",
        "The Unit offers biostatistics consultations to research teams.",
    );
    std::fs::write(dir.path().join("unit.en.md"), edited).unwrap();
    let k = Knowledge::open(&cfg).unwrap();
    assert!(k.was_rebuilt(), "an edited file triggers a rebuild");
    assert!(found(&k.ask(&q, None)), "the edit is searchable");
}

/// Whether an answer shows a page, as an answer or as a "did you mean" suggestion (how
/// confident a tiny test base makes the fitted decision is not what these tests check).
fn found(a: &guichet::search::Answer) -> bool {
    !a.hits.is_empty() || !a.suggestions.is_empty()
}

#[test]
fn a_dropped_html_page_is_indexed_without_its_navigation() {
    let mut files = pair("unit", EN, FR);
    files.push((
        "site/mentorat.html".into(),
        "<html lang=\"fr\"><head><title>Programme de mentorat</title><link rel=\"canonical\" href=\"https://example.org/mentorat\"></head><body><nav>Accueil Contact Mentorat</nav><h1>Programme de mentorat</h1><p>Le programme de mentorat jumelle les jeunes chercheurs avec des chercheurs d&eacute;j&agrave; &eacute;tablis.</p><script>alert('x')</script></body></html>".into(),
    ));
    let dir = folder(files);
    let data = TempDir::new().unwrap();
    let k = Knowledge::open(&config(dir.path(), &data)).unwrap();
    let a = k.ask(
        &Question::parse("programme de mentorat jeunes chercheurs").unwrap(),
        None,
    );
    assert!(a.answered);
    let hit = &a.hits[0];
    assert_eq!(hit.title, "Programme de mentorat");
    assert_eq!(hit.url.as_deref(), Some("https://example.org/mentorat"));
    assert!(
        hit.excerpt.plain().contains("déjà établis"),
        "{}",
        hit.excerpt.plain()
    );
    assert!(!hit.excerpt.plain().contains("alert"));
}

#[test]
fn an_empty_or_missing_folder_is_an_error_not_an_empty_base() {
    let empty = TempDir::new().unwrap();
    assert!(matches!(
        KnowledgeBase::load(empty.path(), false),
        Err(LoadError::Empty(_))
    ));
    assert!(matches!(
        KnowledgeBase::load(&empty.path().join("nope"), false),
        Err(LoadError::Io { .. })
    ));
}

#[test]
fn every_bundled_document_links_to_a_page_in_its_own_language() {
    let base = KnowledgeBase::load(&crate::helpers::bundled_dir(), false).unwrap();
    assert!(base.documents.len() > 20);
    for d in &base.documents {
        let url = d.url.as_deref().unwrap_or_default().to_ascii_lowercase();
        assert!(url.starts_with("https://"), "{}: {url:?}", d.path.display());
        let (own, other) = match d.lang {
            guichet::Language::Fr => ("fr", "/en/"),
            guichet::Language::En => ("en", "/fr/"),
        };
        assert!(
            !url.contains(other),
            "{} ({own}) links to a page in the other language: {url}",
            d.path.display()
        );
    }
}
