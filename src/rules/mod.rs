//! Rules are data: TOML files under `patterns/` (embedded at build time) and any files a user
//! adds with `--rules`. This module owns the file format, its validation and the compilation of
//! one rule into a [`Rule`]; combining rules into a searchable set is `detect`'s job.
//!
//! Loading is two-stage (ripgrep's LowArgs → HiArgs): serde structs that mirror the file
//! ([`file`]), then a validated [`Rule`] with its regex compiled. Every error names the file and
//! the rule so a broken rule file is a one-line fix.

mod file;
pub mod gitleaks;
pub mod lead;
pub mod shape;

use std::{fmt, path::Path};

use regex_automata::{meta, util::syntax};

pub use file::{RuleFile, RuleSpec};
pub use gitleaks::{LoadReport, Notice, NoticeKind};
pub use lead::{ByteSet, Lead, Reach};

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// How sure a rule is that a match is a live secret. Orders low < medium < high.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// What a finding is. Only secrets for now; later detectors add their own kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    #[default]
    Secret,
    /// A request to reveal credentials, the system prompt or the environment, an instruction
    /// override, or an exfiltration vector (`patterns/disclosure.toml`). Matched on normalized
    /// text by `detect::disclosure`, not by the secret engine.
    DisclosureRequest,
    /// A known secret (configured, or found in the request being answered) in any of the forms
    /// `detect::canary` reads. Never declared by a rule file.
    #[serde(skip)]
    Canary,
    /// A long run of the request's own system or developer instructions in its answer
    /// (`detect::prompt_leak`). Never declared by a rule file.
    #[serde(skip)]
    SystemPromptLeak,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Secret => "secret",
            Kind::DisclosureRequest => "disclosure-request",
            Kind::Canary => "canary",
            Kind::SystemPromptLeak => "system-prompt-leak",
        }
    }
}

/// A structural check on the secret that a regex cannot express.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Validator {
    /// `pfx_` + 30 base62 characters + base62 CRC32 of them in 6 characters (GitHub tokens).
    GithubCrc32,
    /// Same layout as GitHub's, used by npm access tokens.
    NpmCrc32,
    /// Three base64url segments whose first two decode to JSON objects, the first with `alg`.
    Jwt,
}

/// Error from loading or compiling rules. Always names where the problem is.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    // The io error is part of the message (not a `source`) so `{:#}` does not print it twice.
    #[error("{file}: cannot read: {error}")]
    Io { file: String, error: std::io::Error },
    #[error("{file}: invalid rule file: {message}")]
    Parse { file: String, message: String },
    #[error("{file}: rule `{rule}`: {message}")]
    Rule { file: String, rule: String, message: String },
}

/// One validated, compiled rule.
#[derive(Clone)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub kind: Kind,
    pub pattern: String,
    pub regex: meta::Regex,
    /// The same regex as an anchored-only lazy DFA: a cheap first test for the anchored
    /// attempts at keyword offsets, most of which fail within a few bytes.
    pub anchored: Option<regex_automata::hybrid::dfa::DFA>,
    /// Capture group index of `secret`, if the rule names one and it is not the whole match.
    pub secret_group: Option<usize>,
    /// Lower-cased keywords; every match contains one of them (case-insensitively).
    pub keywords: Vec<String>,
    pub entropy: Option<f64>,
    pub validator: Option<Validator>,
    pub allow: Vec<meta::Regex>,
    pub confidence: Confidence,
    pub tags: Vec<String>,
    pub references: Vec<String>,
    pub examples: Vec<String>,
    pub negative_examples: Vec<String>,
    /// Longest possible match in bytes; `None` when the regex has an unbounded repetition.
    pub max_len: Option<usize>,
    /// Where matches start relative to a keyword, when the regex's prefixes show it (see
    /// [`Lead`]); lets the engine try anchored matches at those starts only.
    pub lead: Option<Lead>,
    /// File the rule came from, for messages.
    pub origin: String,
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rule").field("id", &self.id).field("origin", &self.origin).finish()
    }
}

impl Rule {
    /// Generic rules (assignments, URLs with passwords, …) lose overlaps against specific ones.
    pub fn is_generic(&self) -> bool {
        self.tags.iter().any(|t| t == "generic")
    }
}

