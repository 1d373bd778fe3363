//! Value generators shared by the kind table: checksummed tokens, JWTs, connection strings,
//! passwords and the random shapes generic secrets take.

use super::rng::{self, Rng, ALNUM, ALNUM_LOWER, ALNUM_UPPER, B64, B64URL, BECH32_UPPER, LETTERS};
use super::Val;
use crate::detect::validate::base62_crc32;

pub(crate) fn w(s: String) -> Val {
    Val::whole(s)
}

pub(crate) fn github(prefix: &str, r: &mut Rng) -> Val {
    let body = r.string(ALNUM, 30);
    let crc = base62_crc32(body.as_bytes());
    w(format!("{prefix}{body}{}", String::from_utf8_lossy(&crc)))
}

pub(crate) fn openai_project(prefix: &str, r: &mut Rng) -> Val {
    let n = if r.chance(50) { 74 } else { 58 };
    w(format!("{prefix}{}T3BlbkFJ{}", r.mixed(B64URL, n), r.mixed(B64URL, n)))
}

/// A Mailchimp-style or generic hex token, `n` hex digits.
pub(crate) fn hex(r: &mut Rng, n: usize) -> Val {
    w(r.hex(n))
}

pub(crate) fn password(r: &mut Rng) -> String {
    loop {
        let n = r.range(14, 28);
        let first = r.string(LETTERS, 1);
        let s = format!("{first}{}", r.string(rng::PASSWORD, n - 1));
        let symbols = s.bytes().filter(|b| !b.is_ascii_alphanumeric()).count();
        if s.bytes().any(|b| b.is_ascii_digit()) && symbols >= 1 && s.bytes().any(|b| b.is_ascii_uppercase()) {
            return s;
        }
    }
}

/// A random high-entropy secret in one of the shapes people paste: hex, base62, base64.
pub(crate) fn random_secret(r: &mut Rng) -> String {
    match r.below(5) {
        0 => {
            let n_ = r.pick_owned(&[32, 40, 64]);
            r.hex(n_)
        }
        1 => {
            let n_ = r.range(24, 48);
            r.alnum(n_)
        }
        2 => r.b64_bytes(32),
        3 => {
            let n_ = r.pick_owned(&[24, 32, 48]);
            r.b64url_bytes(n_)
        }
        _ => password(r),
    }
}

pub(crate) fn url_password(r: &mut Rng) -> String {
    let n = r.range(12, 28);
    let mut s = r.mixed(rng::URL_SAFE, n);
    if r.chance(25) {
        // A percent-encoded symbol, as URL-encoded passwords appear.
        let enc = r.pick(&["%40", "%21", "%23", "%24", "%2F", "%3A"]);
        let at = r.range(1, s.len() - 1);
        s.insert_str(at, enc);
    }
    s
}

pub(crate) fn host(r: &mut Rng) -> String {
    let name = r.pick(&["db", "pg-main", "prod-db", "mysql-01", "cache", "rabbit", "mongo", "api", "data"]);
    let dom = r.pick(&["internal", "example.com", "acme.io", "corp.local", "svc.cluster.local", "rds.amazonaws.com"]);
    format!("{name}.{dom}")
}

pub(crate) fn user(r: &mut Rng) -> &'static str {
    r.pick(&["app", "admin", "postgres", "root", "deploy", "svc_api", "analytics", "backend", "etl_user"])
}

