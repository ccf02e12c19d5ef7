//! Benchmarks of the search core: query latency on the bundled knowledge base and on a
//! generated base of 100,000 passages, and the time to build the bundled index.
//!
//! Run with `cargo bench --bench search`; results are recorded in BENCHMARKS.md.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use guichet::config::SearchConfig;
use guichet::knowledge::{Document, Kind, KnowledgeBase, Passage};
use guichet::search::analysis::fold_words;
use guichet::{Knowledge, Language, Question};

const QUESTIONS: &[&str] = &[
    "What is the Quebec SPOR SUPPORT Unit?",
    "Qui sont vos partenaires?",
    "What is the CIHR?",
    "Qu'est-ce que les RUISSS?",
    "Who created Oncopole?",
    "Quelle est la mission du Fonds de recherche du Québec?",
    "Which faculties of medicine are in Quebec?",
    "criteres d'admissibilite",
    "Book me a flight to Toronto",
    "Quel temps fera-t-il demain?",
];

fn bundled() -> KnowledgeBase {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    KnowledgeBase::load(&dir, false).expect("the bundled knowledge base loads")
}

/// The bundled base plus generated documents until it holds `passages` passages. The
/// generated text draws words from the bundled base with a skewed (Zipf-like) choice,
/// so term statistics look like real text.
fn generated(passages: usize) -> KnowledgeBase {
    let mut kb = bundled();
    let mut words: Vec<String> = kb
        .documents
        .iter()
        .flat_map(|d| d.passages.iter().flat_map(|p| fold_words(&p.text)))
        .collect();
    words.sort();
    words.dedup();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let existing: usize = kb.documents.iter().map(|d| d.passages.len()).sum();
    let per_doc = 10;
    let docs = (passages.saturating_sub(existing)).div_ceil(per_doc);
    for n in 0..docs {
        let lang = if n % 2 == 0 {
            Language::Fr
        } else {
            Language::En
        };
        let passages = (0..per_doc)
            .map(|ordinal| {
                let text: Vec<&str> = (0..60)
                    .map(|_| {
                        // Squaring a uniform draw favours the start of the list.
                        let r = (next() % 10_000) as f64 / 10_000.0;
                        words[((r * r) * words.len() as f64) as usize % words.len()].as_str()
                    })
                    .collect();
                Passage {
                    ordinal,
                    section: None,
                    text: text.join(" ") + ".",
                }
            })
            .collect();
        kb.documents.push(Document {
            id: format!("generated-{n}"),
            title: format!("Generated document {n}"),
            lang,
            kind: Kind::Page,
            url: Some(format!("https://example.org/generated/{n}")),
            translation: None,
            aliases: Vec::new(),
            passages,
            path: format!("generated/{n}.md").into(),
            translation_line: 0,
            id_line: 0,
        });
    }
    kb
}

fn query_latency(c: &mut Criterion) {
    let questions: Vec<Question> = QUESTIONS
        .iter()
        .map(|q| Question::parse(q).unwrap())
        .collect();
    let mut group = c.benchmark_group("query");
    for (name, kb) in [
        ("bundled", bundled()),
        ("generated_100k", generated(100_000)),
    ] {
        let dir = tempfile::TempDir::new().unwrap();
        let started = std::time::Instant::now();
        let knowledge =
            Knowledge::build(&dir.path().join("index"), &kb, SearchConfig::default()).unwrap();
        let passages: usize = kb.documents.iter().map(|d| d.passages.len()).sum();
        eprintln!(
            "index of {name}: {passages} passages built in {:.2?}",
            started.elapsed()
        );
        let langs: Vec<Language> = questions
            .iter()
            .map(|q| knowledge.reply_language(q.as_str(), None))
            .collect();
        let mut i = 0;
        group.bench_function(format!("{name}/uncached"), |b| {
            b.iter(|| {
                i = (i + 1) % questions.len();
                black_box(knowledge.ask_uncached(&questions[i], langs[i]))
            })
        });
        group.bench_function(format!("{name}/cached"), |b| {
            b.iter(|| {
                i = (i + 1) % questions.len();
                black_box(knowledge.ask(&questions[i], None))
            })
        });
    }
    group.finish();
}

fn index_build(c: &mut Criterion) {
    let kb = bundled();
    let mut group = c.benchmark_group("index");
    group.sample_size(10);
    group.bench_function("build_bundled", |b| {
        b.iter(|| {
            let dir = tempfile::TempDir::new().unwrap();
            black_box(
                Knowledge::build(&dir.path().join("index"), &kb, SearchConfig::default()).unwrap(),
            );
        })
    });
    group.finish();
}

criterion_group!(benches, query_latency, index_build);
criterion_main!(benches);
