//! The gitleaks config as written, read the way gitleaks reads it (viper): keys match
//! case-insensitively (they are lower-cased before serde sees them), unknown keys are ignored
//! (the import lists them), and scalars convert loosely (`entropy = 3`, `keywords = "x"`,
//! `secretGroup = "2"`). Rules and allowlists stay raw values at the top so that one broken
//! entry skips that entry, not the file.

use serde::{de::Error as _, Deserialize, Deserializer};

/// The keys gitleaks knows (lower-cased), at the top, in a rule and in an allowlist
/// (`targetrules` only in global ones); the import notes any other as ignored.
pub(super) const TOP_FIELDS: [&str; 7] =
    ["title", "description", "minversion", "extend", "rules", "allowlist", "allowlists"];
pub(super) const RULE_FIELDS: [&str; 12] = [
    "id",
    "description",
    "regex",
    "path",
    "secretgroup",
    "entropy",
    "keywords",
    "tags",
    "allowlist",
    "allowlists",
    "required",
    "skipreport",
];
pub(super) const ALLOWLIST_FIELDS: [&str; 8] =
    ["description", "condition", "commits", "paths", "regextarget", "regexes", "stopwords", "targetrules"];

/// The config as gitleaks reads it (keys lower-cased). Rules and allowlists stay raw values
/// here so that one broken entry skips that entry, not the file.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ConfigFile {
    pub(super) extend: Option<toml::Value>,
    pub(super) rules: Vec<toml::Value>,
    pub(super) allowlist: Option<OneOrMany<toml::Value>>,
    pub(super) allowlists: Vec<toml::Value>,
}

/// One `[[rules]]` entry.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RuleEntry {
    pub(super) id: String,
    pub(super) description: String,
    pub(super) regex: Option<String>,
    pub(super) path: Option<String>,
    #[serde(rename = "secretgroup", deserialize_with = "loose_usize")]
    pub(super) secret_group: usize,
    #[serde(deserialize_with = "loose_f64")]
    pub(super) entropy: f64,
    #[serde(deserialize_with = "string_list")]
    pub(super) keywords: Vec<String>,
    #[serde(deserialize_with = "string_list")]
    pub(super) tags: Vec<String>,
    pub(super) allowlist: Option<OneOrMany<toml::Value>>,
    pub(super) allowlists: Vec<toml::Value>,
    pub(super) required: Vec<toml::Value>,
    #[serde(rename = "skipreport")]
    pub(super) skip_report: bool,
}

/// A rule's or the global allowlist (`targetRules` only in global ones).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct AllowlistEntry {
    pub(super) condition: String,
    #[serde(deserialize_with = "string_list")]
    pub(super) commits: Vec<String>,
    #[serde(deserialize_with = "string_list")]
    pub(super) paths: Vec<String>,
    #[serde(rename = "regextarget")]
    pub(super) regex_target: String,
    #[serde(deserialize_with = "string_list")]
    pub(super) regexes: Vec<String>,
    #[serde(deserialize_with = "string_list")]
    pub(super) stopwords: Vec<String>,
    #[serde(rename = "targetrules", deserialize_with = "string_list")]
    pub(super) target_rules: Vec<String>,
}

/// A list, or one value where gitleaks takes a list of one.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum OneOrMany<T> {
    Many(Vec<T>),
    One(T),
}

impl<T> OneOrMany<T> {
    pub(super) fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::Many(v) => v,
            OneOrMany::One(x) => vec![x],
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Int(i64),
    Float(f64),
    Text(String),
}

fn loose_f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    match Scalar::deserialize(d)? {
        Scalar::Int(i) => Ok(i as f64),
        Scalar::Float(f) => Ok(f),
        Scalar::Text(s) => s.trim().parse().map_err(|_| D::Error::custom("expected a number")),
    }
}

fn loose_usize<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    let bad = || D::Error::custom("expected a whole number");
    let n = match Scalar::deserialize(d)? {
        Scalar::Int(i) => i,
        Scalar::Float(f) if f.fract() == 0.0 && f.abs() < 1e9 => f as i64,
        Scalar::Float(_) => return Err(bad()),
        Scalar::Text(s) => s.trim().parse().map_err(|_| bad())?,
    };
    // Gitleaks reads a group of 0 or less as "no group".
    Ok(usize::try_from(n).unwrap_or(0))
}

fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(OneOrMany::<String>::deserialize(d)?.into_vec())
}

/// Keys lower-cased at every level, as viper reads them.
pub(super) fn lower_keys(table: &toml::Table) -> toml::Table {
    fn lower(v: &toml::Value) -> toml::Value {
        match v {
            toml::Value::Table(t) => toml::Value::Table(lower_keys(t)),
            toml::Value::Array(a) => toml::Value::Array(a.iter().map(lower).collect()),
            other => other.clone(),
        }
    }
    table.iter().map(|(k, v)| (k.to_lowercase(), lower(v))).collect()
}
