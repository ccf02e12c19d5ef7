//! The polite HTTP side of the site sync: one request at a time with a pause between
//! them, robots.txt read once per host and obeyed, conditional GETs, redirects followed by
//! hand only to allowed hosts, and bodies read in chunks up to a size cap.

use std::collections::HashMap;
use std::time::Duration;

use http_client::header::{
    CONTENT_LENGTH, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, LOCATION,
};
use http_client::{StatusCode, Url};
use tokio::time::Instant;

use super::robots::Robots;
use crate::config::SyncConfig;

/// Connecting to a server must not take longer than this.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A whole request (headers and body) must not take longer than this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Redirects followed for one address, at most.
const MAX_REDIRECTS: usize = 5;

/// Why a page (or robots.txt, or the sitemap) could not be had.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("HTTP status {0}")]
    Status(u16),
    #[error("{0}")]
    Network(#[source] http_client::Error),
    #[error("larger than {0} bytes")]
    TooLarge(u64),
    #[error("not an HTML page ({0})")]
    NotHtml(String),
    #[error("redirected to {0}, outside the allowed hosts")]
    OffSite(String),
    #[error("a redirect without a usable Location")]
    BadRedirect,
    #[error("more than {MAX_REDIRECTS} redirects")]
    TooManyRedirects,
    #[error("disallowed by robots.txt")]
    Disallowed,
    #[error("robots.txt of {0} could not be read; the host is skipped this run")]
    RobotsUnavailable(String),
}

/// The validators of the copy we hold, sent so an unchanged page answers 304.
#[derive(Debug, Clone, Default)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// What a GET brought back.
#[derive(Debug)]
pub enum Fetched {
    /// 304: the copy we hold is current.
    NotModified,
    /// 200 with a body of the expected type.
    Body {
        /// Where the body came from, after redirects.
        url: Url,
        body: String,
        validators: Validators,
    },
}

/// What robots.txt says about one host this run.
#[derive(Debug, Clone)]
enum HostRobots {
    Rules(Robots),
    Unavailable,
}

/// Fetches for one sync run.
pub struct Fetcher {
    client: http_client::Client,
    /// Hosts (lowercase, no port) pages and redirects may come from.
    allowed_hosts: Vec<String>,
    user_agent: String,
    delay: Duration,
    max_bytes: u64,
    /// robots.txt per origin (`scheme://host:port`), read once per run.
    robots: HashMap<String, HostRobots>,
    last_request: Option<Instant>,
    /// Requests sent this run (robots.txt and redirects included).
    pub requests: usize,
}

impl Fetcher {
    pub fn new(
        settings: &SyncConfig,
        allowed_hosts: Vec<String>,
    ) -> Result<Fetcher, http_client::Error> {
        let client = http_client::Client::builder()
            .redirect(http_client::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(settings.user_agent.clone())
            .build()?;
        Ok(Fetcher {
            client,
            allowed_hosts,
            user_agent: settings.user_agent.clone(),
            delay: Duration::from_millis(settings.delay_ms),
            max_bytes: settings.max_page_bytes,
            robots: HashMap::new(),
            last_request: None,
            requests: 0,
        })
    }

    /// Whether `url` is http(s) on an allowed host.
    pub fn allowed(&self, url: &Url) -> bool {
        allowed(&self.allowed_hosts, url)
    }

    /// The hosts pages and redirects may come from.
    pub fn allowed_hosts(&self) -> &[String] {
        &self.allowed_hosts
    }

    /// GETs an HTML page (`html`) or an XML/text file, obeying robots.txt at every hop.
    pub async fn get(
        &mut self,
        url: &Url,
        validators: &Validators,
        html: bool,
    ) -> Result<Fetched, FetchError> {
        let mut at = url.clone();
        for _ in 0..=MAX_REDIRECTS {
            if !self.allowed(&at) {
                return Err(FetchError::OffSite(at.to_string()));
            }
            self.check_robots(&at).await?;
            let response = self.send(&at, validators).await?;
            let status = response.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let next = response
                    .headers()
                    .get(LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| at.join(l).ok())
                    .ok_or(FetchError::BadRedirect)?;
                tracing::debug!(from = %at, to = %next, "redirect");
                at = next;
                continue;
            }
            if status == StatusCode::NOT_MODIFIED {
                return Ok(Fetched::NotModified);
            }
            if !status.is_success() {
                return Err(FetchError::Status(status.as_u16()));
            }
            let content_type = header(&response, CONTENT_TYPE).unwrap_or_default();
            let essence = content_type
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            let expected = if html {
                essence == "text/html" || essence == "application/xhtml+xml"
            } else {
                essence.is_empty() || essence.starts_with("text/") || essence.ends_with("xml")
            };
            if !expected {
                return Err(FetchError::NotHtml(content_type));
            }
            let validators = Validators {
                etag: header(&response, ETAG),
                last_modified: header(&response, LAST_MODIFIED),
            };
            let charset = charset_of(&content_type);
            let body = self.read_capped(response, charset.as_deref()).await?;
            return Ok(Fetched::Body {
                url: at,
                body,
                validators,
            });
        }
        Err(FetchError::TooManyRedirects)
    }

    /// One request, after the pause since the previous one.
    async fn send(
        &mut self,
        url: &Url,
        validators: &Validators,
    ) -> Result<http_client::Response, FetchError> {
        if let Some(last) = self.last_request {
            tokio::time::sleep_until(last + self.delay).await;
        }
        let mut request = self.client.get(url.clone());
        if let Some(etag) = &validators.etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        if let Some(date) = &validators.last_modified {
            request = request.header(IF_MODIFIED_SINCE, date);
        }
        self.requests += 1;
        let sent = request.send().await;
        self.last_request = Some(Instant::now());
        sent.map_err(FetchError::Network)
    }

