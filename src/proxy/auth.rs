//! Who may use the proxy, and which key goes upstream.
//!
//! **Transparent** mode (no upstream key configured): the client's own `Authorization`
//! header goes upstream untouched — the base-URL-override case. **Gateway** mode: the proxy
//! holds the upstream key; a client must present one of the configured client keys (in
//! `Authorization: Bearer …` or `x-api-key`), which is hashed with SHA-256 and compared with
//! every stored digest in constant time; the client's key never goes upstream. The proxy's
//! key goes upstream the way the route's API expects it ([`KeyHeader`]): `Authorization:
//! Bearer` for OpenAI's routes, `x-api-key` for Anthropic's Messages.
//!
//! Keys are accepted only in headers: a query string that carries a key-like parameter (or
//! anything the rule set calls a secret) is refused, and the query is never logged.

use sha2::{Digest, Sha256};

/// A value that must never be printed: `Debug` shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct Hidden(pub String);

impl std::fmt::Debug for Hidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hidden(..)")
    }
}

/// `sha256:<64 hex digits>` → the digest.
pub fn parse_hash(text: &str) -> anyhow::Result<[u8; 32]> {
    let hex = text.strip_prefix("sha256:").unwrap_or(text);
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        anyhow::bail!("auth.client_key_hashes entries must be sha256:<64 hex digits> (see `secretgate hash-key`)");
    }
    let mut out = [0u8; 32];
    for (i, pair) in hex.as_bytes().chunks(2).enumerate() {
        let digit = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
        out[i] = digit(pair[0]) << 4 | digit(pair[1]);
    }
    Ok(out)
}

/// `sha256:<hex>` of a key, the form the config stores.
pub fn hash_key(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let mut out = String::from("sha256:");
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Equal without a data-dependent early exit.
fn ct_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Whether `presented` hashes to one of `allowed`. Every digest is compared, whatever
/// matched, so the time taken says nothing about which one or how much matched.
pub fn key_allowed(presented: &str, allowed: &[[u8; 32]]) -> bool {
    let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
    allowed.iter().fold(false, |found, k| found | ct_eq(&digest, k))
}

/// The key a client presented: `Authorization: Bearer <key>` or `x-api-key: <key>`.
pub fn presented_key(headers: &http::HeaderMap) -> Option<&str> {
    if let Some(v) = headers.get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let v = v.trim();
        let key = v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")).unwrap_or(v).trim();
        if !key.is_empty() {
            return Some(key);
        }
    }
    headers.get("x-api-key").and_then(|v| v.to_str().ok()).map(str::trim).filter(|k| !k.is_empty())
}

/// How an upstream API expects its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyHeader {
    /// `Authorization: Bearer <key>` (OpenAI and compatible servers).
    Bearer,
    /// `x-api-key: <key>` (Anthropic).
    XApiKey,
}

/// The header that carries `key` upstream, marked sensitive. `None` if the key cannot be a
/// header value.
pub fn upstream_key_header(key: &Hidden, style: KeyHeader) -> Option<(http::HeaderName, http::HeaderValue)> {
    let (name, text) = match style {
        KeyHeader::Bearer => (http::header::AUTHORIZATION, format!("Bearer {}", key.0)),
        KeyHeader::XApiKey => (http::HeaderName::from_static("x-api-key"), key.0.clone()),
    };
    let mut value = http::HeaderValue::from_str(&text).ok()?;
    value.set_sensitive(true);
    Some((name, value))
}

/// Query parameter names that carry credentials.
const KEY_PARAMS: &[&str] = &[
    "key",
    "api_key",
    "apikey",
    "api-key",
    "x-api-key",
    "access_token",
    "token",
    "auth",
    "authorization",
    "secret",
    "password",
    "client_secret",
    "bearer",
    "sig",
    "signature",
];

/// Whether a query string carries a key: a credential-named parameter, or a value the rule
/// set flags.
pub fn query_has_key(query: &str, rules: &crate::RuleSet) -> bool {
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = percent_decode(name).to_ascii_lowercase();
        if KEY_PARAMS.contains(&name.as_str()) {
            return true;
        }
        let value = percent_decode(value);
        if !value.is_empty() && !rules.scan(value.as_bytes()).is_empty() {
            return true;
        }
    }
    false
}

/// `%XX` and `+` decoded (invalid escapes kept as they are), as text.
fn percent_decode(s: &str) -> String {
    String::from_utf8_lossy(&crate::detect::disclosure::decode::percent_decode(s)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked_by_digest() {
        let stored =
            [parse_hash(&hash_key("client-one")).expect("hash"), parse_hash(&hash_key("client-two")).expect("hash")];
        assert!(key_allowed("client-one", &stored));
        assert!(key_allowed("client-two", &stored));
        assert!(!key_allowed("client-three", &stored));
        assert!(!key_allowed("", &stored));
        assert!(!key_allowed("client-one", &[]));
        assert!(parse_hash("sha256:abc").is_err());
        assert!(parse_hash(&"g".repeat(64)).is_err());
    }

    #[test]
    fn presented_key_comes_from_headers() {
        let mut h = http::HeaderMap::new();
        assert_eq!(presented_key(&h), None);
        h.insert("x-api-key", "k1".parse().expect("header"));
        assert_eq!(presented_key(&h), Some("k1"));
        h.insert(http::header::AUTHORIZATION, "Bearer k2".parse().expect("header"));
        assert_eq!(presented_key(&h), Some("k2"));
    }

    #[test]
    fn the_upstream_key_goes_in_the_routes_header() {
        let key = Hidden("upstream-key".into());
        let (name, value) = upstream_key_header(&key, KeyHeader::Bearer).expect("header");
        assert_eq!((name.as_str(), value.to_str().ok()), ("authorization", Some("Bearer upstream-key")));
        let (name, value) = upstream_key_header(&key, KeyHeader::XApiKey).expect("header");
        assert_eq!((name.as_str(), value.to_str().ok()), ("x-api-key", Some("upstream-key")));
        assert!(value.is_sensitive());
        assert!(upstream_key_header(&Hidden("bad\nkey".into()), KeyHeader::XApiKey).is_none());
    }

    #[test]
    fn query_keys_are_found() {
        let rules = crate::RuleSet::builtin().expect("rules");
        for q in [
            "api_key=x",
            "a=1&API%5FKEY=x",
            "token=",
            "Key=1",
            "q=sk-proj-7ku8dr1aRNQPTDZTe1tzT3BlbkFJjD7yqHBEReY65dHmyWR2",
        ] {
            assert!(query_has_key(q, &rules), "{q}");
        }
        for q in ["", "limit=10&order=desc", "after=file-abc123", "keyword=x"] {
            assert!(!query_has_key(q, &rules), "{q}");
        }
    }
}
