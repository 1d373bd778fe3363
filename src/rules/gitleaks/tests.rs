//! Gitleaks import: the Go-syntax rewrite, the mapping of each field, and what is reported.

use super::*;
use crate::{detect::RuleSet, rules::Rule};

/// Imports `text` as `g.toml`; panics if the file itself is refused.
fn import_text(text: &str) -> Loaded {
    let table: toml::Table = text.parse().expect("valid TOML");
    assert!(looks_like_gitleaks(&table), "not detected as gitleaks:\n{text}");
    import("g.toml", &table).expect("imports")
}

fn only_rule(loaded: &Loaded) -> &Rule {
    assert_eq!(loaded.rules.len(), 1, "{:#?}", loaded.report);
    &loaded.rules[0]
}

/// `(rule id, secret)` of every finding in `text`.
fn found(loaded: Loaded, text: &str) -> Vec<(String, String)> {
    let set = RuleSet::new(loaded.rules).expect("rule set");
    set.scan(text.as_bytes())
        .iter()
        .map(|f| (set.rule(f.rule).id.clone(), text[f.secret.range()].to_string()))
        .collect()
}

/// The messages of the notices about `rule`, of `kind`.
fn notices(loaded: &Loaded, rule: &str, kind: NoticeKind) -> Vec<String> {
    loaded
        .report
        .notices
        .iter()
        .filter(|n| n.kind == kind && n.rule.as_deref() == Some(rule))
        .map(|n| n.message.clone())
        .collect()
}

