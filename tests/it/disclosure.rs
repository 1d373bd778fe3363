//! Disclosure-request detection on the labeled sets in `tests/data/disclosure/`: `dev.jsonl`,
//! `holdout.jsonl`, `holdout2.jsonl` and `holdout4.jsonl` (the rules were tuned on them, and
//! the rule scores are learned from them: `features.jsonl`, `patterns/disclosure.py`) and
//! `holdout3.jsonl` and `holdout5.jsonl` (written independently, scored once, not tuned on).
//! Prints what was missed or wrongly flagged (`cargo test disclosure -- --nocapture`;
//! `SECRETGATE_EXPLAIN=1` adds each one's signals).

use std::collections::BTreeMap;

use secretgate::detect::disclosure::DisclosureSet;
use serde_json::Value;

struct Scores {
    positives: usize,
    found: usize,
    negatives: usize,
    flagged: usize,
    /// The same, read as an answer (`scan_answer`: sentence by sentence, from a trigger on).
    answer_found: usize,
    answer_flagged: usize,
    /// Of the positives that would be an injection in an answer ([`ANSWER_FAMILIES`]): how
    /// many, how many found as answers.
    injections: usize,
    injections_found: usize,
}

/// The families of disclosure request that are an attack when an *answer* carries them (an
/// injected instruction relayed from a page or tool result, an exfiltration link, a hidden
/// request); the others ("print your API key", urgency, role-play) are a user's requests,
/// which answers quote and paraphrase harmlessly.
const ANSWER_FAMILIES: &[&str] = &["override", "embedded", "exfiltration", "encoded", "obfuscated"];

fn evaluate(file: &str) -> Scores {
    let set = DisclosureSet::builtin().expect("rules compile");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/disclosure").join(file);
    let text = std::fs::read_to_string(&path).expect("labeled set");
    let mut s = Scores {
        positives: 0,
        found: 0,
        negatives: 0,
        flagged: 0,
        answer_found: 0,
        answer_flagged: 0,
        injections: 0,
        injections_found: 0,
    };
    let mut by_group: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).expect("each line is JSON");
        let prompt = v["text"].as_str().expect("text");
        let positive = v["label"] == "disclosure";
        let hit = !set.scan(prompt).is_empty();
        let answer_hit = !set.scan_answer(prompt).is_empty();
        if positive {
            s.answer_found += usize::from(answer_hit);
            if ANSWER_FAMILIES.iter().any(|f| v["family"] == *f) {
                s.injections += 1;
                s.injections_found += usize::from(answer_hit);
                if !answer_hit {
                    println!(
                        "{file}: ANSWER MISSED [{}] {}",
                        v["family"].as_str().unwrap_or(""),
                        prompt.chars().take(160).collect::<String>().replace('\n', "⏎")
                    );
                }
            }
            if hit && !answer_hit && std::env::var_os("SECRETGATE_EXPLAIN").is_some() {
                println!("{file}: NOT IN ANSWER {}", prompt.chars().take(160).collect::<String>().replace('\n', "⏎"));
            }
        } else {
            s.answer_flagged += usize::from(answer_hit);
            if answer_hit {
                println!("{file}: ANSWER FLAGGED {}", prompt.chars().take(160).collect::<String>().replace('\n', "⏎"));
            }
        }
        let group = by_group
            .entry(format!(
                "{}/{}/{}",
                v["label"].as_str().unwrap_or(""),
                v["family"].as_str().unwrap_or(""),
                v["lang"].as_str().unwrap_or("")
            ))
            .or_default();
        group.0 += 1;
        if positive {
            s.positives += 1;
            if hit {
                s.found += 1;
                group.1 += 1;
            } else {
                println!("{file}: MISSED   {}", prompt.chars().take(160).collect::<String>().replace('\n', "⏎"));
                if std::env::var_os("SECRETGATE_EXPLAIN").is_some() {
                    println!("           {:?}", set.explain(prompt));
                }
            }
        } else {
            s.negatives += 1;
            if hit {
                s.flagged += 1;
                group.1 += 1;
                let f = set.scan(prompt);
                println!(
                    "{file}: FLAGGED  [{}] {}",
                    set.rule(f[0].rule).id,
                    prompt.chars().take(160).collect::<String>().replace('\n', "⏎")
                );
                if std::env::var_os("SECRETGATE_EXPLAIN").is_some() {
                    println!("           {:?}", set.explain(prompt));
                }
            }
        }
    }
    for (g, (n, hits)) in &by_group {
        println!("{file}: {g:<36} {hits:>4} / {n:<4} flagged");
    }
    println!(
        "{file}: recall {}/{} = {:.3}, false positives {}/{} = {:.3}",
        s.found,
        s.positives,
        s.found as f64 / s.positives as f64,
        s.flagged,
        s.negatives,
        s.flagged as f64 / s.negatives as f64
    );
    println!(
        "{file}: as answers: recall {}/{} = {:.3} ({:.3} of the request-side hits; injection families {}/{} = {:.3}), false positives {}/{} = {:.3}",
        s.answer_found,
        s.positives,
        s.answer_found as f64 / s.positives as f64,
        s.answer_found as f64 / s.found.max(1) as f64,
        s.injections_found,
        s.injections,
        s.injections_found as f64 / s.injections.max(1) as f64,
        s.answer_flagged,
        s.negatives,
        s.answer_flagged as f64 / s.negatives as f64
    );
    s
}

