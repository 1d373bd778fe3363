//! The detection engine: a compiled [`RuleSet`] and the one-shot semantics every other layer
//! builds on — `findings(text)` is a pure function of the whole text.
//!
//! **Semantics.** For each rule, the leftmost-first non-overlapping matches of its regex over
//! the whole text; each is filtered by looking only at its secret bytes (entropy, checksum
//! validators, placeholders, per-rule `allow`); overlaps between rules are then resolved to
//! one finding per span: specific rules beat `generic` ones, then higher confidence, then the
//! longer secret, then the earlier start. [`RuleSet::scan_exhaustive`] computes exactly this
//! by brute force and is the oracle for the fast path.
//!
//! **Fast path** (noseyparker's two stages). The text is lower-cased once; a keyword DFA finds
//! every keyword occurrence (overlapping, so `npm` never hides `npm_`). Every match of a rule
//! contains one of its keywords, so it only runs near keyword hits, in one of two modes:
//! - *anchored*: when the regex's prefixes show where a match can start relative to a keyword
//!   and what the bytes before the keyword must then be (`rules::Lead`), the regex is tried
//!   anchored at exactly those starts, left to right, skipping starts a previous match covered
//!   — the same iteration a whole-text search performs, but each failing attempt dies after a
//!   few bytes (an anchored lazy DFA decides).
//! - *windowed*: otherwise the rule searches `[hit.end - L, hit.start + L)` where `L` is its
//!   longest possible match; windows of one rule merge into regions, searched with
//!   `Input::span` so look-around sees the real neighbouring bytes.
//!
//! Both give the whole-text result because every match lies inside a window / starts at a
//! tried position.
//!
//! With the `hyperscan` feature, `hyperscan::HyperscanScanner` gives the same findings with
//! hyperscan as the first stage (one-shot scans only; streams stay on this engine).

pub mod canary;
pub mod check;
pub mod disclosure;
pub mod filters;
mod frontier;
#[cfg(feature = "hyperscan")]
pub mod hyperscan;
mod plan;
mod prefilter;
pub mod prompt_leak;
mod redact;
pub mod validate;

use regex_automata::{hybrid, meta, util::captures::Captures, Anchored, Input};
use sha2::{Digest, Sha256};

pub use frontier::{Frontier, Why};
pub use redact::{redact, Sink, Style};

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
    placeholders: filters::Placeholders,
    /// Anchored rules grouped by identical keywords and lead, so a keyword hit yields one set
    /// of candidate starts per group; `group_of[rule]` is `None` for windowed rules.
    groups: Vec<AnchorGroup>,
    group_of: Vec<Option<usize>>,
    /// What incremental scans need; built on first use.
    plan: std::sync::OnceLock<plan::StreamPlan>,
    /// Regex caches shared by incremental scans (see [`SharedCaches`]).
    spare: SharedCaches,
    /// Unique per set in this process: a [`Scratch`] notes the set its caches belong to.
    id: u64,
}

/// Spare DFA-walk caches kept per streaming unit, at most.
const SPARE_UNIT_CACHES: usize = 64;

/// Regex caches that incremental scans of one rule set share instead of growing their own. A
/// lazy DFA builds its states as texts need them, and creating a cache for a large automaton
/// costs hundreds of microseconds (its sets are sized by the NFA): a stream that creates its
/// own pays that on its first attempts, which showed as latency spikes across many young
/// streams behind the proxy.
///
/// - The caches of an attempt ([`Caches`]) are borrowed for the attempt only, so a process
///   keeps about one warm set per thread, whatever the number of open streams.
/// - A unit's anchored-DFA cache is taken by a stream when one of its walks starts and given
///   back once none of its walks is alive (a walk's state ids point into it).
///
/// Caches hold automaton states and positions, never text.
// Boxed: a cache moves between the spares and a frontier's slot (`Option<Box<_>>`) by pointer.
#[allow(clippy::vec_box)]
#[derive(Debug, Default)]
struct SharedCaches {
    attempts: std::sync::Mutex<Vec<Box<Caches>>>,
    /// Per streaming unit: spare caches of its anchored DFA.
    units: std::sync::Mutex<Vec<Vec<Box<hybrid::dfa::Cache>>>>,
}

/// Regex caches a [`RuleSet`] keeps for reuse ([`RuleSet::spare_caches`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheUsage {
    pub caches: usize,
    pub bytes: usize,
}

/// Attempt caches borrowed from a [`RuleSet`]; they go back when this is dropped.
pub(crate) struct BorrowedCaches<'a> {
    set: &'a RuleSet,
    caches: Option<Box<Caches>>,
}

