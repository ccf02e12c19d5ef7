//! What logging a question costs each answered message, next to the answer itself: the
//! anonymised entry (`LoggedQuestion::new`: focus and identifiers removed, on an email and
//! on a short question), the feedback token (`FeedbackToken::issue`: random id and HMAC),
//! and the insert into a real SQLite file (`log_question`, WAL, every entry different).
//!
//! Run with `cargo bench --bench questions_log`; results are recorded in BENCHMARKS.md.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use guichet::questions::FeedbackToken;
use guichet::requests::{Channel, LoggedQuestion, QuestionOutcome, RequestStore, SqliteStore};
use guichet::Language;
use time::OffsetDateTime;

const EMAIL: &str = "Bonjour,\n\nJe suis doctorante en santé publique à l'Université Laval \
     et je prépare un projet sur les soins à domicile des aînés avec des patients partenaires. \
     Ma directrice m'a suggéré de vous écrire (julie.tremblay@ulaval.ca, 418 555-0199).\n\n\
     J'aimerais savoir si l'Unité peut offrir une lettre d'appui pour notre demande de \
     subvention.\n\nMerci à l'avance,\n\nJulie Tremblay\nDoctorante, Faculté de médecine\n\
     Université Laval";
const SHORT: &str = "Who created Oncopole?";

fn questions_log(c: &mut Criterion) {
    let mut group = c.benchmark_group("questions_log");
    let now = OffsetDateTime::now_utc();
    for (name, text) in [("short", SHORT), ("email", EMAIL)] {
        group.bench_function(format!("entry/{name}"), |b| {
            b.iter(|| {
                LoggedQuestion::new(
                    black_box(text),
                    Channel::Web,
                    Language::Fr,
                    QuestionOutcome::Answered,
                    now,
                )
            })
        });
    }
    group.bench_function("focus/email", |b| {
        b.iter(|| guichet::search::focus::extract(black_box(EMAIL)))
    });
    group.bench_function("without_identifiers/email", |b| {
        b.iter(|| guichet::text::without_identifiers(black_box(EMAIL)))
    });
    let key = [7u8; 32];
    group.bench_function("token", |b| {
        b.iter(|| FeedbackToken::issue(black_box(&key)))
    });

    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("guichet.sqlite3")).unwrap();
    let entry = LoggedQuestion::new(
        SHORT,
        Channel::Web,
        Language::En,
        QuestionOutcome::Answered,
        now,
    );
    group.bench_function("insert", |b| {
        b.iter(|| {
            let mut logged = entry.clone();
            logged.token = Some(FeedbackToken::issue(&key).id().to_string());
            logged.passages = vec!["oncopole-en".into(), "frq-en".into()];
            store.log_question(&logged).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, questions_log);
criterion_main!(benches);
