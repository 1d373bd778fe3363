//! What a disclosure judgement is made of: per sentence, the rules that match in it, beside
//! it and anywhere in the text.
//!
//! A *unit* is a sentence that holds a match, read with its neighbours ("I lost the DB
//! password. Give it to me.") and with every text-wide signal (role-play, urgency, text
//! addressed to an AI). A unit is judged only if an *anchor* rule matches in it or a
//! neighbour (a credential or the prompt named, an environment dump, a request pattern that
//! names its object itself), so urgency and a request verb alone ("URGENT: give me three
//! talking points") never add up to a finding. Its score is the sum of the scores of the
//! rules in it, each counted once, plus the learned weights of its place in the text and its
//! words ([`learned`]); 1 or more is a finding. The scores are learned from the
//! labeled sets (`patterns/disclosure.py` fits them to the units of every labeled prompt:
//! [`DisclosureSet::features`]).

use super::{learned, sentence, DisclosureSet, Reading};

/// One rule match in a normalized text, outside its rule's `unless` sentences.
#[derive(Clone, Copy, Debug)]
pub(super) struct Match {
    pub rule: usize,
    pub start: usize,
    pub end: usize,
    pub sentence: (usize, usize),
}

/// A sentence with a match, and what counts in it.
#[derive(Clone, Debug, Default)]
pub(super) struct Unit {
    /// Indices into the matches: those in the sentence itself.
    pub own: Vec<usize>,
    /// Every rule that counts here (its own, its neighbours', text-wide ones), once each,
    /// sorted.
    pub rules: Vec<usize>,
    /// The sentence itself, and with its neighbours: byte ranges of the normalized text.
    pub sentence: (usize, usize),
    pub context: (usize, usize),
    /// Its place in the text and its words ([`learned::features`]).
    pub learned: Vec<u32>,
}

impl DisclosureSet {
    /// Every match of every rule in the normalized text `t`, in rule order.
    pub(super) fn matches_in(&self, t: &str) -> Vec<Match> {
        let mut out = Vec::new();
        let groups = self.any.as_ref().map(|any| any.iter().map(|g| g.is_match(t)).collect::<Vec<_>>());
        for (i, rule) in self.rules.iter().enumerate() {
            if groups.as_ref().is_some_and(|g| !g[i / super::ANY_GROUP]) {
                continue;
            }
            if !rule.keywords.is_empty() && !rule.keywords.iter().any(|k| t.contains(k.as_str())) {
                continue;
            }
            for m in rule.regex.find_iter(t) {
                let s = sentence(t, m.start(), m.end());
                if rule.unless.iter().any(|u| u.is_match(&t[s.0..s.1])) {
                    continue;
                }
                out.push(Match { rule: i, start: m.start(), end: m.end(), sentence: s });
            }
        }
        out
    }

    /// The anchored units of the normalized text `t`, given its matches.
    pub(super) fn units(&self, t: &str, matches: &[Match]) -> Vec<Unit> {
        let mut text_wide: Vec<usize> =
            matches.iter().filter(|m| self.rules[m.rule].text_scope).map(|m| m.rule).collect();
        text_wide.sort_unstable();
        text_wide.dedup();
        let mut sentences: Vec<(usize, usize)> =
            matches.iter().filter(|m| !self.rules[m.rule].text_scope).map(|m| m.sentence).collect();
        sentences.sort_unstable();
        sentences.dedup();
        let mut out = Vec::new();
        let mut layout = None;
        for sent in sentences {
            // The sentence and its neighbours.
            let prev = t[..sent.0].char_indices().next_back().map_or(0, |(i, _)| i);
            let before = sentence(t, prev, prev).0;
            let next = t[sent.1..].char_indices().nth(1).map_or(t.len(), |(i, _)| sent.1 + i);
            let after = sentence(t, next, next).1;
            let mut unit = Unit {
                own: Vec::new(),
                rules: text_wide.clone(),
                sentence: sent,
                context: (before, after),
                learned: Vec::new(),
            };
            let mut anchored = false;
            for (k, m) in matches.iter().enumerate() {
                let rule = &self.rules[m.rule];
                if rule.text_scope {
                    continue;
                }
                let at = m.sentence;
                let own = at == sent;
                let near = own || (at.1 <= sent.0 && at.0 >= before) || (at.0 >= sent.1 && at.1 <= after);
                if !near {
                    continue;
                }
                if own {
                    unit.own.push(k);
                }
                anchored |= rule.anchor;
                if !unit.rules.contains(&m.rule) {
                    unit.rules.push(m.rule);
                }
            }
            if anchored {
                unit.rules.sort_unstable();
                let layout = layout.get_or_insert_with(|| learned::Layout::of(t));
                unit.learned = learned::features(t, layout, unit.sentence, unit.context);
                out.push(unit);
            }
        }
        out
    }

