//! Incremental scanning: the findings of a text that arrives in pieces, each reported once no
//! later byte can change it, and a bound before which no unreported secret can begin.
//!
//! The one-shot semantics ([`RuleSet::scan`]) is, per rule, the leftmost-first iteration over
//! every position where a match can start (the engine's candidate starts), then overlap
//! resolution. [`Frontier`] runs the same iteration, only later: a candidate start is tried
//! with the very same call the one-shot engine makes ([`RuleSet::attempt`]) once its result
//! cannot depend on bytes that have not arrived — the unit's anchored DFA, walked from the
//! start as bytes arrive, has died (or the stream ended). Candidates of a rule are tried in
//! start order, and only once no keyword still to come could add an earlier one. A cluster of
//! overlapping findings is resolved once nothing undecided can still overlap it.
//!
//! The bound returned by [`Frontier::advance`] is the release frontier: the earliest start of
//! an undecided candidate, of an unresolved finding, or of a secret that a keyword not yet
//! (completely) arrived could bring. For the last, the plan's hold table (read off the keyword
//! automaton's state) says how far into a pending keyword its secret can begin, and its reach
//! groups — followed byte by byte: the current run of a group's bytes, its first byte that can
//! begin a secret, the secret's leading positions — say where a secret that begins *before*
//! its keyword could have begun.

use aho_corasick::automaton::StateID;
use regex_automata::{
    hybrid::{self, LazyStateID},
    Anchored, Input,
};

use super::{
    plan::{StreamPlan, UnitKind},
    resolve_overlaps, Finding, RuleSet,
};

/// Bytes kept before the earliest position still needed, for look-behind (`\b`, heads).
const CONTEXT: usize = 8;

/// Per-stream state of the incremental scan. Cheap to create; reuse it for one text.
#[derive(Debug, Default)]
pub struct Frontier {
    /// Keyword automaton state after the last byte, once started.
    ac: Option<StateID>,
    /// End of the text seen so far.
    len: usize,
    /// Stem hits whose keyword is longer than the text after them: `(keyword, start)`.
    pending: Vec<(usize, usize)>,
    /// Complete keyword hits found in the last call: `(keyword, start)`.
    hits: Vec<(usize, usize)>,
    cands: Vec<Cand>,
    /// Per rule: where its last match ended; its iteration continues there.
    next: Vec<usize>,
    /// Findings of finished attempts whose overlap cluster may still grow.
    pool: Vec<Finding>,
    /// Per unit: its anchored DFA's cache while a walk of the unit is alive (the walk's state
    /// ids point into it); taken from and given back to the rule set's spares.
    unit_caches: Vec<Option<Box<hybrid::dfa::Cache>>>,
    /// Units whose cache this frontier holds.
    held_units: Vec<usize>,
    found: Vec<Finding>,
    member_next: Vec<usize>,
    /// Earliest start of a keyword that may still be arriving, after the last call.
    pending_from: usize,
    /// What set the last bound (diagnostics).
    pub why: Why,
    /// Reach groups whose class run is unbroken since a byte their secrets can begin with.
    started: u64,
    /// Per reach group: the earliest such byte.
    start: Vec<usize>,
    /// Reach groups whose start was checked against whole heads (text is fixed, so it stays).
    verified: u64,
}

/// What the release bound came from (diagnostics and holdback reports).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Why {
    #[default]
    Nothing,
    /// An undecided candidate of this rule.
    Candidate(usize),
    /// A keyword prefix at the end of the text.
    KeywordPrefix,
    /// A longer keyword still arriving.
    PendingKeyword,
    /// Bytes a secret can span before a keyword still to come; a rule of the reach group.
    Reach(usize),
    /// A finding whose overlap cluster is still open.
    Finding(usize),
}

#[derive(Clone, Copy, Debug)]
struct Cand {
    unit: usize,
    start: usize,
    walk: Walk,
}

#[derive(Clone, Copy, Debug)]
enum Walk {
    /// The DFA walk is alive after `walked`; `epoch` is the cache's clear count its state
    /// belongs to.
    Live { sid: LazyStateID, walked: usize, epoch: usize, matched: bool },
    /// No usable DFA: decided once `limit` bytes past the start (and one more) have arrived.
    Blind,
    /// Decided: `matched` says whether an attempt can find anything.
    Done { matched: bool },
}

impl Frontier {
    pub fn new() -> Frontier {
        Frontier::default()
    }

