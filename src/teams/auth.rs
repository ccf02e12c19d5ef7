//! Who may post to the Teams endpoint: every activity carries a Bot Framework token (an
//! RS256 JWT) that must be signed by one of the keys published in the Bot Framework's
//! OpenID metadata, issued by `https://api.botframework.com` to this bot's app id, current
//! (5 minutes of leeway), and name the activity's `serviceUrl`.
//!
//! [`verify`] is the pure check over a set of keys and a clock; [`Verifier`] holds the keys,
//! fetched at start, refreshed daily and when a token names a key it does not know (at
//! most once per [`UNKNOWN_KEY_REFRESH`], so forged tokens cannot make it fetch per request).
//! A request without a well-formed token is refused before anything is looked up.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

/// The issuer of the tokens the Bot Framework sends to bots.
pub const ISSUER: &str = "https://api.botframework.com";
/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECS: u64 = 300;
/// Keys are fetched again after this long.
pub const KEY_MAX_AGE: Duration = Duration::from_secs(24 * 3600);
/// A token naming an unknown key makes the keys be fetched again at most this often.
pub const UNKNOWN_KEY_REFRESH: Duration = Duration::from_secs(5 * 60);
/// The longest token read (real ones are about 1.5 KB).
const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Why an activity was not accepted. Each is a 401 to the caller; the reason is logged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no bearer token")]
    MissingToken,
    #[error("the token is not a JWT: {0}")]
    Malformed(String),
    #[error("the token is signed with {0}, not RS256")]
    WrongAlgorithm(String),
    #[error("the token names no key or a key the Bot Framework does not publish")]
    UnknownKey,
    #[error("the token's signature does not verify")]
    BadSignature,
    #[error("the token was issued by '{0}', not the Bot Framework")]
    WrongIssuer(String),
    #[error("the token is for another app")]
    WrongAudience,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token's serviceUrl is not the activity's")]
    ServiceUrlMismatch,
    #[error("the signing key is not endorsed for channel '{0}'")]
    NotEndorsed(String),
}

/// Why the signing keys could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum KeyFetchError {
    #[error("fetching {url}")]
    Http {
        url: String,
        #[source]
        source: http_client::Error,
    },
    #[error("{url} answered {status}")]
    Status { url: String, status: u16 },
    #[error("{url} is not {what}")]
    Format { url: String, what: &'static str },
}

/// One signing key of the Bot Framework.
#[derive(Clone)]
pub struct SigningKey {
    key: DecodingKey,
    /// The channels (`msteams`…) the key may sign for; empty: any.
    endorsements: Vec<String>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("endorsements", &self.endorsements)
            .finish_non_exhaustive()
    }
}

/// What the token must say about the activity it came with.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// This bot's Microsoft App ID.
    pub app_id: &'a str,
    /// The activity's `serviceUrl`.
    pub service_url: &'a str,
    /// The activity's `channelId` (`msteams`).
    pub channel_id: &'a str,
}

/// The claims guichet reads.
#[derive(Debug, Clone, Deserialize)]
pub struct Claims {
    pub iss: String,
    /// A string, or a list of them.
    pub aud: serde_json::Value,
    pub exp: u64,
    #[serde(default)]
    pub nbf: Option<u64>,
    /// The Bot Framework writes it in lowercase; the documentation in camel case.
    #[serde(default)]
    pub serviceurl: Option<String>,
    #[serde(default, rename = "serviceUrl")]
    pub service_url: Option<String>,
}

/// The key ids of a JWKS document (`{"keys": [...]}`) and their RSA keys; other key
/// types are skipped.
pub fn parse_jwks(json: &[u8]) -> Option<HashMap<String, SigningKey>> {
    #[derive(Deserialize)]
    struct Jwks {
        keys: Vec<Jwk>,
    }
    #[derive(Deserialize)]
    struct Jwk {
        #[serde(default)]
        kty: String,
        #[serde(default)]
        kid: String,
        #[serde(default)]
        n: String,
        #[serde(default)]
        e: String,
        #[serde(default)]
        endorsements: Vec<String>,
    }
    let jwks: Jwks = serde_json::from_slice(json).ok()?;
    let keys = jwks
        .keys
        .into_iter()
        .filter(|k| k.kty == "RSA" && !k.kid.is_empty())
        .filter_map(|k| {
            let key = DecodingKey::from_rsa_components(&k.n, &k.e).ok()?;
            Some((
                k.kid,
                SigningKey {
                    key,
                    endorsements: k.endorsements,
                },
            ))
        })
        .collect();
    Some(keys)
}

/// The `jwks_uri` of an OpenID metadata document.
pub fn jwks_uri(metadata: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Metadata {
        jwks_uri: String,
    }
    let m: Metadata = serde_json::from_slice(metadata).ok()?;
    crate::text::is_http_url(&m.jwks_uri).then_some(m.jwks_uri)
}

