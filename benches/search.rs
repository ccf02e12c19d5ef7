//! Benchmarks of the search core: query latency on the bundled knowledge base and on a
//! generated base of 100,000 passages — short questions (`uncached`, `cached`) and long
//! email-style messages (`uncached_email`: greeting, self-introduction, one question,
//! signature) — and the time to build the bundled index.
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

/// Emails as people write them to the contact address: a greeting, a self-introduction and
/// some background, one question, thanks and a signature. French and English.
const EMAILS: &[&str] = &[
    "Hello,\n\nMy name is Maya Thompson and I'm finishing my master's in nursing at \
     Université de Sherbrooke. I'm very interested in patient-oriented research and my \
     supervisor mentioned that Quebec has a fellowship program.\n\nCould you tell me whether \
     the FRQ fellowship program is something I could apply to?\n\nThanks a lot for your \
     time.\n\nBest regards,\nMaya Thompson\nMaster's student, Faculty of Medicine and Health \
     Sciences\nUniversité de Sherbrooke",
    "Bonjour,\n\nJe suis doctorante en santé publique à l'Université Laval et je prépare un \
     projet sur les soins à domicile des aînés avec des patients partenaires. Ma directrice \
     m'a suggéré de vous écrire.\n\nJ'aimerais savoir si l'Unité peut offrir une lettre \
     d'appui pour notre demande de subvention.\n\nMerci à l'avance,\n\nJulie Tremblay\n\
     Doctorante, Faculté de médecine\nUniversité Laval",
    "Dear SUPPORT Unit team,\n\nI am a research coordinator at the CHU de Québec research \
     centre. Our team is starting a study on youth mental health in the Capitale-Nationale \
     region and we would like to involve patients from the start.\n\nWhat services does the \
     Unit offer to help us with patient partnership?\n\nKind regards,\n\nKarim Haddad\n\
     Research coordinator\nCHU de Québec – Université Laval research centre",
    "Madame, Monsieur,\n\nJe m'appelle Olivier Gagnon, je suis professeur adjoint à \
     l'Université du Québec à Rimouski. Nous préparons une étude sur le diabète en région \
     éloignée et la date limite de notre dépôt est dans trois semaines.\n\nQuels sont les \
     critères d'admissibilité pour obtenir du soutien de l'Unité ?\n\nCordialement,\n\n\
     Olivier Gagnon, Ph. D.\nProfesseur adjoint, Département des sciences infirmières\nUQAR",
    "Hi,\n\nI'm a family physician in Gatineau and a colleague gave me your address. I looked \
     at your website but could not find the answer to my question.\n\nWho created Oncopole \
     and what does it fund?\n\nMany thanks,\nSophie Martin, MD\nGMF des Collines",
    "Bonjour à toute l'équipe,\n\nJe suis patiente partenaire et je siège au comité des \
     usagers de mon CIUSSS. On m'a parlé de votre unité lors d'une rencontre.\n\nPourriez-vous \
     m'expliquer ce qu'est le partenariat patient en recherche ?\n\nMerci beaucoup de votre \
     temps et bonne journée,\nNadia Bouchard\nComité des usagers, CIUSSS de l'Estrie – CHUS",
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
            questions: Vec::new(),
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
    let emails: Vec<Question> = EMAILS.iter().map(|q| Question::parse(q).unwrap()).collect();
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
        let email_langs: Vec<Language> = emails
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
        let mut e = 0;
        group.bench_function(format!("{name}/uncached_email"), |b| {
            b.iter(|| {
                e = (e + 1) % emails.len();
                black_box(knowledge.ask_uncached(&emails[e], email_langs[e]))
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
