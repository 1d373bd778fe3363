//! `secretgate scan`: walk paths, scan each file, print findings as text, JSON lines or SARIF.

use std::{
    io::{Read, Write},
    path::{Path, PathBuf},
};

use anyhow::Context;
use serde::Serialize;

use super::{output, sarif, Format, RuleArgs};
use crate::detect::{
    canary::CanarySet,
    disclosure::{DisclosureFinding, DisclosureSet},
    Finding, Fingerprint, RuleSet, Scratch,
};

/// Files whose first 8 KiB contain a NUL byte are treated as binary and skipped.
const BINARY_SNIFF: usize = 8 * 1024;

/// One finding as printed by `--format json` (one object per line).
#[derive(Serialize)]
pub(crate) struct JsonFinding<'a> {
    pub path: &'a str,
    pub rule_id: &'a str,
    pub kind: &'a str,
    pub start: usize,
    pub end: usize,
    pub line: usize,
    pub column: usize,
    pub confidence: &'a str,
    pub fingerprint: String,
}

/// `--canary-file` and `--canary-min-run`.
pub(crate) struct Canaries {
    pub file: Option<PathBuf>,
    pub min_run: usize,
}

impl Canaries {
    /// The compiled canaries; errors name the file, never a value.
    fn load(&self) -> anyhow::Result<Option<CanarySet>> {
        let Some(path) = &self.file else { return Ok(None) };
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let secrets: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        let set = CanarySet::new(&secrets, self.min_run).with_context(|| format!("canaries in {}", path.display()))?;
        Ok(Some(set))
    }
}

/// The engine of a one-shot scan: same findings, different speed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Engine {
    /// The regex engine: aho-corasick keywords, then regexes.
    Regex,
    /// Hyperscan as the first pass (builds with the `hyperscan` feature), in its keyword mode:
    /// 1.03-1.46x the regex engine's speed on prose, code and secret-dense text alike
    /// (docs/benchmarks.md); its regex mode is faster on prose but 3x slower on text dense
    /// with keys, which is much of what `scan` is pointed at.
    Hyperscan,
}

impl Default for Engine {
    /// Hyperscan where the build has it.
    fn default() -> Engine {
        if cfg!(feature = "hyperscan") {
            Engine::Hyperscan
        } else {
            Engine::Regex
        }
    }
}

pub(crate) fn run(
    paths: &[PathBuf],
    format: Format,
    rule_args: &RuleArgs,
    canaries: &Canaries,
    engine: Engine,
) -> anyhow::Result<i32> {
    let set = rule_args.load()?;
    let canaries = canaries.load()?;
    #[cfg(feature = "hyperscan")]
    let hyperscan = match engine {
        Engine::Hyperscan => Some(
            crate::detect::hyperscan::HyperscanScanner::with_mode(&set, crate::detect::hyperscan::Mode::Keywords)
                .map_err(|e| {
                    anyhow::anyhow!("the hyperscan engine cannot start ({e}); `--engine regex` scans without it")
                })?,
        ),
        Engine::Regex => None,
    };
    #[cfg(not(feature = "hyperscan"))]
    if engine == Engine::Hyperscan {
        anyhow::bail!("this build has no hyperscan engine: build with `--features hyperscan`, or use `--engine regex`");
    }
    let mut files = Vec::new();
    let mut errors = 0usize;
    let stdin_only = paths.is_empty();
    for p in paths {
        if p.as_os_str() == "-" {
            files.push(None);
        } else if let Err(e) = collect(p, &mut files) {
            eprintln!("secretgate: error: {}: {e}", p.display());
            errors += 1;
        }
    }
    if stdin_only {
        files.push(None);
    }

    // Disclosure requests come with the built-in rules.
    let disclosure = if rule_args.no_builtin { DisclosureSet::default() } else { DisclosureSet::builtin()? };
    let mut scratch = Scratch::default();
    let mut findings = Vec::new();
    let mut total = 0usize;
    let mut sarif = sarif::Report::new(&set);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for file in files {
        let (name, text) = match read(file.as_deref()) {
            Ok(Some(x)) => x,
            Ok(None) => continue,
            Err((name, e)) => {
                eprintln!("secretgate: error: {name}: {e}");
                errors += 1;
                continue;
            }
        };
        #[cfg(feature = "hyperscan")]
        match &hyperscan {
            Some(hs) => hs.scan_with(&text, &mut scratch, &mut findings),
            None => set.scan_with(&text, &mut scratch, &mut findings),
        }
        #[cfg(not(feature = "hyperscan"))]
        set.scan_with(&text, &mut scratch, &mut findings);
        if let Some(c) = &canaries {
            findings.extend(c.scan(&text));
            findings.sort_by_key(|f| (f.secret.start, f.secret.end));
        }
        total += findings.len();
        let requests = disclosure.scan(&String::from_utf8_lossy(&text));
        total += requests.len();
        let emitted = emit(&mut out, format, &set, &name, &text, &findings, &mut sarif)
            .and_then(|()| emit_requests(&mut out, format, &disclosure, &name, &text, &requests, &mut sarif));
        if let Err(e) = emitted {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(if total > 0 { 1 } else { 0 });
            }
            return Err(e.into());
        }
    }
    if format == Format::Sarif {
        serde_json::to_writer_pretty(&mut out, &sarif.finish())?;
        writeln!(out)?;
    }
    match out.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    Ok(if errors > 0 {
        2
    } else if total > 0 {
        1
    } else {
        0
    })
}