/// The rules compiled into the binary from `patterns/`.
pub fn builtin() -> Result<Vec<Rule>, RuleError> {
    let mut rules = Vec::new();
    for (name, text) in BUILTIN {
        rules.extend(parse(name, text)?);
    }
    Ok(rules)
}

/// Rules loaded from files, with what loading could not carry over (rules of a gitleaks
/// config that were skipped or lost a filter).
#[derive(Debug, Default)]
pub struct Loaded {
    pub rules: Vec<Rule>,
    pub report: LoadReport,
}

/// Loads a rule file, or every `*.toml` file below a directory (sorted, recursively). Each
/// file is read as our format or, if it looks like one, as a gitleaks config ([`parse_any`]).
pub fn load(path: &Path) -> Result<Loaded, RuleError> {
    let mut all = Loaded::default();
    for file in files(path)? {
        let display = file.display().to_string();
        let text =
            std::fs::read_to_string(&file).map_err(|source| RuleError::Io { file: display.clone(), error: source })?;
        let loaded = parse_any(&display, &text)?;
        all.rules.extend(loaded.rules);
        all.report.notices.extend(loaded.report.notices);
    }
    Ok(all)
}

/// The files [`load`] reads for `path`, in the order it reads them: `path` itself, or every
/// `*.toml` file below it if it is a directory (sorted, recursively). The server's hot reload
/// fingerprints exactly these.
pub fn files(path: &Path) -> Result<Vec<std::path::PathBuf>, RuleError> {
    let io = |error| RuleError::Io { file: path.display().to_string(), error };
    if !std::fs::metadata(path).map_err(io)?.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let mut entries: Vec<_> = std::fs::read_dir(path)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir() || p.extension().is_some_and(|x| x == "toml"))
        .collect();
    entries.sort();
    let mut out = Vec::new();
    for p in entries {
        out.extend(files(&p)?);
    }
    Ok(out)
}

/// The secret rules of one file in either format: a gitleaks config (a top-level `title`,
/// `[allowlist]` or `[extend]`, or rules without any field only our format has) is imported
/// by [`gitleaks`]; anything else is our format, parsed strictly by [`parse`].
pub fn parse_any(file: &str, text: &str) -> Result<Loaded, RuleError> {
    if let Ok(table) = text.parse::<toml::Table>() {
        if gitleaks::looks_like_gitleaks(&table) {
            return gitleaks::import(file, &table);
        }
    }
    Ok(Loaded { rules: parse(file, text)?, report: LoadReport::default() })
}

/// Parses and compiles the rules of one file. `file` is only used in messages.
/// The secret rules of a rule file (rules of other kinds are compiled by their detectors; see
/// [`parse_specs`]).
pub fn parse(file: &str, text: &str) -> Result<Vec<Rule>, RuleError> {
    parse_specs(file, text)?.into_iter().filter(|s| s.kind == Kind::Secret).map(|spec| compile(file, spec)).collect()
}

/// Every rule of a rule file as written.
pub fn parse_specs(file: &str, text: &str) -> Result<Vec<RuleSpec>, RuleError> {
    let parsed: RuleFile = toml::from_str(text)
        .map_err(|e| RuleError::Parse { file: file.to_string(), message: e.message().to_string() })?;
    for spec in &parsed.rules {
        if spec.kind == Kind::Secret
            && (!spec.unless.is_empty() || spec.score.is_some() || spec.scope.is_some() || spec.anchor)
        {
            return Err(RuleError::Rule {
                file: file.to_string(),
                rule: spec.id.clone(),
                message: "`unless`, `score`, `scope` and `anchor` apply to disclosure-request rules only".into(),
            });
        }
    }
    Ok(parsed.rules)
}

/// The built-in rules of a kind other than secrets, as written, with their file names.
pub fn builtin_specs(kind: Kind) -> Result<Vec<(String, RuleSpec)>, RuleError> {
    let mut out = Vec::new();
    for (name, text) in BUILTIN {
        out.extend(parse_specs(name, text)?.into_iter().filter(|s| s.kind == kind).map(|s| (name.to_string(), s)));
    }
    Ok(out)
}

fn is_kebab_id(id: &str) -> bool {
    !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
}

/// Compiles one rule. The regex syntax is byte-oriented (Unicode classes off) so `\w` and `.`
/// cost what they cost in ASCII; the engine widens spans to character boundaries afterwards.
pub fn compile(file: &str, spec: RuleSpec) -> Result<Rule, RuleError> {
    compile_with(file, spec, Examples::Required)
}

