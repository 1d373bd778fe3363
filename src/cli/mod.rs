//! Command-line front end: argument parsing and output formatting only. Detection lives in
//! `detect`; this module loads rules, calls it and prints.
//!
//! Exit codes: 0 nothing found / all good, 1 findings / rule problems, 2 error.

mod bench;
mod output;
mod sarif;
mod scan;
mod serve;

use std::{
    io::{Read, Write},
    path::PathBuf,
};

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::{
    detect::{self, check::Severity, RuleSet, Style},
    rules,
    stream::{Action, Policy, Status, StreamRedactor},
};

#[derive(Parser, Debug)]
#[command(name = "secretgate", version, about = "Stops API keys and other secrets from leaking through LLM endpoints")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Scan files, directories (recursively) or stdin for secrets.
    Scan(ScanArgs),
    /// Copy stdin to stdout with every secret replaced.
    Redact(RedactArgs),
    /// List or check rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Write the synthetic labeled corpus (documents with planted secrets, and hard negatives).
    Corpus(CorpusArgs),
    /// Measure pattern sets (and engines) side by side: speed, recall, false positives.
    Bench(bench::BenchArgs),
    /// Run the OpenAI-compatible proxy that redacts or blocks secrets in flight.
    Serve(serve::ServeArgs),
    /// Read a client key on stdin; print its `sha256:…` form for `auth.client_key_hashes`.
    HashKey,
}

#[derive(Args, Debug)]
struct CorpusArgs {
    /// Directory to create: `positive/*.txt`, `negative/*.txt` and `labels.jsonl`.
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 2000)]
    positives: usize,
    #[arg(long, default_value_t = 1000)]
    negatives: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Which rules to load.
#[derive(Args, Debug, Clone)]
pub(crate) struct RuleArgs {
    /// Extra rule file or directory of `*.toml` rule files (repeatable).
    #[arg(long = "rules", value_name = "FILE|DIR")]
    rules: Vec<PathBuf>,
    /// Do not load the built-in rules.
    #[arg(long)]
    pub(crate) no_builtin: bool,
}

impl RuleArgs {
    /// The rule set; a file whose gitleaks import skipped rules gets one warning line on
    /// stderr (`rules check` lists each rule and why).
    fn load(&self) -> anyhow::Result<RuleSet> {
        let (set, report) = self.load_with_report()?;
        let mut files: Vec<(&str, usize)> = Vec::new();
        for n in report.notices.iter().filter(|n| n.kind == rules::NoticeKind::Skipped) {
            match files.iter_mut().find(|(f, _)| *f == n.file) {
                Some((_, count)) => *count += 1,
                None => files.push((&n.file, 1)),
            }
        }
        for (file, count) in files {
            eprintln!(
                "secretgate: warning: {file}: {count} gitleaks rules skipped (`secretgate rules check` says why)"
            );
        }
        Ok(set)
    }