impl std::ops::Deref for BorrowedCaches<'_> {
    type Target = Caches;
    fn deref(&self) -> &Caches {
        self.caches.as_deref().expect("present until dropped")
    }
}

impl std::ops::DerefMut for BorrowedCaches<'_> {
    fn deref_mut(&mut self) -> &mut Caches {
        self.caches.as_deref_mut().expect("present until dropped")
    }
}

impl Drop for BorrowedCaches<'_> {
    fn drop(&mut self) {
        if let (Some(caches), Ok(mut spare)) = (self.caches.take(), self.set.spare.attempts.lock()) {
            spare.push(caches);
        }
    }
}

/// Anchored rules that try the same starts. With several members, one multi-pattern anchored
/// lazy DFA rules a start out for all of them at once (a quoted and an unquoted variant of an
/// assignment rule, say), so most keyword hits cost one failed attempt, not one per rule.
#[derive(Debug)]
struct AnchorGroup {
    rules: Vec<usize>,
    /// The members' common lead.
    lead: crate::rules::Lead,
    dfa: Option<hybrid::dfa::DFA>,
    /// Longest window of the members.
    limit: usize,
}

/// Reusable buffers and regex caches for scanning. Create one per thread or per stream.
#[derive(Debug, Default)]
pub struct Scratch {
    /// The [`RuleSet::id`] its caches were made for (0: none yet). A regex cache used with
    /// another set's regexes makes regex-automata panic or answer wrongly.
    owner: u64,
    caches: Caches,
    /// The lower-cased text the keyword automaton runs over.
    lower: Vec<u8>,
    /// Window-mode rules: `(rule, window)` around each keyword hit.
    windows: Vec<(usize, Span)>,
    /// Anchored-mode rules: `(group, start)` candidate match starts.
    starts: Vec<(usize, usize)>,
    /// Per member of the group being searched: where its last match ended.
    group_next: Vec<usize>,
    candidates: Vec<Finding>,
}

/// Regex caches, created on first use (most rules never run on a given text). Boxed: an
/// empty slot costs a pointer, not the cache's inline size (1.4 KB for `meta::Cache`), which
/// matters with a redactor per streamed channel.
#[derive(Debug, Default)]
pub(crate) struct Caches {
    meta: Vec<Option<Box<meta::Cache>>>,
    anchored: Vec<Option<Box<hybrid::dfa::Cache>>>,
    captures: Vec<Option<Box<Captures>>>,
    groups: Vec<Option<Box<hybrid::dfa::Cache>>>,
}

impl Caches {
    /// Heap held by the regex caches (automaton states and positions).
    fn memory_usage(&self) -> usize {
        let meta: usize = self.meta.iter().flatten().map(|c| c.memory_usage()).sum();
        let dfas: usize = self.anchored.iter().chain(&self.groups).flatten().map(|c| c.memory_usage()).sum();
        meta + dfas
    }

