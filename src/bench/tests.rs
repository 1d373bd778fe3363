use super::*;
use crate::test_rules::{rule, set};

/// A set finding `tok_` + 16 alphanumerics, and a corpus with one such secret found, one
/// labeled secret of another shape (a miss), and one unlabeled `tok_` value (a false positive).
fn fixture() -> (PatternSet, Corpus) {
    let rules = set(&rule("tok", "tok_[a-z0-9]{16}", &["tok_"], ""));
    let found = "tok_a1b2c3d4e5f6g7h8";
    let other = "zzz_9y8x7w6v5u4t3s2r";
    let stray = "tok_q1w2e3r4t5y6u7i8";
    let labeled = format!("key {found} and {other}");
    let documents = vec![
        Document {
            name: "a.txt".into(),
            labels: vec![
                Label { start: 4, end: 4 + found.len(), rule: Some("tok".into()) },
                Label { start: 9 + found.len(), end: 9 + found.len() + other.len(), rule: None },
            ],
            text: labeled,
        },
        Document { name: "<b>.txt".into(), labels: vec![], text: format!("sample value {stray} here") },
    ];
    let pattern_set = PatternSet {
        name: "fixture".into(),
        source: "test".into(),
        rules: Arc::new(rules),
        build: Build { seconds: 0.0, rss_bytes: None, hyperscan: None },
        notices: vec![],
    };
    (pattern_set, Corpus { source: "fixture".into(), documents, labeled: true })
}

fn config() -> Config {
    Config { engines: vec![Engine::Regex], deltas: vec![1, 4], repeat: 2 }
}

#[test]
fn quality_counts_hits_misses_and_false_positives() {
    let (set, corpus) = fixture();
    let mut stages = Vec::new();
    let report = run(std::slice::from_ref(&set), &corpus, &config(), &mut |p| stages.push((p.stage, p.done, p.total)))
        .expect("runs");
    let r = &report.results[0];
    let q = r.quality.as_ref().expect("labeled");
    assert_eq!((q.labels, q.found, q.findings, q.true_positives, q.false_positives), (2, 1, 2, 1, 1));
    assert_eq!((q.precision, q.recall), (0.5, 0.5));
    assert!((q.f1 - 0.5).abs() < 1e-9);
    assert_eq!(q.rule_agreement, Some(1.0), "the one label naming a rule was found by it");
    assert_eq!(r.false_positives.len(), 1);
    assert_eq!(r.false_positives[0].document, "<b>.txt");
    assert_eq!(r.false_positives[0].preview, "tok_…", "a quarter of the secret, at most 4 characters");
    assert_eq!(r.misses[0].preview, "zzz_…");
    assert_eq!(r.streaming.iter().map(|s| s.delta).collect::<Vec<_>>(), [1, 4]);
    assert!(r.streaming.iter().all(|s| s.held_bytes.max >= 16), "a secret in the making is held");
    assert_eq!(r.rule_cost.len(), 1);
    assert_eq!(r.rule_cost[0].rule, "tok");
    assert!(r.rule_cost[0].seconds > 0.0);
    // Progress counts up to its total, and ends with `done`.
    let last = stages.last().copied().expect("progress");
    assert_eq!((last.0, last.1), ("done", last.2));
    assert!(stages.windows(2).all(|w| w[0].1 <= w[1].1));
}

#[test]
fn json_report_has_the_documented_schema() {
    let (set, corpus) = fixture();
    let report = run(&[set], &corpus, &config(), &mut |_| {}).expect("runs");
    let v = serde_json::to_value(&report).expect("serializes");
    assert_eq!(v["schema"], SCHEMA);
    for key in ["source", "documents", "bytes", "labeled", "secrets"] {
        assert!(v["corpus"].get(key).is_some(), "corpus.{key}");
    }
    let r = &v["results"][0];
    for key in [
        "set",
        "source",
        "engine",
        "rules",
        "build",
        "notices",
        "one_shot",
        "streaming",
        "quality",
        "false_positives",
        "misses",
        "rule_cost",
    ] {
        assert!(r.get(key).is_some(), "results[].{key}");
    }
    assert_eq!(r["engine"], "regex");
    assert!(r["streaming"][0]["release_delay"]["p99"].is_u64());
    assert!(!v.to_string().contains("a1b2c3d4"), "no secret in the report");
}

