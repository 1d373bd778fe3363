//! Checksum and structure validators, and the encoders tests and generators need to make
//! tokens that pass them.

use base64::Engine as _;

use crate::rules::Validator;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Runs a validator on a secret.
pub fn check(v: Validator, secret: &[u8]) -> bool {
    match v {
        Validator::GithubCrc32 | Validator::NpmCrc32 => base62_crc32_ok(secret),
        Validator::Jwt => jwt_ok(secret),
    }
}

/// `CRC32(body)` in base62, left-padded with `0` to 6 characters.
pub fn base62_crc32(body: &[u8]) -> [u8; 6] {
    let mut n = crc32fast::hash(body);
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out
}

/// `prefix_` + 30 base62 characters + their CRC32 in 6 base62 characters (GitHub, npm).
fn base62_crc32_ok(secret: &[u8]) -> bool {
    let Some(us) = secret.iter().rposition(|&b| b == b'_') else { return false };
    let tail = &secret[us + 1..];
    if tail.len() != 36 || !tail.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    base62_crc32(&tail[..30]) == tail[30..]
}

/// A JWT: `header.payload.signature`, header and payload base64url JSON objects, header with `alg`.
fn jwt_ok(secret: &[u8]) -> bool {
    let mut parts = secret.split(|&b| b == b'.');
    let (Some(h), Some(p)) = (parts.next(), parts.next()) else { return false };
    let decode = |seg: &[u8]| {
        let seg = seg.strip_suffix(b"==").or_else(|| seg.strip_suffix(b"=")).unwrap_or(seg);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(seg).ok()
    };
    let object = |seg: &[u8]| -> Option<serde_json::Map<String, serde_json::Value>> {
        match serde_json::from_slice(&decode(seg)?).ok()? {
            serde_json::Value::Object(m) => Some(m),
            _ => None,
        }
    };
    match (object(h), object(p)) {
        (Some(header), Some(_)) => header.get("alg").is_some_and(|a| a.is_string()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn github(prefix: &str, body: &str) -> String {
        let crc = base62_crc32(body.as_bytes());
        format!("{prefix}{body}{}", std::str::from_utf8(&crc).expect("ascii"))
    }

    #[test]
    fn github_checksum_round_trip() {
        let tok = github("ghp_", "zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ");
        assert!(check(Validator::GithubCrc32, tok.as_bytes()));
        let mut broken = tok.into_bytes();
        let last = broken.len() - 1;
        broken[last] = if broken[last] == b'a' { b'b' } else { b'a' };
        assert!(!check(Validator::GithubCrc32, &broken));
        assert!(!check(Validator::NpmCrc32, b"npm_short"));
    }

    #[test]
    fn jwt_structure() {
        let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let good = format!("{}.{}.c2ln", enc(r#"{"alg":"HS256","typ":"JWT"}"#), enc(r#"{"sub":"1"}"#));
        assert!(check(Validator::Jwt, good.as_bytes()));
        let no_alg = format!("{}.{}.c2ln", enc(r#"{"typ":"JWT"}"#), enc(r#"{"sub":"1"}"#));
        assert!(!check(Validator::Jwt, no_alg.as_bytes()));
        assert!(!check(Validator::Jwt, b"eyJhbGciOi.not-base64!.x"));
    }
}
