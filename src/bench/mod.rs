//! The benchmark harness for pattern sets (`secretgate bench`): how fast a rule set is, what
//! it catches and what it wrongly redacts, side by side with other sets or engines on the same
//! text.
//!
//! A run measures, for every pattern set × engine: one-shot throughput (every document
//! scanned whole, best of `repeat`), streaming throughput and holdback (every document pushed
//! through a [`StreamRedactor`] in deltas of each size: bytes held after a push, and how many
//! pushes each byte waited before release), precision / recall / F1 against the corpus's
//! labels with the false positives and misses (secrets masked), the ten rules that cost most
//! (each rule's scan of the corpus on its own, as a share of the sum over rules), and the
//! build time and memory of the compiled set. [`Report`] is the result; its JSON form is the
//! stable schema documented in `docs/bench.md`; [`html`] renders it as a self-contained page.
//!
//! Every figure of a row is measured with that row's engine. Streams always run on the regex
//! engine (the incremental scan is built on it, whatever engine scans whole texts), so only
//! regex rows have streaming figures; a hyperscan row's are empty rather than a copy that
//! would read as hyperscan's.

pub mod corpus;
pub mod html;

use std::{sync::Arc, time::Instant};

use serde::Serialize;

use crate::{
    detect::{Finding, RuleSet, Scratch},
    rules,
    stream::{Policy, StreamRedactor},
};
pub use corpus::{Corpus, Document, Label};

/// The schema name and version of [`Report`]'s JSON.
pub const SCHEMA: &str = "secretgate-bench/1";

/// A matching engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Regex,
    Hyperscan,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Regex => "regex",
            Engine::Hyperscan => "hyperscan",
        }
    }

    /// An error naming the missing cargo feature when this build lacks the engine.
    pub fn available(self) -> anyhow::Result<()> {
        if self == Engine::Hyperscan && !cfg!(feature = "hyperscan") {
            anyhow::bail!(NO_HYPERSCAN);
        }
        Ok(())
    }

    /// Whether the engine's rows get streaming figures (streams run on the regex engine only).
    pub fn streams(self) -> bool {
        self == Engine::Regex
    }
}

const NO_HYPERSCAN: &str =
    "the hyperscan engine is not in this build: build secretgate with `--features hyperscan` (needs libhyperscan-dev)";

/// A compiled pattern set and what building it cost.
pub struct PatternSet {
    pub name: String,
    /// `built-in`, or the file or directory it was loaded from.
    pub source: String,
    pub rules: Arc<RuleSet>,
    pub build: Build,
    /// What loading could not carry over (a gitleaks config's skipped rules, …).
    pub notices: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Build {
    /// Compiling everything the engine scans with: the rules, the set and its streaming plan,
    /// and for the hyperscan engine its database too (which needs the set: it confirms with
    /// the rules' regexes).
    pub seconds: f64,
    /// Growth of the process's resident memory while building (Linux; `null` elsewhere).
    pub rss_bytes: Option<u64>,
    /// The hyperscan engine's own part of the above (`null` for the regex engine).
    pub hyperscan: Option<DatabaseBuild>,
}

/// Compiling the hyperscan database of a set.
#[derive(Clone, Debug, Serialize)]
pub struct DatabaseBuild {
    pub seconds: f64,
    pub rss_bytes: Option<u64>,
    /// The database's size as hyperscan counts it.
    pub database_bytes: usize,
    /// One scratch space (one per thread scanning at once).
    pub scratch_bytes: usize,
    /// Rules hyperscan cannot take, searched through their keywords as by the regex engine.
    pub fallbacks: Vec<String>,
}

/// Loads and compiles a pattern set: `builtin`, or a rule file or directory (our format or a
/// gitleaks config).
pub fn load_set(spec: &str) -> anyhow::Result<PatternSet> {
    let rss = resident_bytes();
    let started = Instant::now();
    let (name, source, rules, notices) = if spec == "builtin" {
        ("builtin".to_owned(), "built-in".to_owned(), rules::builtin()?, Vec::new())
    } else {
        let path = std::path::Path::new(spec);
        let loaded = rules::load(path)?;
        let name = path.file_stem().map_or_else(|| spec.to_owned(), |s| s.to_string_lossy().into_owned());
        (name, spec.to_owned(), loaded.rules, loaded.report.notices.iter().map(ToString::to_string).collect())
    };
    if rules.is_empty() {
        anyhow::bail!("{source}: no rules");
    }
    let set = RuleSet::new(rules)?;
    set.prepare_streaming();
    let seconds = started.elapsed().as_secs_f64();
    let rss_bytes = growth(rss);
    Ok(PatternSet { name, source, rules: Arc::new(set), build: Build { seconds, rss_bytes, hyperscan: None }, notices })
}

/// The process's resident memory (`/proc/self/statm`), where there is one.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// What to measure.
#[derive(Clone, Debug, Serialize)]
pub struct Config {
    pub engines: Vec<Engine>,
    /// Delta sizes (characters) for the streaming runs.
    pub deltas: Vec<usize>,
    /// One-shot scans per set × engine; the fastest counts.
    pub repeat: usize,
}

/// Where a run is, for a progress bar.
#[derive(Clone, Debug)]
pub struct Progress<'a> {
    pub set: &'a str,
    pub engine: Engine,
    pub stage: &'static str,
    /// Steps done and in all, over the whole run.
    pub done: usize,
    pub total: usize,
}