    /// Position up to which text has been fed.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Feeds the bytes `[self.len(), base + text.len())`: `text` (and `lower`, its ASCII
    /// lower-cased copy) hold the stream from `base`, at least from [`Frontier::keep_from`].
    /// `end` says no more text follows. Appends the findings that became final to `out`,
    /// sorted, and returns the release bound: every unreported finding's secret, now or after
    /// any continuation, begins at or after it, and every reported one ends before it.
    pub fn advance(
        &mut self,
        set: &RuleSet,
        text: &[u8],
        lower: &[u8],
        base: usize,
        end: bool,
        out: &mut Vec<Finding>,
    ) -> usize {
        let plan = set.plan();
        let to = base + text.len();
        if self.next.len() < set.len() {
            self.next.resize(set.len(), 0);
            self.unit_caches.resize_with(plan.units.len(), || None);
        }
        self.find_keywords(set, lower, base, to);
        self.track_reach(plan, text, base, to);
        self.add_candidates(set, plan, text, lower, base, to);
        self.walk_all(plan, text, base, to, end);
        let (pending_from, hold_bound, hold_why) = self.pending_keywords(plan, lower, base, to);
        self.pending_from = pending_from;
        self.try_decided(set, plan, text, base, to, end, pending_from);
        self.give_back_idle_caches(set);
        self.len = to;
        let (mut bound, mut why) = if end {
            (to, Why::Nothing)
        } else {
            let (reach, who) = self.reach_bound(plan, text, base, to, pending_from);
            if reach < hold_bound {
                (reach, who)
            } else {
                (hold_bound, hold_why)
            }
        };
        for c in &self.cands {
            if c.start < bound {
                bound = c.start;
                why = Why::Candidate(plan.units[c.unit].rules[0]);
            }
        }
        self.release_clusters(set, bound, out);
        if let Some(f) = self.pool.first() {
            if f.secret.start < bound {
                bound = f.secret.start;
                why = Why::Finding(f.rule);
            }
        }
        self.why = why;
        bound
    }

    /// The earliest stream position the next [`Frontier::advance`] may read.
    pub fn keep_from(&self, set: &RuleSet, released: usize) -> usize {
        let plan = set.plan();
        let back = plan.max_back.max(plan.reach.max_back());
        let mut keep = released.min(self.pending_from.saturating_sub(back + 1));
        for c in &self.cands {
            keep = keep.min(c.start);
        }
        for f in &self.pool {
            keep = keep.min(f.span.start);
        }
        keep.saturating_sub(CONTEXT)
    }

    /// Drops every candidate and unresolved finding and starts over at `at`, as if the text
    /// before it were not there (after the caller gave up on holding it).
    pub fn reset(&mut self, at: usize) {
        self.cands.clear();
        self.pending.clear();
        self.pool.clear();
        self.ac = None;
        self.next.iter_mut().for_each(|n| *n = (*n).max(at));
        self.len = at;
        self.pending_from = at;
        self.started = 0;
        self.verified = 0;
    }

    /// Follows, byte by byte, where a secret that reaches back from a keyword still to come
    /// could have begun, per reach group.
    fn track_reach(&mut self, plan: &StreamPlan, text: &[u8], base: usize, to: usize) {
        let reach = &plan.reach;
        if self.start.len() < reach.back.len() {
            self.start.resize(reach.back.len(), 0);
        }
        let mut started = self.started;
        for (i, &b) in (self.len..).zip(&text[self.len - base..to - base]) {
            let b = b as usize;
            let in_class = reach.class[b];
            started &= in_class;
            let mut new = reach.first[b] & in_class & !started;
            started |= new;
            self.verified &= !new;
            while new != 0 {
                let g = new.trailing_zeros() as usize;
                new &= new - 1;
                self.start[g] = i;
            }
        }
        self.started = started;
    }

