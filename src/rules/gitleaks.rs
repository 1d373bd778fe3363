//! Gitleaks configs as rule files: `--rules gitleaks.toml` imports a gitleaks config's rules
//! into our [`Rule`] model, and reports every rule it skips and every part of a rule it cannot
//! carry over ([`LoadReport`]), so nothing is dropped silently.
//!
//! Gitleaks reads its config with viper: keys match case-insensitively, unknown keys are
//! ignored and scalars convert loosely (`entropy = 3`, `keywords = "x"`). We accept the same
//! (keys are lower-cased before the serde structs see them), and list unknown keys as notes —
//! our own format stays strict (`deny_unknown_fields`); a file is read as gitleaks' only when
//! it looks like one ([`looks_like_gitleaks`]).
//!
//! What maps: `regex` (Go syntax, rewritten by [`re2`]), `secretGroup` (that group becomes
//! our `secret` group; without it, gitleaks takes the first non-empty group, which we can name
//! only when group 1 always takes part), `keywords` (lower-cased, as gitleaks does), `entropy`
//! (gitleaks keeps a secret whose entropy is *above* the value, ours at or above it: the
//! next float up), `tags` (plus `gitleaks`, and `generic` when the id says generic — gitleaks
//! too lets generic findings yield to specific ones), and the allowlists' `stopwords` and
//! regexes on the secret (on the match, when the secret is the whole match) as `allow`
//! patterns. The rest is reported: path-only and `skipReport` rules are skipped, `paths`,
//! `commits`, line regexes and AND conditions our alternatives cannot express are dropped
//! (more findings, never fewer), `[extend]` is not followed.

mod format;
mod re2;
#[cfg(test)]
mod tests;

use std::{collections::HashMap, fmt};

use format::{lower_keys, AllowlistEntry, ConfigFile, OneOrMany, RuleEntry, ALLOWLIST_FIELDS, RULE_FIELDS, TOP_FIELDS};

use super::{compile_with, Confidence, Examples, Kind, Loaded, RuleError, RuleSpec};

/// What a [`Notice`] says about a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeKind {
    /// The rule was not loaded.
    Skipped,
    /// The rule was loaded without part of what it says (an allowlist, a path filter).
    Limited,
    /// For information: what the file was read as, unknown keys, renamed ids.
    Info,
}

/// One thing loading a file could not carry over, or should say. Messages name fields, rule
/// ids and positions, never a pattern's or a stopword's text (they may hold secrets).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    pub file: String,
    /// The rule as gitleaks names it (`rules[3]` when it has no id); `None` for the file.
    pub rule: Option<String>,
    pub message: String,
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = if self.kind == NoticeKind::Skipped { "warning" } else { "note" };
        write!(f, "{level}: {}: ", self.file)?;
        if let Some(rule) = &self.rule {
            write!(f, "gitleaks rule `{rule}`: ")?;
        }
        if self.kind == NoticeKind::Skipped {
            f.write_str("skipped: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Every [`Notice`] of a load, in file and rule order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadReport {
    pub notices: Vec<Notice>,
}

impl LoadReport {
    /// How many rules were skipped.
    pub fn skipped(&self) -> usize {
        self.notices.iter().filter(|n| n.kind == NoticeKind::Skipped).count()
    }
}

/// Whether a parsed TOML file is a gitleaks config rather than ours: no rule has a field only
/// ours has (`title`, `confidence`, `examples`, …), and the file has a gitleaks top-level key
/// (`title`, `description`, `minVersion`, `[extend]`, `[allowlist]`, `[[allowlists]]`) or
/// rules. Anything else is ours, parsed strictly.
pub fn looks_like_gitleaks(table: &toml::Table) -> bool {
    const OURS_ONLY: [&str; 12] = [
        "title",
        "confidence",
        "examples",
        "negative_examples",
        "allow",
        "validator",
        "kind",
        "references",
        "unless",
        "score",
        "scope",
        "anchor",
    ];
    const GITLEAKS_TOP: [&str; 6] = ["title", "description", "minversion", "extend", "allowlist", "allowlists"];
    let rules: Vec<&toml::Value> = table
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("rules"))
        .filter_map(|(_, v)| v.as_array())
        .flatten()
        .collect();
    let ours = rules.iter().any(|r| r.as_table().is_some_and(|t| t.keys().any(|k| OURS_ONLY.contains(&k.as_str()))));
    !ours && (!rules.is_empty() || table.keys().any(|k| GITLEAKS_TOP.contains(&k.to_lowercase().as_str())))
}

