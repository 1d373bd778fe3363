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
    pub fn write_replacement(self, out: &mut Vec<u8>, rules: &RuleSet, finding: &Finding, secret: &[u8]) {
        let id = rules.rule(finding.rule).id.as_bytes();
        match self {
            Style::Label => {
                out.extend_from_slice(b"[REDACTED:");
                out.extend_from_slice(id);
                out.push(b']');
            }
            Style::Mask => {
                // One star per character: count the bytes that start a UTF-8 sequence.
                let chars = secret.iter().filter(|&&b| b & 0xC0 != 0x80).count();
                out.extend(std::iter::repeat_n(b'*', chars));
            }
            Style::Hash => {
                out.extend_from_slice(b"[REDACTED:");
                out.extend_from_slice(id);
                out.push(b':');
                out.extend_from_slice(finding.fingerprint.to_string().as_bytes());
                out.push(b']');
            }
        }
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