    fn fit(&mut self, rules: usize, groups: usize) {
        if self.meta.len() < rules {
            self.meta.resize_with(rules, || None);
            self.anchored.resize_with(rules, || None);
            self.captures.resize_with(rules, || None);
        }
        if self.groups.len() < groups {
            self.groups.resize_with(groups, || None);
        }
    }
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
        let keywords = prefilter::Keywords::new(&rules)
            .map_err(|message| RuleError::Parse { file: "<keywords>".into(), message })?;
        let keywordless = rules.iter().enumerate().filter(|(_, r)| r.keywords.is_empty()).map(|(i, _)| i).collect();
        let window: Vec<usize> = rules.iter().map(|r| r.max_len.unwrap_or(UNBOUNDED_WINDOW)).collect();
        let (groups, group_of) = anchor_groups(&rules, &window);
        Ok(RuleSet {
            rules,
            keywords,
            keywordless,
            window,
            placeholders: filters::Placeholders::default(),
            groups,
            group_of,
            plan: std::sync::OnceLock::new(),
            spare: SharedCaches::default(),
            id: {
                static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
                NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            },
        })
    }

    /// Caches for one attempt, warm from earlier attempts when there are any.
    pub(crate) fn borrow_caches(&self) -> BorrowedCaches<'_> {
        let caches = self.spare.attempts.lock().ok().and_then(|mut spare| spare.pop()).unwrap_or_default();
        BorrowedCaches { set: self, caches: Some(caches) }
    }

    /// A cache for unit `unit`'s anchored DFA: a spare one, or a new one.
    pub(crate) fn take_unit_cache(&self, unit: usize, dfa: &hybrid::dfa::DFA) -> Box<hybrid::dfa::Cache> {
        let spare = self.spare.units.lock().ok().and_then(|mut units| units.get_mut(unit)?.pop());
        spare.unwrap_or_else(|| Box::new(dfa.create_cache()))
    }

    /// Keeps a unit's cache for the next walk that needs one.
    pub(crate) fn give_back_unit_cache(&self, unit: usize, cache: Box<hybrid::dfa::Cache>) {
        if let Ok(mut units) = self.spare.units.lock() {
            if units.len() <= unit {
                units.resize_with(unit + 1, Vec::new);
            }
            if units[unit].len() < SPARE_UNIT_CACHES {
                units[unit].push(cache);
            }
        }
    }

    /// The regex caches kept for reuse (not those borrowed at this moment): how many, and the
    /// heap they hold. `/metrics` reports it: it levels off once every automaton state the
    /// traffic needs has been built, so growth that does not is a leak.
    pub fn spare_caches(&self) -> CacheUsage {
        let mut usage = CacheUsage::default();
        if let Ok(attempts) = self.spare.attempts.lock() {
            usage.caches += attempts.len();
            usage.bytes += attempts.iter().map(|c| c.memory_usage()).sum::<usize>();
        }
        if let Ok(units) = self.spare.units.lock() {
            for cache in units.iter().flatten() {
                usage.caches += 1;
                usage.bytes += cache.memory_usage();
            }
        }
        usage
    }

    /// How many spare DFA-walk caches the rule set holds (for tests).
    #[cfg(test)]
    pub(crate) fn spare_unit_caches(&self) -> usize {
        self.spare.units.lock().map(|units| units.iter().map(Vec::len).sum()).unwrap_or(0)
    }

    /// The incremental-scan plan (built once, on first use).
    pub(crate) fn plan(&self) -> &plan::StreamPlan {
        self.plan.get_or_init(|| plan::StreamPlan::new(self))
    }

    /// Builds what streams need now rather than in the first stream.
    pub fn prepare_streaming(&self) {
        self.plan();
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

    /// What a finding is called in labels, logs and metrics: its rule's id, or `canary`.
    pub fn label(&self, finding: &Finding) -> &str {
        match finding.kind {
            crate::rules::Kind::Canary => "canary",
            crate::rules::Kind::SystemPromptLeak => "system-prompt-leak",
            crate::rules::Kind::DisclosureRequest => "disclosure-request",
            _ => &self.rules[finding.rule].id,
        }
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
        if scratch.owner != self.id {
            scratch.caches = Caches::default();
            scratch.owner = self.id;
        }
        scratch.windows.clear();
        scratch.starts.clear();
        prefilter::lowercase_into(hay, &mut scratch.lower);
        let (windows, starts, lower) = (&mut scratch.windows, &mut scratch.starts, &scratch.lower);
        self.keywords.for_each_hit(lower, |hit| {
            let len = self.keywords.len_of(hit.keyword);
            for &rule in self.keywords.rules_of(hit.keyword) {
                self.keyword_hit(rule, hit.start, len, lower, hay.len(), windows, starts);
            }
        });
        for &rule in &self.keywordless {
            scratch.windows.push((rule, Span { start: 0, end: hay.len() }));
        }
        self.search(hay, scratch, out);
    }

    /// What a keyword of `rule` at `start..start + len` asks for: candidate starts of its anchor
    /// group (read off `lower`, the lower-cased text), or a window around the keyword. Shared
    /// by the keyword pass and the hyperscan engine's keyword path.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn keyword_hit(
        &self,
        rule: usize,
        start: usize,
        len: usize,
        lower: &[u8],
        hay_len: usize,
        windows: &mut Vec<(usize, Span)>,
        starts: &mut Vec<(usize, usize)>,
    ) {
        match self.group_of[rule] {
            Some(g) => self.groups[g].lead.starts(lower, start, |s| starts.push((g, s))),
            None => {
                let w = self.window[rule];
                let end = start + len;
                windows.push((rule, Span { start: end.saturating_sub(w), end: (start + w).min(hay_len) }));
            }
        }
    }

    /// Number of keyword hits in `hay` (the prefilter alone; for benchmarks and diagnostics).
    pub fn keyword_hits(&self, hay: &[u8]) -> usize {
        let mut lower = Vec::new();
        prefilter::lowercase_into(hay, &mut lower);
        let mut n = 0;
        self.keywords.for_each_hit(&lower, |_| n += 1);
        n
    }

    /// Runs every rule over the whole text, ignoring keywords. Slow; it exists to check that
    /// the windowed search is exact (used by `rules check` and tests).
    pub fn scan_exhaustive(&self, hay: &[u8]) -> Vec<Finding> {
        let mut scratch = Scratch::default();
        scratch.windows.extend((0..self.rules.len()).map(|r| (r, Span { start: 0, end: hay.len() })));
        let mut out = Vec::new();
        self.search(hay, &mut scratch, &mut out);
        out
    }

    /// Runs the regexes where the keyword pass said to, filters, resolves overlaps.
    fn search(&self, hay: &[u8], scratch: &mut Scratch, out: &mut Vec<Finding>) {
        out.clear();
        scratch.candidates.clear();
        scratch.caches.fit(self.rules.len(), self.groups.len());
        let Scratch { caches, windows, starts, group_next, candidates, .. } = scratch;
        // Anchored rules: every match starts at one of the candidate starts, so trying them
        // left to right (skipping what a match already covered) reproduces the leftmost-first
        // iteration over the whole text, for each member of a group separately.
        starts.sort_unstable();
        starts.dedup();
        let mut i = 0;
        while i < starts.len() {
            let g = starts[i].0;
            group_next.clear();
            group_next.resize(self.groups[g].rules.len(), 0);
            while i < starts.len() && starts[i].0 == g {
                let at = starts[i].1;
                i += 1;
                if group_next.iter().all(|&n| at < n) || !self.group_may_match(g, hay, at, hay.len(), caches) {
                    continue;
                }
                self.attempt_members(g, hay, at, hay.len(), group_next, caches, candidates);
            }
        }
        windows.sort_unstable_by_key(|&(rule, span)| (rule, span.start));
        let mut i = 0;
        while i < windows.len() {
            let (rule, mut region) = windows[i];
            i += 1;
            while i < windows.len() && windows[i].0 == rule && windows[i].1.start <= region.end {
                region.end = region.end.max(windows[i].1.end);
                i += 1;
            }
            self.search_region(rule, hay, region, caches, candidates);
        }
        resolve_overlaps(&self.rules, candidates, out);
    }

    /// The group's multi-pattern pre-test at `at` (spans end at `end`): `false` when no member
    /// can match there. Single-member groups have no pre-test.
    pub(crate) fn group_may_match(&self, g: usize, hay: &[u8], at: usize, end: usize, caches: &mut Caches) -> bool {
        let group = &self.groups[g];
        let Some(dfa) = &group.dfa else { return true };
        caches.fit(self.rules.len(), self.groups.len());
        let cache = caches.groups[g].get_or_insert_with(|| Box::new(dfa.create_cache()));
        let span = Span { start: at, end: (at + group.limit).min(end) };
        !matches!(dfa.try_search_fwd(cache, &Input::new(hay).span(span.range()).anchored(Anchored::Yes)), Ok(None))
    }

    /// Tries every member of group `g` whose last match ended at or before `at` (`next[k]`
    /// for member `k`), anchored at `at`; records where each match ends.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn attempt_members(
        &self,
        g: usize,
        hay: &[u8],
        at: usize,
        end: usize,
        next: &mut [usize],
        caches: &mut Caches,
        candidates: &mut Vec<Finding>,
    ) {
        for (k, &rule) in self.groups[g].rules.iter().enumerate() {
            if at < next[k] {
                continue;
            }
            if let Some(e) = self.attempt(rule, hay, at, end, caches, candidates) {
                next[k] = e;
            }
        }
    }

    /// `rule` anchored at `at`, spans ending at `end` at most: its anchored DFA as a cheap
    /// pre-test, then the full match with captures and filters. Returns the match end.
    pub(crate) fn attempt(
        &self,
        rule: usize,
        hay: &[u8],
        at: usize,
        end: usize,
        caches: &mut Caches,
        candidates: &mut Vec<Finding>,
    ) -> Option<usize> {
        caches.fit(self.rules.len(), self.groups.len());
        let r = &self.rules[rule];
        let span = Span { start: at, end: (at + self.window[rule]).min(end) };
        if let Some(dfa) = &r.anchored {
            let cache = caches.anchored[rule].get_or_insert_with(|| Box::new(dfa.create_cache()));
            let input = Input::new(hay).span(span.range()).anchored(Anchored::Yes);
            // `Ok(None)`: no match starts here. On `Err` (the DFA gave up) fall through.
            if let Ok(None) = dfa.try_search_fwd(cache, &input) {
                return None;
            }
        }
        let cache = caches.meta[rule].get_or_insert_with(|| Box::new(r.regex.create_cache()));
        let caps = caches.captures[rule].get_or_insert_with(|| Box::new(r.regex.create_captures()));
        self.try_match(rule, hay, span, Anchored::Yes, cache, caps, candidates)
    }

    /// Leftmost-first matches of `rule` inside `region`, one after another.
    fn search_region(&self, rule: usize, hay: &[u8], region: Span, caches: &mut Caches, candidates: &mut Vec<Finding>) {
        let r = &self.rules[rule];
        let cache = caches.meta[rule].get_or_insert_with(|| Box::new(r.regex.create_cache()));
        let caps = caches.captures[rule].get_or_insert_with(|| Box::new(r.regex.create_captures()));
        let mut at = region.start;
        while at < region.end {
            match self.try_match(rule, hay, Span { start: at, end: region.end }, Anchored::No, cache, caps, candidates)
            {
                // Rules cannot match empty (checked at compile), so the search always advances.
                Some(end) => at = end,
                None => break,
            }
        }
    }

    /// One leftmost-first search of `rule` in `span` (look-around sees the whole text). Pushes
    /// the finding if it passes the filters; returns the match end, if there was a match.
    #[allow(clippy::too_many_arguments)]
    fn try_match(
        &self,
        rule: usize,
        hay: &[u8],
        span: Span,
        anchored: Anchored,
        cache: &mut meta::Cache,
        caps: &mut Captures,
        candidates: &mut Vec<Finding>,
    ) -> Option<usize> {
        let r = &self.rules[rule];
        let input = Input::new(hay).span(span.range()).anchored(anchored);
        // Find the match with the DFAs first; most attempts fail, and captures cost more.
        let m = r.regex.search_with(cache, &input)?;
        if r.secret_group.is_some() {
            r.regex.search_captures_with(cache, &input.clone().span(m.range()).anchored(Anchored::Yes), caps);
        }
        let span = Span { start: m.start(), end: m.end() };
        let secret = match r.secret_group {
            None => span,
            // The capture search ran anchored on exactly this match; if it somehow disagrees,
            // redact the whole match rather than guess.
            Some(_) if caps.get_match() != Some(m) => span,
            Some(g) => match caps.get_group(g) {
                Some(s) if !s.is_empty() => Span { start: s.start, end: s.end },
                // A `secret` group that took no part marks a form the rule consumes on purpose
                // (a known non-secret such as `next_page_token`): nothing to report.
                _ => return Some(m.end()),
            },
        };
        let (span, secret) = (widen_to_chars(hay, span), widen_to_chars(hay, secret));
        if filters::accept(r, &hay[secret.range()], &self.placeholders) {
            candidates.push(Finding {
                rule,
                kind: r.kind,
                secret,
                span,
                confidence: r.confidence,
                fingerprint: Fingerprint::of(&hay[secret.range()]),
            });
        }
        Some(m.end())
    }
}

