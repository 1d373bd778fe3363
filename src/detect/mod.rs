//! The detection engine: a compiled [`RuleSet`] and the one-shot semantics every other layer
//! builds on — `findings(text)` is a pure function of the whole text.
//!
//! Matching is two-stage (noseyparker's shape). One aho-corasick automaton holds every rule's
//! keywords, ASCII case-insensitive, searched with *overlapping* semantics so a short keyword
//! never hides a longer one. Each keyword hit opens a window `[hit.end - L, hit.start + L)` for
//! the rules owning the keyword, where `L` is the rule's longest possible match. Because every
//! match of a rule contains one of its keywords and is at most `L` long, every match lies inside
//! one window; overlapping windows of a rule are merged into regions and the rule's regex runs
//! leftmost-first inside each region, with look-around seeing the real neighbouring bytes
//! (`Input::span`). That gives the same matches as running the regex over the whole text
//! (`scan_exhaustive` exists to check this), while touching only the bytes near keywords.
//!
//! Candidates then pass filters (entropy, checksum validators, placeholders, per-rule `allow`)
//! and overlaps between rules are resolved to one finding per span: specific rules beat
//! `generic` ones, then higher confidence, then the longer secret, then the earlier start.

pub mod check;
pub mod filters;
mod prefilter;
mod redact;
pub mod validate;

use regex_automata::{meta, util::captures::Captures, Input};
use sha2::{Digest, Sha256};

pub use redact::{redact, Style};

use crate::rules::{Confidence, Kind, Rule, RuleError};

/// Window half-width for rules whose regex has no maximum length (PEM blocks, generic forms).
/// Such a rule can only report a match up to this far from one of its keywords.
pub const UNBOUNDED_WINDOW: usize = 16 * 1024;

/// A byte range `[start, end)` into the scanned text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn len(self) -> usize {
        self.end - self.start
    }
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
    pub fn range(self) -> std::ops::Range<usize> {
        self.start..self.end
    }
    fn overlaps(self, other: Span) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// First 8 bytes of the SHA-256 of a secret, shown as 16 hex digits: enough to correlate
/// findings, never enough to recover a random key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 8]);

impl Fingerprint {
    pub fn of(secret: &[u8]) -> Fingerprint {
        let digest = Sha256::digest(secret);
        let mut out = [0u8; 8];
        out.copy_from_slice(&digest[..8]);
        Fingerprint(out)
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// One detected secret. Holds spans and a fingerprint, never the secret's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Index of the rule in its [`RuleSet`].
    pub rule: usize,
    pub kind: Kind,
    /// What gets redacted: the `secret` capture, or the whole match.
    pub secret: Span,
    /// The whole regex match (includes context such as `password=`).
    pub span: Span,
    pub confidence: Confidence,
    pub fingerprint: Fingerprint,
}

/// Rules compiled for searching. Build once, share (it is `Sync`); per-search mutable state
/// lives in a [`Scratch`] owned by the caller.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    keywords: prefilter::Keywords,
    /// Rules with `keywords = []`: they run over the whole text.
    keywordless: Vec<usize>,
    /// Per rule: the window half-width used around its keyword hits.
    window: Vec<usize>,
}

/// Reusable buffers and regex caches for scanning. Create one per thread or per stream.
#[derive(Debug, Default)]
pub struct Scratch {
    caches: Vec<Option<meta::Cache>>,
    captures: Vec<Option<Captures>>,
    windows: Vec<(usize, Span)>,
    candidates: Vec<Finding>,
}

impl RuleSet {
    /// Compiles the keyword automaton. Fails when two rules share an id.
    pub fn new(rules: Vec<Rule>) -> Result<RuleSet, RuleError> {
        let mut seen = std::collections::HashMap::new();
        for r in &rules {
            if let Some(first) = seen.insert(r.id.as_str(), r.origin.as_str()) {
                return Err(RuleError::Rule {
                    file: r.origin.clone(),
                    rule: r.id.clone(),
                    message: format!("duplicate id (also defined in {first})"),
                });
            }
        }
        let keywords = prefilter::Keywords::new(&rules).map_err(|message| RuleError::Parse {
            file: "<keywords>".into(),
            message,
        })?;
        let keywordless = rules.iter().enumerate().filter(|(_, r)| r.keywords.is_empty()).map(|(i, _)| i).collect();
        let window = rules.iter().map(|r| r.max_len.unwrap_or(UNBOUNDED_WINDOW)).collect();
        Ok(RuleSet { rules, keywords, keywordless, window })
    }

