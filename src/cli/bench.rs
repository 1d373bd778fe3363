//! `secretgate bench`: arguments, progress bar and output formats of the pattern-set
//! benchmark harness (`crate::bench` does the measuring).

use std::{
    io::{IsTerminal, Write},
    path::PathBuf,
};

use anyhow::Context;
use clap::{Args, ValueEnum};

use crate::bench::{self, Config, Engine, Report};

#[derive(Args, Debug)]
pub(crate) struct BenchArgs {
    /// A pattern set: `builtin`, a rule file or directory in secretgate's format, or a
    /// gitleaks config (repeatable; default: builtin).
    #[arg(long = "set", value_name = "builtin|FILE|DIR")]
    sets: Vec<String>,
    /// The text to measure on: a directory of text files (labeled if it holds the
    /// `labels.jsonl` that `secretgate corpus` writes) or a JSONL file
    /// (`{"text": …, "secrets": [{"value": …, "rule": …}]}` per line).
    #[arg(long, value_name = "DIR|FILE.jsonl", conflicts_with = "generate")]
    corpus: Option<PathBuf>,
    /// Generate a labeled corpus of N documents instead (two in three with planted secrets).
    #[arg(long, value_name = "N")]
    generate: Option<usize>,
    /// Seed of the generated corpus.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Engines, comma-separated (`both`: regex and hyperscan). Hyperscan needs a build with
    /// `--features hyperscan`.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "regex")]
    engine: Vec<EngineArg>,
    /// Stream delta sizes in characters, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "4")]
    delta: Vec<usize>,
    /// One-shot passes per set and engine (the fastest counts).
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    #[arg(long, value_enum, default_value_t)]
    format: BenchFormat,
    /// Write the report here instead of stdout.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum EngineArg {
    Regex,
    Hyperscan,
    Both,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
enum BenchFormat {
    #[default]
    Table,
    Json,
    Html,
}

/// Generated documents when neither `--corpus` nor `--generate` is given.
const DEFAULT_DOCUMENTS: usize = 300;

pub(crate) fn bench(args: &BenchArgs) -> anyhow::Result<i32> {
    if args.delta.contains(&0) {
        anyhow::bail!("--delta: sizes are at least 1 character");
    }
    let mut engines = Vec::new();
    for arg in &args.engine {
        let these: &[Engine] = match arg {
            EngineArg::Regex => &[Engine::Regex],
            EngineArg::Hyperscan => &[Engine::Hyperscan],
            EngineArg::Both => &[Engine::Regex, Engine::Hyperscan],
        };
        for &e in these {
            if !engines.contains(&e) {
                engines.push(e);
            }
        }
    }
    // Before the corpus and the sets are built: a missing engine is a usage error.
    for e in &engines {
        e.available().context("--engine")?;
    }
    let corpus = match &args.corpus {
        Some(path) => bench::corpus::load(path)?,
        None => bench::corpus::generate(args.seed, args.generate.unwrap_or(DEFAULT_DOCUMENTS)),
    };
    let specs = if args.sets.is_empty() { vec!["builtin".to_owned()] } else { args.sets.clone() };
    let mut sets = Vec::new();
    for spec in &specs {
        let set = bench::load_set(spec).with_context(|| format!("pattern set {spec}"))?;
        if !set.notices.is_empty() {
            eprintln!("secretgate: {}: {} loading notes (listed in the report)", set.source, set.notices.len());
        }
        sets.push(set);
    }
    // Names label the report's rows: make them unique.
    for i in 1..sets.len() {
        if sets[..i].iter().any(|s| s.name == sets[i].name) {
            sets[i].name = format!("{} ({})", sets[i].name, i + 1);
        }
    }
    let config = Config { engines, deltas: args.delta.clone(), repeat: args.repeat.max(1) };
    let mut bar = ProgressBar::new();
    let report = bench::run(&sets, &corpus, &config, &mut |p| bar.show(&p))?;
    bar.clear();
    let text = match args.format {
        BenchFormat::Table => table(&report),
        BenchFormat::Json => {
            let mut s = serde_json::to_string_pretty(&report).context("encoding the report")?;
            s.push('\n');
            s
        }
        BenchFormat::Html => bench::html::render(&report),
    };
    match &args.output {
        Some(path) => std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?,
        None => super::write_stdout(text.as_bytes())?,
    }
    Ok(0)
}

/// A one-line progress bar on stderr, drawn only when stderr is a terminal.
struct ProgressBar {
    on: bool,
    drawn: bool,
}

impl ProgressBar {
    fn new() -> ProgressBar {
        ProgressBar { on: std::io::stderr().is_terminal(), drawn: false }
    }