/// Groups anchored rules (those with a lead) with identical keywords and lead; builds a
/// multi-pattern anchored DFA for groups of two or more. Every anchored rule gets a group.
fn anchor_groups(rules: &[Rule], window: &[usize]) -> (Vec<AnchorGroup>, Vec<Option<usize>>) {
    let mut groups: Vec<AnchorGroup> = Vec::new();
    let mut group_of = vec![None; rules.len()];
    let mut index: std::collections::HashMap<(Vec<String>, crate::rules::lead::StartKey), usize> = Default::default();
    for (i, r) in rules.iter().enumerate() {
        let Some(lead) = &r.lead else { continue };
        let mut keywords = r.keywords.clone();
        keywords.sort_unstable();
        let g = *index.entry((keywords, lead.start_key())).or_insert_with(|| {
            groups.push(AnchorGroup { rules: Vec::new(), lead: lead.clone(), dfa: None, limit: 0 });
            groups.len() - 1
        });
        groups[g].rules.push(i);
        groups[g].limit = groups[g].limit.max(window[i]);
        group_of[i] = Some(g);
    }
    for g in groups.iter_mut().filter(|g| g.rules.len() > 1) {
        let patterns: Vec<&str> = g.rules.iter().map(|&i| rules[i].pattern.as_str()).collect();
        g.dfa = crate::rules::build_anchored_many(&patterns);
    }
    (groups, group_of)
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
pub(crate) fn resolve_overlaps(rules: &[Rule], candidates: &mut [Finding], out: &mut Vec<Finding>) {
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
            cluster.sort_unstable_by_key(|f| std::cmp::Reverse(rank(rules, f)));
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
