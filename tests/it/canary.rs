//! Canary quality on a generated labeled set: the corpus's planted secrets become canaries,
//! each leaked in one transformed form inside prose or code; recall over the leaks and
//! findings on texts without them (hard negatives: other keys, key-talk, prose, code).
//! `SECRETGATE_CANARY_LEAKS` raises the leak count.

use base64::Engine;
use secretgate::{
    corpus::{self, Rng},
    detect::canary::{CanarySet, DEFAULT_MIN_RUN},
    Span,
};

/// A leak of `secret` as a model might write it, and the span in the form that carries the
/// secret's characters (the whole form unless it embeds the secret in other data).
fn leak(secret: &str, rng: &mut Rng) -> (String, &'static str) {
    let chars: Vec<char> = secret.chars().collect();
    let spaced = |sep: &str| chars.iter().map(char::to_string).collect::<Vec<_>>().join(sep);
    let b64 = |engine: &base64::engine::GeneralPurpose, pad: usize| {
        let mut data = b"key=\""[..pad].to_vec();
        data.extend_from_slice(secret.as_bytes());
        engine.encode(data).trim_end_matches('=').to_owned()
    };
    match rng.below(13) {
        0 => (secret.to_owned(), "verbatim"),
        1 => {
            let n = rng.range(DEFAULT_MIN_RUN + 2, chars.len().max(DEFAULT_MIN_RUN + 3));
            let at = rng.below(chars.len().saturating_sub(n) + 1);
            (chars[at..(at + n).min(chars.len())].iter().collect(), "partial")
        }
        2 => (chars.iter().rev().collect(), "reversed"),
        3 => (secret.bytes().map(|b| format!("{b:02x}")).collect(), "hex"),
        4 => (secret.bytes().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(" "), "hex-spaced"),
        5 => (b64(&base64::engine::general_purpose::STANDARD, rng.below(4)), "base64"),
        6 => (b64(&base64::engine::general_purpose::URL_SAFE_NO_PAD, rng.below(4)), "base64url"),
        7 => (secret.bytes().map(|b| format!("%{b:02X}")).collect(), "url-encoded"),
        8 => (spaced(" "), "spaces"),
        9 => (spaced("-"), "dashes"),
        10 => (spaced("."), "dots"),
        11 => (spaced("\n"), "newlines"),
        _ => (spaced("\u{200b}"), "zero-width"),
    }
}

#[test]
fn canary_recall_and_false_positives_on_a_labeled_set() {
    let leaks: usize = std::env::var("SECRETGATE_CANARY_LEAKS").ok().and_then(|v| v.parse().ok()).unwrap_or(600);
    let c = corpus::generate(61, leaks / 2 + 1, 200);
    let secrets: Vec<String> = c
        .positives
        .iter()
        .flat_map(|d| d.planted.iter().map(|p| d.text[p.start..p.end].to_owned()))
        .filter(|s| s.chars().filter(|c| !matches!(c, ' ' | '\t' | '\r' | '\n' | '-' | '.')).count() >= DEFAULT_MIN_RUN)
        .take(leaks)
        .collect();
    assert!(secrets.len() >= leaks.min(300), "{} canaries", secrets.len());
    let set = CanarySet::new(&secrets, DEFAULT_MIN_RUN).expect("canaries");
    let mut rng = Rng::new(3);
    let mut missed: std::collections::BTreeMap<&str, usize> = Default::default();
    let mut tried: std::collections::BTreeMap<&str, usize> = Default::default();
    let mut stray = 0;
    for (i, s) in secrets.iter().enumerate() {
        let (form, how) = leak(s, &mut rng);
        let before = if i % 2 == 0 { corpus::prose(i as u64, 300) } else { corpus::code(i as u64, 300) };
        let text = format!("{before}\n{form}\n{}", corpus::prose(i as u64 + 1, 200));
        let at = Span { start: before.len() + 1, end: before.len() + 1 + form.len() };
        let found = set.scan(text.as_bytes());
        *tried.entry(how).or_default() += 1;
        // Found: a leak inside the planted form. Anything outside it is a false positive.
        if !found
            .iter()
            .any(|f| f.secret.start >= at.start && f.secret.end <= at.end && f.secret.len() >= DEFAULT_MIN_RUN)
        {
            *missed.entry(how).or_default() += 1;
        }
        stray += found.iter().filter(|f| f.secret.end <= at.start || f.secret.start >= at.end).count();
    }
    let negatives: Vec<String> = c
        .negatives
        .iter()
        .map(|d| d.text.clone())
        .chain(c.positives.iter().skip(secrets.len()).map(|d| d.text.clone()))
        .chain((0..50).map(|i| corpus::prose(100 + i, 2000)))
        .chain((0..50).map(|i| corpus::code(200 + i, 2000)))
        .collect();
    let negative_findings: usize = negatives.iter().map(|t| set.scan(t.as_bytes()).len()).sum();
    let n_missed: usize = missed.values().sum();
    let recall = 1.0 - n_missed as f64 / secrets.len() as f64;
    eprintln!(
        "canaries: {} leaks in {} forms ({tried:?}), recall {recall:.4} (missed {missed:?}); \
         findings outside the leaks {stray}; findings in {} texts without leaks {negative_findings}",
        secrets.len(),
        tried.len(),
        negatives.len()
    );
    assert!(recall >= 0.99, "recall {recall}: missed {missed:?}");
    assert_eq!(stray, 0, "findings outside the planted leaks");
    assert_eq!(negative_findings, 0, "findings in texts without leaks");
}