    fn load_with_report(&self) -> anyhow::Result<(RuleSet, rules::LoadReport)> {
        let mut all = if self.no_builtin { Vec::new() } else { rules::builtin()? };
        let mut report = rules::LoadReport::default();
        for path in &self.rules {
            let loaded = rules::load(path)?;
            all.extend(loaded.rules);
            report.notices.extend(loaded.report.notices);
        }
        if all.is_empty() {
            anyhow::bail!("no rules loaded (--no-builtin without --rules)");
        }
        Ok((RuleSet::new(all)?, report))
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    #[default]
    Text,
    Json,
    Sarif,
}

#[derive(Args, Debug)]
struct ScanArgs {
    /// Files or directories; `-` or nothing reads stdin.
    paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// Known secrets, one per line: each is also found in part, reversed, hex, base64,
    /// URL-encoded or spelled out with separators (findings of kind `canary`).
    #[arg(long, value_name = "FILE")]
    canary_file: Option<PathBuf>,
    /// Shortest run of a canary that counts as a leak.
    #[arg(long, value_name = "N", default_value_t = crate::detect::canary::DEFAULT_MIN_RUN)]
    canary_min_run: usize,
    /// The first pass: `regex`, or `hyperscan` (the default in builds with the `hyperscan`
    /// feature). The findings are the same.
    #[arg(long, value_enum, default_value_t)]
    engine: scan::Engine,
    #[command(flatten)]
    rules: RuleArgs,
}

#[derive(Args, Debug)]
struct RedactArgs {
    /// How a secret is replaced.
    #[arg(long, value_enum, default_value_t)]
    style: Style,
    /// Feed stdin through the streaming redactor in deltas of N characters, writing each
    /// release as it comes (the output equals the one-shot redaction for every N).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    stream_chunk: Option<u64>,
    #[command(flatten)]
    rules: RuleArgs,
}

#[derive(Subcommand, Debug)]
enum RulesCommand {
    /// One rule per line: id, title, confidence (tab-separated).
    List(RuleArgs),
    /// Compile every rule and check its examples and negative examples.
    Check(CheckArgs),
}

#[derive(Args, Debug)]
struct CheckArgs {
    #[command(flatten)]
    rules: RuleArgs,
    /// Treat warnings (unbounded repetitions, keyword-less rules) as errors.
    #[arg(long)]
    strict: bool,
}

/// Runs the CLI and returns the process exit code.
pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let result = match cli.command {
        Command::Scan(args) => {
            let canaries = scan::Canaries { file: args.canary_file.clone(), min_run: args.canary_min_run };
            scan::run(&args.paths, args.format, &args.rules, &canaries, args.engine)
        }
        Command::Redact(args) => redact(&args),
        Command::Rules(RulesCommand::List(args)) => list(&args),
        Command::Rules(RulesCommand::Check(args)) => check(&args),
        Command::Corpus(args) => write_corpus(&args),
        Command::Bench(args) => bench::bench(&args),
        Command::Serve(args) => serve::serve(&args),
        Command::HashKey => serve::hash_key(),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("secretgate: error: {e:#}");
            2
        }
    }
}

fn redact(args: &RedactArgs) -> anyhow::Result<i32> {
    let set = args.rules.load()?;
    let mut input = Vec::new();
    std::io::stdin().read_to_end(&mut input).context("reading stdin")?;
    if let Some(n) = args.stream_chunk {
        let text = String::from_utf8(input).map_err(|e| {
            anyhow::anyhow!(
                "stdin is not UTF-8 (invalid byte at offset {}); --stream-chunk streams text",
                e.utf8_error().valid_up_to()
            )
        })?;
        return redact_stream(set, &text, n as usize, args.style);
    }
    let findings = set.scan(&input);
    let out = detect::redact(&input, &findings, &set, args.style);
    write_stdout(&out)?;
    Ok(0)
}

/// `text` through a [`StreamRedactor`] in deltas of `chunk` characters.
fn redact_stream(set: RuleSet, text: &str, chunk: usize, style: Style) -> anyhow::Result<i32> {
    let policy = Policy { action: Action::Redact(style), ..Policy::default() };
    let mut redactor = StreamRedactor::new(std::sync::Arc::new(set), policy);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut rest = text;
    while !rest.is_empty() {
        let cut = rest.char_indices().nth(chunk).map_or(rest.len(), |(i, _)| i);
        let (delta, tail) = rest.split_at(cut);
        rest = tail;
        if let Err(e) = out.write_all(redactor.push(delta).text.as_bytes()) {
            return broken_pipe_ok(e);
        }
    }
    let last = redactor.finish();
    if let Err(e) = out.write_all(last.text.as_bytes()).and_then(|_| out.flush()) {
        return broken_pipe_ok(e);
    }
    if last.status == Status::BlockedOverflow {
        anyhow::bail!("more than {} bytes had to be held back; output stopped there", policy.max_holdback);
    }
    Ok(0)
}