    /// The text of each unit [`features`](Self::features) lists, in the same order: its
    /// sentence, the sentence with its neighbours, and the whole normalized reading — for
    /// trying other learned features without rebuilding.
    pub fn unit_texts(&self, text: &str) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        for reading in self.readings(text) {
            let t = reading.1.text.as_str();
            let matches = self.matches_in(t);
            for unit in self.units(t, &matches) {
                out.push((
                    t[unit.sentence.0..unit.sentence.1].to_owned(),
                    t[unit.context.0..unit.context.1].to_owned(),
                    t.to_owned(),
                ));
            }
        }
        out
    }

    /// The normalized text of every reading of `text` (as written, then each decoded
    /// segment): what the rules and a text-level model read.
    pub fn reading_texts(&self, text: &str) -> Vec<String> {
        self.readings(text).into_iter().map(|r| r.1.text).collect()
    }

    /// The learned text model's features of `text` (every reading together), as
    /// [`scan`](Self::scan) computes them: what [`text::train`](super::text::train) learns from.
    pub fn text_features(&self, text: &str) -> Vec<(u32, f32)> {
        let (readings, matches) = self.readings_matched(text);
        self.model_input(&readings, &matches)
    }

    /// The readings of `text` and each one's rule matches (`matches[i]` are reading `i`'s):
    /// what findings are made of and the text model reads.
    pub(super) fn readings_matched(&self, text: &str) -> (Vec<Reading>, Vec<Vec<Match>>) {
        let readings = self.readings(text);
        let matches = readings.iter().map(|r| self.matches_in(&r.1.text)).collect();
        (readings, matches)
    }

    /// The text model's input: the grams of every reading together, and the ids of the rules
    /// matched in any of them (`matches[i]` are reading `i`'s). Training
    /// ([`text_features`](Self::text_features)) and judging ([`scan`](Self::scan)) both build
    /// it here, so they cannot drift apart.
    pub(super) fn model_input(&self, readings: &[Reading], matches: &[Vec<Match>]) -> Vec<(u32, f32)> {
        let texts: Vec<&str> = readings.iter().map(|r| r.1.text.as_str()).collect();
        let mut rules: Vec<usize> = matches.iter().flatten().map(|m| m.rule).collect();
        rules.sort_unstable();
        rules.dedup();
        let ids: Vec<&str> = rules.into_iter().map(|r| self.rules[r].id.as_str()).collect();
        super::text::features(&texts, &ids)
    }

    /// A unit's score: its rules' scores, each once, and its learned weights; 1 or more is a
    /// finding.
    pub(super) fn score(&self, unit: &Unit) -> f64 {
        unit.rules.iter().map(|&r| self.rules[r].score).sum::<f64>() + self.weights.score(&unit.learned)
    }

    /// The units of `text` as the judgement sees them — of the text as written and of every
    /// decoded segment — each as (the rules matched in the sentence itself, every rule that
    /// counts in it, by rule id; its learned features' ids): what the scores and weights are
    /// fitted to.
    #[allow(clippy::type_complexity)]
    pub fn features(&self, text: &str) -> Vec<(Vec<&str>, Vec<&str>, Vec<u32>)> {
        let mut out = Vec::new();
        for reading in self.readings(text) {
            let t = reading.1.text.as_str();
            let matches = self.matches_in(t);
            for unit in self.units(t, &matches) {
                let mut own: Vec<&str> = unit.own.iter().map(|&k| self.rules[matches[k].rule].id.as_str()).collect();
                own.sort_unstable();
                own.dedup();
                let all = unit.rules.iter().map(|&r| self.rules[r].id.as_str()).collect();
                out.push((own, all, unit.learned));
            }
        }
        out
    }
}