/// Imports the rules of a gitleaks config. Fails only when the file's own structure is
/// broken; a broken rule or allowlist is skipped with a notice.
pub fn import(file: &str, table: &toml::Table) -> Result<Loaded, RuleError> {
    let mut notes = Notes { file, out: Vec::new() };
    let lowered = lower_keys(table);
    unknown_fields(&lowered, &TOP_FIELDS, None, "", &mut notes);
    let config: ConfigFile = toml::Value::Table(lowered).try_into().map_err(|e: toml::de::Error| RuleError::Parse {
        file: file.to_string(),
        message: format!("gitleaks config: {}", unquoted(e.message())),
    })?;
    if config.extend.is_some() {
        notes.file(
            NoticeKind::Info,
            "`[extend]` is not followed: only this file's rules are loaded (the built-in rules stand in for gitleaks' defaults)",
        );
    }
    let old = config.allowlist.map(OneOrMany::into_vec).unwrap_or_default();
    if !old.is_empty() && !config.allowlists.is_empty() {
        notes.file(NoticeKind::Info, "both `[allowlist]` and `[[allowlists]]` (gitleaks refuses that): both apply");
    }
    let mut globals = Vec::new();
    for (n, raw) in old.into_iter().chain(config.allowlists).enumerate() {
        let label = format!("global allowlist {}", n + 1);
        if let Some(allow) = allowlist(&raw, &label, true, None, &mut notes) {
            for lost in &allow.lost {
                notes.file(NoticeKind::Limited, &format!("{label}: {lost}"));
            }
            if !allow.on_match.is_empty() {
                notes.file(
                    NoticeKind::Limited,
                    &format!("{label}: regexes on the match apply only to rules whose secret is the whole match"),
                );
            }
            globals.push(allow);
        }
    }
    let total = config.rules.len();
    let rules = import_rules(config.rules, &globals, &mut notes)?;
    let known: Vec<&str> = rules.iter().map(|(original, _)| original.as_str()).collect();
    for target in globals.iter().flat_map(|g| &g.targets) {
        if !known.contains(&target.as_str()) {
            notes.file(NoticeKind::Info, &format!("`targetRules` names `{target}`, which no loaded rule has"));
        }
    }
    let mut out = notes.out;
    out.insert(
        0,
        Notice {
            kind: NoticeKind::Info,
            file: file.to_string(),
            rule: None,
            message: format!("read as a gitleaks config: {} of {total} rules loaded", rules.len()),
        },
    );
    Ok(Loaded { rules: rules.into_iter().map(|(_, r)| r).collect(), report: LoadReport { notices: out } })
}

/// Converts and compiles every rule; returns the loaded ones with their gitleaks ids.
fn import_rules(
    raw: Vec<toml::Value>,
    globals: &[Allow],
    notes: &mut Notes<'_>,
) -> Result<Vec<(String, super::Rule)>, RuleError> {
    // Gitleaks keeps the last of two rules with one id.
    let mut last: HashMap<String, usize> = HashMap::new();
    for (n, r) in raw.iter().enumerate() {
        if let Some(id) = r.get("id").and_then(toml::Value::as_str) {
            last.insert(id.to_string(), n);
        }
    }
    let mut taken: HashMap<String, usize> = HashMap::new();
    let mut rules = Vec::new();
    for (n, value) in raw.into_iter().enumerate() {
        let label = match value.get("id").and_then(toml::Value::as_str) {
            Some(id) if !id.trim().is_empty() => id.to_string(),
            _ => format!("rules[{}]", n + 1),
        };
        if let Some(table) = value.as_table() {
            unknown_fields(table, &RULE_FIELDS, Some(&label), "", notes);
        }
        if last.get(&label).is_some_and(|&l| l != n) {
            notes.rule(NoticeKind::Skipped, &label, "a later rule has the same id (gitleaks keeps the last)");
            continue;
        }
        let entry: RuleEntry = match value.try_into() {
            Ok(e) => e,
            Err(e) => {
                let e: toml::de::Error = e;
                notes.rule(NoticeKind::Skipped, &label, &format!("invalid entry: {}", unquoted(e.message())));
                continue;
            }
        };
        if entry.id.trim().is_empty() {
            notes.rule(NoticeKind::Skipped, &label, "no `id` (gitleaks refuses a rule without one)");
            continue;
        }
        let id = unique_id(&entry.id, &mut taken);
        let converted = match convert(&entry, id.clone(), globals, &label, notes) {
            Ok(c) => c,
            Err(reason) => {
                notes.rule(NoticeKind::Skipped, &label, &reason);
                continue;
            }
        };
        let (spec, limits) = converted;
        match compile_with(notes.file, spec, Examples::Imported) {
            Ok(rule) => {
                for l in limits {
                    notes.rule(NoticeKind::Limited, &label, &l);
                }
                if id != format!("gitleaks-{}", kebab(&entry.id)) {
                    notes.rule(NoticeKind::Info, &label, &format!("loaded as `{id}` (its usual id is taken)"));
                }
                rules.push((entry.id, rule));
            }
            Err(RuleError::Rule { message, .. }) => notes.rule(NoticeKind::Skipped, &label, &message),
            Err(e) => return Err(e),
        }
    }
    Ok(rules)
}