    /// The built-in rules from `patterns/`.
    pub fn builtin() -> Result<RuleSet, RuleError> {
        RuleSet::new(crate::rules::builtin()?)
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn rule(&self, index: usize) -> &Rule {
        &self.rules[index]
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Findings in `hay`, sorted by start. Allocates a fresh [`Scratch`]; hot paths use
    /// [`RuleSet::scan_with`].
    pub fn scan(&self, hay: &[u8]) -> Vec<Finding> {
        let mut out = Vec::new();
        self.scan_with(hay, &mut Scratch::default(), &mut out);
        out
    }

    /// Appends the findings of `hay` to `out` (cleared first), sorted by start.
    pub fn scan_with(&self, hay: &[u8], scratch: &mut Scratch, out: &mut Vec<Finding>) {
        scratch.windows.clear();
        for hit in self.keywords.hits(hay) {
            for &rule in self.keywords.rules_of(hit.pattern) {
                let w = self.window[rule];
                let span = Span { start: hit.end.saturating_sub(w), end: (hit.start + w).min(hay.len()) };
                scratch.windows.push((rule, span));
            }
        }
        for &rule in &self.keywordless {
            scratch.windows.push((rule, Span { start: 0, end: hay.len() }));
        }
        self.search_windows(hay, scratch, out);
    }

    /// Runs every rule over the whole text, ignoring keywords. Slow; it exists to check that
    /// the windowed search is exact (used by `rules check` and tests).
    pub fn scan_exhaustive(&self, hay: &[u8]) -> Vec<Finding> {
        let mut scratch = Scratch::default();
        scratch.windows.extend((0..self.rules.len()).map(|r| (r, Span { start: 0, end: hay.len() })));
        let mut out = Vec::new();
        self.search_windows(hay, &mut scratch, &mut out);
        out
    }

    fn search_windows(&self, hay: &[u8], scratch: &mut Scratch, out: &mut Vec<Finding>) {
        out.clear();
        scratch.candidates.clear();
        if scratch.caches.len() < self.rules.len() {
            scratch.caches.resize_with(self.rules.len(), || None);
            scratch.captures.resize_with(self.rules.len(), || None);
        }
        let Scratch { caches, captures, windows, candidates } = scratch;
        windows.sort_unstable_by_key(|&(rule, span)| (rule, span.start));
        let mut i = 0;
        while i < windows.len() {
            let (rule, mut region) = windows[i];
            i += 1;
            while i < windows.len() && windows[i].0 == rule && windows[i].1.start <= region.end {
                region.end = region.end.max(windows[i].1.end);
                i += 1;
            }
            let r = &self.rules[rule];
            let cache = caches[rule].get_or_insert_with(|| r.regex.create_cache());
            let caps = captures[rule].get_or_insert_with(|| r.regex.create_captures());
            self.search_region(rule, hay, region, cache, caps, candidates);
        }
        resolve_overlaps(&self.rules, candidates, out);
    }

    fn search_region(
        &self,
        rule: usize,
        hay: &[u8],
        region: Span,
        cache: &mut meta::Cache,
        caps: &mut Captures,
        candidates: &mut Vec<Finding>,
    ) {
        let r = &self.rules[rule];
        let mut input = Input::new(hay).span(region.range());
        loop {
            r.regex.search_captures_with(cache, &input, caps);
            let Some(m) = caps.get_match() else { break };
            let span = Span { start: m.start(), end: m.end() };
            let secret = r
                .secret_group
                .and_then(|g| caps.get_group(g))
                .map(|s| Span { start: s.start, end: s.end })
                .filter(|s| !s.is_empty())
                .unwrap_or(span);
            let (span, secret) = (widen_to_chars(hay, span), widen_to_chars(hay, secret));
            if filters::accept(r, &hay[secret.range()]) {
                candidates.push(Finding {
                    rule,
                    kind: r.kind,
                    secret,
                    span,
                    confidence: r.confidence,
                    fingerprint: Fingerprint::of(&hay[secret.range()]),
                });
            }
            // Rules cannot match empty (checked at compile), so the search always advances.
            if m.end() >= region.end {
                break;
            }
            input.set_start(m.end());
        }
    }
}

/// Widens a span so it never cuts a UTF-8 sequence: redaction replaces whole characters.
fn widen_to_chars(hay: &[u8], mut s: Span) -> Span {
    let is_cont = |b: u8| b & 0xC0 == 0x80;
    while s.start > 0 && hay.get(s.start).is_some_and(|&b| is_cont(b)) {
        s.start -= 1;
    }
    while s.end < hay.len() && is_cont(hay[s.end]) {
        s.end += 1;
    }
    s
}

/// Priority of a candidate when secret spans of different rules overlap.
fn rank(rules: &[Rule], f: &Finding) -> (bool, Confidence, usize, std::cmp::Reverse<usize>, std::cmp::Reverse<usize>) {
    let r = &rules[f.rule];
    (!r.is_generic(), f.confidence, f.secret.len(), std::cmp::Reverse(f.secret.start), std::cmp::Reverse(f.rule))
}

/// Keeps one finding per overlapping cluster member, best rank first; output sorted by start.
fn resolve_overlaps(rules: &[Rule], candidates: &mut [Finding], out: &mut Vec<Finding>) {
    candidates.sort_unstable_by_key(|f| (f.secret.start, f.secret.end, f.rule));
    let mut i = 0;
    while i < candidates.len() {
        // A cluster: candidates chained by overlapping secret spans.
        let mut j = i + 1;
        let mut end = candidates[i].secret.end;
        while j < candidates.len() && candidates[j].secret.start < end {
            end = end.max(candidates[j].secret.end);
            j += 1;
        }
        let cluster = &mut candidates[i..j];
        if cluster.len() == 1 {
            out.push(cluster[0]);
        } else {
            cluster.sort_unstable_by(|a, b| rank(rules, b).cmp(&rank(rules, a)));
            let first = out.len();
            for f in cluster.iter() {
                if !out[first..].iter().any(|k| k.secret.overlaps(f.secret)) {
                    out.push(*f);
                }
            }
            out[first..].sort_unstable_by_key(|f| f.secret.start);
        }
        i = j;
    }
}

#[cfg(test)]
mod tests;