#[test]
fn translate_rewrites_what_go_reads_differently() {
    // (Go pattern, secret group, our pattern)
    let rows: &[(&str, Option<usize>, &str)] = &[
        (r"ab\d{2,4}", None, r"ab\d{2,4}"),
        (r"a\sb\S", None, r"a[\t\n\f\r ]b[^\t\n\f\r ]"),
        (r"\Qa.b*\E+c", None, r"a\.b\*+c"),
        (r"\<tag\>", None, r"<tag>"),
        (r"x{,3}y{2}z{", None, r"x\{,3\}y{2}z\{"),
        (r"[^]]+]", None, r"[^\]]+\]"),
        (r"[-a&&b~~[e]", None, r"[\-a\&\&b\~\~\[e]"),
        (r"[+--]", None, r"[\+-\-]"),
        (r"[]a-]", None, r"[\]a\-]"),
        (r"[\s\d[:alpha:]]", None, r"[\t\n\f\r \d[:alpha:]]"),
        (r"\x41\x{42}\101\0", None, r"ABA\x{00}"),
        (r"\xE9", None, "é"),
        (r"(a)(?P<name>b)(?<other>c)(?:d)", Some(2), r"(a)(?P<secret>b)(c)(?:d)"),
        (r"(?i)(?P<secret>x)", None, r"(?i)(x)"),
        (r"(?<=a)b", None, r"(?<=a)b"),
    ];
    for &(go, secret, want) in rows {
        assert_eq!(re2::translate(go, secret).as_deref(), Ok(want), "{go}");
    }
    // What Go means by these cannot be said with byte classes.
    for go in [r"\pL+", r"[\p{Greek}]", r"[é]", r"[a-\x{E9}]", r"ab\", r"\1", "[ab"] {
        assert!(re2::translate(go, None).is_err(), "{go}");
    }
}

#[test]
fn translated_patterns_match_what_go_matches() {
    let hir_match = |pattern: &str, text: &str| {
        let re = crate::rules::build_regex(pattern).expect("compiles");
        re.is_match(text.as_bytes())
    };
    let go_cases: &[(&str, &str, bool)] = &[
        (r"a\sb", "a\x0Bb", false), // Go's \s has no vertical tab
        (r"a\sb", "a\tb", true),
        (r"\<x\>", "<x>", true),
        (r"x{,2}", "x{,2}", true),
        (r"[a&&b]", "&", true),
        (r"\xE9t\xE9", "été", true),
        (r"(?i)caf\x{E9}", "CAFé", true),
    ];
    for &(go, text, want) in go_cases {
        let ours = re2::translate(go, None).expect("translates");
        assert_eq!(hir_match(&ours, text), want, "{go} on {text:?}");
    }
}

#[test]
fn detection_keeps_our_format_strict() {
    let is_gitleaks = |text: &str| looks_like_gitleaks(&text.parse::<toml::Table>().expect("toml"));
    assert!(is_gitleaks("title = \"x\"\n"));
    assert!(is_gitleaks("[[rules]]\nid = \"a\"\nregex = 'a'\n"));
    assert!(is_gitleaks("[allowlist]\nstopwords = ['x']\n"));
    assert!(is_gitleaks("[Extend]\nuseDefault = true\n"));
    // Ours: a field only our format has decides, so a typo there is still an error.
    assert!(!is_gitleaks("[[rules]]\nid = \"a\"\ntitle = \"A\"\nregex = 'a'\n"));
    assert!(!is_gitleaks("[[rules]]\nid = \"a\"\nconfidance = \"high\"\nexamples = []\n"));
    assert!(!is_gitleaks(""));
    let e = crate::rules::parse_any(
        "t.toml",
        "[[rules]]\nid = \"a\"\ntitle = \"A\"\nregex = 'a'\nkeywords = []\nconfidance = 'high'\n",
    )
    .expect_err("our format, unknown field");
    assert!(e.to_string().contains("unknown field"), "{e}");
}

#[test]
fn plain_rule_maps_id_title_keywords_entropy_and_tags() {
    let loaded = import_text(
        r#"
title = "t"
[[rules]]
id = "Acme_API.Key"
description = "Acme API key"
regex = '''\bacme_[a-z0-9]{16}\b'''
keywords = ["ACME_"]
entropy = 3.5
tags = ["api"]
"#,
    );
    let r = only_rule(&loaded);
    assert_eq!(r.id, "gitleaks-acme-api-key");
    assert_eq!(r.title, "Acme API key (gitleaks rule `Acme_API.Key`)");
    assert_eq!(r.keywords, ["acme_"]);
    assert_eq!(r.tags, ["api", "gitleaks"]);
    assert_eq!(r.confidence, Confidence::Medium);
    assert!(r.examples.is_empty() && r.secret_group.is_none());
    // Strictly above 3.5, as gitleaks keeps it.
    let e = r.entropy.expect("entropy");
    assert!(e > 3.5 && e < 3.5 + 1e-12, "{e}");
    assert_eq!(loaded.report.notices[0].message, "read as a gitleaks config: 1 of 1 rules loaded");
}

#[test]
fn entropy_equal_to_the_threshold_is_not_reported() {
    // `acegbdfh`: exactly 3 bits per byte; gitleaks drops it at `entropy = 3`.
    let rule = |entropy: &str| {
        import_text(&format!(
            "[[rules]]\nid = \"e\"\nregex = '''k_([a-h]{{8}})'''\nsecretGroup = 1\nkeywords = [\"k_\"]\nentropy = {entropy}\n"
        ))
    };
    assert_eq!(found(rule("3"), "k_acegbdfh"), []);
    assert_eq!(found(rule("2.9"), "k_acegbdfh"), [("gitleaks-e".into(), "acegbdfh".into())]);
    assert_eq!(found(rule("0"), "k_aabbccdd").len(), 1, "0 means no entropy check");
}

#[test]
fn secret_group_becomes_the_secret() {
    let text = r#"
[[rules]]
id = "tok"
regex = '''(?i)(tok(?:en)?)\s{0,2}=\s{0,2}([a-z0-9]{12})'''
secretGroup = 2
keywords = ["tok"]
"#;
    assert_eq!(found(import_text(text), "TOKEN = q8zt2lmwv9xk"), [("gitleaks-tok".into(), "q8zt2lmwv9xk".into())]);
    // Without secretGroup, gitleaks takes the first non-empty group: group 1 here, always.
    let first = import_text(&text.replace("secretGroup = 2\n", ""));
    assert_eq!(found(first, "token = q8zt2lmwv9xk"), [("gitleaks-tok".into(), "token".into())]);
    // A group that may not take part cannot be named statically: skipped, with the reason.
    let optional = import_text(&text.replace("secretGroup = 2\n", "").replace("(tok(?:en)?)", "(tok(?:en)?)?tok"));
    assert!(optional.rules.is_empty());
    let why = notices(&optional, "tok", NoticeKind::Skipped);
    assert!(why[0].contains("first non-empty group"), "{why:?}");
    // A group the regex does not have.
    let missing = import_text(&text.replace("secretGroup = 2", "secretGroup = 3"));
    assert_eq!(
        notices(&missing, "tok", NoticeKind::Skipped),
        ["`secretGroup = 3`, but the regex has 2 capture groups"]
    );
}

#[test]
fn allowlists_old_and_new_forms_become_allow_patterns() {
    let loaded = import_text(
        r#"
[[rules]]
id = "tok"
regex = '''(?i)tok_([a-z0-9]{12})'''
secretGroup = 1
keywords = ["tok_"]
[rules.allowlist]
regexes = ['''^0000''']
stopwords = ["Sample"]
"#,
    );
    let hits = found(loaded, "tok_q8zt2lmwv9xk tok_0000zt2lmwv9 tok_q8samplewv9x tok_q8SAMPLEwv9x");
    assert_eq!(hits, [("gitleaks-tok".into(), "q8zt2lmwv9xk".into())]);
    let new_form = import_text(
        r#"
[[rules]]
id = "tok"
regex = '''tok_[a-z0-9]{12}'''
keywords = ["tok_"]
[[rules.allowlists]]
regexTarget = "match"
regexes = ['''^tok_0000''']
[[rules.allowlists]]
stopwords = ["sample"]
"#,
    );
    // The secret is the whole match, so a regex on the match applies.
    let hits = found(new_form, "tok_q8zt2lmwv9xk tok_0000zt2lmwv9 tok_q8samplewv9x");
    assert_eq!(hits, [("gitleaks-tok".into(), "tok_q8zt2lmwv9xk".into())]);
}

#[test]
fn allow_regexes_keep_their_case() {
    // A bare word is a case-sensitive regex in gitleaks (ours reads it as a case-insensitive
    // literal, so the import groups it).
    let loaded = import_text("[[rules]]\nid = \"t\"\nregex = '''tok_[a-z]{8}'''\nkeywords = [\"tok_\"]\n[allowlist]\nregexes = ['''abcd''']\n");
    let rule = only_rule(&loaded);
    assert_eq!(rule.allow.len(), 1);
    assert!(rule.allow[0].is_match(b"tok_abcdwxyz") && !rule.allow[0].is_match(b"tok_ABCDwxyz"));
}

#[test]
fn what_cannot_be_expressed_is_reported_per_rule() {
    let loaded = import_text(
        r#"
[[rules]]
id = "tok"
regex = '''tok_([a-z0-9]{12})'''
secretGroup = 1
path = '''\.env$'''
keywords = ["tok_"]
[[rules.allowlists]]
paths = ['''test/''']
commits = ["abc123"]
stopwords = ["sample"]
[[rules.allowlists]]
condition = "AND"
paths = ['''docs/''']
regexes = ['''^0''']
[[rules.allowlists]]
regexTarget = "line"
regexes = ['''#\s*fake''']
[[rules.allowlists]]
regexTarget = "match"
regexes = ['''^tok_0''']
[[rules.allowlists]]
condition = "AND"
regexes = ['''^0''']
stopwords = ["zz"]
"#,
    );
    let rule = only_rule(&loaded);
    assert_eq!(rule.allow.len(), 1, "only the stopwords of allowlist 1 carry over");
    let limits = notices(&loaded, "tok", NoticeKind::Limited);
    let expect = [
        "`path` ignored",
        "allowlist 1: `paths` ignored",
        "allowlist 1: `commits` ignored",
        "allowlist 2: ignored: `condition = \"AND\"` with `paths`",
        "allowlist 3: regexes on the line",
        "allowlist 4: regexes on the match dropped",
        "allowlist 5: ignored: `condition = \"AND\"` of regexes and stopwords",
    ];
    assert_eq!(limits.len(), expect.len(), "{limits:#?}");
    for (got, want) in limits.iter().zip(expect) {
        assert!(got.starts_with(want), "{got:?} should start with {want:?}");
    }
    // Messages never quote a stopword, a path or an allow regex.
    for n in &loaded.report.notices {
        let s = n.to_string();
        assert!(!s.contains("sample") && !s.contains("test/") && !s.contains("fake") && !s.contains("abc123"), "{s}");
    }
}

#[test]
fn skipped_rules_say_why() {
    let loaded = import_text(
        r#"
[[rules]]
id = "p12"
path = '''\.p12$'''
[[rules]]
id = "uni"
regex = '''key_\pL{8}'''
keywords = ["key_"]
[[rules]]
id = "empty"
regex = '''(?:zq_)?[a-z]{0,4}'''
[[rules]]
id = "part"
regex = '''part_[a-z]{8}'''
skipReport = true
[[rules]]
id = "dup"
regex = '''dup_[a-z]{8}'''
[[rules]]
id = "dup"
regex = '''dup2_[a-z]{8}'''
keywords = ["dup2_"]
[[rules]]
description = "no id"
regex = '''x_[a-z]{8}'''
[[rules]]
id = "bad-type"
regex = 3
[[rules]]
id = "lookahead"
regex = '''key(?=x)'''
"#,
    );
    let skipped = |rule: &str| {
        let v = notices(&loaded, rule, NoticeKind::Skipped);
        assert_eq!(v.len(), 1, "{rule}: {v:?}");
        v[0].clone()
    };
    assert!(skipped("p12").starts_with("path-only rule"));
    assert!(skipped("uni").contains("Unicode class"));
    assert!(skipped("empty").contains("empty string"));
    assert!(skipped("part").contains("skipReport"));
    assert!(skipped("dup").contains("later rule has the same id"));
    assert!(skipped("rules[7]").contains("no `id`"));
    assert!(skipped("bad-type").starts_with("invalid entry"));
    assert!(skipped("lookahead").starts_with("regex does not compile here"));
    let ids: Vec<&str> = loaded.rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["gitleaks-dup"]);
    assert_eq!(loaded.rules[0].keywords, ["dup2_"], "the last `dup` is the one kept");
    assert_eq!(loaded.report.skipped(), 8);
    assert_eq!(loaded.report.notices[0].message, "read as a gitleaks config: 1 of 9 rules loaded");
}