    /// The earliest position where a secret reaching back from a keyword still to come (at or
    /// after `pending_from`) can begin: per started group, its first start that fits a head,
    /// no further back than the group reaches.
    fn reach_bound(
        &mut self,
        plan: &StreamPlan,
        text: &[u8],
        base: usize,
        to: usize,
        pending_from: usize,
    ) -> (usize, Why) {
        let reach = &plan.reach;
        let (mut bound, mut why) = (to, Why::Nothing);
        let mut groups = self.started;
        while groups != 0 {
            let g = groups.trailing_zeros() as usize;
            groups &= groups - 1;
            let mut s = self.start[g];
            // Its bound is at least its start: no better than what we have.
            if s >= bound {
                continue;
            }
            let floor = pending_from.saturating_sub(reach.back[g]).max(base);
            let unchecked = (reach.headless | self.verified) & 1 << g == 0;
            if s < floor || (unchecked && !reach.fits(g, &text[s - base..to - base])) {
                // Look further on in the run for a start that can still be one.
                let from = if s < floor { floor } else { s + 1 };
                match (from..to).find(|&at| {
                    reach.first[text[at - base] as usize] & 1 << g != 0
                        && (reach.headless & 1 << g != 0 || reach.fits(g, &text[at - base..to - base]))
                }) {
                    Some(at) => s = at,
                    None => {
                        self.started &= !(1 << g);
                        continue;
                    }
                }
                self.start[g] = s;
            }
            if to - s >= reach.head_len[g] {
                self.verified |= 1 << g;
            } else {
                self.verified &= !(1 << g);
            }
            if s < bound {
                (bound, why) = (s, Why::Reach(reach.rules[g].first().copied().unwrap_or(0)));
            }
        }
        (bound, why)
    }

    /// Walks the keyword automaton over the new bytes; collects complete hits in `self.hits`
    /// and keeps stems whose keyword has not fully arrived in `self.pending`.
    fn find_keywords(&mut self, set: &RuleSet, lower: &[u8], base: usize, to: usize) {
        self.hits.clear();
        let kw = &set.keywords;
        // Stems from earlier calls whose keyword may now be complete.
        let (pending, hits) = (&mut self.pending, &mut self.hits);
        pending.retain(|&(kid, start)| {
            let word = kw.keyword(kid);
            let have = &lower[start - base..];
            if have.len() >= word.len() {
                if have.starts_with(word) {
                    hits.push((kid, start));
                }
                false
            } else {
                word.starts_with(have)
            }
        });
        let Some(sid) = self.ac.or_else(|| kw.stream_start()) else { return };
        let from = self.len;
        let sid = kw.stream_walk(sid, &lower[from - base..to - base], |i, sid| {
            let end = from + i + 1;
            kw.stems_at(sid, |stem_len, kids| {
                let start = end - stem_len;
                for &kid in kids {
                    let word = kw.keyword(kid);
                    let have = &lower[start - base..];
                    if have.len() >= word.len() {
                        if have.starts_with(word) {
                            hits.push((kid, start));
                        }
                    } else if word.starts_with(have) {
                        pending.push((kid, start));
                    }
                }
            });
        });
        self.ac = Some(sid);
    }

    /// Candidate starts of every new hit (and, for rules without keywords, of every new byte).
    fn add_candidates(&mut self, set: &RuleSet, plan: &StreamPlan, text: &[u8], lower: &[u8], base: usize, to: usize) {
        let before = self.cands.len();
        for hi in 0..self.hits.len() {
            let (kid, hit) = self.hits[hi];
            for &u in &plan.units_of_keyword[kid] {
                let unit = &plan.units[u];
                let floor = unit.rules.iter().map(|&r| self.next[r]).min().unwrap_or(0).max(base);
                match &unit.kind {
                    UnitKind::Group(g) => {
                        let cands = &mut self.cands;
                        set.groups[*g].lead.starts(lower, hit - base, |s| {
                            if base + s >= floor {
                                cands.push(Cand { unit: u, start: base + s, walk: Walk::Blind });
                            }
                        });
                    }
                    UnitKind::Windowed { first, .. } => {
                        let from = (hit + set.keywords.len_of(kid)).saturating_sub(unit.limit).max(floor);
                        for s in from..=hit {
                            if first.contains(text[s - base]) {
                                self.cands.push(Cand { unit: u, start: s, walk: Walk::Blind });
                            }
                        }
                    }
                }
            }
        }
        for &u in &plan.keywordless {
            let UnitKind::Windowed { first, rule } = &plan.units[u].kind else { continue };
            let floor = self.next[*rule].max(base);
            for s in self.len.max(floor)..to {
                if first.contains(text[s - base]) {
                    self.cands.push(Cand { unit: u, start: s, walk: Walk::Blind });
                }
            }
        }
        if self.cands.len() == before {
            return;
        }
        // New candidates start walking; duplicates (two hits, one start) keep the older walk.
        for c in &mut self.cands[before..] {
            c.walk = match &plan.units[c.unit].dfa {
                Some(dfa) => {
                    let cache = self.unit_caches[c.unit].get_or_insert_with(|| {
                        self.held_units.push(c.unit);
                        set.take_unit_cache(c.unit, dfa)
                    });
                    start_walk(dfa, cache, text, base, c.start)
                }
                None => Walk::Blind,
            };
        }
        self.cands.sort_by_key(|c| (c.unit, c.start));
        self.cands.dedup_by_key(|c| (c.unit, c.start));
    }

