//! The hyperscan engine for one-shot scans (cargo feature `hyperscan`): hyperscan replaces the
//! keyword pass as the first of the two stages; the second — each rule's own regex, filters,
//! overlap resolution — is the regex engine's, unchanged (`RuleSet::search`).
//!
//! **Same findings as [`RuleSet::scan_with`], by construction.** In [`Mode::Regexes`] one
//! block-mode database holds every rule's regex (written from its syntax tree, `pattern.rs`).
//! Hyperscan reports the end offset of *every* match of every pattern, overlapping ones
//! included. A match `[s, e)` of a rule is at most `max_len` long, so it lies in the window
//! `[e - max_len, e]` of the end `e` hyperscan reported for it. The windows of a rule are
//! merged into regions and searched leftmost-first with `Input::span`, so look-around sees
//! the real neighbouring bytes — exactly the regex engine's *windowed mode*, whose argument
//! carries over: every match of the rule lies inside one region, so iterating the regions
//! gives the whole-text iteration. Hyperscan need not be exact, only never miss an end: every
//! expression compiles in prefilter mode (`HS_FLAG_PREFILTER`: a documented superset, which
//! lets hyperscan simplify what is too large for it), assertions it cannot express are dropped
//! and long counted repetitions are left open-ended (`pattern.rs`); a false candidate costs a
//! regex search, never a finding. (These are also the regex engine's semantics where its
//! keyword contract holds — every match contains a keyword — which `rules check` verifies.)
//!
//! **Keyword path.** A rule hyperscan cannot take — no maximum length (no window to bound),
//! syntax that cannot be written for it without losing matches, or an expression its compiler
//! rejects — is searched as the regex engine searches it: its keywords go into the same
//! database as literals, and each keyword hit becomes the window or anchored starts the
//! keyword pass would give (`RuleSet::keyword_hit`). An anchored rule shares its start list
//! with the rules of its anchor group, so a group falls back whole.
//! [`HyperscanScanner::fallbacks`] lists every such rule and why. [`Mode::Keywords`] puts
//! every rule on this path: hyperscan is then only a faster keyword finder, and the candidates
//! are the regex engine's own.
//!
//! **Streaming stays on the regex engine.** The incremental [`Frontier`](super::Frontier)
//! carries the keyword automaton's state from push to push and decides each candidate start
//! as soon as no later byte can change it, which is what bounds the holdback. Hyperscan's
//! streaming mode could feed it keyword hits or match ends (a stream per channel, its state
//! kept beside the frontier's; reported ends are final), but the frontier also needs, at every
//! push, the keyword *prefix* still open at the end of the text (the hold table, read off the
//! automaton's state) and which starts are still undecided — hyperscan exposes neither, so the
//! release bound would still need the keyword automaton walked over every byte, and the
//! stream state (hundreds of bytes to kilobytes per channel) would be paid per open channel.
//! Block mode over the holdback window would instead rescan the held bytes on every push
//! (quadratic in long holds). Neither is built, and measuring both passes alone settled it
//! (`benches/stream.rs`, `docs/benchmarks.md`): per 3–5 character delta either costs
//! 0.5–1.25× the regex redactor's whole push (mostly per-call overhead), more than the keyword
//! walk it could take over. [`StreamingPass`] (streaming mode over this scanner's patterns;
//! streams closed on drop) exists for that measurement.

mod pattern;
mod streaming;
#[cfg(test)]
mod tests;

pub use streaming::{CandidateStream, StreamingPass};

use std::sync::Mutex;

use hyperscan::{BlockDatabase, Builder, Matching, Pattern, PatternFlags, Patterns};

use super::{prefilter, Finding, RuleSet, Scratch, Span};

/// Hyperscan could not build the database or its scratch space at all (not one rule: those
/// fall back). The message never holds text that was scanned.
#[derive(Debug, thiserror::Error)]
#[error("hyperscan: {0}")]
pub struct HyperscanError(String);