pub(crate) fn jwt(r: &mut Rng) -> Val {
    let alg = r.pick(&["HS256", "RS256", "ES256", "HS512", "RS512", "EdDSA"]);
    let header = if r.chance(70) {
        format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#)
    } else {
        format!(r#"{{"typ":"JWT","alg":"{alg}"}}"#)
    };
    let iat = 1_690_000_000 + r.below(60_000_000);
    let payload = match r.below(4) {
        0 => format!(r#"{{"sub":"{}","name":"Ada Lovelace","iat":{iat}}}"#, r.digits(10)),
        1 => format!(
            r#"{{"iss":"supabase","ref":"{}","role":"service_role","iat":{iat},"exp":{}}}"#,
            r.string(rng::LOWER, 20),
            iat + 315_360_000
        ),
        2 => format!(
            r#"{{"iss":"https://auth.example.com/","sub":"auth0|{}","aud":["https://api.example.com"],"iat":{iat},"exp":{},"scope":"openid profile email"}}"#,
            r.hex(24),
            iat + 86400
        ),
        _ => format!(
            r#"{{"user_id":{},"email":"dev@example.com","roles":["admin"],"exp":{}}}"#,
            r.below(99999),
            iat + 3600
        ),
    };
    let sig_len = match alg {
        "RS256" | "RS512" => 256,
        "ES256" => 64,
        "HS512" => 64,
        "EdDSA" => 64,
        _ => 32,
    };
    w(format!("{}.{}.{}", rng::b64url(header.as_bytes()), rng::b64url(payload.as_bytes()), r.b64url_bytes(sig_len)))
}

pub(crate) fn sentry_org_token(r: &mut Rng) -> Val {
    let org = r.pick(&["acme", "example-inc", "widgets-co", "my-startup"]);
    let payload = format!(
        r#"{{"iat":{}.{},"url":"https://sentry.io","region_url":"https://us.sentry.io","org":"{org}"}}"#,
        1_700_000_000 + r.below(50_000_000),
        r.digits(6)
    );
    w(format!(
        "sntrys_{}_{}",
        rng::b64(payload.as_bytes()),
        r.b64_bytes(32).trim_end_matches('=').replace(['+', '/'], "A")
    ))
}

pub(crate) fn grafana_cloud(r: &mut Rng) -> Val {
    let payload = format!(
        r#"{{"o":"{}","n":"stack-{}-hm-read","k":"{}","m":{{"r":"us"}}}}"#,
        r.digits(6),
        r.digits(6),
        r.alnum(24)
    );
    w(format!("glc_{}", rng::b64(payload.as_bytes())))
}

pub(crate) fn mapbox(r: &mut Rng) -> Val {
    let payload =
        format!(r#"{{"u":"{}","a":"{}"}}"#, r.pick(&["jdoe", "acme-maps", "geo-team"]), r.string(ALNUM_LOWER, 25));
    w(format!("sk.{}.{}", rng::b64url(payload.as_bytes()), r.mixed(B64URL, 22)))
}

pub(crate) fn onepassword(r: &mut Rng) -> Val {
    let payload = format!(
        r#"{{"signInAddress":"my.1password.com","userAuth":{{"method":"SRPg-4096","alg":"PBES2g-HS256","iterations":650000,"salt":"{}"}},"email":"{}@1passwordserviceaccounts.com","srpX":"{}","muk":{{"alg":"A256GCM","ext":true,"k":"{}","key_ops":["encrypt","decrypt"],"kty":"oct","kid":"mp"}},"secretKey":"A3-{}-{}-{}","deviceUuid":"{}"}}"#,
        r.b64url_bytes(16),
        r.string(rng::LOWER, 12),
        r.hex(64),
        r.b64url_bytes(32),
        r.string(ALNUM_UPPER, 6),
        r.string(ALNUM_UPPER, 6),
        r.string(ALNUM_UPPER, 5),
        r.string(ALNUM_LOWER, 26)
    );
    w(format!("ops_{}", rng::b64(payload.as_bytes()).trim_end_matches('=')))
}

pub(crate) fn flyio_macaroon(r: &mut Rng) -> Val {
    let mut tok = format!(
        "fm2_lJPE{}",
        {
            let n_ = r.range(120, 200);
            r.b64_bytes(n_)
        }
        .trim_end_matches('=')
    );
    if r.chance(60) {
        tok.push_str(&format!(
            ",fm2_lJPO{}",
            {
                let n_ = r.range(60, 120);
                r.b64_bytes(n_)
            }
            .trim_end_matches('=')
        ));
    }
    Val::parts("FlyV1 ", &tok, "")
}

pub(crate) fn twitter_bearer(r: &mut Rng) -> Val {
    let tail = r.b64_bytes(45).replace('+', "%2B").replace('/', "%2F").replace('=', "%3D");
    w(format!("AAAAAAAAAAAAAAAAAAAAA{}AAAAAAA{}", r.string(ALNUM, 8), tail))
}

pub(crate) fn age_key(r: &mut Rng) -> Val {
    w(format!("AGE-SECRET-KEY-1{}", r.string(BECH32_UPPER, 58)))
}

pub(crate) fn db_uri(r: &mut Rng, scheme: &str, port: u16, path: &str) -> Val {
    let before = format!("{scheme}://{}:", user(r));
    let after = format!("@{}:{port}{path}", host(r));
    Val::parts(&before, &url_password(r), &after)
}

pub(crate) fn azure_account(r: &mut Rng) -> String {
    format!("{}{}", r.pick(&["stprod", "acmedata", "mediastore", "logsarchive"]), r.string(ALNUM_LOWER, 4))
}

pub(crate) fn aws_secret(r: &mut Rng) -> String {
    r.mixed(B64, 40)
}
