//! What the streaming benches share: the built-in rules prepared for streams, the bench
//! corpus's prose and code, and LLM-like deltas. Each bench binary uses part of it.
#![allow(dead_code)]

use std::sync::{Arc, OnceLock};

use secretgate::{corpus, RuleSet};

/// The built-in rules, compiled once, with their streaming plan.
pub fn shared_rules() -> &'static Arc<RuleSet> {
    static SET: OnceLock<Arc<RuleSet>> = OnceLock::new();
    SET.get_or_init(|| {
        let set = RuleSet::builtin().expect("built-in rules");
        set.prepare_streaming();
        Arc::new(set)
    })
}

pub fn rules() -> Arc<RuleSet> {
    shared_rules().clone()
}

/// `SECRETGATE_BENCH_MB` (default 1) of LLM-like prose or of code-heavy text.
pub fn text(kind: &str) -> &'static str {
    static PROSE: OnceLock<String> = OnceLock::new();
    static CODE: OnceLock<String> = OnceLock::new();
    let mb = std::env::var("SECRETGATE_BENCH_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(1usize);
    match kind {
        "prose" => PROSE.get_or_init(|| corpus::prose(1, mb * 1_000_000)),
        _ => CODE.get_or_init(|| corpus::code(2, mb * 1_000_000)),
    }
}

/// The text cut into deltas of 3, 4 or 5 characters (deterministic).
pub fn deltas(text: &str) -> Vec<&str> {
    let mut rng = corpus::Rng::new(7);
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let n = 3 + rng.below(3);
        let cut = rest.char_indices().nth(n).map_or(rest.len(), |(i, _)| i);
        let (d, tail) = rest.split_at(cut);
        out.push(d);
        rest = tail;
    }
    out
}
