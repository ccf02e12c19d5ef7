//! Site sync against a local web server serving copies of the Unit's pages: a sitemap,
//! robots.txt, conditional GETs, a changed page, a 404, a redirect off-site, huge pages,
//! and the copies read back through the knowledge base.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::Response;
use guichet::config::Config;
use guichet::sync::state::State as SyncState;
use guichet::sync::{run_at, Summary};
use guichet::{Knowledge, Language, Question};
use tempfile::TempDir;
use time::OffsetDateTime;

/// The seed page (the Unit, in English), saved as the site serves it: navigation, header,
/// footer, scripts and styles around the text.
const UNIT: &str = include_str!("../data/site/the-unit.en.html");
/// The French "make a request" page, with a relative canonical link.
const DEMANDE: &str = include_str!("../data/site/faire-une-demande.fr.html");
const MAX_PAGE_BYTES: usize = 20_000;

const UNIT_PATH: &str = "/en/the-unit/";
const DEMANDE_PATH: &str = "/fr/faire-une-demande/";
const MOVED_PATH: &str = "/en/moved/";
/// Redirects to `UNIT_PATH` on the same host.
const OLD_UNIT_PATH: &str = "/en/the-unit";
const ELSEWHERE_PATH: &str = "/elsewhere/";
const HUGE_PATH: &str = "/en/huge/";
const STREAMED_PATH: &str = "/en/huge-streamed/";
const PRIVATE_PATH: &str = "/private/staff-only/";

#[derive(Clone)]
struct Served {
    body: String,
    etag: String,
    last_modified: String,
}

/// What the test server serves, and what it saw.
struct Site {
    port: u16,
    pages: HashMap<&'static str, Served>,
    /// Paths the sitemap lists.
    sitemap: Vec<&'static str>,
    robots_status: StatusCode,
    /// Requests per path (query included).
    hits: HashMap<String, usize>,
    /// 304s answered per path.
    not_modified: HashMap<String, usize>,
}

type Shared = Arc<Mutex<Site>>;

fn served(body: &str, version: u32) -> Served {
    Served {
        body: body.to_string(),
        etag: format!("\"v{version}\""),
        last_modified: format!("Mon, 0{version} Dec 2025 10:00:00 GMT"),
    }
}

async fn handle(State(site): State<Shared>, request: Request) -> Response {
    let path = request.uri().path().to_string();
    let if_none_match = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let if_modified_since = request
        .headers()
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut site = site.lock().unwrap();
    *site.hits.entry(path.clone()).or_default() += 1;
    let port = site.port;
    let response = Response::builder();
    match path.as_str() {
        "/robots.txt" => response
            .status(site.robots_status)
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from(
                "User-agent: *\nDisallow: /private/\n\nUser-agent: otherbot\nDisallow: /\n",
            )),
        "/sitemap.xml" => {
            let urls: String = site
                .sitemap
                .iter()
                .map(|p| format!("<url><loc>http://127.0.0.1:{port}{p}</loc></url>\n"))
                .collect();
            response
                .header(header::CONTENT_TYPE, "application/xml")
                .body(Body::from(format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n{urls}</urlset>\n"
                )))
        }
        // Same server, but another host name: off-site for the sync.
        MOVED_PATH => response
            .status(StatusCode::FOUND)
            .header(header::LOCATION, format!("http://localhost:{port}{ELSEWHERE_PATH}"))
            .body(Body::empty()),
        OLD_UNIT_PATH => response
            .status(StatusCode::MOVED_PERMANENTLY)
            .header(header::LOCATION, UNIT_PATH)
            .body(Body::empty()),
        HUGE_PATH => response
            .header(header::CONTENT_TYPE, "text/html")
            .body(Body::from(huge_page())),
        // No Content-Length: the body must be cut while it is read.
        STREAMED_PATH => {
            let chunks: Vec<Result<Vec<u8>, std::io::Error>> = huge_page()
                .into_bytes()
                .chunks(4096)
                .map(|c| Ok(c.to_vec()))
                .collect();
            response
                .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
                .body(Body::from_stream(futures_util::stream::iter(chunks)))
        }
        _ => match site.pages.get(path.as_str()).cloned() {
            Some(page) => {
                let fresh = if_none_match.as_deref() == Some(page.etag.as_str())
                    || (if_none_match.is_none()
                        && if_modified_since.as_deref() == Some(page.last_modified.as_str()));
                if fresh {
                    *site.not_modified.entry(path).or_default() += 1;
                    response
                        .status(StatusCode::NOT_MODIFIED)
                        .header(header::ETAG, &page.etag)
                        .body(Body::empty())
                } else {
                    response
                        .header(header::CONTENT_TYPE, "text/html; charset=UTF-8")
                        .header(header::ETAG, &page.etag)
                        .header(header::LAST_MODIFIED, &page.last_modified)
                        .body(Body::from(page.body))
                }
            }
            None => response
                .status(StatusCode::NOT_FOUND)
                .header(header::CONTENT_TYPE, "text/html")
                .body(Body::from("<html><title>Not found</title></html>")),
        },
    }
    .unwrap()
}

