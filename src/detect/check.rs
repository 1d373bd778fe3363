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

/// Totals for the summary line.
#[derive(Debug, Default, Clone, Copy)]
pub struct Summary {
    pub rules: usize,
    pub examples: usize,
    pub negative_examples: usize,
}

/// Checks every rule's examples against the whole set. Messages never quote example text.
pub fn check(set: &RuleSet) -> (Summary, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut summary = Summary { rules: set.len(), ..Summary::default() };
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
    (summary, problems)
}
