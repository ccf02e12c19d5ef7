//! Load benchmark of the web channel: the real server (bundled knowledge base, its own
//! index and SQLite file in a temporary folder) on loopback, in this process, and a load
//! generator with N keep-alive connections, each with its own chat session, posting a
//! rotating set of questions to `POST /api/chat` for a fixed time after a warm-up.
//! Prints answers per second and latency percentiles.
//!
//! ```sh
//! cargo bench --bench web_load
//! WEB_LOAD_MODE=unique cargo bench --bench web_load
//! WEB_LOAD_MODE=unique-chat cargo bench --bench web_load
//! WEB_LOAD_SERVER=axum cargo bench --bench web_load   # plain axum::serve, for comparison
//! ```
//!
//! Knobs (environment, bounded): `WEB_LOAD_CONNECTIONS` (default 32, at most 256),
//! `WEB_LOAD_SECONDS` (measured time, default 10, at most 60), `WEB_LOAD_WARMUP` (default
//! 2, at most 10), `WEB_LOAD_MESSAGES_PER_SESSION` (start a new session after this many
//! messages; default 0 = one session per connection for the whole run),
//! `WEB_LOAD_MODE` — unset (or `rotating`): the 12 fixed questions in turn, so after the
//! first round nearly every answer comes from the engine's answer cache; `unique`: every
//! message of the run is a different text (short chat questions and long emails with
//! greeting, self-introduction and signature, French and English, a fifth off-topic; see
//! `mod unique`), so the answer cache never hits and every message costs a full search
//! (their distinctness is checked after the run); `unique-chat`: the same without the
//! emails (every message a different short chat question, on-topic or not: the mix the
//! issue's first wrk measurement used); `adapter`: post empty messages instead
//! of questions (they go through the whole web layer — rate limit, CORS, JSON, session —
//! and are refused before the engine, which measures the web channel's own cost).
//! Loopback only; the rate limit is raised so it does not get in the way.
//!
//! `WEB_LOAD_DUMP=N` prints the first N messages of the mode (for `rotating`, its 12
//! questions) instead, one JSON string per line, for `scripts/bench-wrk`, which runs the
//! same load from wrk in a process of its own against `guichet serve`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use guichet::config::Config;
use guichet::web::{serve, AppState};
use serde_json::{json, Value};

/// Questions in both languages, answered and unanswered, as people ask them.
const QUESTIONS: &[&str] = &[
    "Who created Oncopole?",
    "Qui sont vos partenaires ?",
    "What is the CIHR?",
    "Qu'est-ce que le GRIIS ?",
    "How do I make a request for a letter of support?",
    "criteres d'admissibilite",
    "What services does the Unit offer?",
    "Quelle est la mission du Fonds de recherche du Québec ?",
    "Who funds the Unit?",
    "recette de poutine",
    "What is patient partnership?",
    "Comment obtenir une rencontre exploratoire ?",
];

/// What the load generator posts (`WEB_LOAD_MODE`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// [`QUESTIONS`] in turn: mostly answer-cache hits.
    Rotating,
    /// A different text every message ([`unique::message`]): no answer-cache hit.
    Unique,
    /// [`Mode::Unique`] without its emails: every message a different short chat line.
    UniqueChat,
    /// Empty messages, refused before the engine.
    Adapter,
}

impl Mode {
    fn from_env() -> Mode {
        match std::env::var("WEB_LOAD_MODE").as_deref() {
            Err(_) | Ok("") | Ok("rotating") => Mode::Rotating,
            Ok("unique") => Mode::Unique,
            Ok("unique-chat") => Mode::UniqueChat,
            Ok("adapter") => Mode::Adapter,
            Ok(other) => {
                panic!(
                    "WEB_LOAD_MODE={other:?}: expected rotating (the default), unique, unique-chat or adapter"
                )
            }
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Mode::Rotating => "rotating mode (12 fixed questions: mostly answer-cache hits)",
            Mode::Unique => "unique mode (every message a different text: no answer-cache hit)",
            Mode::UniqueChat => {
                "unique-chat mode (every message a different short chat line, no email)"
            }
            Mode::Adapter => "adapter-only mode (empty messages, refused before the engine)",
        }
    }
}