    fn show(&mut self, p: &bench::Progress<'_>) {
        if !self.on || p.total == 0 {
            return;
        }
        let width = 30;
        let filled = p.done * width / p.total;
        let line = format!(
            "\r[{}{}] {:3}% {} × {}: {}",
            "=".repeat(filled),
            " ".repeat(width - filled),
            p.done * 100 / p.total,
            p.set,
            p.engine.name(),
            p.stage
        );
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "{line:<90}");
        let _ = err.flush();
        self.drawn = true;
    }

    fn clear(&mut self) {
        if self.drawn {
            let _ = write!(std::io::stderr().lock(), "\r{:90}\r", "");
        }
    }
}

fn table(report: &Report) -> String {
    let mut out = String::new();
    let c = &report.corpus;
    out.push_str(&format!(
        "corpus: {} — {} documents, {:.2} MB, {}\n\n",
        c.source,
        c.documents,
        c.bytes as f64 / 1e6,
        if c.labeled { format!("{} labeled secrets", c.secrets) } else { "unlabeled".to_owned() }
    ));
    out.push_str(&format!(
        "{:<28} {:>6} {:>8} {:>9} {:>10} {:>10} {:>9} {:>7} {:>6} {:>6} {:>7}\n",
        "set × engine",
        "rules",
        "build s",
        "build MB",
        "one-shot",
        "stream",
        "precision",
        "recall",
        "F1",
        "FP",
        "misses"
    ));
    out.push_str(&format!("{:<28} {:>6} {:>8} {:>9} {:>10} {:>10}\n", "", "", "", "", "MB/s", "MB/s"));
    for r in &report.results {
        let q = r.quality.as_ref();
        let f = |v: Option<f64>| v.map_or("—".to_owned(), |v| format!("{v:.3}"));
        out.push_str(&format!(
            "{:<28} {:>6} {:>8.2} {:>9} {:>10.1} {:>10} {:>9} {:>7} {:>6} {:>6} {:>7}\n",
            format!("{} × {}", r.set, r.engine.name()),
            r.rules,
            r.build.seconds,
            r.build.rss_bytes.map_or("—".to_owned(), |b| format!("{:.0}", b as f64 / 1e6)),
            r.one_shot.mb_per_s,
            r.streaming.first().map_or("—".to_owned(), |s| format!("{:.1}", s.mb_per_s)),
            f(q.map(|q| q.precision)),
            f(q.map(|q| q.recall)),
            f(q.map(|q| q.f1)),
            q.map_or("—".to_owned(), |q| q.false_positives.to_string()),
            q.map_or("—".to_owned(), |q| (q.labels - q.found).to_string()),
        ));
    }
    for r in &report.results {
        out.push_str(&format!("\n{} × {}\n", r.set, r.engine.name()));
        if let Some(db) = &r.build.hyperscan {
            out.push_str(&format!(
                "  hyperscan database: {:.2} s to compile, {:.1} MB (scratch {:.1} MB per scanning thread); build s and MB above include the rule set it confirms with\n",
                db.seconds,
                db.database_bytes as f64 / 1e6,
                db.scratch_bytes as f64 / 1e6
            ));
            if !db.fallbacks.is_empty() {
                out.push_str(&format!(
                    "  {} rules searched through their keywords (hyperscan cannot take them; `secretgate rules check` says why): {}\n",
                    db.fallbacks.len(),
                    db.fallbacks.join(", ")
                ));
            }
        }
        if !r.engine.streams() && !report.config.deltas.is_empty() {
            out.push_str("  stream: not measured: secretgate streams with the regex engine whatever engine scans whole texts (see the set × regex row: `--engine both`)\n");
        }
        for s in &r.streaming {
            out.push_str(&format!(
                "  stream, {}-char deltas: {:.1} MB/s ({:.2}× one-shot time); held bytes mean {:.1} p99 {} max {}; release delay (pushes) median {} p99 {} max {}\n",
                s.delta, s.mb_per_s, s.cost_vs_one_shot, s.held_bytes.mean, s.held_bytes.p99, s.held_bytes.max,
                s.release_delay.median, s.release_delay.p99, s.release_delay.max
            ));
        }
        if !r.rule_cost.is_empty() {
            out.push_str("  most expensive rules (alone, beyond the cheapest; share of the sum):");
            for c in &r.rule_cost {
                out.push_str(&format!(" {} {:.1}%,", c.rule, c.share * 100.0));
            }
            out.pop();
            out.push('\n');
        }
        for (title, list) in [("false positive", &r.false_positives), ("miss", &r.misses)] {
            for l in list.iter().take(10) {
                out.push_str(&format!("  {title}: {} {} {}\n", l.document, l.rule, l.preview));
            }
            if list.len() > 10 {
                out.push_str(&format!("  … {} more (JSON and HTML list up to {})\n", list.len() - 10, bench::LISTED));
            }
        }
        for n in &r.notices {
            out.push_str(&format!("  {n}\n"));
        }
    }
    out
}
