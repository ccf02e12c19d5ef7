//! How soon a change to the knowledge folder can be answered while `serve` runs: the real
//! watcher (`reload::watch`, the same task `serve` spawns) on a copy of the bundled base in
//! a temporary folder; each round writes a new page (whole, by rename, as an editor or
//! `guichet sync` does: its English and French files) and asks about it until the answer
//! shows it. Prints the delay from the last write to the first answer that shows the page
//! (median, 90th percentile, worst).
//!
//! ```sh
//! cargo bench --bench reload
//! RELOAD_LOAD=2 cargo bench --bench reload   # with 2 threads asking unique questions meanwhile
//! ```
//!
//! Knobs (environment, bounded): `RELOAD_ROUNDS` (default 10, at most 50), `RELOAD_LOAD`
//! (threads asking other questions without pause during the run, default 0, at most 8).

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use guichet::config::{Config, KnowledgeConfig};
use guichet::language::Language;
use guichet::metrics::Metrics;
use guichet::question::Question;
use guichet::reload::{self, LiveKnowledge};

/// The longest a round may take before the bench gives up (a broken watcher).
const ROUND_LIMIT: Duration = Duration::from_secs(20);

fn knob(name: &str, default: usize, max: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
        .min(max)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A page about a made-up programme only this round's pages name, in English and in
/// French (every page of the base has its translation): the two files, the question and
/// the English title.
fn pages(round: usize) -> ([(String, String); 2], String, String) {
    // Letters only, so the analysers keep the name as one word.
    let suffix: String = format!("{round:03}")
        .bytes()
        .map(|d| char::from(b'a' + (d - b'0')))
        .collect();
    let name = format!("Quillomar{suffix}");
    let page = |lang: &str, twin: &str, title: &str, question: &str, body: &str| {
        (
            format!("bench-{round}-{lang}.md"),
            format!(
                "---\nid: bench-{round}-{lang}\ntitle: {title}\nlang: {lang}\nkind: page\nurl: https://example.org/bench-{round}-{lang}\ntranslation: bench-{round}-{twin}\nquestions:\n  - {question}\naliases: {name}\n---\n# {title}\n\n{body}\n"
            ),
        )
    };
    let title = format!("{name} Fellowship");
    let question = format!("What is the {name} Fellowship?");
    let en = page(
        "en",
        "fr",
        &title,
        &question,
        &format!("The {name} Fellowship pairs patient partners with researchers for a year."),
    );
    let fr = page(
        "fr",
        "en",
        &format!("Bourse {name}"),
        &format!("Qu'est-ce que la bourse {name} ?"),
        &format!(
            "La bourse {name} jumelle des patients partenaires et des chercheurs pendant un an."
        ),
    );
    ([en, fr], question, title)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let rounds = knob("RELOAD_ROUNDS", 10, 50).max(1);
    let load = knob("RELOAD_LOAD", 0, 8);
    let tmp = tempfile::tempdir().unwrap();
    let kb = tmp.path().join("knowledge");
    copy_dir(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("knowledge")
            .as_path(),
        &kb,
    );
    let config = Config {
        data_dir: tmp.path().join("data"),
        knowledge: KnowledgeConfig {
            dir: kb.clone(),
            ..Default::default()
        },
        ..Default::default()
    };
    let live = LiveKnowledge::new(reload::open_serving(&config).unwrap());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (trigger, stop) = guichet::shutdown::token();
    runtime.spawn(reload::watch(
        config.clone(),
        live.clone(),
        Arc::new(Metrics::default()),
        stop,
    ));
    // Let the watcher take its first look at the folder.
    std::thread::sleep(Duration::from_secs(1));

    let done = Arc::new(AtomicBool::new(false));
    let asked = Arc::new(AtomicU64::new(0));
    let askers: Vec<_> = (0..load)
        .map(|t| {
            let (live, done, asked) = (live.clone(), done.clone(), asked.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !done.load(Ordering::Relaxed) {
                    n += 1;
                    let q = Question::parse(&format!(
                        "How do I ask the Unit for help with study {t}-{n}?"
                    ))
                    .unwrap();
                    live.current().ask_in(&q, Language::En);
                    asked.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();

    let mut delays = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let (files, question, title) = pages(round);
        let question = Question::parse(&question).unwrap();
        let mut written = Instant::now();
        for (name, text) in files {
            let tmp_file = tmp.path().join(format!(".{name}.tmp"));
            std::fs::write(&tmp_file, text).unwrap();
            written = Instant::now();
            std::fs::rename(&tmp_file, kb.join("pages").join(name)).unwrap();
        }
        loop {
            let answer = live.current().ask_in(&question, Language::En);
            if answer.hits.iter().any(|h| h.title == title) {
                delays.push(written.elapsed());
                break;
            }
            assert!(
                written.elapsed() < ROUND_LIMIT,
                "round {round}: the new page was not answerable after {ROUND_LIMIT:?} \
                 (documents in use: {:?}; last reload error: {:?}; answer: {:?})",
                live.current().manifest().documents,
                live.failure(),
                answer
                    .hits
                    .iter()
                    .chain(&answer.suggestions)
                    .map(|h| &h.title)
                    .collect::<Vec<_>>()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    done.store(true, Ordering::Relaxed);
    for a in askers {
        a.join().unwrap();
    }
    trigger.fire();

    delays.sort();
    println!(
        "reload: {rounds} rounds, {load} asking threads ({} other questions answered meanwhile)",
        asked.load(Ordering::Relaxed)
    );
    println!(
        "write → answerable: median {:.2} s, p90 {:.2} s, worst {:.2} s",
        percentile(&delays, 0.5).as_secs_f64(),
        percentile(&delays, 0.9).as_secs_f64(),
        delays.last().unwrap().as_secs_f64()
    );
}
