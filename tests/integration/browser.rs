//! The chat widget and the staff pages in a real headless Chromium: what a person sees,
//! types and clicks. Every wait is bounded, so a failure fails instead of hanging.
//!
//! Needs Debian's `chromium` package at /usr/bin/chromium (CI installs it); without it
//! these tests fail, they are never skipped.

use std::path::Path;
use std::time::{Duration, Instant};

use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::Page;
use futures_util::StreamExt;
use serde_json::Value;
use tempfile::TempDir;
use tokio::task::JoinHandle;

use crate::web::{spawn_app, spawn_app_with, STAFF_PASSWORD, STAFF_USER};

const CHROMIUM: &str = "/usr/bin/chromium";
/// The browser itself, started without Debian's wrapper script (which only adds flags,
/// and whose shell checks of /dev/shm can fail on unusual mounts).
const CHROMIUM_BINARY: &str = "/usr/lib/chromium/chromium";
/// The longest any single wait may take (generous: other tests load the 2 cores meanwhile,
/// and a cold start of Chromium is slow).
const DEADLINE: Duration = Duration::from_secs(60);

/// A headless Chromium with its own profile folder; closed when dropped.
struct Chromium {
    browser: Browser,
    handler: JoinHandle<()>,
    _profile: TempDir,
}

impl Chromium {
    async fn launch() -> Chromium {
        assert!(
            Path::new(CHROMIUM).exists(),
            "{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)"
        );
        let profile = TempDir::new().unwrap();
        let config = BrowserConfig::builder()
            .chrome_executable(if Path::new(CHROMIUM_BINARY).exists() {
                CHROMIUM_BINARY
            } else {
                CHROMIUM
            })
            .no_sandbox()
            .new_headless_mode()
            .arg("disable-gpu")
            .arg("disable-background-networking")
            .arg("disable-component-update")
            .arg("disable-sync")
            .arg("no-first-run")
            .user_data_dir(profile.path())
            .launch_timeout(DEADLINE)
            .request_timeout(DEADLINE)
            .build()
            .expect("a valid browser configuration");
        let (browser, mut events) = Browser::launch(config).await.expect("Chromium starts");
        // The handler drives the DevTools connection; it ends when the browser goes away.
        let handler = tokio::spawn(async move { while events.next().await.is_some() {} });
        Chromium {
            browser,
            handler,
            _profile: profile,
        }
    }

    async fn open(&self, url: &str) -> Page {
        let page = tokio::time::timeout(DEADLINE, self.browser.new_page(url))
            .await
            .unwrap_or_else(|_| panic!("{url} did not open within {DEADLINE:?}"))
            .expect("the page opens");
        page
    }

    async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.browser.close()).await;
        let _ = tokio::time::timeout(Duration::from_secs(5), self.browser.wait()).await;
        self.handler.abort();
    }
}