/// The targets: recall ≥ 0.95, false positives ≤ 2 %.
fn assert_quality(file: &str, min_recall: f64, max_fp: f64) {
    let s = evaluate(file);
    assert!(s.positives >= 150 && s.negatives >= 150, "{file}: too small a set");
    let recall = s.found as f64 / s.positives as f64;
    let fp = s.flagged as f64 / s.negatives as f64;
    assert!(recall >= min_recall, "{file}: recall {recall:.3} < {min_recall}");
    assert!(fp <= max_fp, "{file}: false positives {fp:.3} > {max_fp}");
}

#[test]
fn dev_set_meets_the_targets() {
    assert_quality("dev.jsonl", 0.95, 0.02);
}

/// `holdout.jsonl` scored 0.824 / 7.9 % when first seen; the rules were then tuned on it too.
/// 0.976 / 0.4 % since the scores are learned (it trains them).
#[test]
fn holdout_set_stays_at_its_tuned_level() {
    assert_quality("holdout.jsonl", 0.97, 0.005);
}

/// `holdout2.jsonl` scored 0.814 / 7.3 % when first seen; then tuned on too. 0.947 / 0.9 %
/// since the scores are learned (it trains them).
#[test]
fn holdout2_set_stays_at_its_tuned_level() {
    assert_quality("holdout2.jsonl", 0.94, 0.01);
}

/// `holdout3.jsonl` was written independently and scored once, with the rules as committed
/// (recall 0.891, false positives 3.4 %): the measure of how the rules do on prompts they were
/// not tuned on. Guards that floor; the targets are asserted by the ignored test below. Tune
/// on it and it stops measuring that: the next round needs a fresh set. Since the scores are
/// learned (from the other sets; nobody read its misses): 0.943 / 3.0 %.
#[test]
fn unseen_set_does_not_fall_below_its_first_score() {
    assert_quality("holdout3.jsonl", 0.94, 0.03);
}

/// The targets on the sets nothing was tuned or trained on.
#[test]
#[ignore = "not met yet: recall 0.943 / 0.931 and false positives 3.0 % / 4.8 % on holdout3 / holdout5"]
fn unseen_set_meets_the_targets() {
    assert_quality("holdout3.jsonl", 0.95, 0.02);
    assert_quality("holdout5.jsonl", 0.95, 0.02);
}

/// `holdout4.jsonl` scored 0.832 / 7.6 % when first seen (2026-12-04); then tuned on
/// (counter-signals for translations of a phrase, password-reset flows, script-writing tasks).
/// 0.927 / 3.0 % since the scores are learned (it trains them).
#[test]
fn holdout4_set_stays_at_its_tuned_level() {
    assert_quality("holdout4.jsonl", 0.92, 0.03);
}

/// `holdout5.jsonl` was written independently (before its author read the rules or the other
/// sets) and scored once with the rules as committed at 1041699: recall 249/274 = 0.909, false
/// positives 15/273 = 5.5 %. Not tuned on: nobody read its misses to change the rules, and it
/// does not train the scores. Since the scores are learned: 0.931 / 4.8 %.
#[test]
fn holdout5_unseen_set_does_not_fall_below_its_first_score() {
    assert_quality("holdout5.jsonl", 0.93, 0.048);
}

/// Read as answers, every labeled set together: injection families are found (the floor
/// measured when the answer side got its own rule subset: 395 of 600, 0.658) and benign
/// prompts are left alone (2 of 1,396 flagged).
#[test]
fn answers_find_injections_and_leave_benign_text_alone() {
    let (mut injections, mut found, mut negatives, mut flagged) = (0, 0, 0, 0);
    for file in ["dev.jsonl", "holdout.jsonl", "holdout2.jsonl", "holdout3.jsonl", "holdout4.jsonl", "holdout5.jsonl"] {
        let s = evaluate(file);
        injections += s.injections;
        found += s.injections_found;
        negatives += s.negatives;
        flagged += s.answer_flagged;
    }
    let recall = found as f64 / injections as f64;
    let fp = flagged as f64 / negatives as f64;
    assert!(recall >= 0.65, "injections found as answers: {found}/{injections} = {recall:.3}");
    assert!(fp <= 0.005, "benign prompts flagged as answers: {flagged}/{negatives} = {fp:.4}");
}

