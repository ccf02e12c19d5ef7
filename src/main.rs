//! The `guichet` command: thin glue from the command line to the library.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use time::OffsetDateTime;

use guichet::assistant::Assistant;
use guichet::config::Config;
use guichet::messages::Msg;
use guichet::requests::model::{Email, RequestRef, RequestStatus};
use guichet::requests::sqlite::SqliteStore;
use guichet::requests::{export, RequestDesk, RequestFilter};
use guichet::{eval, Knowledge, Language, Question};

/// guichet — the front desk of the Quebec SPOR SUPPORT Unit (Unité de soutien SSA Québec).
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Configuration file (default: ./config/guichet.toml, else the embedded defaults).
    #[arg(long, global = true, env = "GUICHET_CONFIG")]
    config: Option<PathBuf>,
    /// Skip malformed knowledge files (and name them) instead of refusing to start.
    #[arg(long, global = true)]
    skip_invalid: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon: the web chat, the API and the staff pages.
    Serve,
    /// Check the configuration and connect to each enabled channel's servers (IMAP, SMTP,
    /// Discord, Teams) without changing anything; exit status 1 when something fails.
    Check,
    /// Chat with guichet in the terminal.
    Chat {
        /// Read one message per line and write one JSON reply per line.
        #[arg(long)]
        json: bool,
        /// Resume (or name) a conversation.
        #[arg(long)]
        session: Option<String>,
    },
    /// (Re)build the search index and print what it holds.
    Index,
    /// Copy the Unit's web pages listed in [sync] (sitemap, urls) into the knowledge
    /// folder's site/ once; exit status 1 when no page could be copied.
    Sync,
    /// Answer a question from the knowledge base.
    Ask {
        /// Reply in this language (fr or en) whatever the question's language.
        #[arg(long)]
        lang: Option<Language>,
        /// Print exactly one JSON object: {"answered", "lang", "hits": [...]}.
        #[arg(long)]
        json: bool,
        /// The question (several words are joined).
        #[arg(required = true, num_args = 1..)]
        question: Vec<String>,
    },
    /// Run an evaluation set (JSON lines): misses, accuracy, tables by style and language.
    Eval {
        file: PathBuf,
        /// Exit with status 1 when the accuracy is below this share (0 to 1).
        #[arg(long)]
        min_accuracy: Option<f64>,
        /// Answer every question with its best passages (retrieval recall at each case's
        /// `top`, without the answer/fallback decision).
        #[arg(long, conflicts_with_all = ["folds", "fit"])]
        no_gate: bool,
        /// K-fold cross-validation of the decision: fit on K-1 folds, score the held-out one.
        #[arg(long, value_parser = clap::value_parser!(u16).range(2..=50))]
        folds: Option<u16>,
        /// With --folds: repeat the cross-validation on this many splits (the file order,
        /// then shuffled ones) and pool the held-out outcomes.
        #[arg(long, requires = "folds", default_value_t = 1,
              value_parser = clap::value_parser!(u16).range(1..=100))]
        repeats: u16,
        /// Fit the decision on the whole set and write it to this file (the knowledge
        /// folder's decision.toml), then report with it.
        #[arg(long)]
        fit: Option<PathBuf>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// Also write every question part's signals and label (TSV) to this file.
        #[arg(long)]
        signals: Option<PathBuf>,
    },
    /// Review, triage and export the logged requests.
    /// The questions queue: questions without a good answer, grouped by wording.
    Questions {
        #[command(subcommand)]
        command: QuestionsCommand,
    },
    Requests {
        #[command(subcommand)]
        command: RequestsCommand,
    },
    /// Read a password on standard input and print its argon2 hash for a [[staff]] entry.
    HashPassword,
    /// Microsoft Teams: the app package administrators upload.
    Teams {
        #[command(subcommand)]
        command: TeamsCommand,
    },
}

#[derive(Subcommand)]
enum TeamsCommand {
    /// Write the Teams app package (manifest, French strings, icons) for teams.app_id.
    Package {
        /// Where to write the zip.
        #[arg(long, default_value = "guichet-teams.zip")]
        out: PathBuf,
        /// The Unit's website, shown in Teams' app details.
        #[arg(long, default_value = "https://ssaquebec.ca")]
        website: String,
        /// The privacy page.
        #[arg(long, default_value = "https://ssaquebec.ca")]
        privacy_url: String,
        /// The terms of use.
        #[arg(long, default_value = "https://ssaquebec.ca")]
        terms_url: String,
    },
}

