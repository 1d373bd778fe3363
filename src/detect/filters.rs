//! Filters that judge a candidate by its secret bytes alone — never by text after the match,
//! so a stream can decide a finding as soon as the match itself is complete.

use aho_corasick::AhoCorasick;

use crate::rules::Rule;

use super::validate;

/// The placeholder word list compiled once per rule set.
#[derive(Debug, Clone)]
pub struct Placeholders {
    words: AhoCorasick,
}

impl Default for Placeholders {
    fn default() -> Self {
        let words = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(PLACEHOLDER_WORDS)
            .expect("a fixed list of short literals always compiles");
        Placeholders { words }
    }
}

/// Whether a candidate secret of `rule` is reported.
pub(super) fn accept(rule: &Rule, secret: &[u8], placeholders: &Placeholders) -> bool {
    if let Some(min) = rule.entropy {
        if shannon_entropy(secret) < min {
            return false;
        }
    }
    if let Some(v) = rule.validator {
        if !validate::check(v, secret) {
            return false;
        }
    }
    if rule.allow.iter().any(|a| a.is_match(secret)) {
        return false;
    }
    !placeholders.is_placeholder(secret)
}

/// Shannon entropy in bits per byte.
pub fn shannon_entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Words that mark documentation and template values rather than live secrets.
const PLACEHOLDER_WORDS: &[&[u8]] = &[
    b"example",
    b"placeholder",
    b"dummy",
    b"redacted",
    b"changeme",
    b"change_me",
    b"change-me",
    b"your_",
    b"your-",
    b"yourapi",
    b"yourkey",
    b"yoursecret",
    b"yourtoken",
    b"yourpass",
    b"****",
    b"....",
    b"${",
    b"{{",
    b"%(",
    b"$(",
    b"os.environ",
    b"process.env",
    b"getenv",
    b"env[",
    b"env(",
    b"env.",
];

/// Secrets at least this long are key material or long tokens: encoded structure (the
/// `AAAAAAAAA` of an OpenSSH key, zero padding) produces runs that mean nothing there.
const LONG_SECRET: usize = 64;

impl Placeholders {
    /// Placeholder forms: doc examples, `xxxx`, `your-…-here`, `<…>`, template and env
    /// references, and in short secrets long runs of one character or of consecutive
    /// characters (`abcdef`, `123456`).
    pub fn is_placeholder(&self, secret: &[u8]) -> bool {
        if secret.len() >= 2 && secret[0] == b'<' && secret[secret.len() - 1] == b'>' {
            return true;
        }
        self.words.is_match(secret) || has_placeholder_run(secret)
    }
}

fn has_placeholder_run(secret: &[u8]) -> bool {
    let long = secret.len() >= LONG_SECRET;
    // `xxxx` marks a template; in a long random body four x's happen by chance, eight do not.
    let x_run = if long { 8 } else { 4 };
    let (mut same, mut seq, mut xs) = (1usize, 1usize, 0usize);
    for (i, &b) in secret.iter().enumerate() {
        xs = if b | 0x20 == b'x' { xs + 1 } else { 0 };
        if xs >= x_run {
            return true;
        }
        if long || i == 0 {
            continue;
        }
        let a = secret[i - 1];
        same = if a == b { same + 1 } else { 1 };
        let next = a.is_ascii_alphanumeric() && (b == a.wrapping_add(1) || (a == b'9' && b == b'0'));
        seq = if next { seq + 1 } else { 1 };
        if same >= 6 || seq >= 6 {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_of_known_strings() {
        assert_eq!(shannon_entropy(b""), 0.0);
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
        assert!(shannon_entropy(b"q8Zt2LmWv9XkR4nB7yHc") > 4.0);
    }

    fn is_placeholder(secret: &[u8]) -> bool {
        Placeholders::default().is_placeholder(secret)
    }

    #[test]
    fn placeholders() {
        for p in [
            "AKIAIOSFODNN7EXAMPLE",
            "sk-xxxxxxxxxxxxxxxx",
            "your-api-key-here",
            "<OPENAI_API_KEY>",
            "${DB_PASSWORD}",
            "{{ secrets.token }}",
            "os.environ['KEY']",
            "aaaaaaaaaaaa",
            "abcdefgh12",
            "0123456789",
            "REDACTED",
            "********",
            "process.env.TOKEN",
            "%(password)s",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p}");
        }
        for s in ["q8Zt2LmWv9XkR4nB7yHc", "hunter2isnotgood", "ghp_Ab3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hI6", "aab12bca"] {
            assert!(!is_placeholder(s.as_bytes()), "{s}");
        }
        // Long key material keeps its structural runs; a long template still has its x's.
        let openssh_body =
            format!("b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZWQy{}", "Q8zT".repeat(8));
        assert!(!is_placeholder(openssh_body.as_bytes()));
        assert!(!is_placeholder(format!("{}xXxq", "Q8zT2LmW".repeat(9)).as_bytes()));
        assert!(is_placeholder(format!("sk-proj-{}", "x".repeat(64)).as_bytes()));
    }
}