/// Every labeled set, in the order `features.jsonl` lists them.
const SETS: &[&str] = &["dev", "holdout", "holdout2", "holdout3", "holdout4", "holdout5"];

/// `features.jsonl`: per labeled prompt, its units as the detector sees them (the rules in
/// each anchored sentence): what `patterns/disclosure.py` fits the rule scores to, and scores
/// cross-validation on. With `rules`, the rules of that file instead of the built-in ones.
fn features(rules: Option<&str>) -> String {
    let set = match rules {
        Some(path) => {
            DisclosureSet::from_toml(path, &std::fs::read_to_string(path).expect("rule file")).expect("rules compile")
        }
        None => DisclosureSet::builtin().expect("rules compile"),
    };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/disclosure");
    let mut out = String::new();
    for name in SETS {
        let text = std::fs::read_to_string(root.join(format!("{name}.jsonl"))).expect("labeled set");
        for (line, row) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
            let v: Value = serde_json::from_str(row).expect("each line is JSON");
            let units = set.features(v["text"].as_str().expect("text"));
            let row = serde_json::json!({
                "set": name,
                "line": line + 1,
                "label": v["label"],
                "family": v["family"],
                "lang": v["lang"],
                "units": units,
            });
            out.push_str(&row.to_string());
            out.push('\n');
        }
    }
    out
}

/// Writes `tests/data/disclosure/features.jsonl` (or `SECRETGATE_FEATURES_OUT`) from the rules
/// of `SECRETGATE_DISCLOSURE_RULES` (default: the built-in ones), so rules can be tried
/// without rebuilding: edit `patterns/disclosure.py`, run it, run this, run it again.
#[test]
#[ignore = "writes features.jsonl: run when the rules' patterns change"]
fn write_disclosure_features() {
    let rules = std::env::var("SECRETGATE_DISCLOSURE_RULES").ok();
    let out = std::env::var("SECRETGATE_FEATURES_OUT")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/disclosure/features.jsonl").to_owned());
    std::fs::write(out, features(rules.as_deref())).expect("write features");
}

/// The scores in `patterns/disclosure.toml` were fitted to `features.jsonl`: it must be what
/// the rules find now (else: run `write_disclosure_features`, then `patterns/disclosure.py`).
#[test]
fn disclosure_features_are_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/disclosure/features.jsonl");
    let checked_in = std::fs::read_to_string(path).expect("features.jsonl");
    assert!(
        features(None) == checked_in,
        "tests/data/disclosure/features.jsonl is stale: run `cargo test --test it write_disclosure_features -- --ignored`, then python3 patterns/disclosure.py"
    );
}

/// `patterns/disclosure.toml` is written by `patterns/disclosure.py`; they must agree.
#[test]
fn disclosure_rules_are_generated_from_their_source() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("tempdir");
    // Run a copy of the generator so the checked-in file is not touched.
    let script = std::fs::read_to_string(root.join("patterns/disclosure.py")).expect("generator");
    std::fs::write(dir.path().join("disclosure.py"), script).expect("copy");
    let Ok(status) = std::process::Command::new("python3")
        .arg(dir.path().join("disclosure.py"))
        .env("SECRETGATE_FEATURES", root.join("tests/data/disclosure/features.jsonl"))
        .stdout(std::process::Stdio::null())
        .status()
    else {
        panic!("python3 is needed to check patterns/disclosure.toml against patterns/disclosure.py");
    };
    assert!(status.success(), "the generator failed");
    let fresh = std::fs::read_to_string(dir.path().join("disclosure.toml")).expect("generated");
    let checked_in = std::fs::read_to_string(root.join("patterns/disclosure.toml")).expect("checked in");
    assert!(fresh == checked_in, "patterns/disclosure.toml is stale: run python3 patterns/disclosure.py");
}

/// `holdout6.jsonl` (371 requests, 360 benign prompts, most of them hard negatives: texts that
/// quote attacks to teach about them, stories, code and configs of the user's own) was written
/// independently (its author read neither the rules nor the other sets) and scored once with
/// the rules as committed at bcf864d: recall 311/371 = 0.838, false positives 47/360 = 13.1 %
/// (as answers: 12/360 = 3.3 % flagged). Not tuned on, and it trains nothing.
#[test]
fn holdout6_unseen_set_does_not_fall_below_its_first_score() {
    assert_quality("holdout6.jsonl", 0.838, 0.131);
}