#[derive(Subcommand)]
enum QuestionsCommand {
    /// List the groups of questions to review, largest first.
    List {
        #[arg(long)]
        json: bool,
        /// Only questions asked in the last DAYS days.
        #[arg(long, default_value_t = 30)]
        since: u32,
    },
    /// Mark a group: added (to the knowledge base), out-of-scope, ignore, or open again.
    Mark {
        id: String,
        state: String,
        #[arg(long, default_value_t = 30)]
        since: u32,
        #[arg(long)]
        by: Option<String>,
    },
    /// Export the groups as CSV.
    Export {
        #[arg(long, default_value_t = 30)]
        since: u32,
    },
}

#[derive(Subcommand)]
enum RequestsCommand {
    /// List requests, newest first.
    List {
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show one request with its transcript and history.
    Show {
        reference: String,
        #[arg(long)]
        json: bool,
    },
    /// Move a request to another status (new, triaged, assigned, in_progress, closed).
    SetStatus {
        reference: String,
        status: String,
        /// Why (required to close or reopen).
        #[arg(long)]
        note: Option<String>,
        /// Who makes the change (default: the system user).
        #[arg(long)]
        by: Option<String>,
    },
    /// Assign a request to a staff member.
    Assign {
        reference: String,
        staff: String,
        #[arg(long)]
        by: Option<String>,
    },
    /// Add a staff note.
    Note {
        reference: String,
        note: String,
        #[arg(long)]
        by: Option<String>,
    },
    /// Export every request.
    Export {
        #[arg(long, value_parser = ["csv", "json"], default_value = "csv")]
        format: String,
    },
    /// Erase everything about a person (requests and conversations).
    Erase {
        #[arg(long)]
        email: String,
        #[arg(long)]
        by: Option<String>,
    },
    /// Erase conversations past the retention period now (serve does it every hour).
    Purge,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("guichet=info,warn")),
        )
        .with_writer(std::io::stderr)
        // Colours only on a terminal: a log file or journald gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if matches!(cli.command, Command::Check) {
        return check(cli.config.as_deref());
    }
    let mut config = Config::load(cli.config.as_deref())?;
    config.knowledge.skip_invalid |= cli.skip_invalid;
    match cli.command {
        Command::Serve => serve(config),
        Command::Check => check(cli.config.as_deref()),
        Command::Teams {
            command:
                TeamsCommand::Package {
                    out,
                    website,
                    privacy_url,
                    terms_url,
                },
        } => {
            let developer = guichet::teams::package::Developer {
                website,
                privacy: privacy_url,
                terms: terms_url,
                ..Default::default()
            };
            let zip = guichet::teams::package::package(&config.teams.app_id, &developer)?;
            std::fs::write(&out, zip).with_context(|| format!("writing {}", out.display()))?;
            println!("{}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Chat { json, session } => {
            let assistant = assistant(&config)?;
            let conversation = session.unwrap_or_else(|| {
                format!(
                    "{}-{}",
                    std::process::id(),
                    OffsetDateTime::now_utc().unix_timestamp()
                )
            });
            let color = !json && std::io::stdout().is_terminal();
            guichet::terminal::run(
                &assistant,
                &conversation,
                json,
                std::io::stdin().lock(),
                std::io::stdout().lock(),
                color,
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Index => {
            let knowledge = Knowledge::rebuild(&config).context("building the index")?;
            let m = knowledge.manifest();
            println!("index: {}", config.index_dir().display());
            for lang in Language::ALL {
                println!(
                    "{lang}: {} documents, {} passages",
                    m.documents.get(&lang).copied().unwrap_or(0),
                    m.passages.get(&lang).copied().unwrap_or(0)
                );
            }
            for skipped in &m.skipped {
                println!("skipped {skipped}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Ask {
            lang,
            json,
            question,
        } => {
            let knowledge = Knowledge::open(&config).context("opening the index")?;
            let text = question.join(" ");
            let answer = match Question::parse(&text) {
                Ok(q) => match lang {
                    Some(l) => knowledge.ask_in(&q, l),
                    None => knowledge.ask(&q, None),
                },
                Err(_) => {
                    let l = lang.unwrap_or(config.search.default_language);
                    anyhow::bail!(
                        "{} / {}",
                        Msg::EmptyQuestion.text(l),
                        Msg::EmptyQuestion.text(l.other())
                    );
                }
            };
            if json {
                println!("{}", answer.to_json());
            } else if std::io::stdout().is_terminal() {
                println!("{}", answer.render_text("\x1b[1m", "\x1b[0m"));
            } else {
                println!("{}", answer.render_text("", ""));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval {
            file,
            min_accuracy,
            no_gate,
            folds,
            repeats,
            fit,
            json,
            signals,
        } => {
            let knowledge = Knowledge::open(&config).context("opening the index")?;
            let cases = eval::read(&file)?;
            if let Some(out) = &signals {
                let table = eval::signals_table(&eval::examine(&knowledge, &cases));
                std::fs::write(out, table).with_context(|| format!("writing {}", out.display()))?;
            }
            let report = if let Some(k) = folds {
                let mut runs = eval::cross_validate_repeated(
                    &eval::examine(&knowledge, &cases),
                    k.into(),
                    knowledge.max_hits(),
                    repeats.into(),
                );
                if json {
                    let v: Vec<serde_json::Value> = runs.iter().map(|cv| cv.to_json()).collect();
                    match v.as_slice() {
                        [one] => println!("{one}"),
                        _ => println!("{}", serde_json::Value::Array(v)),
                    }
                } else {
                    print!("{}", eval::repeated_summary(&runs));
                }
                runs.swap_remove(0).held_out
            } else {
                let report = if no_gate {
                    eval::run_ungated(&knowledge, &cases)
                } else if let Some(out) = &fit {
                    let examined = eval::examine(&knowledge, &cases);
                    let decision = eval::fit(&examined, knowledge.max_hits());
                    let header = format!(
                        "The answer/fallback decision, fitted by `guichet eval {} --fit {}`\non {} questions. Refit after the knowledge base changes (see the README).",
                        file.display(),
                        out.display(),
                        cases.len()
                    );
                    std::fs::write(out, decision.to_toml(&header))
                        .with_context(|| format!("writing {}", out.display()))?;
                    eprintln!("wrote {}", out.display());
                    eval::decide_with(&examined, &decision, knowledge.max_hits())
                } else {
                    eval::run(&knowledge, &cases)
                };
                if json {
                    println!("{}", report.to_json());
                } else {
                    print!("{}", report.summary());
                }
                report
            };
            match min_accuracy {
                Some(min) if report.accuracy() < min => Ok(ExitCode::from(1)),
                _ => Ok(ExitCode::SUCCESS),
            }
        }
        Command::Sync => sync(&config),
        Command::Requests { command } => requests(&config, command),
        Command::Questions { command } => questions(&config, command),
        Command::HashPassword => {
            // Typed at a terminal: not echoed (nor left on screen or in a recording);
            // piped in: read as a line.
            let password = if std::io::stdin().is_terminal() {
                rpassword::prompt_password("Password / mot de passe : ")
                    .context("reading the password from the terminal")?
            } else {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                line
            };
            let password = password.trim_end_matches(['\r', '\n']);
            anyhow::ensure!(
                password.chars().count() >= 10,
                "the password must have at least 10 characters"
            );
            println!(
                "{}",
                guichet::web::hash_password(password).context("hashing the password")?
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `guichet sync`: one run, its summary in both languages.
fn sync(config: &Config) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let summary = runtime
        .block_on(guichet::sync::run(config))
        .context("syncing the site")?;
    let counts = [
        ("listed", summary.listed),
        ("fetched", summary.fetched),
        ("unchanged", summary.unchanged),
        ("written", summary.written),
        ("removed", summary.removed),
        ("failed", summary.failed),
        ("skipped", summary.skipped),
    ]
    .map(|(name, n)| (name, n.to_string()));
    let values: Vec<(&str, &str)> = counts.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for lang in Language::ALL {
        println!("{}", Msg::SyncSummary.fill(lang, &values));
    }
    Ok(if summary.all_failed() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The staff's desk over the request database (no knowledge base needed).
fn desk(config: &Config) -> anyhow::Result<RequestDesk> {
    let path = config.database_path();
    let store = SqliteStore::open(&path)
        .with_context(|| format!("opening the request database {}", path.display()))?;
    Ok(RequestDesk::new(Arc::new(store)))
}

fn questions(config: &Config, command: QuestionsCommand) -> anyhow::Result<ExitCode> {
    use guichet::questions::{self, GroupState, QuestionsQueue};
    let path = config.database_path();
    let store = SqliteStore::open(&path)
        .with_context(|| format!("opening the request database {}", path.display()))?;
    let queue = QuestionsQueue::new(Arc::new(store));
    let now = OffsetDateTime::now_utc();
    let since = |days: u32| (now - time::Duration::days(days.into())).date();
    match command {
        QuestionsCommand::List { json, since: days } => {
            let groups = queue.list(since(days))?;
            if json {
                println!("{}", questions::to_json(&groups));
            } else if groups.is_empty() {
                println!(
                    "aucune question à examiner depuis {days} jours / no questions to review in the last {days} days"
                );
            } else {
                for g in &groups {
                    println!(
                        "{}  {:>4}  {:<12}  {} – {}  [{}] [{}]  {}",
                        g.id,
                        g.count,
                        g.state.code(),
                        g.first_seen,
                        g.last_seen,
                        g.languages.iter().copied().collect::<Vec<_>>().join(","),
                        g.channels.iter().copied().collect::<Vec<_>>().join(","),
                        g.examples.first().map(String::as_str).unwrap_or(""),
                    );
                }
            }
        }
        QuestionsCommand::Mark {
            id,
            state,
            since: days,
            by,
        } => {
            let state = GroupState::parse(&state).with_context(|| {
                format!("{state}: the state is one of added, out-of-scope, ignore, open")
            })?;
            let group = queue.mark(&id, state, since(days), &who(by), now)?;
            println!("{} → {}", group.id, group.state.code());
        }
        QuestionsCommand::Export { since: days } => {
            print!("{}", questions::to_csv(&queue.list(since(days))?));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn assistant(config: &Config) -> anyhow::Result<Assistant> {
    Ok(guichet::daemon::assistant(config)?)
}

fn who(by: Option<String>) -> String {
    by.or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "staff".to_string())
}

fn requests(config: &Config, command: RequestsCommand) -> anyhow::Result<ExitCode> {
    let desk = desk(config)?;
    let now = OffsetDateTime::now_utc();
    let reference = |r: &str| RequestRef::parse(r).map_err(|e| anyhow::anyhow!("{r}: {e}"));
    match command {
        RequestsCommand::List { status, json } => {
            let status = status
                .map(|s| RequestStatus::parse(&s).map_err(|e| anyhow::anyhow!("{s}: {e}")))
                .transpose()?;
            let list = desk.list(&RequestFilter {
                status,
                ..Default::default()
            })?;
            if json {
                println!("{}", export::to_json(&list));
            } else {
                print!("{}", export::render_list(&list));
            }
        }
        RequestsCommand::Show { reference: r, json } => {
            let r = reference(&r)?;
            let request = desk.get(&r)?.with_context(|| format!("no request {r}"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&request.to_json())?);
            } else {
                print!("{}", export::render_detail(&request, &desk.history(&r)?));
            }
        }
        RequestsCommand::SetStatus {
            reference: r,
            status,
            note,
            by,
        } => {
            let status =
                RequestStatus::parse(&status).map_err(|e| anyhow::anyhow!("{status}: {e}"))?;
            let request =
                desk.set_status(&reference(&r)?, status, note.as_deref(), &who(by), now)?;
            println!("{} → {}", request.reference, request.status.code());
        }
        RequestsCommand::Assign {
            reference: r,
            staff,
            by,
        } => {
            let request = desk.assign(&reference(&r)?, &staff, &who(by), now)?;
            println!(
                "{} → {} ({})",
                request.reference,
                staff,
                request.status.code()
            );
        }
        RequestsCommand::Note {
            reference: r,
            note,
            by,
        } => {
            let request = desk.add_note(&reference(&r)?, &note, &who(by), now)?;
            println!("{}: note added", request.reference);
        }
        RequestsCommand::Export { format } => {
            let list = desk.list(&RequestFilter::default())?;
            match format.as_str() {
                "json" => println!("{}", export::to_json(&list)),
                _ => print!("{}", export::to_csv(&list)),
            }
        }
        RequestsCommand::Erase { email, by } => {
            let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("{email}: {e}"))?;
            let erased = assistant(config)?.erase_person(&email, &who(by), now)?;
            println!("{erased}");
        }
        RequestsCommand::Purge => {
            let days = config.privacy.conversation_retention_days;
            let n = assistant(config)?.purge_expired(now)?;
            println!("erased {n} record(s) of personal data older than {days} days");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `guichet check`: one line per check on standard output; status 1 when one failed.
fn check(path: Option<&std::path::Path>) -> anyhow::Result<ExitCode> {
    let report = match Config::load(path) {
        Ok(config) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(guichet::check::run(&config)),
        Err(e) => guichet::check::Report::invalid_config(&e),
    };
    print!("{}", report.render());
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn serve(config: Config) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        // Listen for signals first: a SIGTERM arriving while the index loads stops cleanly.
        let shutdown = shutdown_signal()?;
        let daemon = guichet::daemon::Daemon::build(config).await?;
        let address = daemon.local_addr()?;
        tracing::info!(%address, "guichet is serving: open http://{address}/");
        daemon.run(shutdown).await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Resolves at the first SIGINT or SIGTERM. The handlers are installed when this is called,
/// not when the future is first polled, so no signal is lost in between.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut interrupt = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
        let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}
