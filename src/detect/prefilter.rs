//! The keyword prefilter: one aho-corasick DFA over every keyword's first bytes.
//!
//! Keywords are ASCII case-insensitive. The text is lower-cased into a scratch buffer once
//! (a vectorised copy, far cheaper than a case-insensitive automaton) and the automaton runs
//! over *stems* — each keyword cut to its first `STEM` bytes — which keeps the DFA small
//! enough to stay in cache; a stem hit is confirmed by comparing the whole keyword. The
//! search is overlapping, so no keyword (`npm`) can hide another (`npm_`).

use aho_corasick::{automaton::OverlappingState, AhoCorasick, AhoCorasickKind, Input, MatchKind};

use crate::rules::Rule;

/// Keyword bytes the automaton sees; the rest is compared directly.
const STEM: usize = 4;

#[derive(Debug)]
pub(super) struct Keywords {
    ac: Option<AhoCorasick>,
    /// Per stem pattern: the keywords that start with it.
    stems: Vec<Vec<usize>>,
    /// Lower-case keyword bytes.
    keywords: Vec<Vec<u8>>,
    /// Per keyword: the rules that own it.
    owners: Vec<Vec<usize>>,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Hit {
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
        if stem_literals.is_empty() {
            return Ok(Keywords { ac: None, stems, keywords, owners });
        }
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&stem_literals)
            .map_err(|e| format!("cannot build keyword automaton: {e}"))?;
        Ok(Keywords { ac: Some(ac), stems, keywords, owners })
    }

    pub fn rules_of(&self, keyword: usize) -> &[usize] {
        &self.owners[keyword]
    }

    pub fn len_of(&self, keyword: usize) -> usize {
        self.keywords[keyword].len()
    }

    /// Calls `f` for every keyword occurrence in `lower` (the lower-cased text), overlapping
    /// ones included, in order of their stem's end.
    pub fn for_each_hit(&self, lower: &[u8], mut f: impl FnMut(Hit)) {
        let Some(ac) = &self.ac else { return };
        let mut state = OverlappingState::start();
        let input = Input::new(lower);
        loop {
            ac.find_overlapping(input.clone(), &mut state);
            let Some(m) = state.get_match() else { break };
            for &kid in &self.stems[m.pattern().as_usize()] {
                if lower[m.start()..].starts_with(&self.keywords[kid]) {
                    f(Hit { keyword: kid, start: m.start() });
                }
            }
        }
    }
}

/// Lower-cases `hay` into `out` (ASCII only; other bytes unchanged), reusing its allocation.
pub(super) fn lowercase_into(hay: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend(hay.iter().map(u8::to_ascii_lowercase));
}