/// A real-looking page well over the cap.
fn huge_page() -> String {
    let paragraph = "<p>The Unit publishes a very long annual report with many tables.</p>\n";
    format!(
        "<html lang=\"en\"><title>Annual report</title><main>{}</main></html>",
        paragraph.repeat(MAX_PAGE_BYTES / paragraph.len() * 3)
    )
}

/// The test server, a knowledge folder and a data directory, and the configuration over them.
struct TestSite {
    site: Shared,
    port: u16,
    knowledge: TempDir,
    _data: TempDir,
    config: Config,
}

impl TestSite {
    async fn start() -> TestSite {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let site = Arc::new(Mutex::new(Site {
            port,
            pages: HashMap::from([
                (UNIT_PATH, served(UNIT, 1)),
                (DEMANDE_PATH, served(DEMANDE, 1)),
            ]),
            sitemap: vec![
                UNIT_PATH,
                DEMANDE_PATH,
                MOVED_PATH,
                HUGE_PATH,
                STREAMED_PATH,
                PRIVATE_PATH,
            ],
            robots_status: StatusCode::OK,
            hits: HashMap::new(),
            not_modified: HashMap::new(),
        }));
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(site.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let knowledge = TempDir::new().unwrap();
        let data = TempDir::new().unwrap();
        let text = format!(
            "data_dir = {:?}\n[knowledge]\ndir = {:?}\n[sync]\nenabled = true\nsitemap = \"http://127.0.0.1:{port}/sitemap.xml\"\nurls = [\"http://127.0.0.1:{port}{DEMANDE_PATH}#again\"]\nallowed_hosts = [\"127.0.0.1\", \"ssaquebec.ca\"]\ndelay_ms = 0\nmax_page_bytes = {MAX_PAGE_BYTES}\nremove_after_days = 3\n",
            data.path().display().to_string(),
            knowledge.path().display().to_string(),
        );
        let config =
            Config::from_toml(&text, "test", &[]).expect("the test configuration is valid");
        TestSite {
            site,
            port,
            knowledge,
            _data: data,
            config,
        }
    }

    async fn sync(&self, at: OffsetDateTime) -> Summary {
        run_at(&self.config, at).await.expect("the sync runs")
    }

    fn site_dir(&self) -> PathBuf {
        self.knowledge.path().join("site")
    }

    /// The copies written, by file name.
    fn copies(&self) -> HashMap<String, String> {
        std::fs::read_dir(self.site_dir())
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    std::fs::read_to_string(&p).unwrap(),
                )
            })
            .collect()
    }

    /// The copy of the page at `path` (its file named in the sync's state).
    fn copy_path(&self, path: &str) -> PathBuf {
        let state = self.state();
        let page = &state.pages[&self.url(path)];
        self.site_dir().join(&page.file)
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn state(&self) -> SyncState {
        SyncState::load(&SyncState::path(&self.config.data_dir)).unwrap()
    }

    fn last_error(&self, path: &str) -> String {
        self.state().pages[&self.url(path)]
            .last_error
            .clone()
            .unwrap_or_default()
    }

    fn hits(&self, path: &str) -> usize {
        self.site
            .lock()
            .unwrap()
            .hits
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    fn not_modified(&self, path: &str) -> usize {
        self.site
            .lock()
            .unwrap()
            .not_modified
            .get(path)
            .copied()
            .unwrap_or(0)
    }
}

fn t0() -> OffsetDateTime {
    time::macros::datetime!(2026-03-02 03:00 UTC)
}

fn days(n: i64) -> time::Duration {
    time::Duration::days(n)
}

#[tokio::test]
async fn a_first_sync_copies_each_page_with_its_title_canonical_address_and_language() {
    let t = TestSite::start().await;
    // The old address of the Unit's page redirects to it: one page, one copy.
    t.site.lock().unwrap().sitemap.push(OLD_UNIT_PATH);
    let before = guichet::reload::scan(t.knowledge.path());
    let summary = t.sync(t0()).await;
    assert_eq!(
        (
            summary.listed,
            summary.fetched,
            summary.written,
            summary.failed
        ),
        (7, 3, 2, 5),
        "{summary:?}"
    );
    assert!(!summary.all_failed());

    let copies = t.copies();
    assert_eq!(
        copies.len(),
        2,
        "only the two good pages are written: {:?}",
        copies.keys()
    );
    let unit = std::fs::read_to_string(t.copy_path(UNIT_PATH)).unwrap();
    assert!(unit.contains("<html lang=\"en\">"), "{unit}");
    assert!(
        unit.contains("<title>The Unit – Unité de soutien SSA Québec</title>"),
        "{unit}"
    );
    assert!(
        unit.contains("<link rel=\"canonical\" href=\"https://ssaquebec.ca/en/the-unit/\">"),
        "{unit}"
    );
    assert!(unit.contains("Oncopole is a Quebec research, development and investment hub"));
    assert!(unit.contains("<li>The health care network</li>"), "{unit}");
    for chrome in [
        "Make a request",
        "Skip to content",
        "gtag",
        "Latest news",
        "Privacy policy",
        "Subscribe",
        "position:sticky",
        "Français",
    ] {
        assert!(!unit.contains(chrome), "{chrome} was copied: {unit}");
    }
    let demande = std::fs::read_to_string(t.copy_path(DEMANDE_PATH)).unwrap();
    assert!(demande.contains("<html lang=\"fr\">"), "{demande}");
    assert!(demande.contains("<title>Faire une demande | Unité de soutien SSA Québec</title>"));
    let canonical = format!("<link rel=\"canonical\" href=\"{}\">", t.url(DEMANDE_PATH));
    assert!(
        demande.contains(&canonical),
        "a relative canonical link is resolved: {demande}"
    );
    assert!(demande.contains("<li>Lettre d’appui</li>"), "{demande}");
    assert!(
        !demande.contains("témoins") && !demande.contains("Accueil"),
        "{demande}"
    );

    // The refused pages: why, and what was (not) requested.
    assert!(
        t.last_error(MOVED_PATH)
            .contains("outside the allowed hosts"),
        "{}",
        t.last_error(MOVED_PATH)
    );
    assert_eq!(
        t.hits(ELSEWHERE_PATH),
        0,
        "the off-site redirect is not followed"
    );
    assert!(t.last_error(HUGE_PATH).contains("larger than 20000 bytes"));
    assert!(t
        .last_error(STREAMED_PATH)
        .contains("larger than 20000 bytes"));
    assert!(t.last_error(PRIVATE_PATH).contains("robots.txt"));
    assert_eq!(
        t.hits(PRIVATE_PATH),
        0,
        "robots.txt disallows it: never requested"
    );
    assert_eq!(t.hits("/robots.txt"), 1, "robots.txt is read once per run");
    assert_eq!(
        t.hits(DEMANDE_PATH),
        1,
        "the page listed twice is fetched once"
    );
    assert_eq!(
        t.hits(UNIT_PATH),
        2,
        "once listed, once through the redirect"
    );
    assert!(
        t.last_error(OLD_UNIT_PATH)
            .contains(&format!("the same page as {}", t.url(UNIT_PATH))),
        "{}",
        t.last_error(OLD_UNIT_PATH)
    );

    // The live reload's scan sees the new folder's files.
    let after = guichet::reload::scan(t.knowledge.path());
    assert_ne!(before, after);
    assert_eq!(
        after.keys().filter(|p| p.starts_with(t.site_dir())).count(),
        2
    );
}

#[tokio::test]
async fn unchanged_pages_get_304s_and_are_not_rewritten_while_a_changed_page_is() {
    let t = TestSite::start().await;
    t.sync(t0()).await;
    let unit_path = t.copy_path(UNIT_PATH);
    let demande_path = t.copy_path(DEMANDE_PATH);
    let modified = |p: &Path| std::fs::metadata(p).unwrap().modified().unwrap();
    let (unit_time, demande_time) = (modified(&unit_path), modified(&demande_path));

    let second = t.sync(t0() + days(1)).await;
    assert_eq!(
        (second.unchanged, second.fetched, second.written),
        (2, 0, 0),
        "{second:?}"
    );
    assert_eq!(t.not_modified(UNIT_PATH), 1);
    assert_eq!(t.not_modified(DEMANDE_PATH), 1);
    assert_eq!(
        modified(&unit_path),
        unit_time,
        "an unchanged page is not rewritten"
    );

    {
        let mut site = t.site.lock().unwrap();
        // The French page changes; the English one gets a new ETag but the same text.
        let changed = DEMANDE.replace(
            "Les formations sur le partenariat avec les patients sont gratuites.",
            "Les formations sur le partenariat avec les patients sont gratuites et offertes en ligne depuis 2026.",
        );
        site.pages.insert(DEMANDE_PATH, served(&changed, 2));
        site.pages.insert(UNIT_PATH, served(UNIT, 2));
    }
    let third = t.sync(t0() + days(2)).await;
    assert_eq!(
        (third.fetched, third.unchanged, third.written),
        (2, 0, 1),
        "{third:?}"
    );
    let demande = std::fs::read_to_string(&demande_path).unwrap();
    assert!(
        demande.contains("offertes en ligne depuis 2026"),
        "{demande}"
    );
    assert_ne!(modified(&demande_path), demande_time);
    assert_eq!(
        modified(&unit_path),
        unit_time,
        "same text under a new ETag is not rewritten"
    );
    assert_eq!(
        t.state().pages[&t.url(UNIT_PATH)].etag.as_deref(),
        Some("\"v2\"")
    );

    // A copy deleted by hand is fetched in full again, not asked for with If-None-Match.
    std::fs::remove_file(&unit_path).unwrap();
    let fourth = t.sync(t0() + days(3)).await;
    assert_eq!((fourth.fetched, fourth.written), (1, 1), "{fourth:?}");
    assert!(unit_path.exists());
}

#[tokio::test]
async fn a_page_that_disappears_keeps_its_copy_until_it_has_failed_for_remove_after_days() {
    let t = TestSite::start().await;
    t.sync(t0()).await;
    let unit_path = t.copy_path(UNIT_PATH);
    let demande_path = t.copy_path(DEMANDE_PATH);

    // Day 1: the French page answers 404.
    t.site.lock().unwrap().pages.remove(DEMANDE_PATH);
    let day1 = t.sync(t0() + days(1)).await;
    assert_eq!((day1.failed, day1.removed), (5, 0), "{day1:?}");
    assert!(demande_path.exists(), "a 404 keeps the copy");
    assert!(t.last_error(DEMANDE_PATH).contains("404"));

    // Day 2: the English page leaves the sitemap.
    t.site.lock().unwrap().sitemap.retain(|p| *p != UNIT_PATH);
    let day2 = t.sync(t0() + days(2)).await;
    assert_eq!(day2.removed, 0, "{day2:?}");
    assert!(unit_path.exists() && demande_path.exists());

    // Day 4: the French page has failed for 3 days (remove_after_days): its copy goes; the
    // English one has been missing for 2 only.
    let day4 = t.sync(t0() + days(4)).await;
    assert_eq!(day4.removed, 1, "{day4:?}");
    assert!(!demande_path.exists(), "removed after 3 days of failures");
    assert!(unit_path.exists());
    assert!(!t.state().pages.contains_key(&t.url(DEMANDE_PATH)));

    let day5 = t.sync(t0() + days(5)).await;
    assert_eq!(day5.removed, 1, "{day5:?}");
    assert!(
        !unit_path.exists(),
        "removed 3 days after it left the sitemap"
    );
    assert!(t.copies().is_empty());
}

#[tokio::test]
async fn the_task_serve_runs_copies_the_pages_and_stops_with_the_daemon() {
    let t = TestSite::start().await;
    let (trigger, stop) = guichet::shutdown::token();
    let task = tokio::spawn(guichet::sync::every(
        t.config.clone(),
        std::time::Duration::ZERO,
        stop,
    ));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let copied = || {
        std::fs::read_dir(t.site_dir()).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| !e.file_name().to_string_lossy().starts_with('.'))
        })
    };
    while !copied() {
        assert!(
            std::time::Instant::now() < deadline,
            "serve's sync task copied nothing in 30 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(t.hits("/sitemap.xml") >= 1);
    trigger.fire();
    tokio::time::timeout(std::time::Duration::from_secs(30), task)
        .await
        .expect("the sync task stops when the shutdown fires")
        .unwrap();
}

#[tokio::test]
async fn a_host_whose_robots_txt_fails_is_skipped_for_the_run() {
    let t = TestSite::start().await;
    t.site.lock().unwrap().robots_status = StatusCode::SERVICE_UNAVAILABLE;
    let summary = t.sync(t0()).await;
    assert!(summary.sitemap_error.is_some(), "{summary:?}");
    // Only the configured URL is left to try, and its host is skipped.
    assert_eq!(
        (summary.listed, summary.skipped, summary.fetched),
        (1, 1, 0),
        "{summary:?}"
    );
    assert!(summary.all_failed());
    assert_eq!(t.hits("/robots.txt"), 1);
    assert_eq!(
        t.hits("/sitemap.xml") + t.hits(DEMANDE_PATH),
        0,
        "nothing else is requested"
    );
    assert!(t.copies().is_empty());
}

#[tokio::test]
async fn copied_pages_are_searchable_with_their_canonical_address_as_the_source() {
    let t = TestSite::start().await;
    t.sync(t0()).await;
    let config = t.config.clone();
    let unit_url = "https://ssaquebec.ca/en/the-unit/".to_string();
    let demande_url = t.url(DEMANDE_PATH);
    tokio::task::spawn_blocking(move || {
        let knowledge = Knowledge::open(&config).expect("the copies load and index");
        // What is searchable, before the answer/fallback decision (fitted on the bundled
        // base, not on a folder holding only the site's copies).
        let best = |q: &str, lang: Language| {
            let parts = knowledge
                .examine(&Question::parse(q).unwrap(), lang)
                .unwrap();
            parts.into_iter().flat_map(|p| p.hits).next()
        };
        let hit = best("What is Oncopole?", Language::En).expect("Oncopole is found");
        assert_eq!(hit.url.as_deref(), Some(unit_url.as_str()));
        assert!(
            hit.excerpt.plain().contains("Oncopole"),
            "{}",
            hit.excerpt.plain()
        );

        let hit = best(
            "Quels sont les types de demandes? Une lettre d'appui?",
            Language::Fr,
        )
        .expect("the request types are found");
        assert_eq!(hit.url.as_deref(), Some(demande_url.as_str()));
        assert_eq!(hit.title, "Faire une demande | Unité de soutien SSA Québec");
    })
    .await
    .unwrap();
}