    /// Gives back the cache of every unit none of whose walks is alive any more.
    fn give_back_idle_caches(&mut self, set: &RuleSet) {
        let mut i = 0;
        while i < self.held_units.len() {
            let u = self.held_units[i];
            if self.cands.iter().any(|c| c.unit == u && matches!(c.walk, Walk::Live { .. })) {
                i += 1;
                continue;
            }
            self.held_units.swap_remove(i);
            if let Some(cache) = self.unit_caches[u].take() {
                set.give_back_unit_cache(u, cache);
            }
        }
    }

    /// Moves every live walk to `to`; at the end of the text, decides them all.
    fn walk_all(&mut self, plan: &StreamPlan, text: &[u8], base: usize, to: usize, end: bool) {
        for c in &mut self.cands {
            let unit = &plan.units[c.unit];
            if let (Walk::Live { .. }, Some(dfa), Some(cache)) = (c.walk, &unit.dfa, &mut self.unit_caches[c.unit]) {
                c.walk = advance_walk(dfa, cache, text, base, c.start, c.walk, to);
                if end {
                    if let Walk::Live { sid, matched, .. } = c.walk {
                        let eoi = dfa.next_eoi_state(cache, sid).map_or(true, |s| s.is_match());
                        c.walk = Walk::Done { matched: matched || eoi };
                    }
                }
            }
            if let Walk::Blind = c.walk {
                // Decided when the whole span and the byte after it are known.
                if end || to > c.start + unit.limit {
                    c.walk = Walk::Done { matched: true };
                }
            }
        }
    }

    /// Keywords that may be arriving: the earliest start (a stem prefix at the end of the text,
    /// or a stem whose longer keyword is not complete yet), and the earliest position where a
    /// secret of theirs can begin.
    fn pending_keywords(&self, plan: &StreamPlan, lower: &[u8], base: usize, to: usize) -> (usize, usize, Why) {
        let (mut from, mut bound, mut why) = (to, to, Why::Nothing);
        match self.ac.and_then(|sid| plan.state_holds.get(sid)) {
            Some((depth, back)) => {
                from = to - depth;
                if back > 0 {
                    (bound, why) = (to - back, Why::KeywordPrefix);
                }
            }
            None => {
                for d in 1..=3.min(to - base) {
                    if let Some(hold) = plan.hold.get(&lower[to - d - base..to - base]) {
                        from = to - d;
                        if to - d + hold < bound {
                            (bound, why) = (to - d + hold, Why::KeywordPrefix);
                        }
                    }
                }
            }
        }
        for &(kid, start) in &self.pending {
            from = from.min(start);
            if start + plan.hold_of_keyword[kid] < bound {
                (bound, why) = (start + plan.hold_of_keyword[kid], Why::PendingKeyword);
            }
        }
        (from, bound, why)
    }

    /// Tries, per unit in start order, every candidate that is decided and cannot be
    /// preceded by a candidate still to come.
    #[allow(clippy::too_many_arguments)]
    fn try_decided(
        &mut self,
        set: &RuleSet,
        plan: &StreamPlan,
        text: &[u8],
        base: usize,
        to: usize,
        end: bool,
        pending_from: usize,
    ) {
        let mut i = 0;
        let mut keep = 0;
        while i < self.cands.len() {
            let u = self.cands[i].unit;
            let unit = &plan.units[u];
            // Future keywords give this unit candidates at or after `floor`.
            let floor = if end || plan.keywordless.contains(&u) {
                usize::MAX
            } else {
                let run = run_back(text, base, pending_from, unit.back, |b| unit.class.contains(b));
                pending_from - run
            };
            let mut blocked = false;
            while i < self.cands.len() && self.cands[i].unit == u {
                let c = self.cands[i];
                i += 1;
                let passed = unit.rules.iter().all(|&r| c.start < self.next[r]);
                if passed {
                    continue;
                }
                let matched = match c.walk {
                    // A start where nothing can match changes nothing: drop it in any order.
                    Walk::Done { matched: false } => continue,
                    Walk::Done { matched } if !blocked && c.start <= floor => matched,
                    _ => {
                        blocked = true;
                        self.cands[keep] = c;
                        keep += 1;
                        continue;
                    }
                };
                if matched {
                    self.attempt(set, u, text, base, to, c.start);
                }
            }
        }
        self.cands.truncate(keep);
        self.pool.append(&mut self.found);
    }

