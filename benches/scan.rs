//! Scan throughput of the built-in rule set over ~10 MB of (a) prose-like LLM output without
//! secrets, (b) code-heavy text, (c) secret-dense text — each beside a baseline over the same
//! bytes: `memchr::memmem` counting one literal. Report ratios (ours / baseline) from one run.
//!
//! `cargo bench --bench scan`; `SECRETGATE_BENCH_MB` changes the size (default 10).
//! `cargo bench --features hyperscan --bench scan` adds the hyperscan engine on the same texts
//! (`hyperscan::scan_hyperscan` in both modes, and `hyperscan_pass_only`: the candidate pass
//! without the regexes).

use divan::{black_box, counter::BytesCount, Bencher};
use secretgate::{corpus, RuleSet, Scratch};

fn main() {
    divan::main();
}

fn size() -> usize {
    std::env::var("SECRETGATE_BENCH_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(10) * 1_000_000
}

fn text(kind: &str) -> String {
    match kind {
        "prose" => corpus::prose(1, size()),
        "code" => corpus::code(2, size()),
        _ => corpus::secret_dense(3, size()),
    }
}

const KINDS: &[&str] = &["prose", "code", "dense"];

#[divan::bench(args = KINDS, sample_count = 10, sample_size = 1)]
fn scan_builtin(bencher: Bencher, kind: &str) {
    let set = RuleSet::builtin().expect("built-in rules");
    let hay = text(kind);
    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    bencher.counter(BytesCount::of_str(&hay)).bench_local(|| {
        set.scan_with(black_box(hay.as_bytes()), &mut scratch, &mut out);
        out.len()
    });
}

#[divan::bench(args = KINDS, sample_count = 10, sample_size = 1)]
fn baseline_memmem(bencher: Bencher, kind: &str) {
    let hay = text(kind);
    let finder = memchr::memmem::Finder::new("ghp_");
    bencher.counter(BytesCount::of_str(&hay)).bench_local(|| finder.find_iter(black_box(hay.as_bytes())).count());
}

#[divan::bench(args = KINDS, sample_count = 10, sample_size = 1)]
fn keywords_only(bencher: Bencher, kind: &str) {
    let set = RuleSet::builtin().expect("built-in rules");
    let hay = text(kind);
    bencher.counter(BytesCount::of_str(&hay)).bench_local(|| set.keyword_hits(black_box(hay.as_bytes())));
}

#[cfg(feature = "hyperscan")]
mod hyperscan {
    use super::*;
    use secretgate::detect::hyperscan::{HyperscanScanner, Mode};

    fn bench_mode(bencher: Bencher, kind: &str, mode: Mode) {
        let set = RuleSet::builtin().expect("built-in rules");
        let hs = HyperscanScanner::with_mode(&set, mode).expect("hyperscan database");
        let hay = text(kind);
        let mut scratch = Scratch::default();
        let mut out = Vec::new();
        bencher.counter(BytesCount::of_str(&hay)).bench_local(|| {
            hs.scan_with(black_box(hay.as_bytes()), &mut scratch, &mut out);
            out.len()
        });
    }

    /// Every rule's regex in hyperscan (the default mode).
    #[divan::bench(args = KINDS, sample_count = 10, sample_size = 1)]
    fn scan_hyperscan(bencher: Bencher, kind: &str) {
        bench_mode(bencher, kind, Mode::Regexes);
    }

    /// Hyperscan as the keyword finder only.
    #[divan::bench(args = KINDS, sample_count = 10, sample_size = 1)]
    fn scan_hyperscan_keywords(bencher: Bencher, kind: &str) {
        bench_mode(bencher, kind, Mode::Keywords);
    }

    /// `scan_hyperscan`'s hyperscan pass alone (candidate windows, no regex).
    #[divan::bench(args = KINDS, sample_count = 10, sample_size = 1)]
    fn hyperscan_pass_only(bencher: Bencher, kind: &str) {
        let set = RuleSet::builtin().expect("built-in rules");
        let hs = HyperscanScanner::new(&set).expect("hyperscan database");
        let hay = text(kind);
        let mut scratch = Scratch::default();
        bencher
            .counter(BytesCount::of_str(&hay))
            .bench_local(|| hs.candidates_only(black_box(hay.as_bytes()), &mut scratch));
    }
}
