//! Typed configuration values, parsed once when the file is read: base URLs, web origins,
//! addresses and email addresses. Each parser's message says what was expected; the loader
//! adds the key it was found at.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

use crate::requests::Email;

/// guichet's public base URL (or another http(s) base): no final `/`, no spaces. Links are
/// made with [`BaseUrl::join`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(String);

impl BaseUrl {
    /// Parses a base URL like `https://guichet.example` (final slashes are dropped).
    pub fn parse(text: &str) -> Result<BaseUrl, String> {
        let url = text.trim_end_matches('/');
        if !crate::text::is_http_url(url) {
            return Err(format!(
                "'{text}' is not a base URL like https://guichet.example"
            ));
        }
        Ok(BaseUrl(url.to_string()))
    }

    /// `path` under this base: `join("staff/requests/SSA-2026-00042")` (a leading `/` in
    /// `path` is optional).
    pub fn join(&self, path: &str) -> String {
        format!("{}/{}", self.0, path.trim_start_matches('/'))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for BaseUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BaseUrl::parse(s)
    }
}

/// A web origin, `scheme://host[:port]`, lowercased, exactly as browsers send it in
/// `Origin`: what `web.allowed_origins` lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin(String);

impl Origin {
    /// Parses an origin like `https://ssaquebec.ca`; says why not, if not.
    pub fn parse(text: &str) -> Result<Origin, String> {
        check_origin(text).map_err(|why| {
            format!(
                "'{}' is not an origin like https://ssaquebec.ca: {why}",
                text.escape_debug()
            )
        })?;
        Ok(Origin(text.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Origin {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Origin::parse(s)
    }
}

impl<'de> Deserialize<'de> for Origin {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Origin::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A listening address like 127.0.0.1:8080 (`example` is shown when it is not one).
fn socket_addr(text: &str, example: &str) -> Result<SocketAddr, String> {
    text.parse()
        .map_err(|e| format!("'{text}' is not an address like {example} ({e})"))
}

/// `web.listen`.
pub(super) fn listen<'de, D: Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
    let text = String::deserialize(d)?;
    socket_addr(&text, "127.0.0.1:8080").map_err(serde::de::Error::custom)
}

/// `web.metrics_listen`: empty means none.
pub(super) fn metrics_listen<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<SocketAddr>, D::Error> {
    let text = String::deserialize(d)?;
    if text.is_empty() {
        return Ok(None);
    }
    socket_addr(&text, "127.0.0.1:9090")
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// One IP address of `web.trusted_proxies`, in canonical form (`::ffff:10.0.0.1` is
/// `10.0.0.1`, as peers are compared).
struct ProxyIp(IpAddr);

impl<'de> Deserialize<'de> for ProxyIp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        match text.trim().parse::<IpAddr>() {
            Ok(ip) => Ok(ProxyIp(ip.to_canonical())),
            Err(e) => Err(serde::de::Error::custom(format!(
                "'{text}' is not an IP address like 127.0.0.1 or ::1 ({e})"
            ))),
        }
    }
}

/// `web.trusted_proxies`.
pub(super) fn ip_addrs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<IpAddr>, D::Error> {
    let list = Vec::<ProxyIp>::deserialize(d)?;
    Ok(list.into_iter().map(|p| p.0).collect())
}

/// A base URL key (`web.public_url`, `*.staff_page_url`): empty means none.
pub(super) fn optional_base_url<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<BaseUrl>, D::Error> {
    let text = String::deserialize(d)?;
    if text.trim_end_matches('/').is_empty() {
        return Ok(None);
    }
    BaseUrl::parse(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// An email address key (`mail.address`, `mail.staff_address`): empty means none.
pub(super) fn optional_email<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Email>, D::Error> {
    let text = String::deserialize(d)?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    Email::parse(&text).map(Some).map_err(|e| {
        serde::de::Error::custom(format!("{e} (write an address like contact@ssaquebec.ca)"))
    })
}

/// Checks an origin, `scheme://host[:port]`, as browsers send it in `Origin`. Each entry
/// is written into the Content-Security-Policy header (`frame-ancestors`) and compared with
/// `Origin`, so nothing else may get in: no path (not even `/`), query, fragment or user
/// name, no spaces, `;`, `,` or quotes (which would add to the policy), no wildcard
/// (origins are compared exactly), no default port (browsers leave it out, so it would
/// never match). Says why not, if not.
fn check_origin(origin: &str) -> Result<(), String> {
    if let Some(c) = origin.chars().find(|c| {
        c.is_whitespace() || c.is_control() || matches!(c, ';' | ',' | '"' | '\'' | '\\' | '`')
    }) {
        return Err(format!("{:?} has no place in an origin", c));
    }
    if !origin.is_ascii() {
        return Err("write an international domain name in its xn-- form".into());
    }
    let lower = origin.to_ascii_lowercase();
    let Some((scheme, rest)) = lower.split_once("://") else {
        return Err("it needs a scheme: https://… or http://…".into());
    };
    let default_port = match scheme {
        "https" => "443",
        "http" => "80",
        _ => return Err(format!("the scheme is '{scheme}', not http or https")),
    };
    for (c, what) in [
        ('@', "user name or password"),
        ('?', "query"),
        ('#', "fragment"),
        ('/', "path (not even a final /)"),
        ('*', "wildcard (list each origin)"),
    ] {
        if rest.contains(c) {
            return Err(format!("an origin has no {what}"));
        }
    }
    // The host, then the port if any (an IPv6 address is in brackets).
    let (host, port) = match rest.strip_prefix('[') {
        Some(v6) => {
            let Some((address, after)) = v6.split_once(']') else {
                return Err("an IPv6 address needs its closing ]".into());
            };
            if address.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(format!("'{address}' is not an IPv6 address"));
            }
            match after {
                "" => (None, None),
                _ => match after.strip_prefix(':') {
                    Some(port) => (None, Some(port)),
                    None => return Err(format!("'{after}' after the address")),
                },
            }
        }
        None => match rest.split_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(rest), None),
        },
    };
    if let Some(host) = host {
        check_host(host)?;
    }
    if let Some(port) = port {
        let number = port.parse::<u16>().ok().filter(|&p| p > 0);
        if number.is_none() || port.starts_with('0') {
            return Err(format!("the port '{port}' is not a number from 1 to 65535"));
        }
        if port == default_port {
            return Err(format!(
                "leave out :{port}, the default port of {scheme}: browsers do not send it"
            ));
        }
    }
    Ok(())
}

/// Checks a host name (lowercase ASCII): an IPv4 address, or a domain name whose labels
/// are letters, digits and inner hyphens.
pub(super) fn check_host(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("it has no host".into());
    }
    if host.len() > 253 {
        return Err("the host name is longer than 253 characters".into());
    }
    let labels: Vec<&str> = host.split('.').collect();
    // A name ending in a number is an IPv4 address to browsers ("1.2.3" is 1.2.0.3).
    let last = labels.last().copied().unwrap_or("");
    if !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()) {
        return match host.parse::<std::net::Ipv4Addr>() {
            Ok(_) => Ok(()),
            Err(_) => Err(format!("'{host}' is not an IPv4 address like 192.0.2.1")),
        };
    }
    for label in labels {
        let ok = (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(format!(
                "'{host}' is not a host name (letters, digits and hyphens, separated by dots)"
            ));
        }
    }
    Ok(())
}