/// Whether a rule must carry examples: ours do; rules imported from another tool's format
/// have none (their title names where they came from; `rules check` has nothing to run).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Examples {
    Required,
    Imported,
}

fn compile_with(file: &str, spec: RuleSpec, examples: Examples) -> Result<Rule, RuleError> {
    let err = |message: String| RuleError::Rule { file: file.to_string(), rule: spec.id.clone(), message };
    if !is_kebab_id(&spec.id) {
        return Err(err("id must be kebab-case (a-z, 0-9, single dashes)".into()));
    }
    if spec.title.trim().is_empty() {
        return Err(err("title is empty".into()));
    }
    if examples == Examples::Required {
        if spec.examples.is_empty() {
            return Err(err("needs at least one example".into()));
        }
        if spec.negative_examples.is_empty() {
            return Err(err("needs at least one negative_example".into()));
        }
    }
    if let Some(e) = spec.entropy {
        if !(0.0..=8.0).contains(&e) {
            return Err(err(format!("entropy {e} is outside 0..=8 bits per byte")));
        }
    }
    let regex = build_regex(&spec.regex).map_err(|e| err(format!("invalid regex: {e}")))?;
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(&spec.regex)
        .map_err(|e| err(format!("invalid regex: {e}")))?;
    let props = hir.properties();
    if props.minimum_len().unwrap_or(0) == 0 {
        return Err(err("regex can match the empty string".into()));
    }
    // A `secret` group that is the whole match (look-arounds aside) needs no capture search.
    let secret_group =
        regex.group_info().to_index(regex_automata::PatternID::ZERO, "secret").filter(|_| !secret_is_whole_match(&hir));
    let mut keywords = Vec::with_capacity(spec.keywords.len());
    for k in &spec.keywords {
        if k.is_empty() {
            return Err(err("empty keyword".into()));
        }
        keywords.push(k.to_ascii_lowercase());
    }
    let allow = spec
        .allow
        .iter()
        .map(|a| build_allow(a).map_err(|e| err(format!("invalid allow pattern {a:?}: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let lead = lead::lead(&hir, &keywords);
    let anchored = lead.as_ref().and_then(|_| build_anchored(&spec.regex));
    Ok(Rule {
        id: spec.id,
        title: spec.title,
        kind: spec.kind,
        pattern: spec.regex,
        regex,
        anchored,
        secret_group,
        keywords,
        entropy: spec.entropy,
        validator: spec.validator,
        allow,
        confidence: spec.confidence,
        tags: spec.tags,
        references: spec.references,
        examples: spec.examples,
        negative_examples: spec.negative_examples,
        max_len: props.maximum_len(),
        lead,
        origin: file.to_string(),
    })
}

/// The regex's syntax tree, parsed the way rules are compiled (bytes, Unicode off).
pub fn hir_of(pattern: &str) -> Option<regex_syntax::hir::Hir> {
    regex_syntax::ParserBuilder::new().unicode(false).utf8(false).build().parse(pattern).ok()
}

/// Whether the regex is `look* (?P<secret>…) look*`: then the secret is the whole match.
fn secret_is_whole_match(hir: &regex_syntax::hir::Hir) -> bool {
    use regex_syntax::hir::HirKind;
    let is_secret =
        |h: &regex_syntax::hir::Hir| matches!(h.kind(), HirKind::Capture(c) if c.name.as_deref() == Some("secret"));
    match hir.kind() {
        HirKind::Capture(_) => is_secret(hir),
        HirKind::Concat(items) => {
            let mut found = false;
            for item in items {
                match item.kind() {
                    HirKind::Look(_) => {}
                    _ if is_secret(item) && !found => found = true,
                    _ => return false,
                }
            }
            found
        }
        _ => false,
    }
}

/// An anchored-only lazy DFA for `pattern`; `None` if it cannot be built (the meta regex is
/// then used alone).
fn build_anchored(pattern: &str) -> Option<regex_automata::hybrid::dfa::DFA> {
    build_anchored_many(&[pattern])
}

/// One lazy DFA for several patterns: a start where it finds no match is no start for any of
/// them (`MatchKind::All` keeps every pattern alive). `None` if it cannot be built.
pub(crate) fn build_anchored_many(patterns: &[&str]) -> Option<regex_automata::hybrid::dfa::DFA> {
    use regex_automata::{hybrid::dfa::DFA, nfa::thompson, MatchKind};
    let kind = if patterns.len() == 1 { MatchKind::LeftmostFirst } else { MatchKind::All };
    DFA::builder()
        .syntax(syntax::Config::new().unicode(false).utf8(false))
        .thompson(thompson::Config::new().nfa_size_limit(Some(20 << 20)))
        .configure(DFA::config().match_kind(kind).cache_capacity(4 << 20))
        .build_many(patterns)
        .ok()
}

fn build_regex(pattern: &str) -> Result<meta::Regex, String> {
    meta::Regex::builder()
        .syntax(syntax::Config::new().unicode(false).utf8(false))
        .configure(
            meta::Regex::config().utf8_empty(false).nfa_size_limit(Some(20 << 20)).hybrid_cache_capacity(16 << 20),
        )
        .build(pattern)
        .map_err(|e| match e.syntax_error() {
            Some(syntax) => syntax_error(syntax),
            None => e.size_limit().map_or_else(|| e.to_string(), |l| format!("larger than the {l}-byte size limit")),
        })
}

/// What is wrong with a pattern and where (a byte offset into it), without quoting it: a
/// pattern can hold a secret (a known key someone wrote as a literal), and errors are logged.
pub fn syntax_error(e: &regex_syntax::Error) -> String {
    match e {
        regex_syntax::Error::Parse(e) => format!("{} at byte {}", e.kind(), e.span().start.offset),
        regex_syntax::Error::Translate(e) => format!("{} at byte {}", e.kind(), e.span().start.offset),
        _ => "not a valid pattern".to_string(),
    }
}

/// An `allow` entry is a regex; a plain word (letters, digits, `-`, `_`) is matched
/// case-insensitively as a literal.
fn build_allow(entry: &str) -> Result<meta::Regex, String> {
    if entry.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        build_regex(&format!("(?i){}", regex_syntax::escape(entry)))
    } else {
        build_regex(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Result<Rule, RuleError> {
        parse("t.toml", text).map(|mut v| v.remove(0))
    }

    const GOOD: &str = r#"
[[rules]]
id = "demo-token"
title = "Demo"
regex = '''demo_(?P<secret>[a-z0-9]{8,12})'''
keywords = ["DEMO_"]
confidence = "high"
examples = ["demo_abcdef123"]
negative_examples = ["demo_x"]
"#;

    #[test]
    fn parses_and_compiles() {
        let r = one(GOOD).expect("valid rule");
        assert_eq!(r.id, "demo-token");
        assert_eq!(r.keywords, vec!["demo_"]);
        assert_eq!(r.max_len, Some(17));
        assert!(r.secret_group.is_some());
        let whole = one(&GOOD.replace("demo_(?P<secret>[a-z0-9]{8,12})", r"\b(?P<secret>demo_[a-z0-9]{8,12})\b"))
            .expect("valid");
        assert_eq!(whole.secret_group, None);
    }

    #[test]
    fn errors_name_file_and_rule() {
        let bad = GOOD.replace("[a-z0-9]{8,12}", "[a-z0-9");
        let e = one(&bad).expect_err("broken regex").to_string();
        assert!(e.starts_with("t.toml: rule `demo-token`: invalid regex"), "{e}");
        // What is wrong and where, without the pattern.
        assert!(e.contains("unclosed character class at byte "), "{e}");
        assert!(!e.contains("[a-z0-9"), "{e}");
        let e = one(&GOOD.replace("demo-token", "Demo_Token")).expect_err("bad id").to_string();
        assert!(e.contains("kebab-case"), "{e}");
        let e = one(&GOOD.replace("negative_examples = [\"demo_x\"]", "")).expect_err("no negatives").to_string();
        assert!(e.contains("negative_example"), "{e}");
        let e = one(&GOOD.replace("confidence", "confidance")).expect_err("unknown field").to_string();
        assert!(e.starts_with("t.toml: invalid rule file"), "{e}");
        let e = one(&GOOD.replace("demo_(?P<secret>[a-z0-9]{8,12})", "(?P<secret>[a-z0-9]{0,12})"))
            .expect_err("empty match")
            .to_string();
        assert!(e.contains("empty"), "{e}");
    }

    #[test]
    fn unbounded_rules_have_no_max_len() {
        let r = one(&GOOD.replace("{8,12}", "+")).expect("valid");
        assert_eq!(r.max_len, None);
    }
}