/// Why a rule is searched through its keywords instead of hyperscan's end offsets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The regex has no maximum match length, so an end offset bounds no window.
    Unbounded,
    /// The regex uses syntax that cannot be written for hyperscan without losing matches.
    Syntax(String),
    /// Hyperscan's compiler rejected the expression, with and without its anchors.
    Rejected(String),
    /// An anchored rule sharing candidate starts with this rule (index) falls back.
    AnchorGroup(usize),
}

/// A rule the hyperscan engine searches the regex engine's way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fallback {
    /// Index of the rule in its [`RuleSet`].
    pub rule: usize,
    pub reason: Reason,
}

impl Fallback {
    /// One line for `rules check`: what happens and why (never text of the rule's examples).
    pub fn describe(&self, set: &RuleSet) -> String {
        let why = match &self.reason {
            Reason::Unbounded => "the regex has no maximum length".to_string(),
            Reason::Syntax(s) => format!("the regex has {s}"),
            Reason::Rejected(m) => format!("hyperscan rejects the expression ({m})"),
            Reason::AnchorGroup(r) => {
                format!("it shares anchored starts with `{}`, which falls back", set.rule(*r).id)
            }
        };
        format!("hyperscan engine: searched through its keywords, as by the regex engine: {why}")
    }
}

/// What a pattern id of the database stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// A rule's regex: its end offsets bound windows.
    Rule(usize),
    /// A keyword (index in the rule set's keyword table) of rules that fall back.
    Keyword(usize),
}

/// A rule's place in the database. A rule the compiler rejects moves one step down.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Plan {
    /// Its expression (in prefilter mode: see the module's docs).
    Expression(String),
    /// Its expression without start and end anchors: hyperscan takes no anchor inside a
    /// pattern ("Embedded start anchors not supported").
    Unanchored(String),
    /// Searched through its keywords: it cannot be in the database, or `Mode::Keywords`.
    Keywords(Option<Reason>),
}

/// What hyperscan looks for. Both modes give exactly the regex engine's findings; they differ
/// in speed (`docs/benchmarks.md`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Every rule's regex (those it can take): candidates are windows before its match ends,
    /// so prose without secrets costs one hyperscan pass and no regex at all. Fastest on prose
    /// and code; slow on text dense with secrets (hyperscan reports every end of every
    /// overlapping match of long key formats).
    #[default]
    Regexes,
    /// Only the rules' keywords: hyperscan's literal matcher replaces the keyword automaton,
    /// the regex engine does the rest exactly as after its own keyword pass. Less filtering;
    /// faster than the regex engine on every text measured, dense ones included.
    Keywords,
}

/// One-shot scans of a [`RuleSet`] with hyperscan as the candidate pass. Build once per rule
/// set (compiling takes a second or two) and share: it is `Sync`, and keeps a pool of
/// hyperscan scratch spaces (one per thread scanning at once).
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use secretgate::{detect::hyperscan::HyperscanScanner, RuleSet, Scratch};
/// let set = RuleSet::builtin()?;
/// let hs = HyperscanScanner::new(&set)?;
/// let (mut scratch, mut out) = (Scratch::default(), Vec::new());
/// hs.scan_with(b"token ghp_...", &mut scratch, &mut out);
/// assert_eq!(out, set.scan(b"token ghp_..."));
/// # Ok(()) }
/// ```
pub struct HyperscanScanner<'a> {
    set: &'a RuleSet,
    mode: Mode,
    /// `None` when no rule and no keyword needs hyperscan (an empty set, say).
    db: Option<BlockDatabase>,
    /// Per pattern id.
    targets: Vec<Target>,
    /// Per rule: where it went (kept to compile the same patterns in streaming mode).
    plans: Vec<Plan>,
    fallbacks: Vec<Fallback>,
    /// Per rule: whether it is searched through its keywords.
    keyword_path: Vec<bool>,
    /// Keyword-path rules without keywords: searched over the whole text, as the regex
    /// engine does.
    keywordless: Vec<usize>,
    /// Whether a keyword-path rule is anchored (its starts are read off the lower-cased text).
    needs_lower: bool,
    scratches: Mutex<Vec<hyperscan::Scratch>>,
}