/// A gitleaks rule as our spec, and what it loses on the way (limitations).
fn convert(
    entry: &RuleEntry,
    id: String,
    globals: &[Allow],
    label: &str,
    notes: &mut Notes<'_>,
) -> Result<(RuleSpec, Vec<String>), String> {
    let mut limits = Vec::new();
    if entry.skip_report {
        return Err("`skipReport = true`: gitleaks reports it only as part of a composite rule".into());
    }
    let has_path = entry.path.as_deref().is_some_and(|p| !p.is_empty());
    let Some(go) = entry.regex.as_deref().filter(|r| !r.is_empty()) else {
        return Err(if has_path {
            "path-only rule: it matches file names, and streamed text has none".into()
        } else {
            "no `regex`".into()
        });
    };
    if has_path {
        limits.push("`path` ignored: the regex applies to all text, not only to files whose path matches".into());
    }
    if !entry.required.is_empty() {
        limits.push("`[[rules.required]]` (composite rule) ignored: it reports without its companion rules".into());
    }
    let first = re2::translate(go, None).map_err(|e| format!("regex: {e}"))?;
    let hir = parse_hir(&first).map_err(|e| format!("regex does not compile here: {e}"))?;
    let groups = hir.properties().explicit_captures_len();
    let secret = match entry.secret_group {
        0 if groups == 0 => None,
        // Gitleaks takes the first non-empty group: group 1, if it always is one.
        0 if re2::always_captures(&hir, 1) => Some(1),
        0 => {
            return Err("no `secretGroup`, and capture group 1 can be empty or absent: gitleaks then takes the \
                        first non-empty group, which depends on the match (set `secretGroup`)"
                .into())
        }
        n if n > groups => {
            return Err(format!("`secretGroup = {n}`, but the regex has {groups} capture groups"));
        }
        n => Some(n),
    };
    let pattern = match secret {
        Some(_) => re2::translate(go, secret).map_err(|e| format!("regex: {e}"))?,
        None => first,
    };
    let whole_match = secret.is_none() || parse_hir(&pattern).is_ok_and(|h| super::secret_is_whole_match(&h));
    let keywords: Vec<String> = entry.keywords.iter().map(|k| k.to_lowercase()).collect();
    if !keywords.is_empty() && !re2::always_contains(&hir, &keywords) {
        limits.push(
            "no keyword is provably part of every match: gitleaks reads keywords as a filter on the whole file, \
             here only text around a keyword is searched"
                .into(),
        );
    }
    // Gitleaks keeps a secret whose entropy is above `entropy`; ours, at or above it. 0 (or
    // less) means no check in gitleaks.
    let entropy =
        (entry.entropy > 0.0 && entry.entropy.is_finite()).then(|| f64::from_bits(entry.entropy.to_bits() + 1));
    let mut allow = Vec::new();
    let old: &[toml::Value] = match &entry.allowlist {
        Some(OneOrMany::Many(v)) => v,
        Some(OneOrMany::One(x)) => std::slice::from_ref(x),
        None => &[],
    };
    if !old.is_empty() && !entry.allowlists.is_empty() {
        limits.push("both `[rules.allowlist]` and `[[rules.allowlists]]` (gitleaks refuses that): both apply".into());
    }
    for (n, raw) in old.iter().chain(&entry.allowlists).enumerate() {
        let Some(a) = allowlist(raw, &format!("allowlist {}", n + 1), false, Some(label), notes) else { continue };
        limits.extend(a.lost.iter().map(|l| format!("allowlist {}: {l}", n + 1)));
        allow.extend(a.on_secret.iter().cloned());
        if whole_match {
            allow.extend(a.on_match.iter().cloned());
        } else if !a.on_match.is_empty() {
            limits.push(format!(
                "allowlist {}: regexes on the match dropped: the secret is a capture group, and allow patterns see only the secret",
                n + 1
            ));
        }
    }
    for g in globals.iter().filter(|g| g.targets.is_empty() || g.targets.contains(&entry.id)) {
        allow.extend(g.on_secret.iter().cloned());
        if whole_match {
            allow.extend(g.on_match.iter().cloned());
        }
    }
    let mut tags = entry.tags.clone();
    let generic = entry.id.to_lowercase().contains("generic").then_some("generic");
    for tag in std::iter::once("gitleaks").chain(generic) {
        if !tags.iter().any(|t| t == tag) {
            tags.push(tag.into());
        }
    }
    let description = entry.description.trim();
    let title = if description.is_empty() {
        format!("gitleaks rule `{}`", entry.id)
    } else {
        format!("{description} (gitleaks rule `{}`)", entry.id)
    };
    let spec = RuleSpec {
        id,
        title,
        regex: pattern,
        keywords,
        kind: Kind::Secret,
        entropy,
        validator: None,
        allow,
        // Gitleaks has no confidence; medium ranks an imported rule below our high-confidence
        // provider rules on overlap, and above low-confidence generic ones.
        confidence: Confidence::Medium,
        tags,
        references: Vec::new(),
        examples: Vec::new(),
        negative_examples: Vec::new(),
        unless: Vec::new(),
        score: None,
        scope: None,
        anchor: false,
    };
    Ok((spec, limits))
}