    /// The body, refused as soon as it grows past the cap (a Content-Length over it is
    /// refused before reading, but a missing or false one is not trusted), decoded from
    /// `charset` (the Content-Type's), else the one a `<meta>` near the top declares, else
    /// UTF-8 with stray bytes read as Windows-1252.
    async fn read_capped(
        &self,
        mut response: http_client::Response,
        charset: Option<&str>,
    ) -> Result<String, FetchError> {
        let announced = header(&response, CONTENT_LENGTH).and_then(|l| l.parse::<u64>().ok());
        if announced.is_some_and(|l| l > self.max_bytes) {
            return Err(FetchError::TooLarge(self.max_bytes));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(FetchError::Network)? {
            if (body.len() + chunk.len()) as u64 > self.max_bytes {
                return Err(FetchError::TooLarge(self.max_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        let declared = charset
            .map(str::to_string)
            .or_else(|| declared_charset(&body));
        Ok(match declared {
            Some(label) => crate::text::decode_in(&label, &body),
            None => crate::text::lenient(&body),
        })
    }

    /// Fails when robots.txt of `url`'s host disallows it, or could not be read.
    async fn check_robots(&mut self, url: &Url) -> Result<(), FetchError> {
        let origin = url.origin().ascii_serialization();
        if !self.robots.contains_key(&origin) {
            let robots = self.read_robots(url).await;
            self.robots.insert(origin.clone(), robots);
        }
        let mut path = url.path().to_string();
        if let Some(q) = url.query() {
            path.push('?');
            path.push_str(q);
        }
        match &self.robots[&origin] {
            HostRobots::Unavailable => Err(FetchError::RobotsUnavailable(origin)),
            HostRobots::Rules(r) if r.allows(&path) => Ok(()),
            HostRobots::Rules(_) => Err(FetchError::Disallowed),
        }
    }

    /// robots.txt of `url`'s origin: missing (4xx) allows everything; a server error or
    /// no answer makes the host unavailable this run. Redirects are followed on allowed
    /// hosts.
    async fn read_robots(&mut self, url: &Url) -> HostRobots {
        let Ok(mut at) = url.join("/robots.txt") else {
            return HostRobots::Unavailable;
        };
        for _ in 0..=MAX_REDIRECTS {
            let response = match self.send(&at, &Validators::default()).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(url = %at, error = %e, "robots.txt unreachable");
                    return HostRobots::Unavailable;
                }
            };
            let status = response.status();
            if status.is_redirection() {
                let next = header(&response, LOCATION).and_then(|l| at.join(&l).ok());
                match next {
                    Some(next) if self.allowed(&next) => {
                        at = next;
                        continue;
                    }
                    // Redirected away: as if there were none.
                    _ => return HostRobots::Rules(Robots::allow_all()),
                }
            }
            if status.is_client_error() {
                return HostRobots::Rules(Robots::allow_all());
            }
            if !status.is_success() {
                tracing::warn!(url = %at, status = status.as_u16(), "robots.txt answered an error");
                return HostRobots::Unavailable;
            }
            return match self.read_capped(response, None).await {
                Ok(text) => HostRobots::Rules(Robots::parse(&text, &self.user_agent)),
                Err(e) => {
                    tracing::warn!(url = %at, error = %e, "robots.txt could not be read");
                    HostRobots::Unavailable
                }
            };
        }
        HostRobots::Unavailable
    }
}

/// The `charset` parameter of a Content-Type value.
fn charset_of(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"').to_string())
            .filter(|v| !v.is_empty())
    })
}

/// The charset a page declares in its first kilobyte (`<meta charset="…">` or the
/// `http-equiv` form, both of which contain `charset=`).
fn declared_charset(body: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(&body[..body.len().min(1024)]).to_ascii_lowercase();
    let at = head.find("charset=")? + "charset=".len();
    let label: String = head[at..]
        .trim_start_matches(['"', '\''])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
        .collect();
    (!label.is_empty()).then_some(label)
}

fn header(
    response: &http_client::Response,
    name: http_client::header::HeaderName,
) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Whether `url` is http(s) on one of `hosts`.
pub fn allowed(hosts: &[String], url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https")
        && url
            .host_str()
            .is_some_and(|h| hosts.iter().any(|a| a.eq_ignore_ascii_case(h)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_read_in_the_charset_it_is_served_or_declared_in() {
        assert_eq!(
            charset_of("text/html; charset=\"Windows-1252\"").as_deref(),
            Some("Windows-1252")
        );
        assert_eq!(charset_of("text/html"), None);
        let page = b"<html><head><meta charset=\"iso-8859-1\"><title>Crit\xe8res</title>";
        let label = declared_charset(page).unwrap();
        assert_eq!(label, "iso-8859-1");
        assert!(crate::text::decode_in(&label, page).contains("Critères"));
        let http_equiv =
            b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\">";
        assert_eq!(
            declared_charset(http_equiv).as_deref(),
            Some("windows-1252")
        );
        // Nothing declared: UTF-8, with stray Latin-1 bytes still read.
        assert_eq!(declared_charset(b"<p>caf\xc3\xa9</p>"), None);
        assert_eq!(
            crate::text::lenient(b"caf\xc3\xa9 et th\xe9"),
            "café et thé"
        );
    }
}