impl std::fmt::Debug for HyperscanScanner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HyperscanScanner")
            .field("mode", &self.mode)
            .field("rules", &self.set.len())
            .field("patterns", &self.targets.len())
            .field("fallbacks", &self.fallbacks.len())
            .finish()
    }
}

impl<'a> HyperscanScanner<'a> {
    /// [`Mode::Regexes`] over `set`: see [`HyperscanScanner::with_mode`].
    pub fn new(set: &'a RuleSet) -> Result<HyperscanScanner<'a>, HyperscanError> {
        Self::with_mode(set, Mode::Regexes)
    }

    /// Compiles the database for `set`. Rules hyperscan cannot take fall back (see
    /// [`HyperscanScanner::fallbacks`]); this fails only when hyperscan cannot build a
    /// database or scratch space at all (an unsupported CPU, memory).
    pub fn with_mode(set: &'a RuleSet, mode: Mode) -> Result<HyperscanScanner<'a>, HyperscanError> {
        let mut plans: Vec<Plan> = match mode {
            Mode::Regexes => set.rules().iter().map(plan).collect(),
            Mode::Keywords => vec![Plan::Keywords(None); set.len()],
        };
        loop {
            follow_anchor_groups(set, &mut plans);
            let (patterns, targets) = patterns(set, &plans);
            if patterns.is_empty() {
                return Self::finish(set, mode, plans, None, targets);
            }
            match Patterns(patterns).build::<hyperscan::BlockMode>() {
                Ok(db) => return Self::finish(set, mode, plans, Some(db), targets),
                Err(e) => {
                    // The compiler names the first expression it rejects: that rule moves one
                    // step down; then compile again.
                    let (expression, message) = compile_error(&e);
                    match expression.and_then(|i| targets.get(i)) {
                        Some(&Target::Rule(r)) => plans[r] = demote(set.rule(r), &plans[r], &message),
                        _ => return Err(HyperscanError(format!("cannot compile the database: {message}"))),
                    }
                }
            }
        }
    }

    fn finish(
        set: &'a RuleSet,
        mode: Mode,
        plans: Vec<Plan>,
        db: Option<BlockDatabase>,
        targets: Vec<Target>,
    ) -> Result<HyperscanScanner<'a>, HyperscanError> {
        let mut scratches = Vec::new();
        if let Some(db) = &db {
            scratches.push(db.alloc_scratch().map_err(|e| HyperscanError(format!("scratch space: {e}")))?);
        }
        let keyword_path: Vec<bool> = plans.iter().map(|p| matches!(p, Plan::Keywords(_))).collect();
        let fallbacks = plans
            .iter()
            .enumerate()
            .filter_map(|(rule, p)| match p {
                Plan::Keywords(Some(reason)) => Some(Fallback { rule, reason: reason.clone() }),
                _ => None,
            })
            .collect();
        let on_keywords = || (0..set.len()).filter(|&r| keyword_path[r]);
        let keywordless = on_keywords().filter(|&r| set.rule(r).keywords.is_empty()).collect();
        let needs_lower = on_keywords().any(|r| set.group_of[r].is_some());
        Ok(HyperscanScanner {
            set,
            mode,
            db,
            targets,
            plans,
            fallbacks,
            keyword_path,
            keywordless,
            needs_lower,
            scratches: Mutex::new(scratches),
        })
    }

    /// The rule set this scans for.
    pub fn rules(&self) -> &'a RuleSet {
        self.set
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Rules that [`Mode::Regexes`] could not give to hyperscan, searched through their
    /// keywords as the regex engine does, in rule order (none in [`Mode::Keywords`], where
    /// every rule is searched so by choice).
    pub fn fallbacks(&self) -> &[Fallback] {
        &self.fallbacks
    }

    /// Bytes of the compiled database (hyperscan's own count; 0 when there is none).
    pub fn database_bytes(&self) -> usize {
        self.db.as_ref().and_then(|db| db.size().ok()).unwrap_or(0)
    }

    /// Bytes of one hyperscan scratch space (one per thread scanning at once; 0 without a
    /// database, or while every scratch space of the pool is in use).
    pub fn scratch_bytes(&self) -> usize {
        let spare = self.scratches.lock().ok().and_then(|s| s.first().and_then(|s| s.size().ok()));
        spare.unwrap_or(0)
    }

    /// Findings in `hay`, sorted by start: what [`RuleSet::scan`] returns. Allocates; hot
    /// paths use [`HyperscanScanner::scan_with`].
    pub fn scan(&self, hay: &[u8]) -> Vec<Finding> {
        let mut out = Vec::new();
        self.scan_with(hay, &mut Scratch::default(), &mut out);
        out
    }

    /// Puts the findings of `hay` into `out` (cleared first), sorted by start: exactly what
    /// [`RuleSet::scan_with`] gives. If hyperscan cannot run (a text over 4 GiB — its lengths
    /// are 32-bit —, no scratch space, a scan error) the regex engine scans instead.
    pub fn scan_with(&self, hay: &[u8], scratch: &mut Scratch, out: &mut Vec<Finding>) {
        if !self.candidates(hay, scratch) {
            return self.set.scan_with(hay, scratch, out);
        }
        self.set.search(hay, scratch, out);
    }

    /// Candidate windows and starts in `hay` after the hyperscan pass alone, before any regex
    /// runs (for benchmarks and diagnostics).
    pub fn candidates_only(&self, hay: &[u8], scratch: &mut Scratch) -> usize {
        self.candidates(hay, scratch);
        scratch.windows.len() + scratch.starts.len()
    }

    /// Fills `scratch.windows` and `scratch.starts` from one hyperscan pass. `false` when
    /// hyperscan could not run.
    fn candidates(&self, hay: &[u8], scratch: &mut Scratch) -> bool {
        let set = self.set;
        scratch.windows.clear();
        scratch.starts.clear();
        if let Some(db) = &self.db {
            if u32::try_from(hay.len()).is_err() {
                return false;
            }
            let Some(hs) = self.take_scratch(db) else { return false };
            if self.needs_lower {
                prefilter::lowercase_into(hay, &mut scratch.lower);
            }
            // Only anchored fallback rules read `lower`, and then it was just filled.
            let (windows, starts, lower) = (&mut scratch.windows, &mut scratch.starts, &scratch.lower);
            let targets = &self.targets;
            // Runs inside hyperscan's callback: must not panic (indexing is checked).
            let scanned = db.scan(hay, &hs, |id, _from, to, _flags| {
                let end = usize::try_from(to).unwrap_or(usize::MAX).min(hay.len());
                match targets.get(id as usize) {
                    Some(&Target::Rule(rule)) => {
                        let w = set.window.get(rule).copied().unwrap_or(usize::MAX);
                        push_merged(windows, rule, Span { start: end.saturating_sub(w), end });
                    }
                    Some(&Target::Keyword(kid)) => {
                        let len = set.keywords.len_of(kid);
                        let start = end.saturating_sub(len);
                        for &rule in set.keywords.rules_of(kid) {
                            if self.keyword_path.get(rule) == Some(&true) {
                                set.keyword_hit(rule, start, len, lower, hay.len(), windows, starts);
                            }
                        }
                    }
                    None => {}
                }
                Matching::Continue
            });
            self.give_back(hs);
            if scanned.is_err() {
                return false;
            }
        }
        for &rule in &self.keywordless {
            scratch.windows.push((rule, Span { start: 0, end: hay.len() }));
        }
        true
    }

    fn take_scratch(&self, db: &BlockDatabase) -> Option<hyperscan::Scratch> {
        let spare = self.scratches.lock().ok().and_then(|mut s| s.pop());
        spare.or_else(|| db.alloc_scratch().ok())
    }

    fn give_back(&self, scratch: hyperscan::Scratch) {
        if let Ok(mut s) = self.scratches.lock() {
            s.push(scratch);
        }
    }
}

/// A rule's first plan in [`Mode::Regexes`]: its expression, or why it cannot have one.
fn plan(rule: &crate::rules::Rule) -> Plan {
    if rule.max_len.is_none() {
        return Plan::Keywords(Some(Reason::Unbounded));
    }
    let Some(hir) = crate::rules::hir_of(&rule.pattern) else {
        return Plan::Keywords(Some(Reason::Syntax("syntax the rule parser no longer reads".into())));
    };
    match pattern::expression(&hir, true) {
        Ok(e) => Plan::Expression(e.text),
        Err(why) => Plan::Keywords(Some(Reason::Syntax(why))),
    }
}

/// The next plan after the compiler rejected rule `rule` (planned `p`) with `message`: the
/// expression without anchors (if that differs), then the keyword path.
fn demote(rule: &crate::rules::Rule, p: &Plan, message: &str) -> Plan {
    let rejected = || Plan::Keywords(Some(Reason::Rejected(message.to_string())));
    match p {
        Plan::Expression(e) => match crate::rules::hir_of(&rule.pattern).map(|h| pattern::expression(&h, false)) {
            Some(Ok(u)) if u.text != *e => Plan::Unanchored(u.text),
            _ => rejected(),
        },
        _ => rejected(),
    }
}

/// An anchored rule shares its group's start list (and the group's pre-test), which only
/// keyword hits fill: if one member falls back, the whole group does.
fn follow_anchor_groups(set: &RuleSet, plans: &mut [Plan]) {
    for group in &set.groups {
        let fell_back =
            |r: usize| matches!(&plans[r], Plan::Keywords(Some(why)) if !matches!(why, Reason::AnchorGroup(_)));
        let Some(first) = group.rules.iter().copied().find(|&r| fell_back(r)) else { continue };
        for &r in &group.rules {
            if !matches!(plans[r], Plan::Keywords(_)) {
                plans[r] = Plan::Keywords(Some(Reason::AnchorGroup(first)));
            }
        }
    }
}

/// The database's patterns: every rule with an expression, then the keywords of the rules
/// that fall back.
fn patterns(set: &RuleSet, plans: &[Plan]) -> (Vec<Pattern>, Vec<Target>) {
    let mut patterns = Vec::new();
    let mut targets = Vec::new();
    let mut push = |expression: String, flags: PatternFlags, target: Target| {
        let id = targets.len();
        targets.push(target);
        patterns.push(Pattern { expression, flags, id: Some(id), ext: Default::default(), som: None });
    };
    // Prefilter mode: hyperscan may match more (it may simplify what is too large for it),
    // never less; the rule's regex confirms every candidate anyway.
    for (rule, p) in plans.iter().enumerate() {
        if let Plan::Expression(e) | Plan::Unanchored(e) = p {
            push(e.clone(), PatternFlags::PREFILTER, Target::Rule(rule));
        }
    }
    for kid in 0..set.keywords.count() {
        if set.keywords.rules_of(kid).iter().any(|&r| matches!(plans[r], Plan::Keywords(_))) {
            let (expression, flags) = pattern::keyword(set.keywords.keyword(kid));
            push(expression, flags, Target::Keyword(kid));
        }
    }
    (patterns, targets)
}

/// The expression a compile error names, if any, and its message.
fn compile_error(e: &hyperscan::Error) -> (Option<usize>, String) {
    match e {
        hyperscan::Error::Hyperscan(hyperscan::HsError::CompileError(c)) => (c.expression(), c.message().to_string()),
        other => (None, other.to_string()),
    }
}

/// Adds `span` to rule `rule`'s windows, growing the last one when they overlap (hyperscan
/// reports ends mostly in order, so runs of ends of one rule become one window).
fn push_merged(windows: &mut Vec<(usize, Span)>, rule: usize, span: Span) {
    if let Some((r, last)) = windows.last_mut() {
        if *r == rule && span.start <= last.end && last.start <= span.end {
            last.start = last.start.min(span.start);
            last.end = last.end.max(span.end);
            return;
        }
    }
    windows.push((rule, span));
}
