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
}
