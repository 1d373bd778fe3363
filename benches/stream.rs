//! Streaming redaction of LLM-like output cut into 3–5 character deltas.
//!
//! Timings (divan, same process): `stream` (every delta through a `StreamRedactor`, then
//! `finish`) beside `one_shot` (`RuleSet::scan_with` over the whole text) and `passthrough`
//! (copying the deltas into a buffer). Report `stream / one_shot`. `stream_with_canaries` is
//! `stream` with 100 canaries (the corpus's planted secrets) on top of the rules. `steady_push` counts the
//! allocations of one push into a warm redactor (divan's allocation profiler).
//!
//! Before the timings, a holdback report: bytes held back after each push (mean, p99, max)
//! and each byte's release delay in pushes (median, p99, max).
//!
//! `cargo bench --bench stream`; `SECRETGATE_BENCH_MB` sets the text size (default 1).

use std::{
    cell::RefCell,
    sync::{Arc, OnceLock},
};

use divan::{black_box, counter::BytesCount, AllocProfiler, Bencher};
use secretgate::{
    corpus,
    detect::Why,
    stream::{Policy, StreamRedactor},
    RuleSet, Scratch,
};

#[global_allocator]
static ALLOC: AllocProfiler = AllocProfiler::system();

const KINDS: &[&str] = &["prose", "code"];

fn main() {
    for kind in KINDS {
        report(kind);
    }
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

fn percentile(sorted: &[usize], p: f64) -> usize {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Held bytes per push and release delay per byte, printed as one table row.
fn report(kind: &str) {
    let text = text(kind);
    let deltas = deltas(text);
    let mut r = StreamRedactor::new(rules(), Policy::default());
    let mut held = Vec::with_capacity(deltas.len());
    let mut arrived = Vec::with_capacity(text.len());
    let mut delay = Vec::with_capacity(text.len());
    // Held bytes summed per reason (the rule behind it, where there is one).
    let mut reasons: std::collections::HashMap<String, usize> = Default::default();
    for (push, d) in deltas.iter().enumerate() {
        arrived.extend(std::iter::repeat_n(push, d.len()));
        let before = r.released();
        let _ = r.push(d);
        delay.extend((before..r.released()).map(|b| push - arrived[b]));
        held.push(r.held());
        let reason = match r.held_by() {
            Why::Candidate(rule) => format!("undecided match of {}", rules().rule(rule).id),
            Why::Reach(rule) => format!("could begin a {} secret", rules().rule(rule).id),
            Why::Finding(rule) => format!("finding of {}", rules().rule(rule).id),
            other => format!("{other:?}"),
        };
        *reasons.entry(reason).or_default() += r.held();
    }
    let before = r.released();
    let _ = r.finish();
    delay.extend((before..text.len()).map(|b| deltas.len() - arrived[b]));
    let mean = held.iter().sum::<usize>() as f64 / held.len() as f64;
    held.sort_unstable();
    delay.sort_unstable();
    let zero = delay.iter().filter(|&&d| d == 0).count() as f64 / delay.len() as f64;
    println!(
        "holdback {kind:5} {} bytes, {} pushes | held bytes/push: mean {mean:.2} p99 {} max {} | release delay (pushes): median {} p99 {} max {} ({:.1}% at 0)",
        text.len(),
        deltas.len(),
        percentile(&held, 0.99),
        held[held.len() - 1],
        percentile(&delay, 0.5),
        percentile(&delay, 0.99),
        delay[delay.len() - 1],
        zero * 100.0,
    );
    let total: usize = reasons.values().sum();
    let mut reasons: Vec<_> = reasons.into_iter().filter(|(_, n)| *n > 0).collect();
    reasons.sort_by_key(|(k, n)| (std::cmp::Reverse(*n), k.clone()));
    for (reason, n) in reasons.iter().take(6) {
        println!("    {:5.1}% of held bytes: {reason}", 100.0 * *n as f64 / total.max(1) as f64);
    }
}

#[divan::bench(args = KINDS, sample_count = 10, sample_size = 1)]
fn one_shot(bencher: Bencher, kind: &str) {
    let (set, hay) = (rules(), text(kind));
    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    bencher.counter(BytesCount::of_str(hay)).bench_local(|| {
        set.scan_with(black_box(hay.as_bytes()), &mut scratch, &mut out);
        out.len()
    });
}

#[divan::bench(args = KINDS, sample_count = 10, sample_size = 1)]
fn stream(bencher: Bencher, kind: &str) {
    let (set, hay) = (rules(), text(kind));
    let deltas = deltas(hay);
    bencher.counter(BytesCount::of_str(hay)).bench_local(|| {
        let mut r = StreamRedactor::new(set.clone(), Policy::default());
        let mut n = 0;
        for d in &deltas {
            n += r.push(black_box(d)).text.len();
        }
        n + r.finish().text.len()
    });
}

/// 100 canaries: secrets the corpus generator plants (API keys, tokens, key files).
fn canaries() -> Arc<secretgate::detect::canary::CanarySet> {
    static SET: OnceLock<Arc<secretgate::detect::canary::CanarySet>> = OnceLock::new();
    SET.get_or_init(|| {
        let c = corpus::generate(5, 80, 0);
        let secrets: Vec<String> = c
            .positives
            .iter()
            .flat_map(|d| d.planted.iter().map(|p| d.text[p.start..p.end].to_owned()))
            .take(100)
            .collect();
        Arc::new(secretgate::detect::canary::CanarySet::skipping_short(&secrets, 12).expect("canaries"))
    })
    .clone()
}

#[divan::bench(args = KINDS, sample_count = 10, sample_size = 1)]
fn stream_with_canaries(bencher: Bencher, kind: &str) {
    let (set, hay, canaries) = (rules(), text(kind), [canaries()]);
    let deltas = deltas(hay);
    bencher.counter(BytesCount::of_str(hay)).bench_local(|| {
        let mut r = StreamRedactor::with_canaries(set.clone(), &canaries, Policy::default());
        let mut n = 0;
        for d in &deltas {
            n += r.push(black_box(d)).text.len();
        }
        n + r.finish().text.len()
    });
}

#[divan::bench(args = KINDS, sample_count = 10, sample_size = 1)]
fn passthrough(bencher: Bencher, kind: &str) {
    let hay = text(kind);
    let deltas = deltas(hay);
    let mut out = String::new();
    bencher.counter(BytesCount::of_str(hay)).bench_local(|| {
        out.clear();
        for d in &deltas {
            out.push_str(black_box(d));
        }
        out.len()
    });
}

/// One push into a redactor in steady state: it has streamed the whole text once (every rule
/// the text wakes has its regex cache, every buffer its capacity) and streams it again. The
/// allocation counts divan prints for this bench are per push.
#[divan::bench(args = KINDS, sample_count = 100, sample_size = 100)]
fn steady_push(bencher: Bencher, kind: &str) {
    let hay = text(kind);
    let deltas = deltas(hay);
    let mut r = StreamRedactor::new(rules(), Policy::default());
    for d in &deltas {
        let _ = r.push(d);
    }
    let state = RefCell::new((r, 0));
    bencher.bench_local(|| {
        let (r, i) = &mut *state.borrow_mut();
        *i = (*i + 1) % deltas.len();
        r.push(black_box(deltas[*i])).text.len()
    });
}
