//! What reading answers for disclosure requests (injected instructions, exfiltration links:
//! `detect::disclosure::answer`) costs, beside the secret rules alone.
//!
//! `stream` pushes LLM-like text in 3–5 character deltas through a `StreamRedactor`;
//! `stream_with_disclosure` does the same with the answer-side disclosure reader on top (as
//! `secretgate serve` runs it by default). `scan_answer` is the one-shot reader alone. Report
//! `stream_with_disclosure / stream`. Before the timings: how many sentences of each text
//! hold a trigger (and so are judged).
//!
//! `cargo bench --bench disclosure`; `SECRETGATE_BENCH_MB` sets the text size (default 1).

use std::sync::{Arc, OnceLock};

use divan::{black_box, counter::BytesCount, Bencher};
use secretgate::{
    corpus,
    detect::disclosure::DisclosureSet,
    stream::{Action, Policy, StreamRedactor},
    RuleSet, Style,
};

const KINDS: &[&str] = &["prose", "code"];

fn main() {
    divan::main();
}

fn rules() -> Arc<RuleSet> {
    static SET: OnceLock<Arc<RuleSet>> = OnceLock::new();
    SET.get_or_init(|| {
        let set = RuleSet::builtin().expect("built-in rules");
        set.prepare_streaming();
        Arc::new(set)
    })
    .clone()
}

fn disclosure() -> Arc<DisclosureSet> {
    static SET: OnceLock<Arc<DisclosureSet>> = OnceLock::new();
    SET.get_or_init(|| Arc::new(DisclosureSet::builtin().expect("disclosure rules"))).clone()
}

fn text(kind: &str) -> &'static str {
    static PROSE: OnceLock<String> = OnceLock::new();
    static CODE: OnceLock<String> = OnceLock::new();
    let mb = std::env::var("SECRETGATE_BENCH_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(1usize);
    match kind {
        "prose" => PROSE.get_or_init(|| corpus::prose(1, mb * 1_000_000)),
        _ => CODE.get_or_init(|| corpus::code(2, mb * 1_000_000)),
    }
}

/// The text cut into deltas of 3, 4 or 5 characters (deterministic).
fn deltas(text: &str) -> Vec<&str> {
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

fn run(redactor: StreamRedactor, deltas: &[&str]) -> usize {
    let mut r = redactor;
    let mut n = 0;
    for d in deltas {
        n += r.push(black_box(d)).text.len();
    }
    n + r.finish().text.len()
}

#[divan::bench(args = KINDS, sample_count = 10, sample_size = 1)]
fn stream(bencher: Bencher, kind: &str) {
    let (set, hay) = (rules(), text(kind));
    let deltas = deltas(hay);
    bencher
        .counter(BytesCount::of_str(hay))
        .bench_local(|| run(StreamRedactor::new(set.clone(), Policy::default()), &deltas));
}

#[divan::bench(args = KINDS, sample_count = 10, sample_size = 1)]
fn stream_with_disclosure(bencher: Bencher, kind: &str) {
    let (set, d, hay) = (rules(), disclosure(), text(kind));
    let deltas = deltas(hay);
    bencher.counter(BytesCount::of_str(hay)).bench_local(|| {
        let r = StreamRedactor::new(set.clone(), Policy::default())
            .with_disclosure(d.clone(), Action::Redact(Style::default()));
        run(r, &deltas)
    });
}

#[divan::bench(args = KINDS, sample_count = 10, sample_size = 1)]
fn scan_answer(bencher: Bencher, kind: &str) {
    let (d, hay) = (disclosure(), text(kind));
    bencher.counter(BytesCount::of_str(hay)).bench_local(|| d.scan_answer(black_box(hay)).len());
}