/// The whole result of a run.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub corpus: CorpusInfo,
    pub config: Config,
    pub results: Vec<SetResult>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CorpusInfo {
    pub source: String,
    pub documents: usize,
    pub bytes: usize,
    pub labeled: bool,
    /// Labeled secrets (0 when unlabeled).
    pub secrets: usize,
}

/// One pattern set × engine.
#[derive(Clone, Debug, Serialize)]
pub struct SetResult {
    pub set: String,
    pub source: String,
    pub engine: Engine,
    pub rules: usize,
    pub build: Build,
    pub notices: Vec<String>,
    pub one_shot: Throughput,
    /// Empty for engines that do not stream ([`Engine::streams`]).
    pub streaming: Vec<Streaming>,
    /// `null` when the corpus has no labels.
    pub quality: Option<Quality>,
    /// Findings overlapping no labeled secret (labeled corpora), at most [`LISTED`].
    pub false_positives: Vec<Listed>,
    /// Labeled secrets no finding overlaps, at most [`LISTED`].
    pub misses: Vec<Listed>,
    /// The most expensive rules, most expensive first (at most ten).
    pub rule_cost: Vec<RuleCost>,
}

/// How many false positives and misses a report lists (all are counted).
pub const LISTED: usize = 50;

#[derive(Clone, Debug, Serialize)]
pub struct Throughput {
    pub seconds: f64,
    pub mb_per_s: f64,
    pub findings: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct Streaming {
    /// Characters per delta.
    pub delta: usize,
    pub seconds: f64,
    pub mb_per_s: f64,
    /// Streaming time over one-shot time (both on the regex engine).
    pub cost_vs_one_shot: f64,
    /// Bytes held back after each push.
    pub held_bytes: Spread,
    /// Pushes each byte waited before it was released.
    pub release_delay: Spread,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Spread {
    pub mean: f64,
    pub median: usize,
    pub p99: usize,
    pub max: usize,
}

impl Spread {
    fn of(mut values: Vec<usize>) -> Spread {
        if values.is_empty() {
            return Spread::default();
        }
        values.sort_unstable();
        let at = |p: f64| values[((values.len() - 1) as f64 * p).round() as usize];
        Spread {
            mean: values.iter().sum::<usize>() as f64 / values.len() as f64,
            median: at(0.5),
            p99: at(0.99),
            max: values[values.len() - 1],
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Quality {
    pub labels: usize,
    /// Labels some finding overlaps.
    pub found: usize,
    pub findings: usize,
    /// Findings overlapping a label.
    pub true_positives: usize,
    pub false_positives: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Of the labels that name a rule, how many that rule found (`null` when none names one).
    pub rule_agreement: Option<f64>,
}

/// A false positive or a miss: where, which rule or label, and at most a quarter (and at
/// most 4 characters) of the secret.
#[derive(Clone, Debug, Serialize)]
pub struct Listed {
    pub document: String,
    pub rule: String,
    pub preview: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct RuleCost {
    pub rule: String,
    /// Scanning the corpus with this rule alone.
    pub seconds: f64,
    /// Its share of the sum over every rule of the time alone beyond the cheapest rule's
    /// (which stands for the pass over the text that every rule pays).
    pub share: f64,
}

/// One-shot scanning of a document by an engine.
type Scan<'a> = Box<dyn Fn(&[u8], &mut Scratch, &mut Vec<Finding>) + 'a>;

/// The engine's scanner over `set`, and for the hyperscan engine what building it cost.
fn scanner(set: &RuleSet, engine: Engine) -> anyhow::Result<(Scan<'_>, Option<DatabaseBuild>)> {
    match engine {
        Engine::Regex => Ok((Box::new(move |text, scratch, out| set.scan_with(text, scratch, out)), None)),
        #[cfg(feature = "hyperscan")]
        Engine::Hyperscan => {
            use crate::detect::hyperscan::HyperscanScanner;
            let rss = resident_bytes();
            let started = Instant::now();
            let hs = HyperscanScanner::new(set)?;
            let built = DatabaseBuild {
                seconds: started.elapsed().as_secs_f64(),
                rss_bytes: growth(rss),
                database_bytes: hs.database_bytes(),
                scratch_bytes: hs.scratch_bytes(),
                fallbacks: hs.fallbacks().iter().map(|f| set.rule(f.rule).id.clone()).collect(),
            };
            Ok((Box::new(move |text, scratch, out| hs.scan_with(text, scratch, out)), Some(built)))
        }
        #[cfg(not(feature = "hyperscan"))]
        Engine::Hyperscan => anyhow::bail!(NO_HYPERSCAN),
    }
}

/// Growth of the resident memory since `before`.
fn growth(before: Option<u64>) -> Option<u64> {
    match (before, resident_bytes()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    }
}

/// Runs every measurement for every set × engine.
pub fn run(
    sets: &[PatternSet],
    corpus: &Corpus,
    config: &Config,
    progress: &mut dyn FnMut(Progress<'_>),
) -> anyhow::Result<Report> {
    for &engine in &config.engines {
        engine.available()?;
    }
    // Steps per set: build, one-shot, quality and rule cost per engine, and a streaming run
    // per delta size for the engines that stream.
    let per_set: usize = config.engines.iter().map(|e| 4 + if e.streams() { config.deltas.len() } else { 0 }).sum();
    let total = sets.len() * per_set;
    let mut done = 0;
    let mut results = Vec::new();
    for set in sets {
        for &engine in &config.engines {
            let mut step = |stage: &'static str, done: &mut usize| {
                progress(Progress { set: &set.name, engine, stage, done: *done, total });
                *done += 1;
            };
            step("build", &mut done);
            let (scan, database) = scanner(&set.rules, engine)?;
            let mut build = set.build.clone();
            if let Some(db) = &database {
                build.seconds += db.seconds;
                build.rss_bytes = build.rss_bytes.zip(db.rss_bytes).map(|(a, b)| a + b);
            }
            build.hyperscan = database;
            step("one-shot", &mut done);
            let (one_shot, findings) = one_shot(&scan, corpus, config.repeat);
            drop(scan);
            step("quality", &mut done);
            let (quality, false_positives, misses) = quality(&set.rules, corpus, &findings);
            let mut streaming = Vec::new();
            if engine.streams() {
                for &delta in &config.deltas {
                    step("streaming", &mut done);
                    streaming.push(stream(&set.rules, corpus, delta, one_shot.seconds));
                }
            }
            step("rule cost", &mut done);
            let rule_cost = rule_cost(&set.rules, engine, corpus, config.repeat)?;
            results.push(SetResult {
                set: set.name.clone(),
                source: set.source.clone(),
                engine,
                rules: set.rules.len(),
                build,
                notices: set.notices.clone(),
                one_shot,
                streaming,
                quality,
                false_positives,
                misses,
                rule_cost,
            });
        }
    }
    progress(Progress { set: "", engine: Engine::Regex, stage: "done", done: total, total });
    Ok(Report {
        schema: SCHEMA,
        corpus: CorpusInfo {
            source: corpus.source.clone(),
            documents: corpus.documents.len(),
            bytes: corpus.bytes(),
            labeled: corpus.labeled,
            secrets: corpus.secrets(),
        },
        config: config.clone(),
        results,
    })
}

fn mb_per_s(bytes: usize, seconds: f64) -> f64 {
    if seconds > 0.0 {
        bytes as f64 / 1e6 / seconds
    } else {
        0.0
    }
}

/// Every document scanned whole, `repeat` times; the fastest pass counts. Returns the
/// findings per document.
fn one_shot(scan: &Scan<'_>, corpus: &Corpus, repeat: usize) -> (Throughput, Vec<Vec<Finding>>) {
    let mut scratch = Scratch::default();
    let mut best = f64::INFINITY;
    let mut findings = Vec::new();
    for _ in 0..repeat.max(1) {
        let mut found = Vec::with_capacity(corpus.documents.len());
        let started = Instant::now();
        for d in &corpus.documents {
            let mut out = Vec::new();
            scan(d.text.as_bytes(), &mut scratch, &mut out);
            found.push(out);
        }
        best = best.min(started.elapsed().as_secs_f64());
        findings = found;
    }
    let n = findings.iter().map(Vec::len).sum();
    (Throughput { seconds: best, mb_per_s: mb_per_s(corpus.bytes(), best), findings: n }, findings)
}

/// Every document pushed through a redactor in deltas of `delta` characters.
fn stream(rules: &Arc<RuleSet>, corpus: &Corpus, delta: usize, one_shot: f64) -> Streaming {
    let delta = delta.max(1);
    let mut held = Vec::new();
    let mut delays = Vec::new();
    let mut seconds = 0.0;
    for d in &corpus.documents {
        let pieces = split(&d.text, delta);
        let mut r = StreamRedactor::new(rules.clone(), Policy::default());
        // Timed apart from the bookkeeping below: the first pass only pushes.
        let started = Instant::now();
        for p in &pieces {
            let _ = r.push(p);
        }
        let _ = r.finish();
        seconds += started.elapsed().as_secs_f64();
        let mut r = StreamRedactor::new(rules.clone(), Policy::default());
        let mut arrived = Vec::with_capacity(d.text.len());
        for (push, p) in pieces.iter().enumerate() {
            arrived.extend(std::iter::repeat_n(push, p.len()));
            let before = r.released();
            let _ = r.push(p);
            delays.extend((before..r.released()).filter_map(|b| arrived.get(b).map(|a| push - a)));
            held.push(r.held());
        }
        let before = r.released();
        let _ = r.finish();
        delays.extend((before..d.text.len()).filter_map(|b| arrived.get(b).map(|a| pieces.len() - a)));
    }
    Streaming {
        delta,
        seconds,
        mb_per_s: mb_per_s(corpus.bytes(), seconds),
        cost_vs_one_shot: if one_shot > 0.0 { seconds / one_shot } else { 0.0 },
        held_bytes: Spread::of(held),
        release_delay: Spread::of(delays),
    }
}

/// `text` in pieces of `n` characters.
fn split(text: &str, n: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let cut = rest.char_indices().nth(n).map_or(rest.len(), |(i, _)| i);
        let (piece, tail) = rest.split_at(cut);
        out.push(piece);
        rest = tail;
    }
    out
}

fn overlaps(a: (usize, usize), b: (usize, usize)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// At most 4 characters of a secret, and never more than a quarter of it, then `…`.
pub fn preview(secret: &str) -> String {
    let shown = (secret.chars().count() / 4).min(4);
    let mut out: String = secret.chars().take(shown).collect();
    out.push('…');
    out
}

/// Findings against labels: counts, the false positives and the misses.
fn quality(rules: &RuleSet, corpus: &Corpus, findings: &[Vec<Finding>]) -> (Option<Quality>, Vec<Listed>, Vec<Listed>) {
    if !corpus.labeled {
        return (None, Vec::new(), Vec::new());
    }
    let (mut found, mut tp, mut fp, mut n_findings, mut named, mut agreed) = (0, 0, 0, 0, 0, 0);
    let (mut fps, mut misses) = (Vec::new(), Vec::new());
    for (d, fs) in corpus.documents.iter().zip(findings) {
        n_findings += fs.len();
        for f in fs {
            let span = (f.secret.start, f.secret.end);
            if d.labels.iter().any(|l| overlaps(span, (l.start, l.end))) {
                tp += 1;
            } else {
                fp += 1;
                if fps.len() < LISTED {
                    let secret = d.text.get(f.secret.range()).unwrap_or("");
                    fps.push(Listed {
                        document: d.name.clone(),
                        rule: rules.rule(f.rule).id.clone(),
                        preview: preview(secret),
                    });
                }
            }
        }
        for l in &d.labels {
            let hit = fs.iter().any(|f| overlaps((f.secret.start, f.secret.end), (l.start, l.end)));
            if hit {
                found += 1;
            } else if misses.len() < LISTED {
                misses.push(Listed {
                    document: d.name.clone(),
                    rule: l.rule.clone().unwrap_or_default(),
                    preview: preview(d.text.get(l.start..l.end).unwrap_or("")),
                });
            }
            if let Some(want) = &l.rule {
                if rules.rules().iter().any(|r| &r.id == want) {
                    named += 1;
                    agreed += usize::from(fs.iter().any(|f| {
                        &rules.rule(f.rule).id == want && overlaps((f.secret.start, f.secret.end), (l.start, l.end))
                    }));
                }
            }
        }
    }
    let labels = corpus.secrets();
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let (precision, recall) = (ratio(tp, n_findings), ratio(found, labels));
    let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
    let q = Quality {
        labels,
        found,
        findings: n_findings,
        true_positives: tp,
        false_positives: fp,
        precision,
        recall,
        f1,
        rule_agreement: (named > 0).then(|| ratio(agreed, named)),
    };
    (Some(q), fps, misses)
}

/// Each rule's scan of the corpus on its own (a set of that one rule, the same engine; the
/// fastest of `repeat` passes); the ten costliest with their share of the sum.
fn rule_cost(set: &RuleSet, engine: Engine, corpus: &Corpus, repeat: usize) -> anyhow::Result<Vec<RuleCost>> {
    let mut costs = Vec::new();
    for rule in set.rules() {
        let alone = RuleSet::new(vec![rule.clone()])?;
        let (scan, _) = scanner(&alone, engine)?;
        // A scratch holds caches of one set's regexes: one per set.
        let mut scratch = Scratch::default();
        let mut out = Vec::new();
        let mut best = f64::INFINITY;
        // Short runs: the fastest of `repeat` passes keeps the noise of the machine out.
        for _ in 0..repeat.max(1) {
            let started = Instant::now();
            for d in &corpus.documents {
                out.clear();
                scan(d.text.as_bytes(), &mut scratch, &mut out);
            }
            best = best.min(started.elapsed().as_secs_f64());
        }
        costs.push((rule.id.clone(), best));
    }
    // Every rule alone pays the pass over the text; the cheapest rule's time stands for it,
    // and shares are of the time beyond it.
    let floor = costs.iter().map(|(_, s)| *s).fold(f64::INFINITY, f64::min);
    let excess = |s: f64| (s - floor).max(0.0);
    let sum: f64 = costs.iter().map(|(_, s)| excess(*s)).sum();
    costs.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(costs
        .into_iter()
        .take(10)
        .map(|(rule, seconds)| RuleCost { rule, seconds, share: if sum > 0.0 { excess(seconds) / sum } else { 0.0 } })
        .collect())
}

#[cfg(test)]
mod tests;