fn broken_pipe_ok(e: std::io::Error) -> anyhow::Result<i32> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(0)
    } else {
        Err(anyhow::Error::new(e).context("writing stdout"))
    }
}

fn list(args: &RuleArgs) -> anyhow::Result<i32> {
    let set = args.load()?;
    let mut out = String::new();
    for r in set.rules() {
        out.push_str(&format!("{}\t{}\t{}\n", r.id, r.title, r.confidence.as_str()));
    }
    write_stdout(out.as_bytes())?;
    Ok(0)
}

fn check(args: &CheckArgs) -> anyhow::Result<i32> {
    let (set, report) = args.rules.load_with_report()?;
    // Notes (how an engine other than the regex engine searches a rule) are no problems.
    let (summary, problems, notes) = detect::check::check_with_notes(&set);
    // A rule a gitleaks import skipped is a warning (an error under --strict).
    let skipped = report.skipped();
    let errors = problems.iter().filter(|p| p.severity == Severity::Error || args.strict).count()
        + if args.strict { skipped } else { 0 };
    let warnings = problems.len() - problems.iter().filter(|p| p.severity == Severity::Error).count() + skipped;
    // Disclosure-request rules (built in) are checked by their own detector.
    let disclosure = if args.rules.no_builtin {
        detect::disclosure::DisclosureSet::default()
    } else {
        detect::disclosure::DisclosureSet::builtin()?
    };
    let request_problems = detect::disclosure::check(&disclosure);
    let mut err = std::io::stderr().lock();
    for n in &report.notices {
        let _ = writeln!(err, "{n}");
    }
    for n in &notes {
        let _ = writeln!(err, "{n}");
    }
    for p in &problems {
        let _ = writeln!(err, "{p}");
    }
    for p in &request_problems {
        let _ = writeln!(err, "error: {p}");
    }
    let _ = writeln!(
        err,
        "checked {} rules, {} examples, {} negative examples: {} problems ({} warnings{})",
        summary.rules + disclosure.rules().len(),
        summary.examples + disclosure.rules().iter().map(|r| r.examples.len()).sum::<usize>(),
        summary.negative_examples + disclosure.rules().iter().map(|r| r.negative_examples.len()).sum::<usize>(),
        problems.len() + skipped + request_problems.len(),
        warnings,
        if args.strict { ", strict" } else { "" }
    );
    Ok(if errors + request_problems.len() > 0 { 1 } else { 0 })
}

/// Writes each document to its own file and one label line per document:
/// `{"file": "positive/000001.txt", "secrets": [{"start", "end", "kind"}]}` (byte offsets).
fn write_corpus(args: &CorpusArgs) -> anyhow::Result<i32> {
    let corpus = crate::corpus::generate(args.seed, args.positives, args.negatives);
    let mut labels = String::new();
    for (dir, docs) in [("positive", &corpus.positives), ("negative", &corpus.negatives)] {
        let path = args.out.join(dir);
        std::fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
        for (i, doc) in docs.iter().enumerate() {
            let file = format!("{dir}/{:06}.txt", i + 1);
            let target = args.out.join(&file);
            std::fs::write(&target, &doc.text).with_context(|| format!("writing {}", target.display()))?;
            let secrets: Vec<_> = doc
                .planted
                .iter()
                .map(|p| serde_json::json!({ "start": p.start, "end": p.end, "kind": p.kind }))
                .collect();
            labels.push_str(&serde_json::json!({ "file": file, "secrets": secrets }).to_string());
            labels.push('\n');
        }
    }
    let target = args.out.join("labels.jsonl");
    std::fs::write(&target, labels).with_context(|| format!("writing {}", target.display()))?;
    Ok(0)
}

pub(crate) fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        // A closed pipe (`| head`) is not an error worth reporting.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("writing stdout"),
    }
}
