//! `rule_loader` and `gitleaks_import`: any text is rules or a typed error.

use std::sync::Arc;

use crate::{
    detect::{check, redact},
    rules::{self, gitleaks, Loaded},
    stream::{Policy, StreamRedactor},
    RuleSet, Style,
};

/// Most bytes of examples streamed per input: enough for every rule's own examples.
const TEXT_CAP: usize = 2048;

/// Rules that loaded: they compile into a set, `rules check` runs on them, and their examples
/// (and negative examples), streamed a few bytes at a time, release their one-shot redaction
/// wherever the rules keep the keyword contract.
fn exercise(loaded: Loaded) {
    for notice in &loaded.report.notices {
        assert!(!notice.to_string().is_empty());
    }
    let set = match RuleSet::new(loaded.rules) {
        Ok(set) => Arc::new(set),
        Err(e) => {
            assert!(!e.to_string().is_empty(), "an error says what is wrong");
            return;
        }
    };
    let _ = check::check(&set);
    let mut text = String::new();
    for rule in set.rules() {
        for example in rule.examples.iter().chain(&rule.negative_examples) {
            text.push_str(example);
            text.push_str(" \n");
        }
    }
    let mut end = text.len().min(TEXT_CAP);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let text = &text[..end];
    if !keeps_keyword_contract(&set, text.as_bytes()) {
        // A match without a keyword in it (`rules check` reports such rules): one-shot finds
        // it only through a nearby keyword's window, which a stream cannot foresee. Streams
        // equal one-shot for rules that keep the contract.
        return;
    }
    let want = set.scan(text.as_bytes());
    let redacted = redact(text.as_bytes(), &want, &set, Style::Label);
    let mut r = StreamRedactor::new(set.clone(), Policy { max_holdback: usize::MAX, ..Policy::default() });
    let (mut out, mut found) = (String::new(), Vec::new());
    let mut at = 0;
    while at < text.len() {
        let mut next = (at + 3).min(text.len());
        while !text.is_char_boundary(next) {
            next += 1;
        }
        let rel = r.push(&text[at..next]);
        out.push_str(rel.text);
        found.extend_from_slice(rel.findings);
        at = next;
    }
    let fin = r.finish();
    out.push_str(&fin.text);
    found.extend(fin.findings);
    assert_eq!(found, want, "streamed findings differ from one-shot");
    assert_eq!(out.as_bytes(), redacted, "streamed text differs from one-shot");
}

/// Any text as a rule file (either format, as `--rules` reads it).
pub(super) fn run_loader(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match rules::parse_any("fuzz.toml", &text) {
        Ok(loaded) => exercise(loaded),
        Err(e) => assert!(!e.to_string().is_empty(), "an error says what is wrong"),
    }
}

/// Any TOML table through the gitleaks importer, whatever it looks like.
pub(super) fn run_gitleaks(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(table) = text.parse::<toml::Table>() else { return };
    let _ = gitleaks::looks_like_gitleaks(&table);
    match gitleaks::import("fuzz.toml", &table) {
        Ok(loaded) => exercise(loaded),
        Err(e) => assert!(!e.to_string().is_empty(), "an error says what is wrong"),
    }
}

/// Whether every match of every rule in `text` — from any start, not only those a search
/// visits — contains one of the rule's keywords (case-insensitively), as the engine assumes.
fn keeps_keyword_contract(set: &RuleSet, text: &[u8]) -> bool {
    use regex_automata::{Anchored, Input};
    let lower = text.to_ascii_lowercase();
    set.rules().iter().filter(|r| !r.keywords.is_empty()).all(|rule| {
        (0..=text.len()).all(|at| {
            let input = Input::new(text).range(at..).anchored(Anchored::Yes);
            rule.regex.search(&input).is_none_or(|m| {
                let found = &lower[m.range()];
                rule.keywords.iter().any(|k| memchr::memmem::find(found, k.as_bytes()).is_some())
            })
        })
    })
}