fn knob(name: &str, default: u64, max: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
        .min(max)
}

fn main() {
    if let Some(count) = std::env::var("WEB_LOAD_DUMP")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        dump(Mode::from_env(), count);
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(run());
}

/// What one connection measured.
#[derive(Default)]
struct Tally {
    /// Latencies of the answers received during the measured window, in microseconds.
    latencies: Vec<u64>,
    errors: u64,
}

async fn run() {
    let connections = knob("WEB_LOAD_CONNECTIONS", 32, 256).max(1) as usize;
    let measured = Duration::from_secs(knob("WEB_LOAD_SECONDS", 10, 60).max(1));
    let warm_up = Duration::from_secs(knob("WEB_LOAD_WARMUP", 2, 10));
    let per_session = knob("WEB_LOAD_MESSAGES_PER_SESSION", 0, 1_000_000);
    let mode = Mode::from_env();
    let adapter_only = mode == Mode::Adapter;
    // The next message number of `WEB_LOAD_MODE=unique`, shared by all connections.
    let next_message = Arc::new(AtomicU64::new(0));

    let data = tempfile::TempDir::new().expect("a temporary folder");
    let text = format!(
        "data_dir = {:?}\n[knowledge]\ndir = {:?}\n[web]\nrate_limit_per_minute = 4000000000\n",
        data.path().display().to_string(),
        concat!(env!("CARGO_MANIFEST_DIR"), "/knowledge"),
    );
    let config = Config::from_toml(&text, "bench", &[]).expect("a valid configuration");
    let for_engine = config.clone();
    let assistant = tokio::task::spawn_blocking(move || {
        guichet::daemon::assistant(&for_engine).expect("the engine builds")
    })
    .await
    .expect("set-up");
    let state = AppState::new(assistant, &config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    // `WEB_LOAD_SERVER=axum` serves the same application with plain `axum::serve` (no
    // timeouts nor connection caps), to measure what guichet's accept loop costs.
    let plain_axum = std::env::var("WEB_LOAD_SERVER").is_ok_and(|v| v == "axum");
    let server = if plain_axum {
        tokio::spawn(async move {
            axum::serve(listener, guichet::web::app(state))
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
        })
    } else {
        tokio::spawn(serve(listener, state, async move {
            let _ = stopped.await;
        }))
    };

    println!(
        "web_load: {} server, {}, {connections} connections, {}s warm-up, {}s measured, {} messages per session, on {} CPUs",
        if plain_axum { "axum::serve" } else { "guichet" },
        mode.describe(),
        warm_up.as_secs(),
        measured.as_secs(),
        if per_session == 0 { "all".to_string() } else { per_session.to_string() },
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    let start = Instant::now();
    let measure_from = start + warm_up;
    let end = measure_from + measured;
    let mut tasks = Vec::new();
    for c in 0..connections {
        let base = base.clone();
        let next_message = next_message.clone();
        tasks.push(tokio::spawn(async move {
            // One client per task with at most one idle connection: one keep-alive
            // connection per simulated visitor.
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .expect("an HTTP client");
            let mut tally = Tally::default();
            let mut session = String::new();
            let mut sent_in_session = 0u64;
            let mut i = c;
            while Instant::now() < end {
                if session.is_empty() || (per_session > 0 && sent_in_session >= per_session) {
                    match new_session(&client, &base).await {
                        Some(s) => session = s,
                        None => {
                            tally.errors += 1;
                            continue;
                        }
                    }
                    sent_in_session = 0;
                }
                let question = match mode {
                    Mode::Adapter => String::new(),
                    Mode::Rotating => QUESTIONS[i % QUESTIONS.len()].to_string(),
                    Mode::Unique => unique::message(next_message.fetch_add(1, Ordering::Relaxed)),
                    Mode::UniqueChat => loop {
                        let n = next_message.fetch_add(1, Ordering::Relaxed);
                        if !unique::is_email(n) {
                            break unique::message(n);
                        }
                    },
                };
                i += 1;
                let sent = Instant::now();
                let ok = match client
                    .post(format!("{base}/api/chat"))
                    .json(&json!({"session": session, "text": question}))
                    .send()
                    .await
                {
                    Ok(r)
                        if r.status().is_success()
                            || (adapter_only && r.status().as_u16() == 400) =>
                    {
                        r.bytes().await.is_ok_and(|b| !b.is_empty())
                    }
                    _ => false,
                };
                sent_in_session += 1;
                let done = Instant::now();
                if sent >= measure_from && done <= end {
                    if ok {
                        tally
                            .latencies
                            .push(done.duration_since(sent).as_micros() as u64);
                    } else {
                        tally.errors += 1;
                    }
                }
            }
            tally
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let tally = task.await.expect("a load task");
        latencies.extend(tally.latencies);
        errors += tally.errors;
    }
    latencies.sort_unstable();
    let answers = latencies.len();
    let pct = |p: f64| -> f64 {
        if latencies.is_empty() {
            return f64::NAN;
        }
        let index = ((p / 100.0) * (latencies.len() - 1) as f64).round() as usize;
        latencies[index] as f64 / 1000.0
    };
    println!(
        "web_load: {} mode: {answers} answers in {:.1}s = {:.0} answers/s; errors {errors}",
        match mode {
            Mode::Rotating => "rotating",
            Mode::Unique => "unique",
            Mode::UniqueChat => "unique-chat",
            Mode::Adapter => "adapter-only",
        },
        measured.as_secs_f64(),
        answers as f64 / measured.as_secs_f64()
    );
    println!(
        "web_load: latency ms  p50 {:.2}  p95 {:.2}  p99 {:.2}  max {:.2}",
        pct(50.0),
        pct(95.0),
        pct(99.0),
        pct(100.0)
    );
    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(10), server).await;
    if matches!(mode, Mode::Unique | Mode::UniqueChat) {
        // After the measurement: every message made (warm-up included) was a different
        // text; the chat-only mode skipped the emails among them.
        let made = next_message.load(Ordering::Relaxed);
        let (emails, off_topic) = unique::check(made);
        let sent_emails = if mode == Mode::Unique { emails } else { 0 };
        println!(
            "web_load: {} mode: all {made} messages made were distinct (checked); {sent_emails} emails sent, {off_topic} off-topic made",
            if mode == Mode::Unique { "unique" } else { "unique-chat" }
        );
    }
}

/// Prints the first `count` messages of `mode` as JSON strings, one per line.
fn dump(mode: Mode, count: u64) {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match mode {
        Mode::Unique | Mode::UniqueChat => {}
        Mode::Rotating => {
            for question in QUESTIONS {
                let text = serde_json::to_string(question).expect("a JSON string");
                writeln!(out, "{text}").expect("stdout");
            }
            return;
        }
        Mode::Adapter => panic!("WEB_LOAD_DUMP: the adapter mode posts no messages"),
    }
    let mut written = 0;
    for n in 0.. {
        if written == count {
            break;
        }
        if mode == Mode::UniqueChat && unique::is_email(n) {
            continue;
        }
        let text = serde_json::to_string(&unique::message(n)).expect("a JSON string");
        writeln!(out, "{text}").expect("stdout");
        written += 1;
    }
}

async fn new_session(client: &reqwest::Client, base: &str) -> Option<String> {
    let response = client
        .post(format!("{base}/api/session"))
        .send()
        .await
        .ok()?;
    let body: Value = response.json().await.ok()?;
    body["session"].as_str().map(str::to_string)
}

#[path = "web_load/unique.rs"]
mod unique;
