//! `rules check`: every rule against its own examples, with the whole set loaded, so a rule
//! that steals another's examples or fires on a negative is caught before it ships.

use super::{RuleSet, UNBOUNDED_WINDOW};

/// A problem found by [`check`]. Warnings fail only in strict mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub severity: Severity,
    pub file: String,
    pub rule: String,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev}: {}: rule `{}`: {}", self.file, self.rule, self.message)
    }
}

/// A remark on a rule that is no problem: how an engine searches it. Never counted as a
/// warning or an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub file: String,
    pub rule: String,
    pub message: String,
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "note: {}: rule `{}`: {}", self.file, self.rule, self.message)
    }
}

/// Totals for the summary line.
#[derive(Debug, Default, Clone, Copy)]
pub struct Summary {
    pub rules: usize,
    pub examples: usize,
    pub negative_examples: usize,
}

/// Checks every rule's examples against the whole set. Messages never quote example text.
///
/// Built with the `hyperscan` feature, every example and negative example is also scanned by
/// the hyperscan engine, whose findings must equal the regex engine's.
pub fn check(set: &RuleSet) -> (Summary, Vec<Problem>) {
    let (summary, problems, _) = check_with_notes(set);
    (summary, problems)
}

/// [`check`], and the [`notes`] of the same engines (built once: a hyperscan database of the
/// built-in rules takes seconds to compile).
pub fn check_with_notes(set: &RuleSet) -> (Summary, Vec<Problem>, Vec<Note>) {
    let mut problems = Vec::new();
    let mut summary = Summary { rules: set.len(), ..Summary::default() };
    let engines = Engines::new(set, &mut problems);
    for (index, rule) in set.rules().iter().enumerate() {
        let mut report = |severity, message: String| {
            problems.push(Problem { severity, file: rule.origin.clone(), rule: rule.id.clone(), message });
        };
        if rule.max_len.is_none() {
            report(
                Severity::Warning,
                format!("regex has an unbounded repetition; matches are only found within {UNBOUNDED_WINDOW} bytes of a keyword and streams must hold back that much"),
            );
        }
        if rule.keywords.is_empty() {
            report(Severity::Warning, "no keywords: the regex runs over every byte of every text".into());
        }
        for (n, example) in rule.examples.iter().enumerate() {
            summary.examples += 1;
            let n = n + 1;
            let hay = example.as_bytes();
            let found = set.scan(hay);
            let exhaustive = set.scan_exhaustive(hay);
            if found != exhaustive {
                report(Severity::Error, format!("example {n}: keyword search and exhaustive search disagree (does every match contain a keyword?)"));
            }
            if let Some(engine) = engines.disagrees(hay, &found) {
                report(Severity::Error, format!("example {n}: the {engine} engine and the regex engine disagree"));
            }
            if found.iter().any(|f| f.rule == index) {
                continue;
            }
            match found.first() {
                Some(other) => report(
                    Severity::Error,
                    format!("example {n}: found by `{}` instead of this rule", set.rule(other.rule).id),
                ),
                None => report(Severity::Error, format!("example {n}: not found")),
            }
        }
        for (n, negative) in rule.negative_examples.iter().enumerate() {
            summary.negative_examples += 1;
            let hay = negative.as_bytes();
            let found = set.scan(hay);
            if let Some(engine) = engines.disagrees(hay, &found) {
                report(
                    Severity::Error,
                    format!("negative example {}: the {engine} engine and the regex engine disagree", n + 1),
                );
            }
            if let Some(f) = found.first() {
                report(Severity::Error, format!("negative example {}: matched by `{}`", n + 1, set.rule(f.rule).id));
            } else if !set.scan_exhaustive(hay).is_empty() {
                report(
                    Severity::Error,
                    format!(
                        "negative example {}: matched by an exhaustive search only (keyword contract broken)",
                        n + 1
                    ),
                );
            }
        }
    }
    (summary, problems, engines.notes(set))
}

/// Notes on the set's rules: built with the `hyperscan` feature, the rules the hyperscan engine
/// cannot take and searches through their keywords, and why. Empty otherwise.
pub fn notes(set: &RuleSet) -> Vec<Note> {
    Engines::new(set, &mut Vec::new()).notes(set)
}

/// The engines besides the regex engine this build has, each checked against it.
struct Engines<'a> {
    #[cfg(feature = "hyperscan")]
    hyperscan: Option<super::hyperscan::HyperscanScanner<'a>>,
    #[cfg(not(feature = "hyperscan"))]
    set: std::marker::PhantomData<&'a RuleSet>,
}

impl<'a> Engines<'a> {
    #[cfg(feature = "hyperscan")]
    fn new(set: &'a RuleSet, problems: &mut Vec<Problem>) -> Engines<'a> {
        let hyperscan = match super::hyperscan::HyperscanScanner::new(set) {
            Ok(hs) => Some(hs),
            Err(e) => {
                problems.push(Problem {
                    severity: Severity::Warning,
                    file: "<hyperscan>".into(),
                    rule: "*".into(),
                    message: format!("the hyperscan engine is unavailable, its findings are not checked: {e}"),
                });
                None
            }
        };
        Engines { hyperscan }
    }

    #[cfg(not(feature = "hyperscan"))]
    fn new(_: &'a RuleSet, _: &mut Vec<Problem>) -> Engines<'a> {
        Engines { set: std::marker::PhantomData }
    }

    /// How the engines search the rules, where it is not the regex engine's way.
    fn notes(&self, set: &RuleSet) -> Vec<Note> {
        #[cfg(feature = "hyperscan")]
        if let Some(hs) = &self.hyperscan {
            return hs
                .fallbacks()
                .iter()
                .map(|f| {
                    let r = set.rule(f.rule);
                    Note { file: r.origin.clone(), rule: r.id.clone(), message: f.describe(set) }
                })
                .collect();
        }
        let _ = set;
        Vec::new()
    }

    /// The name of an engine whose findings on `hay` differ from the regex engine's `found`.
    fn disagrees(&self, hay: &[u8], found: &[super::Finding]) -> Option<&'static str> {
        #[cfg(feature = "hyperscan")]
        if let Some(hs) = &self.hyperscan {
            if hs.scan(hay) != found {
                return Some("hyperscan");
            }
        }
        let _ = (hay, found);
        None
    }
}