/// Files below `path`, sorted, `.git` directories skipped. Symlinks are not followed.
fn collect(path: &Path, files: &mut Vec<Option<PathBuf>>) -> std::io::Result<()> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_dir() {
        files.push(Some(path.to_path_buf()));
        return Ok(());
    }
    let mut entries: Vec<_> = std::fs::read_dir(path)?.collect::<Result<Vec<_>, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let ft = e.file_type()?;
        if ft.is_dir() {
            if e.file_name() != ".git" {
                collect(&e.path(), files)?;
            }
        } else if ft.is_file() {
            files.push(Some(e.path()));
        }
    }
    Ok(())
}

type Loaded = Option<(String, Vec<u8>)>;

/// Reads a file (or stdin for `None`); `Ok(None)` for binary files.
fn read(path: Option<&Path>) -> Result<Loaded, (String, std::io::Error)> {
    let (name, text) = match path {
        None => {
            let mut buf = Vec::new();
            std::io::stdin().read_to_end(&mut buf).map_err(|e| ("<stdin>".to_string(), e))?;
            ("<stdin>".to_string(), buf)
        }
        Some(p) => {
            let name = p.display().to_string();
            let text = std::fs::read(p).map_err(|e| (name.clone(), e))?;
            (name, text)
        }
    };
    if memchr::memchr(0, &text[..text.len().min(BINARY_SNIFF)]).is_some() {
        return Ok(None);
    }
    Ok(Some((name, text)))
}

fn emit(
    out: &mut impl Write,
    format: Format,
    set: &RuleSet,
    name: &str,
    text: &[u8],
    findings: &[Finding],
    sarif: &mut sarif::Report,
) -> std::io::Result<()> {
    let mut lines = output::LineIndex::new(text);
    for f in findings {
        let (line, column) = lines.position(f.secret.start);
        let id = set.label(f);
        match format {
            Format::Text => writeln!(
                out,
                "{name}:{line}:{column}: {} ({}) {} fingerprint={}",
                id,
                f.confidence.as_str(),
                output::preview(text, f),
                f.fingerprint
            )?,
            Format::Json => {
                let j = JsonFinding {
                    path: name,
                    rule_id: id,
                    kind: f.kind.as_str(),
                    start: f.secret.start,
                    end: f.secret.end,
                    line,
                    column,
                    confidence: f.confidence.as_str(),
                    fingerprint: f.fingerprint.to_string(),
                };
                serde_json::to_writer(&mut *out, &j)?;
                writeln!(out)?;
            }
            Format::Sarif => {
                let (end_line, end_column) = lines.position(f.secret.end);
                if f.kind == crate::rules::Kind::Canary {
                    let message = format!("Known secret (canary); fingerprint {}", f.fingerprint);
                    sarif.add_other(name, id, &message, (line, column), (end_line, end_column));
                } else {
                    sarif.add(name, f, (line, column), (end_line, end_column));
                }
            }
        }
    }
    Ok(())
}

/// Disclosure requests, in the same formats. The preview shows the request's first words
/// (it is an instruction, not a secret).
fn emit_requests(
    out: &mut impl Write,
    format: Format,
    set: &DisclosureSet,
    name: &str,
    text: &[u8],
    found: &[DisclosureFinding],
    sarif: &mut sarif::Report,
) -> std::io::Result<()> {
    // Spans come from the lossily decoded text; with invalid UTF-8 they may not be offsets of
    // `text`, so they are clamped.
    let lossy = String::from_utf8_lossy(text);
    let mut lines = output::LineIndex::new(lossy.as_bytes());
    for f in found {
        let (line, column) = lines.position(f.span.start);
        let rule = set.rule(f.rule);
        let request = lossy.get(f.span.range()).unwrap_or("");
        let fingerprint = Fingerprint::of(request.as_bytes());
        match format {
            Format::Text => {
                let preview: String = request.chars().take(40).map(|c| if c.is_control() { ' ' } else { c }).collect();
                let more = if request.chars().count() > 40 { "…" } else { "" };
                writeln!(out, "{name}:{line}:{column}: {} (disclosure-request) \"{preview}{more}\"", rule.id)?
            }
            Format::Json => {
                let j = JsonFinding {
                    path: name,
                    rule_id: &rule.id,
                    kind: "disclosure-request",
                    start: f.span.start,
                    end: f.span.end,
                    line,
                    column,
                    confidence: rule.confidence.as_str(),
                    fingerprint: fingerprint.to_string(),
                };
                serde_json::to_writer(&mut *out, &j)?;
                writeln!(out)?;
            }
            Format::Sarif => {
                let (end_line, end_column) = lines.position(f.span.end);
                sarif.add_request(name, &rule.id, &rule.title, (line, column), (end_line, end_column));
            }
        }
    }
    Ok(())
}