/// The token of an `Authorization` header value (`Bearer <token>`), without looking it up.
pub fn bearer(header: Option<&str>) -> Result<&str, AuthError> {
    let value = header.ok_or(AuthError::MissingToken)?;
    let (scheme, token) = value
        .trim()
        .split_once(' ')
        .ok_or(AuthError::MissingToken)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(AuthError::MissingToken);
    }
    if token.len() > MAX_TOKEN_BYTES || token.split('.').count() != 3 {
        return Err(AuthError::Malformed("not three dot-separated parts".into()));
    }
    Ok(token)
}

/// The id of the key a token names (read from its header; nothing verified yet).
pub fn key_id(token: &str) -> Result<String, AuthError> {
    let header =
        jsonwebtoken::decode_header(token).map_err(|e| AuthError::Malformed(e.to_string()))?;
    if header.alg != Algorithm::RS256 {
        return Err(AuthError::WrongAlgorithm(format!("{:?}", header.alg)));
    }
    header.kid.ok_or(AuthError::UnknownKey)
}

/// Checks `token` against `keys` at `now` (seconds since the epoch): the signature, the
/// issuer, the audience, the validity period (with [`LEEWAY_SECS`]), the key's channel
/// endorsement and the `serviceUrl` claim.
pub fn verify(
    token: &str,
    keys: &HashMap<String, SigningKey>,
    expected: Expected<'_>,
    now: u64,
) -> Result<Claims, AuthError> {
    let kid = key_id(token)?;
    let key = keys.get(&kid).ok_or(AuthError::UnknownKey)?;
    let mut validation = Validation::new(Algorithm::RS256);
    // Time, issuer and audience are checked below, with the injected clock and errors
    // that say which check failed.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Claims>(token, &key.key, &validation).map_err(|e| match e
        .kind()
    {
        jsonwebtoken::errors::ErrorKind::InvalidSignature => AuthError::BadSignature,
        _ => AuthError::Malformed(e.to_string()),
    })?;
    let claims = data.claims;
    if claims.iss != ISSUER {
        return Err(AuthError::WrongIssuer(claims.iss));
    }
    let audience_ok = match &claims.aud {
        serde_json::Value::String(a) => a == expected.app_id,
        serde_json::Value::Array(list) => list.iter().any(|a| a == expected.app_id),
        _ => false,
    };
    if !audience_ok {
        return Err(AuthError::WrongAudience);
    }
    if claims.exp.saturating_add(LEEWAY_SECS) < now {
        return Err(AuthError::Expired);
    }
    if claims
        .nbf
        .is_some_and(|nbf| nbf > now.saturating_add(LEEWAY_SECS))
    {
        return Err(AuthError::NotYetValid);
    }
    if !key.endorsements.is_empty() && !key.endorsements.iter().any(|e| e == expected.channel_id) {
        return Err(AuthError::NotEndorsed(expected.channel_id.to_string()));
    }
    let claimed = claims
        .serviceurl
        .as_deref()
        .or(claims.service_url.as_deref())
        .ok_or(AuthError::ServiceUrlMismatch)?;
    if normalize_service_url(claimed) != normalize_service_url(expected.service_url) {
        return Err(AuthError::ServiceUrlMismatch);
    }
    Ok(claims)
}

/// A service URL as compared and allow-listed: without trailing slashes, the scheme and
/// host in lowercase.
pub fn normalize_service_url(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            format!(
                "{}://{}{path}",
                scheme.to_ascii_lowercase(),
                host.to_ascii_lowercase()
            )
        }
        None => url.to_string(),
    }
}

/// The keys and when they were fetched.
#[derive(Default)]
struct KeyCache {
    keys: HashMap<String, SigningKey>,
    fetched: Option<Instant>,
    /// The last fetch made because of an unknown key (successful or not).
    last_unknown_refresh: Option<Instant>,
}

/// Checks the tokens of incoming activities; shared by the endpoint and the channel task
/// (which refreshes the keys daily).
pub struct Verifier {
    app_id: String,
    metadata_url: String,
    http: http_client::Client,
    cache: RwLock<KeyCache>,
    /// One fetch at a time.
    fetching: tokio::sync::Mutex<()>,
}