#[test]
fn global_allowlists_extend_and_unknown_keys() {
    let loaded = import_text(
        r#"
title = "t"
minVersion = "v8.25.0"
colour = "blue"
[extend]
useDefault = true
[[allowlists]]
targetRules = ["b"]
stopwords = ["sample"]
[[allowlists]]
paths = ['''vendor/''']
regexes = ['''_0000''']
[[rules]]
id = "a"
regex = '''a_[a-z0-9]{12}'''
keywords = ["a_"]
Entropy = 1
SecretGroup = 0
flavour = 1
[[rules]]
id = "b"
regex = '''b_[a-z0-9]{12}'''
keywords = "b_"
"#,
    );
    assert_eq!(loaded.rules.len(), 2);
    assert!(loaded.rules[0].entropy.is_some(), "keys are case-insensitive");
    assert_eq!(loaded.rules[1].keywords, ["b_"], "a single keyword is a list of one");
    let file_notes: Vec<&str> =
        loaded.report.notices.iter().filter(|n| n.rule.is_none()).map(|n| n.message.as_str()).collect();
    assert!(file_notes.iter().any(|m| m.contains("`colour`")), "{file_notes:?}");
    assert!(file_notes.iter().any(|m| m.starts_with("`[extend]` is not followed")), "{file_notes:?}");
    assert!(file_notes.iter().any(|m| m.starts_with("global allowlist 2: `paths` ignored")), "{file_notes:?}");
    assert!(notices(&loaded, "a", NoticeKind::Info).iter().any(|m| m.contains("`flavour`")));
    let hits = found(loaded, "a_q8zt2lmwv9xk a_0000zt2lmwv9 a_q8samplewv9x b_q8samplewv9x b_q8zt2lmwv9xk");
    let ids: Vec<&str> = hits.iter().map(|(id, _)| id.as_str()).collect();
    // The stopword allowlist targets `b` only; the regex one applies to both.
    assert_eq!(ids, ["gitleaks-a", "gitleaks-a", "gitleaks-b"]);
    assert_eq!(hits[1].1, "a_q8samplewv9x");
}

