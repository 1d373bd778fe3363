//! The keyword prefilter: one aho-corasick automaton over every rule's keywords.
//!
//! Keywords are ASCII case-insensitive and searched with overlapping semantics: `npm` and
//! `npm_` both report at the same place, so no keyword can hide another.

use aho_corasick::{automaton::OverlappingState, AhoCorasick, AhoCorasickKind, Input, MatchKind};

use crate::rules::Rule;

#[derive(Debug)]
pub(super) struct Keywords {
    ac: Option<AhoCorasick>,
    /// Per keyword pattern: the rules that own it.
    owners: Vec<Vec<usize>>,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Hit {
    pub pattern: usize,
    pub start: usize,
    pub end: usize,
}

impl Keywords {
    pub fn new(rules: &[Rule]) -> Result<Keywords, String> {
        let mut literals: Vec<String> = Vec::new();
        let mut owners: Vec<Vec<usize>> = Vec::new();
        let mut index = std::collections::HashMap::new();
        for (ri, rule) in rules.iter().enumerate() {
            for k in &rule.keywords {
                let pid = *index.entry(k.clone()).or_insert_with(|| {
                    literals.push(k.clone());
                    owners.push(Vec::new());
                    literals.len() - 1
                });
                if !owners[pid].contains(&ri) {
                    owners[pid].push(ri);
                }
            }
        }
        if literals.is_empty() {
            return Ok(Keywords { ac: None, owners });
        }
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&literals)
            .map_err(|e| format!("cannot build keyword automaton: {e}"))?;
        Ok(Keywords { ac: Some(ac), owners })
    }

    pub fn rules_of(&self, pattern: usize) -> &[usize] {
        &self.owners[pattern]
    }

    /// Every keyword occurrence, overlapping ones included.
    pub fn hits<'a>(&'a self, hay: &'a [u8]) -> impl Iterator<Item = Hit> + 'a {
        let mut state = OverlappingState::start();
        let input = Input::new(hay);
        std::iter::from_fn(move || {
            let ac = self.ac.as_ref()?;
            ac.find_overlapping(input.clone(), &mut state);
            state.get_match().map(|m| Hit { pattern: m.pattern().as_usize(), start: m.start(), end: m.end() })
        })
    }
}