/// An allowlist as our `allow` patterns, with what it loses.
#[derive(Debug, Default)]
struct Allow {
    /// Patterns on the secret: regexes with `regexTarget = "secret"` and the stopwords.
    on_secret: Vec<String>,
    /// Regexes with `regexTarget = "match"`: patterns on the secret only where it is the
    /// whole match.
    on_match: Vec<String>,
    /// What of the allowlist cannot apply here, and why.
    lost: Vec<String>,
    /// `targetRules`: the gitleaks ids a global allowlist is for (empty: all).
    targets: Vec<String>,
}

/// Reads one allowlist; `None` (with a notice) when the entry is not an allowlist at all.
fn allowlist(raw: &toml::Value, label: &str, global: bool, rule: Option<&str>, notes: &mut Notes<'_>) -> Option<Allow> {
    let fields: &[&str] = if global { &ALLOWLIST_FIELDS } else { &ALLOWLIST_FIELDS[..7] };
    if let Some(table) = raw.as_table() {
        unknown_fields(table, fields, rule, &format!("{label}: "), notes);
    }
    let entry: AllowlistEntry = match raw.clone().try_into() {
        Ok(e) => e,
        Err(e) => {
            let e: toml::de::Error = e;
            let message = format!("{label} ignored: {}", unquoted(e.message()));
            match rule {
                Some(r) => notes.rule(NoticeKind::Limited, r, &message),
                None => notes.file(NoticeKind::Limited, &message),
            }
            return None;
        }
    };
    Some(convert_allowlist(entry))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Secret,
    Match,
    Line,
}

