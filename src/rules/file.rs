//! The rule file as written on disk. Unknown fields are errors so typos never silently
//! disable a filter.

use serde::Deserialize;

use super::{Confidence, Kind, Validator};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    pub title: String,
    pub regex: String,
    /// Required (an empty list must be written out) so a rule never drops the prefilter by omission.
    pub keywords: Vec<String>,
    #[serde(default)]
    pub kind: Kind,
    pub entropy: Option<f64>,
    pub validator: Option<Validator>,
    #[serde(default)]
    pub allow: Vec<String>,
    pub confidence: Confidence,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
    /// Disclosure-request rules only: regexes on the normalized sentence around a match; if
    /// one matches, the match is not a request (`how do I print env vars in bash`).
    #[serde(default)]
    pub unless: Vec<String>,
    /// Disclosure-request rules only: how much a match counts (default 1, enough alone). Weaker
    /// signals (a credential named, a reveal verb, urgency) add up within a sentence; a
    /// negative score (a how-to question) takes away.
    pub score: Option<f64>,
    /// Disclosure-request rules only: `sentence` (default) or `text` — a signal about the whole
    /// text (role-play framing, urgency) counts in every sentence of it.
    pub scope: Option<String>,
    /// Disclosure-request signals only: a sentence is a finding only if an anchor signal (a
    /// credential or the prompt named, an environment dump) is in it or the one before.
    #[serde(default)]
    pub anchor: bool,
}
