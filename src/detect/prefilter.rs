//! The keyword prefilter: one aho-corasick DFA over every keyword's first bytes.
//!
//! Keywords are ASCII case-insensitive. The text is lower-cased into a scratch buffer once
//! (a vectorised copy, far cheaper than a case-insensitive automaton) and the automaton runs
//! over *stems* — each keyword cut to its first `STEM` bytes — which keeps the DFA small
//! enough to stay in cache; a stem hit is confirmed by comparing the whole keyword. The
//! search is overlapping, so no keyword (`npm`) can hide another (`npm_`).

use aho_corasick::{
    automaton::{Automaton, StateID},
    dfa::DFA,
    Anchored, MatchKind,
};

use crate::rules::Rule;

/// Keyword bytes the automaton sees; the rest is compared directly.
pub(super) const STEM: usize = 4;
/// Independent DFA walks interleaved in one loop. A DFA step is a chain of dependent loads;
/// walking four parts of the text at once overlaps their latencies.
const LANES: usize = 8;
/// Texts shorter than this are walked in one lane.
const MIN_LANE: usize = 4096;

#[derive(Debug)]
pub(crate) struct Keywords {
    dfa: Option<DFA>,
    /// Per stem pattern: its length.
    stem_len: Vec<usize>,
    /// Per stem pattern: the keywords that start with it.
    stems: Vec<Vec<usize>>,
    /// Lower-case keyword bytes.
    keywords: Vec<Vec<u8>>,
    /// Per keyword: the rules that own it.
    owners: Vec<Vec<usize>>,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Hit {
    pub keyword: usize,
    pub start: usize,
}

impl Keywords {
    pub fn new(rules: &[Rule]) -> Result<Keywords, String> {
        let mut keywords: Vec<Vec<u8>> = Vec::new();
        let mut owners: Vec<Vec<usize>> = Vec::new();
        let mut index = std::collections::HashMap::new();
        for (ri, rule) in rules.iter().enumerate() {
            for k in &rule.keywords {
                let kid = *index.entry(k.as_bytes().to_vec()).or_insert_with(|| {
                    keywords.push(k.as_bytes().to_vec());
                    owners.push(Vec::new());
                    keywords.len() - 1
                });
                if !owners[kid].contains(&ri) {
                    owners[kid].push(ri);
                }
            }
        }
        let mut stem_index = std::collections::HashMap::new();
        let mut stem_literals: Vec<&[u8]> = Vec::new();
        let mut stems: Vec<Vec<usize>> = Vec::new();
        for (kid, k) in keywords.iter().enumerate() {
            let stem = &k[..k.len().min(STEM)];
            let sid = *stem_index.entry(stem).or_insert_with(|| {
                stem_literals.push(stem);
                stems.push(Vec::new());
                stems.len() - 1
            });
            stems[sid].push(kid);
        }
        let stem_len = stem_literals.iter().map(|s| s.len()).collect();
        if stem_literals.is_empty() {
            return Ok(Keywords { dfa: None, stem_len, stems, keywords, owners });
        }
        let dfa = DFA::builder()
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .start_kind(aho_corasick::StartKind::Unanchored)
            .build(&stem_literals)
            .map_err(|e| format!("cannot build keyword automaton: {e}"))?;
        Ok(Keywords { dfa: Some(dfa), stem_len, stems, keywords, owners })
    }

    pub fn rules_of(&self, keyword: usize) -> &[usize] {
        &self.owners[keyword]
    }

    pub fn len_of(&self, keyword: usize) -> usize {
        self.keywords[keyword].len()
    }

    /// Calls `f` for every keyword occurrence in `lower` (the lower-cased text), overlapping
    /// ones included. Order is unspecified.
    // The lanes advance in lock step, so one index drives all of them.
    #[allow(clippy::needless_range_loop)]
    pub fn for_each_hit(&self, lower: &[u8], mut f: impl FnMut(Hit)) {
        let Some(dfa) = &self.dfa else { return };
        let Ok(start) = dfa.start_state(Anchored::No) else { return };
        let n = lower.len();
        if n < MIN_LANE {
            self.walk(dfa, start, lower, 0, 0, n, &mut f);
            return;
        }
        // Lane `l` reports the stems ending in `(bounds[l], bounds[l + 1]]`; it starts reading
        // `STEM` bytes early so its state is right when it gets there.
        let mut bounds = [0usize; LANES + 1];
        for (l, b) in bounds.iter_mut().enumerate() {
            *b = n * l / LANES;
        }
        let mut pos = [0usize; LANES];
        let mut sid = [start; LANES];
        for l in 0..LANES {
            pos[l] = bounds[l].saturating_sub(STEM);
        }
        let steps = (0..LANES).map(|l| bounds[l + 1] - pos[l]).min().unwrap_or(0);
        // One slice per lane, each exactly `steps` long, so the loop indexes without checks.
        let lanes: [&[u8]; LANES] = std::array::from_fn(|l| &lower[pos[l]..pos[l] + steps]);
        for i in 0..steps {
            for l in 0..LANES {
                let next = dfa.next_state(Anchored::No, sid[l], lanes[l][i]);
                sid[l] = next;
                if dfa.is_special(next) {
                    let end = pos[l] + i + 1;
                    if end > bounds[l] {
                        self.report(dfa, next, lower, end, &mut f);
                    }
                }
            }
        }
        for p in pos.iter_mut() {
            *p += steps;
        }
        for l in 0..LANES {
            self.walk(dfa, sid[l], lower, pos[l], bounds[l], bounds[l + 1], &mut f);
        }
    }

