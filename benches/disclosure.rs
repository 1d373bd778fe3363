//! What reading answers for disclosure requests (injected instructions, exfiltration links:
//! `detect::disclosure::answer`) costs, beside the secret rules alone.
//!
//! `stream` pushes LLM-like text in 3–5 character deltas through a `StreamRedactor`;
//! `stream_with_disclosure` does the same with the answer-side disclosure reader on top (as
//! `secretgate serve` runs it by default). `scan_answer` is the one-shot reader alone. Report
//! `stream_with_disclosure / stream`. Before the timings: how many sentences of each text
//! hold a trigger (and so are judged).
//!
//! `scan_request` judges the text cut into prompt-sized pieces (about 600 bytes) as the proxy
//! judges each message of a request: the rules and the learned text model;
//! `scan_request_rules_only` without the model. Report `scan_request / scan_request_rules_only`.
//!
//! `cargo bench --bench disclosure`; `SECRETGATE_BENCH_MB` sets the text size (default 1).

use std::sync::{Arc, OnceLock};

use divan::{black_box, counter::BytesCount, Bencher};
use secretgate::{
    detect::disclosure::{text::TextModel, DisclosureSet},
    stream::{Action, Policy, StreamRedactor},
    Style,
};

mod support;

use support::{deltas, rules, text};

const KINDS: &[&str] = &["prose", "code"];

fn main() {
    divan::main();
}

fn disclosure() -> Arc<DisclosureSet> {
    static SET: OnceLock<Arc<DisclosureSet>> = OnceLock::new();
    SET.get_or_init(|| Arc::new(DisclosureSet::builtin().expect("disclosure rules"))).clone()
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

/// `hay` cut at whitespace into pieces of about 600 bytes.
fn pieces(hay: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = hay;
    while !rest.is_empty() {
        let mut cut = rest.len().min(600);
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        let end = rest[cut..].find(char::is_whitespace).map_or(rest.len(), |i| cut + i);
        out.push(&rest[..end]);
        rest = &rest[end..];
    }
    out
}

fn rules_only() -> Arc<DisclosureSet> {
    static SET: OnceLock<Arc<DisclosureSet>> = OnceLock::new();
    SET.get_or_init(|| {
        Arc::new(DisclosureSet::builtin().expect("disclosure rules").with_text_model(TextModel::default()))
    })
    .clone()
}

/// Judges `kind`'s text with `d`, piece by piece as requests.
fn requests(bencher: Bencher, d: Arc<DisclosureSet>, kind: &str) {
    let hay = text(kind);
    let pieces = pieces(hay);
    bencher
        .counter(BytesCount::of_str(hay))
        .bench_local(|| pieces.iter().map(|p| d.scan(black_box(p)).len()).sum::<usize>());
}

#[divan::bench(args = KINDS, sample_count = 10, sample_size = 1)]
fn scan_request(bencher: Bencher, kind: &str) {
    requests(bencher, disclosure(), kind);
}

#[divan::bench(args = KINDS, sample_count = 10, sample_size = 1)]
fn scan_request_rules_only(bencher: Bencher, kind: &str) {
    requests(bencher, rules_only(), kind);
}
