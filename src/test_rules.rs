//! Inline rule sets for unit tests, so engine and stream tests do not move when `patterns/`
//! changes.

use crate::{rules, RuleSet};

/// A compiled set from rule-file text.
pub(crate) fn set(toml: &str) -> RuleSet {
    RuleSet::new(rules::parse("test.toml", toml).expect("rules parse")).expect("rule set")
}

/// One `[[rules]]` entry; `extra` adds fields (`tags = [...]`, `entropy = ...`).
pub(crate) fn rule(id: &str, regex: &str, keywords: &[&str], extra: &str) -> String {
    let kw: Vec<String> = keywords.iter().map(|k| format!("{k:?}")).collect();
    format!(
        "[[rules]]\nid = {id:?}\ntitle = \"t\"\nregex = '''{regex}'''\nkeywords = [{}]\nconfidence = \"high\"\n{extra}\nexamples = [\"x\"]\nnegative_examples = [\"y\"]\n\n",
        kw.join(", ")
    )
}
