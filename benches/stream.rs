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
//!
//! `cargo bench --features hyperscan --bench stream` adds `hyperscan::*`: what hyperscan would
//! cost per delta as a stream's candidate pass, beside the regex redactor's push over the same
//! deltas (`docs/benchmarks.md` records the figures and the choice).

use std::{
    cell::RefCell,
    sync::{Arc, OnceLock},
};

use divan::{black_box, counter::BytesCount, AllocProfiler, Bencher};
use secretgate::{
    corpus,
    detect::Why,
    stream::{Policy, StreamRedactor},
    Scratch,
};

#[global_allocator]
static ALLOC: AllocProfiler = AllocProfiler::system();

mod support;

#[cfg(feature = "hyperscan")]
use support::shared_rules;
use support::{deltas, rules, text};

const KINDS: &[&str] = &["prose", "code"];

fn main() {
    for kind in KINDS {
        report(kind);
    }
    #[cfg(feature = "hyperscan")]
    hyperscan::report();
    divan::main();
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

/// Hyperscan as a stream's candidate pass, per delta, beside the regex redactor's push over
/// the same deltas (`regex_push`: `stream` above, counted per delta):
/// - `block_over_window`: `HyperscanScanner::candidates_only` in block mode over the bytes the
///   regex redactor held before the delta plus the delta — a lower bound for any design that
///   rescans its holdback window in block mode (it would hold at least as much, and still
///   need the regex stage and a release bound);
/// - `streaming_mode`: one hyperscan stream per text, state carried from delta to delta, each
///   delta scanned once for match ends (`StreamingPass`) — the candidate pass alone, without
///   the keyword-prefix holds and undecided starts the release bound also needs.
///
/// `*_keywords`: the same with `Mode::Keywords` (hyperscan finds the keywords only, the
/// frontier's input). Before the timings: each streaming database's size, compile time and
/// per-stream state (`hs_stream_size`), and that state for 1,000 open streams.
#[cfg(feature = "hyperscan")]
mod hyperscan {
    use std::time::Instant;

    use divan::counter::ItemsCount;
    use secretgate::detect::hyperscan::{HyperscanScanner, Mode, StreamingPass};

    use super::*;

    const MODES: [Mode; 2] = [Mode::Regexes, Mode::Keywords];

    fn scanner(mode: Mode) -> &'static HyperscanScanner<'static> {
        static SCANNERS: [OnceLock<HyperscanScanner<'static>>; 2] = [OnceLock::new(), OnceLock::new()];
        SCANNERS[usize::from(mode == Mode::Keywords)]
            .get_or_init(|| HyperscanScanner::with_mode(shared_rules(), mode).expect("database"))
    }

    fn pass(mode: Mode) -> &'static StreamingPass {
        static PASSES: [OnceLock<StreamingPass>; 2] = [OnceLock::new(), OnceLock::new()];
        PASSES[usize::from(mode == Mode::Keywords)]
            .get_or_init(|| scanner(mode).streaming_pass().expect("streaming database"))
    }

    pub(super) fn report() {
        let _ = shared_rules();
        for mode in MODES {
            let started = Instant::now();
            let hs = scanner(mode);
            let block = started.elapsed().as_secs_f64();
            let started = Instant::now();
            let pass = pass(mode);
            let streaming = started.elapsed().as_secs_f64();
            println!(
                "hyperscan {mode:?}: block database {:.1} MB ({block:.2} s), scratch {:.1} KB | streaming database {:.1} MB ({streaming:.2} s), stream state {} bytes per stream, {:.2} MB for 1,000 open streams",
                hs.database_bytes() as f64 / 1e6,
                hs.scratch_bytes() as f64 / 1e3,
                pass.database_bytes() as f64 / 1e6,
                pass.stream_bytes(),
                pass.stream_bytes() as f64 * 1000.0 / 1e6,
            );
        }
    }

    /// Per delta, the bytes a block-mode rescan would cover: from the first byte the regex
    /// redactor still held before the delta to the delta's end.
    fn windows(kind: &str) -> Vec<(usize, usize)> {
        let text = text(kind);
        let mut r = StreamRedactor::new(rules(), Policy::default());
        let mut end = 0;
        let mut out = Vec::new();
        for d in deltas(text) {
            let start = r.released();
            end += d.len();
            out.push((start, end));
            let _ = r.push(d);
        }
        out
    }

    #[divan::bench(args = KINDS, sample_count = 10, sample_size = 1)]
    fn regex_push(bencher: Bencher, kind: &str) {
        let (set, hay) = (rules(), text(kind));
        let deltas = deltas(hay);
        bencher.counter(ItemsCount::new(deltas.len())).bench_local(|| {
            let mut r = StreamRedactor::new(set.clone(), Policy::default());
            let mut n = 0;
            for d in &deltas {
                n += r.push(black_box(d)).text.len();
            }
            n + r.finish().text.len()
        });
    }

    fn block(bencher: Bencher, kind: &str, mode: Mode) {
        let (hs, hay) = (scanner(mode), text(kind));
        let windows = windows(kind);
        let mut scratch = Scratch::default();
        bencher.counter(ItemsCount::new(windows.len())).bench_local(|| {
            let mut n = 0;
            for &(start, end) in &windows {
                n += hs.candidates_only(black_box(&hay.as_bytes()[start..end]), &mut scratch);
            }
            n
        });
    }

    fn streaming(bencher: Bencher, kind: &str, mode: Mode) {
        let (pass, hay) = (pass(mode), text(kind));
        let deltas = deltas(hay);
        let mut ends = Vec::new();
        bencher.counter(ItemsCount::new(deltas.len())).bench_local(|| {
            ends.clear();
            let mut stream = pass.open().expect("stream");
            for d in &deltas {
                stream.push(black_box(d.as_bytes()), &mut ends).expect("scan");
            }
            stream.finish(&mut ends).expect("close");
            ends.len()
        });
    }

    /// What both hyperscan benches pay per delta for their scratch space: one uncontended
    /// lock to take it from the pool and one to give it back (here a pool of boxes; a design
    /// with a scratch per thread would not pay it).
    #[divan::bench(args = KINDS, sample_count = 10, sample_size = 1)]
    fn baseline_scratch_pool(bencher: Bencher, kind: &str) {
        let deltas = deltas(text(kind));
        let pool = std::sync::Mutex::new(vec![Box::new(0u64)]);
        bencher.counter(ItemsCount::new(deltas.len())).bench_local(|| {
            let mut n = 0;
            for d in &deltas {
                let Some(mut s) = pool.lock().ok().and_then(|mut p| p.pop()) else { continue };
                *s += black_box(d.len() as u64);
                n += *s;
                if let Ok(mut p) = pool.lock() {
                    p.push(s);
                }
            }
            n
        });
    }

    #[divan::bench(args = KINDS, sample_count = 10, sample_size = 1)]
    fn block_over_window(bencher: Bencher, kind: &str) {
        block(bencher, kind, Mode::Regexes);
    }

    #[divan::bench(args = KINDS, sample_count = 10, sample_size = 1)]
    fn block_over_window_keywords(bencher: Bencher, kind: &str) {
        block(bencher, kind, Mode::Keywords);
    }

    #[divan::bench(args = KINDS, sample_count = 10, sample_size = 1)]
    fn streaming_mode(bencher: Bencher, kind: &str) {
        streaming(bencher, kind, Mode::Regexes);
    }

    #[divan::bench(args = KINDS, sample_count = 10, sample_size = 1)]
    fn streaming_mode_keywords(bencher: Bencher, kind: &str) {
        streaming(bencher, kind, Mode::Keywords);
    }
}