#[test]
fn keyword_contract_is_checked_and_generic_ids_are_tagged() {
    let loaded = import_text(
        r#"
[[rules]]
id = "generic-api-key"
regex = '''(?i)(?:api|auth)[_-]?key\s{0,3}=\s{0,3}([a-z0-9]{16})'''
secretGroup = 1
keywords = ["API", "auth"]
[[rules]]
id = "password"
regex = '''(?i)passw(?:or)?d\s{0,2}=\s{0,2}([a-z0-9]{12})'''
secretGroup = 1
keywords = ["passwd", "password"]
[[rules]]
id = "elsewhere"
regex = '''[a-f0-9]{32}'''
keywords = ["hash"]
"#,
    );
    assert!(loaded.rules[0].tags.contains(&"generic".to_string()));
    assert!(notices(&loaded, "generic-api-key", NoticeKind::Limited).is_empty());
    assert!(notices(&loaded, "password", NoticeKind::Limited).is_empty(), "`passw(?:or)?d` spells both keywords");
    let limits = notices(&loaded, "elsewhere", NoticeKind::Limited);
    assert!(limits.len() == 1 && limits[0].starts_with("no keyword is provably part of every match"), "{limits:?}");
}

#[test]
fn ids_that_collide_in_kebab_case_stay_apart() {
    let loaded =
        import_text("[[rules]]\nid = \"a_b\"\nregex = 'ab_[a-z]{4}'\n[[rules]]\nid = \"a-b\"\nregex = 'ab-[a-z]{4}'\n");
    let ids: Vec<&str> = loaded.rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["gitleaks-a-b", "gitleaks-a-b-2"]);
    assert_eq!(notices(&loaded, "a-b", NoticeKind::Info), ["loaded as `gitleaks-a-b-2` (its usual id is taken)"]);
    RuleSet::new(loaded.rules).expect("distinct ids");
}

#[test]
fn broken_structure_is_one_error_without_values() {
    let table: toml::Table = "rules = \"s3cr3t-value\"\n".parse().expect("toml");
    assert!(looks_like_gitleaks(&"title = 'x'\nrules = 'y'\n".parse().expect("toml")));
    let e = import("g.toml", &table).expect_err("rules must be a list").to_string();
    assert!(e.starts_with("g.toml: invalid rule file: gitleaks config:"), "{e}");
    assert!(!e.contains("s3cr3t"), "{e}");
}