impl Verifier {
    pub fn new(app_id: String, metadata_url: String, http: http_client::Client) -> Verifier {
        Verifier {
            app_id,
            metadata_url,
            http,
            cache: RwLock::new(KeyCache::default()),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    /// Whether the keys are missing or older than [`KEY_MAX_AGE`].
    pub fn keys_stale(&self) -> bool {
        let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
        cache.fetched.is_none_or(|at| at.elapsed() >= KEY_MAX_AGE)
    }

    /// Checks an activity's `Authorization` header. Without a well-formed RS256 token this
    /// returns at once; a known key is checked from memory; an unknown key id makes the
    /// keys be fetched again at most once per [`UNKNOWN_KEY_REFRESH`].
    pub async fn authenticate(
        &self,
        header: Option<&str>,
        service_url: &str,
        channel_id: &str,
    ) -> Result<Claims, AuthError> {
        let token = bearer(header)?;
        let kid = key_id(token)?;
        let expected = Expected {
            app_id: &self.app_id,
            service_url,
            channel_id,
        };
        if !self.knows(&kid) {
            let due = {
                let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
                cache
                    .last_unknown_refresh
                    .is_none_or(|at| at.elapsed() >= UNKNOWN_KEY_REFRESH)
            };
            if !due {
                return Err(AuthError::UnknownKey);
            }
            self.cache
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .last_unknown_refresh = Some(Instant::now());
            if let Err(e) = self.refresh().await {
                tracing::warn!(error = %e, "cannot fetch the Bot Framework's signing keys");
            }
        }
        let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
        verify(token, &cache.keys, expected, unix_now())
    }

    fn knows(&self, kid: &str) -> bool {
        let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
        cache.keys.contains_key(kid)
    }

    /// Fetches the OpenID metadata and its key set; keeps the old keys if that fails.
    /// Returns how many keys are now known.
    pub async fn refresh(&self) -> Result<usize, KeyFetchError> {
        let _one = self.fetching.lock().await;
        let metadata = self.get(&self.metadata_url).await?;
        let jwks_url = jwks_uri(&metadata).ok_or_else(|| KeyFetchError::Format {
            url: self.metadata_url.clone(),
            what: "an OpenID metadata document with a jwks_uri",
        })?;
        let jwks = self.get(&jwks_url).await?;
        let keys = parse_jwks(&jwks)
            .filter(|k| !k.is_empty())
            .ok_or(KeyFetchError::Format {
                url: jwks_url,
                what: "a key set with RSA keys",
            })?;
        let n = keys.len();
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        cache.keys = keys;
        cache.fetched = Some(Instant::now());
        tracing::info!(keys = n, "fetched the Bot Framework's signing keys");
        Ok(n)
    }

    async fn get(&self, url: &str) -> Result<Vec<u8>, KeyFetchError> {
        let http = |source| KeyFetchError::Http {
            url: url.to_string(),
            source,
        };
        let response = self
            .http
            .get(url)
            .timeout(Duration::from_secs(20))
            .send()
            .await
            .map_err(http)?;
        if !response.status().is_success() {
            return Err(KeyFetchError::Status {
                url: url.to_string(),
                status: response.status().as_u16(),
            });
        }
        Ok(response.bytes().await.map_err(http)?.to_vec())
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_non_bearer_header_is_refused_before_any_lookup() {
        assert_eq!(bearer(None), Err(AuthError::MissingToken));
        assert_eq!(bearer(Some("")), Err(AuthError::MissingToken));
        assert_eq!(bearer(Some("Basic abc")), Err(AuthError::MissingToken));
        assert_eq!(bearer(Some("Bearer ")), Err(AuthError::MissingToken));
        assert!(matches!(
            bearer(Some("Bearer not-a-jwt")),
            Err(AuthError::Malformed(_))
        ));
        assert_eq!(bearer(Some("bearer a.b.c")), Ok("a.b.c"));
    }

    #[test]
    fn a_token_header_that_is_not_rs256_or_not_json_is_refused() {
        // {"alg":"HS256","typ":"JWT","kid":"k"}
        let hs = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsifQ.e30.sig";
        assert!(matches!(key_id(hs), Err(AuthError::WrongAlgorithm(_))));
        // {"alg":"none"}
        let none = "eyJhbGciOiJub25lIn0.e30.";
        assert!(key_id(none).is_err());
        assert!(matches!(key_id("%%%.e30.x"), Err(AuthError::Malformed(_))));
        // {"alg":"RS256"} names no key.
        let no_kid = "eyJhbGciOiJSUzI1NiJ9.e30.sig";
        assert_eq!(key_id(no_kid), Err(AuthError::UnknownKey));
    }

    #[test]
    fn service_urls_compare_without_trailing_slash_or_host_case() {
        assert_eq!(
            normalize_service_url("https://SMBA.trafficmanager.net/amer/"),
            "https://smba.trafficmanager.net/amer"
        );
        assert_ne!(
            normalize_service_url("https://smba.trafficmanager.net/AMER"),
            normalize_service_url("https://smba.trafficmanager.net/amer"),
            "the path is compared as is"
        );
    }

    #[test]
    fn a_jwks_document_keeps_its_rsa_keys_with_their_endorsements() {
        let jwks = br#"{"keys":[
            {"kty":"RSA","kid":"one","n":"sXch","e":"AQAB","endorsements":["msteams"]},
            {"kty":"EC","kid":"two","x":"a","y":"b"},
            {"kty":"RSA","n":"sXch","e":"AQAB"}
        ]}"#;
        let keys = parse_jwks(jwks).unwrap();
        assert_eq!(keys.len(), 1, "EC keys and keys without an id are skipped");
        assert_eq!(keys["one"].endorsements, vec!["msteams"]);
        assert!(parse_jwks(b"[]").is_none());
        assert_eq!(
            jwks_uri(br#"{"issuer":"x","jwks_uri":"https://login.botframework.com/v1/.well-known/keys"}"#)
                .as_deref(),
            Some("https://login.botframework.com/v1/.well-known/keys")
        );
        assert!(jwks_uri(br#"{"jwks_uri":"file:///etc/passwd"}"#).is_none());
    }
}