    /// The one-shot engine's attempt at `start` for every rule of unit `u`.
    fn attempt(&mut self, set: &RuleSet, u: usize, text: &[u8], base: usize, to: usize, start: usize) {
        let plan = set.plan();
        let at = start - base;
        let before = self.found.len();
        let mut caches = set.borrow_caches();
        match &plan.units[u].kind {
            UnitKind::Group(g) => {
                let members = &set.groups[*g].rules;
                self.member_next.clear();
                self.member_next.extend(members.iter().map(|&r| self.next[r].saturating_sub(base)));
                if set.group_may_match(*g, text, at, to - base, &mut caches) {
                    set.attempt_members(*g, text, at, to - base, &mut self.member_next, &mut caches, &mut self.found);
                }
                for (k, &r) in members.iter().enumerate() {
                    self.next[r] = self.next[r].max(base + self.member_next[k]);
                }
            }
            UnitKind::Windowed { rule, .. } => {
                if start >= self.next[*rule] {
                    if let Some(e) = set.attempt(*rule, text, at, to - base, &mut caches, &mut self.found) {
                        self.next[*rule] = base + e;
                    }
                }
            }
        }
        for f in &mut self.found[before..] {
            f.secret.start += base;
            f.secret.end += base;
            f.span.start += base;
            f.span.end += base;
        }
    }

    /// Resolves every overlap cluster in the pool that nothing at or after `bound` can join.
    fn release_clusters(&mut self, set: &RuleSet, bound: usize, out: &mut Vec<Finding>) {
        if self.pool.is_empty() {
            return;
        }
        self.pool.sort_unstable_by_key(|f| (f.secret.start, f.secret.end, f.rule));
        let mut done = 0;
        let mut i = 0;
        while i < self.pool.len() {
            let mut end = self.pool[i].secret.end;
            let mut j = i + 1;
            while j < self.pool.len() && self.pool[j].secret.start < end {
                end = end.max(self.pool[j].secret.end);
                j += 1;
            }
            if end > bound {
                break;
            }
            done = j;
            i = j;
        }
        if done > 0 {
            resolve_overlaps(&set.rules, &mut self.pool[..done], out);
            self.pool.drain(..done);
        }
    }
}

/// How many bytes before `at` (at most `max`, not before `base`) satisfy `class`.
fn run_back(text: &[u8], base: usize, at: usize, max: usize, class: impl Fn(u8) -> bool) -> usize {
    let lo = at.saturating_sub(max).max(base);
    text[lo - base..at - base].iter().rev().take_while(|&&b| class(b)).count()
}

fn start_walk(dfa: &hybrid::dfa::DFA, cache: &mut hybrid::dfa::Cache, text: &[u8], base: usize, start: usize) -> Walk {
    let input = Input::new(text).span(start - base..text.len()).anchored(Anchored::Yes);
    match dfa.start_state_forward(cache, &input) {
        Ok(sid) => {
            let walk = Walk::Live { sid, walked: start, epoch: cache.clear_count(), matched: false };
            advance_walk(dfa, cache, text, base, start, walk, base + text.len())
        }
        Err(_) => Walk::Blind,
    }
}

/// Moves a live walk from where it stopped to `to`. A cache that was cleared since the walk's
/// state was taken restarts it from its start.
fn advance_walk(
    dfa: &hybrid::dfa::DFA,
    cache: &mut hybrid::dfa::Cache,
    text: &[u8],
    base: usize,
    start: usize,
    walk: Walk,
    to: usize,
) -> Walk {
    let Walk::Live { sid, walked, epoch, matched } = walk else { return walk };
    if epoch != cache.clear_count() {
        return start_walk(dfa, cache, text, base, start);
    }
    let (mut sid, mut matched) = (sid, matched);
    for &b in &text[walked - base..to - base] {
        sid = match dfa.next_state(cache, sid, b) {
            Ok(s) => s,
            Err(_) => return Walk::Blind,
        };
        if sid.is_match() {
            matched = true;
        } else if sid.is_dead() {
            return Walk::Done { matched };
        } else if sid.is_quit() {
            return Walk::Blind;
        }
    }
    Walk::Live { sid, walked: to, epoch: cache.clear_count(), matched }
}