/// Evaluates `expression` until it gives something other than null/false/"", and returns
/// that; fails after [`DEADLINE`] saying what was awaited.
async fn wait_for(page: &Page, expression: &str, what: &str) -> Value {
    let start = Instant::now();
    loop {
        if let Ok(result) = page.evaluate(expression).await {
            let value = result.value().cloned().unwrap_or(Value::Null);
            let truthy = match &value {
                Value::Null | Value::Bool(false) => false,
                Value::String(s) => !s.is_empty(),
                _ => true,
            };
            if truthy {
                return value;
            }
        }
        if start.elapsed() > DEADLINE {
            let log = page
                .evaluate("(document.querySelector('.guichet-log') || document.body).innerText")
                .await
                .ok()
                .and_then(|r| r.value().cloned());
            panic!("waited {DEADLINE:?} for {what}; the page shows: {log:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn bot_replies(page: &Page) -> u64 {
    page.evaluate("document.querySelectorAll('.guichet-msg-bot').length")
        .await
        .ok()
        .and_then(|r| r.into_value::<u64>().ok())
        .unwrap_or(0)
}

/// Types `text` in the message box as a person would, presses Enter, and waits for the
/// answer; returns the text of the new reply.
async fn send(page: &Page, text: &str) -> String {
    let before = bot_replies(page).await;
    page.find_element(".guichet textarea")
        .await
        .expect("the message box")
        .click()
        .await
        .unwrap()
        .type_str(text)
        .await
        .unwrap()
        .press_key("Enter")
        .await
        .unwrap();
    last_reply_after(page, before, text).await
}

/// Clicks the (last, still enabled) button for `action` and waits for the answer.
async fn click(page: &Page, action: &str) -> String {
    let before = bot_replies(page).await;
    let selector =
        format!(".guichet-msg-bot:last-child button[data-action=\"{action}\"]:not([disabled])");
    wait_for(
        page,
        &format!("!!document.querySelector('{selector}')"),
        &format!("a {action} button"),
    )
    .await;
    // A real mouse click lands on the button's centre as computed just before; on a loaded
    // machine the log can still be moving then and the click land beside it. A click that
    // registered disables the button, so clicking again only while it is still enabled
    // (and no reply came) never acts twice.
    for _ in 0..3 {
        page.find_element(selector.as_str())
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if bot_replies(page).await > before {
                return last_reply_after(page, before, action).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let still_enabled = page
            .evaluate(format!("!!document.querySelector('{selector}')"))
            .await
            .ok()
            .and_then(|r| r.value().and_then(Value::as_bool))
            .unwrap_or(false);
        if !still_enabled {
            break;
        }
    }
    last_reply_after(page, before, action).await
}

async fn last_reply_after(page: &Page, before: u64, sent: &str) -> String {
    let expression = format!(
        "(() => {{ const r = document.querySelectorAll('.guichet-msg-bot'); \
         return r.length > {before} ? r[r.length - 1].innerText : null; }})()"
    );
    wait_for(page, &expression, &format!("the answer to {sent:?}"))
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_asks_a_question_and_makes_a_request_in_the_widget_and_staff_see_it() {
    let app = spawn_app().await;
    let chromium = Chromium::launch().await;
    let page = chromium.open(&app.url("/?lang=en")).await;
    wait_for(
        &page,
        "!!document.querySelector('.guichet form textarea')",
        "the widget",
    )
    .await;
    let lang = wait_for(&page, "document.documentElement.lang", "the page language").await;
    assert_eq!(lang, "en");
    let label = wait_for(
        &page,
        "document.querySelector('.guichet label').textContent",
        "the label",
    )
    .await;
    assert_eq!(label, "Your message", "the message box is labelled");
    let privacy = wait_for(
        &page,
        "document.querySelector('.guichet-privacy').textContent",
        "the privacy note",
    )
    .await;
    assert!(privacy.as_str().unwrap().contains("30 days"), "{privacy}");

    // A question: excerpts with a link to their source.
    let answer = send(&page, "Who created Oncopole?").await;
    assert!(answer.contains("Oncopole"), "{answer}");
    let link = wait_for(
        &page,
        "(() => { const a = document.querySelector('.guichet-msg-bot:last-child .guichet-hit a'); \
          return a && {href: a.href, text: a.textContent, target: a.target, rel: a.rel}; })()",
        "a source link",
    )
    .await;
    assert!(link["href"].as_str().unwrap().starts_with("http"), "{link}");
    assert!(
        link["text"].as_str().unwrap().contains("Oncopole"),
        "{link}"
    );
    assert_eq!(link["target"], "_blank");
    assert!(link["rel"].as_str().unwrap().contains("noopener"), "{link}");
    let excerpt = wait_for(
        &page,
        "document.querySelector('.guichet-msg-bot:last-child .guichet-excerpt').textContent",
        "an excerpt",
    )
    .await;
    assert!(excerpt.as_str().unwrap().len() > 20, "{excerpt}");

    // A request: typed answers, then the consent and confirm buttons.
    let reply = send(&page, "I'd like to make a request").await;
    assert!(reply.contains("What is your name?"), "{reply}");
    send(&page, "Jane Browser").await;
    send(&page, "jane.browser@umontreal.ca").await;
    send(&page, "Universite de Montreal").await;
    send(&page, "3").await;
    let reply = send(
        &page,
        "We are preparing a grant application on diabetes care pathways.",
    )
    .await;
    assert!(reply.contains("Privacy notice"), "{reply}");
    let reply = click(&page, "consent_yes").await;
    assert!(reply.contains("Jane Browser"), "the summary: {reply}");
    click(&page, "confirm").await;
    let reference = wait_for(
        &page,
        "(document.querySelector('.guichet-msg-bot:last-child .guichet-reference') || {}).textContent",
        "the request's reference",
    )
    .await;
    let reference = reference.as_str().unwrap().to_string();
    assert!(reference.starts_with("SSA-"), "{reference}");
    let focused = page
        .evaluate("document.activeElement.tagName")
        .await
        .unwrap()
        .into_value::<String>()
        .unwrap();
    assert_eq!(
        focused, "TEXTAREA",
        "after a button, the focus is back in the message box"
    );

    // Staff sign in and find it in the list.
    let staff = chromium.open(&app.url("/staff/login?lang=en")).await;
    wait_for(
        &staff,
        "!!document.querySelector('#username')",
        "the sign-in form",
    )
    .await;
    staff
        .find_element("#username")
        .await
        .unwrap()
        .click()
        .await
        .unwrap()
        .type_str(STAFF_USER)
        .await
        .unwrap();
    staff
        .find_element("#password")
        .await
        .unwrap()
        .click()
        .await
        .unwrap()
        .type_str(STAFF_PASSWORD)
        .await
        .unwrap();
    staff
        .find_element("form.login button")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let list = wait_for(
        &staff,
        "document.querySelector('table.requests') && document.querySelector('table.requests').innerText",
        "the request list",
    )
    .await;
    let list = list.as_str().unwrap();
    assert!(
        list.contains(&reference) && list.contains("Jane Browser"),
        "{list}"
    );
    chromium.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markup_typed_in_the_widget_is_shown_as_text_and_never_runs() {
    let app = spawn_app().await;
    let chromium = Chromium::launch().await;
    let page = chromium.open(&app.url("/")).await;
    wait_for(
        &page,
        "!!document.querySelector('.guichet form textarea')",
        "the widget",
    )
    .await;
    let lang = wait_for(&page, "document.documentElement.lang", "the page language").await;
    assert_eq!(lang, "fr", "French first");
    let payload = r#"<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">"#;
    send(&page, payload).await;
    let shown = wait_for(
        &page,
        "(() => { const m = document.querySelectorAll('.guichet-msg-person .guichet-text'); \
          return m.length ? m[m.length - 1].textContent : null; })()",
        "the person's message",
    )
    .await;
    assert_eq!(shown, payload, "the message is displayed exactly as typed");
    // Give an injected image time to fail and fire its handler, if there were one.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let injected = page
        .evaluate("document.querySelectorAll('.guichet-log img, .guichet-log script').length")
        .await
        .unwrap()
        .into_value::<u64>()
        .unwrap();
    assert_eq!(injected, 0, "no element was created from the message");
    let pwned = page
        .evaluate("typeof window.__pwned")
        .await
        .unwrap()
        .into_value::<String>()
        .unwrap();
    assert_eq!(pwned, "undefined", "no script ran");
    chromium.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_embedded_in_an_allowed_site_answers_from_guichets_origin() {
    // The "site" is another origin on loopback (localhost vs 127.0.0.1) serving a page
    // with the one-line embedding snippet.
    let site = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let site_origin = format!("http://localhost:{}", site.local_addr().unwrap().port());
    let allowed = site_origin.clone();
    let app = spawn_app_with(move |c| c.web.allowed_origins = vec![allowed.parse().unwrap()]).await;
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><title>Partner site</title></head><body>\
         <h1>Partner site</h1><p>Some text.</p>\
         <script src=\"{}/widget.js\" data-guichet defer></script></body></html>",
        app.address
    );
    let page_router = axum::Router::new().route(
        "/",
        axum::routing::get(move || async move { axum::response::Html(html) }),
    );
    tokio::spawn(async move { axum::serve(site, page_router).await });

    let chromium = Chromium::launch().await;
    let page = chromium.open(&format!("{site_origin}/")).await;
    wait_for(
        &page,
        "!!document.querySelector('.guichet form textarea')",
        "the embedded widget",
    )
    .await;
    let css = wait_for(
        &page,
        "(document.querySelector('link[data-guichet-css]') || {}).href",
        "the widget's stylesheet",
    )
    .await;
    assert_eq!(
        css.as_str().unwrap(),
        format!("{}/widget.css", app.address),
        "loaded from guichet's origin"
    );
    let answer = send(&page, "Who created Oncopole?").await;
    assert!(
        answer.contains("Oncopole"),
        "the API answered across origins: {answer}"
    );
    let placed = page
        .evaluate("document.querySelector('.guichet').previousElementSibling.tagName")
        .await
        .unwrap()
        .into_value::<String>()
        .unwrap();
    assert_eq!(placed, "SCRIPT", "the widget appears where the snippet is");
    chromium.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_votes_on_an_answer_with_the_keyboard_and_staff_see_it_counted_and_mark_it() {
    let app = spawn_app().await;
    let chromium = Chromium::launch().await;
    let page = chromium.open(&app.url("/?lang=en")).await;
    wait_for(
        &page,
        "!!document.querySelector('.guichet textarea')",
        "the widget",
    )
    .await;
    send(&page, "Who created Oncopole?").await;
    let down = ".guichet-msg-bot:last-child .guichet-feedback button[data-vote=\"down\"]";
    wait_for(
        &page,
        &format!("!!document.querySelector('{down}')"),
        "the feedback buttons under the answer",
    )
    .await;
    let labels = page
        .evaluate(
            "Array.from(document.querySelectorAll('.guichet-msg-bot:last-child .guichet-feedback button'))\
             .map(b => b.getAttribute('aria-label')).join('|')",
        )
        .await
        .unwrap()
        .into_value::<String>()
        .unwrap();
    assert_eq!(
        labels, "This answered my question|It did not",
        "labelled buttons"
    );
    let group = page
        .evaluate("document.querySelector('.guichet-msg-bot:last-child .guichet-feedback').getAttribute('role')")
        .await
        .unwrap()
        .into_value::<String>()
        .unwrap();
    assert_eq!(group, "group");

    // With the keyboard only: focus the button, press Enter.
    page.find_element(down)
        .await
        .unwrap()
        .focus()
        .await
        .unwrap()
        .press_key("Enter")
        .await
        .unwrap();
    let status = wait_for(
        &page,
        "(document.querySelector('.guichet-msg-bot:last-child .guichet-feedback-status') || {}).textContent",
        "the vote's confirmation",
    )
    .await;
    assert!(
        status
            .as_str()
            .unwrap()
            .contains("your feedback is recorded"),
        "{status}"
    );
    let disabled = page
        .evaluate("Array.from(document.querySelectorAll('.guichet-msg-bot:last-child .guichet-vote')).every(b => b.disabled)")
        .await
        .unwrap()
        .into_value::<bool>()
        .unwrap();
    assert!(disabled, "one vote per answer: both buttons are disabled");

    // Staff sign in and find the vote in the questions queue.
    let staff = chromium.open(&app.url("/staff/login?lang=en")).await;
    wait_for(
        &staff,
        "!!document.querySelector('#username')",
        "the sign-in form",
    )
    .await;
    for (field, value) in [("#username", STAFF_USER), ("#password", STAFF_PASSWORD)] {
        staff
            .find_element(field)
            .await
            .unwrap()
            .click()
            .await
            .unwrap()
            .type_str(value)
            .await
            .unwrap();
    }
    staff
        .find_element("form.login button")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Signed in: the header links to the questions queue.
    let link = ".staff-nav a[href=\"/staff/questions\"]";
    wait_for(
        &staff,
        &format!("!!document.querySelector('{link}')"),
        "the staff header's link to the questions",
    )
    .await;
    staff
        .find_element(link)
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let table = wait_for(
        &staff,
        "document.querySelector('table.questions') && document.querySelector('table.questions').innerText",
        "the questions queue",
    )
    .await;
    let table = table.as_str().unwrap().to_string();
    assert!(
        table.contains("Oncopole") && table.contains("voted unhelpful (1)"),
        "{table}"
    );
    let votes = staff
        .evaluate("document.querySelector('p.votes').textContent")
        .await
        .unwrap()
        .into_value::<String>()
        .unwrap();
    assert_eq!(votes, "Votes in this period: 0 helpful, 1 not helpful.");

    // Mark the group "added to the knowledge base".
    staff
        .evaluate(
            "(() => { const row = Array.from(document.querySelectorAll('table.questions tbody tr'))\
             .find(r => r.innerText.includes('Oncopole')); \
             row.querySelector('select').value = 'added'; \
             row.querySelector('form button').click(); return true; })()",
        )
        .await
        .unwrap();
    let flash = wait_for(
        &staff,
        "(document.querySelector('.flash') || {}).textContent",
        "the confirmation of the mark",
    )
    .await;
    assert_eq!(
        flash.as_str().unwrap(),
        "The question group is marked: Added to the knowledge base."
    );
    let state = staff
        .evaluate(
            "Array.from(document.querySelectorAll('table.questions tbody tr'))\
             .find(r => r.innerText.includes('Oncopole')).querySelector('td.state').textContent",
        )
        .await
        .unwrap()
        .into_value::<String>()
        .unwrap();
    assert_eq!(state, "Added to the knowledge base");
    chromium.close().await;
}