    /// One lane: from state `sid` at `from`, read to `to`, report stems ending after `after`.
    #[allow(clippy::too_many_arguments)]
    fn walk(
        &self,
        dfa: &DFA,
        mut sid: StateID,
        lower: &[u8],
        from: usize,
        after: usize,
        to: usize,
        f: &mut impl FnMut(Hit),
    ) {
        for (i, &b) in lower[from..to].iter().enumerate() {
            sid = dfa.next_state(Anchored::No, sid, b);
            let end = from + i + 1;
            if dfa.is_special(sid) && end > after {
                self.report(dfa, sid, lower, end, f);
            }
        }
    }

    /// Confirms the keywords of every stem ending at `end` (state `sid` is a match state).
    fn report(&self, dfa: &DFA, sid: StateID, lower: &[u8], end: usize, f: &mut impl FnMut(Hit)) {
        if !dfa.is_match(sid) {
            return;
        }
        for i in 0..dfa.match_len(sid) {
            let stem = dfa.match_pattern(sid, i).as_usize();
            let start = end - self.stem_len[stem];
            for &kid in &self.stems[stem] {
                if lower[start..].starts_with(&self.keywords[kid]) {
                    f(Hit { keyword: kid, start });
                }
            }
        }
    }
}

/// Streaming: the automaton walked one byte at a time, its state carried between pushes.
impl Keywords {
    /// The state before any text, or `None` when there are no keywords.
    pub fn stream_start(&self) -> Option<StateID> {
        self.dfa.as_ref().and_then(|dfa| dfa.start_state(Anchored::No).ok())
    }

    /// Walks the lower-cased `bytes` from state `sid`; calls `on_stems(i, state)` after each
    /// byte `i` where stems end. Returns the state after the last byte.
    #[inline]
    pub fn stream_walk(&self, mut sid: StateID, bytes: &[u8], mut on_stems: impl FnMut(usize, StateID)) -> StateID {
        let Some(dfa) = &self.dfa else { return sid };
        for (i, &b) in bytes.iter().enumerate() {
            sid = dfa.next_state(Anchored::No, sid, b);
            if dfa.is_special(sid) && dfa.is_match(sid) {
                on_stems(i, sid);
            }
        }
        sid
    }

    /// Every state the automaton reaches on lower-cased text, with a shortest such text. Each
    /// state stands for the longest suffix of the text read that begins a stem, so that text
    /// tells which suffixes begin stems.
    pub fn stream_states(&self) -> Vec<(StateID, Vec<u8>)> {
        let (Some(dfa), Some(start)) = (&self.dfa, self.stream_start()) else { return Vec::new() };
        let mut seen = std::collections::HashMap::new();
        seen.insert(start, Vec::new());
        let mut queue = std::collections::VecDeque::from([start]);
        while let Some(sid) = queue.pop_front() {
            let path = seen[&sid].clone();
            for b in (0..=255u8).filter(|b| !b.is_ascii_uppercase()) {
                let next = dfa.next_state(Anchored::No, sid, b);
                if dfa.is_dead(next) || seen.contains_key(&next) {
                    continue;
                }
                let mut p = path.clone();
                p.push(b);
                seen.insert(next, p);
                queue.push_back(next);
            }
        }
        seen.into_iter().collect()
    }

    /// Calls `f(stem_len, keywords)` for every stem ending in match state `sid`.
    pub fn stems_at(&self, sid: StateID, mut f: impl FnMut(usize, &[usize])) {
        let Some(dfa) = &self.dfa else { return };
        for i in 0..dfa.match_len(sid) {
            let stem = dfa.match_pattern(sid, i).as_usize();
            f(self.stem_len[stem], &self.stems[stem]);
        }
    }

    pub fn keyword(&self, kid: usize) -> &[u8] {
        &self.keywords[kid]
    }

    pub fn count(&self) -> usize {
        self.keywords.len()
    }
}

/// Lower-cases `hay` into `out` (ASCII only; other bytes unchanged), reusing its allocation.
pub(super) fn lowercase_into(hay: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend(hay.iter().map(u8::to_ascii_lowercase));
}