fn convert_allowlist(entry: AllowlistEntry) -> Allow {
    let mut allow = Allow { targets: entry.target_rules, ..Allow::default() };
    let ignored = |mut allow: Allow, why: &str| {
        allow.lost.push(format!("ignored: {why}"));
        allow
    };
    let and = match entry.condition.to_uppercase().as_str() {
        "" | "OR" | "||" => false,
        "AND" | "&&" => true,
        _ => return ignored(allow, "unknown `condition` (gitleaks refuses it)"),
    };
    let target = match entry.regex_target.as_str() {
        "" | "secret" => Target::Secret,
        "match" => Target::Match,
        "line" => Target::Line,
        _ => return ignored(allow, "unknown `regexTarget` (gitleaks refuses it)"),
    };
    let (paths, commits) = (!entry.paths.is_empty(), !entry.commits.is_empty());
    let (regexes, stopwords) = (!entry.regexes.is_empty(), !entry.stopwords.is_empty());
    if !(paths || commits || regexes || stopwords) {
        return ignored(allow, "it checks nothing (gitleaks refuses that)");
    }
    if and && (paths || commits) {
        return ignored(allow, "`condition = \"AND\"` with `paths` or `commits`: it applies only in the files or commits it names, and streamed text has neither");
    }
    if and && regexes && stopwords {
        return ignored(allow, "`condition = \"AND\"` of regexes and stopwords: allow patterns are alternatives, so both at once cannot be asked");
    }
    if paths {
        allow.lost.push("`paths` ignored: streamed text has no path".into());
    }
    if commits {
        allow.lost.push("`commits` ignored: streamed text has no commit".into());
    }
    if regexes && target == Target::Line {
        allow.lost.push(
            "regexes on the line (`regexTarget = \"line\"`) ignored: filters never look outside the match".into(),
        );
    }
    if regexes && target != Target::Line {
        for (n, go) in entry.regexes.iter().enumerate() {
            // Grouped, so that a plain word stays a case-sensitive regex (`allow` reads a bare
            // word as a case-insensitive literal).
            let pattern = re2::translate(go, None).map(|p| format!("(?:{p})"));
            match pattern.and_then(|p| super::build_allow(&p).map(|_| p).map_err(|_| "does not compile here".into())) {
                Ok(p) if target == Target::Secret => allow.on_secret.push(p),
                Ok(p) => allow.on_match.push(p),
                Err(why) => allow.lost.push(format!("regex {} dropped: {why}", n + 1)),
            }
        }
    }
    // Stopwords: case-insensitive substrings of the secret, one pattern for all of them.
    let words: Vec<String> =
        entry.stopwords.iter().filter(|w| !w.is_empty()).map(|w| regex_syntax::escape(&w.to_lowercase())).collect();
    if words.len() < entry.stopwords.len() {
        allow.lost.push("an empty stopword ignored".into());
    }
    if !words.is_empty() {
        allow.on_secret.push(format!("(?i)(?:{})", words.join("|")));
    }
    allow
}

/// Collects notices for one file.
struct Notes<'a> {
    file: &'a str,
    out: Vec<Notice>,
}

impl Notes<'_> {
    fn file(&mut self, kind: NoticeKind, message: &str) {
        self.out.push(Notice { kind, file: self.file.to_string(), rule: None, message: message.to_string() });
    }

    fn rule(&mut self, kind: NoticeKind, rule: &str, message: &str) {
        self.out.push(Notice {
            kind,
            file: self.file.to_string(),
            rule: Some(rule.to_string()),
            message: message.to_string(),
        });
    }
}

/// Notes keys gitleaks does not know (it ignores them; so do we).
fn unknown_fields(table: &toml::Table, known: &[&str], rule: Option<&str>, prefix: &str, notes: &mut Notes<'_>) {
    for key in table.keys().filter(|k| !known.contains(&k.to_lowercase().as_str())) {
        let message = format!("{prefix}unknown field `{key}` ignored (gitleaks ignores it too)");
        match rule {
            Some(r) => notes.rule(NoticeKind::Info, r, &message),
            None => notes.file(NoticeKind::Info, &message),
        }
    }
}

/// `gitleaks-` and the id in kebab case; a taken one gets `-2`, `-3`, ….
fn unique_id(original: &str, taken: &mut HashMap<String, usize>) -> String {
    let base = format!("gitleaks-{}", kebab(original));
    let count = taken.entry(base.clone()).or_insert(0);
    *count += 1;
    if *count == 1 {
        base
    } else {
        format!("{base}-{count}")
    }
}

/// Lower-case ASCII letters and digits, every other run of characters one dash.
fn kebab(id: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in id.chars() {
        if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
            dash = false;
        } else {
            dash = true;
        }
    }
    if out.is_empty() {
        out.push_str("rule");
    }
    out
}

/// The syntax tree of a translated pattern, parsed as rules compile; the error's kind only
/// (the full error quotes the pattern).
fn parse_hir(pattern: &str) -> Result<regex_syntax::hir::Hir, String> {
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .map_err(|e| super::syntax_error(&e))
}

/// A deserializer's message with quoted values taken out (a wrong-typed field may hold a
/// secret).
fn unquoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut inside = false;
    for c in message.chars() {
        if c == '"' {
            if !inside {
                out.push_str("\"…\"");
            }
            inside = !inside;
        } else if !inside {
            out.push(c);
        }
    }
    out
}