#[test]
fn unlabeled_corpora_have_no_quality() {
    let (set, mut corpus) = fixture();
    corpus.labeled = false;
    for d in &mut corpus.documents {
        d.labels.clear();
    }
    let report = run(&[set], &corpus, &config(), &mut |_| {}).expect("runs");
    assert!(report.results[0].quality.is_none());
    assert!(report.results[0].false_positives.is_empty());
    assert_eq!(report.results[0].one_shot.findings, 2);
}

#[test]
fn html_is_self_contained_and_escaped() {
    let (set, corpus) = fixture();
    let report = run(&[set], &corpus, &config(), &mut |_| {}).expect("runs");
    let page = html::render(&report);
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert_eq!(page.matches("<svg").count(), 3, "throughput, quality, rule cost");
    assert!(!page.contains("<script"), "no script");
    for attr in ["src=", "href=", "url(", "@import"] {
        assert!(!page.contains(attr), "no external resource ({attr})");
    }
    assert!(page.contains("&lt;b&gt;.txt") && !page.contains("<b>.txt"), "document names are escaped");
    assert!(!page.contains("a1b2c3d4"), "no secret in the page");
}

#[test]
fn sets_load_from_builtin_and_files_with_their_cost() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("mine.toml");
    std::fs::write(&path, rule("tok", "tok_[a-z0-9]{16}", &["tok_"], "")).expect("write");
    let set = load_set(&path.display().to_string()).expect("loads");
    assert_eq!((set.name.as_str(), set.rules.len()), ("mine", 1));
    assert!(set.build.seconds > 0.0);
    let err = load_set(&dir.path().join("missing.toml").display().to_string());
    assert!(err.is_err());
}

#[test]
#[cfg(feature = "hyperscan")]
fn both_engines_find_the_same_and_only_regex_streams() {
    let (set, corpus) = fixture();
    let config = Config { engines: vec![Engine::Regex, Engine::Hyperscan], ..config() };
    let report = run(&[set], &corpus, &config, &mut |_| {}).expect("runs");
    let [regex, hs] = &report.results[..] else { panic!("two rows: {}", report.results.len()) };
    assert_eq!((regex.engine, hs.engine), (Engine::Regex, Engine::Hyperscan));
    assert_eq!(regex.one_shot.findings, hs.one_shot.findings);
    let (a, b) = (regex.quality.as_ref().expect("labeled"), hs.quality.as_ref().expect("labeled"));
    assert_eq!((a.found, a.findings, a.true_positives), (b.found, b.findings, b.true_positives));
    assert_eq!(regex.streaming.len(), 2);
    assert!(hs.streaming.is_empty(), "streams run on the regex engine: no figures for hyperscan");
    let db = hs.build.hyperscan.as_ref().expect("the database's cost");
    assert!(db.database_bytes > 0 && db.fallbacks.is_empty());
    assert!(hs.build.seconds >= db.seconds && regex.build.hyperscan.is_none());
    assert_eq!(hs.rule_cost.len(), 1);
}

#[test]
#[cfg(not(feature = "hyperscan"))]
fn hyperscan_without_the_feature_is_a_clear_error() {
    let (set, corpus) = fixture();
    let config = Config { engines: vec![Engine::Hyperscan], ..config() };
    let err = run(&[set], &corpus, &config, &mut |_| {}).expect_err("no hyperscan in this build");
    assert!(err.to_string().contains("--features hyperscan"), "{err}");
}
