//! One-shot redaction: replace each finding's secret span, copy everything else byte for byte.

use super::{Finding, RuleSet};

/// What replaces a secret.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Style {
    /// `[REDACTED:<rule-id>]`
    #[default]
    Label,
    /// One `*` per character of the secret, so layout is kept.
    Mask,
    /// `[REDACTED:<rule-id>:<fingerprint>]`, to correlate repeats without the value.
    Hash,
}

impl Style {
    /// Appends the replacement for `finding` (whose secret bytes are `secret`) to `out`.
    pub fn write_replacement(self, out: &mut impl Sink, rules: &RuleSet, finding: &Finding, secret: &[u8]) {
        let id = rules.label(finding);
        match self {
            Style::Label => {
                out.put("[REDACTED:");
                out.put(id);
                out.put("]");
            }
            Style::Mask => {
                // One star per character: count the bytes that start a UTF-8 sequence.
                for _ in secret.iter().filter(|&&b| b & 0xC0 != 0x80) {
                    out.put("*");
                }
            }
            Style::Hash => {
                out.put("[REDACTED:");
                out.put(id);
                out.put(":");
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let mut hex = [0u8; 16];
                for (i, b) in finding.fingerprint.0.iter().enumerate() {
                    hex[2 * i] = HEX[(b >> 4) as usize];
                    hex[2 * i + 1] = HEX[(b & 15) as usize];
                }
                out.put(std::str::from_utf8(&hex).unwrap_or_default());
                out.put("]");
            }
        }
    }
}

/// Where replacements are written: a byte buffer (one-shot) or a string (streams).
pub trait Sink {
    fn put(&mut self, s: &str);
}

impl Sink for Vec<u8> {
    fn put(&mut self, s: &str) {
        self.extend_from_slice(s.as_bytes());
    }
}

impl Sink for String {
    fn put(&mut self, s: &str) {
        self.push_str(s);
    }
}

/// `text` with every finding's secret replaced. `findings` must come from scanning `text`.
pub fn redact(text: &[u8], findings: &[Finding], rules: &RuleSet, style: Style) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut at = 0;
    for f in findings {
        out.extend_from_slice(&text[at..f.secret.start]);
        style.write_replacement(&mut out, rules, f, &text[f.secret.range()]);
        at = f.secret.end;
    }
    out.extend_from_slice(&text[at..]);
    out
}
